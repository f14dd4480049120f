"""What bounds a mini-batch step of the MNIST nets at batch 10: the first layer's calls.

A step of ``fit_replicas`` with a shared order (``[784, 128, 128, 10]`` or ``[784, 30, 10]``,
S stacked seeds, batch 10) spends most of its time in two calls per step on the stacked
first layer ``W`` (``S * fan_out`` rows of 785): the forward product ``W @ X_T``
(``(S * fan_out, 785) @ (785, 10)``, in the row pieces ``minibatch.row_chunks`` gives)
and the fused gd update ``W -= lr * D @ rows`` (``fused.FusedFirst``). This script times
exactly those calls with the engine's own objects, back to back over a real epoch's
batches and nothing else, and the memory they must move: ``W`` is read by the forward
product and read and written by the update, so each step moves at least ``3 * |W|``
bytes, against the read and read-modify-write bandwidth measured here on buffers of that
size. Everything else in a step (the small layers, the activations, Python between
calls) is the difference to the whole step (``bench/mnist_speed.py``).

Run: ``python bench/mnist_floor.py`` (one BLAS thread, CPU time, best of 5).
"""
import time

import numpy as np
from threadpoolctl import threadpool_limits

from nncore import fused, minibatch
from nncore.minibatch import row_chunks

M, WIDTH = 10, 785


def best(fn, repeat=5):
    """Best CPU time of ``fn()`` over ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return min(times)


def bandwidth(n_bytes, steps=200):
    """GB/s reading an array of ``n_bytes`` (a sum), and reading and writing it (``+=``)."""
    a = np.random.default_rng(0).random(n_bytes // 8)
    read = best(lambda: [a.sum() for _ in range(steps)])
    rmw = best(lambda: [np.add(a, 0.5, out=a) for _ in range(steps)])
    return n_bytes * steps / read / 1e9, 2 * n_bytes * steps / rmw / 1e9


def first_layer_calls(rows_out, steps=600):
    """Seconds per step of the forward pieces and the fused update on ``rows_out`` rows."""
    rng = np.random.default_rng(0)
    W = rng.normal(0, 0.03, (1, rows_out, WIDTH))
    D = rng.normal(0, 1e-3, (1, rows_out, M))
    batches = rng.random((steps, M, WIDTH))
    Z = np.empty((rows_out, M))
    pieces = [(W[0, a:b], Z[a:b]) for a, b in row_chunks(rows_out, WIDTH, M)]
    update = fused.FusedFirst(W, D, 1e-9, True)

    def forward():
        for rows in batches:
            for B, out in pieces:
                np.matmul(B, rows.T, out)

    def fused_update():
        for rows in batches:
            update.update(rows)

    return best(forward, 3) / steps, best(fused_update, 3) / steps


def main():
    lines = [f"forward pieces of at most {minibatch.SMALL_PRODUCT:,} multiply-adds; "
             "one BLAS thread, CPU time", "",
             "| first layer (rows x 785) | MB | forward us | GFLOP/s | fused update us "
             "| GFLOP/s | 3 passes over W at L3 bandwidth, us |", "|---|---|---|---|---|---|---|"]
    read_l3, rmw_l3 = bandwidth(4 * 2**20)
    read_l2, rmw_l2 = bandwidth(512 * 2**10)
    for label, rows_out in (("1 x 30", 30), ("5 x 30", 150), ("1 x 128", 128),
                            ("5 x 128", 640)):
        fwd, upd = first_layer_calls(rows_out)
        n_bytes = rows_out * WIDTH * 8
        flops = 2 * rows_out * WIDTH * M
        floor = (n_bytes / read_l3 + 2 * n_bytes / rmw_l3) / 1e3
        lines.append(f"| {label} | {n_bytes / 2**20:.2f} | {fwd * 1e6:.0f} | {flops / fwd / 1e9:.1f} | "
                     f"{upd * 1e6:.0f} | {flops / upd / 1e9:.1f} | {floor:.0f} |")
    lines += ["", f"bandwidth (GB/s): 4 MB read {read_l3:.0f}, read+write {rmw_l3:.0f}; "
              f"0.5 MB read {read_l2:.0f}, read+write {rmw_l2:.0f}"]
    return "\n".join(lines)


if __name__ == "__main__":
    with threadpool_limits(1):
        print(main())
