"""Which figures a report draws, and with which facets: :func:`plan_figures`.

Which figures follows from the data: loss curves, metric against size and final weights
for every task, fit grids and error heatmaps for 1-D regression, decision boundaries for
2-D classification. The config axes that vary facet each figure where it has room (a
column, a row, a colour) and split it into one figure per value, with a note, where it has
not (:func:`results.figures.facets.facet_split`). Nothing is drawn here.
"""
from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pandas as pd

from results.figures import (boundary_comparison, decision_boundaries, error_heatmaps,
                             fit_grid, loss_curves, metric_vs_size, weight_histograms,
                             weight_stat_curves)
from results.figures.facets import facet_split, levels, matches
from results.frame import held_out, lockstep, task_fact, varying_axes
from sweeps.schema import main_metric

#: The axes people compare first get the first facets (a column, then a row).
PRIORITY = ("activation", "optimizer", "loss", "lr", "epochs", "batch_size", "l2", "output")


class Figure(NamedTuple):
    """One figure of the plan: file stem, title, what draws it from which rows, and the
    note shown before it (why the figures of its kind are split), if any."""

    name: str
    title: str
    func: Callable
    df: pd.DataFrame
    options: dict
    note: str | None = None


def plan_figures(df, *, boundary_depth=None, sweep=None):
    """Every figure of the report, nothing drawn yet.

    Per task, the varying axes facet a figure where it has room (a column, a row, a
    colour) and split it into one figure per value where it has not
    (:func:`results.figures.facets.facet_split`).

    Parameters
    ----------
    df : pandas.DataFrame
        Prepared results (:func:`results.frame.prepare`).
    boundary_depth : int, default=None
        As for :func:`build_report`.
    sweep : str, default=None
        The sweep's name (``sweeps.load_meta``): titles start with it, and with the task
        beside it when the sweep has several; None names the task alone.

    Returns
    -------
    list of Figure
        Each with ``name`` (file stem), ``title``, ``func``, ``df`` (its rows),
        ``options`` and ``note`` (why figures of its kind are split, on the first one).
    """
    plan = []
    tasks = df["task"].nunique()
    for task, sub in df.groupby("task", sort=True):
        name = task if sweep is None else sweep if tasks == 1 else f"{sweep} ({task})"
        figures = _task_plan(task, sub, boundary_depth, name)
        plan += figures if sweep is None else [
            f._replace(options={**f.options, "sweep": name}) for f in figures]
    return plan


def _task_plan(task, sub, boundary_depth, name):
    """The figures of one task, their page titles starting with ``name``."""
    plan = []
    kind, n_in = task_fact(sub, "kind"), task_fact(sub, "n_in")
    if not (sub["status"] == "ok").any():
        kind = None  # no job of this task has finished ok yet: no metric, fit or region
    axes = _facet_axes(sub)
    facets, split, note = facet_split(sub, axes, slots=2)
    col = facets[0] if facets else "depth"
    row = facets[1] if len(facets) > 1 else None
    hue = "depth" if col != "depth" else "n_params"
    plan += _figures(f"{task}_loss_curves", f"{name}: loss curves", sub, split, note,
                     loss_curves, col=col, row=row, hue=hue,
                     sharey="loss" not in (col, row))
    if kind is not None:
        metric = main_metric(kind, "test" if held_out(sub, "test") else "train")
        plan += _figures(f"{task}_{metric}_vs_size", f"{name}: {metric} vs size", sub,
                         split, note, metric_vs_size, metric=metric, hue="depth",
                         col=None if col == "depth" else col, row=row)
    facets, split, note = facet_split(sub, axes, slots=2)  # a colour, then a row
    by = facets[0] if facets else None
    plan += _figures(f"{task}_weights", f"{name}: final weights per layer", sub, split,
                     note, weight_histograms, by=by,
                     row=facets[1] if len(facets) > 1 else None)
    facets, split, note = facet_split(sub, axes, slots=1)
    by = facets[0] if facets else None
    if "weight_stats" in sub and sub["weight_stats"].map(lambda w: w is not None).any():
        plan += _figures(f"{task}_weight_stats",
                         f"{name}: weights per layer during training", sub, split, note,
                         weight_stat_curves, by=by)
    if kind == "regression" and n_in == 1:
        plan += _regression_plan(task, sub, axes, name)
    if kind == "classification" and n_in == 2:
        plan += _boundary_plan(task, sub, axes, boundary_depth, name)
    return plan


def _figures(stem, title, df, split, note, func, **options):
    """The figures of one kind: one, or one per combination of the ``split`` axes (the
    note on the first of them)."""
    return [Figure(f"{stem}{suffix}", f"{title}{label}", func, g, options,
                    note if i == 0 else None)
            for i, (suffix, label, g) in enumerate(_groups(df, split))]


def _regression_plan(task, sub, axes, name):
    # A fit grid's panels are its architectures: an axis can only colour them.
    facets, split, note = facet_split(sub, axes, slots=1, wrap=False)
    plan = _figures(f"{task}_fit_grid", f"{name}: fits", sub, split, note, fit_grid,
                    hue=facets[0] if facets else None)
    facets, split, note = facet_split(sub, axes, slots=1, wrap=False)
    row = facets[0] if facets else None
    for depth in (2, 3):
        if (sub["depth"] == depth).any():
            plan += _figures(f"{task}_heatmap_depth{depth}",
                             f"{name}: test MSE heatmap, depth {depth}", sub, split, note,
                             error_heatmaps, depth=depth, row=row)
    return plan


def _boundary_plan(task, sub, axes, boundary_depth, name):
    plan = []
    others = [a for a in axes if a != "activation"]
    _, split, note = facet_split(sub, others, slots=0)  # rows: activation or depth
    for i, (suffix, label, g) in enumerate(_groups(sub, split)):
        for act in sorted(g["activation"].unique()):
            plan.append(Figure(f"{task}_boundaries_{act}{suffix}",
                                f"{name}: decision boundaries, {act}{label}",
                                decision_boundaries, g, {"activation": act},
                                note if i == 0 and not plan else None))
        if g["activation"].nunique() > 1:
            depth = boundary_depth or int(g["depth"].min())
            plan.append(Figure(f"{task}_boundaries_compare_depth{depth}{suffix}",
                                f"{name}: activations compared at depth {depth}{label}",
                                boundary_comparison, g, {"depth": depth}))
    return plan


def _facet_axes(df):
    """Varying axes worth a facet: the ones people compare first, and one of each pair
    that moves in lockstep (a zip of optimizer and lr, a loss and its output)."""
    axes = sorted(varying_axes(df), key=lambda a: PRIORITY.index(a) if a in PRIORITY
                  else len(PRIORITY))
    kept = []
    for axis in axes:
        if not any(lockstep(df, axis, other) for other in kept):
            kept.append(axis)
    return kept


def _groups(df, axes):
    """(file suffix, title suffix, sub-frame) per combination of values of ``axes``."""
    if not axes:
        return [("", "", df)]
    out = []
    for values in itertools.product(*(levels(df[a]) for a in axes)):
        keep = np.logical_and.reduce([matches(df[a], v) for a, v in zip(axes, values)])
        if not keep.any():
            continue
        pairs = [f"{a}={v}" for a, v in zip(axes, values)]
        stem = re.sub(r"[^A-Za-z0-9.=_-]+", "-", "_".join(pairs)).replace("=", "-")
        out.append(("_" + stem, " (" + ", ".join(pairs) + ")", df[keep]))
    return out
