"""The one normaliser of values (``sweeps.values.plain``), on values worked out by hand."""
import math
from pathlib import Path

import numpy as np
import pytest

from sweeps.values import hashable, plain

MIXED = {"hidden": (np.int64(4), 2), "lr": np.float32(0.5), "on": np.bool_(True),
         "grid": np.arange(3), "path": Path("/d/x.csv"), "span": range(2), "gap": math.nan}


def test_plain_is_json_like_python():
    assert plain(MIXED) == {"hidden": [4, 2], "lr": 0.5, "on": True, "grid": [0, 1, 2],
                            "path": "/d/x.csv", "span": [0, 1], "gap": MIXED["gap"]}
    assert type(plain(MIXED)["hidden"][0]) is int and type(plain(np.float64(1))) is float
    assert plain(np.array(2.5)) == 2.5  # a 0-d array is its scalar


def test_hashable_groups_equal_values_and_every_missing_one():
    assert hashable({"b": [1, 2], "a": None}) == (("a", None), ("b", (1, 2)))
    assert hashable(np.array([[1, 2]])) == ((1, 2),)
    assert hashable(math.nan) is None and hashable(None) is None
    assert len({hashable(v) for v in ([4, 4], (4, 4), np.array([4, 4]))}) == 1


def test_strict_is_the_canonical_form_and_refuses_what_has_none():
    assert plain({"l2": -0.0, "x": [np.int32(1)], "t": "a"}, strict=True) == {
        "l2": 0.0, "x": [1], "t": "a"}
    assert math.copysign(1, plain(-0.0, strict=True)) == 1
    with pytest.raises(ValueError, match="finite"):
        plain({"lr": math.inf}, strict=True)
    with pytest.raises(TypeError, match="keys must be strings"):
        plain({1: 2}, strict=True)
    for value in ({1, 2}, range(2), Path("x")):
        with pytest.raises(TypeError, match="cannot canonicalize"):
            plain(value, strict=True)
