"""compare: configs joined on the axes that do not differ, differences checked by hand."""
import numpy as np
import pytest
from results_testdata import train_results

from results import compare, compare_plot

HIDDEN_B = [(6,), (3, 3), (6, 6), (9, 9)]  # (9, 9) is not in the sine fixture


@pytest.fixture(scope="module")
def sine_gd():
    return train_results("sine", HIDDEN_B, optimizer="gd", lr=0.2, epochs=300, seeds=(0, 1))


def _mean(df, hidden):
    rows = df[(df["hidden"].map(tuple) == hidden) & (df["status"] == "ok")]
    return rows["test_mse"].to_numpy().mean()


def test_compare_joins_on_the_axes_that_do_not_differ(sine_df, sine_gd):
    table = compare(sine_df, sine_gd, on="test_mse")
    assert table.attrs["labels"] == ("adam", "gd")
    assert set(table.attrs["differing"]) == {"optimizer", "lr"}
    assert "optimizer" not in table.attrs["keys"] and "hidden" in table.attrs["keys"]
    both = table[table["match"] == "both"]
    assert sorted(both["hidden"]) == sorted([(6,), (3, 3), (6, 6)])
    assert (table["match"] == "adam only").sum() == 14 - 3
    assert table.loc[table["match"] == "gd only", "hidden"].tolist() == [(9, 9)]


def test_compare_difference_matches_a_hand_computation(sine_df, sine_gd):
    table = compare(sine_df, sine_gd)
    row = table[table["hidden"] == (6, 6)].iloc[0]
    a, b = _mean(sine_df, (6, 6)), _mean(sine_gd, (6, 6))
    assert row["test_mse_adam"] == pytest.approx(a) and row["test_mse_gd"] == pytest.approx(b)
    assert row["diff"] == pytest.approx(b - a)
    assert row["rel_diff"] == pytest.approx((b - a) / a)
    assert (row["n_adam"], row["n_gd"]) == (2, 2)  # (6, 6) lost seed 2 to a failure in a


def test_compare_with_explicit_labels_and_keys(sine_df, sine_gd):
    table = compare(sine_df, sine_gd, by=["hidden"], labels=("A", "B"))
    assert {"test_mse_A", "test_mse_B", "n_A", "n_B"} <= set(table.columns)
    with pytest.raises(ValueError, match="different"):
        compare(sine_df, sine_gd, labels=("x", "x"))


def test_compare_refuses_an_ambiguous_join(moons_df):
    renamed = moons_df.assign(activation=moons_df["activation"].map(
        {"tanh": "sigmoid", "relu": "identity"}))
    with pytest.raises(ValueError, match="not unique"):
        compare(moons_df, renamed, on="test_accuracy")


def test_compare_plot_has_the_scatter_and_the_difference(sine_df, sine_gd):
    table = compare(sine_df, sine_gd)
    fig = compare_plot(table)
    axes = [ax for ax in fig.axes if ax.has_data()]
    assert len(axes) == 2
    offsets = axes[0].collections[0].get_offsets()
    both = table[table["match"] == "both"]
    assert np.allclose(sorted(offsets[:, 0]), sorted(both["test_mse_adam"]))
