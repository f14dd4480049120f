"""The loky pool: one single-worker executor per slot, so a worker's death fails only its
group, and workers that die with their driver (see :mod:`sweeps.pools`)."""
import ctypes
import os
import queue
import re
import signal
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, wait
from contextlib import contextmanager
from functools import partial

from joblib.externals.loky import ProcessPoolExecutor, process_executor
from joblib.externals.loky.process_executor import BrokenProcessPool
from joblib.parallel import ParallelBackendBase

from nncore.activations import prepare as prepare_activations
from sweeps.pools.lost import death_reason, lost_group
from sweeps.tasks.cache import data_for
from sweeps.training import train_group

#: Seconds between two looks of a worker at its parent (the fallback of PR_SET_PDEATHSIG).
PARENT_POLL = 0.5
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


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
    keep_after_growth()


def keep_after_growth() -> None:
    """Turn off loky's leak check in this worker: it ends a worker whose memory grew by
    300 MB since its first task, and a worker that maps a new data set, or whose first
    task was ``ready``, grows by that much without leaking. Ended, it would be started
    again and map its data again, and the group it was given meanwhile would be counted
    lost (its recorded process has exited). The worker loop reads the flag after every
    task; without it, loky collects garbage every second instead."""
    process_executor._USE_PSUTIL = False


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(PARENT_POLL)
    os.kill(os.getpid(), signal.SIGKILL)  # as the kernel would: nothing left to clean up


# -- workers started ahead ---------------------------------------------------------------
#: Executors whose workers were started before the groups were known (``workers_ahead``),
#: for the pool's slots to take first.
_AHEAD = []


@contextmanager
def workers_ahead(n_workers: int, activations=()):
    """Start ``n_workers`` loky workers now, for :func:`loky_results` to take.

    A worker takes about half a second to start and import what training needs, and what
    ``activations`` (the names the groups use) need beyond it; started while the driver
    writes the sweep's data sets (a large CSV's: hundreds of megabytes), that time passes
    meanwhile instead of after. Workers not taken by the time the block ends are ended.
    """
    for _ in range(n_workers - len(_AHEAD)):  # within another such block: the rest
        executor = _new_executor()
        # starts the worker, which imports this module
        executor.submit(ready, sorted(set(activations)))
        _AHEAD.append(executor)
    try:
        yield
    finally:
        while _AHEAD:
            _kill(_AHEAD.pop())


def ready(activations=()) -> None:
    """Import what the groups' ``activations`` need (``nncore.activations.prepare``); the
    rest a worker imports by finding this function: this module, so ``sweeps.training``."""
    prepare_activations(activations)


# -- the pool ----------------------------------------------------------------------------
def loky_results(groups, n_workers: int, *, train=train_group, data=None):
    """Train ``groups`` on ``n_workers`` loky processes; yield each group's results.

    Results come as groups finish (unordered). A group whose worker died is yielded as
    :func:`lost_group` records, and its slot gets a fresh worker. Closing the generator
    (Ctrl-C in the driver) kills the workers. ``train(group, limit_blas=True)`` runs in
    the workers (:func:`sweeps.training.train_group`).
    """
    # Taken one at a time: the groups may be made as they are taken (sweeps.runner).
    pending = iter(groups)
    slots = [None] * n_workers
    running = {}  # future -> (slot, group, worker process or None)
    dead_since = {}  # future -> when its worker was first seen dead with no answer
    try:
        while True:
            busy = {slot for slot, _, _ in running.values()}
            for slot in range(n_workers):
                if slot not in busy and (group := next(pending, None)) is not None:
                    extra = {} if data is None else {"data": data_for(data, group)}
                    future = _submit(slots, slot, partial(train, **extra), group)
                    running[future] = (slot, group, _worker_process(slots[slot]))
            if not running:  # every slot was free, and no group is left
                break
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
                _kill(slots[slot])
                slots[slot] = None  # replaced when the slot takes its next group
                if exitcode is None and future.done():
                    exitcode = _exit_code(future.exception())
                yield lost_group(group, death_reason(exitcode),
                                 str(future.exception()) if future.done() else None)
    finally:
        for executor in slots:
            if executor is not None:
                _kill(executor)


def _kill(executor) -> None:
    """Shut ``executor`` down now, killing its worker, without a traceback on stderr.

    A group submitted moments before (the driver stopping on a store error right after
    handing a freed slot its next group) may still be a work id in loky's queue: loky's
    shutdown with ``kill_workers`` drops the pending work items, then its manager thread
    takes that id, finds no item and dies with a KeyError traceback. Taking the ids
    out of the queue first leaves it nothing to look up (the futures are failed by the
    shutdown all the same).
    """
    ids = getattr(executor, "_work_ids", None)
    while ids is not None:
        try:
            ids.get_nowait()
        except queue.Empty:
            break
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
    if writer is not None and not writer.closed:
        # The handle is taken from the connection before its file is closed: loky's
        # thread, woken by the end of the pipe, closes the same connection, and would
        # otherwise close the number again between our close and its handle's reset
        # (a "Bad file descriptor" traceback on stderr).
        fd, writer._handle = writer.fileno(), None
        os.close(fd)


def _submit(slots: list, slot: int, train, group: list):
    """Hand ``group`` to the worker of ``slots[slot]``, starting a worker if it has none
    or if its worker died while idle (nothing was lost then: start another)."""
    for _ in range(2):
        if slots[slot] is None:
            slots[slot] = _AHEAD.pop() if _AHEAD else _new_executor()
        try:
            return slots[slot].submit(train, group, limit_blas=True)
        except BrokenProcessPool:
            _kill(slots[slot])
            slots[slot] = None
    raise BrokenProcessPool("a new worker process died before it took any work")


#: A -W option for loky's resource tracker, a process started with the driver's -W
#: options: when the driver is SIGKILLed, it unlinks the semaphores the driver left (as it
#: should) and warns of "leaked semlock objects" in two lines under the run's one line.
_QUIET_TRACKER = "ignore:resource_tracker:UserWarning"


def _new_executor() -> ProcessPoolExecutor:
    # One worker per executor: a broken executor names its one group. The thread-count
    # variables are set before numpy loads (as joblib's inner_max_num_threads=1).
    if _QUIET_TRACKER not in sys.warnoptions:  # before the first executor starts it
        sys.warnoptions.append(_QUIET_TRACKER)
    return ProcessPoolExecutor(
        max_workers=1, initializer=die_with_parent, initargs=(os.getpid(),),
        env={var: "1" for var in ParallelBackendBase.MAX_NUM_THREADS_VARS})


def _exit_code(exc: BaseException):
    """The dead worker's exit code, from loky's message ("... are {SIGKILL(-9)}")."""
    match = re.search(r"exit codes of the workers are \{\w*\((-?\d+)\)", str(exc))
    return int(match.group(1)) if match else None
