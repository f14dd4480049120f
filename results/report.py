"""``build_report(out_dir)``: tables, figures and an ``index.html`` in ``out_dir/report``.

Works on a partly finished sweep: it draws what has finished and says how much is pending.
Which figures, with which facets, is :mod:`results.figure_plan`'s choice. A figure that
cannot be drawn is listed in the report with its error (and logged) rather than stopping
the whole report. A rebuild redraws only the figures whose data changed
(:mod:`results.report_cache`), so a report can follow a running sweep
(``sweeps report --watch``, :mod:`results.live`).
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import NamedTuple

from results import _html
from results.figure_plan import plan_figures
from results.figures.layout import close, save_figure
from results.frame import (held_out, load_results, prepare, task_kind, uniform_width,
                           varying_axes)
from results.report_cache import FigureCache, current_report, figure_digest, write_stamp
from results.selection import best_configs, headline
from results.tiny_nets import learnt_lines, tiny_net_tables
from results.tables import (SUMMARY_STATS, grid_pivot, status_counts, summary_table,
                            width_depth_pivot, write_table)
from sweeps.schema import KIND_METRICS, METRICS

log = logging.getLogger(__name__)
_MAIN = tuple(m for metrics in KIND_METRICS.values() for m in metrics
              if not m.startswith("train_"))  # shown inline: validation and test


class Built(NamedTuple):
    """What one build of a report did.

    Attributes
    ----------
    path : Path
        The report directory.
    drawn : list of str
        Figures drawn by this build (their rows or options changed, or they are new).
    reused : list of str
        Figures kept from an earlier build (the same rows and options).
    """

    path: Path
    drawn: list
    reused: list


def build_report(out_dir, *, df=None, meta=None, figure_format="png", boundary_depth=None,
                 refresh=None):
    """Write tables, figures and ``index.html`` of a sweep to ``out_dir/report``.

    A rebuild draws again only the figures whose data or options changed
    (:mod:`results.report_cache`); the page and tables are rewritten every time.

    Parameters
    ----------
    out_dir : str or Path
        Output directory of a sweep.
    df : pandas.DataFrame, default=None
        Results to report; None reads them with ``sweeps.load(out_dir)``.
    meta : dict, default=None
        ``sweeps.load_meta`` record (spec text, counts incl. pending, versions, whether a
        run is going); None reads it from ``out_dir`` when ``df`` is None, else derives
        the counts from ``df``.
    figure_format : {"png", "svg"}, default="png"
        Format of the figures (PDF does not show in a browser page).
    boundary_depth : int, default=None
        Depth of the activation-comparison boundary figure; None takes the smallest.
    refresh : float, default=None
        While the run is going (``meta["running"]``), the page reloads itself every
        ``refresh`` seconds (``sweeps report --watch`` rebuilds it as often); None never.

    Returns
    -------
    Path
        The report directory; open its ``index.html``.
    """
    return build(out_dir, df=df, meta=meta, figure_format=figure_format,
                 boundary_depth=boundary_depth, refresh=refresh).path


def build(out_dir, *, df=None, meta=None, figure_format="png", boundary_depth=None,
          refresh=None):
    """:func:`build_report`, returning which figures it drew and which it reused."""
    out_dir = Path(out_dir)
    state = None
    if df is None and meta is None and refresh is None:  # the report may stand as it is
        options = {"figure_format": figure_format, "boundary_depth": boundary_depth}
        current, state = current_report(out_dir, options)
        if current is not None:
            return Built(current, [], FigureCache(current / "figures").names())
    if df is None:
        if meta is None:  # first: a run seen as finished here has all its rows in df
            import sweeps
            meta = sweeps.load_meta(out_dir)
        df = load_results(out_dir)
    df = prepare(df)
    meta = dict(meta or {})
    report = out_dir / "report"
    best = _best_tables(df)
    tables = _write_tables(df, meta, report / "tables", best)
    _prune(report / "tables", [p for _, _, files in tables for p in files.values()])
    figures, cache = _write_figures(df, report / "figures", figure_format, boundary_depth,
                                    meta.get("name"))
    headlines = [headline(table) for _, table in best] + learnt_lines(df)
    if not held_out(df, "val") and not held_out(df, "test"):
        headlines.append("No held-out data: this sweep trains and is scored on every row (a "
                         "truth table, or test_size = val_size = 0), so every metric here "
                         "is a training metric and no configuration is chosen.")
    page = _html.index_page(meta, df, tables, figures, report,
                            headline=" ".join(h for h in headlines if h) or None,
                            refresh=refresh)
    write_page(report / "index.html", page)
    write_stamp(report, state)  # read before the rows: never newer than what is shown
    return Built(report, cache.drawn, cache.reused)


def write_page(path, text):
    """Write a page atomically: a browser reloading it never reads half of it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def _prune(folder, keep):
    """Delete the files of ``folder`` not in ``keep``: tables of a past state."""
    keep = {Path(p).name for p in keep}
    for path in Path(folder).iterdir():
        if path.is_file() and path.name not in keep:
            path.unlink(missing_ok=True)


# -- tables ----------------------------------------------------------------------------
def _best_tables(df):
    """(task, its best configs chosen on validation) for each task with an ok job."""
    out = []
    for task, sub in df.groupby("task", sort=True):
        if (sub["status"] == "ok").any() and held_out(sub, "val"):
            out.append((task, best_configs(sub, top=10)))
    return out


def _write_tables(df, meta, folder, best):
    """Write every table; return [(title, DataFrame shown inline, {fmt: Path})]."""
    pending = (meta.get("counts") or {}).get("pending")
    counts = status_counts(df, pending=pending)
    out = [("Jobs by status", counts, write_table(counts, folder / "status_counts"))]
    for task, table in best:
        shown = table.drop(columns=["config_id"])
        out.append((f"{task}: best configurations, chosen on {table.attrs['by']} (never on "
                    f"test); {table.attrs['test']} is their estimate", shown,
                    write_table(shown, folder / f"best_{task}")))
    full = summary_table(df)
    compact = summary_table(df, varying_only=True)
    files = write_table(full, folder / "summary", formats=("csv",))
    files |= write_table(compact.drop(columns="config_id"), folder / "summary",
                         formats=("md", "html"))
    out.append(("Summary: one row per config, mean and 95% CI (Student t) over ok seeds",
                _inline(compact), files))
    for title, name, table in _pivots(df) + tiny_net_tables(df):
        out.append((title, table, write_table(table, folder / name)))
    bad = df[df["status"] != "ok"]
    if len(bad):
        cols = [c for c in ("layers", "activation", "seed", "status", "error", "key") if c in bad]
        fails = bad[cols].assign(error=bad["error"].map(_first_line)).reset_index(drop=True)
        out.append(("Failed and diverged jobs", fails, write_table(fails, folder / "failures")))
    return out


def _inline(summary):
    """The summary with mean and interval of the main metrics only, to keep it readable."""
    stats = [c for c in summary.columns if any(c == f"{m}_{s}" for m in METRICS
                                               for s in SUMMARY_STATS)]
    shown = [m for m in _MAIN if f"{m}_mean" in summary] or [  # nothing held out:
        m for m in METRICS if m.startswith("train_") and f"{m}_mean" in summary]  # train
    main = [f"{m}_{s}" for m in shown for s in ("mean", "ci_low", "ci_high")
            if f"{m}_{s}" in summary]
    table = summary[[c for c in summary.columns if c not in stats and c != "config_id"] + main]
    table.attrs = dict(summary.attrs)
    return table


def _pivots(df):
    """(title, file stem, table) of the architecture pivots that apply to this sweep."""
    out = []
    for task, sub in df.groupby("task", sort=True):
        by = varying_axes(sub) or None
        kind = task_kind(sub) if (sub["status"] == "ok").any() else None  # nothing to pivot
        if kind == "regression":
            for depth in (2, 3):
                if (sub["depth"] == depth).sum():
                    out.append((f"{task}: test MSE of hidden widths, depth {depth}",
                                f"pivot_{task}_mse_depth{depth}",
                                grid_pivot(sub, depth=depth, metric="test_mse", by=by)))
        if kind == "classification" and sub["hidden"].map(uniform_width).notna().any():
            by = [a for a in (by or []) if a != "activation"] + ["activation"]
            out.append((f"{task}: test accuracy by hidden width and depth",
                        f"pivot_{task}_accuracy", width_depth_pivot(sub, by=by)))
    return out


def _first_line(text):
    return str(text).strip().splitlines()[0] if isinstance(text, str) and text.strip() else ""


# -- figures ---------------------------------------------------------------------------
def _write_figures(df, folder, fmt, boundary_depth, sweep):
    """Draw and save every figure whose data changed since the last build; reuse the rest.

    Returns
    -------
    figures : list of (title, Path or error text, note or None)
    cache : FigureCache
        Which figures were drawn and which reused.
    """
    out, cache = [], FigureCache(folder)
    for fig in plan_figures(df, boundary_depth=boundary_depth, sweep=sweep):
        digest = figure_digest(fig.func, fig.df, fig.options, fmt)
        result = cache.lookup(fig.name, digest)
        if result is None:
            result = _draw(fig, folder, fmt)
            cache.record(fig.name, digest, result, drawn=True)
        else:
            cache.record(fig.name, digest, result, drawn=False)
        out.append((fig.title, result, fig.note))
    cache.save()
    return out, cache


def _draw(fig, folder, fmt):
    """Draw and save one figure; the text of the error when it cannot be drawn."""
    try:
        drawn = fig.func(fig.df, **fig.options)
    except Exception as err:  # noqa: BLE001 - reported on the page, not swallowed
        log.warning("figure %s not drawn: %s", fig.name, err)
        return f"not drawn: {type(err).__name__}: {err}"
    try:
        return save_figure(drawn, folder / fig.name, fmt)
    finally:
        close(drawn)
