"""Replicas that stop or diverge leave the stack; every replica still trains as it would alone.

References: the same net trained alone (``MLP.fit``: a stack of one, which never shrinks),
bit for bit; and a plain per-network numpy loop with Keras' patience rule written here on
``tests/reference`` (its initialization, gradients, optimizers and batch orders).
"""
import numpy as np
import pytest
import reference as ref

import nncore
from nncore import engine
from nncore.optimizers import Adam
from nncore.stopping import EarlyStopping

LAYERS = [1, 16, 16, 1]


def _data():
    rng = np.random.default_rng(0)
    X = np.linspace(0, 1, 12).reshape(-1, 1)
    y = np.sin(2 * np.pi * X) + rng.normal(0, 0.3, X.shape)
    X_val = rng.uniform(0, 1, (40, 1))
    return X, y, X_val, np.sin(2 * np.pi * X_val) + rng.normal(0, 0.3, X_val.shape)


def _reference(layers, seed, X, y, *, validation_data, epochs, optimizer, lr, patience,
               min_delta=0.0, l2=0.0, batch_size=None, activation="tanh"):
    """One net, plain loops: each epoch's batches, its loss, the validation loss, patience."""
    X_val, y_val = validation_data
    W, b = ref.initial_params(layers, seed)
    opt, orders, n = ref.OPTIMIZERS[optimizer](lr), ref.batch_orders(seed, len(X)), len(X)
    history, val, best, best_epoch, wait, kept = [], [], np.inf, None, 0, None
    with np.errstate(all="ignore"):
        for epoch in range(1, epochs + 1):
            order = np.arange(n) if batch_size is None else next(orders)
            total = 0.0
            for start in range(0, n, batch_size or n):
                idx = order[start : start + (batch_size or n)]
                value, dW, db = ref.gradients(W, b, X[idx], y[idx], activation, "identity",
                                              "mse", l2)
                total += len(idx) * value
                opt.step(W + b, dW + db)
            if not np.isfinite(total / n):
                return history, val, None, (W, b)
            history.append(total / n)
            val.append(ref.loss(ref.forward(W, b, X_val, activation)[-1], y_val, "mse", W, l2))
            if val[-1] < best - min_delta:
                best, best_epoch, wait = val[-1], epoch, 0
                kept = ([w.copy() for w in W], [c.copy() for c in b])
            else:
                wait += 1
                if wait >= patience:
                    break
    return history, val, best_epoch, kept


def _same(a, b):
    """Bit for bit (NaN equal to NaN)."""
    return np.array_equal(np.asarray(a, float), np.asarray(b, float), equal_nan=True)


def _assert_as_alone(net, layers, X, y, **fit):
    """``net`` (from a stack) equals the net with its seed, lr and l2 trained alone."""
    alone = nncore.MLP(layers, seed=net.seed, l2=net.l2, activation=net.activation)
    h = alone.fit(X, y, **fit)
    ours = net.history_
    assert (ours.status, ours.message, ours.best_epoch) == (h.status, h.message, h.best_epoch)
    assert _same(ours, h) and _same(ours.val_losses, h.val_losses)
    for mine, theirs in zip(net.weights + net.biases, alone.weights + alone.biases):
        assert _same(mine, theirs)
    if h.weight_stats is not None:
        assert _same(ours.weight_stats["epoch"], h.weight_stats["epoch"])
        assert _same(ours.weight_stats["stats"], h.weight_stats["stats"])


CASES = {  # optimizer, per-replica lr, per-replica l2, batch size, patience
    "adam": ("adam", 0.01, 0.0, None, 60),
    "momentum, own lr and l2": ("momentum", [0.05, 0.02, 0.05, 0.1, 0.03, 0.05],
                                [0.0, 0.001, 0.01, 0.0, 0.001, 0.1], None, 40),
    "adagrad, own lr": ("adagrad", [0.05, 0.02, 0.03, 0.05, 0.04, 0.02], 0.001, None, 40),
    "adam, own l2, mini-batches": ("adam", 0.01, [0.0, 0.01, 0.0, 0.001, 0.0, 0.0], 5, 30),
    "momentum, mini-batches": ("momentum", 0.02, 0.0, 5, 30),
    "gd, own lr, mini-batches": ("gd", [0.05, 0.1, 0.02, 0.05, 0.08, 0.05], 0.0, 5, 30),
}


@pytest.mark.parametrize("case", CASES)
def test_replicas_stopping_at_their_own_epochs_each_equal_the_net_alone(case):
    optimizer, lr, l2, batch_size, patience = CASES[case]
    X, y, X_val, y_val = _data()
    seeds = range(6)
    fit = dict(epochs=1500, optimizer=optimizer, batch_size=batch_size,
               validation_data=(X_val, y_val), patience=patience, min_delta=1e-4)
    nets = nncore.fit_replicas(LAYERS, X, y, seeds=seeds, lr=lr, l2=l2,
                               record_weights=range(1, 1500, 9), **fit)
    lrs = lr if isinstance(lr, list) else [lr] * 6
    for net, net_lr in zip(nets, lrs):
        _assert_as_alone(net, LAYERS, X, y, lr=net_lr, record_weights=range(1, 1500, 9), **fit)
        history, val, best_epoch, (W, b) = _reference(
            LAYERS, net.seed, X, y, lr=net_lr, l2=net.l2, **fit)
        if optimizer == "adagrad":  # its trajectories here amplify rounding after ~300
            np.testing.assert_allclose(net.history_[:150], history[:150], rtol=1e-8)
            continue  # epochs (test_replicas' LR note): the rule checked, not the stop
        assert net.history_.best_epoch == best_epoch and len(net.history_) == len(history)
        np.testing.assert_allclose(net.history_, history, rtol=1e-8)
        np.testing.assert_allclose(net.history_.val_losses, val, rtol=1e-8)
        for ours, theirs in zip(net.weights + net.biases, W + b):
            np.testing.assert_allclose(ours, theirs, rtol=1e-7, atol=1e-10)
    assert len({len(net.history_) for net in nets}) >= 4  # the stack shrank several times


def test_a_diverging_replica_leaves_and_the_others_stop_as_alone():
    # The second seed's lr overflows its loss within a few epochs; the others stop later.
    X, y, X_val, y_val = _data()
    lrs = [0.01, 0.5, 0.01, 0.01, 0.01]
    fit = dict(epochs=1000, optimizer="momentum", validation_data=(X_val, y_val), patience=20)
    nets = nncore.fit_replicas([1, 10, 10, 1], X, y, seeds=range(5), lr=lrs,
                               activation="identity", **fit)
    assert [n.history_.status for n in nets] == ["ok", "diverged", "ok", "ok", "ok"]
    for net, lr in zip(nets, lrs):
        _assert_as_alone(net, [1, 10, 10, 1], X, y, lr=lr, **fit)
        history, val, best_epoch, _ = _reference([1, 10, 10, 1], net.seed, X, y, lr=lr,
                                                 activation="identity", **fit)
        np.testing.assert_allclose(net.history_, history, rtol=1e-8)
        assert net.history_.best_epoch == (best_epoch if net.history_.status == "ok" else None)


def test_replicas_diverging_after_the_stack_shrank_each_equal_the_net_alone():
    # test_replicas' case: at lr=0.5 seeds 4, 5, 6 diverge near epoch 240, a few epochs
    # apart; the stack of 8 shrinks as each leaves, so the later ones diverge in it.
    X = np.linspace(0, 1, 30).reshape(-1, 1)
    y = np.sin(2 * np.pi * X)
    fit = dict(epochs=300, optimizer="gd", lr=0.5)
    nets = nncore.fit_replicas([1, 10, 1], X, y, seeds=range(8), **fit)
    assert [len(n.history_) for n in nets if n.history_.status == "diverged"] == [239, 240, 242]
    for net in nets:
        _assert_as_alone(net, [1, 10, 1], X, y, **fit)


@pytest.mark.parametrize("batch_size", [5, None])
def test_replicas_sharing_an_order_equal_the_net_alone(batch_size):
    X, y, X_val, y_val = _data()
    fit = dict(epochs=1000, optimizer="adam", lr=0.01, batch_size=batch_size,
               validation_data=(X_val, y_val), patience=30, shuffle_seed=7)
    nets = nncore.fit_replicas(LAYERS, X, y, seeds=range(6), **fit)
    assert len({len(net.history_) for net in nets}) >= 3
    for net in nets:
        alone = nncore.MLP(LAYERS, seed=net.seed)
        h = alone.fit(X, y, **fit)
        assert (len(h), h.best_epoch) == (len(net.history_), net.history_.best_epoch)
        np.testing.assert_allclose(net.history_, h, rtol=1e-12)
        np.testing.assert_allclose(net.history_.val_losses, h.val_losses, rtol=1e-12)
        for ours, theirs in zip(net.weights + net.biases, alone.weights + alone.biases):
            np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)


class _Sizes(Adam):
    """Adam that notes how many parameters each update sees (the stack's size)."""

    def __init__(self, lr, sizes):
        super().__init__(lr)
        self.sizes = sizes

    def update(self, params, grads):
        self.sizes.append(params.size)
        super().update(params, grads)


def _engine_run(seeds, X, y, validation, epochs, patience):
    """``engine.train`` on the stack of ``seeds``; return the stack, optimizer, stopping."""
    nets = [nncore.MLP(LAYERS, seed=s) for s in seeds]
    stack = engine.Stack.from_arrays([(n.weights, n.biases) for n in nets])
    optimizer, stopping = _Sizes(0.01, []), EarlyStopping(stack, patience)
    run = engine.train(engine.Network("tanh", "identity", "mse", 0.0), stack, X, y,
                       epochs=epochs, optimizer=optimizer, batch_size=None, shuffle_rngs=None,
                       validation=validation, stopping=stopping)
    return stack, optimizer, stopping, run


def test_the_stack_trained_holds_only_the_replicas_still_training():
    X, y, X_val, y_val = _data()
    seeds = range(4)
    stack, optimizer, stopping, run = _engine_run(seeds, X, y, (X_val, y_val), 1500, 40)
    runs = stopping.stop_epoch + 1
    assert len(set(runs)) >= 3 and runs.max() < 1500
    per_replica = stack.params.size // 4
    # Four replicas: every stop shrinks the stack from the next epoch (shrink.worth_shrinking).
    expected = [per_replica * int((runs > epoch).sum()) for epoch in range(runs.max())]
    assert optimizer.sizes == expected
    # The caller's stack and optimizer hold each replica's state as of its last epoch: as
    # a stack of one trained for those epochs leaves them.
    for s, seed in enumerate(seeds):
        alone, alone_opt, _, _ = _engine_run([seed], X, y, (X_val, y_val), int(runs[s]), 10**6)
        for B, B_alone in zip(stack.blocks, alone.blocks):
            assert _same(B[s], B_alone[0])
        for name in ("m", "v"):
            mine = engine.blocks_of(getattr(optimizer, name), [B.shape for B in stack.blocks])
            theirs = engine.blocks_of(getattr(alone_opt, name),
                                      [B.shape for B in alone.blocks])
            assert all(_same(M[s], T[0]) for M, T in zip(mine, theirs))
    assert optimizer.t == runs.max()


def test_take_and_positions_gather_the_replicas_as_stacking_them_does():
    nets = [nncore.MLP([3, 4, 2], seed=s) for s in range(5)]
    stack = engine.Stack.from_arrays([(n.weights, n.biases) for n in nets])
    keep = np.array([1, 3, 4])
    taken = stack.take(keep)
    expected = engine.Stack.from_arrays([(nets[i].weights, nets[i].biases) for i in keep])
    assert _same(taken.params, expected.params) and taken.n_replicas == 3
    positions = stack.positions(keep)
    assert _same(stack.params[positions], expected.params)
    spread = stack.spread([10.0, 11.0, 12.0, 13.0, 14.0])
    assert _same(spread[positions], expected.spread([11.0, 13.0, 14.0]))
