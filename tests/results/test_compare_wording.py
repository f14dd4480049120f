"""What ``compare`` says: only what the Wilcoxon test supports, A always first."""
import numpy as np
import pytest
from effects_frames import grid_frame
from scipy import stats

from results import compare
from results.stats import paired_verdict

AXES = {"activation": ["relu", "tanh"], "lr": [0.01, 0.03, 0.1], "l2": [0.0, 0.1, 1.0]}


def _side(optimizer, *, shift=0.0, seeds=5, rng=0, first_seed=0):
    df = grid_frame(AXES, lambda c: 0.8 + shift, seeds=seeds, noise=0.02, rng=rng)
    df["optimizer"] = optimizer
    df["seed"] += first_seed
    return df


def test_a_null_comparison_names_no_winner():
    table = compare(_side("adam", rng=1), _side("adagrad", rng=2))
    v = table.attrs["verdict"]
    expected = stats.wilcoxon(table["diff"]).pvalue
    assert v["p_value"] == pytest.approx(expected, rel=1e-12) and expected >= 0.05
    assert v["winner"] is None
    assert v["text"].startswith(f"adam vs adagrad on val_accuracy: no significant "
                                f"difference (p = {expected:.2g}): adam better in ")


def test_the_level_is_an_option():
    table = compare(_side("adam", rng=1), _side("adagrad", rng=2), alpha=0.999)
    assert table.attrs["verdict"]["winner"] is not None
    assert "< 0.999" in table.attrs["verdict"]["text"]


def test_a_is_named_first_when_b_wins():
    table = compare(_side("adam", rng=1), _side("adagrad", shift=0.05, rng=2))
    v = table.attrs["verdict"]
    assert v["winner"] == "adagrad" and v["p_value"] < 0.05
    assert v["text"].startswith("adam vs adagrad on val_accuracy: adagrad better "
                                "(Wilcoxon signed-rank p = ")
    assert ": adam better in 0 of 18 configs, adagrad in 18 (0 ties)" in v["text"]
    # and the other order given: the other side first
    w = compare(_side("adagrad", shift=0.05, rng=2), _side("adam", rng=1)).attrs["verdict"]
    assert w["text"].startswith("adagrad vs adam on val_accuracy: adagrad better")


def test_sweeps_sharing_configs_but_no_seed_pair_config_means():
    a = _side("adam", rng=1, shift=0.03)
    b = _side("adagrad", rng=2, first_seed=5)
    table = compare(a, b)
    assert table.attrs["pairing"] == "config means"
    assert (table["n_paired"] == 1).all() and len(table) == 18
    # each difference is A's mean over its own seeds minus B's (computed here by hand)
    keys = list(AXES)
    mean_a = a.groupby(keys)["val_accuracy"].mean()
    mean_b = b.groupby(keys)["val_accuracy"].mean()
    for row in table.itertuples():
        key = tuple(getattr(row, k) for k in keys)
        assert row.diff == pytest.approx(mean_a[key] - mean_b[key], rel=1e-12)
    v = table.attrs["verdict"]
    assert v["p_value"] == pytest.approx(stats.wilcoxon(table["diff"]).pvalue, rel=1e-12)
    assert "no seed is on both sides: each config's mean over its own seeds is paired" \
        in v["text"]


def test_ties_are_ties_in_the_test_too():
    diffs = [0.1, 0.2, -0.05, 0.3, 1e-13, 0.0, 0.15, 0.25, -2e-13]
    v = paired_verdict(diffs, names=("a", "b"), metric="val_accuracy", higher_is_better=True)
    untied = [d for d in diffs if abs(d) > 1e-12]
    assert v["ties"] == 3 and v["wins"] == {"a": 5, "b": 1}
    assert v["p_value"] == pytest.approx(stats.wilcoxon(untied).pvalue, rel=1e-12)
    assert v["p_value"] != pytest.approx(stats.wilcoxon(diffs).pvalue)


def test_one_untied_pair_is_not_tested():
    v = paired_verdict([0.0, 0.1, 0.0], names=("a", "b"), metric="val_mse",
                       higher_is_better=False)
    assert np.isnan(v["p_value"]) and v["winner"] is None
    assert "too few untied pairs to test" in v["text"]
