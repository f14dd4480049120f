"""nncore: a from-scratch numpy multilayer perceptron, vectorized over the batch and over seeds.

>>> import nncore
>>> net = nncore.MLP(layers=[1, 10, 1], activation="tanh", seed=0)
>>> history = net.fit(X, y, epochs=2000, optimizer="adam", lr=0.01)  # doctest: +SKIP
"""
from .activations import ACTIVATIONS, ALIASES, LEAKY_SLOPE, OUTPUTS
from .checks import class_targets, one_hot
from .history import FitHistory
from .init import INITS, glorot_bound, init_params
from .losses import (DEFAULT_OUTPUT_LOSS, KINDS, LOSSES, canonical_name, check_output_loss,
                     choose_output_loss, output_units, predict_labels, required_output)
from .mlp import MLP, count_params, evaluate_replicas, fit_replicas
from .optimizers import OPTIMIZERS

__all__ = ["MLP", "MLPRegressor", "MLPClassifier", "FitHistory", "fit_replicas",
           "evaluate_replicas",
           "count_params", "init_params", "glorot_bound", "INITS", "ACTIVATIONS", "ALIASES",
           "LEAKY_SLOPE", "OUTPUTS", "LOSSES", "OPTIMIZERS",
           "KINDS", "DEFAULT_OUTPUT_LOSS", "required_output", "check_output_loss",
           "choose_output_loss", "canonical_name", "output_units", "predict_labels",
           "class_targets",
           "one_hot"]
# 0.2.0: mini-batch steps sum a wide first layer in other pieces and fuse plain gd's update
# into its gradient product: float64 results differ from 0.1.0's in the last bits (a run
# stores the version it used; keys and the results format are unchanged).
__version__ = "0.2.0"


def __getattr__(name):
    # The scikit-learn estimators import scikit-learn (~0.7 s); load them on first use so
    # that sweep workers, which only train, start fast.
    if name in ("MLPRegressor", "MLPClassifier"):
        from . import sklearn

        return getattr(sklearn, name)
    raise AttributeError(f"module 'nncore' has no attribute {name!r}")
