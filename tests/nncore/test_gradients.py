"""Analytic gradients against central finite differences, for every activation x output/loss pair."""
import itertools

import numpy as np
import pytest

import reference as ref
from nncore import ACTIVATIONS, MLP

HIDDEN = ["tanh", "sigmoid", "relu", "identity", "leaky_relu"]  # leaky_relu: slope 0.01
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


def _numerical_gradient(loss, params, h=1e-4):
    """Five-point central differences of ``loss()`` in each entry of ``params`` (perturbed
    in place): truncation error O(h**4), so a larger h keeps rounding error small too
    (deep sigmoid nets have gradients of order 1e-5)."""
    grads = []
    for P in params:
        G = np.zeros_like(P)
        for idx in np.ndindex(P.shape):
            old = P[idx]
            f = {}
            for step in (-2, -1, 1, 2):
                P[idx] = old + step * h
                f[step] = loss()
            P[idx] = old
            G[idx] = (f[-2] - 8 * f[-1] + 8 * f[1] - f[2]) / (12 * h)
        grads.append(G)
    return grads


def _relative_error(a, b):
    return np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-12)


def _check_against_finite_differences(layers, X, y, activation, output, loss, l2, seed,
                                      leaky_slope=0.01):
    net = MLP(layers, activation=activation, output=output, loss=loss, l2=l2, seed=seed,
              leaky_slope=leaky_slope)
    value, dW, db = net.gradients(X, y)
    # The loss itself against the reference's plain forward pass and loss formulas; the
    # finite differences are then taken of the reference's loss (6x cheaper per call than
    # nncore's, which sets up its engine each time), at nncore's initial parameters.
    Y = np.eye(layers[-1])[y] if loss == "cross_entropy" else y
    weights, biases = [W.copy() for W in net.weights], [b.copy() for b in net.biases]

    def reference_loss():
        P = ref.forward(weights, biases, X, activation, output, leaky_slope)[-1]
        return ref.loss(P, Y, loss, weights, l2)

    assert value == pytest.approx(reference_loss(), rel=1e-12)
    num_W = _numerical_gradient(reference_loss, weights)
    num_b = _numerical_gradient(reference_loss, biases)
    for analytic, numeric in itertools.chain(zip(dW, num_W), zip(db, num_b)):
        assert analytic.shape == numeric.shape
        assert _relative_error(analytic, numeric) < 1e-6


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("output,loss", OUTPUT_LOSS)
@pytest.mark.parametrize("activation", HIDDEN)
@pytest.mark.parametrize("l2", [0.0, 0.3])
def test_backprop_matches_finite_differences(activation, output, loss, depth, l2):
    rng = np.random.default_rng(depth * 100 + HIDDEN.index(activation))
    n_out = 3 if output == "softmax" else 2
    X, y = _data(output, loss, 3, n_out, rng)
    _check_against_finite_differences([3] + [4] * depth + [n_out], X, y, activation, output,
                                      loss, l2, seed=depth)


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("slope", [0.0, 0.3, 0.9])
def test_leaky_relu_slopes_match_finite_differences(slope, depth):
    # Slopes other than the default, at every depth; 0.0 is relu (the zero-slope side
    # then passes no gradient), 0.9 nearly the identity.
    rng = np.random.default_rng(depth * 100 + 77)
    X, y = _data("identity", "mse", 3, 2, rng)
    _check_against_finite_differences([3] + [4] * depth + [2], X, y, "leaky_relu", "identity",
                                      "mse", 0.1, seed=depth, leaky_slope=slope)


def test_leaky_relu_by_hand():
    # [1, 2, 1], first layer weights [1, -1], no biases, output weights [1, 1], slope 0.1.
    net = MLP.from_arrays([[[1.0, -1.0]], [[1.0], [1.0]]], [[0.0, 0.0], [0.0]],
                          activation="leaky_relu", leaky_slope=0.1)
    # x = 2: pre-activations [2, -2] -> [2, -0.2] -> output 1.8; x = -3: [-0.3, 3] -> 2.7
    np.testing.assert_allclose(net.predict([[2.0], [-3.0]]), [[1.8], [2.7]], rtol=1e-15)
    # x = 0 puts both units exactly at the kink: the derivative there is the slope (relu's
    # convention, subgradient 0 at 0, is the slope-0 case). Target 1, output 0, so
    # dL/doutput = -1, dL/dhidden = [-1, -1], dL/dpre-activation = [-0.1, -0.1].
    value, dW, db = net.gradients([[0.0]], [1.0])
    assert value == 0.5
    np.testing.assert_array_equal(db[0], [-0.1, -0.1])
    np.testing.assert_array_equal(dW[1], [[0.0], [0.0]])
    assert db[1][0] == -1.0


def test_leaky_relu_table_entry_by_hand():
    # The table's entry has the default slope 0.01 and works in place.
    Z = np.array([[[-2.0], [0.0], [3.0]]])
    A = ACTIVATIONS["leaky_relu"].forward(Z)
    assert A is Z
    np.testing.assert_array_equal(A.ravel(), [-0.02, 0.0, 3.0])
    D = np.ones_like(A)
    ACTIVATIONS["leaky_relu"].backward(A, D, np.empty_like(A))
    np.testing.assert_array_equal(D.ravel(), [0.01, 0.01, 1.0])


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
