"""scikit-learn's ``MLPClassifier`` and ``MLPRegressor``, trained by nncore's engine.

Drop-in replacements: the same parameters with the same defaults and meanings, the same
fitted attributes, ``partial_fit``, ``warm_start``, early stopping, learning-rate
schedules, ``solver="lbfgs"`` and the same input validation (scikit-learn's own
``_parameter_constraints`` and ``validate_data``). Two additions: ``solver="adagrad"`` and
the hidden activations ``"sigmoid"`` (scikit-learn's ``"logistic"``) and
``"leaky_relu"``. ``solvers`` holds the training loops, ``losses`` the conventions
(``alpha`` is nncore's ``l2``; ``squared_error`` is nncore's ``mse`` over the outputs).
"""
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
import scipy.sparse
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, _fit_context
from sklearn.metrics import accuracy_score, r2_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import (_check_partial_fit_first_call, type_of_target,
                                      unique_labels)
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    check_random_state,
    column_or_1d,
    validate_data,
)

from . import losses, solvers

SKLEARN_ACTIVATIONS = {"identity", "logistic", "tanh", "relu"}
ACTIVATIONS = SKLEARN_ACTIVATIONS | {"sigmoid", "leaky_relu"}
"""Hidden activations the estimators take: scikit-learn's and nncore's others."""


class _BaseMLP(BaseEstimator):
    """Parameters, validation and training shared by the classifier and the regressor."""

    _parameter_constraints: ClassVar[dict] = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(ACTIVATIONS)],
        "solver": [StrOptions({"lbfgs", *solvers.STOCHASTIC_SOLVERS})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), Options(Real, {np.inf})],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
    }

    def _set_params(self, params):
        for name, value in params.items():
            if name not in ("self", "__class__"):
                setattr(self, name, value)

    # -- training -------------------------------------------------------------------------

    def _fit(self, X, y, sample_weight=None, incremental=False):
        hidden = self.hidden_layer_sizes
        hidden = list(hidden) if hasattr(hidden, "__iter__") else [hidden]
        if np.any(np.array(hidden) <= 0):
            raise ValueError(f"hidden_layer_sizes must be > 0, got {hidden}.")
        first_pass = not hasattr(self, "coefs_") or (not self.warm_start and not incremental)
        X, y = self._validate_input(X, y, incremental, reset=first_pass)
        if scipy.sparse.issparse(X):  # the engine multiplies dense arrays: convert once
            X = X.toarray()
        X = np.ascontiguousarray(X)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X)
        y = y.reshape(-1, 1) if y.ndim == 1 else y
        self.n_outputs_ = y.shape[1]
        layer_units = [X.shape[1], *hidden, self.n_outputs_]
        self._random_state = check_random_state(self.random_state)
        if first_pass:
            self._initialize(y, layer_units, X.dtype)
        net = self._network(weighted=sample_weight is not None)
        with solvers.one_blas_thread():
            if self.solver == "lbfgs":
                solvers.fit_lbfgs(self, X, y, sample_weight, net, layer_units)
            else:
                solvers.fit_stochastic(self, X, y, sample_weight, net, incremental)
        if not all(np.isfinite(w).all() for w in [*self.coefs_, *self.intercepts_]):
            # A diverged network is not kept (scikit-learn keeps it), so predict cannot
            # return NaN as if it were a prediction.
            del self.coefs_, self.intercepts_
            raise ValueError("Solver produced non-finite parameter weights. The input data "
                             "may contain large values and need to be preprocessed.")
        return self

    def _initialize(self, y, layer_units, dtype):
        """scikit-learn's ``_initialize``: fitted state, output and initial weights."""
        self.n_iter_, self.t_ = 0, 0
        self.n_outputs_ = y.shape[1]
        self.n_layers_ = len(layer_units)
        self.out_activation_ = self._out_activation()
        self.coefs_, self.intercepts_ = solvers.initial_params(
            layer_units, self._random_state, self.activation, dtype)
        self._best_params = solvers.to_stack(self.coefs_, self.intercepts_, dtype).params.copy()
        if self.solver != "lbfgs":
            self.loss_curve_ = []
            self._no_improvement_count = 0
            if self.early_stopping:
                self.validation_scores_, self.best_validation_score_ = [], -np.inf
                self.best_loss_ = None
            else:
                self.best_loss_ = np.inf
                self.validation_scores_ = self.best_validation_score_ = None

    def _network(self, weighted=False):
        loss = getattr(self, "loss", "log_loss")
        return losses.network(self.activation, self.out_activation_, loss, self.alpha,
                              self.n_outputs_, weighted)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model to data matrix ``X`` and target(s) ``y``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Class labels (or a label-indicator matrix) in classification, real numbers in
            regression.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples in the loss (a weighted mean), as scikit-learn's.

        Returns
        -------
        self
        """
        return self._fit(X, y, sample_weight, incremental=False)

    def _check_solver(self):
        if self.solver not in solvers.STOCHASTIC_SOLVERS:
            raise AttributeError("partial_fit is only available for stochastic optimizers. "
                                 f"{self.solver} is not stochastic.")
        return True

    def _loss_grad_lbfgs(self, packed, X, y, sample_weight=None, *buffers):
        """Loss and packed gradient at packed parameters, as scikit-learn's method of the name.

        ``buffers`` (scikit-learn's work arrays) are unused.
        """
        layer_units = [self.coefs_[0].shape[0]] + [W.shape[1] for W in self.coefs_]
        y = np.asarray(y, dtype=float).reshape(len(y), -1)
        if sample_weight is not None:
            y = losses.with_weights(y, np.asarray(sample_weight))
        return solvers.loss_grad(packed, self._network(sample_weight is not None),
                                 np.asarray(X, dtype=float), y, layer_units)

    # -- prediction -------------------------------------------------------------------------

    def _forward(self, X):
        """Output activations ``(n_samples, n_outputs_)`` for validated ``X``."""
        X = validate_data(self, X, accept_sparse=["csr", "csc"], reset=False)
        if scipy.sparse.issparse(X):
            X = X.toarray()
        dtype = self.coefs_[0].dtype
        stack = solvers.to_stack(self.coefs_, self.intercepts_, dtype)
        return solvers.outputs(self._network(), stack, np.asarray(X, dtype=dtype))

    def __sklearn_is_fitted__(self):
        return hasattr(self, "coefs_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """Multi-layer perceptron classifier: scikit-learn's ``MLPClassifier`` on nncore.

    Parameters, defaults and attributes are scikit-learn's (its documentation is the
    contract), plus ``solver="adagrad"`` and the activations ``"sigmoid"`` and
    ``"leaky_relu"``. Two classes: one logistic output with binary log-loss; more: softmax
    with log-loss; a label-indicator ``y``: one logistic output per label.

    Parameters
    ----------
    hidden_layer_sizes : array-like of int, default=(100,)
    activation : {"identity", "logistic", "sigmoid", "tanh", "relu", "leaky_relu"}, \
            default="relu"
    solver : {"lbfgs", "sgd", "adam", "adagrad"}, default="adam"
    alpha : float, default=0.0001
        L2 penalty ``alpha / (2 n) * sum of squared weights`` (nncore's ``l2``).
    batch_size, learning_rate, learning_rate_init, power_t, max_iter, shuffle, \
random_state, tol, verbose, warm_start, momentum, nesterovs_momentum, early_stopping, \
validation_fraction, beta_1, beta_2, epsilon, n_iter_no_change, max_fun
        As scikit-learn's ``MLPClassifier``; ``epsilon`` is also adagrad's.
    """

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam",
                 alpha=0.0001, batch_size="auto", learning_rate="constant",
                 learning_rate_init=0.001, power_t=0.5, max_iter=200, shuffle=True,
                 random_state=None, tol=1e-4, verbose=False, warm_start=False, momentum=0.9,
                 nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, max_fun=15000):
        self._set_params(locals())

    def _out_activation(self):
        return "softmax" if self._label_binarizer.y_type_ == "multiclass" else "logistic"

    def _stratify(self):
        return self.n_outputs_ == 1

    def _validation_targets(self, y_val):
        return self._label_binarizer.inverse_transform(y_val)

    def _score_outputs(self, P, y, sample_weight=None):
        return accuracy_score(y, self._labels(P), sample_weight=sample_weight)

    def _labels(self, P):
        return self._label_binarizer.inverse_transform(P.ravel() if self.n_outputs_ == 1 else P)

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"], multi_output=True,
                             dtype=(np.float64, np.float32), reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if not hasattr(self, "classes_") or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer().fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if self.warm_start:
                if set(classes) != set(self.classes_):
                    raise ValueError("warm_start can only be used where `y` has the same "
                                     "classes as in the previous call to fit. Previously "
                                     f"got {self.classes_}, `y` has {classes}")
            elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError("`y` has classes not in `self.classes_`. `self.classes_` "
                                 f"has {self.classes_}. 'y' has {classes}.")
        return X, self._label_binarizer.transform(y).astype(bool)

    @available_if(lambda est: est._check_solver())
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """One epoch on ``(X, y)`` from the current weights (sgd, adam and adagrad).

        ``classes`` lists every class; required on the first call.
        """
        if _check_partial_fit_first_call(self, classes):
            self._label_binarizer = LabelBinarizer()
            self._label_binarizer.fit(y if type_of_target(y).startswith("multilabel")
                                      else classes)
        return self._fit(X, y, sample_weight, incremental=True)

    def predict(self, X):
        """Predicted class labels (or label-indicator rows)."""
        check_is_fitted(self)
        return self._labels(self._forward(X))

    def predict_proba(self, X):
        """Class probabilities, shape (n_samples, n_classes)."""
        check_is_fitted(self)
        P = self._forward(X)
        return np.hstack([1 - P, P]) if self.n_outputs_ == 1 else P

    def predict_log_proba(self, X):
        """Logarithm of ``predict_proba``."""
        P = self.predict_proba(X)
        return np.log(P, out=P)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class MLPRegressor(RegressorMixin, _BaseMLP):
    """Multi-layer perceptron regressor: scikit-learn's ``MLPRegressor`` on nncore.

    Parameters
    ----------
    loss : {"squared_error", "poisson"}, default="squared_error"
        ``squared_error``: identity output, ``0.5 * mean`` squared error over samples and
        outputs. ``poisson``: exponential output, half the Poisson deviance.
    hidden_layer_sizes, activation, solver, alpha, ...
        As ``MLPClassifier`` and scikit-learn's ``MLPRegressor``.
    """

    _parameter_constraints: ClassVar[dict] = {
        **_BaseMLP._parameter_constraints,
        "loss": [StrOptions({"squared_error", "poisson"})],
    }

    def __init__(self, loss="squared_error", hidden_layer_sizes=(100,), activation="relu", *,
                 solver="adam", alpha=0.0001, batch_size="auto", learning_rate="constant",
                 learning_rate_init=0.001, power_t=0.5, max_iter=200, shuffle=True,
                 random_state=None, tol=1e-4, verbose=False, warm_start=False, momentum=0.9,
                 nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, max_fun=15000):
        self._set_params(locals())

    def _out_activation(self):
        return "exp" if self.loss == "poisson" else "identity"

    def _stratify(self):
        return False

    def _validation_targets(self, y_val):
        return y_val

    def _score_outputs(self, P, y, sample_weight=None):
        if P.shape[1] == 1:
            y, P = y.ravel(), P.ravel()
        return r2_score(y, P, sample_weight=sample_weight)

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"], multi_output=True,
                             y_numeric=True, dtype=(np.float64, np.float32), reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        return X, y

    @available_if(lambda est: est._check_solver())
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """One epoch on ``(X, y)`` from the current weights (sgd, adam and adagrad)."""
        return self._fit(X, y, sample_weight, incremental=True)

    def predict(self, X):
        """Predicted values, shape (n_samples,) or (n_samples, n_outputs)."""
        check_is_fitted(self)
        P = self._forward(X)
        return P.ravel() if P.shape[1] == 1 else P

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
