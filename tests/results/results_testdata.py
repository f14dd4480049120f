"""Test data for the results tests: small real sweeps through the real pipeline.

Every frame the results tests look at is written by ``sweeps.run_sweep`` into a real store
and read back with ``sweeps.load`` / ``sweeps.load_meta``; nothing here builds rows or meta
records by hand. The jobs that are not ``ok`` are produced by the runner itself:

* failed: a job whose ``seed`` is -1. Spec validation refuses a negative seed, so the job
  is put into an otherwise validated spec with the ``Spec`` constructor (which takes
  resolved configs as they are); numpy's ``default_rng(-1)`` then raises ``ValueError`` in
  the worker. The runner trains the seeds of a config as one group and a group fails as a
  whole: the other seeds trained in the same run fail with it. A seed is not a config axis,
  so this adds no varying axis to the frame.
* diverged: the sine sweep trains with plain gradient descent at ``lr = 0.25``, stable
  for every architecture with last hidden width 3 or 6 (they blow up from about 0.45),
  while ``(64,)`` overflows for every seed (at about epoch 134; seeds start to survive
  only below about 0.13). The architecture is not a varying axis either. (gd, not adam:
  adam's bounded steps never overflowed here, and a diverging config with its own
  optimizer or lr would add varying axes that split the report's figures.)
* pending: a later run that planned a larger spec was recorded with the real
  ``sweeps.store.Store`` API and stopped before training anything (``record_planned_run``).
"""
from __future__ import annotations

import os
import tomllib

import numpy as np
import sweeps
from reference import predict
from sweeps.spec import Spec
from sweeps.store import Store

#: The seed numpy refuses: ``np.random.default_rng(-1)`` raises ValueError in the worker.
BAD_SEED = -1

# -- sine: 14 small architectures plus one that diverges ---------------------------------
SINE_GRID = [(3,), (6,), (3, 3), (3, 6), (6, 3), (6, 6),
             (3, 3, 3), (3, 3, 6), (3, 6, 3), (3, 6, 6),
             (6, 3, 3), (6, 3, 6), (6, 6, 3), (6, 6, 6)]
SINE_DIVERGING = (64,)
SINE_HIDDEN = SINE_GRID + [SINE_DIVERGING]
#: Its seed 2 is replaced by BAD_SEED, so its whole group (every seed) fails.
SINE_FAILING = (3,)
SINE_SPEC = """name = "sine-test"
task = "sine"

[params]
activation = "tanh"
optimizer = "gd"
lr = 0.25
epochs = 300
seed = [0, 1, 2]

[[grid]]
hidden = { widths = [3, 6], depth = [1, 2, 3] }

[[grid]]
hidden = [[64]]
"""
#: The larger spec of a later run, stopped before it trained anything: 5 more seeds of
#: (6, 6, 6), so 5 jobs are pending.
SINE_PENDING = 5
SINE_EXTENDED_SPEC = SINE_SPEC + """
[[grid]]
hidden = [[6, 6, 6]]
seed = [3, 4, 5, 6, 7]
"""

# -- moons: uniform widths 3/6/9, depth 1/2, tanh and relu -------------------------------
MOONS_HIDDEN = [(w,) * d for d in (1, 2) for w in (3, 6, 9)]
MOONS_SPEC = """name = "moons-test"
task = "moons"

[params]
hidden = { width = [3, 6, 9], depth = [1, 2] }
activation = ["tanh", "relu"]
optimizer = "adam"
lr = 0.03
epochs = 200
seed = [0, 1, 2]
"""
#: A second run adds a job with seed BAD_SEED to this config: its seeds 0-2 are cached
#: (ok), so the new seed trains alone and fails alone.
MOONS_FAILING = ((9, 9), "relu")


def spec_from_toml(text: str) -> Spec:
    """A validated spec from TOML text (``Spec.from_dict``, as ``load_spec`` does)."""
    data = tomllib.loads(text)
    return Spec.from_dict(data, name=data["name"], source=text)


def with_bad_seed(spec: Spec, hidden, *, replace=None, activation=None) -> Spec:
    """``spec`` with one job of config ``hidden`` (and ``activation``) given seed -1.

    ``replace``: the seed whose job gets BAD_SEED instead; None appends a new job (a copy
    of that config's first job). The configs are otherwise those ``spec`` resolved.
    """
    configs = list(spec)
    match = [c for c in configs if c["hidden"] == list(hidden)
             and (activation is None or c["activation"] == activation)]
    assert match, f"no config {hidden} {activation or ''} in {spec!r}"
    if replace is None:
        configs.append(dict(match[0], seed=BAD_SEED))
        what = f"a job with seed {BAD_SEED} added"
    else:
        (job,) = [c for c in match if c["seed"] == replace]
        job["seed"] = BAD_SEED
        what = f"seed {replace} replaced by {BAD_SEED}"
    where = f"hidden {list(hidden)}" + (f", activation {activation}" if activation else "")
    note = f"\n# tests: {where}: {what}, which numpy's default_rng refuses in the worker\n"
    return Spec(configs, name=spec.name, source=spec.source + note)


def run(spec: Spec, out_dir, *, n_jobs=2, backend="threading"):
    """Run ``spec`` into ``out_dir`` with the real runner; return its RunSummary."""
    return sweeps.run_sweep(spec, out_dir, n_jobs=n_jobs, backend=backend)


def load_results(out_dir):
    """``(sweeps.load(out_dir), sweeps.load_meta(out_dir))``."""
    return sweeps.load(out_dir), sweeps.load_meta(out_dir)


def record_planned_run(out_dir, spec: Spec) -> None:
    """Record a run of ``spec`` that planned its jobs and stopped before training any.

    What ``run_sweep`` writes when it is interrupted right after planning: the run's
    record (copied from the store's previous run: same machine and package versions),
    the full job list as planned, and the outcome.
    """
    with Store.open(out_dir, create=True) as store:
        previous = store.last_run()
        record = {k: previous.get(k) for k in ("host", "argv", "backend", "n_jobs", "versions",
                                                "python", "git_commit", "git_dirty")}
        run_id = store.start_run(name=spec.name, spec_text=spec.source,
                                 planned=spec.by_config(), record=dict(record,
                                                                         pid=os.getpid()))
        store.finish_run(run_id, "interrupted")


def sine_specs():
    """(spec run to completion, larger spec of the later run that trained nothing)."""
    return (with_bad_seed(spec_from_toml(SINE_SPEC), SINE_FAILING, replace=2),
            with_bad_seed(spec_from_toml(SINE_EXTENDED_SPEC), SINE_FAILING, replace=2))


def small_sweep(out_dir, name, task, hidden, *, seeds=(0, 1), **params):
    """Run a one-sub-grid sweep of ``hidden`` x ``params`` into ``out_dir``; return (df, meta).

    ``params`` are spec axes (a list is an axis of several values).
    """
    spec = Spec.from_dict({"name": name, "task": task,
                           "params": dict(params, hidden=[list(h) for h in hidden],
                                          seed=list(seeds))})
    run(spec, out_dir)
    return load_results(out_dir)


def sine_test_mse(row):
    """Test MSE of a stored sine net, recomputed: its fit on the clean curve sin(2 pi x)
    at ``n_test`` evenly spaced points of [0, 1] (the sine task's test set)."""
    x = np.linspace(0.0, 1.0, int(row["n_test"]))[:, None]
    pred = predict(row["weights"], row["biases"], x, "tanh", "identity")
    return float(np.mean((pred - np.sin(2 * np.pi * x)) ** 2))
