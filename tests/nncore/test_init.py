"""Initialization schemes against scikit-learn's MLP, the documented draws and hand-written arrays.

scikit-learn is the reference for ``"glorot"``: its bound per layer (``_init_coef`` run with
a generator that only records what it is asked for), its very draws from a ``RandomState``
(recorded while it fits) and its first loss from those weights.
"""
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor

import nncore
import reference as ref
from nncore import MLP

# nncore's activation names as scikit-learn spells them; scikit-learn has no leaky relu:
# any name other than "logistic" gets its factor 6, as relu does.
SK_NAME = {"tanh": "tanh", "sigmoid": "logistic", "logistic": "logistic", "relu": "relu",
           "identity": "identity", "leaky_relu": "relu"}
LAYERS = [3, 5, 4, 2]


class _RecordingBounds:
    """Stands in for scikit-learn's random state: records the bounds, draws zeros."""

    def __init__(self):
        self.calls = []

    def uniform(self, low, high, size):
        self.calls.append((low, high, size))
        return np.zeros(size)


@pytest.mark.parametrize("activation", sorted(SK_NAME))
def test_glorot_bound_per_layer_is_scikit_learns(activation):
    sk = MLPRegressor(activation=SK_NAME[activation])
    sk._random_state = _RecordingBounds()
    for fan_in, fan_out in [(1, 10), (10, 10), (10, 1), (400, 300), (784, 30)]:
        sk._init_coef(fan_in, fan_out, np.float64)
        (w_low, w_high, w_size), (b_low, b_high, b_size) = sk._random_state.calls[-2:]
        assert (w_size, b_size) == ((fan_in, fan_out), fan_out)  # weights first, then biases
        bound = nncore.glorot_bound(fan_in, fan_out, activation)
        assert bound == w_high == -w_low == b_high == -b_low


def test_glorot_bound_by_hand():
    assert nncore.glorot_bound(2, 4, "tanh") == 1.0  # sqrt(6 / 6)
    assert nncore.glorot_bound(4, 4, "logistic") == 0.5  # sqrt(2 / 8)
    assert nncore.glorot_bound(4, 4, "sigmoid") == 0.5


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "leaky_relu"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_glorot_follows_the_documented_draws(activation, dtype):
    # default_rng(seed), layer by layer in scikit-learn's order: weights
    # uniform(-bound, bound, (fan_in, fan_out)) then biases uniform(-bound, bound, fan_out);
    # float32 rounds those draws.
    net = MLP(LAYERS, activation=activation, init="glorot", seed=11, dtype=dtype)
    weights, biases = ref.initial_params(LAYERS, 11, "glorot", activation)
    for ours, drawn in zip(net.weights + net.biases, weights + biases):
        assert ours.dtype == dtype
        np.testing.assert_array_equal(ours, drawn.astype(dtype))


def test_glorot_draws_fill_the_bound():
    # 120,000 draws for the first layer: inside [-bound, bound), reaching close to both
    # ends, centred, with a uniform's standard deviation bound / sqrt(3).
    net = MLP([400, 300, 1], activation="tanh", init="glorot", seed=3)
    for l, (W, b) in enumerate(zip(net.weights, net.biases)):
        bound = np.sqrt(6 / (400 + 300)) if l == 0 else np.sqrt(6 / 301)
        for drawn in (W, b):
            assert drawn.min() >= -bound and drawn.max() < bound
    W, bound = net.weights[0], np.sqrt(6 / 700)
    assert W.min() < -0.999 * bound and W.max() > 0.999 * bound
    assert abs(W.mean()) < 0.01 * bound
    assert W.std() == pytest.approx(bound / np.sqrt(3), rel=0.01)
    assert not np.array_equal(W, MLP([400, 300, 1], init="glorot", seed=4).weights[0])


def _recording(estimator_class):
    """``estimator_class`` keeping a copy of every array its ``_init_coef`` draws."""

    class Recording(estimator_class):
        def _init_coef(self, fan_in, fan_out, dtype):
            coef, intercept = super()._init_coef(fan_in, fan_out, dtype)
            self.__dict__.setdefault("drawn", []).append((coef.copy(), intercept.copy()))
            return coef, intercept

    return Recording


@pytest.mark.parametrize("activation", ["tanh", "logistic", "relu", "identity"])
@pytest.mark.parametrize("task", ["regression", "binary", "multiclass"])
def test_glorot_from_a_random_state_is_scikit_learns_and_so_is_the_first_loss(activation,
                                                                             task):
    # scikit-learn draws from RandomState(random_state); given a RandomState so seeded,
    # init_params draws the same arrays, bit for bit. A network started from scikit-learn's
    # own arrays then has its first loss (one full-batch sgd epoch: the loss before the
    # step). Binary classification has a logistic *output*: the factor stays the hidden
    # activation's.
    rng = np.random.default_rng(8)
    X = rng.normal(size=(40, 3))
    kwargs = dict(hidden_layer_sizes=(6, 5), activation=activation, solver="sgd", alpha=0.2,
                  batch_size=40, learning_rate_init=0.1, momentum=0.0, shuffle=False,
                  random_state=17)
    if task == "regression":
        y, sk = rng.normal(size=40), _recording(MLPRegressor)(**kwargs)
        n_out, output, loss, target = 1, "identity", "mse", y
    else:
        n_classes = 2 if task == "binary" else 3
        y, sk = rng.integers(0, n_classes, size=40), _recording(MLPClassifier)(**kwargs)
        n_out = 1 if task == "binary" else n_classes
        output, loss = (("sigmoid", "binary_cross_entropy") if task == "binary"
                        else ("softmax", "cross_entropy"))
        target = y.astype(float) if task == "binary" else y
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if task == "regression":
            sk.partial_fit(X, y)  # one epoch; its loss is taken before its step
        else:
            sk.partial_fit(X, y, classes=np.unique(y))
    layers = [3, 6, 5, n_out]
    weights, biases = nncore.init_params(layers, "glorot", np.random.RandomState(17),
                                         activation=activation)
    assert len(sk.drawn) == 3
    for (coef, intercept), W, b in zip(sk.drawn, weights, biases):
        np.testing.assert_array_equal(W, coef)
        np.testing.assert_array_equal(b, intercept)
    net = MLP(layers, activation=activation, output=output, loss=loss, l2=0.2,
              init={"weights": [c for c, _ in sk.drawn], "biases": [i for _, i in sk.drawn]})
    assert net.loss(X, target) == pytest.approx(sk.loss_curve_[0], rel=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_normal_is_the_default_and_follows_the_documented_draws(dtype):
    # "normal" must stay bit-identical to what every stored result was trained from.
    net = MLP(LAYERS, init="normal", seed=5, dtype=dtype)
    weights, biases = ref.initial_params(LAYERS, 5, "normal")
    for ours, drawn in zip(net.weights + net.biases, weights + biases):
        np.testing.assert_array_equal(ours, drawn.astype(dtype))
    # By hand: default_rng(5)'s first two normal draws, the first divided by sqrt(3).
    first = np.random.default_rng(5).standard_normal(2)
    assert MLP(LAYERS, seed=5).weights[0][0, 0] == first[0] / np.sqrt(3)
    assert MLP(LAYERS, seed=5).weights[0][0, 1] == first[1] / np.sqrt(3)


def test_explicit_arrays_are_copied_as_given():
    weights = [[[1.0, 2.0]], np.array([[3.0], [4.0]])]  # nested lists or arrays
    biases = [np.array([0.5, -0.5]), [7]]
    net = MLP([1, 2, 1], init={"weights": weights, "biases": biases}, dtype=np.float32)
    assert [W.tolist() for W in net.weights] == [[[1.0, 2.0]], [[3.0], [4.0]]]
    assert [b.tolist() for b in net.biases] == [[0.5, -0.5], [7.0]]
    assert all(p.dtype == np.float32 for p in net.weights + net.biases)
    weights[1][0, 0] = 99.0  # the network holds its own copies
    biases[0][0] = 99.0
    assert net.weights[1][0, 0] == 3.0 and net.biases[0][0] == 0.5
    # and its predictions are those of the reference's forward pass on the given arrays
    X = np.array([[1.0], [-2.0]])
    expected = ref.forward([np.array([[1.0, 2.0]]), np.array([[3.0], [4.0]])],
                           [np.array([0.5, -0.5]), np.array([7.0])], X)[-1]
    np.testing.assert_allclose(net.predict(X), expected, rtol=1e-6)


def _sine():
    X = np.linspace(0, 1, 30).reshape(-1, 1)
    return X, np.sin(2 * np.pi * X)


@pytest.mark.parametrize("batch_size", [None, 7])
def test_replicas_with_explicit_arrays_all_start_from_them(batch_size):
    # Every replica starts from the same arrays; with mini-batches the seeds still give
    # each its own batch order. Each must follow the reference loop started from them.
    X, y = _sine()
    start = ref.initial_params([1, 5, 1], seed=123)  # any arrays will do
    init = {"weights": start[0], "biases": start[1]}
    settings = dict(activation="tanh", epochs=40, optimizer="adam", lr=0.02,
                    batch_size=batch_size)
    nets = nncore.fit_replicas([1, 5, 1], X, y, seeds=[0, 1, 2], init=init, **settings)
    for seed, net in zip([0, 1, 2], nets):
        reference = ref.train([1, 5, 1], X, y, seed, init=init, **settings)
        np.testing.assert_allclose(net.history_, reference.history, rtol=1e-10)
        for ours, theirs in zip(net.weights + net.biases, reference.weights + reference.biases):
            np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)
    assert (nets[0].history_[-1] == nets[1].history_[-1]) == (batch_size is None)
    np.testing.assert_array_equal(init["weights"][0], start[0][0])  # the given arrays untouched


def test_replicas_with_glorot_each_draw_from_their_seed():
    X, y = _sine()
    settings = dict(activation="sigmoid", init="glorot", epochs=40, optimizer="momentum",
                    lr=0.1)
    nets = nncore.fit_replicas([1, 6, 1], X, y, seeds=[0, 1, 2], **settings)
    for seed, net in zip([0, 1, 2], nets):
        reference = ref.train([1, 6, 1], X, y, seed, **settings)
        np.testing.assert_allclose(net.history_, reference.history, rtol=1e-10)
        for ours, theirs in zip(net.weights + net.biases, reference.weights + reference.biases):
            np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)


def test_inits_table():
    assert sorted(nncore.INITS) == ["glorot", "normal"]
