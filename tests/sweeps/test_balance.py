"""Stacks split so the workers finish together (``sweeps.balance``).

References: schedules worked out by hand (each worker takes the next stack when it is free),
parameter counts by hand, and real sweeps whose split jobs are compared with the same jobs
trained unsplit (bit for bit with each seed's own order) and with each network trained
alone through ``nncore.MLP`` (``sweep_helpers.train_directly``).
"""
import numpy as np
from sweep_helpers import (METRICS, assert_job_is_the_network_trained_alone, train_directly,
                           write_spec)

import sweeps
from sweeps.balance import balance, makespan, plan_stacks, stack_cost, task_shape
from sweeps.runner import run_sweep
from sweeps.tasks import make_task


def per_job(stack):
    """A test cost: the stack's config is the cost of one of its jobs."""
    config, jobs = stack
    return config * len(jobs)


def test_the_mnist_grid_on_two_workers_splits_the_big_stack_once():
    # Three big nets (5 each) and three small ones (1 each) on 2 workers: 18 in all, 9
    # each at best. Unsplit, one worker trains 15 alone. Split [2, 1]: A takes 10, B 5
    # then 3 = 8, done at 10. No finer split does better (some worker trains two big nets:
    # 10), so the fewest pieces are kept.
    got = balance([(1, ["s0", "s1", "s2"]), (5, ["b0", "b1", "b2"])], 2, per_job)
    assert got == [(5, ["b0", "b1"]), (5, ["b2"]), (1, ["s0", "s1", "s2"])]
    assert makespan([10, 5, 3], 2) == 10


def test_one_stack_splits_into_one_piece_per_worker_in_job_order():
    assert balance([(1, list(range(40)))], 2, per_job) == [(1, list(range(20))),
                                                         (1, list(range(20, 40)))]
    assert balance([(1, [0, 1, 2, 3])], 4, per_job) == [(1, [0]), (1, [1]), (1, [2]),
                                                      (1, [3])]
    # 5 jobs on 4 workers: some worker trains 2 whatever the split; 3 pieces reach that
    assert balance([(1, list(range(5)))], 4, per_job) == [(1, [0, 1]), (1, [3, 4]),
                                                        (1, [2])]


def test_enough_even_stacks_and_one_worker_are_left_whole_costliest_first():
    stacks = [(2, [f"a{i}" for i in range(3)]), (3, ["b0"]), (2, ["c0", "c1", "c2"]),
              (1, ["d0", "d1"])]
    # costs 6, 3, 6, 2 on 1 worker: nothing to balance, only the order (ties as given)
    assert balance(stacks, 1, per_job) == [stacks[0], stacks[2], stacks[1], stacks[3]]
    even = [(1, [i, i + 100]) for i in range(10)]  # 10 stacks of 2 on 2 workers: 10 each
    assert balance(even, 2, per_job) == even


def test_every_job_is_planned_once_and_the_plan_is_deterministic():
    rng = np.random.default_rng(0)
    for _ in range(50):
        stacks = [(int(rng.integers(1, 20)), [f"{i}.{j}" for j in range(rng.integers(1, 9))])
                  for i in range(rng.integers(1, 6))]
        workers = int(rng.integers(1, 6))
        got = balance(stacks, workers, per_job)
        assert got == balance(stacks, workers, per_job)
        assert sorted(j for _, jobs in got for j in jobs) == sorted(
            j for _, jobs in stacks for j in jobs)
        costs = [per_job(s) for s in got]
        assert costs == sorted(costs, reverse=True)
        # never later than the unsplit plan
        assert makespan(costs, workers) <= makespan(
            sorted(map(per_job, stacks), reverse=True), workers)


def test_the_cost_counts_jobs_epochs_rows_and_weights():
    cfg = {"hidden": [30], "epochs": 30}
    # [784, 30, 10]: (784 + 1) * 30 + (30 + 1) * 10 = 23,860 weights and biases
    assert stack_cost(cfg, 3, (36_000, 784, 10)) == 3 * 30 * 36_000 * 23_860
    spec = sweeps.load_spec("digits")
    ds = make_task("digits", **spec[0]["task_params"])
    assert task_shape(spec[0]) == (len(ds.X_train), 64, 10)


SPEC = """task = "sine"
[params]
hidden = [[2], [24, 24]]
activation = "tanh"
optimizer = "gd"
lr = 0.05
epochs = 40
batch_size = 10
seed = [0, 1, 2]
"""
SETTINGS = {"activation": "tanh", "output": "identity", "loss": "mse", "l2": 0.0}


def _plan(spec, workers):
    groups = [(g.config, g.jobs) for g in spec.by_config()]
    return [[spec[j]["hidden"] for j in jobs] for _, jobs in plan_stacks(groups, workers)]


def _run(tmp_path, name, n_jobs, extra=""):
    spec = sweeps.load_spec(write_spec(tmp_path, "split", SPEC + extra))
    run_sweep(spec, tmp_path / name, n_jobs=n_jobs)
    df = sweeps.load(tmp_path / name, weights=True)
    return spec, df.sort_values(["hidden", "seed"]).reset_index(drop=True)


def _assert_same_jobs(split, whole, exact):
    assert list(split["key"]) == list(whole["key"])
    check = np.testing.assert_array_equal if exact else (
        lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15))
    check(split[list(METRICS)].to_numpy(float), whole[list(METRICS)].to_numpy(float))
    for (_, a), (_, b) in zip(split.iterrows(), whole.iterrows()):
        for got, want in zip(a["weights"] + a["biases"] + [a["curve_loss"]],
                             b["weights"] + b["biases"] + [b["curve_loss"]]):
            check(got, want)


def test_a_split_stack_stores_bit_for_bit_what_it_stores_unsplit(tmp_path):
    spec = sweeps.load_spec(write_spec(tmp_path, "split", SPEC))
    # [1, 24, 24, 1] has 673 weights, [1, 2, 1] 7: on 3 workers each big net alone
    assert _plan(spec, 3) == [[[24, 24]]] * 3 + [[[2]] * 3]
    assert _plan(spec, 1) == [[[24, 24]] * 3, [[2]] * 3]
    _, split = _run(tmp_path, "split", 3)
    _, whole = _run(tmp_path, "whole", 1)
    big = split["hidden"] == (24, 24)
    assert split.loc[big, "worker"].nunique() == 3  # trained apart, in 3 processes
    assert whole.loc[big, "started"].nunique() == 1  # trained as one stack
    _assert_same_jobs(split, whole, exact=True)
    for _, row in split.iterrows():
        ds, net = train_directly("sine", spec[0]["task_params"], hidden=list(row["hidden"]),
                                 seed=int(row["seed"]), optimizer="gd", lr=0.05, epochs=40,
                                 batch_size=10, **SETTINGS)
        assert_job_is_the_network_trained_alone(row, ds, net, **SETTINGS)


def test_a_split_stack_with_a_shared_order_changes_rounding_only(tmp_path):
    _, split = _run(tmp_path, "split", 3, "shuffle_seed = 7\n")
    _, whole = _run(tmp_path, "whole", 1, "shuffle_seed = 7\n")
    assert split.loc[split["hidden"] == (24, 24), "worker"].nunique() == 3
    _assert_same_jobs(split, whole, exact=False)
