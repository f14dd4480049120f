"""One job record from worker to frame (``sweeps.schema``): its builder, its codec, and the
frame's columns, empty or filled, hand-written or loaded.

References: the column lists written out here by hand from the documented groups, and a
store written by the code before issue 20 (``tests/data/store_before_facts``).
"""
import shutil
from pathlib import Path

import numpy as np
import pytest

import sweeps
from sweeps import schema
from sweeps.store import Store

OLD = Path(__file__).parent.parent / "data" / "store_before_facts"

#: The frame's columns without arrays, written out by hand (sine's parameters in the middle).
SINE_COLUMNS = [
    "key", "config_id", "task", "hidden", "layers", "depth", "n_params", "activation",
    "output", "loss", "optimizer", "lr", "epochs", "batch_size", "l2", "init", "leaky_slope",
    "patience", "min_delta", "record_weights", "dtype", "shuffle_seed", "seed",
    "n_samples", "noise", "data_seed", "n_test", "n_val", "task_params",
    "kind", "n_in", "n_out", "has_val", "has_test", "status", "error", "traceback",
    "test_mse", "val_mse", "train_mse", "test_accuracy", "val_accuracy", "train_accuracy",
    "test_loss", "val_loss", "train_loss", "best_epoch", "epochs_run", "wall_time",
    "run_id", "worker", "started", "finished"]


def test_the_builder_fills_every_field_and_refuses_others():
    rec = schema.job_record({"task": "sine"}, "failed", error="boom")
    assert list(rec) == list(schema.RECORD_FIELDS)
    assert rec["error"] == "boom" and rec["metrics"] is None and rec["weights"] is None
    with pytest.raises(ValueError, match="no field 'metric'"):
        schema.job_record({}, "ok", metric=1.0)
    with pytest.raises(ValueError, match="unknown status 'done'"):
        schema.job_record({}, "done")


def test_a_loaded_frame_has_the_documented_columns_in_order(tmp_path):
    shutil.copytree(OLD, tmp_path / "old")
    df = sweeps.load(tmp_path / "old", curves=False, weights=False)
    params = {name for given in df["task_params"] for name in given}
    assert params >= {"n_samples", "noise", "function", "path", "centers"}
    # every task's parameters, in one block between the config axes and task_params
    columns = list(df.columns)
    block = columns[columns.index("seed") + 1:columns.index("task_params")]
    assert set(block) == params
    sine_params = ("n_samples", "noise", "data_seed", "n_test", "n_val")
    assert [c for c in columns if c not in params] == [c for c in SINE_COLUMNS
                                                       if c not in sine_params]
    assert df.loc[df["status"] == "ok", "started"].notna().all()


def test_an_empty_frame_has_the_columns_of_a_filled_one_but_task_parameters(tmp_path):
    shutil.copytree(OLD, tmp_path / "old")
    filled = sweeps.load(tmp_path / "old")
    (tmp_path / "empty").mkdir()
    Store.open(tmp_path / "empty", create=True).close()
    empty = sweeps.load(tmp_path / "empty")
    params = {c for task in ("sine", "moons", "blobs", "logic", "csv")
              for c in filled.loc[filled["task"] == task, "task_params"].iloc[0]}
    assert list(empty.columns) == [c for c in filled.columns if c not in params]


def test_the_example_frame_has_the_columns_of_a_loaded_one(tmp_path):
    shutil.copytree(OLD, tmp_path / "old")
    loaded = sweeps.load(tmp_path / "old", curves=False, weights=False)
    example = schema.example_frame([{"hidden": (4, 2), "val_accuracy": 0.5}])
    params = set(loaded["task_params"].iloc[0]) | set(loaded["task_params"].iloc[-1])
    assert list(example.columns) == [c for c in SINE_COLUMNS if c not in params]
    row = example.iloc[0]
    # [2, 4, 2, 1]: 3 * 4 + 5 * 2 + 3 * 1 weights and biases, by hand
    assert (row["layers"], row["depth"], row["n_params"]) == ("[2,4,2,1]", 2, 25)
    assert row["val_accuracy"] == 0.5 and np.isnan(row["test_accuracy"])
    with pytest.raises(ValueError, match="no column 'accuracy'"):
        schema.example_frame([{"accuracy": 1.0}])


def test_a_record_round_trips_through_the_store(tmp_path):
    cfg = {"task": "sine", "task_params": {"n_samples": 10}, "hidden": [2], "seed": 0}
    rng = np.random.default_rng(0)
    weights = [rng.normal(size=(1, 2)), rng.normal(size=(2, 1))]
    biases = [rng.normal(size=2), rng.normal(size=1)]
    rec = schema.job_record(cfg, "ok", key="k1", config_id="c1", layers=[1, 2, 1],
                            n_params=7, metrics={"train_loss": 0.5},
                            curve_epoch=np.array([1, 2]), curve_loss=np.array([1.0, 0.5]),
                            weights=weights, biases=biases, worker="h:1",
                            started="t0", finished="t1")
    with Store.open(tmp_path, create=True) as store:
        run_id = store.start_run(name="x", spec_text="", planned=[], record={})
        store.write_results([rec], run_id)
        (back,) = store.jobs()
    assert list(back) == list(schema.RECORD_FIELDS)
    for name in ("key", "config_id", "config", "status", "layers", "n_params", "metrics",
                 "worker", "started", "finished"):
        assert back[name] == rec[name], name
    assert back["run_id"] == run_id and back["curve_val_loss"] is None
    np.testing.assert_array_equal(back["curve_loss"], rec["curve_loss"])
    for got, want in zip(back["weights"] + back["biases"], weights + biases):
        np.testing.assert_array_equal(got, want)
