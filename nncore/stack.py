"""Parameters of stacked replicas: one flat buffer, one block per layer.

Layer ``l``'s parameters of all ``S`` replicas are one block ``(S, fan_out, fan_in + 1)``
(``W.T`` with the bias as its last column), and every block is a view of one flat vector,
so an optimizer updates all of them in a few calls (``nncore.engine`` has the layout's why).
"""
import math

import numpy as np


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
        shapes = [(S, fo, fi + 1) for fi, fo in zip(layers[:-1], layers[1:])]
        total = sum(math.prod(s) for s in shapes)  # math.prod: np.prod costs microseconds
        self.params = np.zeros(total, dtype=dtype)
        self.grads = np.zeros(total, dtype=dtype)
        self.blocks = blocks_of(self.params, shapes)  # (S, fan_out, fan_in + 1) each
        self.grad_blocks = blocks_of(self.grads, shapes)
        self.blocks_T = [B.transpose(0, 2, 1) for B in self.blocks]  # made once: views stay valid
        is_weight = np.zeros(total, dtype=dtype)
        for B in blocks_of(is_weight, shapes):
            B[:, :, :-1] = 1.0
        self.weight_mask = is_weight  # 1 for weights, 0 for biases: L2 skips biases

    @classmethod
    def from_arrays(cls, replicas, dtype=np.float64):
        """Stack ``[(weights, biases), ...]``, one pair of lists per replica."""
        weights0 = replicas[0][0]
        layers = [weights0[0].shape[0]] + [W.shape[1] for W in weights0]
        stack = cls(layers, len(replicas), dtype)
        for s, (weights, biases) in enumerate(replicas):
            for B, W, b in zip(stack.blocks, weights, biases):
                B[s, :, :-1] = W.T
                B[s, :, -1] = b
        return stack

    def take(self, indices, positions=None):
        """A new stack of the replicas ``indices`` (in that order), their parameters copied.

        ``positions`` is ``self.positions(indices)`` when the caller has it. The new
        stack's gradients are zero: they are scratch, filled by every step.
        """
        taken = Stack(self.layers, len(indices), self.dtype)
        np.take(self.params, self.positions(indices) if positions is None else positions,
                out=taken.params)
        return taken

    def positions(self, indices):
        """Where the replicas ``indices`` sit in ``params``, in the order of ``take``'s params.

        Index any vector laid out like ``params`` with it (an optimizer's state, a spread
        lr): ``flat[positions]`` is laid out like ``take(indices).params``, and
        ``flat[positions] = values`` writes such a vector back.
        """
        flat = np.arange(self.params.size)
        return np.concatenate([B[indices].ravel() for B in
                               blocks_of(flat, [B.shape for B in self.blocks])])

    def get_replica(self, s):
        """Return copies of replica ``s``'s weights and biases as two lists."""
        return _split(self.blocks, s)

    def get_gradients(self, s):
        """Return copies of replica ``s``'s weight and bias gradients as two lists."""
        return _split(self.grad_blocks, s)

    def spread(self, values):
        """A flat vector like ``params`` holding each replica's entry of ``values`` (S,)
        at every one of its parameters: per-replica settings (lr, l2) for the flat buffer."""
        flat = np.empty_like(self.params)
        values = np.asarray(values, dtype=self.dtype)
        for B in blocks_of(flat, [B.shape for B in self.blocks]):
            B[...] = values[:, None, None]
        return flat

    def weight_norms(self):
        """Sum of squared weights (biases excluded) for each replica, shape ``(S,)``."""
        return sum(np.einsum("sij,sij->s", B[:, :, :-1], B[:, :, :-1]) for B in self.blocks)


def blocks_of(flat, shapes):
    """Split ``flat`` into consecutive arrays of the given shapes (views); with leading
    axes (``flat`` ``(..., size)``, e.g. early stopping's ring of copies), each block
    keeps them: ``(..., *shape)``."""
    blocks, offset = [], 0
    for shape in shapes:
        size = math.prod(shape)
        blocks.append(flat[..., offset : offset + size].reshape(flat.shape[:-1] + shape))
        offset += size
    return blocks


def _split(blocks, s):
    """Replica ``s``'s ``(fan_in, fan_out)`` weights and ``(fan_out,)`` biases, copied."""
    return [B[s, :, :-1].T.copy() for B in blocks], [B[s, :, -1].copy() for B in blocks]
