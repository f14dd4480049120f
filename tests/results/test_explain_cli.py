"""``sweeps explain`` on the moons preset (few epochs), read against the frame itself."""
import pytest
import sweeps
from scipy import stats

from sweeps.cli import main


@pytest.fixture(scope="module")
def moons_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("explain") / "moons"
    assert main(["run", "moons", "--set", "epochs=40", "--out", str(out), "-q"]) == 0
    return out


def _shares_by_hand(df, axes, metric="val_accuracy"):
    """Each axis's sum of squares between its marginal means (pandas, balanced grid)."""
    config = df.groupby(axes)[metric].mean().reset_index()
    grand = config[metric].mean()
    return {a: (config.groupby(a)[metric].mean() - grand).pow(2).sum()
            * len(config) / config[a].nunique() for a in axes}


def test_explain_ranks_the_moons_axes_as_the_data_does(moons_run, capsys, tmp_path):
    capsys.readouterr()
    assert main(["explain", str(moons_run), "--out", str(tmp_path / "fx")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Which axes matter for val_accuracy")
    ranked = [line.split(":")[0].split(". ", 1)[1] for line in out[1:4]]
    assert sorted(ranked) == ["activation", "depth", "width"]
    df = sweeps.load(moons_run, curves=False, weights=False)
    df["width"] = df["hidden"].map(lambda h: h[0])
    df["depth"] = df["hidden"].map(len)
    by_hand = _shares_by_hand(df, ["activation", "width", "depth"])
    assert ranked == sorted(by_hand, key=by_hand.get, reverse=True)
    # the leading axis: its best and worst values, paired by config (scipy's Wilcoxon)
    top = ranked[0]
    means = df.groupby(["activation", "width", "depth"])["val_accuracy"].mean().unstack(top)
    order = means.mean().sort_values()
    diffs = means[order.index[-1]] - means[order.index[0]]
    assert stats.wilcoxon(diffs).pvalue < 0.01
    assert f"below {order.index[-1]} by" in out[1]
    assert (tmp_path / "fx" / "effects_main.png").is_file()
    assert (tmp_path / "fx" / "effects_axes.csv").is_file()


def test_explain_refuses_an_unknown_metric_in_one_line(moons_run, capsys):
    assert main(["explain", str(moons_run), "--on", "val_mse"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown metric 'val_mse'" in err[0] and "allowed:" in err[0]


def test_explain_refuses_a_sweep_where_only_the_seed_varies(tmp_path, capsys):
    out = tmp_path / "one"
    assert main(["run", "moons", "--set", "epochs=5", "--set", "hidden=[[3]]",
                 "--set", "activation=tanh", "--out", str(out), "-q"]) == 0
    capsys.readouterr()
    assert main(["explain", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nothing varies in this sweep but the seed" in err[0]


def test_explain_of_a_missing_directory_is_one_line(tmp_path, capsys):
    assert main(["explain", str(tmp_path / "nothing")]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_the_report_opens_with_what_matters(moons_results, tmp_path):
    from results import build_report

    df, meta = moons_results
    page = (build_report(tmp_path, df=df, meta=meta) / "index.html").read_text()
    assert page.index("What matters in this sweep") < page.index("<h2 id='figures'>")
    assert "effects/effects_shares.png" in page
