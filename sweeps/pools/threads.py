"""joblib in the driver's process: threads (``backend="threading"``), or one job at a time
in the driver itself (loky with one worker: no process to start, nor to lose)."""
from joblib import Parallel, delayed

from sweeps.tasks.cache import data_for
from sweeps.training import train_group


def joblib_results(groups, n_workers: int, limit_blas: bool, data=None):
    """Train ``groups`` through ``joblib.Parallel``; yield each group's results, unordered.

    ``limit_blas`` is passed to :func:`sweeps.training.train_group`: False for threads,
    whose process-wide BLAS limit the chooser sets once (:mod:`sweeps.pools.choose`);
    each group gets its entry of ``data`` (``sweeps.tasks.cache.prepare``).
    """
    return Parallel(n_jobs=n_workers, return_as="generator_unordered")(
        delayed(train_group)(group, limit_blas=limit_blas, data=data_for(data, group))
        for group in groups)
