"""The checks of a CSV's columns: every refusal one line naming the file and the column.

:mod:`sweeps.tasks.csv_task` reads the file and builds the data set; this module says what
is wrong with a column before anything is fitted (a missing column, a NaN, an infinity, a
number too large to scale, text where a number is needed) and, after scaling, which
column's scaled values are not finite (a ``scale`` divisor too small for its numbers).
"""

from __future__ import annotations

import numpy as np

from sweeps.tasks.dataset import TaskError

#: Largest magnitude of a number in a numeric column. Standardizing squares the deviations
#: and min-max scaling subtracts the extremes: a column holding, say, +-1e308 overflows to
#: inf on the way, so such a file is refused up front, naming the column, instead of
#: warning and training on nonsense. Twice 1e100, squared, times a billion rows is finite.
MAX_ABS_VALUE = 1e100


def names(columns, limit=12) -> str:
    """Return column names for a message, shortened for MNIST-wide files."""
    columns = [str(c) for c in columns]
    if len(columns) <= limit:
        return ", ".join(columns)
    return ", ".join(columns[:limit]) + f", ... ({len(columns)} columns)"


def column_named(columns: list, path: str, ref, key: str, header: bool):
    """The column of ``columns`` that ``ref`` names: a header name, or a 0-based position
    (``target = 0``)."""
    if isinstance(ref, int):
        if not 0 <= ref < len(columns):
            raise TaskError(f"csv task: {path} has {len(columns)} columns, so no column at "
                            f"position {ref}; allowed: 0..{len(columns) - 1}", key)
        return columns[ref]
    if ref not in columns:
        allowed = (f"its columns: {names(columns)}" if header else
                   f"it has no header row, so name columns by position 0..{len(columns) - 1}")
        raise TaskError(f"csv task: {path} has no {'target ' if key == 'target' else ''}"
                        f"column {ref!r}; {allowed}", key)
    return ref


def check_columns(df, path: str, target, categorical: list) -> list:
    """Validate target, categorical and feature columns; return the feature columns."""
    import pandas as pd

    columns = list(df.columns)
    for col in categorical:
        if col not in columns or col == target:
            what = "is the target" if col == target else "is not a column"
            raise TaskError(f"csv task: categorical column {col!r} {what} of {path}; "
                            f"allowed: feature columns {names(c for c in columns if c != target)}",
                            "categorical")
    features = [c for c in columns if c != target]
    if not features:
        raise TaskError(f"csv task: {path} has only the target column {target!r}; "
                        "need at least one feature column", "path")
    missing = df.columns[df.isna().any()].tolist()
    if missing:
        row = int(np.argmax(df[missing[0]].isna().to_numpy())) + 1
        raise TaskError(f"csv task: {path} has missing values (NaN) in column(s) "
                        f"{names(missing)} (first in column {missing[0]!r}, data row {row}); "
                        "fill or drop them first: missing values are not allowed", "path")
    for col in [c for c in columns if c not in categorical]:
        if not pd.api.types.is_float_dtype(df[col]):
            continue  # ints and bools are finite; text is refused below
        bad = ~np.isfinite(df[col].to_numpy())
        if bad.any():
            row = int(np.argmax(bad))
            raise TaskError(f"csv task: {path} has a non-finite value ({df[col].iloc[row]}) in "
                            f"column {col!r}, first in data row {row + 1}; allowed: finite "
                            "numbers in every numeric column, target included",
                            "target" if col == target else "path")
    text = [c for c in features if c not in categorical
            and not pd.api.types.is_numeric_dtype(df[c])]
    if text:
        raise TaskError(f"csv task: column(s) {names(text)} of {path} are not numeric; "
                        "allowed: numeric columns, or non-numeric ones listed in "
                        f"categorical (e.g. categorical = {text[:3]!r})", "categorical")
    return features


def check_magnitudes(df, path: str, columns: list, target) -> None:
    """Refuse a numeric column holding a number of magnitude over ``MAX_ABS_VALUE``."""
    for col in columns:
        values = df[col].to_numpy()
        if values.dtype.kind != "f":
            continue  # integers (at most 2**63) and bools are small enough
        big = np.abs(values) > MAX_ABS_VALUE
        if big.any():
            row = int(np.argmax(big))
            raise TaskError(f"csv task: {path} has a number too large to scale "
                            f"({values[row]:g}) in column {col!r}, first in data row "
                            f"{row + 1}; allowed: numbers of magnitude at most "
                            f"{MAX_ABS_VALUE:g}: rescale that column in the file (e.g. "
                            "in other units)", "target" if col == target else "path")


def check_scaled(X: np.ndarray, path: str, feature_names, scale) -> None:
    """Refuse scaled features that are not finite, naming the first such column."""
    bad = ~np.isfinite(X).all(axis=0)
    if bad.any():
        col = feature_names[int(np.argmax(bad))]
        raise TaskError(f"csv task: scaling column {col!r} of {path} with scale = "
                        f"{scale!r} gives values too large for a float (inf); allowed: a "
                        "scale that keeps them finite (a larger divisor, or \"standard\")",
                        "scale")
