"""Tiny nets, shown as numbers: each data row's output per seed, the trained weights.

For a net of a few parameters (a truth table, the logistic unit) the numbers are the
figure: the course material checks its NOT by the output for x = 0 and x = 1 and by the
trained w and b. The report of a sweep with such nets (:data:`TINY` parameters or fewer)
gets two tables per task: the outputs, one row per (config, data row) with the input, the
target and one column per seed, and the weights and biases, one row per (config, seed).
It opens with what was learnt ("NOT learnt by 5 of 5 seeds: x=0 -> 0.92, x=1 -> 0.01").

Nothing here trains: the nets are rebuilt from the stored weights (:mod:`results._nets`)
and evaluated on the training rows of their data set, rebuilt from the task parameters.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

import nncore
from results._nets import rebuild, task_data
from results.frame import arch_sort, varying_axes

#: Nets with at most this many parameters are shown as numbers.
TINY = 50
#: Data rows shown per config (a truth table has 2 or 4; a CSV's first rows stand for it).
MAX_ROWS = 16


def tiny_net_tables(df):
    """The outputs and weights tables of the tiny nets of ``df``, per task.

    Parameters
    ----------
    df : pandas.DataFrame
        Results in the ``sweeps.load`` schema, with weights.

    Returns
    -------
    list of (title, file stem, pandas.DataFrame)
        Empty when no ``ok`` net has :data:`TINY` parameters or fewer.
    """
    out = []
    for task, sub in _tiny(df).groupby("task", sort=True):
        axes = ["layers", *varying_axes(sub, exclude=("task",))]
        outputs, shown, total = _outputs(sub, axes)
        note = (f"the first {shown} of {total} training rows" if shown < total
                else "every training row")
        out.append((f"{task}: output of each trained net on {note} (tiny nets, at most "
                    f"{TINY} parameters), one column per seed", f"tiny_{task}_outputs",
                    outputs))
        out.append((f"{task}: trained weights W (inputs x units) and biases b of each layer "
                    "(tiny nets)", f"tiny_{task}_weights", _weights(sub, axes)))
    return out


def learnt_lines(df):
    """What each tiny net of a truth table learnt, in one sentence per config.

    A seed has learnt the table when its net gives every row's target class
    (``nncore.predict_labels``); the outputs quoted are the mean over the ``ok`` seeds.
    A net without hidden layer on another task (the logistic unit) gets its training
    accuracy and mean weights.
    """
    lines = []
    for sub in _configs(_tiny(df)):
        row = sub.iloc[0]
        ds = task_data(row)
        nets = [rebuild(r) for _, r in sub.iterrows()]
        outputs = np.stack([net.predict(ds.X_train)[:, 0] for net in nets])
        if row["task"] == "logic":
            lines.append(_learnt(row, list(sub["seed"]), ds, nets, outputs))
        elif row["depth"] == 0 and ds.kind == "classification":
            lines.append(_logistic_unit(row, ds, nets))
    return lines


def _tiny(df):
    """The ``ok`` rows with stored weights of nets of :data:`TINY` parameters or fewer."""
    if "weights" not in df or "n_params" not in df:
        return df.iloc[:0]
    keep = (df["status"] == "ok") & (df["n_params"] <= TINY) & df["weights"].notna()
    return df[keep].sort_values(["config_id", "seed"], kind="stable")


def _configs(sub):
    """The rows of each config, in the order of the report's tables: axes, architecture."""
    if sub.empty:
        return []
    order = arch_sort(sub.drop_duplicates("config_id"), by=varying_axes(sub))["config_id"]
    groups = dict(tuple(sub.groupby("config_id", sort=False)))
    return [groups[c] for c in order]


def _outputs(sub, axes):
    """One row per (config, data row): its axes, the input, the target, each seed's output."""
    parts, shown, total = [], 0, 0
    for group in _configs(sub):
        first = group.iloc[0]
        ds = task_data(first)
        total = len(ds.X_train)
        X, y = ds.X_train[:MAX_ROWS], ds.y_train[:MAX_ROWS]
        shown = len(X)
        table = pd.DataFrame({a: [first[a]] * len(X) for a in axes})
        table["input"] = [_cell(x, ds.feature_names) for x in X]
        table["target"] = [_cell(t) for t in (y.reshape(len(X), -1))]
        for _, job in group.iterrows():
            out = rebuild(job).predict(X)
            table[f"seed {job['seed']}"] = [_cell(o) for o in out]
        parts.append(table)
    return pd.concat(parts, ignore_index=True), shown, total


def _weights(sub, axes):
    """One row per (config, seed): its axes, the seed, then W and b of each layer."""
    rows = []
    for _, job in pd.concat(_configs(sub)).iterrows():
        row = {a: job[a] for a in axes} | {"seed": job["seed"]}
        for i, (W, b) in enumerate(zip(job["weights"], job["biases"]), start=1):
            row[f"W{i}"], row[f"b{i}"] = _array(W), _array(b)
        rows.append(row)
    return pd.DataFrame(rows)


def _cell(values, names=None):
    """A table cell: the number itself for one value (written at full precision), else
    the text of :func:`_vector`."""
    values = np.atleast_1d(np.asarray(values, dtype=float))
    return values[0].item() if len(values) == 1 else _vector(values, names)


def _vector(values, names=None):
    """``0.92``, or ``(0, 1)`` for several values; with names, ``gre=0.3, gpa=-1.2``."""
    values = np.atleast_1d(np.asarray(values, dtype=float))
    text = [_number(v) for v in values]
    if names and len(values) > 2:
        return ", ".join(f"{n}={t}" for n, t in zip(names, text))
    return text[0] if len(text) == 1 else "(" + ", ".join(text) + ")"


def _number(v):
    """``0``, ``1`` for whole numbers (truth-table inputs), else four decimals."""
    v = float(v)
    if v.is_integer() and abs(v) < 1e6:
        return str(int(v))
    return f"{v:.4f}" if abs(v) < 1e4 else f"{v:.4g}"


def _array(values):
    """A weight matrix or bias vector on one line: ``[[-2.911, 0.592], [0.31, 1.091]]``."""
    values = np.asarray(values, dtype=float)
    if values.ndim == 0:
        return f"{values:.4g}"
    return "[" + ", ".join(_array(v) for v in values) + "]"


def _learnt(row, seeds, ds, nets, outputs):
    """``NOT [1,1] learnt by 5 of 5 seeds: x=0 -> 0.92, x=1 -> 0.01``, the outputs the mean
    over the seeds that learnt (or over all when none did), and a seed that did not,
    named with its own outputs."""
    learnt = np.array([bool((nncore.predict_labels(net.predict(ds.X_train)) == ds.y_train)
                            .all()) for net in nets])
    name = f"{str(row.get('function', 'the table')).upper()} {row['layers']}"
    which = learnt if learnt.any() else ~learnt
    text = (f"{name} {'learnt' if learnt.any() else 'not learnt'} by {which.sum()} of "
            f"{len(nets)} seed(s): {_rows(ds, outputs[which].mean(axis=0))}")
    if learnt.any() and not learnt.all():
        failed = [i for i in range(len(nets)) if not learnt[i]]
        text += "; not by " + "; ".join(f"seed {seeds[i]}: {_rows(ds, outputs[i])}"
                                        for i in failed[:2])
        text += f" and {len(failed) - 2} more" if len(failed) > 2 else ""
    return f"{text} (target {_vector(ds.y_train)})."


def _rows(ds, outputs):
    return ", ".join(f"x={_vector(x)} -> {o:.2f}" for x, o in zip(ds.X_train, outputs))


def _logistic_unit(row, ds, nets):
    """``[6,1] (one unit, no hidden layer): training accuracy 0.71; mean weights ...``."""
    accuracy = np.mean([(nncore.predict_labels(net.predict(ds.X_train)) == ds.y_train).mean()
                        for net in nets])
    weights = np.mean([net.weights[0][:, 0] for net in nets], axis=0)
    bias = np.mean([net.biases[0][0] for net in nets])
    return (f"{row['layers']} (one unit, no hidden layer): training accuracy "
            f"{accuracy:.2f} over {len(nets)} seed(s); mean trained weights "
            f"{_vector(weights, ds.feature_names)}, bias {bias:.3g}.")
