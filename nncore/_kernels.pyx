# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled element-wise loops of the engine: optimizer updates and activation derivatives.

On tiny networks a training step is dozens of numpy calls on a few hundred numbers each,
and each call costs more than its arithmetic (an Adam update was 12 ufunc calls). These
loops do the same arithmetic in one pass, and exactly the same arithmetic: every loop
performs the operations of the numpy sequence it replaced, in the same order, each
rounded to the array's dtype (IEEE addition, multiplication, division and square root
are correctly rounded, so one pass gives the bits that several ufunc calls gave). That is
why the module is compiled with ``-ffp-contract=off`` (no fused multiply-add, which rounds
once where numpy rounds twice) and ``cdivision`` (IEEE division: x / 0 is inf or NaN, as
in numpy, not a ZeroDivisionError). ``tests/nncore/test_kernels.py`` checks every loop
against its numpy sequence bit for bit, in float32 and float64, special values included.

Scalars take the array's dtype before use (a Python float meets a float32 array as a
float32 in numpy 2 as well). A learning rate ``lr`` is an array of length 1 (one for every
parameter) or of the parameters' length (one per replica, spread by ``engine.Stack``).

The matrix products and the transcendental functions (``tanh``, ``exp``) stay in numpy:
other implementations round differently, and training is chaotic enough that one unit in
the last place changes a metric after a few thousand epochs (``bench/RESULTS.md``).
"""
from libc.math cimport sqrt  # of a double; cast back: for a float it is then its own
                              # correctly rounded sqrt (float32 sqrt as numpy's)

ctypedef fused floating:
    float
    double


# -- optimizer updates (nncore.optimizers); grads is scratch and left unchanged ---------

def gd(floating[::1] params, const floating[::1] grads, const floating[::1] lr):
    """``grads *= lr; params -= grads``."""
    cdef Py_ssize_t i, n = params.shape[0], k = _step(lr, n)
    for i in range(n):
        params[i] = params[i] - grads[i] * lr[i * k]


def momentum(floating[::1] params, const floating[::1] grads, floating[::1] velocity,
             const floating[::1] lr, floating mu):
    """``velocity *= mu; grads *= lr; velocity -= grads; params += velocity``."""
    cdef Py_ssize_t i, n = params.shape[0], k = _step(lr, n)
    cdef floating v
    for i in range(n):
        v = velocity[i] * mu - grads[i] * lr[i * k]
        velocity[i] = v
        params[i] = params[i] + v


def nesterov(floating[::1] params, const floating[::1] grads, floating[::1] velocity,
             const floating[::1] lr, floating mu):
    """``grads *= lr; velocity *= mu; velocity -= grads; params += velocity * mu - grads``."""
    cdef Py_ssize_t i, n = params.shape[0], k = _step(lr, n)
    cdef floating g, v
    for i in range(n):
        g = grads[i] * lr[i * k]
        v = velocity[i] * mu - g
        velocity[i] = v
        params[i] = params[i] + (v * mu - g)


def adagrad(floating[::1] params, const floating[::1] grads, floating[::1] accumulated,
            const floating[::1] lr, floating epsilon):
    """``accumulated += grads**2; params -= grads / (sqrt(accumulated) + epsilon) * lr``."""
    cdef Py_ssize_t i, n = params.shape[0], k = _step(lr, n)
    cdef floating g, a
    for i in range(n):
        g = grads[i]
        a = accumulated[i] + g * g
        accumulated[i] = a
        params[i] = params[i] - (g / (<floating>sqrt(a) + epsilon)) * lr[i * k]


def adam(floating[::1] params, const floating[::1] grads, floating[::1] m, floating[::1] v,
         const floating[::1] lr_t, floating beta1, floating one_minus_beta1, floating beta2,
         floating one_minus_beta2, floating epsilon):
    """``m = m * beta1 + grads * (1 - beta1)``; ``v = v * beta2 + grads**2 * (1 - beta2)``;
    ``params -= m / (sqrt(v) + epsilon) * lr_t`` (``lr_t``: the bias-corrected rate)."""
    cdef Py_ssize_t i, n = params.shape[0], k = _step(lr_t, n)
    cdef floating g, mi, vi
    for i in range(n):
        g = grads[i]
        mi = m[i] * beta1 + g * one_minus_beta1
        vi = v[i] * beta2 + (g * g) * one_minus_beta2
        m[i] = mi
        v[i] = vi
        params[i] = params[i] - (mi / (<floating>sqrt(vi) + epsilon)) * lr_t[i * k]


cdef inline Py_ssize_t _step(const floating[::1] lr, Py_ssize_t n) except -1:
    if lr.shape[0] == 1:
        return 0
    if lr.shape[0] != n:
        raise ValueError(f"lr must hold 1 or {n} values; got {lr.shape[0]}")
    return 1


# -- activation derivatives (nncore.activations), from the activation's output ----------
# A and D are (replicas, width, samples) arrays of one shape, each row contiguous (the
# engine's buffers and their row views); D is multiplied in place.

def tanh_backward(const floating[:, :, ::1] A, floating[:, :, ::1] D):
    """``D -= D * A**2``, i.e. ``D *= 1 - A**2``."""
    cdef Py_ssize_t s, i, j
    cdef floating a
    _same(A, D)
    for s in range(A.shape[0]):
        for i in range(A.shape[1]):
            for j in range(A.shape[2]):
                a = A[s, i, j]
                D[s, i, j] = D[s, i, j] - (a * a) * D[s, i, j]


def sigmoid_backward(const floating[:, :, ::1] A, floating[:, :, ::1] D):
    """``D *= A - A**2``, i.e. ``D *= A * (1 - A)``."""
    cdef Py_ssize_t s, i, j
    cdef floating a
    _same(A, D)
    for s in range(A.shape[0]):
        for i in range(A.shape[1]):
            for j in range(A.shape[2]):
                a = A[s, i, j]
                D[s, i, j] = D[s, i, j] * (a - a * a)


def relu_backward(const floating[:, :, ::1] A, floating[:, :, ::1] D):
    """``D *= (A > 0)``: subgradient 0 at 0, as scikit-learn's."""
    cdef Py_ssize_t s, i, j
    _same(A, D)
    for s in range(A.shape[0]):
        for i in range(A.shape[1]):
            for j in range(A.shape[2]):
                D[s, i, j] = D[s, i, j] * (<floating>1 if A[s, i, j] > 0 else <floating>0)


cdef inline int _same(const floating[:, :, ::1] A, floating[:, :, ::1] D) except -1:
    if A.shape[0] != D.shape[0] or A.shape[1] != D.shape[1] or A.shape[2] != D.shape[2]:
        raise ValueError(f"A and D must have one shape; got "
                         f"{(A.shape[0], A.shape[1], A.shape[2])} and "
                         f"{(D.shape[0], D.shape[1], D.shape[2])}")
    return 0
