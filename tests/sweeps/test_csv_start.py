"""What a sweep does with a large CSV before its first group trains, done once and soon.

The file is read once for its hash and its rows (the rows parsed are the bytes hashed),
and the integer way scales its rows in two threads; the reference is pandas reading the
same bytes (the pandas way of ``load_csv``, whose numbers the integer way must give).
"""
import hashlib
import os

import numpy as np
import pandas as pd
import pytest
from sweep_helpers import write_spec

from sweeps.runner import run_sweep
from sweeps.tasks import csv_integers, csv_task, make_task, resolve_task_params
from sweeps.tasks.cache import ARRAYS

PARAMS = dict(header=False, target=0, scale=255)


def _digits(rows, seed):
    """A headerless label-first CSV of ``rows`` rows: labels 0-9, 12 pixels 0-255."""
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, (rows, 12)) * (rng.random((rows, 12)) < 0.5)
    values = np.column_stack([rng.integers(0, 10, rows), pixels])
    return "".join(",".join(map(str, row)) + "\n" for row in values).encode()


def _pandas_way(monkeypatch, path, **kwargs):
    with monkeypatch.context() as m:
        m.setattr(csv_task, "integer_dataset", lambda *a, **k: None)
        return csv_task.load_csv(path, 0, [], 0.2, 0.2, 0, header=False, **kwargs)


def _assert_same(got, want):
    for name in ARRAYS:
        a, b = getattr(got, name), getattr(want, name)
        assert a.dtype == b.dtype and a.shape == b.shape, name
        assert a.tobytes() == b.tobytes(), name  # bit for bit


def test_the_rows_parsed_are_the_bytes_whose_hash_is_in_the_key(tmp_path, monkeypatch):
    """The file is replaced between the hash and the parse by one of the same size and
    time stamp: the data set is still the hashed file's (read once, then parsed)."""
    first = _digits(300, 1)
    second = first.translate(bytes.maketrans(b"12", b"21"))  # as long, other numbers
    path = tmp_path / "digits.csv"
    path.write_bytes(first)
    params = resolve_task_params("csv", dict(path=str(path), **PARAMS))
    assert params["file_sha256"] == hashlib.sha256(first).hexdigest()[:16]
    stamp = os.stat(path)
    path.write_bytes(second)
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert csv_task.file_token(str(path)) == (stamp.st_size, stamp.st_mtime_ns)
    got = make_task("csv", **params)
    (tmp_path / "copy.csv").write_bytes(first)
    _assert_same(got, _pandas_way(monkeypatch, str(tmp_path / "copy.csv"), scale=255))
    assert csv_task._HASHED == {}  # taken by the parse: 123 MB for MNIST, not kept


def test_a_file_edited_after_its_hash_is_read_again(tmp_path, monkeypatch):
    """An edit the token sees (another size) is not parsed from the stale bytes: the
    build reads the file as it is now (and the key's hash no longer names its rows,
    which a worker refuses: ``fill_file_sha256`` with the job's hash)."""
    path = tmp_path / "digits.csv"
    path.write_bytes(_digits(300, 1))
    csv_task.fill_file_sha256(dict(path=str(path), file_sha256=None))
    path.write_bytes(_digits(400, 2))
    got = csv_task.load_csv(str(path), 0, [], 0.2, 0.2, 0, header=False, scale=255)
    assert len(got.X_train) + len(got.X_val) + len(got.X_test) == 400
    _assert_same(got, _pandas_way(monkeypatch, str(path), scale=255))


def test_a_compressed_file_is_hashed_as_stored_and_parsed_unpacked(tmp_path, monkeypatch):
    import gzip
    data = _digits(300, 3)
    path = tmp_path / "digits.csv.gz"
    path.write_bytes(gzip.compress(data))
    params = resolve_task_params("csv", dict(path=str(path), **PARAMS))
    assert params["file_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    assert csv_task._HASHED == {}  # its stored bytes are not what the parser reads
    (tmp_path / "plain.csv").write_bytes(data)
    _assert_same(make_task("csv", **params),
                 _pandas_way(monkeypatch, str(tmp_path / "plain.csv"), scale=255))


@pytest.mark.parametrize("piece_rows", [1, 7, 64])
@pytest.mark.parametrize("scale", [255, 3.7, "none"])
def test_rows_scaled_in_two_threads_equal_the_pandas_way(piece_rows, scale, tmp_path,
                                                         monkeypatch):
    """Pieces of ``piece_rows`` rows, so that both threads have work (180 training
    rows: halves of whole pieces, and a last short piece)."""
    path = tmp_path / "digits.csv"
    path.write_bytes(_digits(300, 4))
    monkeypatch.setattr(csv_integers, "_ROWS", piece_rows)
    got = csv_integers.integer_dataset(path.read_bytes(), str(path), 0, [], 0.2, 0.2, 0,
                                       False, scale, csv_task.MAX_CLASSES)
    assert got is not None  # the integer way took the file
    _assert_same(got, _pandas_way(monkeypatch, str(path), scale=scale))


def test_a_failure_in_the_second_thread_is_raised_not_lost(monkeypatch):
    """A piece the second thread cannot gather (a row number past the end) raises in
    the caller: a half-filled array never becomes a data set."""
    values = np.arange(40, dtype=np.uint8).reshape(20, 2)
    monkeypatch.setattr(csv_integers, "_ROWS", 2)
    rows = np.arange(10)
    rows[-1] = 99  # in the second half
    with pytest.raises(IndexError):
        csv_integers._scaled(values, rows, 0, 255)
    full = csv_integers._scaled(values, np.arange(20), 0, 255)
    np.testing.assert_array_equal(full, pd.DataFrame(values[:, 1:]).to_numpy() / 255.0)


def test_a_sweep_keeps_no_csv_bytes_after_it_even_when_every_job_was_cached(tmp_path):
    """A rerun whose jobs are all stored hashes the CSV (its bytes kept for a parse) but
    builds nothing: the bytes are let go when the sweep ends, not kept by the process."""
    (tmp_path / "digits.csv").write_bytes(_digits(120, 2))
    spec = write_spec(tmp_path, "cached", 'task = "csv"\n[params]\npath = "digits.csv"\n'
                      'header = false\ntarget = 0\nscale = 255\nhidden = [[3]]\n'
                      'epochs = 2\nseed = [0, 1]\n')
    first = run_sweep(spec, tmp_path / "out", n_jobs=1)
    csv_task._sha256.cache_clear()  # as a new process would: the file is read again
    again = run_sweep(spec, tmp_path / "out", n_jobs=1)
    assert (first.ok, again.cached) == (2, 2)
    assert csv_task._HASHED == {}
