"""The worker side of a sweep: train one group of jobs and return plain result dicts.

A group is a list of job configs that differ only in ``seed``, ``lr``, ``l2`` and ``init``
(``stack_jobs``); they are trained together, as the replicas of one stack, by
``nncore.fit_replicas``, each with its own settings and exactly the numbers it gets trained
alone. A stack shares its ``shuffle_seed`` (it is not in ``PER_REPLICA``): jobs whose
mini-batch order has a seed of its own train on the same batches, their first layers as
one product, each equal to itself trained alone to rounding (about 1e-13 relative). Workers never touch the store: they return results and the driver writes them.
"""
import os
import socket
import time
import traceback
from contextlib import nullcontext

import numpy as np
from threadpoolctl import threadpool_limits

import nncore
from sweeps.keys import config_id, job_key
from sweeps.schema import KEY_DEFAULTS, SPLITS, job_record, now
from sweeps.store.codec import pack_result
from sweeps.tasks.cache import task_dataset

MAX_CURVE_POINTS = 300

#: Rows of a split evaluated at a time (``_evaluate``): small enough that the pass's
#: buffers are reused from one piece to the next, large enough for efficient products.
EVAL_ROWS = 2048

#: The settings in which the replicas of one stack may differ (``nncore.fit_replicas``
#: takes one value per replica). Jobs with and without L2 stay apart: a replica without
#: it then never computes a penalty term (0 times a weight that overflowed is NaN).
PER_REPLICA = ("seed", "lr", "l2", "init")

#: Most replicas in one stack: on tiny nets the engine's cost per net is flat from about
#: 20 replicas on, and smaller groups keep the workers evenly loaded.
MAX_STACK = 40


def stack_key(cfg: dict) -> str:
    """What the jobs that may train in one stack share: all but ``PER_REPLICA``.

    A repr, not a hash: configs are built key by key in one order, so equal settings
    have equal reprs (and unequal ones never do), and planning a large sweep stays cheap.
    """
    shared = [item for item in cfg.items() if item[0] not in PER_REPLICA]
    return repr((shared, cfg["l2"] > 0))


def stack_jobs(shared, max_stack: int = MAX_STACK) -> list:
    """Gather jobs that may train together (``stack_key``) into stacks of at most
    ``max_stack``, in order of first appearance, each filled before the next is begun.

    Parameters
    ----------
    shared : iterable of (dict, sequence)
        ``(config, jobs)``: handles of jobs (job numbers, configs) whose configs are
        ``config`` but for ``PER_REPLICA``; ``stack_key`` is computed once per pair.
    max_stack : int, default=MAX_STACK

    Returns
    -------
    list of (dict, list)
        ``(config, handles)`` per stack: ``config`` that of the stack's first pair (it
        shares everything but ``PER_REPLICA`` with every job of the stack).
    """
    stacks = {}
    for config, jobs in shared:
        chunks = stacks.setdefault(stack_key(config), [(config, [])])
        done = 0
        while done < len(jobs):
            if len(chunks[-1][1]) == max_stack:
                chunks.append((config, []))
            room = max_stack - len(chunks[-1][1])
            chunks[-1][1].extend(jobs[done:done + room])
            done += room
    return [chunk for chunks in stacks.values() for chunk in chunks]


def train_group(configs: list, *, limit_blas: bool = True, data=None) -> list:
    """Train every job of one group; never raise for a job's own failure.

    Parameters
    ----------
    configs : list of dict
        Resolved job configs identical except for ``PER_REPLICA`` (``stack_jobs``).
    limit_blas : bool, default=True
        Run with one BLAS/OpenMP thread, so parallel workers do not oversubscribe the
        cores. The threading backend passes False and limits once in the driver instead:
        thread-pool limits are process-wide, and threads setting and restoring them
        concurrently would race.
    data : Dataset, sweeps.tasks.cache.CachedDataset or None, default=None
        The group's data set as the driver sent it (``sweeps.tasks.cache.task_dataset``):
        itself, or a cache entry to memory-map; None builds it here with ``make_task``.

    Returns
    -------
    list of dict
        One job record per config, in order (``sweeps.schema.job_record``): every field
        but ``run_id``, the arrays already packed for the store (``packed``). If anything
        in the group raises, every job of it is ``failed`` with the error and traceback.
    """
    started, t0 = now(), time.perf_counter()
    info = {"layers": None, "task_facts": None}
    try:
        with threadpool_limits(1) if limit_blas else nullcontext():
            results = _train(configs, info, data)
    except Exception as exc:  # recorded in the store, not swallowed: see _failed
        results = [_failed(cfg, exc, info) for cfg in configs]
    wall = (time.perf_counter() - t0) / len(configs)
    stamp = {"worker": f"{socket.gethostname()}:{os.getpid()}", "started": started,
             "finished": now()}
    for res in results:
        res.update(stamp)
        if res["metrics"] is not None:
            res["metrics"]["wall_time"] = wall
        # What the driver would otherwise compute for every job while the workers wait:
        # the job's identity and its arrays packed as stored.
        res["key"], res["config_id"] = job_key(res["config"]), config_id(res["config"])
        res["packed"] = pack_result(res)
    return results


def _train(configs: list, info: dict, data) -> list:
    cfg = configs[0]
    ds = task_dataset(cfg, data)
    layers = [ds.n_in, *cfg["hidden"], ds.output_units(cfg["output"])]
    info["layers"], info["task_facts"] = layers, ds.facts
    nets = nncore.fit_replicas(
        layers, ds.X_train, _targets(ds, ds.y_train, layers[-1]),
        seeds=[c["seed"] for c in configs], activation=cfg["activation"],
        output=cfg["output"], loss=cfg["loss"], l2=[c["l2"] for c in configs],
        epochs=cfg["epochs"], optimizer=cfg["optimizer"], lr=[c["lr"] for c in configs],
        batch_size=cfg["batch_size"], shuffle_seed=cfg.get("shuffle_seed"),
        validation_data=((ds.X_val, _targets(ds, ds.y_val, layers[-1])) if len(ds.X_val)
                         else None),
        validation_freq=_validation_epochs(cfg), patience=cfg["patience"],
        min_delta=cfg["min_delta"], init=[c["init"] for c in configs],
        leaky_slope=cfg["leaky_slope"], dtype=cfg.get("dtype", KEY_DEFAULTS["dtype"]),
        record_weights=_curve_epochs(cfg) if cfg["record_weights"] else None)
    with np.errstate(all="ignore"):  # a diverged net's metrics are honestly NaN/inf
        metrics = stack_metrics(nets, ds)
    return [_result(c, net, m, layers, ds.facts) for c, net, m in zip(configs, nets, metrics)]


def _validation_epochs(cfg: dict):
    """After which epochs to measure the validation loss: every one for early stopping,
    else only the epochs the stored curve keeps (a forward pass each, so a 2000-epoch job
    validates 300 times, not 2000)."""
    if cfg["patience"] is not None:
        return 1  # the validation loss after every epoch
    return _curve_epochs(cfg)


def _curve_epochs(cfg: dict) -> list:
    """The (at most 300) epochs a job's stored curves keep, 1-based."""
    return downsample_curve(range(cfg["epochs"]))[0].tolist()


def _targets(ds, y, units: int) -> np.ndarray:
    """What a network with ``units`` outputs trains on: the values for regression, the
    encoded labels (``nncore.class_targets``) for classification."""
    return nncore.class_targets(y, units) if ds.kind == "classification" else y


def _result(cfg: dict, net, metrics: dict, layers: list, task_facts: dict) -> dict:
    history = net.history_
    curve_epoch, curve_loss = downsample_curve(history)
    # Measured at the curve's epochs (NaN where a diverged job's shorter curve picks others).
    curve_val_loss = (None if history.val_losses is None
                      else np.asarray(history.val_losses, dtype=np.float64)[curve_epoch - 1])
    metrics["epochs_run"] = len(history)
    metrics["best_epoch"] = np.nan if history.best_epoch is None else history.best_epoch
    return job_record(cfg, history.status, layers=layers, n_params=int(net.n_params),
                      metrics=metrics, curve_epoch=curve_epoch, curve_loss=curve_loss,
                      curve_val_loss=curve_val_loss, weight_stats=history.weight_stats,
                      weights=[np.asarray(w) for w in net.weights],
                      biases=[np.asarray(b) for b in net.biases], task_facts=task_facts)


def job_metrics(net, ds) -> dict:
    """The metrics of a trained network on its task (names from ``sweeps.schema``).

    ``<split>_loss`` for ``split`` in train, val and test is the network's own loss (with
    its L2 term) on that split. Regression adds ``<split>_mse``: the mean over samples and
    outputs of the squared error, the test one against the clean truth where the task has
    one (sine: the quantity the material plots; the noisy targets are what the net saw,
    and validation is what a user would hold out: noisy too). Classification adds
    ``<split>_accuracy``: the fraction of labels predicted right
    (``nncore.predict_labels``). The network is evaluated in float64, whatever type it
    trained in.

    Returns
    -------
    dict
        Metric name -> float.
    """
    return stack_metrics([net], ds)[0]


def stack_metrics(nets: list, ds) -> list:
    """``job_metrics`` of networks of one architecture, one forward pass per split for all
    (``nncore.evaluate_replicas``: each net gets exactly its own numbers)."""
    metrics = [{} for _ in nets]
    for split in SPLITS:
        X, y = getattr(ds, f"X_{split}"), getattr(ds, f"y_{split}")
        if not len(X):
            continue  # nothing held out (a truth table): no such metric, not a made-up one
        outputs, losses = _evaluate(nets, X, _targets(ds, y, nets[0].layers[-1]))
        truth = y
        if ds.kind == "regression" and split == "test" and ds.truth is not None:
            truth = ds.truth(X)
        for m, pred, loss in zip(metrics, outputs, losses):
            m[f"{split}_loss"] = float(loss)
            if ds.kind == "regression":
                m[f"{split}_mse"] = _mse(pred, truth)
            else:
                m[f"{split}_accuracy"] = _accuracy(pred, y)
    return metrics


def _evaluate(nets: list, X: np.ndarray, Y: np.ndarray) -> tuple:
    """``nncore.evaluate_replicas(nets, X, Y)``, ``EVAL_ROWS`` rows at a time.

    Whole, a pass over MNIST's 36,000 training rows allocates about a gigabyte (the rows
    with their ones column, transposed, and every layer's activations): on a machine
    where fresh memory is slow to map that took longer than the products. A net's loss
    is the mean over rows of its per-row loss plus an L2 term divided by the rows'
    number (nncore's losses), so pieces are weighted by their rows; the L2 term is
    not, and a stack with L2 is evaluated whole. The outputs are each net's own; the
    losses equal the whole pass's but for the order of the sum (a few units in the
    last place).
    """
    n = len(X)
    if n <= EVAL_ROWS or any(net.l2 for net in nets):
        return nncore.evaluate_replicas(nets, X, Y)
    outputs = [np.empty((n, nets[0].layers[-1])) for _ in nets]
    losses = np.zeros(len(nets))
    for start in range(0, n, EVAL_ROWS):
        rows = slice(start, start + EVAL_ROWS)
        parts, part_losses = nncore.evaluate_replicas(nets, X[rows], Y[rows])
        for out, part in zip(outputs, parts):
            out[rows] = part
        losses += part_losses * (len(parts[0]) / n)
    return outputs, losses


def _mse(pred: np.ndarray, y) -> float:
    return float(np.mean((pred - np.reshape(y, pred.shape)) ** 2))


def _accuracy(pred: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(nncore.predict_labels(pred) == labels))


def downsample_curve(history, max_points: int = MAX_CURVE_POINTS) -> tuple:
    """Pick at most ``max_points`` evenly spaced epochs, always the first and the last.

    Returns
    -------
    epoch : ndarray of int64
        1-based epoch numbers (``history[0]`` is the loss of epoch 1), so log axes work.
    loss : ndarray of float64
    """
    n = len(history)
    idx = np.unique(np.round(np.linspace(0, n - 1, min(n, max_points))).astype(np.int64))
    return idx + 1, np.asarray(history, dtype=np.float64)[idx]


def failed_record(cfg: dict, error: str, traceback_text: str | None = None,
                  layers=None, task_facts=None) -> dict:
    """The result record of a ``failed`` job: ``error`` is the one line ``sweeps status``
    shows; nothing trained, so every array and metric is None (and the task's facts, too,
    unless its data set was built)."""
    n_params = None if layers is None else nncore.count_params(layers)
    return job_record(cfg, "failed", layers=layers, n_params=n_params, error=error,
                      traceback=traceback_text, task_facts=task_facts)


def _failed(cfg: dict, exc: Exception, info: dict) -> dict:
    message = f"{type(exc).__name__}: {exc}".splitlines()[0] if str(exc) else type(exc).__name__
    return failed_record(cfg, message, "".join(traceback.format_exception(exc)),
                         info["layers"], info["task_facts"])
