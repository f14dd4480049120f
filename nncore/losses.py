"""Loss functions as plain functions in a table keyed by name.

Each loss works on stacked predictions ``P`` shaped ``(n_replicas, n_outputs, n_samples)``
(the engine's feature-major layout) and returns one value per replica: the mean over
samples of the per-sample loss.
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
    from_residual : callable ``from_residual(R, out) -> out`` or None, default=None
        The value computed from the residual ``R = P - Y`` (contiguous) instead of
        ``P`` and ``Y``: training already has ``R`` as the output delta.
    """

    value: Callable
    gradient: Callable
    canonical_output: str
    from_residual: Callable = None


def _clip(P):
    # Clip probabilities away from 0 and 1 rather than hiding log(0) (scikit-learn does the same).
    eps = np.finfo(P.dtype).eps
    return np.clip(P, eps, 1 - eps)


def _mse(P, Y):
    return _mse_from_residual(P - Y, np.empty(P.shape[0], P.dtype))


def _mse_from_residual(R, out):
    # Each replica's sum of squares as one batched dot product: one call, no temporary
    # (squaring then summing over two axes took three calls and an allocation).
    rows = R.reshape(R.shape[0], 1, -1)
    np.matmul(rows, rows.transpose(0, 2, 1), out.reshape(-1, 1, 1))
    out *= 0.5 / R.shape[-1]
    return out


def _mse_gradient(P, Y, out):
    return np.subtract(P, Y, out=out)


def _cross_entropy(P, Y):
    return -(Y * np.log(_clip(P))).sum(axis=(-2, -1)) / P.shape[-1]


def _cross_entropy_gradient(P, Y, out):
    np.divide(Y, _clip(P), out=out)
    return np.negative(out, out=out)


def _binary_cross_entropy(P, Y):
    Pc = _clip(P)
    per_sample = Y * np.log(Pc) + (1 - Y) * np.log1p(-Pc)
    return -per_sample.sum(axis=(-2, -1)) / P.shape[-1]


def _binary_cross_entropy_gradient(P, Y, out):
    Pc = _clip(P)
    np.subtract(Pc, Y, out=out)
    return np.divide(out, Pc * (1 - Pc), out=out)


LOSSES = {
    "mse": Loss(_mse, _mse_gradient, "identity", _mse_from_residual),
    "cross_entropy": Loss(_cross_entropy, _cross_entropy_gradient, "softmax"),
    "binary_cross_entropy": Loss(
        _binary_cross_entropy, _binary_cross_entropy_gradient, "sigmoid"
    ),
}
"""Losses by name. ``mse`` is the 1/(2m) sum form: mean over samples of
1/2 * sum over outputs of (prediction - target)**2."""

REQUIRED_OUTPUT = {"cross_entropy": ("softmax",), "binary_cross_entropy": ("sigmoid", "logistic")}
"""Outputs a loss is defined for; losses not listed accept every output."""
