"""Analytic gradients against central finite differences, for every activation x output/loss pair."""
import itertools

import numpy as np
import pytest

import reference_mlp as ref
from nncore import MLP

HIDDEN = ["tanh", "sigmoid", "relu", "identity"]
OUTPUT_LOSS = [
    ("identity", "mse"), ("sigmoid", "mse"), ("tanh", "mse"), ("softmax", "mse"),
    ("softmax", "cross_entropy"), ("sigmoid", "binary_cross_entropy"),
]
DEPTHS = [0, 1, 2, 3, 4]


def _data(output, loss, n_in, n_out, rng):
    X = rng.normal(size=(7, n_in))
    if loss == "cross_entropy":
        return X, rng.integers(0, n_out, size=7)
    if loss == "binary_cross_entropy":
        return X, rng.integers(0, 2, size=(7, n_out)).astype(float)
    return X, rng.normal(size=(7, n_out))


def _numerical_gradient(net, X, y, params, h=1e-4):
    """Five-point central differences: truncation error O(h**4), so a larger h keeps
    rounding error small too (deep sigmoid nets have gradients of order 1e-5)."""
    grads = []
    for P in params:
        G = np.zeros_like(P)
        for idx in np.ndindex(P.shape):
            old = P[idx]
            f = {}
            for step in (-2, -1, 1, 2):
                P[idx] = old + step * h
                f[step] = net.loss(X, y)
            P[idx] = old
            G[idx] = (f[-2] - 8 * f[-1] + 8 * f[1] - f[2]) / (12 * h)
        grads.append(G)
    return grads


def _relative_error(a, b):
    return np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-12)


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("output,loss", OUTPUT_LOSS)
@pytest.mark.parametrize("activation", HIDDEN)
@pytest.mark.parametrize("l2", [0.0, 0.3])
def test_backprop_matches_finite_differences(activation, output, loss, depth, l2):
    rng = np.random.default_rng(depth * 100 + HIDDEN.index(activation))
    n_out = 3 if output == "softmax" else 2
    layers = [3] + [4] * depth + [n_out]
    net = MLP(layers, activation=activation, output=output, loss=loss, l2=l2, seed=depth)
    X, y = _data(output, loss, 3, n_out, rng)
    value, dW, db = net.gradients(X, y)
    # The loss itself against the reference's plain forward pass and loss formulas: the
    # finite differences below are taken of nncore's loss, so it must be right first.
    P = ref.forward(net.weights, net.biases, X, activation, output)[-1]
    Y = np.eye(n_out)[y] if loss == "cross_entropy" else y
    assert value == pytest.approx(ref.loss(P, Y, loss, net.weights, l2), rel=1e-12)
    num_W = _numerical_gradient(net, X, y, net.weights)
    num_b = _numerical_gradient(net, X, y, net.biases)
    for analytic, numeric in itertools.chain(zip(dW, num_W), zip(db, num_b)):
        assert analytic.shape == numeric.shape
        assert _relative_error(analytic, numeric) < 1e-6


def test_mse_is_half_mean_of_summed_squares_by_hand():
    # A [1, 1] identity network: prediction = w * x + b, worked by hand.
    net = MLP.from_arrays([np.array([[2.0]])], [np.array([0.5])], activation="tanh",
                          output="identity", loss="mse", l2=0.4)
    X, y = np.array([[1.0], [3.0]]), np.array([2.0, 5.0])
    # predictions 2.5 and 6.5; errors 0.5 and 1.5; data loss = (0.25 + 2.25) / (2 * 2)
    # penalty = 0.4 / (2 * 2) * 2**2 = 0.4
    assert net.loss(X, y) == pytest.approx(0.625 + 0.4, rel=1e-15)
    value, dW, db = net.gradients(X, y)
    # dL/dw = mean(err * x) + l2 / n * w = (0.5 + 4.5) / 2 + 0.4
    assert dW[0][0, 0] == pytest.approx(2.5 + 0.4)
    assert db[0][0] == pytest.approx(1.0)
