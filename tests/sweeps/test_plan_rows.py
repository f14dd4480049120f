"""What a run plans is what it planned before planning went by config: the ``planned``
table's rows (key, position, config JSON, in insertion order) against rows made the way
the code wrote them then (``json.dumps`` of every job's config), and the stacks to train
against that code's stacking (one job at a time, ``stack_key`` of each job), with some
jobs already stored (the order they go to the workers is ``sweeps.balance``'s, checked
here against the cost written out). The spec has sub-grids that overlap, a zip holding the seed, -0.0, a
seed beyond 2**32 and dtype (tests/data/planning_spec.toml)."""
import json
import sqlite3
from pathlib import Path

import pytest

from sweeps.balance import plan_stacks
from sweeps.runner import RunSummary, _configs, _plan
from sweeps.spec import Spec, load_spec
from sweeps.store import Store, db_path
from sweeps.tasks import make_task

DATA = Path(__file__).resolve().parents[1] / "data"


def _spec():
    return load_spec(DATA / "planning_spec.toml", overrides=["seed=0,1,2,3,4,5,6,7,8,9", "activation=tanh"])


def _planned_before(spec):
    """The rows the code of main before this change wrote: one json.dumps per job."""
    return [(key, i, json.dumps(cfg, sort_keys=True, separators=(",", ":")))
            for i, (key, cfg) in enumerate(zip(spec.keys(), spec))]


def _stacks_before(spec, statuses, max_stack=40):
    """main's runner._plan and training.stack_groups, written out: each job alone, keyed
    by a repr of all its settings but seed, lr, l2 and init, stacks filled in order of
    first appearance."""
    stacks = {}
    for key, cfg in zip(spec.keys(), spec):
        if statuses.get(key) is not None:
            continue
        shared = [item for item in cfg.items() if item[0] not in ("seed", "lr", "l2", "init")]
        chunks = stacks.setdefault(repr((shared, cfg["l2"] > 0)), [[]])
        if len(chunks[-1]) == max_stack:
            chunks.append([])
        chunks[-1].append(cfg)
    return [c for cs in stacks.values() for c in cs]


def _cost(group):
    """Jobs x epochs x training rows x weights and biases of [n_in, *hidden, n_out]."""
    ds = make_task(group[0]["task"], **group[0]["task_params"])
    widths = [ds.n_in, *group[0]["hidden"], ds.output_units(group[0]["output"])]
    weights = sum((a + 1) * b for a, b in zip(widths, widths[1:]))
    return len(group) * group[0]["epochs"] * len(ds.X_train) * weights


def _canonical(stacks):
    return sorted([json.dumps(c, sort_keys=True) for c in group] for group in stacks)


def _write_planned(out, spec):
    out.mkdir(exist_ok=True)
    with Store.open(out, create=True) as store:
        store.start_run(name=spec.name, spec_text=spec.source, planned=spec.by_config(),
                        record={"pid": 1})
    with sqlite3.connect(db_path(out)) as conn:
        return conn.execute("SELECT key, position, config FROM planned ORDER BY rowid").fetchall()


def test_planned_rows_are_those_written_before(tmp_path):
    spec = _spec()
    assert len(spec) > 1000
    assert _write_planned(tmp_path, spec) == _planned_before(spec)
    # a spec of configs given as they are (no seed axis; one without a seed at all)
    given = Spec([spec[5], spec[0], {k: v for k, v in spec[9].items() if k != "seed"}],
                 name="given", source="")
    assert _write_planned(tmp_path / "given", given) == _planned_before(given)


@pytest.mark.parametrize("stored", [0, 3])
def test_stacks_to_train_are_those_stacked_before(stored):
    spec = _spec()
    keys = spec.keys()
    statuses = {key: ("failed" if i % 7 == 0 else "ok") for i, key in enumerate(keys)
                if stored and i % stored == 0}
    summary = RunSummary(spec.name, Path("."), planned=len(spec))
    stacks = _plan(spec, statuses, summary, False, False)
    got = list(_configs(spec, [jobs for _, jobs in plan_stacks(stacks, workers=1)]))
    assert _canonical(got) == _canonical(_stacks_before(spec, statuses))
    costs = [_cost(group) for group in got]
    assert costs == sorted(costs, reverse=True)  # costliest first
    assert summary.cached == len(statuses)
    assert summary.cached_failed == sum(s == "failed" for s in statuses.values())
    assert summary.pending == len(spec) - len(statuses) == sum(map(len, got))
    assert max(map(len, got)) == 40 and len({c["lr"] for c in got[0]}) > 1  # stacks split
