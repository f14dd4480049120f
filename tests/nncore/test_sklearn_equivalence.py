"""Same weights, same data: nncore's loss, one gd step and many momentum or Adam steps equal scikit-learn's."""
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor

from nncore import MLP

ACTIVATIONS = ["tanh", "logistic", "relu", "identity"]


def _sgd_step(sk, X, y, net, **fit_kwargs):
    """Put ``net``'s weights into ``sk`` and run exactly one full-batch sgd step."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sk.partial_fit(X, y, **fit_kwargs)  # initializes shapes and the optimizer
        for l, (W, b) in enumerate(zip(net.weights, net.biases)):
            sk.coefs_[l][...] = W  # in place: the optimizer holds these very arrays
            sk.intercepts_[l][...] = b
        sk.partial_fit(X, y)
    return sk


def _sk_kwargs(activation, hidden, l2, lr, n):
    return dict(hidden_layer_sizes=hidden, activation=activation, solver="sgd", alpha=l2,
                batch_size=n, learning_rate_init=lr, momentum=0.0, nesterovs_momentum=False,
                shuffle=False, random_state=0)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("l2", [0.0, 0.5])
def test_regressor_loss_and_gd_step(activation, l2):
    rng = np.random.default_rng(1)
    X, y = rng.uniform(-1, 1, size=(40, 3)), rng.normal(size=40)
    net = MLP([3, 6, 5, 1], activation=activation, output="identity", loss="mse", l2=l2, seed=3)
    sk = _sgd_step(MLPRegressor(**_sk_kwargs(activation, (6, 5), l2, 0.1, 40)), X, y, net)
    assert net.loss(X, y) == pytest.approx(sk.loss_curve_[-1], rel=1e-10, abs=1e-12)
    net.fit(X, y, epochs=1, optimizer="gd", lr=0.1)
    for ours, theirs in zip(net.weights + net.biases, sk.coefs_ + sk.intercepts_):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(net.predict(X).ravel(), sk.predict(X), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("n_classes", [2, 3])
def test_classifier_loss_and_gd_step(activation, n_classes):
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(50, 2)), rng.integers(0, n_classes, size=50)
    if n_classes == 2:  # scikit-learn: one logistic output with binary log loss
        net = MLP([2, 7, 1], activation=activation, output="sigmoid",
                  loss="binary_cross_entropy", l2=0.1, seed=4)
        target = y.astype(float)
    else:
        net = MLP([2, 7, n_classes], activation=activation, output="softmax",
                  loss="cross_entropy", l2=0.1, seed=4)
        target = y
    sk = _sgd_step(MLPClassifier(**_sk_kwargs(activation, (7,), 0.1, 0.05, 50)), X, y, net,
                   classes=np.arange(n_classes))
    assert net.loss(X, target) == pytest.approx(sk.loss_curve_[-1], rel=1e-10)
    net.fit(X, target, epochs=1, optimizer="gd", lr=0.05)
    for ours, theirs in zip(net.weights + net.biases, sk.coefs_ + sk.intercepts_):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


def _sk_steps(sk, X, y, net, steps):
    """Run ``steps`` full-batch steps of ``sk`` from ``net``'s weights, optimizer state fresh."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sk.partial_fit(X, y)  # initializes shapes (and takes one step we then overwrite)
        for l, (W, b) in enumerate(zip(net.weights, net.biases)):
            sk.coefs_[l][...], sk.intercepts_[l][...] = W, b
        del sk._optimizer  # restart the optimizer's state from zero, as nncore's fit does
        for _ in range(steps):
            sk.partial_fit(X, y)
    return sk


def _assert_same_params(net, sk, rtol):
    for ours, theirs in zip(net.weights + net.biases, sk.coefs_ + sk.intercepts_):
        np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=1e-12)


def test_adam_matches_scikit_learn_over_many_steps():
    # Same update rule as scikit-learn's AdamOptimizer: 20 full-batch steps agree.
    rng = np.random.default_rng(5)
    X, y = rng.uniform(-1, 1, size=(30, 1)), rng.normal(size=30)
    net = MLP([1, 8, 1], activation="tanh", seed=0)
    sk = _sk_steps(MLPRegressor(hidden_layer_sizes=(8,), activation="tanh", solver="adam",
                                batch_size=30, learning_rate_init=0.01, alpha=0.0,
                                shuffle=False, random_state=0), X, y, net, 20)
    history = net.fit(X, y, epochs=20, optimizer="adam", lr=0.01)
    np.testing.assert_allclose(history, sk.loss_curve_[1:], rtol=1e-10)
    _assert_same_params(net, sk, rtol=1e-9)


def test_momentum_matches_scikit_learn_over_many_steps():
    # Classical momentum is scikit-learn's SGDOptimizer without Nesterov's correction;
    # 60 full-batch steps (enough for the velocity to build up and reverse), with l2.
    rng = np.random.default_rng(6)
    X, y = rng.uniform(-1, 1, size=(30, 2)), rng.normal(size=30)
    net = MLP([2, 6, 4, 1], activation="tanh", l2=0.1, seed=1)
    sk = _sk_steps(MLPRegressor(hidden_layer_sizes=(6, 4), activation="tanh", solver="sgd",
                                momentum=0.9, nesterovs_momentum=False, batch_size=30,
                                learning_rate="constant", learning_rate_init=0.05, alpha=0.1,
                                shuffle=False, random_state=0), X, y, net, 60)
    history = net.fit(X, y, epochs=60, optimizer="momentum", lr=0.05)  # momentum=0.9 default
    np.testing.assert_allclose(history, sk.loss_curve_[1:], rtol=1e-10)
    _assert_same_params(net, sk, rtol=1e-9)
