"""The compiled loops (``nncore/_kernels.pyx``) give the bits of the numpy sequences they
replaced, and training with them gives the bits that training with numpy gave.

The reference is the engine's numpy code before the loops were compiled, kept here
verbatim (``NumpyAdam`` and the others): training is chaotic, so "close" would hide a
change that grows into a different metric after a few thousand epochs; the tests compare
bits. Special values (NaN, infinities, signed zeros, subnormals, huge and tiny numbers)
are included: a fused multiply-add, a reassociated sum or a division turned into a
multiplication by the reciprocal would show there.
"""
import math

import numpy as np
import pytest

import nncore
from nncore import _kernels, activations, optimizers

DTYPES = [np.float64, np.float32]


# -- the numpy code the loops replaced (nncore before the compiled loops) ----------------

class NumpyGD:
    def __init__(self, lr):
        self.lr = lr

    def update(self, params, grads):
        grads *= self.lr
        params -= grads


class NumpyMomentum:
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


class NumpyNesterov:
    def __init__(self, lr, momentum=0.9):
        self.lr, self.momentum = lr, momentum
        self.velocity = self.scratch = None

    def update(self, params, grads):
        if self.velocity is None:
            self.velocity = np.zeros_like(params)
            self.scratch = np.empty_like(params)
        grads *= self.lr
        self.velocity *= self.momentum
        self.velocity -= grads
        np.multiply(self.velocity, self.momentum, out=self.scratch)
        self.scratch -= grads
        params += self.scratch


class NumpyAdagrad:
    def __init__(self, lr, epsilon=1e-8):
        self.lr, self.epsilon = lr, epsilon
        self.accumulated = self.scratch = None

    def update(self, params, grads):
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


class NumpyAdam:
    def __init__(self, lr, beta1=0.9, beta2=0.999, epsilon=1e-8):
        self.lr, self.beta1, self.beta2, self.epsilon = lr, beta1, beta2, epsilon
        self.t = 0
        self.m = self.v = self.scratch = None

    def update(self, params, grads):
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


def numpy_tanh_backward(A, D, scratch):
    np.square(A, out=scratch)
    np.multiply(scratch, D, out=scratch)
    return np.subtract(D, scratch, out=D)


def numpy_sigmoid_backward(A, D, scratch):
    np.square(A, out=scratch)
    np.subtract(A, scratch, out=scratch)
    return np.multiply(D, scratch, out=D)


def numpy_relu_backward(A, D, scratch):
    np.greater(A, 0.0, out=scratch, casting="unsafe")
    return np.multiply(D, scratch, out=D)


PAIRS = [  # (nncore's optimizer, the numpy reference, options)
    (optimizers.GD, NumpyGD, {}),
    (optimizers.Momentum, NumpyMomentum, {"momentum": 0.9}),
    (optimizers.Nesterov, NumpyNesterov, {"momentum": 0.7}),
    (optimizers.Adagrad, NumpyAdagrad, {"epsilon": 1e-8}),
    (optimizers.Adam, NumpyAdam, {"beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}),
]
BACKWARDS = [("tanh", numpy_tanh_backward), ("sigmoid", numpy_sigmoid_backward),
             ("relu", numpy_relu_backward)]


def awkward_values(n, dtype, rng):
    """Ordinary values mixed with NaN, infinities, signed zeros, subnormals, extremes."""
    info = np.finfo(dtype)
    special = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, info.tiny / 4, -info.tiny / 3,
                        info.max, -info.max, info.eps, 1.0, -1.0, 1e-30, 3e30], dtype=dtype)
    x = (rng.standard_normal(n) * np.exp(rng.uniform(-8, 8, n))).astype(dtype)
    x[rng.choice(n, len(special), replace=False)] = special
    return x


def same_bits(a, b):
    return a.dtype == b.dtype and a.tobytes() == b.tobytes()


# -- each loop against its numpy sequence ------------------------------------------------

@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy on inf and NaN
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("ours, theirs, options", PAIRS, ids=lambda p: getattr(p, "__name__", ""))
@pytest.mark.parametrize("lr_kind", ["one", "per_replica"])
def test_each_optimizer_gives_the_bits_of_its_numpy_sequence(ours, theirs, options, dtype,
                                                             lr_kind):
    rng = np.random.default_rng(3)
    n = 301  # odd: a vector loop's remainder is exercised too
    if lr_kind == "one":
        lr = 0.037
    else:  # per replica, as engine.Stack.spread makes it: an array of the params' dtype
        lr = np.repeat(np.array([0.01, 0.3, 2.5, 1e-4, 7.0, 0.05, 1.0], dtype), 43)
    ours, theirs = ours(lr, **options), theirs(lr, **options)
    p_ours = awkward_values(n, dtype, rng)
    p_theirs = p_ours.copy()
    for step in range(12):
        grads = awkward_values(n, dtype, rng)
        if step % 3 == 0:  # most steps on ordinary numbers, so the state stays ordinary
            grads = (rng.standard_normal(n) * 0.1).astype(dtype)
        ours.update(p_ours, grads.copy())
        theirs.update(p_theirs, grads.copy())
        assert same_bits(p_ours, p_theirs), f"step {step}"


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy on inf and NaN
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, reference", BACKWARDS, ids=[b[0] for b in BACKWARDS])
def test_each_activation_derivative_gives_the_bits_of_its_numpy_sequence(name, reference,
                                                                         dtype):
    rng = np.random.default_rng(4)
    shape = (3, 7, 29)
    A = awkward_values(int(np.prod(shape)), dtype, rng).reshape(shape)
    if name != "relu":  # outputs of tanh and the sigmoid, plus the awkward ones
        A[0] = np.tanh(A[0]) if name == "tanh" else 1 / (1 + np.exp(-A[0]))
    D = awkward_values(A.size, dtype, rng).reshape(shape)
    want = reference(A, D.copy(), np.empty_like(A))
    got = activations.ACTIVATIONS[name].backward(A, D.copy(), np.empty_like(A))
    assert same_bits(got, want)


def test_a_loop_refuses_arrays_that_do_not_match():
    with pytest.raises(ValueError, match="one shape"):
        _kernels.tanh_backward(np.zeros((2, 3, 4)), np.zeros((2, 3, 5)))
    with pytest.raises(ValueError, match="1 or 5 values"):
        _kernels.gd(np.zeros(5), np.zeros(5), np.ones(3))
    with pytest.raises(ValueError, match="contiguous"):  # a copy would lose the result
        activations.ACTIVATIONS["tanh"].backward(np.zeros((2, 4, 6))[:, :, ::2],
                                                 np.zeros((2, 4, 3)), None)
    with pytest.raises(ValueError, match="dtype"):  # float32 with float64: no casting
        _kernels.tanh_backward(np.zeros((2, 3, 4), np.float32), np.zeros((2, 3, 4)))


# -- whole training runs ---------------------------------------------------------------

NUMPY_OPTIMIZERS = {"gd": NumpyGD, "momentum": NumpyMomentum, "adagrad": NumpyAdagrad,
                    "adam": NumpyAdam}


def _trained_bits(optimizer, activation, dtype):
    X = np.linspace(0, 1, 30).reshape(-1, 1)
    y = np.sin(2 * np.pi * X) + np.random.default_rng(0).normal(0, 0.1, X.shape)
    nets = nncore.fit_replicas([1, 6, 5, 1], X, y, seeds=range(4), activation=activation,
                               dtype=dtype, epochs=400, optimizer=optimizer,
                               lr=[0.01, 0.05, 0.002, 0.01])
    return b"".join(W.tobytes() + b.tobytes() for net in nets
                    for W, b in zip(net.weights, net.biases))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("optimizer, activation", [
    ("adam", "tanh"), ("gd", "sigmoid"), ("momentum", "relu"), ("adagrad", "tanh")])
def test_training_gives_the_bits_numpy_gave(optimizer, activation, dtype, monkeypatch):
    """400 epochs of four replicas with their own learning rates: every weight is the one
    the numpy optimizer and derivative give."""
    compiled = _trained_bits(optimizer, activation, dtype)
    monkeypatch.setitem(optimizers.OPTIMIZERS, optimizer, NUMPY_OPTIMIZERS[optimizer])
    monkeypatch.setitem(activations.ACTIVATIONS, activation, activations.Activation(
        activations.ACTIVATIONS[activation].forward, dict(BACKWARDS)[activation]))
    assert _trained_bits(optimizer, activation, dtype) == compiled


@pytest.mark.parametrize("dtype", [np.float16, np.longdouble, np.int64, "banana"])
def test_a_dtype_without_compiled_loops_is_refused_up_front(dtype):
    with pytest.raises(ValueError, match="dtype must be float64 or float32; got "):
        nncore.MLP([1, 3, 1], dtype=dtype)
