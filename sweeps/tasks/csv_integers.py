"""A CSV of plain integers loaded with numpy alone: the MNIST-format file, without pandas.

Parsing a 60,000-row MNIST CSV with pandas, splitting its DataFrame and scaling it with
scikit-learn took seconds before any worker could start, most of it imports and
DataFrame copies. Most large CSVs people train nets on hold nothing but integers
(pixels, counts, labels), and integers read the same whoever reads them: pandas' C parser
gives a column of plain decimal integers as ``int64`` holding exactly those values. So a
file whose every field is such an integer (``-?[0-9]+`` between commas, every row the same
number of fields, no blank line, no quotes, no spaces) is parsed here, by
``numpy.fromstring``, into the same numbers pandas would give, and split and scaled with
the same arithmetic as :func:`sweeps.tasks.csv_task.load_csv` (the division by a
``scale`` number, or nothing). Anything else (a float, a missing value, a quoted field, a
categorical column, ``scale = "standard"``) returns None and goes the pandas way, which
also words every refusal. ``tests/sweeps/test_csv_integers.py`` compares both ways on
tricky files, array for array.
"""

from __future__ import annotations

import re
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from sweeps.tasks.csv_columns import check_scaled, column_named
from sweeps.tasks.dataset import make_dataset
from sweeps.tasks.splits import split_three_ways

__all__ = ["parse_integers", "integer_dataset"]

#: A header name read the same by pandas (no quotes, spaces, or anything it may rewrite).
_NAME = re.compile(rb"[A-Za-z0-9_][A-Za-z0-9_.\-]*\Z")
_INT64 = np.iinfo(np.int64)
#: Bytes a body of plain integers is made of (besides ``-``, checked where it stands).
_BODY = b"0123456789,\n"
_LINES_TO_FIELDS = bytes.maketrans(b"\n", b",")
#: Integer types the parsed values are kept in, narrowest first.
_TYPES = (np.uint8, np.int16, np.int32, np.int64)
#: Bytes of the body parsed at a time (whole lines), and rows of features scaled at a time:
#: pieces far smaller than the file keep every temporary array small.
_PIECE = 1 << 22
_ROWS = 4096


def parse_integers(data: bytes, header: bool):
    """``(names, values)`` of a CSV whose every field is a plain integer, else None.

    ``names`` are the header's names, or None without a header; ``values`` is an integer
    array of shape (rows, columns) holding pandas' numbers for the same file, of the
    narrowest of ``_TYPES`` that holds them (MNIST's pixels take a byte each, not eight).
    None whenever the file is not plain integers (pandas then reads it). The body is read
    in pieces of about ``_PIECE`` bytes: no temporary array is as large as the file.
    """
    if b"\r" in data:  # Windows line ends; a lone \r is a line end only to some readers
        if data.count(b"\r") != data.count(b"\r\n"):
            return None
        data = data.replace(b"\r\n", b"\n")
    start, names = 0, None
    if header:
        start = data.find(b"\n") + 1 or len(data)
        names = data[:start].rstrip(b"\n").split(b",")
        if not all(_NAME.match(n) for n in names) or len(set(names)) < len(names):
            return None
        names = [n.decode() for n in names]
    line_end = data.find(b"\n", start)
    cols = data.count(b",", start, len(data) if line_end < 0 else line_end) + 1
    rows = data.count(b"\n", start) + (not data.endswith(b"\n"))
    if start == len(data) or (names is not None and len(names) != cols):
        return None
    values = np.empty((rows, cols), dtype=_TYPES[0])
    row = 0
    for piece in _pieces(data, start):
        got = _parse_piece(piece, cols)
        if got is None:
            return None
        if not np.can_cast(got.dtype, values.dtype):
            values = values.astype(got.dtype)  # a wider type from here on
        values[row:row + len(got)] = got
        row += len(got)
    return names, values


def _pieces(data: bytes, start: int):
    """The body from ``start`` in whole lines of about ``_PIECE`` bytes, each ending in a
    newline (added to the last line if the file lacks it)."""
    while start < len(data):
        end = data.rfind(b"\n", start, start + _PIECE) + 1
        if end <= start:  # a line longer than a piece
            end = data.find(b"\n", start) + 1 or len(data)
        piece = data[start:end]
        yield piece if piece.endswith(b"\n") else piece + b"\n"
        start = end


def _parse_piece(piece: bytes, cols: int):
    """The rows of whole lines ``piece`` as the narrowest integer array, or None unless
    each of its lines is ``cols`` plain integers."""
    if piece.translate(None, _BODY).strip(b"-"):
        return None  # anything but digits, commas, newlines and minus signs
    b = np.frombuffer(piece, dtype=np.uint8)
    sep = b < ord("-")  # of those bytes, only "," and "\n" are below "-"
    if sep[0] or (sep[1:] & sep[:-1]).any() or not _signs_lead(b, sep):
        return None  # an empty field, a blank line, or a - that is no sign
    ends = np.flatnonzero(b == ord("\n"))
    commas = np.add.reduceat((b == ord(",")).view(np.uint8), np.r_[0, ends[:-1] + 1],
                             dtype=np.int64)
    if (commas != cols - 1).any():
        return None  # rows of different lengths: pandas pads or refuses
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)  # a field it could not read
        values = np.fromstring(piece.translate(_LINES_TO_FIELDS), dtype=np.int64, sep=",",
                               count=len(ends) * cols)
    if _clamped(values):
        return None
    return values.reshape(len(ends), cols).astype(_narrowest(values), copy=False)


def _narrowest(values: np.ndarray):
    """The first of ``_TYPES`` that holds every one of ``values``."""
    low, high = (int(values.min()), int(values.max())) if values.size else (0, 0)
    return next(t for t in _TYPES if np.iinfo(t).min <= low and high <= np.iinfo(t).max)


def _signs_lead(b: np.ndarray, sep: np.ndarray) -> bool:
    """Whether every ``-`` in the bytes ``b`` starts a field and a digit follows it."""
    at = np.flatnonzero(b == ord("-"))
    return bool(sep[at[at > 0] - 1].all() and (b[at + 1] >= ord("0")).all())


def _clamped(values: np.ndarray) -> bool:
    """Whether a value may have overflowed (``fromstring`` clamps to the int64 limits)."""
    return bool(values.size) and bool((values == _INT64.max).any()
                                      or (values == _INT64.min).any())


def integer_dataset(data: bytes, path: str, target, categorical, test_size, val_size,
                    data_seed, header: bool, scale, max_classes: int):
    """The ``Dataset`` :func:`sweeps.tasks.csv_task.load_csv` builds from ``data``, or None.

    None when the file is not plain integers, when there are categorical columns or a
    ``scale`` rule fitted to the data, and whenever the pandas way would refuse the file
    (it then says why). Arguments as ``load_csv``'s; ``max_classes`` is its
    ``MAX_CLASSES``.
    """
    if categorical or scale in ("standard", "minmax"):
        return None
    parsed = parse_integers(data, header)
    if parsed is None:
        return None
    names, values = parsed
    columns = names if header else [str(i) for i in range(values.shape[1])]
    target = column_named(columns, path, target, "target", header)
    at = columns.index(target)
    features = [c for c in columns if c != target]
    encoded = _encode_target(values[:, at], max_classes)
    if not features or encoded is None:
        return None
    y, kind, classes = encoded
    try:
        splits = split_three_ways(np.arange(len(values)), y, test_size, val_size, data_seed,
                                  stratify=kind == "classification")
    except ValueError:  # a class too small to stratify, say: the pandas way words it
        return None
    names = tuple(features)
    arrays = [(_scaled(values, rows, at, scale), y_part) for rows, y_part in splits]
    for X, _ in arrays:
        check_scaled(X, path, names, scale)
    params = dict(path=path, header=header, target=target, categorical=[], scale=scale,
                  test_size=test_size, val_size=val_size, data_seed=data_seed)
    return make_dataset("csv", kind, *arrays, len(classes) if classes else 1, params,
                        classes=classes, feature_names=names, copy=False)


def _encode_target(column: np.ndarray, max_classes: int):
    """``(y, kind, classes)`` as ``csv_task._encode_target`` gives them for an int64
    column (labels numbered in sorted order), or None for a single value."""
    classes, codes = np.unique(column, return_inverse=True)
    if len(classes) > max_classes:
        return column.astype(np.float64)[:, None], "regression", None
    if len(classes) < 2:
        return None
    return codes.astype(np.int64), "classification", tuple(classes.tolist())


def _scaled(values: np.ndarray, rows: np.ndarray, target: int, scale) -> np.ndarray:
    """The feature columns of ``rows`` as float64, divided by ``scale`` unless "none"
    (the arithmetic of the pandas way: each integer made float64, then one division),
    gathered ``_ROWS`` rows at a time, the second half of them in a second thread.

    numpy lets go of the GIL in the gathers and the division, and most of the time is
    the fresh memory of the result (MNIST's 36,000 training rows: 226 MB) being mapped:
    two threads map it together while the driver has nothing else to do (its workers
    start after the data sets are built). Every value is computed alone, so the result
    is the same whoever computes which rows.
    """
    features = np.delete(np.arange(values.shape[1]), target)
    if (np.diff(features) == 1).all():  # the target first or last: a slice, no gather
        features = slice(features[0], features[-1] + 1)
    out = np.empty((len(rows), values.shape[1] - 1), dtype=np.float64)

    def fill(start: int, stop: int) -> None:
        for k in range(start, stop, _ROWS):
            end = min(k + _ROWS, stop)
            part = values[rows[k:end]][:, features]
            if scale == "none":
                out[k:end] = part
            else:
                with np.errstate(all="ignore"):  # too small a divisor: check_scaled says so
                    np.true_divide(part, float(scale), out=out[k:end], dtype=np.float64)

    half = (len(rows) // 2 // _ROWS) * _ROWS  # whole pieces: the pieces one thread makes
    if not half:
        fill(0, len(rows))
        return out
    with ThreadPoolExecutor(1) as pool:
        other = pool.submit(fill, half, len(rows))
        fill(0, half)
        other.result()  # its error, if any, raised here
    return out
