"""Fit grid: one small panel per architecture of a 1-D regression sweep.

Each panel shows the training points, the true function (when the task has one), and the
fitted curve: the mean over the config's ``ok`` seeds with a band (min-max or +-1 std), or
every seed drawn faintly. Curves are re-evaluated from the stored weights, never retrained.
"""
from __future__ import annotations

import numpy as np
import seaborn as sns
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from results._nets import net_frame, predict_rows, task_data
from results.figures.facets import panel_cells, palette
from results.figures.layout import figure_title, fix_limits, panel_title, wrap_shape
from results.frame import arch_sort, layers_label, per_config, require_single, task_fact


def fit_grid(df, *, hue=None, band="minmax", each_seed=False, col_wrap=None, n_points=300,
             panel_size=(1.55, 1.15), metric="test_mse", title=None, sweep=None):
    """Fitted curves of every architecture of a 1-D regression sweep, one panel each.

    Parameters
    ----------
    df : pandas.DataFrame
        Results in the ``sweeps.load`` schema with weights, one task and one value of every
        config axis other than the architecture (filter first, e.g. by activation).
    hue : str, default=None
        A config axis drawn in each panel, one colour per value (a curve and band each).
    band : {"minmax", "std", None}, default="minmax"
        Band around the mean curve over seeds; None draws no band.
    each_seed : bool, default=False
        Also draw every seed's curve faintly.
    col_wrap : int, default=None
        Panels per row; None picks a grid about 1.5 times wider than tall. Each depth starts
        a new row so that the grid reads as blocks of one depth.
    n_points : int, default=300
        Points on which the curves are evaluated.
    panel_size : (float, float), default=(1.55, 1.15)
        Inches per panel; the figure grows with the grid.
    metric : str, default="test_mse"
        Metric in the panel titles (mean over ``ok`` seeds; with ``hue``, the lowest of
        the colours' means).
    title : str, default=None
        Figure title; None describes the sweep.
    sweep : str, default=None
        The sweep's name, which the default title starts with; None: the task's.

    Returns
    -------
    matplotlib.figure.Figure
        Panels ordered by depth, then by widths from input to output. A config with no
        ``ok`` seed keeps its panel (data and truth only) with its status counts.
    """
    if band not in ("minmax", "std", None):
        raise ValueError(f"band must be 'minmax', 'std' or None, got {band!r}")
    df = net_frame(df)
    require_single(df, allowed=(hue,) if hue else (), what="fit_grid")
    kind, n_in, n_out = (task_fact(df, f) for f in ("kind", "n_in", "n_out"))
    if (kind, n_in, n_out) != ("regression", 1, 1):
        raise ValueError(f"fit_grid needs a regression task with 1-D input and output; task "
                         f"{df['task'].iloc[0]!r} is {kind} with {n_in} input(s), "
                         f"{n_out} output(s)")
    configs = arch_sort(df.drop_duplicates("hidden"))
    ds = task_data(configs.iloc[0])  # its points and true function are drawn
    slots = _slots(configs["depth"].tolist(), col_wrap, len(configs))
    fig, axes, panels = panel_cells(
        dict(zip(configs["config_id"], map(tuple, slots))),
        (int(slots[:, 0].max()) + 1, col_wrap or _cols(len(configs))), panel_size=panel_size)
    x = np.linspace(*_x_range(ds), n_points)[:, None]
    fix_limits(axes, (x[0, 0], x[-1, 0]), _y_range(ds))
    axes[0, 0].xaxis.set_major_locator(MaxNLocator(3))  # shared: sets every panel
    colors = palette(df[hue].unique()) if hue else {None: sns.color_palette("deep")[0]}
    truth = "0.2" if hue else sns.color_palette("deep")[2]
    for _, cfg in configs.iterrows():
        ax = panels[cfg["config_id"]]
        jobs = df[df["hidden"].map(cfg["hidden"].__eq__)]
        _draw_data(ax, ds, x, truth)
        if not (jobs["status"] == "ok").any():
            ax.text(0.5, 0.5, "no ok seed", transform=ax.transAxes, ha="center",
                    va="center", fontsize=6, color="firebrick")
        for value, color in colors.items():
            _draw_fit(ax, jobs if hue is None else jobs[jobs[hue] == value], x,
                      band, each_seed, color)
        panel_title(ax, _panel_label(cfg, jobs, metric, hue))
    _legend(fig, ds, band, each_seed, colors, hue, truth)
    name = sweep or ds.name
    figure_title(fig, title or f"{name}: fits by architecture ({_describe(configs, hue)})")
    return fig


def _cols(n):
    return wrap_shape(n)[1]


def _slots(depths, col_wrap, n):
    """(row, col) of each panel; a new depth starts a new row."""
    cols = col_wrap or _cols(n)
    slots, row, col, last = [], -1, cols, None
    for depth in depths:
        if col == cols or depth != last:
            row, col = row + 1, 0
        slots.append((row, col))
        col, last = col + 1, depth
    return np.array(slots)


def _draw_data(ax, ds, x, truth):
    ax.scatter(ds.X_train[:, 0], ds.y_train[:, 0], s=3, color="0.35", lw=0, zorder=3)
    if ds.truth is not None:
        ax.plot(x[:, 0], np.ravel(ds.truth(x)), color=truth, lw=0.8, ls="--", zorder=2)


def _draw_fit(ax, jobs, x, band, each_seed, color):
    ok = jobs[jobs["status"] == "ok"]
    if ok.empty:
        return
    preds = predict_rows(ok, x)[:, :, 0]
    mean = preds.mean(axis=0)
    if each_seed:
        for p in preds:
            ax.plot(x[:, 0], p, color=color, lw=0.5, alpha=0.35, zorder=1)
    if band == "minmax":
        ax.fill_between(x[:, 0], preds.min(axis=0), preds.max(axis=0), color=color,
                        alpha=0.25, lw=0, zorder=1)
    elif band == "std":
        std = preds.std(axis=0)
        ax.fill_between(x[:, 0], mean - std, mean + std, color=color, alpha=0.25, lw=0)
    ax.plot(x[:, 0], mean, color=color, lw=1.1, zorder=4)


def _panel_label(cfg, jobs, metric, hue):
    means = per_config(jobs, [metric])[f"{metric}_mean"] if metric in jobs else []
    value = float(np.nanmin(means)) if np.isfinite(means).any() else float("nan")
    shown = f"{value:.2g}" if np.isfinite(value) else "–"
    text = f"{layers_label(cfg)}\n{'best ' if hue else ''}{_short(metric)} {shown}"
    bad = jobs["status"].value_counts().drop("ok", errors="ignore")
    if len(bad):
        text += " (" + ", ".join(f"{n} {s}" for s, n in bad.items()) + ")"
    return text


def _short(metric):
    return {"test_mse": "MSE", "train_mse": "train MSE"}.get(metric, metric)


def _x_range(ds):
    x = np.concatenate([ds.X_train[:, 0], ds.X_test[:, 0]])
    return x.min(), x.max()


def _y_range(ds):
    # Axis limits come from the data, not the fits: one wild fit must not flatten the rest.
    y = np.concatenate([ds.y_train[:, 0], ds.y_test[:, 0]])
    span = y.max() - y.min() or 1.0
    return y.min() - 0.3 * span, y.max() + 0.3 * span


def _legend(fig, ds, band, each_seed, colors, hue, truth):
    first = next(iter(colors.values()))
    items = [(Line2D([], [], marker="o", ls="", ms=3, color="0.35"), "training points")]
    if hue:
        items += [(Line2D([], [], color=c, lw=1.2), f"{hue} {v}") for v, c in colors.items()]
    items.append((Line2D([], [], color=first if not hue else "0.3", lw=1.2),
                  "fit, mean over seeds"))
    if each_seed:
        items.append((Line2D([], [], color=first, lw=0.5, alpha=0.35), "each seed"))
    if band:
        items.append((Patch(color=first if not hue else "0.3", alpha=0.25),
                      f"seed {band} band"))
    if ds.truth is not None:
        items.append((Line2D([], [], color=truth, ls="--"), "true function"))
    fig.legend(*zip(*items), loc="outside lower center", ncols=min(len(items), 6),
               fontsize=7, frameon=False)


def _describe(configs, hue=None):
    row = configs.iloc[0]
    optimizer = "" if hue == "optimizer" else f"{row.get('optimizer', '')} "
    parts = [f"{row['activation']}" if hue != "activation" else "",
             f"{optimizer}lr={row.get('lr', '')}" if hue != "lr" else optimizer.strip(),
             f"{row.get('epochs', '')} epochs" if hue != "epochs" else ""]
    return ", ".join(str(p) for p in parts if p)
