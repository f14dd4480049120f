"""Tasks: shapes, determinism, held-out sets, read-only caching, CSV loading and its errors.

Reference values come from scikit-learn and numpy called directly, not from sweeps.
"""

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_digits, make_blobs, make_moons
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier

from sweeps.tasks import TASKS, TaskError, make_task, resolve_task_params


# --- built-in tasks -----------------------------------------------------------------------

def test_sine_matches_the_material_formula():
    ds = make_task("sine", noise=0.1, n_samples=30, data_seed=0)
    x = np.linspace(0, 1, 30)
    noise = np.random.default_rng(0).normal(0, 0.1, 30)
    assert ds.kind == "regression" and (ds.n_in, ds.n_out) == (1, 1)
    assert ds.X_train.shape == (30, 1) and ds.y_train.shape == (30, 1)
    assert ds.X_test.shape == (1000, 1) and ds.y_test.shape == (1000, 1)
    np.testing.assert_array_equal(ds.X_train[:, 0], x)
    np.testing.assert_allclose(ds.y_train[:, 0], np.sin(2 * np.pi * x) + noise, rtol=0,
                               atol=1e-15)
    # the test set is the clean curve, and truth is sin(2 pi x) wherever it is asked
    np.testing.assert_allclose(ds.y_test[:, 0], np.sin(2 * np.pi * np.linspace(0, 1, 1000)),
                               atol=1e-15)
    np.testing.assert_allclose(ds.truth(np.array([[0.0], [0.125], [0.25], [0.75], [0.3]])),
                               [[0.0], [np.sqrt(0.5)], [1.0], [-1.0], [np.sin(0.6 * np.pi)]],
                               atol=1e-15)
    assert (ds.default_output, ds.default_loss) == ("identity", "mse")
    assert ds.classes is None and ds.X_train.dtype == np.float64


def test_sine_seed_and_noise_change_the_data_and_cache_returns_one_object():
    a = make_task("sine")
    assert make_task("sine", noise=0.1, data_seed=0) is a  # defaults fill the cache key
    assert not np.array_equal(make_task("sine", data_seed=1).y_train, a.y_train)
    np.testing.assert_array_equal(make_task("sine", noise=0.0).y_train[:, 0],
                                  np.sin(2 * np.pi * np.linspace(0, 1, 30)))


def _val_seed(data_seed):
    # The documented stream of the validation set: child 1 of SeedSequence(data_seed)
    # (child 0 draws the test set), its first 32-bit word.
    child = np.random.SeedSequence(data_seed).spawn(2)[1]
    return int(child.generate_state(1, dtype=np.uint32)[0])


def test_sine_validation_set_is_noisy_uniform_and_independent():
    ds = make_task("sine", noise=0.1, n_samples=30, data_seed=0)
    rng = np.random.default_rng(_val_seed(0))
    x = np.sort(rng.uniform(0, 1, 30))
    np.testing.assert_array_equal(ds.X_val[:, 0], x)
    np.testing.assert_allclose(ds.y_val[:, 0], np.sin(2 * np.pi * x) + rng.normal(0, 0.1, 30),
                               atol=1e-15)
    assert not np.isin(ds.X_val, ds.X_train).any() and not np.isin(ds.X_val, ds.X_test).any()
    assert make_task("sine", n_val=7).X_val.shape == (7, 1)


@pytest.mark.parametrize("task", ["moons", "blobs"])
def test_synthetic_validation_sets_are_fresh_samples_of_the_training_distribution(task):
    ds = make_task(task, data_seed=2)
    if task == "moons":
        X_val, y_val = make_moons(200, noise=0.2, random_state=_val_seed(2))
    else:
        _, _, centres = make_blobs(200, centers=2, random_state=2, return_centers=True)
        X_val, y_val = make_blobs(200, centers=centres, random_state=_val_seed(2))
    np.testing.assert_array_equal(ds.X_val, X_val)
    np.testing.assert_array_equal(ds.y_val, y_val)
    for other in (ds.X_train, ds.X_test):
        assert not np.isin(ds.X_val, other).any()  # no shared point
    assert make_task(task, n_samples=40).X_val.shape == (40, 2)  # n_val = n_samples


@pytest.mark.parametrize("function, X, y", [
    ("not", [[0], [1]], [1, 0]),
    ("and", [[0, 0], [0, 1], [1, 0], [1, 1]], [0, 0, 0, 1]),
    ("or", [[0, 0], [0, 1], [1, 0], [1, 1]], [0, 1, 1, 1]),
    ("nand", [[0, 0], [0, 1], [1, 0], [1, 1]], [1, 1, 1, 0]),
    ("xor", [[0, 0], [0, 1], [1, 0], [1, 1]], [0, 1, 1, 0]),
])
def test_logic_tables_are_trained_on_every_row_with_nothing_held_out(function, X, y):
    ds = make_task("logic", function=function)
    np.testing.assert_array_equal(ds.X_train, X)
    np.testing.assert_array_equal(ds.y_train, y)
    assert ds.kind == "classification" and ds.single_output and not ds.held_out
    assert len(ds.X_val) == len(ds.X_test) == 0 and ds.X_val.shape[1] == len(X[0])
    assert (ds.default_output, ds.default_loss) == ("sigmoid", "binary_cross_entropy")
    with pytest.raises(TaskError, match="function.*not, and, or, nand, xor"):
        make_task("logic", function="nor")


def test_csv_with_no_held_out_rows_trains_on_all_of_them(tmp_path):
    path = tmp_path / "a.csv"
    _admissions_csv(path, n=40)
    ds = make_task("csv", path=str(path), target="admit", test_size=0, val_size=0)
    assert ds.X_train.shape == (40, 3) and not ds.held_out
    ds = make_task("csv", path=str(path), target="admit", test_size=0.25, val_size=0)
    assert (len(ds.X_train), len(ds.X_val), len(ds.X_test)) == (30, 0, 10)


def test_cached_arrays_are_read_only():
    ds = make_task("moons")
    for arr in (ds.X_train, ds.y_train, ds.X_val, ds.y_val, ds.X_test, ds.y_test):
        with pytest.raises(ValueError):
            arr[0] = 0


def test_moons_train_is_sklearn_and_test_is_a_fresh_sample():
    ds = make_task("moons", n_samples=200, noise=0.2, data_seed=3)
    X, y = make_moons(200, noise=0.2, random_state=3)
    np.testing.assert_array_equal(ds.X_train, X)
    np.testing.assert_array_equal(ds.y_train, y)
    assert ds.X_test.shape == (200, 2) and ds.y_test.dtype == np.int64
    assert ds.kind == "classification" and ds.n_out == 2 and set(ds.y_test) == {0, 1}
    assert not np.isin(ds.X_test, ds.X_train).any()  # a different sample, no shared point
    knn = KNeighborsClassifier(15).fit(ds.X_train, ds.y_train)
    assert knn.score(ds.X_test, ds.y_test) > 0.9  # same distribution
    assert (ds.default_output, ds.default_loss) == ("softmax", "cross_entropy")
    assert make_task("moons", n_samples=50).X_test.shape == (50, 2)  # n_test = n_samples
    assert make_task("moons", n_samples=50, n_test=7).X_test.shape == (7, 2)


@pytest.mark.parametrize("data_seed", [1, 5])
def test_blobs_test_set_uses_the_training_centres(data_seed):
    ds = make_task("blobs", data_seed=data_seed)
    X, y = make_blobs(200, centers=2, cluster_std=1.0, random_state=data_seed)
    np.testing.assert_array_equal(ds.X_train, X)
    assert not np.isin(ds.X_test, ds.X_train).any()
    # Class means of the test set sit near the training ones (std 1, 100 points: ~0.1);
    # centres drawn afresh would be several units away (uniform in a 20 x 20 box).
    for k in (0, 1):
        gap = ds.X_test[ds.y_test == k].mean(0) - ds.X_train[ds.y_train == k].mean(0)
        assert np.linalg.norm(gap) < 0.5
    clf = LogisticRegression().fit(ds.X_train, ds.y_train)
    # Seed 5 draws two overlapping centres: then test accuracy matches train accuracy.
    assert clf.score(ds.X_test, ds.y_test) > min(0.9, clf.score(X, y) - 0.1)
    if data_seed == 1:
        assert clf.score(ds.X_test, ds.y_test) > 0.9
    assert make_task("blobs", centers=3).n_out == 3


def test_digits_shapes_scaling_and_stratified_split():
    ds = make_task("digits")
    ref = load_digits()
    # 1797 rows: 25 % test (450), then 20 % of all rows for validation: 0.2 / 0.75 of the
    # remaining 1347, rounded up as scikit-learn does (360), and 987 to train.
    assert ds.X_train.shape == (987, 64) and ds.X_val.shape == (360, 64)
    assert ds.X_test.shape == (450, 64)
    assert (ds.n_in, ds.n_out) == (64, 10)
    assert ds.X_train.min() == 0.0 and ds.X_train.max() == 1.0
    # Every row is a row of the bundled data divided by 16.
    rows = {r.tobytes() for r in ref.data / 16.0}
    assert all(r.tobytes() in rows for r in ds.X_test)
    # Every row of the bundled data is in exactly one split (multisets: digits has a few
    # duplicate images, which a set would hide).
    def counts(X, y):
        return sorted(X[i].tobytes() + bytes([int(y[i])]) for i in range(len(X)))
    assert counts(np.vstack([ds.X_train, ds.X_val, ds.X_test]),
                  np.concatenate([ds.y_train, ds.y_val, ds.y_test])) == counts(
        ref.data / 16.0, ref.target)
    share_all = np.bincount(ref.target) / len(ref.target)
    for y in (ds.y_test, ds.y_val):
        share = np.bincount(y, minlength=10) / len(y)
        assert np.abs(share - share_all).max() < 0.01  # stratified
    other = make_task("digits", data_seed=1)
    assert not np.array_equal(other.y_test, ds.y_test)


def test_task_table_and_parameter_validation():
    assert set(TASKS) == {"sine", "moons", "blobs", "digits", "csv", "logic"}
    assert TASKS["sine"].defaults() == {"n_samples": 30, "noise": 0.1, "data_seed": 0,
                                        "n_test": 1000, "n_val": None}
    assert resolve_task_params("moons", {"n_samples": 50})["n_test"] == 50
    assert resolve_task_params("sine", {"n_samples": 12})["n_val"] == 12
    with pytest.raises(TaskError, match="no training rows.*test_size \\+ val_size < 1"):
        make_task("digits", test_size=0.5, val_size=0.5)
    assert resolve_task_params("sine", {"noise": 0})["noise"] == 0.0
    assert isinstance(resolve_task_params("sine", {"noise": 0})["noise"], float)
    with pytest.raises(ValueError, match="unknown task 'sin'.*sine, moons, blobs"):
        make_task("sin")
    with pytest.raises(ValueError, match="no parameter 'nosie'.*n_samples, noise"):
        make_task("sine", nosie=0.1)
    with pytest.raises(TaskError, match=r"n_samples.*int in 2\.\.10000000") as info:
        make_task("sine", n_samples=0)
    assert info.value.param == "n_samples"
    with pytest.raises(TaskError, match="noise"):
        make_task("moons", noise=-1.0)
    with pytest.raises(TaskError, match="n_samples"):
        make_task("sine", n_samples=2.5)
    with pytest.raises(TaskError, match="needs parameter 'path'"):
        make_task("csv", target="y")


# --- csv ----------------------------------------------------------------------------------

def _mnist_csv(path, n=60, labels=(1, 4, 7)):
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.integers(0, 256, size=(n, 784)),
                      columns=[f"pixel{i}" for i in range(784)])
    df.insert(0, "label", np.resize(np.array(labels), n))
    df["pixel0"] = df["label"] * 10  # a pixel that reveals the label, to check the encoding
    df.to_csv(path, index=False)
    return df


def _admissions_csv(path, n=80):
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"admit": rng.integers(0, 2, n), "gre": rng.integers(200, 801, n),
                       "gpa": rng.uniform(2.0, 4.0, n).round(2),
                       "rank": np.resize([1, 2, 3, 4], n)})
    df.to_csv(path, index=False)
    return df


def test_csv_mnist_style(tmp_path):
    path = tmp_path / "train.csv"
    df = _mnist_csv(path)
    ds = make_task("csv", path=str(path), target="label")
    assert ds.kind == "classification" and ds.classes == (1, 4, 7)
    assert (ds.n_in, ds.n_out) == (784, 3)
    # 60 rows: 20 % test (12), 20 % validation (12), 36 to train
    assert ds.X_train.shape == (36, 784) and ds.X_test.shape == (12, 784)
    assert ds.X_val.shape == (12, 784)
    assert sorted(np.bincount(ds.y_test)) == [4, 4, 4]  # stratified: 20 % of 20 per class
    assert sorted(np.bincount(ds.y_val)) == [4, 4, 4]
    assert ds.feature_names[:2] == ("pixel0", "pixel1")
    # Standardized with training statistics only: train columns have mean 0 and std 1.
    np.testing.assert_allclose(ds.X_train.mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(ds.X_train.std(0), 1, atol=1e-12)
    # Labels 1, 4, 7 are encoded 0, 1, 2 in order: pixel0 (= 10 * label) ranks them.
    for X, y in ((ds.X_train, ds.y_train), (ds.X_val, ds.y_val), (ds.X_test, ds.y_test)):
        np.testing.assert_array_equal(np.searchsorted(np.unique(X[:, 0]), X[:, 0]), y)
    assert sorted(np.concatenate([ds.y_train, ds.y_val, ds.y_test])) == sorted(
        df["label"].map({1: 0, 4: 1, 7: 2}))


def test_csv_admissions_one_hot_rank(tmp_path):
    path = tmp_path / "binary.csv"
    _admissions_csv(path)
    ds = make_task("csv", path=str(path), target="admit", categorical=["rank"])
    assert ds.kind == "classification" and ds.classes == (0, 1) and ds.n_out == 2
    assert ds.n_in == 2 + 4  # gre, gpa, and rank one-hot over its 4 values
    assert ds.feature_names == ("gre", "gpa", "rank_1", "rank_2", "rank_3", "rank_4")
    onehot = ds.X_train[:, 2:]
    assert set(np.unique(onehot)) == {0.0, 1.0}
    np.testing.assert_array_equal(onehot.sum(1), 1.0)
    # rank as a plain numeric column instead: one standardized column
    assert make_task("csv", path=str(path), target="admit").n_in == 3
    # a regression target: raw values, shape (n, 1)
    reg = make_task("csv", path=str(path), target="gpa", categorical=["rank"])
    assert reg.kind == "regression" and reg.y_train.shape == (48, 1)  # 80 - 16 - 16
    assert reg.y_train.min() >= 2.0 and reg.classes is None


def test_csv_reread_after_the_file_changes(tmp_path):
    path = tmp_path / "d.csv"
    _admissions_csv(path, n=80)
    assert make_task("csv", path=str(path), target="admit").X_train.shape[0] == 48
    _admissions_csv(path, n=40)
    assert make_task("csv", path=str(path), target="admit").X_train.shape[0] == 24


def test_csv_relative_path_is_made_absolute(tmp_path, monkeypatch):
    _admissions_csv(tmp_path / "a.csv")
    monkeypatch.chdir(tmp_path)
    ds = make_task("csv", path="a.csv", target="admit")
    assert ds.params["path"] == str(tmp_path / "a.csv")


@pytest.mark.parametrize("case, pattern", [
    ("missing", r"cannot read .*nope\.csv.*No such file.*readable CSV"),
    ("target", r"a\.csv has no target column 'admitt'; its columns: admit, gre, gpa, rank"),
    ("categorical", r"categorical column 'rnk' is not a column of .*a\.csv.*gre, gpa, rank"),
    ("text", r"column\(s\) school of .*a\.csv are not numeric.*categorical"),
    ("nan", r"a\.csv has missing values \(NaN\) in column\(s\) gpa"),
    ("empty", r"cannot read .*a\.csv"),
])
def test_csv_errors_name_file_problem_and_allowed(tmp_path, case, pattern):
    path = tmp_path / "a.csv"
    df = _admissions_csv(path)
    kwargs = dict(path=str(path), target="admit")
    if case == "missing":
        kwargs["path"] = str(tmp_path / "nope.csv")
    elif case == "target":
        kwargs["target"] = "admitt"
    elif case == "categorical":
        kwargs["categorical"] = ["rnk"]
    elif case == "text":
        df.assign(school=np.resize(["a", "b"], len(df))).to_csv(path, index=False)
    elif case == "nan":
        df.assign(gpa=df.gpa.where(df.index != 3)).to_csv(path, index=False)
    elif case == "empty":
        path.write_text("")
    with pytest.raises(TaskError, match=pattern):
        make_task("csv", **kwargs)


def test_csv_text_column_listed_as_categorical_is_one_hot(tmp_path):
    path = tmp_path / "a.csv"
    df = _admissions_csv(path)
    df.assign(school=np.resize(["a", "b", "c"], len(df))).to_csv(path, index=False)
    ds = make_task("csv", path=str(path), target="admit", categorical=["school"])
    assert ds.n_in == 3 + 3 and "school_c" in ds.feature_names


def _digits_csv(path, header):
    """scikit-learn's 8x8 digits in the common MNIST export: label first, 0..255 pixels."""
    digits = load_digits()
    pixels = np.round(digits.data * 255 / 16).astype(int)
    df = pd.DataFrame(np.column_stack([digits.target, pixels])[:300])
    df.to_csv(path, index=False, header=["label"] + [f"p{i}" for i in range(64)] if header
              else False)
    return df


def test_headerless_csv_with_the_target_by_position_and_pixels_divided(tmp_path):
    raw = _digits_csv(tmp_path / "no_header.csv", header=False)
    _digits_csv(tmp_path / "header.csv", header=True)
    plain = make_task("csv", path=str(tmp_path / "no_header.csv"), header=False, target=0,
                      scale=255)
    named = make_task("csv", path=str(tmp_path / "header.csv"), target="label", scale=255)
    by_position = make_task("csv", path=str(tmp_path / "header.csv"), target=0, scale=255)
    assert plain.n_in == 64 and plain.kind == "classification" and plain.n_out == 10
    for split in ("train", "val", "test"):
        for other in (named, by_position):
            np.testing.assert_array_equal(getattr(plain, f"X_{split}"),
                                          getattr(other, f"X_{split}"))
            np.testing.assert_array_equal(getattr(plain, f"y_{split}"),
                                          getattr(other, f"y_{split}"))
    # scale = 255: every pixel divided by 255, so in [0, 1], and no other change
    all_x = np.vstack([plain.X_train, plain.X_val, plain.X_test])
    assert all_x.min() == 0.0 and all_x.max() == 1.0
    assert sorted(map(tuple, all_x * 255)) == sorted(map(tuple, raw.iloc[:, 1:].to_numpy(float)))
    minmax = make_task("csv", path=str(tmp_path / "header.csv"), target="label",
                       scale="minmax")
    assert minmax.X_train.min() == 0.0 and minmax.X_train.max() == 1.0
    none = make_task("csv", path=str(tmp_path / "header.csv"), target="label", scale="none")
    assert none.X_train.max() == 255.0
    with pytest.raises(TaskError, match="no column at position 65; allowed: 0..64"):
        make_task("csv", path=str(tmp_path / "header.csv"), target=65)
    with pytest.raises(TaskError, match="scale"):
        make_task("csv", path=str(tmp_path / "header.csv"), target=0, scale="log")
    with pytest.raises(TaskError, match="no header row, so name columns by position"):
        make_task("csv", path=str(tmp_path / "no_header.csv"), header=False, target="label")


def test_the_same_data_with_and_without_a_header_gives_the_same_jobs_metrics(tmp_path):
    from sweeps.spec import Spec
    from sweeps.training import train_group

    _digits_csv(tmp_path / "no_header.csv", header=False)
    _digits_csv(tmp_path / "header.csv", header=True)
    common = {"hidden": [[8]], "activation": "sigmoid", "output": "sigmoid", "loss": "mse",
              "epochs": 20, "scale": 255}
    metrics = []
    for params in ({"path": str(tmp_path / "no_header.csv"), "header": False, "target": 0},
                   {"path": str(tmp_path / "header.csv"), "target": "label"}):
        spec = Spec.from_dict({"task": "csv", "params": {**common, **params}})
        (result,) = train_group(list(spec))
        assert result["status"] == "ok" and result["layers"] == [64, 8, 10]
        metrics.append({k: v for k, v in result["metrics"].items() if k != "wall_time"})
    assert metrics[0] == metrics[1]
