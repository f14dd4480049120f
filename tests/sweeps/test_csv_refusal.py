"""Hostile CSV files are refused before any job exists, in one line naming the file, the
column and the first bad row (or the line of a NUL byte), and nothing is written."""
import gzip
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sweeps.cli import main
from sweeps.tasks import TaskError, csv_task, make_task
from sweeps.tasks.csv_columns import MAX_ABS_VALUE

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


#: case -> (rows, regression?, spec parameters, column, row or None). Every refusal of a
#: column names the file and that column, in one line.
COLUMN_REFUSALS = {
    "+1e308 in a feature": (_with("1e308", 4, 0), False, {}, "a", "data row 5"),
    "-1e308 in a feature": (_with("-1e308", 7, 1), False, {}, "b", "data row 8"),
    "1e200 in a regression target": (_with("1e200", 3, 2, True), True, {}, "y", "data row 4"),
    "a divisor that overflows": (_with("1e100", 0, 0), False, {"scale": 1e-300}, "a", None),
    "NaN in a feature": (_with("", 2, 1), False, {}, "b", "data row 3"),
    "text in a feature": (_with("seven", 2, 0), False, {}, "a", None),
    "no such target": (_rows(), False, {"target": "label"}, "label", None),
    "no such categorical": (_rows(), False, {"categorical": ["c"]}, "c", None),
    "a single-valued target": ([r[:2] + ["1"] for r in _rows()], False, {}, "y", None),
    "a class of one row": ([r[:2] + ["0"] for r in _rows()[:-1]] + [["1", "1", "1"]], False,
                           {}, "y", None),
}


@pytest.mark.parametrize("case", COLUMN_REFUSALS)
def test_every_column_refusal_is_one_line_naming_the_file_and_column(case, tmp_path):
    rows, _, params, column, where = COLUMN_REFUSALS[case]
    path = _write(tmp_path / "data.csv", rows)
    with pytest.raises(TaskError) as exc:
        make_task("csv", path=str(path), **{"target": "y", **params})
    message = str(exc.value)
    assert "\n" not in message and str(path) in message and repr(column) in message, message
    assert where is None or where in message, message


def test_numbers_this_large_overflow_when_scaled(tmp_path):
    """Why the bound: the spread of +-1e308 is not a float, and the refusal says which
    column holds it, before scikit-learn would warn and scale it to nonsense."""
    assert math.isinf(1e308 - -1e308) and math.isinf(1e308 * 1e308)
    assert math.isfinite((2 * MAX_ABS_VALUE) ** 2 * 1e9)
    ok = _write(tmp_path / "ok.csv", _with(f"{-MAX_ABS_VALUE:g}", 4, 0))
    ds = make_task("csv", path=str(ok), target="y")
    assert np.isfinite(ds.X_train).all()  # at the bound, standardized without overflow


def test_a_huge_feature_is_refused_in_one_line_on_the_terminal(tmp_path):
    """A real subprocess, its stderr as the terminal shows it: one line, no
    RuntimeWarning from numpy or scikit-learn before it, and nothing written."""
    rows = _with("1e308", 4, 0)
    rows[8][0] = "-1e308"
    data = _write(tmp_path / "big.csv", rows)
    spec = tmp_path / "big.toml"
    spec.write_text(f'task = "csv"\n[params]\npath = "{data}"\ntarget = "y"\n'
                    "hidden = [[3]]\nepochs = 5\n")
    out = tmp_path / "out"
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, "-m", "sweeps", "run", str(spec), "--out", str(out)],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(root),
                               "PYTHONWARNINGS": "default"})
    lines = proc.stderr.splitlines()
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert str(data) in lines[0] and "column 'a'" in lines[0] and "data row 5" in lines[0]
    assert "noise" not in lines[0] and "spread" not in lines[0]
    assert not out.exists() and proc.stdout == ""
