"""Text forms of specs: TOML rendering (plain Python values: :mod:`sweeps.values`)."""

from __future__ import annotations

import json
import math
import re

from sweeps.spec.axes import OFF_VALUES


def _key(k: str) -> str:
    return k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else json.dumps(k)


def _value(v, key=None) -> str:
    if v is None and key in OFF_VALUES:
        return f'"{OFF_VALUES[key]}"'  # TOML has no null; the axis' word means the same
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return ("nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")) if not math.isfinite(
            v) else repr(v)
    if isinstance(v, str):
        return json.dumps(v)  # JSON string escapes are valid TOML basic-string escapes
    if isinstance(v, list):
        return "[" + ", ".join(_value(x, key) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(x, k)}" for k, x in v.items()) + " }"
    raise TypeError(f"cannot write {type(v).__name__} value {v!r} as TOML")


def to_toml(d: dict) -> str:
    """Render a spec dict (as ``Spec.from_dict`` takes it) as TOML text."""
    lines = [f"{_key(k)} = {_value(v, k)}" for k, v in d.items() if k not in ("params", "grid")]
    if "params" in d:
        lines += ["", "[params]"] + [f"{_key(k)} = {_value(v, k)}"
                                     for k, v in d["params"].items()]
    for grid in d.get("grid", []):
        lines += ["", "[[grid]]"] + [f"{_key(k)} = {_value(v, k)}" for k, v in grid.items()]
    return "\n".join(lines).lstrip("\n") + "\n"
