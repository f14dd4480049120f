"""The task registry: ``TASKS``, parameter validation, and the per-process data-set cache.

``TASKS`` maps each name to a ``TaskDef`` listing its parameters with their defaults; the spec
layer uses it to validate task parameters and to fill in defaults, so a resolved job config
always carries every task parameter.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from sweeps.tasks import builtin, csv_task
from sweeps.tasks.dataset import Dataset, TaskError

__all__ = ["Param", "TaskDef", "TASKS", "make_task", "resolve_task_params"]

REQUIRED = object()  # sentinel default of a parameter that has none


@dataclass(frozen=True)
class Param:
    """One task parameter: its type, default and allowed values."""

    name: str
    kind: str  # "int", "float", "bool", "str", "path", "column", "columnlist" or "scale"
    default: Any = REQUIRED
    check: Callable[[Any], bool] | None = None
    rule: str = ""  # the allowed values in words, for error messages

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    @property
    def is_list(self) -> bool:
        return self.kind == "columnlist"


@dataclass(frozen=True)
class TaskDef:
    """A task: its parameters and the function that builds its ``Dataset``."""

    name: str
    params: tuple[Param, ...]
    build: Callable[..., Dataset]
    doc: str = ""
    # Fills defaults that depend on other parameters (n_test defaults to n_samples).
    finalize: Callable[[dict], dict] | None = None

    @property
    def param_names(self) -> list[str]:
        return [p.name for p in self.params]

    def defaults(self) -> dict:
        """Return the defaults of the optional parameters."""
        return {p.name: p.default for p in self.params if not p.required}


def _fill_sizes(params: dict) -> dict:
    """Held-out sets of a synthetic task are as large as its training set by default."""
    for name in ("n_test", "n_val"):
        if params.get(name, 0) is None:
            params[name] = params["n_samples"]
    return params


def _check_split(params: dict) -> dict:
    if params["test_size"] + params["val_size"] >= 1:
        raise TaskError(f"test_size ({params['test_size']}) and val_size "
                        f"({params['val_size']}) leave no training rows; allowed: "
                        "test_size + val_size < 1", "val_size")
    return params


def _check_csv(params: dict) -> dict:
    return csv_task.fill_file_sha256(_check_split(params))


#: The most rows a synthetic task may draw (a typo like n_samples = 1e12 must be refused
#: before numpy tries to allocate terabytes).
MAX_ROWS = 10_000_000


def _positive_int(v):
    return 1 <= v <= MAX_ROWS


def _rows(low):
    return lambda v: low <= v <= MAX_ROWS


_SEED = Param("data_seed", "int", 0, lambda v: 0 <= v < 2**32, "an int in [0, 2**32)")
_N_TEST = Param("n_test", "int", None, lambda v: v is None or _positive_int(v),
                f"an int in 1..{MAX_ROWS} (default: n_samples)")
_N_VAL = Param("n_val", "int", None, lambda v: v is None or _positive_int(v),
               f"an int in 1..{MAX_ROWS} (default: n_samples)")
_VAL_SIZE = Param("val_size", "float", 0.2, lambda v: 0 < v < 1,
                  "a float in (0, 1), with test_size + val_size < 1")

TASKS: dict[str, TaskDef] = {
    "sine": TaskDef("sine", (
        Param("n_samples", "int", 30, _rows(2), f"an int in 2..{MAX_ROWS}"),
        Param("noise", "float", 0.1, lambda v: v >= 0, "a float >= 0"),
        _SEED,
        Param("n_test", "int", 1000, _positive_int, f"an int in 1..{MAX_ROWS}"),
        _N_VAL,
    ), builtin.sine, "y = sin(2 pi x) + N(0, noise) on linspace(0, 1, n_samples); regression",
        _fill_sizes),
    "moons": TaskDef("moons", (
        Param("n_samples", "int", 200, _rows(2), f"an int in 2..{MAX_ROWS}"),
        Param("noise", "float", 0.2, lambda v: v >= 0, "a float >= 0"),
        _SEED, _N_TEST, _N_VAL,
    ), builtin.moons, "scikit-learn make_moons; 2 classes", _fill_sizes),
    "blobs": TaskDef("blobs", (
        Param("n_samples", "int", 200, _rows(2), f"an int in 2..{MAX_ROWS}"),
        Param("centers", "int", 2, lambda v: 2 <= v <= 1000, "an int in 2..1000"),
        Param("cluster_std", "float", 1.0, lambda v: v > 0, "a float > 0"),
        _SEED, _N_TEST, _N_VAL,
    ), builtin.blobs, "scikit-learn make_blobs; one class per centre", _fill_sizes),
    "digits": TaskDef("digits", (
        Param("test_size", "float", 0.25, lambda v: 0 < v < 1, "a float in (0, 1)"),
        _VAL_SIZE,
        _SEED,
    ), builtin.digits, "scikit-learn's bundled 8x8 digits scaled to [0, 1]; 10 classes",
        _check_split),
    "csv": TaskDef("csv", (
        Param("path", "path", rule="a path to a CSV file"),
        Param("header", "bool", True, rule="true (the first row names the columns) or false"),
        Param("target", "column", rule="the target column's name, or its 0-based position"),
        Param("categorical", "columnlist", (), rule="a list of column names or positions"),
        Param("scale", "scale", "standard", csv_task.check_scale,
              'how numeric features are scaled: "standard", "minmax", "none", or a number '
              "> 0 to divide them by (255 for 0..255 pixels)"),
        Param("test_size", "float", 0.2, lambda v: 0 <= v < 1,
              "a float in [0, 1) (0: no test rows)"),
        Param("val_size", "float", 0.2, lambda v: 0 <= v < 1,
              "a float in [0, 1) (0: no validation rows), with test_size + val_size < 1"),
        _SEED,
        Param("file_sha256", "str", None,
              rule="the first 16 hex digits of the file's SHA-256 (filled in from the file)"),
    ), csv_task.build, "a local CSV: numeric columns standardized, categorical ones one-hot",
        _check_csv),
    "logic": TaskDef("logic", (
        Param("function", "str", "xor", lambda v: v in builtin.LOGIC_FUNCTIONS,
              "one of " + ", ".join(builtin.LOGIC_FUNCTIONS)),
    ), builtin.logic, "a truth table (not, and, or, nand, xor), trained and scored on every "
        "row; one output unit"),
}


def _coerce(task: str, p: Param, value):
    """Return ``value`` converted to the parameter's type, or raise ``TaskError``."""
    bad = TaskError(f"task {task!r}: parameter {p.name!r} must be {p.rule or p.kind}, "
                    f"got {value!r}", p.name)
    if value is None and p.default is None:
        return None
    if p.kind == "int":
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            # accept 3.0 for 3 (JSON round trips) but never 3.5
            if not (isinstance(value, float) and value.is_integer()):
                raise bad
        value = int(value)
    elif p.kind == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
            raise bad
        value = float(value)
        if not math.isfinite(value):
            raise bad
    elif p.kind in ("str", "path"):
        if not isinstance(value, (str, os.PathLike)) or not str(value):
            raise bad
        # An absolute path keeps a job's meaning whatever directory a worker runs in.
        value = os.path.abspath(os.fspath(value)) if p.kind == "path" else str(value)
    elif p.kind == "bool":
        if not isinstance(value, (bool, np.bool_)):
            raise bad
        value = bool(value)
    elif p.kind == "column":
        if not _is_column(value):
            raise bad
        value = value if isinstance(value, str) else int(value)
    elif p.kind == "columnlist":
        value = [value] if _is_column(value) else value
        if not isinstance(value, (list, tuple)) or not all(_is_column(v) for v in value):
            raise bad
        # a column named twice is still one column
        value = list(dict.fromkeys(v if isinstance(v, str) else int(v) for v in value))
    elif p.kind == "scale":
        if p.check is not None and not p.check(value):
            raise bad
        # 255 and 255.0 are one rule: one job key
        value = value if isinstance(value, str) else float(value)
    if p.check is not None and not p.check(value):
        raise bad
    return value


def _is_column(value) -> bool:
    """A column named by its header (a non-empty string) or its 0-based position."""
    if isinstance(value, str):
        return bool(value)
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= 0


def resolve_task_params(name: str, params: Mapping | None = None) -> dict:
    """Validate a task's parameters and fill in every default.

    Parameters
    ----------
    name : str
        Task name, a key of ``TASKS``.
    params : mapping, optional
        Parameters given by the user.

    Returns
    -------
    dict
        Every parameter of the task, in ``TaskDef.params`` order, with canonical types
        (floats as float, paths absolute, lists as lists).

    Raises
    ------
    TaskError
        Unknown task, unknown parameter, missing required parameter or a bad value; the
        message lists what is allowed.
    """
    if name not in TASKS:
        raise TaskError(f"unknown task {name!r}; valid tasks: {', '.join(TASKS)}")
    task, params = TASKS[name], dict(params or {})
    unknown = sorted(set(params) - set(task.param_names))
    if unknown:
        raise TaskError(f"task {name!r} has no parameter {unknown[0]!r}; its parameters: "
                        f"{', '.join(task.param_names)}", unknown[0])
    out = {}
    for p in task.params:
        if p.name not in params and p.required:
            raise TaskError(f"task {name!r} needs parameter {p.name!r} ({p.rule})", p.name)
        out[p.name] = _coerce(name, p, params.get(p.name, p.default))
    return task.finalize(out) if task.finalize else out


def _freeze_params(params: dict) -> tuple:
    return tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in params.items())


@functools.lru_cache(maxsize=32)
def _build_cached(name: str, frozen: tuple, file_token) -> Dataset:
    # file_token (size, mtime) is part of the cache key so an edited CSV is re-read.
    params = {k: list(v) if isinstance(v, tuple) else v for k, v in frozen}
    return TASKS[name].build(**params)




def make_task(name: str, **params) -> Dataset:
    """Return the data set of task ``name`` (deterministic, cached per process).

    Parameters
    ----------
    name : str
        One of ``TASKS``: ``sine``, ``moons``, ``blobs``, ``digits``, ``csv``.
    **params
        Task parameters; missing ones take their defaults (see ``TASKS[name].params``).

    Returns
    -------
    Dataset
        With read-only arrays; equal parameters give the same cached object.

    Raises
    ------
    TaskError
        A bad parameter, or data that cannot be loaded (the message names the file).

    Examples
    --------
    >>> ds = make_task("sine", noise=0.1, n_samples=30, data_seed=0)
    >>> ds.X_train.shape, ds.y_train.shape, ds.X_test.shape
    ((30, 1), (30, 1), (1000, 1))
    """
    resolved = resolve_task_params(name, params)
    return _build_cached(name, _freeze_params(resolved), csv_task.file_token(resolved.get("path")))
