"""compare: configs paired on the axes that do not differ, seeds with seeds; differences
and the verdict checked by hand and against scipy."""
import numpy as np
import pytest
from results_testdata import SINE_HIDDEN, sine_test_mse, small_sweep
from scipy import stats

from results import compare, compare_plot
from sweeps.schema import example_frame

HIDDEN_B = [(6,), (3, 3), (6, 6), (9, 9)]  # (9, 9) is not in the sine fixture


@pytest.fixture(scope="module")
def sine_adam(tmp_path_factory):
    """A second real sine sweep: adam instead of the fixture's gd, seeds 0 and 1."""
    df, _ = small_sweep(tmp_path_factory.mktemp("sine-adam"), "sine-adam", "sine", HIDDEN_B,
                        activation="tanh", optimizer="adam", lr=0.03, epochs=300)
    assert (df["status"] == "ok").all()
    return df


def _mean(df, hidden, seeds):
    """Mean test MSE of a config's ok seeds among ``seeds``, recomputed from the weights."""
    rows = df[(df["hidden"].map(tuple) == hidden) & (df["status"] == "ok")
              & df["seed"].isin(seeds)]
    return np.mean([sine_test_mse(r) for _, r in rows.iterrows()])


def test_compare_pairs_on_the_axes_that_do_not_differ(sine_df, sine_adam):
    table = compare(sine_df, sine_adam, on="test_mse")
    assert table.attrs["labels"] == ("gd", "adam")
    assert set(table.attrs["differing"]) == {"optimizer", "lr"}
    assert "optimizer" not in table.attrs["keys"] and "hidden" in table.attrs["keys"]
    both = table[table["match"] == "both"]
    assert sorted(both["hidden"]) == sorted([(6,), (3, 3), (6, 6)])
    assert (table["match"] == "gd only").sum() == len(SINE_HIDDEN) - 3
    assert table.loc[table["match"] == "adam only", "hidden"].tolist() == [(9, 9)]


def test_the_difference_is_over_paired_seeds_a_minus_b(sine_df, sine_adam):
    table = compare(sine_df, sine_adam, on="test_mse")
    row = table[table["hidden"] == (6, 6)].iloc[0]
    # gd has seeds 0, 1, 2 of (6, 6), adam 0 and 1: seed 2 has no partner and is left out
    a, b = _mean(sine_df, (6, 6), [0, 1]), _mean(sine_adam, (6, 6), [0, 1])
    assert row["test_mse_gd"] == pytest.approx(a) and row["test_mse_adam"] == pytest.approx(b)
    assert row["diff"] == pytest.approx(a - b) and row["rel_diff"] == pytest.approx((a - b) / b)
    assert (row["n_gd"], row["n_adam"], row["n_paired"]) == (3, 2, 2)
    # A config without an ok seed on one side: no pair, no difference.
    failed = table[table["hidden"] == (3,)].iloc[0]
    assert failed["match"] == "gd only" and failed["n_gd"] == 0 and failed["n_paired"] == 0
    assert np.isnan(failed["diff"])
    # the verdict is over the paired configs; adam (B) has the lower error in all three
    verdict = table.attrs["verdict"]
    assert verdict["n"] == 3 and verdict["wins"] == {"gd": 0, "adam": 3}
    assert verdict["text"].startswith("gd vs adam on test_mse: adam better in 3 of 3 configs")


def test_default_metric_is_validation_and_never_one_the_task_lacks(moons_df, sine_adam):
    by_activation = compare(moons_df, by="activation")
    assert by_activation.attrs["on"] == "val_accuracy"
    assert compare(sine_adam, sine_adam.assign(optimizer="other")).attrs["on"] == "val_mse"
    with pytest.raises(ValueError, match="'test_mse' does not exist for this classification"):
        compare(moons_df, by="activation", on="test_mse")


def test_compare_inside_one_sweep_pairs_configs_and_seeds(moons_df):
    table = compare(moons_df, by="activation", values=("tanh", "relu"))
    assert table.attrs["labels"] == ("tanh", "relu")
    assert set(table.attrs["differing"]) == {"activation"}
    ok = moons_df[moons_df["status"] == "ok"]
    for _, row in table.iterrows():
        hidden = row["hidden"]
        tanh = ok[(ok["activation"] == "tanh") & (ok["hidden"].map(tuple) == hidden)]
        relu = ok[(ok["activation"] == "relu") & (ok["hidden"].map(tuple) == hidden)]
        merged = tanh.merge(relu, on="seed", suffixes=("_t", "_r"))
        assert row["n_paired"] == len(merged) == 3
        assert row["diff"] == pytest.approx(
            (merged["val_accuracy_t"] - merged["val_accuracy_r"]).mean())
    with pytest.raises(ValueError, match="values"):
        compare(moons_df, by="activation", values=("tanh", "sigmoid"))


def test_two_sides_that_differ_in_more_than_the_named_axes_are_refused(sine_df, sine_adam):
    with pytest.raises(ValueError, match="differ in lr as well as in optimizer"):
        compare(sine_df, sine_adam, by="optimizer", on="test_mse")
    assert compare(sine_df, sine_adam, by=["optimizer", "lr"], on="test_mse").attrs["verdict"]


def test_compare_with_explicit_labels_and_keys(sine_df, sine_adam):
    table = compare(sine_df, sine_adam, keys=["hidden"], labels=("A", "B"), on="test_mse")
    assert {"test_mse_A", "test_mse_B", "n_A", "n_B"} <= set(table.columns)
    with pytest.raises(ValueError, match="different"):
        compare(sine_df, sine_adam, labels=("x", "x"))


def test_compare_refuses_an_ambiguous_join(moons_df):
    renamed = moons_df.assign(activation=moons_df["activation"].map(
        {"tanh": "sigmoid", "relu": "identity"}))
    with pytest.raises(ValueError, match="not unique"):
        compare(moons_df, renamed, on="test_accuracy")


# -- the verdict on a hand-built pair of sweeps ------------------------------------------

def _frame(values, optimizer):
    """A results frame written out by hand: config i, seeds 0..k-1, val_accuracy values."""
    rows = []
    for i, seeds in enumerate(values):
        for seed, value in enumerate(seeds):
            rows.append({"key": f"{optimizer}{i}-{seed}", "config_id": f"{optimizer}{i}",
                         "task": "moons", "hidden": (i + 3,), "layers": f"[2,{i + 3},2]",
                         "depth": 1, "n_params": 5 * i + 17, "activation": "tanh",
                         "optimizer": optimizer, "seed": seed, "status": "ok",
                         "val_accuracy": value, "test_accuracy": value})
    return example_frame(rows)


A = [[0.9, 0.8], [0.7, 0.7], [0.6, 0.5], [0.9, 0.9], [0.8, 0.6], [0.75, 0.85]]
B = [[0.8, 0.8], [0.7, 0.7], [0.7, 0.6], [0.5, 0.6], [0.6, 0.5], [0.70, 0.70]]


def test_wins_ties_and_losses_counted_by_hand():
    table = compare(_frame(A, "adam"), _frame(B, "adagrad"))
    # per config (mean of A's seeds - mean of B's seeds over the paired seeds):
    # +0.05, 0, -0.1, +0.35, +0.15, +0.10: adam wins 4, loses 1, ties 1
    diffs = [0.05, 0.0, -0.1, 0.35, 0.15, 0.10]
    np.testing.assert_allclose(sorted(table["diff"]), sorted(diffs), atol=1e-12)
    v = table.attrs["verdict"]
    assert v["wins"] == {"adam": 4, "adagrad": 1} and v["ties"] == 1 and v["n"] == 6
    assert v["winner"] == "adam" and v["median"] == pytest.approx(np.median(diffs))
    assert table["diff"].iloc[0] == pytest.approx(0.35)  # A's largest advantage first
    # the p-value is scipy's Wilcoxon signed-rank test on the same paired differences
    assert v["p_value"] == pytest.approx(stats.wilcoxon(table["diff"]).pvalue, rel=1e-12)
    assert v["ci_low"] <= v["median"] <= v["ci_high"]
    assert v["text"].startswith("adam vs adagrad on val_accuracy: adam better in 4 of 6 "
                                "configs (1 ties); median difference adam - adagrad +0.075")


def test_a_lower_is_better_metric_turns_the_wins_around():
    errors_a, errors_b = _frame(A, "adam"), _frame(B, "adagrad")
    for df in (errors_a, errors_b):
        df["val_mse"] = df.pop("val_accuracy")
        df["test_mse"] = df.pop("test_accuracy")
        df["kind"] = "regression"  # the task's kind is a fact of the frame
    v = compare(errors_a, errors_b).attrs["verdict"]
    assert v["metric"] == "val_mse" and v["wins"] == {"adam": 1, "adagrad": 4}


def test_compare_plot_has_the_paired_scatter_and_the_differences(sine_df, sine_adam):
    table = compare(sine_df, sine_adam, on="test_mse")
    fig = compare_plot(table)
    axes = [ax for ax in fig.axes if ax.has_data()]
    assert len(axes) == 2
    offsets = axes[0].collections[0].get_offsets()
    paired = table[table["n_paired"] > 0]
    assert np.allclose(sorted(offsets[:, 0]), sorted(paired["test_mse_adam"]))  # x: B
    assert np.allclose(sorted(offsets[:, 1]), sorted(paired["test_mse_gd"]))    # y: A
    heights = [patch.get_height() for patch in axes[1].patches]
    assert sum(heights) == len(paired)  # one count per paired config
    assert fig._suptitle.get_text().replace("\n", " ").startswith("gd vs adam on test_mse")
