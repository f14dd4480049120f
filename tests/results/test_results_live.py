"""A report that is alive: the log-scale rule, facets instead of separate figures, the split
of a figure too large to read, figures reused while their data is unchanged, and
``sweeps report --watch`` following a real running sweep."""
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from results_testdata import run, small_sweep, spec_from_toml
from sweep_helpers import rows, slow_spec, start_run, wait_for_rows

import sweeps
from results import build_report, metric_vs_size
from results.figure_plan import plan_figures
from results.figures.facets import MAX_SIDE, facet_split
from results.figures.layout import value_scale
from results.frame import prepare
from results.report import build
from results.report_cache import figure_digest

RUNNING = re.compile(r"running: (\d+) of (\d+) jobs done")
REFRESH = "http-equiv='refresh'"


# -- one log-scale rule -------------------------------------------------------------------
@pytest.mark.parametrize("values, metric, scale", [
    ([0.01, 0.02, 0.5], None, "log"),            # 50x: more than a decade
    ([0.1, 0.5, 0.9], None, "linear"),           # 9x
    ([0.1, 1.0], None, "linear"),                # exactly a decade is not more
    ([0.1, 1.01], None, "log"),
    ([0.0, 0.001, 1.0], None, "linear"),         # a zero: a log axis cannot place it
    ([-1.0, 0.01, 10.0], None, "linear"),        # a negative value
    ([np.nan, np.inf, 0.01, 1.0], None, "log"),  # non-finite values are left out
    ([5.0], None, "linear"),
    ([0.05, 0.95], None, "log"),
    ([0.05, 0.95], "test_accuracy", "linear"),   # accuracies live on [0, 1]
])
def test_value_scale_is_log_when_positive_values_span_more_than_a_decade(values, metric,
                                                                          scale):
    assert value_scale(values, metric=metric) == scale


def test_metric_vs_size_axis_follows_the_rule_on_real_results(sine_df):
    ok = sine_df[sine_df["status"] == "ok"]
    means = ok.groupby("config_id")[["test_mse", "train_mse"]].mean().to_numpy()
    expected = "log" if means.max() / means.min() > 10 else "linear"
    fig = metric_vs_size(sine_df)
    assert fig.axes[0].get_yscale() == expected
    assert metric_vs_size(sine_df, logy=False).axes[0].get_yscale() == "linear"


# -- facets, not separate figures -----------------------------------------------------------
OPTIMIZER_L2 = """name = "sine-ol2"
task = "sine"
[params]
lr = 0.05
epochs = 30
[[grid]]
hidden = [[3], [4, 4]]
optimizer = ["adam", "gd"]
l2 = [0.0, 0.01]
seed = 0
"""


@pytest.fixture(scope="module")
def optimizer_l2(tmp_path_factory):
    """(out, df): sine, 2 architectures x optimizer (adam, gd) x l2 (0, 0.01), one seed."""
    out = tmp_path_factory.mktemp("optimizer-l2")
    run(spec_from_toml(OPTIMIZER_L2), out)
    return out, sweeps.load(out)


def test_optimizer_x_l2_is_one_figure_with_a_panel_per_pair(optimizer_l2):
    out, df = optimizer_l2
    report = build_report(out)
    pngs = [p.name for p in (report / "figures").glob("*.png")]
    for kind in ("loss_curves", "test_mse_vs_size", "weights"):
        assert [p for p in pngs if p.startswith(f"sine_{kind}")] == [f"sine_{kind}.png"]
    # The fit grid's panels are architectures: optimizer colours them, l2 splits them.
    assert sorted(p for p in pngs if p.startswith("sine_fit_grid")) == [
        "sine_fit_grid_l2-0.0.png", "sine_fit_grid_l2-0.01.png"]
    page = (report / "index.html").read_text()
    assert "Split by l2: one figure per value, as optimizer already facets it." in page
    fig = metric_vs_size(df, col="optimizer", row="l2")
    shown = [ax for ax in fig.axes if ax.get_visible()]
    pairs = {f"l2 = {l2} | optimizer = {opt}" for opt, l2 in
             df[["optimizer", "l2"]].drop_duplicates().itertuples(index=False)}
    assert len(pairs) == 4 and {ax.get_title() for ax in shown} == pairs


def test_a_missing_value_is_a_facet_of_its_own(tmp_path):
    # batch_size None is the full batch: a value, not a gap, for a row or a split.
    df, _ = small_sweep(tmp_path, "sine-bs", "sine", [(3,), (4, 4)], seeds=(0,),
                        batch_size=[None, 8], optimizer=["adam", "gd"], epochs=5)
    fig = metric_vs_size(df, col="optimizer", row="batch_size")
    titles = {ax.get_title() for ax in fig.axes if ax.get_visible()}
    assert titles == {f"batch_size = {b} | optimizer = {o}" for b in (8, None)
                      for o in ("adam", "gd")}
    fits = [f for f in plan_figures(prepare(df)) if f.name.startswith("sine_fit_grid")]
    assert {f.name: len(f.df) for f in fits} == {"sine_fit_grid_batch_size-8": 4,
                                                 "sine_fit_grid_batch_size-None": 4}


def test_a_grid_too_large_to_read_is_split_by_a_named_axis_with_a_note(tmp_path):
    lrs = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1]  # 7 > MAX_SIDE rows
    assert len(lrs) > MAX_SIDE
    df, _ = small_sweep(tmp_path, "sine-lr", "sine", [(3,)], seeds=(0,),
                        optimizer=["adam", "gd"], lr=lrs, epochs=5)
    facets, split, note = facet_split(df, ["optimizer", "lr"], slots=2)
    assert (facets, split) == (["optimizer"], ["lr"])
    assert note == ("Split by lr: one figure per value, as 2 optimizer x 7 lr would be more "
                    "panels than a figure shows readably (at most 6 x 6).")
    # One axis alone wraps: 7 values fit one figure; not when the figure cannot wrap.
    assert facet_split(df, ["lr"], slots=2)[:2] == (["lr"], [])
    assert facet_split(df, ["lr"], slots=1, wrap=False)[:2] == ([], ["lr"])
    # The report draws what the rule says: one loss-curve figure per value of lr, each
    # with a panel per optimizer, the note before the first.
    figure = [f for f in plan_figures(df) if f.name.startswith("sine_loss_curves")]
    assert [f.name for f in figure] == [f"sine_loss_curves_lr-{lr}" for lr in lrs]
    assert [f.options["col"] for f in figure] == ["optimizer"] * len(lrs)
    assert [f.note for f in figure] == [note] + [None] * (len(lrs) - 1)


# -- figures reused while their data is unchanged --------------------------------------------
def _mtimes(report):
    return {p.name: p.stat().st_mtime_ns for p in (report / "figures").glob("*.png")}


def test_the_digest_of_a_figure_follows_its_rows_not_their_order(sine_df):
    def digest(df, **options):
        return figure_digest(metric_vs_size, df, options, "png")

    base = digest(sine_df)
    assert digest(sine_df.sample(frac=1.0, random_state=0)) == base  # rows finish in any order
    assert digest(sine_df, hue="depth") != base  # options are part of the key
    assert figure_digest(metric_vs_size, sine_df, {}, "svg") != base
    changed = sine_df.copy()
    i = next(i for i, w in enumerate(changed["weights"]) if w is not None)
    first, *rest = changed["weights"].iloc[i]
    weights = [first.copy(), *rest]
    weights[0][0, 0] += 1e-12  # one weight of one job, a hair apart
    changed["weights"] = [weights if j == i else w for j, w in enumerate(changed["weights"])]
    assert digest(changed) != base
    assert digest(sine_df.iloc[1:]) != base


def test_a_rebuild_redraws_only_the_figures_whose_rows_changed(optimizer_l2, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(optimizer_l2[0], out, ignore=shutil.ignore_patterns("report"))
    first = build(out)
    before = _mtimes(first.path)
    assert sorted(first.drawn) == sorted(p[:-4] for p in before) and not first.reused
    time.sleep(0.05)  # a file written again would get a later mtime
    second = build(out)
    assert second.drawn == [] and sorted(second.reused) == sorted(first.drawn)
    assert _mtimes(second.path) == before
    # One more seed of (4, 4) adam at l2 = 0: the figures split by l2 keep their l2 = 0.01
    # half; every figure that holds the new row is drawn again, and only those.
    spec = (f"{OPTIMIZER_L2}\n[[grid]]\nhidden = [[4, 4]]\noptimizer = \"adam\"\n"
            "l2 = 0.0\nseed = [1]\n")
    run(spec_from_toml(spec), out)
    third = build(out)
    after = _mtimes(third.path)
    changed = {name[:-4] for name in after if after[name] != before.get(name)}
    assert set(after) == set(before) and changed == set(third.drawn)
    assert changed == {"sine_loss_curves", "sine_test_mse_vs_size", "sine_weights",
                       "sine_fit_grid_l2-0.0", "sine_heatmap_depth2_l2-0.0"}


# -- sweeps report --watch against a real running sweep ------------------------------------
def _running_count(page):
    text = page.read_text() if page.is_file() else ""
    found = RUNNING.search(text)
    return (int(found[1]), int(found[2]), REFRESH in text) if found else None


def _start_watch(out):
    """``python -m sweeps report OUT --watch --every 1`` in a subprocess."""
    return subprocess.Popen([sys.executable, "-m", "sweeps", "report", str(out), "--watch",
                             "--every", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def test_watch_follows_a_running_sweep_and_exits_when_it_ends(tmp_path):
    out = tmp_path / "out"
    sweep = start_run(slow_spec(tmp_path, n_groups=40, epochs=20000), out, "--jobs", "1")
    watch = None
    try:
        wait_for_rows(out, 1, sweep)
        watch = _start_watch(out)
        page, seen, deadline = out / "report" / "index.html", [], time.monotonic() + 90
        while time.monotonic() < deadline and (len(seen) < 2 or seen[-1] <= seen[0]):
            state = _running_count(page)
            if state and (not seen or state[0] != seen[-1]):
                done, planned, reloads = state
                assert planned == 40 and reloads  # reloads itself while the run goes
                seen.append(done)
            assert watch.poll() is None, watch.communicate()
            time.sleep(0.2)
        assert len(seen) >= 2 and seen[-1] > seen[0], seen
        sweep.send_signal(signal.SIGINT)  # the run ends (interrupted): the watch follows
        assert sweep.wait(timeout=60) == 130
        stdout, stderr = watch.communicate(timeout=60)
        assert watch.returncode == 0, stderr
    finally:
        for proc in (sweep, watch):
            if proc is not None and proc.poll() is None:
                proc.kill()
    final = page.read_text()
    assert REFRESH not in final and not RUNNING.search(final)
    stored = len(rows(out))
    assert f"Jobs: {stored} ok" in final
    assert "run interrupted" in stdout and stdout.rstrip().endswith("index.html")


def test_ctrl_c_stops_a_watch_and_run_report_writes_the_report_when_interrupted(tmp_path):
    out = tmp_path / "out"
    sweep = start_run(slow_spec(tmp_path, n_groups=40, epochs=20000), out, "--jobs", "1",
                      "--report")
    watch = None
    try:
        wait_for_rows(out, 1, sweep)
        watch = _start_watch(out)
        page, deadline = out / "report" / "index.html", time.monotonic() + 60
        while not (_running_count(page) or (0, 0, False))[2]:
            assert time.monotonic() < deadline and watch.poll() is None
            time.sleep(0.1)
        watch.send_signal(signal.SIGINT)
        _, stderr = watch.communicate(timeout=60)
        assert watch.returncode == 130
        assert stderr.strip() == "sweeps report: interrupted"  # one line, no traceback
        stopped = page.read_text()
        assert REFRESH not in stopped and "The watch stopped at" in stopped
        assert sweep.poll() is None  # the run goes on
        sweep.send_signal(signal.SIGINT)
        stdout, stderr = sweep.communicate(timeout=120)
    finally:
        for proc in (sweep, watch):
            if proc is not None and proc.poll() is None:
                proc.kill()
    assert sweep.returncode == 130, stderr
    final = page.read_text()
    assert f"Jobs: {len(rows(out))} ok" in final and REFRESH not in final
    assert not RUNNING.search(final)
    assert f"report: {page}" in stdout


def test_every_without_watch_is_a_usage_error(tmp_path):
    done = subprocess.run([sys.executable, "-m", "sweeps", "report", str(tmp_path),
                           "--every", "5"], capture_output=True, text=True, check=False,
                          env={**os.environ})
    assert done.returncode == 2 and "--every needs --watch" in done.stderr
