"""The worker side: ``train_group`` and ``job_metrics``.

References (``reference``, tests/reference/): metrics from scikit-learn and losses
written out with numpy, both on outputs of its plain forward pass; networks trained one
at a time with ``nncore.MLP(...).fit``; layer sizes and parameter counts worked out by hand.
"""
import os
import socket
from datetime import datetime

import numpy as np
import pytest
from reference import expected_metrics, loss_value, predict
from sklearn.metrics import mean_squared_error
from sweep_helpers import assert_close, assert_curve_is_history, train_directly

import nncore
from sweeps.tasks import make_task
from sweeps import training
from sweeps.training import job_metrics, train_group

SINE = {"n_samples": 30, "noise": 0.1, "data_seed": 0, "n_test": 1000, "n_val": 30}
MOONS = {"n_samples": 100, "noise": 0.2, "data_seed": 1, "n_test": 80, "n_val": 70}
BLOBS = {"n_samples": 90, "centers": 3, "cluster_std": 1.5, "data_seed": 2, "n_test": 60,
         "n_val": 50}

REGRESSION = {"train_loss", "val_loss", "test_loss", "train_mse", "val_mse", "test_mse"}
CLASSIFICATION = {"train_loss", "val_loss", "test_loss", "train_accuracy", "val_accuracy",
                  "test_accuracy"}


def _config(task, task_params, hidden, output, loss, seed=0, **settings):
    """A resolved job config written out by hand."""
    cfg = {"task": task, "task_params": dict(task_params), "hidden": list(hidden),
           "activation": "tanh", "output": output, "loss": loss, "optimizer": "adam",
           "lr": 0.01, "epochs": 80, "batch_size": None, "l2": 0.0, "patience": None,
           "min_delta": 0.0, "record_weights": False, "init": "normal", "leaky_slope": 0.01,
           "seed": seed}
    cfg.update(settings)
    return cfg


# name: (config, layers [n_in, *hidden, units], n_params counted by hand: sum of
# (fan_in + 1) * fan_out over the layers). Two classes with an output other than softmax
# have one logistic unit; softmax, and three classes, one unit per class.
CASES = {
    "sine identity mse": (_config("sine", SINE, [5], "identity", "mse"), [1, 5, 1], 16),
    "sine tanh mse, l2, mini-batches, sigmoid hidden": (
        _config("sine", SINE, [4, 3], "tanh", "mse", l2=0.1, batch_size=8,
                activation="sigmoid"), [1, 4, 3, 1], 27),
    "sine sigmoid mse": (_config("sine", SINE, [3], "sigmoid", "mse", optimizer="momentum",
                                 lr=0.05), [1, 3, 1], 10),
    "moons softmax cross_entropy, l2, relu": (
        _config("moons", MOONS, [6], "softmax", "cross_entropy", l2=0.05, activation="relu"),
        [2, 6, 2], 32),
    "blobs softmax cross_entropy, mini-batches": (
        _config("blobs", BLOBS, [5], "softmax", "cross_entropy", batch_size=16),
        [2, 5, 3], 33),
    "moons sigmoid mse": (_config("moons", MOONS, [4, 4], "sigmoid", "mse"), [2, 4, 4, 1], 37),
    "moons sigmoid binary_cross_entropy, l2": (
        _config("moons", MOONS, [6], "sigmoid", "binary_cross_entropy", l2=0.01),
        [2, 6, 1], 25),
    "blobs sigmoid mse, three classes": (_config("blobs", BLOBS, [5], "sigmoid", "mse"),
                                         [2, 5, 3], 33),
    "moons softmax mse": (_config("moons", MOONS, [6], "softmax", "mse", optimizer="gd",
                                  lr=0.5), [2, 6, 2], 32),
    "moons identity mse": (_config("moons", MOONS, [6], "identity", "mse",
                                   optimizer="adagrad"), [2, 6, 1], 25),
    "moons tanh mse": (_config("moons", MOONS, [6], "tanh", "mse"), [2, 6, 1], 25),
}


def _settings(cfg):
    return {k: cfg[k] for k in ("hidden", "seed", "activation", "output", "loss", "optimizer",
                                "lr", "epochs", "batch_size", "l2", "patience", "min_delta",
                                "init", "leaky_slope")}


def _direct(cfg):
    return train_directly(cfg["task"], cfg["task_params"], **_settings(cfg))


def _expected(ds, weights, biases, cfg):
    return expected_metrics(ds, weights, biases, activation=cfg["activation"],
                            output=cfg["output"], loss=cfg["loss"], l2=cfg["l2"])


def test_the_cases_cover_every_output_and_loss_the_spec_allows():
    # nncore decides which pairs a spec may name (sweeps.spec asks it); every such pair
    # needs a case above, so a new output or loss cannot go untested.
    kinds = {"sine": "regression", "moons": "classification", "blobs": "classification"}
    covered = {(kinds[c["task"]], c["output"], c["loss"]) for c, _, _ in CASES.values()}
    allowed = set()
    for kind in ("regression", "classification"):
        for output in nncore.OUTPUTS:
            for loss in nncore.LOSSES:
                try:
                    allowed.add((kind, *nncore.choose_output_loss(kind, output, loss)))
                except ValueError:
                    pass
    assert covered == {(k, nncore.canonical_name(o), l) for k, o, l in allowed}


@pytest.mark.parametrize("case", list(CASES))
def test_job_metrics_are_scikit_learns_and_the_written_out_losses(case):
    cfg, _, _ = CASES[case]
    ds, net = _direct({**cfg, "seed": 3})
    got = job_metrics(net, ds)
    want = _expected(ds, net.weights, net.biases, cfg)
    assert set(got) == (REGRESSION if ds.kind == "regression" else CLASSIFICATION)
    for name, value in got.items():
        assert isinstance(value, float)
        assert_close(value, want[name], name)
    if cfg["l2"]:  # the penalty is part of the loss, scaled by each split's own size
        penalty = sum(np.sum(W ** 2) for W in net.weights) * cfg["l2"] / 2
        no_l2 = expected_metrics(ds, net.weights, net.biases, activation=cfg["activation"],
                                 output=cfg["output"], loss=cfg["loss"], l2=0.0)
        assert_close(got["train_loss"] - no_l2["train_loss"], penalty / len(ds.X_train),
                     "train penalty", rtol=1e-8)
        assert_close(got["test_loss"] - no_l2["test_loss"], penalty / len(ds.X_test),
                     "test penalty", rtol=1e-8)
        assert_close(got["val_loss"] - no_l2["val_loss"], penalty / len(ds.X_val),
                     "validation penalty", rtol=1e-8)


@pytest.mark.parametrize("case", list(CASES))
def test_job_metrics_evaluated_a_few_rows_at_a_time_are_the_written_out_ones(case,
                                                                              monkeypatch):
    """Splits evaluated in pieces of 7 rows (MNIST's are pieces of 2,048): the same
    metrics; the losses of a stack without L2 summed in another order (1e-12)."""
    monkeypatch.setattr(training, "EVAL_ROWS", 7)
    cfg, _, _ = CASES[case]
    ds, net = _direct({**cfg, "seed": 5})
    got = job_metrics(net, ds)
    want = _expected(ds, net.weights, net.biases, cfg)
    assert set(got) == set(want)
    for name, value in got.items():
        assert_close(value, want[name], name, rtol=1e-12)


def test_sine_mse_train_against_the_noisy_targets_test_against_the_clean_curve():
    ds, net = _direct(_config("sine", {**SINE, "noise": 0.3}, [5], "identity", "mse"))
    got = job_metrics(net, ds)
    x_train, x_test = np.linspace(0, 1, 30)[:, None], np.linspace(0, 1, 1000)[:, None]
    noisy = np.sin(2 * np.pi * x_train) + np.random.default_rng(0).normal(0, 0.3, (30, 1))
    p_train = predict(net.weights, net.biases, x_train, "tanh", "identity")
    p_test = predict(net.weights, net.biases, x_test, "tanh", "identity")
    assert_close(got["train_mse"], mean_squared_error(noisy, p_train), "train_mse")
    assert_close(got["test_mse"], mean_squared_error(np.sin(2 * np.pi * x_test), p_test),
                 "test_mse")
    # and not the other way round: the two targets give clearly different errors
    assert abs(got["train_mse"] - mean_squared_error(np.sin(2 * np.pi * x_train), p_train)) > 1e-3


def test_regression_without_a_truth_is_scored_on_the_held_out_targets(tmp_path):
    rng = np.random.default_rng(4)
    x = rng.uniform(-1, 1, (60, 2))
    y = x[:, 0] - 2 * x[:, 1] + rng.normal(0, 0.1, 60)
    path = tmp_path / "reg.csv"
    path.write_text("y,a,b\n" + "".join(f"{t},{p},{q}\n" for t, (p, q) in zip(y, x)))
    ds = make_task("csv", path=str(path), target="y")
    assert ds.kind == "regression" and ds.truth is None
    net = nncore.MLP([2, 4, 1], seed=1)
    net.fit(ds.X_train, ds.y_train, epochs=50)
    got = job_metrics(net, ds)
    p_test = predict(net.weights, net.biases, ds.X_test, "tanh", "identity")
    assert_close(got["test_mse"], mean_squared_error(ds.y_test, p_test), "test_mse")
    assert_close(got["test_loss"], 0.5 * got["test_mse"], "test_loss = mse / 2, one output")


@pytest.mark.parametrize("case", list(CASES))
def test_train_group_gives_each_seed_the_network_trained_alone(case):
    cfg, layers, n_params = CASES[case]
    configs = [{**cfg, "seed": 0}, {**cfg, "seed": 1}]
    results = train_group(configs)
    assert [r["config"] for r in results] == configs
    kind_metrics = REGRESSION if cfg["task"] == "sine" else CLASSIFICATION
    for cfg_s, res in zip(configs, results):
        ds, net = _direct(cfg_s)
        assert res["status"] == "ok" and res["error"] is None and res["traceback"] is None
        assert res["layers"] == layers and res["n_params"] == n_params
        assert set(res["metrics"]) == kind_metrics | {"best_epoch", "epochs_run", "wall_time"}
        assert res["metrics"]["epochs_run"] == cfg["epochs"] == len(net.history_)
        assert np.isnan(res["metrics"]["best_epoch"])  # no early stopping
        assert 0 < res["metrics"]["wall_time"] < 60
        # the returned weights are those of the network trained alone ...
        assert [w.shape for w in res["weights"]] == list(zip(layers, layers[1:]))
        for got, want in zip(res["weights"] + res["biases"], net.weights + net.biases):
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
        # ... its loss curves are that network's history and validation losses ...
        assert_curve_is_history(res["curve_epoch"], res["curve_loss"], net.history_)
        assert_curve_is_history(res["curve_epoch"], res["curve_val_loss"],
                                net.history_.val_losses)
        # ... and the metrics are recomputed here from the returned weights
        want = _expected(ds, res["weights"], res["biases"], cfg)
        for name in kind_metrics:
            assert_close(res["metrics"][name], want[name], name)
    assert not np.allclose(results[0]["weights"][0], results[1]["weights"][0])  # two seeds


def test_the_curve_starts_at_the_untrained_loss_and_keeps_300_points_of_a_long_run():
    epochs = 450
    cfg = _config("sine", SINE, [3], "identity", "mse", epochs=epochs, l2=0.01)
    res = train_group([cfg])[0]
    ds = make_task("sine", **SINE)
    untrained = nncore.MLP([1, 3, 1], seed=0)  # full batch: epoch 1's loss is measured
    first = loss_value(predict(untrained.weights, untrained.biases, ds.X_train, "tanh",
                               "identity"), ds.y_train, "regression", "mse",
                       untrained.weights, 0.01)  # before the first update
    # ... and epoch 450's after 449 updates
    _, before_last = _direct({**cfg, "epochs": epochs - 1})
    last = loss_value(predict(before_last.weights, before_last.biases, ds.X_train, "tanh",
                              "identity"), ds.y_train, "regression", "mse",
                      before_last.weights, 0.01)
    assert res["curve_epoch"][0] == 1 and res["curve_epoch"][-1] == epochs
    assert_close(res["curve_loss"][0], first, "first point")
    assert_close(res["curve_loss"][-1], last, "last point")
    assert res["metrics"]["epochs_run"] == epochs
    _, net = _direct(cfg)
    assert_curve_is_history(res["curve_epoch"], res["curve_loss"], net.history_)
    assert len(res["curve_epoch"]) == 300


def test_a_diverging_seed_is_a_result_with_its_finite_history():
    cfg = _config("sine", SINE, [4], "identity", "mse", optimizer="gd", lr=1e6, epochs=40)
    results = train_group([{**cfg, "seed": 0}, {**cfg, "seed": 1}])
    for seed, res in enumerate(results):
        ds, net = _direct({**cfg, "seed": seed})
        assert net.history_.status == res["status"] == "diverged"
        assert res["metrics"]["epochs_run"] == len(net.history_) < 40
        assert_curve_is_history(res["curve_epoch"], res["curve_loss"], net.history_)
        assert np.all(np.isfinite(res["curve_loss"]))
        for got, want in zip(res["weights"] + res["biases"], net.weights + net.biases):
            np.testing.assert_allclose(got, want, rtol=1e-10)
        assert not np.isfinite(res["metrics"]["train_loss"])
        assert not np.isfinite(res["metrics"]["test_mse"])
        assert res["error"] is None and res["n_params"] == 13  # [1, 4, 1]: 8 + 5


def _assert_stamped(res):
    host, pid = res["worker"].rsplit(":", 1)
    assert (host, int(pid)) == (socket.gethostname(), os.getpid())
    assert datetime.fromisoformat(res["started"]) <= datetime.fromisoformat(res["finished"])


def test_a_group_whose_task_cannot_be_built_fails_every_job_with_error_and_traceback():
    bad = {**SINE, "n_samples": 1}  # the sine task needs at least 2 samples
    configs = [_config("sine", bad, [3], "identity", "mse", seed=s) for s in (0, 1, 2)]
    results = train_group(configs)
    assert len(results) == 3
    for cfg, res in zip(configs, results):
        assert res["config"] == cfg and res["status"] == "failed"
        assert res["error"].startswith("TaskError: ") and "'n_samples'" in res["error"]
        assert "\n" not in res["error"]
        assert res["traceback"].startswith("Traceback (most recent call last):")
        assert res["traceback"].rstrip().endswith(res["error"].split(": ", 1)[1])
        assert res["layers"] is None and res["n_params"] is None  # no data: no widths
        for field in ("metrics", "weights", "biases", "curve_epoch", "curve_loss"):
            assert res[field] is None, field
        _assert_stamped(res)


def test_a_group_that_fails_after_its_data_is_built_still_knows_its_layers():
    # A hand-made config the spec would refuse: nncore raises when training starts.
    configs = [_config("moons", MOONS, [4], "softmax", "cross_entropy", optimizer="sgd",
                       seed=s) for s in (0, 1)]
    results = train_group(configs)
    for res in results:
        assert res["status"] == "failed" and res["error"].startswith("ValueError: ")
        assert "'sgd'" in res["error"] and "\n" not in res["error"]
        assert "ValueError" in res["traceback"]
        assert res["layers"] == [2, 4, 2] and res["n_params"] == 22  # 3*4 + 5*2
        assert res["metrics"] is None and res["weights"] is None
        _assert_stamped(res)


def test_the_error_of_a_failed_group_is_the_first_line_of_a_long_message(monkeypatch):
    def broken_task(name, **params):
        raise RuntimeError("cannot read the data\nline 2 of the details\nline 3")

    monkeypatch.setattr("sweeps.tasks.cache.make_task", broken_task)
    res, = train_group([_config("sine", SINE, [3], "identity", "mse")])
    assert res["status"] == "failed" and res["error"] == "RuntimeError: cannot read the data"
    assert res["traceback"].rstrip().endswith("line 2 of the details\nline 3")


def test_early_stopping_keeps_each_seeds_best_epoch_and_records_it():
    # A wide net on 12 noisy points: the validation loss turns up long before 2000 epochs.
    params = {**SINE, "n_samples": 12, "noise": 0.3, "n_val": 40}
    cfg = _config("sine", params, [40, 40], "identity", "mse", epochs=2000, patience=50,
                  min_delta=1e-5)
    results = train_group([{**cfg, "seed": 0}, {**cfg, "seed": 1}])
    for seed, res in enumerate(results):
        ds, net = _direct({**cfg, "seed": seed})
        h = net.history_
        assert res["metrics"]["best_epoch"] == h.best_epoch
        assert res["metrics"]["epochs_run"] == len(h) == h.best_epoch + 50 < 2000
        for got, want in zip(res["weights"] + res["biases"], net.weights + net.biases):
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
        # the kept weights are the best validation epoch's: val_loss recomputed from them
        want = _expected(ds, res["weights"], res["biases"], cfg)
        assert_close(res["metrics"]["val_loss"], want["val_loss"], "val_loss")
        assert_close(want["val_loss"], min(h.val_losses), "the minimum", rtol=1e-9)


def test_recorded_weight_statistics_at_the_last_point_are_those_of_the_stored_weights():
    cfg = _config("moons", MOONS, [6, 4], "softmax", "cross_entropy", epochs=450,
                  record_weights=True)
    results = train_group([{**cfg, "seed": 0}, {**cfg, "seed": 1}])
    for res in results:
        ws = res["weight_stats"]
        np.testing.assert_array_equal(ws["epoch"], res["curve_epoch"])  # the curve's epochs
        assert ws["stats"].shape == (len(res["curve_epoch"]), 3, 2, 4)
        for layer, (W, b) in enumerate(zip(res["weights"], res["biases"])):
            for part, values in enumerate((W, b)):
                expected = [values.min(), values.max(), values.mean(), values.std()]
                np.testing.assert_allclose(ws["stats"][-1, layer, part], expected,
                                           rtol=1e-12, atol=1e-15)
    # the first point is after epoch 1: one step from the documented initial weights
    assert results[0]["weight_stats"]["epoch"][0] == 1
    assert train_group([cfg])[0]["weight_stats"] is not None
    assert train_group([{**cfg, "record_weights": False}])[0]["weight_stats"] is None


def test_a_job_whose_last_step_overflows_is_diverged_not_ok():
    cfg = _config("sine", SINE, [4], "identity", "mse", optimizer="gd", lr=1e308, epochs=1)
    (res,) = train_group([cfg])
    assert res["status"] == "diverged" and res["metrics"]["epochs_run"] == 1
    assert not np.isfinite(res["metrics"]["train_loss"])


def test_jobs_differing_in_seed_lr_l2_or_init_share_a_stack_and_nothing_else_does():
    base = _config("sine", SINE, [5], "identity", "mse")
    groups = [[dict(base, seed=s, **change) for s in (0, 1, 2)] for change in (
        {}, {"lr": 0.05}, {"l2": 0.1}, {"l2": 0.2, "init": "glorot"},   # 0, 1 | 2, 3
        {"activation": "relu"}, {"hidden": [6]}, {"epochs": 81})]       # apart
    from sweeps.training import stack_jobs

    stacks = [jobs for _, jobs in stack_jobs([(g[0], g) for g in groups], max_stack=40)]
    assert [len(s) for s in stacks] == [6, 6, 3, 3, 3]
    assert stacks[0] == groups[0] + groups[1] and stacks[1] == groups[2] + groups[3]
    # a cap on the replicas per stack: each stack filled before the next is begun
    capped = stack_jobs([(g[0], g) for g in groups[:2] * 3], max_stack=7)
    assert [jobs for _, jobs in capped] == [(groups[:2] * 3)[0] + groups[1] + groups[0][:1],
                                            groups[0][1:] + groups[1] + groups[0][:2],
                                            groups[0][2:] + groups[1]]


def test_a_stack_of_configs_gives_each_job_the_network_trained_alone():
    cfgs = [_config("sine", SINE, [4], "identity", "mse", seed=s, lr=lr, l2=l2, init=init,
                    optimizer="momentum")
            for s, lr, l2, init in ((0, 0.05, 0.01, "normal"), (1, 0.1, 0.02, "glorot"),
                                    (0, 0.02, 0.01, "glorot"))]
    ds = make_task("sine", **SINE)
    for res, cfg in zip(train_group(cfgs), cfgs):
        net = nncore.MLP([1, 4, 1], l2=cfg["l2"], seed=cfg["seed"], init=cfg["init"])
        net.fit(ds.X_train, ds.y_train, epochs=cfg["epochs"], optimizer="momentum",
                lr=cfg["lr"])
        assert res["config"] == cfg and res["status"] == "ok"
        for got, want in zip(res["weights"] + res["biases"], net.weights + net.biases):
            np.testing.assert_array_equal(got, want)
