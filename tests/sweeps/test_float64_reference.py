"""float64 results never change: a sweep stored by the code before the throughput work of
issue 12 (``tests/data/float64_reference``: every optimizer, full batch and mini-batches,
l2, lr and init varying within one architecture, several seeds, early stopping, weight
statistics, diverging jobs) is run again, fresh, and must give the same job keys, statuses
and metrics to 1e-12 relative.

The reference is what the per-config engine of commit b4e074a stored; the code under test
may train configs together, in another order of floating-point work, but must not change
what a stored job means.
"""
import json
import math
from pathlib import Path

from sweep_helpers import stored_metrics

from sweeps.runner import run_sweep

DATA = Path(__file__).parent.parent / "data" / "float64_reference"


def test_a_fresh_run_gives_the_stored_keys_and_metrics(tmp_path):
    reference = json.loads((DATA / "reference.json").read_text())["jobs"]
    run_sweep(DATA / "spec.toml", tmp_path / "fresh", n_jobs=2, force=True)
    fresh = stored_metrics(tmp_path / "fresh")
    assert sorted(fresh) == sorted(reference)
    mismatches = []
    for key, want in reference.items():
        got = fresh[key]
        assert got["status"] == want["status"], key
        assert sorted(got["metrics"]) == sorted(want["metrics"]), key
        for name, value in want["metrics"].items():
            if not _close(got["metrics"][name], value):
                mismatches.append((key, name, got["metrics"][name], value))
    assert not mismatches, f"{len(mismatches)} metrics differ, e.g. {mismatches[:3]}"


def _close(got: float, want: float) -> bool:
    if math.isinf(want):
        return got == want
    return abs(got - want) <= 1e-12 * max(abs(want), 1e-300) or got == want
