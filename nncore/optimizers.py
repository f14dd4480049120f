"""Optimizers: small stateful classes sharing one method, ``update(params, grads)``.

They update one flat parameter vector in place (every weight and bias of every replica
lives in one contiguous buffer, see ``engine.Stack``), so one update costs a handful of
ufunc calls whatever the depth. ``grads`` is scratch: optimizers may overwrite it.
The update rules follow scikit-learn's ``_stochastic_optimizers.py`` so that the same
hyper-parameters mean the same thing.

Each update is one compiled loop (``nncore._kernels``) doing exactly the arithmetic of the
numpy sequence in its docstring, rounded as numpy rounds it: an Adam update was 12 ufunc
calls, which on tiny networks cost more than the arithmetic. ``lr`` is a float, or an
array of one learning rate per parameter (``engine.Stack.spread``).
"""
import math

import numpy as np

from . import _kernels

_C_TYPES = {np.dtype(np.float64): "double", np.dtype(np.float32): "float"}


class _Compiled:
    """What every optimizer shares: its compiled loop (``kernel``, a name in
    ``nncore._kernels``) for the parameters' dtype, looked up once (picking it on every
    call costs about a microsecond) and never pickled (a lookup is not picklable)."""

    kernel = None
    _loop = None

    def _compiled(self, params):
        if self._loop is None:
            self._loop = getattr(_kernels, self.kernel)[_C_TYPES[params.dtype]]
        return self._loop

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_loop", None)
        return state


def _rates(lr, params):
    """``lr`` as the compiled loops take it: an array of the parameters' dtype, of length
    1 or one per parameter (a float is rounded to the dtype, as numpy does with it)."""
    return np.asarray(lr, dtype=params.dtype).reshape(-1)


class GD(_Compiled):
    """Plain gradient descent: ``w -= lr * grad``."""

    kernel = "gd"

    def __init__(self, lr):
        self.lr = lr

    def update(self, params, grads):
        # grads *= lr; params -= grads
        self._compiled(params)(params, grads, _rates(self.lr, params))


class Momentum(_Compiled):
    """Classical momentum: ``v = momentum * v - lr * grad; w += v``.

    scikit-learn's ``SGDOptimizer`` with ``nesterovs_momentum=False``.
    """

    kernel = "momentum"

    def __init__(self, lr, momentum=0.9):
        self.lr, self.momentum = lr, momentum
        self.velocity = None

    def update(self, params, grads):
        if self.velocity is None:
            self.velocity = np.zeros_like(params)
        # velocity *= momentum; grads *= lr; velocity -= grads; params += velocity
        self._compiled(params)(params, grads, self.velocity, _rates(self.lr, params),
                               self.momentum)


class Adagrad(_Compiled):
    """Adagrad: ``G += grad**2; w -= lr * grad / (sqrt(G) + eps)``."""

    kernel = "adagrad"

    def __init__(self, lr, epsilon=1e-8):
        self.lr, self.epsilon = lr, epsilon
        self.accumulated = None

    def update(self, params, grads):
        if self.accumulated is None:
            self.accumulated = np.zeros_like(params)
        # accumulated += grads * grads; grads /= sqrt(accumulated) + epsilon;
        # grads *= lr; params -= grads
        self._compiled(params)(params, grads, self.accumulated, _rates(self.lr, params),
                               self.epsilon)


class Adam(_Compiled):
    """Adam (Kingma and Ba, 2014) with scikit-learn's bias correction folded into the step.

    ``lr_t = lr * sqrt(1 - beta2**t) / (1 - beta1**t)``;
    ``w -= lr_t * m / (sqrt(v) + epsilon)``.
    """

    kernel = "adam"

    def __init__(self, lr, beta1=0.9, beta2=0.999, epsilon=1e-8):
        self.lr, self.beta1, self.beta2, self.epsilon = lr, beta1, beta2, epsilon
        self.t = 0
        self.m = self.v = None

    def update(self, params, grads):
        if self.m is None:
            self.m, self.v = np.zeros_like(params), np.zeros_like(params)
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        # As numpy computed it: a float lr_t in double precision; one per parameter in
        # the parameters' dtype (array * float / float).
        lr_t = self.lr * math.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        # m = m * b1 + grads * (1 - b1); v = v * b2 + grads * grads * (1 - b2);
        # params -= m / (sqrt(v) + epsilon) * lr_t
        self._compiled(params)(params, grads, self.m, self.v, _rates(lr_t, params), b1,
                               1 - b1, b2, 1 - b2, self.epsilon)


OPTIMIZERS = {"gd": GD, "momentum": Momentum, "adagrad": Adagrad, "adam": Adam}
"""Optimizer classes by name; each takes ``lr`` first, then its own keyword options."""


class Nesterov(_Compiled):
    """Nesterov's momentum: ``v = momentum * v - lr * grad; w += momentum * v - lr * grad``.

    scikit-learn's ``SGDOptimizer`` with ``nesterovs_momentum=True`` (its default), in the
    same order of operations. Not in ``OPTIMIZERS``: the scikit-learn estimators use it
    through ``solver="sgd"``.
    """

    kernel = "nesterov"

    def __init__(self, lr, momentum=0.9):
        self.lr, self.momentum = lr, momentum
        self.velocity = None

    def update(self, params, grads):
        if self.velocity is None:
            self.velocity = np.zeros_like(params)
        # grads *= lr; velocity *= momentum; velocity -= grads;
        # params += velocity * momentum - grads
        self._compiled(params)(params, grads, self.velocity, _rates(self.lr, params),
                               self.momentum)
