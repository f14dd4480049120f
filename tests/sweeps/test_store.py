"""The SQLite result store and its DataFrame view, with configs built by hand."""
import sqlite3

import numpy as np
import pytest

import sweeps
from sweeps.keys import RESULTS_VERSION, job_key
from sweeps.lock import SweepLockedError, run_lock
from sweeps.spec import ConfigJobs
from sweeps.store import DB_NAME, Store, StoreError
from sweeps.training import downsample_curve


def _config(seed=0, hidden=(5, 5), lr=0.01, batch_size=None):
    return {"task": "sine", "task_params": {"n_samples": 30, "noise": 0.1, "data_seed": 0,
                                            "n_test": 1000, "n_val": 30},
            "hidden": list(hidden), "activation": "tanh", "output": "identity", "loss": "mse",
            "optimizer": "adam", "lr": lr, "epochs": 50, "batch_size": batch_size, "l2": 0.0,
            "init": "normal", "leaky_slope": 0.01, "patience": None, "min_delta": 0.0,
            "record_weights": False, "seed": seed}


def _key(seed=0, **changes):
    return job_key(_config(seed, **changes))


def _ok_record(seed=0, rng=None, **changes):
    rng = rng or np.random.default_rng(seed)
    layers = [1, 5, 5, 1]
    config = _config(seed, **changes)
    return {"key": job_key(config), "config_id": "cid", "config": config, "status": "ok",
            "layers": layers, "n_params": 46,
            "metrics": {"train_loss": 0.1, "test_loss": 0.2, "train_mse": 0.1,
                        "test_mse": 0.2, "epochs_run": 50, "wall_time": 0.01},
            "curve_epoch": np.arange(1, 51), "curve_loss": rng.random(50),
            "weights": [rng.standard_normal((a, b)) for a, b in zip(layers, layers[1:])],
            "biases": [rng.standard_normal(b) for b in layers[1:]],
            "worker": "host:1", "started": "t0", "finished": f"t{seed}"}


def _failed_record(seed=1):
    return {"key": _key(seed), "config_id": "cid", "config": _config(seed), "status": "failed",
            "error": "FileNotFoundError: data.csv\nsecond line", "traceback": "Traceback ..."}


def _new_store(tmp_path, planned):
    """A new store whose run planned ``planned``, ``(key, config)`` pairs, one job each."""
    store = Store.open(tmp_path, create=True)
    planned = [ConfigJobs(cfg, range(i, i + 1), None, [key])
               for i, (key, cfg) in enumerate(planned)]
    run_id = store.start_run(name="demo", spec_text="[grid]\n", planned=planned,
                             record={"pid": 1, "versions": {"numpy": np.__version__},
                                     "python": "3.11", "git_commit": None})
    return store, run_id


def test_round_trip_keeps_configs_metrics_and_arrays_exactly(tmp_path):
    rec = _ok_record(0)
    store, run_id = _new_store(tmp_path, [(_key(0), rec["config"]), (_key(1), _config(1)),
                                          (_key(2), _config(2))])
    store.write_results([rec, _failed_record(1)], run_id)
    store.close()

    df = sweeps.load(tmp_path)
    assert sorted(df["key"]) == sorted([_key(0), _key(1)])
    ok = df.set_index("key").loc[_key(0)]
    assert ok["hidden"] == (5, 5) and ok["layers"] == "[1,5,5,1]" and ok["depth"] == 2
    assert ok["noise"] == 0.1 and ok["n_samples"] == 30 and ok["batch_size"] is None
    assert ok["test_mse"] == 0.2 and np.isnan(ok["train_accuracy"])
    np.testing.assert_array_equal(ok["curve_loss"], rec["curve_loss"])
    for got, want in zip(ok["weights"] + ok["biases"], rec["weights"] + rec["biases"]):
        np.testing.assert_array_equal(got, want)
    failed = df.set_index("key").loc[_key(1)]
    assert failed["status"] == "failed" and failed["weights"] is None
    assert failed["error"].startswith("FileNotFoundError") and np.isnan(failed["test_loss"])

    meta = sweeps.load_meta(tmp_path)
    assert meta["name"] == "demo" and meta["spec"] == "[grid]\n" and meta["planned"] == 3
    assert meta["counts"] == {"ok": 1, "diverged": 0, "failed": 1, "pending": 1}
    assert meta["versions"]["numpy"] == np.__version__


def test_load_without_arrays_and_of_an_empty_store(tmp_path):
    store, run_id = _new_store(tmp_path, [])
    assert sweeps.load(tmp_path).empty
    store.write_results([_ok_record(0)], run_id)
    df = sweeps.load(tmp_path, curves=False, weights=False)
    assert "weights" not in df and "curve_loss" not in df and df["train_loss"].iloc[0] == 0.1


def test_write_replaces_a_row_rather_than_adding_one(tmp_path):
    store, run_id = _new_store(tmp_path, [(_key(0), _config())])
    store.write_results([_failed_record(seed=0)], run_id)
    store.write_results([_ok_record(0)], run_id)
    assert store.statuses() == {_key(0): "ok"}


def test_a_group_is_committed_all_or_nothing(tmp_path):
    store, run_id = _new_store(tmp_path, [])
    bad = _ok_record(1)
    bad["status"] = "weird"  # violates the CHECK constraint after seed 0 was inserted
    with pytest.raises(sqlite3.IntegrityError):
        store.write_results([_ok_record(0), bad], run_id)
    assert store.statuses() == {}


def test_a_file_that_is_not_a_database_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / DB_NAME
    content = b"name,value\nthis is,a csv file someone saved here\n" * 20
    path.write_bytes(content)
    for open_it in (lambda: Store.open(tmp_path, create=True), lambda: sweeps.load(tmp_path)):
        with pytest.raises(StoreError, match=str(path)):
            open_it()
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == [DB_NAME]


def test_a_foreign_sqlite_database_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / DB_NAME
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER, amount REAL)")
    before = path.read_bytes()
    with pytest.raises(StoreError, match="not a sweeps result store"):
        Store.open(tmp_path, create=True)
    assert path.read_bytes() == before


def test_missing_directory_or_database_names_the_directory(tmp_path):
    for missing in (tmp_path / "nowhere", tmp_path):
        with pytest.raises(FileNotFoundError, match=str(missing)):
            sweeps.load(missing)
        with pytest.raises(FileNotFoundError, match=str(missing)):
            sweeps.load_meta(missing)
    assert not (tmp_path / DB_NAME).exists()  # a reader never creates the file


def test_readers_see_committed_rows_while_a_writer_holds_the_store(tmp_path):
    store, run_id = _new_store(tmp_path, [(_key(0), _config()), (_key(1), _config(1))])
    store.write_results([_ok_record(0)], run_id)
    assert sweeps.load_meta(tmp_path)["counts"]["pending"] == 1  # writer still open
    store.write_results([_ok_record(1)], run_id)
    assert len(sweeps.load(tmp_path)) == 2
    store.close()


def test_the_run_lock_refuses_a_second_holder_and_names_the_pid(tmp_path):
    import os
    with run_lock(tmp_path):
        with pytest.raises(SweepLockedError, match=rf"PID {os.getpid()}.*{tmp_path}"):
            with run_lock(tmp_path):
                pass
    with run_lock(tmp_path):  # released on exit
        pass


def test_a_refused_fresh_run_leaves_no_lock_file_and_a_used_one_stays(tmp_path):
    import errno
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    with pytest.raises(OSError):
        with run_lock(fresh):  # as a full disk refuses the store's creation
            raise OSError(errno.ENOSPC, "No space left on device")
    assert list(fresh.iterdir()) == []
    with run_lock(fresh):  # and the directory can be locked again
        pass
    assert [p.name for p in fresh.iterdir()] == [".lock"]  # a normal end keeps it
    with pytest.raises(OSError):  # a lock file this run did not create stays
        with run_lock(fresh):
            raise OSError(errno.ENOSPC, "No space left on device")
    assert [p.name for p in fresh.iterdir()] == [".lock"]
    used = tmp_path / "used"
    used.mkdir()
    with pytest.raises(KeyboardInterrupt):  # results beside it: the lock stays too
        with run_lock(used):
            (used / "sweep.db").write_bytes(b"")
            raise KeyboardInterrupt
    assert sorted(p.name for p in used.iterdir()) == [".lock", "sweep.db"]


@pytest.mark.parametrize("n", [0, 1, 7, 300, 301, 5000])
def test_curve_downsampling_keeps_first_and_last_epoch(n):
    epoch, loss = downsample_curve(list(np.arange(n, dtype=float)))
    assert len(epoch) == min(n, 300) and len(loss) == len(epoch)
    if n:
        assert epoch[0] == 1 and epoch[-1] == n and np.all(np.diff(epoch) > 0)
        np.testing.assert_array_equal(loss, epoch - 1.0)
    if n > 300:  # evenly spread: no gap wider than (n - 1) / 299 rounded up
        assert np.diff(epoch).max() <= -(-(n - 1) // 299)


def test_curve_downsampling_worked_by_hand():
    history = [0.5, 0.4, 0.3, 0.25, 0.2, 0.15, 0.1]
    epoch, loss = downsample_curve(history, max_points=3)  # epochs 1, 4, 7: gaps of 3
    np.testing.assert_array_equal(epoch, [1, 4, 7])
    np.testing.assert_array_equal(loss, [0.5, 0.25, 0.1])
    epoch, loss = downsample_curve(history[:5], max_points=3)
    np.testing.assert_array_equal(epoch, [1, 3, 5])
    assert epoch.dtype == np.int64 and loss.dtype == np.float64


def test_batch_size_keeps_none_and_ints(tmp_path):
    store, run_id = _new_store(tmp_path, [])
    full, mini = _ok_record(0), _ok_record(1, batch_size=8)
    store.write_results([full, mini], run_id)
    df = sweeps.load(tmp_path, curves=False, weights=False).set_index("key")
    assert df.loc[full["key"], "batch_size"] is None and df.loc[mini["key"], "batch_size"] == 8
    assert isinstance(df.loc[mini["key"], "batch_size"], int)


def test_results_of_an_older_format_are_kept_but_neither_shown_nor_counted(tmp_path):
    # The key of a job is sha256("nnsweeps-results-v<version>\n" + canonical config)[:16]:
    # a row stored under the previous version has another key for the same config.
    import hashlib
    import json

    old = _ok_record(1)
    text = json.dumps(old["config"], sort_keys=True, separators=(",", ":"))
    old["key"] = hashlib.sha256(f"nnsweeps-results-v{RESULTS_VERSION - 1}\n{text}".encode()
                                ).hexdigest()[:16]
    store, run_id = _new_store(tmp_path, [(_key(0), _config()), (_key(1), _config(1))])
    store.write_results([_ok_record(0), old], run_id)
    assert len(store.statuses()) == 2  # both rows are in the file
    store.close()
    assert list(sweeps.load(tmp_path)["key"]) == [_key(0)]
    meta = sweeps.load_meta(tmp_path)
    assert meta["stale"] == 1 and meta["counts"]["ok"] == 1 and meta["counts"]["pending"] == 1
