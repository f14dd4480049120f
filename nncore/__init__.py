"""nncore: a from-scratch numpy multilayer perceptron, vectorized over the batch and over seeds.

>>> import nncore
>>> net = nncore.MLP(layers=[1, 10, 1], activation="tanh", seed=0)
>>> history = net.fit(X, y, epochs=2000, optimizer="adam", lr=0.01)  # doctest: +SKIP
"""
from .activations import ACTIVATIONS, OUTPUTS
from .losses import LOSSES
from .mlp import MLP, FitHistory, fit_replicas
from .optimizers import OPTIMIZERS

__all__ = ["MLP", "MLPRegressor", "MLPClassifier", "FitHistory", "fit_replicas", "ACTIVATIONS", "OUTPUTS", "LOSSES", "OPTIMIZERS"]
__version__ = "0.1.0"


def __getattr__(name):
    # The scikit-learn estimators import scikit-learn (~0.7 s); load them on first use so
    # that sweep workers, which only train, start fast.
    if name in ("MLPRegressor", "MLPClassifier"):
        from . import estimators

        return getattr(estimators, name)
    raise AttributeError(f"module 'nncore' has no attribute {name!r}")
