"""The three-way split of a data set's rows: train, validation and test.

The rows each split gets are scikit-learn 1.9's ``train_test_split`` (``ShuffleSplit``, or
``StratifiedShuffleSplit`` by class), written out here with numpy alone: a worker or a
driver that loads a CSV then needs no scikit-learn (its import is a second or more of a
run's start), and a stored job's split stays what it was when scikit-learn's own changes.
``tests/sweeps/test_splits.py`` compares every split with scikit-learn's, index for index.
"""

from __future__ import annotations

from math import ceil

import numpy as np

__all__ = ["split_three_ways", "split_indices"]


def split_three_ways(X, y, test_size, val_size, data_seed, stratify):
    """Rows split into train, validation and test, stratified by ``y`` when asked.

    ``test_size`` and ``val_size`` are fractions of all rows (0: none held out). The test
    rows are drawn first, exactly as a plain train/test split with ``test_size`` would draw
    them; the validation rows are then drawn from the rest. ``X`` and ``y`` may be numpy
    arrays or pandas objects (rows taken with ``take``).

    Returns
    -------
    ((X_train, y_train), (X_val, y_val), (X_test, y_test))

    Raises
    ------
    ValueError
        A size that leaves a split empty, or a class too small to stratify (scikit-learn's
        messages).
    """
    rest, test = split_indices(y, len(y), test_size, data_seed, stratify)
    y_rest = _take(y, rest)
    train, val = split_indices(y_rest, len(rest), val_size / (1 - test_size), data_seed,
                               stratify)
    train, val = rest[train], rest[val]
    return tuple((_take(X, rows), _take(y, rows)) for rows in (train, val, test))


def split_indices(y, n_samples: int, size: float, data_seed: int, stratify: bool):
    """``(kept, held_out)`` row numbers: ``train_test_split(..., test_size=size)``'s.

    A ``size`` of 0 holds nothing out (all rows kept, in order).
    """
    if size == 0:
        return np.arange(n_samples), np.arange(0)
    n_train, n_test = _sizes(n_samples, size)
    rng = np.random.RandomState(data_seed)
    if not stratify:
        permutation = rng.permutation(n_samples)
        return permutation[n_test:n_test + n_train], permutation[:n_test]
    return _stratified(np.asarray(y), n_train, n_test, rng)


def _take(a, rows):
    return a.take(rows, axis=0)


def _sizes(n_samples: int, test_size: float) -> tuple:
    """``(n_train, n_test)``, as scikit-learn's ``_validate_shuffle_split`` counts them."""
    if not 0 < test_size < 1:
        raise ValueError(f"test_size={test_size} should be either positive and smaller than "
                         f"the number of samples {n_samples} or a float in the (0, 1) range")
    n_test = ceil(test_size * n_samples)
    n_train = n_samples - n_test
    if n_train == 0:
        raise ValueError(f"With n_samples={n_samples}, test_size={test_size} and "
                         "train_size=None, the resulting train set will be empty. Adjust any "
                         "of the aforementioned parameters.")
    return n_train, n_test


def _stratified(y, n_train: int, n_test: int, rng) -> tuple:
    """``StratifiedShuffleSplit``'s first split, draw for draw."""
    classes, y_indices, class_counts = np.unique(y, return_inverse=True, return_counts=True)
    if np.min(class_counts) < 2:
        raise ValueError("The least populated classes in y have only 1 member, which is too "
                         "few. The minimum number of groups for any class cannot be less "
                         f"than 2. Classes with too few members are: "
                         f"{classes[class_counts < 2].tolist()}")
    for name, n in (("train_size", n_train), ("test_size", n_test)):
        if n < len(classes):
            raise ValueError(f"The {name} = {n} should be greater or equal to the number "
                             f"of classes = {len(classes)}")
    class_indices = np.split(np.argsort(y_indices, kind="stable"),
                             np.cumsum(class_counts)[:-1])
    n_i = _approximate_mode(class_counts, n_train, rng)
    t_i = _approximate_mode(class_counts - n_i, n_test, rng)
    train, test = [], []
    for i in range(len(classes)):
        rows = class_indices[i].take(rng.permutation(class_counts[i]), mode="clip")
        train.append(rows[:n_i[i]])
        test.append(rows[n_i[i]:n_i[i] + t_i[i]])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


def _approximate_mode(class_counts, n_draws: int, rng) -> np.ndarray:
    """Draws per class nearest to proportional, ties broken by ``rng`` (scikit-learn's
    ``utils.extmath._approximate_mode``)."""
    continuous = class_counts / class_counts.sum() * n_draws
    floored = np.floor(continuous)
    need_to_add = int(n_draws - floored.sum())
    if need_to_add > 0:
        remainder = continuous - floored
        for value in np.sort(np.unique(remainder))[::-1]:
            (inds,) = np.where(remainder == value)
            add_now = min(len(inds), need_to_add)
            floored[rng.choice(inds, size=add_now, replace=False)] += 1
            need_to_add -= add_now
            if need_to_add == 0:
                break
    return floored.astype(int)
