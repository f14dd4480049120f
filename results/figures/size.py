"""A metric against parameter count for the whole grid at once.

Each config is one point: the mean over its ``ok`` seeds, with a vertical line spanning the
95% Student t confidence interval of that mean (none for a single seed), clipped to the
metric's range (an accuracy to [0, 1], an error to values >= 0). With
``show_train`` the matching training metric is drawn as a hollow marker of the same colour:
a training error that keeps falling while the test error rises with size is over-fitting;
both high at small sizes is under-fitting.
"""
from __future__ import annotations

import numpy as np
from matplotlib.lines import Line2D

from results.figures.facets import facet_panels, figure_legend, palette
from results.figures.layout import (LABEL_SIZE, TICK_SIZE, figure_title, log_axis,
                                    metric_range, value_scale)
from results.frame import per_config, prepare, require_single


def metric_vs_size(df, *, metric="test_mse", hue="depth", col=None, row=None,
                   show_train=True, logx=True, logy=None, col_wrap=3, panel_size=(4.2, 3.0),
                   title=None):
    """A metric of every config against its number of parameters.

    Parameters
    ----------
    df : pandas.DataFrame
        Results in the ``sweeps.load`` schema.
    metric : str, default="test_mse"
    hue : str, default="depth"
        Config axis that sets the colour (e.g. ``"activation"``).
    col : str, default=None
        Config axis with one panel per value.
    row : str, default=None
        Config axis with one row of panels per value (``col`` then is not wrapped).
    show_train : bool, default=True
        Also draw the training counterpart of a ``test_*`` metric, hollow.
    logx : bool, default=True
        Log scale for the parameter count.
    logy : bool, default=None
        None follows :func:`~results.figures.layout.value_scale` (log when the values
        span more than a decade, linear with a zero or negative value).
    col_wrap : int, default=3
    panel_size : (float, float), default=(4.2, 3.0)
    title : str, default=None

    Returns
    -------
    matplotlib.figure.Figure
    """
    df = prepare(df, required=("config_id", "status", "hidden", "n_params", metric))
    require_single(df, allowed=[a for a in (hue, col, row) if a], what="metric_vs_size")
    train = metric.replace("test_", "train_", 1)
    metrics = [metric] + ([train] if show_train and train != metric and train in df else [])
    points = per_config(df, metrics, stats=("mean", "ci_low", "ci_high"),
                        columns=[a for a in ("n_params", hue, col, row) if a]).reset_index()
    # Configs without an ok seed have no value to place; the tables count them.
    points = points.dropna(subset=[f"{metric}_mean"])
    if points.empty:
        raise ValueError(f"no config has an ok value of {metric}")
    fig, axes, panels = facet_panels(points, col, row=row, col_wrap=col_wrap,
                                     panel_size=panel_size)
    colors = palette(points[hue].unique())
    for ax, sub in panels:
        _draw(ax, sub, metrics, hue, colors)
    if logx:
        log_axis(axes[0, 0], "x")
    values = points[[f"{m}_mean" for m in metrics]].to_numpy().ravel()
    if logy or (logy is None and value_scale(values, metric=metric) == "log"):
        log_axis(axes[0, 0], "y")
    _legend(fig, colors, hue, metrics)
    fig.supxlabel("number of parameters", fontsize=LABEL_SIZE)
    fig.supylabel(metric if len(metrics) == 1 else metric.replace("test_", ""),
                  fontsize=LABEL_SIZE)
    figure_title(fig, title or f"{df['task'].iloc[0]}: {metric} against network size")
    return fig


def _draw(ax, points, metrics, hue, palette):
    for value, group in points.groupby(hue, sort=True):
        color = palette[value]
        test = metrics[0]
        # Clipped to what the metric can be: with 2-5 seeds the t interval of an accuracy
        # often reaches past 1 (or an error below 0), which would only stretch the axis.
        low, high = (np.clip(group[f"{test}_ci_{end}"], *metric_range(test))
                     for end in ("low", "high"))
        ax.vlines(group["n_params"], low, high, color=color, lw=0.6, alpha=0.5)
        ax.scatter(group["n_params"], group[f"{test}_mean"], color=color, s=14, lw=0,
                   zorder=3)
        if len(metrics) > 1:
            ax.scatter(group["n_params"], group[f"{metrics[1]}_mean"], facecolor="none",
                       edgecolor=color, s=14, lw=0.8, zorder=2)
    ax.tick_params(labelsize=TICK_SIZE + 1)


def _legend(fig, palette, hue, metrics):
    handles = [Line2D([], [], marker="o", ls="", color=c, ms=5) for c in palette.values()]
    labels = [f"{hue} {v}" for v in palette]
    handles.append(Line2D([], [], marker="o", ls="", color="0.3", ms=5))
    labels.append(f"{metrics[0]} (mean; line: 95% CI over seeds, Student t)")
    if len(metrics) > 1:
        handles.append(Line2D([], [], marker="o", ls="", mfc="none", mec="0.3", ms=5))
        labels.append(f"{metrics[1]} (mean)")
    figure_legend(fig, handles, labels)
