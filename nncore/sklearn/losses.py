"""scikit-learn's MLP losses as the engine's ``Network``, with sample weights.

Conventions, and how they map onto nncore:

* ``alpha`` is nncore's ``l2``: both add ``alpha / (2 n) * sum of squared weights`` to the
  loss (biases not penalized), ``n`` the samples in the batch, and ``alpha / n * W`` to
  the gradient. No conversion. With sample weights ``n`` becomes the batch's sum of
  weights, as in scikit-learn.
* ``squared_error`` is scikit-learn's ``0.5 * mean over samples and outputs`` of the
  squared error; nncore's ``mse`` sums over outputs. With one output they are equal; with
  several the reported value is divided by the number of outputs while the gradient stays
  the one of the sum, as in scikit-learn (its delta is ``P - Y`` for every loss).
* ``poisson``: half the Poisson deviance with an exponential output (canonical link).
* Classification: ``log_loss`` is nncore's ``cross_entropy`` with a softmax output;
  binary and multilabel targets use ``binary_cross_entropy`` with logistic outputs.
"""
import numpy as np
from scipy.special import xlogy

from .. import engine
from ..activations import Activation
from ..losses import LOSSES, Loss


def _exp(Z):
    return np.exp(Z, out=Z)


def _exp_backward(A, D, scratch):
    return np.multiply(D, A, out=D)


EXP = Activation(_exp, _exp_backward)
"""The exponential output of ``loss="poisson"``."""


def _clip(P):
    eps = np.finfo(P.dtype).eps
    return np.clip(P, eps, 1 - eps)


# Per-sample losses in scikit-learn's convention (``sklearn/neural_network/_base.py``),
# shaped (..., n_samples): the sample-weighted loss is their weighted mean.
PER_SAMPLE = {
    "squared_error": lambda P, Y: 0.5 * ((P - Y) ** 2).mean(axis=-2),
    "poisson": lambda P, Y: (xlogy(Y, Y / P) - Y + P).sum(axis=-2),
    "log_loss": lambda P, Y: -xlogy(Y, _clip(P)).sum(axis=-2),
    "binary_log_loss": lambda P, Y: -(xlogy(Y, _clip(P))
                                      + xlogy(1 - Y, 1 - _clip(P))).sum(axis=-2),
}


def _poisson(P, Y):
    return PER_SAMPLE["poisson"](P, Y).sum(axis=-1) / P.shape[-1]


def _squared_error(n_outputs):
    """scikit-learn's ``squared_error``: nncore's ``mse`` divided by the outputs."""
    mse = LOSSES["mse"]

    def value(P, Y):
        return mse.value(P, Y) / n_outputs

    def from_residual(R, out):
        mse.from_residual(R, out)
        out /= n_outputs
        return out

    return Loss(value, mse.gradient, "identity", from_residual)


def loss_name(out_activation, loss):
    """scikit-learn's name of the loss trained (``binary_log_loss`` for logistic outputs)."""
    return "binary_log_loss" if out_activation == "logistic" else loss


def network(activation, out_activation, loss, alpha, n_outputs, weighted=False):
    """The engine's ``Network`` for an estimator's settings (module docstring: conventions).

    Parameters
    ----------
    activation : str
        Hidden activation, a key of ``nncore.ACTIVATIONS``.
    out_activation : {"identity", "exp", "logistic", "softmax"}
        scikit-learn's ``out_activation_``.
    loss : {"squared_error", "poisson", "log_loss"}
    alpha : float
    n_outputs : int
    weighted : bool, default=False
        Targets carry the sample weights as their last column (``with_weights``).
    """
    if out_activation == "softmax":
        net = engine.Network(activation, "softmax", "cross_entropy", alpha)
    elif out_activation == "logistic":
        net = engine.Network(activation, "logistic", "binary_cross_entropy", alpha)
    else:
        net = engine.Network(activation, "identity", "mse", alpha)
        if loss == "poisson":
            net.output, net.loss = EXP, Loss(_poisson, None, "exp")
        elif n_outputs > 1:
            net.loss = _squared_error(n_outputs)
        # Both are paired with their canonical output: the delta is P - Y.
        net.canonical, net.residual_loss = True, net.loss.from_residual
    if weighted:
        _weigh(net, loss_name(out_activation, loss), alpha)
    return net


def with_weights(Y, sample_weight):
    """Targets ``(n, n_outputs)`` with the sample weights as one more column."""
    return np.hstack([Y, sample_weight.reshape(-1, 1).astype(Y.dtype)])


def _weigh(net, name, alpha):
    """Make ``net`` train on sample-weighted means, reading the weights from the targets.

    The engine gives a loss the targets of the batch it trains on, so weights carried as
    the targets' last row follow the mini-batches. scikit-learn's weighted loss is the
    weighted mean of the per-sample losses plus ``alpha / (2 sum(w))`` times the squared
    weights; its delta is ``(P - Y) * w``, divided by ``sum(w)``. The engine divides the
    delta by the batch's ``m`` samples and scales the penalty by ``l2 / m``, so the delta
    is given ``m / sum(w)`` and ``l2`` is set to ``alpha * m / sum(w)`` for the batch the
    loss is called on (value and gradient are both computed before the penalty).
    """
    per_sample, output = PER_SAMPLE[name], net.output

    def split(YW):
        w = YW[..., -1, :]
        sw = w.sum(axis=-1, keepdims=True)  # (..., 1): one sum per replica's batch
        net.l2 = alpha * YW.shape[-1] / float(sw.ravel()[0])
        return YW[..., :-1, :], w, sw

    def value(P, YW):
        Y, w, sw = split(YW)
        return (per_sample(P, Y) * w).sum(axis=-1) / sw[..., 0]

    def gradient(P, YW, out):  # with respect to the output's pre-activation: P - Y, weighted
        Y, w, sw = split(YW)
        np.subtract(P, Y, out=out)
        out *= (w * (YW.shape[-1] / sw))[..., None, :]
        return out

    net.loss = Loss(value, gradient, None)
    # The gradient above is already with respect to the pre-activation.
    net.output = Activation(output.forward, lambda A, D, scratch: D)
    net.canonical, net.residual_loss = False, None
