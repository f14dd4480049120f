"""Two sweeps side by side: the same configs joined, the metric difference, and a figure.

Typical use: one grid run with ``gd`` and again with ``adam``, or with ``tanh`` and with
``relu``, as separate sweeps. The axes whose values do not overlap between the two frames
(the optimizer, say, and its ``lr``) are what differs; every other config axis is a join key.
"""
from __future__ import annotations

from pathlib import Path

from results.figures.compare import compare_plot
from results.figures.layout import save_figure
from results.frame import config_columns, load_results, per_config, prepare
from results.tables import write_table
from sweeps.schema import hashable

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
    """One row per config: its axes (lists as tuples, to join on), mean ``on``, ok seeds."""
    table = per_config(df, [on], stats=("mean", "n"))
    table = table.rename(columns={f"{on}_mean": on, f"{on}_n": "n"})
    axes = config_columns(df)
    table[axes] = table[axes].map(lambda v: tuple(v) if isinstance(v, list) else v)
    return table.reset_index(drop=True)


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
    # NaN != NaN: hashable maps missing values to None so two sweeps' NaNs count as equal.
    return {hashable(v) for v in column}


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


def comparison_text(table, dir_a, dir_b) -> str:
    """The comparison as the terminal shows it: what differs, what is the same, the table.

    Parameters
    ----------
    table : pandas.DataFrame
        The output of :func:`compare`.
    dir_a, dir_b : str or Path
        The two sweeps' directories, named in the first line.

    Returns
    -------
    str
        A first line naming the metric, the two sides and the axes that differ; a line
        with the config columns that hold one value in every row (instead of repeating
        them down the table); then the table (``hidden`` left out: ``layers`` shows it).
    """
    (label_a, label_b), on = table.attrs["labels"], table.attrs["on"]
    differing = "; ".join(f"{axis} {_joined(va)} | {_joined(vb)}"
                          for axis, (va, vb) in table.attrs["differing"].items())
    lines = [f"{on}: {label_a} ({dir_a}) vs {label_b} ({dir_b})"
             + (f"; differing: {differing}" if differing else "")]
    table = table.drop(columns=["hidden"], errors="ignore")
    constant = [c for c in table.attrs["keys"]
                if c in table and len(table) > 1 and table[c].map(repr).nunique() == 1]
    if constant:
        lines.append("same in every row: "
                     + " ".join(f"{c}={table[c].iloc[0]}" for c in constant))
    lines.append(table.drop(columns=constant).to_string(index=False))
    return "\n".join(lines)


def _joined(values) -> str:
    return ",".join(str(v) for v in values)
