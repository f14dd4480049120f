"""Stacks that shrink: replicas that stopped or diverged leave the stack being trained.

A replica that stopped early (``stopping.EarlyStopping``) or whose loss became non-finite
no longer counts, but as long as it stays in the stack every product still computes it:
an epoch of ``S`` stacked replicas costs about ``a + b * S``. ``Survivors`` trains a
smaller stack instead, holding only the replicas still training, and keeps everything
shaped by their number in step with it: the network's per-replica L2, the optimizer's
state, the mini-batch orders (each survivor keeps its own generator, so its order goes on
as if it trained alone) and the engine's workspaces. Every replica's arithmetic is the
same in any stack, so each one's numbers are what they were, bit for bit (with a shared
batch order, to rounding: the first layer's one product changes size).

The caller's stack and optimizer are left alone while a smaller one trains, and get every
replica's state back (``finish``): a replica that left holds its state as of its last
epoch, a survivor its state at the end.
"""
import copy

import numpy as np

from .minibatch import Batches


def worth_shrinking(left, size):
    """Whether ``left`` of a stack's ``size`` replicas no longer training are worth a new stack.

    Measured on the sine nets (``bench/validation_cost.py``, ``bench/RESULTS.md``): a new
    stack costs a few epochs of the old one in place (the kept parameters and the
    optimizer's state gathered, new workspaces), and every replica dropped saves its
    share ``b`` of each later epoch (2-18 us there, against about 40 us of fixed cost per
    epoch); a replica that stops rides along until the stack shrinks. On stacks of 10,
    shrinking at every stop (390 new stacks for 52) beat waiting for a quarter of the
    stack (286 new stacks, and 7,764 replica-epochs computed for replicas that had
    stopped): the early-stopping ratio 1.22-1.25x against 1.25-1.28x, three runs each.
    An eighth bounds the rebuilds of a large stack whose replicas stop one at a time (24
    for 50 seeds, not 49; the quarter: 13).
    """
    return left >= max(1, size // 8)


class Survivors:
    """The replicas still training, and the stack, network, optimizer and batches they use.

    Parameters
    ----------
    net : engine.Network
    stack : stack.Stack
        The caller's stack: it holds every replica again after ``finish``.
    optimizer : an ``optimizers`` class instance
        The caller's; likewise. One without ``take`` (e.g. scikit-learn's Nesterov) keeps
        every replica in the stack.
    stopping : stopping.EarlyStopping or None
        Told which replicas the stack holds when it shrinks.
    batching : tuple or None
        ``(rows, Y, batch_size, rngs, shared)`` for mini-batches, ``rows`` a
        ``minibatch.Rows`` (``minibatch.Batches``'s arguments), None for full batches.

    Attributes
    ----------
    net, stack, optimizer, batches, workspaces
        What to train this epoch with (``workspaces`` by batch size, for ``engine.Workspace``).
    training : ndarray of bool (S,)
        Over the original replicas: neither stopped nor diverged.
    diverged : dict
        ``{replica: (epoch, weights, biases)}``, as ``engine.train`` returns it.
    cols : slice or ndarray of int
        Where this stack's replicas sit in arrays over all of the original ones.
    """

    def __init__(self, net, stack, optimizer, stopping=None, batching=None):
        self.net, self.stack, self.optimizer = net, stack, optimizer
        self._original, self._stopping, self._batching = (stack, optimizer), stopping, batching
        self.training, self.diverged = np.ones(stack.n_replicas, dtype=bool), {}
        self.rows = np.arange(stack.n_replicas)  # the original replicas this stack holds
        self._home = None  # where its parameters sit in the caller's stack; None: it is it
        self.cols = slice(None)  # all of them: history rows are written as they always were
        self.workspaces, self.batches = {}, self._batches()

    def _batches(self):
        if self._batching is None:
            return None
        rows, Y, batch_size, rngs, shared = self._batching
        S = len(self.rows)
        if not shared:  # each replica's own generator, in its state so far
            rngs = [rngs[r] for r in self.rows]
        return Batches(rows, Y, batch_size, rngs, shared and S > 1, S)

    def diverge(self, epoch, losses):
        """Mark the training replicas whose loss (over all replicas) is non-finite as
        diverged, keeping their parameters; return whether any did."""
        bad = self.training & ~np.isfinite(losses)
        if self._stopping is not None and bad.any():
            self._stopping.leave(bad)
        for s in np.flatnonzero(bad):
            here = s if isinstance(self.cols, slice) else int(np.searchsorted(self.rows, s))
            self.diverged[int(s)] = (epoch, *self.stack.get_replica(here))
        self.training &= ~bad
        return bool(bad.any())

    def spread(self, values):
        """``values`` over this stack's replicas ``(S_here, ...)`` as an array over all of
        them, NaN where a replica has left."""
        if len(self.rows) == len(self.training):
            return values
        out = np.full((len(self.training),) + values.shape[1:], np.nan)
        out[self.rows] = values
        return out

    def shrink(self):
        """Train only the replicas still training from now on, if ``worth_shrinking``."""
        here = self.training[self.rows]
        keep = np.flatnonzero(here)
        if (not worth_shrinking(len(here) - len(keep), len(here)) or not len(keep)
                or not hasattr(self.optimizer, "take")):
            return
        self._write_back()
        positions = self.stack.positions(keep)
        self.stack = self.stack.take(keep, positions)
        self.optimizer = self.optimizer.take(lambda flat: flat[positions])
        self.net = _taken_network(self.net, positions, keep)
        self.rows = self.rows[keep]
        self.cols = self.rows
        self.workspaces, self.batches = {}, self._batches()
        if self._stopping is not None:
            self._stopping.follow(self.stack, self.rows, positions, self._home)
        # The caller's positions of the new stack's parameters: one gather (the caller's
        # stack.positions(self.rows), without building them).
        self._home = positions if self._home is None else self._home[positions]

    def finish(self):
        """Give the caller's stack and optimizer every replica's state."""
        self._write_back()
        if self._stopping is None:
            return
        if self._home is None:
            self._stopping.settle()
        else:
            self._stopping.follow(self._original[0], None, None, self._home)

    def _write_back(self):
        if self._home is None:  # the caller's stack is the one trained
            return
        stack, optimizer = self._original
        home = self._home
        stack.params[home] = self.stack.params
        optimizer.put(self.optimizer, lambda mine, theirs: mine.__setitem__(home, theirs))


def _taken_network(net, positions, keep):
    """``net`` for the replicas ``keep`` (at ``positions`` of the flat parameters): its
    per-replica L2 sliced like them."""
    if net.l2_params is None:  # one L2 for all (or none): nothing per replica
        return net
    taken = copy.copy(net)
    taken.l2 = net.l2[keep]
    taken.l2_params, taken.l2_where = net.l2_params[positions], net.l2_where[positions]
    return taken
