"""How the weights of each layer come out of training, compared across a config axis.

:func:`weight_histograms` shows the final weights of every layer (stored with every job);
:func:`weight_stat_curves` the spread of each layer's weights over the epochs, from
the statistics jobs record with ``record_weights = true`` (``nncore.weight_stats``). The
material compares optimizers this way: adam and adagrad reach different weight scales.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from nncore.weight_stats import STATS
from results.figures.facets import facet_panels, figure_legend, palette, panel_cells
from results.figures.layout import LABEL_SIZE, bottom_xlabel, figure_title, panel_title
from results.frame import prepare, require_single
from sweeps.schema import ARCH_COLUMNS


def weight_histograms(df, *, by="optimizer", row=None, statuses=("ok",), bins=40,
                      col_wrap=4, panel_size=(3.0, 2.2), title=None,
                      sweep=None):
    """Histograms of the final weights, one panel per layer, one colour per value of ``by``.

    Parameters
    ----------
    df : pandas.DataFrame
        Results in the ``sweeps.load`` schema with weights.
    by : str or None, default="optimizer"
        Config axis whose values are compared (None: one colour).
    row : str, default=None
        Config axis with one row of panels (one per layer) per value.
    statuses : tuple of str, default=("ok",)
    bins : int, default=40
        Bins shared by every colour of a panel.
    col_wrap, panel_size, title
        Layout, as for the other figures.
    sweep : str, default=None
        The sweep's name, which the default title starts with; None: the task's.

    Returns
    -------
    matplotlib.figure.Figure
        Panel ``layer l``: the weights into layer ``l`` (1 is the first hidden layer) of
        every job, as densities, so groups with more jobs do not dominate.
    """
    df = prepare(df, required=("config_id", "status", "hidden", "weights"))
    df = df[df["status"].isin(statuses) & df["weights"].map(lambda w: isinstance(w, list))]
    if df.empty:
        raise ValueError(f"no stored weights among jobs with status in {statuses}")
    by = by if by in df else None
    require_single(df, allowed=[a for a in (by, row, *ARCH_COLUMNS) if a],
                   what="weight_histograms")
    long = pd.DataFrame([(l + 1, job[by] if by else "all", job[row] if row else None, value)
                         for _, job in df.iterrows()
                         for l, W in enumerate(job["weights"]) for value in np.ravel(W)],
                        columns=["layer", "group", row or "_row", "value"])
    fig, axes, panels = facet_panels(long, "layer", row=row, col_wrap=col_wrap,
                                     panel_size=panel_size, sharey=False)
    colors = palette(long["group"].unique())
    for ax, sub in panels:
        edges = np.histogram_bin_edges(sub["value"], bins=bins)
        for group in colors:  # in the legend's order, whatever order the jobs finished in
            values = sub.loc[sub["group"] == group, "value"]
            if values.empty:
                continue
            ax.hist(values, bins=edges, density=True, histtype="stepfilled", alpha=0.35,
                    color=colors[group], edgecolor=colors[group], lw=1.0)
    if by:
        handles = [Line2D([], [], color=c, lw=4, alpha=0.6) for c in colors.values()]
        figure_legend(fig, handles, colors, title=by)
    bottom_xlabel(axes, "weight value")
    fig.supylabel("density", fontsize=LABEL_SIZE)
    what = f" by {by}" if by else ""
    figure_title(fig, title or f"{sweep or df['task'].iloc[0]}: final weights of each layer{what} "
                 "(all configs and seeds)")
    return fig


def weight_stat_curves(df, *, by="optimizer", stats=("std", "range"), statuses=("ok",),
                panel_size=(2.8, 2.0), title=None, sweep=None):
    """Each layer's weight spread over the epochs, one colour per value of ``by``.

    Parameters
    ----------
    df : pandas.DataFrame
        Results in the ``sweeps.load`` schema with curves, of jobs run with
        ``record_weights = true``.
    by : str or None, default="optimizer"
    stats : tuple of {"std", "range", "min", "max", "mean"}, default=("std", "range")
        One row of panels each; ``range`` is max - min.
    statuses : tuple of str, default=("ok",)
    panel_size, title, sweep
        As for :func:`weight_histograms`.

    Returns
    -------
    matplotlib.figure.Figure
        Rows: the statistics; columns: the layers; lines: the mean over the jobs of each
        value of ``by`` at each recorded epoch.
    """
    allowed = (*STATS, "range")
    if not set(stats) <= set(allowed):
        raise ValueError(f"unknown statistic in {stats}; allowed: {', '.join(allowed)}")
    df = prepare(df, required=("config_id", "status", "hidden", "weight_stats"))
    df = df[df["status"].isin(statuses) & df["weight_stats"].map(lambda w: isinstance(w, dict))]
    if df.empty:
        raise ValueError("no job recorded weight statistics; run the sweep with "
                         "record_weights = true")
    by = by if by in df else None
    require_single(df, allowed=[a for a in (by, *ARCH_COLUMNS) if a],
                   what="weight_stat_curves")
    long = _stats_frame(df, by)
    layers = sorted(long["layer"].unique())
    fig, axes, panels = panel_cells(
        {(stat, layer): (r, c) for r, stat in enumerate(stats) for c, layer in enumerate(layers)},
        (len(stats), len(layers)), panel_size=panel_size, sharey="row")
    colors = palette(long["group"].unique())
    for r, stat in enumerate(stats):
        for c, layer in enumerate(layers):
            ax = panels[(stat, layer)]
            sub = long[long["layer"] == layer]
            for group in colors:  # in the legend's order
                rows = sub[sub["group"] == group]
                if rows.empty:
                    continue
                curve = rows.groupby("epoch")[stat].mean()
                ax.plot(curve.index, curve.to_numpy(), color=colors[group], lw=1.1)
            if r == 0:
                panel_title(ax, f"layer {layer}", size=LABEL_SIZE)
            if c == 0:
                ax.set_ylabel(f"weight {stat}", fontsize=LABEL_SIZE)
    if by:
        handles = [Line2D([], [], color=c, lw=1.5) for c in colors.values()]
        figure_legend(fig, handles, colors, title=by)
    bottom_xlabel(axes, "epoch")
    what = f" by {by}" if by else ""
    figure_title(fig, title or f"{sweep or df['task'].iloc[0]}: weights of each layer during "
                 f"training{what} (mean over configs and seeds)")
    return fig


def _stats_frame(df, by):
    """One row per (job, layer, recorded epoch) with the weights' statistics."""
    records = []
    for _, row in df.iterrows():
        epochs, values = row["weight_stats"]["epoch"], np.asarray(row["weight_stats"]["stats"])
        for l in range(values.shape[1]):
            weights = values[:, l, 0]  # (points, stats) of the weights, not the biases
            for epoch, point in zip(epochs, weights):
                record = dict(zip(STATS, point), layer=l + 1, epoch=int(epoch),
                              group=row[by] if by else "all")
                record["range"] = record["max"] - record["min"]
                records.append(record)
    return pd.DataFrame(records)
