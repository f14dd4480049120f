"""Test data for the results tests: small real sweeps, trained in seconds.

This module is the only place that produces sweep results for these tests
(``conftest.py`` turns them into fixtures). ``train_results`` trains real networks with
``nncore.fit_replicas`` on real task data from ``sweeps.tasks.make_task`` and shapes the rows
exactly as ``sweeps.load`` returns them (docs/ARCHITECTURE.md); ``make_meta`` stands in for
``sweeps.load_meta``. To switch to the real pipeline, replace the bodies of the fixtures
``sine_results`` / ``moons_results`` in conftest.py by::

    spec = sweeps.load_spec(..., overrides=[...])
    sweeps.run_sweep(spec, out_dir)
    return sweeps.load(out_dir), sweeps.load_meta(out_dir)

and nothing else in the tests needs to change, except that the failed and diverged jobs
the tests count must then come from the spec.
"""
from __future__ import annotations

import platform
import time

import numpy as np
import pandas as pd

# Small grids: every test module shares these, trained once per session.
SINE_HIDDEN = [(3,), (6,), (3, 3), (3, 6), (6, 3), (6, 6),
               (3, 3, 3), (3, 3, 6), (3, 6, 3), (3, 6, 6),
               (6, 3, 3), (6, 3, 6), (6, 6, 3), (6, 6, 6)]
MOONS_HIDDEN = [(w,) * d for d in (1, 2) for w in (3, 6, 9)]
SEEDS = (0, 1, 2)
#: Jobs forced to fail / diverge: (hidden, seed). (3,) fails for every seed: a config that
#: must still appear in the tables with its counts and NaN metrics.
SINE_FAILED = [((3,), s) for s in SEEDS] + [((6, 6), 2)]
SINE_DIVERGED = [((3, 6), 1)]
MOONS_FAILED = [((9, 9), 0)]
MOONS_DIVERGED = [((3,), 2)]


def train_results(task, hidden_list, *, activations=("tanh",), seeds=SEEDS, epochs=200,
                  optimizer="adam", lr=0.02, task_params=None, failed=(), diverged=()):
    """Train a small grid and return its rows in the ``sweeps.load`` schema.

    ``failed`` jobs get status ``failed`` with an error and no metrics or weights, as the
    runner records an exception; ``diverged`` jobs keep their weights and a truncated curve,
    with non-finite training loss and no test metrics.
    """
    import nncore
    from sweeps.keys import config_id, job_key
    from sweeps.tasks import make_task, resolve_task_params

    params = resolve_task_params(task, task_params or {})
    ds = make_task(task, **params)
    output, loss = ds.default_output, ds.default_loss
    rows = []
    for activation in activations:
        for hidden in hidden_list:
            layers = [ds.n_in, *hidden, ds.n_out]
            start = time.perf_counter()
            nets = nncore.fit_replicas(layers, ds.X_train, ds.y_train, seeds=list(seeds),
                                       activation=activation, output=output, loss=loss,
                                       epochs=epochs, optimizer=optimizer, lr=lr)
            wall = (time.perf_counter() - start) / len(seeds)
            for seed, net in zip(seeds, nets):
                config = dict(task=task, task_params=params, hidden=list(hidden),
                              activation=activation, output=output, loss=loss,
                              optimizer=optimizer, lr=float(lr), epochs=epochs,
                              batch_size=None, l2=0.0, seed=seed)
                row = _identity(config, params, layers, net, job_key, config_id)
                if (tuple(hidden), seed) in failed:
                    row.update(_failed_row())
                else:
                    row.update(_trained_row(net, ds, wall, (tuple(hidden), seed) in diverged))
                rows.append(row)
    return pd.DataFrame(rows)


def _identity(config, params, layers, net, job_key, config_id):
    row = dict(key=job_key(config), config_id=config_id(config), task=config["task"],
               hidden=tuple(config["hidden"]), layers="[" + ",".join(map(str, layers)) + "]",
               depth=len(config["hidden"]), n_params=int(net.n_params))
    row.update({k: config[k] for k in ("activation", "output", "loss", "optimizer", "lr",
                                       "epochs", "batch_size", "l2", "seed")})
    row.update(params)
    return row


def _failed_row():
    return dict(status="failed", error="RuntimeError: injected failure for the tests",
                traceback="Traceback (most recent call last):\nRuntimeError: injected",
                train_loss=np.nan, test_loss=np.nan, epochs_run=np.nan, wall_time=np.nan,
                train_mse=np.nan, test_mse=np.nan, train_accuracy=np.nan,
                test_accuracy=np.nan, curve_epoch=None, curve_loss=None,
                weights=None, biases=None)


def _trained_row(net, ds, wall, diverged):
    history = np.asarray(net.history_, dtype=float)
    if diverged:
        history = history[: max(2, len(history) // 3)]
    idx = np.unique(np.linspace(0, len(history) - 1, min(len(history), 300)).round()
                    .astype(int))
    row = dict(status="diverged" if diverged else "ok", error=None, traceback=None,
               train_loss=np.inf if diverged else float(history[-1]),
               test_loss=np.nan if diverged else net.loss(ds.X_test, ds.y_test),
               epochs_run=len(history), wall_time=wall, curve_epoch=idx + 1,
               curve_loss=history[idx], weights=[w.copy() for w in net.weights],
               biases=[b.copy() for b in net.biases])
    for split in ("train", "test"):
        X, y = getattr(ds, f"X_{split}"), getattr(ds, f"y_{split}")
        pred = net.predict(X)
        if ds.kind == "regression":
            row[f"{split}_mse"] = np.nan if diverged else float(np.mean((pred - y) ** 2))
            row[f"{split}_accuracy"] = np.nan
        else:
            row[f"{split}_mse"] = np.nan
            row[f"{split}_accuracy"] = (np.nan if diverged
                                        else float(np.mean(pred.argmax(axis=1) == y)))
    return row


def make_meta(df, *, name, spec_text, pending=0):
    """A ``sweeps.load_meta`` dict for a frame (the runner's record of the sweep)."""
    counts = df["status"].value_counts().to_dict()
    counts = {s: int(counts.get(s, 0)) for s in ("ok", "diverged", "failed")}
    counts["pending"] = pending
    import matplotlib as mpl
    import seaborn as sns
    return dict(name=name, spec=spec_text, planned=len(df) + pending, counts=counts,
                versions={"numpy": np.__version__, "pandas": pd.__version__,
                          "matplotlib": mpl.__version__, "seaborn": sns.__version__},
                python=platform.python_version(), git_commit=None)


SINE_SPEC = """name = "sine-test"
task = "sine"
[grid]
hidden = "small test grid"
activation = ["tanh"]
seed = [0, 1, 2]
"""
MOONS_SPEC = """name = "moons-test"
task = "moons"
[grid]
activation = ["tanh", "relu"]
"""
