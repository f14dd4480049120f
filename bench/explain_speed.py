"""``results.effects`` on a 5,000-job sweep frame: the goal is under 5 s (issue 21).

The frame is synthetic, in the columns of ``sweeps.schema``: 10 widths x 2 depths x 5
activations x 5 learning rates x 2 L2 values = 1,000 configs, 5 seeds each, with planted
effects and seed noise. Timed: the analysis alone (1,000 bootstrap resamples of the
seeds), and with its three figures drawn and saved. Run with
``python bench/explain_speed.py``.
"""
import itertools
import tempfile
import time

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

from results.effects import effects  # noqa: E402
from results.explain import figures  # noqa: E402
from sweeps.schema import example_frame, layers_text  # noqa: E402

GRID = {"width": [2, 4, 6, 8, 10, 12, 14, 16, 18, 20], "depth": [1, 2],
        "activation": ["tanh", "relu", "sigmoid", "leaky_relu", "identity"],
        "lr": [0.001, 0.003, 0.01, 0.03, 0.1], "l2": [0.0, 0.01]}
SEEDS = 5
BASE = {"task": "moons", "output": "softmax", "loss": "cross_entropy", "optimizer": "adam",
        "epochs": 100, "batch_size": None, "init": "normal", "leaky_slope": 0.01,
        "patience": None, "min_delta": 0.0, "record_weights": False, "dtype": "float64"}


def frame(seed=0):
    """The 5,000-job frame: one row per job, the schema's columns (``example_frame``: the
    task facts of a two-class task included)."""
    rng = np.random.default_rng(seed)
    rows = []
    for i, combo in enumerate(itertools.product(*GRID.values())):
        c = dict(zip(GRID, combo))
        hidden = [c["width"]] * c["depth"]
        truth = (0.7 + 0.01 * np.log(c["width"]) + 0.05 * (c["activation"] != "identity")
                 - 0.02 * abs(np.log10(c["lr"]) + 2) + 0.01 * (c["depth"] == 2))
        for s in range(SEEDS):
            row = {**BASE, "hidden": hidden, "layers": layers_text([2, *hidden, 2]),
                   "depth": c["depth"], "n_params": 0, "activation": c["activation"],
                   "lr": c["lr"], "l2": c["l2"], "seed": s, "config_id": f"c{i}",
                   "key": f"c{i}s{s}", "status": "ok", "error": None, "traceback": None}
            row["val_accuracy"] = truth + rng.normal(0, 0.02)
            row["test_accuracy"] = truth + rng.normal(0, 0.02)
            rows.append(row)
    return example_frame(rows)


def main():
    df = frame()
    start = time.perf_counter()
    result = effects(df)
    analysis = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        figures(result, folder, "png")
        drawn = time.perf_counter() - start
    lines = ["| jobs | configs | axes | effects() | + 3 figures | goal |",
             "|---:|---:|---:|---:|---:|---|",
             f"| {len(df)} | {df['config_id'].nunique()} | {len(result['axes'])} | "
             f"{analysis:.2f} s | {analysis + drawn:.2f} s | < 5 s |"]
    return "\n".join(lines) + "\n\n" + result["text"].splitlines()[1]


if __name__ == "__main__":
    print(main())
