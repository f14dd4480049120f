"""Figures: panel counts, ordering, and values checked against independent computations."""
import numpy as np
import pytest
from matplotlib.collections import QuadMesh
from reference import predict
from results_testdata import (MOONS_FAILING, MOONS_HIDDEN, SINE_DIVERGING, SINE_FAILING,
                              SINE_HIDDEN, small_sweep)
from sweeps.tasks import make_task

from results import (boundary_comparison, decision_boundaries, error_heatmaps, fit_grid,
                     loss_curves, metric_vs_size, save_figure)


def panels(fig):
    """Axes that hold data, colorbars excluded."""
    return [ax for ax in fig.axes if ax.has_data() and ax.get_label() != "<colorbar>"]


def ok_rows(df, hidden, activation=None):
    mask = (df["hidden"].map(tuple) == tuple(hidden)) & (df["status"] == "ok")
    if activation:
        mask &= df["activation"] == activation
    return df[mask].sort_values("seed")


# -- fit grid ------------------------------------------------------------------------------
def test_fit_grid_has_one_panel_per_architecture_in_order(sine_df):
    fig = fit_grid(sine_df)
    axes = panels(fig)
    assert len(axes) == len(SINE_HIDDEN)
    # Row-major panel order must be depth first, then widths from input to output.
    titles = [ax.get_title().splitlines()[0] for ax in axes]
    expected = sorted(SINE_HIDDEN, key=lambda h: (len(h), h))
    assert titles == ["[1," + ",".join(map(str, h)) + ",1]" for h in expected]


def test_fit_grid_curve_is_the_seed_mean_of_the_stored_networks(sine_df):
    fig = fit_grid(sine_df, band="std")
    ax = next(a for a in fig.axes if a.get_title().startswith("[1,6,6,6,1]"))
    mean_line = [ln for ln in ax.get_lines() if ln.get_linestyle() == "-"]
    assert len(mean_line) == 1
    x, y = mean_line[0].get_data()
    rows = ok_rows(sine_df, (6, 6, 6))
    expected = np.mean([predict(r.weights, r.biases, x[:, None], "tanh", "identity")[:, 0]
                        for r in rows.itertuples()], axis=0)
    np.testing.assert_allclose(y, expected, rtol=1e-9, atol=1e-12)
    assert f"MSE {rows['test_mse'].mean():.2g}" in ax.get_title()


def test_fit_grid_marks_configs_without_an_ok_seed(sine_df):
    fig = fit_grid(sine_df)
    for hidden, status in ((SINE_FAILING, "failed"), (SINE_DIVERGING, "diverged")):
        label = "[1," + ",".join(map(str, hidden)) + ",1]"
        ax = next(a for a in fig.axes if a.get_title().startswith(label))
        assert f"3 {status}" in ax.get_title()
        assert any("no ok seed" in t.get_text() for t in ax.texts)


def test_fit_grid_needs_one_dimensional_regression(moons_df):
    with pytest.raises(ValueError, match="regression"):
        fit_grid(moons_df[moons_df["activation"] == "tanh"])


# -- heatmaps ------------------------------------------------------------------------------
def test_heatmap_depth2_shows_the_seed_means(sine_df):
    fig = error_heatmaps(sine_df, depth=2)
    axes = panels(fig)
    assert len(axes) == 1
    mesh = next(c for c in axes[0].collections if isinstance(c, QuadMesh))
    values = np.asarray(mesh.get_array()).reshape(2, 2)  # rows i = 3, 6; columns j = 3, 6
    for (r, i), (c, j) in [((0, 3), (0, 3)), ((0, 3), (1, 6)), ((1, 6), (0, 3)), ((1, 6), (1, 6))]:
        assert values[r, c] == pytest.approx(ok_rows(sine_df, (i, j))["test_mse"].mean())


def test_heatmap_depth3_has_one_panel_per_k(sine_df):
    fig = error_heatmaps(sine_df, depth=3)
    axes = panels(fig)
    assert [ax.get_title() for ax in axes] == ["k = 3", "k = 6"]
    assert sum(ax.get_label() == "<colorbar>" for ax in fig.axes) == 1  # one shared scale


def test_heatmap_can_facet_rows_by_another_axis(moons_df):
    fig = error_heatmaps(moons_df, depth=2, metric="test_accuracy", row="activation",
                         log=False)
    assert len(panels(fig)) == 2


# -- decision boundaries -------------------------------------------------------------------
def _classes_at(ax, X):
    """Class of the mesh cell under each point, read back from the drawn QuadMesh."""
    mesh = next(c for c in ax.collections if isinstance(c, QuadMesh))
    edges = mesh.get_coordinates()
    x_edges, y_edges = edges[0, :, 0], edges[:, 0, 1]
    Z = np.asarray(mesh.get_array()).reshape(len(y_edges) - 1, len(x_edges) - 1)
    ix = np.clip(np.searchsorted(x_edges, X[:, 0]) - 1, 0, Z.shape[1] - 1)
    iy = np.clip(np.searchsorted(y_edges, X[:, 1]) - 1, 0, Z.shape[0] - 1)
    return Z[iy, ix]


def test_boundary_grid_is_depth_by_width(moons_df):
    fig = decision_boundaries(moons_df, activation="tanh")
    axes = panels(fig)
    assert len(axes) == len(MOONS_HIDDEN)
    assert [ax.get_title() for ax in axes[:3]] == ["width 3", "width 6", "width 9"]
    assert [axes[0].get_ylabel(), axes[3].get_ylabel()] == ["depth 1", "depth 2"]


def test_boundary_regions_agree_with_the_data(moons_df):
    """The drawn regions classify the training points as well as the net does."""
    ds = make_task("moons")
    fig = decision_boundaries(moons_df, activation="tanh")
    ax = panels(fig)[1]  # depth 1, width 6, lowest ok seed (0)
    row = ok_rows(moons_df, (6,), "tanh").iloc[0]
    agree = np.mean(_classes_at(ax, ds.X_train) == ds.y_train)
    assert agree == pytest.approx(row["train_accuracy"], abs=0.03)
    assert agree > 0.8  # a transposed or flipped mesh would give about 0.5
    assert any(t.get_text() == f"acc {row['test_accuracy']:.2f}" for t in ax.texts)


def test_boundary_seed_option_picks_that_seed(moons_df):
    fig = decision_boundaries(moons_df, activation="relu", seed=1)
    ax = panels(fig)[0]
    row = ok_rows(moons_df, (3,), "relu")
    acc = row[row["seed"] == 1]["test_accuracy"].iloc[0]
    assert any(t.get_text() == f"acc {acc:.2f}" for t in ax.texts)


def test_boundary_panel_skips_a_failed_seed(moons_df):
    """(9, 9) relu has a failed job with seed -1: the panel shows its lowest ok seed, 0."""
    hidden, activation = MOONS_FAILING
    assert set(moons_df.loc[moons_df["hidden"] == hidden, "status"]) == {"ok", "failed"}
    ax = panels(decision_boundaries(moons_df, activation=activation))[5]  # depth 2, width 9
    row = ok_rows(moons_df, hidden, activation).iloc[0]
    assert row["seed"] == 0
    assert any(t.get_text() == f"acc {row['test_accuracy']:.2f}" for t in ax.texts)


def test_boundary_grid_of_mixed_widths_titles_each_panel(tmp_path):
    hidden = [(3,), (6,), (3, 6), (6, 3), (4, 4)]
    df, _ = small_sweep(tmp_path, "moons-mixed", "moons", hidden, seeds=(0,), epochs=30)
    axes = panels(decision_boundaries(df))
    assert [ax.get_title() for ax in axes] == ["[2,3,2]", "[2,6,2]", "[2,3,6,2]", "[2,4,4,2]",
                                               "[2,6,3,2]"]


def test_boundaries_need_an_activation_when_there_are_several(moons_df):
    with pytest.raises(ValueError, match="activation"):
        decision_boundaries(moons_df)


def test_boundary_comparison_puts_activations_in_rows(moons_df):
    fig = boundary_comparison(moons_df, depth=1)
    axes = panels(fig)
    assert len(axes) == 2 * 3
    assert {axes[0].get_ylabel(), axes[3].get_ylabel()} == {"activation relu",
                                                             "activation tanh"}


# -- loss curves and size plot -------------------------------------------------------------
def test_loss_curves_one_panel_per_depth_one_line_per_config(sine_df):
    fig = loss_curves(sine_df, band=None)
    axes = panels(fig)
    assert [ax.get_title() for ax in axes] == ["depth = 1", "depth = 2", "depth = 3"]
    # depth 1: (3,) failed and (64,) diverged on every seed, so only (6,) has curves: its
    # training loss (solid) and its validation loss (dashed); each config has both
    assert [len(ax.get_lines()) for ax in axes] == [2, 8, 16]
    assert [line.get_linestyle() for line in axes[0].get_lines()] == ["-", "--"]
    rows = ok_rows(sine_df, (6,))
    for line, column in zip(axes[0].get_lines(), ("curve_loss", "curve_val_loss")):
        expected = np.mean(np.stack(rows[column].tolist()), axis=0)
        np.testing.assert_allclose(line.get_ydata(), expected)
    assert [len(ax.get_lines()) for ax in panels(loss_curves(sine_df, band=None,
                                                             validation=False))] == [1, 4, 8]


def test_loss_curves_facet_by_activation(moons_df):
    fig = loss_curves(moons_df, col="activation", hue="depth")
    assert len(panels(fig)) == 2
    assert fig.legends and fig.legends[0].get_title().get_text() == "depth"


def test_an_axis_in_lockstep_with_the_facet_is_allowed(moons_df):
    # output moving with activation (like a loss and its output layer) splits nothing more
    paired = moons_df.assign(output=moons_df["activation"].map({"tanh": "a", "relu": "b"}))
    assert len(panels(loss_curves(paired, col="activation", hue="depth"))) == 2
    mixed = moons_df.assign(output=np.where(moons_df["seed"] == 0, "a", "b"))
    with pytest.raises(ValueError, match="output"):
        loss_curves(mixed, col="activation", hue="depth")


def test_metric_vs_size_places_each_config_at_its_size(sine_df):
    fig = metric_vs_size(sine_df)
    (ax,) = panels(fig)
    filled = [c for c in ax.collections if c.get_offsets().shape[0]
              and np.asarray(c.get_facecolor()).size and np.asarray(c.get_facecolor())[0, 3] > 0]
    points = np.concatenate([c.get_offsets() for c in filled])
    ok = sine_df[sine_df["status"] == "ok"]
    expected = ok.groupby("config_id").agg(n=("n_params", "first"), m=("test_mse", "mean"))
    assert sorted(map(tuple, points.round(12))) == \
        sorted(zip(expected["n"].astype(float), expected["m"].round(12)))


def test_save_figure_writes_each_format(tmp_path, sine_df):
    fig = metric_vs_size(sine_df)
    magic = {"png": b"\x89PNG", "svg": b"<?xml", "pdf": b"%PDF"}
    for fmt, head in magic.items():
        path = save_figure(fig, tmp_path / "size", fmt)
        assert path.suffix == "." + fmt and path.read_bytes().startswith(head)
    assert save_figure(fig, tmp_path / "plain").suffix == ".png"
    assert save_figure(fig, tmp_path / "fits_lr-0.01").name == "fits_lr-0.01.png"
    with pytest.raises(ValueError, match="format"):
        save_figure(fig, tmp_path / "x", "bmp")


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """A real moons sweep with record_weights: adam and adagrad, two seeds."""
    from results_testdata import small_sweep
    df, _ = small_sweep(tmp_path_factory.mktemp("weights"), "weights", "moons",
                        [(5,), (4, 4)], optimizer=["adam", "adagrad"], epochs=60,
                        record_weights=True)
    return df


def test_weight_histograms_one_panel_per_layer_every_weight_counted(recorded):
    from results import weight_histograms
    fig = weight_histograms(recorded, by="optimizer")
    axes = panels(fig)
    assert [ax.get_title() for ax in axes] == ["layer = 1", "layer = 2", "layer = 3"]
    for layer, ax in enumerate(axes):
        weights = {o: np.concatenate([np.ravel(w[layer]) for w in recorded.loc[
            (recorded["optimizer"] == o), "weights"] if len(w) > layer])
            for o in ("adagrad", "adam")}
        edges = np.histogram_bin_edges(np.concatenate(list(weights.values())), bins=40)
        for patch, optimizer in zip(ax.patches, ("adagrad", "adam")):  # the legend's order
            # a density histogram of that optimizer's weights on the layer's shared bins
            heights = np.histogram(weights[optimizer], bins=edges, density=True)[0]
            xy = patch.get_xy()
            assert xy[:, 0].min() == pytest.approx(edges[0])
            assert xy[:, 0].max() == pytest.approx(edges[-1])
            assert xy[:, 1].max() == pytest.approx(heights.max(), rel=1e-12)
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["adagrad", "adam"]


def test_weight_stat_curves_lines_are_the_mean_recorded_spread(recorded):
    from results import weight_stat_curves
    fig = weight_stat_curves(recorded, by="optimizer")
    ax = [a for a in fig.axes if a.has_data()][0]  # std of layer 1
    for line, optimizer in zip(ax.get_lines(), ("adagrad", "adam")):  # the legend's order
        rows = recorded[recorded["optimizer"] == optimizer]
        stds = np.stack([w["stats"][:, 0, 0, 3] for w in rows["weight_stats"]])
        np.testing.assert_allclose(line.get_ydata(), stds.mean(axis=0), rtol=1e-12)
    with pytest.raises(ValueError, match="record_weights = true"):
        weight_stat_curves(recorded.assign(weight_stats=None))
