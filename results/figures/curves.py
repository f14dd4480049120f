"""Loss curves: training loss against epoch, one line per config (mean over seeds with a
band) and its validation loss dashed beside it, faceted by a config axis and coloured by
another.

Curves are the stored ``curve_epoch`` / ``curve_loss`` arrays (downsampled by the store).
Seeds of a config are put on the epochs of its longest curve by linear interpolation, so
a seed that stopped early only contributes to the epochs it ran.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns

from results.figures.facets import (color_norm, facet_panels, figure_colorbar, figure_legend,
                                    palette)
from results.figures.layout import (LABEL_SIZE, bottom_xlabel, figure_title, log_axis,
                                    value_scale)
from results.frame import arch_sort, prepare, require_single


def loss_curves(df, *, col="depth", row=None, hue="n_params", band="minmax", logy=None,
                col_wrap=4, sharey=True, statuses=("ok",), validation=True,
                panel_size=(3.0, 2.2), title=None, sweep=None):
    """Training (and validation) loss against epoch per config, faceted and coloured.

    Parameters
    ----------
    df : pandas.DataFrame
        Results in the ``sweeps.load`` schema with curves.
    col : str, default="depth"
        Config axis with one panel per value; None draws a single panel.
    row : str, default=None
        Config axis with one row of panels per value (``col`` then is not wrapped).
    hue : str, default="n_params"
        Config axis that sets the colour: a numeric axis with many values gets a continuous
        colormap and a colorbar, others a palette and a legend.
    band : {"minmax", "std", None}, default="minmax"
        Band over seeds around each mean curve.
    logy : bool, default=None
        Log y axis; None follows :func:`~results.figures.layout.value_scale` (log when
        the losses span more than a decade).
    col_wrap : int, default=4
        Panels per row.
    sharey : bool, default=True
        One y scale for all panels; turn off when facets hold different losses.
    statuses : tuple of str, default=("ok",)
        Jobs whose curves are drawn; add ``"diverged"`` to see where those stopped.
    validation : bool, default=True
        Also draw the mean validation loss of each config, dashed, where it was recorded.
    panel_size : (float, float), default=(3.0, 2.2)
    title : str, default=None
    sweep : str, default=None
        The sweep's name, which the default title starts with; None: the task's.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if band not in ("minmax", "std", None):
        raise ValueError(f"band must be 'minmax', 'std' or None, got {band!r}")
    df = prepare(df, required=("config_id", "status", "hidden", "curve_epoch", "curve_loss"))
    df = df[df["status"].isin(statuses) & df["curve_loss"].map(_has_curve)]
    if df.empty:
        raise ValueError(f"no loss curves among jobs with status in {statuses}")
    require_single(df, allowed=[a for a in (col, row, hue) if a], what="loss_curves")
    color_of, legend, bar = _hue(df, hue)
    fig, axes, panels = facet_panels(df, col, row=row, col_wrap=col_wrap,
                                     panel_size=panel_size, sharey=sharey,
                                     extra_width=0.8 if bar else 0.0)
    validation = validation and "curve_val_loss" in df and df["curve_val_loss"].map(
        _has_curve).all()
    for ax, sub in panels:
        groups = arch_sort(sub).groupby("config_id", sort=False)
        # Bands of dozens of configs pile up into a flat wash: fade them as they multiply.
        alpha = float(np.clip(1.5 / groups.ngroups, 0.03, 0.15))
        for _, jobs in groups:
            color = color_of(jobs[hue].iloc[0])
            _draw_config(ax, jobs, color, band, alpha)
            if validation:
                epochs, losses = seed_curves(jobs, "curve_val_loss")
                ax.plot(epochs, np.nanmean(losses, axis=0), color=color, lw=0.8, ls="--",
                        alpha=0.8)
    drawn = df["curve_loss"].tolist() + (df["curve_val_loss"].tolist() if validation else [])
    if logy or (logy is None and value_scale(np.concatenate(drawn)) == "log"):
        for ax, _ in panels[:1] if sharey else panels:
            log_axis(ax, "y")
    legend(fig, axes)
    bottom_xlabel(axes, "epoch")
    fig.supylabel("loss (solid: training, dashed: validation)" if validation
                  else "training loss", fontsize=LABEL_SIZE)
    what = "training and validation loss" if validation else "training loss"
    figure_title(fig, title or f"{sweep or df['task'].iloc[0]}: {what}, mean over seeds"
                 + (f" with the training loss's {band} band" if band else ""))
    return fig


def _has_curve(curve):
    return curve is not None and not (isinstance(curve, float) and np.isnan(curve)) \
        and len(curve) > 0


def seed_curves(jobs, column="curve_loss"):
    """(epochs, losses) of a config's seeds on the epochs of its longest curve.

    ``column`` is ``curve_loss`` (training) or ``curve_val_loss`` (validation); both are
    recorded at the epochs of ``curve_epoch``.

    Returns
    -------
    epochs : ndarray, shape (n_points,)
    losses : ndarray, shape (n_seeds, n_points), NaN after a seed's last epoch
    """
    longest = max(jobs["curve_epoch"], key=len)
    epochs = np.asarray(longest, dtype=float)
    losses = np.full((len(jobs), len(epochs)), np.nan)
    for s, (e, l) in enumerate(zip(jobs["curve_epoch"], jobs[column])):
        e, l = np.asarray(e, dtype=float), np.asarray(l, dtype=float)
        inside = epochs <= e[-1]
        losses[s, inside] = np.interp(epochs[inside], e, l)
    return epochs, losses


def _draw_config(ax, jobs, color, band, alpha):
    epochs, losses = seed_curves(jobs)
    mean = np.nanmean(losses, axis=0)
    if band == "minmax" and len(jobs) > 1:
        ax.fill_between(epochs, np.nanmin(losses, axis=0), np.nanmax(losses, axis=0),
                        color=color, alpha=alpha, lw=0)
    elif band == "std" and len(jobs) > 1:
        std = np.nanstd(losses, axis=0)
        ax.fill_between(epochs, mean - std, mean + std, color=color, alpha=alpha, lw=0)
    ax.plot(epochs, mean, color=color, lw=0.9, alpha=0.9)


def _hue(df, hue):
    """(value -> colour, function drawing the legend or colorbar, whether it is a
    colorbar) for a hue axis."""
    values = df[hue].dropna().unique()
    numeric = pd.api.types.is_numeric_dtype(df[hue]) and len(values) > 6
    if numeric:
        norm = color_norm(values)
        cmap = sns.color_palette("viridis", as_cmap=True)

        def colorbar(fig, axes):
            figure_colorbar(fig, axes, norm, cmap, hue, shrink=0.8)
        return (lambda v: cmap(norm(v))), colorbar, True
    colors = palette(values)

    def legend(fig, axes):
        from matplotlib.lines import Line2D
        handles = [Line2D([], [], color=c, lw=1.5) for c in colors.values()]
        figure_legend(fig, handles, colors, title=hue)
    return colors.__getitem__, legend, False
