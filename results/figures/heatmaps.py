"""Error heatmaps: a metric over the hidden widths (i, j) of two-hidden-layer nets, and one
(i, j) heatmap per third width k for three hidden layers.

All panels of a figure share one colour scale (logarithmic when the values span more than a
decade, the rule of every metric axis) so that a colour means the same value everywhere;
cells with no ``ok`` seed (failed, diverged or not yet run) are grey and marked ``n/a``.
"""
from __future__ import annotations

import numpy as np
import seaborn as sns

from results.frame import prepare
from results.figures.facets import color_norm, figure_colorbar, panel_cells
from results.figures.layout import LABEL_SIZE, TICK_SIZE, figure_title, panel_title
from results.tables import grid_pivot


def error_heatmaps(df, *, depth=2, metric="test_mse", agg="mean", row=None, log=None,
                   annot=True, cmap="rocket_r", panel_size=2.2, title=None,
                   sweep=None):
    """Heatmaps of a metric over hidden widths.

    Parameters
    ----------
    df : pandas.DataFrame
        Results in the ``sweeps.load`` schema.
    depth : {2, 3}, default=2
        Two hidden layers give one i x j heatmap; three give one per value of k.
    metric : str, default="test_mse"
    agg : str or callable, default="mean"
        How the ``ok`` seeds of a config are combined.
    row : str, default=None
        A further config axis (e.g. ``"activation"``) with one row of panels per value.
    log : bool, default=None
        Logarithmic colour scale; None follows
        :func:`~results.figures.layout.value_scale` (log when the values span more than a
        decade), True takes it whenever every value is positive.
    annot : bool, default=True
        Write the value in each cell.
    cmap : str, default="rocket_r"
        Colormap; the reversed ``rocket`` makes low errors light and high errors dark.
    panel_size : float, default=2.2
        Inches per panel side.
    title : str, default=None
    sweep : str, default=None
        The sweep's name, which the default title starts with; None: the task's.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per (row value, k).
    """
    if depth not in (2, 3):
        raise ValueError(f"error_heatmaps draws depth 2 or 3, got depth={depth!r}")
    df = prepare(df)
    table = grid_pivot(df, depth=depth, metric=metric, agg=agg, by=row)
    blocks = _blocks(table, row, depth)
    n_rows = len({key[0] for key in blocks}) if row else 1
    n_cols = len(blocks) // n_rows
    fig, axes, panels = panel_cells(
        {key: divmod(n, n_cols) for n, key in enumerate(blocks)}, (n_rows, n_cols),
        panel_size=(panel_size, panel_size * 0.9), sharex=False, sharey=False,
        extra_width=0.8)
    norm = color_norm(table.to_numpy(dtype=float), log=log, metric=metric)
    for n, (key, block) in enumerate(blocks.items()):
        ax = panels[key]
        _heatmap(ax, block, norm, cmap, annot, ylabel=n % n_cols == 0)
        panel_title(ax, _block_title(key, row, depth), size=LABEL_SIZE)
    figure_colorbar(fig, axes, norm, cmap, f"{metric} ({agg} over seeds)", shrink=0.9,
                    fraction=0.05 if n_cols > 1 else 0.08)
    task = sweep or (df["task"].iloc[0] if "task" in df else "")
    hidden = "[i,j]" if depth == 2 else "[i,j,k]"
    figure_title(fig, title or f"{task}: {metric} of hidden layers {hidden}")
    return fig


def _blocks(table, row, depth):
    """Ordered dict (row value, k) -> i x j block of the pivot."""
    levels = ([row] if row else []) + (["k"] if depth == 3 else [])
    if not levels:
        return {(None, None): table}
    blocks = {}
    for key, block in table.groupby(level=levels, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        if not row:
            key = (None, *key)
        elif depth == 2:
            key = (*key, None)
        blocks[key] = block.droplevel(levels)
    return blocks


def _heatmap(ax, block, norm, cmap, annot, ylabel):
    ax.set_facecolor("0.88")  # shows through the masked (NaN) cells
    sns.heatmap(block, ax=ax, cmap=cmap, norm=norm, cbar=False, square=True,
                annot=annot, fmt=".2g", annot_kws={"fontsize": TICK_SIZE},
                linewidths=0.5, linecolor="white")
    for (r, c), value in np.ndenumerate(block.to_numpy(dtype=float)):
        if not np.isfinite(value):
            ax.text(c + 0.5, r + 0.5, "n/a", ha="center", va="center", fontsize=TICK_SIZE,
                    color="0.4")
    ax.set_xlabel("j (2nd hidden width)", fontsize=TICK_SIZE + 1)
    ax.set_ylabel("i (1st hidden width)" if ylabel else "", fontsize=TICK_SIZE + 1)
    ax.tick_params(labelsize=TICK_SIZE, length=0)
    ax.tick_params(axis="y", rotation=0)


def _block_title(key, row, depth):
    parts = []
    if row:
        parts.append(f"{row} = {key[0]}")
    if depth == 3:
        parts.append(f"k = {key[1]}")
    return ", ".join(parts)
