"""The built-in data sets: ``sine``, ``moons``, ``blobs`` and ``digits``.

Each builder takes the resolved task parameters (see ``sweeps.tasks.TASKS``) and returns a
``Dataset``; ``sweeps.tasks.make_task`` validates, fills defaults and caches.
"""

from __future__ import annotations

import numpy as np

from sweeps.tasks.dataset import make_dataset

__all__ = ["sine_truth", "heldout_seed", "sine", "moons", "blobs", "digits"]


def heldout_seed(data_seed: int) -> int:
    """Return the seed of the held-out set drawn alongside ``data_seed``.

    It is the first 32-bit word of ``SeedSequence(data_seed).spawn(1)[0]``: an independent
    stream. ``data_seed + 1`` would not do: the test set of seed 0 would be the training set
    of seed 1.
    """
    child = np.random.SeedSequence(data_seed).spawn(1)[0]
    return int(child.generate_state(1, dtype=np.uint32)[0])


def sine_truth(X):
    """Noise-free target of the ``sine`` task: ``sin(2 pi X)``."""
    return np.sin(2 * np.pi * np.asarray(X, dtype=np.float64))


def sine(n_samples, noise, data_seed, n_test):
    """``y = sin(2 pi x) + N(0, noise)`` on ``linspace(0, 1, n_samples)``; test: the clean curve."""
    rng = np.random.default_rng(data_seed)
    x = np.linspace(0.0, 1.0, n_samples)
    y = np.sin(2 * np.pi * x) + rng.normal(0.0, noise, n_samples)
    x_test = np.linspace(0.0, 1.0, n_test)
    params = dict(n_samples=n_samples, noise=noise, data_seed=data_seed, n_test=n_test)
    return make_dataset("sine", "regression", x[:, None], y[:, None], x_test[:, None],
                        sine_truth(x_test)[:, None], 1, params, truth=sine_truth)


def moons(n_samples, noise, data_seed, n_test):
    """scikit-learn's two moons; the test set is a fresh sample (``heldout_seed``)."""
    # Two calls: make_moons draws nothing but the points, so another seed gives a fresh
    # sample of the same distribution, and the training set is exactly the material's
    # make_moons(200, noise=0.2, random_state=data_seed).
    from sklearn.datasets import make_moons  # scikit-learn only for the tasks that need it

    X, y = make_moons(n_samples, noise=noise, random_state=data_seed)
    X_t, y_t = make_moons(n_test, noise=noise, random_state=heldout_seed(data_seed))
    params = dict(n_samples=n_samples, noise=noise, data_seed=data_seed, n_test=n_test)
    return make_dataset("moons", "classification", X, y, X_t, y_t, 2, params,
                        classes=(0, 1), feature_names=("x0", "x1"))


def blobs(n_samples, centers, cluster_std, data_seed, n_test):
    """scikit-learn's Gaussian blobs; the test set reuses the training centres."""
    # make_blobs draws the centres from random_state too: a second plain call would put the
    # test points around other centres, i.e. draw them from another distribution.
    from sklearn.datasets import make_blobs

    X, y, means = make_blobs(n_samples, centers=centers, cluster_std=cluster_std,
                             random_state=data_seed, return_centers=True)
    X_t, y_t = make_blobs(n_test, centers=means, cluster_std=cluster_std,
                          random_state=heldout_seed(data_seed))
    params = dict(n_samples=n_samples, centers=centers, cluster_std=cluster_std,
                  data_seed=data_seed, n_test=n_test)
    return make_dataset("blobs", "classification", X, y, X_t, y_t, centers, params,
                        classes=tuple(range(centers)), feature_names=("x0", "x1"))


def digits(test_size, data_seed):
    """scikit-learn's bundled 8x8 digits scaled to [0, 1], split stratified by class."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    bunch = load_digits()
    X = bunch.data / 16.0  # intensities are 0..16
    X_tr, X_te, y_tr, y_te = train_test_split(X, bunch.target, test_size=test_size,
                                              random_state=data_seed, stratify=bunch.target)
    return make_dataset("digits", "classification", X_tr, y_tr, X_te, y_te, 10,
                        dict(test_size=test_size, data_seed=data_seed),
                        classes=tuple(range(10)),
                        feature_names=tuple(f"pixel{i}" for i in range(64)))
