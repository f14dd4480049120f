"""How far two nncore versions' float64 results drift apart on the material's MNIST nets.

A change in the order of floating-point work (a product read through a transposed view,
summed in other pieces) changes the last bits of a step, and mini-batch gd at lr 3.0
amplifies them epoch after epoch. This script trains ``[784, 30, 10]`` and
``[784, 128, 128, 10]`` (the material's settings, ``mnist_speed.FIT``) for 5 epochs on
MNIST-shaped data with whichever nncore is importable, and saves every per-epoch loss:
one net alone (seeds 0 and 1), 3 seeds stacked with their own orders and with a shared
one. Run it once per version (``PYTHONPATH`` pointing at each), then ``--compare`` the two
files: the largest relative loss difference per epoch. ``--ulp`` gives the yardstick:
the same drift within one version when one initial weight (on a central pixel) moves by
one unit in the last place.

Run: ``PYTHONPATH=A python bench/mnist_bits.py --out a.npz``, the same with ``B``, then
``python bench/mnist_bits.py --compare a.npz b.npz``.
"""
import argparse

import numpy as np
from threadpoolctl import threadpool_limits

import nncore
from mnist_speed import FIT, NETS, mnist_like

EPOCHS, ROWS = 5, 6000


def _data():
    pixels, labels = mnist_like(ROWS)
    return pixels / 255.0, np.eye(10)[labels]


def losses(X, Y):
    """``{run: per-epoch losses}`` of every run this version trains."""
    out = {}
    for layers in NETS:
        for seed in (0, 1):
            net = nncore.MLP(layers, "sigmoid", "sigmoid", "mse", seed=seed)
            out[f"{layers} alone, seed {seed}"] = np.asarray(net.fit(X, Y, epochs=EPOCHS, **_opt()))
        for shared in (None, 0):
            nets = nncore.fit_replicas(layers, X, Y, seeds=range(3), epochs=EPOCHS,
                                       shuffle_seed=shared, **FIT)
            name = "own orders" if shared is None else "shared order"
            out[f"{layers} 3 seeds, {name}"] = np.array([n.history_ for n in nets])
    return out


def _opt():
    return {k: FIT[k] for k in ("optimizer", "lr", "batch_size")}


def ulp_drift(X, Y):
    """``{net: per-epoch relative loss difference}`` after a 1-ulp change of one weight."""
    out = {}
    for layers in NETS:
        runs = []
        for bump in (False, True):
            net = nncore.MLP(layers, "sigmoid", "sigmoid", "mse", seed=0)
            if bump:  # pixel 406 (row 14, column 14) is never blank
                net.weights[0][406, 0] = np.nextafter(net.weights[0][406, 0], np.inf)
            runs.append(np.asarray(net.fit(X, Y, epochs=EPOCHS, **_opt())))
        out[str(layers)] = np.abs(runs[0] - runs[1]) / runs[0]
    return out


def compare(a, b):
    """Lines: the largest relative loss difference per epoch of each run in both files."""
    lines = []
    for key in a.files:
        if key in b.files:
            rel = np.abs(a[key] - b[key]) / np.abs(a[key])
            per_epoch = rel.max(axis=0) if rel.ndim > 1 else rel
            lines.append(f"{key}: " + " ".join(f"{v:.1e}" for v in per_epoch))
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="save this version's losses here (.npz)")
    parser.add_argument("--compare", nargs=2, metavar="NPZ", help="two saved files")
    parser.add_argument("--ulp", action="store_true", help="the 1-ulp drift of this version")
    args = parser.parse_args()
    with threadpool_limits(1):
        if args.out:
            np.savez(args.out, **losses(*_data()))
        if args.ulp:
            for net, drift in ulp_drift(*_data()).items():
                print(f"{net} 1 ulp: " + " ".join(f"{v:.1e}" for v in drift))
    if args.compare:
        print(compare(*(np.load(path) for path in args.compare)))
