"""Early stopping for stacked replicas: each replica stops on its own validation loss.

Each replica's history ends at its stopping epoch and its parameters are the copy kept at
its best validation epoch (Keras' ``EarlyStopping(restore_best_weights=True)``). Replicas
that stopped leave the stack the engine trains (``nncore.shrink``), so the stack watched
may become a smaller one: ``follow`` says which replicas it holds. The counters stay over
the original replicas; the kept copies are in the layout of the stack watched (the
original one again after ``follow(stack, None)``).

This runs after every epoch of every stack, and on the sine nets a stack-epoch is a few
tens of microseconds, so each path takes the fewest numpy calls (each about 0.5 us): two
on a plateau, and a whole-buffer copy when some replicas improve (see ``_Kept``).
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
        # An improvement is a loss below the threshold (without min_delta: ``best`` itself).
        self._threshold = np.full(S, np.inf) if min_delta else self.best
        self._improved = np.empty(S, dtype=bool)
        # A replica trains from epoch 0 until it stops, and stops at its deadline
        # ``best_epoch + patience`` unless it improves first. Deadlines only move later, so
        # ``_next_stop`` is a lower bound of the earliest one until ``_check`` makes it
        # exact again: before it no replica can stop and ``update`` checks nothing.
        self._next_stop = patience - 1
        self._no_stop = np.zeros(S, dtype=bool)  # returned (never changed) while none stops
        self._original, self._rows = stack, None  # _rows: the original replicas watched
        self._all = stack.params.copy()  # the kept copies, in the original stack's layout
        self._kept = _Kept(stack, self._all)

    @property
    def stopped(self):
        """Boolean mask of the replicas that have stopped."""
        return self.stop_epoch >= 0

    def update(self, epoch, val_losses, training):
        """Record one epoch's validation losses of the replicas still ``training``.

        Called after every epoch (a replica's wait counts the epochs since its best).
        Returns the mask of replicas that stop after this epoch (do not modify it).
        """
        improved = np.less(val_losses, self._threshold, out=self._improved)
        if np.count_nonzero(improved):  # a third of the time of .any() on short arrays
            self._improve(epoch, val_losses, improved, training)
        if epoch < self._next_stop:
            return self._no_stop
        return self._check(epoch, training)

    def _improve(self, epoch, val_losses, improved, training):
        """Keep the improved replicas' losses, epochs and parameters."""
        improved &= training  # a replica that stopped may ride along a while (shrink.py)
        count = np.count_nonzero(improved)
        if not count:
            return
        np.copyto(self.best, val_losses, where=improved)  # a masked copy: no gathers
        if self.min_delta:
            np.subtract(val_losses, self.min_delta, out=self._threshold, where=improved)
        np.copyto(self.best_epoch, epoch, where=improved)
        if self._rows is None:
            self._kept.keep(improved, count)
        else:
            here = improved[self._rows]
            self._kept.keep(here, np.count_nonzero(here))

    def _check(self, epoch, training):
        """The replicas whose deadline has come; the next deadline made exact."""
        stop = training & (self.best_epoch <= epoch - self.patience)
        self.stop_epoch[stop] = epoch
        # A Python min over a short list: a quarter of numpy's masked reduction's time.
        going = [e for e, go in zip(self.best_epoch.tolist(), (training & ~stop).tolist())
                 if go]
        self._next_stop = min(going, default=epoch) + self.patience
        return stop

    def follow(self, stack, rows):
        """Watch ``stack`` from now on: a smaller stack holding the original replicas
        ``rows`` (increasing), in that order, or the original stack (``rows`` None).
        ``update`` still takes arrays over all of the original replicas."""
        kept = self._kept.gather()
        if self._rows is not None:  # the copies kept in the last stack's layout go home
            self._all[self._original.positions(self._rows)] = kept
        base = self._all if rows is None else self._all[self._original.positions(rows)]
        self._kept, self._rows = _Kept(stack, base), rows

    def best_blocks(self):
        """The parameter blocks as of each replica's best epoch (layout of ``stack.blocks``
        of the stack watched)."""
        self._kept.gather()
        return self._kept.blocks


class _Kept:
    """The best parameters of a stack's replicas, kept with as little copying as it takes.

    Copying only the improved replicas' parameters is a masked copy over the flat buffer,
    its mask spread from the replicas': on a large buffer about ten times the time of a
    plain copy of the whole buffer (13 us against 1.5 us for 10 replicas of
    ``[1, 25, 25, 1]``, 7,260 parameters). So when some but not all replicas of a large
    stack improve, the whole buffer is copied to a free row of a pool and the improved
    replicas note that row (``_row``); ``gather`` puts each replica's copy into ``base``
    when it is needed. A row is free when no replica notes it, so ``S + 1`` rows always
    suffice (``np.empty``: memory is taken only for the rows used). Below ``MASKED``
    parameters the masked copy is the cheaper one (about 1 us against 2.5 us).
    """

    MASKED = 1024

    def __init__(self, stack, base):
        self.params, self.base = stack.params, base
        self.blocks = blocks_of(base, [B.shape for B in stack.blocks])
        S = stack.n_replicas
        self._row = np.full(S, -1)  # -1: the replica's copy is in base
        self._spread = _replica_of(stack) if stack.params.size <= self.MASKED else None
        self._pool, self._free, self._pooled = None, 0, False
        self._all_rows = set(range(S + 1))

    def keep(self, improved, count):
        """Keep the current parameters of the replicas ``improved`` (a mask over them,
        ``count`` of them True)."""
        if count == len(improved):  # all of them (often, early on): one plain copy
            np.copyto(self.base, self.params)
            if self._pooled:
                self._row.fill(-1)
                self._pooled = False
        elif self._spread is not None:
            np.copyto(self.base, self.params, where=improved[self._spread])
        else:
            if self._pool is None:
                self._pool = np.empty((len(improved) + 1, self.params.size), self.params.dtype)
                self._pool_rows = list(self._pool)
                self._ids = list(np.arange(len(self._pool)))  # 0-d: no scalar conversion
            free = self._free
            np.copyto(self._pool_rows[free], self.params)
            np.copyto(self._row, self._ids[free], where=improved)
            self._pooled = True
            self._free = min(self._all_rows.difference(self._row.tolist()))

    def gather(self):
        """Put every replica's kept copy into ``base``; return it."""
        if self._pooled:
            pooled = np.flatnonzero(self._row >= 0)
            rows, start = self._row[pooled], 0
            for B in self.blocks:  # per layer: each replica's block from its row
                pool = self._pool[:, start : start + B.size].reshape((-1,) + B.shape)
                B[pooled] = pool[rows, pooled]
                start += B.size
            self._row.fill(-1)
            self._pooled = False
        return self.base


def _replica_of(stack):
    """The replica each entry of ``stack.params`` belongs to: ``mask[_replica_of(stack)]``
    spreads a mask over replicas to the flat buffer in one call."""
    flat = np.empty(stack.params.size, dtype=np.intp)
    for B in blocks_of(flat, [B.shape for B in stack.blocks]):
        B[...] = np.arange(len(B))[:, None, None]
    return flat
