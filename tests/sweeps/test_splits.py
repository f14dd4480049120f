"""The tasks' three-way split is scikit-learn's ``train_test_split``, row for row.

``sweeps.tasks.splits`` writes scikit-learn 1.9's ``ShuffleSplit`` and
``StratifiedShuffleSplit`` out in numpy, so loading a CSV needs no scikit-learn. Every
split here is compared with scikit-learn's own, called as the tasks called it before:
the same rows in the same order, and the same refusals.
"""
import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import train_test_split

from sweeps.tasks.splits import split_three_ways


def sklearn_three_ways(X, y, test_size, val_size, seed, stratify):
    """What ``split_three_ways`` did before: ``train_test_split`` twice."""
    def split(X, y, size):
        if size == 0:
            return X, X[:0], y, y[:0]
        return train_test_split(X, y, test_size=size, random_state=seed,
                                stratify=y if stratify else None)

    X_rest, X_te, y_rest, y_te = split(X, y, test_size)
    X_tr, X_va, y_tr, y_va = split(X_rest, y_rest, val_size / (1 - test_size))
    return (X_tr, y_tr), (X_va, y_va), (X_te, y_te)


def _cases():
    rng = np.random.default_rng(7)
    sizes = [(0.2, 0.2), (0.25, 0.0), (0.0, 0.3), (0.1, 0.45), (1 / 3, 1 / 3), (0.05, 0.9)]
    for case in range(60):
        n = int(rng.integers(12, 400))
        k = int(rng.integers(2, 12))
        # skewed class sizes, so _approximate_mode breaks ties and rounds unevenly
        weights = rng.dirichlet(np.full(k, 0.7))
        y = rng.choice(k, size=n, p=weights)
        test_size, val_size = sizes[case % len(sizes)]
        yield n, y, test_size, val_size, int(rng.integers(0, 2**31 - 1)), case % 3 != 0


@pytest.mark.parametrize("n, y, test_size, val_size, seed, stratify", list(_cases()))
def test_same_rows_as_scikit_learn(n, y, test_size, val_size, seed, stratify):
    X = np.arange(n * 2).reshape(n, 2)
    try:
        want = sklearn_three_ways(X, y, test_size, val_size, seed, stratify)
    except ValueError as exc:
        with pytest.raises(ValueError) as got:
            split_three_ways(X, y, test_size, val_size, seed, stratify)
        assert str(got.value) == str(exc)
        return
    got = split_three_ways(X, y, test_size, val_size, seed, stratify)
    for (X_got, y_got), (X_want, y_want) in zip(got, want):
        np.testing.assert_array_equal(X_got, X_want)
        np.testing.assert_array_equal(y_got, y_want)


def test_a_data_frame_keeps_its_row_labels():
    y = np.repeat([0, 1, 2], 20)
    df = pd.DataFrame({"a": np.arange(60), "b": np.arange(60) * 2.5})
    got = split_three_ways(df, y, 0.2, 0.2, 3, True)
    want = sklearn_three_ways(df, y, 0.2, 0.2, 3, True)
    for (X_got, _), (X_want, _) in zip(got, want):
        pd.testing.assert_frame_equal(X_got, X_want)


@pytest.mark.parametrize("y, test_size", [
    (np.array([0] * 10 + [1]), 0.3),  # a class of one row
    (np.repeat(np.arange(8), 3), 0.1),  # fewer test rows than classes
    (np.repeat([0, 1, 2], 3), 0.8),  # fewer training rows than classes
    (np.arange(3) % 2, 0.9),  # nothing left to train on
])
def test_the_same_refusals(y, test_size):
    X = np.zeros((len(y), 1))
    with pytest.raises(ValueError) as want:
        sklearn_three_ways(X, y, test_size, 0.0, 0, True)
    with pytest.raises(ValueError) as got:
        split_three_ways(X, y, test_size, 0.0, 0, True)
    assert str(got.value) == str(want.value)
