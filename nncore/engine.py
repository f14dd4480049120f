"""The training engine: forward pass, backpropagation and updates for stacked replicas.

``S`` independently seeded copies ("replicas") of one architecture are trained at once:
layer ``l``'s parameters of all replicas form one array and every product is one batched
``np.matmul``. A single network is simply ``S = 1``, so one code path serves ``MLP.fit``
and ``fit_replicas`` and the two agree exactly.

Layout (feature-major). Inside the engine every activation and delta is shaped
``(S, width, n_samples)``, and layer ``l``'s parameters are one block
``(S, fan_out, fan_in + 1)``: ``W.T`` with the bias as its last column. Each hidden
activation buffer carries an extra last row of ones, so the next layer's product adds the
bias and the weight-gradient product yields the bias gradient too: no bias additions, no
separate bias sums. Measured on tiny networks this layout beats the sample-major one
(``(S, n, width)``, bias added by broadcasting) by about 20%. Numpy's batched matmul is
fast for products of the forms ``A @ B`` and ``A.T @ B`` but about 1.7x slower for
``A @ B.T`` (OpenBLAS's small-matrix kernels do not cover that case for fewer than 32
samples), either layout has exactly one such product per layer, and the feature-major
one saves the bias work on top. ``bench/RESULTS.md`` has the measurements.

Speed on tiny networks is dominated by per-call overhead, so the loop allocates nothing
per step: every parameter lives in one flat buffer, gradients in a second one laid out
the same way, and activations and deltas in buffers preallocated per batch size.
Optimizers then update one flat vector in a few calls.
"""
import math

import numpy as np

from . import fused as fused_gd
from .activations import LEAKY_SLOPE, OUTPUTS, hidden_activation
from .losses import LOSSES
from .minibatch import FirstLayer, Rows, with_ones
from .shrink import Survivors
from .stack import Stack, blocks_of  # noqa: F401  (engine.Stack, engine.blocks_of: public)
from .weight_stats import layer_stats


class Workspace:
    """Activation, delta and scratch buffers for one stack and one batch size.

    Also precomputes the per-layer argument tuples the step loops over: on tiny networks
    an epoch is ~20 numpy calls of ~1 us each, so Python work between them (indexing,
    ``zip``, slicing) is kept out of the loop.
    """

    def __init__(self, stack, n_samples):
        S, dtype, sizes = stack.n_replicas, stack.dtype, stack.layers
        hidden = sizes[1:-1]
        # Hidden activations with their row of ones (set here, restored after each
        # activation), the pre-activation rows they are computed into, and the same for
        # deltas: a delta's last row is never read.
        # Only the ones rows are set: the products write the rest (a full-data workspace
        # of 5 stacked 128-wide nets on 6,000 rows is 62 MB of hidden activations).
        self.H = [np.empty((S, w + 1, n_samples), dtype) for w in hidden]
        self.H_rows = [H[:, :-1] for H in self.H]
        self.H_ones = [H[:, -1:] for H in self.H]
        for ones in self.H_ones:
            ones.fill(1.0)
        self.H_T = [H.transpose(0, 2, 1) for H in self.H]
        self.scratch = [np.empty_like(H) for H in self.H]
        self.D_full = [np.empty_like(H) for H in self.H]
        self.D = [D[:, :-1] for D in self.D_full] + [np.empty((S, sizes[-1], n_samples), dtype)]
        self.P = np.empty((S, sizes[-1], n_samples), dtype)  # output activations
        self.out_scratch = np.empty_like(self.P)
        self.penalty = np.zeros_like(stack.params)  # zero where a replica has no L2
        self.values = np.empty(S, dtype)
        self.first = None  # a minibatch.FirstLayer, made for mini-batch steps
        self.fused = None  # or a fused.FusedFirst: gd's first layer in one gemm (both set
        # by the mini-batch loop); the other parameters' views, for the other layers' gd:
        size = stack.blocks[0].size
        self.rest = (stack.params[size:], stack.grads[size:])
        # Layers after the first: (block, input, its ones row, output rows) forward, and
        # (delta, input^T, gradient block, block^T, delta below, input, scratch) backward.
        outputs = self.H_rows[1:] + [self.P]
        self.forward_layers = [
            (stack.blocks[l], self.H[l - 1], self.H_ones[l - 1], outputs[l - 1])
            for l in range(1, len(sizes) - 1)
        ]
        self.backward_layers = [
            (self.D[l], self.H_T[l - 1], stack.grad_blocks[l], stack.blocks_T[l],
             self.D_full[l - 1], self.H[l - 1], self.scratch[l - 1])
            for l in range(len(sizes) - 2, 0, -1)
        ]


class Network:
    """What the engine needs to know about a model besides its parameters.

    ``leaky_slope`` is bound into the hidden entry when ``activation`` is ``"leaky_relu"``.
    ``l2`` is one float for every replica, or one per replica: an array ``(S,)`` of a
    ``stack`` given with it (``l2_params`` then spreads it over the flat parameters).
    Per-replica values give each replica exactly the arithmetic of a float: the products
    and quotients are the same, element by element.
    """

    def __init__(self, activation, output, loss, l2, leaky_slope=LEAKY_SLOPE, stack=None):
        self.hidden = hidden_activation(activation, leaky_slope)
        self.output = OUTPUTS[output]
        self.loss = LOSSES[loss]
        self.canonical = OUTPUTS[self.loss.canonical_output] is self.output
        # With its canonical output, a loss may compute its value from the delta P - Y.
        self.residual_loss = self.canonical and self.loss.from_residual
        # mse with another output (the material's sigmoid + quadratic cost): its gradient
        # P - Y is the residual, so the loss comes from it before the output's derivative.
        self.residual_gradient = not self.canonical and self.loss is LOSSES["mse"]
        self.l2, self.l2_params = l2, None
        self.penalized = bool(np.any(l2))
        if np.ndim(l2):
            self.l2 = np.asarray(l2, dtype=np.float64)
            self.l2_params = stack.spread(l2) * stack.weight_mask
            # Replicas without L2 must not compute a penalty at all: 0 * inf is NaN, and
            # a replica whose weights overflowed would get a NaN where alone it has none.
            self.l2_where = self.l2_params != 0


def inputs(X, transposed=True):
    """The two forms of ``X`` the engine multiplies with, the bias's ones included.

    Returns ``(X_T, X_rows)``: ``X_T`` shaped ``(n_in + 1, n)`` for the forward product and
    ``X_rows`` shaped ``(n, n_in + 1)`` for the first layer's gradient (both contiguous).
    ``transposed=False`` skips ``X_T`` (None): a caller that reads ``X_rows.T``, a view,
    instead (``fitting._unusable``'s pass after mini-batch training; the mini-batches
    themselves gather from ``minibatch.Rows``).
    """
    X_rows = with_ones(X)
    if not transposed:
        return None, X_rows
    # Block by block: a wide (n, 785) array transposed in one copy misses the cache on
    # every element and takes 4x as long.
    X_T = np.empty(X_rows.shape[::-1], X_rows.dtype)
    for start in range(0, len(X_rows), 256):
        X_T[:, start : start + 256] = X_rows[start : start + 256].T
    return X_T, X_rows


def forward(net, stack, X_T, ws, first=None):
    """Run the forward pass; return the output activations, shape ``(S, n_out, n)``.

    ``X_T`` is the transposed input with a row of ones (see ``inputs``), shaped
    ``(n_in + 1, n)`` (shared by every replica) or ``(S, n_in + 1, n)``. ``first`` is
    None, or a ``minibatch.FirstLayer`` that does the first layer's product (in
    pieces, and for replicas sharing ``X_T`` as one matrix).
    """
    hidden = net.hidden.forward
    if first is None:
        np.matmul(stack.blocks[0], X_T, ws.H_rows[0] if ws.H else ws.P)
    else:
        first.forward(X_T)
    for B, H_prev, ones, out in ws.forward_layers:
        hidden(H_prev)  # the layer below's activation, once its product is done; on the
        ones.fill(1.0)  # whole buffer (contiguous: faster), then the ones row restored
        np.matmul(B, H_prev, out)
    return net.output.forward(ws.P)


def loss_values(net, stack, Y_T, ws):
    """Per-replica loss of the last forward pass: data loss plus the L2 penalty.

    A loss with ``from_residual`` (its value from ``P - Y``, the same numbers) takes the
    residual in the workspace's output delta and returns ``ws.values`` (valid until the
    workspace's next use): no temporaries in the validation pass after every epoch.
    """
    if net.loss.from_residual is not None and Y_T.dtype == ws.P.dtype:
        np.subtract(ws.P, Y_T, ws.D[-1])
        values = net.loss.from_residual(ws.D[-1], ws.values)
    else:
        values = net.loss.value(ws.P, Y_T)
    return _add_penalty(net, stack, Y_T, values)


def _add_penalty(net, stack, Y_T, values):
    if net.l2_params is not None:  # per replica; none where l2 = 0 (see Network)
        values += np.where(net.l2 > 0, net.l2 / (2 * Y_T.shape[-1]) * stack.weight_norms(),
                           0.0)
    elif net.penalized:
        values += net.l2 / (2 * Y_T.shape[-1]) * stack.weight_norms()
    return values


def backward(net, stack, X_rows, Y_T, ws):
    """Backpropagate the last forward pass; fill ``stack.grads`` with mean gradients."""
    _output_delta(net, Y_T, ws)
    _backpropagate(net, stack, X_rows, Y_T.shape[-1], ws)


def _output_delta(net, Y_T, ws):
    """Fill ``ws.D[-1]`` with d loss / d output pre-activation, per sample (not / n)."""
    P, D = ws.P, ws.D[-1]
    if net.canonical:  # d loss / d pre-activation is simply P - Y
        np.subtract(P, Y_T, D)
    else:
        net.loss.gradient(P, Y_T, D)
        net.output.backward(P, D, ws.out_scratch)


def _backpropagate(net, stack, X_rows, n, ws, first=None, fused=None):
    """Backpropagate the output delta in ``ws.D[-1]``; fill ``stack.grads``.

    With ``fused`` (a ``fused.FusedFirst``) the first layer's gradient is not computed: the
    step applies it to the weights in the same product.
    """
    ws.D[-1] *= 1.0 / n
    hidden_backward, matmul = net.hidden.backward, np.matmul
    for D, H_prev_T, G, B_T, D_prev, H_prev, scratch in ws.backward_layers:
        matmul(D, H_prev_T, G)  # weights and bias (the ones row) in one product
        if D.shape[1] == 1:  # an outer product: numpy's k=1 matmul is slow, broadcast is not
            np.multiply(B_T, D, D_prev)
        else:
            matmul(B_T, D, D_prev)
        hidden_backward(H_prev, D_prev, scratch)  # the ones row's delta is never read
    if fused is not None:
        return  # gd without a penalty (fused.fused_lr): nothing more to add to grads
    if first is None:
        matmul(ws.D[0], X_rows, stack.grad_blocks[0])
    else:
        first.gradient(X_rows)
    if net.l2_params is not None:  # w * (l2 / n): as w * 1 * (l2 / n), bit for bit
        np.multiply(stack.params, net.l2_params / n, out=ws.penalty, where=net.l2_where)
        stack.grads += ws.penalty
    elif net.penalized:
        np.multiply(stack.params, stack.weight_mask, out=ws.penalty)
        ws.penalty *= net.l2 / n
        stack.grads += ws.penalty


def train(net, stack, X, Y, *, epochs, optimizer, batch_size, shuffle_rngs, validation=None,
          validate=None, stopping=None, record=None, shared_order=False):
    """Train every replica of ``stack`` in place.

    ``X`` is ``(n, n_in)`` and ``Y`` ``(n, n_out)``, as the public API takes them.
    ``validation`` is ``(X_val, Y_val)`` in the same form, or None; ``validate`` a boolean
    array over the epochs saying after which to measure the validation loss (None: every
    one); ``stopping`` an ``EarlyStopping`` fed with the validation losses (it needs them
    after every epoch); ``record`` a boolean array over the epochs after which to record
    each layer's weight statistics (``weight_stats.layer_stats``), or None.
    ``shuffle_rngs`` are the mini-batch orders' generators (anything with
    ``permutation(n)``): one per replica, or, with ``shared_order``, one for all of them
    (every replica then trains on the same batches, and the first layer's products of all
    replicas become one product each). Replicas that stop or diverge leave the stack
    being trained (``shrink.Survivors``): each replica's numbers are those of its own
    stack of one. ``stack`` and ``optimizer`` then hold each replica's state as of its
    last epoch.

    Returns
    -------
    dict
        ``history`` : ndarray (S, epochs_run), per-epoch loss of each replica (mean of its
        batch losses, weighted by batch size, each before its step); after a replica
        stopped or diverged, NaN or what it computed riding along (ignore it).
        ``val_history`` : ndarray (S, epochs_run) or None, each replica's validation loss
        after each epoch's steps (NaN after the epochs not validated; after a replica
        stopped, as ``history``).
        ``diverged`` : ``{replica: (epoch, weights, biases)}`` for replicas whose loss
        became non-finite; their parameters are those at the end of that epoch, and their
        history stops there.
        ``recorded`` : list of ``(epoch, stats (S, n_layers, 2, 4))`` at the recorded
        epochs (0-based), or None (after a replica stopped, as ``history``).
        ``inputs`` : ``inputs(X)``'s ``(X_T, X_rows)`` where they were built, for a
        caller's pass over the training data: in mini-batch mode ``X_T`` is None, and so
        is ``X_rows`` after one epoch (``minibatch.Rows``).
    """
    n, S = X.shape[0], stack.n_replicas
    full_batch = batch_size is None or batch_size >= n
    X_T, X_rows = inputs(X) if full_batch else (None, None)
    Y_T = np.ascontiguousarray(Y.T) if full_batch else None
    rows = None if full_batch else Rows(X)  # the mini-batches' inputs, shared by every Batches
    live = Survivors(net, stack, optimizer, stopping,
                     None if full_batch else (rows, Y, batch_size, shuffle_rngs, shared_order))
    # Epoch-major, so each epoch's losses are one contiguous row the step writes into.
    history = np.full((epochs, S), np.nan)
    val_history = None if validation is None else np.full((epochs, S), np.nan)
    if validation is not None:
        val_T, val_Y_T = inputs(validation[0])[0], np.ascontiguousarray(validation[1].T)
        n_val = val_T.shape[-1]
    recorded = None if record is None else []
    epoch = -1
    with np.errstate(all="ignore"):  # divergence is detected below, not warned about
        for epoch in range(epochs):
            net, stack, cached, cols = live.net, live.stack, live.workspaces, live.cols
            if full_batch:
                ws = cached.get(n) or cached.setdefault(n, Workspace(stack, n))
                values = _step(net, stack, X_T, X_rows, Y_T, ws, live.optimizer)
            else:
                values = _minibatch_epoch(net, stack, live.batches, live.optimizer, cached)
            # A row, then its entries: with cols an index array (after a shrink) a third
            # of the time of history[epoch, cols].
            history[epoch][cols] = values
            # One sum filters the common case: it is finite only if every loss is (a
            # finite sum can overflow, which merely takes the exact check). A Python sum
            # of a short list costs half of numpy's reduction.
            changed = (not math.isfinite(sum(values.tolist()))
                       and live.diverge(epoch, history[epoch]))
            if validation is not None and (validate is None or validate[epoch]):
                ws = cached.get(n_val) or cached.setdefault(n_val, Workspace(stack, n_val))
                forward(net, stack, val_T, ws)
                val_history[epoch][cols] = loss_values(net, stack, val_Y_T, ws)
                if stopping is not None:
                    stop = stopping.update(epoch, val_history, live.training)
                    if stop is not None:
                        live.training &= ~stop
                        changed = True
            if record is not None and record[epoch]:
                recorded.append((epoch, live.spread(layer_stats(stack.blocks))))
            if changed and (not live.training.any() or epoch + 1 == epochs):
                break
            if changed:  # replicas that stopped or diverged leave the stack (shrink.py)
                live.shrink()
    live.finish()
    X_rows = X_rows if full_batch else rows.full
    runs = slice(0, epoch + 1)
    return {"history": history[runs].T,
            "val_history": None if val_history is None else val_history[runs].T,
            "diverged": live.diverged, "recorded": recorded, "inputs": (X_T, X_rows)}


def _step(net, stack, X_T, X_rows, Y_T, ws, optimizer, first=None, at=None):
    """One gradient step on a batch; return the per-replica loss before it. ``first`` and
    ``at``: a mini-batch's ``minibatch.FirstLayer`` and where ``X_rows`` starts."""
    forward(net, stack, X_T, ws, first)
    if net.residual_gradient:  # no second pass over P and Y: the same numbers
        net.loss.gradient(ws.P, Y_T, ws.D[-1])
        values = net.loss.from_residual(ws.D[-1], ws.values)
        net.output.backward(ws.P, ws.D[-1], ws.out_scratch)
    else:
        _output_delta(net, Y_T, ws)
        if net.residual_loss:  # the delta P - Y is the residual: no second pass over P, Y
            values = net.residual_loss(ws.D[-1], ws.values)
        else:
            values = net.loss.value(ws.P, Y_T)
    _add_penalty(net, stack, Y_T, values)
    fused = ws.fused
    _backpropagate(net, stack, X_rows, Y_T.shape[-1], ws, first, fused)
    if fused is None:
        optimizer.update(stack.params, stack.grads)
    else:  # the first layer in one gemm, gd's own update (bit for bit) for the others
        fused.update(X_rows, at)
        optimizer.update(*ws.rest)
    return values


def _minibatch_epoch(net, stack, batches, optimizer, workspaces):
    """One epoch of mini-batch steps; return each replica's mean batch loss (weighted)."""
    total = np.zeros(stack.n_replicas)
    bs = batches.batch_size
    whole = _minibatch_workspace(net, stack, batches, optimizer, workspaces, bs)
    for X_T, rows, Y_T, at in batches.epoch():
        m = Y_T.shape[-1]
        ws = whole if m == bs else _minibatch_workspace(net, stack, batches, optimizer,
                                                        workspaces, m)
        total += m * _step(net, stack, X_T, rows, Y_T, ws, optimizer, ws.first, at)
    return total / batches.n


def _minibatch_workspace(net, stack, batches, optimizer, workspaces, m):
    """The workspace for batches of ``m``, with its first layer's products set up."""
    ws = workspaces.get(m) or workspaces.setdefault(m, Workspace(stack, m))
    if ws.first is None:
        ws.first = FirstLayer(stack, ws, batches.shared)
        ws.fused = fused_gd.first_layer_update(net, stack, optimizer, ws)
    return ws
