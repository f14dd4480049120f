"""Shared by the runner and CLI tests: tiny TOML specs, a `sweeps run` subprocess, db polling."""
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from sweeps.store import DB_NAME

METRICS = ("train_loss", "test_loss", "train_mse", "test_mse", "train_accuracy",
           "test_accuracy", "epochs_run")


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


def assert_same_results(df_a, df_b, atol=1e-12):
    """Same jobs, statuses, metrics, curves and weights, up to ``atol``."""
    a, b = df_a.set_index("key").sort_index(), df_b.set_index("key").sort_index()
    assert list(a.index) == list(b.index)
    assert list(a["status"]) == list(b["status"])
    for metric in METRICS:
        np.testing.assert_allclose(a[metric], b[metric], rtol=0, atol=atol, err_msg=metric)
    for key in a.index:
        ra, rb = a.loc[key], b.loc[key]
        np.testing.assert_allclose(ra["curve_loss"], rb["curve_loss"], rtol=0, atol=atol)
        for wa, wb in zip(ra["weights"] + ra["biases"], rb["weights"] + rb["biases"]):
            np.testing.assert_allclose(wa, wb, rtol=0, atol=atol)
