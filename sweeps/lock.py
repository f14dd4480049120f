"""One writer per output directory: an exclusive ``flock`` on ``OUT/.lock``.

The kernel releases a ``flock`` when its process dies, however it dies (SIGKILL included), so
a lock can never go stale and needs no clean-up (a fresh run refused before its store
existed removes the lock file it made). The file's content (PID and host of the
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

    A lock file this call created is removed again when the block fails while it is the
    only file in ``out_dir`` (a fresh run refused before its store existed, e.g. on a
    full disk), so a refused run leaves nothing behind.

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
    fh, created = _lock_file(path, out_dir)
    try:
        fh.seek(0)
        fh.truncate()
        fh.write(f"PID {os.getpid()} on {socket.gethostname()}\n")
        fh.flush()
        yield
    except BaseException:
        if created and os.listdir(out_dir) == [LOCK_NAME]:
            path.unlink(missing_ok=True)  # still locked: no one else can be using it
        raise
    finally:
        fcntl.flock(fh, fcntl.LOCK_UN)
        fh.close()


def _lock_file(path: Path, out_dir):
    """The open lock file, flocked, and whether this call created it.

    A lock file can be removed (see :func:`run_lock`) between our ``open`` and our
    ``flock``: then the lock we hold is on a name no one else sees, so we open the path
    again until the file locked is the file named.
    """
    while True:
        try:
            fd, created = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644), True
        except FileExistsError:  # never truncated here: a refused run keeps the holder's PID
            fd, created = os.open(path, os.O_RDWR | os.O_CREAT, 0o644), False
        fh = os.fdopen(fd, "r+")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = fh.read().strip() or "unknown PID"
            fh.close()
            raise SweepLockedError(
                f"another `sweeps run` ({holder}) is writing to {out_dir}; wait for it to "
                "finish (rerunning then resumes) or choose another --out directory") from None
        try:
            named = os.stat(path)
        except FileNotFoundError:
            named = None
        held = os.fstat(fd)
        if named is not None and (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino):
            return fh, created
        fh.close()


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
