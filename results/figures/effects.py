"""Figures of :func:`results.effects`: which axes matter, and how.

- :func:`variance_shares`: each axis's (and leading interaction's) share of the variance
  between configs, ranked, with its 95 % interval from resampling seeds;
- :func:`main_effects`: a panel per axis, the metric against the axis's values (mean over
  the other axes, 95 % interval over seeds), one shared y axis so the panels compare;
- :func:`interaction_plot`: the leading pair of axes, one line per value of the second.

Each takes the results frame (or the dict :func:`results.effects` returned, to draw
without computing it again) and returns the figure.
"""
from __future__ import annotations

import numpy as np

from results.figures.facets import figure_legend, palette, panel_cells
from results.figures.layout import LABEL_SIZE, TICK_SIZE, figure_title, panel_title, wrap_shape
from sweeps.schema import metric_range


def _result(data, on):
    if isinstance(data, dict):
        return data
    from results.effects import effects

    return effects(data, on=on)


def variance_shares(data, *, on=None):
    """Horizontal bars: the share of the variance between configs of each axis.

    Parameters
    ----------
    data : pandas.DataFrame or dict
        Results in the ``sweeps.load`` schema, or the output of :func:`results.effects`.
    on : str, default=None
        The metric (with a frame; as for :func:`results.effects`).

    Returns
    -------
    matplotlib.figure.Figure
    """
    result = _result(data, on)
    rows = [(r.axis, r.share, r.share_low, r.share_high, r.significant)
            for r in result["axes"].itertuples()]
    rows += [(r.axes, r.share, r.share_low, r.share_high, r.p_value < result["alpha"])
             for r in result["interactions"].itertuples()]
    fig, axes, _ = panel_cells({"shares": (0, 0)}, (1, 1),
                               panel_size=(4.2, 0.3 * len(rows) + 0.6))
    ax = axes[0, 0]
    y = np.arange(len(rows))[::-1]
    shares = np.array([r[1] for r in rows]) * 100
    err = np.array([[r[1] - r[2], r[3] - r[1]] for r in rows]).T * 100
    colors = ["#3a7d44" if r[4] else "#9a9a9a" for r in rows]
    ax.barh(y, shares, color=colors, height=0.6)
    ax.errorbar(shares, y, xerr=np.clip(err, 0, None), fmt="none", ecolor="#222",
                capsize=2, lw=0.8)
    ax.set_yticks(y, [r[0] for r in rows], fontsize=TICK_SIZE + 1)
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of the variance between configs (95 % CI over seeds)",
                  fontsize=LABEL_SIZE)
    figure_title(fig, f"What matters for {result['on']}: green = significant at "
                      f"p < {result['alpha']:g}, grey = not separable from seed noise")
    return fig


def main_effects(data, *, on=None):
    """One panel per axis: the mean metric at each value, over the other axes.

    Parameters
    ----------
    data : pandas.DataFrame or dict
        Results in the ``sweeps.load`` schema, or the output of :func:`results.effects`.
    on : str, default=None
        The metric (with a frame).

    Returns
    -------
    matplotlib.figure.Figure
        Axes in the order of their share; the test metric's estimate beside it (hollow).
    """
    result = _result(data, on)
    main, order = result["main"], list(result["axes"]["axis"])
    shape = wrap_shape(len(order), col_wrap=min(4, len(order)))
    fig, axes, panels = panel_cells({axis: divmod(i, shape[1]) for i, axis in enumerate(order)},
                                    shape, panel_size=(2.2, 1.7), sharex=False, sharey=True)
    low, high = metric_range(result["on"])
    for axis, ax in panels.items():
        rows = main[main["axis"] == axis]
        x = np.arange(len(rows))
        _errorbars(ax, x - 0.08, rows["mean"], rows["ci_low"], rows["ci_high"], low, high,
                   label=result["on"], filled=True)
        if "test_mean" in rows:
            _errorbars(ax, x + 0.08, rows["test_mean"], rows["test_ci_low"],
                       rows["test_ci_high"], low, high, label=result["test"], filled=False)
        ax.set_xticks(x, [str(v) for v in rows["value"]], fontsize=TICK_SIZE,
                      rotation=45 if len(rows) > 6 else 0)
        ax.set_xlim(-0.5, len(rows) - 0.5)
        panel_title(ax, axis, size=LABEL_SIZE)
    axes[0, 0].set_ylabel(result["on"], fontsize=LABEL_SIZE)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    figure_legend(fig, handles, labels)
    figure_title(fig, f"Main effects on {result['on']}: mean over the other axes, "
                      "95 % interval over seeds")
    return fig


def _errorbars(ax, x, mean, ci_low, ci_high, low, high, *, label, filled):
    mean = np.asarray(mean, dtype=float)
    lo = np.clip(np.asarray(ci_low, dtype=float), low, high)
    hi = np.clip(np.asarray(ci_high, dtype=float), low, high)
    err = np.nan_to_num(np.vstack([mean - lo, hi - mean]), nan=0.0).clip(0)
    color = "#2f6db5" if filled else "#c44e52"
    ax.errorbar(x, mean, yerr=err, fmt="o-" if filled else "s--", ms=3, lw=0.8,
                capsize=2, color=color, mfc=color if filled else "white", label=label)


def interaction_plot(data, *, on=None):
    """The leading pair of axes: the metric against the first, a line per second value.

    Parallel lines mean no interaction; lines that cross or fan out mean the best value
    of one axis depends on the other. Each point is the mean over the remaining axes.

    Returns
    -------
    matplotlib.figure.Figure
    """
    result = _result(data, on)
    if result["interactions"].empty:
        raise ValueError("one axis varies: there is no interaction to draw")
    top = result["interactions"].iloc[0]
    first, second = top["first"], top["second"]
    if len(result["cells"][first].unique()) < len(result["cells"][second].unique()):
        first, second = second, first  # the axis with more values along x
    cells = result["cells"]
    table = cells.groupby([first, second], sort=False)["mean"].mean().unstack(second)
    xs = [v for v in result["main"].loc[result["main"]["axis"] == first, "value"]]
    table = table.reindex(xs)
    fig, axes, _ = panel_cells({(first, second): (0, 0)}, (1, 1), panel_size=(3.6, 2.4),
                               extra_width=1.0)
    ax = axes[0, 0]
    colors = palette(list(table.columns))
    half = _half(result, len(cells) / table.size)
    for value in table.columns:
        ax.errorbar(np.arange(len(xs)), table[value].to_numpy(), yerr=half, fmt="o-",
                    ms=3, lw=1, capsize=2, elinewidth=0.6, color=colors[value],
                    label=str(value))
    ax.set_xticks(np.arange(len(xs)), [str(v) for v in xs], fontsize=TICK_SIZE,
                  rotation=45 if len(xs) > 6 else 0)
    ax.set_xlabel(first, fontsize=LABEL_SIZE)
    ax.set_ylabel(result["on"], fontsize=LABEL_SIZE)
    handles, labels = ax.get_legend_handles_labels()
    figure_legend(fig, handles, labels, title=second)
    figure_title(fig, f"{first} x {second}: {100 * top['share']:.2g} % of the variance "
                      f"between configs (F-test p = {top['p_value']:.2g}); bars: 95 % "
                      "interval over seeds")
    return fig


def _half(result, n_configs):
    """Half-width of the t interval of a mean over ``n_configs`` configs (the seeds' error)."""
    from scipy import stats

    error = result["error"]
    if not error["df"] or not np.isfinite(error["ms"]):
        return None
    return float(stats.t.ppf(0.975, error["df"])
                 * np.sqrt(error["ms"] / (error["seeds"] * n_configs)))
