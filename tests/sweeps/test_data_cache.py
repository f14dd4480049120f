"""The data-set cache (``sweeps.tasks.cache``): each task's data set written once by the
driver, memory-mapped by local workers, which then import neither pandas nor scikit-learn.

The reference is ``make_task``, the data set a worker built for itself before the cache:
every array must come back bit for bit, with the same dtype, and a job trained from the
cache must store exactly the numbers of the job trained from ``make_task``.
"""
import os
import subprocess
import sys

import numpy as np
import pytest
from joblib.externals.loky import ProcessPoolExecutor

from sweeps.tasks import TASKS, make_task, resolve_task_params
from sweeps.tasks import cache
from sweeps.tasks.dataset import make_dataset
from sweeps.training import train_group

HEAVY = ("pandas", "sklearn", "scipy")


def mnist_csv(path, n_rows=300, n_pixels=16, seed=0):
    """A headerless, label-first CSV of 0..255 pixels, as MNIST exports are."""
    rng = np.random.default_rng(seed)
    data = np.zeros((n_rows, n_pixels + 1), dtype=np.int64)
    data[:, 0] = np.arange(n_rows) % 10
    data[:, 1:] = rng.integers(0, 256, (n_rows, n_pixels))
    np.savetxt(path, data, fmt="%d", delimiter=",")
    return path


def csv_params(path):
    return resolve_task_params("csv", dict(path=str(path), header=False, target=0,
                                           scale=255))


def labelled_csv(path):
    """Text labels, a categorical column and a header: what meta.json must keep."""
    path.write_text("colour,size,label\n" + "".join(
        f"{c},{i % 7}.5,{'yes' if i % 3 else 'no'}\n"
        for i, c in zip(range(60), ["red", "green", "blue"] * 20)))
    return resolve_task_params("csv", dict(path=str(path), target="label",
                                           categorical=["colour"]))


@pytest.fixture
def tasks(tmp_path):
    """Every task, the CSV both ways: (name, resolved parameters)."""
    built_in = [(name, resolve_task_params(name, {})) for name in TASKS if name != "csv"]
    return built_in + [("csv", csv_params(mnist_csv(tmp_path / "mnist.csv"))),
                       ("csv", labelled_csv(tmp_path / "labelled.csv"))]


def test_every_task_comes_back_bit_for_bit_memory_mapped_and_read_only(tmp_path, tasks):
    for name, params in tasks:
        want = make_task(name, **params)
        handle = cache.write_dataset(want, tmp_path / "cache", cache.dataset_key(name, params))
        got = handle.open()
        for array in cache.ARRAYS:
            a, b = getattr(got, array), getattr(want, array)
            assert a.dtype == b.dtype and a.shape == b.shape, (name, array)
            assert np.array_equal(a, b), (name, array)
            assert not a.flags.writeable and isinstance(a.base, np.memmap), (name, array)
        for field in ("name", "kind", "n_in", "n_out", "classes", "feature_names", "params",
                      "single_output", "default_output_loss", "truth", "held_out"):
            assert getattr(got, field) == getattr(want, field), (name, field)
        assert got.output_units("softmax") == want.output_units("softmax")


def test_the_key_is_the_tasks_parameters_and_the_files_content(tmp_path):
    path = mnist_csv(tmp_path / "a.csv")
    params = csv_params(path)
    reordered = dict(reversed(list(params.items())))
    assert cache.dataset_key("csv", params) == cache.dataset_key("csv", reordered)
    assert cache.dataset_key("csv", params) != cache.dataset_key(
        "csv", {**params, "data_seed": 1})
    mnist_csv(path, seed=1)  # same name, size and shape; other pixels
    assert cache.dataset_key("csv", csv_params(path)) != cache.dataset_key("csv", params)


def test_an_entry_is_written_once_and_unfinished_ones_are_replaced_or_pruned(tmp_path):
    root, params = tmp_path / "cache", resolve_task_params("sine", {})
    key = cache.dataset_key("sine", params)
    first = cache.write_dataset(make_task("sine", **params), root, key)
    meta = os.path.join(first.folder, "meta.json")
    stamp = os.stat(meta).st_mtime_ns
    assert cache.write_dataset(make_task("sine", **params), root, key) == first
    assert os.stat(meta).st_mtime_ns == stamp  # complete: not written again
    os.remove(os.path.join(first.folder, "X_test.npy"))  # as if killed mid-way
    (root / ".somekey-tmp").mkdir()  # a write that never finished
    handles = cache.prepare(root, [[{"task": "sine", "task_params": params}]])
    assert handles == {key: first} and sorted(os.listdir(root)) == [key]
    assert np.array_equal(first.open().X_test, make_task("sine", **params).X_test)


def test_a_data_set_json_cannot_hold_is_left_to_the_workers(tmp_path):
    ds = make_dataset("sine", "regression", ([[0.0]], [[1.0]]), ([[0.5]], [[0.0]]),
                      ([[1.0]], [[0.0]]), 1, {}, truth=lambda X: X)
    assert cache.write_dataset(ds, tmp_path, "k") is None
    assert os.listdir(tmp_path) == []


def test_a_handle_of_other_data_is_refused(tmp_path):
    sine, moons = (resolve_task_params(n, {}) for n in ("sine", "moons"))
    handle = cache.write_dataset(make_task("sine", **sine), tmp_path,
                                 cache.dataset_key("sine", sine))
    with pytest.raises(ValueError, match="not the data of task 'moons'"):
        cache.task_dataset({"task": "moons", "task_params": moons}, handle)


def _job(task, params, seed, activation="tanh"):
    return {"task": task, "task_params": params, "hidden": [8], "activation": activation,
            "output": "softmax", "loss": "cross_entropy", "optimizer": "gd", "lr": 0.5,
            "epochs": 3, "batch_size": 10, "l2": 0.0, "init": "normal",
            "leaky_slope": 0.01, "patience": None, "min_delta": 0.0,
            "record_weights": False, "seed": seed}


def train_in_worker(group, data):
    """Run in a worker process: train, then name the heavy packages it has imported."""
    results = train_group(group, data=data)
    return results, sorted({m.split(".")[0] for m in sys.modules} & set(HEAVY))


def test_a_worker_trains_a_csv_job_from_the_cache_without_pandas_or_scikit_learn(tmp_path):
    params = csv_params(mnist_csv(tmp_path / "mnist.csv"))
    tanh = [_job("csv", params, seed) for seed in (0, 1)]
    sigmoid = [_job("csv", params, seed, "sigmoid") for seed in (0, 1)]
    handles = cache.prepare(tmp_path / "cache", [tanh, sigmoid])
    with ProcessPoolExecutor(max_workers=1) as pool:  # a real worker process
        for group, heavy_after in ((tanh, []), (sigmoid, ["scipy"])):
            results, heavy = pool.submit(train_in_worker, group,
                                         cache.data_for(handles, group)).result()
            # nncore's sigmoid is scipy.special.expit (scikit-learn's numbers), imported
            # on first use; nothing else of scipy, pandas or scikit-learn
            assert heavy == heavy_after
            _assert_same_jobs(results, train_group(group))  # from make_task, as before


def _assert_same_jobs(got_results, want_results):
    for got, want in zip(got_results, want_results, strict=True):
        assert got["key"] == want["key"] and got["status"] == want["status"] == "ok"
        names = sorted(set(want["metrics"]) - {"wall_time"})
        assert sorted(set(got["metrics"]) - {"wall_time"}) == names
        assert np.array_equal([got["metrics"][n] for n in names],
                              [want["metrics"][n] for n in names], equal_nan=True)
        for a, b in zip(got["weights"] + got["biases"], want["weights"] + want["biases"]):
            assert np.array_equal(a, b)


CSV_SPEC = """task = "csv"
[params]
path = {path!r}
header = false
target = 0
scale = 255
hidden = [[6], [9]]
activation = "tanh"
output = "softmax"
loss = "cross_entropy"
optimizer = "gd"
lr = 0.5
batch_size = 10
epochs = 2
seed = [0, 1]
"""


def test_a_dask_worker_that_cannot_see_the_csv_trains_it_from_the_scattered_data(tmp_path):
    """The worker runs in another directory, and the CSV is moved away once the driver
    has planned: each data set must reach it through Dask. The numbers are those of
    the same sweep run before on local worker processes, reading the file."""
    distributed = pytest.importorskip("distributed")
    from sweep_helpers import stored_metrics, write_spec

    from sweeps.runner import run_sweep
    from sweeps.spec import load_spec

    path = mnist_csv(tmp_path / "mnist.csv")
    spec_path = write_spec(tmp_path, "mnist", CSV_SPEC.format(path=str(path)))
    run_sweep(load_spec(spec_path), tmp_path / "local", n_jobs=2)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    def move_the_csv_away(summary):
        if path.exists():  # planning is done: nothing may read the file any more
            path.rename(tmp_path / "moved.csv")

    with distributed.LocalCluster(n_workers=0, host="127.0.0.1", dashboard_address=None,
                                  scheduler_kwargs={"dashboard_address": "127.0.0.1:0"}
                                  ) as cluster:
        worker = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker",
                                   cluster.scheduler_address, "--nthreads", "1",
                                   "--no-dashboard"], cwd=elsewhere,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            summary = run_sweep(load_spec(spec_path), tmp_path / "dask",
                                scheduler=cluster.scheduler_address,
                                progress=move_the_csv_away)
        finally:
            worker.kill()
            worker.wait()
    assert not path.exists() and summary.ok == 4 and summary.failed == 0
    assert stored_metrics(tmp_path / "dask") == stored_metrics(tmp_path / "local")
    assert not (tmp_path / "dask" / cache.CACHE_DIR).exists()  # removed when it ended
