"""Mini-batches without per-step copies, and the first layer's products in mini-batch steps.

A mini-batch step multiplies the first layer by its batch in two layouts: transposed,
``(n_in + 1, m)``, for the forward product, and as rows, ``(m, n_in + 1)``, for the weight
gradient. ``Batches`` gathers a chunk of many batches per replica into a reused buffer of
rows and hands out every batch as views of it: its rows, and their transpose as a view
(the products read it with a transposed-operand flag, as fast as a transposed copy and
with none of its cost: measured 12.8 against 12.3 us for a 30-wide layer's forward
product, where the copy cost 7 us a step). The views of each buffer are made once, with
the address of each batch's rows for the fused gd update (``fused.FusedFirst``).

A transposed operand sums the forward product's dot products in another order than a
contiguous one (OpenBLAS's kernels differ by layout): a first layer narrow enough to be
one product (``SMALL_PRODUCT``) gets other last bits than from the transposed copy it
multiplied until nncore 0.2.0; wide and shared first layers read the view already.
On MNIST-shaped data that moves the ``[784, 30, 10]`` net's losses after 5 epochs by at
most 6e-8 relative, about what moving one initial weight by its last bit does
(``bench/mnist_bits.py``, ``bench/RESULTS.md``). Each replica's arithmetic is the same in
any stack of own orders, so stacked replicas still equal their nets trained alone bit
for bit.
"""
import numpy as np

from .fused import address_of

CHUNK_ELEMENTS = 2**17
"""A chunk's input values over all replicas (1 MB in float64): the chunk just gathered
is still in the L2 cache while its batches' products read it (measured on MNIST-shaped
data: 2**14 to 2**19 within the noise, ``bench/RESULTS.md``)."""


def with_ones(X):
    """``X`` ``(n, n_in)`` with a column of ones appended, ``(n, n_in + 1)``, contiguous:
    the rows the first layer multiplies, the bias's weight last (``engine.inputs``)."""
    rows = np.empty((X.shape[0], X.shape[1] + 1), X.dtype)
    rows[:, :-1] = X
    rows[:, -1] = 1.0
    return rows


class Rows:
    """The training inputs as the first layer multiplies them: each row with a 1 for the bias.

    The first epoch gathers its rows from ``X`` itself and adds the ones in the chunk
    buffer (a copy in cache); the rows with their ones column, ``(n, n_in + 1)``, are
    built once a second epoch starts, and later epochs gather from them. Building them
    takes a pass writing the whole data set to fresh memory (6 ms for 6,000 MNIST rows,
    13 % of a plain numpy loop's epoch on a 30-wide net), against 1.3 ms an epoch for the
    copy in cache; a one-epoch fit (and scikit-learn's estimators, which train one epoch
    per call) never builds them.

    Parameters
    ----------
    X : ndarray (n, n_in)
        Contiguous.
    """

    def __init__(self, X):
        self.X, self.full, self.epochs = X, None, 0
        self.n, self.width, self.dtype = X.shape[0], X.shape[1] + 1, X.dtype

    def start_epoch(self):
        """Count an epoch; build the rows with their ones at the second."""
        if self.epochs and self.full is None:
            self.full = with_ones(self.X)
        self.epochs += 1

    def take(self, idx, out, scratch):
        """Gather the rows ``idx`` ``(S, k)`` into ``out`` ``(S, k, n_in + 1)``, whose last
        column holds ones; ``scratch`` is ``(S, k, n_in)``, used before the rows are built."""
        if self.full is not None:
            np.take(self.full, idx, axis=0, out=out, mode="clip")  # indices are valid
        else:  # a strided out= would make take buffer its output: slower than this copy
            np.take(self.X, idx, axis=0, out=scratch, mode="clip")
            np.copyto(out[..., :-1], scratch)


class Batches:
    """One epoch's mini-batches at a time, as views of buffers filled a chunk at a time.

    Parameters
    ----------
    rows : Rows
        The inputs (shared by every ``Batches`` of one training run).
    Y : ndarray (n, n_out)
    batch_size : int
    rngs : list
        Generators with ``permutation(n)``: one per replica, or one for all (``shared``).
    shared : bool
        Every replica trains on the same batches (one order from ``rngs[0]``).
    n_replicas : int
    """

    def __init__(self, rows, Y, batch_size, rngs, shared, n_replicas):
        self.rows, self.Y, self.batch_size = rows, Y, batch_size
        self.rngs, self.shared = rngs, shared
        self.n, width = rows.n, rows.width
        S = 1 if shared else n_replicas
        per_chunk = max(1, CHUNK_ELEMENTS // (S * width * batch_size))
        self.chunk = min(self.n, per_chunk * batch_size)  # whole batches: none is split
        self._buffers = {}

    def _buffers_for(self, S, k):
        """For a chunk of ``k`` rows: the gathered rows (their ones column set) and a
        scratch buffer for ``Rows.take``, the targets, the targets' batches transposed
        (each contiguous, as the losses have always read them), and each batch's
        ``(X_T, rows, Y_T, address)`` (see ``epoch``), made once per buffer."""
        if k not in self._buffers:  # the chunk size, and at most one shorter last chunk
            Y, bs, (width, dtype) = self.Y, self.batch_size, (self.rows.width, self.rows.dtype)
            n_out, (whole, rest) = Y.shape[1], divmod(k, bs)
            R = np.empty((S, k, width), dtype)
            R[..., -1] = 1.0
            YR = np.empty((S, k, n_out), Y.dtype)
            Y_T, Y_T_rest = np.empty((S, whole, n_out, bs), Y.dtype), np.empty((S, n_out, rest), Y.dtype)
            batches = [(R[:, b * bs : (b + 1) * bs], Y_T[:, b]) for b in range(whole)]
            if rest:
                batches.append((R[:, whole * bs :], Y_T_rest))
            views = [(rows.transpose(0, 2, 1), rows, Y_b, address_of(rows)) for rows, Y_b in batches]
            if self.shared:
                views = [(X_b[0], rows[0], Y_b[0], at) for X_b, rows, Y_b, at in views]
            self._buffers[k] = (R, np.empty((S, k, width - 1), dtype), YR, Y_T, Y_T_rest, views)
        return self._buffers[k]

    def epoch(self):
        """Yield ``(X_T, rows, Y_T, address)`` per batch, in this epoch's order (a new one
        per call).

        Shapes ``(S, n_in + 1, m)`` (a transposed view of ``rows``), ``(S, m, n_in + 1)``,
        ``(S, n_out, m)``; without the leading ``S`` when ``shared``. ``address`` is where
        the first replica's rows start (each replica's rows are contiguous, ``rows``'s
        first stride apart), for ``fused.FusedFirst``. Each is valid until the next one is
        yielded.
        """
        if self.shared:
            order = self.rngs[0].permutation(self.n)[None]
        else:  # each replica's order from its own generator: as when it trains alone
            order = np.stack([rng.permutation(self.n) for rng in self.rngs])
        self.rows.start_epoch()
        bs = self.batch_size
        for c0 in range(0, self.n, self.chunk):
            idx = order[:, c0 : c0 + self.chunk]
            R, scratch, YR, Y_T, Y_T_rest, views = self._buffers_for(order.shape[0], idx.shape[1])
            self.rows.take(idx, R, scratch)
            np.take(self.Y, idx, axis=0, out=YR, mode="clip")
            whole = Y_T.shape[1] * bs
            np.copyto(Y_T, _batches_T(YR[:, :whole], bs))
            np.copyto(Y_T_rest, YR[:, whole:].transpose(0, 2, 1))
            yield from views


def _batches_T(rows, bs):
    """``(S, b * bs, width)`` rows as ``(S, b, width, bs)``: each batch transposed (a view)."""
    S, k, width = rows.shape
    return rows.reshape(S, k // bs, bs, width).transpose(0, 1, 3, 2)


SMALL_PRODUCT = 2**19
"""Multiply-adds of one first-layer forward product at most: larger ones are split by rows.

OpenBLAS (0.3.31, SkylakeX kernels) runs a product of up to about 10**6 multiply-adds
with its small-matrix kernels, which read the operands where they are; above that it
first copies ("packs") both, and at batch 10 packing the weights costs more than the
product: ``(128, 785) @ (785, 10)`` took 110 us, as two ``(64, 785)`` halves 50 us, and
five stacked 128-wide layers 640 us against 260 us in 64-row pieces. Each output element
is still one dot product over the same inputs, but summed by another kernel: a first
layer above the limit gets other last bits than before this split (wide first layers
only: every stored reference net is far below it).
"""


def row_chunks(n_rows, width, m):
    """``(start, stop)`` row ranges of a ``(n_rows, width) @ (width, m)`` product, each at
    most ``SMALL_PRODUCT`` multiply-adds (whole multiples of 8 rows, the kernels' unit)."""
    step = max(8, SMALL_PRODUCT // (width * m) // 8 * 8)
    return [(r, min(r + step, n_rows)) for r in range(0, n_rows, step)]


class FirstLayer:
    """The first layer's forward product and weight gradient in mini-batch steps.

    Forward: each replica's ``(fan_out, n_in + 1) @ (n_in + 1, m)`` in row pieces
    (``row_chunks``), written straight into the workspace. With ``shared`` batches every
    replica multiplies the same inputs: ``[W_1 ... W_S]``'s blocks are one
    ``(S * fan_out, n_in + 1)`` matrix in memory (and so are their gradients), multiplied
    in pieces into a small contiguous buffer, and the weight gradient is one
    ``(S * fan_out, m) @ (m, n_in + 1)`` product instead of ``S`` small ones (the deltas
    gathered into a contiguous buffer: the engine's carry a row of ones between
    replicas). A larger product sums in another order than ``S`` small ones: each replica
    equals itself trained alone to rounding, not bit for bit.
    """

    def __init__(self, stack, ws, shared):
        S, fan_out, width = stack.blocks[0].shape
        m, dtype = ws.P.shape[-1], stack.dtype
        out = ws.H_rows[0] if ws.H else ws.P
        self.shared, self.delta = shared, ws.D[0]
        if shared:
            self.B = stack.blocks[0].reshape(S * fan_out, width)  # views: the flat buffers
            self.G = stack.grad_blocks[0].reshape(S * fan_out, width)
            self.Z = np.empty((S * fan_out, m), dtype)
            self.D = np.empty((S * fan_out, m), dtype)
            self.Z_stacked, self.out = self.Z.reshape(S, fan_out, m), out
            self.D_stacked = self.D.reshape(S, fan_out, m)
            self.pieces = [(self.B[a:b], self.Z[a:b], 0)
                           for a, b in row_chunks(S * fan_out, width, m)]
        else:
            B, G = stack.blocks[0], stack.grad_blocks[0]
            self.pieces = [(B[s, a:b], out[s, a:b], s)
                           for s in range(S) for a, b in row_chunks(fan_out, width, m)]
            self.single = len(self.pieces) == S  # one product per replica: one call
            self.B, self.G, self.out = B, G, out

    def forward(self, X_T):
        """The first layer's pre-activations into the workspace, from ``X_T``:
        ``(n_in + 1, m)`` shared, or ``(S, n_in + 1, m)``."""
        if self.shared:
            for B, Z, _ in self.pieces:
                np.matmul(B, X_T, Z)
            np.copyto(self.out, self.Z_stacked)
        elif self.single:
            np.matmul(self.B, X_T, self.out)
        else:
            for B, Z, s in self.pieces:
                np.matmul(B, X_T[s], Z)

    def gather_delta(self):
        """Copy the first layer's delta into the one contiguous ``(S * fan_out, m)`` matrix."""
        np.copyto(self.D_stacked, self.delta)

    def gradient(self, rows):
        """The first layer's weight and bias gradients, from ``rows``: ``(m, n_in + 1)``
        shared, or ``(S, m, n_in + 1)``."""
        if self.shared:
            self.gather_delta()
            np.matmul(self.D, rows, self.G)
        else:
            np.matmul(self.delta, rows, self.G)
