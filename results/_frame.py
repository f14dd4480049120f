"""Helpers shared by tables and figures: which columns are what in a ``sweeps.load`` frame.

The frame is tidy: one row per job (one seed of one config). Everything that is not an
identity, status, metric, curve or weight column is a config axis, which is how task
parameters (``noise``, ``n_samples``, ...) are picked up without a list of them here.
"""
from __future__ import annotations

import pandas as pd

#: Metric columns in the order tables show them.
METRICS = ("test_mse", "train_mse", "test_accuracy", "train_accuracy",
           "test_loss", "train_loss", "epochs_run", "wall_time")
#: Statuses a job can have once it has run.
STATUSES = ("ok", "diverged", "failed")
#: Columns that describe a job's run, not its config (``sweeps.load`` also adds the
#: bookkeeping columns ``run_id``, ``worker``, ``started``, ``finished``).
RUN_COLUMNS = frozenset({"key", "config_id", "seed", "status", "error", "traceback",
                         "curve_epoch", "curve_loss", "weights", "biases", "run_id",
                         "worker", "started", "finished", *METRICS})
#: Config axes fully determined by the architecture.
ARCH_COLUMNS = ("hidden", "layers", "depth", "n_params")


def prepare(df, *, required=("config_id", "status", "hidden")):
    """Check a results frame and return a copy with ``hidden`` as tuples.

    Parameters
    ----------
    df : pandas.DataFrame
        A frame as returned by ``sweeps.load``.
    required : sequence of str
        Columns the caller needs.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    ValueError
        If the frame is empty or lacks a required column.
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame from sweeps.load, got {type(df).__name__}")
    if df.empty:
        raise ValueError("the results frame is empty: no finished jobs to show")
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise ValueError(f"the results frame lacks column(s) {missing}; "
                         "expected the schema of sweeps.load")
    out = df.copy()
    if "hidden" in out:
        # Lists are not hashable; tuples group, sort and compare like the spec reads.
        out["hidden"] = out["hidden"].map(lambda h: tuple(int(v) for v in h))
    if "depth" not in out and "hidden" in out:
        out["depth"] = out["hidden"].map(len)
    return out


def config_columns(df):
    """Config axes of ``df`` (every column that is not about a run), in frame order."""
    return [c for c in df.columns if c not in RUN_COLUMNS]


def available_metrics(df):
    """Metric columns of ``df`` that hold at least one value."""
    return [m for m in METRICS if m in df and pd.to_numeric(df[m], errors="coerce").notna().any()]


def varying_axes(df, *, exclude=()):
    """Config axes other than the architecture that take more than one value in ``df``."""
    skip = set(exclude) | set(ARCH_COLUMNS)
    return [c for c in config_columns(df)
            if c not in skip and df[c].astype(object).nunique(dropna=False) > 1]


def lockstep(df, a, b):
    """True when axes ``a`` and ``b`` determine each other (a loss and its output, a zip)."""
    pairs = df[[a, b]].astype(str).drop_duplicates()
    return bool(pairs[a].is_unique and pairs[b].is_unique)


def require_single(df, *, allowed, what):
    """Raise if an axis other than ``allowed`` varies: a panel would mix configs silently.

    An axis that moves in lockstep with an allowed one is fine: it splits nothing further.
    """
    extra = [c for c in varying_axes(df, exclude=allowed)
             if not any(lockstep(df, c, a) for a in allowed if a in df)]
    if extra:
        values = {c: sorted(map(str, df[c].astype(object).unique())) for c in extra}
        raise ValueError(f"{what}: the frame has several values of {values}; filter it first "
                         "(e.g. df[df.activation == 'tanh']) or facet by that axis")


def arch_sort(df, *, by=()):
    """Return ``df`` sorted by architecture: depth, then widths from input to output."""
    keys = list(by) + ["depth", "hidden"]
    return df.sort_values(keys, kind="stable", key=_sort_key).reset_index(drop=True)


def _sort_key(col):
    if col.name == "hidden":
        # Sorting tuples lexicographically orders [5,10] before [5,15] before [10,5].
        order = sorted(set(col), key=lambda h: tuple(h))
        rank = {h: r for r, h in enumerate(order)}
        return col.map(rank)
    return col


def layers_label(row):
    """Architecture label such as ``[1,5,10,1]`` (the ``layers`` column when present)."""
    if "layers" in row and isinstance(row["layers"], str):
        return row["layers"]
    return "[" + ",".join(str(h) for h in row["hidden"]) + "]"


def ok_metric(df, metric, statuses=("ok",)):
    """``df[metric]`` with values of jobs outside ``statuses`` masked to NaN."""
    if metric not in df:
        raise ValueError(f"unknown metric {metric!r}; this frame has {available_metrics(df)}")
    values = pd.to_numeric(df[metric], errors="coerce").astype(float)
    return values.where(df["status"].isin(statuses))


def uniform_width(hidden):
    """The common width of a hidden-layer tuple, or None when the widths differ."""
    return hidden[0] if len(hidden) and len(set(hidden)) == 1 else None


def seed_rows(df, *, seed=None):
    """One ``ok`` row per config: the lowest seed, or ``seed`` when given."""
    ok = df[df["status"] == "ok"]
    if seed is not None:
        return ok[ok["seed"] == seed]
    return ok.sort_values("seed", kind="stable").drop_duplicates("config_id")

