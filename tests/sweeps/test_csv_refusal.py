"""Hostile CSV files are refused before any job exists, in one line naming the file, the
column and the first bad row (or the line of a NUL byte), and nothing is written."""
import gzip
import os

import numpy as np
import pytest

from sweeps.cli import main
from sweeps.tasks import TaskError, csv_task, make_task

N_ROWS = 40


def _rows(regression=False):
    """40 rows of two features and a target, as text cells; a fixed, readable data set."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(N_ROWS, 2))
    y = 2 * X[:, 0] if regression else (X[:, 0] > 0).astype(int)
    return [[f"{a:.4f}", f"{b:.4f}", f"{t:.4f}" if regression else str(t)]
            for (a, b), t in zip(X, y)]


def _write(path, rows, header="a,b,y"):
    path.write_text(header + "\n" + "\n".join(",".join(r) for r in rows) + "\n")
    return path


def _with(cell, row, column, regression=False):
    rows = _rows(regression)
    rows[row][column] = cell
    return rows


#: case -> (rows, regression?, fragments the one line must hold); rows are 0-based here
#: and the message counts data rows from 1.
NON_FINITE = {
    "inf in a feature": (_with("inf", 5, 0), ["column 'a'", "data row 6", "(inf)"]),
    "-inf in a feature": (_with("-inf", 11, 1), ["column 'b'", "data row 12", "(-inf)"]),
    "the word Infinity": (_with("Infinity", 2, 1), ["column 'b'", "data row 3"]),
    "1e999 overflows to inf": (_with("1e999", 30, 0), ["column 'a'", "data row 31"]),
    "inf in a regression target": (_with("inf", 9, 2, regression=True),
                                   ["column 'y'", "data row 10"]),
    "-1e400 in a regression target": (_with("-1e400", 0, 2, regression=True),
                                      ["column 'y'", "data row 1"]),
}


@pytest.mark.parametrize("case", NON_FINITE)
def test_a_non_finite_value_is_refused_with_column_and_first_row(case, tmp_path):
    rows, fragments = NON_FINITE[case]
    path = _write(tmp_path / "data.csv", rows)
    with pytest.raises(TaskError) as exc:
        make_task("csv", path=str(path), target="y")
    message = str(exc.value)
    assert str(path) in message and "non-finite" in message and "\n" not in message
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def test_only_the_first_bad_row_is_named(tmp_path):
    rows = _with("inf", 7, 0)
    rows[20][0] = "inf"  # a second bad row, later in the file
    path = _write(tmp_path / "data.csv", rows)
    with pytest.raises(TaskError, match=r"column 'a', first in data row 8;"):
        make_task("csv", path=str(path), target="y")


BINARY = {
    "a NUL byte in a number": (lambda p: _write(p, _with("0.1\x00", 4, 0)), "line 6"),
    # as a categorical column this text would have been one more category to train on
    "a NUL byte in a label": (lambda p: _write(p, _with("x\x00y", 0, 1)), "line 2"),
    "random bytes": (lambda p: p.write_bytes(np.random.default_rng(3).bytes(4000)),
                     "NUL byte"),
    "a gzip file named .csv": (lambda p: p.write_bytes(b"\x1f\x8b\x08\x00" + bytes(200)),
                               "line 1"),
    "UTF-16 text": (lambda p: p.write_text("a,b,y\n1,2,0\n3,4,1\n", encoding="utf-16"),
                    "line 1"),
}


@pytest.mark.parametrize("case", BINARY)
def test_binary_content_is_refused_with_its_line(case, tmp_path):
    write, where = BINARY[case]
    path = tmp_path / "data.csv"
    write(path)
    with pytest.raises(TaskError) as exc:
        make_task("csv", path=str(path), target="y", categorical=["b"])
    message = str(exc.value)
    assert str(path) in message and "binary content" in message and where in message, message


def test_not_a_regular_file_or_too_large_is_refused_before_reading(tmp_path, monkeypatch):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)  # reading it would wait for a writer for ever
    for path, what in ((fifo, "a device, FIFO or socket"), ("/dev/zero", "a device"),
                       (tmp_path, "a directory")):
        with pytest.raises(TaskError, match=f"{path} is {what}.*not a regular file"):
            make_task("csv", path=str(path), target="y")
    big = _write(tmp_path / "big.csv", _rows())
    monkeypatch.setattr(csv_task, "MAX_CSV_BYTES", big.stat().st_size - 1)
    with pytest.raises(TaskError, match=f"{big} has {big.stat().st_size:,} bytes; allowed: "
                                        "CSV files of at most"):
        make_task("csv", path=str(big), target="y")


def test_a_good_file_is_still_accepted(tmp_path):
    ds = make_task("csv", path=str(_write(tmp_path / "ok.csv", _rows())), target="y")
    assert ds.kind == "classification" and ds.n_in == 2
    assert ds.X_train.shape[0] + ds.X_val.shape[0] + ds.X_test.shape[0] == N_ROWS


@pytest.mark.parametrize("case", ["inf in a regression target", "a NUL byte in a label",
                                  "/dev/zero"])
def test_the_command_line_refuses_in_one_line_and_writes_nothing(case, tmp_path, capsys):
    if case in NON_FINITE:
        data, fragment = _write(tmp_path / "data.csv", NON_FINITE[case][0]), "data row 10"
    elif case in BINARY:
        data, fragment = tmp_path / "data.csv", "binary content"
        BINARY[case][0](data)
    else:
        data, fragment = case, "not a regular file"
    spec = tmp_path / "csv.toml"
    spec.write_text(f'task = "csv"\n[params]\npath = "{data}"\ntarget = "y"\n'
                    'categorical = ["b"]\nhidden = [[3]]\nepochs = 5\n' if case in BINARY else
                    f'task = "csv"\n[params]\npath = "{data}"\ntarget = "y"\n'
                    "hidden = [[3]]\nepochs = 5\n")
    out = tmp_path / "out"
    assert main(["run", str(spec), "--out", str(out), "-q"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(spec) in err[0] and fragment in err[0], err
    assert "key 'path'" in err[0] or "key 'target'" in err[0], err[0]
    assert not out.exists()


def test_a_compressed_csv_loads_as_the_plain_one_and_is_capped_unpacked(tmp_path,
                                                                        monkeypatch):
    plain = _write(tmp_path / "ok.csv", _rows())
    packed = tmp_path / "ok.csv.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    a = make_task("csv", path=str(plain), target="y")
    b = make_task("csv", path=str(packed), target="y")
    np.testing.assert_array_equal(a.X_train, b.X_train)
    np.testing.assert_array_equal(a.y_test, b.y_test)
    # a small archive of a file over the cap is read no further than the cap (another
    # path: the loaded data set above is cached)
    bomb = tmp_path / "bomb.csv.gz"
    bomb.write_bytes(packed.read_bytes())
    monkeypatch.setattr(csv_task, "MAX_CSV_BYTES", plain.stat().st_size - 1)
    assert bomb.stat().st_size < plain.stat().st_size - 1
    with pytest.raises(TaskError, match=f"{bomb} has more than"):
        make_task("csv", path=str(bomb), target="y")
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(packed.read_bytes()[:40])
    with pytest.raises(TaskError, match=f"cannot read {cut}: Compressed file ended"):
        make_task("csv", path=str(cut), target="y")
