"""Decision-boundary grids of 2-D classification sweeps.

Each panel shows the class regions predicted on a mesh over the data, the boundary, the data
points coloured by their true class and the test accuracy. Rows are depth (or activation in
the comparison figure), columns the hidden width.

One seed per config is drawn (the lowest ``ok`` seed unless ``seed=`` says otherwise): a
boundary belongs to one trained network, and averaging the probabilities of several seeds
would draw the boundary of an ensemble that nobody trained.
"""
from __future__ import annotations

import numpy as np
import seaborn as sns
from matplotlib.colors import BoundaryNorm, ListedColormap

import nncore
from results._nets import net_frame, rebuild, task_data
from results.figures.facets import MAX_SIDE, panel_cells
from results.figures.layout import LABEL_SIZE, TICK_SIZE, figure_title, fix_limits, panel_title
from results.frame import (arch_sort, at_depth, extra_axes, layers_label, require_single,
                           seed_rows, task_fact, uniform_width)

#: The column holding each panel row's label ("depth 2", or "epochs 500, depth 2").
_ROW = "panel_row"


def decision_boundaries(df, *, activation=None, seed=None, points="train", resolution=150,
                        panel_size=1.05, title=None, sweep=None):
    """Decision regions of every architecture for one activation: rows depth, columns width.

    Parameters
    ----------
    df : pandas.DataFrame
        Results in the ``sweeps.load`` schema with weights, of a classification task with a
        2-D input.
    activation : str, default=None
        Hidden activation to draw; may be None only when the frame has one.
    seed : int, default=None
        Seed whose network is drawn; None takes the lowest ``ok`` seed of each config.
    points : {"train", "test"}, default="train"
        Which data points to draw on top of the regions.
    resolution : int, default=150
        Mesh points per axis.
    panel_size : float, default=1.05
        Inches per panel side; the figure grows with the grid.
    title : str, default=None
    sweep : str, default=None
        The sweep's name, which the default title starts with; None: the task's.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per config, including configs without an ``ok`` network (data only).
    """
    df = net_frame(df)
    activations = sorted(df["activation"].unique())
    if activation is None and len(activations) > 1:
        raise ValueError(f"the frame has activations {activations}; pass activation= "
                         "(one figure per activation) or use boundary_comparison")
    activation = activation or activations[0]
    sub = df[df["activation"] == activation]
    if sub.empty:
        raise ValueError(f"no results for activation {activation!r}; have {activations}")
    fig = _boundary_grid(sub, "depth", seed, points, resolution, panel_size)
    name = sweep or sub["task"].iloc[0]
    figure_title(fig, title or _title(name, f"activation {activation}", seed))
    return fig


def boundary_comparison(df, *, depth=1, seed=None, points="train", resolution=150,
                        panel_size=1.05, title=None, sweep=None):
    """Decision regions of each activation side by side at one depth: rows activation.

    Parameters
    ----------
    df : pandas.DataFrame
        As for :func:`decision_boundaries`, with any number of activations.
    depth : int, default=1
        Number of hidden layers to compare at.
    seed, points, resolution, panel_size, title, sweep
        As for :func:`decision_boundaries`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    sub = at_depth(net_frame(df), depth)
    fig = _boundary_grid(sub, "activation", seed, points, resolution, panel_size)
    name = sweep or sub["task"].iloc[0]
    figure_title(fig, title or _title(name, f"activations at depth {depth}", seed))
    return fig


def _boundary_grid(df, row_axis, seed, points, resolution, panel_size):
    kind, n_in = task_fact(df, "kind"), task_fact(df, "n_in")
    if (kind, n_in) != ("classification", 2):
        raise ValueError(f"decision boundaries need a classification task with 2-D input; "
                         f"task {df['task'].iloc[0]!r} is {kind} with {n_in} input(s)")
    df, row_axes = _row_labels(df, row_axis)
    configs = arch_sort(df.drop_duplicates("config_id"), by=row_axes)
    ds = task_data(configs.iloc[0])  # its points are drawn, its mesh spans them
    slots, uniform = _slots(configs, _ROW)
    n_rows, n_cols = (max(v[i] for v in slots.values()) + 1 for i in (0, 1))
    # Every (row, width) slot of a uniform grid is a config: one without a result yet
    # stays, marked, so that the grid reads as rows x widths.
    fig, axes, panels = panel_cells({k: v[:2] for k, v in slots.items()}, (n_rows, n_cols),
                                    panel_size=(panel_size, panel_size), extra_width=0.3,
                                    hide=not uniform)
    mesh = _mesh(ds, resolution)
    fix_limits(axes, (mesh[0].min(), mesh[0].max()), (mesh[1].min(), mesh[1].max()))
    chosen = seed_rows(df, seed=seed).set_index("config_id")
    colors = sns.color_palette("deep", task_fact(df, "n_out"))
    for _, cfg in configs.iterrows():
        net_row = chosen.loc[cfg["config_id"]] if cfg["config_id"] in chosen.index else None
        _draw_panel(panels[cfg["config_id"]], net_row, ds, mesh, points, colors)
    _label_edges(axes, configs, slots, uniform)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
        ax.spines[:].set_visible(True)  # a closed frame around each map
    for ax in set(axes.flat) - set(panels.values()) if uniform else ():
        ax.text(0.5, 0.5, "no result", transform=ax.transAxes, ha="center",
                va="center", fontsize=TICK_SIZE, color="0.5")
        ax.spines[:].set_color("0.8")
    return fig


def _row_labels(df, row_axis):
    """The frame with each row's label (column ``_ROW``), and the axes the rows stand for.

    Rows are the values of ``row_axis``; another axis that varies (a sweep run again
    into the same folder with ``epochs=500``) splits them further, one row per
    combination labelled with both, rather than mixing configs in one panel. Past
    :data:`MAX_SIDE` rows it is refused, naming a filter that keeps one value.
    """
    axes = [*extra_axes(df, (row_axis,)), row_axis]
    if len(axes) > 1 and len(df[axes].astype(str).drop_duplicates()) > MAX_SIDE:
        require_single(df, allowed=(row_axis,), what="decision boundaries")
    labels = df[axes].astype(str).apply(lambda r: ", ".join(f"{a} {r[a]}" for a in axes),
                                        axis=1)
    return df.assign(**{_ROW: labels}), axes


def _label_edges(axes, configs, slots, uniform):
    """Column titles on the top row (widths) or on each panel (layers); row labels left."""
    for _, cfg in configs.iterrows():
        r, c, label = slots[cfg["config_id"]]
        panel_title(axes[0 if uniform else r, c], label)
        axes[r, 0].set_ylabel(cfg[_ROW], fontsize=LABEL_SIZE)


def _slots(configs, row_axis):
    """config_id -> (row, col, column title), and whether columns are widths.

    Columns are hidden widths when every architecture has one width throughout (the
    moons/blobs grids); otherwise panels fill each row in architecture order, titled with
    their layers.
    """
    rows = list(dict.fromkeys(configs[row_axis]))
    uniform = all(uniform_width(h) is not None for h in configs["hidden"])
    widths = sorted({uniform_width(h) for h in configs["hidden"]}) if uniform else None
    slots, filled = {}, dict.fromkeys(rows, 0)
    for _, cfg in configs.iterrows():
        r = rows.index(cfg[row_axis])
        if uniform:
            w = uniform_width(cfg["hidden"])
            slots[cfg["config_id"]] = (r, widths.index(w), f"width {w}")
        else:
            slots[cfg["config_id"]] = (r, filled[cfg[row_axis]], layers_label(cfg))
            filled[cfg[row_axis]] += 1
    return slots, uniform


def _mesh(ds, resolution):
    X = np.vstack([ds.X_train, ds.X_test])
    pad = 0.08 * (X.max(axis=0) - X.min(axis=0))
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], resolution),
                         np.linspace(lo[1], hi[1], resolution))
    return xx, yy


def _draw_panel(ax, row, ds, mesh, points, colors):
    xx, yy = mesh
    k = len(colors)  # one per class
    if row is not None:
        Z = nncore.predict_labels(rebuild(row).predict(np.column_stack([xx.ravel(),
                                                                         yy.ravel()])))
        light = [tuple(0.6 + 0.4 * np.asarray(c)) for c in colors]  # blend towards white
        ax.pcolormesh(xx, yy, Z.reshape(xx.shape), cmap=ListedColormap(light),
                      norm=BoundaryNorm(np.arange(k + 1) - 0.5, k), shading="auto",
                      rasterized=True)
        if len(np.unique(Z)) > 1:
            ax.contour(xx, yy, Z.reshape(xx.shape), levels=np.arange(k - 1) + 0.5,
                       colors="0.25", linewidths=0.6)
    X, y = (ds.X_train, ds.y_train) if points == "train" else (ds.X_test, ds.y_test)
    ax.scatter(X[:, 0], X[:, 1], c=[colors[i] for i in y], s=2.5, lw=0, zorder=3)
    text = _accuracy_text(row)
    ax.text(0.97, 0.03, text, transform=ax.transAxes, ha="right", va="bottom",
            fontsize=TICK_SIZE, color="firebrick" if row is None else "black", zorder=4,
            bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.8))


def _accuracy_text(row):
    if row is None:
        return "no ok seed"
    value = float(row.get("test_accuracy", np.nan))
    return f"acc {value:.2f}" if np.isfinite(value) else "acc –"


def _title(name, what, seed):
    which = f"seed {seed}" if seed is not None else "lowest ok seed per config"
    return (f"{name}: decision regions, {what} "
            f"({which}; test accuracy in the corner)")
