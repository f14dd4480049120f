"""scikit-learn's MLPClassifier and MLPRegressor on nncore's engine, and what only they use.

``estimators`` holds the two classes (parameters, input validation, fitted attributes),
``solvers`` scikit-learn's training loops between the engine's epochs (stopping rule,
schedules, batch order, Nesterov's momentum, lbfgs), ``losses`` scikit-learn's losses and
sample weights as the engine's network. The core network (``nncore``'s other modules)
imports nothing from here; importing this package imports scikit-learn.
"""
from .estimators import MLPClassifier, MLPRegressor

__all__ = ["MLPClassifier", "MLPRegressor"]
