"""The check after training that decides whether a kept network is usable (``fitting._unusable``).

It proves most networks' training loss finite from their weights alone (a bound through
the layers, ``fitting._loss_is_bounded``) and runs the forward pass over the training
data only for the others. References: that pass itself, forced for every replica (the
check as it was before the bound), and the training loss of each net recomputed by the
plain reference network of tests/reference, on weights scaled from ordinary up to past
float64's overflow.
"""
import numpy as np
import pytest
import reference as ref

from nncore import engine, fitting

SCALES = [1.0, 1e3, 1e40, 1e100, 1e140, 1e150, 1e152, 1e156, 1e170, 1e250, 1e300, 1e308]
COMBOS = [("sigmoid", "sigmoid", "mse"), ("tanh", "identity", "mse"),
          ("relu", "identity", "mse"), ("leaky_relu", "tanh", "mse"),
          ("identity", "identity", "mse"), ("relu", "softmax", "cross_entropy"),
          ("tanh", "sigmoid", "binary_cross_entropy"), ("sigmoid", "softmax", "mse")]


def _nets(layers, seed=0):
    """One replica per scale: the same random weights and biases times each scale."""
    rng = np.random.default_rng(seed)
    weights = [rng.normal(0, 1 / np.sqrt(a), (a, b)) for a, b in zip(layers, layers[1:])]
    biases = [rng.normal(0, 1, b) for b in layers[1:]]
    with np.errstate(over="ignore"):  # the last scale overflows some weights to inf
        return [([W * s for W in weights], [b * s for b in biases]) for s in SCALES]


def _data(layers, n=50, seed=1, x_scale=1.0):
    rng = np.random.default_rng(seed)
    X = rng.normal(0, x_scale, (n, layers[0]))
    return X, np.eye(layers[-1])[rng.integers(0, layers[-1], n)]


def _network(replicas, activation, output, loss, l2=0.0, dtype=np.float64):
    stack = engine.Stack.from_arrays(replicas, dtype)
    return engine.Network(activation, output, loss, l2, stack=stack), stack


def _check(replicas, X, Y, activation, output, loss, l2=0.0, dtype=np.float64, force=False,
           monkeypatch=None, built="both"):
    """``fitting._unusable``'s reasons; ``built`` is what training left of the inputs:
    ``"both"`` (full batch), ``"rows"`` (mini-batches, several epochs) or ``"none"`` (one)."""
    network, stack = _network(replicas, activation, output, loss, l2, dtype)
    if force:  # the pass for every replica: the check as it was
        monkeypatch.setattr(fitting, "_loss_is_bounded",
                            lambda *args: np.zeros(stack.n_replicas, dtype=bool))
    X, Y = X.astype(dtype), Y.astype(dtype)
    X_T, X_rows = engine.inputs(X)
    inputs = {"both": (X_T, X_rows), "rows": (None, X_rows), "none": (None, None)}[built]
    reasons = fitting._unusable(network, stack, X, Y, inputs)
    monkeypatch and monkeypatch.undo()
    return reasons


@pytest.mark.parametrize("activation, output, loss", COMBOS)
@pytest.mark.parametrize("l2, built", [(0.0, "both"), (1e-3, "rows"), (0.0, "none")])
def test_the_bound_decides_as_the_pass_over_the_data(activation, output, loss, l2, built,
                                                     monkeypatch):
    layers = [6, 8, 5, 3]
    X, Y = _data(layers)
    replicas = _nets(layers)
    with np.errstate(all="ignore"):
        bounded = _check(replicas, X, Y, activation, output, loss, l2, built=built)
        passed = _check(replicas, X, Y, activation, output, loss, l2, force=True,
                        monkeypatch=monkeypatch, built=built)
    assert bounded == passed
    assert bounded[0] == ""  # ordinary weights are usable
    network, stack = _network(replicas, activation, output, loss, l2)
    with np.errstate(all="ignore"):  # both ways are taken: proven, and left to the pass
        proven = fitting._loss_is_bounded(network, stack, X, Y)
    assert proven[:3].all() and not proven[-4:].any()


@pytest.mark.parametrize("activation, output", [(a, o) for a, o, loss in COMBOS if loss == "mse"])
def test_usable_exactly_where_the_reference_loss_is_finite(activation, output):
    layers = [6, 8, 5, 3]
    X, Y = _data(layers, x_scale=3.0)
    replicas = _nets(layers, seed=2)
    with np.errstate(all="ignore"):
        reasons = _check(replicas, X, Y, activation, output, "mse")
        finite = [np.isfinite(ref.loss(ref.predict(W, b, X, activation, output), Y, "mse"))
                  for W, b in replicas]
    assert [reason == "" for reason in reasons] == finite
    assert finite[0] and not finite[-1]


def test_float32_bounds_stop_at_float32s_overflow(monkeypatch):
    layers = [6, 8, 3]
    X, Y = _data(layers)
    replicas = [([W * s for W in Ws], [b * s for b in bs])
                for s in (1.0, 1e10, 1e14, 1e18, 1e25) for Ws, bs in _nets(layers)[:1]]
    with np.errstate(all="ignore"):
        bounded = _check(replicas, X, Y, "relu", "identity", "mse", dtype=np.float32)
        passed = _check(replicas, X, Y, "relu", "identity", "mse", dtype=np.float32,
                        force=True, monkeypatch=monkeypatch)
    assert bounded == passed and bounded[0] == "" and bounded[-1] != ""


def test_ordinary_fits_skip_the_pass_over_the_training_data(monkeypatch):
    import nncore

    calls = []
    real = engine.loss_values
    monkeypatch.setattr(engine, "loss_values", lambda *a: calls.append(1) or real(*a))
    layers = [6, 8, 3]
    X, Y = _data(layers, n=40)
    nets = nncore.fit_replicas(layers, X, Y, seeds=[0, 1], activation="sigmoid",
                               output="sigmoid", loss="mse", optimizer="gd", lr=3.0,
                               batch_size=10, epochs=2)
    assert calls == [] and all(net.history_.status == "ok" for net in nets)
    net = nncore.MLP(layers, activation="tanh", seed=0)  # overflowed weights: the pass
    history = net.fit(X, Y, epochs=1, optimizer="gd", lr=1e308)
    assert history.status == "diverged" and calls == [1]
