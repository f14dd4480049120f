"""The material's MNIST grid end to end: ``sweeps run`` on an MNIST-format CSV against the
scikit-learn + joblib loop a user would otherwise write (issue 22's end-to-end goal).

The grid: ``[784, 30, 10]`` and ``[784, 128, 128, 10]``, sigmoid units, the quadratic
cost, gradient descent (lr 3.0, batch 10), 3 seeds, ``--epochs`` epochs, on a headerless
label-first CSV of ``--rows`` MNIST-shaped rows (``mnist_speed.mnist_like``; 60,000 is
MNIST's training file). The sweep holds out 20 % for test and 20 % for validation
(the csv task's defaults), so both sides train on 60 % of the rows:

- **scikit-learn + joblib**: read the CSV (pandas), the same stratified three-way split
  (``train_test_split`` twice), pixels / 255, then ``joblib.Parallel(n_jobs=--jobs)`` over
  the 6 nets (``MLPClassifier``, sgd, batch 10, no momentum, lr 3.0: softmax and log-loss,
  the nearest it has), each scored on the three splits.
- **sweeps run** (the whole command, a fresh process: imports, reading and checking the
  CSV, training, evaluating, writing the store) with each seed's own batch order (the
  default), and with one shared order (``shuffle_seed = 0``); ``--before DIR`` adds the
  default order run from another checkout (``PYTHONPATH=DIR``).

Runs alternate within each of ``--repeats`` rounds (the order reversed every other
round), so a load that comes and goes hits every side; ratios are taken within a round.
For each sweep the store says when each worker's groups started and finished: the "idle
tail" is how long the first worker to run out of work waited for the last.

Run: ``python bench/mnist_sweep.py`` (the goal's full size: several minutes per round);
``--rows 6000 --epochs 2`` for a quick look.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mnist_speed import NETS, _load, mnist_like, write_csv  # noqa: E402

SPEC = """name = "mnist_sweep"
task = "csv"

[params]
path = "{path}"
header = false
target = 0
scale = 255
hidden = [[30], [128, 128]]
activation = "sigmoid"
output = "sigmoid"
loss = "mse"
optimizer = "gd"
lr = 3.0
batch_size = 10
epochs = {epochs}
seed = [0, 1, 2]
{extra}"""
SEEDS = 3


def sklearn_loop(path, epochs, jobs):
    """What a user writes: read, split as the sweep does, scale, 6 nets in parallel."""
    import pandas as pd
    from joblib import Parallel, delayed
    from sklearn.model_selection import train_test_split
    data = pd.read_csv(path, header=None).to_numpy()
    X, y = data[:, 1:] / 255.0, data[:, 0]
    X_rest, X_te, y_rest, y_te = train_test_split(X, y, test_size=0.2, stratify=y,
                                                  random_state=0)
    X_tr, X_va, y_tr, y_va = train_test_split(X_rest, y_rest, test_size=0.25,
                                              stratify=y_rest, random_state=0)
    splits = ((X_tr, y_tr), (X_va, y_va), (X_te, y_te))
    return Parallel(n_jobs=jobs)(delayed(_fit_and_score)(layers, splits, epochs, seed)
                                 for layers in NETS for seed in range(SEEDS))


def _fit_and_score(layers, splits, epochs, seed):
    """One net as ``mnist_speed.sklearn_net`` trains it, then its accuracy per split."""
    import warnings
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier
    clf = MLPClassifier(layers[1:-1], activation="logistic", solver="sgd", batch_size=10,
                        learning_rate_init=3.0, momentum=0.0, max_iter=epochs, tol=0.0,
                        n_iter_no_change=10**9, random_state=seed)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(*splits[0])
    return [clf.score(X, y) for X, y in splits]


def sweeps_run(folder, path, epochs, jobs, shared, code=None):
    """``sweeps run`` in a fresh process; returns (wall seconds, worker statistics)."""
    spec = os.path.join(folder, f"mnist_{'shared' if shared else 'own'}.toml")
    with open(spec, "w") as f:
        f.write(SPEC.format(path=path, epochs=epochs,
                            extra="shuffle_seed = 0\n" if shared else ""))
    out = tempfile.mkdtemp(prefix="out-", dir=folder)  # a fresh store: only this run's jobs
    code = code or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "PYTHONPATH": os.path.abspath(code)}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "sweeps", "run", spec, "--jobs", str(jobs),
                    "--quiet", "--force", "--out", out], check=True, env=env,
                   stdout=subprocess.DEVNULL, cwd=folder)  # -m puts the cwd on sys.path
    wall = time.perf_counter() - start
    facts = _workers(out)
    shutil.rmtree(out)
    return wall, facts


def _workers(out):
    """Groups trained, and the idle tail: the last worker's finish minus the first's."""
    import sweeps
    df = sweeps.load(out)
    stamp = datetime.fromisoformat
    groups = df.drop_duplicates(["worker", "started"])
    last = [max(stamp(f) for f in g["finished"]) for _, g in df.groupby("worker")]
    return {"groups": len(groups), "tail": (max(last) - min(last)).total_seconds(),
            "ok": int((df["status"] == "ok").sum())}


def rounds(rows, epochs, jobs, repeats, before=None):
    """Every run of every round: {label: [(seconds, facts), ...]}, in round order."""
    pixels, labels = mnist_like(rows)
    runs = {}
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "mnist_train.csv")
        write_csv(path, pixels, labels)
        sides = [("scikit-learn + joblib", lambda: (_timed(sklearn_loop, path, epochs, jobs),
                                                    None)),
                 ("sweeps run, own orders (default)",
                  lambda: sweeps_run(folder, path, epochs, jobs, False)),
                 ("sweeps run, shared order (shuffle_seed = 0)",
                  lambda: sweeps_run(folder, path, epochs, jobs, True))]
        if before:
            sides.append((f"sweeps run, own orders, before ({os.path.basename(before)})",
                          lambda: sweeps_run(folder, path, epochs, jobs, False, before)))
        for r in range(repeats):
            for label, run in (sides if r % 2 == 0 else sides[::-1]):
                runs.setdefault(label, []).append(run())
                print(f"round {r + 1}: {label}: {runs[label][-1][0]:.1f} s ({_load()})",
                      file=sys.stderr, flush=True)
    return runs


def _timed(fn, *args):
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def table(runs, rows, epochs, jobs):
    """One Markdown table: seconds (median, range), nets per hour, x scikit-learn."""
    base = [s for s, _ in runs["scikit-learn + joblib"]]
    lines = [f"{rows:,}-row CSV ({int(rows * 0.6):,} training rows), both nets x {SEEDS} "
             f"seeds, {epochs} epoch(s), batch 10, --jobs {jobs}, {len(base)} round(s), "
             f"runs alternating; {_load()}", "",
             "| run | seconds, median (range) | nets per hour | x scikit-learn + joblib, "
             "per round | groups | idle tail (s) |", "|---|---|---|---|---|---|"]
    for label, got in runs.items():
        seconds = [s for s, _ in got]
        mid = statistics.median(seconds)
        ratios = ", ".join(f"{b / s:.2f}x" for b, s in zip(base, seconds))
        facts = [f for _, f in got if f is not None]
        groups = "" if not facts else "/".join(sorted({str(f["groups"]) for f in facts}))
        tail = "" if not facts else ", ".join(f"{f['tail']:.1f}" for f in facts)
        lines.append(f"| {label} | {mid:.1f} ({min(seconds):.1f}-{max(seconds):.1f}) | "
                     f"{2 * SEEDS * 3600 / mid:,.0f} | {ratios} | {groups} | {tail} |")
    return "\n".join(lines)


def main(rows=6000, epochs=1, jobs=2, repeats=1, before=None):
    return table(rounds(rows, epochs, jobs, repeats, before), rows, epochs, jobs)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=60_000)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--before", default=None,
                        help="another checkout whose sweeps run is timed too")
    args = parser.parse_args()
    print(main(args.rows, args.epochs, args.jobs, args.repeats, args.before))
