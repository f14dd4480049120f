"""Planning keeps every job's key, config and place: the keys, configs and seed groups of
a spec of many grid shapes (sub-grids that overlap, a zip holding the seed, -0.0, a seed
beyond 2**32, dtype, overrides), as the code planned them before planning grouped jobs by
seed (tests/data/planning_keys.json, written by that code), and ``seed_keys`` against
``job_key`` one job at a time."""
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from sweeps.keys import canonical_json, config_id, job_key, seed_keys
from sweeps.spec import Spec, load_spec

DATA = Path(__file__).resolve().parents[1] / "data"
REFERENCE = json.loads((DATA / "planning_keys.json").read_text())


def _sha(lines) -> str:
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


@pytest.mark.parametrize("label", sorted(REFERENCE))
def test_keys_configs_and_order_are_those_planned_before(label):
    ref = REFERENCE[label]
    spec = load_spec(DATA / "planning_spec.toml", overrides=ref["overrides"])
    keys = spec.keys()
    assert len(spec) == len(keys) == ref["n_jobs"]
    for i, (key, text) in ref["sample"].items():
        assert keys[int(i)] == key and canonical_json(spec[int(i)]) == text, i
    assert _sha(keys) == ref["sha256_of_keys"]  # every key, in the same order
    assert _sha(canonical_json(c) for c in spec) == ref["sha256_of_configs"]
    assert [job_key(c) for c in spec[::97]] == keys[::97]  # each key is its config's
    seeds_of = {}  # config_id (the key without the seed) -> its jobs, in order of first job
    for config in spec:
        seeds_of.setdefault(config_id(config), []).append(config)
    groups = [len(g) for g in seeds_of.values()]
    assert len(groups) == ref["n_groups"]
    assert hashlib.sha256(json.dumps(groups).encode()).hexdigest() == \
        ref["group_sizes_sha256"]


def test_seed_keys_are_the_job_keys_of_each_seed():
    spec = load_spec(DATA / "planning_spec.toml", overrides=["seed=0"])
    seeds = [0, 7, 2**40, np.int64(3), np.uint8(5)]
    for config in spec[::50]:
        assert seed_keys(config, seeds) == [job_key({**config, "seed": s}) for s in seeds]
    # a config whose text holds the seed's mark elsewhere is keyed the plain way
    odd = {**spec[0], "activation": "\0seed\0"}
    assert seed_keys(odd, [1, 2]) == [job_key({**odd, "seed": s}) for s in (1, 2)]


def test_jobs_are_fresh_copies_and_a_spec_of_given_configs_keeps_them():
    spec = load_spec(DATA / "planning_spec.toml", overrides=["seed=0,1"])
    first = spec[0]
    first["hidden"].append(99)
    first["task_params"]["noise"] = 5.0
    assert spec[0]["hidden"] != first["hidden"] and spec[1]["task_params"]["noise"] != 5.0
    assert job_key(spec[0]) == spec.keys()[0]
    given = Spec([spec[1], spec[0], spec[1], {k: v for k, v in spec[2].items()
                                              if k != "seed"}], name="given", source="")
    assert given.keys() == [spec.keys()[1], spec.keys()[0],
                            job_key({k: v for k, v in spec[2].items() if k != "seed"})]
    assert "seed" not in given[2] and given[0] == spec[1]
