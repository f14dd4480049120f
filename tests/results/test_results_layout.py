"""Figure layout and what figures read: the y axis of the size figure, legends below the
panels, titles naming the sweep, task facts read off the frame, one aggregation path."""
import re

import numpy as np
import pytest
from scipy import stats

from results import build_report, fit_grid, grid_pivot, metric_vs_size
from results.figure_plan import plan_figures
from results.frame import per_config, prepare, task_kind


def _ok_means(df, metric):
    ok = df[df["status"] == "ok"]
    return ok.groupby("config_id")[metric].mean()


# -- the size figure's y axis --------------------------------------------------------------

def test_size_axis_spans_every_config_mean(sine_df):
    fig = metric_vs_size(sine_df)
    (ax,) = [a for a in fig.axes if a.has_data()]
    low, high = ax.get_ylim()
    for metric in ("test_mse", "train_mse"):
        means = _ok_means(sine_df, metric).dropna()
        assert low <= means.min() and means.max() <= high, metric


def test_size_axis_marks_each_interval_that_goes_on_beyond_it(sine_df):
    # A squeezed axis would hide where an interval goes: each one crossing an edge ends
    # in a triangle there. Intervals by scipy's Student t, clipped at 0 (an error).
    fig = metric_vs_size(sine_df)
    (ax,) = [a for a in fig.axes if a.has_data()]
    low, high = ax.get_ylim()
    ok = sine_df[sine_df["status"] == "ok"]
    up, down = [], []
    for _, rows in ok.groupby("config_id"):
        values = rows["test_mse"].to_numpy(dtype=float)
        if len(values) < 2 or values.std() == 0:
            continue
        a, b = stats.t.interval(0.95, len(values) - 1, loc=values.mean(),
                                scale=stats.sem(values))
        n = float(rows["n_params"].iloc[0])
        up += [n] if b > high else []
        down += [n] if max(a, 0.0) < low else []
    marks = {m: sorted(x for line in ax.get_lines() if line.get_marker() == m
                       for x in line.get_xdata()) for m in ("^", "v")}
    assert marks == {"^": sorted(up), "v": sorted(down)}


def test_size_axis_has_tick_labels_inside_it(sine_df):
    fig = metric_vs_size(sine_df)
    fig.canvas.draw()
    (ax,) = [a for a in fig.axes if a.has_data()]
    low, high = ax.get_ylim()
    shown = [t for t in ax.get_yticklabels() if t.get_text() and low <= t.get_position()[1]
             <= high]
    assert len(shown) >= 2


def test_accuracy_axis_stays_near_its_range(moons_df):
    fig = metric_vs_size(moons_df, metric="test_accuracy", hue="activation")
    (ax,) = [a for a in fig.axes if a.has_data()]
    low, high = ax.get_ylim()
    assert high <= 1.03 and low >= -0.03


def test_size_figure_says_why_training_error_sits_above_test_error(sine_df):
    train, test = _ok_means(sine_df, "train_mse"), _ok_means(sine_df, "test_mse")
    both = train.notna() & test.notna()
    above = int((train[both] > test[both]).sum())
    assert above > 0  # the sine data: noisy training points, a clean test curve
    fig = metric_vs_size(sine_df)
    note = fig.legends[0].get_title().get_text().replace("\n", " ")
    assert f"in {above} of {int(both.sum())} configs" in note and "noise-free" in note


# -- legends -------------------------------------------------------------------------------

def test_legend_sits_below_the_panels_within_the_figure(sine_df):
    fig = metric_vs_size(sine_df)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    legend = fig.legends[0].get_window_extent(renderer)
    panels = [a.get_window_extent(renderer) for a in fig.axes if a.has_data()]
    assert legend.y1 <= min(p.y0 for p in panels)
    assert legend.width <= fig.bbox.width


# -- titles --------------------------------------------------------------------------------

def test_plan_titles_name_the_sweep(sine_df):
    plan = plan_figures(prepare(sine_df), sweep="my sweep")
    assert plan and all(f.title.startswith("my sweep: ") for f in plan)
    assert all(f.options["sweep"] == "my sweep" for f in plan)
    assert {f.title.split(": ", 1)[0] for f in plan_figures(prepare(sine_df))} == {"sine"}


def test_figure_title_names_the_sweep(sine_df):
    fig = metric_vs_size(sine_df, sweep="my sweep")
    assert fig.get_suptitle().startswith("my sweep: ")


def test_report_figures_name_the_sweep_not_the_task(tmp_path, sine_results):
    df, meta = sine_results
    page = (build_report(tmp_path, df=df, meta=meta) / "index.html").read_text()
    captions = re.findall(r"<figcaption><b>([^<]+)</b>", page)
    assert captions and all(c.startswith(f"{meta['name']}: ") for c in captions)


# -- task facts come from the frame --------------------------------------------------------

def test_fit_grid_reads_the_kind_off_the_frame(sine_df):
    relabelled = sine_df.assign(kind="classification")
    with pytest.raises(ValueError, match="is classification with 1 input"):
        fit_grid(relabelled)


def test_plan_reads_the_input_width_off_the_frame(sine_df):
    names = {f.func.__name__ for f in plan_figures(prepare(sine_df))}
    assert "fit_grid" in names
    wider = {f.func.__name__ for f in plan_figures(prepare(sine_df.assign(n_in=2)))}
    assert "fit_grid" not in wider and "error_heatmaps" not in wider


def test_a_frame_without_task_facts_is_one_clear_error(sine_df):
    with pytest.raises(ValueError, match="lacks the task fact column 'kind'"):
        task_kind(sine_df.drop(columns="kind"))


# -- one aggregation path ------------------------------------------------------------------

def q90(values):
    return values.quantile(0.9)


def test_per_config_takes_a_named_function(sine_df):
    table = per_config(sine_df, ["test_mse"], stats=(q90,))
    ok = sine_df[sine_df["status"] == "ok"]
    for config_id, rows in ok.groupby("config_id"):
        expected = np.percentile(rows["test_mse"].to_numpy(dtype=float), 90)
        assert table.loc[config_id, "test_mse_q90"] == pytest.approx(expected)


def test_grid_pivot_cells_are_the_per_config_aggregate(sine_df):
    table = grid_pivot(sine_df, depth=2, metric="test_mse", agg="median")
    ok = sine_df[sine_df["status"] == "ok"]
    for hidden, rows in ok[ok["hidden"].map(len) == 2].groupby(ok["hidden"].map(tuple)):
        i, j = hidden
        assert table.loc[i, j] == pytest.approx(np.median(rows["test_mse"]))
