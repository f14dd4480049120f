"""Synthetic results frames with planted effects, in the columns of ``sweeps.schema``.

A frame here is what ``sweeps.load`` returns for a sweep whose metric is a known function
of the config plus seed noise: the tests know the true main effects, shares and
interactions, and check :func:`results.effects` against them (and against statsmodels).
"""
from __future__ import annotations

import itertools

import numpy as np

from sweeps.schema import example_frame

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
    return example_frame(rows)


def _row(config, config_id, seed, metric, value, test_value):
    row = {**config, "key": f"{config_id}-s{seed}", "config_id": config_id, "seed": seed,
           metric: value, "test_" + metric.split("_", 1)[1]: test_value}
    if "mse" in metric:  # a regression task's facts (example_frame's are moons')
        row.update(kind="regression", n_out=1)
    if metric.startswith("train_"):  # a truth table's: nothing held out
        row.update(has_val=False, has_test=False)
    return row