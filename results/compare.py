"""Two settings side by side, ending in a verdict: who is better, by how much, how sure.

The two sides are two sweeps (one grid run with ``adam`` and again with ``adagrad``), or two
values of one axis of a single sweep (``by="optimizer"``). Configs are paired when they
agree on every other config axis, and seeds are paired with seeds, so each pair differs
only in what is compared. The axes whose value sets do not overlap between the sides are
what differs; an axis present on both sides with partly different values is a join key,
and configs of one side only are listed, never paired with something else.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from results.figures.layout import save_figure
from results.figures.paired import compare_plot
from results.frame import (DERIVED_ARCH, config_columns, held_out, load_results, ok_metric,
                           prepare, task_kind)
from results.stats import paired_verdict
from results.tables import write_table
from sweeps.schema import KIND_METRICS, METRICS, hashable, higher_is_better, main_metric

_DERIVED = DERIVED_ARCH  # follow from hidden: shown, never join keys


def compare(df_a, df_b=None, *, on=None, by=None, values=None, labels=None, keys=None,
            alpha=0.05):
    """Pair the configs of two sides, take the paired difference of a metric, and judge it.

    Parameters
    ----------
    df_a : pandas.DataFrame
        Results in the ``sweeps.load`` schema: side A, or the whole sweep when ``df_b`` is
        None.
    df_b : pandas.DataFrame, default=None
        Side B. None compares two values of the axis ``by`` inside ``df_a``.
    on : str, default=None
        Metric to compare. None takes the task's main validation metric (``val_accuracy``
        for classification, ``val_mse`` for regression); a metric the task does not
        record is refused.
    by : str or list of str, default=None
        The axes meant to differ between the sides. Two sweeps: checked (if the sweeps
        differ in another axis too, pairing would mix that change in: refused); None
        takes whatever differs. One sweep: required; its first axis splits the sweep.
    values : (value, value), default=None
        One sweep: the two values of ``by`` to compare, A first; None when it has exactly
        two (A the first in sorted order).
    labels : (str, str), default=None
        Names of the two sides (column suffixes). None: the values of the first differing
        axis (e.g. ``("adam", "adagrad")``), else ``("a", "b")``.
    keys : list of str, default=None
        Join keys. None: every config axis of both sides except the differing ones.
    alpha : float, default=0.05
        Level of the Wilcoxon test: a side is called better only when p < ``alpha``.

    Returns
    -------
    pandas.DataFrame
        One row per config: the join keys, ``layers``, ``depth``, ``n_params``,
        ``<on>_<label>`` per side (mean over the paired seeds, or over the side's ok seeds
        for a config of one side only), ``n_<label>`` (ok seeds per side), ``n_paired``,
        ``diff`` (A minus B, mean over paired seeds), ``rel_diff`` (diff / |B|) and
        ``match`` (``both``, ``<a> only``, ``<b> only``), A's largest advantage first.
        ``attrs`` holds ``on``, ``labels``, ``keys``, ``differing`` (axis -> (values of A,
        values of B)), ``pairing`` (``seeds``; ``config means`` when the sides share
        configs but no seed: each config's mean over its own seeds is paired) and
        ``verdict`` (see :func:`results.stats.paired_verdict`).
    """
    a, b, split_by = _sides(df_a, df_b, by, values)
    on = _metric(on, a, b)
    differing = _differing(a, b)
    named = [split_by] if split_by else ([by] if isinstance(by, str) else list(by or []))
    extra = [axis for axis in differing if named and axis not in named]
    if extra:
        raise ValueError(
            f"the two sides differ in {', '.join(extra)} as well as in {', '.join(named)}: "
            "pairing them would mix that change into the comparison; name every axis that "
            f"should differ (by={named + extra}) or filter the frames first")
    if keys is None:
        keys = [c for c in config_columns(a) if c in b and c not in differing
                and c not in _DERIVED and c != split_by]
    labels = tuple(labels) if labels is not None else _default_labels(differing)
    if len(labels) != 2 or labels[0] == labels[1]:
        raise ValueError(f"labels must be two different names, got {labels}")
    table, pairing = _paired_table(a, b, on, keys, labels)
    table.attrs.update(on=on, labels=labels, keys=keys, differing=differing, pairing=pairing,
                       verdict=paired_verdict(table["diff"], names=labels, metric=on,
                                              higher_is_better=higher_is_better(on),
                                              alpha=alpha, pairing=pairing))
    return table


def _sides(df_a, df_b, by, values):
    """(frame A, frame B, the axis that split one sweep or None)."""
    a = prepare(df_a)
    if df_b is not None:
        return a, prepare(df_b), None
    axis = by if isinstance(by, str) else (list(by)[0] if by else None)
    if axis is None or axis not in a:
        raise ValueError("comparing inside one sweep needs by=<axis> naming a config axis "
                         "whose two values are the sides (e.g. by='optimizer')")
    present = _ordered(dict.fromkeys(a[axis].map(hashable)))
    if values is None:
        if len(present) != 2:
            raise ValueError(f"axis {axis!r} has {len(present)} values {present}; name the "
                             "two to compare: values=(first, second), on the command line "
                             "--values first,second")
        values = present
    missing = [v for v in values if hashable(v) not in present]
    if len(values) != 2 or missing:
        raise ValueError(f"values must be two of the values of {axis!r} in the sweep "
                         f"({present}); got {list(values)}")
    side = a[axis].map(hashable)
    return (a[side == hashable(values[0])], a[side == hashable(values[1])], axis)


def _ordered(values) -> list:
    """An axis's values in sorted order (by their text where types differ): the sides of a
    comparison without ``values`` never depend on the order in which jobs finished."""
    try:
        return sorted(values)
    except TypeError:
        return sorted(values, key=repr)


def _metric(on, a, b):
    kind = task_kind(a) or task_kind(b)
    if on is None:
        if kind is None:
            raise ValueError("no ok job on either side yet: nothing to compare")
        if not (held_out(a, "val") or held_out(b, "val")):
            raise ValueError("these sweeps hold out no validation data (a truth table, or "
                             "val_size = 0); name the metric to compare, e.g. on="
                             f"{main_metric(kind, 'train')!r} (a training metric)")
        return main_metric(kind, "val")
    allowed = [m for m in METRICS if m not in KIND_METRICS.get(
        "classification" if kind == "regression" else "regression", ())]
    if on not in allowed or not (ok_metric(a, on).notna().any()
                                 or ok_metric(b, on).notna().any()):
        raise ValueError(f"metric {on!r} does not exist for this {kind or ''} sweep; "
                         f"allowed: {', '.join(m for m in allowed if m != 'wall_time')}")
    return on


def _differing(a, b):
    """Axes of both sides whose value sets are disjoint: what the two sides vary."""
    out = {}
    for c in config_columns(a):
        if c in b and c not in _DERIVED and c != "hidden":
            va, vb = {hashable(v) for v in a[c]}, {hashable(v) for v in b[c]}
            if not va & vb:
                out[c] = (sorted(va, key=str), sorted(vb, key=str))
    return out


def _default_labels(differing):
    for va, vb in differing.values():
        if len(va) == 1 and len(vb) == 1 and str(va[0]) != str(vb[0]):
            return str(va[0]), str(vb[0])
    return "a", "b"


def _paired_table(a, b, on, keys, labels):
    la, lb = labels
    side_a, side_b = _per_seed(a, on, keys), _per_seed(b, on, keys)
    for side, name in ((side_a, "first"), (side_b, "second")):
        if side.duplicated(["_config", "seed"]).any():
            raise ValueError(f"configs of the {name} side are not unique on the join keys "
                             f"{keys}: an axis varies inside one side and differs from the "
                             "other; filter the frames or pass keys=")
    pairs, pairing = _pairs(side_a, side_b)
    pairs["diff"] = pairs["value_a"] - pairs["value_b"]
    paired = pairs.groupby("_config").agg(mean_a=("value_a", "mean"),
                                          mean_b=("value_b", "mean"),
                                          diff=("diff", "mean"), n_paired=("diff", "size"))
    configs = pd.concat([side_a, side_b]).drop_duplicates("_config").set_index("_config")
    table = configs[keys + [c for c in _DERIVED if c in configs and c not in keys]].copy()
    for side, label in ((side_a, la), (side_b, lb)):
        ok = side.dropna(subset=["value"]).groupby("_config")["value"]
        table[f"{on}_{label}"] = ok.mean()
        table[f"n_{label}"] = ok.size().reindex(table.index, fill_value=0)
    both = paired.index
    table.loc[both, f"{on}_{la}"] = paired["mean_a"]
    table.loc[both, f"{on}_{lb}"] = paired["mean_b"]
    table["n_paired"] = paired["n_paired"].reindex(table.index, fill_value=0)
    table["diff"] = paired["diff"]
    table["rel_diff"] = table["diff"] / table[f"{on}_{lb}"].abs()
    in_a, in_b = table.index.isin(side_a["_config"]), table.index.isin(side_b["_config"])
    table["match"] = np.where(in_a & in_b, "both", np.where(in_a, f"{la} only", f"{lb} only"))
    advantage = table["diff"] * (1 if higher_is_better(on) else -1)
    return (table.assign(_order=advantage).sort_values("_order", ascending=False,
                                                       kind="stable", na_position="last")
            .drop(columns="_order").reset_index(drop=True)), pairing


def _pairs(side_a, side_b):
    """Seeds paired with seeds; with no seed on both sides, config means with config means.

    Two sweeps of the same configs with different seeds share no (config, seed): pairing
    each config's mean over its own seeds still pairs like with like (one pair per config).
    """
    ok_a, ok_b = side_a.dropna(subset=["value"]), side_b.dropna(subset=["value"])
    pairs = ok_a.merge(ok_b[["_config", "seed", "value"]], on=["_config", "seed"],
                       suffixes=("_a", "_b"))
    if len(pairs) or not set(ok_a["_config"]) & set(ok_b["_config"]):
        return pairs, "seeds"
    means_a = ok_a.groupby("_config", sort=False)["value"].mean()
    means_b = ok_b.groupby("_config", sort=False)["value"].mean()
    joined = pd.concat({"value_a": means_a, "value_b": means_b}, axis=1, join="inner")
    return joined.rename_axis("_config").reset_index(), "config means"


def _per_seed(df, on, keys):
    """One row per job: its config (keys made hashable), seed and ok value of ``on``."""
    out = df[keys + [c for c in _DERIVED if c in df and c not in keys] + ["seed"]].copy()
    for c in keys:
        out[c] = out[c].map(hashable)
    # One text id per config: tuples as index labels would read as MultiIndex keys.
    out["_config"] = [repr(t) for t in zip(*(out[c] for c in keys))] if keys else "()"
    out["value"] = ok_metric(df, on)
    return out


def write_comparison(dir_a, dir_b=None, out_dir=None, *, on=None, by=None, values=None,
                     labels=None, formats=("csv", "md", "html"), figure_format="png",
                     alpha=0.05):
    """Load one or two sweep directories, compare them and optionally write the results.

    Parameters
    ----------
    dir_a, dir_b : str or Path
        Output directories of the sweeps (``dir_b`` None: compare inside ``dir_a``).
    out_dir : str or Path, default=None
        Where to write ``compare.<fmt>`` tables, ``compare.<figure_format>`` and an
        ``index.html`` page with the verdict; None writes nothing.
    on, by, values, labels, alpha
        As for :func:`compare`.
    formats : tuple of str, default=("csv", "md", "html")
    figure_format : {"png", "svg", "pdf"}, default="png"

    Returns
    -------
    dict
        ``table`` (DataFrame, with the verdict in ``attrs``), ``figure`` (Figure or None
        when nothing was paired) and ``files`` (name -> Path of what was written).
    """
    df_b = None if dir_b is None else load_results(dir_b, weights=False)
    table = compare(load_results(dir_a, weights=False), df_b, on=on, by=by, values=values,
                    labels=labels, alpha=alpha)
    figure = compare_plot(table) if table["n_paired"].any() else None
    files = {}
    if out_dir is not None:
        out_dir = Path(out_dir)
        files.update(write_table(table.drop(columns=["hidden"], errors="ignore"),
                                 out_dir / "compare", formats=formats))
        if figure is not None:
            files["figure"] = save_figure(figure, out_dir / "compare", figure_format)
        from results._html import comparison_page

        page = out_dir / "index.html"
        constant, shown = folded(table)
        page.write_text(comparison_page(table, shown, constant,
                                        [dir_a] + ([dir_b] if dir_b else []), files),
                        encoding="utf-8")
        files["page"] = page
    return {"table": table, "figure": figure, "files": files}


def comparison_text(table, dir_a, dir_b=None) -> str:
    """The comparison as the terminal shows it: the verdict first, then the table.

    Parameters
    ----------
    table : pandas.DataFrame
        The output of :func:`compare`.
    dir_a, dir_b : str or Path
        The sweeps' directories (one for a comparison inside a sweep).

    Returns
    -------
    str
        The verdict line; a line naming the sides and the axes that differ; a line with
        the config columns that hold one value in every row (instead of repeating them);
        then the table, A's largest advantage first (``hidden`` left out: ``layers``
        shows it).
    """
    (label_a, label_b), on = table.attrs["labels"], table.attrs["on"]
    differing = "; ".join(f"{axis} {_joined(va)} | {_joined(vb)}"
                          for axis, (va, vb) in table.attrs["differing"].items())
    where = f"{label_a} ({dir_a}) vs {label_b} ({dir_b})" if dir_b else f"in {dir_a}"
    lines = [table.attrs["verdict"]["text"],
             f"{on}, {where}" + (f"; differing: {differing}" if differing else "")]
    unpaired = table[table["n_paired"] == 0]
    if len(unpaired):
        counts = unpaired["match"].value_counts()
        lines.append("not paired: " + ", ".join(f"{n} {m}" for m, n in counts.items())
                     + " (no ok seed on both sides)")
    constant, shown = folded(table)
    if constant:
        lines.append("same in every row: " + " ".join(f"{c}={v}" for c, v in constant.items()))
    lines.append(shown.to_string(index=False))
    return "\n".join(lines)


def folded(table):
    """The table as shown: join keys with one value in every row taken out, ``hidden`` too.

    Returns
    -------
    constant : dict
        Column -> its one value.
    shown : pandas.DataFrame
        The rest (``layers`` shows the architecture).
    """
    table = table.drop(columns=["hidden"], errors="ignore")
    constant = {c: table[c].iloc[0] for c in table.attrs["keys"]
                if c in table and len(table) > 1 and table[c].map(repr).nunique() == 1}
    return constant, table.drop(columns=list(constant))


def _joined(values) -> str:
    return ",".join(str(v) for v in values)
