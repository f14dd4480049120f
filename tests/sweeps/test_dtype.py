"""The ``dtype`` axis: float32 jobs are jobs of their own; float64 jobs keep their keys.

References: the job keys of the float64 sweep stored before the axis existed
(``tests/data/float64_reference``), and the float64 training of the same configs.
"""
import json
from pathlib import Path

import numpy as np
import pytest

from sweeps.spec import Spec, SpecError, load_spec
from sweeps.training import train_group

DATA = Path(__file__).parent.parent / "data" / "float64_reference"


def test_float64_jobs_keep_the_keys_stored_before_the_axis_float32_jobs_get_new_ones():
    stored = set(json.loads((DATA / "reference.json").read_text())["jobs"])
    assert set(load_spec(DATA / "spec.toml").keys()) == stored
    assert set(load_spec(DATA / "spec.toml", overrides=["dtype=float64"]).keys()) == stored
    float32 = load_spec(DATA / "spec.toml", overrides=["dtype=float32"])
    assert len(set(float32.keys())) == len(stored) and not set(float32.keys()) & stored
    assert all(c["dtype"] == "float32" for c in float32)


def test_a_float32_job_trains_in_float32_and_scores_close_to_float64():
    spec = Spec.from_dict({"task": "sine", "params": {
        "hidden": [[8]], "optimizer": "adam", "lr": 0.01, "epochs": 300, "seed": [0, 1],
        "dtype": ["float64", "float32"]}})
    by_dtype = {}
    for cfg in spec:
        by_dtype.setdefault(cfg.get("dtype", "float64"), []).append(cfg)
    results = {dtype: train_group(cfgs) for dtype, cfgs in by_dtype.items()}
    for r64, r32 in zip(results["float64"], results["float32"]):
        assert r32["weights"][0].dtype == np.float32 and r64["weights"][0].dtype == np.float64
        assert r32["status"] == r64["status"] == "ok"
        for name, value in r64["metrics"].items():
            if name != "wall_time":
                assert r32["metrics"][name] == pytest.approx(value, rel=1e-3, nan_ok=True), name


def test_an_unknown_dtype_is_refused_naming_the_allowed_ones():
    with pytest.raises(SpecError, match=r"key 'dtype': bad dtype 'float16'; allowed: "
                                        r"float64 or float32"):
        load_spec("sine", overrides=["dtype=float16"])
