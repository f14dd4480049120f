"""Synthetic results frames with planted effects, in the columns of ``sweeps.schema``.

A frame here is what ``sweeps.load`` returns for a sweep whose metric is a known function
of the config plus seed noise: the tests know the true main effects, shares and
interactions, and check :func:`results.effects` against them (and against statsmodels).
"""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from sweeps.schema import (CONFIG_COLUMNS, CONFIG_KEYS, METRICS, STATUS_COLUMNS,
                           layers_text)

#: A config's defaults: the moons task with one hidden layer of 8.
BASE = {"task": "moons", "hidden": (8,), "activation": "tanh", "output": "softmax",
        "loss": "cross_entropy", "optimizer": "adam", "lr": 0.01, "epochs": 100,
        "batch_size": None, "l2": 0.0, "init": "normal", "leaky_slope": 0.01,
        "patience": None, "min_delta": 0.0, "record_weights": False, "dtype": "float64"}


def grid_frame(axes, truth, *, seeds=3, noise=0.01, rng=0, metric="val_accuracy",
               test_shift=0.0):
    """A results frame of the full grid of ``axes`` (name -> values), ``seeds`` each.

    ``truth(config) -> float`` is the planted mean of ``metric``; each job adds
    Normal(0, ``noise``). The test metric (``test_`` + the same name) is the truth plus
    ``test_shift`` plus its own noise.
    """
    rng = np.random.default_rng(rng)
    names = list(axes)
    rows = []
    for combo in itertools.product(*(axes[n] for n in names)):
        config = {**BASE, **dict(zip(names, combo))}
        mean = truth(config)
        config_id = "c" + "-".join(map(str, combo))
        for seed in range(seeds):
            rows.append(_row(config, config_id, seed, metric, mean + rng.normal(0, noise),
                             mean + test_shift + rng.normal(0, noise)))
    return pd.DataFrame(rows)


def _row(config, config_id, seed, metric, value, test_value):
    hidden = tuple(config["hidden"])
    row = {c: config.get(c) for c in CONFIG_COLUMNS if c in config}
    row.update(key=f"{config_id}-s{seed}", config_id=config_id, hidden=list(hidden),
               layers=layers_text((2, *hidden, 2)), depth=len(hidden),
               n_params=int(sum(a * b + b for a, b in zip((2, *hidden), (*hidden, 2)))),
               seed=seed, status="ok", error=None, traceback=None)
    row.update({m: np.nan for m in METRICS})
    row[metric] = value
    row["test_" + metric.split("_", 1)[1]] = test_value
    assert set(CONFIG_KEYS) <= set(row) and set(STATUS_COLUMNS) <= set(row)
    return row
