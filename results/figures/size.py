"""A metric against parameter count for the whole grid at once.

Each config is one point: the mean over its ``ok`` seeds, with a vertical line spanning the
95% Student t confidence interval of that mean (none for a single seed), clipped to the
metric's range (an accuracy to [0, 1], an error to values >= 0). With
``show_train`` the matching training metric is drawn as a hollow marker of the same colour:
a training error that keeps falling while the test error rises with size is over-fitting;
both high at small sizes is under-fitting.

The y axis shows where the configs are: it spans their means (and the intervals as far as
they stay near them), so one wide interval does not squeeze the rest into a band; an
interval that goes on beyond the axis ends in a triangle at its edge.
"""
from __future__ import annotations

import numpy as np
from matplotlib.lines import Line2D

from results.figures.facets import facet_panels, figure_legend, palette
from results.figures.layout import (LABEL_SIZE, TICK_SIZE, bottom_xlabel, figure_title,
                                    log_axis, metric_range, value_scale)
from results.frame import per_config, prepare, require_single


def metric_vs_size(df, *, metric="test_mse", hue="depth", col=None, row=None,
                   show_train=True, logx=True, logy=None, col_wrap=3, panel_size=(4.2, 3.0),
                   title=None, sweep=None):
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
    sweep : str, default=None
        The sweep's name, which the default title starts with; None: the task's.

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
    values = points[[f"{m}_mean" for m in metrics]].to_numpy().ravel()
    log = bool(logy or (logy is None and value_scale(values, metric=metric) == "log"))
    ylim = _y_limits(points, metrics, log)
    beyond = False
    for ax, sub in panels:
        beyond |= _draw(ax, sub, metrics, hue, colors, ylim)
    if logx:
        log_axis(axes[0, 0], "x")
    axes[0, 0].set_ylim(*ylim)  # shared: sets every panel
    if log:
        log_axis(axes[0, 0], "y")
    _legend(fig, colors, hue, metrics, _train_note(df, points, metrics), beyond)
    bottom_xlabel(axes, "number of parameters")
    fig.supylabel(metric if len(metrics) == 1 else metric.replace("test_", ""),
                  fontsize=LABEL_SIZE)
    figure_title(fig, title or f"{sweep or df['task'].iloc[0]}: {metric} against network size")
    return fig


def _y_limits(points, metrics, log):
    """The y range: the configs' means, widened by their intervals as far as those stay
    within a quarter of the means' span on either side (in decades on a log axis)."""
    test = metrics[0]
    means = points[[f"{m}_mean" for m in metrics]].to_numpy(dtype=float).ravel()
    ends = np.clip(points[[f"{test}_ci_low", f"{test}_ci_high"]].to_numpy(dtype=float),
                   *metric_range(test)).ravel()
    scale = (np.log10, lambda v: 10.0 ** v) if log else (lambda v: v, lambda v: v)
    means, ends = means[np.isfinite(means)], ends[np.isfinite(ends)]
    if log:
        means, ends = means[means > 0], ends[ends > 0]
    low, high = scale[0](means.min()), scale[0](means.max())
    span = (high - low) or (0.5 if log else 0.5 * abs(high) or 0.5)  # one value: +-3%
    ends = scale[0](ends)
    low = min(low - 0.06 * span, max(ends.min(initial=low), low - 0.25 * span))
    high = max(high + 0.06 * span, min(ends.max(initial=high), high + 0.25 * span))
    low, high = scale[1](low), scale[1](high)
    # Never far past what the metric can be (an accuracy above 1, an error below 0).
    floor, ceiling = metric_range(test)
    margin = 0.03 * (high - low)
    return max(low, floor - margin), min(high, ceiling + margin)


def _draw(ax, points, metrics, hue, palette, ylim):
    """Draw one panel; return whether an interval goes on beyond the y axis."""
    clipped = False
    for value, group in points.groupby(hue, sort=True):
        color = palette[value]
        test = metrics[0]
        # Clipped to what the metric can be: with 2-5 seeds the t interval of an accuracy
        # often reaches past 1 (or an error below 0), which would only stretch the axis.
        low, high = (np.clip(group[f"{test}_ci_{end}"], *metric_range(test))
                     for end in ("low", "high"))
        ax.vlines(group["n_params"], low, high, color=color, lw=0.6, alpha=0.5)
        # An interval going on beyond the axis ends in a triangle at the edge it crosses.
        for ends, edge, marker in ((high, ylim[1], "^"), (low, ylim[0], "v")):
            beyond = (ends > edge) if marker == "^" else (ends < edge)
            clipped |= bool(beyond.any())
            if beyond.any():  # an empty unclipped line would stretch the layout to (0, 0)
                ax.plot(group["n_params"][beyond], np.full(beyond.sum(), edge), ls="",
                        marker=marker, ms=3.5, color=color, alpha=0.8, clip_on=False)
        ax.scatter(group["n_params"], group[f"{test}_mean"], color=color, s=14, lw=0,
                   zorder=3)
        if len(metrics) > 1:
            ax.scatter(group["n_params"], group[f"{metrics[1]}_mean"], facecolor="none",
                       edgecolor=color, s=14, lw=0.8, zorder=2)
    ax.tick_params(labelsize=TICK_SIZE + 1)
    return clipped


def _legend(fig, palette, hue, metrics, note, beyond):
    handles = [Line2D([], [], marker="o", ls="", color=c, ms=5) for c in palette.values()]
    labels = [f"{hue} {v}" for v in palette]
    handles.append(Line2D([], [], marker="o", ls="", color="0.3", ms=5))
    labels.append(f"{metrics[0]} (mean; line: 95% CI over seeds, Student t)")
    if len(metrics) > 1:
        handles.append(Line2D([], [], marker="o", ls="", mfc="none", mec="0.3", ms=5))
        labels.append(f"{metrics[1]} (mean)")
    if beyond:
        handles.append(Line2D([], [], marker="^", ls="", color="0.3", ms=4))
        labels.append("interval goes on beyond the axis")
    figure_legend(fig, handles, labels, note=note)


def _train_note(df, points, metrics):
    """Why training error sits above test error: wherever it does on sine (whose test set
    is the clean curve: ``sweeps.tasks.builtin.sine``), for most configs elsewhere."""
    if len(metrics) < 2 or "mse" not in metrics[0]:
        return None
    test, train = (points[f"{m}_mean"] for m in metrics)
    above = int((train > test).sum())
    sine = df["task"].iloc[0] == "sine"
    if above == 0 or (not sine and above <= len(points) / 2):
        return None
    noise = df["noise"].dropna().unique() if "noise" in df else []
    noise = f" N(0, {noise[0]:g}²)" if len(noise) == 1 else ""
    why = ("the test set is the noise-free curve sin(2 pi x), while the training points "
           f"carry noise{noise}" if sine else
           "the test set is less noisy than the training points")
    return (f"Training error above test error in {above} of {len(points)} configs: {why}; "
            "a fit that follows the true function scores about the noise's variance on "
            "training points and less on test ones.")
