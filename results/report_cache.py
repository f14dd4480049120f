"""Figures of a report drawn once per state of their data: a rebuild redraws what changed.

Each figure of the report is keyed by a digest of exactly what it is drawn from: the
drawing function, its options, the rows of the results frame it receives (every column,
arrays included, in a fixed row order), the file format and the versions of the packages
that draw it. A rebuild whose figure has the same digest and whose file is still there
keeps the file; anything else is drawn again. The digests live in ``cache.json`` beside
the figures, written atomically.

A whole report is stamped too (:func:`report_state`, :func:`current_report`): the state
of the store it was built from (:meth:`sweeps.store.Store.fingerprint`, read before the
rows), the versions and options, and the size and time of every file it wrote. A build
whose stamp still holds (nothing new in the store, nothing deleted or edited in the
report, no run going) returns the report as it is, without loading the rows or importing
the figures: ``sweeps report`` on an unchanged sweep takes about a second.

The digest covers the data and the options, not the source code of the figures (as
joblib's ``Memory`` does, a comment would then redraw everything): a change of what a
figure shows bumps :data:`CACHE_VERSION` (a new release of the package redraws everything
once: its version is part of the digest).
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path

import numpy as np

#: Bump when a figure function draws something different from the same data and options,
#: or the page or its tables show something different: an unchanged sweep's report stands
#: as it is until then (3: the tiny nets' tables, the stamp of the whole report).
CACHE_VERSION = 3
CACHE_NAME = "cache.json"
STAMP_NAME = "stamp.json"


def frame_digest(df, hasher=None):
    """A digest of every value of ``df``, arrays included, whatever the row order.

    Parameters
    ----------
    df : pandas.DataFrame
    hasher : hashlib object, default=None
        Fed in place when given (and returned).

    Returns
    -------
    hashlib object
    """
    h = hasher or hashlib.blake2b(digest_size=16)
    if "key" in df:  # rows come in order of finishing; the figure's data is the same set
        df = df.iloc[np.argsort(df["key"].to_numpy(dtype=str), kind="stable")]
    h.update(repr(df.shape).encode())
    for name in sorted(df.columns, key=str):
        values = df[name].to_numpy()
        h.update(f"\x01{name}:{df[name].dtype}".encode())
        if values.dtype != object:
            h.update(np.ascontiguousarray(values).tobytes())
        else:  # the bytes of an object array are pointers: feed each value
            for value in values:
                _feed(h, value)
    return h


def _feed(h, value):
    if isinstance(value, np.ndarray):
        h.update(f"\x02{value.dtype}{value.shape}".encode())
        h.update(np.ascontiguousarray(value).tobytes())
    elif isinstance(value, (list, tuple)):
        h.update(b"\x03" + str(len(value)).encode())
        for item in value:
            _feed(h, item)
    elif isinstance(value, dict):
        h.update(b"\x04" + str(len(value)).encode())
        for key in sorted(value, key=str):
            _feed(h, key)
            _feed(h, value[key])
    else:
        h.update(b"\x05" + repr(value).encode())


def figure_digest(func, df, options, fmt):
    """The key of one figure: what draws it, from which rows, with which options."""
    import matplotlib
    import pandas as pd
    import seaborn

    h = hashlib.blake2b(digest_size=16)
    h.update(json.dumps({"cache": CACHE_VERSION, "nnsweeps": _version(),
                         "func": f"{func.__module__}.{func.__name__}",
                         "options": {k: repr(v) for k, v in sorted(options.items())},
                         "format": fmt, "matplotlib": matplotlib.__version__,
                         "seaborn": seaborn.__version__, "pandas": pd.__version__},
                        sort_keys=True).encode())
    return frame_digest(df, h).hexdigest()


#: The packages whose version changes what a report shows.
_DRAWN_BY = ("nnsweeps", "matplotlib", "seaborn", "pandas", "numpy")


@functools.cache
def _version(package="nnsweeps"):
    from importlib import metadata

    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


class FigureCache:
    """The digests of the figures in ``folder``, and which of them this build drew.

    Parameters
    ----------
    folder : Path
        The report's ``figures`` directory.
    """

    def __init__(self, folder):
        self.folder = Path(folder)
        self.drawn, self.reused = [], []
        try:
            entries = json.loads((self.folder / CACHE_NAME).read_text(encoding="utf-8"))
        except (OSError, ValueError):  # none yet, or unreadable: everything is drawn
            entries = {}
        self._old = entries.get("figures", {}) if isinstance(entries, dict) else {}
        self._new = {}

    def names(self):
        """The figures of the last build, by name."""
        return sorted(self._old)

    def lookup(self, name, digest):
        """The earlier result of figure ``name`` (a Path, or the text of why it was not
        drawn) when its digest is ``digest`` and its file still exists, else None."""
        entry = self._old.get(name)
        if not isinstance(entry, dict) or entry.get("digest") != digest:
            return None
        if entry.get("file"):
            path = self.folder / entry["file"]
            return path if path.is_file() else None
        return entry.get("error")

    def record(self, name, digest, result, *, drawn):
        """Remember ``result`` (a Path or an error text) of figure ``name``."""
        (self.drawn if drawn else self.reused).append(name)
        is_file = isinstance(result, Path)
        self._new[name] = {"digest": digest, "file": result.name if is_file else None,
                           "error": None if is_file else str(result)}

    def save(self):
        """Write the digests of this build; delete figure files no figure of it owns."""
        self.folder.mkdir(parents=True, exist_ok=True)
        owned = {entry["file"] for entry in self._new.values() if entry["file"]}
        for path in self.folder.iterdir():
            if path.is_file() and path.name != CACHE_NAME and path.name not in owned:
                path.unlink(missing_ok=True)  # a figure of a past state of the sweep
        target = self.folder / CACHE_NAME
        partial = target.with_name(f".{CACHE_NAME}.partial")
        partial.write_text(json.dumps({"figures": self._new}, indent=1, sort_keys=True),
                           encoding="utf-8")
        os.replace(partial, target)


def report_state(out_dir, options) -> dict | None:
    """What a report of ``out_dir`` built now is built from; None while a run is going.

    Read before the rows: a job stored after this reading makes the next stamp differ,
    so a report is never taken for newer than its rows.
    """
    from sweeps.keys import RESULTS_VERSION
    from sweeps.lock import run_is_live
    from sweeps.store import Store

    with Store.open(out_dir) as store:
        run, fingerprint = store.last_run(), store.fingerprint()
    if run_is_live(run):  # the page says how far the run is: always rebuilt
        return None
    return {"store": fingerprint, "cache": CACHE_VERSION, "results_format": RESULTS_VERSION,
            "versions": {name: _version(name) for name in _DRAWN_BY},
            "options": {k: repr(v) for k, v in sorted(options.items())}}


def current_report(out_dir, options=None):
    """``(report, state)``: the report directory of ``out_dir`` when its stamp still holds
    (else None), and :func:`report_state` to stamp a new build with.

    ``options`` are ``build_report``'s ``figure_format`` and ``boundary_depth``; None is
    the command line's report (its defaults: ``build_report`` stamps them as given).

    It holds when the store, versions and ``options`` are those the report was built
    from, and every file the build wrote is there with its size and time unchanged.
    """
    report = Path(out_dir) / "report"
    state = report_state(out_dir, options or {"figure_format": "png", "boundary_depth": None})
    try:
        stamp = json.loads((report / STAMP_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None, state
    if state is None or not isinstance(stamp, dict) or stamp.get("state") != state:
        return None, state
    files = stamp.get("files") or {}
    if "index.html" not in files or _file_stats(report, files) != files:
        return None, state
    return report, state


def write_stamp(report, state):
    """Stamp the report just built from ``state`` (None: no stamp, the next build builds)."""
    report = Path(report)
    target = report / STAMP_NAME
    target.unlink(missing_ok=True)
    if state is None:
        return
    files = _file_stats(report, None)
    partial = target.with_name(f".{STAMP_NAME}.partial")
    partial.write_text(json.dumps({"state": state, "files": files}, sort_keys=True),
                       encoding="utf-8")
    os.replace(partial, target)


def _file_stats(report, names):
    """{relative path: [size, mtime_ns]} of ``names`` (None: every file of the report but
    the stamp and partial files); a missing file is left out."""
    if names is None:
        names = [p.relative_to(report).as_posix() for p in report.rglob("*")
                 if p.is_file() and p.name != STAMP_NAME and not p.name.endswith(".partial")]
    out = {}
    for name in names:
        try:
            st = (report / name).stat()
        except OSError:
            continue
        out[name] = [st.st_size, st.st_mtime_ns]
    return out
