"""Per-layer statistics of weights and biases, recorded while a stack trains.

The material compares optimizers by how the weights of each layer spread out during
training (their min, max and standard deviation), not only by the loss. The engine calls
:func:`layer_stats` after the epochs it is asked to record; the result per replica is an
array ``(n_points, n_layers, 2, 4)``: layer, weights or biases (``PARTS``), statistic
(``STATS``).
"""
import numpy as np

STATS = ("min", "max", "mean", "std")
PARTS = ("weights", "biases")


def layer_stats(blocks):
    """Statistics of every replica's layers: ``(S, n_layers, 2, 4)``.

    ``blocks`` are a stack's parameter blocks ``(S, fan_out, fan_in + 1)``, the bias in the
    last column (``engine.Stack``).
    """
    S = blocks[0].shape[0]
    out = np.empty((S, len(blocks), len(PARTS), len(STATS)))
    for l, B in enumerate(blocks):
        for p, part in enumerate((B[:, :, :-1], B[:, :, -1:])):
            flat = part.reshape(S, -1)
            out[:, l, p] = np.column_stack([flat.min(axis=1), flat.max(axis=1),
                                            flat.mean(axis=1), flat.std(axis=1)])
    return out


def replica_stats(recorded, s, runs):
    """Replica ``s``'s statistics of its first ``runs`` epochs, as ``FitHistory`` keeps them.

    ``recorded`` is the engine's list of ``(epoch, (S, n_layers, 2, 4))``, or None.

    Returns
    -------
    dict or None
        ``epoch`` (1-based) and ``stats`` ``(n_points, n_layers, 2, 4)``.
    """
    if recorded is None:
        return None
    kept = [(epoch, stats[s]) for epoch, stats in recorded if epoch < runs]
    point = recorded[0][1].shape[1:] if recorded else (0, len(PARTS), len(STATS))
    return {"epoch": np.array([e + 1 for e, _ in kept], dtype=np.int64),
            "stats": np.array([st for _, st in kept]).reshape(len(kept), *point)}
