"""The results frame as ``results`` reads it: loading, checking, and the questions every
table and figure asks of it (which columns are config axes, which vary, per-config values).

The frame is tidy: one row per job (one seed of one config), with the columns of
:mod:`sweeps.schema`. Everything that is not a run column there is a config axis, which is
how task parameters (``noise``, ``n_samples``, ...) are picked up without a list of them.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from results.stats import t_halfwidth
from sweeps import schema
from sweeps.schema import ARCH_COLUMNS, METRICS, TASK_FACT_COLUMNS
from sweeps.values import hashable

#: The architecture columns that follow from ``hidden`` (and the data's widths): shown
#: beside a config, never a key of their own.
DERIVED_ARCH = tuple(c for c in ARCH_COLUMNS if c != "hidden")


def load_results(out_dir, *, curves=True, weights=True):
    """``sweeps.load`` with clear errors for a missing or empty results directory.

    Raises
    ------
    FileNotFoundError
        If ``out_dir`` does not exist or holds no sweep results.
    ValueError
        If the sweep has no finished job yet.
    """
    import sweeps

    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        problem = "is not a directory" if out_dir.exists() else "does not exist"
        raise FileNotFoundError(f"results directory {out_dir} {problem}")
    try:
        df = sweeps.load(out_dir, curves=curves, weights=weights)
    except FileNotFoundError as err:
        raise FileNotFoundError(f"no sweep results in {out_dir} ({err})") from err
    if df.empty:
        stale = sweeps.load_meta(out_dir)["stale"]
        if stale:
            raise ValueError(f"{out_dir} holds {stale} results of an older results format "
                             "only; run the sweep again (`sweeps run`) to train them under "
                             "the current one")
        raise ValueError(f"no finished jobs in {out_dir} yet: nothing to report")
    return df


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
    for column in config_columns(out):
        # Any other list- or dict-valued axis (a CSV task's categorical columns) is one
        # value per job as well: a tuple groups, compares and prints as one.
        if out[column].dtype == object and out[column].map(_container).any():
            out[column] = out[column].map(hashable)
    if "depth" not in out and "hidden" in out:
        out["depth"] = out["hidden"].map(len)
    return out


def _container(value):
    return isinstance(value, (list, tuple, dict))


def task_fact(df, fact):
    """A fact of the task of ``df``'s jobs (``sweeps.schema.TASK_FACT_COLUMNS``), as
    ``sweeps.load`` carries it; None when no job knows it (every job failed before its
    data existed).

    Raises
    ------
    ValueError
        If ``df`` lacks the fact's column (a frame not made by ``sweeps.load``).
    """
    if fact not in TASK_FACT_COLUMNS:
        raise ValueError(f"unknown task fact {fact!r}; the facts are {TASK_FACT_COLUMNS}")
    if fact not in df:
        raise ValueError(f"the results frame lacks the task fact column {fact!r}; expected "
                         f"the schema of sweeps.load (columns {TASK_FACT_COLUMNS})")
    known = df[fact].dropna()
    return None if known.empty else known.iloc[0]


def held_out(df, split):
    """Whether the task of ``df``'s jobs holds out ``split`` ("val" or "test") rows.

    A truth table (or a CSV with ``test_size = val_size = 0``) trains and is scored on
    every row: it has training metrics only.
    """
    task_fact(df, f"has_{split}")  # the column's check
    return bool(df[f"has_{split}"].eq(True).any())


def config_columns(df):
    """Config axes of ``df`` (every column that is not about a run), in frame order."""
    return schema.config_columns(df.columns)


def task_kind(df):
    """``"regression"`` or ``"classification"``: the task's kind, from the frame."""
    return task_fact(df, "kind")


def available_metrics(df):
    """Metric columns of ``df`` that hold at least one value."""
    return [m for m in METRICS if m in df and pd.to_numeric(df[m], errors="coerce").notna().any()]


def varying_axes(df, *, exclude=()):
    """Config axes other than the architecture that take more than one value in ``df``."""
    skip = set(exclude) | set(ARCH_COLUMNS)
    return schema.varying({c: df[c] for c in config_columns(df) if c not in skip})


def lockstep(df, a, b):
    """True when axes ``a`` and ``b`` determine each other (a loss and its output, a zip)."""
    pairs = df[[a, b]].astype(str).drop_duplicates()
    return bool(pairs[a].is_unique and pairs[b].is_unique)


def extra_axes(df, allowed):
    """Varying axes other than ``allowed`` and not in lockstep with one of them."""
    return [c for c in varying_axes(df, exclude=allowed)
            if not any(lockstep(df, c, a) for a in allowed if a in df)]


def require_single(df, *, allowed, what):
    """Raise if an axis other than ``allowed`` varies: a panel would mix configs silently.

    An axis that moves in lockstep with an allowed one is fine: it splits nothing further.
    The message names a filter that works on this frame (one value of each extra axis).
    """
    extra = extra_axes(df, allowed)
    if extra:
        values = {c: sorted({str(v) for v in df[c]}) for c in extra}
        raise ValueError(f"{what}: the frame has several values of {values}; keep one, "
                         f"e.g. {filter_text(df, extra)}, or facet by that axis")


def filter_text(df, axes, name="df"):
    """Python text selecting the rows of ``df`` with one combination of ``axes``' values
    that it holds (the smallest): ``df[df["epochs"] == 500]``."""
    try:
        first = df[list(axes)].dropna().sort_values(list(axes)).iloc[0]
    except TypeError:  # mixed types in a column: any present combination will do
        first = df[list(axes)].dropna().iloc[0]
    terms = []
    for axis in axes:
        value = first[axis].item() if hasattr(first[axis], "item") else first[axis]
        terms.append(f'({name}["{axis}"] == {value!r})' if len(axes) > 1
                     else f'{name}["{axis}"] == {value!r}')
    return f"{name}[{' & '.join(terms)}]"


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


def per_config(df, metrics, *, stats=("mean",), statuses=("ok",), columns=None):
    """Aggregate metrics over the seeds of each config: the one per-config aggregation.

    Parameters
    ----------
    df : pandas.DataFrame
        Results in the ``sweeps.load`` schema.
    metrics : list of str
        Metric columns to aggregate.
    stats : tuple of str or callable, default=("mean",)
        pandas aggregations (``mean``, ``std`` (ddof=1), ``min``, ``max``, ``median``, or
        a function of a Series, named by its ``__name__``),
        ``n`` (the number of seeds that entered) and ``ci_low`` / ``ci_high`` (the 95%
        Student t interval of the mean over those seeds, NaN for a single seed).
    statuses : tuple of str, default=("ok",)
        Jobs whose values enter; the others count as missing.
    columns : list of str, default=None
        Config columns to keep (their first value per config); None keeps every one.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``config_id`` in order of first appearance: ``columns``, then
        ``<metric>_<stat>`` per metric and statistic.
    """
    columns = config_columns(df) if columns is None else list(columns)
    configs = df.groupby("config_id", sort=False)[columns].first()
    values = pd.DataFrame({m: ok_metric(df, m, statuses) for m in metrics})
    interval = {"ci_low", "ci_high"} & set(stats)
    plain = [s for s in stats if s not in interval]
    needed = list(dict.fromkeys(plain + (["mean", "std", "n"] if interval else [])))
    aggregated = values.groupby(df["config_id"]).agg(["count" if s == "n" else s
                                                      for s in needed])
    aggregated.columns = [f"{m}_{'n' if s == 'count' else s}" for m, s in aggregated.columns]
    for m in metrics if interval else ():
        half = t_halfwidth(aggregated[f"{m}_std"], aggregated[f"{m}_n"])
        aggregated[f"{m}_ci_low"] = aggregated[f"{m}_mean"] - half
        aggregated[f"{m}_ci_high"] = aggregated[f"{m}_mean"] + half
    names = [s if isinstance(s, str) else s.__name__ for s in stats]
    return configs.join(aggregated[[f"{m}_{s}" for m in metrics for s in names]])


def at_depth(df, depth):
    """The rows of architectures with ``depth`` hidden layers; raise if there are none."""
    out = df[df["depth"] == depth]
    if out.empty:
        raise ValueError(f"no architecture with {depth} hidden layer(s) in the frame "
                         f"(depths present: {sorted(df['depth'].unique())})")
    return out


def seed_rows(df, *, seed=None):
    """One ``ok`` row per config: the lowest seed, or ``seed`` when given."""
    ok = df[df["status"] == "ok"]
    if seed is not None:
        return ok[ok["seed"] == seed]
    return ok.sort_values("seed", kind="stable").drop_duplicates("config_id")

