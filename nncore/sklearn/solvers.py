"""scikit-learn's MLP training loops, run on nncore's engine.

The estimators in ``estimators.py`` train as scikit-learn's ``MLPClassifier`` /
``MLPRegressor`` do (``sklearn/neural_network/_multilayer_perceptron.py``): epoch by
epoch, with its stopping rule on the training loss (``tol``, ``n_iter_no_change``) or on a
held-out validation score (``early_stopping``), its learning-rate schedules and its
mini-batch order. Each epoch is one call of ``engine.train``, so the gradients and updates
are the engine's (one training code path); only what scikit-learn decides *between* epochs
lives here. ``solver="lbfgs"`` minimizes the engine's loss and gradient with
``scipy.optimize.minimize``, as scikit-learn does with its own.
``losses`` builds the engine's network for scikit-learn's losses.
"""
import functools
import itertools
import math
import warnings

import numpy as np
import scipy.optimize
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import shuffle as sk_shuffle
from threadpoolctl import ThreadpoolController

from .. import engine
from ..init import init_params
from ..optimizers import GD, Adagrad, Adam, Momentum
from .losses import with_weights

STOCHASTIC_SOLVERS = ("sgd", "adam", "adagrad")


def initial_params(layer_units, random_state, activation, dtype):
    """scikit-learn's initial weights: ``"glorot"`` drawn from its ``RandomState``."""
    return init_params(layer_units, "glorot", random_state, activation=activation,
                       dtype=dtype)


@functools.cache
def _controller():
    return ThreadpoolController()  # inspects the loaded libraries once (~1 ms)


def one_blas_thread():
    """A context in which BLAS runs on one thread, as sweep workers train.

    The engine's products are small batched ones; BLAS threads cost more than they
    give there (a 50x101 by 101x200 product: 56 us on one thread, 1.5 ms on two busy
    cores), and scikit-learn's own loop is not slowed by it either.
    """
    return _controller().limit(limits=1, user_api="blas")


def to_stack(coefs, intercepts, dtype):
    """One replica's parameters as an engine ``Stack``."""
    return engine.Stack.from_arrays([(coefs, intercepts)], dtype)


def outputs(net, stack, X):
    """Output activations ``(n_samples, n_outputs)`` of the stack's only replica."""
    ws = engine.Workspace(stack, len(X))
    with np.errstate(all="ignore"):  # a diverged network predicts NaN, as scikit-learn's
        return engine.forward(net, stack, engine.inputs(X)[0], ws)[0].T.copy()


class Nesterov:
    """Nesterov's momentum: ``v = momentum * v - lr * grad; w += momentum * v - lr * grad``.

    scikit-learn's ``SGDOptimizer`` with ``nesterovs_momentum=True`` (its default), in the
    same order of operations. Not in nncore's ``OPTIMIZERS``: only the estimators'
    ``solver="sgd"`` uses it.
    """

    def __init__(self, lr, momentum=0.9):
        self.lr, self.momentum = lr, momentum
        self.velocity = self.scratch = None

    def update(self, params, grads):
        if self.velocity is None:
            self.velocity = np.zeros_like(params)
            self.scratch = np.empty_like(params)
        grads *= self.lr
        self.velocity *= self.momentum
        self.velocity -= grads
        np.multiply(self.velocity, self.momentum, out=self.scratch)
        self.scratch -= grads
        params += self.scratch


class Schedule:
    """An nncore optimizer with scikit-learn's learning-rate schedule and stopping rule.

    The methods and the ``learning_rate`` attribute are those of scikit-learn's
    ``_stochastic_optimizers``: ``iteration_ends(t)`` after every epoch,
    ``trigger_stopping(msg, verbose)`` when the score stalls.

    Parameters
    ----------
    optimizer : nncore optimizer
        Its ``lr`` is changed in place by the schedule.
    schedule : {"constant", "invscaling", "adaptive"}
    power_t : float
    """

    def __init__(self, optimizer, schedule="constant", power_t=0.5):
        self.optimizer, self.schedule, self.power_t = optimizer, schedule, power_t
        self.learning_rate_init = optimizer.lr

    @property
    def learning_rate(self):
        """The current step size (adam's includes its bias correction, as scikit-learn's)."""
        opt = self.optimizer
        if isinstance(opt, Adam) and opt.t:
            return opt.lr * math.sqrt(1 - opt.beta2**opt.t) / (1 - opt.beta1**opt.t)
        return opt.lr

    def iteration_ends(self, time_step):
        if self.schedule == "invscaling":
            self.optimizer.lr = self.learning_rate_init / (time_step + 1) ** self.power_t

    def trigger_stopping(self, msg, verbose):
        if self.schedule != "adaptive":
            if verbose:
                print(msg + " Stopping.")
            return True
        if self.optimizer.lr <= 1e-6:
            if verbose:
                print(msg + " Learning rate too small. Stopping.")
            return True
        self.optimizer.lr /= 5.0
        if verbose:
            print(f"{msg} Setting learning rate to {self.optimizer.lr:f}")
        return False


def make_schedule(est):
    """The optimizer ``est.solver`` names, with its schedule (only sgd has one)."""
    lr = est.learning_rate_init
    if est.solver == "adam":
        return Schedule(Adam(lr, beta1=est.beta_1, beta2=est.beta_2, epsilon=est.epsilon))
    if est.solver == "adagrad":
        return Schedule(Adagrad(lr, epsilon=est.epsilon))
    if est.momentum == 0:  # scikit-learn's zero velocity adds nothing: plain descent
        opt = GD(lr)
    elif est.nesterovs_momentum:
        opt = Nesterov(lr, est.momentum)
    else:
        opt = Momentum(lr, est.momentum)
    return Schedule(opt, est.learning_rate, est.power_t)


class BatchOrder:
    """scikit-learn's mini-batch order, in the form the engine asks for it.

    The engine calls ``permutation(n)`` once per epoch; scikit-learn shuffles the
    previous epoch's order with ``sklearn.utils.shuffle`` and its ``RandomState``, so the
    batches are the same as scikit-learn's from the same ``random_state``.
    """

    def __init__(self, n_samples, shuffle, random_state):
        self.order = np.arange(n_samples)
        self.shuffle, self.random_state = shuffle, random_state

    def permutation(self, n):
        if self.shuffle:
            self.order = sk_shuffle(self.order, random_state=self.random_state)
        return self.order


def fit_stochastic(est, X, y, sample_weight, net, incremental):
    """scikit-learn's ``_fit_stochastic`` on ``est`` (sgd, adam, adagrad): epochs of the engine.

    ``y`` is the 2-D training target, ``sample_weight`` None or one weight per sample
    (then ``net`` is ``losses.network(..., weighted=True)``). ``est.coefs_`` and
    ``est.intercepts_`` are read and written back; sets ``loss_``, ``loss_curve_``,
    ``n_iter_``, ``t_``, ``best_loss_`` / ``validation_scores_`` /
    ``best_validation_score_`` as scikit-learn does.
    """
    if not incremental or not hasattr(est, "_optimizer"):
        est._optimizer = make_schedule(est)
    if est.early_stopping and incremental:
        raise ValueError("partial_fit does not support early_stopping=True")
    X_train, y_train, w_train, X_val, y_val, w_val = _split(est, X, y, sample_weight)
    n_samples = X_train.shape[0]
    batch_size = _batch_size(est.batch_size, n_samples)
    stack = to_stack(est.coefs_, est.intercepts_, X.dtype)
    order = [BatchOrder(n_samples, est.shuffle, est._random_state)]
    Y_train = np.ascontiguousarray(y_train, dtype=X.dtype)
    if w_train is not None:
        Y_train = with_weights(Y_train, w_train)
    try:
        est.n_iter_ = 0
        for _ in range(est.max_iter):
            run = engine.train(net, stack, X_train, Y_train, epochs=1,
                               optimizer=est._optimizer.optimizer, batch_size=batch_size,
                               shuffle_rngs=order)
            est.n_iter_ += 1
            est.loss_ = float(run["history"][0, 0])
            est.t_ += n_samples
            est.loss_curve_.append(est.loss_)
            if est.verbose:
                print(f"Iteration {est.n_iter_}, loss = {est.loss_:.8f}")
            _update_no_improvement_count(est, net, stack, X_val, y_val, w_val)
            est._optimizer.iteration_ends(est.t_)
            if est._no_improvement_count > est.n_iter_no_change:
                what = "Validation score" if est.early_stopping else "Training loss"
                msg = (f"{what} did not improve more than tol={est.tol:f} for "
                       f"{est.n_iter_no_change} consecutive epochs.")
                if est._optimizer.trigger_stopping(msg, est.verbose):
                    break
                est._no_improvement_count = 0
            if incremental:
                break
            if est.n_iter_ == est.max_iter:
                warnings.warn(f"Stochastic Optimizer: Maximum iterations ({est.max_iter}) reached "
                              "and the optimization hasn't converged yet.",
                              ConvergenceWarning)
    except KeyboardInterrupt:
        warnings.warn("Training interrupted by user.")
    if est.early_stopping:
        stack.params[:] = est._best_params
    est.coefs_, est.intercepts_ = stack.get_replica(0)


def _split(est, X, y, sample_weight):
    """``(X, y, w)`` for training and for validation: scikit-learn's early-stopping split.

    Stratified for a single output (binary classification), as scikit-learn's; without
    early stopping everything trains and the validation part is None.
    """
    if not est.early_stopping:
        return X, y, sample_weight, None, None, None
    stratify = y if est._stratify() else None
    arrays = (X, y) if sample_weight is None else (X, y, sample_weight)
    split = train_test_split(*arrays, random_state=est._random_state,
                             test_size=est.validation_fraction, stratify=stratify)
    X_train, X_val, y_train, y_val = split[:4]
    w_train, w_val = split[4:] or (None, None)
    if X_val.shape[0] < 2:
        raise ValueError("The validation set is too small. Increase 'validation_fraction' "
                         "or the size of your dataset.")
    return X_train, y_train, w_train, X_val, est._validation_targets(y_val), w_val


def _batch_size(batch_size, n_samples):
    """scikit-learn's mini-batch size: ``"auto"`` is ``min(200, n)``; larger is clipped."""
    if batch_size == "auto":
        return min(200, n_samples)
    if batch_size > n_samples:
        warnings.warn("Got `batch_size` less than 1 or larger than sample size. It is going "
                      "to be clipped")
    return int(np.clip(batch_size, 1, n_samples))


def _update_no_improvement_count(est, net, stack, X_val, y_val, w_val):
    """scikit-learn's ``_update_no_improvement_count``: the stopping rule's counter."""
    if est.early_stopping:
        P = outputs(net, stack, X_val)
        score = (float(est._score_outputs(P, y_val, w_val)) if np.isfinite(P).all()
                 else float("nan"))
        est.validation_scores_.append(score)
        if est.verbose:
            print(f"Validation score: {score:f}")
        if score < est.best_validation_score_ + est.tol:
            est._no_improvement_count += 1
        else:
            est._no_improvement_count = 0
        if score > est.best_validation_score_:
            est.best_validation_score_ = score
            est._best_params = stack.params.copy()
        return
    if est.loss_curve_[-1] > est.best_loss_ - est.tol:
        est._no_improvement_count += 1
    else:
        est._no_improvement_count = 0
    est.best_loss_ = min(est.best_loss_, est.loss_curve_[-1])


def pack(coefs, intercepts):
    """scikit-learn's packing of the parameters into one vector: weights, then biases."""
    return np.hstack([a.ravel() for a in list(coefs) + list(intercepts)])


def unpack(theta, layer_units):
    """The inverse of ``pack``: ``(coefs, intercepts)`` as views into ``theta``."""
    coefs, intercepts, start = [], [], 0
    for fan_in, fan_out in itertools.pairwise(layer_units):
        coefs.append(theta[start:start + fan_in * fan_out].reshape(fan_in, fan_out))
        start += fan_in * fan_out
    for fan_out in layer_units[1:]:
        intercepts.append(theta[start:start + fan_out])
        start += fan_out
    return coefs, intercepts


def loss_grad(theta, net, X, Y, layer_units):
    """The engine's loss and gradient at packed parameters ``theta`` (both packed)."""
    stack = to_stack(*unpack(theta, layer_units), X.dtype)
    ws = engine.Workspace(stack, len(X))
    X_T, X_rows = engine.inputs(X)
    Y_T = np.ascontiguousarray(Y.T, dtype=X.dtype)
    with np.errstate(all="ignore"):
        engine.forward(net, stack, X_T, ws)
        value = float(engine.loss_values(net, stack, Y_T, ws)[0])
        engine.backward(net, stack, X_rows, Y_T, ws)
    return value, pack(*stack.get_gradients(0))


def fit_lbfgs(est, X, y, sample_weight, net, layer_units):
    """scikit-learn's ``_fit_lbfgs``: L-BFGS-B on the engine's loss and gradient."""
    Y = np.asarray(y, dtype=X.dtype)  # a classifier's targets are boolean
    if sample_weight is not None:
        Y = with_weights(Y, sample_weight)
    result = scipy.optimize.minimize(
        loss_grad, pack(est.coefs_, est.intercepts_), method="L-BFGS-B", jac=True,
        options={"maxfun": est.max_fun, "maxiter": est.max_iter, "gtol": est.tol},
        args=(net, X, Y, layer_units))
    if result.status != 0:
        warnings.warn(f"lbfgs failed to converge after {result.nit} iteration(s) "
                      f"(status={result.status}):\n{result.message}\n", ConvergenceWarning)
    est.n_iter_ = min(result.nit, est.max_iter)
    est.loss_ = float(result.fun)
    coefs, intercepts = unpack(result.x.astype(X.dtype), layer_units)
    est.coefs_, est.intercepts_ = [c.copy() for c in coefs], [b.copy() for b in intercepts]
