"""The report directory: files referenced by index.html exist; clear errors for no results."""
import html
import re

import pandas as pd
import pytest
from results_testdata import SINE_PENDING, small_sweep

from results import build_report, load_results


def references(page):
    """Every relative src/href target of an HTML page (anchors and URLs excluded)."""
    refs = re.findall(r"""(?:src|href)=['"]([^'"#][^'"]*)['"]""", page)
    return [r for r in refs if "://" not in r]


@pytest.fixture(scope="module")
def sine_report(tmp_path_factory, sine_results):
    df, meta = sine_results
    return build_report(tmp_path_factory.mktemp("sine"), df=df, meta=meta)


@pytest.fixture(scope="module")
def moons_report(tmp_path_factory, moons_results):
    df, meta = moons_results
    return build_report(tmp_path_factory.mktemp("moons"), df=df, meta=meta)


def test_report_index_references_only_existing_files(sine_report, moons_report):
    for report in (sine_report, moons_report):
        assert report.name == "report"
        page = (report / "index.html").read_text()
        refs = references(page)
        assert refs, "the page links nothing"
        missing = [r for r in refs if not (report / r).is_file()]
        assert missing == []
        assert "not drawn" not in page


def test_sine_report_has_its_tables_and_figures(sine_report):
    page = (sine_report / "index.html").read_text()
    imgs = set(re.findall(r"<img src='([^']+)'", page))
    assert imgs == {f"figures/sine_{n}.png" for n in (
        "fit_grid", "heatmap_depth2", "heatmap_depth3", "loss_curves", "test_mse_vs_size",
        "weights")}  # no weight_stat_curves: the sweep did not record weight statistics
    for stem in ("summary", "status_counts", "failures", "pivot_sine_mse_depth2",
                 "pivot_sine_mse_depth3"):
        assert (sine_report / "tables" / f"{stem}.csv").is_file()
    assert (sine_report / "tables" / "summary.md").is_file()


def test_moons_report_has_boundaries_per_activation_and_a_comparison(moons_report):
    names = {p.name for p in (moons_report / "figures").iterdir()}
    assert {"moons_boundaries_tanh.png", "moons_boundaries_relu.png",
            "moons_boundaries_compare_depth1.png"} <= names
    assert (moons_report / "tables" / "pivot_moons_accuracy.csv").is_file()


def test_report_shows_status_counts_pending_spec_and_versions(sine_report, sine_results):
    df, meta = sine_results
    page = (sine_report / "index.html").read_text()
    assert f"{SINE_PENDING} job(s) are pending" in page
    counts = df["status"].value_counts()
    assert f"{counts['ok']} ok, {counts['diverged']} diverged, {counts['failed']} failed" in page
    assert html.escape(meta["spec"].splitlines()[0], quote=True) in page
    assert f"<th>numpy</th><td>{meta['versions']['numpy']}</td>" in page
    # The failures table shows the first line of the worker's error (numpy refusing seed -1).
    error = df.loc[df["status"] == "failed", "error"].iloc[0]
    assert error.startswith("ValueError") and html.escape(error.splitlines()[0]) in page


def test_report_facets_a_varying_axis_in_one_figure_of_each_kind(tmp_path):
    small_sweep(tmp_path, "sine-act", "sine", [(3,), (4, 4), (4, 6), (6, 4), (4, 4, 4)],
                activation=["tanh", "relu"], lr=0.02, epochs=100)
    report = build_report(tmp_path)
    names = {p.name for p in (report / "figures").glob("*.png")}
    # A panel, a row of heatmaps or a colour per activation: never a figure per activation.
    assert names == {f"sine_{n}.png" for n in (
        "fit_grid", "heatmap_depth2", "heatmap_depth3", "loss_curves", "test_mse_vs_size",
        "weights")}
    page = (report / "index.html").read_text()
    assert "not drawn" not in page and "Split by" not in page
    pivot = pd.read_csv(report / "tables" / "pivot_sine_mse_depth2.csv")
    assert set(pivot["activation"]) == {"tanh", "relu"}


def test_rebuilding_a_report_drops_stale_figures(tmp_path, sine_results):
    df, meta = sine_results
    stale = tmp_path / "report" / "figures" / "old_figure.png"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"")
    build_report(tmp_path, df=df[df["depth"] == 1], meta=meta)
    assert not stale.exists()
    assert (tmp_path / "report" / "figures" / "sine_fit_grid.png").is_file()


def test_missing_directory_is_a_clear_error(tmp_path):
    missing = tmp_path / "no_such_sweep"
    with pytest.raises(FileNotFoundError, match="no_such_sweep"):
        build_report(missing)


def test_empty_directory_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match=re.escape(str(tmp_path))):
        load_results(tmp_path)


def test_store_without_finished_jobs_is_a_clear_error(tmp_path):
    from sweeps.store import Store

    Store.open(tmp_path, create=True).close()
    with pytest.raises(ValueError, match="no finished jobs"):
        build_report(tmp_path)


def test_empty_frame_is_a_clear_error(tmp_path, sine_df):
    with pytest.raises(ValueError, match="empty"):
        build_report(tmp_path, df=sine_df.iloc[:0], meta={})
