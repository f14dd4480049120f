"""The Dask pool: a group that kills every worker it lands on is stored ``failed``; a
cluster that goes away ends the sweep with one line (:class:`ClusterLost`)."""
import logging
import os
import time
from collections import deque
from concurrent.futures import CancelledError
from contextlib import contextmanager
from functools import partial

from sweeps.pools.lost import lost_group
from sweeps.tasks.cache import Scattered
from sweeps.training import train_group

#: Environment variable: seconds a Dask sweep waits with no live worker before giving up.
NO_WORKER_TIMEOUT_ENV = "SWEEPS_DASK_NO_WORKER_TIMEOUT"
DEFAULT_NO_WORKER_TIMEOUT = 60.0


class ClusterLost(RuntimeError):
    """The Dask scheduler, or every Dask worker, is gone; every finished result is stored.

    ``summary`` (set by the runner) says what was done; running the sweep again resumes.
    """

    summary = None


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


def dask_results(client, groups, *, timeout: float, poll: float = 1.0, data=None):
    """Train ``groups`` on a Dask cluster; yield each group's results as it finishes.

    Each data set of ``data`` (``sweeps.tasks.cache.prepare``) goes to the workers once,
    through Dask (``sweeps.tasks.cache.Scattered``): they need no copy of its file.
    Groups are taken from ``groups`` as they can start (``PER_THREAD`` per worker thread
    in flight), not all at once: they may be made as they are taken (``sweeps.runner``).

    Raises
    ------
    ClusterLost
        When the scheduler is lost, or no worker is alive for ``timeout`` seconds.
    """
    from distributed import KilledWorker
    from distributed import wait as dask_wait

    flight = _Flight(client, groups, Scattered(client, data or {}, timeout), timeout)
    no_worker = NoWorkerClock(timeout)
    while True:
        flight.refill()
        if not flight.futures and not flight.waiting:
            break
        if not flight.futures:  # nothing could be submitted: look again after a poll
            time.sleep(poll)
            if no_worker.expired(_live_workers(client)):
                raise ClusterLost(_no_worker(timeout))
            continue
        try:
            done, _ = dask_wait(list(flight.futures), timeout=poll,
                                return_when="FIRST_COMPLETED")
        except TimeoutError:
            done = ()
        except OSError:
            raise ClusterLost(_scheduler_lost(client)) from None
        except CancelledError:  # the scheduler gone, or every copy of a data set
            done = flight.take_back_cancelled()
        if any(f.status == "cancelled" for f in done):  # a forgotten data set's groups
            done = [f for f in done if f.status != "cancelled"]
            flight.take_back_cancelled()
        progressed = False
        for future in done:
            results = _group_results(client, future, flight.futures[future],
                                     KilledWorker, poll)
            if results is not None:
                del flight.futures[future]
                progressed = True
                no_worker.progressed()
                yield results
        if not progressed and no_worker.expired(_live_workers(client)):
            raise ClusterLost(_no_worker(timeout))
    # Futures left (on ClusterLost, or a Ctrl-C) are released with the client.


class _Flight:
    """The groups of a Dask sweep submitted and not yet back (``futures``: future ->
    group), taken from ``groups`` as :class:`_InFlight` allows.

    ``waiting`` holds groups taken but not submitted: scattering their data failed (the
    workers it went to died meanwhile), or the scheduler cancelled them (it forgets a
    scattered data set when every worker holding it died). They are submitted again
    first, their data scattered again, once a worker is alive.
    """

    def __init__(self, client, groups, shared: Scattered, timeout: float):
        self.client, self.shared, self.timeout = client, shared, timeout
        self.pending, self.allowed = iter(groups), _InFlight(client)
        self.futures, self.waiting = {}, deque()

    def refill(self) -> None:
        room = self.allowed.limit() - len(self.futures)
        while room > 0:
            group = self.waiting.popleft() if self.waiting else next(self.pending, None)
            if group is None:
                return
            if not self._submit(group):
                self.waiting.appendleft(group)
                return
            room -= 1

    def take_back_cancelled(self) -> tuple:
        """Move the cancelled groups to ``waiting`` while the scheduler is still
        connected (ClusterLost if not). Returns no finished future."""
        _live_workers(self.client, _CANCEL_GRACE)
        for future in [f for f in self.futures if f.status == "cancelled"]:
            self.waiting.append(self.futures.pop(future))
        return ()

    def _submit(self, group) -> bool:
        try:
            future = self.client.submit(partial(train_group, limit_blas=True), group,
                                        data=self.shared.of(group), pure=False)
        except TimeoutError:  # the scatter waited ``timeout`` s for a live worker
            _live_workers(self.client)  # ClusterLost if the scheduler is gone, else:
            raise ClusterLost(_no_worker(self.timeout)) from None
        except (OSError, CancelledError):  # it went to workers that died meanwhile
            _live_workers(self.client)  # ClusterLost if the scheduler is gone
            return False
        self.futures[future] = group
        return True


class NoWorkerClock:
    """When a Dask sweep has waited ``timeout`` seconds with no live worker.

    Counted from the first look that found none (not from the last that found one, up to
    a poll earlier), so the run waits the full time it states. A finished group shows a
    worker was alive: a look before the workers joined, or before a group finished, does
    not count against a later loss.
    """

    def __init__(self, timeout: float, clock=time.monotonic):
        self.timeout, self.clock, self.since = timeout, clock, None

    def progressed(self) -> None:
        self.since = None

    def expired(self, live_workers: int) -> bool:
        """Record a look that found ``live_workers``; True once none were found for
        ``timeout`` seconds."""
        if live_workers:
            self.since = None
        elif self.since is None:
            self.since = self.clock()
        return self.since is not None and self.clock() - self.since >= self.timeout


#: Groups in flight per worker thread, and at least this many: enough that a worker
#: finishing one finds the next already there, few enough that a million-job sweep does
#: not make every config and task up front (the groups are made as they are taken).
PER_THREAD, MIN_IN_FLIGHT = 2, 4


class _InFlight:
    """How many groups a Dask sweep keeps submitted: ``PER_THREAD`` per worker thread the
    scheduler knows (workers may join or leave), asked at most once a second."""

    def __init__(self, client, every: float = 1.0):
        self.client, self.every, self._value, self._asked = client, every, MIN_IN_FLIGHT, None

    def limit(self) -> int:
        if self._asked is None or time.monotonic() - self._asked >= self.every:
            self._asked = time.monotonic()
            try:
                threads = sum(self.client.nthreads().values())
            except (OSError, CancelledError):
                raise ClusterLost(_scheduler_lost(self.client)) from None
            self._value = max(MIN_IN_FLIGHT, PER_THREAD * threads)
        return self._value


def _no_worker(timeout: float) -> str:
    return f"no live Dask worker for {timeout:g} s (set {NO_WORKER_TIMEOUT_ENV} to wait longer)"


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
    except (OSError, CancelledError):  # fetching the result from its worker failed:
        _live_workers(client, _CANCEL_GRACE)  # ClusterLost if the scheduler is gone; its
        return None  # worker died with the result, which the scheduler computes again
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


def _live_workers(client, grace: float = 0.0) -> int:
    """How many workers the scheduler knows; ClusterLost when it does not answer.

    The client may be between states for a moment while the cluster cancels what a dead
    worker held: it gets ``grace`` seconds to be running again (a lost scheduler leaves it
    reconnecting)."""
    deadline = time.monotonic() + grace
    while client.status != "running":
        if client.status in ("closing", "closed") or time.monotonic() >= deadline:
            raise ClusterLost(_scheduler_lost(client))
        time.sleep(0.05)
    try:
        return len(client.nthreads())
    except (OSError, CancelledError):
        raise ClusterLost(_scheduler_lost(client)) from None


#: Seconds a client gets to be running again after the cluster cancelled work.
_CANCEL_GRACE = 2.0


def _scheduler_lost(client) -> str:
    address = getattr(client.scheduler, "address", None) or "its address"
    return f"lost the connection to the Dask scheduler at {address}"


@contextmanager
def dask_client(n_workers: int, scheduler):
    """A Dask client: of the scheduler at ``scheduler``, else of a local cluster of
    ``n_workers`` single-threaded processes (closed on leaving)."""
    from distributed import Client, LocalCluster

    with quiet_cluster_logs():
        if scheduler:
            try:
                client = Client(scheduler)
            except OSError as exc:
                raise ClusterLost(f"cannot reach the Dask scheduler at {scheduler}: "
                                  f"{exc}".splitlines()[0]) from None
            with client:
                yield client
            return
        with LocalCluster(n_workers=n_workers, threads_per_worker=1,
                          processes=True, host="127.0.0.1", dashboard_address=None,
                          # no dashboard, but the scheduler's HTTP routes still listen:
                          # on a free port, not 8787 (taken: a warning on stderr)
                          scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                          # the workers' own records too: a worker still starting as
                          # the cluster closes logs a heartbeat ERROR with a traceback
                          silence_logs=logging.CRITICAL) as cluster, Client(cluster) as client:
            yield client
