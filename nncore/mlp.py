"""The multilayer perceptron: a thin object around the stacked-replica engine."""
import numpy as np

from . import engine
from .activations import ACTIVATIONS, LEAKY_SLOPE, OUTPUTS, check_leaky_slope
from .checks import (
    check_dtype, check_layers, check_name, check_non_negative, check_positive, check_targets,
    check_X,
)
from .epochs import epoch_mask, validation_epochs
from .history import FitHistory
from .init import check_init, init_params
from .losses import LOSSES, check_output_loss
from .optimizers import OPTIMIZERS
from .stopping import EarlyStopping
from .weight_stats import replica_stats


def count_params(layers):
    """Number of weights and biases of a network with these layer sizes."""
    return sum((fan_in + 1) * fan_out for fan_in, fan_out in zip(layers[:-1], layers[1:]))


def shuffle_rng(seed):
    """The generator for mini-batch order: a stream independent of initialization."""
    return np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])


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
        Seeds initialization and mini-batch order through ``numpy.random.default_rng``.
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
            record_weights=None, **optimizer_params):
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
            None trains full batch; an int uses mini-batches shuffled each epoch from ``seed``.
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
        **optimizer_params
            Passed to the optimizer (``momentum``, ``beta1``, ``beta2``, ``epsilon``).

        Returns
        -------
        FitHistory
        """
        return _fit_together([self], X, y, epochs, optimizer, lr, batch_size, optimizer_params,
                             validation_data, validation_freq, patience, min_delta,
                             record_weights)[0]


def fit_replicas(layers, X, y, seeds, *, activation="tanh", output="identity", loss="mse",
                 l2=0.0, dtype=np.float64, init="normal", leaky_slope=LEAKY_SLOPE,
                 epochs=1000, optimizer="adam", lr=0.01,
                 batch_size=None, validation_data=None, validation_freq=1, patience=None,
                 min_delta=0.0, record_weights=None, **optimizer_params):
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
                  optimizer_params,
                  validation_data, validation_freq, patience, min_delta, record_weights)
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


def _per_replica(name, value, seeds):
    """``value`` once per seed: a list as long as ``seeds`` is taken as it is."""
    if not isinstance(value, (list, tuple, np.ndarray)):
        return [value] * len(seeds)
    if len(value) != len(seeds):
        raise ValueError(f"{name} must be one value, or a list of one per seed "
                         f"({len(seeds)}); got {len(value)} values")
    return list(value)


def _fit_together(nets, X, y, epochs, optimizer, lr, batch_size, optimizer_params,
                  validation_data=None, validation_freq=1, patience=None, min_delta=0.0,
                  record_weights=None):
    """Train networks of one architecture and settings together, in place.

    ``lr`` is one float, or a list of one per net; each net's ``l2`` is its own.
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
        shuffle_rngs=[shuffle_rng(n.seed) for n in nets], validation=validation,
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
    problems = _unusable(network, stack, X, Y)
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


def _unusable(network, stack, X, Y):
    """Why each replica's kept weights cannot be used, or ``""``: one entry per replica.

    Divergence is decided on what is kept, not only on the losses seen during training:
    the last step can overflow the weights after a finite loss, and a kept network whose
    weights or training loss are not finite is no result. One forward pass of the whole
    stack on the training data decides it for every replica.
    """
    finite = np.logical_and.reduce([np.isfinite(B).all(axis=(1, 2)) for B in stack.blocks])
    ws = engine.Workspace(stack, len(X))
    with np.errstate(all="ignore"):
        engine.forward(network, stack, engine.inputs(X)[0], ws)
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
