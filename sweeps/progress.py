"""The progress bar of a sweep: a tqdm bar over every planned job, fed by the runner.

The runner only calls ``progress(summary)``; this is what the command line (a terminal
bar on stderr) and ``sweeps.run`` (``tqdm.auto``: a widget in Jupyter, text elsewhere) hand
it. Cached jobs count as done from the start.
"""
import sys
import warnings


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
