"""Faults of the processes around a sweep, on real processes: a loky worker SIGKILLed
mid-sweep fails only its group; the driver SIGKILLed leaves no worker alive; a Dask
scheduler killed, or every Dask worker killed, ends the run with one line and loses nothing.

``SWEEPS_FAULT_ROUNDS`` (default 3) sets how many times the worker kill is repeated.
"""
import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from sweep_helpers import rows, start_run, wait_for_rows, write_spec

import sweeps
from sweeps.runner import run_sweep
from sweeps.pools.loky import loky_results

psutil = pytest.importorskip("psutil")

ROUNDS = int(os.environ.get("SWEEPS_FAULT_ROUNDS", "3"))
REASON = "worker process died: killed by signal 9 (out of memory?)"


def two_seed_spec(directory, name="faults", n_groups=8, epochs=4000):
    """``n_groups`` groups of two seeds each (a group is one config, its seeds trained
    together), ~0.3 s per group: slow enough to kill a process mid-sweep."""
    widths = ", ".join(f"[{w}]" for w in range(2, 2 + n_groups))
    return write_spec(directory, name, f'task = "sine"\n[params]\nhidden = [{widths}]\n'
                                       f'epochs = {epochs}\nseed = [0, 1]\n')


def descendants(pid: int) -> list:
    return psutil.Process(pid).children(recursive=True)


def loky_workers(pid: int) -> list:
    """The driver's loky worker processes (not its resource tracker)."""
    return [p for p in descendants(pid) if "popen_loky_posix" in " ".join(p.cmdline())]


def alive(procs: list) -> list:
    """Those of ``procs`` still running (a zombie has ended: only its exit status is left)."""
    living = []
    for proc in procs:
        try:
            if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
                living.append(proc)
        except psutil.NoSuchProcess:
            pass
    return living


def wait_gone(procs: list, seconds: float) -> list:
    """Wait up to ``seconds`` for ``procs`` to end; return those still alive."""
    deadline = time.monotonic() + seconds
    while alive(procs) and time.monotonic() < deadline:
        time.sleep(0.05)
    return alive(procs)


def kill_all(procs: list) -> None:
    for proc in alive(procs):
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            pass


def group_of(key_configs: dict, key: str) -> tuple:
    """What identifies a job's group: its config without the seed."""
    cfg = dict(key_configs[key])
    cfg.pop("seed")
    return repr(sorted(cfg.items()))


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_a_killed_worker_fails_only_its_group_and_retry_completes_it(tmp_path, round_):
    spec_path, out = two_seed_spec(tmp_path), tmp_path / "out"
    spec = sweeps.load_spec(spec_path)
    configs = dict(zip(spec.keys(), spec))
    proc = start_run(spec_path, out, "--jobs", "2")
    try:
        before = wait_for_rows(out, 2, proc)
        victim = np.random.default_rng(round_).choice(loky_workers(proc.pid))
        victim.kill()
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        kill_all(descendants(proc.pid) if proc.poll() is None else [])
        proc.kill()
    assert proc.returncode == 1, stderr
    assert "Traceback" not in stderr and "1 group failed" in stderr, stderr
    assert "16 jobs: 14 ok" in stdout and "2 failed" in stdout

    final = rows(out)
    assert sorted(final) == sorted(configs)  # the sweep went on: every job has its row
    failed = sorted(k for k, (status, _, _) in final.items() if status == "failed")
    # Exactly one group, whole: both its seeds, and no job finished before the kill.
    assert len(failed) == 2 and group_of(configs, failed[0]) == group_of(configs, failed[1])
    assert not set(failed) & set(before)
    df = sweeps.load(out, curves=False, weights=False)
    assert set(df.loc[df["status"] == "failed", "error"]) == {REASON}
    assert (df.loc[~df["key"].isin(failed), "status"] == "ok").all()

    retried = run_sweep(spec, out, n_jobs=1, retry_failed=True)
    assert (retried.ok, retried.failed, retried.cached) == (2, 0, 14)
    after = rows(out)
    assert all(after[k][0] == "ok" for k in after)
    assert {k: after[k] for k in after if k not in failed} == {
        k: final[k] for k in final if k not in failed}  # the others were not retrained


def _killed_while_sending(group, limit_blas=True):
    """Die as a worker SIGKILLed while it sends its result: write the start of a 10 MB
    message to loky's result pipe (this worker's one SimpleQueue), then SIGKILL itself."""
    import gc
    import struct

    from joblib.externals.loky.backend.queues import SimpleQueue

    queue = next(o for o in gc.get_objects() if isinstance(o, SimpleQueue))
    queue._writer._send(struct.pack("!i", 10_000_000) + b"\x80")
    os.kill(os.getpid(), signal.SIGKILL)


# and without a traceback from loky's thread (closing the pipe raced with its own close)
@pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_worker_killed_while_sending_its_result_fails_its_group_without_a_hang():
    # loky, on its own, then waits for the rest of the message for ever.
    def managers():
        return sum(t.name == "ExecutorManagerThread" for t in threading.enumerate())

    before, got = managers(), []
    runner = threading.Thread(target=lambda: got.extend(
        loky_results([[{"seed": 0}], [{"seed": 1}]], 2, train=_killed_while_sending)),
        daemon=True)
    runner.start()
    runner.join(timeout=60)
    assert not runner.is_alive(), "the pool hung on a worker killed mid-result"
    assert sorted([(r["config"]["seed"], r["status"], r["error"]) for r in res]
                  for res in got) == [[(0, "failed", REASON)], [(1, "failed", REASON)]]
    # loky's threads of the dead workers are released, not left reading the pipe for
    # ever (which would also hang the interpreter's exit).
    deadline = time.monotonic() + 30
    while managers() > before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert managers() <= before


_KILL_WITH_QUEUED_WORK = """
import time
from joblib.externals.loky import ProcessPoolExecutor
from sweeps.pools.loky import _kill
for _ in range(3):
    executor = ProcessPoolExecutor(max_workers=1)
    executor.submit(time.sleep, 0).result()  # the worker is up
    futures = [executor.submit(time.sleep, 0.2) for _ in range(3)]  # one id stays queued
    _kill(executor)
    for future in futures:
        try:
            future.result(timeout=30)
        except Exception:
            pass
time.sleep(0.5)  # loky's manager thread has ended (or printed its traceback)
print("done")
"""


def test_killing_a_pool_with_work_still_queued_prints_no_traceback():
    # loky's own shutdown(kill_workers=True) drops the pending items while a work id is
    # still queued, and its manager thread then dies on a KeyError, printing a traceback
    # under the driver's one line (it did so 5 times in 5 without the fix).
    done = subprocess.run([sys.executable, "-c", _KILL_WITH_QUEUED_WORK], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "done", done.stderr
    assert "Traceback" not in done.stderr and "KeyError" not in done.stderr, done.stderr


def test_no_worker_outlives_a_sigkilled_driver_and_resume_completes(tmp_path):
    spec_path, out = two_seed_spec(tmp_path), tmp_path / "out"
    proc = start_run(spec_path, out, "--jobs", "2")
    try:
        wait_for_rows(out, 2, proc)
        children = descendants(proc.pid)
        assert len([p for p in children if p in loky_workers(proc.pid)]) == 2
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        kept = rows(out)
        survivors = wait_gone(children, 5.0)
    finally:
        kill_all(children)
    assert not survivors, [(p.pid, p.cmdline()) for p in survivors]
    assert rows(out) == kept  # nothing wrote after the driver died

    spec = sweeps.load_spec(spec_path)
    summary = run_sweep(spec, out, n_jobs=2)
    assert summary.cached == len(kept) and summary.ok == len(spec) - len(kept)
    final = rows(out)
    assert sorted(final) == sorted(spec.keys())
    assert {k: final[k] for k in kept} == kept


def test_a_sigkilled_driver_leaves_no_resource_tracker_warning(tmp_path):
    """loky's resource tracker, which outlives the driver to unlink its semaphores, says
    nothing on the terminal the driver shared with it (it used to warn of "leaked
    semlock objects" in two lines)."""
    spec_path, out = two_seed_spec(tmp_path), tmp_path / "out"
    proc = start_run(spec_path, out, "--jobs", "2")
    try:
        wait_for_rows(out, 2, proc)
        children = descendants(proc.pid)
        os.kill(proc.pid, signal.SIGKILL)
        # until every process holding the stderr pipe (tracker, workers) has ended
        _, stderr = proc.communicate(timeout=60)
    finally:
        kill_all(children)
    assert proc.returncode == -signal.SIGKILL and stderr == "", stderr


# -- Dask ----------------------------------------------------------------------------------
CLUSTER = """
import sys, time
from distributed import LocalCluster
cluster = LocalCluster(n_workers=int(sys.argv[1]), threads_per_worker=1, host="127.0.0.1",
                       dashboard_address=None, scheduler_kwargs={"dashboard_address": ":0"})
print(cluster.scheduler_address, flush=True)
time.sleep(600)
"""


@pytest.fixture
def start_cluster():
    """Start a LocalCluster in a process of its own (its scheduler runs there: one to
    kill) with ``n`` workers, or none; every process is killed at teardown."""
    pytest.importorskip("distributed")
    procs = []

    def start(n_workers):
        proc = subprocess.Popen([sys.executable, "-c", CLUSTER, str(n_workers)],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        procs.append(psutil.Process(proc.pid))
        address = proc.stdout.readline().strip()
        assert address.startswith("tcp://127.0.0.1:"), address
        procs.extend(descendants(proc.pid))  # its workers, left behind by a SIGKILL
        return proc, address

    yield start
    kill_all(procs)


def start_worker(address: str) -> subprocess.Popen:
    """A Dask worker process without a nanny: killed, nothing starts it again."""
    return subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address,
                             "--no-nanny", "--nthreads", "1", "--no-dashboard"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def assert_one_line(stderr: str, *phrases: str) -> None:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    for phrase in phrases:
        assert phrase in lines[0], lines[0]


def test_a_killed_dask_scheduler_ends_the_run_in_one_line_and_resume_completes(
        tmp_path, start_cluster):
    cluster, address = start_cluster(2)
    spec_path, out = two_seed_spec(tmp_path), tmp_path / "out"
    proc = start_run(spec_path, out, "--scheduler", address)
    try:
        seen = wait_for_rows(out, 2, proc)
        cluster.kill()  # the scheduler's process, SIGKILL
        _, stderr = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 1
    assert_one_line(stderr, f"lost the connection to the Dask scheduler at {address}",
                    "pending", "resume")
    kept = rows(out)
    spec = sweeps.load_spec(spec_path)
    assert set(seen) <= set(kept) and len(kept) < len(spec)
    assert all(status == "ok" for status, _, _ in kept.values())

    summary = run_sweep(spec, out, n_jobs=1)
    assert summary.cached == len(kept) and summary.ok == len(spec) - len(kept)
    assert sorted(rows(out)) == sorted(spec.keys())


def expiries(events, timeout=2.0):
    """What ``NoWorkerClock.expired`` answers at each look of ``events``: ``(time, what)``
    with ``what`` the live workers a look finds, or ``"group"`` for a group finishing."""
    from sweeps.pools.dask import NoWorkerClock
    now = [0.0]
    wait, answers = NoWorkerClock(timeout, lambda: now[0]), []
    for now[0], what in events:
        if what == "group":
            wait.progressed()
        else:
            answers.append(wait.expired(what))
    return answers


def test_the_no_worker_wait_is_counted_from_the_first_look_after_the_last_sign_of_life():
    # Before the workers join a look at t=0 finds none; a group finishes at t=1.5; the
    # workers die: looks at t=2.5 (the first with none), 4.0, and 4.5 (2 s after it).
    assert expiries([(0, 0), (1.5, "group"), (2.5, 0), (4.0, 0), (4.5, 0)]) == \
        [False, False, False, True]
    # A look that finds a live worker restarts it as well.
    assert expiries([(0, 0), (6.0, 1), (7.0, 0), (8.9, 0), (9.0, 0)]) == \
        [False, False, False, False, True]


def clients_of(address: str) -> int:
    """How many clients the scheduler at ``address`` has (this one's own included)."""
    from distributed import Client
    with Client(address, timeout=10) as client:
        return client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.clients))


def test_killed_dask_workers_end_the_run_after_the_set_time_in_one_line(
        tmp_path, start_cluster):
    # The run starts before its workers, so it looks at least once with none (CI once
    # ended such a run 0.15 s after the kill: that first look was still counted).
    _, address = start_cluster(0)
    spec_path, out = two_seed_spec(tmp_path), tmp_path / "out"
    timeout = 5.0
    env = {**os.environ, "SWEEPS_DASK_NO_WORKER_TIMEOUT": f"{timeout:g}"}
    before = clients_of(address)
    proc = subprocess.Popen(
        [sys.executable, "-m", "sweeps", "run", str(spec_path), "--out", str(out),
         "--quiet", "--scheduler", address],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    workers = []
    try:
        deadline = time.monotonic() + 60
        while clients_of(address) <= before:  # the run's client has connected
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
            time.sleep(0.2)
        time.sleep(1.5)  # more than the run's 1 s poll: it has looked and found no worker
        workers = [start_worker(address), start_worker(address)]
        seen = wait_for_rows(out, 2, proc)
        for worker in workers:
            worker.kill()
            worker.wait()
        killed = time.monotonic()
        _, stderr = proc.communicate(timeout=120)  # a guard against a hang only
        waited = time.monotonic() - killed
    finally:
        proc.kill()
        for worker in workers:
            worker.kill()
    assert proc.returncode == 1
    assert_one_line(stderr, f"no live Dask worker for {timeout:g} s",
                    "SWEEPS_DASK_NO_WORKER_TIMEOUT", "resume")
    assert waited >= timeout  # the full time it states, counted from the workers' death
    kept = rows(out)
    assert set(seen) <= set(kept) and len(kept) < 16


def test_dask_workers_killed_mid_task_are_replaced_and_only_their_groups_retried(tmp_path):
    pytest.importorskip("distributed")
    spec_path, out = two_seed_spec(tmp_path), tmp_path / "out"
    proc = start_run(spec_path, out, "--backend", "dask", "--jobs", "2")
    try:
        seen = wait_for_rows(out, 2, proc)
        # The worker processes; their nannies live in the driver and start new ones.
        killed = [p for p in descendants(proc.pid)
                  if "resource_tracker" not in " ".join(p.cmdline())]
        assert len(killed) == 2
        for worker in killed:
            worker.kill()
        _, stderr = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 0 and "Traceback" not in stderr, stderr
    final = rows(out)
    assert sorted(final) == sorted(sweeps.load_spec(spec_path).keys())
    assert all(status == "ok" for status, _, _ in final.values())
    assert {k: final[k] for k in seen} == seen  # what was finished is not retrained
    df = sweeps.load(out, curves=False, weights=False)
    pids = {int(w.rsplit(":", 1)[1]) for w in df["worker"]}
    assert not pids & {p.pid for p in killed} or len(pids) > 2  # new workers trained


@pytest.mark.parametrize("value", ["soon", "0", "-5", "nan", "inf"])
def test_a_bad_no_worker_timeout_is_refused_before_anything_starts(tmp_path, value):
    spec_path, out = two_seed_spec(tmp_path), tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "sweeps", "run", str(spec_path), "--out", str(out),
         "--backend", "dask"], check=False, capture_output=True, text=True,
        timeout=120, env={**os.environ, "SWEEPS_DASK_NO_WORKER_TIMEOUT": value})
    assert proc.returncode == 2
    assert_one_line(proc.stderr, "SWEEPS_DASK_NO_WORKER_TIMEOUT must be a number of seconds",
                    repr(value))
    assert not out.exists()
