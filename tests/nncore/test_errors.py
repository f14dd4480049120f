"""Bad input gets a clear ValueError naming the problem and what is allowed."""
import numpy as np
import pytest

import nncore
from nncore import MLP

X = np.linspace(0, 1, 10).reshape(-1, 1)
y = np.sin(X)


@pytest.mark.parametrize("kwargs,match", [
    (dict(activation="swish"), r"unknown activation 'swish'.*identity, leaky_relu, logistic, relu, sigmoid, tanh"),
    (dict(output="linear"), r"unknown output 'linear'.*softmax"),
    (dict(loss="hinge"), r"unknown loss 'hinge'.*binary_cross_entropy, cross_entropy, mse"),
    (dict(loss="cross_entropy", output="identity"), r"cross_entropy.*needs output 'softmax'"),
    (dict(l2=-1.0), r"l2 must be a finite number >= 0"),
    (dict(init="xavier"), r"unknown init 'xavier'; allowed: 'glorot', 'normal', or arrays"),
    (dict(init=None), r"unknown init None; allowed: 'glorot', 'normal'"),
    (dict(init={"weights": []}), r"exactly the keys 'weights' and 'biases'; got keys \['weights'\]"),
    (dict(activation="leaky_relu", leaky_slope=-0.1), r"0 <= leaky_slope < 1; got -0.1"),
    (dict(leaky_slope=1.0), r"0 <= leaky_slope < 1; got 1.0"),
    (dict(leaky_slope=float("nan")), r"leaky_slope must be a finite number"),
    (dict(leaky_slope="0.1"), r"leaky_slope must be a finite number"),
    (dict(dtype=np.int64), r"dtype must be a floating type like float64 or float32; got int64"),
    (dict(dtype="banana"), r"dtype must be a floating type .*; got 'banana'"),
    (dict(dtype=complex), r"dtype must be a floating type .*; got complex128"),
])
def test_bad_constructor_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MLP([1, 3, 1], **kwargs)


@pytest.mark.parametrize("layers", [[1], [], [1, 0, 1], [1, -3, 1], [1, 2.5, 1]])
def test_bad_layers(layers):
    with pytest.raises(ValueError, match="layer"):
        MLP(layers)


@pytest.mark.parametrize("kwargs,match", [
    (dict(optimizer="rmsprop"), r"unknown optimizer 'rmsprop'.*adagrad, adam, gd, momentum"),
    (dict(lr=0.0), r"lr must be a positive"),
    (dict(lr=-0.1), r"lr must be a positive"),
    (dict(epochs=0), r"epochs must be a positive integer"),
    (dict(epochs=2.5), r"epochs must be a positive integer"),
    (dict(batch_size=0), r"batch_size must be a positive integer"),
])
def test_bad_fit_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MLP([1, 3, 1]).fit(X, y, **kwargs)


def test_bad_data():
    net = MLP([2, 3, 1])
    with pytest.raises(ValueError, match=r"X has shape \(10, 1\) but the network takes 2 input"):
        net.fit(X, y)
    X2 = np.hstack([X, X])
    with pytest.raises(ValueError, match=r"y has shape \(10, 2\) but the network has 1 output"):
        net.fit(X2, np.hstack([y, y]))
    with pytest.raises(ValueError, match="y has 9 rows but X has 10"):
        net.fit(X2, y[:9])
    bad = X2.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="X contains NaN or infinity"):
        net.predict(bad)
    bad_y = y.copy()
    bad_y[0] = np.inf
    with pytest.raises(ValueError, match="y contains NaN or infinity"):
        net.fit(X2, bad_y)


def test_bad_class_labels():
    net = MLP([1, 3, 3], output="softmax", loss="cross_entropy")
    with pytest.raises(ValueError, match=r"labels must be integers in 0..2"):
        net.fit(X, np.arange(10) % 4)


def test_nothing_changes_when_fit_is_rejected():
    net = MLP([1, 3, 1], seed=0)
    before = [W.copy() for W in net.weights]
    with pytest.raises(ValueError):
        net.fit(X, y, lr=-1)
    for a, b in zip(before, net.weights):
        np.testing.assert_array_equal(a, b)


def test_fit_replicas_needs_seeds():
    with pytest.raises(ValueError, match="seeds"):
        nncore.fit_replicas([1, 3, 1], X, y, seeds=[])


@pytest.mark.parametrize("init,match", [
    ({"weights": [np.zeros((1, 3))], "biases": [np.zeros(3), np.zeros(1)]},
     r"init\['weights'\] must be a list of 2 array\(s\), one per layer of \[1, 3, 1\]; got 1"),
    ({"weights": [np.zeros((1, 3)), np.zeros((3, 1))], "biases": np.zeros(3)},
     r"init\['biases'\] must be a list of 2 array\(s\).*got ndarray"),
    ({"weights": [np.zeros((1, 3)), np.zeros((1, 3))], "biases": [np.zeros(3), np.zeros(1)]},
     r"init\['weights'\]\[1\] \(layer 1: 3 -> 1\) has shape \(1, 3\); expected \(3, 1\)"),
    ({"weights": [np.zeros((1, 3)), np.zeros((3, 1))], "biases": [np.zeros((3, 1)), [0.0]]},
     r"init\['biases'\]\[0\] \(layer 0: 1 -> 3\) has shape \(3, 1\); expected \(3,\)"),
    ({"weights": [np.zeros((1, 3)), np.zeros((3, 1))], "biases": [np.zeros(3), ["a"]]},
     r"init\['biases'\]\[1\] \(layer 1\) must be numeric"),
])
def test_bad_init_arrays_name_the_layer_and_both_shapes(init, match):
    with pytest.raises(ValueError, match=match):
        MLP([1, 3, 1], init=init)
    with pytest.raises(ValueError, match=match):
        nncore.fit_replicas([1, 3, 1], X, y, seeds=[0, 1], init=init, epochs=1)


def test_bad_from_arrays():
    # Weights that do not chain: the layers are read from the weights, so the second
    # layer's weights (expected 3 -> 2 from the biases' view) are named.
    with pytest.raises(ValueError, match=r"init\['weights'\]\[1\] \(layer 1: 3 -> 2\) has shape \(4, 2\)"):
        MLP.from_arrays([np.zeros((1, 3)), np.zeros((4, 2))], [np.zeros(3), np.zeros(2)])
    with pytest.raises(ValueError, match="non-empty list of 2-D arrays"):
        MLP.from_arrays([], [])


def test_from_arrays_keeps_a_diverged_runs_weights():
    # Stored results of diverged runs are rebuilt too: non-finite values are no error.
    net = MLP.from_arrays([[[np.inf]]], [[np.nan]])
    assert net.weights[0][0, 0] == np.inf and np.isnan(net.biases[0][0])
    assert np.isnan(net.predict([[1.0]])[0, 0])
