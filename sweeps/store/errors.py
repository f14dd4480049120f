"""What can be wrong with a store file, and the one error that says so: ``StoreError``.

Its messages state the fault and what to do about the file itself; they name no
command-line flag (the CLI adds its own: ``sweeps.cli.errors.as_command_error``).
"""
import functools
import os
import sqlite3
import stat
import zipfile
from pathlib import Path

DB_NAME = "sweep.db"
_SQLITE_MAGIC = b"SQLite format 3\x00"


class StoreError(Exception):
    """A store that cannot be read or written as asked; the message is one line for the user.

    It names the file, what is wrong with it and what to do (recover it, move it aside,
    free space, grant a permission). Whatever the cause, the file was left as it was
    (``sweeps run`` on a full disk keeps every group committed before the failure).

    Attributes
    ----------
    elsewhere : bool
        Whether another output directory is a way out too (the file is in the way, or
        the directory cannot be written): the message names no flag to choose it with;
        the command line adds its own (``sweeps.cli.errors.as_command_error``).
    """

    def __init__(self, message: str, *, elsewhere: bool = False):
        super().__init__(message)
        self.elsewhere = elsewhere


#: SQLite's primary result codes that say what is wrong with a file (sqlite3.h).
_SQLITE_READONLY, _SQLITE_IOERR, _SQLITE_CORRUPT, _SQLITE_FULL, _SQLITE_CANTOPEN, \
    _SQLITE_NOTADB = 8, 10, 11, 13, 14, 26


def _no_space_left(path: Path) -> bool:
    """Whether the file system of ``path`` is full (an I/O error may be a full disk)."""
    try:
        return os.statvfs(path.parent).f_bavail == 0
    except OSError:
        return False


def damaged(path, reason) -> StoreError:
    """The error of a store whose bytes cannot be read back: what happened, what to do."""
    # SQLite's integrity report spans lines ("*** in database main ***\nOn tree page ...")
    reason = "; ".join(line for line in str(reason).splitlines()
                       if line.strip() and not line.startswith("***"))
    return StoreError(f"{path} is damaged ({reason}); it was left untouched. Recover its "
                      f"rows with `sqlite3 {path} \".recover\" | sqlite3 recovered.db` and "
                      "put recovered.db in its place, or move it aside and run the sweep "
                      "again")


def disk_full(path) -> StoreError:
    """The error of a write refused for lack of space."""
    return StoreError(f"no space left on the device of {path}; every result committed "
                      "before is kept and the store is consistent: free some space and run "
                      "the same command again to resume")


def read_only(path, doing="`sweeps run`") -> StoreError:
    """The error of a store that cannot be written: which permission is missing where."""
    path = Path(path)
    if path.exists() and not os.access(path, os.W_OK):
        what = f"{path} is read-only for this user"
    elif not os.access(path.parent, os.W_OK):
        what = f"the directory {path.parent} is read-only for this user"
    else:
        what = f"{path} cannot be written"
    return StoreError(f"{what}: {doing} needs write permission on {path.name} and on its "
                      "directory (SQLite keeps its journal beside it); grant it",
                      elsewhere=True)


def classify(path: Path, exc: Exception) -> StoreError:
    """Turn what SQLite (or decoding a stored blob) raised into one :class:`StoreError`."""
    code = getattr(exc, "sqlite_errorcode", None)
    code = None if code is None else code & 0xFF  # extended codes: the low byte is primary
    text = str(exc)
    if code == _SQLITE_FULL or "disk is full" in text or (code == _SQLITE_IOERR
                                                          and _no_space_left(path)):
        return disk_full(path)
    if code == _SQLITE_READONLY or "readonly" in text:
        return read_only(path)
    if code == _SQLITE_CANTOPEN:
        return StoreError(f"cannot open {path} ({text}): reading a sweep needs read "
                          f"permission on the file and its directory {path.parent}, and "
                          "write permission on the directory while a run is writing")
    if code in (_SQLITE_CORRUPT, _SQLITE_NOTADB) or not isinstance(exc, sqlite3.Error):
        return damaged(path, text or type(exc).__name__)
    return StoreError(f"{path}: {text} (SQLite error); it was left untouched")


#: What reading a damaged row may raise besides SQLite's own errors: a blob or a JSON text
#: whose bytes changed (the ``.npz`` blobs carry CRCs, so changed bytes do not load).
_DECODE_ERRORS = (sqlite3.Error, ValueError, KeyError, EOFError, OSError, zipfile.BadZipFile)


def _guarded(errors):
    """Run a ``Store`` method so that a failure of the file (one of ``errors``) is one
    :class:`StoreError`; an integrity error is the caller's bad row (a bug) and stays."""
    def decorate(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except (StoreError, sqlite3.IntegrityError):
                raise
            except errors as exc:
                raise classify(self.path, exc) from exc
        return wrapper
    return decorate


reading = _guarded(_DECODE_ERRORS)
writing = _guarded(sqlite3.Error)  # a ValueError while encoding a row is a bug, not damage



def db_path(out_dir) -> Path:
    """Path of the database file inside ``out_dir``."""
    return Path(out_dir) / DB_NAME


def no_results(out_dir, path) -> FileNotFoundError:
    """What a reader gets before the first run has created the store."""
    return FileNotFoundError(f"no results yet in {out_dir}: {path} does not exist yet "
                             "(`sweeps run` creates it)")


def check_db_file(path) -> bool:
    """Return whether ``path`` holds a store file; raise StoreError if it cannot be one.

    Reads only the 16-byte header, so a foreign file is never opened by SQLite, let alone
    written. A zero-byte file is no store yet (False): a run creates the store in its place.

    Raises
    ------
    StoreError
        ``path`` is a directory (or another non-file), unreadable, or not SQLite.
    """
    path = Path(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        return False
    except NotADirectoryError:
        raise StoreError(f"{path.parent} is not a directory (it, or a part of its path, is "
                         f"a file): a sweep's results live in a directory, as DIR/{DB_NAME}; "
                         "give the output directory of a sweep", elsewhere=True) from None
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror or exc}; reading a sweep needs "
                         "search permission on its directory") from None
    if stat.S_ISDIR(st.st_mode):
        raise StoreError(f"{path} is a directory, but a sweeps result store is a file; it "
                         "was left untouched. Move the directory aside", elsewhere=True)
    if not stat.S_ISREG(st.st_mode):  # a FIFO or a device: opening it could block forever
        raise StoreError(f"{path} is not a regular file, so not a sweeps result store; it "
                         "was left untouched. Move it aside", elsewhere=True)
    try:
        with open(path, "rb") as fh:
            head = fh.read(len(_SQLITE_MAGIC))
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror or exc}; reading a sweep needs "
                         "read permission on it (and running one, write permission)") \
            from None
    if head and head != _SQLITE_MAGIC:
        raise StoreError(f"{path} is not an SQLite database, so not a sweeps result store; "
                         "it was left untouched. Move it away", elsewhere=True)
    return bool(head)
