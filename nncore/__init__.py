"""nncore: a from-scratch numpy multilayer perceptron, vectorized over the batch and over seeds.

>>> import nncore
>>> net = nncore.MLP(layers=[1, 10, 1], activation="tanh", seed=0)
>>> history = net.fit(X, y, epochs=2000, optimizer="adam", lr=0.01)  # doctest: +SKIP
"""
from .activations import ACTIVATIONS, OUTPUTS
from .losses import LOSSES
from .estimators import MLPClassifier, MLPRegressor
from .mlp import MLP, FitHistory, fit_replicas
from .optimizers import OPTIMIZERS

__all__ = ["MLP", "MLPRegressor", "MLPClassifier", "FitHistory", "fit_replicas", "ACTIVATIONS", "OUTPUTS", "LOSSES", "OPTIMIZERS"]
__version__ = "0.1.0"
