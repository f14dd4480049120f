"""Training networks of one architecture together: checks, the stack, and the results.

``MLP.fit`` and ``fit_replicas`` both land here with a list of networks; this module
checks the training options once, stacks the networks, runs ``engine.train`` and hands
each network its weights and ``FitHistory``.
"""
import numpy as np

from . import engine
from .checks import check_name, check_non_negative, check_positive
from .epochs import epoch_mask, validation_epochs
from .history import FitHistory
from .optimizers import OPTIMIZERS
from .stopping import EarlyStopping
from .weight_stats import replica_stats


def shuffle_rng(seed):
    """The generator for mini-batch order: a stream independent of initialization."""
    return np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])


def _per_replica(name, value, seeds):
    """``value`` once per seed: a list as long as ``seeds`` is taken as it is."""
    if not isinstance(value, (list, tuple, np.ndarray)):
        return [value] * len(seeds)
    if len(value) != len(seeds):
        raise ValueError(f"{name} must be one value, or a list of one per seed "
                         f"({len(seeds)}); got {len(value)} values")
    return list(value)


def _batch_orders(nets, shuffle_seed):
    """The mini-batch orders' generators, and whether all nets share one order."""
    if shuffle_seed is None:
        return [shuffle_rng(n.seed) for n in nets], False
    seeds = _per_replica("shuffle_seed", shuffle_seed, nets)
    for value in seeds:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise ValueError(f"shuffle_seed must be a non-negative integer (or None: "
                             f"follow seed); got {value!r}")
    if len(set(seeds)) == 1:
        return [shuffle_rng(seeds[0])], True
    return [shuffle_rng(s) for s in seeds], False


def _fit_together(nets, X, y, epochs, optimizer, lr, batch_size, optimizer_params,
                  validation_data=None, validation_freq=1, patience=None, min_delta=0.0,
                  record_weights=None, shuffle_seed=None):
    """Train networks of one architecture and settings together, in place.

    ``lr`` is one float, or a list of one per net; each net's ``l2`` is its own.
    ``shuffle_seed`` as ``fit_replicas`` takes it.
    """
    first = nets[0]
    check_positive("epochs", epochs, integer=True)
    lrs = _per_replica("lr", lr, nets)
    for value in lrs:
        check_positive("lr", value)
    if batch_size is not None:
        check_positive("batch_size", batch_size, integer=True)
    validate = validation_epochs(validation_freq, epochs)
    if patience is not None:
        check_positive("patience", patience, integer=True)
        if validation_data is None:
            raise ValueError("early stopping (patience) needs validation_data=(X_val, y_val)")
        if validate is not None:
            raise ValueError("early stopping (patience) needs the validation loss after "
                             f"every epoch: validation_freq=1, got {validation_freq!r}")
    check_non_negative("min_delta", min_delta)
    rngs, shared = _batch_orders(nets, shuffle_seed)
    opt = OPTIMIZERS[check_name("optimizer", optimizer, OPTIMIZERS)]
    stack = engine.Stack.from_arrays([(n.weights, n.biases) for n in nets], first.dtype)
    try:  # one lr for all: a float; else each replica's spread over its parameters
        opt = opt(lrs[0] if len(set(lrs)) == 1 else stack.spread(lrs), **optimizer_params)
    except TypeError as err:
        raise ValueError(f"bad option for optimizer {optimizer!r}: {err}") from None
    X, Y = first._check_data(X, y)
    validation = None
    if validation_data is not None:
        try:
            X_val, y_val = validation_data
        except (TypeError, ValueError):
            raise ValueError("validation_data must be a pair (X_val, y_val)") from None
        validation = first._check_data(X_val, y_val)
    network = _stacked_network(nets, stack)
    stopping = None if patience is None else EarlyStopping(stack, patience, min_delta)
    run = engine.train(
        network, stack, X, Y, epochs=epochs, optimizer=opt, batch_size=batch_size,
        shuffle_rngs=rngs, shared_order=shared, validation=validation,
        validate=validate, stopping=stopping,
        record=None if record_weights is None else epoch_mask(record_weights, epochs,
                                                              "record_weights"),
    )
    history, val_history, diverged = run["history"], run["val_history"], run["diverged"]
    recorded = run["recorded"]
    if stopping is not None:  # keep each replica's best epoch, where it has one
        kept = stopping.best_epoch >= 0  # else no finite validation loss: keep the last
        for B, best in zip(stack.blocks, stopping.best_blocks()):
            B[kept] = best[kept]
    problems = _unusable(network, stack, run["inputs"], Y)
    for s, net in enumerate(nets):
        val = None if val_history is None else val_history[s]
        if s in diverged:
            epoch, net.weights, net.biases = diverged[s]
            net.history_ = FitHistory(
                history[s, :epoch], "diverged",
                f"loss became non-finite ({history[s, epoch]}) at epoch {epoch + 1} of {epochs}; "
                "try a smaller lr", val_losses=None if val is None else val[:epoch],
                weight_stats=replica_stats(recorded, s, epoch))
            continue
        net.weights, net.biases = stack.get_replica(s)
        runs, best = len(history[s]), None
        if stopping is not None:
            if stopping.stop_epoch[s] >= 0:
                runs = stopping.stop_epoch[s] + 1
            if stopping.best_epoch[s] >= 0:
                best = int(stopping.best_epoch[s]) + 1
        problem = problems[s]
        net.history_ = FitHistory(
            history[s, :runs], "diverged" if problem else "ok",
            f"{problem} after the last step (epoch {runs} of {epochs}); try a smaller lr"
            if problem else "", val_losses=None if val is None else val[:runs],
            best_epoch=best, weight_stats=replica_stats(recorded, s, runs))
    return [net.history_ for net in nets]


def _stacked_network(nets, stack):
    """The engine's ``Network`` of nets that share all but their ``l2`` (one per replica
    where they differ)."""
    first, l2s = nets[0], [n.l2 for n in nets]
    return engine.Network(first.activation, first.output, first.loss_name,
                          l2s[0] if len(set(l2s)) == 1 else l2s, first.leaky_slope, stack)


def _unusable(network, stack, inputs, Y):
    """Why each replica's kept weights cannot be used, or ``""``: one entry per replica.

    Divergence is decided on what is kept, not only on the losses seen during training:
    the last step can overflow the weights after a finite loss, and a kept network whose
    weights or training loss are not finite is no result. One forward pass of the whole
    stack on the training data decides it for every replica. ``inputs`` is
    ``engine.train``'s: after mini-batch training the pass multiplies a transposed view of
    the rows (rounding may differ in the last bits: a finite loss stays finite short of
    overflow's edge), saving a transposed copy of the whole training set.
    """
    X_T, X_rows = inputs
    X_T = X_rows.T if X_T is None else X_T
    finite = np.logical_and.reduce([np.isfinite(B).all(axis=(1, 2)) for B in stack.blocks])
    ws = engine.Workspace(stack, len(X_rows))
    with np.errstate(all="ignore"):
        engine.forward(network, stack, X_T, ws)
        losses = engine.loss_values(network, stack, np.ascontiguousarray(Y.T), ws)
    reasons = []
    for ok, value in zip(finite, losses):
        if not ok:
            reasons.append("the weights became non-finite")
        elif not np.isfinite(value):
            reasons.append(f"the loss on the training data became {value}")
        else:
            reasons.append("")
    return reasons
