"""results.effects against known answers: planted effects, statsmodels' ANOVA, null sweeps."""
import itertools

import numpy as np
import pytest
from effects_frames import grid_frame

from results import effects
from results.factorial import holm

AXES = {"activation": ["relu", "sigmoid", "tanh"], "lr": [0.01, 0.1], "l2": [0.0, 0.1]}
ACT = {"tanh": 0.06, "relu": 0.0, "sigmoid": -0.10}


def _planted(config):
    """activation large; l2 none; lr small, plus an activation x lr interaction."""
    bonus = 0.02 if config["lr"] == 0.1 else 0.0
    inter = 0.03 if (config["activation"] == "relu" and config["lr"] == 0.1) else 0.0
    return 0.8 + ACT[config["activation"]] + bonus + inter


def _true_shares():
    """Planted shares by hand: sums of squares of the true cell means (plain loops)."""
    cells = {c: _planted(dict(zip(AXES, c))) for c in itertools.product(*AXES.values())}
    grand = np.mean(list(cells.values()))
    between = sum((v - grand) ** 2 for v in cells.values())

    def marginal(j, value):
        return np.mean([v for c, v in cells.items() if c[j] == value])

    shares = {}
    for j, axis in enumerate(AXES):
        per = len(cells) / len(AXES[axis])
        shares[axis] = per * sum((marginal(j, v) - grand) ** 2 for v in AXES[axis]) / between
    # activation x lr: what the pair's means leave after both main effects
    ss = 0.0
    for a, lr in itertools.product(AXES["activation"], AXES["lr"]):
        pair = np.mean([v for c, v in cells.items() if c[0] == a and c[1] == lr])
        ss += 2 * (pair - marginal(0, a) - marginal(1, lr) + grand) ** 2
    shares["activation x lr"] = ss / between
    return shares


@pytest.fixture(scope="module")
def planted():
    return effects(grid_frame(AXES, _planted, seeds=4, noise=0.005, rng=1))


def test_planted_effects_are_ranked_and_sized_and_covered(planted):
    axes = planted["axes"].set_index("axis")
    assert list(planted["axes"]["axis"]) == ["activation", "lr", "l2"]
    truth = _true_shares()
    for axis in ("activation", "lr"):
        assert axes.loc[axis, "significant"]
        assert axes.loc[axis, "share_low"] <= truth[axis] <= axes.loc[axis, "share_high"]
        assert axes.loc[axis, "share"] == pytest.approx(truth[axis], abs=0.02)
    assert not axes.loc["l2", "significant"] and truth["l2"] == pytest.approx(0, abs=1e-12)
    assert axes.loc["l2", "share_low"] == 0 and axes.loc["l2", "share"] < 0.01
    inter = planted["interactions"].set_index("axes").loc["activation x lr"]
    assert inter["share_low"] <= truth["activation x lr"] <= inter["share_high"]
    assert inter["p_value"] < 0.05
    assert axes.loc["activation", "best"] == "tanh"
    assert "cannot separate its effect from zero" in axes.loc["l2", "text"]


def test_main_effect_intervals_cover_the_planted_means(planted):
    main = planted["main"].set_index(["axis", "value"])
    for a in AXES["activation"]:
        true = np.mean([_planted({"activation": a, "lr": lr, "l2": 0.0}) for lr in AXES["lr"]])
        row = main.loc[("activation", a)]
        assert row["ci_low"] <= true <= row["ci_high"]
        assert row["test_ci_low"] <= true <= row["test_ci_high"]  # test metric: no shift


def test_paired_differences_to_the_best_are_holm_corrected(planted):
    from statsmodels.stats.multitest import multipletests

    pairs = planted["pairs"]
    act = pairs[pairs["axis"] == "activation"].set_index("other")
    assert set(act.index) == {"relu", "sigmoid"} and (act["best"] == "tanh").all()
    assert act.loc["sigmoid", "diff"] == pytest.approx(-0.16, abs=0.005)
    assert act.loc["sigmoid", "wins"] == act.loc["sigmoid", "n_configs"] == 4
    for _, rows in pairs.groupby("axis"):
        expected = multipletests(rows["p_value"], method="holm")[1]
        np.testing.assert_allclose(rows["p_holm"], expected, rtol=1e-12)
    text = planted["axes"].set_index("axis").loc["activation", "text"]
    assert "sigmoid below tanh by 0.16" in text and "4 of 4 configs" in text


def test_holm_matches_statsmodels_with_ties_and_nan():
    from statsmodels.stats.multitest import multipletests

    p = np.array([0.01, 0.04, 0.03, 0.04, 0.5, np.nan])
    expected = multipletests(p[:-1], method="holm")[1]
    np.testing.assert_allclose(holm(p)[:-1], expected, rtol=1e-12)
    assert np.isnan(holm(p)[-1])


@pytest.mark.parametrize("blocked", [True, False])
def test_shares_and_tests_equal_statsmodels_anova(blocked):
    import statsmodels.formula.api as smf
    from statsmodels.stats.anova import anova_lm

    df = grid_frame(AXES, _planted, seeds=3, noise=0.03, rng=2)
    if not blocked:  # every config its own seeds: no seed is shared, nothing to block
        df["seed"] += 10 * df["config_id"].factorize()[0]
    result = effects(df, n_resamples=0)
    data = df.rename(columns={"val_accuracy": "y"})
    formula = "y ~ C(activation) * C(lr) * C(l2)" + (" + C(seed)" if blocked else "")
    table = anova_lm(smf.ols(formula, data=data).fit(), typ=1)
    effects_ss = table.drop(index=["Residual", "C(seed)"], errors="ignore")["sum_sq"]
    axes = result["axes"].set_index("axis")
    for axis in AXES:
        share = table.loc[f"C({axis})", "sum_sq"] / effects_ss.sum()
        assert axes.loc[axis, "eta_sq"] == pytest.approx(share, abs=1e-9)
        assert axes.loc[axis, "p_value"] == pytest.approx(table.loc[f"C({axis})", "PR(>F)"],
                                                          rel=1e-7)
    inter = result["interactions"].set_index("axes")
    for row in inter.itertuples():
        name = f"C({row.first}):C({row.second})"
        assert row.eta_sq == pytest.approx(table.loc[name, "sum_sq"] / effects_ss.sum(),
                                           abs=1e-9)
        assert row.p_value == pytest.approx(table.loc[name, "PR(>F)"], rel=1e-7)
    assert result["error"]["ms"] == pytest.approx(table.loc["Residual", "mean_sq"], rel=1e-9)


def test_null_sweeps_call_an_axis_significant_at_the_nominal_rate():
    """Only the seeds differ (with a seed effect shared by every config): 300 sweeps."""
    rng = np.random.default_rng(2026)
    axes = {"activation": ["relu", "tanh", "sigmoid"], "lr": [0.01, 0.1], "l2": [0.0, 1.0]}
    called = total = 0
    p_values = []
    for i in range(300):
        df = grid_frame(axes, lambda c: 0.8, seeds=3, noise=0.02, rng=rng)
        seed_effect = rng.normal(0, 0.02, 3)
        df["val_accuracy"] += seed_effect[df["seed"]]
        result = effects(df, n_resamples=0)
        called += int(result["axes"]["significant"].sum())
        p_values += list(result["axes"]["p_value"])
        total += len(result["axes"])
    rate = called / total
    print(f"null sweeps: {called} of {total} axes called significant ({rate:.3f})")
    assert rate <= 0.06, rate
    assert rate >= 0.02, rate  # not a test that never fires either
    # and every level, not just 5 %: the p-values of a null are uniform (scipy's KS test)
    from scipy import stats

    assert stats.kstest(p_values, "uniform").pvalue > 0.01


def test_a_sub_grid_and_a_failed_config_are_left_out_and_said():
    df = grid_frame(AXES, _planted, seeds=3, noise=0.005)
    # relu was only swept at lr 0.01: its lr 0.1 configs do not exist
    df = df[~((df["activation"] == "relu") & (df["lr"] == 0.1))].copy()
    # and one sigmoid config failed on every seed
    bad = (df["activation"] == "sigmoid") & (df["lr"] == 0.01) & (df["l2"] == 0.1)
    df.loc[bad, "status"] = "failed"
    df.loc[bad, "val_accuracy"] = np.nan
    result = effects(df, n_resamples=0)
    notes = " ".join(result["notes"])
    assert "left out activation = relu" in notes and "not in the sweep" in notes
    assert "left out activation = sigmoid" in notes or "left out l2" in notes
    cells = result["cells"]
    assert "relu" not in set(cells.get("activation", []))
    # what is analysed is a full grid: every combination once
    names = [c for c in cells.columns if c not in ("mean", "n_seeds")]
    assert len(cells) == np.prod([cells[c].nunique() for c in names])


def test_fewer_seeds_in_a_config_still_counts_it_once():
    df = grid_frame(AXES, _planted, seeds=3, noise=0.005)
    df = df.drop(index=df.index[0])  # one seed of one config is missing
    result = effects(df, n_resamples=0)
    assert any("fewer ok seeds" in n for n in result["notes"])
    assert result["error"]["df"] == 12 * 3 - 1 - 12  # within-config, no blocks


@pytest.mark.parametrize("change, message", [
    (lambda df: df[(df["activation"] == "tanh") & (df["lr"] == 0.01) & (df["l2"] == 0.0)],
     "nothing varies in this sweep but the seed"),
    (lambda df: df.assign(status="failed"), "no ok job yet"),
])
def test_bad_input_is_one_line(change, message):
    with pytest.raises(ValueError, match=message) as err:
        effects(change(grid_frame(AXES, _planted)))
    assert "\n" not in str(err.value)


def test_unknown_metric_names_the_allowed_ones():
    with pytest.raises(ValueError, match="unknown metric 'val_mse'.*allowed: .*val_accuracy"):
        effects(grid_frame(AXES, _planted), on="val_mse")


def test_a_zipped_axis_is_one_axis():
    df = grid_frame(AXES, _planted)
    df["optimizer"] = df["lr"].map({0.01: "adam", 0.1: "gd"})
    result = effects(df, n_resamples=0)
    assert len({"optimizer", "lr"} & set(result["axes"]["axis"])) == 1
    assert any("lr moves with optimizer (zipped)" in n for n in result["notes"])


def test_the_figures_draw_from_the_result(planted):
    from results.figures.effects import interaction_plot, main_effects, variance_shares

    fig = main_effects(planted)
    drawn = [ax for ax in fig.axes if ax.get_visible() and ax.has_data()]
    assert [ax.get_title() for ax in drawn] == list(planted["axes"]["axis"])
    assert drawn[0].get_shared_y_axes().joined(drawn[0], drawn[1])
    bars = variance_shares(planted).axes[0].patches
    expected = list(planted["axes"]["share"]) + list(planted["interactions"]["share"])
    np.testing.assert_allclose([b.get_width() for b in bars], np.array(expected) * 100)
    lines = interaction_plot(planted).axes[0].get_lines()
    assert len(lines) >= 2


def test_without_validation_data_the_training_metric_is_explained_and_said():
    df = grid_frame(AXES, _planted, metric="train_accuracy")
    result = effects(df, n_resamples=0)
    assert result["on"] == "train_accuracy" and result["test"] is None
    assert any("no validation data" in n for n in result["notes"])
