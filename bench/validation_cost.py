"""What validation data and early stopping cost: the same training with and without them.

The 52 sine architectures, seeds stacked by ``fit_replicas``, full-batch adam, BLAS limited
to one thread, every row in one run (ratios, not absolute times, are what carry over to
another machine). A sweep job always measures its validation loss after every epoch (for
the validation curve and for early stopping), so the middle row is what every job pays;
early stopping can then save epochs.

Issue 22's goal for early stopping: its wall time at most 1.2x (the time per net-epoch of
the same stacks validated after every epoch, without stopping) x (the net-epochs run). The
two rows it compares run interleaved, architecture by architecture, ``--repeats`` times,
and the ratio is given per repeat: on a shared machine one run of each, one after the
other, moved it by 0.1. The fits' work outside their epochs (stacking, the results;
measured by one-epoch fits) is paid once per stack by both rows, but the per-net-epoch
price carries only 636/1000 of it over: the ratio without it is given too.
``floor`` measures why a stack cannot get there: an epoch of ``S`` replicas costs about
``a + b * S``, and the fixed part ``a`` is paid per stack-epoch however few replicas are
left. ``--before DIR`` times the two rows with the nncore in ``DIR`` (e.g. the main
checkout, imported as ``nncore_before``) and with this tree's, all interleaved in one
process.

Times are the process's CPU seconds: training runs on one thread, so on a quiet machine
they are its wall time, and on a shared one (two cores, several processes) they are not
inflated by waiting for a core.
"""
import argparse
import importlib
import os
import shutil
import sys
import tempfile
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
    return _summary([_fit(layers, X, y, epochs, seeds, fit) for layers in ARCHITECTURES])


def _fit(layers, X, y, epochs, seeds, fit, package=nncore):
    nets = package.fit_replicas(layers, X, y, seeds=range(seeds), epochs=epochs,
                                optimizer="adam", lr=LR, **fit)
    return [len(net.history_) for net in nets]


def _summary(epochs_run):
    runs = np.array(epochs_run)
    return runs.size, float(runs.mean()), float(runs.max(axis=1).mean()), runs


def _paired(X, y, epochs, seeds, fits, repeats, packages=None):
    """Each of ``fits`` ``{name: options}`` over the grid ``repeats`` times, interleaved
    architecture by architecture (each in turn first), so that a shared machine's load
    weighs on all of them alike; return ``{name: (summary, [seconds per repeat])}``.
    ``packages`` ``{name: module}`` trains a fit with another nncore (``before_after``)."""
    times = {name: [0.0] * repeats for name in fits}
    runs = {name: [] for name in fits}
    for repeat in range(repeats):
        for i, layers in enumerate(ARCHITECTURES):
            turn = (i + repeat) % len(fits)
            for name in list(fits)[turn:] + list(fits)[:turn]:
                start = time.process_time()
                epochs_run = _fit(layers, X, y, epochs, seeds, fits[name],
                                  (packages or {}).get(name, nncore))
                times[name][repeat] += time.process_time() - start
                if repeat == 0:
                    runs[name].append(epochs_run)
    return {name: (_summary(runs[name]), times[name]) for name in fits}


def _rows(epochs, seeds, repeats):
    """The four rows; the last two (the goal's ratio) interleaved, ``repeats`` times."""
    X, y = sine_data()
    validation = _validation_data()
    curve = np.unique(np.round(np.linspace(1, epochs, min(epochs, 300)))).astype(int)
    once = [("no validation data", {}),
            (f"validation at the {len(curve)} curve epochs (a sweep job)",
             {"validation_data": validation, "validation_freq": curve.tolist()})]
    rows = []
    for name, fit in once:
        start = time.process_time()
        summary = run(X, y, epochs, seeds, **fit)
        rows.append((name, *summary[:3], [time.process_time() - start], summary[3]))
    paired = _paired(X, y, epochs, seeds, {
        "validation loss after every epoch (30 points)": {"validation_data": validation},
        f"validation + early stopping, patience {PATIENCE}":
            {"validation_data": validation, "patience": PATIENCE}}, repeats)
    for name, (summary, times) in paired.items():
        rows.append((name, *summary[:3], times, summary[3]))
    return rows


def main(epochs=1000, seeds=10, repeats=3):
    with threadpool_limits(1):
        rows = _rows(epochs, seeds, repeats)
        fixed = fixed_seconds(seeds)
        a, b, at_size = floor(seeds)
    base = rows[0][4][0]
    lines = [f"52 sine architectures x {seeds} seeds (fit_replicas), 30 training points, up to "
             f"{epochs} full-batch adam epochs, BLAS 1 thread; the last two rows interleaved "
             f"architecture by architecture, {repeats} times (median, range)", "",
             "| training | nets | epochs per net (mean) | epochs per stack (mean) | seconds | "
             "time vs no validation | time per stack epoch vs no validation |",
             "|---|---|---|---|---|---|---|"]
    for name, nets, mean_epochs, stack_epochs, seconds, _ in rows:
        median = float(np.median(seconds))
        shown = f"{median:.2f}" + (f" ({min(seconds):.2f}-{max(seconds):.2f})"
                                   if len(seconds) > 1 else "")
        per_epoch = (median / stack_epochs) / (base / epochs)
        lines.append(f"| {name} | {nets} | {mean_epochs:.0f} | {stack_epochs:.0f} | "
                     f"{shown} | {median / base:.2f}x | {per_epoch:.2f}x |")
    curve = ", ".join(f"{t:.0f}" for t in at_size)
    return "\n".join(lines + [""] + _goal(rows[2], rows[3], a, b, epochs, seeds, fixed) + [
        "", f"Per-epoch time (us, validated, median over the architectures) at S = 1..{seeds}: "
        f"{curve}."])


def _goal(validated, stopped, a, b, epochs, seeds, fixed):
    """The issue's ratio per repeat, measured, without the per-fit fixed cost,
    and at the floor ``a + b * S`` (per architecture)."""
    net_epochs = stopped[1] * stopped[2]
    pairs = np.array(stopped[4]) / (np.array(validated[4]) / (validated[1] * epochs) * net_epochs)
    # The per-fit work that is not epochs (stacking, results, the check of the kept
    # weights), the same in both rows, priced as it is paid: once per stack.
    work = (np.array(stopped[4]) - fixed) / (
        (np.array(validated[4]) - fixed) / (validated[1] * epochs) * net_epochs)
    per_net_epoch = float(np.median(validated[4])) / (validated[1] * epochs)
    runs = stopped[5]
    # The floor: every stack-epoch pays a, every replica still training b.
    alive = [(r[:, None] > np.arange(r.max())).sum(axis=0) for r in runs]
    floor_time = sum(a_l * len(n) + b_l * n.sum() for a_l, b_l, n in zip(a, b, alive))
    floor_need = sum((a_l / seeds + b_l) * r.sum() for a_l, b_l, r in zip(a, b, runs))
    listed = ", ".join(f"{r:.2f}" for r in pairs)
    return [f"Early stopping: {np.median(stopped[4]):.2f} s for {net_epochs:.0f} net-epochs; "
            f"at the per-net-epoch time of validating every epoch ({per_net_epoch * 1e6:.1f} "
            f"us) they need {per_net_epoch * net_epochs:.2f} s: **{np.median(pairs):.2f}x** "
            f"(goal 1.2x; pairs {listed}). The work outside the epochs, {fixed:.3f} s for the "
            f"52 stacks (one-epoch fits less their epoch), paid once by both rows: without "
            f"it {np.median(work):.2f}x. Per-epoch cost with validation, fitted over S = "
            f"1..{seeds}: a = {np.median(a):.1f} us (median over the architectures), b = "
            f"{np.min(b):.1f}-{np.max(b):.1f} us per replica; a stack shrinking at every "
            f"stop, at no cost, would take {floor_time / floor_need:.2f}x (the floor)."]


def fixed_seconds(seeds, repeats=5):
    """The time of the 52 fits that does not grow with epochs: one-epoch fits of the
    validated row, less one epoch at that row's per-epoch time (best of ``repeats``)."""
    X, y = sine_data()
    validation = _validation_data()
    times = {}
    for epochs in (1, 21):
        best = np.inf
        for _ in range(repeats):
            start = time.process_time()
            run(X, y, epochs, seeds, validation_data=validation)
            best = min(best, time.process_time() - start)
        times[epochs] = best
    return times[1] - (times[21] - times[1]) / 20


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


def before_after(before, repeats=3, epochs=1000, seeds=10):
    """The goal's two rows with the nncore in ``before`` (a checkout, imported under
    another name) and with this tree's, all four interleaved architecture by architecture
    in this process; return the Markdown lines."""
    tmp = tempfile.mkdtemp()  # kept while it trains: nncore imports some modules lazily
    try:
        shutil.copytree(os.path.join(before, "nncore"), os.path.join(tmp, "nncore_before"))
        sys.path.insert(0, tmp)
        return _before_after(importlib.import_module("nncore_before"), before, repeats,
                             epochs, seeds)
    finally:
        shutil.rmtree(tmp)


def _before_after(old, before, repeats, epochs, seeds):
    X, y = sine_data()
    validation = _validation_data()
    options = {"validated": {"validation_data": validation},
               "stopping": {"validation_data": validation, "patience": PATIENCE}}
    fits = {(tree, row): fit for tree in ("before", "after") for row, fit in options.items()}
    with threadpool_limits(1):
        paired = _paired(X, y, epochs, seeds, fits, repeats,
                         {key: old for key in fits if key[0] == "before"})
    lines = [f"Early stopping, patience {PATIENCE}, before ({before}) and after, the four "
             f"rows interleaved architecture by architecture, {repeats} times:"]
    for tree in ("before", "after"):
        (nets, _, _, _), validated = paired[(tree, "validated")]
        (_, mean_epochs, _, _), stopping = paired[(tree, "stopping")]
        ratios = np.array(stopping) / (np.array(validated) / epochs * mean_epochs)
        lines.append(f"- {tree}: the early-stopping row {np.median(stopping):.2f} s ("
                     + ", ".join(f"{t:.2f}" for t in stopping) + "), validated after every "
                     f"epoch {np.median(validated):.2f} s; the goal's ratio "
                     f"{np.median(ratios):.2f}x (" + ", ".join(f"{r:.2f}" for r in ratios)
                     + f"); {mean_epochs:.0f} epochs per net")
    return lines


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=1000)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--before", help="a checkout whose nncore to compare with")
    parser.add_argument("--repeats", type=int, default=3,
                        help="alternating pairs (with --before: of the two trees)")
    args = parser.parse_args()
    if args.before:
        print("\n".join(before_after(args.before, args.repeats, args.epochs, args.seeds)))
    else:
        print(main(args.epochs, args.seeds, args.repeats))
