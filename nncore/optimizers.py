"""Optimizers: small stateful classes sharing one method, ``update(params, grads)``.

They update one flat parameter vector in place (every weight and bias of every replica
lives in one contiguous buffer, see ``engine.Stack``), so one update costs a handful of
ufunc calls whatever the depth. ``grads`` is scratch: optimizers may overwrite it.
The update rules follow scikit-learn's ``_stochastic_optimizers.py`` so that the same
hyper-parameters mean the same thing.

Their per-parameter state (and ``lr`` when it is one value per replica, spread over the
buffer) lists in ``STATE``: the engine slices it with ``take`` when replicas leave a
stack (``nncore.shrink``) and writes it back with ``put``. Buffers that hold nothing
between updates list in ``SCRATCH``: a ``take`` makes its own at its first update, and
``put`` leaves the caller's alone.
"""
import copy
import math

import numpy as np


class _Optimizer:
    """What every optimizer shares: its per-parameter state can follow a shrinking stack."""

    STATE = ("lr",)  # attributes laid out like the parameters (when they are arrays)
    SCRATCH = ()  # attributes rebuilt by ``update`` when None: no state, not carried over

    def take(self, select):
        """A copy whose per-parameter state is ``select(state)``: the kept replicas' entries
        (``select`` is e.g. ``lambda flat: flat[stack.positions(kept)]``, as ``shrink`` does)."""
        taken = copy.copy(self)
        for name in self.STATE:
            value = getattr(self, name)
            if isinstance(value, np.ndarray):
                setattr(taken, name, select(value))
        for name in self.SCRATCH:  # sized by the parameters: made afresh, not gathered
            setattr(taken, name, None)
        return taken

    def put(self, taken, put):
        """Write ``taken``'s state (a ``take`` of this one, trained since) back into this one:
        ``put(mine, theirs)`` for each per-parameter array, shared scalars (a step count) as
        they are."""
        for name, value in vars(taken).items():
            if name in self.SCRATCH:
                continue
            mine = getattr(self, name)
            if name not in self.STATE:
                setattr(self, name, value)
            elif isinstance(value, np.ndarray):
                put(mine, value)


class GD(_Optimizer):
    """Plain gradient descent: ``w -= lr * grad``."""

    def __init__(self, lr):
        self.lr = lr

    def update(self, params, grads):
        grads *= self.lr
        params -= grads


class Momentum(_Optimizer):
    """Classical momentum: ``v = momentum * v - lr * grad; w += v``.

    scikit-learn's ``SGDOptimizer`` with ``nesterovs_momentum=False``.
    """

    STATE = ("lr", "velocity")

    def __init__(self, lr, momentum=0.9):
        self.lr, self.momentum = lr, momentum
        self.velocity = None

    def update(self, params, grads):
        if self.velocity is None:
            self.velocity = np.zeros_like(params)
        self.velocity *= self.momentum
        grads *= self.lr
        self.velocity -= grads
        params += self.velocity


class Adagrad(_Optimizer):
    """Adagrad: ``G += grad**2; w -= lr * grad / (sqrt(G) + eps)``."""

    STATE = ("lr", "accumulated")
    SCRATCH = ("scratch",)

    def __init__(self, lr, epsilon=1e-8):
        self.lr, self.epsilon = lr, epsilon
        self.accumulated = self.scratch = None

    def update(self, params, grads):
        if self.scratch is None:
            if self.accumulated is None:
                self.accumulated = np.zeros_like(params)
            self.scratch = np.empty_like(params)
        np.multiply(grads, grads, out=self.scratch)
        self.accumulated += self.scratch
        np.sqrt(self.accumulated, out=self.scratch)
        self.scratch += self.epsilon
        grads /= self.scratch
        grads *= self.lr
        params -= grads


class Adam(_Optimizer):
    """Adam (Kingma and Ba, 2014) with scikit-learn's bias correction folded into the step.

    ``lr_t = lr * sqrt(1 - beta2**t) / (1 - beta1**t)``;
    ``w -= lr_t * m / (sqrt(v) + epsilon)``.
    """

    STATE = ("lr", "m", "v")  # the step count ``t`` is shared by all replicas
    SCRATCH = ("scratch",)

    def __init__(self, lr, beta1=0.9, beta2=0.999, epsilon=1e-8):
        self.lr, self.beta1, self.beta2, self.epsilon = lr, beta1, beta2, epsilon
        self.t = 0
        self.m = self.v = self.scratch = None

    def update(self, params, grads):
        # m and v as the two rows of one buffer, each step's decay and increment one call
        # for both, measured slower: a (2, 1) operand costs more per element than a scalar.
        if self.scratch is None:
            if self.m is None:
                self.m, self.v = np.zeros_like(params), np.zeros_like(params)
            self.scratch = np.empty_like(params)
        self.t += 1
        b1, b2, s = self.beta1, self.beta2, self.scratch
        self.m *= b1
        np.multiply(grads, 1 - b1, out=s)
        self.m += s
        self.v *= b2
        np.multiply(grads, grads, out=s)
        s *= 1 - b2
        self.v += s
        lr_t = self.lr * math.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        np.sqrt(self.v, out=s)
        s += self.epsilon
        np.divide(self.m, s, out=s)
        s *= lr_t
        params -= s


OPTIMIZERS = {"gd": GD, "momentum": Momentum, "adagrad": Adagrad, "adam": Adam}
"""Optimizer classes by name; each takes ``lr`` first, then its own keyword options."""

