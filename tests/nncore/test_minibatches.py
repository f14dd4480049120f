"""The mini-batches an epoch hands out (``minibatch.Batches`` on ``minibatch.Rows``).

Reference: numpy's own fancy indexing of the inputs with a ones column appended, in the
order each generator's ``permutation`` gives (a copy of the generators, drawn in step).
"""
import copy

import numpy as np
import pytest

from nncore import minibatch
from nncore.minibatch import Batches, Rows


def _data(n=47, n_in=9, n_out=3, seed=0):  # 47 rows: the last batch of 10 has 7
    rng = np.random.default_rng(seed)
    return rng.random((n, n_in)), rng.random((n, n_out))


@pytest.mark.parametrize("shared, n_replicas", [(True, 3), (False, 1), (False, 3)])
@pytest.mark.parametrize("chunk", [2**17, 9 * 10 * 2])  # one chunk, or chunks of 2 batches
def test_every_epochs_batches_are_the_rows_in_each_generators_order(shared, n_replicas,
                                                                    chunk, monkeypatch):
    monkeypatch.setattr(minibatch, "CHUNK_ELEMENTS", chunk)
    X, Y = _data()
    with_ones = np.hstack([X, np.ones((len(X), 1))])
    rngs = [np.random.default_rng(s) for s in range(1 if shared else n_replicas)]
    mirror = copy.deepcopy(rngs)
    rows = Rows(X)
    batches = Batches(rows, Y, 10, rngs, shared, n_replicas)
    for epoch in range(3):  # the first from X, the later ones from the rows built at the second
        orders = np.stack([rng.permutation(len(X)) for rng in mirror])
        seen = 0
        for X_T, R, Y_T, address in batches.epoch():
            m = R.shape[-2]
            idx = orders[:, seen : seen + m]
            want_rows, want_Y = with_ones[idx], Y[idx]
            if shared:
                want_rows, want_Y = want_rows[0], want_Y[0]
            np.testing.assert_array_equal(R, want_rows)
            np.testing.assert_array_equal(X_T, np.swapaxes(want_rows, -1, -2))
            np.testing.assert_array_equal(Y_T, np.swapaxes(want_Y, -1, -2))
            assert np.shares_memory(X_T, R)  # a view: no transposed copy
            assert address == R.__array_interface__["data"][0]
            assert R.strides[-2:] == (R.shape[-1] * R.itemsize, R.itemsize)  # rows contiguous
            seen += m
        assert seen == len(X)
        assert (rows.full is None) == (epoch == 0)  # built when the second epoch starts
    np.testing.assert_array_equal(rows.full, with_ones)
