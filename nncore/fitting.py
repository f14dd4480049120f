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
    problems = _unusable(network, stack, X, Y, run["inputs"])
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


def _unusable(network, stack, X, Y, inputs):
    """Why each replica's kept weights cannot be used, or ``""``: one entry per replica.

    Divergence is decided on what is kept, not only on the losses seen during training:
    the last step can overflow the weights after a finite loss, and a kept network whose
    weights or training loss are not finite is no result. A replica with finite weights
    whose loss ``_loss_is_bounded`` proves finite is usable without a pass over the data
    (at 1 epoch of MNIST-shaped data that pass cost half an epoch's products); for the
    others one forward pass of the whole stack on the training data decides it, as it
    decided for every replica before: the two never disagree. ``inputs`` is
    ``engine.train``'s: after mini-batch training the pass multiplies a transposed view of
    the rows (rounding may differ in the last bits: a finite loss stays finite short of
    overflow's edge), saving a transposed copy of the whole training set.
    """
    X_T, X_rows = inputs
    finite = np.logical_and.reduce([np.isfinite(B).all(axis=(1, 2)) for B in stack.blocks])
    losses = np.zeros(stack.n_replicas)  # finite wherever the bound decides
    with np.errstate(all="ignore"):
        if not (finite <= _loss_is_bounded(network, stack, X, Y)).all():
            if X_T is None:
                X_T = (engine.inputs(X, transposed=False)[1] if X_rows is None else X_rows).T
            ws = engine.Workspace(stack, len(X))
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


def bound_limit(dtype):
    """Largest bound on a pre-activation or an output taken as proof of no overflow in
    ``dtype``: 1e-4 of the square root of its largest number (1.3e150 in float64, 1.8e15
    in float32), so that rounding in the products, squares of outputs and sums over a
    data set's rows (``limit**2``: 1e8 below the largest) stay finite."""
    return float(np.sqrt(np.finfo(dtype).max)) * 1e-4


def _loss_is_bounded(network, stack, X, Y):
    """Per replica: whether its training loss on ``X`` ``(n, n_in)`` is finite, proven
    from its weights (False: not proven, a forward pass must decide).

    Every input is at most ``max(1, ||X||)`` in magnitude (the Frobenius norm: one BLAS
    pass, half the time of a maximum and a minimum; the ones column adds the 1). Every
    pre-activation is a dot product over inputs bounded by ``a``, so it is at most
    ``max_j sum_i |W_ji| * a + |b_j|``; each hidden function maps ``[-z, z]`` into
    ``[-a', a']`` with ``a' = max |f(+-z)|`` (every entry of the activation table is
    monotone), and the output into ``[-p, p]`` likewise (softmax into ``[0, 1]``). The
    loss per row is then at most its value with every output and target at a corner of
    its box (each unit's term is convex or monotone in the output and in the target:
    the quadratic cost and the cross-entropies), and the loss and the L2 penalty are
    finite when those bounds are. Costs one pass over the weights and one over ``X``.
    ``bound_limit`` says how far from overflow a bound must be (its margin also covers
    the rounding of these bounds themselves).
    """
    S, limit, n = stack.n_replicas, bound_limit(stack.dtype), len(X)
    flat = X.reshape(-1)
    bound = np.full(S, max(1.0, float(np.sqrt(np.dot(flat, flat)))))
    ok = np.isfinite(bound) & (bound < limit)
    for l, B in enumerate(stack.blocks):
        z = (np.abs(B[:, :, :-1]).sum(axis=-1) * bound[:, None] + np.abs(B[:, :, -1])).max(-1)
        ok &= z < limit  # False where NaN or inf
        ends = np.where(ok, z, 0.0)[:, None, None] * np.array([[-1.0], [1.0]])  # (S, 2, 1)
        last = l == len(stack.blocks) - 1
        bound = np.abs((network.output if last else network.hidden).forward(ends)).max(axis=(1, 2))
        ok &= np.isfinite(bound) & (bound < limit)
    n_out = Y.shape[1]
    corners = np.array([[p, y] for p in (-1.0, 1.0) for y in (Y.min(), Y.max())])  # (4, 2)
    P = np.where(ok, bound, 0.0)[:, None] * corners[:, 0]  # (S, 4): each corner's output
    P = np.repeat(P.reshape(S * 4, 1, 1), n_out, axis=1)  # every unit at the corner
    Y_c = np.repeat(np.tile(corners[:, 1], S).reshape(S * 4, 1, 1), n_out, axis=1)
    per_row = network.loss.value(P, Y_c).reshape(S, 4).max(axis=1)  # rows of n = 1
    ok &= np.isfinite(per_row) & (per_row * n < limit**2)
    if network.penalized:  # as engine.loss_values adds it: none where a replica's l2 is 0
        l2 = np.broadcast_to(np.asarray(network.l2, dtype=np.float64), (S,))
        penalty = np.where(l2 > 0, l2 / (2 * n) * stack.weight_norms(), 0.0)
        ok &= np.isfinite(penalty) & (penalty < limit**2)
    return ok
