"""The scikit-learn estimators pass scikit-learn's own estimator checks and compose."""
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_moons
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from nncore import MLPClassifier, MLPRegressor


@parametrize_with_checks([MLPRegressor(random_state=0), MLPClassifier(random_state=0), MLPRegressor()])
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


def test_classifier_in_pipeline_and_grid_search():
    X, y = make_moons(200, noise=0.2, random_state=0)
    pipe = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(8,), learning_rate_init=0.05,
                                                              n_iter_no_change=30, max_iter=500,
                                                              random_state=0))
    # Each candidate's mean score over the same 3 folds, computed one by one.
    candidates = ["identity", "relu", "tanh"]
    means = {a: cross_val_score(clone(pipe).set_params(mlpclassifier__activation=a), X, y, cv=3).mean()
             for a in candidates}
    assert means["tanh"] > 0.9
    # An identity hidden layer makes the network a linear classifier: it cannot fit the
    # moons, and scores like a logistic regression on the same folds.
    linear = cross_val_score(make_pipeline(StandardScaler(), LogisticRegression()), X, y, cv=3).mean()
    assert means["identity"] == pytest.approx(linear, abs=0.02)
    assert means["identity"] < means["tanh"] - 0.05
    search = GridSearchCV(pipe, {"mlpclassifier__activation": candidates}, cv=3).fit(X, y)
    assert search.best_params_["mlpclassifier__activation"] == max(means, key=means.get) == "tanh"
    assert search.best_score_ == pytest.approx(means["tanh"], rel=1e-12)
    proba = search.predict_proba(X)
    assert proba.shape == (200, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert np.mean(search.predict(X) == y) > 0.9  # the refitted best model, on the labels


def test_regressor_fits_sine_and_exposes_fitted_state():
    X = np.linspace(0, 1, 40).reshape(-1, 1)
    y = np.sin(2 * np.pi * X).ravel()
    reg = MLPRegressor(hidden_layer_sizes=(10, 10), activation="tanh", learning_rate_init=0.01,
                       tol=1e-6, n_iter_no_change=50, max_iter=1500, random_state=0).fit(X, y)
    assert reg.score(X, y) > 0.95
    assert [W.shape for W in reg.coefs_] == [(1, 10), (10, 10), (10, 1)]
    assert [b.shape for b in reg.intercepts_] == [(10,), (10,), (1,)]
    assert reg.n_iter_ == len(reg.loss_curve_) < 1500  # stopped by tol, not max_iter
    assert reg.loss_ == reg.loss_curve_[-1] and reg.best_loss_ == min(reg.loss_curve_)
    assert (reg.n_layers_, reg.n_outputs_, reg.out_activation_) == (4, 1, "identity")
    assert reg.t_ == 40 * reg.n_iter_
    assert reg.get_params()["hidden_layer_sizes"] == (10, 10)
    assert reg.set_params(learning_rate_init=0.1).learning_rate_init == 0.1


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_string_labels_multiclass():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(c, 0.3, size=(30, 2)) for c in (-2, 0, 2)])
    y = np.repeat(["a", "b", "c"], 30)
    clf = MLPClassifier(random_state=0).fit(X, y)
    assert list(clf.classes_) == ["a", "b", "c"]
    assert clf.score(X, y) > 0.95
