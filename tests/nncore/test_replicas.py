"""Replica training equals training each seed alone; the same seed repeats exactly."""
import numpy as np
import pytest
from sklearn.datasets import make_moons

import nncore
from nncore import MLP

SEEDS = [0, 1, 2, 3, 4]


def _assert_same_net(a, b, rtol=1e-9):
    for x, y in zip(a.weights + a.biases, b.weights + b.biases):
        np.testing.assert_allclose(x, y, rtol=rtol, atol=1e-12)
    np.testing.assert_allclose(a.history_, b.history_, rtol=rtol)
    assert a.history_.status == b.history_.status


@pytest.mark.parametrize("optimizer", ["gd", "momentum", "adagrad", "adam"])
@pytest.mark.parametrize("batch_size", [None, 7])
def test_replicas_equal_single_fits_regression(optimizer, batch_size):
    X = np.linspace(0, 1, 30).reshape(-1, 1)
    y = np.sin(2 * np.pi * X)
    kwargs = dict(activation="tanh", l2=0.01, epochs=150, optimizer=optimizer, lr=0.02,
                  batch_size=batch_size)
    stacked = nncore.fit_replicas([1, 6, 4, 1], X, y, seeds=SEEDS, **kwargs)
    for seed, net in zip(SEEDS, stacked):
        alone = MLP([1, 6, 4, 1], activation="tanh", l2=0.01, seed=seed)
        alone.fit(X, y, epochs=150, optimizer=optimizer, lr=0.02, batch_size=batch_size)
        _assert_same_net(net, alone)
    # and the replicas really are different networks
    assert not np.allclose(stacked[0].weights[0], stacked[1].weights[0])


def test_replicas_equal_single_fits_classification():
    X, y = make_moons(100, noise=0.2, random_state=0)
    kwargs = dict(activation="relu", output="softmax", loss="cross_entropy")
    stacked = nncore.fit_replicas([2, 5, 5, 2], X, y, seeds=SEEDS, epochs=100, lr=0.01, **kwargs)
    for seed, net in zip(SEEDS, stacked):
        alone = MLP([2, 5, 5, 2], seed=seed, **kwargs)
        alone.fit(X, y, epochs=100, lr=0.01)
        _assert_same_net(net, alone)


def test_one_diverging_replica_does_not_touch_the_others():
    X = np.linspace(0, 1, 30).reshape(-1, 1)
    y = np.sin(2 * np.pi * X) * 5  # at lr=0.5 some seeds diverge, others do not
    seeds = list(range(8))
    stacked = nncore.fit_replicas([1, 10, 1], X, y, seeds=seeds, epochs=300, optimizer="gd", lr=0.5)
    statuses = [n.history_.status for n in stacked]
    for seed, net in zip(seeds, stacked):
        alone = MLP([1, 10, 1], seed=seed)
        alone.fit(X, y, epochs=300, optimizer="gd", lr=0.5)
        _assert_same_net(net, alone)
    assert "diverged" in statuses and "ok" in statuses, statuses


def test_same_seed_gives_identical_results_across_runs():
    X, y = make_moons(80, noise=0.3, random_state=1)
    runs = [nncore.fit_replicas([2, 8, 2], X, y, seeds=[3, 9], output="softmax",
                                loss="cross_entropy", epochs=50, batch_size=16)
            for _ in range(2)]
    for a, b in zip(*runs):
        _assert_same_net(a, b, rtol=0)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
def test_float32_replicas_track_float64(activation):
    # float32 is the speed option; its reference is the float64 path, itself checked
    # against finite differences and scikit-learn.
    X = np.linspace(0, 1, 30).reshape(-1, 1)
    y = np.sin(2 * np.pi * X)
    kwargs = dict(activation=activation, epochs=100, optimizer="gd", lr=0.1, batch_size=None)
    nets64 = nncore.fit_replicas([1, 8, 8, 1], X, y, seeds=SEEDS[:3], **kwargs)
    nets32 = nncore.fit_replicas([1, 8, 8, 1], X, y, seeds=SEEDS[:3], dtype=np.float32, **kwargs)
    for seed, a, b in zip(SEEDS, nets64, nets32):
        assert all(W.dtype == np.float32 for W in b.weights + b.biases)
        np.testing.assert_allclose(b.history_, a.history_, rtol=1e-4)
        np.testing.assert_allclose(b.predict(X), a.predict(X), atol=1e-4)
        alone = MLP([1, 8, 8, 1], activation=activation, seed=seed, dtype=np.float32)
        alone.fit(X, y, epochs=100, optimizer="gd", lr=0.1)
        _assert_same_net(b, alone, rtol=1e-6)
