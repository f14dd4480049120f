"""Two sweeps side by side: the same configs joined, the metric difference, and a figure.

Typical use: one grid run with ``gd`` and again with ``adam``, or with ``tanh`` and with
``relu``, as separate sweeps. The axes whose values do not overlap between the two frames
(the optimizer, say, and its ``lr``) are what differs; every other config axis is a join key.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import seaborn as sns

from results._frame import config_columns, ok_metric, prepare
from results.figures._layout import (LABEL_SIZE, TICK_SIZE, figure_title, log_axis,
                                     log_helps, panel_grid)
from results.tables import write_table

_DERIVED = ("layers", "depth", "n_params")  # follow from hidden: shown, never join keys


def compare(df_a, df_b, *, on="test_mse", by=None, labels=None):
    """Join the configs of two sweeps and take the difference of a metric.

    Parameters
    ----------
    df_a, df_b : pandas.DataFrame
        Results in the ``sweeps.load`` schema.
    on : str, default="test_mse"
        Metric to compare (mean over each config's ``ok`` seeds).
    by : list of str, default=None
        Join keys. None uses every config axis present in both frames except those whose
        values do not overlap at all between the two (the axes that differ).
    labels : (str, str), default=None
        Names of the two sides, used as column suffixes. None takes the value of the
        differing axis when there is one (e.g. ``("gd", "adam")``), else ``("a", "b")``.

    Returns
    -------
    pandas.DataFrame
        The join keys, ``layers``, ``depth``, ``n_params``, ``<on>_<label>`` and
        ``n_<label>`` (ok seeds) for each side, ``diff`` (b minus a), ``rel_diff``
        (diff / |a|) and ``match`` (``both``, ``<a> only``, ``<b> only``): configs of one
        side only are kept, not dropped. ``attrs`` holds ``on``, ``labels``, ``keys`` and
        ``differing`` (axis -> (values in a, values in b)).
    """
    a, b = _per_config(prepare(df_a), on), _per_config(prepare(df_b), on)
    axes = [c for c in a.columns if c in b.columns and c not in (on, "n")]
    differing = _differing(a, b, axes)
    keys = list(by) if by is not None else [c for c in axes
                                           if c not in differing and c not in _DERIVED]
    _check_unique(a, keys, "first")
    _check_unique(b, keys, "second")
    labels = tuple(labels) if labels is not None else _default_labels(differing)
    if len(set(labels)) != 2:
        raise ValueError(f"labels must be two different names, got {labels}")
    la, lb = labels
    shown = [c for c in _DERIVED if c in a and c not in keys]
    left = a[keys + shown + [on, "n"]].rename(columns={on: f"{on}_{la}", "n": f"n_{la}"})
    right = b[keys + shown + [on, "n"]].rename(columns={on: f"{on}_{lb}", "n": f"n_{lb}"})
    table = left.merge(right, on=keys, how="outer", suffixes=("", "_b"), indicator="match")
    for c in shown:  # identical on both sides whenever hidden is a key
        table[c] = table[c].fillna(table.pop(f"{c}_b"))
    table["diff"] = table[f"{on}_{lb}"] - table[f"{on}_{la}"]
    table["rel_diff"] = table["diff"] / table[f"{on}_{la}"].abs()
    table["match"] = table["match"].map({"both": "both", "left_only": f"{la} only",
                                         "right_only": f"{lb} only"}).astype(str)
    table = table.sort_values([c for c in ("depth", "hidden") if c in table],
                              kind="stable").reset_index(drop=True)
    table.attrs.update(on=on, labels=labels, keys=keys, differing=differing)
    return table


def _per_config(df, on):
    """One row per config: its axes (lists made hashable), mean ``on`` and ok-seed count."""
    value = ok_metric(df, on)
    axes = df[config_columns(df)].map(lambda v: tuple(v) if isinstance(v, list) else v)
    out = axes.groupby(df["config_id"]).first()
    out[on] = value.groupby(df["config_id"]).mean()
    out["n"] = value.notna().groupby(df["config_id"]).sum()
    return out.reset_index(drop=True)


def _differing(a, b, axes):
    """Axes of both frames whose value sets are disjoint: what the two sweeps vary."""
    out = {}
    for c in axes:
        if c not in _DERIVED and c != "hidden":
            va, vb = _values(a[c]), _values(b[c])
            if not va & vb:
                out[c] = (sorted(va, key=str), sorted(vb, key=str))
    return out


def _values(column):
    # NaN != NaN: map missing values to None so that two sweeps' NaNs count as equal.
    return {None if isinstance(v, float) and np.isnan(v) else v for v in column.astype(object)}


def _check_unique(side, keys, name):
    if side.duplicated(keys).any():
        raise ValueError(f"configs of the {name} frame are not unique on the join keys {keys}: "
                         "an axis varies inside one sweep and differs from the other; "
                         "filter the frames or pass by=")


def _default_labels(differing):
    if len(differing) >= 1:
        va, vb = next(iter(differing.values()))
        if len(va) == 1 and len(vb) == 1 and str(va[0]) != str(vb[0]):
            return str(va[0]), str(vb[0])
    return "a", "b"


def compare_plot(table, *, hue="depth", title=None):
    """Scatter of the two sides' metric per config, and the difference against size.

    Parameters
    ----------
    table : pandas.DataFrame
        The output of :func:`compare`.
    hue : str, default="depth"
    title : str, default=None

    Returns
    -------
    matplotlib.figure.Figure
        Left: b against a with the y = x line (below it b is lower). Right: b - a against
        the number of parameters.
    """
    on, (la, lb) = table.attrs["on"], table.attrs["labels"]
    both = table[table["match"] == "both"]
    if both.empty:
        raise ValueError("the two sweeps share no config: nothing to compare")
    fig, axes = panel_grid(1, 2, panel_size=(3.4, 3.0), sharex=False, sharey=False,
                           extra_width=0.8)
    hue = hue if hue in both else None
    _scatter_panel(axes[0, 0], both, f"{on}_{la}", f"{on}_{lb}", hue)
    axes[0, 0].set_xlabel(f"{on} ({la})", fontsize=LABEL_SIZE)
    axes[0, 0].set_ylabel(f"{on} ({lb})", fontsize=LABEL_SIZE)
    _diff_panel(axes[0, 1], both, hue)
    axes[0, 1].set_ylabel(f"{on}: {lb} − {la}", fontsize=LABEL_SIZE)
    if axes[0, 0].get_legend():
        handles, names = axes[0, 0].get_legend_handles_labels()
        axes[0, 0].get_legend().remove()
        fig.legend(handles, names, title=hue, loc="outside right center", frameon=False,
                   fontsize=TICK_SIZE + 1, title_fontsize=LABEL_SIZE)
    counts = table["match"].value_counts()
    figure_title(fig, title or f"{on}: {la} vs {lb} ({counts.get('both', 0)} configs matched"
                 + "".join(f", {n} {m}" for m, n in counts.items() if m != "both") + ")")
    return fig


def _scatter_panel(ax, both, x, y, hue):
    """b against a per config, on equal axes with the y = x line."""
    sns.scatterplot(data=both, x=x, y=y, hue=hue, palette="deep", s=18, ax=ax, legend=True)
    values = both[[x, y]].to_numpy(dtype=float)
    low, high = np.nanmin(values), np.nanmax(values)
    ax.plot([low, high], [low, high], color="0.5", lw=0.8, ls="--")
    log = log_helps(values)
    # The same range on both axes, so that the y = x line is the diagonal.
    pad = 0.05 * (high - low)
    lims = (low / 1.3, high * 1.3) if log else (low - pad, high + pad)
    ax.set_xlim(*lims)
    ax.set_ylim(*lims)
    if log:
        log_axis(ax, "x")
        log_axis(ax, "y")
    ax.tick_params(labelsize=TICK_SIZE + 1)


def _diff_panel(ax, both, hue):
    """The difference b - a against network size."""
    sns.scatterplot(data=both, x="n_params", y="diff", hue=hue, palette="deep", s=18, ax=ax,
                    legend=False)
    ax.axhline(0, color="0.5", lw=0.8, ls="--")
    log_axis(ax, "x")
    ax.set_xlabel("number of parameters", fontsize=LABEL_SIZE)
    ax.tick_params(labelsize=TICK_SIZE + 1)


def write_comparison(dir_a, dir_b, out_dir=None, *, on="test_mse", labels=None,
                     formats=("csv", "md", "html"), figure_format="png"):
    """Load two sweep directories, compare them and optionally write the results.

    Parameters
    ----------
    dir_a, dir_b : str or Path
        Output directories of two sweeps (read with ``sweeps.load``).
    out_dir : str or Path, default=None
        Where to write ``compare.<fmt>`` tables and ``compare.<figure_format>``; None
        writes nothing.
    on, labels
        As for :func:`compare`.
    formats : tuple of str, default=("csv", "md", "html")
    figure_format : {"png", "svg", "pdf"}, default="png"

    Returns
    -------
    dict
        ``table`` (DataFrame), ``figure`` (Figure or None when nothing matched) and
        ``files`` (name -> Path of what was written).
    """
    from results.figures._layout import save_figure
    from results.report import load_results

    table = compare(load_results(dir_a, weights=False), load_results(dir_b, weights=False),
                    on=on, labels=labels)
    figure = compare_plot(table) if (table["match"] == "both").any() else None
    files = {}
    if out_dir is not None:
        files.update(write_table(table.drop(columns=["hidden"], errors="ignore"),
                                 Path(out_dir) / "compare", formats=formats))
        if figure is not None:
            files["figure"] = save_figure(figure, Path(out_dir) / "compare", figure_format)
    return {"table": table, "figure": figure, "files": files}
