"""The course material's exercises, each one spec: the logistic unit on the admissions
table and the NOT truth table, against formulas worked out here by hand."""
import runpy
from pathlib import Path

import numpy as np
import pytest
from sweep_helpers import seed_groups
from sklearn.linear_model import LogisticRegression

import nncore
from sweeps.spec import Spec
from sweeps.tasks import make_task
from sweeps.training import train_group


def _admissions(path):
    """The examples' table with the admissions data's columns (the real file is not
    shipped): examples/make_data.py writes it."""
    make_data = runpy.run_path(str(Path(__file__).resolve().parents[2] / "examples"
                                   / "make_data.py"), run_name="not_main")
    make_data["admissions"](path)


def _spec(path, **params):
    return Spec.from_dict({"task": "csv", "params": {
        "path": str(path), "target": "admit", "categorical": ["rank"], "hidden": [[]],
        "activation": "sigmoid", "output": "sigmoid", "optimizer": "gd", **params}})


def test_the_logistic_unit_with_mse_is_the_materials_gradient_descent(tmp_path):
    _admissions(tmp_path / "admissions.csv")
    spec = _spec(tmp_path / "admissions.csv", loss="mse", lr=0.5, epochs=100)
    (cfg,) = list(spec)
    assert cfg["hidden"] == [] and (cfg["output"], cfg["loss"]) == ("sigmoid", "mse")
    (result,) = train_group([cfg])
    assert result["layers"] == [6, 1]  # gre, gpa, rank one-hot over 4 values -> 1 unit
    ds = make_task("csv", **cfg["task_params"])
    # The material's loop, from the same starting weights (nncore's documented init):
    # h = x.w + b, y_hat = f(h), error term (y - y_hat) * f'(h), w += lr * mean(term * x).
    start = nncore.MLP([6, 1], activation="sigmoid", output="sigmoid", loss="mse", seed=0)
    w, b = start.weights[0][:, 0].copy(), start.biases[0][0]
    x, y = ds.X_train, ds.y_train.astype(float)
    for _ in range(100):
        y_hat = 1 / (1 + np.exp(-(x @ w + b)))
        term = (y - y_hat) * y_hat * (1 - y_hat)
        w += 0.5 * np.mean(term[:, None] * x, axis=0)
        b += 0.5 * np.mean(term)
    np.testing.assert_allclose(result["weights"][0][:, 0], w, rtol=0, atol=1e-12)
    np.testing.assert_allclose(result["biases"][0], [b], rtol=0, atol=1e-12)
    # accuracy thresholds the one unit at 0.5
    p_test = 1 / (1 + np.exp(-(ds.X_test @ w + b)))
    assert result["metrics"]["test_accuracy"] == pytest.approx(
        np.mean((p_test > 0.5) == ds.y_test), abs=1e-12)


def test_the_logistic_unit_with_log_loss_reaches_logistic_regression(tmp_path):
    _admissions(tmp_path / "admissions.csv")
    spec = _spec(tmp_path / "admissions.csv", loss="binary_cross_entropy", lr=0.5,
                 epochs=3000)
    (cfg,) = list(spec)
    (result,) = train_group([cfg])
    assert result["layers"] == [6, 1] and result["status"] == "ok"
    ds = make_task("csv", **cfg["task_params"])
    # penalty=None, spelled C=inf since scikit-learn 1.8
    reference = LogisticRegression(C=np.inf, max_iter=10_000).fit(ds.X_train, ds.y_train)
    assert result["metrics"]["test_accuracy"] >= reference.score(ds.X_test, ds.y_test) - 1e-12
    assert result["metrics"]["train_accuracy"] >= reference.score(ds.X_train, ds.y_train) - 0.01


def test_not_with_a_tanh_unit_cost_and_gradient_worked_by_hand():
    # The material's NOT: one input, one tanh unit, w = 1.3, b = -0.1, rows x=0 -> 1 and
    # x=1 -> 0, cost C = mean over rows of (a - y)^2 (nncore's mse is half of it).
    ds = make_task("logic", function="not")
    net = nncore.MLP.from_arrays([[[1.3]]], [[-0.1]], activation="tanh", output="tanh",
                                 loss="mse")
    a0, a1 = np.tanh(-0.1), np.tanh(1.3 - 0.1)  # outputs for x = 0 and x = 1
    assert net.predict(ds.X_train)[:, 0] == pytest.approx([a0, a1], rel=1e-15)
    cost = ((a0 - 1) ** 2 + (a1 - 0) ** 2) / 2
    assert 2 * net.loss(ds.X_train, ds.y_train) == pytest.approx(cost, rel=1e-14)
    # dC/dw = mean 2 (a - y) (1 - a^2) x, dC/db = mean 2 (a - y) (1 - a^2); nncore's: half
    dw = ((a1 - 0) * (1 - a1 ** 2) * 1) / 2 * 2
    db = ((a0 - 1) * (1 - a0 ** 2) + (a1 - 0) * (1 - a1 ** 2)) / 2 * 2
    _, dW, dB = net.gradients(ds.X_train, ds.y_train)
    assert 2 * dW[0][0, 0] == pytest.approx(dw, rel=1e-13)
    assert 2 * dB[0][0] == pytest.approx(db, rel=1e-13)


def test_a_truth_table_sweep_trains_one_unit_and_scores_every_row():
    spec = Spec.from_dict({"task": "logic", "params": {
        "function": ["not", "and", "or", "nand", "xor"], "hidden": [[], [4]],
        "output": "tanh", "optimizer": "adam", "lr": 0.1, "epochs": 600}})
    for group in seed_groups(spec):
        (result,) = train_group(group)
        cfg = group[0]
        ds = make_task("logic", **cfg["task_params"])
        assert result["layers"] == [ds.n_in, *cfg["hidden"], 1]
        metrics = result["metrics"]
        assert not any(m.startswith(("val_", "test_")) for m in metrics)  # nothing held out
        net = nncore.MLP.from_arrays(result["weights"], result["biases"], activation="tanh",
                                     output="tanh", loss="mse")
        guess = (net.predict(ds.X_train)[:, 0] > 0.5).astype(int)
        assert metrics["train_accuracy"] == np.mean(guess == ds.y_train)
        if cfg["hidden"] or cfg["task_params"]["function"] != "xor":
            assert metrics["train_accuracy"] == 1.0  # all but a lone unit on xor learn it
    with pytest.raises(ValueError, match="one output unit"):
        Spec.from_dict({"task": "logic", "params": {"hidden": [[3]], "output": "softmax"}})
    with pytest.raises(ValueError, match="no validation data"):
        Spec.from_dict({"task": "logic", "params": {"hidden": [[3]], "patience": 5}})


def test_the_not_exercise_is_one_spec_from_the_materials_starting_point():
    spec = Spec.from_dict({"task": "logic", "params": {
        "function": "not", "hidden": [[]], "output": "tanh", "loss": "mse",
        "init": {"weights": [[[1.3]]], "biases": [[-0.1]]}, "optimizer": "gd", "lr": 0.1,
        "epochs": 1}})
    (cfg,) = list(spec)
    (result,) = train_group([cfg])
    a0, a1 = np.tanh(-0.1), np.tanh(1.2)
    # epoch 1's loss is measured at the starting point: nncore's mse is C / 2
    assert result["curve_loss"][0] == pytest.approx(((a0 - 1) ** 2 + a1 ** 2) / 4, rel=1e-14)
    # one gd step on nncore's loss (half the material's C): w -= lr * dC/dw / 2
    dw = a1 * (1 - a1 ** 2) / 2
    db = ((a0 - 1) * (1 - a0 ** 2) + a1 * (1 - a1 ** 2)) / 2
    assert result["weights"][0][0, 0] == pytest.approx(1.3 - 0.1 * dw, rel=1e-14)
    assert result["biases"][0][0] == pytest.approx(-0.1 - 0.1 * db, rel=1e-14)


def test_init_and_leaky_slope_are_axes_checked_before_anything_runs():
    base = {"task": "moons", "params": {"hidden": [[4]], "epochs": 5}}
    spec = Spec.from_dict({**base, "params": {**base["params"], "init": ["normal", "glorot"],
                                              "activation": "leaky_relu",
                                              "leaky_slope": [0.01, 0.2]}})
    assert sorted({(c["init"], c["leaky_slope"]) for c in spec}) == [
        ("glorot", 0.01), ("glorot", 0.2), ("normal", 0.01), ("normal", 0.2)]
    for bad, pattern in [({"init": "xavier"}, "init"),
                         ({"leaky_slope": 1.5}, "leaky_slope"),
                         ({"init": {"weights": [[[1.0]]], "biases": [[0.0]]}},
                          r"key .init.*one per layer of \[2, 4, 2\]")]:
        with pytest.raises(ValueError, match=pattern):
            Spec.from_dict({**base, "params": {**base["params"], **bad}})
