"""Early stopping for stacked replicas: each replica stops on its own validation loss.

Each replica's history ends at its stopping epoch and its parameters are the copy kept at
its best validation epoch (Keras' ``EarlyStopping(restore_best_weights=True)``). Replicas
that stopped leave the stack the engine trains (``nncore.shrink``), so the stack watched
may become a smaller one: ``follow`` says which replicas it holds. The counters and the
kept copy stay those of the original stack.
"""
import numpy as np

from .engine import blocks_of


class EarlyStopping:
    """Per-replica patience counters and a copy of each replica's best parameters.

    Parameters
    ----------
    stack : engine.Stack
        The replicas; their best parameters are copied from ``stack.blocks``.
    patience : int
        Epochs without an improvement of the validation loss after which a replica
        stops: with patience 5 and a best epoch ``b``, it stops after epoch ``b + 5``.
    min_delta : float, default=0.0
        An improvement is a validation loss below the best so far minus ``min_delta``.

    Attributes
    ----------
    best : ndarray, shape (S,)
        Lowest validation loss of each replica so far (inf before the first finite one).
    best_epoch : ndarray of int, shape (S,)
        0-based epoch of ``best``; -1 while there is none.
    stop_epoch : ndarray of int, shape (S,)
        0-based epoch after which each replica stopped; -1 while it trains.
    """

    def __init__(self, stack, patience, min_delta=0.0):
        S = stack.n_replicas
        self.patience, self.min_delta = patience, min_delta
        self.best = np.full(S, np.inf)
        self.best_epoch = np.full(S, -1)
        self.stop_epoch = np.full(S, -1)
        self._wait = np.zeros(S, dtype=int)
        self._params, self._blocks = stack.params, stack.blocks
        self._rows = None  # the original replicas of the stack watched; None: all of them
        # The kept copy has the stack's layout: one flat buffer, blocks as views into it.
        self._best = stack.params.copy()
        self._best_blocks = blocks_of(self._best, [B.shape for B in stack.blocks])

    @property
    def stopped(self):
        """Boolean mask of the replicas that have stopped."""
        return self.stop_epoch >= 0

    def update(self, epoch, val_losses, training):
        """Record one epoch's validation losses of the replicas still ``training``.

        Returns the mask of replicas that stop after this epoch.
        """
        # A handful of calls on (S,) arrays per epoch: on tiny networks every numpy call
        # is a few percent of an epoch, so the common paths take the fewest.
        improved = np.less(val_losses, self.best - self.min_delta)
        improved &= training
        if improved.any():
            self.best[improved] = val_losses[improved]
            self.best_epoch[improved] = epoch
            self._wait[improved] = 0
            if self._rows is not None:  # a smaller stack: its replicas are these rows
                here = improved[self._rows]
                for B, kept in zip(self._blocks, self._best_blocks):
                    kept[self._rows[here]] = B[here]
            elif improved.all():  # early in training, the common case: one copy
                np.copyto(self._best, self._params)
            else:
                for B, kept in zip(self._blocks, self._best_blocks):
                    kept[improved] = B[improved]
        waiting = training & ~improved
        np.add(self._wait, waiting, out=self._wait)
        stop = np.greater_equal(self._wait, self.patience)
        stop &= waiting
        if stop.any():
            self.stop_epoch[stop] = epoch
        return stop

    def follow(self, stack, rows):
        """Watch ``stack`` from now on: a smaller stack holding the original replicas
        ``rows`` (increasing), in that order. ``update`` still takes arrays over all of
        the original replicas."""
        self._params, self._blocks, self._rows = stack.params, stack.blocks, rows

    def best_blocks(self):
        """The parameter blocks as of each replica's best epoch (layout of ``stack.blocks``)."""
        return self._best_blocks
