"""sweeps: grids of small-network training jobs, run in parallel, cached in SQLite.

>>> import sweeps
>>> df = sweeps.run("sine", overrides=["epochs=500"], jobs=2)    # doctest: +SKIP
>>> summary = sweeps.run_sweep("sine", "runs/sine", n_jobs=2)   # doctest: +SKIP
>>> df = sweeps.load("runs/sine")                                 # doctest: +SKIP

The public names are imported on first use (PEP 562), so ``sweeps --help`` and worker
processes that only need ``sweeps.training`` do not pay for pandas or the spec parser.
"""
from importlib import import_module

__all__ = ["load", "load_meta", "load_spec", "run", "run_sweep"]

_HOMES = {"load": "sweeps.loading", "load_meta": "sweeps.loading", "load_spec": "sweeps.spec",
          "run": "sweeps.runner", "run_sweep": "sweeps.runner"}


def __getattr__(name):
    if name in _HOMES:
        return getattr(import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'sweeps' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *__all__])
