"""The one normaliser of values: configs, spec values and frame cells in plain Python form.

:func:`plain` has three uses, one flag each:

- ``plain(value)``: JSON-like Python (dicts, lists, Python scalars, paths as text), for a
  spec to be rendered as TOML or a frame to be written as JSON;
- ``plain(value, hashable=True)``: something hashable that compares equal exactly when
  the values do (lists and arrays become tuples, dicts sorted tuples of items, every
  missing value, None or NaN, the same None), to group, compare and count values;
- ``plain(value, strict=True)``: the canonical form a job's key hashes
  (:mod:`sweeps.keys`), refusing what has none.
"""
from __future__ import annotations

import functools
import math
import os
from collections.abc import Mapping

import numpy as np


def plain(value, *, hashable: bool = False, strict: bool = False):
    """Return ``value`` with containers and scalars in plain Python form.

    Parameters
    ----------
    value
        Nested mappings, lists, tuples, ranges, numpy arrays and scalars, paths.
    hashable : bool, default=False
        Sequences as tuples and mappings as sorted tuples of ``(key, value)``, and None
        or NaN as None, so that the result hashes; else sequences as lists.
    strict : bool, default=False
        The canonical form of a config: keys must be strings, floats finite (``-0.0``
        becomes ``0.0``: the same setting), and only JSON's types are accepted.

    Raises
    ------
    TypeError
        With ``strict``, for a non-string key or a value of another type.
    ValueError
        With ``strict``, for a non-finite float.
    """
    if isinstance(value, Mapping):
        return _mapping(value, hashable, strict)
    if isinstance(value, np.ndarray):
        value = value.tolist()  # Python scalars already; a 0-d array becomes one
        if not (hashable or strict):
            return value
    if isinstance(value, (list, tuple)) or (not strict and isinstance(value, range)):
        items = [plain(v, hashable=hashable, strict=strict) for v in value]
        return tuple(items) if hashable else items
    if isinstance(value, np.generic):
        value = value.item()
    if strict:
        return _canonical_scalar(value)
    if hashable and (value is None or (isinstance(value, float) and math.isnan(value))):
        return None
    return os.fspath(value) if isinstance(value, os.PathLike) else value


#: ``plain(value, hashable=True)``, to ``map`` over values.
hashable = functools.partial(plain, hashable=True)


def _mapping(value: Mapping, hashable: bool, strict: bool):
    items = {}
    for k, v in value.items():
        if strict and not isinstance(k, str):
            raise TypeError(f"config keys must be strings, got {k!r}")
        items[k] = plain(v, hashable=hashable, strict=strict)
    return tuple(sorted(items.items())) if hashable else items


def _canonical_scalar(value):
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"config values must be finite, got {value!r}")
        return 0.0 if value == 0 else value  # -0.0 and 0.0 are the same setting
    raise TypeError(f"cannot canonicalize {type(value).__name__} value {value!r}")
