"""The command line's errors: ``CommandError``, the exit statuses, and the one mapper of
any other error to the user's one line (``as_command_error``)."""
import errno

from sweeps.store import StoreError

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_LOCKED, EXIT_INTERRUPTED = 0, 1, 2, 75, 130


class CommandError(Exception):
    """A command cannot go on; the message is for the user, ``exit_status`` for the shell."""

    def __init__(self, message: str, exit_status: int = EXIT_FAILED):
        super().__init__(message)
        self.exit_status = exit_status


#: What the system says about a path the user chose, and what the user can do about it.
_PATH_PROBLEMS = {
    errno.EACCES: "permission denied: the command needs read and write permission on it and "
                  "its directory; grant them or choose another directory",
    errno.EPERM: "operation not permitted: the command needs write permission on it and its "
                 "directory; grant them or choose another directory",
    errno.EROFS: "read-only file system: choose a directory on a writable one",
    errno.ENOSPC: "no space left on the device: free some space and run the same command "
                  "again (every finished result is kept)",
    errno.EDQUOT: "disk quota exceeded: free some space and run the same command again "
                  "(every finished result is kept)",
    errno.EISDIR: "is a directory where a file is needed: move it aside or choose another "
                  "path",
    errno.ENOTDIR: "a part of the path is a file where a directory is needed",
    errno.ENAMETOOLONG: "file name too long: choose a shorter name or directory",
}


def one_line(message) -> str:
    """``message`` with every character that is not printable escaped (a newline or a
    form feed in a path must not break the error's one line)."""
    text = str(message)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def as_command_error(exc: Exception, where=None, flag=None):
    """The one-line error a user gets for ``exc``, or None if it is not the user's to fix.

    A store that cannot be read or written (damaged, foreign, a directory, read-only, a
    full disk) and an output path the system refuses are input problems: exit status 2,
    one line naming the path (``where``, the command's output, when the system names
    none) and what is needed. Where another output directory is a way out too, ``flag``
    (the command's option that chooses it, ``--out``) is named. Anything else is a bug
    and keeps its traceback.
    """
    if isinstance(exc, StoreError):
        other = f" or choose another {flag} directory" if exc.elsewhere and flag else ""
        return CommandError(f"{exc}{other}", EXIT_USAGE)
    if isinstance(exc, FileNotFoundError) and exc.filename is None:  # "no results yet in X"
        return CommandError(str(exc), EXIT_USAGE)
    if isinstance(exc, OSError) and exc.errno in _PATH_PROBLEMS:
        path = exc.filename or where
        prefix = f"{path}: " if path else ""
        return CommandError(prefix + _PATH_PROBLEMS[exc.errno], EXIT_USAGE)
    return None
