"""The progress of a sweep: a tqdm bar over every planned job, or plain lines, fed by the
runner.

The runner only calls ``progress(summary)``; this is what the command line (a terminal
bar on stderr, or a line every few seconds when stderr is not a terminal: a log, ``make``
piped into ``tee``, CI) and ``sweeps.run`` (``tqdm.auto``: a widget in Jupyter, text
elsewhere) hand it. Cached jobs count as done from the start.
"""
import os
import sys
import time
import warnings

#: Seconds between two progress lines when stderr is not a terminal; the environment
#: variable ``SWEEPS_PROGRESS_EVERY`` sets it (0: a line after every finished group).
PROGRESS_EVERY = 5.0


class ProgressBar:
    """A tqdm bar over all planned jobs, updated from a ``RunSummary``.

    Parameters
    ----------
    enabled : bool
        False draws nothing.
    notebook : bool, default=False
        Use ``tqdm.auto`` (a Jupyter widget where one is available) instead of the plain
        terminal bar.
    """

    def __init__(self, enabled: bool, notebook: bool = False):
        self.enabled, self.notebook, self.bar = enabled, notebook, None

    def __call__(self, summary) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            if self.notebook:
                from tqdm import TqdmWarning

                with warnings.catch_warnings():
                    # Without ipywidgets tqdm.auto warns, then draws the text bar, which
                    # Jupyter shows just as well: say nothing.
                    warnings.simplefilter("ignore", TqdmWarning)
                    from tqdm.auto import tqdm
            else:
                from tqdm import tqdm
            self.bar = tqdm(total=summary.planned, initial=summary.done, desc=summary.name,
                            unit="job", file=sys.stderr, dynamic_ncols=True)
        counts = {"ok": summary.ok, "cached": summary.cached, "failed": summary.failed,
                  "diverged": summary.diverged}
        self.bar.set_postfix(ordered_dict=counts, refresh=False)  # kwargs would be sorted
        # update() (not assigning .n) so the ETA is the rate of jobs trained, not cached.
        self.bar.update(summary.done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class ProgressLines:
    """Progress as plain lines on stderr, for output that is not a terminal.

    One line when planning is done (how many jobs, how many cached), then one at most
    every ``every`` seconds while jobs finish; the command prints the summary line at the
    end. A bar's carriage returns would pile up in a log as one endless line.

    Parameters
    ----------
    enabled : bool
        False prints nothing.
    every : float or None, default=None
        Seconds between two lines; None reads ``SWEEPS_PROGRESS_EVERY`` (default
        ``PROGRESS_EVERY``).
    """

    def __init__(self, enabled: bool, every: float | None = None):
        self.enabled, self.every, self.last = enabled, every, None
        if every is None:
            self.every = _every_from_environment()

    def __call__(self, summary) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if self.last is None:
            self.last = now
            print(f"{summary.name}: {summary.planned} jobs, {summary.cached} cached, "
                  f"{summary.planned - summary.cached} to train", file=sys.stderr,
                  flush=True)
            return
        if now - self.last < self.every or summary.done == summary.planned:
            return  # the summary line says the end
        self.last = now
        print(f"{summary.name}: {summary.done} of {summary.planned} jobs done ({summary.ok} "
              f"ok, {summary.failed} failed, {summary.diverged} diverged) after "
              f"{summary.elapsed:.0f} s", file=sys.stderr, flush=True)

    def close(self) -> None:
        pass


def _every_from_environment() -> float:
    """``SWEEPS_PROGRESS_EVERY`` as seconds >= 0, or ``PROGRESS_EVERY`` (unset or bad)."""
    try:
        every = float(os.environ.get("SWEEPS_PROGRESS_EVERY", PROGRESS_EVERY))
    except ValueError:
        return PROGRESS_EVERY
    return every if 0 <= every < float("inf") else PROGRESS_EVERY
