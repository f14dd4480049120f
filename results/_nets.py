"""Re-evaluate stored results: rebuild a job's data set and its trained network.

Figures that need predictions (fit curves, decision regions) never retrain: they rebuild
the network from the stored ``weights``/``biases`` through ``nncore`` and the data through
``sweeps.tasks.make_task`` from the task parameters stored as columns of the frame.
"""
from __future__ import annotations

import numpy as np

from results.frame import prepare
from sweeps.schema import CONFIG_KEYS, WEIGHT_COLUMNS


def net_frame(df):
    """:func:`results.frame.prepare` for a figure that rebuilds networks: the frame must
    hold each job's config id, status and seed, the config keys a network and its data
    follow from (task, hidden, activation, output, loss) and the stored arrays."""
    return prepare(df, required=("config_id", "status", "seed", *CONFIG_KEYS[:5],
                                 *WEIGHT_COLUMNS))


def task_params(row):
    """The task parameters of one result row, as ``make_task`` takes them.

    Parameters
    ----------
    row : pandas.Series
        One row of a ``sweeps.load`` frame.

    Returns
    -------
    dict
        Every parameter ``sweeps.tasks.TASKS[row.task]`` declares that the row holds.
    """
    from sweeps.schema import task_params_of
    from sweeps.tasks import TASKS

    if row["task"] not in TASKS:
        raise ValueError(f"unknown task {row['task']!r}; known tasks: {sorted(TASKS)}")
    params = task_params_of(row, TASKS[row["task"]].param_names)
    return {name: _plain(value) for name, value in params.items()}


def _missing(value):
    return value is None or (isinstance(value, float) and np.isnan(value))


def _plain(value):
    # Frames promote ints to float64 when another task lacks the column; make_task takes
    # 200.0 for 200, but plain Python values keep its cache keys identical.
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def task_data(row):
    """The ``sweeps.tasks.Dataset`` a result row was trained on."""
    from sweeps.tasks import make_task

    return make_task(row["task"], **task_params(row))


def rebuild(row):
    """The trained ``nncore.MLP`` of one ``ok`` (or diverged) result row.

    Raises
    ------
    ValueError
        If the row holds no weights (failed jobs, or a frame loaded with ``weights=False``).
    """
    import nncore

    weights, biases = row.get("weights"), row.get("biases")
    if weights is None or biases is None or _missing(weights):
        raise ValueError(f"job {row.get('key', '?')} ({row.get('layers', '')}) has no stored "
                         "weights; load the sweep with sweeps.load(out_dir, weights=True)")
    slope = row.get("leaky_slope")
    return nncore.MLP.from_arrays(weights, biases, activation=row["activation"],
                                  output=row["output"], loss=row["loss"],
                                  **({} if slope is None or _missing(slope)
                                     else {"leaky_slope": float(slope)}))


def predict_rows(rows, X):
    """Predictions of each row's network on ``X``, shape (n_rows, n_samples, n_out)."""
    return np.stack([rebuild(row).predict(X) for _, row in rows.iterrows()])
