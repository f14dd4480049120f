"""Summary tables and architecture pivots of a sweep, and writers to CSV, Markdown and HTML.

Metrics are aggregated over the ``ok`` seeds of each config; ``diverged`` and ``failed`` jobs
are counted in their own columns (``n_diverged``, ``n_failed``) so they are never dropped
silently, and a config whose every seed failed still has a row (with NaN metrics).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from results.frame import (DERIVED_ARCH, arch_sort, at_depth, available_metrics,
                           config_columns, ok_metric, per_config, prepare, require_single,
                           uniform_width, varying_axes)
from sweeps.schema import STATUSES, higher_is_better, metric_range

#: Statistics of each metric over a config's seeds in :func:`summary_table`.
SUMMARY_STATS = ("mean", "std", "min", "n", "ci_low", "ci_high")


def summary_table(df, *, metrics=None, statuses=("ok",), sort_by=None, ascending=None,
                  varying_only=False):
    """One row per config with each metric aggregated over seeds.

    Parameters
    ----------
    df : pandas.DataFrame
        Results in the ``sweeps.load`` schema, one row per job.
    metrics : list of str, default=None
        Metrics to aggregate; None means every metric column that holds a value.
    statuses : tuple of str, default=("ok",)
        Jobs whose metrics enter the aggregates. Diverged jobs are left out by default:
        their metrics stop at the divergence and would swamp a mean.
    sort_by : str, default=None
        A metric (sorts by its mean) or any column. None sorts by architecture.
    ascending : bool, default=None
        None sorts accuracies descending and everything else ascending.
    varying_only : bool, default=False
        Keep only config axes that vary between configs (for display).

    Returns
    -------
    pandas.DataFrame
        Config axes, ``n_seeds``, ``n_ok``, ``n_diverged``, ``n_failed``, then per metric
        ``<metric>_mean``, ``<metric>_std`` (ddof=1), ``<metric>_min``, ``<metric>_n``
        (seeds aggregated) and ``<metric>_ci_low`` / ``<metric>_ci_high`` (95% Student t
        interval of the mean over those seeds, clipped to the values the metric can take,
        as the figures draw it: an accuracy's to [0, 1], an error's to [0, inf)), and
        ``config_id`` last. When no config has two seeds, ``attrs["note"]`` says that there
        is no interval.
    """
    df = prepare(df)
    metrics = list(metrics) if metrics is not None else available_metrics(df)
    stats = _clip_intervals(per_config(df, metrics, stats=SUMMARY_STATS, statuses=statuses),
                            metrics)
    counts = (pd.crosstab(df["config_id"], df["status"])
              .reindex(columns=list(STATUSES), fill_value=0).add_prefix("n_"))
    counts.insert(0, "n_seeds", counts.sum(axis=1))
    configs = stats[config_columns(df)]
    table = configs.join(counts).join(stats.drop(columns=configs.columns)).reset_index()
    table = table[[c for c in table.columns if c != "config_id"] + ["config_id"]]
    if varying_only:  # the config axes of the frame, not the summary's statistics
        keep = set(varying_axes(df)) | set(DERIVED_ARCH)
        table = table.drop(columns=[c for c in config_columns(df) if c not in keep])
    table = _sort(table, sort_by, ascending, metrics)
    seeds = table[[f"{m}_n" for m in metrics]].to_numpy()
    if len(seeds) and not (seeds >= 2).any():
        table.attrs["note"] = ("one seed per config: no confidence interval (run more seeds, "
                               "e.g. --set seed=0,1,2)")
    return table


def _clip_intervals(stats, metrics):
    """Clip each metric's interval to its range: a 2-seed t interval easily leaves it."""
    for m in metrics:
        for end in ("ci_low", "ci_high"):
            stats[f"{m}_{end}"] = stats[f"{m}_{end}"].clip(*metric_range(m))
    return stats


def _sort(table, sort_by, ascending, metrics):
    if sort_by is None:
        if "hidden" in table:
            return arch_sort(table)
        return table
    column = f"{sort_by}_mean" if sort_by in metrics else sort_by
    if column not in table:
        raise ValueError(f"cannot sort by {sort_by!r}: not a metric {metrics} or a column")
    if ascending is None:
        ascending = not higher_is_better(column)
    return table.sort_values(column, ascending=ascending, kind="stable",
                             na_position="last").reset_index(drop=True)


def status_counts(df, *, by=None, pending=None):
    """Number of jobs per status, overall or per group.

    Parameters
    ----------
    df : pandas.DataFrame
        Results in the ``sweeps.load`` schema.
    by : str or list of str, default=None
        Config axes to count per group; None gives one row, ``all``.
    pending : int, default=None
        Jobs planned but not yet run (from ``sweeps.load_meta``); adds a ``pending`` column
        when given (only meaningful without ``by``).

    Returns
    -------
    pandas.DataFrame
        Columns ``ok``, ``diverged``, ``failed`` (always present, zero when none),
        ``pending`` if given, and ``total``.
    """
    df = prepare(df, required=("status",))
    keys = [by] if isinstance(by, str) else list(by or [])
    group = df[keys].astype(str).agg(" ".join, axis=1) if keys else pd.Series("all", df.index)
    counts = pd.crosstab(group, df["status"]).reindex(columns=list(STATUSES), fill_value=0)
    counts.index.name = " ".join(keys) or None
    counts.columns.name = None
    if pending is not None:
        counts["pending"] = int(pending)
    counts["total"] = counts.sum(axis=1)
    return counts


def grid_pivot(df, *, depth=2, metric="test_mse", agg="mean", by=None):
    """A metric over hidden widths: ``[1,i,j,1]`` as an i x j table, ``[1,i,j,k,1]`` by k.

    Parameters
    ----------
    df : pandas.DataFrame
        Results in the ``sweeps.load`` schema.
    depth : {1, 2, 3}, default=2
        Number of hidden layers to tabulate. Depth 1 gives one column indexed by i; depth 3
        stacks one i x j block per k (index levels ``k``, ``i``).
    metric : str, default="test_mse"
    agg : str or callable, default="mean"
        How the ``ok`` seeds of a config are combined.
    by : str or list of str, default=None
        Further config axes to block by (outer index levels), e.g. ``"activation"``.

    Returns
    -------
    pandas.DataFrame
        Cells are NaN for configs with no ``ok`` seed (counted in :func:`summary_table`).
    """
    if depth not in (1, 2, 3):
        raise ValueError(f"depth must be 1, 2 or 3 for a width pivot, got {depth!r}")
    by = [by] if isinstance(by, str) else list(by or [])
    df = at_depth(prepare(df), depth)
    require_single(df, allowed=by, what="grid_pivot")
    names = ["i", "j", "k"][:depth]
    configs = per_config(df, [metric], stats=(agg,), columns=by + ["hidden"])
    widths = pd.DataFrame(configs["hidden"].tolist(), columns=names, index=configs.index)
    data = pd.concat([configs[by], widths], axis=1).assign(value=configs.iloc[:, -1])
    rows = by + (["k", "i"] if depth == 3 else ["i"])
    # One config per cell (require_single): the seeds were aggregated by per_config.
    cells = data.groupby(rows + names[1:2], dropna=False)["value"].first()
    if depth == 1:
        return cells.rename(metric).to_frame()
    table = cells.unstack("j")
    table.columns.name = "j"
    return table


def width_depth_pivot(df, *, metric="test_accuracy", by="activation", agg="mean"):
    """A metric by hidden width (columns) and depth (rows), one block per value of ``by``.

    Only architectures whose hidden layers all share one width enter (the moons/blobs
    grids are built that way).

    Parameters
    ----------
    df : pandas.DataFrame
        Results in the ``sweeps.load`` schema.
    metric : str, default="test_accuracy"
    by : str or list of str, default="activation"
        Config axes that make the outer index levels; None for a single block.
    agg : str or callable, default="mean"

    Returns
    -------
    pandas.DataFrame
        Index (``*by``, ``depth``), columns ``width``.
    """
    by = [by] if isinstance(by, str) else list(by or [])
    df = prepare(df)
    df = df.assign(width=df["hidden"].map(uniform_width)).dropna(subset=["width"])
    if df.empty:
        raise ValueError("width_depth_pivot: no architecture has equal hidden widths")
    require_single(df, allowed=by + ["width"], what="width_depth_pivot")
    configs = per_config(df, [metric], stats=(agg,), columns=by + ["depth", "width"])
    data = configs[by + ["depth"]].assign(width=configs["width"].astype(int),
                                          value=configs.iloc[:, -1])
    # One config per cell (require_single): the seeds were aggregated by per_config.
    table = data.groupby(by + ["depth", "width"], dropna=False)["value"].first()
    table = table.unstack("width")
    return table


def write_table(table, path, *, formats=("csv", "md", "html"), float_format=".4g"):
    """Write a table as CSV, Markdown and/or HTML next to each other.

    Parameters
    ----------
    table : pandas.DataFrame
    path : str or Path
        Path without suffix (a csv/md/html suffix is replaced), e.g. ``report/summary``.
    formats : tuple of {"csv", "md", "html"}, default=("csv", "md", "html")
    float_format : str, default=".4g"
        Format spec of floats in Markdown and HTML; CSV keeps full precision.

    Returns
    -------
    dict
        Format -> written Path.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    unknown = set(formats) - {"csv", "md", "html"}
    if unknown:
        raise ValueError(f"unknown table format(s) {sorted(unknown)}; use csv, md or html")
    index = not isinstance(table.index, pd.RangeIndex)
    written = {}
    if path.suffix.lstrip(".") in ("csv", "md", "html"):
        path = path.with_suffix("")
    for fmt in formats:
        # Append rather than with_suffix: a stem like "summary_lr-0.01" has a dot of its own.
        out = path.with_name(f"{path.name}.{fmt}")
        if fmt == "csv":
            table.to_csv(out, index=index)
        elif fmt == "md":
            flat = table.reset_index() if index else table
            flat = flat.astype(object).where(flat.notna(), None)  # tabulate shows None as "–"
            out.write_text(flat.to_markdown(index=False, floatfmt=float_format,
                                            missingval="–") + "\n")
        else:
            out.write_text(to_html(table, float_format=float_format))
        written[fmt] = out
    return written


def to_html(table, *, float_format=".4g"):
    """HTML fragment of a table with compact floats, NaN shown as a dash."""
    index = not isinstance(table.index, pd.RangeIndex)
    return table.to_html(index=index, na_rep="–", float_format=lambda v: format(v, float_format),
                         classes="results", border=0)
