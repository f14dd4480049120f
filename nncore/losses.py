"""Loss functions as plain functions in a table keyed by name.

Each loss works on stacked predictions ``P`` shaped ``(n_replicas, n_outputs, n_samples)``
(the engine's feature-major layout) and returns one value per replica: the mean over
samples of the per-sample loss.
"""
from typing import Callable, NamedTuple

import numpy as np

from .activations import ALIASES


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
    needs_canonical_output : bool, default=False
        Whether the loss is defined only with its canonical output (a log-loss needs
        probabilities); ``mse`` works with any output.
    """

    value: Callable
    gradient: Callable
    canonical_output: str
    from_residual: Callable = None
    needs_canonical_output: bool = False


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
    "cross_entropy": Loss(_cross_entropy, _cross_entropy_gradient, "softmax",
                          needs_canonical_output=True),
    "binary_cross_entropy": Loss(_binary_cross_entropy, _binary_cross_entropy_gradient,
                                 "sigmoid", needs_canonical_output=True),
}
"""Losses by name. ``mse`` is the 1/(2m) sum form: mean over samples of
1/2 * sum over outputs of (prediction - target)**2."""


# -- the network's facts about outputs, losses and targets -----------------------------
# Everything that pairs an output with a loss, picks them for a kind of target, or turns
# outputs into class labels lives here, so that sweeps and results ask rather than restate.

KINDS = ("regression", "classification")
"""Kinds of target: real values, or class labels 0..k-1."""

DEFAULT_OUTPUT_LOSS = {"regression": ("identity", "mse"),
                       "classification": ("softmax", "cross_entropy")}
"""The output activation and loss a network gets for each kind of target when none is named."""


def required_output(loss):
    """The output activation ``loss`` is defined for, or None when any output will do."""
    entry = LOSSES[loss]
    return entry.canonical_output if entry.needs_canonical_output else None


def check_output_loss(output, loss):
    """Raise ``ValueError`` unless ``output`` may be trained with ``loss``."""
    required = required_output(loss)
    if required is not None and canonical_name(output) != required:
        raise ValueError(f"loss {loss!r} needs output {required!r}; got output {output!r}")


def choose_output_loss(kind, output=None, loss=None, *, defaults=None):
    """Fill in the output activation and loss for a kind of target, and check the pair.

    Neither named: the kind's defaults (``DEFAULT_OUTPUT_LOSS``). Only the output named:
    the kind's default loss if it is defined for that output, else ``mse`` (defined for
    every output). Only the loss named: the output it needs, else a sigmoid for class
    labels (the material's mse-trained digits net) and the identity for real values.

    Parameters
    ----------
    kind : {"regression", "classification"}
    output, loss : str or None
    defaults : (str, str) or None, default=None
        ``(output, loss)`` to use instead of the kind's ``DEFAULT_OUTPUT_LOSS`` (a task
        whose networks have a single logistic unit defaults to sigmoid + log-loss).

    Returns
    -------
    (output, loss) : tuple of str

    Raises
    ------
    ValueError
        A log-loss or a softmax output for real-valued targets, or a loss paired with an
        output it is not defined for; the message says what is allowed.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown kind of target {kind!r}; allowed: {', '.join(KINDS)}")
    default_output, default_loss = defaults or DEFAULT_OUTPUT_LOSS[kind]
    if output is None and loss is None:
        return default_output, default_loss
    if loss is None:
        loss = default_loss if required_output(default_loss) in (None, output) else "mse"
    if output is None:
        output = required_output(loss) or ("sigmoid" if kind == "classification"
                                           else default_output)
    if kind != "classification" and required_output(loss) is not None:
        raise ValueError(f"loss {loss!r} needs class labels (a classification task)")
    check_output_loss(output, loss)
    if output == "softmax" and kind != "classification":
        raise ValueError("output 'softmax' needs class labels (a classification task)")
    return output, loss


def output_units(n_classes, output):
    """How many output units a network for ``n_classes`` class labels has.

    Two classes with any output but softmax: one unit, the probability (or score) of
    class 1 — the logistic unit, for ``binary_cross_entropy`` and for ``mse`` on 0/1
    targets alike. Otherwise one unit per class (softmax needs at least two).
    """
    return 1 if n_classes == 2 and canonical_name(output) != "softmax" else n_classes


def predict_labels(outputs):
    """Class labels 0..k-1 from network outputs ``(n_samples, n_outputs)``.

    One output unit is the probability of class 1, thresholded at 0.5 (ties go to
    class 0, as an argmax over ``[1 - p, p]`` would); several units are one score per
    class and the largest wins.
    """
    outputs = np.asarray(outputs)
    if outputs.shape[1] == 1:
        return (outputs[:, 0] > 0.5).astype(np.intp)
    return outputs.argmax(axis=1)


def canonical_name(name):
    """The table name an alias stands for (``logistic`` is scikit-learn's ``sigmoid``)."""
    return ALIASES.get(name, name)
