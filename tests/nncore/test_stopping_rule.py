"""EarlyStopping's rule and kept copies against Keras' rule written here, epoch by epoch.

``EarlyStopping`` rules on many epochs at once and keeps parameters in a ring of the last
``patience + 1`` epochs (``nncore/stopping.py``); the reference below takes one epoch at a
time, as Keras' ``EarlyStopping(restore_best_weights=True)`` does. The validation losses
are drawn with ties, NaN and inf, and each replica's parameters after an epoch are a value
that names the replica and the epoch, so a kept copy says which epoch it came from.
"""
import numpy as np
import pytest

from nncore.stack import Stack
from nncore.stopping import EarlyStopping

LAYERS = [2, 3, 1]


def _keras(losses, patience, min_delta):
    """Per replica (columns of ``losses``): (stop epoch or -1, best epoch or -1)."""
    stops, bests = [], []
    for column in losses.T:
        best, best_epoch, wait, stop = np.inf, -1, 0, -1
        for epoch, value in enumerate(column):
            if value < best - min_delta:
                best, best_epoch, wait = value, epoch, 0
            else:
                wait += 1
                if wait >= patience:
                    stop = epoch
                    break
        stops.append(stop)
        bests.append(best_epoch)
    return np.array(stops), np.array(bests)


def _losses(S, epochs, seed):
    """Curves that level off at different epochs, on a coarse grid (ties), with NaN and
    inf here and there."""
    rng = np.random.default_rng(seed)
    decay = np.exp(-np.arange(epochs)[:, None] / rng.uniform(3, 40, S))
    losses = np.round(0.2 + 0.8 * decay + rng.normal(0, 0.01, (epochs, S)), 2)
    losses[rng.random((epochs, S)) < 0.03] = np.nan
    losses[rng.random((epochs, S)) < 0.01] = np.inf
    return losses


def _train(losses, patience, min_delta, shrink_after=()):
    """Drive EarlyStopping as the engine does: after each epoch the parameters of replica
    ``s`` are ``1000 * epoch + s``; stacks shrink to the replicas still training after the
    epochs ``shrink_after`` (as ``shrink.Survivors`` does). Returns the stopping, the
    kept value of each replica (or None) and the epochs run."""
    epochs, S = losses.shape
    original = stack = Stack(LAYERS, S)
    stopping = EarlyStopping(stack, patience, min_delta)
    history = np.full((epochs, S), np.nan)
    training, rows, home = np.ones(S, dtype=bool), np.arange(S), None
    for epoch in range(epochs):
        for B in stack.blocks:
            B[...] = (1000.0 * epoch + rows)[:, None, None]
        history[epoch, rows] = losses[epoch, rows]
        stop = stopping.update(epoch, history, training)
        if stop is not None:
            training &= ~stop
        if not training.any():
            break
        if epoch in shrink_after:
            keep = np.flatnonzero(training[rows])
            positions = stack.positions(keep)
            stack, rows = stack.take(keep, positions), rows[keep]
            stopping.follow(stack, rows, positions, home)
            home = positions if home is None else home[positions]
    if home is None:
        stopping.settle()
    else:
        stopping.follow(original, None, None, home)
    kept = [{float(v) for B in stopping.best_blocks() for v in B[s].ravel()} for s in range(S)]
    return stopping, kept, epoch + 1


@pytest.mark.parametrize("patience", [2, 5, 12])
@pytest.mark.parametrize("min_delta", [0.0, 0.01])
@pytest.mark.parametrize("ring_bytes", [EarlyStopping.RING_BYTES, 1])
@pytest.mark.parametrize("shrink_after", [(), (5, 17, 30, 45)])
def test_stops_best_epochs_and_kept_copies_follow_keras(patience, min_delta, ring_bytes,
                                                        shrink_after, monkeypatch):
    # ring_bytes 1: a ring of two epochs, its copies put aside every time it goes round.
    monkeypatch.setattr(EarlyStopping, "RING_BYTES", ring_bytes)
    losses = _losses(8, 150, seed=patience)
    stops, bests = _keras(losses, patience, min_delta)
    assert len(set(stops)) >= 3  # the replicas stop at different epochs
    stopping, kept, run = _train(losses, patience, min_delta, shrink_after)
    assert np.array_equal(stopping.stop_epoch, stops)
    assert np.array_equal(stopping.best_epoch, bests)
    assert run == (stops.max() + 1 if (stops >= 0).all() else len(losses))
    for s, (best, values) in enumerate(zip(bests, kept)):
        if best >= 0:
            assert values == {1000.0 * best + s}  # every parameter from the best epoch
            assert stopping.best[s] == losses[best, s]


def test_a_replica_without_a_finite_loss_stops_after_patience_epochs():
    losses = np.full((30, 2), np.nan)
    losses[:, 1] = np.linspace(1, 0, 30)
    stopping, _, _ = _train(losses, 5, 0.0)
    assert stopping.stop_epoch.tolist() == [4, -1]
    assert stopping.best_epoch.tolist() == [-1, 29]
