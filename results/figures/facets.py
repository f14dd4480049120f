"""The one faceting path: a panel per value of a column, a colour per value of another.

seaborn's ``FacetGrid`` does the same for plain plotting functions; the figures here draw
bands over seeds, seed ranges and colorbars themselves, so they use this small helper
instead, built on :mod:`results.figures.layout` for sizes and fonts.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib import colors as mcolors
from matplotlib.cm import ScalarMappable

from results.figures.layout import (LABEL_SIZE, TICK_SIZE, hide_unused, panel_grid,
                                    panel_title, wrap_shape)


def facet_panels(data, col, *, col_wrap, panel_size, sharey=True, extra_width=1.0):
    """One panel per value of ``col`` (a single panel when ``col`` is None), wrapped.

    Parameters
    ----------
    data : pandas.DataFrame
    col : str or None
        Column with one panel per value, in sorted order.
    col_wrap : int or None
        Panels per row.
    panel_size : (float, float)
        Inches per panel.
    sharey : bool, default=True
    extra_width : float, default=1.0
        Inches for a legend or colorbar on the right.

    Returns
    -------
    fig : matplotlib.figure.Figure
    axes : ndarray of Axes
        Every panel of the grid, unused ones hidden.
    panels : list of (Axes, pandas.DataFrame)
        Each used panel with its rows of ``data``, titled ``col = value``.
    """
    values = ordered(data[col].unique()) if col else [None]
    fig, axes = panel_grid(*wrap_shape(len(values), col_wrap=col_wrap), panel_size=panel_size,
                           sharex=True, sharey=sharey, extra_width=extra_width)
    panels = []
    for ax, value in zip(axes.flat, values):
        if col:
            panel_title(ax, f"{col} = {value}", size=LABEL_SIZE)
        panels.append((ax, data if col is None else data[data[col] == value]))
    hide_unused(axes, np.arange(axes.size) < len(values))
    return fig, axes, panels


def ordered(values):
    """Distinct values in reading order: numbers by value, anything else by its text."""
    values = list(pd.unique(pd.Series(list(values), dtype=object).dropna()))
    numeric = all(isinstance(v, (int, float, np.number)) and not isinstance(v, bool)
                  for v in values)
    return sorted(values) if numeric else sorted(values, key=str)


def palette(values):
    """``value -> colour`` from seaborn's ``deep`` palette, in :func:`ordered` order."""
    order = ordered(values)
    return dict(zip(order, sns.color_palette("deep", len(order))))


def figure_legend(fig, handles, labels, *, title=None):
    """The figure's legend, outside on the right, in the figures' font sizes."""
    fig.legend(handles, [str(label) for label in labels], title=title,
               loc="outside right center", fontsize=TICK_SIZE + 1,
               title_fontsize=LABEL_SIZE, frameon=False)


def color_norm(values, *, log=None):
    """A colour scale over the finite ``values``.

    ``log=None`` takes a log scale when the values are positive and span more than a
    decade, ``True`` whenever they are positive, ``False`` never.
    """
    values = np.asarray(values, dtype=float)
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return mcolors.Normalize(0, 1)
    low, high = float(finite.min()), float(finite.max())
    if low > 0 and (log or (log is None and high / low > 10)):
        return mcolors.LogNorm(low, high if high > low else low * 10)
    return mcolors.Normalize(low, high if high > low else low + 1)


def figure_colorbar(fig, axes, norm, cmap, label, **kwargs):
    """A colorbar beside ``axes`` for a continuous colour, in the figures' font sizes."""
    bar = fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=axes, **kwargs)
    bar.set_label(label, fontsize=LABEL_SIZE)
    bar.ax.tick_params(which="both", labelsize=TICK_SIZE)
    return bar
