"""Specs that would hang, allocate terabytes or crash are refused in one line, before
anything is expanded, allocated or written."""
import pytest

from sweeps.cli import main
from sweeps.spec import Spec, SpecError

HIDDEN = {"hidden": [[3]]}


@pytest.mark.parametrize("spec, pattern", [
    ({"task": {"a": 1}, "params": HIDDEN}, r"key 'task': unknown task"),
    ({"task": ["sine", {"a": 1}], "params": HIDDEN}, r"key 'task': unknown task"),
    ({"task": "sine", "params": {**HIDDEN, "lr": {"start": 0.1, "stop": float("inf"),
                                                  "num": 3}}}, "non-finite end"),
    ({"task": "sine", "params": {**HIDDEN, "lr": {"start": float("nan"), "stop": 1}}},
     "non-finite end"),
    ({"task": "sine", "params": {**HIDDEN, "lr": {"start": 1e-3, "stop": 1, "num": 10**9}}},
     "has 1000000000 values; allowed: at most 100000"),
    ({"task": "sine", "params": {"hidden": {"width": [3], "depth": 10**9}}},
     r"depth 1000000000 is not an int in 1\.\.100"),
    ({"task": "sine", "params": {"hidden": [[10**9]]}}, r"width 1000000000 is not an int"),
    ({"task": "sine", "params": {"hidden": [[3] * 1000]}}, "1000 hidden layers"),
    ({"task": "sine", "params": {**HIDDEN, "n_samples": 10**12}}, "n_samples"),
    ({"task": "moons", "params": {**HIDDEN, "n_test": 10**12}}, "n_test"),
    ({"task": "moons", "params": {**HIDDEN, "n_val": 10**12}}, "n_val"),
    ({"task": "blobs", "params": {**HIDDEN, "centers": 10**9}}, r"centers.*2\.\.1000"),
    ({"task": "sine", "max_jobs": 0, "params": HIDDEN}, "max_jobs"),
])
def test_a_hostile_value_is_refused_naming_the_key(spec, pattern):
    with pytest.raises(SpecError, match=pattern):
        Spec.from_dict(spec)


def test_the_job_cap_counts_every_sub_grid_before_expanding():
    # Five sub-grids each below the per-axis cap: 5 x 99,999 x 10 = 4,999,950 jobs.
    grid = {"hidden": {"width": {"start": 1, "stop": 99_999}, "depth": [1]},
            "seed": list(range(10))}
    spec = {"task": "sine", "grid": [grid] * 5}
    with pytest.raises(SpecError, match=r"plans 4,999,950 jobs over 5 sub-grid\(s\), more "
                                        r"than max_jobs = 1,000,000.*max_jobs = 4999950"):
        Spec.from_dict(spec)
    small = {"task": "sine", "max_jobs": 3, "params": {"hidden": [[3], [4]], "seed": [0, 1]}}
    with pytest.raises(SpecError, match="plans 4 jobs"):
        Spec.from_dict(small)
    assert len(Spec.from_dict({**small, "max_jobs": 4})) == 4  # the explicit way to raise it


def test_the_command_line_says_one_line_and_writes_nothing(tmp_path, capsys):
    spec = tmp_path / "bad.toml"
    spec.write_text('name = "bad"\ntask = "sine"\n[params]\nhidden = { width = [3], '
                    "depth = 1000000000 }\n")
    assert main(["run", str(spec), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "depth 1000000000" in err[0]
    assert not (tmp_path / "out").exists()
