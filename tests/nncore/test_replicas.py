"""Stacked replicas train exactly as independent networks would, per the reference loop.

The reference is ``reference.train``: a plain per-network numpy loop written from the
documented semantics (initialization, mini-batch order, loss, scikit-learn's update
rules), sharing no code with nncore's stacked engine.
"""
import numpy as np
import pytest
from sklearn.datasets import make_moons

import nncore
import reference as ref
from nncore import MLP

SEEDS = [0, 1, 2, 3, 4]


def _sine():
    X = np.linspace(0, 1, 30).reshape(-1, 1)
    return X, np.sin(2 * np.pi * X)


def _assert_matches_reference(net, reference, rtol=1e-9, atol=1e-12):
    """``net`` (an nncore MLP after fit) has the reference's parameters and loss history."""
    assert net.history_.status == ("ok" if reference.diverged_at is None else "diverged")
    np.testing.assert_allclose(net.history_, reference.history, rtol=rtol, atol=atol)
    for ours, theirs in zip(net.weights + net.biases, reference.weights + reference.biases):
        assert ours.shape == theirs.shape
        np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol)


# Learning rates at which every seed's trajectory is well conditioned: at some settings
# (e.g. adagrad full batch, lr=0.02, seed 2) training itself amplifies rounding
# differences ~1.7x per epoch, and no two correct implementations agree to 1e-9.
LR = {"gd": 0.1, "momentum": 0.02, "adagrad": 0.05, "adam": 0.02}


@pytest.mark.parametrize("optimizer", ["gd", "momentum", "adagrad", "adam"])
@pytest.mark.parametrize("batch_size", [None, 7])
def test_replicas_match_reference_regression(optimizer, batch_size):
    # 30 samples in batches of 7: four of 7 and a last one of 2, so the epoch loss's
    # weighting by batch size and the per-batch l2 / (2 m) are both exercised.
    X, y = _sine()
    settings = dict(activation="tanh", l2=0.01, epochs=150, optimizer=optimizer,
                    lr=LR[optimizer], batch_size=batch_size)
    stacked = nncore.fit_replicas([1, 6, 4, 1], X, y, seeds=SEEDS, **settings)
    references = [ref.train([1, 6, 4, 1], X, y, seed, **settings) for seed in SEEDS]
    for net, reference in zip(stacked, references):
        _assert_matches_reference(net, reference)
    # MLP.fit promises the same network as fit_replicas gives; check it against the
    # reference too, not against fit_replicas.
    alone = MLP([1, 6, 4, 1], activation="tanh", l2=0.01, seed=SEEDS[2])
    alone.fit(X, y, epochs=150, optimizer=optimizer, lr=LR[optimizer], batch_size=batch_size)
    _assert_matches_reference(alone, references[2])
    # The replicas really are different networks (different seeds, different results).
    assert not np.allclose(stacked[0].weights[0], stacked[1].weights[0])
    assert len({net.history_[-1] for net in stacked}) == len(SEEDS)


# relu + adam + l2 is left out: dead relu units then carry only the l2 gradient, Adam
# rescales it to steps of ~lr, and the trajectory amplifies a 1e-15 perturbation to 1e-4
# (the reference loop does that to itself), so no two implementations agree to 1e-9.
@pytest.mark.parametrize("optimizer,params,activation", [
    ("adam", dict(beta1=0.8, beta2=0.99, epsilon=1e-7), "tanh"),
    ("momentum", dict(momentum=0.5), "relu"),
])
@pytest.mark.parametrize("batch_size", [None, 16])
def test_replicas_match_reference_classification(optimizer, params, activation, batch_size):
    # Softmax + cross-entropy on two moons, with non-default optimizer options and l2.
    X, y = make_moons(100, noise=0.2, random_state=0)
    settings = dict(activation=activation, output="softmax", loss="cross_entropy", l2=0.05,
                    epochs=100, optimizer=optimizer, lr=0.01, batch_size=batch_size, **params)
    stacked = nncore.fit_replicas([2, 5, 5, 2], X, y, seeds=SEEDS, **settings)
    onehot = np.eye(2)[y]
    for seed, net in zip(SEEDS, stacked):
        _assert_matches_reference(net, ref.train([2, 5, 5, 2], X, onehot, seed, **settings))


def test_one_diverging_replica_does_not_touch_the_others():
    # At lr=0.5 seeds 4, 5 and 6 diverge (the loss overflows after ~240 epochs) while
    # the others converge: each must still follow its own reference trajectory.
    X, y = _sine()
    seeds = list(range(8))
    stacked = nncore.fit_replicas([1, 10, 1], X, y, seeds=seeds, epochs=300, optimizer="gd", lr=0.5)
    statuses = [net.history_.status for net in stacked]
    assert statuses == ["ok"] * 4 + ["diverged"] * 3 + ["ok"], statuses
    for seed, net in zip(seeds, stacked):
        reference = ref.train([1, 10, 1], X, y, seed, epochs=300, optimizer="gd", lr=0.5)
        if reference.diverged_at is None:
            _assert_matches_reference(net, reference)
            assert net.history_[-1] < 0.2  # really converged, not merely still finite
            continue
        # Diverged: the history stops before the first non-finite epoch, and the
        # parameters are those at the end of that epoch (engine.train's documented rule).
        epoch = reference.diverged_at
        assert net.history_.status == "diverged"
        assert f"at epoch {epoch + 1} of 300" in net.history_.message
        assert len(net.history_) == epoch and np.all(np.isfinite(net.history_))
        np.testing.assert_allclose(net.history_, reference.history, rtol=1e-9)
        # The output layer (~1e153 by now) pins down which epoch's weights were kept: one
        # step earlier they are -1/4.5 times these. The first layer sits behind saturated
        # tanh units, where 1 - a**2 is pure rounding, so it only agrees loosely.
        np.testing.assert_allclose(net.weights[1], reference.weights[1], rtol=1e-9)
        np.testing.assert_allclose(net.biases[1], reference.biases[1], rtol=1e-9)
        np.testing.assert_allclose(net.weights[0], reference.weights[0], rtol=0.1)


def test_same_seed_gives_identical_results_across_runs():
    # A determinism property: two runs are compared with each other, bit for bit.
    X, y = make_moons(80, noise=0.3, random_state=1)
    runs = [nncore.fit_replicas([2, 8, 2], X, y, seeds=[3, 9], output="softmax",
                                loss="cross_entropy", epochs=50, batch_size=16)
            for _ in range(2)]
    for a, b in zip(*runs):
        for p, q in zip(a.weights + a.biases, b.weights + b.biases):
            np.testing.assert_array_equal(p, q)
        np.testing.assert_array_equal(a.history_, b.history_)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
def test_float32_replicas_track_the_float64_reference(activation):
    # float32 is the speed option: it must stay within float32 rounding (observed
    # ~1e-6 after 100 epochs) of the float64 reference loop.
    X, y = _sine()
    settings = dict(activation=activation, epochs=100, optimizer="gd", lr=0.1)
    nets32 = nncore.fit_replicas([1, 8, 8, 1], X, y, seeds=SEEDS[:3], dtype=np.float32, **settings)
    for seed, net in zip(SEEDS, nets32):
        reference = ref.train([1, 8, 8, 1], X, y, seed, **settings)
        assert all(p.dtype == np.float32 for p in net.weights + net.biases)
        _assert_matches_reference(net, reference, rtol=1e-5, atol=1e-5)
        prediction = ref.forward(reference.weights, reference.biases, X, activation)[-1]
        np.testing.assert_allclose(net.predict(X), prediction, atol=1e-5)
        # ... and it really computes in float32: a float64 computation cast at the end
        # would agree with the reference's losses to ~1e-15.
        relative = np.abs(np.array(net.history_) - reference.history) / reference.history
        assert relative.max() > 1e-9


@pytest.mark.parametrize("activation,slope,optimizer,batch_size,l2", [
    ("leaky_relu", 0.01, "momentum", None, 0.01),  # the default slope
    ("leaky_relu", 0.2, "adam", 7, 0.0),  # no l2 with adam: see the relu note above
    ("leaky_relu", 0.0, "gd", 7, 0.01),  # slope 0: relu
    ("tanh", 0.5, "gd", None, 0.0),  # the slope is ignored by other activations
])
def test_leaky_relu_replicas_match_reference(activation, slope, optimizer, batch_size, l2):
    X, y = _sine()
    settings = dict(activation=activation, leaky_slope=slope, l2=l2, epochs=150,
                    optimizer=optimizer, lr=LR[optimizer], batch_size=batch_size)
    stacked = nncore.fit_replicas([1, 6, 4, 1], X, y, seeds=SEEDS[:3], **settings)
    references = [ref.train([1, 6, 4, 1], X, y, seed, **settings) for seed in SEEDS[:3]]
    for net, reference in zip(stacked, references):
        _assert_matches_reference(net, reference)
    alone = MLP([1, 6, 4, 1], activation=activation, leaky_slope=slope, l2=l2, seed=SEEDS[1])
    alone.fit(X, y, epochs=150, optimizer=optimizer, lr=LR[optimizer], batch_size=batch_size)
    _assert_matches_reference(alone, references[1])


@pytest.mark.parametrize("optimizer", ["gd", "momentum", "adagrad", "adam"])
@pytest.mark.parametrize("batch_size", [None, 7])
def test_replicas_with_their_own_lr_l2_and_init_each_match_the_reference(optimizer,
                                                                         batch_size):
    # One stack, each replica its own seed, lr, l2 and initialization scheme: each must be
    # the reference network trained alone with its own settings.
    X, y = _sine()
    lrs = [LR[optimizer] * f for f in (1.0, 0.5, 0.25, 1.0)]
    l2s = [0.01, 0.0, 0.05, 0.01]
    inits = ["normal", "glorot", "normal", "glorot"]
    seeds = [0, 1, 2, 0]
    settings = {"activation": "tanh", "epochs": 100, "optimizer": optimizer,
                "batch_size": batch_size}
    stacked = nncore.fit_replicas([1, 6, 4, 1], X, y, seeds=seeds, lr=lrs, l2=l2s,
                                  init=inits, **settings)
    for net, seed, lr, l2, init in zip(stacked, seeds, lrs, l2s, inits):
        reference = ref.train([1, 6, 4, 1], X, y, seed, lr=lr, l2=l2, init=init, **settings)
        _assert_matches_reference(net, reference)


def test_per_replica_settings_must_be_one_per_seed():
    X, y = _sine()
    with pytest.raises(ValueError, match="lr must be one value, or a list of one per seed"):
        nncore.fit_replicas([1, 3, 1], X, y, seeds=[0, 1, 2], lr=[0.1, 0.2], epochs=2)


def test_evaluate_replicas_gives_each_net_the_reference_outputs_and_loss():
    # Nets of one architecture with their own l2 (one without any, whose weights have
    # overflowed: its loss must stay its own, inf, not a NaN from 0 * inf).
    X, y = _sine()
    l2s = [0.0, 0.1, 0.03, 0.0]
    nets = [MLP([1, 5, 3, 1], l2=l2, seed=s) for s, l2 in enumerate(l2s)]
    nets[3].weights[2][0, 0] = np.inf
    with np.errstate(all="ignore"):
        outputs, losses = nncore.evaluate_replicas(nets, X, y)
    for net, out, value in zip(nets, outputs, losses):
        with np.errstate(all="ignore"):  # without L2 there is no penalty term at all
            P = ref.forward(net.weights, net.biases, X)[-1]
            want = ref.loss(P, y, "mse", net.weights if net.l2 else (), net.l2)
        np.testing.assert_allclose(out, P, rtol=1e-12)
        assert value == pytest.approx(want, rel=1e-12)
    assert np.isinf(losses[3])
