"""Tables: shapes, hand-checked aggregates, failed/diverged counts, writers."""
import numpy as np
import pandas as pd
import pytest
from results_testdata import (MOONS_FAILING, MOONS_HIDDEN, SINE_DIVERGING, SINE_FAILING,
                              SINE_HIDDEN, SINE_PENDING, sine_test_mse)

from results import (grid_pivot, status_counts, summary_table, width_depth_pivot,
                     write_table)


def _raw(df, hidden, metric, activation=None, status="ok"):
    """Metric values of one config's seeds, straight from the job rows."""
    mask = (df["hidden"].map(tuple) == tuple(hidden)) & (df["status"] == status)
    if activation:
        mask &= df["activation"] == activation
    return df.loc[mask, metric].to_numpy(dtype=float)


def _row(table, hidden):
    return table[table["hidden"] == tuple(hidden)].iloc[0]


def test_summary_has_one_row_per_config_and_the_stat_columns(sine_df):
    table = summary_table(sine_df)
    assert len(table) == len(SINE_HIDDEN)
    assert table["config_id"].is_unique
    for metric in ("test_mse", "train_mse", "test_loss"):
        for stat in ("mean", "std", "min", "n"):
            assert f"{metric}_{stat}" in table
    assert "test_accuracy_mean" not in table  # no values for a regression task
    for col in ("layers", "n_params", "activation", "noise", "n_ok", "n_diverged", "n_failed"):
        assert col in table


def test_summary_mean_std_min_match_a_hand_computation(sine_df):
    table = summary_table(sine_df)
    raw = _raw(sine_df, (6, 6, 6), "test_mse")
    assert len(raw) == 3
    # The stored metric is the test MSE of the stored net, recomputed here with numpy.
    rows = sine_df[(sine_df["hidden"] == (6, 6, 6)) & (sine_df["status"] == "ok")]
    np.testing.assert_allclose(raw, [sine_test_mse(r) for _, r in rows.iterrows()],
                               rtol=1e-9)
    row = _row(table, (6, 6, 6))
    assert row["test_mse_mean"] == pytest.approx(raw.sum() / 3, rel=1e-12)
    assert row["test_mse_std"] == pytest.approx(np.sqrt(((raw - raw.mean()) ** 2).sum() / 2))
    assert row["test_mse_min"] == raw.min()
    assert row["test_mse_n"] == 3


def test_failed_and_diverged_jobs_are_counted_not_dropped(sine_df):
    table = summary_table(sine_df)
    all_failed = _row(table, SINE_FAILING)
    assert (all_failed["n_ok"], all_failed["n_failed"], all_failed["n_seeds"]) == (0, 3, 3)
    assert np.isnan(all_failed["test_mse_mean"]) and all_failed["test_mse_n"] == 0
    assert all_failed["layers"] == "[1,3,1]"  # the failed config keeps its identity columns
    diverged = _row(table, SINE_DIVERGING)
    assert (diverged["n_ok"], diverged["n_diverged"], diverged["n_seeds"]) == (0, 3, 3)
    # Training stopped early and the diverged seeds have non-finite metrics of their own;
    # none enters the mean.
    assert (_raw(sine_df, SINE_DIVERGING, "epochs_run", status="diverged") < 300).all()
    assert not np.isfinite(_raw(sine_df, SINE_DIVERGING, "test_mse", status="diverged")).any()
    assert np.isnan(diverged["test_mse_mean"]) and diverged["test_mse_n"] == 0
    assert table[["n_ok", "n_diverged", "n_failed"]].to_numpy().sum() == len(sine_df)


def test_a_failed_seed_does_not_enter_the_mean_of_the_ok_ones(moons_df):
    hidden, activation = MOONS_FAILING
    table = summary_table(moons_df)
    row = table[(table["hidden"] == hidden) & (table["activation"] == activation)].iloc[0]
    assert (row["n_ok"], row["n_failed"], row["n_seeds"]) == (3, 1, 4)
    ok = _raw(moons_df, hidden, "test_accuracy", activation=activation)
    assert row["test_accuracy_mean"] == pytest.approx(ok.mean())
    assert row["test_accuracy_n"] == 3


def test_summary_sorts_by_a_metric(sine_df, moons_df):
    by_mse = summary_table(sine_df, sort_by="test_mse")["test_mse_mean"]
    finite = by_mse.dropna().to_numpy()
    assert np.all(np.diff(finite) >= 0) and by_mse.isna().iloc[-1]
    by_acc = summary_table(moons_df, sort_by="test_accuracy")["test_accuracy_mean"].dropna()
    assert np.all(np.diff(by_acc.to_numpy()) <= 0)
    with pytest.raises(ValueError, match="cannot sort"):
        summary_table(sine_df, sort_by="no_such_metric")


def test_summary_default_order_is_depth_then_widths(sine_df):
    order = summary_table(sine_df)["hidden"].tolist()
    assert order == sorted(SINE_HIDDEN, key=lambda h: (len(h), h))


def test_varying_only_keeps_what_differs(moons_df):
    table = summary_table(moons_df, varying_only=True)
    assert "activation" in table and "layers" in table
    assert "task" not in table and "optimizer" not in table and "noise" not in table


def test_grid_pivot_depth2_is_i_by_j(sine_df):
    table = grid_pivot(sine_df, depth=2)
    assert table.index.tolist() == [3, 6] and table.columns.tolist() == [3, 6]
    assert table.loc[6, 3] == pytest.approx(_raw(sine_df, (6, 3), "test_mse").mean())
    assert table.loc[3, 6] == pytest.approx(_raw(sine_df, (3, 6), "test_mse").mean())


def test_grid_pivot_depth3_stacks_one_block_per_k(sine_df):
    table = grid_pivot(sine_df, depth=3)
    assert table.index.names == ["k", "i"] and table.shape == (4, 2)
    # [1, i=3, j=6, k=5...]: hidden (i, j, k) = (3, 6, 6) sits in block k=6, row i=3, column j=6
    assert table.loc[(6, 3), 6] == pytest.approx(_raw(sine_df, (3, 6, 6), "test_mse").mean())


def test_grid_pivot_keeps_all_failed_configs_as_nan(sine_df):
    table = grid_pivot(sine_df, depth=1)
    assert table.index.tolist() == [3, 6, 64]
    assert np.isnan(table.loc[3, "test_mse"])  # failed
    assert np.isnan(table.loc[64, "test_mse"])  # diverged
    assert table.loc[6, "test_mse"] == pytest.approx(_raw(sine_df, (6,), "test_mse").mean())


def test_grid_pivot_refuses_to_mix_activations(moons_df):
    with pytest.raises(ValueError, match="activation"):
        grid_pivot(moons_df, depth=2, metric="test_accuracy")
    blocks = grid_pivot(moons_df, depth=2, metric="test_accuracy", by="activation")
    assert set(blocks.index.get_level_values("activation")) == {"relu", "tanh"}


def test_width_depth_pivot_has_one_block_per_activation(moons_df):
    table = width_depth_pivot(moons_df)
    assert table.index.names == ["activation", "depth"]
    assert len(table) == 2 * 2 and table.columns.tolist() == [3, 6, 9]
    raw = _raw(moons_df, (9, 9), "test_accuracy", activation="relu")
    assert len(raw) == 3  # the fourth job of this config (seed -1) failed
    assert table.loc[("relu", 2), 9] == pytest.approx(raw.mean())
    widths = {h[0] for h in MOONS_HIDDEN}
    assert set(table.columns) == widths


def test_status_counts_overall_and_by_group(sine_results):
    sine_df, meta = sine_results
    pending = meta["counts"]["pending"]
    assert pending == SINE_PENDING
    counts = status_counts(sine_df, pending=pending)
    expected = sine_df["status"].value_counts()
    assert counts.loc["all", "ok"] == expected["ok"] == 3 * (len(SINE_HIDDEN) - 2)
    assert counts.loc["all", "failed"] == 3 and counts.loc["all", "diverged"] == 3
    assert counts.loc["all", "pending"] == SINE_PENDING
    assert counts.loc["all", "total"] == len(sine_df) + SINE_PENDING == meta["planned"]
    by_depth = status_counts(sine_df, by="depth")
    assert by_depth["total"].sum() == len(sine_df)
    assert by_depth.loc["1", "failed"] == 3 and by_depth.loc["1", "diverged"] == 3
    assert by_depth.loc[["2", "3"], ["failed", "diverged"]].to_numpy().sum() == 0


def test_write_table_writes_csv_markdown_and_html(tmp_path, sine_df):
    table = summary_table(sine_df).drop(columns="hidden")
    files = write_table(table, tmp_path / "sub" / "summary")
    assert set(files) == {"csv", "md", "html"} and all(p.exists() for p in files.values())
    back = pd.read_csv(files["csv"])
    assert back.shape == table.shape
    assert np.allclose(back["test_mse_mean"], table["test_mse_mean"], equal_nan=True)
    md = files["md"].read_text()
    header = [c.strip() for c in md.splitlines()[0].strip("|").split("|")]
    assert header == list(table.columns) and "[1,6,6,6,1]" in md
    assert "<table" in files["html"].read_text()
    with pytest.raises(ValueError, match="format"):
        write_table(table, tmp_path / "x", formats=("xlsx",))


def test_write_table_keeps_dots_in_the_stem(tmp_path, sine_df):
    files = write_table(status_counts(sine_df), tmp_path / "counts_lr-0.01", formats=("csv",))
    assert files["csv"].name == "counts_lr-0.01.csv" and files["csv"].is_file()


def test_pivot_is_written_with_its_index(tmp_path, sine_df):
    files = write_table(grid_pivot(sine_df, depth=3), tmp_path / "pivot")
    back = pd.read_csv(files["csv"])
    assert list(back.columns[:2]) == ["k", "i"]


def test_empty_frame_is_a_clear_error(sine_df):
    with pytest.raises(ValueError, match="empty"):
        summary_table(sine_df.iloc[:0])


def test_intervals_are_clipped_to_the_metric_range_as_in_the_figures(moons_df, sine_df):
    """Two seeds at 1.0 and 0.8 give a t interval reaching above 1: the table stops at 1;
    errors near 0 with a wide spread stop at 0. Reference: scipy's t quantile."""
    from scipy import stats

    df = moons_df.copy()
    hidden = (3,)
    mask = (df["hidden"] == hidden) & (df["activation"] == "tanh") & (df["status"] == "ok")
    seeds = df.index[mask]
    df.loc[seeds, "test_accuracy"] = [1.0, 0.8, 1.0][:len(seeds)]
    values = df.loc[seeds, "test_accuracy"].to_numpy(dtype=float)
    half = stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    assert values.mean() + half > 1  # the unclipped interval leaves [0, 1]
    table = summary_table(df)
    row = table[(table["hidden"] == hidden) & (table["activation"] == "tanh")].iloc[0]
    assert row["test_accuracy_ci_high"] == 1.0
    assert row["test_accuracy_ci_low"] == pytest.approx(values.mean() - half)
    assert (table["test_accuracy_ci_high"].dropna() <= 1).all()
    assert (table["test_accuracy_ci_low"].dropna() >= 0).all()

    sine = sine_df.copy()
    rows = sine.index[(sine["hidden"] == (6, 6, 6)) & (sine["status"] == "ok")]
    sine.loc[rows, "test_mse"] = [0.001, 0.5, 0.002]
    low = summary_table(sine).set_index("layers").loc["[1,6,6,6,1]", "test_mse_ci_low"]
    assert low == 0.0
