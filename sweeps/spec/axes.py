"""Axis values of a grid spec: ranges, architecture generators, validation, ``--set`` parsing.

Each function turns one raw TOML value into a list of canonical axis values or raises
``AxisError`` saying what is wrong and what is allowed; ``sweeps.spec`` adds the file and
key to the message.
"""

from __future__ import annotations

import itertools
import math
import tomllib

import numpy as np

import nncore
from sweeps.schema import CONFIG_KEYS, KEY_DEFAULTS
from sweeps.tasks import TASKS

#: Axes every job has, in the order jobs are enumerated: the keys of a resolved config
#: (``sweeps.schema``). Task parameters come right after ``task``.
CORE_AXES = CONFIG_KEYS

#: Values of axes a spec leaves out (``output`` and ``loss`` default from the task).
DEFAULTS = {"activation": "tanh", "optimizer": "adam", "lr": 0.01, "epochs": 1000,
            "batch_size": None, "l2": 0.0, "init": "normal", "leaky_slope": nncore.LEAKY_SLOPE,
            "patience": None, "min_delta": 0.0, "record_weights": False, "seed": 0,
            **KEY_DEFAULTS}

#: The floating-point types a network may train in (its metrics are float64 either way).
DTYPES = ("float64", "float32")

#: Axes whose value may be None, and the word a spec writes for it (TOML has no null):
#: full-batch training, no early stopping, the mini-batch order following each job's seed.
OFF_VALUES = {"batch_size": "full", "patience": "off", "shuffle_seed": "seed"}

#: Deepest network, and widest layer, a spec may ask for (a typo like depth = 1e9 must be
#: refused, not hang or allocate terabytes).
MAX_DEPTH = 100
MAX_WIDTH = 100_000

#: Largest number of values one axis may expand to: a typo in a range must not eat memory.
MAX_VALUES = 100_000

#: Bounds of the integer axes (inclusive): epochs = 1e12 would train for ever, a seed must
#: fit the store's 64-bit integers.
INT_BOUNDS = {"epochs": (1, 10_000_000), "seed": (0, 2**63 - 1),
              "shuffle_seed": (0, 2**63 - 1),
              "batch_size": (1, 10_000_000), "patience": (1, 10_000_000)}


class AxisError(ValueError):
    """A bad axis value; ``allowed`` describes the valid values."""

    def __init__(self, message: str, allowed: str | None = None):
        super().__init__(message)
        self.allowed = allowed


def name_tables() -> dict[str, tuple[str, ...]]:
    """Return the valid names of activations, outputs, losses and optimizers.

    nncore's own tables are the single source of truth: a name added there is valid here.
    """
    return {"activation": tuple(nncore.ACTIVATIONS), "output": tuple(nncore.OUTPUTS),
            "loss": tuple(nncore.LOSSES), "optimizer": tuple(nncore.OPTIMIZERS)}


def task_param(name: str):
    """Return the ``Param`` called ``name`` of the first task that has one, else None."""
    for task in TASKS.values():
        for p in task.params:
            if p.name == name:
                return p
    return None


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _round(v: float) -> float:
    # 12 significant digits: 0.1 + 2 * 0.1 gives 0.3, not 0.30000000000000004, so a range
    # value and the same value typed by hand give the same job key.
    return float(f"{v:.12g}")


def expand_range(table: dict) -> list:
    """Expand ``{start, stop, step}`` (inclusive stop) or ``{start, stop, num[, log]}``.

    Parameters
    ----------
    table : dict
        ``start`` and ``stop`` numbers; then either ``step`` (default 1, > 0) or ``num``
        (number of evenly spaced values, ``log = true`` for geometric spacing).

    Returns
    -------
    list
        Ints when ``start``, ``stop`` and ``step`` are ints, else floats.
    """
    allowed = "a range table {start, stop[, step]} or {start, stop, num[, log]}"
    unknown = sorted(set(table) - {"start", "stop", "step", "num", "log"})
    if unknown or "start" not in table or "stop" not in table:
        raise AxisError(f"bad range {table!r}", allowed)
    start, stop = table["start"], table["stop"]
    if not (_is_number(start) and _is_number(stop)):
        raise AxisError(f"range start and stop must be numbers, got {table!r}", allowed)
    if not all(math.isfinite(v) for v in (start, stop)):
        raise AxisError(f"range {table!r} has a non-finite end", allowed)
    if "num" in table:
        num, log = table["num"], table.get("log", False)
        if "step" in table or isinstance(num, bool) or not isinstance(num, int) or num < 1:
            raise AxisError(f"bad range {table!r}: num must be an int >= 1, without step",
                            allowed)
        if num > MAX_VALUES:
            raise AxisError(f"range {table!r} has {num} values", f"at most {MAX_VALUES}")
        if log and (start <= 0 or stop <= 0):
            raise AxisError(f"log range {table!r} needs start > 0 and stop > 0", allowed)
        values = np.geomspace(start, stop, num) if log else np.linspace(start, stop, num)
        return [_round(v) for v in values]
    step = table.get("step", 1)
    if "log" in table or not _is_number(step) or not math.isfinite(step) or step <= 0 \
            or stop < start:
        raise AxisError(f"bad range {table!r}: need step > 0 and stop >= start", allowed)
    span = (stop - start) / step  # may overflow to inf (a step of 5e-324): no int of it yet
    if not span < MAX_VALUES:
        raise AxisError(f"range {table!r} has more than {MAX_VALUES} values",
                        f"at most {MAX_VALUES}")
    count = math.floor(span + 1e-9) + 1  # tolerance: inclusive float stop
    if count > MAX_VALUES:
        raise AxisError(f"range {table!r} has {count} values", f"at most {MAX_VALUES}")
    if all(isinstance(v, int) for v in (start, stop, step)):
        return list(range(start, stop + 1, step))
    return [_round(start + i * step) for i in range(count)]


def expand_list(raw) -> list:
    """Return the values of a plain axis: a scalar, a list, a range table, or a list of both."""
    if isinstance(raw, dict):
        return expand_range(raw)
    if not isinstance(raw, list):
        return [raw]
    out = []
    for item in raw:
        out.extend(expand_range(item) if isinstance(item, dict) else [item])
    if not out:
        raise AxisError("empty axis", "at least one value")
    return out


def _widths(raw, what: str) -> list[int]:
    values = expand_list(raw)
    # all/min/max run in C: 100,000 widths from a range are checked at once
    if all(type(w) is int for w in values) and 1 <= min(values) and max(values) <= MAX_WIDTH:
        return values
    for w in values:
        if isinstance(w, bool) or not isinstance(w, int) or not 1 <= w <= MAX_WIDTH:
            raise AxisError(f"{what} {w!r} is not an int in 1..{MAX_WIDTH}",
                            f"hidden-layer widths: ints in 1..{MAX_WIDTH}")
    return values


def _generate(table: dict) -> list[list[int]]:
    """Expand ``{widths, depth}`` (every combination) or ``{width, depth}`` (uniform)."""
    allowed = "{widths = [...], depth = d} (every combination) or {width = [...], depth = d}"
    keys = set(table)
    if keys not in ({"widths", "depth"}, {"width", "depth"}):
        raise AxisError(f"bad architecture generator {table!r}", allowed)
    depths = expand_list(table["depth"])
    for d in depths:
        if isinstance(d, bool) or not isinstance(d, int) or not 1 <= d <= MAX_DEPTH:
            raise AxisError(f"depth {d!r} is not an int in 1..{MAX_DEPTH}", allowed)
    uniform = "width" in table
    widths = _widths(table["width" if uniform else "widths"], "width")
    count = sum(len(widths) if uniform else len(widths) ** d for d in depths)
    if count > MAX_VALUES:
        raise AxisError(f"generator {table!r} makes {count} architectures",
                        f"at most {MAX_VALUES}")
    out = []
    for d in depths:  # shallow nets first, then deeper ones
        if uniform:
            out += [[w] * d for w in widths]
        else:
            out.extend(list(combo) for combo in itertools.product(widths, repeat=d))
    return out


def expand_hidden(raw) -> list[list[int]]:
    """Return the architectures of a ``hidden`` axis.

    Accepted forms: ``[10, 10]`` (one architecture), ``[[3], [5, 5]]`` (a list of them,
    ``[]`` inside meaning no hidden layer), a generator table ``{widths, depth}`` or
    ``{width, depth}``, or a list mixing architectures and generator tables.
    """
    allowed = ("a list of widths like [10, 10], a list of such lists, or a generator "
               "{widths = [...], depth = 2} / {width = [...], depth = [1, 2]}")
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = [raw]  # hidden = 10: one hidden layer of 10
    if isinstance(raw, dict):
        return _generate(raw)
    if not isinstance(raw, list) or not raw:
        raise AxisError("empty axis" if raw == [] else f"bad value {raw!r}", allowed)
    if all(isinstance(v, int) and not isinstance(v, bool) for v in raw):
        return [_widths(raw, "width")]
    out = []
    for item in raw:
        if isinstance(item, dict):
            out.extend(_generate(item))
        elif isinstance(item, list):
            if len(item) > MAX_DEPTH:
                raise AxisError(f"an architecture of {len(item)} hidden layers",
                                f"at most {MAX_DEPTH} hidden layers")
            out.append(_widths(item, "width") if item else [])
        else:
            raise AxisError(f"cannot mix bare widths and lists in {raw!r}", allowed)
    return out


def _check_name(axis: str, value, tables) -> str:
    valid = tables[axis]
    if not isinstance(value, str) or value not in valid:
        raise AxisError(f"unknown {axis} {value!r}", ", ".join(valid))
    # An alias (logistic) and its table name (sigmoid) must give the same job key.
    return nncore.canonical_name(value)


def check_value(axis: str, value, tables):
    """Return the canonical form of one value of a core axis, or raise ``AxisError``."""
    if axis in ("activation", "output", "loss", "optimizer"):
        return _check_name(axis, value, tables)
    if axis == "task":
        if not isinstance(value, str) or value not in TASKS:
            raise AxisError(f"unknown task {value!r}", ", ".join(TASKS))
        return value
    if axis in ("lr", "l2", "min_delta"):
        positive = axis == "lr"
        ok = _is_number(value) and math.isfinite(value) and (value > 0 if positive
                                                             else value >= 0)
        if not ok:
            raise AxisError(f"bad {axis} {value!r}",
                            "a number > 0" if positive else "a number >= 0")
        return float(value)
    if axis in ("epochs", "seed"):
        low, high = INT_BOUNDS[axis]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise AxisError(f"bad {axis} {value!r}", f"an int >= {low}, at most {high:,}")
        return value
    if axis == "init":
        try:
            return _plain_init(nncore.init.check_init(value))
        except ValueError as exc:
            raise AxisError(f"bad init {value!r}: {exc}",
                            '"normal", "glorot", or { weights = [...], biases = [...] }') \
                from None
    if axis == "leaky_slope":
        try:
            return float(nncore.activations.check_leaky_slope(value))
        except (TypeError, ValueError) as exc:
            raise AxisError(f"bad leaky_slope {value!r}", str(exc)) from None
    if axis == "dtype":
        if value not in DTYPES:
            raise AxisError(f"bad dtype {value!r}", " or ".join(DTYPES))
        return value
    if axis == "record_weights":
        if not isinstance(value, bool):
            raise AxisError(f"bad record_weights {value!r}", "true or false")
        return value
    if axis == "shuffle_seed":  # 0 is a seed here, not "off"
        if value is None or value == OFF_VALUES[axis]:
            return None
        high = INT_BOUNDS[axis][1]
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= high:
            raise AxisError(f"bad shuffle_seed {value!r}", f'an int >= 0, at most {high:,}, '
                            'or "seed" (the order follows each job\'s seed, the default)')
        return value
    if axis in OFF_VALUES:  # batch_size, patience: an int >= 1, or a word for "none"
        word = OFF_VALUES[axis]
        if value in (word, 0, None) and not isinstance(value, bool):
            return None
        high = INT_BOUNDS[axis][1]
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
            raise AxisError(f"bad {axis} {value!r}", f'an int >= 1, at most {high:,}, or "{word}" (or 0)')
        return value
    raise AssertionError(f"not a core axis: {axis}")  # hidden and task params go elsewhere


def _plain_init(init):
    """An init scheme's name, or its arrays as nested lists of floats (canonical JSON)."""
    if isinstance(init, str):
        return init
    return {part: [np.asarray(a, dtype=float).tolist() for a in init[part]]
            for part in ("weights", "biases")}


def expand_init(raw) -> list:
    """The values of an ``init`` axis: a name, a table of arrays, or a list of those."""
    return list(raw) if isinstance(raw, list) else [raw]


def parse_override(text: str) -> tuple[str, object]:
    """Split ``"axis=value"`` into the axis name and a raw value.

    The value is read as TOML when it parses (``500``, ``1e-3``, ``true``, ``[5, 5]``,
    ``[[5], [10, 10]]``, ``{start = 1, stop = 5}``); otherwise comma-separated parts are
    read one by one (``0,1,2``, ``tanh,relu``) and a bare word is a string (``moons``).
    """
    name, sep, value = text.partition("=")
    name, value = name.strip(), value.strip()
    if not sep or not name or not value:
        raise AxisError(f"bad override {text!r}", "axis=value or axis=v1,v2,v3")
    try:
        return name, tomllib.loads(f"v = {value}")["v"]
    except tomllib.TOMLDecodeError:
        pass
    parts = [_scalar(p.strip()) for p in value.split(",")]
    if any(p == "" for p in parts):
        raise AxisError(f"empty value in override {text!r}", "axis=v1,v2,v3")
    return name, parts if len(parts) > 1 else parts[0]


def _scalar(text: str):
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text  # a bare word: a string
