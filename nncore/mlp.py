"""The multilayer perceptron: a thin object around the stacked-replica engine."""
import numpy as np

from . import engine
from .activations import ACTIVATIONS, LEAKY_SLOPE, OUTPUTS, check_leaky_slope
from .fitting import _fit_together, _per_replica, _stacked_network
from .init import check_init, init_params
from .losses import LOSSES, check_output_loss
from .checks import (
    check_dtype, check_layers, check_name, check_non_negative, check_targets, check_X,
)


def count_params(layers):
    """Number of weights and biases of a network with these layer sizes."""
    return sum((fan_in + 1) * fan_out for fan_in, fan_out in zip(layers[:-1], layers[1:]))


class MLP:
    """A fully connected feed-forward network trained by backpropagation.

    Parameters
    ----------
    layers : list of int
        Sizes from input to output, e.g. ``[1, 10, 10, 1]``; ``[1, 1]`` has no hidden layer.
    activation : {"tanh", "sigmoid", "logistic", "relu", "leaky_relu", "identity"}, \
            default="tanh"
        Hidden-layer activation.
    output : {"identity", "sigmoid", "softmax", "tanh"}, default="identity"
        Output-layer activation.
    loss : {"mse", "cross_entropy", "binary_cross_entropy"}, default="mse"
        ``mse`` is the mean over samples of 1/2 * sum over outputs of squared error;
        ``cross_entropy`` needs a softmax output, ``binary_cross_entropy`` a sigmoid one.
    l2 : float, default=0.0
        Adds ``l2 / (2 n) * sum of squared weights`` to the loss (biases not penalized),
        scikit-learn's ``alpha``.
    seed : int, default=0
        Seeds initialization through ``numpy.random.default_rng``, and the mini-batch
        order too unless ``fit`` is given its own ``shuffle_seed``.
    dtype : numpy floating dtype, default=float64
        The type of the parameters and of every computation (sweeps offer float64 and
        float32).
    init : {"normal", "glorot"} or dict, default="normal"
        ``"normal"``: weights ~ N(0, 1/fan_in), biases ~ N(0, 1). ``"glorot"``:
        scikit-learn's MLP initialization, weights and biases uniform in
        ``[-bound, bound)``, ``bound = sqrt(6 / (fan_in + fan_out))`` (2 instead of 6 with
        a sigmoid hidden activation). Or the arrays themselves,
        ``{"weights": [...], "biases": [...]}``, one per layer (copied; shapes checked).
        ``nncore.init`` documents the draws.
    leaky_slope : float, default=0.01
        Negative slope of ``"leaky_relu"`` (``z`` for ``z >= 0``, ``leaky_slope * z``
        below), ``0 <= leaky_slope < 1``; ignored by the other activations.

    Attributes
    ----------
    weights : list of ndarray
        ``weights[l].shape == (layers[l], layers[l + 1])``.
    biases : list of ndarray
        ``biases[l].shape == (layers[l + 1],)``.
    history_ : FitHistory or None
        Losses of the last ``fit``.
    """

    def __init__(self, layers, activation="tanh", output="identity", loss="mse", l2=0.0,
                 seed=0, dtype=np.float64, *, init="normal", leaky_slope=LEAKY_SLOPE):
        self.layers = check_layers(layers)
        self.activation = check_name("activation", activation, ACTIVATIONS)
        self.output = check_name("output", output, OUTPUTS)
        self.loss_name = check_name("loss", loss, LOSSES)
        check_output_loss(output, loss)
        self.l2 = check_non_negative("l2", l2)
        self.leaky_slope = check_leaky_slope(leaky_slope)
        self.init = check_init(init)
        self.seed, self.dtype = seed, check_dtype(dtype)
        self.weights, self.biases = init_params(self.layers, init, seed,
                                                activation=activation, dtype=self.dtype)
        self.history_ = None

    @classmethod
    def from_arrays(cls, weights, biases, **kwargs):
        """Build a network from given weight and bias arrays (e.g. stored results).

        The layer sizes are read from ``weights``; ``kwargs`` are ``MLP``'s other
        parameters (not ``init``: this is ``init={"weights": weights, "biases": biases}``).
        """
        weights = [np.asarray(W) for W in weights]
        if not weights or any(W.ndim != 2 for W in weights):
            raise ValueError("weights must be a non-empty list of 2-D arrays "
                             "(fan_in, fan_out), one per layer")
        layers = [weights[0].shape[0]] + [W.shape[1] for W in weights]
        return cls(layers, init={"weights": weights, "biases": biases}, **kwargs)

    @property
    def n_params(self):
        """Number of weights and biases."""
        return count_params(self.layers)

    def _network(self):
        return engine.Network(self.activation, self.output, self.loss_name, self.l2,
                               self.leaky_slope)

    def _stack(self):
        return engine.Stack.from_arrays([(self.weights, self.biases)], self.dtype)

    def predict(self, X):
        """Output activations, shape ``(n_samples, layers[-1])``."""
        X = check_X(X, self.layers[0], self.dtype)
        stack = self._stack()
        ws = engine.Workspace(stack, len(X))
        return engine.forward(self._network(), stack, engine.inputs(X)[0], ws)[0].T.copy()

    def loss(self, X, y):
        """Data loss plus L2 penalty on ``(X, y)``, a float."""
        return self.gradients(X, y)[0]

    def gradients(self, X, y):
        """Loss and its gradients with respect to every weight and bias.

        Returns
        -------
        loss : float
        dW : list of ndarray shaped like ``weights``
        db : list of ndarray shaped like ``biases``
        """
        X, Y = self._check_data(X, y)
        net, stack = self._network(), self._stack()
        ws, (X_T, X_rows), Y_T = engine.Workspace(stack, len(X)), engine.inputs(X), Y.T
        engine.forward(net, stack, X_T, ws)
        value = float(engine.loss_values(net, stack, Y_T, ws)[0])
        engine.backward(net, stack, X_rows, Y_T, ws)
        return (value, *stack.get_gradients(0))

    def _check_data(self, X, y):
        X = check_X(X, self.layers[0], self.dtype)
        return X, check_targets(y, len(X), self.layers[-1], self.loss_name, self.dtype)

    def fit(self, X, y, epochs=1000, optimizer="adam", lr=0.01, batch_size=None, *,
            validation_data=None, validation_freq=1, patience=None, min_delta=0.0,
            record_weights=None, shuffle_seed=None, **optimizer_params):
        """Train from the current weights.

        Parameters
        ----------
        X : array-like, shape (n_samples, layers[0])
        y : array-like
            ``(n_samples,)`` or ``(n_samples, layers[-1])``; integer labels for cross_entropy.
        epochs : int, default=1000
        optimizer : {"gd", "momentum", "adagrad", "adam"}, default="adam"
        lr : float, default=0.01
        batch_size : int or None, default=None
            None trains full batch; an int uses mini-batches shuffled each epoch from
            ``shuffle_seed``.
        validation_data : (X_val, y_val) or None, default=None
            Data the loss is also measured on after every epoch (``history.val_losses``),
            in the form ``X`` and ``y`` take.
        validation_freq : int or collection of int, default=1
            As in Keras: validate after every ``validation_freq``-th epoch, or after the
            listed (1-based) epochs; ``val_losses`` is NaN for the others. Validation costs
            a forward pass, so a caller that only needs a few points of the curve saves it.
        patience : int or None, default=None
            Early stopping: stop after ``patience`` epochs without a validation loss lower
            than the best so far minus ``min_delta``, and keep the weights of the best
            epoch (``history.best_epoch``). None trains every epoch. Needs
            ``validation_data`` validated after every epoch.
        min_delta : float, default=0.0
        record_weights : collection of int or None, default=None
            The (1-based) epochs after which to record each layer's weight statistics
            (``history.weight_stats``); None records nothing.
        shuffle_seed : int or None, default=None
            Seeds the mini-batch order (a stream of its own, independent of the
            initialization's); None uses ``seed``, so ``shuffle_seed=seed`` is the default
            order exactly. Ignored in full-batch training.
        **optimizer_params
            Passed to the optimizer (``momentum``, ``beta1``, ``beta2``, ``epsilon``).

        Returns
        -------
        FitHistory
        """
        return _fit_together([self], X, y, epochs, optimizer, lr, batch_size, optimizer_params,
                             validation_data, validation_freq, patience, min_delta,
                             record_weights, shuffle_seed)[0]


def fit_replicas(layers, X, y, seeds, *, activation="tanh", output="identity", loss="mse",
                 l2=0.0, dtype=np.float64, init="normal", leaky_slope=LEAKY_SLOPE,
                 epochs=1000, optimizer="adam", lr=0.01,
                 batch_size=None, validation_data=None, validation_freq=1, patience=None,
                 min_delta=0.0, record_weights=None, shuffle_seed=None, **optimizer_params):
    """Train independently seeded copies of one architecture at once.

    The replicas are stacked and trained with batched matrix products; each returned
    network equals what ``MLP(layers, ..., seed=s).fit(X, y, ...)`` gives alone. With
    early stopping each replica stops at its own epoch.

    Parameters
    ----------
    layers : list of int
    X, y : array-like
        Training data shared by every replica.
    seeds : list of int
        One replica per seed.
    activation, output, loss, dtype, leaky_slope
        As for ``MLP``.
    l2 : float or list of float, default=0.0
        As for ``MLP``, or one value per replica (a list as long as ``seeds``).
    init : {"normal", "glorot"}, dict, or list of those, default="normal"
        As for ``MLP``: a scheme draws each replica's parameters from its own seed.
        Given arrays, ``{"weights": [...], "biases": [...]}``, *every* replica starts
        from the same arrays (each its own copy); the seeds then differ only in
        mini-batch order, so with full-batch training the replicas stay identical.
        A list as long as ``seeds`` gives each replica its own.
    lr : float or list of float, default=0.01
        As for ``MLP.fit``, or one value per replica (a list as long as ``seeds``).
        Replicas with their own ``lr``, ``l2`` or ``init`` train in one stack and each
        gets exactly what it gets trained alone.
    epochs, optimizer, batch_size, validation_data, validation_freq, patience, min_delta,
    record_weights
        As for ``MLP.fit``.
    shuffle_seed : int, list of int, or None, default=None
        Seeds the mini-batch order. None: each replica's order follows its own ``seed``
        (as ``MLP.fit`` without ``shuffle_seed``). An int: every replica trains on the
        same batches, in the order ``MLP.fit(..., shuffle_seed=shuffle_seed)`` gives,
        and the seeds then differ only in their initialization; the first layer's
        products of all replicas become one product each (faster with wide inputs),
        which rounds differently: each replica equals itself trained alone to rounding
        (about 1e-13 relative per step), not bit for bit. A list gives one per seed
        (all equal: as the int). Ignored in full-batch training.
    **optimizer_params
        As for ``MLP.fit``.

    Returns
    -------
    list of MLP
        Trained networks in the order of ``seeds``, each with its ``history_``.
    """
    seeds = list(seeds)
    if not seeds:
        raise ValueError("seeds must list at least one seed")
    l2s, inits = _per_replica("l2", l2, seeds), _per_replica("init", init, seeds)
    nets = [MLP(layers, activation, output, loss, l2_s, seed, dtype, init=init_s,
                leaky_slope=leaky_slope) for seed, l2_s, init_s in zip(seeds, l2s, inits)]
    _fit_together(nets, X, y, epochs, optimizer, _per_replica("lr", lr, seeds), batch_size,
                  optimizer_params, validation_data, validation_freq, patience, min_delta,
                  record_weights, shuffle_seed)
    return nets


def evaluate_replicas(nets, X, y=None, dtype=np.float64):
    """Outputs and losses of several networks of one architecture, as one stack.

    What ``net.predict(X)`` and ``net.loss(X, y)`` give each net, with one forward pass
    for all of them instead of one per net and call (on tiny nets, setting a pass up
    costs more than running it).

    Parameters
    ----------
    nets : list of MLP
        Networks sharing layers, activation, output, loss and leaky slope; each keeps
        its own ``l2``.
    X : array-like, shape (n_samples, layers[0])
    y : array-like or None, default=None
        Targets as ``MLP.loss`` takes them; None skips the losses.
    dtype : numpy dtype, default=float64
        The type the nets are evaluated in, whatever type they trained in.

    Returns
    -------
    outputs : list of ndarray, each (n_samples, layers[-1])
    losses : ndarray (len(nets),), float64, or None without ``y``
    """
    first = nets[0]
    X = check_X(X, first.layers[0], dtype)
    stack = engine.Stack.from_arrays([(n.weights, n.biases) for n in nets], dtype)
    network = _stacked_network(nets, stack)
    ws = engine.Workspace(stack, len(X))
    P = engine.forward(network, stack, engine.inputs(X)[0], ws)
    outputs = [P[s].T.copy() for s in range(len(nets))]
    losses = None
    if y is not None:
        Y = check_targets(y, len(X), first.layers[-1], first.loss_name, dtype)
        losses = engine.loss_values(network, stack, Y.T, ws).astype(np.float64)
    return outputs, losses
