"""Independent references for trained networks, shared by the training and runner tests.

Nothing here calls ``sweeps.training`` or nncore's forward pass or losses: predictions come
from a forward pass written out below with numpy, losses from their documented formulas
(mse: mean over samples of 1/2 sum of squared errors; cross-entropy: mean of -log p_true;
binary cross-entropy: mean over samples of the summed per-unit log loss; plus
l2 / (2 n) * sum of squared weights), metrics from scikit-learn. Networks to compare with
are trained one at a time with ``nncore.MLP(...).fit`` (not ``fit_replicas``, which the
sweep workers use), on data from ``sweeps.tasks.make_task`` (tested against scikit-learn
and numpy in test_tasks.py).
"""
import numpy as np
from sklearn.metrics import accuracy_score, mean_squared_error

import nncore
from sweeps.tasks import make_task


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


HIDDEN = {"tanh": np.tanh, "sigmoid": _sigmoid, "logistic": _sigmoid,
          "relu": lambda z: np.maximum(z, 0.0), "identity": lambda z: z}
OUTPUT = {"identity": lambda z: z, "tanh": np.tanh, "sigmoid": _sigmoid,
          "logistic": _sigmoid, "softmax": _softmax}


def forward(weights, biases, X, activation, output):
    """Output activations of a network, ``(n_samples, n_out)``."""
    a = np.asarray(X, dtype=np.float64)
    for W, b in zip(weights[:-1], biases[:-1]):
        a = HIDDEN[activation](a @ W + b)
    return OUTPUT[output](a @ weights[-1] + biases[-1])


def one_hot(labels, k):
    return np.eye(k)[np.asarray(labels)]


def labels_of(P):
    """Predicted classes: the largest output, or one unit thresholded at 0.5."""
    return (P[:, 0] > 0.5).astype(int) if P.shape[1] == 1 else P.argmax(axis=1)


def loss_value(P, y, kind, loss, weights, l2):
    """The documented loss of outputs ``P`` on targets ``y`` (values or class labels)."""
    n = len(P)
    if loss == "cross_entropy":
        data = -np.mean(np.log(P[np.arange(n), y]))
    else:
        # one output unit for two classes is the probability of class 1: its target is the
        # 0/1 label itself; several units take one-hot rows
        Y = (np.reshape(y, P.shape) if kind == "regression" or P.shape[1] == 1
             else one_hot(y, P.shape[1]))
        if loss == "mse":
            data = np.sum(0.5 * np.sum((P - Y) ** 2, axis=1)) / n
        elif loss == "binary_cross_entropy":
            data = -np.mean(np.sum(Y * np.log(P) + (1 - Y) * np.log(1 - P), axis=1))
        else:
            raise AssertionError(f"no reference for loss {loss!r}")
    return data + l2 / (2 * n) * sum(np.sum(W ** 2) for W in weights)


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
            P = forward(weights, biases, X, activation, output)
            out[f"{split}_loss"] = loss_value(P, y, ds.kind, loss, weights, l2)
            if ds.kind == "regression":
                truth = np.sin(2 * np.pi * X) if split == "test" and ds.name == "sine" else y
                out[f"{split}_mse"] = _mse(truth, P)
            else:
                out[f"{split}_accuracy"] = accuracy_score(y, labels_of(P))
    return {k: float(v) for k, v in out.items()}


def train_directly(task, task_params, *, hidden, seed, activation="tanh", output, loss,
                   optimizer="adam", lr=0.01, epochs, batch_size=None, l2=0.0,
                   patience=None, min_delta=0.0, init="normal", leaky_slope=0.01):
    """Train one network alone, as a job with these settings should be trained.

    Returns ``(ds, net)``; the network's layers are ``[n_in, *hidden, units]`` and it
    trains on the training values (regression) or on class labels (classification): one
    logistic unit with the 0/1 label as target for two classes and any output but softmax,
    else one-hot rows over one unit per class. The validation split is the validation data.
    """
    ds = make_task(task, **task_params)
    one_unit = ds.kind == "classification" and ds.n_out == 2 and output != "softmax"
    units = 1 if one_unit else ds.n_out

    def targets(y):
        if ds.kind == "regression" or one_unit:
            return np.reshape(y, (-1, 1)).astype(float)
        return one_hot(y, units)

    net = nncore.MLP([ds.n_in, *hidden, units], activation=activation, output=output,
                     loss=loss, l2=l2, seed=seed, init=init, leaky_slope=leaky_slope)
    net.fit(ds.X_train, targets(ds.y_train), epochs=epochs, optimizer=optimizer, lr=lr,
            batch_size=batch_size, validation_data=(ds.X_val, targets(ds.y_val)),
            patience=patience, min_delta=min_delta)
    return ds, net


def assert_close(got, want, what, rtol=1e-10, atol=1e-12):
    """Equal up to rounding; a non-finite reference (a diverged net) needs a non-finite value."""
    if np.isfinite(want):
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=what)
    else:
        assert not np.isfinite(got), (what, got, want)


def assert_curve_is_history(epoch, loss, history):
    """A stored curve picks epochs of ``history`` (1-based), first and last included.

    At most 300 points; with fewer epochs every one of them.
    """
    n = len(history)
    epoch, loss = np.asarray(epoch), np.asarray(loss)
    assert len(epoch) == len(loss) == min(n, 300)
    assert epoch[0] == 1 and epoch[-1] == n and np.all(np.diff(epoch) > 0)
    if n > 300:  # evenly spread: no gap longer than an even spacing, rounded up
        assert np.diff(epoch).max() <= -(-(n - 1) // 299)
    np.testing.assert_allclose(loss, np.asarray(history)[epoch - 1], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose([loss[0], loss[-1]], [history[0], history[-1]], rtol=1e-10,
                               atol=1e-12)
