"""The training engine: forward pass, backpropagation and updates for stacked replicas.

``S`` independently seeded copies ("replicas") of one architecture are trained at once:
layer ``l``'s weights of all replicas form one array shaped ``(S, fan_in, fan_out)`` and
every product is one batched ``np.matmul``. A single network is simply ``S = 1``, so one
code path serves ``MLP.fit`` and ``fit_replicas`` and the two agree exactly.

Speed on tiny networks is dominated by per-call overhead, so the loop allocates nothing
per step: every weight and bias lives in one flat buffer (layer by layer, each layer's
weights and bias as one augmented block), gradients in a second one laid out the same way,
and activations and deltas in buffers preallocated per batch size. Optimizers then update
one flat vector in a few calls.
"""
import math

import numpy as np

from .activations import ACTIVATIONS, OUTPUTS
from .losses import LOSSES


class Stack:
    """Parameters of ``n_replicas`` copies of one architecture in one flat buffer.

    Parameters
    ----------
    layers : list of int
        Layer sizes from input to output.
    n_replicas : int
        Number of stacked copies.
    dtype : numpy dtype, default=float64
    """

    def __init__(self, layers, n_replicas, dtype=np.float64):
        self.layers, self.n_replicas, self.dtype = list(layers), n_replicas, dtype
        S = n_replicas
        # Layer l's weights and biases sit together as one (S, fan_in + 1, fan_out) block,
        # the bias as the last row: the first layer then runs as one product with the
        # inputs augmented by a column of ones, and its gradient comes from one product.
        shapes = [(S, fi + 1, fo) for fi, fo in zip(layers[:-1], layers[1:])]
        total = sum(int(np.prod(s)) for s in shapes)
        self.params = np.zeros(total, dtype=dtype)
        self.grads = np.zeros(total, dtype=dtype)
        self.Wb, self.W, self.b = _views(self.params, shapes)
        self.dWb, self.dW, self.db = _views(self.grads, shapes)
        self.W_T = [W.transpose(0, 2, 1) for W in self.W]  # made once: views stay valid
        is_weight = np.zeros(total, dtype=dtype)
        for W in _views(is_weight, shapes)[1]:
            W[...] = 1.0
        self.weight_mask = is_weight  # 1 for weights, 0 for biases: L2 skips biases

    @classmethod
    def from_arrays(cls, replicas, dtype=np.float64):
        """Stack ``[(weights, biases), ...]``, one pair of lists per replica."""
        weights0 = replicas[0][0]
        layers = [weights0[0].shape[0]] + [W.shape[1] for W in weights0]
        stack = cls(layers, len(replicas), dtype)
        for s, (weights, biases) in enumerate(replicas):
            stack.set_replica(s, weights, biases)
        return stack

    def set_replica(self, s, weights, biases):
        """Copy one replica's weights and biases into the stack."""
        for l, (W, b) in enumerate(zip(weights, biases)):
            self.W[l][s] = W
            self.b[l][s, 0] = b

    def get_replica(self, s):
        """Return copies of replica ``s``'s weights and biases as two lists."""
        return [W[s].copy() for W in self.W], [b[s, 0].copy() for b in self.b]

    def weight_norms(self):
        """Sum of squared weights (biases excluded) for each replica, shape ``(S,)``."""
        return sum(np.einsum("sij,sij->s", W, W) for W in self.W)


def _views(flat, shapes):
    """Split ``flat`` into augmented blocks and their weight and bias views."""
    blocks, offset = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        blocks.append(flat[offset : offset + size].reshape(shape))
        offset += size
    return blocks, [B[:, :-1, :] for B in blocks], [B[:, -1:, :] for B in blocks]


class Workspace:
    """Activation, delta and scratch buffers for one stack and one batch size.

    Also precomputes the per-layer argument tuples the step loops over: on tiny networks
    an epoch is ~30 numpy calls of ~1 us each, so Python work between them (indexing,
    ``zip``, ``swapaxes``) is kept out of the loop.
    """

    def __init__(self, stack, n_samples):
        S, dtype = stack.n_replicas, stack.dtype
        widths = stack.layers[1:]
        self.A = [np.empty((S, n_samples, w), dtype) for w in widths]
        self.A_T = [A.transpose(0, 2, 1) for A in self.A]
        self.D = [np.empty((S, n_samples, w), dtype) for w in widths]
        self.scratch = [np.empty((S, n_samples, w), dtype) for w in widths]
        self.penalty = np.empty_like(stack.params)
        self.ones = np.ones((1, n_samples), dtype)  # db = ones @ D beats D.sum(axis=1)
        self.values = np.empty(S, dtype)
        # Layers after the first: (input, weights, bias, output) for the forward pass and
        # (input^T, delta, dW, db, W^T, delta below, input as activation, scratch) backward.
        self.forward_layers = [
            (self.A[l - 1], stack.W[l], stack.b[l], self.A[l]) for l in range(1, len(widths))
        ]
        self.backward_layers = [
            (self.A_T[l - 1], self.D[l], stack.dW[l], stack.db[l], stack.W_T[l],
             self.D[l - 1], self.A[l - 1], self.scratch[l - 1])
            for l in range(len(widths) - 1, 0, -1)
        ]
        # A one-output layer sends its delta down as an outer product. Broadcast multiply
        # costs 3.7 us (width 5) to 8 us (width 25), numpy's k=1 matmul more; zero-padded
        # to k=2 it is about 2 to 4 us with the copies, and d * w + 0 * 0 is exactly d * w.
        self.pad_D = np.zeros((S, n_samples, 2), dtype)
        self.pad_W = {stack.layers[l]: np.zeros((S, 2, stack.layers[l]), dtype)
                      for l in range(1, len(widths)) if widths[l] == 1}  # by fan_in


class Network:
    """What the engine needs to know about a model besides its parameters."""

    def __init__(self, activation, output, loss, l2):
        self.hidden = ACTIVATIONS[activation]
        self.output = OUTPUTS[output]
        self.loss = LOSSES[loss]
        self.canonical = OUTPUTS[self.loss.canonical_output] is self.output
        # With its canonical output, a loss may compute its value from the delta P - Y.
        self.residual_loss = self.canonical and self.loss.from_residual
        self.l2 = l2


def forward(net, stack, X, ws):
    """Run the forward pass; return the output activations, shape ``(S, n, n_out)``.

    ``X`` is the input augmented by a column of ones (``augment``), shaped
    ``(n, n_in + 1)`` (shared by every replica) or ``(S, n, n_in + 1)``.
    """
    hidden, last = net.hidden.forward, len(ws.A) - 1
    np.matmul(X, stack.Wb[0], ws.A[0])
    for A_prev, W, b, A in ws.forward_layers:
        hidden(A_prev)  # the layer below's activation, applied once its product is done
        np.matmul(A_prev, W, A)
        np.add(A, b, A)
    return net.output.forward(ws.A[last])


def loss_values(net, stack, Y, ws):
    """Per-replica loss of the last forward pass: data loss plus the L2 penalty."""
    return _add_penalty(net, stack, Y, net.loss.value(ws.A[-1], Y))


def _add_penalty(net, stack, Y, values):
    if net.l2:
        values += net.l2 / (2 * Y.shape[-2]) * stack.weight_norms()
    return values


def backward(net, stack, X, Y, ws):
    """Backpropagate the last forward pass; fill ``stack.grads`` with mean gradients."""
    _output_delta(net, Y, ws)
    _backpropagate(net, stack, X, Y.shape[-2], ws)


def _output_delta(net, Y, ws):
    """Fill ``ws.D[-1]`` with d loss / d output pre-activation, per sample (not / n)."""
    P, D = ws.A[-1], ws.D[-1]
    if net.canonical:  # d loss / d pre-activation is simply P - Y
        np.subtract(P, Y, D)
    else:
        net.loss.gradient(P, Y, D)
        net.output.backward(P, D, ws.scratch[-1])


def _backpropagate(net, stack, X, n, ws):
    """Backpropagate the output delta in ``ws.D[-1]``; fill ``stack.grads``."""
    ws.D[-1] *= 1.0 / n
    hidden_backward, ones, matmul = net.hidden.backward, ws.ones, np.matmul
    for A_prev_T, D, dW, db, W_T, D_prev, A_prev, scratch in ws.backward_layers:
        matmul(A_prev_T, D, dW)
        matmul(ones, D, db)
        if W_T.shape[1] == 1:  # an outer product (see Workspace.pad_W)
            pad_W = ws.pad_W[W_T.shape[2]]
            np.copyto(ws.pad_D[..., :1], D)
            np.copyto(pad_W[:, :1], W_T)
            matmul(ws.pad_D, pad_W, D_prev)
        else:
            matmul(D, W_T, D_prev)
        hidden_backward(A_prev, D_prev, scratch)
    # The ones column of X yields the first layer's bias gradient in the same product.
    matmul(np.swapaxes(X, -1, -2), ws.D[0], stack.dWb[0])
    if net.l2:
        np.multiply(stack.params, stack.weight_mask, out=ws.penalty)
        ws.penalty *= net.l2 / n
        stack.grads += ws.penalty


def train(net, stack, X, Y, *, epochs, optimizer, batch_size, shuffle_rngs):
    """Train every replica of ``stack`` in place.

    Returns
    -------
    history : ndarray, shape (S, epochs_run)
        Per-epoch loss of each replica (mean of its batch losses, weighted by batch size).
    diverged : dict
        ``{replica: (epoch, weights, biases)}`` for replicas whose loss became non-finite;
        their parameters are those at the end of that epoch, and their history stops there.
    """
    X = augment(X)
    n, S = X.shape[0], stack.n_replicas
    full_batch = batch_size is None or batch_size >= n
    workspaces = {}
    # Epoch-major, so each epoch's losses are one contiguous row the step writes into.
    history = np.empty((epochs, S), dtype=np.float64)
    active, diverged = np.ones(S, dtype=bool), {}
    with np.errstate(all="ignore"):  # divergence is detected below, not warned about
        for epoch in range(epochs):
            row = history[epoch]
            if full_batch:
                ws = workspaces.get(n) or workspaces.setdefault(n, Workspace(stack, n))
                row[...] = _step(net, stack, X, Y, ws, optimizer)
            else:
                row[...] = _minibatch_epoch(
                    net, stack, X, Y, batch_size, optimizer, shuffle_rngs, workspaces
                )
            # One reduction filters the common case: the sum is finite only if every loss
            # is (a finite sum can overflow, which merely takes the exact check below).
            if math.isfinite(row.sum()) and not diverged:
                continue
            bad = active & ~np.isfinite(row)
            if bad.any():
                for s in np.flatnonzero(bad):
                    diverged[int(s)] = (epoch, *stack.get_replica(s))
                active &= ~bad
                if not active.any():
                    return history[: epoch + 1].T, diverged
    return history.T, diverged


def augment(X):
    """``X`` with a column of ones appended: the first layer's bias becomes a weight row."""
    return np.hstack([X, np.ones((X.shape[0], 1), dtype=X.dtype)])


def _step(net, stack, X, Y, ws, optimizer):
    """One gradient step on a batch; return the per-replica loss before it."""
    forward(net, stack, X, ws)
    _output_delta(net, Y, ws)
    if net.residual_loss:  # the delta P - Y is the residual: no second pass over P, Y
        values = net.residual_loss(ws.D[-1], ws.values)
    else:
        values = net.loss.value(ws.A[-1], Y)
    _add_penalty(net, stack, Y, values)
    _backpropagate(net, stack, X, Y.shape[-2], ws)
    optimizer.update(stack.params, stack.grads)
    return values


def _minibatch_epoch(net, stack, X, Y, batch_size, optimizer, shuffle_rngs, workspaces):
    n = X.shape[0]
    # One permutation per replica, each from that replica's own generator, so a replica
    # sees the same batches whether it is trained alone or stacked with others.
    order = np.stack([rng.permutation(n) for rng in shuffle_rngs])
    total = np.zeros(stack.n_replicas)
    for start in range(0, n, batch_size):
        idx = order[:, start : start + batch_size]
        m = idx.shape[1]
        ws = workspaces.get(m) or workspaces.setdefault(m, Workspace(stack, m))
        total += m * _step(net, stack, X[idx], Y[idx], ws, optimizer)
    return total / n
