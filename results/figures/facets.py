"""The one panel-grid path: every figure places its panels here.

:func:`panel_cells` places panels at given (row, column) cells of a grid and hides the
rest; :func:`facet_panels` builds on it for a panel per value of a column (wrapped) or per
(row, column) pair of values. seaborn's ``FacetGrid`` does the same for plain plotting
functions; the figures here draw bands over seeds, seed ranges and colorbars themselves,
so they use this small helper instead, built on :mod:`results.figures.layout` for sizes
and fonts.
"""
from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib import colors as mcolors
from matplotlib.cm import ScalarMappable

from results.figures.layout import (LABEL_SIZE, TICK_SIZE, hide_unused, panel_grid,
                                    panel_title, value_scale, wrap_shape)


#: A grid of panels stays readable up to 6 x 6: a wrapped facet gets at most 36 panels, a
#: row x column grid at most 6 on each side. Beyond that a figure is split (facet_split).
MAX_SIDE = 6
MAX_PANELS = MAX_SIDE * MAX_SIDE


def facet_panels(data, col, *, row=None, col_wrap, panel_size, sharey=True,
                 extra_width=0.0):
    """One panel per value of ``col`` (wrapped), or per (``row``, ``col``) pair of values.

    Parameters
    ----------
    data : pandas.DataFrame
    col : str or None
        Column with one panel per value, in sorted order; None draws a single panel
        (or one column of panels, with ``row``).
    row : str, default=None
        Column with one row of panels per value; the grid is then not wrapped.
    col_wrap : int or None
        Panels per row without ``row``.
    panel_size : (float, float)
        Inches per panel.
    sharey : bool, default=True
    extra_width : float, default=0.0
        Inches for a colorbar on the right (a legend goes below: :func:`figure_legend`).

    Returns
    -------
    fig : matplotlib.figure.Figure
    axes : ndarray of Axes
        Every panel of the grid, unused ones hidden.
    panels : list of (Axes, pandas.DataFrame)
        Each panel holding rows of ``data`` with those rows, titled ``row = v | col = w``
        as seaborn's ``FacetGrid`` titles them.
    """
    cols = levels(data[col]) if col else [None]
    if row is None:
        shape = wrap_shape(len(cols), col_wrap=col_wrap)
        cells = [(None, value) for value in cols]
    else:
        rows = levels(data[row])
        shape = (len(rows), len(cols))
        cells = [(r, c) for r in rows for c in cols]
    places, rows_of = {}, {}
    for i, (r, c) in enumerate(cells):
        keep = np.ones(len(data), dtype=bool)
        if row is not None:
            keep &= matches(data[row], r)
        if col:
            keep &= matches(data[col], c)
        if keep.any():  # a combination the sweep does not hold: its panel stays hidden
            places[(r, c)] = divmod(i, shape[1])
            rows_of[(r, c)] = data[keep]
    fig, axes, placed = panel_cells(places, shape, panel_size=panel_size, sharey=sharey,
                                    extra_width=extra_width)
    panels = []
    for (r, c), ax in placed.items():
        title = " | ".join(f"{a} = {v}" for a, v in ((row, r), (col, c)) if a)
        if title:
            panel_title(ax, title, size=LABEL_SIZE)
        panels.append((ax, rows_of[(r, c)]))
    return fig, axes, panels


def panel_cells(cells, shape, *, panel_size, sharex=True, sharey=True, extra_width=0.0,
                extra_height=0.5, hide=True):
    """A grid of ``shape`` panels with a panel at each of ``cells``: the one grid path.

    Parameters
    ----------
    cells : dict
        Key (what the panel shows: a config, a value, a pair of values) -> (row, col).
    shape : (int, int)
        Rows and columns of the grid.
    panel_size : (float, float)
        Inches per panel.
    sharex, sharey : bool or str
        As for :func:`results.figures.layout.panel_grid`.
    extra_width, extra_height : float
        Inches for a legend or colorbar on the right, and for the title.
    hide : bool, default=True
        Hide the cells no key takes (False: leave them for the caller to mark).

    Returns
    -------
    fig : matplotlib.figure.Figure
    axes : ndarray of Axes, shape ``shape``
    panels : dict
        Key -> its Axes, in the order of ``cells``.
    """
    fig, axes = panel_grid(*shape, panel_size=panel_size, sharex=sharex, sharey=sharey,
                           extra_width=extra_width, extra_height=extra_height)
    used = np.zeros(axes.shape, dtype=bool)
    for r, c in cells.values():
        used[r, c] = True
    if hide:
        hide_unused(axes, used)
    return fig, axes, {key: axes[r, c] for key, (r, c) in cells.items()}


def levels(column):
    """The panels of a facet column: its values in :func:`ordered` order, then None for
    missing ones (``batch_size = None`` is the full batch, a value of its own)."""
    return ordered(column.unique()) + ([None] if column.isna().any() else [])


def matches(column, value):
    """Rows of ``column`` holding ``value`` (None: the missing ones), as a boolean array."""
    return (column.isna() if value is None else column == value).to_numpy()


def facet_split(df, axes, *, slots, wrap=True):
    """Which of ``axes`` become facets of one figure and which split it into several.

    Axes are taken in the order given while the figure has a free slot (``slots``: how
    many axes the figure can facet: a column, a row) and the grid stays readable: at most
    :data:`MAX_PANELS` panels for one wrapped axis, at most :data:`MAX_SIDE` per side of
    a row x column grid. Every other axis splits the figure: one figure per value.

    Parameters
    ----------
    df : pandas.DataFrame
    axes : list of str
        Varying axes, the one compared first first.
    slots : int
        Axes the figure can facet (0: every axis splits it).
    wrap : bool, default=True
        Whether the figure wraps a single facet axis onto several rows; if not, that axis
        too gets at most :data:`MAX_SIDE` values.

    Returns
    -------
    facets : list of str
        At most ``slots`` axes: the column axis, then the row axis.
    split : list of str
        Axes with one figure per combination of values.
    note : str or None
        Why the figure is split, naming the axes; None when it is not.
    """
    facets, split, too_large = [], [], []
    for axis in axes:
        n = df[axis].nunique(dropna=False)
        fits = n <= (MAX_PANELS if wrap else MAX_SIDE) if not facets else (
            n <= MAX_SIDE and df[facets[0]].nunique(dropna=False) <= MAX_SIDE)
        if len(facets) < slots and fits:
            facets.append(axis)
        else:
            split.append(axis)
            if len(facets) < slots:
                too_large.append(axis)
    if not split:
        return facets, split, None
    if too_large:
        sizes = " x ".join(f"{df[a].nunique(dropna=False)} {a}" for a in facets + split)
        why = (f"{sizes} would be more panels than a figure shows readably (at most "
               f"{MAX_SIDE} x {MAX_SIDE})")
    elif facets:
        why = f"{' and '.join(facets)} already facet{'s' if len(facets) == 1 else ''} it"
    else:
        why = "its panels leave no room for another axis"
    return facets, split, f"Split by {', '.join(split)}: one figure per value, as {why}."


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


def figure_legend(fig, handles, labels, *, title=None, note=None):
    """The figure's legend, below the panels, in the figures' font sizes.

    Below, so that it takes none of the width the data is drawn in: as many columns as
    the figure's width holds, and the figure grows by the legend's rows instead of the
    panels shrinking. ``note``, a sentence about the figure, goes above the entries in
    place of a title (the layout keeps free text from colliding only there).
    """
    labels = [str(label) for label in labels]
    ncols = legend_columns(labels, fig.get_figwidth())
    if note is not None:
        title = textwrap.fill(note, int(fig.get_figwidth() * 15))
    rows = -(-len(labels) // ncols) + (title.count("\n") + 1 if title else 0)
    fig.set_figheight(fig.get_figheight() + 0.16 * rows)
    fig.legend(handles, labels, title=title, loc="outside lower center", ncols=ncols,
               fontsize=TICK_SIZE + 1, frameon=False,
               title_fontsize=TICK_SIZE + 1 if note is not None else LABEL_SIZE)


def legend_columns(labels, width):
    """The most columns whose entries fit side by side in ``width`` inches.

    matplotlib fills a legend's columns top to bottom; each column is as wide as its
    longest label (about 0.055 in per character at the legend's size) plus the marker.
    """
    for ncols in range(len(labels), 1, -1):
        rows = -(-len(labels) // ncols)
        columns = [labels[i:i + rows] for i in range(0, len(labels), rows)]
        if sum(0.45 + 0.055 * max(map(len, c)) for c in columns) <= width - 0.3:
            return ncols
    return 1


def color_norm(values, *, log=None, metric=None):
    """A colour scale over the finite ``values``.

    ``log=None`` follows :func:`results.figures.layout.value_scale` (log when the values
    are positive and span more than a decade), ``True`` takes a log scale whenever they
    are positive, ``False`` never.
    """
    values = np.asarray(values, dtype=float)
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return mcolors.Normalize(0, 1)
    low, high = float(finite.min()), float(finite.max())
    if low > 0 and (log or (log is None and value_scale(finite, metric=metric) == "log")):
        return mcolors.LogNorm(low, high if high > low else low * 10)
    return mcolors.Normalize(low, high if high > low else low + 1)


def figure_colorbar(fig, axes, norm, cmap, label, **kwargs):
    """A colorbar beside ``axes`` for a continuous colour, in the figures' font sizes."""
    bar = fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=axes, **kwargs)
    bar.set_label(label, fontsize=LABEL_SIZE)
    bar.ax.tick_params(which="both", labelsize=TICK_SIZE)
    return bar
