"""A CSV of plain integers is read without pandas into exactly what pandas reads.

The reference is today's way, pandas' C parser and scikit-learn's transformers
(``load_csv`` with the integer way switched off): for tricky files the integer parser
either gives pandas' very numbers or declines (pandas then reads the file), and a data set
built the integer way equals the pandas way's byte for byte, so a stored job keeps its
meaning whichever way its file was read.
"""
import io
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from sweeps.tasks import TaskError, csv_integers, csv_task
from sweeps.tasks.cache import ARRAYS

#: name -> (file bytes, header?, whether the integer way must take it)
FILES = {
    "plain": (b"1,2,3\n4,5,6\n", False, True),
    "no final newline": (b"1,2,3\n4,5,6", False, True),
    "windows line ends": (b"1,2\r\n3,4\r\n", False, True),
    "negative numbers and zero": (b"-1,0,-0\n-20,7,-300\n", False, True),
    "leading zeros": (b"007,010\n0,00\n", False, True),
    "int64 extremes but one": (b"9223372036854775806,-9223372036854775807\n1,2\n", False,
                               True),
    "nineteen digits": (b"1234567890123456789,1\n2,3\n", False, True),
    "a header": (b"label,pixel0,pixel1\n1,0,255\n0,3,4\n", True, True),
    "a numeric header": (b"0,1,2\n5,6,7\n", True, True),
    "names pandas keeps as they are": (b"NA,nan,1.5,a.1,a,None,1e3\n1,2,3,4,5,6,7\n", True,
                                       True),
    "int64 max: clamped, so declined": (b"9223372036854775807,1\n2,3\n", False, False),
    "past int64": (b"9223372036854775808,1\n2,3\n", False, False),
    "twenty digits": (b"12345678901234567890,1\n2,3\n", False, False),
    "a float": (b"1,2.5\n3,4\n", False, False),
    "a float that is whole": (b"1,2.0\n3,4\n", False, False),
    "many digits": (b"1,0.1000000000000000055511151231257827\n3,4\n", False, False),
    "an exponent": (b"1,1e3\n3,4\n", False, False),
    "negative zero float": (b"1,-0.0\n3,4\n", False, False),
    "a plus sign": (b"1,+5\n3,4\n", False, False),
    "a leading space": (b"1, 5\n3,4\n", False, False),
    "a trailing space": (b"1,5 \n3,4\n", False, False),
    "an empty field": (b"1,\n3,4\n", False, False),
    "NA": (b"1,NA\n3,4\n", False, False),
    "nan": (b"1,nan\n3,4\n", False, False),
    "a quoted number": (b'1,"5"\n3,4\n', False, False),
    "a blank line": (b"1,2\n\n3,4\n", False, False),
    "blank lines at the end": (b"1,2\n3,4\n\n\n", False, False),
    "a row too short": (b"1,2,3\n4,5\n6,7,8\n", False, False),
    "a row too long": (b"1,2\n3,4,5\n6,7\n", False, False),
    "rows that even out": (b"1,2,3\n4,5\n6,7,8,9\n", False, False),
    "a lone minus": (b"1,-\n3,4\n", False, False),
    "a minus inside": (b"1,5-3\n3,4\n", False, False),
    "two minus signs": (b"1,--3\n3,4\n", False, False),
    "a lone carriage return": (b"1,2\r3,4\n", False, False),
    "a text column": (b"1,a\n2,b\n", False, False),
    "true and false": (b"1,True\n0,False\n", False, False),
    "a byte order mark": (b"\xef\xbb\xbf1,2\n3,4\n", False, False),
    "a header with a space": (b"a b,c\n1,2\n", True, False),
    "a quoted header": (b'"a",b\n1,2\n', True, False),
    "a duplicate name": (b"a,a\n1,2\n", True, False),
    "an empty name": (b",b\n1,2\n", True, False),
    "a header longer than the rows": (b"a,b,c\n1,2\n", True, False),
    "a header shorter than the rows": (b"a,b\n1,2,3\n", True, False),
    "only a header": (b"a,b\n", True, False),
}


@pytest.mark.parametrize("name", FILES)
def test_the_integer_parser_gives_pandas_numbers_or_declines(name):
    data, header, taken = FILES[name]
    got = csv_integers.parse_integers(data, header)
    assert (got is not None) == taken
    if got is None:
        return
    names, values = got
    want = pd.read_csv(io.BytesIO(data), header=0 if header else None)
    assert all(t == np.int64 for t in want.dtypes)
    np.testing.assert_array_equal(values, want.to_numpy())
    assert names == (list(want.columns) if header else None)


def test_pieces_widen_the_type_and_keep_every_row(monkeypatch):
    """Bytes fit the first pieces, a later one needs int16, the last int64."""
    monkeypatch.setattr(csv_integers, "_PIECE", 64)
    rows = [f"{i % 2},{i % 250},{i}" for i in range(200)]
    rows[120] = "1,-300,5"
    rows[190] = "0,5,123456789012"
    data = ("\n".join(rows) + "\n").encode()
    names, values = csv_integers.parse_integers(data, False)
    assert values.dtype == np.int64
    np.testing.assert_array_equal(values, pd.read_csv(io.BytesIO(data), header=None))


def _mnist_like(rows=300, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, rows)
    pixels = rng.integers(0, 256, (rows, 20)) * (rng.random((rows, 20)) < 0.4)
    return labels, pixels


def _write(path, columns, header=None):
    text = "".join(",".join(str(v) for v in row) + "\n" for row in zip(*columns))
    path.write_text((header + "\n" if header else "") + text)
    return str(path)


def _pandas_way(monkeypatch, **kwargs):
    with monkeypatch.context() as m:
        m.setattr(csv_task, "integer_dataset", lambda *a, **k: None)
        return csv_task.load_csv(**kwargs)


def _assert_same(got, want):
    for name in ARRAYS:
        a, b = getattr(got, name), getattr(want, name)
        assert a.dtype == b.dtype and a.shape == b.shape, name
        assert a.tobytes() == b.tobytes(), name  # bit for bit
        assert not a.flags.writeable and a.flags.c_contiguous, name
    for field in ("name", "kind", "n_in", "n_out", "classes", "feature_names", "params",
                  "single_output", "default_output_loss", "truth"):
        assert getattr(got, field) == getattr(want, field), field


CASES = {
    "MNIST's layout, pixels / 255": dict(target=0, scale=255),
    "the target last, no scaling": dict(target=20, scale="none"),
    "the target in the middle, an odd divisor": dict(target=7, scale=3.7),
    "no validation rows": dict(target=0, scale=255, val_size=0.0),
    "no held-out rows": dict(target=0, scale=1, val_size=0.0, test_size=0.0),
    "another split seed": dict(target=0, scale=255, data_seed=11),
}


@pytest.mark.parametrize("case", CASES)
def test_a_data_set_read_the_integer_way_equals_the_pandas_way(case, tmp_path, monkeypatch):
    labels, pixels = _mnist_like()
    columns = list(pixels.T)
    columns.insert(CASES[case]["target"], labels)  # the labels where the target points
    path = _write(tmp_path / "digits.csv", columns)
    kwargs = dict(dict(path=path, categorical=[], test_size=0.2, val_size=0.2, data_seed=0,
                       header=False), **CASES[case])
    got = csv_task.load_csv(**kwargs)
    assert got.kind == "classification" and got.n_out == 10
    _assert_same(got, _pandas_way(monkeypatch, **kwargs))


def test_a_header_a_regression_target_and_negative_numbers(tmp_path, monkeypatch):
    rng = np.random.default_rng(3)
    y = rng.integers(-1000, 1000, 200)  # more than MAX_CLASSES values: regression
    X = rng.integers(-40000, 40000, (200, 3))
    path = _write(tmp_path / "counts.csv", [*X.T, y], header="a,b,c,y")
    kwargs = dict(path=path, target="y", categorical=[], test_size=0.25, val_size=0.25,
                  data_seed=2, header=True, scale=100)
    got = csv_task.load_csv(**kwargs)
    assert got.kind == "regression" and got.feature_names == ("a", "b", "c")
    _assert_same(got, _pandas_way(monkeypatch, **kwargs))


@pytest.mark.parametrize("kwargs", [dict(target=30), dict(target="label")])
def test_a_missing_target_is_refused_as_the_pandas_way_refuses(kwargs, tmp_path,
                                                                monkeypatch):
    labels, pixels = _mnist_like(40)
    path = _write(tmp_path / "digits.csv", [labels, *pixels.T])
    kwargs = dict(path=path, categorical=[], test_size=0.2, val_size=0.2, data_seed=0,
                  header=False, scale=255, **kwargs)
    with pytest.raises(TaskError) as got:
        csv_task.load_csv(**kwargs)
    with pytest.raises(TaskError) as want:
        _pandas_way(monkeypatch, **kwargs)
    assert str(got.value) == str(want.value)


def test_what_the_integer_way_declines_is_refused_by_the_pandas_way(tmp_path):
    """A single label, or a class of one row: the pandas way's one-line refusals."""
    path = _write(tmp_path / "one.csv", [[3] * 30, range(30)])
    with pytest.raises(TaskError, match="single value"):
        csv_task.load_csv(path, 0, [], 0.2, 0.2, 0, header=False, scale=1)
    path = _write(tmp_path / "lonely.csv", [[0] * 29 + [1], range(30)])
    with pytest.raises(TaskError, match="cannot split"):
        csv_task.load_csv(path, 0, [], 0.2, 0.2, 0, header=False, scale=1)


def test_loading_an_integer_csv_imports_neither_pandas_nor_scikit_learn(tmp_path):
    labels, pixels = _mnist_like()
    path = _write(tmp_path / "digits.csv", [labels, *pixels.T])
    code = ("import sys\nfrom sweeps.tasks import make_task\n"
            f"ds = make_task('csv', path={path!r}, header=False, target=0, scale=255)\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & "
            "{'pandas', 'sklearn', 'scipy'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
