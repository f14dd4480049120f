"""The runner on real (tiny) sweeps: every backend stores the networks a test trains alone,
failures and divergence are results, a SIGKILL, SIGTERM or Ctrl-C loses nothing finished,
two runs never share a directory."""
import hashlib
import os
import signal
import sqlite3

import numpy as np
import pytest
from sweep_helpers import (assert_job_is_the_network_trained_alone, rows, slow_spec,
                           start_run, train_directly, wait_for_rows, write_spec)

import sweeps
from sweeps.lock import SweepLockedError
from sweeps.runner import RunSummary, run_sweep
from sweeps.store import DB_NAME, StoreError

GRID = """task = "sine"
[params]
hidden = [[3], [4, 4]]
batch_size = [10, 8]
epochs = 30
seed = [0, 1]
"""
#: The sine task's defaults, and the spec defaults GRID leaves out, written out.
SINE = {"n_samples": 30, "noise": 0.1, "data_seed": 0, "n_test": 1000}
MLP_SETTINGS = {"activation": "tanh", "output": "identity", "loss": "mse", "l2": 0.0}
#: Parameters of [1, 3, 1] and [1, 4, 4, 1], counted by hand: (fan_in + 1) * fan_out summed.
N_PARAMS = {(3,): 2 * 3 + 4 * 1, (4, 4): 2 * 4 + 5 * 4 + 5 * 1}


@pytest.fixture(scope="module")
def direct():
    """Every job of GRID trained alone, one network at a time: the reference for every
    backend, keyed by (hidden, batch_size, seed)."""
    return {(tuple(hidden), batch_size, seed): train_directly(
                "sine", SINE, hidden=hidden, seed=seed, optimizer="adam", lr=0.01, epochs=30,
                batch_size=batch_size, **MLP_SETTINGS)
            for hidden in ([3], [4, 4]) for batch_size in (10, 8) for seed in (0, 1)}


def _assert_grid_results(df, direct):
    jobs = {(row["hidden"], row["batch_size"], row["seed"]): row for _, row in df.iterrows()}
    assert len(df) == 8 and set(jobs) == set(direct)
    for job, (ds, net) in direct.items():
        row = jobs[job]
        assert row["status"] == "ok" and row["n_params"] == N_PARAMS[job[0]]
        assert len(row["curve_loss"]) == 30  # 30 epochs: the whole history is kept
        assert_job_is_the_network_trained_alone(row, ds, net, **MLP_SETTINGS)


@pytest.mark.parametrize("backend, n_jobs", [("loky", 1), ("loky", 2), ("threading", 2),
                                             ("dask", 2)])
def test_every_backend_stores_the_networks_trained_alone(direct, tmp_path, backend, n_jobs):
    spec = sweeps.load_spec(write_spec(tmp_path, "grid", GRID))
    summary = run_sweep(spec, tmp_path / "out", n_jobs=n_jobs, backend=backend)
    assert (summary.ok, summary.failed, summary.cached) == (8, 0, 0)
    df = sweeps.load(tmp_path / "out")
    _assert_grid_results(df, direct)
    pids = {int(w.rsplit(":", 1)[1]) for w in df["worker"]}
    if backend == "threading" or n_jobs == 1:  # n_jobs=1: joblib runs in this process
        assert pids == {os.getpid()}
    else:  # trained in worker processes (a LocalCluster for dask), not in this one
        assert os.getpid() not in pids


def test_an_existing_dask_cluster_stores_the_networks_trained_alone(direct, tmp_path):
    distributed = pytest.importorskip("distributed")
    spec = sweeps.load_spec(write_spec(tmp_path, "grid", GRID))
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        summary = run_sweep(spec, tmp_path / "out", scheduler=cluster.scheduler_address)
        workers = {f"{w.host}:{w.pid}" for w in cluster.scheduler.workers.values()}
    assert summary.ok == 8
    df = sweeps.load(tmp_path / "out")
    _assert_grid_results(df, direct)
    assert len(workers) == 2 and {w.split(":")[1] for w in df["worker"]} <= {
        w.split(":")[1] for w in workers}
    assert sweeps.load_meta(tmp_path / "out")["versions"]["distributed"] == distributed.__version__


def test_a_dask_sweep_takes_its_groups_as_workers_can_start_them(tmp_path):
    # A million-job sweep must not make every group up front: the groups are made as the
    # pool takes them, and a Dask pool keeps two per worker thread in flight (at least 4).
    pytest.importorskip("distributed")
    from sweeps.pools.dask import dask_client, dask_results

    spec = sweeps.load_spec(write_spec(tmp_path, "many", 'task = "sine"\n[params]\n'
                                       'hidden = [[2]]\nepochs = 5\nseed = { start = 0, '
                                       'stop = 23 }\n'))
    taken, ahead = [], []

    def groups():
        for job in range(len(spec)):
            taken.append(job)
            ahead.append(len(taken) - len(results))  # groups taken but not yet back
            yield [spec[job]]

    results = []
    with dask_client(2, None) as client:
        for group in dask_results(client, groups(), timeout=60):
            results.extend(group)
    assert sorted(r["config"]["seed"] for r in results) == list(range(24))
    assert {r["status"] for r in results} == {"ok"}
    assert max(ahead) <= 4  # two workers of one thread: 2 x 2 in flight


def test_a_job_that_raises_is_failed_one_that_diverges_is_a_result(tmp_path):
    csv = tmp_path / "admissions.csv"
    rng = np.random.default_rng(0)
    csv.write_text("admit,gre,gpa,rank\n" + "".join(
        f"{int(rng.random() < 0.4)},{rng.integers(400, 800)},{rng.uniform(2, 4):.2f},"
        f"{rng.integers(1, 5)}\n" for _ in range(40)))
    spec = sweeps.load_spec(write_spec(tmp_path, "mix", f"""
[params]
task = "sine"
hidden = [[4]]
epochs = 40
seed = [0, 1]
[[grid]]
optimizer = "gd"
lr = [0.01, 1e6]
[[grid]]
task = "csv"
path = "{csv}"
target = "admit"
categorical = ["rank"]
"""))
    saved = csv.read_bytes()
    csv.unlink()  # valid when the spec was checked, gone when the job runs: a real failure
    out = tmp_path / "out"
    summary = run_sweep(spec, out, n_jobs=1)
    assert (summary.ok, summary.diverged, summary.failed) == (2, 2, 2) and summary.any_failed
    df = sweeps.load(out).set_index("lr")
    failed = df[df["status"] == "failed"]
    assert len(failed) == 2 and (failed["task"] == "csv").all()
    assert failed["error"].str.contains("admissions.csv").all()
    assert failed["traceback"].str.startswith("Traceback").all()
    assert failed["weights"].isna().all() and failed["test_loss"].isna().all()
    diverged = df[df["status"] == "diverged"]
    assert len(diverged) == 2 and (diverged.index == 1e6).all()
    for _, job in diverged.iterrows():
        assert 0 < job["epochs_run"] < 40 and len(job["curve_loss"]) == job["epochs_run"]
        assert np.isfinite(job["curve_loss"]).all() and not np.isfinite(job["train_loss"])
        assert len(job["weights"]) == 2
    assert (df[df["task"] == "sine"].loc[0.01, "status"] == "ok").all()

    # Failed jobs stay failed on a plain rerun, even when the cause is gone ...
    csv.write_bytes(saved)
    before = rows(out)
    again = run_sweep(spec, out, n_jobs=1)
    assert (again.ok, again.failed, again.cached, again.cached_failed) == (0, 0, 6, 2)
    assert rows(out) == before
    # ... --retry-failed trains exactly those ...
    retry = run_sweep(spec, out, n_jobs=1, retry_failed=True)
    assert (retry.ok, retry.cached, retry.any_failed) == (2, 4, False)
    after = rows(out)
    assert {k for k in after if after[k] != before[k]} == set(failed["key"])
    # ... and --force trains everything again, to the same results: before and after,
    # each job holds the network trained alone with its settings.
    trained = sweeps.load(out)
    forced = run_sweep(spec, out, n_jobs=1, force=True)
    assert (forced.ok, forced.diverged, forced.cached) == (4, 2, 0)
    assert {run_id for _, run_id, _ in rows(out).values()} == {4}
    sine = dict(task="sine", task_params={"n_samples": 30, "noise": 0.1, "data_seed": 0,
                                          "n_test": 1000},
                optimizer="gd", output="identity", loss="mse")
    admissions = dict(task="csv", task_params={"path": str(csv), "target": "admit",
                                               "categorical": ["rank"]},
                      optimizer="adam", output="softmax", loss="cross_entropy")
    jobs = {("sine", 0.01, seed): sine for seed in (0, 1)}
    jobs.update({("sine", 1e6, seed): sine for seed in (0, 1)})
    jobs.update({("csv", 0.01, seed): admissions for seed in (0, 1)})
    for df in (trained, sweeps.load(out)):
        stored = {(r["task"], r["lr"], r["seed"]): r for _, r in df.iterrows()}
        assert len(df) == 6 and set(stored) == set(jobs)
        for (task, lr, seed), job in jobs.items():
            settings = dict(output=job["output"], loss=job["loss"], activation="tanh", l2=0.0)
            ds, net = train_directly(task, job["task_params"], hidden=[4], seed=seed,
                                     optimizer=job["optimizer"], lr=lr, epochs=40, **settings)
            assert stored[task, lr, seed]["status"] == ("diverged" if lr == 1e6 else "ok")
            assert_job_is_the_network_trained_alone(stored[task, lr, seed], ds, net,
                                                    **settings)


def test_a_csv_edited_in_place_gives_new_jobs_not_stale_cached_results(tmp_path):
    csv = tmp_path / "data.csv"
    csv.write_text("y,x\n" + "".join(f"{i % 2},{i}\n" for i in range(30)))
    original = csv.read_bytes()
    spec_path = write_spec(tmp_path, "csv", f'task = "csv"\n[params]\npath = "{csv}"\n'
                           'target = "y"\nhidden = [[3]]\nepochs = 10\nseed = [0, 1]\n')
    out = tmp_path / "out"
    first = run_sweep(spec_path, out, n_jobs=1)
    assert (first.ok, first.cached) == (2, 0)
    assert run_sweep(spec_path, out, n_jobs=1).cached == 2  # same file: cached

    # a row more: the size changes too, so the edit is seen whatever the mtime resolution
    csv.write_text("y,x\n" + "".join(f"{(i // 3) % 2},{i}\n" for i in range(31)))
    edited = run_sweep(spec_path, out, n_jobs=1)
    assert (edited.ok, edited.cached) == (2, 0)  # new content, new jobs
    df = sweeps.load(out, curves=False, weights=False)
    assert len(df) == 4 and df["key"].is_unique
    assert set(df["file_sha256"]) == {hashlib.sha256(text).hexdigest()[:16]
                                      for text in (original, csv.read_bytes())}


def test_resume_after_sigkill_trains_only_what_is_missing(tmp_path):
    spec_path, out = slow_spec(tmp_path), tmp_path / "out"
    proc = start_run(spec_path, out, "--jobs", "1")
    wait_for_rows(out, 3, proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    survived = rows(out)  # read after the kill: everything committed before it
    spec = sweeps.load_spec(spec_path)
    assert 3 <= len(survived) < len(spec), "the kill should land mid-sweep"
    with sqlite3.connect(out / DB_NAME) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert sweeps.load_meta(out)["counts"]["pending"] == len(spec) - len(survived)

    summary = run_sweep(spec, out, n_jobs=1)
    assert summary.cached == len(survived)
    assert summary.ok == len(spec) - len(survived)
    final = rows(out)
    assert sorted(final) == sorted(spec.keys())  # every job, each exactly once
    assert {k: final[k] for k in survived} == survived  # not retrained: same run, same time
    df = sweeps.load(out, curves=False, weights=False)
    assert len(df) == len(spec) and df["key"].is_unique and (df["status"] == "ok").all()


@pytest.mark.parametrize("signum, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_ctrl_c_or_sigterm_stops_cleanly_keeps_results_and_says_how_to_resume(
        tmp_path, signum, status):
    spec_path, out = slow_spec(tmp_path), tmp_path / "out"
    proc = start_run(spec_path, out, "--jobs", "2")
    seen = wait_for_rows(out, 2, proc)
    proc.send_signal(signum)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == status, stderr
    assert "pending" in stderr and "resume" in stderr and "Traceback" not in stderr
    assert ("SIGTERM" in stderr) == (signum == signal.SIGTERM)
    kept = rows(out)
    assert set(seen) <= set(kept) and len(kept) < len(sweeps.load_spec(spec_path))
    with sqlite3.connect(out / DB_NAME) as conn:
        outcome = conn.execute("SELECT outcome FROM runs ORDER BY run_id DESC").fetchone()
    assert outcome == ("interrupted",)
    summary = run_sweep(spec_path, out, n_jobs=2)  # lock released: resumes at once
    assert summary.cached == len(kept) and summary.pending == 0


def test_a_second_run_on_the_same_directory_is_refused(tmp_path):
    spec_path, out = slow_spec(tmp_path, n_groups=12), tmp_path / "out"
    proc = start_run(spec_path, out, "--jobs", "1")
    wait_for_rows(out, 1, proc)
    with pytest.raises(SweepLockedError, match=rf"PID {proc.pid}.*{out}"):
        run_sweep(spec_path, out, n_jobs=1)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr
    final = rows(out)
    assert sorted(final) == sorted(sweeps.load_spec(spec_path).keys())
    assert {run_id for _, run_id, _ in final.values()} == {1}  # only the first run trained
    with sqlite3.connect(out / DB_NAME) as conn:
        assert conn.execute("SELECT count(*) FROM runs").fetchone() == (1,)


def test_progress_callback_sees_every_group(tmp_path):
    spec = sweeps.load_spec(write_spec(tmp_path, "grid", GRID))
    seen = []
    summary = run_sweep(spec, tmp_path / "out", n_jobs=1,
                        progress=lambda s: seen.append((s.done, s.pending)))
    assert isinstance(summary, RunSummary)
    # once after planning, then once per group: 2 hidden x 2 batch sizes (seeds share one)
    assert seen[0] == (0, 8) and seen[-1] == (8, 0) and len(seen) == 1 + 4


def test_a_foreign_file_in_the_output_directory_is_never_touched(tmp_path):
    (tmp_path / DB_NAME).write_bytes(b"precious notes, not a database\n")
    spec = sweeps.load_spec(write_spec(tmp_path, "grid", GRID))
    with pytest.raises(StoreError, match="not an SQLite database"):
        run_sweep(spec, tmp_path, n_jobs=1)
    assert (tmp_path / DB_NAME).read_bytes() == b"precious notes, not a database\n"
    assert not (tmp_path / ".lock").exists()


def test_the_python_api_runs_resumes_and_returns_the_frame(tmp_path, capsys):
    overrides = ["epochs=20", "seed=0,1", "hidden=[[3],[4,4]]"]
    df = sweeps.run("sine", out=tmp_path, overrides=overrides, jobs=1, backend="threading")
    assert len(df) == 4 and (df["status"] == "ok").all()
    assert "sine: 100%" in capsys.readouterr().err.replace("|", "")  # tqdm drew its bar
    again = sweeps.run("sine", out=tmp_path, overrides=overrides, progress=False)
    assert sorted(again["key"]) == sorted(df["key"])  # everything cached, nothing retrained
    assert list(again["finished"].sort_values()) == list(df["finished"].sort_values())
    with pytest.raises(ValueError, match="overrides apply to a preset name"):
        sweeps.run(sweeps.load_spec("sine"), out=tmp_path, overrides=overrides)
