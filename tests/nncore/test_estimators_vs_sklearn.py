"""The estimators against scikit-learn's own: same parameters, same numbers.

scikit-learn's ``MLPRegressor`` / ``MLPClassifier`` are the independent reference: they
are fitted with the very same parameter dict as ours, and from the same initial weights
the training trajectories of sgd, momentum, Nesterov's momentum and adam must agree to
1e-10.
"""
import warnings

import numpy as np
import pytest
import sklearn.neural_network as sk
from sklearn.datasets import load_digits, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import MinMaxScaler
from threadpoolctl import threadpool_limits

import nncore
import reference as ref



@pytest.fixture(autouse=True)
def _one_blas_thread():
    # scikit-learn's side too: on a shared machine its BLAS threads only wait for each
    # other on these small products (ours run on one thread while fitting anyway).
    with threadpool_limits(1):
        yield


def _regression():
    X, y = make_regression(n_samples=120, n_features=6, noise=5.0, random_state=3)
    return X, y / y.std()


def _classification(n_class):
    X, y = load_digits(n_class=n_class, return_X_y=True)
    return MinMaxScaler().fit_transform(X[:150]), y[:150]


def _fit_both(kind, params, X, y):
    ours = (nncore.MLPRegressor if kind == "regressor" else nncore.MLPClassifier)(**params)
    theirs = (sk.MLPRegressor if kind == "regressor" else sk.MLPClassifier)(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return ours.fit(X, y), theirs.fit(X, y)


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
@pytest.mark.parametrize("kind", ["regressor", "binary", "multiclass"])
def test_the_same_params_dict_fits_like_scikit_learn(kind, solver):
    # scikit-learn's names and defaults: every parameter below is passed unchanged to
    # both classes, mini-batches and shuffling included (default batch_size="auto").
    params = {"hidden_layer_sizes": (12,), "activation": "tanh", "solver": solver,
              "alpha": 1e-3, "learning_rate_init": 0.01, "max_iter": 40, "random_state": 5}
    X, y = _regression() if kind == "regressor" else _classification(
        2 if kind == "binary" else 3)
    ours, theirs = _fit_both("regressor" if kind == "regressor" else "classifier", params,
                             X, y)
    assert ours.get_params() == theirs.get_params()
    assert ours.n_iter_ == theirs.n_iter_
    # lbfgs's line search amplifies rounding over its iterations: looser there.
    rtol = 1e-6 if solver == "lbfgs" else 1e-9
    np.testing.assert_allclose(ours.loss_, theirs.loss_, rtol=rtol)
    if kind == "regressor":
        np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=rtol, atol=rtol)
    else:
        np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=rtol)
        np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    assert ours.out_activation_ == theirs.out_activation_
    assert [W.shape for W in ours.coefs_] == [W.shape for W in theirs.coefs_]


def test_the_defaults_are_scikit_learns():
    for ours, theirs in [(nncore.MLPRegressor(), sk.MLPRegressor()),
                         (nncore.MLPClassifier(), sk.MLPClassifier())]:
        assert ours.get_params() == theirs.get_params()


def _recording(cls):
    """``cls`` whose initial weights are recorded (scikit-learn) or replaced (ours)."""

    class Recording(cls):
        def _initialize(self, *args):
            super()._initialize(*args)
            if getattr(self, "inject", None) is not None:
                self.coefs_ = [c.copy() for c in self.inject[0]]
                self.intercepts_ = [b.copy() for b in self.inject[1]]
            self.initial = ([c.copy() for c in self.coefs_],
                            [b.copy() for b in self.intercepts_])

    return Recording


@pytest.mark.parametrize("solver, momentum, nesterov", [
    ("sgd", 0.0, False), ("sgd", 0.9, False), ("sgd", 0.9, True), ("adam", 0.9, True)])
@pytest.mark.parametrize("kind", ["regressor", "multioutput", "multiclass"])
def test_trajectories_from_the_same_weights_agree_to_1e_10(kind, solver, momentum, nesterov):
    # Full batch, no shuffling: 50 steps from scikit-learn's initial weights, injected
    # into ours (drawn from another seed, so the injection is what makes them equal).
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4))
    if kind == "multiclass":
        y = rng.integers(0, 3, size=60)
    else:
        y = np.tanh(X @ rng.normal(size=(4, 2 if kind == "multioutput" else 1)))
        y = y.ravel() if kind == "regressor" else y
    params = {"hidden_layer_sizes": (7, 5), "activation": "tanh", "solver": solver,
              "alpha": 0.01, "batch_size": 60, "shuffle": False, "learning_rate_init": 0.05,
              "max_iter": 50, "momentum": momentum, "nesterovs_momentum": nesterov,
              "n_iter_no_change": np.inf}
    is_reg = kind != "multiclass"
    theirs = _recording(sk.MLPRegressor if is_reg else sk.MLPClassifier)(random_state=1,
                                                                         **params)
    ours = _recording(nncore.MLPRegressor if is_reg else nncore.MLPClassifier)(
        random_state=2, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs.fit(X, y)
        ours.inject = theirs.initial
        ours.fit(X, y)
    assert ours.n_iter_ == theirs.n_iter_ == 50
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-10)
    for mine, expected in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(mine, expected, rtol=1e-10, atol=1e-12)
    # and the trajectory went somewhere: the weights moved and the loss fell
    assert theirs.loss_curve_[-1] < 0.9 * theirs.loss_curve_[0]
    assert not np.allclose(ours.coefs_[0], theirs.initial[0][0])


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
@pytest.mark.parametrize("kind", ["regressor", "poisson", "binary", "multiclass"])
def test_sample_weights_weigh_as_in_scikit_learn(kind, solver):
    # Non-uniform integer weights (zeros included), mini-batches of 16 with shuffling and
    # early stopping's weighted validation score for the stochastic solvers: the same
    # numbers as scikit-learn's from the same random_state.
    rng = np.random.default_rng(4)
    if kind in ("regressor", "poisson"):
        X, y = _regression()
        y = rng.poisson(np.exp(0.5 * y)) if kind == "poisson" else y
    else:
        X, y = _classification(2 if kind == "binary" else 3)
    weights = rng.integers(0, 4, size=len(y)).astype(float)
    params = {"hidden_layer_sizes": (9,), "activation": "tanh", "solver": solver,
              "alpha": 0.05, "learning_rate_init": 0.01, "max_iter": 30, "random_state": 3,
              "batch_size": 16, "early_stopping": solver != "lbfgs"}
    if kind == "poisson":
        params["loss"] = "poisson"
    is_reg = kind in ("regressor", "poisson")
    ours = (nncore.MLPRegressor if is_reg else nncore.MLPClassifier)(**params)
    theirs = (sk.MLPRegressor if is_reg else sk.MLPClassifier)(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours.fit(X, y, sample_weight=weights)
        theirs.fit(X, y, sample_weight=weights)
    rtol = 1e-6 if solver == "lbfgs" else 1e-9
    np.testing.assert_allclose(ours.loss_, theirs.loss_, rtol=rtol)
    if solver != "lbfgs":
        np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=rtol)
        np.testing.assert_allclose(ours.validation_scores_, theirs.validation_scores_,
                                   rtol=rtol)
    for mine, expected in zip(ours.coefs_, theirs.coefs_):
        np.testing.assert_allclose(mine, expected, rtol=rtol, atol=rtol)
    # the weights matter: unweighted, the fit is another one
    plain = (sk.MLPRegressor if is_reg else sk.MLPClassifier)(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        plain.fit(X, y)
    assert not np.allclose(plain.coefs_[0], theirs.coefs_[0])


@pytest.mark.parametrize("solver, activation", [("adagrad", "tanh"), ("adam", "leaky_relu"),
                                                ("sgd", "sigmoid")])
def test_our_additions_train_as_the_reference_loop(solver, activation):
    # scikit-learn has no adagrad and no leaky ReLU: the plain numpy loop of tests/reference
    # is the reference, from the weights the estimator started with.
    rng = np.random.default_rng(2)
    X = rng.normal(size=(50, 3))
    y = np.sin(X @ rng.normal(size=3))
    est = _recording(nncore.MLPRegressor)(
        hidden_layer_sizes=(6,), activation=activation, solver=solver, alpha=0.02,
        batch_size=50, shuffle=False, learning_rate_init=0.05, max_iter=40, momentum=0.0,
        n_iter_no_change=np.inf, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    weights, biases = est.initial
    options = {"epsilon": 1e-8} if solver == "adagrad" else {}
    ref_trained = ref.train([3, 6, 1], X, y.reshape(-1, 1), 0, activation=activation,
                            l2=0.02, init={"weights": weights, "biases": biases}, epochs=40,
                            optimizer={"sgd": "gd"}.get(solver, solver), lr=0.05, **options)
    np.testing.assert_allclose(est.loss_curve_, ref_trained.history, rtol=1e-10)
    for mine, theirs in zip(est.coefs_ + est.intercepts_,
                            ref_trained.weights + ref_trained.biases):
        np.testing.assert_allclose(mine, theirs, rtol=1e-9, atol=1e-12)
    assert ref_trained.history[-1] < ref_trained.history[0]


def _error(cls, params, X, y):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            cls(**params).fit(X, y)
    except Exception as err:  # the test compares whatever both raise
        return type(err), str(err)
    return None


@pytest.mark.parametrize("params, data", [
    ({"alpha": -1.0}, "ok"), ({"momentum": 2.0}, "ok"), ({"max_iter": 0}, "ok"),
    ({"hidden_layer_sizes": (4, 0)}, "ok"), ({"batch_size": "big"}, "ok"),
    ({"learning_rate_init": 0.0}, "ok"), ({"n_iter_no_change": 0}, "ok"),
    ({}, "nan"), ({}, "fmax"), ({}, "short_y"), ({}, "strings"), ({}, "empty"),
    ({"early_stopping": True}, "two_samples"), ({"max_iter": 5}, "3d"),
])
@pytest.mark.parametrize("kind", ["regressor", "classifier"])
def test_bad_input_raises_what_scikit_learn_raises(kind, params, data):
    # The same exception type and message, before or after training as scikit-learn.
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20, 3)), rng.integers(0, 2, size=20)
    if data == "nan":
        X[3, 1] = np.nan
    elif data == "fmax":
        X = np.finfo(np.float64).max * rng.uniform(size=(20, 3))
    elif data == "short_y":
        y = y[:-1]
    elif data == "strings":
        X = X.astype(str).astype(object)
        X[0, 0] = "a"
    elif data == "empty":
        X, y = X[:0], y[:0]
    elif data == "two_samples":
        X, y = X[:2], np.array([0, 1])
    elif data == "3d":
        X = X.reshape(20, 3, 1)
    if kind == "classifier" and data == "fmax":
        # A known difference at the edge of float64: the engine divides the output delta
        # by n before the weight-gradient product, scikit-learn after it, so its gradient
        # overflows to inf (adam then makes NaN weights, and it raises) where ours stays
        # finite (~1e307): adam's step is then 0 and the fit ends with finite weights.
        pytest.xfail("scikit-learn's gradient overflows on float64 max, the engine's does not")
    params = {"hidden_layer_sizes": (4,), "max_iter": 5, "random_state": 0, **params}
    ours = nncore.MLPRegressor if kind == "regressor" else nncore.MLPClassifier
    theirs = sk.MLPRegressor if kind == "regressor" else sk.MLPClassifier
    with np.errstate(all="ignore"):
        expected = _error(theirs, params, X, y)
        got = _error(ours, params, X, y)
    assert expected is not None
    assert got == expected
