"""The pools that train a sweep: a death fails one group, never the sweep; no orphans.

Three guarantees, one per fault a long sweep meets:

- **A worker's death fails only its group.** The loky pool is one single-worker executor
  per slot (:mod:`sweeps.pools.loky`): when a worker dies (the OOM killer's SIGKILL, a
  segfault), exactly the group it was training is known, stored as ``failed`` with the
  reason (:func:`sweeps.pools.lost.death_reason`), and only that slot's executor is
  replaced; the other workers go on. A shared pool cannot do this: loky kills every
  worker of a broken pool and fails every pending task, so neither the culprit nor the
  innocents are known.
- **Workers die with their driver**, whatever kills it, SIGKILL included
  (:func:`sweeps.pools.loky.die_with_parent`, every loky worker's initializer): the
  kernel's parent-death signal on Linux, and a thread that polls the parent everywhere.
- **A Dask cluster that goes away ends the sweep with one line** (:class:`ClusterLost`):
  a lost scheduler, or no live worker for :func:`sweeps.pools.dask.no_worker_timeout`
  seconds. A worker lost mid-task is the scheduler's to retry
  (``distributed.scheduler.allowed-failures``); a group that kills every worker it lands
  on is stored ``failed``.

``choose``   ``parallel_pool``: the one chooser of a backend (``BACKENDS``)
``loky``     one single-worker loky executor per slot; workers that die with the driver
``dask``     a Dask cluster, local or at a scheduler's address; ``ClusterLost``
``threads``  joblib in the driver's process (threads, or the driver alone)
``lost``     the failed records of a group whose worker died
"""
from sweeps.pools.choose import BACKENDS, n_workers, parallel_pool, start_workers
from sweeps.pools.dask import ClusterLost, no_worker_timeout, quiet_cluster_logs
from sweeps.pools.lost import death_reason, lost_group

__all__ = ["BACKENDS", "ClusterLost", "death_reason", "lost_group", "n_workers",
           "no_worker_timeout", "parallel_pool", "quiet_cluster_logs", "start_workers"]
