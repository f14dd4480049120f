"""scikit-learn estimators built on ``MLP``, for ``Pipeline``, ``cross_val_score`` and ``GridSearchCV``."""
import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from .losses import predict_labels
from .mlp import MLP


class _BaseMLPEstimator(BaseEstimator):
    """Shared parameters and training; subclasses choose output, loss and targets."""

    def __init__(self, hidden_layer_sizes=(10,), activation="tanh", optimizer="adam",
                 lr=0.01, epochs=500, batch_size=None, l2=0.0, random_state=None):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.optimizer = optimizer
        self.lr = lr
        self.epochs = epochs
        self.batch_size = batch_size
        self.l2 = l2
        self.random_state = random_state

    def _seed(self):
        if self.random_state is None:
            return int(np.random.default_rng().integers(2**31))
        if isinstance(self.random_state, np.random.RandomState):
            return int(self.random_state.randint(2**31))
        return int(self.random_state)

    def _train(self, X, Y, n_outputs, output, loss):
        hidden = ([self.hidden_layer_sizes] if np.isscalar(self.hidden_layer_sizes)
                  else list(self.hidden_layer_sizes))
        net = MLP([X.shape[1], *hidden, n_outputs], activation=self.activation,
                  output=output, loss=loss, l2=self.l2, seed=self._seed())
        history = net.fit(X, Y, epochs=self.epochs, optimizer=self.optimizer, lr=self.lr,
                          batch_size=self.batch_size)
        if history.status == "diverged":
            # As scikit-learn does; a diverged network is not kept, so predict cannot
            # return NaN as if it were a prediction.
            self.__dict__.pop("net_", None)
            raise ValueError("Solver produced non-finite parameter weights. The input data "
                             f"may contain large values and need to be preprocessed "
                             f"({history.message}).")
        self.net_, self.history_ = net, history
        self.loss_curve_ = list(history)
        self.n_iter_ = len(history)
        return self

    @property
    def coefs_(self):
        """Weights per layer, named as in scikit-learn's MLP."""
        check_is_fitted(self, "net_")
        return self.net_.weights

    @property
    def intercepts_(self):
        """Biases per layer, named as in scikit-learn's MLP."""
        check_is_fitted(self, "net_")
        return self.net_.biases

    def _raw_predict(self, X):
        check_is_fitted(self, "net_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return self.net_.predict(X)


class MLPRegressor(RegressorMixin, _BaseMLPEstimator):
    """Multilayer perceptron regressor: identity output, ``mse`` loss.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(10,)
        Widths of the hidden layers.
    activation : {"tanh", "sigmoid", "logistic", "relu", "leaky_relu", "identity"}, \
            default="tanh"
        ``leaky_relu`` with nncore's default slope, 0.01.
    optimizer : {"gd", "momentum", "adagrad", "adam"}, default="adam"
    lr : float, default=0.01
    epochs : int, default=500
    batch_size : int or None, default=None
        None trains full batch.
    l2 : float, default=0.0
        L2 penalty, scikit-learn's ``alpha``.
    random_state : int, RandomState or None, default=None
    """

    def fit(self, X, y):
        """Fit to ``X`` (n_samples, n_features) and ``y`` (n_samples,) or (n_samples, n_targets)."""
        X, y = validate_data(self, X, y, multi_output=True, y_numeric=True, dtype=np.float64)
        self._y_1d = y.ndim == 1
        Y = y.reshape(len(y), -1)
        return self._train(X, Y, Y.shape[1], "identity", "mse")

    def predict(self, X):
        """Predicted values, shape (n_samples,) or (n_samples, n_targets)."""
        P = self._raw_predict(X)
        return P.ravel() if self._y_1d else P

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


class MLPClassifier(ClassifierMixin, _BaseMLPEstimator):
    """Multilayer perceptron classifier.

    Two classes: one sigmoid output with binary cross-entropy; more: softmax with
    cross-entropy, as scikit-learn's ``MLPClassifier``. Parameters as ``MLPRegressor``.
    """

    def fit(self, X, y):
        """Fit to ``X`` (n_samples, n_features) and class labels ``y`` (n_samples,)."""
        X, y = validate_data(self, X, y, dtype=np.float64)
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        self._encoder = LabelEncoder().fit(y)
        self.classes_ = self._encoder.classes_
        labels = self._encoder.transform(y)
        if len(self.classes_) <= 2:
            return self._train(X, labels.astype(float), 1, "sigmoid", "binary_cross_entropy")
        return self._train(X, labels, len(self.classes_), "softmax", "cross_entropy")

    def predict_proba(self, X):
        """Class probabilities, shape (n_samples, n_classes)."""
        P = self._raw_predict(X)
        if len(self.classes_) == 1:
            return np.ones((len(P), 1))
        if P.shape[1] == 1:
            return np.hstack([1 - P, P])
        return P

    def predict(self, X):
        """Most probable class label for each sample."""
        P = self._raw_predict(X)
        if len(self.classes_) == 1:
            return np.repeat(self.classes_, len(P))
        return self.classes_[predict_labels(P)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        return tags
