"""Workers started ahead: ready when the groups come, and kept however much they map.

A run with work to do starts its loky workers while the driver writes the data sets
(``sweeps.pools.start_workers``); the pool takes them. loky would end a worker whose memory
grew by 300 MB since its first task (a leak, it assumes): a worker started ahead has a
first task of nothing, then maps a data set of hundreds of megabytes.
"""
import functools
import os
import time

import psutil
from sweep_helpers import write_spec

import sweeps
from sweeps.pools import start_workers
from sweeps.pools.loky import _AHEAD, _kill, _new_executor, ready
from sweeps.runner import run_sweep

#: Run in a worker: hold 400 MB (more than loky's 300 MB), past loky's 1 s between checks.
GROW = functools.partial(exec, "import builtins, time, numpy as np\n"
                               "builtins.held = np.ones(50_000_000)\ntime.sleep(1.2)")


def test_a_worker_that_grows_by_400_mb_after_its_first_task_is_kept():
    executor = _new_executor()
    try:
        executor.submit(ready).result(timeout=60)
        first = executor.submit(os.getpid).result(timeout=60)
        executor.submit(GROW).result(timeout=60)
        time.sleep(0.5)  # loky's check runs after the task's result is sent
        assert executor.submit(os.getpid).result(timeout=60) == first
        assert psutil.Process(first).memory_info().rss > 400e6
    finally:
        _kill(executor)


def test_workers_started_ahead_train_the_groups_and_none_is_left(tmp_path):
    spec = write_spec(tmp_path, "ahead", 'task = "sine"\n[params]\nhidden = [[2], [3]]\n'
                                         "epochs = 5\nseed = [0, 1]\n")
    me = psutil.Process()
    with start_workers("loky", 2):
        assert len(_AHEAD) == 2
        ahead = {str(c.pid) for c in me.children(recursive=True)}
        summary = run_sweep(spec, tmp_path / "out", n_jobs=2)  # starts none of its own
        assert not _AHEAD  # taken by the pool
    assert summary.ok == 4
    assert set(sweeps.load(tmp_path / "out")["worker"].str.split(":").str[1]) <= ahead


def test_nothing_starts_ahead_without_work_threads_or_a_single_worker():
    for args in [("loky", 2, None, False), ("threading", 2), ("loky", 1), ("dask", 2)]:
        with start_workers(*args):
            assert not _AHEAD


#: Run in a worker: whether scipy.special is imported (a builtin, so that asking imports
#: nothing of its own, as a function of this module would: its module and what it imports).
HAS_SCIPY_SPECIAL = functools.partial(eval, "'scipy.special' in __import__('sys').modules")


def test_workers_started_ahead_import_the_sigmoids_scipy_only_for_a_grid_that_uses_it():
    # The sigmoid's scipy.special (0.15-0.2 s) is imported while the driver writes the
    # data sets, not in the first step; a grid without a sigmoid does not pay for it.
    sigmoid = [({"activation": "relu", "output": "logistic"}, [])]
    relu = [({"activation": "relu", "output": "identity"}, [])]
    for stacks, expected in [(sigmoid, True), (relu, False)]:
        with start_workers("loky", 2, None, stacks):
            assert len(_AHEAD) == 2
            imported = [ex.submit(HAS_SCIPY_SPECIAL).result(timeout=60) for ex in _AHEAD]
        assert imported == [expected, expected]
