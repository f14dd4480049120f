"""A report that follows a running sweep: rebuilt every few seconds until the run ends.

While the run writes, each build's page reloads itself (``<meta http-equiv="refresh">``)
and says at the top how far the run is ("running: 212 of 486 jobs done"); the first build
after the run has ended is the last one, and its page no longer reloads. Only the figures
whose data changed are drawn again (:mod:`results.report_cache`), so a rebuild costs about
what the new rows cost.
"""
from __future__ import annotations

import logging
import time
from pathlib import Path

from results import _html
from results.report import build, write_page

log = logging.getLogger(__name__)

#: Seconds between two builds of ``sweeps report --watch`` unless told.
DEFAULT_EVERY = 10.0


def watch_report(out_dir, *, every=DEFAULT_EVERY, on_build=None, **options):
    """Rebuild the report of ``out_dir`` every ``every`` seconds while its run is going.

    Parameters
    ----------
    out_dir : str or Path
        Output directory of a sweep (its store must exist).
    every : float, default=10.0
        Seconds from the start of one build to the start of the next (a build that takes
        longer is followed by the next one at once).
    on_build : callable, default=None
        Called after every build as ``on_build(meta, built)``: ``meta`` the
        ``sweeps.load_meta`` record the build used, ``built`` a
        :class:`results.report.Built` or None while no job has finished.
    **options
        Passed to :func:`results.report.build_report` (``figure_format`` ...).

    Returns
    -------
    Path
        The report directory, after the final build (the run has ended).

    Raises
    ------
    KeyboardInterrupt
        On Ctrl-C; the page is first rewritten without its reload tag, so an open browser
        stops reloading a report that no longer changes.
    """
    import sweeps

    if every <= 0:
        raise ValueError(f"every must be a positive number of seconds, got {every!r}")
    out_dir = Path(out_dir)
    page = out_dir / "report" / "index.html"
    try:
        while True:
            start = time.monotonic()
            # The state first: a run seen as ended here has every row in the build below.
            meta = sweeps.load_meta(out_dir)
            built = _build_once(out_dir, meta, every, options)
            if on_build:
                on_build(meta, built)
            if not meta["running"]:
                return out_dir / "report"
            time.sleep(max(0.0, every - (time.monotonic() - start)))
    except KeyboardInterrupt:
        _stop_reloading(page)
        raise


def _build_once(out_dir, meta, every, options):
    """One build; before any job has finished, a page that says the run has started."""
    if not any(n for status, n in meta["counts"].items() if status != "pending"):
        page = _html.waiting_page(meta, refresh=every)
        write_page(out_dir / "report" / "index.html", page)
        return None
    return build(out_dir, meta=meta, refresh=every, **options)


def _stop_reloading(page):
    """Take the reload tag out of the last page written (the watch is over)."""
    try:
        text = page.read_text(encoding="utf-8")
    except OSError:
        return
    if _html.REFRESH_MARK in text:
        write_page(page, _html.without_refresh(text))
