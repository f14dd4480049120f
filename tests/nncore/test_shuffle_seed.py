"""The mini-batch order's own seed (``shuffle_seed``), and replicas that share one order.

References: a net trained alone (``MLP.fit``) and the plain sample-major reference loop
of tests/reference (the material's sigmoid net with the quadratic cost,
plain mini-batch gradient descent, the order drawn from
``default_rng(SeedSequence(shuffle_seed).spawn(1)[0])``, one permutation per epoch).
"""
import numpy as np
import pytest
import reference as ref

import nncore
from nncore import MLP

LAYERS = [40, 12, 6, 3]  # wide input, so the shared first-layer product matters
SETTINGS = dict(activation="sigmoid", output="sigmoid", loss="mse")
FIT = dict(epochs=4, optimizer="gd", lr=3.0, batch_size=10)


def _data(n=97, seed=0):  # 97 rows: the last batch of each epoch has 7
    rng = np.random.default_rng(seed)
    X = rng.random((n, LAYERS[0]))
    return X, np.eye(LAYERS[-1])[rng.integers(0, LAYERS[-1], n)]


def _plain_loop(weights, biases, X, Y, shuffle_seed, epochs, lr, batch_size):
    """The reference loop (tests/reference): plain gd from the given parameters."""
    trained = ref.train_from(weights, biases, X, Y, shuffle_seed, **SETTINGS, epochs=epochs,
                             optimizer="gd", lr=lr, batch_size=batch_size)
    return trained.weights, trained.biases


def _assert_same_net(net, weights, biases, rtol):
    for ours, theirs in zip(net.weights + net.biases, weights + biases):
        np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=1e-12)


def test_shuffle_seed_equal_to_seed_is_the_default_order_bit_for_bit():
    X, Y = _data()
    default = nncore.fit_replicas(LAYERS, X, Y, seeds=[3, 4], **SETTINGS, **FIT)
    same = nncore.fit_replicas(LAYERS, X, Y, seeds=[3, 4], shuffle_seed=[3, 4], **SETTINGS,
                               **FIT)
    alone = MLP(LAYERS, **SETTINGS, seed=4)
    alone.fit(X, Y, shuffle_seed=4, **FIT)
    for a, b in zip(default, same):
        assert all(np.array_equal(u, v) for u, v in zip(a.weights + a.biases,
                                                        b.weights + b.biases))
    assert all(np.array_equal(u, v) for u, v in zip(alone.weights, default[1].weights))


def test_one_net_with_its_own_shuffle_seed_matches_the_plain_loop():
    X, Y = _data()
    net = MLP(LAYERS, **SETTINGS, seed=1)
    start = ([w.copy() for w in net.weights], [b.copy() for b in net.biases])
    net.fit(X, Y, shuffle_seed=7, **FIT)
    _assert_same_net(net, *_plain_loop(*start, X, Y, 7, FIT["epochs"], FIT["lr"], 10), 1e-10)


def test_replicas_sharing_an_order_each_equal_the_net_trained_alone():
    X, Y = _data()
    seeds = [0, 1, 2, 5, 8]
    stacked = nncore.fit_replicas(LAYERS, X, Y, seeds=seeds, shuffle_seed=11, **SETTINGS,
                                  **FIT)
    for seed, net in zip(seeds, stacked):
        alone = MLP(LAYERS, **SETTINGS, seed=seed)
        start = ([w.copy() for w in alone.weights], [b.copy() for b in alone.biases])
        history = alone.fit(X, Y, shuffle_seed=11, **FIT)
        # One large first-layer product instead of five small ones: rounding, not bits.
        _assert_same_net(net, alone.weights, alone.biases, 1e-11)
        np.testing.assert_allclose(net.history_, history, rtol=1e-11)
        _assert_same_net(net, *_plain_loop(*start, X, Y, 11, FIT["epochs"], FIT["lr"], 10),
                         1e-10)


@pytest.mark.parametrize("layers", [[40, 3], [40, 9, 3]])
def test_shared_order_without_or_with_one_hidden_layer_and_float32(layers):
    X, Y = _data()
    for dtype, rtol in ((np.float64, 1e-11), (np.float32, 2e-4)):
        stacked = nncore.fit_replicas(layers, X, Y, seeds=[0, 1, 2], shuffle_seed=5,
                                      dtype=dtype, **SETTINGS, **FIT)
        for seed, net in zip([0, 1, 2], stacked):
            alone = MLP(layers, **SETTINGS, seed=seed, dtype=dtype)
            alone.fit(X, Y, shuffle_seed=5, **FIT)
            assert net.weights[0].dtype == dtype
            _assert_same_net(net, alone.weights, alone.biases, rtol)


def test_replicas_with_different_shuffle_seeds_each_equal_the_net_alone_bit_for_bit():
    X, Y = _data()
    stacked = nncore.fit_replicas(LAYERS, X, Y, seeds=[0, 0, 1], shuffle_seed=[2, 3, 2],
                                  **SETTINGS, **FIT)
    for seed, order, net in zip([0, 0, 1], [2, 3, 2], stacked):
        alone = MLP(LAYERS, **SETTINGS, seed=seed)
        alone.fit(X, Y, shuffle_seed=order, **FIT)
        assert all(np.array_equal(u, v) for u, v in zip(net.weights, alone.weights))


def test_a_shared_order_is_ignored_in_full_batch_training():
    X, Y = _data()
    fit = dict(FIT, batch_size=None)
    a = nncore.fit_replicas(LAYERS, X, Y, seeds=[0, 1], **SETTINGS, **fit)
    b = nncore.fit_replicas(LAYERS, X, Y, seeds=[0, 1], shuffle_seed=9, **SETTINGS, **fit)
    assert all(np.array_equal(u.weights[0], v.weights[0]) for u, v in zip(a, b))


@pytest.mark.parametrize("bad", [-1, 1.5, "3", True, [1]])
def test_bad_shuffle_seed_is_refused_in_one_line(bad):
    X, Y = _data()
    with pytest.raises(ValueError, match="shuffle_seed") as err:
        nncore.fit_replicas(LAYERS, X, Y, seeds=[0, 1], shuffle_seed=bad, **SETTINGS, **FIT)
    assert "\n" not in str(err.value)
