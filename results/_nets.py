"""Re-evaluate stored results: rebuild a job's data set and its trained network.

Figures that need predictions (fit curves, decision regions) never retrain: they rebuild
the network from the stored ``weights``/``biases`` through ``nncore`` and the data through
``sweeps.tasks.make_task`` from the job's ``task_params`` as given. What the task is
(kind, widths, held-out data) is read off the frame, never found out here.
"""
from __future__ import annotations

import numpy as np

from results.frame import prepare
from sweeps.schema import CONFIG_KEYS, WEIGHT_COLUMNS


def net_frame(df):
    """:func:`results.frame.prepare` for a figure that rebuilds networks: the frame must
    hold each job's config id, status and seed, the config keys a network and its data
    follow from (task, hidden, activation, output, loss), the task's parameters and the
    stored arrays."""
    return prepare(df, required=("config_id", "status", "seed", *CONFIG_KEYS[:5],
                                 "task_params", *WEIGHT_COLUMNS))


def _missing(value):
    return value is None or (isinstance(value, float) and np.isnan(value))


def task_data(row):
    """The ``sweeps.tasks.Dataset`` a result row was trained on, to draw its data and the
    network's predictions on it: built from the row's ``task_params`` exactly as the job
    was (the task's facts are columns of the frame; nothing here finds them out)."""
    from sweeps.tasks import make_task

    return make_task(row["task"], **row["task_params"])


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
