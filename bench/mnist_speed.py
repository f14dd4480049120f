"""The material's MNIST nets at MNIST's shape: mini-batch training against the matmul rate.

``[784, 30, 10]`` and ``[784, 128, 128, 10]``, sigmoid hidden and output units, the
quadratic cost, plain mini-batch gradient descent (batch 10, lr 3.0), on MNIST-shaped
data made here (no download): scikit-learn's 8x8 digits upsampled to 28x28, shifted and
noised, written as the headerless label-first 0..255 CSV people have. Side by side in one
process (one BLAS thread): scikit-learn's ``MLPClassifier`` (what a scikit-learn + joblib
loop runs per net; its cost is log-loss with softmax, the nearest it has), a plain numpy
loop, nncore one net at a time, ``fit_replicas`` with each seed's own batch order and
with one shared order (float64 and float32), the engine's training loop alone (without
``fit``'s checks and its check that each kept net is usable), and PyTorch on CPU when it is importable.
FLOPs count the products a step needs (forward, weight gradient, and the input gradient
of every layer but the first); the rate is against a 512 x 512 single-core matmul of the
same dtype measured in the same run (best of 20, CPU time). Training is timed in CPU seconds of
this process (one thread), which a loaded machine distorts less than wall time. ``sweeps run`` end to end on the CSV is timed next
to scikit-learn in ``joblib.Parallel`` over the same jobs (``bench/mnist_sweep.py``).

Run: ``python bench/mnist_speed.py --rows 6000 --epochs 1`` (under a minute);
``--sweeps`` adds the end-to-end comparison.
"""
import argparse
import json
import os
import statistics
import time
import warnings

import numpy as np
from scipy.special import expit
from threadpoolctl import threadpool_limits

import nncore

NETS = ([784, 30, 10], [784, 128, 128, 10])
FIT = dict(activation="sigmoid", output="sigmoid", loss="mse", optimizer="gd", lr=3.0,
           batch_size=10)


def spec_text(name, path, hidden, epochs, seed, extra=""):
    """A sweep spec of the material's MNIST settings (``FIT``) on the CSV at ``path``:
    headerless, label first, pixels 0..255; ``hidden`` and ``seed`` as the spec takes
    them (a list is an axis)."""
    settings = "".join(f"{key} = {json.dumps(value)}\n" for key, value in FIT.items())
    return (f'name = "{name}"\ntask = "csv"\n\n[params]\npath = {json.dumps(path)}\n'
            f"header = false\ntarget = 0\nscale = 255\nhidden = {json.dumps(hidden)}\n"
            f"{settings}epochs = {epochs}\nseed = {json.dumps(seed)}\n{extra}")


def mnist_like(rows, seed=0):
    """``rows`` MNIST-shaped images (0..255 ints, 784 columns) and their digit labels."""
    from sklearn.datasets import load_digits
    digits = load_digits()
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(digits.target), rows)
    small = digits.images[pick] / 16.0  # (rows, 8, 8) in 0..1
    big = np.kron(small, np.ones((3, 3)))  # 24 x 24
    images = np.zeros((rows, 28, 28))
    shifts = rng.integers(0, 5, (rows, 2))
    for (dy, dx) in np.unique(shifts, axis=0):  # each shift at once
        at = np.all(shifts == (dy, dx), axis=1)
        images[at, dy : dy + 24, dx : dx + 24] = big[at]
    images += rng.normal(0, 0.05, images.shape) * (images > 0)
    pixels = np.clip(np.rint(images * 255), 0, 255).astype(np.int64).reshape(rows, 784)
    return pixels, digits.target[pick]


def write_csv(path, pixels, labels):
    """The headerless, label-first CSV of MNIST's usual text form."""
    np.savetxt(path, np.column_stack([labels, pixels]), fmt="%d", delimiter=",")


def flops_per_epoch(layers, n):
    """Products of one epoch: forward and weight gradient per layer, input gradient but
    for the first layer; 2 FLOPs per multiply-add."""
    pairs = list(zip(layers[:-1], layers[1:]))
    return 2 * n * sum(fi * fo * (2 if l == 0 else 3) for l, (fi, fo) in enumerate(pairs))


def matmul_rate(dtype, size=512, repeat=20):
    """Single-core GFLOP/s of a square matmul: the best of ``repeat``, in CPU time as the
    training rows are."""
    a = np.random.default_rng(0).random((size, size)).astype(dtype)
    out = np.empty_like(a)
    best = np.inf
    for _ in range(repeat):
        start = time.process_time()
        np.matmul(a, a, out=out)
        best = min(best, time.process_time() - start)
    return 2 * size**3 / best / 1e9


def plain_numpy(layers, X, Y, epochs, seed):
    """The loop a user writes: rows shuffled once per epoch, ``a @ W + b``, backprop."""
    rng = np.random.default_rng(seed)
    W = [rng.normal(0, 1 / np.sqrt(fi), (fi, fo)) for fi, fo in zip(layers, layers[1:])]
    b = [rng.normal(0, 1, fo) for fo in layers[1:]]
    for _ in range(epochs):
        perm = rng.permutation(len(X))
        Xs, Ys = X[perm], Y[perm]
        for s in range(0, len(X), 10):
            acts = [Xs[s : s + 10]]
            for Wl, bl in zip(W, b):
                acts.append(expit(acts[-1] @ Wl + bl))
            d = (acts[-1] - Ys[s : s + 10]) * acts[-1] * (1 - acts[-1]) / len(acts[0])
            for l in range(len(W) - 1, -1, -1):
                gW, gb = acts[l].T @ d, d.sum(axis=0)
                if l:
                    d = (d @ W[l].T) * acts[l] * (1 - acts[l])
                W[l] -= 3.0 * gW
                b[l] -= 3.0 * gb


def sklearn_net(layers, X, labels, epochs, seed):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier
    clf = MLPClassifier(layers[1:-1], activation="logistic", solver="sgd", batch_size=10,
                        learning_rate_init=3.0, momentum=0.0, max_iter=epochs, tol=0.0,
                        n_iter_no_change=10**9, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        with np.errstate(all="ignore"):
            clf.fit(X, labels)


def torch_net(layers, X, Y, epochs, seed, dtype):
    import torch
    torch.manual_seed(seed)
    torch.set_num_threads(1)
    mods = []
    for fi, fo in zip(layers, layers[1:]):
        mods += [torch.nn.Linear(fi, fo), torch.nn.Sigmoid()]
    model = torch.nn.Sequential(*mods).to(dtype)
    opt = torch.optim.SGD(model.parameters(), lr=3.0)
    Xt, Yt = torch.tensor(X, dtype=dtype), torch.tensor(Y, dtype=dtype)
    for _ in range(epochs):
        perm = torch.randperm(len(Xt))
        for s in range(0, len(Xt), 10):
            idx = perm[s : s + 10]
            opt.zero_grad()
            loss = 0.5 * ((model(Xt[idx]) - Yt[idx]) ** 2).sum(dim=1).mean()
            loss.backward()
            opt.step()


def training_loop(layers, X, Y, epochs, seeds, shared):
    """The engine's mini-batch loop alone (``engine.train``), without what ``fit`` adds
    around it: the input checks and the check that each kept net is usable (a bound from
    its weights; a forward pass of every replica over all rows, nearly half an epoch's
    FLOPs at 1 epoch, only where the bound proves nothing: ``fitting._unusable``)."""
    from nncore import engine, fitting
    from nncore.optimizers import GD
    nets = [nncore.MLP(layers, "sigmoid", "sigmoid", "mse", seed=s) for s in seeds]
    stack = engine.Stack.from_arrays([(n.weights, n.biases) for n in nets])
    network = engine.Network("sigmoid", "sigmoid", "mse", 0.0, stack=stack)
    rngs = [fitting.shuffle_rng(0 if shared else s) for s in (seeds[:1] if shared else seeds)]
    engine.train(network, stack, X, Y, epochs=epochs, optimizer=GD(FIT["lr"]),
                 batch_size=FIT["batch_size"], shuffle_rngs=rngs, shared_order=shared)


def trainers(seeds):
    """(label, nets per call, function(layers, X, Y, labels, epochs)) per row."""
    def replicas(shared, dtype=np.float64):
        return lambda L, X, Y, lab, e: nncore.fit_replicas(
            L, X, Y, seeds=range(seeds), epochs=e, dtype=dtype,
            shuffle_seed=0 if shared else None, **FIT)
    rows = [
        ("scikit-learn MLPClassifier (sgd, batch 10), one net", 1,
         lambda L, X, Y, lab, e: sklearn_net(L, X, lab, e, 0)),
        ("plain numpy loop, one net", 1, lambda L, X, Y, lab, e: plain_numpy(L, X, Y, e, 0)),
        ("nncore MLP.fit, one net", 1,
         lambda L, X, Y, lab, e: nncore.MLP(L, "sigmoid", "sigmoid", "mse").fit(
             X, Y, epochs=e, optimizer="gd", lr=3.0, batch_size=10)),
        (f"nncore fit_replicas, {seeds} seeds, own orders", seeds, replicas(False)),
        (f"nncore fit_replicas, {seeds} seeds, shared order", seeds, replicas(True)),
        (f"nncore fit_replicas, {seeds} seeds, shared order, float32", seeds,
         replicas(True, np.float32)),
        ("MLP.fit's training loop alone (engine.train), one net", 1,
         lambda L, X, Y, lab, e: training_loop(L, X, Y, e, [0], False)),
        (f"fit_replicas' training loop alone, {seeds} seeds, shared order", seeds,
         lambda L, X, Y, lab, e: training_loop(L, X, Y, e, list(range(seeds)), True)),
    ]
    try:
        import torch
        rows += [(f"PyTorch CPU (autograd), one net, {name}", 1,
                  lambda L, X, Y, lab, e, d=d: torch_net(L, X, Y, e, 0, d))
                 for name, d in (("float64", torch.float64), ("float32", torch.float32))]
    except ImportError:
        pass
    return rows


def engine_table(rows=6000, epochs=1, seeds=5, rounds=3):
    """One Markdown table per net: seconds per net, nets per hour, ratios, GFLOP/s."""
    pixels, labels = mnist_like(rows)
    X, Y = pixels / 255.0, np.eye(10)[labels]
    peak = {np.float64: matmul_rate(np.float64), np.float32: matmul_rate(np.float32)}
    lines = [f"{rows:,} rows x 784, {epochs} epoch(s), batch 10, lr 3.0, one BLAS thread, "
             f"CPU seconds (a loaded machine steals wall time), medians of {rounds} rounds "
             f"taken in turn; single-core matmul {peak[np.float64]:.1f} "
             f"GFLOP/s float64, {peak[np.float32]:.1f} float32; load: {_load()}"]
    for layers in NETS:
        flops = flops_per_epoch(layers, rows) * epochs
        lines += ["", f"`{layers}`", "",
                  "| trainer | CPU s per net | nets per hour | x scikit-learn | x plain numpy "
                  "| GFLOP/s | % of matmul rate |", "|---|---|---|---|---|---|---|"]
        taken = {}
        for _ in range(rounds):  # rounds outermost: every trainer sees the same load
            for label, nets, fn in trainers(seeds):
                start = time.process_time()
                fn(layers, X, Y, labels, epochs)
                taken.setdefault(label, []).append((time.process_time() - start) / nets)
        times = {label: statistics.median(t) for label, t in taken.items()}
        base, plain = list(times.values())[0], list(times.values())[1]
        for label, per_net in times.items():
            rate = flops / per_net / 1e9
            ref = peak[np.float32 if "float32" in label else np.float64]
            lines.append(f"| {label} | {per_net:.3f} | {3600 / per_net:,.0f} | "
                         f"{base / per_net:.2f}x | {plain / per_net:.2f}x | {rate:.1f} | "
                         f"{100 * rate / ref:.0f} % |")
    return "\n".join(lines)


def _load():
    return "load average " + " ".join(f"{v:.1f}" for v in os.getloadavg())


def sweeps_table(rows=6000, epochs=1, jobs=2):
    """``sweeps run`` on the CSV end to end against scikit-learn + joblib: one round of
    ``bench/mnist_sweep.py`` (which owns that comparison)."""
    import mnist_sweep
    return mnist_sweep.main(rows, epochs, jobs, repeats=1)


def main(rows=6000, epochs=1, seeds=5, rounds=3, sweeps=True):
    with threadpool_limits(1):
        table = engine_table(rows, epochs, seeds, rounds)
    return table + ("\n\n" + sweeps_table(rows, epochs) if sweeps else "")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=6000)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sweeps", action="store_true", help="also time sweeps run")
    args = parser.parse_args()
    print(main(args.rows, args.epochs, args.seeds, args.rounds, args.sweeps))
