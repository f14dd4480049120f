"""From numbers to conclusions: intervals over seeds (against scipy), choosing on
validation (never on test), and reports that build for every valid sweep."""
import html
import re

import numpy as np
import pandas as pd
import pytest
from results_testdata import small_sweep
from scipy import stats

from results import best_configs, best_text, build_report, metric_vs_size, summary_table
from sweeps.schema import example_frame

# -- intervals over seeds ----------------------------------------------------------------


def test_summary_interval_is_scipys_student_t_interval(moons_df):
    table = summary_table(moons_df)
    ok = moons_df[moons_df["status"] == "ok"]
    for (activation, hidden), rows in ok.groupby(["activation", ok["hidden"].map(tuple)]):
        values = rows["test_accuracy"].to_numpy()
        (row,) = [r for _, r in table.iterrows()
                  if r["activation"] == activation and r["hidden"] == hidden]
        assert row["test_accuracy_n"] == len(values)
        if values.std() == 0:  # every seed equal: scipy gives NaN, the interval is a point
            assert row["test_accuracy_ci_low"] == row["test_accuracy_ci_high"] == values[0]
        else:
            low, high = stats.t.interval(0.95, len(values) - 1, loc=values.mean(),
                                         scale=stats.sem(values))
            low, high = np.clip([low, high], 0, 1)  # an accuracy's range, as the figures
            assert row["test_accuracy_ci_low"] == pytest.approx(low, rel=1e-12)
            assert row["test_accuracy_ci_high"] == pytest.approx(high, rel=1e-12)
    assert "note" not in table.attrs


def test_one_seed_has_no_interval_and_the_table_says_so(moons_df):
    one = moons_df[moons_df["seed"] == 0]
    table = summary_table(one)
    assert table["val_accuracy_ci_low"].isna().all() and table["val_accuracy_n"].eq(1).all()
    assert "one seed" in table.attrs["note"]


def test_size_figure_draws_each_configs_interval(moons_df):
    fig = metric_vs_size(moons_df[moons_df["activation"] == "tanh"], metric="val_accuracy",
                         show_train=False)
    ax = [a for a in fig.axes if a.has_data()][0]
    segments = np.concatenate([c.get_segments() for c in ax.collections
                               if hasattr(c, "get_segments")])
    ok = moons_df[(moons_df["status"] == "ok") & (moons_df["activation"] == "tanh")]
    expected = []
    for _, rows in ok.groupby(ok["hidden"].map(tuple)):
        values = rows["val_accuracy"].to_numpy()
        if values.std() > 0:
            low, high = stats.t.interval(0.95, len(values) - 1, loc=values.mean(),
                                         scale=stats.sem(values))
            expected.append((max(low, 0.0), min(high, 1.0)))  # an accuracy's range
    drawn = sorted((s[0, 1], s[1, 1]) for s in segments if s[0, 1] != s[1, 1])
    np.testing.assert_allclose(drawn, sorted(expected), rtol=1e-12)
    labels = [t.get_text() for legend in fig.legends for t in legend.get_texts()]
    assert any("95% CI over seeds" in label for label in labels)


def test_size_figure_clips_an_interval_to_the_metrics_range(moons_df):
    """Two seeds at 0.5 and 1.0: the t interval is 0.75 +- 12.7 * 0.25 = [-2.43, 3.93]."""
    one = moons_df[(moons_df["status"] == "ok") & (moons_df["activation"] == "tanh")]
    config = one["config_id"].iloc[0]
    rows = one[one["config_id"] == config].head(2).copy()
    rows["val_accuracy"] = [0.5, 1.0]
    fig = metric_vs_size(rows, metric="val_accuracy", show_train=False)
    ax = [a for a in fig.axes if a.has_data()][0]
    (segment,) = np.concatenate([c.get_segments() for c in ax.collections
                                 if hasattr(c, "get_segments")])
    low, high = stats.t.interval(0.95, 1, loc=0.75, scale=0.25)
    np.testing.assert_allclose([low, high], [-2.4266, 3.9266], atol=1e-4)  # by hand
    np.testing.assert_allclose(segment[:, 1], [0.0, 1.0])
    assert -0.1 < ax.get_ylim()[0] and ax.get_ylim()[1] < 1.1


# -- choosing on validation --------------------------------------------------------------

def _hand_frame():
    """Three configs, two seeds: the best on validation (B) is not the best on test (C)."""
    values = {"A": ([0.80, 0.82], [0.80, 0.80]), "B": ([0.90, 0.88], [0.85, 0.87]),
              "C": ([0.85, 0.85], [0.95, 0.93])}
    rows = []
    for i, (name, (val, test)) in enumerate(values.items()):
        for seed in (0, 1):
            rows.append({"key": f"{name}{seed}", "config_id": name, "task": "moons",
                         "hidden": (i + 3,), "layers": f"[2,{i + 3},2]", "depth": 1,
                         "n_params": 5 * i + 17, "activation": "tanh", "seed": seed,
                         "status": "ok", "val_accuracy": val[seed],
                         "test_accuracy": test[seed]})
    return example_frame(rows)


def test_best_is_chosen_on_validation_and_reports_the_test_estimate():
    table = best_configs(_hand_frame())
    assert list(table["layers"]) == ["[2,4,2]", "[2,5,2]", "[2,3,2]"]  # B, C, A
    assert table.attrs["by"] == "val_accuracy" and table.attrs["test"] == "test_accuracy"
    top = table.iloc[0]
    assert top["val_accuracy_mean"] == pytest.approx(0.89)
    assert top["test_accuracy_mean"] == pytest.approx(0.86)
    low, high = stats.t.interval(0.95, 1, loc=0.86, scale=stats.sem([0.85, 0.87]))
    assert (top["test_accuracy_ci_low"], top["test_accuracy_ci_high"]) == (
        pytest.approx(low), pytest.approx(high))
    text = best_text(table)
    assert text.splitlines()[0] == (
        "Best configuration chosen on validation accuracy: [2,4,2]; test accuracy "
        f"0.86 ± {high - 0.86:.2g} (95% CI over 2 seeds).")


def test_an_interval_past_zero_is_shown_clipped_not_as_plus_minus():
    # two seeds' test MSE 0.01 and 0.3: the t interval reaches about -1.7, an MSE cannot
    rows = [{"key": f"s{seed}", "config_id": "A", "task": "sine", "kind": "regression",
             "n_in": 1, "hidden": (3,),
             "layers": "[1,3,1]", "depth": 1, "n_params": 10, "activation": "tanh",
             "seed": seed, "status": "ok", "val_mse": 0.1 + seed, "test_mse": mse}
            for seed, mse in enumerate([0.01, 0.3])]
    table = best_configs(example_frame(rows))
    _, high = stats.t.interval(0.95, 1, loc=0.155, scale=stats.sem([0.01, 0.3]))
    assert best_text(table).splitlines()[0] == (
        f"Best configuration chosen on validation MSE: [1,3,1]; test MSE 0.155 [0, {high:.2g}] "
        "(95% CI over 2 seeds, clipped to the metric's range).")


def test_a_missing_metric_names_the_ones_the_sweep_has():
    rows = [{"key": f"s{seed}", "config_id": "A", "seed": seed, "val_loss": 0.5}
            for seed in (0, 1)]
    with pytest.raises(ValueError, match="no ok job has 'val_accuracy'; this sweep records "
                                         "val_loss$"):
        best_configs(example_frame(rows))


@pytest.mark.parametrize("metric", ["test_accuracy", "train_accuracy"])
def test_nothing_ranks_by_a_test_or_training_metric(metric):
    with pytest.raises(ValueError, match="validation metric"):
        best_configs(_hand_frame(), by=metric)


def test_the_reports_headline_names_the_validation_best(tmp_path):
    df = _hand_frame()
    report = build_report(tmp_path, df=df, meta={"name": "hand"})
    page = html.unescape((report / "index.html").read_text())
    headline = re.search(r"class='headline'>([^<]*)<", page).group(1)
    assert headline.startswith("Best configuration chosen on validation accuracy: [2,4,2];")
    assert "[2,5,2]" not in headline  # the test-best config is not the one named


def test_best_of_a_real_sweep_is_the_validation_argmax(moons_df):
    table = best_configs(moons_df, top=3)
    ok = moons_df[moons_df["status"] == "ok"]
    means = ok.groupby(["activation", ok["hidden"].map(tuple)])["val_accuracy"].mean()
    expected = means.sort_values(ascending=False, kind="stable").head(3)
    assert [(r["activation"], r["layers"]) for _, r in table.iterrows()] == [
        (a, "[2," + ",".join(map(str, h)) + ",2]") for a, h in expected.index]
    np.testing.assert_allclose(table["val_accuracy_mean"], expected.to_numpy())


# -- reports that never crash on a valid sweep -------------------------------------------

def _admissions(path, n=120):
    rng = np.random.default_rng(1)
    pd.DataFrame({"admit": rng.integers(0, 2, n), "gre": rng.integers(200, 801, n),
                  "gpa": rng.uniform(2.0, 4.0, n).round(2),
                  "rank": np.resize([1, 2, 3, 4], n)}).to_csv(path, index=False)


@pytest.mark.parametrize("target, categorical", [
    ("admit", ["rank"]),           # classification
    ("gpa", ["rank"]),             # regression
    ("admit", [[], ["rank"]]),     # the list-valued axis itself varies
])
def test_a_csv_sweeps_report_draws_every_figure(tmp_path, target, categorical):
    _admissions(tmp_path / "adm.csv")
    df, meta = small_sweep(tmp_path / "out", "adm", "csv", [(3,), (4, 4)],
                           path=str(tmp_path / "adm.csv"), target=target,
                           categorical=categorical, epochs=30)
    assert (df["status"] == "ok").all()
    report = build_report(tmp_path / "out", df=df, meta=meta)
    page = (report / "index.html").read_text()
    assert "not drawn" not in page
    figures = sorted(p.name for p in (report / "figures").iterdir())
    metric = "test_accuracy" if target == "admit" else "test_mse"
    assert "csv_loss_curves.png" in figures and f"csv_{metric}_vs_size.png" in figures
    assert "Best configuration chosen on validation" in html.unescape(page)


def test_a_single_config_single_seed_sweep_reports(tmp_path):
    df, meta = small_sweep(tmp_path, "one", "sine", [(5,)], seeds=(0,), epochs=30)
    report = build_report(tmp_path, df=df, meta=meta)
    page = html.unescape((report / "index.html").read_text())
    assert "not drawn" not in page and "one seed" in page
    assert "(one seed: no interval)" in page
