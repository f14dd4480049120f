"""Data sets a sweep trains on: ``make_task(name, **params) -> Dataset``.

Every task is deterministic from its parameters (``data_seed`` above all) and cached per
process, so the thousands of jobs of a sweep share one copy of each data set. Cached arrays
are read-only: a job that tried to modify its data in place would otherwise corrupt every
later job of the process.

``registry``  ``TASKS`` (each task's parameters, defaults and rules), ``make_task``
``dataset``   the ``Dataset`` every task returns, and ``TaskError``
``builtin``   sine, moons, blobs, digits
``csv_task``  any local CSV, with its content hash as a parameter
``csv_columns`` the checks of its columns (each refusal names the file and the column)
"""
from sweeps.tasks.dataset import Dataset, TaskError
from sweeps.tasks.registry import TASKS, Param, TaskDef, make_task, resolve_task_params

__all__ = ["Dataset", "Param", "TaskDef", "TaskError", "TASKS", "make_task",
           "resolve_task_params"]
