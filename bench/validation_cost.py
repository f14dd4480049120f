"""What validation data and early stopping cost: the same training with and without them.

The 52 sine architectures, seeds stacked by ``fit_replicas``, full-batch adam, BLAS limited
to one thread, every row in one run (ratios, not absolute times, are what carry over to
another machine). A sweep job always measures its validation loss after every epoch (for
the validation curve and for early stopping), so the middle row is what every job pays;
early stopping can then save epochs.

Issue 22's goal for early stopping: its wall time at most 1.2x (the time per net-epoch of
the same stacks validated after every epoch, without stopping) x (the net-epochs run).
``floor`` measures why a stack cannot get there: an epoch of ``S`` replicas costs about
``a + b * S``, and the fixed part ``a`` is paid per stack-epoch however few replicas are
left. ``--before DIR`` times the early-stopping row with the nncore in ``DIR`` (e.g. the
main checkout) and with this tree's, alternating, each in its own process.

Times are the process's CPU seconds: training runs on one thread, so on a quiet machine
they are its wall time, and on a shared one (two cores, several processes) they are not
inflated by waiting for a core.
"""
import argparse
import os
import subprocess
import sys
import time

import numpy as np
from threadpoolctl import threadpool_limits

import nncore
from nncore_speed import ARCHITECTURES, sine_data

LR = 0.01
PATIENCE = 100


def _validation_data():
    rng = np.random.default_rng(1)
    X = np.sort(rng.uniform(0, 1, (30, 1)), axis=0)
    return X, np.sin(2 * np.pi * X) + rng.normal(0, 0.1, X.shape)


def run(X, y, epochs, seeds, **fit):
    """Train the grid; return (nets, mean epochs per net, mean epochs the stacks ran,
    each stack's epochs per net)."""
    epochs_run = []
    for layers in ARCHITECTURES:
        nets = nncore.fit_replicas(layers, X, y, seeds=range(seeds), epochs=epochs,
                                   optimizer="adam", lr=LR, **fit)
        epochs_run.append([len(net.history_) for net in nets])
    runs = np.array(epochs_run)
    return runs.size, float(runs.mean()), float(runs.max(axis=1).mean()), runs


def _rows(epochs, seeds):
    X, y = sine_data()
    validation = _validation_data()
    curve = np.unique(np.round(np.linspace(1, epochs, min(epochs, 300)))).astype(int)
    rows = []
    for name, fit in [
        ("no validation data", {}),
        (f"validation at the {len(curve)} curve epochs (a sweep job)",
         {"validation_data": validation, "validation_freq": curve.tolist()}),
        ("validation loss after every epoch (30 points)", {"validation_data": validation}),
        (f"validation + early stopping, patience {PATIENCE}",
         {"validation_data": validation, "patience": PATIENCE}),
    ]:
        start = time.process_time()
        nets, mean_epochs, stack_epochs, runs = run(X, y, epochs, seeds, **fit)
        rows.append((name, nets, mean_epochs, stack_epochs, time.process_time() - start, runs))
    return rows


def main(epochs=1000, seeds=10):
    with threadpool_limits(1):
        rows = _rows(epochs, seeds)
        a, b, at_size = floor(seeds)
    base = rows[0][4]
    lines = [f"52 sine architectures x {seeds} seeds (fit_replicas), 30 training points, up to "
             f"{epochs} full-batch adam epochs, BLAS 1 thread", "",
             "| training | nets | epochs per net (mean) | epochs per stack (mean) | seconds | "
             "time vs no validation | time per stack epoch vs no validation |",
             "|---|---|---|---|---|---|---|"]
    for name, nets, mean_epochs, stack_epochs, seconds, _ in rows:
        per_epoch = (seconds / stack_epochs) / (base / epochs)
        lines.append(f"| {name} | {nets} | {mean_epochs:.0f} | {stack_epochs:.0f} | "
                     f"{seconds:.2f} | {seconds / base:.2f}x | {per_epoch:.2f}x |")
    curve = ", ".join(f"{t:.0f}" for t in at_size)
    return "\n".join(lines + [""] + _goal(rows[2], rows[3], a, b, epochs, seeds) + [
        "", f"Per-epoch time (us, validated, median over the architectures) at S = 1..{seeds}: "
        f"{curve}."])


def _goal(validated, stopped, a, b, epochs, seeds):
    """The issue's ratio, measured and at the floor ``a + b * S`` (per architecture)."""
    per_net_epoch = validated[4] / (validated[1] * epochs)
    needed = per_net_epoch * stopped[1] * stopped[2]
    runs = stopped[5]
    # The floor: every stack-epoch pays a, every replica still training b.
    alive = [(r[:, None] > np.arange(r.max())).sum(axis=0) for r in runs]
    floor_time = sum(a_l * len(n) + b_l * n.sum() for a_l, b_l, n in zip(a, b, alive))
    floor_need = sum((a_l / seeds + b_l) * r.sum() for a_l, b_l, r in zip(a, b, runs))
    return [f"Early stopping: {stopped[4]:.2f} s for {stopped[1] * stopped[2]:.0f} net-epochs; "
            f"at the per-net-epoch time of validating every epoch ({per_net_epoch * 1e6:.1f} us) "
            f"they need {needed:.2f} s: **{stopped[4] / needed:.2f}x** (goal 1.2x). "
            f"Per-epoch cost with validation, fitted over S = 1..{seeds}: a = "
            f"{np.median(a):.1f} us (median over the architectures), b = {np.min(b):.1f}-"
            f"{np.max(b):.1f} us per replica; a stack shrinking at every stop, at no cost, "
            f"would take {floor_time / floor_need:.2f}x (the floor)."]


def floor(seeds, epochs=200):
    """Per architecture, the per-epoch time ``a + b * S`` (us) of ``S`` = 1..seeds stacked
    replicas validated after every epoch: least squares over the best of two runs. Also
    returns the median over the architectures of the per-epoch time at each ``S``."""
    X, y = sine_data()
    validation = _validation_data()
    sizes = np.arange(1, seeds + 1)
    a, b, per_epoch = [], [], []
    for layers in ARCHITECTURES:
        times = []
        for S in sizes:
            best = np.inf
            for _ in range(2):
                start = time.process_time()
                nncore.fit_replicas(layers, X, y, seeds=range(S), epochs=epochs,
                                    optimizer="adam", lr=LR, validation_data=validation)
                best = min(best, time.process_time() - start)
            times.append(best / epochs * 1e6)
        slope, intercept = np.polyfit(sizes, times, 1)
        a.append(intercept)
        b.append(slope)
        per_epoch.append(times)
    return np.array(a), np.array(b), np.median(per_epoch, axis=0)


def stopping_seconds(epochs=1000, seeds=10):
    """Wall time of the early-stopping row alone, with whichever nncore is importable."""
    X, y = sine_data()
    with threadpool_limits(1):
        start = time.process_time()
        run(X, y, epochs, seeds, validation_data=_validation_data(), patience=PATIENCE)
        return time.process_time() - start


def before_after(before, repeats=4, epochs=1000, seeds=10):
    """The early-stopping row with the nncore in ``before`` and in this tree, alternating
    (each in a fresh process); return the Markdown lines."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    times = {"before": [], "after": []}
    for _ in range(repeats):
        for name, tree in (("before", before), ("after", here)):
            out = subprocess.run(
                [sys.executable, __file__, "--stopping-only", f"--epochs={epochs}",
                 f"--seeds={seeds}"], env={**os.environ, "PYTHONPATH": tree},
                capture_output=True, text=True, check=True).stdout
            times[name].append(float(out))
    ratios = np.array(times["after"]) / np.array(times["before"])
    listed = {k: ", ".join(f"{t:.2f}" for t in v) for k, v in times.items()}
    return [f"Early stopping, patience {PATIENCE}, {repeats} alternating pairs: before "
            f"({before}) median {np.median(times['before']):.2f} s ({listed['before']}), "
            f"after median {np.median(times['after']):.2f} s ({listed['after']}); after / "
            f"before median {np.median(ratios):.2f} ({ratios.min():.2f}-{ratios.max():.2f})."]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=1000)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--before", help="a checkout whose nncore to compare with")
    parser.add_argument("--repeats", type=int, default=4)
    parser.add_argument("--stopping-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stopping_only:
        print(stopping_seconds(args.epochs, args.seeds))
    elif args.before:
        print("\n".join(before_after(args.before, args.repeats, args.epochs, args.seeds)))
    else:
        print(main(args.epochs, args.seeds))
