"""nncore against scikit-learn and a plain numpy loop on the 52 sine architectures.

Every implementation trains the same grid with full-batch gradient descent for the same
number of epochs, in one run, with BLAS limited to one thread; we print nets trained per
second and the ratios (absolute times on a shared machine are noise, ratios are not).
"""
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPRegressor
from threadpoolctl import threadpool_limits

import nncore

ARCHITECTURES = (
    [[1, i, j, 1] for i in range(5, 30, 5) for j in range(5, 30, 5)]
    + [[1, i, j, k, 1] for i in range(5, 20, 5) for j in range(5, 20, 5) for k in range(5, 20, 5)]
)
LR = 0.05


def sine_data():
    X = np.linspace(0, 1, 30).reshape(-1, 1)
    return X, np.sin(2 * np.pi * X) + np.random.default_rng(0).normal(0, 0.1, X.shape)


def flops_per_epoch(layers, n):
    """Multiply-adds x 2 of one full-batch epoch: forward, weight gradients, input gradients."""
    pairs = list(zip(layers[:-1], layers[1:]))
    forward = sum(2 * n * a * b for a, b in pairs)
    backward_dx = sum(2 * n * a * b for a, b in pairs[1:])
    return 2 * forward + backward_dx


def run_sklearn(X, y, epochs, dtype=np.float64):
    X, y = X.astype(dtype), y.astype(dtype)  # scikit-learn's MLP keeps float32 data float32
    for layers in ARCHITECTURES:
        MLPRegressor(hidden_layer_sizes=layers[1:-1], activation="tanh", solver="sgd",
                     batch_size=len(X), learning_rate_init=LR, momentum=0.0,
                     nesterovs_momentum=False, shuffle=False, max_iter=epochs, tol=0.0,
                     n_iter_no_change=epochs + 1, random_state=0).fit(X, y.ravel())
    return len(ARCHITECTURES)


def run_plain_numpy(X, y, epochs):
    """The straightforward vectorized loop a careful user writes: one net at a time."""
    for layers in ARCHITECTURES:
        rng = np.random.default_rng(0)
        W = [rng.standard_normal((a, b)) / np.sqrt(a) for a, b in zip(layers[:-1], layers[1:])]
        b = [rng.standard_normal(n) for n in layers[1:]]
        for _ in range(epochs):
            A = [X]
            for l in range(len(W)):
                Z = A[-1] @ W[l] + b[l]
                A.append(Z if l == len(W) - 1 else np.tanh(Z))
            D = (A[-1] - y) / len(X)
            for l in range(len(W) - 1, -1, -1):
                dW, db = A[l].T @ D, D.sum(axis=0)
                if l:
                    D = (D @ W[l].T) * (1 - A[l] ** 2)
                W[l] -= LR * dW
                b[l] -= LR * db
    return len(ARCHITECTURES)


def run_nncore_single(X, y, epochs):
    for layers in ARCHITECTURES:
        nncore.MLP(layers, seed=0).fit(X, y, epochs=epochs, optimizer="gd", lr=LR)
    return len(ARCHITECTURES)


def run_nncore_replicas(X, y, epochs, seeds, dtype=np.float64):
    for layers in ARCHITECTURES:
        nncore.fit_replicas(layers, X, y, seeds=range(seeds), epochs=epochs, optimizer="gd",
                            lr=LR, dtype=dtype)
    return len(ARCHITECTURES) * seeds


def matmul_gflops(dtype=np.float64, shape=(256, 256), repeat=20):
    """Peak single-thread matmul rate of this machine, measured now."""
    A = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    out = np.empty(shape, dtype)
    np.matmul(A, A, out=out)
    start = time.perf_counter()
    for _ in range(repeat):
        np.matmul(A, A, out=out)
    return 2 * shape[0] ** 3 * repeat / (time.perf_counter() - start) / 1e9


def timed(fn, *args):
    start = time.perf_counter()
    nets = fn(*args)
    return nets, time.perf_counter() - start


def main(epochs=1000, seeds=10):
    X, y = sine_data()
    f64, f32 = np.float64, np.float32
    rows = []
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        peak = {f64: matmul_gflops(f64), f32: matmul_gflops(f32)}
        for name, dtype, fn, args in [
            ("scikit-learn MLPRegressor (sgd, full batch)", f64, run_sklearn, ()),
            ("scikit-learn MLPRegressor, float32 data", f32, run_sklearn, (f32,)),
            ("plain numpy, one net at a time", f64, run_plain_numpy, ()),
            ("nncore MLP.fit, one net at a time", f64, run_nncore_single, ()),
            (f"nncore fit_replicas, {seeds} seeds stacked", f64, run_nncore_replicas, (seeds,)),
            (f"nncore fit_replicas, {seeds} seeds, float32", f32, run_nncore_replicas, (seeds, f32)),
            (f"nncore fit_replicas, {5 * seeds} seeds stacked", f64, run_nncore_replicas, (5 * seeds,)),
            (f"nncore fit_replicas, {5 * seeds} seeds, float32", f32, run_nncore_replicas, (5 * seeds, f32)),
        ]:
            nets, seconds = timed(fn, X, y, epochs, *args)
            flops = nets / len(ARCHITECTURES) * sum(flops_per_epoch(l, len(X)) for l in ARCHITECTURES) * epochs
            gflops = flops / seconds / 1e9
            rows.append((name, nets, seconds, nets / seconds, gflops, 100 * gflops / peak[dtype]))
    base = rows[0][3]
    lines = [f"52 sine architectures, 30 points, {epochs} full-batch gd epochs, BLAS 1 thread",
             f"machine matmul peak (256x256, 1 thread), measured in this run: {peak[f64]:.1f} GFLOP/s "
             f"float64, {peak[f32]:.1f} GFLOP/s float32 (each row against its own dtype's peak)", "",
             "| implementation | nets | seconds | nets/s | x scikit-learn | GFLOP/s | % of matmul peak |",
             "|---|---|---|---|---|---|---|"]
    for name, nets, seconds, rate, gflops, percent in rows:
        lines.append(f"| {name} | {nets} | {seconds:.2f} | {rate:.1f} | {rate / base:.1f}x | {gflops:.2f} | {percent:.1f}% |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(main())
