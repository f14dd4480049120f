"""Loading an MNIST-sized CSV (60,000 rows x 785 columns, label first, no header).

What a sweep's worker pays for a ``csv`` task: the first ``make_task`` reads, checks, splits
and scales the file; every later job of the same worker gets the cached data set. The file
is generated (digits-like sparse 0..255 pixels) in a temporary directory.
"""
import os
import tempfile
import time

import numpy as np

from sweeps.tasks import make_task


def _write(path, n_rows=60_000, n_pixels=784):
    rng = np.random.default_rng(0)
    data = np.zeros((n_rows, n_pixels + 1), dtype=np.int64)
    data[:, 0] = rng.integers(0, 10, n_rows)
    lit = rng.random((n_rows, n_pixels)) < 0.19  # about MNIST's share of non-zero pixels
    data[:, 1:][lit] = rng.integers(1, 256, lit.sum())
    np.savetxt(path, data, fmt="%d", delimiter=",")


def main(n_rows=60_000):
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "mnist_train.csv")
        _write(path, n_rows)
        size = os.path.getsize(path) / 1e6
        params = dict(path=path, header=False, target=0, scale=255)
        start = time.perf_counter()
        ds = make_task("csv", **params)
        first = time.perf_counter() - start
        start = time.perf_counter()
        make_task("csv", **params)
        again = time.perf_counter() - start
    return "\n".join([
        f"{n_rows:,} rows x 785 columns ({size:.0f} MB), no header, target = 0, scale = 255; "
        f"train/val/test {len(ds.X_train)}/{len(ds.X_val)}/{len(ds.X_test)}", "",
        "| load | seconds |", "|---|---|",
        f"| first make_task in a process (read, hash, check, split, scale) | {first:.2f} |",
        f"| every later job of that process (cached) | {again:.4f} |"])


if __name__ == "__main__":
    print(main())
