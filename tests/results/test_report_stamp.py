"""A report of an unchanged sweep stands as it is; anything that changes it rebuilds it.

Nothing new in the store, the same versions and options, every file of the report in
place: ``build`` returns the report without writing, and ``sweeps report`` says so without
importing the figures. A new job, a forced rerun, a deleted or edited file, another
package or cache version: the report is built again.
"""
import os
import subprocess
import sys

import pytest

import sweeps
from results import report_cache
from results.report import build

SMALL = ["epochs=5", "seed=0,1", "hidden=[3]", "activation=tanh,relu"]


@pytest.fixture
def sweep(tmp_path):
    out = tmp_path / "moons"
    sweeps.run_sweep(sweeps.load_spec("moons", overrides=SMALL), out, n_jobs=1)
    first = build(out)
    assert first.drawn and (out / "report" / report_cache.STAMP_NAME).is_file()
    return out


def _page_stamp(out):
    return (out / "report" / "index.html").stat().st_mtime_ns


def test_an_unchanged_sweep_keeps_its_report_untouched(sweep):
    before = _page_stamp(sweep)
    again = build(sweep)
    assert again.drawn == [] and again.reused
    assert _page_stamp(sweep) == before  # not even the page is rewritten


def test_a_new_job_rebuilds_and_the_page_counts_it(sweep):
    sweeps.run_sweep(sweeps.load_spec("moons", overrides=[*SMALL[:1], "seed=0,1,2",
                                                          *SMALL[2:]]), sweep, n_jobs=1)
    built = build(sweep)
    assert built.drawn  # the figures of new rows are drawn
    assert "6 ok" in (sweep / "report" / "index.html").read_text()


def test_a_forced_rerun_rebuilds(sweep):
    before = _page_stamp(sweep)
    sweeps.run_sweep(sweeps.load_spec("moons", overrides=SMALL), sweep, n_jobs=1, force=True)
    build(sweep)
    assert _page_stamp(sweep) != before


@pytest.mark.parametrize("which", ["index.html", "figure", "table"])
def test_a_deleted_or_edited_file_rebuilds(sweep, which):
    report = sweep / "report"
    path = {"index.html": report / "index.html",
            "figure": next((report / "figures").glob("*.png")),
            "table": next((report / "tables").glob("*.csv"))}[which]
    path.unlink()
    build(sweep)
    assert path.is_file()
    with path.open("ab") as f:  # an edit: the size changes
        f.write(b"\n")
    before = _page_stamp(sweep)
    build(sweep)
    assert _page_stamp(sweep) != before  # built again (a figure's digest keeps its file)


def test_another_version_or_option_rebuilds(sweep, monkeypatch):
    before = _page_stamp(sweep)
    monkeypatch.setattr(report_cache, "CACHE_VERSION", report_cache.CACHE_VERSION + 1)
    build(sweep)
    assert _page_stamp(sweep) != before
    monkeypatch.undo()
    build(sweep)  # stamped again under today's version
    before = _page_stamp(sweep)
    monkeypatch.setattr(report_cache, "_version", lambda package="nnsweeps": "0.0.0")
    build(sweep)
    assert _page_stamp(sweep) != before
    monkeypatch.undo()
    before = _page_stamp(sweep)
    assert build(sweep, figure_format="svg").drawn  # another option: another report
    assert _page_stamp(sweep) != before


def test_the_command_says_the_report_stands_and_rebuilds_when_it_does_not(sweep):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}

    def report():
        return subprocess.run([sys.executable, "-m", "sweeps", "report", str(sweep)],
                              capture_output=True, text=True, env=env, check=True).stdout

    assert "unchanged" in report()
    (sweep / "report" / "index.html").unlink()
    out = report()
    assert "unchanged" not in out and (sweep / "report" / "index.html").is_file()
    assert "unchanged" in report()
