"""Optimizers: small stateful classes sharing one method, ``update(params, grads)``.

They update one flat parameter vector in place (every weight and bias of every replica
lives in one contiguous buffer, see ``engine.Stack``), so one update costs a handful of
ufunc calls whatever the depth. ``grads`` is scratch: optimizers may overwrite it.
The update rules follow scikit-learn's ``_stochastic_optimizers.py`` so that the same
hyper-parameters mean the same thing.

Their per-parameter state (and ``lr`` when it is one value per replica, spread over the
buffer) lists in ``STATE``, laid out like the parameters along its last axis: the engine
slices it with ``take`` when replicas leave a stack (``nncore.shrink``) and writes it
back with ``put``. Buffers that hold nothing between updates list in ``SCRATCH``: a
``take`` makes its own at its first update, and ``put`` leaves the caller's alone.
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
        (``select`` is e.g. ``lambda flat: np.take(flat, stack.positions(kept), axis=-1)``, as
        ``shrink`` does: the state's last axis is laid out like the parameters)."""
        taken = copy.copy(self)
        for name in self.STATE:
            value = getattr(self, name)
            if isinstance(value, np.ndarray):
                setattr(taken, name, select(value))
        for name in self.SCRATCH:  # sized by the parameters: made afresh (gathering
            setattr(taken, name, None)  # Adam's on every shrink was a fifth of its cost)
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

    ``moments`` holds ``m`` and ``v`` as its two rows, so that their decay and their
    increments are one call each (on the sine nets a step is ~30 calls of ~1 us: the
    update took 12 of them). Every element's arithmetic is that of the two moments
    updated one after the other.
    """

    STATE = ("lr", "moments")  # the step count ``t`` is shared by all replicas
    SCRATCH = ("scratch", "_rows")

    def __init__(self, lr, beta1=0.9, beta2=0.999, epsilon=1e-8):
        self.lr, self.beta1, self.beta2, self.epsilon = lr, beta1, beta2, epsilon
        self.t = 0
        self.moments = self.scratch = self._rows = None

    @property
    def m(self):
        """The first moment (a view of ``moments``), None before the first update."""
        return None if self.moments is None else self.moments[0]

    @property
    def v(self):
        """The second moment (a view of ``moments``), None before the first update."""
        return None if self.moments is None else self.moments[1]

    def _start(self, params):
        """Make the moments (zero) if there are none, the scratch and their row views."""
        if self.moments is None:
            self.moments = np.zeros((2,) + params.shape, params.dtype)
        self.moments = np.ascontiguousarray(self.moments)  # a take's rows may be strided
        self.scratch = np.empty_like(self.moments)
        b1, b2 = self.beta1, self.beta2
        # Decays and increments per row, in the parameters' dtype as the scalars were.
        self._rows = (np.array([[b1], [b2]], params.dtype),
                      np.array([[1 - b1], [1 - b2]], params.dtype),
                      self.moments[0], self.moments[1], self.scratch[0], self.scratch[1])

    def update(self, params, grads):
        if self.scratch is None:
            self._start(params)
        self.t += 1
        decay, increment, m, v, s, s_v = self._rows
        moments, scratch = self.moments, self.scratch
        moments *= decay  # m *= b1, v *= b2
        np.copyto(s, grads)
        np.multiply(grads, grads, out=s_v)
        scratch *= increment  # grad * (1 - b1), grad**2 * (1 - b2)
        moments += scratch
        b1, b2 = self.beta1, self.beta2
        lr_t = self.lr * math.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        np.sqrt(v, out=s)
        s += self.epsilon
        np.divide(m, s, out=s)
        s *= lr_t
        params -= s


OPTIMIZERS = {"gd": GD, "momentum": Momentum, "adagrad": Adagrad, "adam": Adam}
"""Optimizer classes by name; each takes ``lr`` first, then its own keyword options."""

