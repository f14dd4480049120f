"""Shared by the sweeps and results tests: tiny TOML specs, a `sweeps run` subprocess, db
polling, and the comparison of a stored job with the network trained alone (its metrics
recomputed by ``reference.expected_metrics``)."""
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from reference import expected_metrics, one_hot

import nncore
from sweeps import schema
from sweeps.store import DB_NAME
from sweeps.tasks import make_task

#: The metric columns of the results frame, but wall_time, which differs run to run.
METRICS = tuple(m for m in schema.METRICS if m != "wall_time")


def write_spec(directory: Path, name: str, body: str) -> Path:
    """Write ``name = "<name>"`` plus ``body`` to ``directory/<name>.toml``."""
    path = Path(directory) / f"{name}.toml"
    path.write_text(f'name = "{name}"\n{body}')
    return path


def slow_spec(directory: Path, name="slow", n_groups=24, epochs=4000) -> Path:
    """One seed per config, ~0.1 s per job: slow enough to interrupt mid-way."""
    widths = ", ".join(f"[{w}]" for w in range(2, 2 + n_groups))
    return write_spec(directory, name, f'task = "sine"\n[params]\nhidden = [{widths}]\n'
                                       f'epochs = {epochs}\nseed = 0\n')


def start_run(spec: Path, out: Path, *extra: str) -> subprocess.Popen:
    """Start ``python -m sweeps run SPEC --out OUT --quiet ...`` in a subprocess."""
    return subprocess.Popen(
        [sys.executable, "-m", "sweeps", "run", str(spec), "--out", str(out), "--quiet",
         *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})


def rows(out: Path) -> dict:
    """``{key: (status, run_id, finished)}`` read straight from the database, read-only."""
    path = Path(out) / DB_NAME
    if not path.exists():
        return {}
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    try:
        return {k: (s, r, f) for k, s, r, f in
                conn.execute("SELECT key, status, run_id, finished FROM jobs")}
    except sqlite3.OperationalError:  # schema not created yet
        return {}
    finally:
        conn.close()


def wait_for_rows(out: Path, n: int, proc: subprocess.Popen, timeout=60.0) -> dict:
    """Poll the store until it holds at least ``n`` jobs while ``proc`` still runs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = rows(out)
        if len(found) >= n:
            return found
        if proc.poll() is not None:
            raise AssertionError(f"run ended early ({proc.returncode}): {proc.stderr.read()}")
        time.sleep(0.02)
    proc.kill()
    raise AssertionError(f"no {n} rows in {out} after {timeout} s")


def train_directly(task, task_params, *, hidden, seed, activation="tanh", output, loss,
                   optimizer="adam", lr=0.01, epochs, batch_size=None, l2=0.0,
                   patience=None, min_delta=0.0, init="normal", leaky_slope=0.01):
    """Train one network alone, as a job with these settings should be trained.

    Returns ``(ds, net)``; the network's layers are ``[n_in, *hidden, units]`` and it
    trains on the training values (regression) or on class labels (classification): one
    logistic unit with the 0/1 label as target for two classes and any output but softmax,
    else one-hot rows over one unit per class. The validation split is the validation data.
    """
    ds = make_task(task, **task_params)
    one_unit = ds.kind == "classification" and ds.n_out == 2 and output != "softmax"
    units = 1 if one_unit else ds.n_out

    def targets(y):
        if ds.kind == "regression" or one_unit:
            return np.reshape(y, (-1, 1)).astype(float)
        return one_hot(y, units)

    net = nncore.MLP([ds.n_in, *hidden, units], activation=activation, output=output,
                     loss=loss, l2=l2, seed=seed, init=init, leaky_slope=leaky_slope)
    net.fit(ds.X_train, targets(ds.y_train), epochs=epochs, optimizer=optimizer, lr=lr,
            batch_size=batch_size, validation_data=(ds.X_val, targets(ds.y_val)),
            patience=patience, min_delta=min_delta)
    return ds, net


def assert_close(got, want, what, rtol=1e-10, atol=1e-12):
    """Equal up to rounding; a non-finite reference (a diverged net) needs a non-finite value."""
    if np.isfinite(want):
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=what)
    else:
        assert not np.isfinite(got), (what, got, want)


def assert_curve_is_history(epoch, loss, history):
    """A stored curve picks epochs of ``history`` (1-based), first and last included.

    At most 300 points; with fewer epochs every one of them.
    """
    n = len(history)
    epoch, loss = np.asarray(epoch), np.asarray(loss)
    assert len(epoch) == len(loss) == min(n, 300)
    assert epoch[0] == 1 and epoch[-1] == n and np.all(np.diff(epoch) > 0)
    if n > 300:  # evenly spread: no gap longer than an even spacing, rounded up
        assert np.diff(epoch).max() <= -(-(n - 1) // 299)
    np.testing.assert_allclose(loss, np.asarray(history)[epoch - 1], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose([loss[0], loss[-1]], [history[0], history[-1]], rtol=1e-10,
                               atol=1e-12)


def assert_job_is_the_network_trained_alone(row, ds, net, *, activation, output, loss, l2):
    """A row of ``sweeps.load`` holds what the network trained alone on ``ds`` gives.

    Status, weights and loss curve are the network's own; every metric column is
    recomputed from its weights with scikit-learn and the written-out losses
    (``reference.expected_metrics``), or NaN where the task's kind has no such metric.
    """
    assert row["status"] == net.history_.status
    assert len(row["weights"]) == len(row["biases"]) == len(net.weights)
    for got, want in zip(row["weights"] + row["biases"], net.weights + net.biases):
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    assert_curve_is_history(row["curve_epoch"], row["curve_loss"], net.history_)
    want = expected_metrics(ds, net.weights, net.biases, activation=activation,
                            output=output, loss=loss, l2=l2)
    want["epochs_run"] = len(net.history_)
    for metric in METRICS:
        if metric in want:
            assert_close(row[metric], want[metric], metric)
        else:
            assert np.isnan(row[metric]), (metric, row[metric])


def stored_metrics(out: Path) -> dict:
    """``{key: {"status", "metrics"}}`` of every job in a sweep's store; the metrics
    without ``wall_time`` (it differs run to run) nor the NaN ones (not applicable)."""
    import sweeps

    frame = sweeps.load(out, curves=False, weights=False)
    return {row["key"]: {"status": row["status"],
                         "metrics": {m: float(row[m]) for m in METRICS if row[m] == row[m]}}
            for _, row in frame.iterrows()}


def seed_groups(spec) -> list:
    """The spec's configs grouped by ``config_id`` (all but the seed), in order of first job."""
    from sweeps.keys import config_id

    groups = {}
    for config in spec:
        groups.setdefault(config_id(config), []).append(config)
    return list(groups.values())
