"""Training on inputs memory-mapped read-only, as a sweep's local worker opens its data
cache (``sweeps.tasks.cache``: ``np.load(..., mmap_mode="r")``).

Reference: numpy's fancy indexing of the float64 arrays read back into memory, in the
order each batch generator's ``permutation`` gives (a copy of the generators drawn in
step); and the same fit on the in-memory copies, bit for bit.
"""
import copy

import numpy as np
import pytest

import nncore
from nncore.minibatch import Batches, Rows


def _mapped(tmp_path, *arrays):
    opened = []
    for i, a in enumerate(arrays):
        path = tmp_path / f"a{i}.npy"
        np.save(path, a)
        opened.append(np.asarray(np.load(path, mmap_mode="r")))
    return opened


def _data(n=53, n_in=12, n_out=4, seed=3):  # 53 rows: a last batch of 3
    rng = np.random.default_rng(seed)
    # MNIST-like inputs: few distinct values (v / 255), as the csv task scales them
    return rng.integers(0, 256, (n, n_in)) / 255.0, rng.random((n, n_out))


@pytest.mark.parametrize("shared, n_replicas", [(True, 2), (False, 1), (False, 2)])
def test_batches_of_mapped_inputs_are_numpys_indexing_of_the_arrays(tmp_path, shared,
                                                                    n_replicas):
    X, Y = _data()
    X_map, Y_map = _mapped(tmp_path, X, Y)
    assert not X_map.flags.writeable and isinstance(X_map.base, np.memmap)
    with_ones = np.hstack([np.array(X_map), np.ones((len(X), 1))])
    rngs = [np.random.default_rng(s) for s in range(1 if shared else n_replicas)]
    mirror = copy.deepcopy(rngs)
    batches = Batches(Rows(X_map), Y_map, 10, rngs, shared, n_replicas)
    for _ in range(3):  # the first epoch gathers from the map, later ones from Rows' copy
        orders = np.stack([rng.permutation(len(X)) for rng in mirror])
        seen = 0
        for X_T, R, Y_T, _ in batches.epoch():
            idx = orders[:, seen : seen + R.shape[-2]]
            want_rows, want_Y = with_ones[idx], Y[idx]
            if shared:
                want_rows, want_Y = want_rows[0], want_Y[0]
            np.testing.assert_array_equal(R, want_rows)
            np.testing.assert_array_equal(X_T, np.swapaxes(want_rows, -1, -2))
            np.testing.assert_array_equal(Y_T, np.swapaxes(want_Y, -1, -2))
            seen += R.shape[-2]
        assert seen == len(X)
    assert not X_map.flags.writeable  # training never writes to the data


@pytest.mark.parametrize("shuffle_seed", [None, 0])
def test_fits_on_mapped_inputs_equal_fits_on_the_arrays_in_memory(tmp_path, shuffle_seed):
    X, Y = _data(n=61)
    X_val, Y_val = _data(n=17, seed=4)
    mapped = _mapped(tmp_path, X, Y, X_val, Y_val)
    kwargs = dict(seeds=[0, 1], activation="sigmoid", output="sigmoid", loss="mse",
                  epochs=4, optimizer="gd", lr=3.0, batch_size=10, shuffle_seed=shuffle_seed)
    layers = [12, 7, 5, 4]
    on_map = nncore.fit_replicas(layers, mapped[0], mapped[1],
                                 validation_data=(mapped[2], mapped[3]), **kwargs)
    in_memory = nncore.fit_replicas(layers, X.copy(), Y.copy(),
                                    validation_data=(X_val.copy(), Y_val.copy()), **kwargs)
    for a, b in zip(on_map, in_memory):
        for got, want in zip(a.weights + a.biases, b.weights + b.biases):
            np.testing.assert_array_equal(got, want)
        assert a.history_.status == "ok" and len(a.history_) == 4
        np.testing.assert_array_equal(list(a.history_), list(b.history_))
        np.testing.assert_array_equal(a.history_.val_losses, b.history_.val_losses)
