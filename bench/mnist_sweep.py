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
Besides wall time: the CPU seconds of every process of the run (polled with psutil), and
"alone", what the run would take on an otherwise idle machine with ``--jobs`` cores: the
driver's CPU seconds plus the busiest worker's. On a machine shared with other work the
wall time moves with their load (a core one worker leaves idle is taken by others), the
CPU seconds far less. For each sweep the store says when each worker's groups started and
finished: the "idle tail" is how long the first worker to run out of work waited for the
last.

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
from datetime import datetime, timezone

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mnist_speed import NETS, _load, mnist_like, spec_text, write_csv  # noqa: E402

SEEDS = 3


class CpuMeter:
    """CPU seconds (user + system) of this process and every descendant while it is
    entered, polled every ``every`` seconds (workers are not always reaped by their
    parent, so ``RUSAGE_CHILDREN`` would miss them; the last poll of each process is
    kept: a process's final half second may be missed)."""

    def __init__(self, every=0.25):
        import psutil
        self.me, self.every, self.seen, self.base = psutil.Process(), every, {}, {}

    def _poll(self, into):
        for proc in [self.me, *self.me.children(recursive=True)]:
            try:
                t = proc.cpu_times()
                into[(proc.pid, proc.create_time())] = t.user + t.system
            except Exception:  # psutil.Error: the process ended between list and read
                pass

    def __enter__(self):
        import threading
        self._poll(self.base)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self

    def _run(self):
        while not self.stop.wait(self.every):
            self._poll(self.seen)

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        self._poll(self.seen)
        self.by_pid = {p[0]: t - self.base.get(p, 0.0) for p, t in self.seen.items()}
        self.seconds = sum(self.by_pid.values())

    def idle_machine(self, driver: int) -> float:
        """Seconds the run would take alone on the machine: the driver's CPU (it works
        before and after the workers, and waits while they train) plus the busiest
        worker's (the others finish no later). Distorted by load far less than wall."""
        workers = [t for pid, t in self.by_pid.items() if pid not in (driver, self.me.pid)]
        return self.by_pid.get(driver, 0.0) + max(workers, default=0.0)


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
        f.write(spec_text("mnist_sweep", path, [net[1:-1] for net in NETS], epochs,
                          list(range(SEEDS)), extra="shuffle_seed = 0\n" if shared else ""))
    out = tempfile.mkdtemp(prefix="out-", dir=folder)  # a fresh store: only this run's jobs
    code = code or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "PYTHONPATH": os.path.abspath(code)}
    launched, start = datetime.now(timezone.utc), time.perf_counter()
    with CpuMeter() as cpu:
        proc = subprocess.Popen([sys.executable, "-m", "sweeps", "run", spec, "--jobs",
                                 str(jobs), "--quiet", "--force", "--out", out], env=env,
                                stdout=subprocess.DEVNULL, cwd=folder)  # -m: cwd on path
        if proc.wait():
            raise RuntimeError(f"sweeps run failed ({proc.returncode})")
    wall = time.perf_counter() - start
    facts = {**_workers(out, launched, wall), "cpu": cpu.seconds,
             "alone": cpu.idle_machine(proc.pid)}
    shutil.rmtree(out)
    return wall, facts


def _workers(out, launched, wall):
    """From the store: groups trained; ``lead``, the seconds from the command's start to
    the first group's start (imports, reading the CSV, planning, starting workers);
    ``tail``, the first worker to run out of work waiting for the last; ``exit``, the
    seconds from the last group's finish to the command's end."""
    import sweeps
    df = sweeps.load(out)
    stamp = datetime.fromisoformat
    groups = df.drop_duplicates(["worker", "started"])
    last = [max(stamp(f) for f in g["finished"]) for _, g in df.groupby("worker")]
    lead = (min(stamp(s) for s in df["started"]) - launched).total_seconds()
    return {"groups": len(groups), "tail": (max(last) - min(last)).total_seconds(),
            "lead": lead, "exit": wall - (max(last) - launched).total_seconds()}


def rounds(rows, epochs, jobs, repeats, before=None):
    """Every run of every round: {label: [(seconds, facts), ...]}, in round order."""
    pixels, labels = mnist_like(rows)
    runs = {}
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "mnist_train.csv")
        write_csv(path, pixels, labels)
        sides = [("scikit-learn + joblib", lambda: _timed(sklearn_loop, path, epochs, jobs)),
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
    with CpuMeter() as cpu:
        fn(*args)
    return time.perf_counter() - start, {"cpu": cpu.seconds,
                                         "alone": cpu.idle_machine(cpu.me.pid)}


def table(runs, rows, epochs, jobs):
    """One Markdown table: seconds (median, range), nets per hour, x scikit-learn."""
    base = [s for s, _ in runs["scikit-learn + joblib"]]
    base_facts = [f for _, f in runs["scikit-learn + joblib"]]
    lines = [f"{rows:,}-row CSV ({int(rows * 0.6):,} training rows), both nets x {SEEDS} "
             f"seeds, {epochs} epoch(s), batch 10, --jobs {jobs}, {len(base)} round(s), "
             f"runs alternating; {_load()}", "",
             "| run | seconds, median (range) | nets per hour | x scikit-learn + joblib, "
             "per round | CPU s | alone (s) | x, alone | groups | start to first group (s) | "
             "idle tail (s) | "
             "last group to exit (s) |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for label, got in runs.items():
        seconds = [s for s, _ in got]
        mid = statistics.median(seconds)
        ratios = ", ".join(f"{b / s:.2f}x" for b, s in zip(base, seconds))
        facts = [f for _, f in got]
        cpu = ", ".join(f"{f['cpu']:.0f}" for f in facts)
        alone = ", ".join(f"{f['alone']:.0f}" for f in facts)
        alone_x = ", ".join(f"{b['alone'] / f['alone']:.2f}x"
                            for b, f in zip(base_facts, facts))
        groups = "/".join(sorted({str(f.get("groups", "")) for f in facts}))
        spans = [", ".join(f"{f[k]:.1f}" for f in facts if k in f)
                 for k in ("lead", "tail", "exit")]
        lines.append(f"| {label} | {mid:.1f} ({min(seconds):.1f}-{max(seconds):.1f}) | "
                     f"{2 * SEEDS * 3600 / mid:,.0f} | {ratios} | {cpu} | {alone} | "
                     f"{alone_x} | {groups} | "
                     + " | ".join(spans) + " |")
    return "\n".join(lines)


def main(rows=6000, epochs=1, jobs=2, repeats=1, before=None):
    return table(rounds(rows, epochs, jobs, repeats, before), rows, epochs, jobs)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].replace("\n", " "))
    parser.add_argument("--rows", type=int, default=60_000,
                        help="rows of the CSV made (default 60,000: MNIST's training file)")
    parser.add_argument("--epochs", type=int, default=30, help="epochs per net (default 30)")
    parser.add_argument("--jobs", type=int, default=2, help="workers on both sides (default 2)")
    parser.add_argument("--repeats", type=int, default=3,
                        help="rounds, the runs alternating within each (default 3)")
    parser.add_argument("--before", default=None,
                        help="another checkout whose sweeps run is timed too")
    args = parser.parse_args()
    print(main(args.rows, args.epochs, args.jobs, args.repeats, args.before))
