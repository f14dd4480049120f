"""The reproducibility record stored with every run: versions, Python, BLAS, git commit."""
import os
import platform
import socket
import subprocess
import sys
from importlib import metadata
from pathlib import Path

_PACKAGES = ("nnsweeps", "numpy", "scipy", "scikit-learn", "joblib", "pandas",
             "threadpoolctl", "dask", "distributed")
PROJECT_ROOT = Path(__file__).resolve().parents[1]


def package_versions() -> dict:
    """Versions of the packages that decide what a training run computes.

    Returns
    -------
    dict
        Distribution name -> version for those installed, plus ``nncore`` (its
        ``__version__``) and ``blas`` (library, version and CPU kernel: the last digits of
        a float64 result may change with them).
    """
    import nncore
    from threadpoolctl import threadpool_info

    versions = {}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    versions["nncore"] = getattr(nncore, "__version__", None)
    # Sorted: the libraries are listed in the order they were loaded, which differs from
    # one process to the next (numpy's and scipy's OpenBLAS), and a run's versions are part
    # of the store's fingerprint: a cached rerun must not look like new software.
    blas = {f"{p.get('internal_api')} {p.get('version')} ({p.get('architecture', '?')})"
            for p in threadpool_info() if p.get("user_api") == "blas"}
    versions["blas"] = "; ".join(sorted(blas)) or None
    return versions


def git_state(root=PROJECT_ROOT) -> dict:
    """``git_commit`` (HEAD of the project's checkout) and ``git_dirty``; None outside git.

    Fails quietly: an installed package, a checkout without commits or a missing ``git``
    binary are normal situations, not errors.
    """
    def git(*args):
        out = subprocess.run(["git", "-C", str(root), *args], capture_output=True,
                             text=True, timeout=10, check=True)
        return out.stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
        dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.SubprocessError):
        return {"git_commit": None, "git_dirty": None}
    return {"git_commit": commit, "git_dirty": dirty}


def run_record(*, backend: str, n_jobs) -> dict:
    """Columns of the ``runs`` row describing this process and its environment."""
    return {"pid": os.getpid(), "host": socket.gethostname(), "argv": " ".join(sys.argv),
            "backend": backend, "n_jobs": n_jobs, "versions": package_versions(),
            "python": platform.python_version(), **git_state()}
