"""The figure of a comparison of two sweeps: the two sides per config, and their difference.
"""
from __future__ import annotations

import numpy as np
import seaborn as sns
from matplotlib.lines import Line2D

from results.figures.facets import figure_legend, palette
from results.figures.layout import (LABEL_SIZE, TICK_SIZE, figure_title, log_axis,
                                    log_helps, panel_grid)


def compare_plot(table, *, hue="depth", title=None):
    """Scatter of the two sides' metric per config, and the difference against size.

    Parameters
    ----------
    table : pandas.DataFrame
        The output of :func:`compare`.
    hue : str, default="depth"
    title : str, default=None

    Returns
    -------
    matplotlib.figure.Figure
        Left: b against a with the y = x line (below it b is lower). Right: b - a against
        the number of parameters.
    """
    on, (la, lb) = table.attrs["on"], table.attrs["labels"]
    both = table[table["match"] == "both"]
    if both.empty:
        raise ValueError("the two sweeps share no config: nothing to compare")
    fig, axes = panel_grid(1, 2, panel_size=(3.4, 3.0), sharex=False, sharey=False,
                           extra_width=0.8)
    hue = hue if hue in both else None
    colors = palette(both[hue].unique()) if hue else None
    _scatter_panel(axes[0, 0], both, f"{on}_{la}", f"{on}_{lb}", hue, colors)
    axes[0, 0].set_xlabel(f"{on} ({la})", fontsize=LABEL_SIZE)
    axes[0, 0].set_ylabel(f"{on} ({lb})", fontsize=LABEL_SIZE)
    _diff_panel(axes[0, 1], both, hue, colors)
    axes[0, 1].set_ylabel(f"{on}: {lb} − {la}", fontsize=LABEL_SIZE)
    if colors:
        handles = [Line2D([], [], marker="o", ls="", color=c, ms=4) for c in colors.values()]
        figure_legend(fig, handles, colors, title=hue)
    counts = table["match"].value_counts()
    figure_title(fig, title or f"{on}: {la} vs {lb} ({counts.get('both', 0)} configs matched"
                 + "".join(f", {n} {m}" for m, n in counts.items() if m != "both") + ")")
    return fig


def _scatter_panel(ax, both, x, y, hue, colors):
    """b against a per config, on equal axes with the y = x line."""
    sns.scatterplot(data=both, x=x, y=y, hue=hue, palette=colors, s=18, ax=ax, legend=False)
    values = both[[x, y]].to_numpy(dtype=float)
    low, high = np.nanmin(values), np.nanmax(values)
    ax.plot([low, high], [low, high], color="0.5", lw=0.8, ls="--")
    log = log_helps(values)
    # The same range on both axes, so that the y = x line is the diagonal.
    pad = 0.05 * (high - low)
    lims = (low / 1.3, high * 1.3) if log else (low - pad, high + pad)
    ax.set_xlim(*lims)
    ax.set_ylim(*lims)
    if log:
        log_axis(ax, "x")
        log_axis(ax, "y")
    ax.tick_params(labelsize=TICK_SIZE + 1)


def _diff_panel(ax, both, hue, colors):
    """The difference b - a against network size."""
    sns.scatterplot(data=both, x="n_params", y="diff", hue=hue, palette=colors, s=18, ax=ax,
                    legend=False)
    ax.axhline(0, color="0.5", lw=0.8, ls="--")
    log_axis(ax, "x")
    ax.set_xlabel("number of parameters", fontsize=LABEL_SIZE)
    ax.tick_params(labelsize=TICK_SIZE + 1)
