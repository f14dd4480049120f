"""Early stopping for stacked replicas: each replica stops on its own validation loss.

Each replica's history ends at its stopping epoch and its parameters are the copy kept at
its best validation epoch (Keras' ``EarlyStopping(restore_best_weights=True)``). Replicas
that stopped leave the stack the engine trains (``nncore.shrink``), so the stack watched
may become a smaller one: ``follow`` says which replicas it holds. The counters stay over
the original replicas; the kept copies are in the layout of the stack watched (the
original one again after ``follow(stack, None, None, home)``).

This runs after every epoch of every stack, where an epoch of the sine nets is a few tens
of microseconds, so an epoch's work here is one copy: the parameters go into a ring of the
last ``patience + 1`` epochs. A replica that still trains has its best epoch among them
(else it would have stopped), so its best parameters are still in the ring. The rule
itself (Keras': a loss below the best so far minus ``min_delta`` is an improvement) runs
over the engine's validation history only at the next epoch at which some replica could
stop, the earliest deadline ``best_epoch + patience``, for all the epochs since at once;
in between no replica can stop. Keeping each replica's copy as it improved took eight
numpy calls an epoch (one masked copy of 7,260 parameters alone 13 us, a plain copy of
them 1.5 us); the rule now runs 764 times for the 49,824 stack-epochs of
``bench/validation_cost.py``.
"""

import numpy as np

from .engine import blocks_of


class EarlyStopping:
    """Per-replica patience counters and a copy of each replica's best parameters.

    Parameters
    ----------
    stack : engine.Stack
        The replicas; their best parameters are copied from ``stack.params``.
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

    ``best`` and ``best_epoch`` are brought up to date when a replica could stop and by
    ``settle`` (``shrink.Survivors`` calls it when training ends).
    """

    RING_BYTES = 64 * 2**20
    """At most this much memory for the ring of parameters: a smaller ring (at least two
    epochs) puts the replicas' best copies aside every time it has gone round."""

    def __init__(self, stack, patience, min_delta=0.0):
        S = stack.n_replicas
        self.patience, self.min_delta = patience, min_delta
        self.best = np.full(S, np.inf)
        self.best_epoch = np.full(S, -1)
        self.stop_epoch = np.full(S, -1)
        self._K = int(max(2, min(patience + 1, self.RING_BYTES // stack.params.nbytes)))
        self._history, self._replicas = None, np.arange(S)
        self._flat = np.empty(self._K * stack.params.size, stack.params.dtype)
        self._going = np.ones(S, dtype=bool)  # neither stopped nor left (diverged)
        self._epoch = self._scanned = -1  # the last epoch recorded, and ruled on
        self._next_check = min(patience, self._K) - 1  # no deadline is earlier
        self._rows = None  # the original replicas the stack watched holds; None: all
        self._all = stack.params.copy()  # the kept copies, in the original stack's layout
        self._watch(stack, self._all, 0)

    @property
    def stopped(self):
        """Boolean mask of the replicas that have stopped."""
        return self.stop_epoch >= 0

    def update(self, epoch, val_history, training):
        """Take note of one epoch, after its step, of the replicas still ``training``.

        Called after every epoch with the stack's parameters after it and the validation
        losses so far, ``val_history`` ``(epochs, S)`` over the original replicas (rows up
        to ``epoch`` filled; the same array every epoch). Returns the mask of the replicas
        that stop after this epoch, or None when none does.
        """
        self._ring[epoch % self._K] = self._params  # half of np.copyto's time (dispatch)
        self._epoch, self._history = epoch, val_history
        if epoch < self._next_check:
            return None
        return self._check(epoch, training)

    def _check(self, epoch, training):
        """Rule on the epochs since the last check; stop the replicas whose deadline came."""
        self._scan(epoch)
        going = self._going & training
        stop = going & (self.best_epoch <= epoch - self.patience)
        self.stop_epoch[stop] = epoch
        self._going &= ~stop
        # The copies of the replicas that stop, or with a short ring all, go aside.
        self._put_aside(stop if self._K > self.patience else going)
        stopping = bool(np.count_nonzero(stop))
        # A Python min over a short list: a quarter of numpy's masked reduction's time.
        left = [e for e, go in zip(self.best_epoch.tolist(), self._going.tolist()) if go]
        self._next_check = min(left, default=epoch) + self.patience
        if self._K <= self.patience:  # put aside again before the ring comes round
            self._start = epoch + 1
            self._next_check = min(self._next_check, epoch + self._K)
        return stop if stopping else None

    def leave(self, replicas):
        """The replicas (a mask) left training before this epoch's ``update`` (diverged):
        none of their later losses counts."""
        self._scan(self._epoch)
        self._put_aside(replicas & self._going)
        self._going &= ~replicas

    def settle(self):
        """Rule on every epoch recorded and put every best copy into ``best_blocks``."""
        self._scan(self._epoch)
        self._put_aside(self._going)
        self._start = self._epoch + 1

    def follow(self, stack, rows, taken, home):
        """Watch ``stack`` from now on: a smaller stack holding the original replicas
        ``rows`` (increasing), in that order, or the original stack (``rows`` None).
        ``update`` still takes arrays over all of the original replicas.

        ``taken`` is where ``stack``'s parameters sit in the flat buffer of the stack
        watched so far (``Stack.positions``; None: back to the original), ``home`` where
        that stack's sit in the original's (None: it is the original).
        """
        self.settle()
        if home is not None:  # the copies kept in the last stack's layout go home
            self._all[home] = self._base
        base = self._all if taken is None else self._base[taken]
        self._rows = rows
        self._watch(stack, base, self._epoch + 1)

    def best_blocks(self):
        """The parameter blocks as of each replica's best epoch (layout of ``stack.blocks``
        of the stack watched)."""
        self.settle()
        return self._blocks

    def _watch(self, stack, base, start):
        """Keep copies in ``stack``'s layout: ``base`` holds each replica's best copy up
        to epoch ``start``, the ring those of the epochs from ``start`` on."""
        self._params, self._base, self._start = stack.params, base, start
        shapes = [B.shape for B in stack.blocks]
        self._blocks = blocks_of(base, shapes)
        self._ring = self._flat[: self._K * stack.params.size].reshape(self._K, -1)
        # Each layer's blocks of every ring row: (K, S_here, fan_out, fan_in + 1).
        self._ring_blocks = blocks_of(self._ring, shapes)
        self._here = np.full(len(self.best), -1)  # original replica -> its place here
        self._here[self._replicas if self._rows is None else self._rows] = \
            np.arange(stack.n_replicas)

    def _put_aside(self, replicas):
        """Copy the best parameters of ``replicas`` (a mask over the original ones) kept
        in the ring into ``base``."""
        take = np.flatnonzero(replicas & (self.best_epoch >= self._start))
        if not len(take):
            return
        slots, here = self.best_epoch[take] % self._K, self._here[take]
        for B, ring in zip(self._blocks, self._ring_blocks):
            B[here] = ring[slots, here]

    def _scan(self, last):
        """Apply the rule to the epochs after the last scanned up to ``last``."""
        first = self._scanned + 1
        if last < first:
            return
        self._scanned = last
        window = self._history[first : last + 1]  # (epochs, S)
        if self.min_delta:
            self._scan_loop(window, first, np.flatnonzero(self._going))
            return
        # Without min_delta the rule keeps the first epoch of the window's lowest loss if
        # it is below the best so far. argmin (a third of the time of min over this axis)
        # finds the first lowest, or the first NaN: those replicas go epoch by epoch.
        at = window.argmin(axis=0)
        low = window[at, self._replicas]
        better = np.flatnonzero((low < self.best) & self._going)
        if len(better):
            self.best[better] = low[better]
            self.best_epoch[better] = first + at[better]
        nan = np.flatnonzero(np.isnan(low) & self._going)
        if len(nan):
            self._scan_loop(window, first, nan)

    def _scan_loop(self, window, first, replicas):
        """The rule epoch by epoch for ``replicas``: a loss below the best so far minus
        ``min_delta`` (computed as the rule does, bit for bit) improves it."""
        for s in replicas.tolist():
            best, at = None, None
            bar = self.best[s] - self.min_delta
            for i, value in enumerate(window[:, s].tolist()):
                if value < bar:  # never for NaN
                    best, at, bar = value, i, value - self.min_delta
            if at is not None:
                self.best[s], self.best_epoch[s] = best, first + at
