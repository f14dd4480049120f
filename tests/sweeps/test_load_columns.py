"""``sweeps.load`` read in columns (issue 23): the frame is today's, cell for cell.

References, none of them the loader: the raw SQLite rows of
``tests/data/store_before_facts`` read here with ``sqlite3``, ``json`` and numpy's own
``.npz`` reader (``np.load``); the frame's dtypes as the row-by-row loader of main
(a107602) gave them, pinned; and ``sweeps.keys.job_key`` for which rows are current.
"""
import hashlib
import io
import json
import math
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest

import sweeps
from sweeps.keys import RESULTS_VERSION, is_key_of_text, job_key
from sweeps.schema import CONFIG_KEYS, METRICS
from sweeps.store.codec import pack_arrays, unpack_many

OLD = Path(__file__).parent.parent / "data" / "store_before_facts"

#: The dtypes main's loader gave this store's frame (read off it once, by hand).
DTYPES = {
    "key": "str", "config_id": "str", "task": "str", "hidden": "object", "layers": "str",
    "depth": "int64", "n_params": "float64", "activation": "str", "output": "str",
    "loss": "str", "optimizer": "str", "lr": "float64", "epochs": "int64",
    "batch_size": "object", "l2": "float64", "init": "str", "leaky_slope": "float64",
    "patience": "object", "min_delta": "float64", "record_weights": "bool", "dtype": "str",
    "shuffle_seed": "object",
    "seed": "int64", "data_seed": "float64", "n_samples": "float64", "n_test": "float64",
    "n_val": "float64", "noise": "float64", "centers": "float64", "cluster_std": "float64",
    "function": "str", "categorical": "object", "file_sha256": "str", "header": "object",
    "path": "str", "scale": "str", "target": "str", "test_size": "float64",
    "val_size": "float64", "task_params": "object", "kind": "str", "n_in": "int64",
    "n_out": "int64", "has_val": "bool", "has_test": "bool", "status": "str", "error": "str",
    "traceback": "object", **dict.fromkeys(METRICS, "float64"),
    **dict.fromkeys(("curve_epoch", "curve_loss", "curve_val_loss", "weight_stats",
                     "weights", "biases"), "object"),
    "run_id": "int64", "worker": "str", "started": "str", "finished": "str"}


def _npz(blob):
    if blob is None:
        return None
    with np.load(io.BytesIO(blob), allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


def _missing(value):
    return value is None or (isinstance(value, float) and math.isnan(value))


def _same_array(got, want):
    assert got.dtype == want.dtype and got.shape == want.shape
    assert np.array_equal(got, want, equal_nan=True)


@pytest.fixture
def store(tmp_path):
    out = tmp_path / "old"
    shutil.copytree(OLD, out)
    return out


def test_frame_is_the_stored_rows_cell_for_cell(store):
    df = sweeps.load(store)
    assert {c: str(t) for c, t in df.dtypes.items()} == DTYPES  # same columns, in order
    conn = sqlite3.connect(store / "sweep.db")
    conn.row_factory = sqlite3.Row
    rows = conn.execute("SELECT * FROM jobs ORDER BY finished, key").fetchall()
    assert list(df["key"]) == [r["key"] for r in rows]
    for (_, got), row in zip(df.iterrows(), rows):
        config = json.loads(row["config"])
        for name in CONFIG_KEYS[2:]:
            want = config.get(name, "float64" if name == "dtype" else None)
            value = got[name]
            assert value == want or (want is None and name != "batch_size"
                                     and _missing(value)), name
        assert got["hidden"] == tuple(config["hidden"]) and got["task_params"] == config[
            "task_params"]
        for name in ("status", "error", "run_id", "worker", "started", "finished"):
            # a str column holds NaN where the row holds NULL
            assert got[name] == row[name] or (row[name] is None and _missing(got[name]))
        metrics = json.loads(row["metrics"] or "{}")
        for name in METRICS:
            assert np.isclose(got[name], metrics.get(name, np.nan), rtol=0, equal_nan=True)
        curve, weights = _npz(row["curve"]), _npz(row["weights"])
        if curve is None:
            assert got["curve_loss"] is None
        else:
            _same_array(got["curve_epoch"], curve["epoch"])
            _same_array(got["curve_loss"], curve["loss"])
            if "val_loss" in curve:
                _same_array(got["curve_val_loss"], curve["val_loss"])
            else:  # stored before validation curves
                assert got["curve_val_loss"] is None
        if weights is None:
            assert got["weights"] is None and got["biases"] is None
        else:
            n = len(weights) // 2
            assert len(got["weights"]) == len(got["biases"]) == n
            for i in range(n):
                _same_array(got["weights"][i], weights[f"w{i}"])
                _same_array(got["biases"][i], weights[f"b{i}"])
                got["weights"][i][...] = 0  # its own memory, as np.load's arrays are


def test_arrays_left_out_give_the_same_other_columns(store):
    full = sweeps.load(store)
    bare = sweeps.load(store, curves=False, weights=False)
    assert list(bare.columns) == [c for c in full.columns if c not in (
        "curve_epoch", "curve_loss", "curve_val_loss", "weight_stats", "weights", "biases")]
    assert bare.equals(full[bare.columns])


def test_bulk_unpacking_reads_what_np_load_reads():
    rng = np.random.default_rng(0)
    blobs = [pack_arrays({"w0": rng.normal(size=(1, 2)), "w1": rng.normal(size=(2, 3))}),
             pack_arrays({"w0": rng.normal(size=(1, 3)), "w1": rng.normal(size=(3, 2))}),
             None,
             pack_arrays({"w0": rng.normal(size=(1, 2)), "w1": rng.normal(size=(2, 3))}),
             pack_arrays({"f": np.asfortranarray(rng.normal(size=(3, 4)))}),
             pack_arrays({"s": np.array(2.5), "e": np.zeros((0, 3), np.float32),
                          "i": np.arange(5, dtype=np.int32), "n": np.array([np.nan, np.inf])})]
    got = unpack_many(blobs)
    for blob, arrays in zip(blobs, got):
        want = _npz(blob)
        if want is None:
            assert arrays is None
            continue
        assert list(arrays) == list(want)
        for name in want:
            _same_array(arrays[name], want[name])
    got[0]["w0"][...] = 0  # rows of one layout share no memory that shows
    _same_array(got[3]["w0"], _npz(blobs[3])["w0"])


def test_a_row_is_current_exactly_when_its_config_hashes_to_its_key():
    config = {"task": "sine", "hidden": [3], "lr": 0.01, "seed": 2, "task_params": {}}
    canonical = json.dumps(config, sort_keys=True, separators=(",", ":"))
    spaced = json.dumps(config, sort_keys=True)  # not canonical: read and hashed anew
    key = job_key(config)
    older = hashlib.sha256(f"nnsweeps-results-v{RESULTS_VERSION - 1}\n{canonical}"
                           .encode()).hexdigest()[:len(key)]
    assert is_key_of_text(key, canonical) and is_key_of_text(key, spaced)
    assert not is_key_of_text(older, canonical) and not is_key_of_text(older, spaced)
    assert not is_key_of_text(job_key({**config, "seed": 3}), canonical)
