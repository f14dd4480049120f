"""The ``csv`` task: any local CSV with a named target column.

Numeric feature columns are standardized and the named categorical columns one-hot encoded
by one scikit-learn ``ColumnTransformer`` fitted on the training split only (fitting on all
rows would leak test statistics into training). Every problem with the file is a
``TaskError`` naming the file, what is wrong and what is allowed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sweeps.dataset import TaskError, make_dataset

#: A target of integer, boolean or string type with at most this many distinct values is a
#: classification target; any other numeric target is regression.
MAX_CLASSES = 50


def _names(columns, limit=12) -> str:
    """Return column names for a message, shortened for MNIST-wide files."""
    columns = [str(c) for c in columns]
    if len(columns) <= limit:
        return ", ".join(columns)
    return ", ".join(columns[:limit]) + f", ... ({len(columns)} columns)"


def _read(path: str) -> pd.DataFrame:
    try:
        df = pd.read_csv(path)
    except (OSError, ValueError, UnicodeDecodeError) as exc:  # ParserError is a ValueError
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise TaskError(f"csv task: cannot read {path}: {reason.strip()}; expected a "
                        "readable CSV file with a header row", "path") from exc
    if df.empty:
        raise TaskError(f"csv task: {path} has no data rows; expected a header row and "
                        "at least a few rows", "path")
    return df


def _check_columns(df: pd.DataFrame, path: str, target: str, categorical: list) -> list:
    """Validate target, categorical and feature columns; return the feature columns."""
    columns = list(df.columns)
    if target not in columns:
        raise TaskError(f"csv task: {path} has no target column {target!r}; its columns: "
                        f"{_names(columns)}", "target")
    for col in categorical:
        if col not in columns or col == target:
            what = "is the target" if col == target else "is not a column"
            raise TaskError(f"csv task: categorical column {col!r} {what} of {path}; "
                            f"allowed: feature columns {_names(c for c in columns if c != target)}",
                            "categorical")
    features = [c for c in columns if c != target]
    if not features:
        raise TaskError(f"csv task: {path} has only the target column {target!r}; "
                        "need at least one feature column", "path")
    missing = df.columns[df.isna().any()].tolist()
    if missing:
        raise TaskError(f"csv task: {path} has missing values (NaN) in column(s) "
                        f"{_names(missing)}; fill or drop them first: missing values are "
                        "not allowed", "path")
    text = [c for c in features if c not in categorical
            and not pd.api.types.is_numeric_dtype(df[c])]
    if text:
        raise TaskError(f"csv task: column(s) {_names(text)} of {path} are not numeric; "
                        "allowed: numeric columns, or non-numeric ones listed in "
                        f"categorical (e.g. categorical = {text[:3]!r})", "categorical")
    return features


def _encode_target(y: pd.Series, path: str):
    """Return (y array, kind, classes) for a target column."""
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


def load_csv(path, target, categorical, test_size, data_seed):
    """Load a CSV as a ``Dataset`` (called by ``make_task("csv", ...)``).

    Parameters
    ----------
    path : str
        Absolute path of the CSV file.
    target : str
        Target column. Integer, boolean or string columns with at most ``MAX_CLASSES``
        distinct values are classification targets (labels encoded 0..k-1 in sorted order,
        the originals kept in ``Dataset.classes``); other numeric columns are regression
        targets, kept raw with shape (n, 1).
    categorical : list of str
        Columns to one-hot encode; every other feature column must be numeric.
    test_size : float
        Fraction of rows held out, stratified by class for classification.
    data_seed : int
        Seed of the split.

    Returns
    -------
    Dataset
    """
    df = _read(path)
    features = _check_columns(df, path, target, categorical)
    y, kind, classes = _encode_target(df[target], path)
    numeric = [c for c in features if c not in categorical]
    try:
        X_tr, X_te, y_tr, y_te = train_test_split(
            df[features], y, test_size=test_size, random_state=data_seed,
            stratify=y if kind == "classification" else None)
    except ValueError as exc:  # e.g. a class with a single row cannot be stratified
        raise TaskError(f"csv task: cannot split {path} ({len(df)} rows) with test_size="
                        f"{test_size}: {exc}", "test_size") from exc
    transformer = ColumnTransformer(
        [("numeric", StandardScaler(), numeric),
         ("categorical", OneHotEncoder(handle_unknown="ignore", sparse_output=False),
          list(categorical))],
        sparse_threshold=0.0, verbose_feature_names_out=False)
    X_train = transformer.fit_transform(X_tr)  # fitted on the training rows only
    X_test = transformer.transform(X_te)
    n_out = len(classes) if kind == "classification" else 1
    params = dict(path=path, target=target, categorical=list(categorical),
                  test_size=test_size, data_seed=data_seed)
    return make_dataset("csv", kind, X_train, y_tr, X_test, y_te, n_out, params, classes=classes,
                   feature_names=tuple(str(n) for n in transformer.get_feature_names_out()))
