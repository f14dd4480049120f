"""The mini-batches an epoch hands out (``minibatch.Batches`` on ``minibatch.Rows``).

Reference: numpy's own fancy indexing of the inputs with a ones column appended, in the
order each generator's ``permutation`` gives (a copy of the generators, drawn in step).
The inputs are in memory, or memory-mapped read-only as a sweep's local worker opens its
data cache (``sweeps.tasks.cache``: ``np.load(..., mmap_mode="r")``).
"""
import copy

import numpy as np
import pytest

import nncore
from nncore import minibatch
from nncore.minibatch import Batches, Rows


def _data(n=47, n_in=9, n_out=3, seed=0):  # 47 rows: the last batch of 10 has 7
    rng = np.random.default_rng(seed)
    return rng.random((n, n_in)), rng.random((n, n_out))


def mapped(tmp_path, *arrays):
    """``arrays`` saved and opened back memory-mapped read-only, as a worker opens them."""
    opened = []
    for i, a in enumerate(arrays):
        path = tmp_path / f"a{i}.npy"
        np.save(path, a)
        opened.append(np.asarray(np.load(path, mmap_mode="r")))
    return opened


@pytest.mark.parametrize("shared, n_replicas", [(True, 3), (False, 1), (False, 3)])
@pytest.mark.parametrize("chunk", [2**17, 9 * 10 * 2])  # one chunk, or chunks of 2 batches
@pytest.mark.parametrize("storage", ["memory", "mapped"])
def test_every_epochs_batches_are_the_rows_in_each_generators_order(shared, n_replicas,
                                                                    chunk, storage,
                                                                    monkeypatch, tmp_path):
    monkeypatch.setattr(minibatch, "CHUNK_ELEMENTS", chunk)
    X, Y = _data()
    with_ones = np.hstack([X, np.ones((len(X), 1))])
    if storage == "mapped":
        X, Y = mapped(tmp_path, X, Y)
        assert not X.flags.writeable and isinstance(X.base, np.memmap)
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


@pytest.mark.parametrize("shuffle_seed", [None, 0])
def test_fits_on_mapped_inputs_equal_fits_on_the_arrays_in_memory(tmp_path, shuffle_seed):
    X, Y = _data(n=61, n_in=12, n_out=4)
    X_val, Y_val = _data(n=17, n_in=12, n_out=4, seed=4)
    X_map, Y_map, X_val_map, Y_val_map = mapped(tmp_path, X, Y, X_val, Y_val)
    kwargs = dict(seeds=[0, 1], activation="sigmoid", output="sigmoid", loss="mse",
                  epochs=4, optimizer="gd", lr=3.0, batch_size=10, shuffle_seed=shuffle_seed)
    layers = [12, 7, 5, 4]
    on_map = nncore.fit_replicas(layers, X_map, Y_map,
                                 validation_data=(X_val_map, Y_val_map), **kwargs)
    in_memory = nncore.fit_replicas(layers, X.copy(), Y.copy(),
                                    validation_data=(X_val.copy(), Y_val.copy()), **kwargs)
    for a, b in zip(on_map, in_memory):
        for got, want in zip(a.weights + a.biases, b.weights + b.biases):
            np.testing.assert_array_equal(got, want)
        assert a.history_.status == "ok" and len(a.history_) == 4
        np.testing.assert_array_equal(list(a.history_), list(b.history_))
        np.testing.assert_array_equal(a.history_.val_losses, b.history_.val_losses)
