"""A job's losses and metrics recomputed from its weights: the reference for stored results.

Predictions come from the plain forward pass of ``reference.mlp``; losses from their
documented formulas (``mlp.loss``: mse is the mean over samples of 1/2 the summed squared
errors, binary cross-entropy the mean over samples of the summed per-unit log loss;
cross-entropy of class labels the mean of ``-log p_true``; plus ``l2 / (2 n)`` times the
summed squared weights); metrics from scikit-learn. Nothing here imports nncore or sweeps:
``ds`` is any object with a ``Dataset``'s attributes.
"""
import numpy as np
from sklearn.metrics import accuracy_score, mean_squared_error

from .mlp import loss, predict


def one_hot(labels, k):
    """Rows of zeros with a one at each label: ``(n_samples, k)``."""
    return np.eye(k)[np.asarray(labels)]


def labels_of(P):
    """Predicted classes: the largest output, or one unit thresholded at 0.5."""
    return (P[:, 0] > 0.5).astype(int) if P.shape[1] == 1 else P.argmax(axis=1)


def loss_value(P, y, kind, loss_name, weights, l2):
    """The documented loss of outputs ``P`` on targets ``y`` (values or class labels)."""
    if loss_name == "cross_entropy":
        # from the labels: a zero probability of another class must not give 0 * log 0
        n = len(P)
        data = -np.mean(np.log(P[np.arange(n), y]))
        return data + l2 / (2 * n) * sum(np.sum(W ** 2) for W in weights)
    if loss_name not in ("mse", "binary_cross_entropy"):
        raise AssertionError(f"no reference for loss {loss_name!r}")
    # one output unit for two classes is the probability of class 1: its target is the
    # 0/1 label itself; several units take one-hot rows
    Y = (np.reshape(y, P.shape) if kind == "regression" or P.shape[1] == 1
         else one_hot(y, P.shape[1]))
    return loss(P, Y, loss_name, weights, l2)


def _mse(truth, P):
    if np.all(np.isfinite(P)):
        return mean_squared_error(truth, P)
    return np.mean((P - np.reshape(truth, P.shape)) ** 2)  # scikit-learn refuses inf


def expected_metrics(ds, weights, biases, *, activation, output, loss, l2):
    """The metrics of a network with these weights on data set ``ds``, recomputed here.

    Regression: test MSE against the clean truth (sin(2 pi x) for ``sine``, written out
    here; the held-out targets otherwise), train and validation MSE against their noisy
    targets.
    """
    out = {}
    with np.errstate(all="ignore"):  # a diverged network's numbers overflow honestly
        for split in ("train", "val", "test"):
            X, y = getattr(ds, f"X_{split}"), getattr(ds, f"y_{split}")
            P = predict(weights, biases, X, activation, output)
            out[f"{split}_loss"] = loss_value(P, y, ds.kind, loss, weights, l2)
            if ds.kind == "regression":
                truth = np.sin(2 * np.pi * X) if split == "test" and ds.name == "sine" else y
                out[f"{split}_mse"] = _mse(truth, P)
            else:
                out[f"{split}_accuracy"] = accuracy_score(y, labels_of(P))
    return {k: float(v) for k, v in out.items()}
