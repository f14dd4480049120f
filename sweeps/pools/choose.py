"""The one chooser of a pool: ``parallel_pool(backend, n_jobs, scheduler)``."""
from contextlib import contextmanager, nullcontext
from functools import partial

from joblib import cpu_count, parallel_config
from threadpoolctl import threadpool_limits

from sweeps.pools.dask import dask_client, dask_results, no_worker_timeout
from sweeps.pools.loky import loky_results, workers_ahead
from sweeps.pools.threads import joblib_results

BACKENDS = ("loky", "threading", "dask")


def n_workers(n_jobs) -> int:
    """Worker count of ``n_jobs`` as joblib reads it: None all cores, -1 all, -2 all but one."""
    if n_jobs is None:
        return cpu_count()
    return n_jobs if n_jobs > 0 else max(1, cpu_count() + 1 + n_jobs)


@contextmanager
def parallel_pool(backend: str, n_jobs, scheduler, data=None):
    """Set up the workers; yield a function: the groups -> an iterator of their results.

    The results come unordered, one list of job records per group, as each group finishes;
    a group whose worker died comes as failed records (:mod:`sweeps.pools.lost`).
    ``data`` holds the groups' data sets (``sweeps.tasks.cache.prepare``), or None.
    """
    workers = n_workers(n_jobs)
    if backend == "threading":
        # Thread-pool limits are process-wide: set once here, not by each thread.
        with parallel_config(backend="threading"), threadpool_limits(1):
            yield partial(joblib_results, n_workers=workers, limit_blas=False, data=data)
    elif backend == "loky" and workers == 1:
        # joblib's n_jobs=1: the driver trains, no process to start (nor to lose).
        with parallel_config(backend="loky", inner_max_num_threads=1):
            yield partial(joblib_results, n_workers=1, limit_blas=True, data=data)
    elif backend == "loky":
        yield partial(loky_results, n_workers=workers, data=data)
    else:
        timeout = no_worker_timeout()  # a bad value is refused before the cluster starts
        with dask_client(workers, scheduler) as client:
            yield partial(dask_results, client, timeout=timeout, data=data)


def start_workers(backend: str, n_jobs, scheduler=None, work=True):
    """A context in which the workers of a loky pool of ``n_jobs`` start at once.

    Entered while the driver still prepares (writes the data sets the workers will
    map), so that the workers start and import meanwhile; ``parallel_pool`` then takes
    them. Nothing starts without ``work`` (the stacks to train, ``(config, jobs)`` pairs,
    or True: none for a fully cached sweep), nor for other pools (threads, one worker,
    Dask). The workers import meanwhile what the stacks' activations need.
    """
    workers = n_workers(n_jobs)
    if not work or backend != "loky" or scheduler or workers == 1:
        return nullcontext()
    stacks = work if isinstance(work, list) else []
    return workers_ahead(workers, [cfg[name] for cfg, _ in stacks
                                   for name in ("activation", "output")])
