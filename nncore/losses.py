"""Loss functions as plain functions in a table keyed by name.

Each loss works on stacked predictions ``P`` shaped ``(n_replicas, n_samples, n_outputs)``
and returns one value per replica: the mean over samples of the per-sample loss.
"""
from typing import Callable, NamedTuple

import numpy as np


class Loss(NamedTuple):
    """A loss, the output activation it is paired with, and its gradient.

    Attributes
    ----------
    value : callable ``value(P, Y) -> ndarray (n_replicas,)``
        Mean over samples of the per-sample loss.
    gradient : callable ``gradient(P, Y, out) -> out``
        Per-sample derivative of the loss with respect to ``P`` (not divided by n).
    canonical_output : str or None
        The output activation whose pairing with this loss makes the gradient with
        respect to the pre-activation simply ``P - Y``.
    """

    value: Callable
    gradient: Callable
    canonical_output: str


def _clip(P):
    # Clip probabilities away from 0 and 1 rather than hiding log(0) (scikit-learn does the same).
    eps = np.finfo(P.dtype).eps
    return np.clip(P, eps, 1 - eps)


def _mse(P, Y):
    diff = P - Y
    diff *= diff
    return 0.5 * diff.sum(axis=(-2, -1)) / P.shape[-2]


def _mse_gradient(P, Y, out):
    return np.subtract(P, Y, out=out)


def _cross_entropy(P, Y):
    return -(Y * np.log(_clip(P))).sum(axis=(-2, -1)) / P.shape[-2]


def _cross_entropy_gradient(P, Y, out):
    np.divide(Y, _clip(P), out=out)
    return np.negative(out, out=out)


def _binary_cross_entropy(P, Y):
    Pc = _clip(P)
    per_sample = Y * np.log(Pc) + (1 - Y) * np.log1p(-Pc)
    return -per_sample.sum(axis=(-2, -1)) / P.shape[-2]


def _binary_cross_entropy_gradient(P, Y, out):
    Pc = _clip(P)
    np.subtract(Pc, Y, out=out)
    return np.divide(out, Pc * (1 - Pc), out=out)


LOSSES = {
    "mse": Loss(_mse, _mse_gradient, "identity"),
    "cross_entropy": Loss(_cross_entropy, _cross_entropy_gradient, "softmax"),
    "binary_cross_entropy": Loss(
        _binary_cross_entropy, _binary_cross_entropy_gradient, "sigmoid"
    ),
}
"""Losses by name. ``mse`` is the 1/(2m) sum form: mean over samples of
1/2 * sum over outputs of (prediction - target)**2."""

REQUIRED_OUTPUT = {"cross_entropy": ("softmax",), "binary_cross_entropy": ("sigmoid", "logistic")}
"""Outputs a loss is defined for; losses not listed accept every output."""
