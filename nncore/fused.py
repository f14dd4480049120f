"""Plain gradient descent fused into the first layer's weight-gradient product.

A mini-batch step of gradient descent computes the first layer's gradient ``G = D @ rows``
(``(fan_out, m) @ (m, fan_in + 1)``), then ``G *= lr`` and ``W -= G``: on MNIST-shaped
data the gradient is as large as the weights (0.8 MB for a 128-wide layer), so the step
writes it once and passes over it and the weights three more times, and the weights
and the gradient together no longer fit in a 1 MB L2 cache. One BLAS call
``W = W - lr * (D @ rows)`` (gemm with ``alpha = -lr``, ``beta = 1``) does the same update
with no gradient buffer: measured on a 128-wide layer, the first layer's gradient and
update took 52 us instead of 163 us, and the next forward product is faster too (its
weights are still in the cache).

Rounding: the gemm adds ``-lr * acc`` to each weight inside its kernel, where the unfused
step rounds ``lr * acc`` first (the product ``acc`` itself is the same), so a weight may
differ from the unfused step's by that rounding: after one update of a 128-wide layer
about 5 % of the weights did (at most 2.6e-13 relative); 30-wide layers got the same bits.
Mini-batch gd without L2 on the default order is therefore not bit for bit what it was
before this fusion; it is the same training to rounding: the stored float64 reference
sweep and the tests against scikit-learn and the references hold (to 1e-12), and stacked
replicas with their own orders still equal their nets trained alone bit for bit.

The call goes to numpy's own OpenBLAS (the ``scipy-openblas64`` library of numpy's wheels)
through ``ctypes``: the same library, kernels and thread settings (``threadpoolctl``) as
numpy's matmul, and no import of scipy.linalg (whose separate OpenBLAS a caller's thread
limit, set before it is loaded, would not cover). Where numpy was built against another
BLAS, ``available`` is False and the engine keeps the unfused update.
"""
import ctypes
import glob
import os

import numpy as np

from .optimizers import GD

_ROW_MAJOR, _NO_TRANS = 101, 111


def _numpy_gemms():
    """``{dtype: cblas gemm}`` of numpy's bundled OpenBLAS, or ``{}`` if it has none."""
    folder = os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs")
    for path in sorted(glob.glob(os.path.join(folder, "libscipy_openblas64_*.so"))):
        try:
            lib = ctypes.CDLL(path)  # already loaded by numpy: the same handle
            gemms = {np.dtype(np.float64): lib.scipy_cblas_dgemm64_,
                     np.dtype(np.float32): lib.scipy_cblas_sgemm64_}
        except (OSError, AttributeError):
            continue
        for dtype, gemm in gemms.items():
            real = ctypes.c_double if dtype == np.float64 else ctypes.c_float
            i64, ptr = ctypes.c_int64, ctypes.c_void_p
            gemm.restype = None
            gemm.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, i64, i64, i64, real,
                             ptr, i64, ptr, i64, real, ptr, i64]
        return gemms
    return {}


GEMMS = _numpy_gemms()
available = bool(GEMMS)
"""Whether the fused update can run here (numpy's wheel BLAS was found)."""


def address_of(array):
    """Where an array's data starts, its first element (half the cost of
    ``array.ctypes.data``); ``minibatch.Batches`` hands it out with each batch."""
    try:
        return ctypes.addressof(ctypes.c_char.from_buffer(array))
    except TypeError:  # read-only
        return array.ctypes.data


def fused_lr(net, optimizer, dtype):
    """The learning rate to fuse, or None where the general update must run.

    Only plain gradient descent with one (scalar) learning rate for every replica and no
    L2 penalty (the penalty is added to the gradient buffer): momentum, Adagrad and Adam
    keep state per parameter and need the gradient itself.
    """
    if (not available or type(optimizer) is not GD or np.ndim(optimizer.lr)
            or net.penalized or np.dtype(dtype) not in GEMMS):
        return None
    return float(optimizer.lr)


class FusedFirst:
    """``W_s -= lr * (D_s @ rows_s)`` for the first layer of every replica, in place.

    ``blocks`` is the first layer's parameter block ``(S, fan_out, fan_in + 1)`` and
    ``deltas`` its delta buffer ``(S, fan_out, m)`` (rows contiguous). With ``shared``, all
    replicas multiply the same rows and the blocks are one ``(S * fan_out, fan_in + 1)``
    matrix: one call (``deltas`` must then be one contiguous matrix too). ``gather``, if
    given, is called first (``FirstLayer.gather_delta``: it fills ``deltas``). With an
    ``optimizer``, its ``lr`` is read at every step instead of ``lr`` (a schedule, such as
    scikit-learn's, may change it between steps; ``GD.update`` reads it each time too).
    """

    def __init__(self, blocks, deltas, lr, shared, gather=None, optimizer=None):
        S, fan_out, width = blocks.shape
        m = deltas.shape[-1]
        assert deltas.strides[-1] == deltas.itemsize and blocks.flags.c_contiguous
        self.gemm = GEMMS[blocks.dtype]
        self.lr, self.width, self.m, self.shared, self.gather = lr, width, m, shared, gather
        self.optimizer, self.row_stride = optimizer, width * blocks.itemsize
        step_B, step_D = blocks.strides[0], deltas.strides[0]
        lda = deltas.strides[1] // deltas.itemsize
        B0, D0 = blocks.ctypes.data, deltas.ctypes.data
        if shared:
            assert deltas.flags.c_contiguous
            self.calls = [(S * fan_out, D0, lda, B0)]
        else:
            self.calls = [(fan_out, D0 + s * step_D, lda, B0 + s * step_B) for s in range(S)]
        self._keep = (blocks, deltas)  # the buffers the addresses point into

    def update(self, rows, address=None):
        """Apply the step, ``rows`` being ``(m, fan_in + 1)`` (shared) or
        ``(S, m, fan_in + 1)``, each replica's rows contiguous; ``address``, if given, is
        where ``rows`` starts (``minibatch.Batches`` hands it out with each batch)."""
        gemm, width, m = self.gemm, self.width, self.m
        lr = -(self.lr if self.optimizer is None else self.optimizer.lr)
        if rows.strides[-2] != self.row_stride or rows.strides[-1] != rows.itemsize:
            # the gemm reads the rows by address: any other layout would be read wrongly
            raise ValueError("the fused update needs each replica's rows contiguous")
        if self.gather is not None:
            self.gather()
        base = address_of(rows) if address is None else address
        step = 0 if self.shared else rows.strides[0]
        for s, (M, D, lda, B) in enumerate(self.calls):
            gemm(_ROW_MAJOR, _NO_TRANS, _NO_TRANS, M, width, m, lr, D, lda,
                 base + s * step, width, 1.0, B, width)


def first_layer_update(net, stack, optimizer, ws):
    """A ``FusedFirst`` for the workspace ``ws`` of mini-batch steps, or None.

    Mini-batch steps only: full-batch training keeps its update bit for bit, and the
    fusion pays where a step is bound by passes over large first-layer weights.
    ``ws.first`` is the workspace's ``minibatch.FirstLayer``.
    """
    lr = fused_lr(net, optimizer, stack.dtype)
    if lr is None:
        return None
    if ws.first.shared:  # the shared product's contiguous delta
        return FusedFirst(stack.blocks[0], ws.first.D_stacked, lr, True, ws.first.gather_delta,
                          optimizer)
    return FusedFirst(stack.blocks[0], ws.D[0], lr, False, optimizer=optimizer)
