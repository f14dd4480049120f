"""The report's ``index.html``: one self-contained page, relative links only.

Everything the page shows is escaped (spec text, error messages, table cells) so that any
TOML or traceback renders as text.
"""
from __future__ import annotations

import html
import os
import platform
import re
from datetime import datetime, timezone
from pathlib import Path

from results.tables import to_html

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1400px; color: #222;
       padding: 0 1em; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ddd; }
table.results { border-collapse: collapse; font-size: 0.8em; }
table.results td, table.results th { padding: 2px 8px; border-bottom: 1px solid #eee;
                                     text-align: right; }
.scroll { max-height: 420px; overflow: auto; border: 1px solid #eee; }
pre { background: #f6f6f6; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }
figure { margin: 1.5em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
.note { background: #fff6dd; padding: 0.5em 1em; border-left: 4px solid #e0a800; }
.error { color: #a00; } .links a { margin-right: 1em; font-size: 0.85em; }
.running { font-size: 1.1em; background: #e8f0fb; padding: 0.6em 1em;
           border-left: 4px solid #2f6db5; }
.headline { font-size: 1.1em; background: #eef6ee; padding: 0.6em 1em;
            border-left: 4px solid #3a7d44; }
"""


def index_page(meta, df, tables, figures, report_dir, headline=None, refresh=None):
    """Return the HTML text of the report page.

    Parameters
    ----------
    meta : dict
        ``sweeps.load_meta`` record (may be partial).
    df : pandas.DataFrame
        The results reported.
    tables : list of (str, DataFrame, dict)
        Title, table shown inline (its ``attrs["note"]``, if any, is shown above it),
        format -> written Path.
    figures : list of (str, Path or str, str or None)
        Title, the saved figure or the reason it was not drawn, and a note shown before
        it (why figures of its kind are split), if any.
    report_dir : Path
        Directory of the page; links are made relative to it.
    headline : str, default=None
        The conclusion the page opens with (the best configuration chosen on validation).
    refresh : float, default=None
        Seconds after which the page reloads itself while ``meta["running"]``; None never.
    """
    name = meta.get("name") or (df["task"].iloc[0] if "task" in df else "sweep")
    parts = [running_note(meta, refresh), f"<h1>Sweep report: {_e(name)}</h1>"]
    if headline:
        parts.append(f"<p class='headline'>{_e(headline)}</p>")
    parts.append(_status_note(meta, df))
    parts.append(_contents(tables, figures))
    parts.append("<h2 id='tables'>Tables</h2>")
    for title, table, files in tables:
        links = " ".join(f"<a href='{_rel(p, report_dir)}'>{fmt}</a>" for fmt, p in files.items())
        note = table.attrs.get("note")
        parts.append(f"<h3>{_e(title)}</h3><div class='links'>{links}</div>"
                     + (f"<p class='note'>{_e(note)}</p>" if note else "")
                     + f"<div class='scroll'>{to_html(table)}</div>")
    parts.append("<h2 id='figures'>Figures</h2>")
    for i, (title, result, note) in enumerate(figures):
        if note:
            parts.append(f"<p class='note'>{_e(note)}</p>")
        if isinstance(result, Path):
            src = _rel(result, report_dir)
            parts.append(f"<figure id='fig{i}'><figcaption><b>{_e(title)}</b> "
                         f"(<a href='{src}'>open</a>)</figcaption><img src='{src}' "
                         f"alt='{_e(title)}' loading='lazy'></figure>")
        else:
            parts.append(f"<p class='error'><b>{_e(title)}</b>: {_e(result)}</p>")
    parts.append("<h2 id='spec'>Spec</h2><pre>" + _e(meta.get("spec") or "(not recorded)")
                 + "</pre>")
    parts.append("<h2 id='versions'>Software</h2>" + _versions(meta))
    body = "\n".join(p for p in parts if p)
    return _page(f"{name}: sweep report", body, head=_refresh_tag(meta, refresh))


#: What marks the reload tag of a page (:func:`without_refresh` takes it out).
REFRESH_MARK = "http-equiv='refresh'"


def _refresh_tag(meta, refresh):
    return (f"<meta {REFRESH_MARK} content='{max(1, round(refresh))}'>"
            if refresh and meta.get("running") else "")


def waiting_page(meta, refresh=None):
    """The page of a sweep without a finished job yet: its progress, nothing to show."""
    name = meta.get("name") or "sweep"
    body = (running_note(meta, refresh) + f"<h1>Sweep report: {_e(name)}</h1>"
            "<p>No job has finished yet: the tables and figures appear with the first "
            "results.</p>")
    return _page(f"{name}: sweep report", body, head=_refresh_tag(meta, refresh))


def without_refresh(page):
    """``page`` without its reload tag, its running line saying the watch has stopped."""
    stamp = datetime.now(timezone.utc).strftime("%H:%M:%S UTC")
    page = re.sub(r"<meta http-equiv='refresh' content='[^']*'>", "", page)
    return re.sub(r"<p class='running'>.*?</p>",
                  f"<p class='running'>The watch stopped at {stamp}: this page shows the "
                  "report as it was then (<code>sweeps report DIR</code> rebuilds it).</p>",
                  page, count=1, flags=re.DOTALL)


def running_note(meta, refresh=None):
    """The line at the top of a page while the run writes: "running: 212 of 486 jobs
    done"; empty when no run is going."""
    if not meta.get("running"):
        return ""
    planned = meta.get("planned") or 0
    done = planned - ((meta.get("counts") or {}).get("pending") or 0)
    stamp = datetime.now(timezone.utc).strftime("%H:%M:%S UTC")
    how = (f"this page reloads every {max(1, round(refresh))} s while "
           "<code>sweeps report --watch</code> rebuilds it" if refresh else
           "this page is a snapshot: <code>sweeps report DIR --watch</code> keeps it "
           "up to date")
    return (f"<p class='running'><b>running: {done} of {planned} jobs done</b> "
            f"<small>(as of {stamp}; {how})</small></p>")


def comparison_page(table, shown, constant, dirs, files):
    """Return the HTML text of a comparison's page: verdict, figure, table.

    Parameters
    ----------
    table : pandas.DataFrame
        The output of ``results.compare`` (verdict in ``attrs``).
    shown, constant : pandas.DataFrame, dict
        The table without the columns that hold one value in every row, and those values.
    dirs : list of str or Path
        The sweep directories compared.
    files : dict
        Name -> written Path (tables by format, ``figure``), next to the page.
    """
    (a, b), on = table.attrs["labels"], table.attrs["on"]
    differing = "; ".join(f"{axis}: {', '.join(map(str, va))} | {', '.join(map(str, vb))}"
                          for axis, (va, vb) in table.attrs["differing"].items())
    links = " ".join(f"<a href='{Path(p).name}'>{_e(name)}</a>" for name, p in files.items()
                     if name != "figure")
    parts = [f"<h1>{_e(a)} vs {_e(b)} on {_e(on)}</h1>",
             f"<p class='headline'>{_e(table.attrs['verdict']['text'])}</p>",
             f"<p>Sweeps: {_e(', '.join(map(str, dirs)))}" + (f"; differing: {_e(differing)}"
                                                             if differing else "") + ".</p>",
             "<p><small>Configs are paired when every other axis agrees, seeds with seeds; "
             f"the difference is {_e(a)} − {_e(b)}, averaged over a config's paired seeds. "
             "The interval is a percentile bootstrap of the median over configs; the "
             "p-value is the two-sided Wilcoxon signed-rank test of the paired "
             "differences.</small></p>"]
    if "figure" in files:
        src = Path(files["figure"]).name
        parts.append(f"<figure><img src='{src}' alt='paired comparison'></figure>")
    same = ", ".join(f"{k} = {v}" for k, v in constant.items())
    parts.append(f"<h2>Configs, {_e(a)}'s largest advantage first</h2>"
                 f"<div class='links'>{links}</div>"
                 + (f"<p><small>Same in every row: {_e(same)}.</small></p>" if same else "")
                 + f"<div class='scroll'>{to_html(shown)}</div>")
    body = "\n".join(parts)
    return _page(f"{a} vs {b}", body)


def _planned_text(meta):
    """Against what the counts stand: the latest run's plan, and rows from earlier runs."""
    planned, earlier = meta.get("planned"), meta.get("earlier")
    if not planned:
        return ""
    if not earlier:
        return f" of {planned} planned"
    return (f"; the latest run planned {planned} jobs, and {earlier} stored job(s) are from "
            "earlier runs into this folder with other settings (shown here too)")


def _status_note(meta, df):
    # Finished jobs from the frame shown; pending only the store knows.
    counts = df["status"].value_counts().to_dict()
    if (meta.get("counts") or {}).get("pending") is not None:
        counts["pending"] = meta["counts"]["pending"]
    order = ["ok", "diverged", "failed", "pending"]
    items = ", ".join(f"{counts.get(s, 0)} {s}" for s in order if s in counts or s != "pending")
    text = f"<p>Jobs: {_e(items)}{_e(_planned_text(meta))}.</p>"
    if counts.get("pending") and meta.get("running"):
        text += (f"<p class='note'>A run is writing to this sweep: {counts['pending']} job(s) "
                 "are pending. The tables and figures show the jobs finished so far.</p>")
    elif counts.get("pending"):
        text += (f"<p class='note'>This sweep is not finished: {counts['pending']} job(s) are "
                 "pending. The tables and figures show the jobs finished so far; run the "
                 "same <code>sweeps run</code> command to resume, then rebuild this report.</p>")
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return text + f"<p><small>Report built {stamp}.</small></p>"


def _contents(tables, figures):
    links = ["<a href='#tables'>tables</a>", "<a href='#figures'>figures</a>",
             "<a href='#spec'>spec</a>", "<a href='#versions'>software</a>"]
    figs = " · ".join(f"<a href='#fig{i}'>{_e(t)}</a>"
                      for i, (t, r, _) in enumerate(figures) if isinstance(r, Path))
    return f"<p>{' · '.join(links)}</p><p><small>{figs}</small></p>"


def _versions(meta):
    import matplotlib
    import pandas
    import seaborn

    rows = dict(meta.get("versions") or {})
    rows["python"] = meta.get("python") or "(not recorded)"
    commit = meta.get("git_commit")
    rows["git commit"] = (commit or "(none)") + (" (uncommitted changes)"
                                                 if meta.get("git_dirty") else "")
    drawn = {"pandas": pandas.__version__, "matplotlib": matplotlib.__version__,
             "seaborn": seaborn.__version__, "python": platform.python_version()}
    body = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in sorted(rows.items()))
    drawn_text = ", ".join(f"{k} {v}" for k, v in drawn.items())
    return (f"<p>Training run:</p><table class='results'>{body}</table>"
            f"<p><small>Report drawn with {_e(drawn_text)}.</small></p>")


def _page(title, body, head=""):
    """A whole page: the shared style, ``title`` escaped, ``body`` and ``head`` (extra
    elements of the head) as given (HTML)."""
    return (f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>{head}"
            f"<title>{_e(title)}</title><style>{_CSS}</style></head>"
            f"<body>\n{body}\n</body></html>\n")


def _rel(path, base):
    return Path(os.path.relpath(path, base)).as_posix()


def _e(text):
    return html.escape(str(text), quote=True)
