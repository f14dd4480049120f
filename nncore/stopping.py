"""Early stopping for stacked replicas: each replica stops on its own validation loss.

Each replica's history ends at its stopping epoch and its parameters are the copy kept at
its best validation epoch (Keras' ``EarlyStopping(restore_best_weights=True)``). Replicas
that stopped leave the stack the engine trains (``nncore.shrink``), so the stack watched
may become a smaller one: ``follow`` says which replicas it holds. The counters stay over
the original replicas; the kept copy is in the layout of the stack watched (the original
one again after ``follow(stack, None)``).
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
        # A replica trains from epoch 0 until it stops and is updated after every epoch,
        # so its wait is ``epoch - best_epoch``: it stops at its deadline
        # ``best_epoch + patience`` unless it improves first. Until the earliest deadline
        # of the replicas training, no replica can stop and ``update`` checks nothing.
        # An improvement is a loss below the threshold (without min_delta: ``best`` itself).
        self._threshold = self.best - min_delta if min_delta else self.best
        self._deadline = self.best_epoch + patience
        self._next_stop = patience - 1
        self._no_stop = np.zeros(S, dtype=bool)  # returned (never changed) while none stops
        self._stack, self._params, self._blocks = stack, stack.params, stack.blocks
        self._rows = None  # the original replicas of the stack watched; None: all of them
        # The kept copy has the stack's layout: one flat buffer, blocks as views into it;
        # while a smaller stack trains, its replicas' copies are gathered in its layout.
        self._all = self._best = stack.params.copy()
        self._best_blocks = blocks_of(self._best, [B.shape for B in stack.blocks])
        self._replica_of = _replica_of(stack)

    @property
    def stopped(self):
        """Boolean mask of the replicas that have stopped."""
        return self.stop_epoch >= 0

    def update(self, epoch, val_losses, training):
        """Record one epoch's validation losses of the replicas still ``training``.

        Called after every epoch (a replica's wait counts the epochs since its best).
        Returns the mask of replicas that stop after this epoch (do not modify it).
        """
        # On tiny networks every numpy call is a few percent of an epoch (a stack of one
        # that no longer improves pays three here), so the common paths take the fewest.
        improved = np.less(val_losses, self._threshold)
        improved &= training
        if np.count_nonzero(improved):  # a third of the time of .any() on short arrays
            self._improve(epoch, val_losses, improved)
        if epoch < self._next_stop:
            return self._no_stop
        stop = training & (self._deadline <= epoch)
        self._deadline[~training | stop] = np.iinfo(self._deadline.dtype).max
        self._next_stop = min(self._deadline.tolist())  # a quarter of .min()'s time
        self.stop_epoch[stop] = epoch
        return stop

    def _improve(self, epoch, val_losses, improved):
        """Keep the improved replicas' losses and parameters; push their deadlines back."""
        # One masked copy per array: two fewer calls each than gathering and scattering.
        np.copyto(self.best, val_losses, where=improved)
        if self.min_delta:
            np.subtract(val_losses, self.min_delta, out=self._threshold, where=improved)
        np.copyto(self.best_epoch, epoch, where=improved)
        np.copyto(self._deadline, epoch + self.patience, where=improved)
        if self._rows is not None:  # a smaller stack: its replicas are these rows
            improved = improved[self._rows]
        # Every replica of the stack improved (early in training, often): one copy.
        if np.count_nonzero(improved) == len(improved):
            np.copyto(self._best, self._params)
            self._next_stop = epoch + self.patience  # the deadline of every one training
            return
        self._next_stop = min(self._deadline.tolist())
        np.copyto(self._best, self._params, where=improved[self._replica_of])

    def follow(self, stack, rows):
        """Watch ``stack`` from now on: a smaller stack holding the original replicas
        ``rows`` (increasing), in that order, or the original stack (``rows`` None).
        ``update`` still takes arrays over all of the original replicas."""
        if self._rows is not None:  # the copies kept in the last stack's layout go home
            self._all[self._stack.positions(self._rows)] = self._best
        self._best = self._all if rows is None else self._all[self._stack.positions(rows)]
        self._best_blocks = blocks_of(self._best, [B.shape for B in stack.blocks])
        self._replica_of = _replica_of(stack)
        self._params, self._blocks, self._rows = stack.params, stack.blocks, rows

    def best_blocks(self):
        """The parameter blocks as of each replica's best epoch (layout of ``stack.blocks``
        of the stack watched)."""
        return self._best_blocks


def _replica_of(stack):
    """The replica each entry of ``stack.params`` belongs to: ``mask[_replica_of(stack)]``
    spreads a mask over replicas to the flat buffer in one call."""
    flat = np.empty(stack.params.size, dtype=np.intp)
    for B in blocks_of(flat, [B.shape for B in stack.blocks]):
        B[...] = np.arange(len(B))[:, None, None]
    return flat
