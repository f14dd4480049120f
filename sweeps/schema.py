"""The results frame's schema: the one place that names its columns and what they hold.

``sweeps.load`` returns one row per finished job. This module owns the facts about those
rows, so that the store, the loader, ``results`` and the tests import them instead of
restating them:

- the keys of a resolved job config (``CONFIG_KEYS``) and the frame's config columns;
- the statuses a finished job can have (``STATUSES``);
- the metrics, and which of them each kind of task records (``KIND_METRICS``);
- how a task parameter becomes a column (``task_column``) and back (``task_params_of``);
- the timestamp format of ``started`` / ``finished`` (``now``);
- what "varies" means across configs whose values may be lists (``varying``);
- the job record a worker returns, the store keeps and ``sweeps.load`` turns into a row
  (``RECORD_GROUPS``, built by ``job_record``), and the frame's columns in order
  (``frame_columns``); a frame written out by hand for tests (``example_frame``).

To add a metric, name it here (``KIND_METRICS`` or ``COMMON_METRICS``) and compute it in
``sweeps.training.stack_metrics``: the store, ``sweeps.load`` and ``results`` follow.

Column groups, in frame order::

    key, config_id                                   identity (job hash; hash without seed)
    task, hidden, layers, depth, n_params,           config axes (hidden a tuple of int,
    activation, output, loss, optimizer, lr,         layers a string like "[1,5,10,1]",
    epochs, batch_size, l2, init, leaky_slope,       depth the number of hidden layers)
    patience, min_delta, record_weights, dtype,      (shuffle_seed None: follows seed)
    shuffle_seed, seed
    <task parameters>                                one column each (see task_column)
    task_params                                      the same, as one dict as given
    kind, n_in, n_out, has_val, has_test             the task's facts (TASK_FACT_COLUMNS)
    status, error, traceback                         how the job ended
    test_mse, val_mse, train_mse, test_accuracy,     metrics, NaN where not applicable
    ..., best_epoch, epochs_run, wall_time
    curve_epoch, curve_loss, curve_val_loss,         arrays, with curves=True
    weight_stats
    weights, biases                                  lists of arrays, with weights=True
    run_id, worker, started, finished                bookkeeping

Nothing here imports pandas: worker processes import this module for ``now``.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone

from sweeps.values import hashable

#: Keys of a resolved job config besides ``task_params``, in the order jobs enumerate them
#: (``seed`` last and fastest-varying, so the seeds of one config are adjacent).
CONFIG_KEYS = ("task", "hidden", "activation", "output", "loss", "optimizer", "lr", "epochs",
               "batch_size", "l2", "init", "leaky_slope", "patience", "min_delta",
               "record_weights", "dtype", "shuffle_seed", "seed")

#: Keys a resolved config holds only when they differ from this default, so that a job's
#: key (``sweeps.keys``) is the one it had before the axis existed: ``dtype`` (the
#: floating-point type the network trains in) and ``shuffle_seed`` (the seed of the
#: mini-batch order; None: each job's own ``seed``, the order every stored job used) came
#: after results were stored.
KEY_DEFAULTS = {"dtype": "float64", "shuffle_seed": None}

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
#: What the task's data set is, carried down so that readers never rebuild it to find out:
#: its kind ("regression" or "classification"), its input width, its ``n_out`` (classes
#: for classification, output values for regression; not the output layer's width, the
#: last entry of ``layers``), and whether validation / test rows are held out. None where
#: unknown (a job that failed before its data existed).
TASK_FACT_COLUMNS = ("kind", "n_in", "n_out", "has_val", "has_test")
STATUS_COLUMNS = ("status", "error", "traceback")
#: The loss curves, downsampled to at most 300 epochs: the epochs, the training loss and the
#: validation loss measured after them (NaN only where a diverged job's shorter curve
#: picks epochs the planned one did not); and, for jobs with ``record_weights``, each
#: layer's weight statistics at those epochs: ``{"epoch": (k,), "stats": (k, n_layers,
#: 2, 4)}`` (weights then biases; min, max, mean, std: ``nncore.weight_stats``), else None.
CURVE_COLUMNS = ("curve_epoch", "curve_loss", "curve_val_loss", "weight_stats")
WEIGHT_COLUMNS = ("weights", "biases")
BOOKKEEPING_COLUMNS = ("run_id", "worker", "started", "finished")

#: Columns that describe how one job ran rather than which config it is; ``seed`` is among
#: them because the seeds of a config are its replicas, aggregated over.
RUN_COLUMNS = frozenset({*IDENTITY_COLUMNS, "seed", *STATUS_COLUMNS, *METRICS,
                         *CURVE_COLUMNS, *WEIGHT_COLUMNS, *BOOKKEEPING_COLUMNS})

#: Config columns whose None is a value (full batch; the order following ``seed``): kept as
#: objects, since pandas would turn ``[None, 8]`` into ``[NaN, 8.0]``.
NONE_COLUMNS = ("batch_size", "shuffle_seed")

_TASK_COLUMNS = frozenset({"task_params", *TASK_FACT_COLUMNS})
_RESERVED = frozenset({*CONFIG_KEYS, "task_params", *CONFIG_COLUMNS, *TASK_FACT_COLUMNS,
                       *RUN_COLUMNS})


#: A job's result, as a worker returns it, the store keeps it and ``sweeps.load`` reads
#: it: a dict of exactly these fields, built by :func:`job_record`, in groups. ``config``
#: is the resolved job config, ``metrics`` a dict (metric name -> float; None when the job
#: failed), ``task_facts`` a dict of ``TASK_FACT_COLUMNS`` (None when unknown: a stored
#: job's are read off its layers and metrics by ``sweeps.load``), ``packed`` the arrays as
#: the store encodes them (``sweeps.store.codec.pack_result``; a worker packs them so that
#: the driver only inserts rows).
RECORD_GROUPS = {
    "identity": ("key", "config_id", "config"),
    "outcome": ("status", "error", "traceback"),
    "network": ("layers", "n_params", "metrics", "task_facts"),
    "curves": CURVE_COLUMNS,
    "weights": WEIGHT_COLUMNS,
    "bookkeeping": BOOKKEEPING_COLUMNS,
    "encoded": ("packed",),
}
RECORD_FIELDS = tuple(name for group in RECORD_GROUPS.values() for name in group)


def job_record(config: Mapping, status: str, **fields) -> dict:
    """The one builder of a job record: every field of ``RECORD_FIELDS``, None unless given.

    Raises
    ------
    ValueError
        For a status not in ``STATUSES`` or a field the record does not have.
    """
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}; allowed: {', '.join(STATUSES)}")
    unknown = sorted(set(fields) - set(RECORD_FIELDS))
    if unknown:
        raise ValueError(f"a job record has no field {unknown[0]!r}; its fields: "
                         f"{', '.join(RECORD_FIELDS)}")
    return {**dict.fromkeys(RECORD_FIELDS), **fields, "config": config, "status": status}


def frame_columns(task_columns: Iterable[str] = (), *, curves=True, weights=True) -> list:
    """The columns of ``sweeps.load``'s frame, in order, around the task parameter columns
    ``task_columns``; the curve and weight columns as asked."""
    return [*IDENTITY_COLUMNS, *CONFIG_COLUMNS, *task_columns, "task_params",
            *TASK_FACT_COLUMNS, *STATUS_COLUMNS, *METRICS, *(CURVE_COLUMNS if curves else ()),
            *(WEIGHT_COLUMNS if weights else ()), *BOOKKEEPING_COLUMNS]


#: The config of :func:`example_frame`'s rows where a test leaves it out: a small moons net.
EXAMPLE_CONFIG = {"task": "moons", "hidden": (3,), "activation": "tanh", "output": "sigmoid",
                  "loss": "binary_cross_entropy", "optimizer": "adam", "lr": 0.01,
                  "epochs": 100, "batch_size": None, "l2": 0.0, "init": "normal",
                  "leaky_slope": 0.01, "patience": None, "min_delta": 0.0,
                  "record_weights": False, "dtype": "float64", "shuffle_seed": None,
                  "seed": 0}
_EXAMPLE_FACTS = dict(zip(TASK_FACT_COLUMNS, ("classification", 2, 2, True, True)))


def example_frame(rows: Iterable[Mapping]):
    """A results frame written out by hand, for tests: one ``ok`` row per mapping of
    ``rows``, with the columns of ``sweeps.load`` (arrays left out).

    Each mapping sets the columns a test cares about; the others are those of an ok job
    of ``EXAMPLE_CONFIG`` (metrics NaN, ``layers``, ``depth`` and ``n_params`` from
    ``hidden`` on two inputs and one output). A column the frame does not have is refused.
    """
    import pandas as pd  # deferred: workers import this module

    columns = frame_columns(curves=False, weights=False)
    filled = []
    for given in rows:
        hidden = tuple(given.get("hidden", EXAMPLE_CONFIG["hidden"]))
        layers = [2, *hidden, 1]
        row = {**dict.fromkeys(columns), **EXAMPLE_CONFIG, **_EXAMPLE_FACTS,
               **dict.fromkeys(METRICS, math.nan), "hidden": hidden, "task_params": {},
               "layers": layers_text(layers), "depth": len(hidden), "status": "ok",
               "n_params": sum((a + 1) * b for a, b in zip(layers, layers[1:]))}
        unknown = sorted(set(given) - set(row))
        if unknown:
            raise ValueError(f"the results frame has no column {unknown[0]!r}")
        filled.append({**row, **given})
    frame = pd.DataFrame(filled, columns=columns)
    for column in NONE_COLUMNS:
        frame[column] = pd.Series([r[column] for r in filled], dtype=object)
    return frame


def main_metric(kind: str, split: str = "test") -> str:
    """The metric that says how good a job of this kind is on ``split``.

    ``main_metric("classification", "val")`` is ``val_accuracy``: what configs are chosen
    by; ``main_metric("regression")`` is ``test_mse``: the honest estimate.
    """
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; allowed: {', '.join(SPLITS)}")
    return next(m for m in KIND_METRICS[kind] if m.startswith(f"{split}_"))


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
    """The columns among ``columns`` that describe a config (task parameters included).

    ``task_params`` and the task's facts are left out: they restate the task parameter
    columns (a dict does not group) and follow from them.
    """
    return [c for c in columns if c not in RUN_COLUMNS and c not in _TASK_COLUMNS]


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
