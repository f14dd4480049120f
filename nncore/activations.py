"""Activation functions, each stored beside its derivative.

Every entry works in place on stacked arrays shaped ``(n_replicas, width, n_samples)``
(the engine's feature-major layout) so that the training loop allocates nothing per step.
Derivatives are written in terms of the activation's *output* (``1 - a**2`` for tanh,
``a * (1 - a)`` for the sigmoid), as in scikit-learn's ``_base.py``: backpropagation then
keeps only each layer's outputs.

One entry has a parameter: ``leaky_relu``'s negative slope. ``ACTIVATIONS["leaky_relu"]``
is the entry for the default slope (``LEAKY_SLOPE``); ``leaky_relu(slope)`` builds (once per
slope, cached) the entry for another one, and ``hidden_activation(name, leaky_slope)`` picks
the entry a network uses. The slope is bound into the entry's functions, so the training
loop calls them exactly as it calls the others.
"""
import functools
import numbers
from typing import Callable, NamedTuple

import numpy as np


class Activation(NamedTuple):
    """An activation and its derivative, kept together so they cannot drift apart.

    Attributes
    ----------
    forward : callable ``forward(Z) -> A``
        Applies the activation to ``Z`` in place and returns it.
    backward : callable ``backward(A, D, scratch) -> D``
        Multiplies the upstream gradient ``D`` in place by the Jacobian of the
        activation, given only its output ``A``. ``scratch`` is a buffer shaped like ``A``.
    """

    forward: Callable
    backward: Callable


def _tanh(Z):
    return np.tanh(Z, out=Z)


# The derivatives avoid scalar operands (``1.0 - A``): numpy converts and broadcasts the
# scalar on every call, which costs ~10% on these small arrays.

def _tanh_backward(A, D, scratch):
    # D * (1 - A**2) as D - D * A**2; square is twice as fast as multiply(A, A)
    np.square(A, out=scratch)
    np.multiply(scratch, D, out=scratch)
    return np.subtract(D, scratch, out=D)


def _sigmoid(Z):
    return _expit()(Z, out=Z)


@functools.cache
def _expit():
    # scipy.special (what scikit-learn uses: same numbers) takes 0.15 s to import, 2/3 of
    # a sweep worker's start-up: import it only when a sigmoid is actually used.
    from scipy.special import expit
    return expit


def _sigmoid_backward(A, D, scratch):
    # D * A * (1 - A) as D * (A - A**2)
    np.square(A, out=scratch)
    np.subtract(A, scratch, out=scratch)
    return np.multiply(D, scratch, out=D)


def _relu(Z):
    return np.maximum(Z, 0.0, out=Z)


def _relu_backward(A, D, scratch):
    # Subgradient 0 at 0, as scikit-learn's inplace_relu_derivative.
    np.greater(A, 0.0, out=scratch, casting="unsafe")
    return np.multiply(D, scratch, out=D)


def _leaky_relu(Z, slope):
    # max(z, slope * z) is z for z >= 0 and slope * z below, for 0 <= slope < 1. One
    # temporary (slope * Z): forward has no scratch buffer (measured: no slower than
    # writing slope * Z into a preallocated one, and faster than a where= mask).
    return np.maximum(Z, np.multiply(Z, slope), out=Z)


def _leaky_relu_backward(A, D, scratch, slope):
    # From the output: with slope > 0, a has the sign of z, so the derivative is 1 where
    # a > 0 and slope elsewhere, max(sign(a), slope). At a = 0 that gives slope (relu's
    # subgradient convention, 0 at 0, is the slope = 0 case); with slope = 0 every a <= 0
    # gets 0, as relu.
    np.sign(A, out=scratch)
    np.maximum(scratch, slope, out=scratch)
    return np.multiply(D, scratch, out=D)


LEAKY_SLOPE = 0.01
"""Default negative slope of ``leaky_relu``."""


@functools.cache
def leaky_relu(slope=LEAKY_SLOPE):
    """The ``leaky_relu`` entry with negative slope ``slope`` (built once per slope).

    Parameters
    ----------
    slope : float, default=LEAKY_SLOPE
        ``f(z) = z`` for ``z >= 0`` and ``slope * z`` below; ``0 <= slope < 1`` (see
        ``check_leaky_slope``; not checked here).

    Returns
    -------
    Activation
    """
    return Activation(functools.partial(_leaky_relu, slope=slope),
                      functools.partial(_leaky_relu_backward, slope=slope))


def _identity(Z):
    return Z


def _identity_backward(A, D, scratch):
    return D


def _softmax(Z):
    # Over the feature axis (-2). Shift by each sample's maximum so exp never overflows.
    np.subtract(Z, Z.max(axis=-2, keepdims=True), out=Z)
    np.exp(Z, out=Z)
    np.divide(Z, Z.sum(axis=-2, keepdims=True), out=Z)
    return Z


def _softmax_backward(A, D, scratch):
    # Softmax's Jacobian is not diagonal: J^T g = a * (g - sum(g * a)).
    np.multiply(D, A, out=scratch)
    np.subtract(D, scratch.sum(axis=-2, keepdims=True), out=D)
    return np.multiply(D, A, out=D)


ALIASES = {"logistic": "sigmoid"}
"""Other names of table entries: ``logistic`` is scikit-learn's name for the sigmoid."""

ACTIVATIONS = {
    "tanh": Activation(_tanh, _tanh_backward),
    "sigmoid": Activation(_sigmoid, _sigmoid_backward),
    "relu": Activation(_relu, _relu_backward),
    "leaky_relu": leaky_relu(LEAKY_SLOPE),
    "identity": Activation(_identity, _identity_backward),
}
"""Hidden-layer activations by name (aliases included); ``leaky_relu`` has slope
``LEAKY_SLOPE`` here (``hidden_activation`` gives it another)."""
ACTIVATIONS.update({alias: ACTIVATIONS[name] for alias, name in ALIASES.items()})

OUTPUTS = {
    "identity": ACTIVATIONS["identity"],
    "sigmoid": ACTIVATIONS["sigmoid"],
    "softmax": Activation(_softmax, _softmax_backward),
    "tanh": ACTIVATIONS["tanh"],
}
"""Output-layer activations by name (aliases included)."""
OUTPUTS.update({alias: OUTPUTS[name] for alias, name in ALIASES.items()})


def prepare(names) -> None:
    """Import now what the activations ``names`` will need (scipy.special for the sigmoid).

    For a process that has time before its first step (a sweep worker started while the
    driver writes the data sets): the sigmoid's import otherwise falls in its first step.
    Names that are no activation are passed over.

    Parameters
    ----------
    names : iterable of str
        Hidden or output activation names, aliases included.
    """
    if any(ALIASES.get(name, name) == "sigmoid" for name in names):
        _expit()


def hidden_activation(name, leaky_slope=LEAKY_SLOPE):
    """The hidden-layer entry for ``name``: ``ACTIVATIONS[name]``, with ``leaky_relu``'s slope.

    Parameters
    ----------
    name : str
        A key of ``ACTIVATIONS``.
    leaky_slope : float, default=LEAKY_SLOPE
        Negative slope when ``name`` is ``"leaky_relu"``; ignored otherwise.

    Returns
    -------
    Activation
    """
    return leaky_relu(leaky_slope) if name == "leaky_relu" else ACTIVATIONS[name]


def check_leaky_slope(slope):
    """Return ``slope`` as a float if it is a finite number with ``0 <= slope < 1``, else raise.

    Below 0 the output no longer has the input's sign (the derivative is written in terms
    of the output); 1 is the identity (use ``"identity"``).
    """
    if (isinstance(slope, bool) or not isinstance(slope, numbers.Real)
            or not np.isfinite(slope) or not 0 <= slope < 1):
        raise ValueError(f"leaky_slope must be a finite number with 0 <= leaky_slope < 1; "
                         f"got {slope!r}")
    return float(slope)
