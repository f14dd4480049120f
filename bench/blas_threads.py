"""Whether training gives the same bits with one OpenBLAS thread and with two.

A worker left idle at the end of a sweep could lend its core to a running group (more
BLAS threads at its next epoch boundary) only if that changed no result: every job's
numbers must not depend on when its worker happened to be given a second thread. This
fits the material's MNIST nets, sine nets, full batches and float32 with 1 and 2 threads
(``threadpoolctl``) and compares every weight and bias bit for bit, then the products one
step makes, shape by shape. OpenBLAS may split a product over its rows or columns (the
same sums) or not; any DIFF line is a counterexample.

Run: ``OPENBLAS_NUM_THREADS=1 python bench/blas_threads.py`` (about a minute).
"""
import argparse

import numpy as np
from threadpoolctl import threadpool_limits

import nncore

MNIST = dict(activation="sigmoid", output="sigmoid", loss="mse", optimizer="gd", lr=3.0,
             batch_size=10, epochs=1)


def cases(rows):
    """(name, layers, X, Y, fit_replicas keywords) of every fit compared."""
    rng = np.random.default_rng(0)
    X, Y = rng.random((rows, 784)), nncore.class_targets(rng.integers(0, 10, rows), 10)
    xs = np.linspace(-3, 3, 200)[:, None]
    out = []
    for layers in ([784, 30, 10], [784, 128, 128, 10]):
        for seeds in ([0], [0, 1], [0, 1, 2]):
            out.append((f"{layers} {len(seeds)} seed(s), own orders", layers, X, Y,
                        dict(seeds=seeds, **MNIST)))
            out.append((f"{layers} {len(seeds)} seed(s), shared order", layers, X, Y,
                        dict(seeds=seeds, shuffle_seed=0, **MNIST)))
        out.append((f"{layers} float32", layers, X, Y,
                    dict(seeds=[0, 1], dtype=np.float32, **MNIST)))
        out.append((f"{layers} full batch", layers, X[:1000], Y[:1000],
                    dict(seeds=[0, 1], **{**MNIST, "batch_size": None, "epochs": 3})))
    for layers in ([1, 20, 1], [1, 64, 64, 1]):
        out.append((f"sine {layers}, 10 seeds", layers, xs, np.sin(xs),
                    dict(seeds=list(range(10)), epochs=200)))
    return out


def weights(threads, layers, X, Y, kwargs):
    with threadpool_limits(threads, user_api="blas"):
        nets = nncore.fit_replicas(layers, X, Y, **kwargs)
    return [np.asarray(a) for net in nets for a in (*net.weights, *net.biases)]


#: (rows, inner, columns) of products one mini-batch step of the MNIST nets makes.
PRODUCTS = [(10, 784, 30), (10, 784, 128), (784, 10, 128), (10, 128, 128),
            (128, 10, 128), (10, 128, 10), (2048, 785, 256)]


def main(rows=3000):
    differ = 0
    for name, layers, X, Y, kwargs in cases(rows):
        one, two = weights(1, layers, X, Y, kwargs), weights(2, layers, X, Y, kwargs)
        same = all(a.tobytes() == b.tobytes() for a, b in zip(one, two))
        gap = max(float(np.max(np.abs(a - b))) for a, b in zip(one, two))
        differ += not same
        print(f"{'SAME' if same else 'DIFF'}  {name}: largest difference {gap:.3g}")
    rng = np.random.default_rng(1)
    for m, k, n in PRODUCTS:
        A, B = rng.standard_normal((m, k)), rng.standard_normal((k, n))
        with threadpool_limits(1, user_api="blas"):
            one = A @ B
        with threadpool_limits(2, user_api="blas"):
            two = A @ B
        same = one.tobytes() == two.tobytes()
        differ += not same
        print(f"{'SAME' if same else 'DIFF'}  ({m}x{k}) @ ({k}x{n}): largest difference "
              f"{float(np.max(np.abs(one - two))):.3g}")
    print(f"{differ} case(s) differ")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=3000,
                        help="MNIST-shaped rows of the mini-batch fits (default 3,000)")
    main(parser.parse_args().rows)
