"""Validation curves and early stopping against a plain per-network loop written here.

The task is the one where early stopping matters: a wide net on twelve noisy sine points,
trained long enough that the validation loss turns up again.
"""
import numpy as np
import pytest
import reference as ref

import nncore

LAYERS = [1, 40, 40, 1]
L2 = 0.001


def _data():
    rng = np.random.default_rng(0)
    X = np.linspace(0, 1, 12).reshape(-1, 1)
    y = np.sin(2 * np.pi * X) + rng.normal(0, 0.3, X.shape)
    X_val = rng.uniform(0, 1, (40, 1))
    y_val = np.sin(2 * np.pi * X_val) + rng.normal(0, 0.3, X_val.shape)
    return X, y, X_val, y_val


def _reference(seed, X, y, X_val, y_val, *, epochs, lr, patience=None, min_delta=0.0):
    """Full-batch Adam, the validation loss after every epoch, Keras' patience rule."""
    W, b = ref.initial_params(LAYERS, seed)
    opt = ref.OPTIMIZERS["adam"](lr)
    history, val, best, best_epoch, wait, kept = [], [], np.inf, None, 0, None
    for epoch in range(1, epochs + 1):
        value, dW, db = ref.gradients(W, b, X, y, "tanh", "identity", "mse", L2)
        opt.step(W + b, dW + db)
        history.append(value)
        val.append(ref.loss(ref.forward(W, b, X_val)[-1], y_val, "mse", W, L2))
        if val[-1] < best - min_delta:
            best, best_epoch, wait = val[-1], epoch, 0
            kept = ([w.copy() for w in W], [c.copy() for c in b])
        else:
            wait += 1
            if patience is not None and wait >= patience:
                break
    return history, val, best_epoch, kept if patience is not None else (W, b)


def test_validation_curve_without_early_stopping_follows_the_reference():
    X, y, X_val, y_val = _data()
    net = nncore.MLP(LAYERS, l2=L2, seed=3)
    h = net.fit(X, y, epochs=300, lr=0.01, validation_data=(X_val, y_val))
    history, val, _, (W, b) = _reference(3, X, y, X_val, y_val, epochs=300, lr=0.01)
    np.testing.assert_allclose(h, history, rtol=1e-9)
    np.testing.assert_allclose(h.val_losses, val, rtol=1e-9)
    assert h.best_epoch is None and len(h) == 300
    np.testing.assert_allclose(net.weights[0], W[0], rtol=1e-9)  # the last weights, kept


def test_the_validation_loss_turns_up_and_the_best_epoch_is_kept():
    X, y, X_val, y_val = _data()
    net = nncore.MLP(LAYERS, l2=L2, seed=1)
    h = net.fit(X, y, epochs=3000, lr=0.01, validation_data=(X_val, y_val), patience=100)
    history, val, best_epoch, (W, b) = _reference(1, X, y, X_val, y_val, epochs=3000,
                                                  lr=0.01, patience=100)
    assert best_epoch is not None and len(val) == best_epoch + 100 < 3000  # it did turn up
    assert h.best_epoch == best_epoch and len(h) == len(h.val_losses) == len(history)
    np.testing.assert_allclose(h.val_losses, val, rtol=1e-8)
    for ours, theirs in zip(net.weights + net.biases, W + b):
        np.testing.assert_allclose(ours, theirs, rtol=1e-8, atol=1e-12)
    # The kept weights are the best epoch's: recompute the validation loss from them.
    assert net.loss(X_val, y_val) == pytest.approx(min(val), rel=1e-9)
    assert net.loss(X_val, y_val) < val[-1]


def test_replicas_stop_at_their_own_epochs_and_each_keeps_its_best():
    X, y, X_val, y_val = _data()
    seeds = [0, 1, 2, 3]
    nets = nncore.fit_replicas(LAYERS, X, y, seeds=seeds, l2=L2, epochs=3000, lr=0.01,
                               validation_data=(X_val, y_val), patience=60, min_delta=1e-4)
    stops = set()
    for seed, net in zip(seeds, nets):
        history, val, best_epoch, (W, b) = _reference(seed, X, y, X_val, y_val, epochs=3000,
                                                      lr=0.01, patience=60, min_delta=1e-4)
        h = net.history_
        assert h.best_epoch == best_epoch and len(h) == len(history)
        np.testing.assert_allclose(h, history, rtol=1e-8)
        for ours, theirs in zip(net.weights + net.biases, W + b):
            np.testing.assert_allclose(ours, theirs, rtol=1e-8, atol=1e-12)
        assert net.loss(X_val, y_val) == pytest.approx(val[best_epoch - 1], rel=1e-9)
        stops.add(len(h))
    assert len(stops) > 1  # the replicas really stopped at different epochs


def test_early_stopping_needs_validation_data_and_a_positive_patience():
    X, y, X_val, y_val = _data()
    with pytest.raises(ValueError, match="needs validation_data"):
        nncore.MLP(LAYERS).fit(X, y, epochs=5, patience=3)
    with pytest.raises(ValueError, match="patience must be a positive integer"):
        nncore.MLP(LAYERS).fit(X, y, epochs=5, patience=0, validation_data=(X_val, y_val))
    with pytest.raises(ValueError, match="X has shape"):
        nncore.MLP(LAYERS).fit(X, y, epochs=5, validation_data=(np.ones((4, 2)), y_val[:4]))
