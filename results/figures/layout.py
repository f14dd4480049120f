"""Panel grids sized from their shape, shared styling, and saving figures.

Every figure in ``results`` is built here so that the sizes, fonts and edge labelling are
the same everywhere: a 56-panel fit grid and a 3 x 18 boundary grid both stay legible
because the figure grows with the grid instead of the panels shrinking to fit a page.

Figures are closed in pyplot as soon as they are made: the caller owns them. A Jupyter cell
ending in ``results.fit_grid(df)`` then shows the figure once (its repr) rather than twice
(the inline backend shows every open pyplot figure at the end of a cell too), and a report
drawing dozens of figures leaves none open. ``plt.show()`` does not know them: save them
(:func:`save_figure`), or let Jupyter display them.
"""
from __future__ import annotations

import math
import os
import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
from matplotlib import ticker
from matplotlib.backends.backend_agg import FigureCanvasAgg

from sweeps.schema import metric_range  # noqa: F401 - the figures' name for it

#: Font sizes (points) used across figures.
TITLE_SIZE = 7
TICK_SIZE = 6
LABEL_SIZE = 8
SUPTITLE_SIZE = 10
FORMATS = ("png", "svg", "pdf")
#: A metric axis is logarithmic when its values span more than this ratio (a decade).
LOG_SPAN = 10.0


def wrap_shape(n, *, col_wrap=None, aspect=1.5):
    """(rows, cols) for ``n`` panels; ``col_wrap`` None picks a grid about ``aspect`` wide."""
    if n < 1:
        raise ValueError("nothing to draw: no panels")
    cols = col_wrap or max(1, math.ceil(math.sqrt(n * aspect)))
    cols = min(cols, n)
    return math.ceil(n / cols), cols


def panel_grid(n_rows, n_cols, *, panel_size=(1.6, 1.2), sharex=True, sharey=True,
               extra_width=0.0, extra_height=0.5):
    """A figure of ``n_rows x n_cols`` small panels whose size follows the grid shape.

    Parameters
    ----------
    n_rows, n_cols : int
    panel_size : (float, float), default=(1.6, 1.2)
        Width and height of one panel in inches.
    sharex, sharey : bool or str
        As for ``matplotlib.pyplot.subplots``.
    extra_width, extra_height : float
        Inches added for a colorbar or legend and for the suptitle.

    Returns
    -------
    fig : matplotlib.figure.Figure
        Already closed in pyplot (it stays usable: draw, save, display).
    axes : ndarray of Axes, shape (n_rows, n_cols)
    """
    size = (panel_size[0] * n_cols + 0.6 + extra_width,
            panel_size[1] * n_rows + 0.4 + extra_height)
    with sns.axes_style("ticks"):
        # Constrained layout keeps titles and tick labels of neighbours from colliding.
        fig, axes = plt.subplots(n_rows, n_cols, figsize=size, sharex=sharex, sharey=sharey,
                                 squeeze=False, layout="constrained")
    # Made by pyplot, which loads the backend (in Jupyter that sets up the inline display
    # of figures), then closed there: the figure is the caller's, and Jupyter displays it
    # once. Closing leaves a bare canvas, on which seaborn's mid-way draw (a heatmap checks
    # its tick labels) does nothing: an Agg canvas keeps the drawing what it was.
    plt.close(fig)
    FigureCanvasAgg(fig)
    for ax in axes.flat:
        ax.tick_params(labelsize=TICK_SIZE, length=2, pad=1)
        sns.despine(ax=ax)
    return fig, axes


def hide_unused(axes, used):
    """Hide panels not in ``used`` and show tick labels wherever an edge is exposed.

    With shared axes matplotlib shows x tick labels only on the bottom row; a panel that sits
    above an empty slot of a wrapped grid would otherwise lose them.
    """
    used = np.asarray(used, dtype=bool).reshape(axes.shape)
    n_rows, n_cols = axes.shape
    for r in range(n_rows):
        for c in range(n_cols):
            ax = axes[r, c]
            if not used[r, c]:
                ax.set_visible(False)
                continue
            if r + 1 == n_rows or not used[r + 1, c]:
                ax.xaxis.set_tick_params(labelbottom=True)
            if c == 0 or not used[r, :c].any():
                ax.yaxis.set_tick_params(labelleft=True)


def fix_limits(axes, xlim, ylim):
    """Set the limits of a shared grid once and turn autoscaling off.

    Limits come from the data, and with dozens of shared panels matplotlib's autoscaling
    after every added artist costs more than the drawing itself.
    """
    axes.flat[0].set_xlim(*xlim)
    axes.flat[0].set_ylim(*ylim)
    for ax in axes.flat:
        ax.set_autoscale_on(False)


def panel_title(ax, text, *, size=TITLE_SIZE):
    """A compact panel title that does not eat into the neighbouring panels."""
    ax.set_title(text, fontsize=size, pad=2, linespacing=1.0)


def bottom_xlabel(axes, text):
    """``text`` under the lowest visible panel of each column, as seaborn's ``FacetGrid``
    labels them: a figure-wide label would sit where the legend goes (below the panels)."""
    for column in np.asarray(axes).reshape(np.shape(axes)[0], -1).T:
        shown = [ax for ax in column if ax.get_visible()]
        if shown:
            shown[-1].set_xlabel(text, fontsize=LABEL_SIZE)


def figure_title(fig, text):
    """The figure's title (sweep, task, what is shown), wrapped to the figure's width."""
    # About 11 characters per inch at 10 pt: a narrow grid must not clip its own title.
    width = max(20, int(fig.get_figwidth() * 11))
    fig.suptitle(textwrap.fill(text, width), fontsize=SUPTITLE_SIZE)


def value_scale(values, *, metric=None):
    """The scale of an axis (or colour scale) of metric values: ``"log"`` or ``"linear"``.

    The one rule every figure follows: a log scale when the finite values are all positive
    and the largest is more than ten times the smallest (they span more than a decade), so
    that 52 small errors do not sit on the floor of an axis stretched by 4 large ones.
    Linear otherwise, and always when a value is zero or negative (a log axis cannot place
    it, and a symmetric-log axis reads as a log one where it is not) and for accuracies,
    which live on [0, 1] where a log axis only distorts.

    Parameters
    ----------
    values : array-like
        Every value the axis shows (NaN and infinities are left out).
    metric : str, default=None
        The metric's name, when the axis shows one metric.

    Returns
    -------
    {"log", "linear"}
    """
    if metric is not None and "accuracy" in metric:
        return "linear"
    values = np.asarray(values, dtype=float).ravel()
    values = values[np.isfinite(values)]
    if values.size < 2 or values.min() <= 0:
        return "linear"
    return "log" if values.max() / values.min() > LOG_SPAN else "linear"


def log_axis(ax, which="y"):
    """Log scale with plain tick labels (20, 50, 100; 0.001 ...), no crowded minor labels.

    Shared axes share their tickers, so one call sets every panel of a grid.
    """
    axis = ax.yaxis if which == "y" else ax.xaxis
    (ax.set_yscale if which == "y" else ax.set_xscale)("log")
    low, high = axis.get_view_interval()
    decades = np.log10(high / low) if low > 0 and high > low else 10
    # 1-2-3-5 or 1-2-5 ticks when the range is short enough to label them, decades
    # otherwise: a band of values between two labels would read as unlabelled.
    subs = (1, 2, 3, 5) if decades <= 2 else (1, 2, 5) if decades <= 3 else (1,)
    axis.set_major_locator(ticker.LogLocator(subs=subs))
    axis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_formatter(ticker.NullFormatter())


def save_figure(fig, path, format=None, *, dpi=150):
    """Save a figure as PNG (default), SVG or PDF, creating the directory.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : str or Path
        Target file; a png/svg/pdf suffix is replaced by ``format`` when both are given.
    format : {"png", "svg", "pdf"}, default=None
        None takes the suffix of ``path`` when it is one of these, else PNG.
    dpi : int, default=150
        Resolution of PNG output.

    Returns
    -------
    Path
        The written file.
    """
    path = Path(path)
    suffix = path.suffix.lstrip(".").lower()
    fmt = (format or (suffix if suffix in FORMATS else "png")).lower()
    if fmt not in FORMATS:
        raise ValueError(f"unknown figure format {fmt!r}; use one of {FORMATS}")
    # Append rather than with_suffix: a stem like "fits_lr-0.01" has a dot of its own.
    stem = path.with_suffix("") if suffix in FORMATS else path
    path = stem.with_name(f"{stem.name}.{fmt}")
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written beside and moved in place, so a page being read never shows half a figure.
    partial = path.with_name(f".{path.name}.partial")
    fig.savefig(partial, format=fmt, dpi=dpi)
    os.replace(partial, path)
    return path


def close(fig):
    """Release a figure's memory now (the report draws many); pyplot let it go already."""
    fig.clear()

