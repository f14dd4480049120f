"""Each task's data set built once per sweep, by the driver, for every worker to read.

A worker used to build its own copy of every data set it trained on: for a 60,000-row CSV
that is a parse of the file, the imports of pandas and scikit-learn, and 400 MB of arrays,
per worker. The driver builds each data set anyway when it resolves the spec; here it
writes the arrays once as ``.npy`` files, and workers on the same machine memory-map them
read-only (one copy in the page cache, shared by every process), importing only numpy.
Workers elsewhere (a Dask cluster) receive the data set through Dask instead
(:mod:`sweeps.runner` scatters it once), so they need no copy of the file.

Layout: ``<root>/<key>/`` holds one ``.npy`` per split array and ``meta.json`` (what the
``Dataset`` needs besides its arrays). ``key`` is :func:`dataset_key`: a hash of the task's
name and resolved parameters (which for a CSV include its content hash, ``file_sha256``)
plus ``CACHE_VERSION``, so equal keys always mean equal data. An entry is written in a
temporary folder and renamed into place, so a reader never sees half of one.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from sweeps.keys import canonical_json
from sweeps.tasks import csv_task
from sweeps.tasks.dataset import Dataset, TaskError
from sweeps.tasks.registry import make_task

__all__ = ["CACHE_DIR", "CACHE_VERSION", "CachedDataset", "Scattered", "data_for",
           "dataset_key", "group_dataset", "open_cached", "prepare", "prune", "sweep_data",
           "task_dataset", "write_dataset"]

#: Bump when what an entry holds changes: older entries are then rebuilt, never misread.
CACHE_VERSION = 1

ARRAYS = ("X_train", "y_train", "X_val", "y_val", "X_test", "y_test")
_META = "meta.json"
#: The folder of an output directory that holds the data sets while a sweep runs.
CACHE_DIR = ".data-cache"
#: ``Dataset`` fields kept in ``meta.json`` (tuples are written as lists and read back).
_FIELDS = ("name", "kind", "n_in", "n_out", "classes", "feature_names", "params",
           "single_output", "default_output_loss")
_TUPLES = ("classes", "feature_names", "default_output_loss")
#: Where an entry's ``truth`` function may come from (it is imported by its name).
_TRUTH_MODULES = ("sweeps.tasks.",)


def dataset_key(name: str, params: dict) -> str:
    """The cache key of task ``name`` with resolved parameters ``params`` (hex digits)."""
    text = f"nnsweeps-data-v{CACHE_VERSION}\n{canonical_json({'task': name, 'params': params})}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class CachedDataset:
    """What a worker needs to open one cached data set: its folder, by absolute path.

    Small and picklable: it travels with every group instead of the arrays.
    """

    folder: str
    key: str

    def open(self) -> Dataset:
        """The data set, memory-mapped read-only (opened once per process)."""
        return open_cached(self.folder)


def _meta(ds: Dataset) -> dict | None:
    """What ``meta.json`` holds for ``ds``, or None when JSON cannot hold it exactly."""
    meta = {f: getattr(ds, f) for f in _FIELDS}
    meta["params"] = dict(meta["params"])
    meta["truth"] = None
    if ds.truth is not None:
        name = f"{getattr(ds.truth, '__module__', '')}:{getattr(ds.truth, '__qualname__', '')}"
        if not name.startswith(_TRUTH_MODULES) or _function(name) is not ds.truth:
            return None  # a truth that cannot be found again by its name
        meta["truth"] = name
    try:
        if _from_json(json.loads(json.dumps(meta, allow_nan=False))) != meta:
            return None  # e.g. a tuple inside params: read back, it would differ
    except (TypeError, ValueError):
        return None
    return meta


def _from_json(meta: dict) -> dict:
    for f in _TUPLES:
        if meta[f] is not None:
            meta[f] = tuple(meta[f])
    return meta


def _function(name: str):
    module, _, qualname = name.partition(":")
    try:
        return getattr(importlib.import_module(module), qualname)
    except (ImportError, AttributeError):
        return None


def write_dataset(ds: Dataset, root, key: str) -> CachedDataset | None:
    """Write ``ds`` as the entry ``root/key`` unless it is there; return its handle.

    The entry is written in a temporary folder beside it and renamed into place. None
    when the data set cannot be cached (its metadata does not survive JSON, or its
    ``truth`` is not a function of ``sweeps.tasks`` found by name): workers build it.
    """
    meta = _meta(ds)
    if meta is None:
        return None
    folder = os.path.join(os.path.abspath(root), key)
    if not _complete(folder):
        os.makedirs(root, exist_ok=True)
        tmp = tempfile.mkdtemp(prefix=f".{key}-", dir=root)
        try:
            for name in ARRAYS:
                np.save(os.path.join(tmp, f"{name}.npy"), getattr(ds, name))
            with open(os.path.join(tmp, _META), "w") as fh:
                json.dump(meta, fh)  # written last: a folder with it is complete
            shutil.rmtree(folder, ignore_errors=True)  # an incomplete one
            os.replace(tmp, folder)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return CachedDataset(folder, key)


def _complete(folder: str) -> bool:
    return all(os.path.isfile(os.path.join(folder, f))
               for f in (_META, *(f"{n}.npy" for n in ARRAYS)))


def open_cached(folder: str) -> Dataset:
    """The data set of the entry ``folder``, its arrays memory-mapped read-only."""
    st = os.stat(os.path.join(folder, _META))
    return _open(folder, (st.st_ino, st.st_mtime_ns))


@functools.lru_cache(maxsize=8)
def _open(folder: str, token) -> Dataset:
    # token: an entry written again in the same place is opened again
    with open(os.path.join(folder, _META)) as fh:
        meta = _from_json(json.load(fh))
    truth = meta.pop("truth")
    arrays = {name: np.asarray(np.load(os.path.join(folder, f"{name}.npy"), mmap_mode="r"))
              for name in ARRAYS}
    return Dataset(**meta, **arrays, truth=None if truth is None else _function(truth))


def task_dataset(cfg: dict, data=None) -> Dataset:
    """The data set a job config trains on: from ``data`` when given, else built.

    Parameters
    ----------
    cfg : dict
        A resolved job config (``task``, ``task_params``).
    data : Dataset, CachedDataset or None
        What the driver sent with the group: the data set itself (Dask), a cache entry
        to open (local workers), or None to build it here (``make_task``).
    """
    if data is None:
        return make_task(cfg["task"], **cfg["task_params"])
    if isinstance(data, CachedDataset):
        if data.key != dataset_key(cfg["task"], cfg["task_params"]):
            raise ValueError(f"cache entry {data.folder} is not the data of task "
                             f"{cfg['task']!r} with these parameters")
        return data.open()
    if data.name != cfg["task"]:
        raise ValueError(f"sent the data of task {data.name!r} for task {cfg['task']!r}")
    return data


def group_dataset(group: list) -> tuple:
    """``(task, task_params)`` of a group of jobs (one data set per group)."""
    return group[0]["task"], group[0]["task_params"]


def prepare(root, groups: list) -> dict:
    """Write the data set of every group's task under ``root``; drop every other entry.

    Called by the driver before any worker starts: the data sets come from its own
    per-process cache (``make_task``), filled when the spec was resolved.

    Returns
    -------
    dict
        ``dataset_key`` -> ``CachedDataset``, or None for a data set the workers must
        build themselves (it cannot be cached, or building it failed: the workers then
        record the error as the group's, as they always did).
    """
    handles = {}
    for group in groups:
        name, params = group_dataset(group)
        key = dataset_key(name, params)
        if key not in handles:
            try:
                handles[key] = write_dataset(make_task(name, **params), root, key)
            except TaskError:
                handles[key] = None
    prune(root, handles)
    return handles


def data_for(handles: dict, group: list):
    """The entry of ``prepare``'s ``handles`` that ``group`` trains on, or None."""
    return handles.get(dataset_key(*group_dataset(group)))


class Scattered:
    """Each cached data set scattered once to a Dask cluster, as the groups need it.

    Every worker gets a copy (``broadcast``), the jobs a reference: workers elsewhere
    need no file. Should every worker holding it die, the scheduler forgets the data
    (and cancels the groups that needed it): the next :meth:`of` scatters it again.

    Parameters
    ----------
    client : distributed.Client
    handles : dict
        :func:`prepare`'s result.
    timeout : float
        Seconds a scatter waits for a live worker before ``TimeoutError``.
    """

    def __init__(self, client, handles: dict, timeout: float):
        self.client, self.handles, self.timeout = client, handles, timeout
        self.futures = {}

    def of(self, group: list):
        """The Dask future of ``group``'s data set, or None (its workers build it)."""
        key = dataset_key(*group_dataset(group))
        if self.handles.get(key) is None:
            return None
        future = self.futures.get(key)
        if future is None or future.status != "finished":
            future = self.futures[key] = self.client.scatter(
                self.handles[key].open(), broadcast=True, hash=False, timeout=self.timeout)
        return future


@contextmanager
def sweep_data(out_dir, groups: list):
    """The data sets of ``groups`` written under ``out_dir`` while a sweep runs.

    Yields :func:`prepare`'s handles; the entries are removed when the sweep ends
    (workers that still have them mapped keep reading: removed files stay readable).
    """
    root = os.path.join(os.path.abspath(out_dir), CACHE_DIR)
    try:
        yield prepare(root, groups)
    finally:
        shutil.rmtree(root, ignore_errors=True)
        _open.cache_clear()  # the driver's own maps of them (threads, --jobs 1)
        csv_task.forget_hashed_bytes()  # a CSV's bytes kept by its hash for a build


def prune(root, keep) -> None:
    """Remove every entry of ``root`` but the keys in ``keep`` (and unfinished writes)."""
    try:
        names = os.listdir(root)
    except FileNotFoundError:
        return
    for name in names:
        if name not in keep:
            shutil.rmtree(os.path.join(root, name), ignore_errors=True)
