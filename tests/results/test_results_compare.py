"""compare: configs joined on the axes that do not differ, differences checked by hand."""
import numpy as np
import pytest
from results_testdata import SINE_HIDDEN, sine_test_mse, small_sweep

from results import compare, compare_plot

HIDDEN_B = [(6,), (3, 3), (6, 6), (9, 9)]  # (9, 9) is not in the sine fixture


@pytest.fixture(scope="module")
def sine_adam(tmp_path_factory):
    """A second real sine sweep: adam instead of the fixture's gd, two seeds."""
    df, _ = small_sweep(tmp_path_factory.mktemp("sine-adam"), "sine-adam", "sine", HIDDEN_B,
                        activation="tanh", optimizer="adam", lr=0.03, epochs=300)
    assert (df["status"] == "ok").all()
    return df


def _mean(df, hidden):
    """Mean test MSE of a config's ok seeds, recomputed from their stored weights."""
    rows = df[(df["hidden"].map(tuple) == hidden) & (df["status"] == "ok")]
    return np.mean([sine_test_mse(r) for _, r in rows.iterrows()])


def test_compare_joins_on_the_axes_that_do_not_differ(sine_df, sine_adam):
    table = compare(sine_df, sine_adam, on="test_mse")
    assert table.attrs["labels"] == ("gd", "adam")
    assert set(table.attrs["differing"]) == {"optimizer", "lr"}
    assert "optimizer" not in table.attrs["keys"] and "hidden" in table.attrs["keys"]
    both = table[table["match"] == "both"]
    assert sorted(both["hidden"]) == sorted([(6,), (3, 3), (6, 6)])
    assert (table["match"] == "gd only").sum() == len(SINE_HIDDEN) - 3
    assert table.loc[table["match"] == "adam only", "hidden"].tolist() == [(9, 9)]


def test_compare_difference_matches_a_hand_computation(sine_df, sine_adam):
    table = compare(sine_df, sine_adam)
    row = table[table["hidden"] == (6, 6)].iloc[0]
    a, b = _mean(sine_df, (6, 6)), _mean(sine_adam, (6, 6))
    assert row["test_mse_gd"] == pytest.approx(a) and row["test_mse_adam"] == pytest.approx(b)
    assert row["diff"] == pytest.approx(b - a)
    assert row["rel_diff"] == pytest.approx((b - a) / a)
    assert (row["n_gd"], row["n_adam"]) == (3, 2)  # ok seeds: the fixture has 3, sine_adam 2
    # A config without an ok seed on one side: no value, no difference, n = 0.
    failed = table[table["hidden"] == (3,)].iloc[0]
    assert failed["match"] == "gd only" and failed["n_gd"] == 0
    assert np.isnan(failed["test_mse_gd"]) and np.isnan(failed["diff"])


def test_compare_with_explicit_labels_and_keys(sine_df, sine_adam):
    table = compare(sine_df, sine_adam, by=["hidden"], labels=("A", "B"))
    assert {"test_mse_A", "test_mse_B", "n_A", "n_B"} <= set(table.columns)
    with pytest.raises(ValueError, match="different"):
        compare(sine_df, sine_adam, labels=("x", "x"))


def test_compare_refuses_an_ambiguous_join(moons_df):
    renamed = moons_df.assign(activation=moons_df["activation"].map(
        {"tanh": "sigmoid", "relu": "identity"}))
    with pytest.raises(ValueError, match="not unique"):
        compare(moons_df, renamed, on="test_accuracy")


def test_compare_plot_has_the_scatter_and_the_difference(sine_df, sine_adam):
    table = compare(sine_df, sine_adam)
    fig = compare_plot(table)
    axes = [ax for ax in fig.axes if ax.has_data()]
    assert len(axes) == 2
    offsets = axes[0].collections[0].get_offsets()
    both = table[table["match"] == "both"]
    assert np.allclose(sorted(offsets[:, 0]), sorted(both["test_mse_gd"]))
