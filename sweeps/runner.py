"""Run a sweep: train every job not yet in the store, in parallel, committing as results arrive.

The driver process alone writes the store, one transaction per finished group, the moment
``joblib.Parallel(return_as="generator_unordered")`` hands the group back; workers only
compute (:func:`sweeps.training.train_group`), in a pool of :mod:`sweeps.pools`. The
output directory's lock (:mod:`sweeps.lock`) makes a second concurrent run refuse instead
of training twice.
"""
import signal
import threading
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sweeps.balance import plan_stacks
from sweeps.keys import config_id, job_key
from sweeps.lock import run_lock
from sweeps.pools import BACKENDS, ClusterLost, n_workers, parallel_pool, start_workers
from sweeps.repro import run_record
from sweeps.store import Store, check_db_file, db_path
from sweeps.tasks.cache import sweep_data
from sweeps.training import stack_jobs


@dataclass
class RunSummary:
    """Counts of one ``run_sweep`` call, updated live (progress callbacks receive it).

    ``ok``, ``diverged`` and ``failed`` count jobs trained by this run; ``cached`` counts
    jobs skipped because the store already held them (``cached_failed`` of those had
    failed: rerun with ``retry_failed`` to train them again); ``pending`` jobs are neither.
    ``failed_groups`` counts the groups with a failed job in this run (a group whose worker
    process died fails whole).
    """

    name: str
    out_dir: Path
    planned: int = 0
    ok: int = 0
    diverged: int = 0
    failed: int = 0
    cached: int = 0
    cached_failed: int = 0
    pending: int = 0
    failed_groups: int = 0
    interrupted: bool = False
    started: float = field(default_factory=time.monotonic)

    @property
    def done(self) -> int:
        """Jobs with a row in the store: trained now or cached."""
        return self.ok + self.diverged + self.failed + self.cached

    @property
    def any_failed(self) -> bool:
        """Whether any planned job stands as failed (trained now or cached)."""
        return self.failed + self.cached_failed > 0

    @property
    def elapsed(self) -> float:
        """Seconds since the run started."""
        return time.monotonic() - self.started


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM) stopped a sweep; every result finished before it is committed.

    A KeyboardInterrupt, so it stops callers as Ctrl-C always does (a notebook's "run
    all" stops at that cell); ``summary`` says what was done and what is pending,
    ``signum`` which signal stopped it (SIGINT for Ctrl-C). Running the same sweep again
    resumes. IPython and Jupyter show its message alone, not a traceback through the
    runner (``_render_traceback_``, IPython's hook for exceptions that explain themselves).
    """

    def __init__(self, summary: RunSummary, signum: int = signal.SIGINT):
        self.signum = signal.Signals(signum)
        s, out = summary, str(summary.out_dir)
        super().__init__(f"interrupted by {self.signum.name}: {s.done} of {s.planned} jobs "
                         f"done ({s.done - s.cached} in this run), {s.pending} pending; "
                         f"finished results are kept in {out} (sweeps.load({out!r}) reads "
                         "them); run the same sweep again to resume")
        self.summary = summary

    def _render_traceback_(self) -> list:
        return [f"{type(self).__name__}: {self}"]


class _Signalled(KeyboardInterrupt):
    """Raised by the runner's signal handler; remembers which signal it was."""

    def __init__(self, signum):
        super().__init__()
        self.signum = signum


def run_sweep(spec, out_dir, *, n_jobs=None, backend="loky", scheduler=None,
              retry_failed=False, force=False, progress=None) -> RunSummary:
    """Train every job of ``spec`` that ``out_dir`` does not hold yet.

    Parameters
    ----------
    spec : sweeps.spec.Spec or str
        A spec, or what ``load_spec`` accepts (preset name or TOML path).
    out_dir : str or Path
        Output directory; created if missing. Results go to ``out_dir/sweep.db``.
    n_jobs : int or None, default=None
        Parallel workers; None or -1 means all cores (joblib's convention for negatives).
    backend : {"loky", "threading", "dask"}, default="loky"
        joblib backend. ``dask`` starts a ``distributed.LocalCluster`` on 127.0.0.1 with
        ``n_jobs`` single-threaded worker processes, unless ``scheduler`` is given.
    scheduler : str or None, default=None
        Address of an existing Dask scheduler (``tcp://host:port``); implies ``dask``.
    retry_failed : bool, default=False
        Train again jobs whose stored status is ``failed``.
    force : bool, default=False
        Train every job again, replacing stored rows as new results arrive.
    progress : callable or None, default=None
        Called as ``progress(summary)`` once planning is done and after every group.

    Returns
    -------
    RunSummary

    Raises
    ------
    SweepInterrupted
        On Ctrl-C (a KeyboardInterrupt); finished results are committed first.
    sweeps.lock.SweepLockedError
        If another process is running a sweep into ``out_dir``.
    sweeps.store.StoreError
        If ``out_dir/sweep.db`` exists but is not a sweeps store (it is left untouched).
    sweeps.pools.ClusterLost
        If the Dask scheduler is lost, or no Dask worker is alive for
        ``SWEEPS_DASK_NO_WORKER_TIMEOUT`` seconds (default 60); finished results are kept,
        ``summary`` says how many, and running again resumes.

    Notes
    -----
    A worker process that dies (killed by the OOM killer, a crash) fails only the group
    it was training: its jobs are stored ``failed`` with the reason, a new worker takes
    its place and the sweep goes on (``retry_failed`` trains them again). Workers end
    with the driver, however it ends.
    """
    from sweeps.spec import load_spec

    spec = load_spec(spec) if isinstance(spec, (str, Path)) else spec
    backend = "dask" if scheduler else backend
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}; got {backend!r}")
    out_dir = Path(out_dir)
    check_db_file(db_path(out_dir))  # a foreign file: refuse before creating anything
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = RunSummary(spec.name, out_dir, planned=len(spec))
    with run_lock(out_dir), Store.open(out_dir, create=True) as store:
        run_id = store.start_run(name=spec.name, spec_text=spec.source,
                                 planned=spec.by_config(),
                                 record=run_record(backend=f"dask {scheduler}" if scheduler
                                                   else backend, n_jobs=n_jobs))
        stacks = _plan(spec, store.statuses(), summary, retry_failed, force)
        outcome = "error"
        try:
            # Each data set built once, by us; one config per stack names its task. The
            # workers start while it is written (a large CSV's: about a second).
            with start_workers(backend, n_jobs, scheduler, stacks), \
                    sweep_data(out_dir, [[config] for config, _ in stacks]) as data:
                # Workers as joblib counts them (an existing Dask cluster's size is not
                # asked: n_jobs, else this machine's cores, sets how stacks are split).
                todo = [jobs for _, jobs in plan_stacks(stacks, n_workers(n_jobs), data)]
                if progress:
                    progress(summary)
                if todo:  # a fully cached sweep starts no workers (nor a Dask cluster)
                    with parallel_pool(backend, n_jobs, scheduler, data) as results_of:
                        _execute(_configs(spec, todo), store, run_id, summary, results_of,
                                 progress)
            outcome = "complete"
        except ClusterLost as exc:
            exc.summary = summary
            raise
        except KeyboardInterrupt as exc:
            outcome, summary.interrupted = "interrupted", True
            raise SweepInterrupted(summary, getattr(exc, "signum", signal.SIGINT)) from None
        finally:
            store.finish_run(run_id, outcome)
    return summary


def run(spec, *, out=None, overrides=(), jobs=None, backend="loky", scheduler=None,
        retry_failed=False, force=False, progress=True):
    """Run a sweep from Python, as ``sweeps run`` does, and return its results frame.

    Parameters
    ----------
    spec : str, Path or sweeps.spec.Spec
        A preset name, a TOML path, or a loaded spec.
    out : str or Path, default=None
        Output directory; None is ``runs/<spec name>``, as on the command line.
    overrides : sequence of str, default=()
        ``"axis=value"`` strings, as ``--set`` (only with a name or a path).
    jobs, backend, scheduler, retry_failed, force
        As for :func:`run_sweep` (``jobs`` is its ``n_jobs``).
    progress : bool, default=True
        A ``tqdm.auto`` bar: a widget in Jupyter, text in a terminal.

    Returns
    -------
    pandas.DataFrame
        The finished jobs this call planned, as ``sweeps.load(out)`` rows: not the other
        jobs ``out`` may hold from earlier runs of other settings (``sweeps.load(out)``
        reads them all).

    Raises
    ------
    SweepInterrupted
        On Ctrl-C (in Jupyter: the interrupt button, or ``i i``): every finished result
        is kept, and running the same call again resumes. The cell stops, as on any
        interrupt, with a one-line message (jobs done, where the results are, how to
        resume) instead of a traceback; ``sweeps.load(out)`` reads what was kept.
    sweeps.pools.ClusterLost
        On Dask, when the scheduler or every worker is gone; as for Ctrl-C, every
        finished result is kept and running the same call again resumes.
    """
    from sweeps.loading import load
    from sweeps.progress import ProgressBar
    from sweeps.spec import load_spec

    if isinstance(spec, (str, Path)):
        spec = load_spec(spec, overrides=overrides)
    elif overrides:
        raise ValueError("overrides apply to a preset name or a spec path; a loaded Spec "
                         "has its axes already (load it with load_spec(..., overrides=))")
    out = Path(out) if out is not None else Path("runs") / spec.name
    bar = ProgressBar(enabled=progress, notebook=True)
    try:
        run_sweep(spec, out, n_jobs=jobs, backend=backend, scheduler=scheduler,
                  retry_failed=retry_failed, force=force, progress=bar)
    finally:
        bar.close()
    df = load(out)
    return df[df["key"].isin(set(spec.keys()))].reset_index(drop=True)


def _plan(spec, statuses: dict, summary: RunSummary, retry_failed, force) -> list:
    """Return the stacks still to train (``stack_jobs``); count the cached jobs.

    Only the jobs left to train are stacked, so a cached rerun of a large sweep does no
    more than look its keys up; and each config's stack is found once for all its seeds
    (``Spec.by_config``), so a million jobs are planned in the time of their configs.
    """
    def pending():
        for group in spec.by_config():
            jobs = group.jobs if force or not statuses else [
                job for job, key in zip(group.jobs, group.keys)
                if _to_train(statuses.get(key), summary, retry_failed, force)]
            if jobs:
                yield group.config, jobs

    # One stack per setting that may train together (the seeds of a config, and configs
    # that differ only in lr, l2 or init); sweeps.balance orders them for the workers.
    stacks = stack_jobs(pending())
    summary.pending = summary.planned - summary.cached
    return stacks


def _to_train(status, summary: RunSummary, retry_failed, force) -> bool:
    """Whether a job of stored ``status`` (None: not stored) trains; count it if cached."""
    if status is None or force or (status == "failed" and retry_failed):
        return True
    summary.cached += 1
    summary.cached_failed += status == "failed"
    return False


def _configs(spec, todo: list):
    """The job configs of each stack, made as the pool takes it: a million fresh dicts
    made up front would be a gigabyte before the first job trains."""
    for jobs in todo:
        yield [spec[job] for job in jobs]


def _execute(todo, store, run_id, summary, results_of, progress) -> None:
    outputs = results_of(todo)
    try:
        with _deferred_interrupts() as commit_section:
            for results in outputs:
                with commit_section():
                    _record(store, results, run_id, summary)
                if progress:
                    progress(summary)
    except KeyboardInterrupt:
        with warnings.catch_warnings():  # joblib warns about the tasks we abandon: we know
            warnings.simplefilter("ignore")
            outputs.close()
        raise


def _record(store: Store, results: list, run_id: int, summary: RunSummary) -> None:
    for res in results:
        if res["key"] is None:  # train_group computes them in the worker; lost_group not
            res["key"], res["config_id"] = job_key(res["config"]), config_id(res["config"])
    store.write_results(results, run_id)
    for res in results:
        setattr(summary, res["status"], getattr(summary, res["status"]) + 1)
    summary.failed_groups += any(res["status"] == "failed" for res in results)
    summary.pending -= len(results)


@contextmanager
def _deferred_interrupts():
    """Hold back a Ctrl-C or SIGTERM that arrives while a finished group is being committed.

    Yields a context manager marking the commit; a SIGINT or SIGTERM inside it raises
    KeyboardInterrupt only once the commit is done, so a result that reached the driver
    is never dropped. Elsewhere either signal acts at once. SIGTERM (``kill``, ``timeout``,
    a batch scheduler's time limit) is handled like Ctrl-C so that the run is recorded as
    interrupted and the user is told how to resume. Outside the main thread, where
    signal handlers cannot be installed, nothing changes.
    """
    state = {"critical": False, "pending": None}

    def handler(signum, frame):
        if state["critical"]:
            state["pending"] = signum
        else:
            raise _Signalled(signum)

    @contextmanager
    def commit_section():
        state["critical"] = True
        try:
            yield
        finally:
            state["critical"] = False
        if state["pending"] is not None:
            raise _Signalled(state["pending"])

    if threading.current_thread() is not threading.main_thread():
        yield commit_section
        return
    stops = (signal.SIGINT, signal.SIGTERM)
    previous = {signum: signal.signal(signum, handler) for signum in stops}
    try:
        yield commit_section
    finally:
        for signum, old_handler in previous.items():
            signal.signal(signum, old_handler)
