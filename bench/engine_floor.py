"""How far the engine is from the fastest it can be without changing a single bit.

Training these nets is chaotic: a few units in the last place of ``tanh`` change a test
MSE after 2000 adam epochs by about 10 % (``chaos()``). Float64 results must not change, so
a faster engine has to give the same bits, and two kinds of call fix them: OpenBLAS's
products (their summation order depends on the shape: gemm, gemv, small-matrix kernels)
and numpy's vectorized ``tanh`` (it differs from the C library's in about a quarter of its
results). Another implementation gets those bits only by making the same calls. Everything else in a step
(optimizer, derivatives, loss, bookkeeping) could in principle cost nothing.

``floor()`` times exactly those unavoidable calls, with the engine's own buffers and in
its order (``np.matmul`` and ``np.tanh``, no other work), next to the whole engine: the
difference is all that any rewrite keeping the bits could win. Sine preset: 56
architectures, 30 points, 5 seeds per call, adam, one BLAS thread.
"""
import statistics
import time

import numpy as np
from nncore_speed import ARCHITECTURES as TWO_AND_THREE_LAYERS
from nncore_speed import sine_data
from threadpoolctl import threadpool_limits

import nncore
from nncore import activations, engine

ARCHITECTURES = TWO_AND_THREE_LAYERS + [[1, h, 1] for h in (3, 5, 10, 15)]  # the preset's 56


def products_and_tanh(layers, S, X, epochs):
    """The matrix products and ``tanh`` calls of ``epochs`` full-batch steps, nothing else."""
    nets = nncore.fit_replicas(layers, X, np.zeros((len(X), 1)), seeds=range(S), epochs=1)
    stack = engine.Stack.from_arrays([(n.weights, n.biases) for n in nets])
    ws = engine.Workspace(stack, len(X))
    X_T, X_rows = engine.inputs(X)
    for D in ws.D_full + ws.D:
        D[...] = 0.01  # ordinary numbers: subnormals would slow the products down
    tanh, matmul = np.tanh, np.matmul
    start = time.perf_counter()
    for _ in range(epochs):
        matmul(stack.blocks[0], X_T, ws.H_rows[0] if ws.H else ws.P)
        for B, H_prev, ones, out in ws.forward_layers:
            tanh(H_prev, out=H_prev)
            ones.fill(1.0)
            matmul(B, H_prev, out)
        for D, H_prev_T, G, B_T, D_prev, H_prev, scratch in ws.backward_layers:
            matmul(D, H_prev_T, G)
            if D.shape[1] == 1:
                np.multiply(B_T, D, D_prev)
            else:
                matmul(B_T, D, D_prev)
        matmul(ws.D[0], X_rows, stack.grad_blocks[0])
    return time.perf_counter() - start


def whole_engine(layers, S, X, y, epochs):
    start = time.perf_counter()
    nncore.fit_replicas(layers, X, y, seeds=range(S), epochs=epochs, optimizer="adam",
                        lr=0.01)
    return time.perf_counter() - start


def chaos(epochs=2000, seeds=5):
    """Largest relative change of a test MSE when tanh is off by at most a few units in the
    last place (computed as 1 - 2 / (exp(2x) + 1)), over six sine architectures."""
    X, y = sine_data()
    X_test = np.linspace(0, 1, 200).reshape(-1, 1)
    y_test = np.sin(2 * np.pi * X_test)

    def test_mse():
        return np.array([[float(((net.predict(X_test) - y_test) ** 2).mean())
                          for net in nncore.fit_replicas(layers, X, y, seeds=range(seeds),
                                                         epochs=epochs, optimizer="adam",
                                                         lr=0.01)]
                         for layers in ([1, 5, 5, 1], [1, 15, 15, 1], [1, 25, 25, 1],
                                        [1, 10, 5, 15, 1], [1, 15, 15, 15, 1], [1, 10, 1])])

    def tanh_from_exp(Z):
        np.multiply(Z, 2.0, out=Z)
        np.exp(Z, out=Z)
        Z += 1.0
        np.divide(2.0, Z, out=Z)
        return np.subtract(1.0, Z, out=Z)

    exact = test_mse()
    table, entry = activations.ACTIVATIONS, activations.ACTIVATIONS["tanh"]
    table["tanh"] = activations.Activation(tanh_from_exp, entry.backward)
    try:
        perturbed = test_mse()
    finally:
        table["tanh"] = entry
    return float(np.max(np.abs(perturbed - exact) / exact))


def floor(S=5, epochs=300, rounds=3):
    X, y = sine_data()
    whole, unavoidable = [], []
    for _ in range(rounds):
        whole.append(sum(whole_engine(L, S, X, y, epochs) for L in ARCHITECTURES))
        unavoidable.append(sum(products_and_tanh(L, S, X, epochs) for L in ARCHITECTURES))
    per = S * epochs * len(ARCHITECTURES) / 1e6
    return statistics.median(whole) / per, statistics.median(unavoidable) / per


def main(S=5, epochs=300, rounds=3):
    with threadpool_limits(1):
        whole, unavoidable = floor(S, epochs, rounds)
        drift = chaos()
    return "\n".join([
        f"56 sine architectures, {S} seeds per call, adam, 1 BLAS thread, medians of {rounds}",
        "", "| what | us per net and epoch |", "|---|---|",
        f"| the whole engine (`fit_replicas`) | {whole:.1f} |",
        f"| only its matrix products and `tanh` calls (the bits to keep) | {unavoidable:.1f} |",
        "", (f"Largest relative change of a test MSE (6 architectures x 5 seeds, 2000 adam "
             f"epochs) when tanh is off by a few units in the last place: {drift:.1e}"),
    ])


if __name__ == "__main__":
    print(main())
