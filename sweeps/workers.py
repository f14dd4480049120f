"""The processes that train a sweep: a death fails one group, never the sweep; no orphans.

Three guarantees, one per fault a long sweep meets:

- **A worker's death fails only its group.** The loky pool is one single-worker executor
  per slot (:func:`loky_results`): when a worker dies (the OOM killer's SIGKILL, a
  segfault), exactly the group it was training is known, stored as ``failed`` with the
  reason (:func:`death_reason`), and only that slot's executor is replaced; the other
  workers go on. A shared pool cannot do this: loky kills every worker of a broken pool
  and fails every pending task, so neither the culprit nor the innocents are known.
- **Workers die with their driver**, whatever kills it, SIGKILL included
  (:func:`die_with_parent`, every loky worker's initializer): the kernel's parent-death
  signal on Linux, and a thread that polls the parent everywhere.
- **A Dask cluster that goes away ends the sweep with one line** (:class:`ClusterLost`):
  a lost scheduler, or no live worker for :func:`no_worker_timeout` seconds. A worker lost
  mid-task is the scheduler's to retry (``distributed.scheduler.allowed-failures``); a
  group that kills every worker it lands on is stored ``failed``.
"""
import ctypes
import logging
import os
import re
import signal
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, CancelledError, wait
from contextlib import contextmanager
from functools import partial

from joblib.externals.loky import ProcessPoolExecutor
from joblib.externals.loky.process_executor import BrokenProcessPool
from joblib.parallel import ParallelBackendBase

from sweeps.schema import now
from sweeps.tasks.cache import Scattered, data_for
from sweeps.training import failed_record, train_group

#: Seconds between two looks of a worker at its parent (the fallback of PR_SET_PDEATHSIG).
PARENT_POLL = 0.5
#: Environment variable: seconds a Dask sweep waits with no live worker before giving up.
NO_WORKER_TIMEOUT_ENV = "SWEEPS_DASK_NO_WORKER_TIMEOUT"
DEFAULT_NO_WORKER_TIMEOUT = 60.0
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


class ClusterLost(RuntimeError):
    """The Dask scheduler, or every Dask worker, is gone; every finished result is stored.

    ``summary`` (set by the runner) says what was done; running the sweep again resumes.
    """

    summary = None


def death_reason(exitcode) -> str:
    """The ``error`` stored for the jobs of a group whose worker process died.

    Parameters
    ----------
    exitcode : int or None
        The worker's exit code as ``multiprocessing`` gives it: ``-N`` for signal ``N``.
    """
    if exitcode is None:
        return "worker process died"
    if exitcode < 0:
        sig = -exitcode
        # SIGKILL out of the blue is what the kernel's OOM killer sends.
        why = "out of memory?" if sig == signal.SIGKILL else _signal_name(sig)
        return f"worker process died: killed by signal {sig} ({why})"
    return f"worker process died: exited with status {exitcode}"


def _signal_name(sig: int) -> str:
    try:
        return signal.Signals(sig).name
    except ValueError:
        return "unknown signal"


def lost_group(configs: list, reason: str, traceback: str | None = None) -> list:
    """Result records (as :func:`sweeps.training.train_group` returns) failing a group."""
    stamp = {"worker": None, "started": None, "finished": now()}
    return [{**failed_record(cfg, reason, traceback), **stamp} for cfg in configs]


# -- workers die with their driver ---------------------------------------------------------
def die_with_parent(parent_pid: int) -> None:
    """Make this (worker) process end when ``parent_pid``, its driver, ends.

    Run first in every worker (the loky initializer). On Linux the kernel sends SIGKILL
    the moment the parent goes (``prctl(PR_SET_PDEATHSIG)``); everywhere, a daemon thread
    looks every ``PARENT_POLL`` seconds whether the process was re-parented. Ctrl-C is the
    driver's to handle (it stops the pool), so workers ignore SIGINT: a terminal sends it
    to the whole foreground process group.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True,
                     name="sweeps-watch-parent").start()


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(PARENT_POLL)
    os.kill(os.getpid(), signal.SIGKILL)  # as the kernel would: nothing left to clean up


# -- the loky pool -------------------------------------------------------------------------
def loky_results(groups: list, n_workers: int, *, train=train_group, data=None):
    """Train ``groups`` on ``n_workers`` loky processes; yield each group's results.

    Results come as groups finish (unordered). A group whose worker died is yielded as
    :func:`lost_group` records, and its slot gets a fresh worker. Closing the generator
    (Ctrl-C in the driver) kills the workers. ``train(group, limit_blas=True)`` runs in
    the workers (:func:`sweeps.training.train_group`), with ``data=`` its group's entry
    of ``data`` (``sweeps.tasks.cache.prepare``) when that is given.
    """
    pending = list(reversed(groups))  # pop() takes them in the given order
    slots = [None] * n_workers
    running = {}  # future -> (slot, group, worker process or None)
    dead_since = {}  # future -> when its worker was first seen dead with no answer
    try:
        while pending or running:
            busy = {slot for slot, _, _ in running.values()}
            for slot in range(n_workers):
                if pending and slot not in busy:
                    group = pending.pop()
                    extra = {} if data is None else {"data": data_for(data, group)}
                    future = _submit(slots, slot, partial(train, **extra), group)
                    running[future] = (slot, group, _worker_process(slots[slot]))
            done, _ = wait(running, timeout=PARENT_POLL, return_when=FIRST_COMPLETED)
            for future in list(running):
                slot, group, process = running[future]
                exitcode = None if process is None else process.exitcode
                if future not in done:
                    if exitcode is None or not _overdue(dead_since, future):
                        continue
                    # Killed while sending its result: loky waits for the rest of the
                    # message forever. Unblock it; the group is lost all the same.
                    _close_result_pipe(slots[slot])
                elif not isinstance(future.exception(), BrokenProcessPool):
                    del running[future]
                    yield future.result()
                    continue
                del running[future]
                dead_since.pop(future, None)
                slots[slot].shutdown(wait=False, kill_workers=True)
                slots[slot] = None  # replaced when the slot takes its next group
                if exitcode is None and future.done():
                    exitcode = _exit_code(future.exception())
                yield lost_group(group, death_reason(exitcode),
                                 str(future.exception()) if future.done() else None)
    finally:
        for executor in slots:
            if executor is not None:
                executor.shutdown(wait=False, kill_workers=True)


def _overdue(dead_since: dict, future, grace: float = 2.0) -> bool:
    """Whether ``future``'s dead worker has had ``grace`` seconds for loky to report it."""
    first = dead_since.setdefault(future, time.monotonic())
    return time.monotonic() - first > grace


def _worker_process(executor):
    """The one worker process of ``executor`` (loky starts it in ``submit``), or None."""
    processes = getattr(executor, "_processes", None) or {}
    return next(iter(list(processes.values())), None)


def _close_result_pipe(executor) -> None:
    """Close the driver's end of the pipe the results come by: loky then reads the end of
    it, finds the executor broken and releases its threads (else the interpreter's exit
    would wait for them forever)."""
    queue = getattr(executor, "_result_queue", None)
    writer = getattr(queue, "_writer", None)
    if writer is not None:
        writer.close()


def _submit(slots: list, slot: int, train, group: list):
    """Hand ``group`` to the worker of ``slots[slot]``, starting a worker if it has none
    or if its worker died while idle (nothing was lost then: start another)."""
    for _ in range(2):
        if slots[slot] is None:
            slots[slot] = _new_executor()
        try:
            return slots[slot].submit(train, group, limit_blas=True)
        except BrokenProcessPool:
            slots[slot].shutdown(wait=False, kill_workers=True)
            slots[slot] = None
    raise BrokenProcessPool("a new worker process died before it took any work")


def _new_executor() -> ProcessPoolExecutor:
    # One worker per executor: a broken executor names its one group. The thread-count
    # variables are set before numpy loads (as joblib's inner_max_num_threads=1).
    return ProcessPoolExecutor(
        max_workers=1, initializer=die_with_parent, initargs=(os.getpid(),),
        env={var: "1" for var in ParallelBackendBase.MAX_NUM_THREADS_VARS})


def _exit_code(exc: BaseException):
    """The dead worker's exit code, from loky's message ("... are {SIGKILL(-9)}")."""
    match = re.search(r"exit codes of the workers are \{\w*\((-?\d+)\)", str(exc))
    return int(match.group(1)) if match else None


# -- Dask ----------------------------------------------------------------------------------
def no_worker_timeout() -> float:
    """Seconds a Dask sweep waits with no live worker (``SWEEPS_DASK_NO_WORKER_TIMEOUT``)."""
    text = os.environ.get(NO_WORKER_TIMEOUT_ENV, "")
    try:
        value = float(text) if text else DEFAULT_NO_WORKER_TIMEOUT
    except ValueError:
        value = -1.0
    if not value > 0 or value == float("inf"):
        raise ValueError(f"{NO_WORKER_TIMEOUT_ENV} must be a number of seconds > 0; "
                         f"got {text!r}")
    return value


def dask_results(client, groups: list, *, timeout: float, poll: float = 1.0, data=None):
    """Train ``groups`` on a Dask cluster; yield each group's results as it finishes.

    Each data set of ``data`` (``sweeps.tasks.cache.prepare``) goes to the workers once,
    through Dask (``sweeps.tasks.cache.Scattered``): they need no copy of its file.

    Raises
    ------
    ClusterLost
        When the scheduler is lost, or no worker is alive for ``timeout`` seconds.
    """
    from distributed import KilledWorker
    from distributed import wait as dask_wait

    shared, futures = Scattered(client, data or {}, timeout), {}

    def submit(group):
        try:
            future = client.submit(partial(train_group, limit_blas=True), group,
                                   data=shared.of(group), pure=False)
        except (TimeoutError, OSError, CancelledError):  # scattering its data failed
            _live_workers(client)  # ClusterLost if the scheduler is gone, else:
            raise ClusterLost(_no_worker(timeout)) from None
        futures[future] = group

    for group in groups:
        submit(group)
    seen_worker = time.monotonic()
    while futures:
        try:
            done, _ = dask_wait(list(futures), timeout=poll,
                                return_when="FIRST_COMPLETED")
        except TimeoutError:
            done = ()
        except OSError:
            raise ClusterLost(_scheduler_lost(client)) from None
        except CancelledError:  # the scheduler gone, or every copy of a data set
            done = _resubmit_cancelled(client, futures, submit)
        progressed = False
        for future in done:
            results = _group_results(client, future, futures[future], KilledWorker, poll)
            if results is not None:
                del futures[future]
                progressed = True
                yield results
        if not progressed:
            if _live_workers(client):
                seen_worker = time.monotonic()
            elif time.monotonic() - seen_worker > timeout:
                raise ClusterLost(_no_worker(timeout))
    # Futures left (on ClusterLost, or a Ctrl-C) are released with the client.


def _no_worker(timeout: float) -> str:
    return f"no live Dask worker for {timeout:g} s (set {NO_WORKER_TIMEOUT_ENV} to wait longer)"


def _resubmit_cancelled(client, futures: dict, submit) -> tuple:
    """Submit again the groups whose futures the scheduler cancelled while it is still
    connected: it forgets a scattered data set when every worker holding it died, and
    cancels what needed it (``submit`` scatters it again). Returns no finished future."""
    _live_workers(client)  # ClusterLost if the scheduler is gone
    for future in [f for f in futures if f.status == "cancelled"]:
        submit(futures.pop(future))
    return ()


def _group_results(client, future, group: list, KilledWorker, timeout: float):
    """The results of a finished Dask future, or its group failed if its workers died.

    None if they did not come within ``timeout`` seconds: the worker holding them died,
    and the scheduler computes them again (the future is waited for again, and the wait
    for a live worker is bounded).
    """
    if future.status == "cancelled":  # the client lost the scheduler
        raise ClusterLost(_scheduler_lost(client))
    try:
        if future.status == "finished" and not client.who_has(future).get(future.key):
            # Its data died with its worker: asking for it would wait for the scheduler
            # to compute it again, and a fetch abandoned on timeout lingers in the
            # client's event loop (asyncio reports it when the client closes).
            return None
        return future.result(timeout=timeout)
    except TimeoutError:
        _forget_abandoned_fetches(client)
        return None
    except KilledWorker as exc:  # the scheduler gave up after allowed-failures deaths
        return lost_group(group, f"worker process died: {exc.allowed_failures + 1} Dask "
                                 "workers died running it")
    except (OSError, CancelledError):  # fetching the result from its worker failed
        raise ClusterLost(_scheduler_lost(client)) from None
    except Exception as exc:  # noqa: BLE001  (stored as the group's error, not swallowed)
        return lost_group(group, f"{type(exc).__name__}: {exc}".splitlines()[0])


def _forget_abandoned_fetches(client) -> None:
    """A fetch abandoned on timeout ends, when the client closes, in an ``AllExit`` that
    nobody awaits: asyncio would print it ("Task exception was never retrieved"), at the
    interpreter's exit, under the runner's one line. Drop just those reports."""
    from distributed.client import AllExit

    loop = getattr(client.loop, "asyncio_loop", None)
    if loop is None:
        return

    def handler(loop, context):
        if not isinstance(context.get("exception"), AllExit):
            loop.default_exception_handler(context)

    loop.set_exception_handler(handler)


@contextmanager
def quiet_cluster_logs():
    """Silence distributed's log records (and asyncio's) while a Dask sweep runs.

    The runner reports a lost scheduler or worker itself, in one line; distributed's own
    records of it (reconnection attempts, a worker's death, with tracebacks) would bury
    that line. Its loggers have levels of their own (``distributed.client``, ...): each is
    quieted, and asyncio's, which reports the fetch of a lost result abandoned after a
    timeout. The levels are restored afterwards.
    """
    names = dict.fromkeys(["asyncio", *logging.root.manager.loggerDict])
    logs = [logging.getLogger(name) for name in names
            if name == "asyncio" or name.split(".")[0] == "distributed"]
    levels = [log.level for log in logs]
    for log in logs:
        log.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for log, level in zip(logs, levels):
            log.setLevel(level)


def _live_workers(client) -> int:
    if client.status != "running":  # reconnecting, or closed after failing to
        raise ClusterLost(_scheduler_lost(client))
    try:
        return len(client.nthreads())
    except (OSError, CancelledError):
        raise ClusterLost(_scheduler_lost(client)) from None


def _scheduler_lost(client) -> str:
    address = getattr(client.scheduler, "address", None) or "its address"
    return f"lost the connection to the Dask scheduler at {address}"
