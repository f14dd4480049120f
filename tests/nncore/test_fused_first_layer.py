"""Mini-batch steps' first layer: gd's update fused into one gemm, and products in pieces.

References: numpy's own ``W - lr * (D @ rows)`` for the fused call, and the plain
sample-major reference loop of tests/reference (sigmoid units, the quadratic cost,
mini-batch gd or momentum with scikit-learn's rules, L2 as ``l2 / (2 n) * sum(W**2)``, the
order drawn from ``default_rng(SeedSequence(shuffle_seed).spawn(1)[0])``).
``minibatch.SMALL_PRODUCT`` is lowered so that these small nets take the split path that
wide nets take.
"""
import numpy as np
import pytest
import reference as ref

import nncore
from nncore import MLP, fused, minibatch
from nncore.optimizers import GD, Momentum

LAYERS = [40, 12, 6, 3]
SETTINGS = dict(activation="sigmoid", output="sigmoid", loss="mse")
FIT = dict(epochs=3, lr=3.0, batch_size=10)


def _data(n=67, seed=0):  # 67 rows: the last batch of each epoch has 7
    rng = np.random.default_rng(seed)
    return rng.random((n, LAYERS[0])), np.eye(LAYERS[-1])[rng.integers(0, LAYERS[-1], n)]


def _plain_loop(net, X, Y, shuffle_seed, epochs, lr, batch_size, l2=0.0, momentum=0.0):
    """The reference loop (tests/reference) from ``net``'s initial parameters."""
    settings = dict(optimizer="momentum", momentum=momentum) if momentum else dict(optimizer="gd")
    trained = ref.train_from(net.weights, net.biases, X, Y, shuffle_seed, **SETTINGS, l2=l2,
                             epochs=epochs, lr=lr, batch_size=batch_size, **settings)
    return trained.weights, trained.biases


def _assert_close(net, weights, biases, rtol=1e-12):
    for ours, theirs in zip(net.weights + net.biases, weights + biases):
        np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=1e-12)


@pytest.fixture(params=[False, True], ids=["whole", "in pieces"])
def pieces(request, monkeypatch):
    """Whether the first layer's forward product is split (as a wide layer's is)."""
    if request.param:  # at most 8 rows of 41 inputs times 10 samples per product
        monkeypatch.setattr(minibatch, "SMALL_PRODUCT", 8 * 41 * 10)
    return request.param


def test_the_fused_call_is_numpys_update_for_own_and_shared_rows():
    rng = np.random.default_rng(1)
    for shared in (False, True):
        blocks = rng.normal(size=(3, 12, 41))
        deltas = rng.normal(size=(3, 12, 10)) if shared else rng.normal(size=(3, 13, 10))[:, :-1]
        rows = rng.random((10, 41)) if shared else rng.random((3, 10, 41))
        want = blocks - 0.7 * (deltas @ rows)
        fused.FusedFirst(blocks, deltas, 0.7, shared).update(rows)
        np.testing.assert_allclose(blocks, want, rtol=1e-13, atol=1e-14)


@pytest.mark.skipif(not fused.available, reason="numpy's wheel OpenBLAS not found")
def test_the_fused_call_reads_the_optimizers_lr_at_each_step_and_refuses_strided_rows():
    rng = np.random.default_rng(2)
    blocks, deltas = rng.normal(size=(2, 5, 9)), rng.normal(size=(2, 5, 4))
    rows = rng.random((2, 4, 9))
    want, opt = blocks.copy(), GD(0.5)
    update = fused.FusedFirst(blocks, deltas, opt.lr, False, optimizer=opt)
    for lr in (0.5, 0.1):  # a schedule changed it between two steps
        opt.lr = lr
        want -= lr * (deltas @ rows)
        update.update(rows)
    np.testing.assert_allclose(blocks, want, rtol=1e-13, atol=1e-14)
    with pytest.raises(ValueError, match="rows contiguous"):
        update.update(rng.random((2, 4, 18))[:, :, ::2])


def test_fused_gd_is_used_only_where_it_is_the_same_update():
    net = nncore.engine.Network("sigmoid", "sigmoid", "mse", 0.0)
    assert fused.fused_lr(net, GD(3.0), np.float64) == (3.0 if fused.available else None)
    assert fused.fused_lr(net, GD(np.array([1.0, 2.0])), np.float64) is None  # per replica
    assert fused.fused_lr(net, Momentum(3.0), np.float64) is None
    penalized = nncore.engine.Network("sigmoid", "sigmoid", "mse", 0.01)
    assert fused.fused_lr(penalized, GD(3.0), np.float64) is None


def test_one_net_with_fused_gd_matches_the_plain_loop(pieces):
    X, Y = _data()
    net = MLP(LAYERS, **SETTINGS, seed=2)
    start = MLP(LAYERS, **SETTINGS, seed=2)
    net.fit(X, Y, optimizer="gd", **FIT)
    _assert_close(net, *_plain_loop(start, X, Y, 2, **FIT))


@pytest.mark.parametrize("options", [dict(optimizer="gd", l2=0.05),
                                     dict(optimizer="momentum", momentum=0.9)],
                         ids=["gd with l2", "momentum"])
def test_the_general_update_where_gd_cannot_be_fused(pieces, options):
    X, Y = _data()
    options = dict(options)
    l2 = options.pop("l2", 0.0)
    net = MLP(LAYERS, **SETTINGS, l2=l2, seed=3)
    start = MLP(LAYERS, **SETTINGS, l2=l2, seed=3)
    net.fit(X, Y, **FIT, **options)
    _assert_close(net, *_plain_loop(start, X, Y, 3, **FIT, l2=l2,
                                    momentum=options.get("momentum", 0.0)))


@pytest.mark.parametrize("lr", [3.0, [3.0, 1.0, 2.0]], ids=["one lr", "lr per replica"])
def test_shared_order_replicas_each_equal_the_net_alone(pieces, lr):
    X, Y = _data()
    nets = nncore.fit_replicas(LAYERS, X, Y, seeds=[5, 6, 7], shuffle_seed=11, **SETTINGS,
                               optimizer="gd", **{**FIT, "lr": lr})
    for i, (seed, net) in enumerate(zip([5, 6, 7], nets)):
        alone = MLP(LAYERS, **SETTINGS, seed=seed)
        alone.fit(X, Y, optimizer="gd", shuffle_seed=11,
                  **{**FIT, "lr": lr if np.isscalar(lr) else lr[i]})
        _assert_close(net, alone.weights, alone.biases, rtol=1e-12)


def test_own_orders_stacked_equal_each_net_alone_bit_for_bit(pieces):
    X, Y = _data()
    nets = nncore.fit_replicas(LAYERS, X, Y, seeds=[5, 6], **SETTINGS, optimizer="gd", **FIT)
    for seed, net in zip([5, 6], nets):
        alone = MLP(LAYERS, **SETTINGS, seed=seed)
        alone.fit(X, Y, optimizer="gd", **FIT)
        for ours, theirs in zip(net.weights + net.biases, alone.weights + alone.biases):
            assert np.array_equal(ours, theirs)


def test_without_the_fused_call_the_same_training_to_rounding(monkeypatch):
    X, Y = _data()
    net = MLP(LAYERS, **SETTINGS, seed=4)
    net.fit(X, Y, optimizer="gd", **FIT)
    monkeypatch.setattr(fused, "available", False)  # numpy built against another BLAS
    general = MLP(LAYERS, **SETTINGS, seed=4)
    general.fit(X, Y, optimizer="gd", **FIT)
    _assert_close(net, general.weights, general.biases, rtol=1e-12)


def test_float32_fused_gd_tracks_the_float64_loop(pieces):
    X, Y = _data()
    net = MLP(LAYERS, **SETTINGS, seed=8, dtype=np.float32)
    start = MLP(LAYERS, **SETTINGS, seed=8)
    net.fit(X, Y, optimizer="gd", **FIT)
    for ours, theirs in zip(net.weights + net.biases,
                            sum(_plain_loop(start, X, Y, 8, **FIT), [])):
        assert ours.dtype == np.float32
        np.testing.assert_allclose(ours, theirs, rtol=2e-4, atol=2e-5)
