"""The engine with its compiled loops against the numpy engine before them, side by side.

The numpy engine is nncore as of ``--base`` (default: the last commit before the compiled
loops), taken from git with ``git archive`` into a temporary directory and imported under
another name (``nncore_base``: nncore's imports are relative), so both train in this one
process, alternating architecture by architecture, and the machine's load hits both
alike. Both train the sine preset's 56 architectures (30 points, tanh, adam, lr 0.01,
full batch, one BLAS thread) with S seeds per call; the table gives the median cost per
net and epoch, the ratio, and whether both gave the same bits.

Run: ``python bench/compiled_loops.py`` in a git checkout (``--base REV`` to compare
with another commit).
"""
import argparse
import importlib
import io
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

import nncore

ROOT = Path(__file__).resolve().parent.parent
BASE = "e116d8e"  # the numpy engine: the last commit before nncore/_kernels.pyx
ARCHITECTURES = (
    [[1, i, j, 1] for i in range(5, 30, 5) for j in range(5, 30, 5)]
    + [[1, i, j, k, 1] for i in range(5, 20, 5) for j in range(5, 20, 5) for k in range(5, 20, 5)]
    + [[1, h, 1] for h in (3, 5, 10, 15)]
)


def import_base(rev, into):
    """Import nncore as of git revision ``rev`` as the package ``nncore_base``."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "nncore"],
                             check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    (Path(into) / "nncore").rename(Path(into) / "nncore_base")
    sys.path.insert(0, str(into))
    return importlib.import_module("nncore_base")


def sine_data():
    X = np.linspace(0, 1, 30).reshape(-1, 1)
    return X, np.sin(2 * np.pi * X) + np.random.default_rng(0).normal(0, 0.1, X.shape)


def main(base=BASE, seeds=(1, 5, 50), epochs=200, rounds=3, dtypes=("float64", "float32")):
    """Return the Markdown table."""
    X, y = sine_data()
    with tempfile.TemporaryDirectory() as tmp, threadpool_limits(1):
        engines = {"numpy": import_base(base, tmp), "compiled": nncore}
        lines = [f"56 sine architectures, {epochs} adam epochs, 1 BLAS thread; numpy engine "
                 f"= nncore at {base}; medians of {rounds} rounds, both in one process", "",
                 "| dtype | seeds per call | numpy engine, us per net-epoch | compiled loops "
                 "| speed-up | same bits |", "|---|---|---|---|---|---|"]
        for dtype in dtypes:
            for S in seeds:
                e = max(epochs * 5 // S, 20) if S < 5 else epochs  # similar time per case
                cost = {name: [] for name in engines}
                same = True
                for _ in range(rounds):
                    for layers in ARCHITECTURES:
                        weights = {}
                        for name, engine in engines.items():
                            start = time.perf_counter()
                            nets = engine.fit_replicas(layers, X, y, seeds=range(S), epochs=e,
                                                       optimizer="adam", lr=0.01, dtype=dtype)
                            cost[name].append((time.perf_counter() - start) / (S * e))
                            weights[name] = b"".join(W.tobytes() for n in nets
                                                     for W in n.weights + n.biases)
                        same &= weights["numpy"] == weights["compiled"]
                # per round: the sum over the architectures
                per_round = {name: [sum(c[r::rounds]) / len(ARCHITECTURES)
                                    for r in range(rounds)] for name, c in cost.items()}
                med = {name: statistics.median(v) * 1e6 for name, v in per_round.items()}
                lines.append(f"| {dtype} | {S} | {med['numpy']:.1f} | {med['compiled']:.1f} | "
                             f"{med['numpy'] / med['compiled']:.2f}x | "
                             f"{'yes' if same else '**no**'} |")
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default=BASE)
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(main(args.base, epochs=args.epochs, rounds=args.rounds))
