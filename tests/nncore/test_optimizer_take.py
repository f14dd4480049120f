"""An optimizer's state follows replicas leaving a stack (``take``/``put``), scratch does not.

A shrinking stack (``nncore.shrink``) gives its optimizer the kept replicas' state with
``take`` and writes it back with ``put``; buffers listed in ``SCRATCH`` are neither gathered
nor written back. The reference is scikit-learn's own optimizers (``SGDOptimizer``,
``AdamOptimizer``) and Adagrad's rule written here, each fed one replica's gradients.
"""
import numpy as np
import pytest
from sklearn.neural_network._stochastic_optimizers import AdamOptimizer, SGDOptimizer

from nncore.optimizers import OPTIMIZERS
from nncore.stack import Stack

LAYERS = [2, 3, 1]
LR = 0.05


class _Adagrad:
    """Adagrad's rule for one replica: ``G += g**2; w -= lr * g / (sqrt(G) + eps)``."""

    def __init__(self, params):
        self.params, self.G = params, [np.zeros_like(p) for p in params]

    def update_params(self, params, grads):
        for p, G, g in zip(params, self.G, grads):
            G += g * g
            p -= LR * g / (np.sqrt(G) + 1e-8)


def _reference(name, params):
    if name == "adam":
        return AdamOptimizer(params, learning_rate_init=LR)
    if name == "momentum":
        return SGDOptimizer(params, learning_rate_init=LR, momentum=0.9,
                            nesterov=False)
    return _Adagrad(params)


@pytest.mark.parametrize("name", ["momentum", "adagrad", "adam"])
def test_a_taken_replica_trains_on_as_alone_and_goes_home(name):
    rng = np.random.default_rng(0)
    stack = Stack(LAYERS, 3)
    stack.params[:] = rng.normal(size=stack.params.size)
    optimizer = OPTIMIZERS[name](LR)
    grads = rng.normal(size=(9, stack.params.size))
    # Replica 1 alone, layer by layer, in scikit-learn's form (W as (fan_in, fan_out)).
    alone = [B[1].copy() for B in stack.blocks]
    reference = _reference(name, alone)
    gathered = Stack(LAYERS, 3)
    for step, g in enumerate(grads):
        gathered.params[:] = g
        reference.update_params(alone, [B[1].copy() for B in gathered.blocks])
        if step < 5:
            optimizer.update(stack.params, g.copy())
        else:
            taken.update(taken_stack.params, g[positions])
        if step == 4:  # replicas 0 and 2 leave: replica 1 trains on in a stack of one
            positions = stack.positions([1])
            taken_stack = stack.take([1], positions)
            taken = optimizer.take(lambda flat: flat[positions])
            for scratch in type(optimizer).SCRATCH:
                assert getattr(taken, scratch) is None  # not gathered: made afresh
    stack.params[positions] = taken_stack.params
    optimizer.put(taken, lambda mine, theirs: mine.__setitem__(positions, theirs))
    for B, expected in zip(stack.blocks, alone):
        np.testing.assert_allclose(B[1], expected, rtol=1e-12, atol=1e-15)
    for scratch in type(optimizer).SCRATCH:  # the caller keeps its own, full-size buffer
        assert getattr(optimizer, scratch).shape == stack.params.shape
    # The caller's state is whole again: one more step for all three replicas runs.
    optimizer.update(stack.params, grads[0].copy())
