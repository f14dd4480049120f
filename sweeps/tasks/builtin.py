"""The built-in data sets: ``sine``, ``moons``, ``blobs`` and ``digits``.

Each builder takes the resolved task parameters (see ``sweeps.tasks.TASKS``) and returns a
``Dataset``; ``sweeps.tasks.make_task`` validates, fills defaults and caches.
"""

from __future__ import annotations

import numpy as np

from sweeps.tasks.dataset import make_dataset
from sweeps.tasks.splits import split_three_ways

__all__ = ["sine_truth", "heldout_seed", "sine", "moons", "blobs", "digits", "logic",
           "split_three_ways", "LOGIC_FUNCTIONS"]

#: Which child stream of ``SeedSequence(data_seed)`` draws each held-out set.
_STREAMS = {"test": 0, "val": 1}


def heldout_seed(data_seed: int, split: str = "test") -> int:
    """Return the seed of the held-out set ``split`` drawn alongside ``data_seed``.

    It is the first 32-bit word of child ``0`` (test) or ``1`` (validation) of
    ``SeedSequence(data_seed)``: independent streams. ``data_seed + 1`` would not do: the
    test set of seed 0 would be the training set of seed 1.
    """
    child = np.random.SeedSequence(data_seed).spawn(_STREAMS[split] + 1)[_STREAMS[split]]
    return int(child.generate_state(1, dtype=np.uint32)[0])


def sine_truth(X):
    """Noise-free target of the ``sine`` task: ``sin(2 pi X)``."""
    return np.sin(2 * np.pi * np.asarray(X, dtype=np.float64))


def sine(n_samples, noise, data_seed, n_test, n_val):
    """``y = sin(2 pi x) + N(0, noise)`` on ``linspace(0, 1, n_samples)``.

    Validation: ``n_val`` points drawn uniformly on [0, 1] with the same noise (what a
    user would hold out: noisy, and between the training points too). Test: the clean
    curve on ``linspace(0, 1, n_test)``.
    """
    rng = np.random.default_rng(data_seed)
    x = np.linspace(0.0, 1.0, n_samples)
    y = np.sin(2 * np.pi * x) + rng.normal(0.0, noise, n_samples)
    val_rng = np.random.default_rng(heldout_seed(data_seed, "val"))
    x_val = np.sort(val_rng.uniform(0.0, 1.0, n_val))
    y_val = np.sin(2 * np.pi * x_val) + val_rng.normal(0.0, noise, n_val)
    x_test = np.linspace(0.0, 1.0, n_test)
    params = dict(n_samples=n_samples, noise=noise, data_seed=data_seed, n_test=n_test,
                  n_val=n_val)
    return make_dataset("sine", "regression", (x[:, None], y[:, None]),
                        (x_val[:, None], y_val[:, None]),
                        (x_test[:, None], sine_truth(x_test)[:, None]), 1, params,
                        truth=sine_truth)


def moons(n_samples, noise, data_seed, n_test, n_val):
    """scikit-learn's two moons; validation and test sets are fresh samples."""
    # Separate calls: make_moons draws nothing but the points, so another seed gives a
    # fresh sample of the same distribution, and the training set is exactly the
    # material's make_moons(200, noise=0.2, random_state=data_seed).
    from sklearn.datasets import make_moons  # scikit-learn only for the tasks that need it

    train = make_moons(n_samples, noise=noise, random_state=data_seed)
    val = make_moons(n_val, noise=noise, random_state=heldout_seed(data_seed, "val"))
    test = make_moons(n_test, noise=noise, random_state=heldout_seed(data_seed))
    params = dict(n_samples=n_samples, noise=noise, data_seed=data_seed, n_test=n_test,
                  n_val=n_val)
    return make_dataset("moons", "classification", train, val, test, 2, params,
                        classes=(0, 1), feature_names=("x0", "x1"))


def blobs(n_samples, centers, cluster_std, data_seed, n_test, n_val):
    """scikit-learn's Gaussian blobs; validation and test sets reuse the training centres."""
    # make_blobs draws the centres from random_state too: a second plain call would put the
    # held-out points around other centres, i.e. draw them from another distribution.
    from sklearn.datasets import make_blobs

    X, y, means = make_blobs(n_samples, centers=centers, cluster_std=cluster_std,
                             random_state=data_seed, return_centers=True)
    val, test = (make_blobs(n, centers=means, cluster_std=cluster_std,
                            random_state=heldout_seed(data_seed, split))
                 for n, split in ((n_val, "val"), (n_test, "test")))
    params = dict(n_samples=n_samples, centers=centers, cluster_std=cluster_std,
                  data_seed=data_seed, n_test=n_test, n_val=n_val)
    return make_dataset("blobs", "classification", (X, y), val, test, centers, params,
                        classes=tuple(range(centers)), feature_names=("x0", "x1"))


def digits(test_size, val_size, data_seed):
    """scikit-learn's bundled 8x8 digits scaled to [0, 1], split stratified by class."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    X = bunch.data / 16.0  # intensities are 0..16
    train, val, test = split_three_ways(X, bunch.target, test_size, val_size, data_seed,
                                        stratify=True)
    return make_dataset("digits", "classification", train, val, test, 10,
                        dict(test_size=test_size, val_size=val_size, data_seed=data_seed),
                        classes=tuple(range(10)),
                        feature_names=tuple(f"pixel{i}" for i in range(64)))


#: Truth tables of the ``logic`` task: inputs -> 0/1 output, every row.
LOGIC_FUNCTIONS = {
    "not": ([[0], [1]], [1, 0]),
    "and": ([[0, 0], [0, 1], [1, 0], [1, 1]], [0, 0, 0, 1]),
    "or": ([[0, 0], [0, 1], [1, 0], [1, 1]], [0, 1, 1, 1]),
    "nand": ([[0, 0], [0, 1], [1, 0], [1, 1]], [1, 1, 1, 0]),
    "xor": ([[0, 0], [0, 1], [1, 0], [1, 1]], [0, 1, 1, 0]),
}


def logic(function):
    """A truth table, trained and scored on all its rows: there is nothing to hold out.

    The target is one 0/1 column and the networks have one output unit whatever their
    output activation (the material trains NOT with a tanh unit).
    """
    X, y = (np.asarray(a) for a in LOGIC_FUNCTIONS[function])
    return make_dataset("logic", "classification", (X, y), (X[:0], y[:0]), (X[:0], y[:0]), 2,
                        dict(function=function), classes=(0, 1), single_output=True,
                        default_output_loss=("sigmoid", "binary_cross_entropy"),
                        feature_names=tuple(f"x{i}" for i in range(X.shape[1])))
