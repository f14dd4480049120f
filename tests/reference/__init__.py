"""The one independent reference MLP of the test suite: plain numpy loops, nothing of nncore.

``reference.mlp`` is one network at a time, worked from the documented semantics
(initialization, forward pass, losses, backpropagation, the optimizers' update rules,
mini-batch order, divergence); ``reference.metrics`` recomputes a stored job's losses and
metrics from its weights. The nncore, sweeps and results tests all compare with these.
"""
from .metrics import expected_metrics, labels_of, loss_value, one_hot
from .mlp import (HIDDEN, OPTIMIZERS, OUTPUTS, Trained, batch_orders, forward, gradients,
                  hidden, initial_params, loss, predict, softmax, train, train_from)

__all__ = ["HIDDEN", "OPTIMIZERS", "OUTPUTS", "Trained", "batch_orders", "expected_metrics",
           "forward", "gradients", "hidden", "initial_params", "labels_of", "loss",
           "loss_value", "one_hot", "predict", "softmax", "train", "train_from"]
