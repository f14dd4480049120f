"""What a group whose worker died records: every job ``failed``, with the reason."""
import signal

from sweeps.schema import now
from sweeps.training import failed_record


def death_reason(exitcode) -> str:
    """The ``error`` stored for the jobs of a group whose worker process died.

    Parameters
    ----------
    exitcode : int or None
        The worker's exit code as ``multiprocessing`` gives it: ``-N`` for signal ``N``.
    """
    if exitcode is None:
        return "worker process died"
    if exitcode < 0:
        sig = -exitcode
        # SIGKILL out of the blue is what the kernel's OOM killer sends.
        why = "out of memory?" if sig == signal.SIGKILL else _signal_name(sig)
        return f"worker process died: killed by signal {sig} ({why})"
    return f"worker process died: exited with status {exitcode}"


def _signal_name(sig: int) -> str:
    try:
        return signal.Signals(sig).name
    except ValueError:
        return "unknown signal"


def lost_group(configs: list, reason: str, traceback: str | None = None) -> list:
    """Job records (``sweeps.schema.job_record``, as :func:`sweeps.training.train_group`
    returns them) failing a group whose worker is lost."""
    finished = now()
    records = [failed_record(cfg, reason, traceback) for cfg in configs]
    for rec in records:
        rec["finished"] = finished
    return records
