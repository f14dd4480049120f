"""One writer per output directory: an exclusive ``flock`` on ``OUT/.lock``.

The kernel releases a ``flock`` when its process dies, however it dies (SIGKILL included), so
a lock can never go stale and needs no clean-up. The file's content (PID and host of the
holder) is for the error message only; the lock itself is the ``flock``.
"""
import fcntl
import os
import socket
from contextlib import contextmanager
from pathlib import Path

LOCK_NAME = ".lock"


class SweepLockedError(RuntimeError):
    """Another process is running a sweep into the same output directory."""


@contextmanager
def run_lock(out_dir):
    """Hold the write lock of ``out_dir`` for the duration of the ``with`` block.

    Parameters
    ----------
    out_dir : str or Path
        Output directory; it must exist.

    Raises
    ------
    SweepLockedError
        Immediately (no waiting) if another process holds the lock.
    """
    path = Path(out_dir) / LOCK_NAME
    # "a+": open without truncating, so a refused process never erases the holder's PID.
    with open(path, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "unknown PID"
            raise SweepLockedError(
                f"another `sweeps run` ({holder}) is writing to {out_dir}; wait for it to "
                "finish (rerunning then resumes) or choose another --out directory") from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"PID {os.getpid()} on {socket.gethostname()}\n")
        fh.flush()
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def run_is_live(run: dict) -> bool:
    """Whether the run recorded in ``run`` (a row of the store's ``runs`` table) is going.

    A run stamps ``finished`` when it ends, however it ends, except when its process is
    killed outright (SIGKILL, a power cut); so an unfinished row counts as live only while
    its process exists. A run on another host cannot be checked from here: its record is
    trusted.
    """
    if not run or run.get("finished") is not None:
        return False
    if run.get("host") != socket.gethostname() or not run.get("pid"):
        return True
    try:
        os.kill(int(run["pid"]), 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True
