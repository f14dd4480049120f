"""A plain per-network numpy MLP: the one independent reference every test compares with.

Written from the documented semantics alone (nncore's docstrings, scikit-learn's update
rules), and deliberately unlike nncore's engine: one network at a time, sample-major
arrays ``(n_samples, width)``, biases added by broadcasting, one small array per weight
and bias, straightforward loops. Nothing here imports nncore.

Documented semantics reproduced here:

* initialization: ``numpy.random.default_rng(seed)``, layer by layer, weights
  ``standard_normal((fan_in, fan_out)) / sqrt(fan_in)`` then biases ``standard_normal(fan_out)``
  (``"normal"``, the default); ``"glorot"``: layer by layer, weights
  ``uniform(-bound, bound, (fan_in, fan_out))`` then biases ``uniform(-bound, bound, fan_out)``
  with ``bound = sqrt(6 / (fan_in + fan_out))``, 2 instead of 6 when the hidden activation is
  the sigmoid (scikit-learn's ``_init_coef``); or given arrays, the same for every seed;
* leaky ReLU: ``z`` for ``z >= 0``, ``slope * z`` below (slope 0.01 unless given);
* mini-batch order: one permutation of ``range(n)`` per epoch from
  ``default_rng(SeedSequence(seed).spawn(1)[0])``; full batch draws nothing;
* loss: mean over samples of the per-sample loss (``mse`` is 1/2 of the summed squared
  errors), plus ``l2 / (2 m) * sum(W**2)`` on a batch of ``m`` samples (biases excluded);
* an epoch's loss is the mean of its batch losses weighted by batch size, each batch loss
  taken at the weights before that batch's update;
* optimizers: scikit-learn's ``SGDOptimizer`` (momentum, no Nesterov) and
  ``AdamOptimizer`` rules, Adagrad as ``G += g**2; w -= lr * g / (sqrt(G) + eps)``;
* divergence: training stops at the first epoch whose loss is not finite; the history
  keeps the epochs before it and the parameters are those at the end of that epoch
  (``engine.train``'s docstring).
"""
from typing import NamedTuple

import numpy as np
from scipy.special import expit


def leaky_relu(slope):
    """Leaky ReLU and its derivative from the output (1 where a > 0, else ``slope``)."""
    return (lambda Z: np.where(Z >= 0, Z, slope * Z),
            lambda A: np.where(A > 0, 1.0, slope))


# Hidden activations with their derivative written in terms of the activation's output.
HIDDEN = {
    "tanh": (np.tanh, lambda A: 1.0 - A**2),
    "sigmoid": (expit, lambda A: A * (1.0 - A)),
    "logistic": (expit, lambda A: A * (1.0 - A)),
    "relu": (lambda Z: np.maximum(Z, 0.0), lambda A: (A > 0).astype(A.dtype)),
    "leaky_relu": leaky_relu(0.01),
    "identity": (lambda Z: Z, np.ones_like),
}


def hidden(activation, leaky_slope=0.01):
    """The ``(activation, derivative)`` pair, with leaky ReLU's slope."""
    return leaky_relu(leaky_slope) if activation == "leaky_relu" else HIDDEN[activation]


def softmax(Z):
    """Row-wise softmax of ``(n_samples, n_classes)`` pre-activations."""
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


OUTPUTS = {"identity": lambda Z: Z, "sigmoid": expit, "logistic": expit, "tanh": np.tanh,
           "softmax": softmax}


def initial_params(layers, seed, scheme="normal", activation="tanh"):
    """Initial ``(weights, biases)`` drawn by the documented rule, in float64.

    ``scheme`` is ``"normal"``, ``"glorot"`` or a dict of arrays (copied as given).
    """
    if isinstance(scheme, dict):
        return ([np.array(W, dtype=float) for W in scheme["weights"]],
                [np.array(b, dtype=float) for b in scheme["biases"]])
    rng = np.random.default_rng(seed)
    weights, biases = [], []
    for fan_in, fan_out in zip(layers[:-1], layers[1:]):
        if scheme == "normal":
            weights.append(rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in))
            biases.append(rng.standard_normal(fan_out))
        elif scheme == "glorot":
            factor = 2.0 if activation in ("sigmoid", "logistic") else 6.0
            bound = np.sqrt(factor / (fan_in + fan_out))
            weights.append(rng.uniform(-bound, bound, (fan_in, fan_out)))
            biases.append(rng.uniform(-bound, bound, fan_out))
        else:
            raise ValueError(scheme)
    return weights, biases


def batch_orders(seed, n):
    """Yield each epoch's sample order for mini-batch training with ``seed``."""
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
    while True:
        yield rng.permutation(n)


def forward(weights, biases, X, activation="tanh", output="identity", leaky_slope=0.01):
    """Every layer's activations, the input first and the output last."""
    A = [X]
    for l, (W, b) in enumerate(zip(weights, biases)):
        Z = A[-1] @ W + b
        last = l == len(weights) - 1
        A.append(OUTPUTS[output](Z) if last else hidden(activation, leaky_slope)[0](Z))
    return A


def predict(weights, biases, X, activation="tanh", output="identity", leaky_slope=0.01):
    """Output activations ``(n_samples, n_out)`` of the network, ``X`` taken as float64."""
    return forward(weights, biases, np.asarray(X, dtype=np.float64), activation, output,
                   leaky_slope)[-1]


def loss(P, Y, name, weights=(), l2=0.0):
    """Mean per-sample loss of predictions ``P`` against targets ``Y``, plus the L2 penalty."""
    n = len(Y)
    if name == "mse":
        data = 0.5 * np.sum((P - Y) ** 2) / n
    elif name == "cross_entropy":
        data = -np.sum(Y * np.log(P)) / n
    elif name == "binary_cross_entropy":
        data = -np.sum(Y * np.log(P) + (1 - Y) * np.log(1 - P)) / n
    else:
        raise ValueError(name)
    return data + l2 / (2 * n) * sum(np.sum(W**2) for W in weights)


def gradients(weights, biases, X, Y, activation, output, loss_name, l2, leaky_slope=0.01):
    """Loss and its gradients by backpropagation.

    The canonical pairs (identity + mse, softmax + cross_entropy), where the derivative of
    the mean loss with respect to the output pre-activation is ``(P - Y) / n``, and the
    material's sigmoid output with the quadratic cost, where it is
    ``(P - Y) * P * (1 - P) / n``.
    """
    squashed = output in ("sigmoid", "logistic") and loss_name == "mse"
    if not squashed and (output, loss_name) not in (("identity", "mse"),
                                                    ("softmax", "cross_entropy")):
        raise ValueError(f"reference has no backprop for {output} + {loss_name}")
    A = forward(weights, biases, X, activation, output, leaky_slope)
    n = len(X)
    value = loss(A[-1], Y, loss_name, weights, l2)
    delta = (A[-1] - Y) / n
    if squashed:
        delta = delta * A[-1] * (1.0 - A[-1])
    dW, db = [None] * len(weights), [None] * len(weights)
    for l in reversed(range(len(weights))):
        dW[l] = A[l].T @ delta + l2 / n * weights[l]
        db[l] = delta.sum(axis=0)
        if l:
            delta = (delta @ weights[l].T) * hidden(activation, leaky_slope)[1](A[l])
    return value, dW, db


class GD:
    """``w -= lr * g``."""

    def __init__(self, lr):
        self.lr = lr

    def step(self, params, grads):
        for p, g in zip(params, grads):
            p -= self.lr * g


class Momentum:
    """scikit-learn's SGDOptimizer without Nesterov: ``v = mu * v - lr * g; w += v``."""

    def __init__(self, lr, momentum=0.9):
        self.lr, self.momentum, self.velocities = lr, momentum, None

    def step(self, params, grads):
        if self.velocities is None:
            self.velocities = [np.zeros_like(p) for p in params]
        for p, g, v in zip(params, grads, self.velocities):
            v *= self.momentum
            v -= self.lr * g
            p += v


class Adagrad:
    """``G += g**2; w -= lr * g / (sqrt(G) + eps)`` (scikit-learn has no Adagrad)."""

    def __init__(self, lr, epsilon=1e-8):
        self.lr, self.epsilon, self.accumulated = lr, epsilon, None

    def step(self, params, grads):
        if self.accumulated is None:
            self.accumulated = [np.zeros_like(p) for p in params]
        for p, g, G in zip(params, grads, self.accumulated):
            G += g**2
            p -= self.lr * g / (np.sqrt(G) + self.epsilon)


class Adam:
    """scikit-learn's AdamOptimizer: bias correction folded into the learning rate."""

    def __init__(self, lr, beta1=0.9, beta2=0.999, epsilon=1e-8):
        self.lr, self.beta1, self.beta2, self.epsilon = lr, beta1, beta2, epsilon
        self.t, self.ms, self.vs = 0, None, None

    def step(self, params, grads):
        if self.ms is None:
            self.ms = [np.zeros_like(p) for p in params]
            self.vs = [np.zeros_like(p) for p in params]
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        lr_t = self.lr * np.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        for p, g, m, v in zip(params, grads, self.ms, self.vs):
            m[...] = b1 * m + (1 - b1) * g
            v[...] = b2 * v + (1 - b2) * g**2
            p -= lr_t * m / (np.sqrt(v) + self.epsilon)


OPTIMIZERS = {"gd": GD, "momentum": Momentum, "adagrad": Adagrad, "adam": Adam}


class Trained(NamedTuple):
    """What the reference loop ends with."""

    weights: list
    biases: list
    history: list  # finite per-epoch losses
    diverged_at: int | None  # 0-based epoch whose loss was not finite, or None


def train(layers, X, Y, seed, *, activation="tanh", init="normal", shuffle_seed=None,
          **settings):
    """Initialize from ``seed`` and train one network; ``Y`` is 2-D (one-hot for classes).

    The mini-batch order follows ``seed`` unless ``shuffle_seed`` is given; ``settings``
    as :func:`train_from` takes them.
    """
    weights, biases = initial_params(layers, seed, init, activation)
    return train_from(weights, biases, X, Y, seed if shuffle_seed is None else shuffle_seed,
                      activation=activation, **settings)


def train_from(weights, biases, X, Y, order_seed, *, activation="tanh", output="identity",
               loss="mse", l2=0.0, leaky_slope=0.01, epochs, optimizer, lr, batch_size=None,
               **optimizer_params):
    """Train one network from the given parameters (copied), its mini-batch order drawn
    from ``order_seed``; ``Y`` is 2-D (one-hot for classes)."""
    X, Y = np.asarray(X, float), np.asarray(Y, float)
    weights, biases = [np.array(w, float) for w in weights], [np.array(b, float) for b in biases]
    opt = OPTIMIZERS[optimizer](lr, **optimizer_params)
    n = len(X)
    orders = batch_orders(order_seed, n)
    history = []
    with np.errstate(all="ignore"):  # diverging runs overflow on purpose
        for epoch in range(epochs):
            if batch_size is None or batch_size >= n:
                batches = [np.arange(n)]
            else:
                order = next(orders)
                batches = [order[i : i + batch_size] for i in range(0, n, batch_size)]
            total = 0.0
            for idx in batches:
                value, dW, db = gradients(weights, biases, X[idx], Y[idx], activation, output,
                                          loss, l2, leaky_slope)
                total += len(idx) * value
                opt.step(weights + biases, dW + db)  # the lists hold the arrays: updated in place
            epoch_loss = total / n
            if not np.isfinite(epoch_loss):
                return Trained(weights, biases, history, epoch)
            history.append(epoch_loss)
    return Trained(weights, biases, history, None)
