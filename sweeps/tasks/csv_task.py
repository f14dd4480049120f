"""The ``csv`` task: any local CSV with a named target column.

Numeric feature columns are standardized and the named categorical columns one-hot encoded
by one scikit-learn ``ColumnTransformer`` fitted on the training split only (fitting on all
rows would leak test statistics into training). Every problem with the file is a
``TaskError`` naming the file, what is wrong and what is allowed.

The file's content hash is a task parameter (``file_sha256``, filled in by
:func:`fill_file_sha256`), so it is part of every job's key. pandas and scikit-learn are
imported only when a file is loaded: the registry imports this module in every worker.
"""

from __future__ import annotations

import bz2
import functools
import gzip
import hashlib
import io
import lzma
import os
import stat
import warnings
import zipfile

import numpy as np

from sweeps.tasks.splits import split_three_ways
from sweeps.tasks.csv_columns import (check_columns, check_magnitudes, check_scaled,
                                      column_named)
from sweeps.tasks.csv_integers import integer_dataset
from sweeps.tasks.dataset import TaskError, make_dataset

#: Largest CSV file the task reads (bytes; it is read whole into memory). The cap also keeps
#: a path like /dev/zero from being read for ever: only regular files are read at all.
MAX_CSV_BYTES = 1 << 30

#: A target of integer, boolean or string type with at most this many distinct values is a
#: classification target; any other numeric target is regression.
MAX_CLASSES = 50


def fill_file_sha256(params: dict) -> dict:
    """Put the CSV's content hash in its parameters, or check the one a job carries.

    The hash makes the file's content part of every job key: a CSV edited in place gives
    new jobs instead of silently reusing results trained on the old rows, and a job
    planned against one version of the file refuses to train on another.
    """
    check_file(params["path"])  # before hashing: never read a device or a FIFO
    token = file_token(params["path"])
    digest = None if token is None else _sha256(params["path"], token)
    if digest is None:
        return params  # unreadable: the loader reports it, naming the file
    if params["file_sha256"] is None:
        params["file_sha256"] = digest
    elif params["file_sha256"] != digest:
        raise TaskError(f"csv task: {params['path']} changed after this job was planned "
                        f"(content hash {params['file_sha256']}, now {digest}); run the "
                        "sweep again to plan its jobs against the current file", "path")
    return params


def check_file(path) -> None:
    """Refuse a path that is not a regular file of at most ``MAX_CSV_BYTES``.

    A missing or unreadable path passes: the loader reports it with the system's reason.
    """
    try:
        st = os.stat(path)
    except OSError:
        return
    if not stat.S_ISREG(st.st_mode):
        kind = "a directory" if stat.S_ISDIR(st.st_mode) else "a device, FIFO or socket"
        raise TaskError(f"csv task: {path} is {kind}, not a regular file; allowed: a path "
                        "to a CSV file", "path")
    if st.st_size > MAX_CSV_BYTES:
        raise TaskError(f"csv task: {path} has {st.st_size:,} bytes; allowed: CSV files of "
                        f"at most {MAX_CSV_BYTES:,} bytes (sample or split the rows)", "path")


def file_token(path):
    """``(size, mtime)`` of the file at ``path``, or None (no path, or unreadable).

    Part of every cache key that depends on the file, so an edited file is read again.
    """
    if path is None:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None  # the loader reports the problem with the file's name
    return (st.st_size, st.st_mtime_ns)


#: The bytes of the last plain CSV hashed, for the parse that follows it: path ->
#: ((size, mtime), bytes), taken by that parse (``_file_bytes``). One read of a large file
#: serves both (MNIST's 60,000 rows: 123 MB), and the rows parsed are the very bytes
#: whose hash is in the jobs' keys. One file at most is kept, and none after a sweep
#: (``forget_hashed_bytes``).
_HASHED = {}

#: How ``_read_bytes`` opens a compressed file, by its ending (pandas' endings; and
#: ``.zip``). Such files are hashed as stored and parsed unpacked: their bytes not kept.
_OPENERS = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}
_PACKED = (*_OPENERS, ".zip")


@functools.lru_cache(maxsize=64)
def _sha256(path: str, token) -> str | None:
    # token in the cache key: an edited file is hashed again
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            if os.path.splitext(path)[1].lower() not in _PACKED:
                data = f.read(MAX_CSV_BYTES + 1)  # the whole file, as the parse reads it
                digest.update(data)
                _HASHED.clear()
                _HASHED[path] = (token, data)
            for chunk in iter(lambda: f.read(1 << 20), b""):  # what is left, if anything
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()[:16]


def forget_hashed_bytes() -> None:
    """Let go of the bytes a hash kept for a parse that did not come (a sweep whose every
    job was cached hashes its CSV but builds nothing)."""
    _HASHED.clear()


def _hashed_bytes(path: str):
    """The bytes ``_sha256`` read from ``path``, taken (kept no longer), if the file's
    size and modification time are still those it had; else None."""
    token, data = _HASHED.pop(path, (None, None))
    return data if token is not None and token == file_token(path) else None


def build(path, header, target, categorical, scale, test_size, val_size, data_seed,
          file_sha256):
    """The registry's builder: ``file_sha256`` is checked before, not used to load."""
    return load_csv(path, target, categorical, test_size, val_size, data_seed, header=header,
                    scale=scale)


#: Names of the ``scale`` rules; a positive number divides every numeric feature instead.
SCALES = ("standard", "minmax", "none")


def check_scale(value) -> bool:
    """Whether ``value`` is a ``scale`` rule: one of ``SCALES`` or a positive number."""
    if isinstance(value, str):
        return value in SCALES
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and 0 < value < float("inf"))


def _read_bytes(path: str) -> bytes:
    """The file's bytes, decompressed when its name says so (``.gz``, ``.bz2``, ``.xz``,
    ``.zip``, as pandas reads them), at most ``MAX_CSV_BYTES + 1`` of them: a file that
    grew since it was checked, or a small archive of a huge file, is read no further."""
    suffix = os.path.splitext(path)[1].lower()
    if suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if len(names) != 1:
                raise ValueError(f"a .zip must hold one CSV file, this one holds {len(names)}")
            with archive.open(names[0]) as fh:
                return fh.read(MAX_CSV_BYTES + 1)
    opener = _OPENERS.get(suffix, open)
    with opener(path, "rb") as fh:
        return fh.read(MAX_CSV_BYTES + 1)


def _file_bytes(path: str, header: bool) -> bytes:
    """The bytes of the CSV at ``path``, refused if too large or not text."""
    check_file(path)
    try:
        data = _hashed_bytes(path)
        if data is None:
            data = _read_bytes(path)
    except (OSError, ValueError, EOFError, lzma.LZMAError, zipfile.BadZipFile) as exc:
        raise _cannot_read(path, header, exc) from exc  # BadGzipFile is an OSError
    if len(data) > MAX_CSV_BYTES:
        raise TaskError(f"csv task: {path} has more than {MAX_CSV_BYTES:,} bytes; "
                        f"allowed: CSV files of at most {MAX_CSV_BYTES:,} bytes", "path")
    nul = data.find(b"\0")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise TaskError(f"csv task: {path} holds binary content (a NUL byte on line "
                        f"{line}); allowed: a text CSV file", "path")
    return data


def _cannot_read(path: str, header: bool, exc: Exception) -> TaskError:
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return TaskError(f"csv task: cannot read {path}: {reason.strip()}; expected a "
                     f"readable CSV file{' with a header row' if header else ''}", "path")


def _read(data: bytes, path: str, header: bool):
    """The file's ``data`` as pandas reads it, columns named by position without a header."""
    import pandas as pd

    try:
        df = pd.read_csv(io.BytesIO(data), header=0 if header else None)
    except ValueError as exc:  # ParserError and UnicodeDecodeError are ValueErrors
        raise _cannot_read(path, header, exc) from exc
    if df.empty:
        raise TaskError(f"csv task: {path} has no data rows; expected "
                        f"{'a header row and ' if header else ''}at least a few rows", "path")
    if not header:  # columns named by position, as text: scikit-learn reads ints as indices
        df.columns = [str(i) for i in range(df.shape[1])]
    return df


def _scaler(scale):
    """The transformer of the numeric features for a ``scale`` rule."""
    from sklearn.preprocessing import FunctionTransformer, MinMaxScaler, StandardScaler

    if scale == "standard":
        return StandardScaler()
    if scale == "minmax":
        return MinMaxScaler()
    if scale == "none":
        return "passthrough"
    return FunctionTransformer(_divide, kw_args={"by": float(scale)},
                               feature_names_out="one-to-one")


def _divide(X, by):
    return X / by


def _encode_target(y, path: str):
    """Return (y array, kind, classes) for a target column."""
    import pandas as pd

    dtype = y.dtype
    label_like = (pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)
                  or not pd.api.types.is_numeric_dtype(dtype))
    n_distinct = y.nunique()
    if label_like and n_distinct <= MAX_CLASSES:
        if n_distinct < 2:
            raise TaskError(f"csv task: target column {y.name!r} of {path} has a single "
                            "value; classification needs at least 2 classes", "target")
        codes, uniques = pd.factorize(y, sort=True)
        return codes.astype(np.int64), "classification", tuple(uniques.tolist())
    if not pd.api.types.is_numeric_dtype(dtype):
        raise TaskError(f"csv task: target column {y.name!r} of {path} is not numeric and "
                        f"has {n_distinct} distinct values; allowed: a numeric target "
                        f"(regression) or at most {MAX_CLASSES} labels (classification)",
                        "target")
    return y.to_numpy(dtype=np.float64)[:, None], "regression", None


def load_csv(path, target, categorical, test_size, val_size, data_seed, *, header=True,
             scale="standard"):
    """Load a CSV as a ``Dataset`` (called by ``make_task("csv", ...)``).

    Parameters
    ----------
    path : str
        Absolute path of the CSV file.
    target : str or int
        Target column, by header name or 0-based position (``0``: the first column, as
        in the common MNIST export). Integer, boolean or string columns with at most
        ``MAX_CLASSES``
        distinct values are classification targets (labels encoded 0..k-1 in sorted order,
        the originals kept in ``Dataset.classes``); other numeric columns are regression
        targets, kept raw with shape (n, 1).
    categorical : list of str or int
        Columns (names or positions) to one-hot encode; every other feature column must
        be numeric.
    test_size, val_size : float
        Fractions of all rows held out for testing and for validation, stratified by class
        for classification (``builtin.split_three_ways``).
    data_seed : int
        Seed of the split.
    header : bool, default=True
        Whether the first row names the columns; without one, columns are named by their
        position.
    scale : {"standard", "minmax", "none"} or float, default="standard"
        What is done to the numeric features, fitted on the training rows only:
        standardize each column, map each to [0, 1], nothing, or divide every value by
        the number (``scale = 255`` puts 0..255 pixels in [0, 1] without looking at data).

    Returns
    -------
    Dataset
    """
    data = _file_bytes(path, header)
    ds = integer_dataset(data, path, target, categorical, test_size, val_size, data_seed,
                         header, scale, MAX_CLASSES)
    if ds is not None:  # plain integers: the same arrays, without pandas or scikit-learn
        return ds
    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import OneHotEncoder

    df = _read(data, path, header)
    columns = list(df.columns)
    target = column_named(columns, path, target, "target", header)
    # positions become names; a name that is not a column is check_columns' to report
    categorical = [column_named(columns, path, c, "categorical", header) if isinstance(c, int)
                   else c for c in categorical]
    features = check_columns(df, path, target, categorical)
    numeric = [c for c in features if c not in categorical]
    check_magnitudes(df, path, [*numeric, target], target)
    y, kind, classes = _encode_target(df[target], path)
    try:
        splits = split_three_ways(df[features], y, test_size, val_size, data_seed,
                                  stratify=kind == "classification")
    except ValueError as exc:  # e.g. a class with a single row cannot be stratified
        raise TaskError(f"csv task: cannot split {path} ({len(df)} rows) by its target column "
                        f"{target!r} with test_size={test_size} and val_size={val_size}: "
                        f"{exc}", "test_size") from exc
    transformer = ColumnTransformer(
        [("numeric", _scaler(scale), numeric),
         ("categorical", OneHotEncoder(handle_unknown="ignore", sparse_output=False),
          list(categorical))],
        sparse_threshold=0.0, verbose_feature_names_out=False)
    (train, val, test), names = _scaled(transformer, splits, path, scale)
    n_out = len(classes) if kind == "classification" else 1
    params = dict(path=path, header=header, target=target, categorical=list(categorical),
                  scale=scale, test_size=test_size, val_size=val_size, data_seed=data_seed)
    return make_dataset("csv", kind, train, val, test, n_out, params, classes=classes,
                        feature_names=names)


def _scaled(transformer, splits, path: str, scale):
    """The three ``(X, y)`` splits with X transformed (fitted on the training rows only),
    and the feature names; scaled values that are not finite are refused, naming the
    column, and numpy's overflow warnings on the way stay quiet (the refusal says it)."""
    (X_tr, y_tr), (X_va, y_va), (X_te, y_te) = splits
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        X_train = transformer.fit_transform(X_tr)
        names = tuple(str(n) for n in transformer.get_feature_names_out())
        out = [(X_train, y_tr)]
        for X, y in ((X_va, y_va), (X_te, y_te)):  # with the training rows' statistics
            out.append((transformer.transform(X) if len(X) else
                        np.empty((0, X_train.shape[1])), y))
    for X, _ in out:
        check_scaled(X, path, names, scale)
    return out, names
