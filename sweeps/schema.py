"""The results frame's schema: the one place that names its columns and what they hold.

``sweeps.load`` returns one row per finished job. This module owns the facts about those
rows, so that the store, the loader, ``results`` and the tests import them instead of
restating them:

- the keys of a resolved job config (``CONFIG_KEYS``) and the frame's config columns;
- the statuses a finished job can have (``STATUSES``);
- the metrics, and which of them each kind of task records (``KIND_METRICS``);
- how a task parameter becomes a column (``task_column``) and back (``task_params_of``);
- the timestamp format of ``started`` / ``finished`` (``now``);
- what "varies" means across configs whose values may be lists (``varying``).

Column groups, in frame order::

    key, config_id                                   identity (job hash; hash without seed)
    task, hidden, layers, depth, n_params,           config axes (hidden a tuple of int,
    activation, output, loss, optimizer, lr,         layers a string like "[1,5,10,1]",
    epochs, batch_size, l2, init, leaky_slope,       depth the number of hidden layers)
    patience, min_delta, record_weights, dtype, seed
    <task parameters>                                one column each (see task_column)
    status, error, traceback                         how the job ended
    test_mse, val_mse, train_mse, test_accuracy,     metrics, NaN where not applicable
    ..., best_epoch, epochs_run, wall_time
    curve_epoch, curve_loss, curve_val_loss,         arrays, with curves=True
    weight_stats
    weights, biases                                  lists of arrays, with weights=True
    run_id, worker, finished                         bookkeeping

Nothing here imports pandas: worker processes import this module for ``now``.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone

import numpy as np

#: Keys of a resolved job config besides ``task_params``, in the order jobs enumerate them
#: (``seed`` last and fastest-varying, so the seeds of one config are adjacent).
CONFIG_KEYS = ("task", "hidden", "activation", "output", "loss", "optimizer", "lr", "epochs",
               "batch_size", "l2", "init", "leaky_slope", "patience", "min_delta",
               "record_weights", "dtype", "seed")

#: Keys a resolved config holds only when they differ from this default, so that a job's
#: key (``sweeps.keys``) is the one it had before the axis existed: ``dtype`` (the
#: floating-point type the network trains in) came after results were stored.
KEY_DEFAULTS = {"dtype": "float64"}

#: Statuses of a finished job: trained, diverged (loss became non-finite), or raised.
STATUSES = ("ok", "diverged", "failed")

#: The three data splits: training fits the weights, validation chooses (configs, the
#: early-stopping epoch), test estimates how good the chosen one is and never chooses.
SPLITS = ("train", "val", "test")
#: Kinds of task; each records the metrics of ``KIND_METRICS`` besides ``COMMON_METRICS``.
KIND_METRICS = {"regression": ("test_mse", "val_mse", "train_mse"),
                "classification": ("test_accuracy", "val_accuracy", "train_accuracy")}
#: Metrics every finished (not failed) job records; ``best_epoch`` (the 1-based epoch of
#: the weights kept) only with early stopping, else NaN.
COMMON_METRICS = ("test_loss", "val_loss", "train_loss", "best_epoch", "epochs_run",
                  "wall_time")
#: Every metric column, in the order tables show them (held-out first).
METRICS = (*KIND_METRICS["regression"], *KIND_METRICS["classification"], *COMMON_METRICS)

IDENTITY_COLUMNS = ("key", "config_id")
#: Config columns fully determined by the architecture (``hidden`` and the task's widths).
ARCH_COLUMNS = ("hidden", "layers", "depth", "n_params")
CONFIG_COLUMNS = ("task", *ARCH_COLUMNS, *CONFIG_KEYS[2:])
STATUS_COLUMNS = ("status", "error", "traceback")
#: The loss curves, downsampled to at most 300 epochs: the epochs, the training loss and the
#: validation loss measured after them (NaN only where a diverged job's shorter curve
#: picks epochs the planned one did not); and, for jobs with ``record_weights``, each
#: layer's weight statistics at those epochs: ``{"epoch": (k,), "stats": (k, n_layers,
#: 2, 4)}`` (weights then biases; min, max, mean, std: ``nncore.weight_stats``), else None.
CURVE_COLUMNS = ("curve_epoch", "curve_loss", "curve_val_loss", "weight_stats")
WEIGHT_COLUMNS = ("weights", "biases")
BOOKKEEPING_COLUMNS = ("run_id", "worker", "finished")

#: Columns that describe how one job ran rather than which config it is; ``seed`` is among
#: them because the seeds of a config are its replicas, aggregated over.
RUN_COLUMNS = frozenset({*IDENTITY_COLUMNS, "seed", *STATUS_COLUMNS, *METRICS,
                         *CURVE_COLUMNS, *WEIGHT_COLUMNS, *BOOKKEEPING_COLUMNS, "started"})

_RESERVED = frozenset({*CONFIG_KEYS, "task_params", *CONFIG_COLUMNS, *RUN_COLUMNS})


def main_metric(kind: str, split: str = "test") -> str:
    """The metric that says how good a job of this kind is on ``split``.

    ``main_metric("classification", "val")`` is ``val_accuracy``: what configs are chosen
    by; ``main_metric("regression")`` is ``test_mse``: the honest estimate.
    """
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; allowed: {', '.join(SPLITS)}")
    return next(m for m in KIND_METRICS[kind] if m.startswith(f"{split}_"))


def kind_of_metric(metric: str):
    """The task kind whose metric this is (``regression``, ``classification``), or None."""
    return next((kind for kind, metrics in KIND_METRICS.items() if metric in metrics), None)


def higher_is_better(metric: str) -> bool:
    """Whether larger values of ``metric`` are better (accuracies), else smaller (errors)."""
    return "accuracy" in metric


def metric_range(metric: str) -> tuple:
    """The values ``metric`` can take: [0, 1] for an accuracy, [0, inf) for the rest.

    Every stored metric is an accuracy, an error or a loss (or an epoch count); an
    interval drawn or tabulated is clipped to this range, as a 2-seed Student t interval
    easily leaves it.
    """
    return (0.0, 1.0) if "accuracy" in metric else (0.0, float("inf"))


def layers_text(layers) -> str:
    """The ``layers`` column: sizes from input to output as ``"[1,5,10,1]"``."""
    return "[" + ",".join(str(int(n)) for n in layers) + "]"


def layers_from_text(text: str) -> list:
    """The layer sizes a ``layers`` value names (inverse of :func:`layers_text`)."""
    return [int(n) for n in text.strip("[]").split(",")]


def task_column(name: str) -> str:
    """The frame column of task parameter ``name``.

    A parameter whose name is also a config or run column (a task with a ``seed`` or
    ``loss`` parameter, say) gets the prefix ``task_`` instead of overwriting that column.
    """
    return f"task_{name}" if name in _RESERVED else name


def task_params_of(row: Mapping, names: Iterable[str]) -> dict:
    """The task parameters ``names`` held by a frame row, read through ``task_column``.

    Missing values (absent, None or NaN: a frame mixing tasks leaves another task's
    parameters empty) are left out, so the task's defaults fill them.
    """
    params = {}
    for name in names:
        value = row.get(task_column(name)) if hasattr(row, "get") else None
        if not _missing(value):
            params[name] = value
    return params


def flat_config(config: Mapping) -> dict:
    """A resolved job config as frame columns: ``task``, its parameters, the other keys."""
    flat = {"task": config["task"]}
    flat.update({task_column(k): v for k, v in config.get("task_params", {}).items()})
    flat.update({k: v for k, v in config.items() if k not in ("task", "task_params")})
    return {**KEY_DEFAULTS, **flat}


def config_columns(columns: Iterable[str]) -> list:
    """The columns among ``columns`` that describe a config (task parameters included)."""
    return [c for c in columns if c not in RUN_COLUMNS]


def hashable(value):
    """``value`` as something hashable that compares equal exactly when the values do.

    Lists (``hidden``, a CSV task's ``categorical``) become tuples, dicts sorted tuples,
    numpy scalars Python ones, and every missing value (None, NaN) the same None.
    """
    if isinstance(value, Mapping):
        return tuple(sorted((k, hashable(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple, np.ndarray)):
        return tuple(hashable(v) for v in value)
    if isinstance(value, np.generic):
        value = value.item()
    return None if _missing(value) else value


def varying(columns: Mapping[str, Iterable]) -> list:
    """The names of ``columns`` (name -> values) holding more than one distinct value.

    Values are compared through :func:`hashable`, so list-valued axes count as one value
    each and a value missing in some rows (a parameter of one task only) differs from
    every present one.
    """
    return [name for name, values in columns.items()
            if len({hashable(v) for v in values}) > 1]


def now() -> str:
    """Current UTC time as ISO 8601 text: the format of ``started`` and ``finished``."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
