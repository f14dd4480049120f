"""The figure of a paired comparison: A against B per config, and the differences."""
from __future__ import annotations

import numpy as np
import seaborn as sns
from matplotlib.lines import Line2D

from results.figures.facets import figure_legend, palette, panel_cells
from results.figures.layout import LABEL_SIZE, TICK_SIZE, figure_title, log_axis, value_scale


def compare_plot(table, *, hue="depth", title=None):
    """Paired scatter of the two sides with the diagonal, and the distribution of differences.

    Parameters
    ----------
    table : pandas.DataFrame
        The output of :func:`results.compare` (with its verdict in ``attrs``).
    hue : str, default="depth"
    title : str, default=None
        None: the verdict line.

    Returns
    -------
    matplotlib.figure.Figure
        Left: A (y) against B (x), one point per paired config (mean over its paired
        seeds); above the diagonal A is higher. Right: histogram of the differences
        A - B, with zero and the median marked.
    """
    on, (la, lb) = table.attrs["on"], table.attrs["labels"]
    paired = table[table["n_paired"] > 0]
    if paired.empty:
        raise ValueError("the two sides share no config with an ok seed on both: nothing "
                         "to compare")
    fig, axes, _ = panel_cells({"paired": (0, 0), "differences": (0, 1)}, (1, 2),
                               panel_size=(3.4, 3.0), sharex=False, sharey=False,
                               extra_height=0.8)
    hue = hue if hue in paired else None
    colors = palette(paired[hue].unique()) if hue else None
    _scatter_panel(axes[0, 0], paired, f"{on}_{lb}", f"{on}_{la}", hue, colors)
    axes[0, 0].set_xlabel(f"{on} ({lb})", fontsize=LABEL_SIZE)
    axes[0, 0].set_ylabel(f"{on} ({la})", fontsize=LABEL_SIZE)
    _difference_panel(axes[0, 1], paired["diff"].to_numpy(dtype=float), la, lb, on)
    if colors:
        handles = [Line2D([], [], marker="o", ls="", color=c, ms=4) for c in colors.values()]
        figure_legend(fig, handles, colors, title=hue)
    figure_title(fig, title or table.attrs["verdict"]["text"])
    return fig


def _scatter_panel(ax, paired, x, y, hue, colors):
    """A against B per config, on equal axes with the y = x line."""
    sns.scatterplot(data=paired, x=x, y=y, hue=hue, palette=colors, s=18, ax=ax, legend=False)
    values = paired[[x, y]].to_numpy(dtype=float)
    low, high = np.nanmin(values), np.nanmax(values)
    log = value_scale(values, metric=x) == "log"
    # The same range on both axes, so that the y = x line is the diagonal.
    pad = 0.05 * (high - low) or 0.05 * abs(high) or 0.05
    lims = (low / 1.3, high * 1.3) if log else (low - pad, high + pad)
    ax.plot(lims, lims, color="0.5", lw=0.8, ls="--")
    ax.set_xlim(*lims)
    ax.set_ylim(*lims)
    if log:
        log_axis(ax, "x")
        log_axis(ax, "y")
    ax.tick_params(labelsize=TICK_SIZE + 1)


def _difference_panel(ax, diffs, la, lb, on):
    """Histogram of the paired differences A - B, with zero and their median."""
    diffs = diffs[np.isfinite(diffs)]
    bins = min(30, max(5, len(diffs) // 3))
    ax.hist(diffs, bins=bins, color=sns.color_palette("deep")[0], alpha=0.8)
    ax.axvline(0, color="0.3", lw=0.8, ls="--")
    ax.axvline(np.median(diffs), color="firebrick", lw=1.2, label="median")
    ax.set_xlabel(f"{on}: {la} − {lb} (per config)", fontsize=LABEL_SIZE)
    ax.set_ylabel("configs", fontsize=LABEL_SIZE)
    ax.legend(fontsize=TICK_SIZE + 1, frameon=False)
    ax.tick_params(labelsize=TICK_SIZE + 1)
