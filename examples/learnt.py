"""What each trained tiny network of a sweep computes: per data row its input, target and
output, and the trained weights and biases. For a truth table or a single unit these
numbers are the result (``make demo`` prints the material's NOT this way).

    python examples/learnt.py runs/not
"""
import sys

import numpy as np

import sweeps
from results._nets import rebuild, task_data

#: Networks with more parameters, or data sets with more rows, are summarized, not listed.
MAX_PARAMS, MAX_ROWS = 50, 16


def _numbers(values) -> str:
    flat = [f"{v:.3g}" for v in np.ravel(values)]
    return flat[0] if len(flat) == 1 else "[" + ", ".join(flat) + "]"


def describe(out) -> list:
    """The lines that say what each finished job of the sweep in ``out`` learnt."""
    df = sweeps.load(out, curves=False)
    lines = []
    for _, row in df[df["status"] != "failed"].iterrows():
        head = f"{row['layers']} {row['activation']}, seed {row['seed']} ({row['status']})"
        if row["n_params"] > MAX_PARAMS:
            lines.append(f"{head}: {row['n_params']} parameters, too many to list")
            continue
        net, ds = rebuild(row), task_data(row)
        params = "; ".join(f"W{i + 1} = {_numbers(w)}, b{i + 1} = {_numbers(b)}"
                           for i, (w, b) in enumerate(zip(net.weights, net.biases)))
        lines.append(f"{head}: {params}")
        X, y = ds.X_train[:MAX_ROWS], ds.y_train[:MAX_ROWS]
        for x, target, output in zip(X, y, net.predict(X)):
            lines.append(f"  x = {_numbers(x)} -> {_numbers(output)} (target "
                         f"{_numbers(target)})")
        if len(ds.X_train) > MAX_ROWS:
            lines.append(f"  ... and {len(ds.X_train) - MAX_ROWS} more training rows")
    return lines


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python examples/learnt.py OUTPUT_DIR (e.g. runs/not)")
    print("\n".join(describe(sys.argv[1])))
