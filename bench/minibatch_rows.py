"""The MNIST nets' mini-batch step at 6,000 rows and at MNIST's 60,000: does size cost?

A sweep's worker trains a `[784, 128, 128, 10]` net at about 215 us per step on the
60,000-row CSV (its 36,000 training rows; ``bench/mnist_sweep.py``), where
``bench/mnist_speed.py`` measures about 190 us on 6,000 rows. This bench separates what a
step costs from what an epoch adds around the steps:

- **the step**: each net's training in steady epochs (after ``--warm`` epochs, which
  hold the one-time costs: the first import of ``scipy.special`` by the sigmoid, the
  buffers, and ``minibatch.Rows`` building its rows with their ones at the second
  epoch), for ``--rows`` rows, with the inputs in memory and memory-mapped read-only from
  a ``.npy`` file as a sweep's local worker opens its data cache
  (``sweeps.tasks.cache``: ``np.load(..., mmap_mode="r")``). One net, ``--seeds`` seeds
  with their own orders, ``--seeds`` seeds sharing one order; CPU microseconds per step
  and net (one BLAS thread).
- **the validation pass**: one forward pass and loss of each replica over a validation
  split a third the size of the training rows (the csv task's 60/20/20 split; a sweep
  of at most 300 epochs validates after every epoch, ``sweeps.training``), in ms per
  replica and per epoch, and spread over the epoch's steps (us per step).

``--worker-fit EPOCHS`` adds the accounting of one sweep group: ``nncore.fit_replicas`` as a
sweep's worker calls it for the ``[784, 128, 128, 10]`` seeds with their own orders (the
largest ``--rows`` split 60/20/20, memory-mapped, validated after every epoch), against
its parts measured in the same process just before and just after it: the steady step
and the validation pass.

Found (``bench/RESULTS.md``, 2026-12-07): the steady step takes the same time at 6,000
and 60,000 rows, in memory or mapped (1.00-1.03x); the sweep's extra time per step is
the validation pass (about 21 us per step for the large net) and what a fit pays once.

``--before DIR`` measures the same in a checkout at ``DIR`` too (``PYTHONPATH=DIR``, in
alternation with this one, round by round). Every side runs in a fresh process.

Run: ``python bench/minibatch_rows.py`` (about 2 minutes a round and side);
``--rows 6000`` for a quick look; ``--rounds 0 --rows 60000 --worker-fit 30`` for the
accounting of the sweep's longest group alone (about a minute).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from mnist_speed import FIT, NETS, _load, mnist_like  # noqa: E402


def stored(arrays, folder):
    """``arrays`` written as ``.npy`` files and opened as a sweep's local worker opens its
    data cache: memory-mapped read-only (``sweeps.tasks.cache._open``)."""
    opened = []
    for i, a in enumerate(arrays):
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, f"a{i}.npy")
        np.save(path, a)
        opened.append(np.asarray(np.load(path, mmap_mode="r")))
    return opened


def epoch_timer(layers, X, Y, seeds, shared):
    """A function running one epoch of training on ``X`` and returning its CPU us per
    step and net: the engine's epoch loop (``engine._minibatch_epoch``) on the batches
    ``engine.train`` makes, so that a caller can leave the first epochs' one-time costs
    out and alternate epochs of several data sets."""
    import nncore
    from nncore import engine, fitting
    from nncore.minibatch import Batches, Rows
    from nncore.optimizers import GD
    nets = [nncore.MLP(layers, "sigmoid", "sigmoid", "mse", seed=s) for s in seeds]
    stack = engine.Stack.from_arrays([(n.weights, n.biases) for n in nets])
    network = engine.Network("sigmoid", "sigmoid", "mse", 0.0, stack=stack)
    rngs = [fitting.shuffle_rng(0 if shared else s) for s in (seeds[:1] if shared else seeds)]
    batches = Batches(Rows(X), Y, FIT["batch_size"], rngs, shared, len(seeds))
    optimizer, workspaces = GD(FIT["lr"]), {}
    steps = -(-len(X) // FIT["batch_size"]) * len(seeds)

    def epoch():
        start = time.process_time()
        with np.errstate(all="ignore"):
            engine._minibatch_epoch(network, stack, batches, optimizer, workspaces)
        return (time.process_time() - start) / steps * 1e6
    return epoch


def steady_steps(layers, X, Y, seeds, shared, warm, timed):
    """CPU us per step and net in each of ``timed`` epochs after ``warm`` epochs."""
    epoch = epoch_timer(layers, X, Y, seeds, shared)
    return [epoch() for _ in range(warm + timed)][warm:]


def validation_pass(layers, X_val, Y_val, n_replicas, repeat=3):
    """CPU ms per replica of one validation pass as ``engine.train`` makes it: a forward
    pass of the stack over ``X_val`` and each replica's loss."""
    import nncore
    from nncore import engine
    nets = [nncore.MLP(layers, "sigmoid", "sigmoid", "mse", seed=s) for s in range(n_replicas)]
    stack = engine.Stack.from_arrays([(n.weights, n.biases) for n in nets])
    network = engine.Network("sigmoid", "sigmoid", "mse", 0.0, stack=stack)
    val_T, val_Y_T = engine.inputs(X_val)[0], np.ascontiguousarray(Y_val.T)
    ws = engine.Workspace(stack, len(X_val))
    engine.forward(network, stack, val_T, ws)  # the buffers' first touch
    start = time.process_time()
    for _ in range(repeat):
        engine.forward(network, stack, val_T, ws)
        engine.loss_values(network, stack, val_Y_T, ws)
    return (time.process_time() - start) / repeat / n_replicas * 1e3


def measure(rows_list, seeds, warm, timed):
    """One side's measurements: ``{key: us per step (or ms per pass)}``. Per net and
    way of training, the epochs of every size and storage alternate (the order reversed
    every other time), so that a load that comes and goes hits each alike."""
    from threadpoolctl import threadpool_limits
    out = {}
    pixels, labels = mnist_like(max(rows_list))  # each size: its first rows
    X, Y = pixels / 255.0, np.eye(10)[labels]  # as the csv task scales: v / 255
    del pixels
    with threadpool_limits(1), tempfile.TemporaryDirectory() as folder:
        data = {}
        for rows in rows_list:
            data[rows, "memory"] = X[:rows], Y[:rows]
            data[rows, "mapped"] = tuple(stored((X[:rows], Y[:rows]), folder + f"/{rows}"))
        for layers in NETS:
            for name, ids, shared in trainers(seeds):
                timers = {key: epoch_timer(layers, *xy, ids, shared) for key, xy in data.items()}
                for epoch in [t for t in timers.values() for _ in range(warm)]:
                    epoch()
                taken = {key: [] for key in timers}
                for t in range(timed):
                    for key in (list(timers) if t % 2 == 0 else list(timers)[::-1]):
                        taken[key].append(timers[key]())
                for (rows, storage), values in taken.items():
                    out[f"{layers}|{name}|{rows}|{storage}"] = statistics.median(values)
        for rows in rows_list:
            n_val = rows // 3
            for layers in NETS:
                ms = validation_pass(layers, X[:n_val], Y[:n_val], seeds)
                out[f"{layers}|validation pass|{rows}|memory"] = ms
    return out


def worker_fit(rows, seeds, epochs):
    """Text: ``fit_replicas`` as a sweep worker calls it for the large net's ``seeds``
    (own orders), in CPU seconds, beside the sum of its parts measured just before and
    just after it (the steady step and the validation pass; their spread is the noise)."""
    import nncore
    from threadpoolctl import threadpool_limits
    layers, ids = NETS[1], list(range(seeds))
    pixels, labels = mnist_like(rows)
    n_train, n_val = rows * 3 // 5, rows // 5
    steps = -(-n_train // FIT["batch_size"])
    with threadpool_limits(1), tempfile.TemporaryDirectory() as folder:
        X, Y = stored((pixels / 255.0, np.eye(10)[labels]), folder)
        del pixels
        train, val = (X[:n_train], Y[:n_train]), (X[n_train:n_train + n_val],
                                                  Y[n_train:n_train + n_val])

        def parts():
            step = statistics.median(steady_steps(layers, *train, ids, False, 2, 3))
            val_ms = validation_pass(layers, *val, seeds)
            return step, val_ms, epochs * seeds * (steps * step * 1e-6 + val_ms * 1e-3)
        before = parts()
        start = time.process_time()
        nncore.fit_replicas(layers, *train, seeds=ids, epochs=epochs, validation_data=val,
                            **FIT)
        total = time.process_time() - start
        after = parts()
    said = [f"steady step {step:.1f} us + validation {val_ms:.1f} ms per replica and epoch "
            f"({val_ms * 1e3 / steps:.1f} us per step): {sum_:.2f} s, the fit's rest "
            f"{total - sum_:.2f} s" for step, val_ms, sum_ in (before, after)]
    return (f"fit_replicas, `{layers}`, {seeds} seeds with own orders, {n_train:,} training "
            f"rows (mapped), validated each epoch on {n_val:,}, {epochs} epochs: {total:.2f} "
            f"CPU s = {total * 1e6 / (epochs * steps * seeds):.1f} us per step and net. Its "
            f"parts measured before it: {said[0]}; after it: {said[1]}")


def trainers(seeds):
    """``(label, seeds, shared order)`` of each way of training measured."""
    ids = list(range(seeds))
    return [("one net", [0], False), (f"{seeds} seeds, own orders", ids, False),
            (f"{seeds} seeds, shared order", ids, True)]


def run_side(code, args, fit=False):
    """``measure`` (``fit``: ``worker_fit``) in a fresh process with ``PYTHONPATH=code``."""
    env = {**os.environ, "PYTHONPATH": os.path.abspath(code), "OMP_NUM_THREADS": "1",
           "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    cmd = [sys.executable, os.path.abspath(__file__), "--side", "--rows",
           *map(str, args.rows), "--seeds", str(args.seeds), "--warm", str(args.warm),
           "--timed", str(args.timed)]
    cmd += ["--worker-fit", str(args.worker_fit)] if fit else []
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def table(results, rows_list, seeds):
    """Markdown: per net and way of training, us per step and net at each size and storage
    (medians over rounds); ratios to the first size in memory, and to ``before``."""
    sides = list(results)
    med = {side: {k: statistics.median(r[k] for r in runs) for k in runs[0]}
           for side, runs in results.items()}
    now = med[sides[0]]
    head = ["net", "trainer"] + [f"{r:,} {s}" for r in rows_list for s in ("memory", "mapped")]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for layers in NETS:
        for name, _, _ in trainers(seeds) + [("validation pass", None, None)]:
            cells = [f"`{layers}`", name]
            base = now[f"{layers}|{name}|{rows_list[0]}|memory"]
            for rows in rows_list:
                for storage in ("memory", "mapped"):
                    key = f"{layers}|{name}|{rows}|{storage}"
                    if key not in now:
                        cells.append("")
                        continue
                    cell = _cell(name, now[key], rows, base)
                    if len(sides) > 1:
                        then = med[sides[1]][key]
                        cell += f"; before {then:.1f} ({then / now[key]:.2f}x)"
                    cells.append(cell)
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _cell(name, value, rows, base):
    if name == "validation pass":  # ms per replica; spread over 3 * n_val / 10 steps
        return f"{value:.1f} ms = {value * 1e3 / (rows / FIT['batch_size']):.1f} us/step"
    return f"{value:.1f} us ({value / base:.2f}x)"


def main(args):
    sides = {"now": os.path.dirname(HERE)}
    if args.before:
        sides[f"before ({os.path.basename(os.path.abspath(args.before))})"] = args.before
    results = {side: [] for side in sides}
    for r in range(args.rounds):  # the order reversed every other round
        for side in (list(sides) if r % 2 == 0 else list(sides)[::-1]):
            results[side].append(run_side(sides[side], args))
    intro = (f"CPU us per step and net in {args.timed} steady epoch(s) after {args.warm} "
             f"(medians of {args.rounds} round(s)); ratio to {args.rows[0]:,} rows in memory; "
             f"validation pass over rows / 3 (ms per replica, and per training step); "
             f"one BLAS thread; {_load()} at the end")
    texts = [intro, table(results, args.rows, args.seeds)] if args.rounds else []
    if args.worker_fit:
        texts.append(run_side(sides["now"], args, fit=True))
    return "\n\n".join(texts)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[6000, 60000])
    parser.add_argument("--seeds", type=int, default=2, help="replicas of the stacks")
    parser.add_argument("--warm", type=int, default=2, help="epochs before the timed ones")
    parser.add_argument("--timed", type=int, default=3, help="epochs timed per data set")
    parser.add_argument("--rounds", type=int, default=1, help="0: only --worker-fit")
    parser.add_argument("--worker-fit", type=int, metavar="EPOCHS",
                        help="also time one sweep group's fit_replicas of this many epochs")
    parser.add_argument("--before", help="another checkout to measure the same in")
    parser.add_argument("--side", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side and args.worker_fit:
        print(json.dumps(worker_fit(max(args.rows), args.seeds, args.worker_fit)))
    elif args.side:
        print(json.dumps(measure(args.rows, args.seeds, args.warm, args.timed)))
    else:
        print(main(args))
