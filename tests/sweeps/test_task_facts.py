"""The task's facts and parameters in the results frame (``sweeps.schema.TASK_FACT_COLUMNS``
and ``task_params``), for a fresh sweep and for a store written before they existed.

Reference: the ``Dataset`` of each job's task built by hand with ``make_task`` and read
attribute by attribute (its kind, input width, ``n_out`` and whether its validation and
test splits hold rows). ``tests/data/store_before_facts`` was written by the code of commit
36290e8 (before issue 20; ``inject.py`` added the row of a worker that died): sine, moons
with a softmax output, three blobs, a truth table, a CSV without test rows, diverged jobs
and a failed job that never built its data.
"""
import shutil
from pathlib import Path

import pytest

import sweeps
from sweeps.runner import run_sweep
from sweeps.schema import TASK_FACT_COLUMNS
from sweeps.tasks import make_task
from sweeps.training import train_group

OLD = Path(__file__).parent.parent / "data" / "store_before_facts"


def _by_hand(task: str, params: dict, csv: Path) -> dict:
    """The facts of ``task`` read off its data set built by hand."""
    if task == "csv":  # the old store names the file where it was written; same bytes here
        params = {**params, "path": str(csv)}
    ds = make_task(task, **params)
    return {"kind": ds.kind, "n_in": ds.n_in, "n_out": ds.n_out,
            "has_val": ds.X_val.shape[0] > 0, "has_test": ds.X_test.shape[0] > 0}


def _assert_facts_match(df, csv: Path):
    assert set(TASK_FACT_COLUMNS) <= set(df.columns) and "task_params" in df.columns
    for _, row in df.iterrows():
        want = _by_hand(row["task"], row["task_params"], csv)
        got = {c: row[c] for c in TASK_FACT_COLUMNS}
        assert got == want, (row["task"], row["status"])
        assert type(got["n_in"]) is int and type(got["n_out"]) is int


def test_a_store_written_before_the_facts_gets_them_on_loading(tmp_path):
    shutil.copytree(OLD, tmp_path / "old")  # readers never write, but keep the data pristine
    df = sweeps.load(tmp_path / "old")
    assert sorted(df["status"].value_counts().items()) == [("diverged", 2), ("failed", 1),
                                                           ("ok", 12)]
    _assert_facts_match(df, OLD / "data.csv")
    # what the tasks are, worked out by hand: an independent check of the Dataset route
    facts = {row["task"]: tuple(row[c] for c in TASK_FACT_COLUMNS)
             for _, row in df.iterrows()}
    assert facts == {"sine": ("regression", 1, 1, True, True),
                     "moons": ("classification", 2, 2, True, True),
                     "blobs": ("classification", 2, 3, True, True),
                     "logic": ("classification", 2, 2, False, False),
                     "csv": ("regression", 2, 1, True, False)}


def test_task_params_are_the_configs_parameters_as_given(tmp_path):
    shutil.copytree(OLD, tmp_path / "old")
    df = sweeps.load(tmp_path / "old")
    blobs = df[df["task"] == "blobs"].iloc[0]["task_params"]
    assert blobs == {"n_samples": 30, "centers": 3, "cluster_std": 1.0, "data_seed": 0,
                     "n_test": 30, "n_val": 30}
    assert type(blobs["centers"]) is int
    csv = df[df["task"] == "csv"].iloc[0]["task_params"]
    assert csv["categorical"] == [] and csv["target"] == "y"
    for _, row in df.iterrows():  # the one-column-per-parameter columns agree
        assert all(row[name] == value for name, value in row["task_params"].items()
                   if name != "categorical")


@pytest.fixture
def fresh(tmp_path):
    csv = tmp_path / "data.csv"
    shutil.copy(OLD / "data.csv", csv)
    spec = (OLD / "spec.toml").read_text().replace("/tmp/rec/d.csv", str(csv))
    (tmp_path / "spec.toml").write_text(spec)
    run_sweep(tmp_path / "spec.toml", tmp_path / "out", n_jobs=1, force=True)
    return tmp_path / "out", csv


def test_a_fresh_sweep_carries_the_facts_of_its_datasets(fresh):
    out, csv = fresh
    df = sweeps.load(out, curves=False, weights=False)
    assert len(df) == 14
    _assert_facts_match(df, csv)


def test_the_worker_records_the_facts_of_the_dataset_it_trained_on():
    cfg = {"task": "blobs", "task_params": {"n_samples": 30, "centers": 3,
                                            "cluster_std": 1.0, "data_seed": 0,
                                            "n_test": 30, "n_val": 30},
           "hidden": [3], "activation": "tanh", "output": "softmax", "loss": "cross_entropy",
           "optimizer": "adam", "lr": 0.01, "epochs": 3, "batch_size": None, "l2": 0.0,
           "patience": None, "min_delta": 0.0, "record_weights": False, "init": "normal",
           "leaky_slope": 0.01, "seed": 0}
    (rec,) = train_group([cfg])
    assert rec["task_facts"] == _by_hand("blobs", cfg["task_params"], None)


def test_an_empty_frame_has_the_fact_columns(tmp_path):
    from sweeps.store import Store
    Store.open(tmp_path, create=True).close()
    df = sweeps.load(tmp_path)
    assert df.empty and {*TASK_FACT_COLUMNS, "task_params"} <= set(df.columns)
