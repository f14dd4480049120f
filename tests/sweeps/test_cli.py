"""The `sweeps` command line: help, exit codes, messages, and nothing written on bad input."""
import subprocess
import sys

import pandas as pd
import pytest
from sweep_helpers import rows, write_spec

import sweeps
from sweeps.cli import main
from sweeps.store import DB_NAME, StoreError

TINY = """task = "sine"
[params]
hidden = [[3], [4, 4]]
epochs = 20
seed = [0, 1]
"""


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the default --out, runs/<name>, lands in tmp_path
    return write_spec(tmp_path, "tiny", TINY)


def test_python_m_sweeps_help_lists_every_command():
    out = subprocess.run([sys.executable, "-m", "sweeps", "--help"], capture_output=True,
                         text=True, check=True).stdout
    for command in ("run", "list", "status", "report", "best", "compare", "export"):
        assert command in out


@pytest.mark.parametrize("command", ["run", "list", "status", "report", "best", "compare",
                                     "export"])
def test_every_command_has_help_with_examples(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    assert "examples:" in capsys.readouterr().out


def test_run_resume_list_and_status(tiny, tmp_path, capsys):
    assert main(["run", str(tiny), "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert "4 ok, 0 cached, 0 failed, 0 diverged" in out and "runs/tiny" in out
    assert len(sweeps.load(tmp_path / "runs" / "tiny")) == 4

    assert main(["run", str(tiny), "--jobs", "1"]) == 0  # resume: nothing left to train
    assert "0 ok, 4 cached" in capsys.readouterr().out

    assert main(["list", str(tiny), "--set", "seed=0,1,2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 7 and sum(" ok " in line for line in lines[:6]) == 4
    assert lines[-1].startswith("6 jobs: 4 cached (4 ok), 2 pending")

    assert main(["status", str(tmp_path / "runs" / "tiny")]) == 0
    out = capsys.readouterr().out
    assert "ok" in out and "pending" in out and "failures" not in out


def test_a_failed_job_gives_exit_1_and_status_shows_its_error(tmp_path, capsys):
    # A CSV valid when the spec is checked, edited before the job runs: the worker reads
    # it again (its cache key includes the file's mtime) and the job, which carries the
    # planned file's content hash, refuses the new content.
    csv = tmp_path / "data.csv"
    content = "y,x\n" + "".join(f"{i % 2},{i}\n" for i in range(20))
    csv.write_text(content)
    spec = write_spec(tmp_path, "bad", f'task = "csv"\n[params]\npath = "{csv}"\n'
                      'target = "y"\nhidden = [[2]]\nepochs = 5\n')
    loaded = sweeps.load_spec(spec)
    csv.write_text("y,x\n")  # header only: the task now refuses it
    from sweeps.runner import run_sweep
    summary = run_sweep(loaded, tmp_path / "out", n_jobs=1)
    assert summary.failed == 1
    assert main(["status", str(tmp_path / "out")]) == 1
    out = capsys.readouterr().out
    assert "failed" in out and "changed after this job was planned" in out
    # The CLI on the same (now invalid) spec refuses before running anything.
    assert main(["run", str(spec), "--out", str(tmp_path / "again")]) == 2
    assert not (tmp_path / "again").exists()
    # Data fixed: a plain rerun keeps the stored failure (exit 1, says how to retry) ...
    csv.write_text(content)
    capsys.readouterr()
    assert main(["run", str(spec), "--out", str(tmp_path / "out")]) == 1
    assert "--retry-failed" in capsys.readouterr().err
    # ... and --retry-failed trains it.
    assert main(["run", str(spec), "--out", str(tmp_path / "out"), "--retry-failed"]) == 0
    assert "1 ok" in capsys.readouterr().out


@pytest.mark.parametrize("body, overrides, message", [
    ('task = "sine"\n[params]\nactivation = "swish"\n', [], "activation"),
    ('task = "sine"\n[params]\nhidden = [[0]]\n', [], "hidden"),
    ('task = "sine"\n[params]\nlearning_rate = 0.1\n', [], "learning_rate"),
    (TINY, ["epochs=many"], "epochs"),
])
def test_a_bad_spec_exits_2_with_one_line_and_writes_nothing(tmp_path, monkeypatch, capsys,
                                                             body, overrides, message):
    monkeypatch.chdir(tmp_path)
    spec = write_spec(tmp_path, "broken", body)
    args = [f"--set={o}" for o in overrides]
    assert main(["run", str(spec), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("sweeps run: error:") and message in err and "broken.toml" in err
    assert "\n" not in err and "Traceback" not in err
    assert not (tmp_path / "runs").exists()


def test_a_missing_spec_file_or_preset_exits_2(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["run", "no_such_preset"]) == 2
    assert main(["list", str(tmp_path / "missing.toml")]) == 2
    err = capsys.readouterr().err
    assert "no_such_preset" in err and "missing.toml" in err
    assert list(tmp_path.iterdir()) == []


def test_status_of_a_missing_or_foreign_directory_exits_2(tmp_path, capsys):
    assert main(["status", str(tmp_path / "nowhere")]) == 2
    assert "nowhere" in capsys.readouterr().err
    (tmp_path / DB_NAME).write_text("not a database")
    assert main(["status", str(tmp_path)]) == 2
    assert "not an SQLite database" in capsys.readouterr().err
    assert (tmp_path / DB_NAME).read_text() == "not a database"


def test_only_commands_with_out_name_it_as_the_way_out_of_a_store_in_the_way(tiny, tmp_path,
                                                                            capsys):
    out = tmp_path / "taken"
    (out / DB_NAME).mkdir(parents=True)  # a directory where the store belongs
    with pytest.raises(StoreError) as exc:
        sweeps.load(out)
    assert "--out" not in str(exc.value) and "Move the directory aside" in str(exc.value)
    for argv in (["run", str(tiny), "--out", str(out)], ["list", str(tiny), "--out", str(out)]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1
        assert "Move the directory aside or choose another --out directory" in err, argv
    assert main(["status", str(out)]) == 2
    err = capsys.readouterr().err
    assert "Move the directory aside" in err and "--out" not in err


def test_scheduler_with_a_non_dask_backend_is_a_usage_error(tiny, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["run", str(tiny), "--backend", "loky", "--scheduler", "tcp://127.0.0.1:1"])
    assert exc.value.code == 2 and "--scheduler needs the dask backend" in capsys.readouterr().err


def test_jobs_zero_is_refused(tiny, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["run", str(tiny), "--jobs", "0"])
    assert exc.value.code == 2


def test_a_locked_directory_exits_75_naming_it(tiny, tmp_path, capsys):
    from sweeps.lock import run_lock

    out = tmp_path / "runs" / "tiny"
    out.mkdir(parents=True)
    with run_lock(out):
        assert main(["run", str(tiny), "--jobs", "1"]) == 75
    err = capsys.readouterr().err
    assert "another `sweeps run`" in err and "runs/tiny" in err
    assert rows(out) == {}


def test_report_writes_index_html(tiny, tmp_path, capsys):
    assert main(["run", str(tiny), "--jobs", "1", "--quiet"]) == 0
    assert main(["report", str(tmp_path / "runs" / "tiny")]) == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.endswith("index.html") and (tmp_path / line.split(": ", 1)[1]).is_file()


def test_compare_prints_the_verdict_first_then_what_differs(tmp_path, capsys):
    body = TINY + 'optimizer = "{}"\nlr = {}\n'
    out_a, out_b = tmp_path / "gd", tmp_path / "adam"
    assert main(["run", str(write_spec(tmp_path, "a", body.format("gd", 0.1))),
                 "--out", str(out_a), "-q"]) == 0
    assert main(["run", str(write_spec(tmp_path, "b", body.format("adam", 0.01))),
                 "--out", str(out_b), "-q"]) == 0
    capsys.readouterr()
    assert main(["compare", str(out_a), str(out_b), "--on", "test_mse",
                 "--out", str(tmp_path / "cmp")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("gd vs adam on test_mse: ")
    assert "Wilcoxon signed-rank p = " in lines[0]
    assert "differing: optimizer gd | adam; lr 0.1 | 0.01" in lines[1]
    assert lines[2].startswith("same in every row:") and "epochs=20" in lines[2]
    header = lines[3].split()
    assert "epochs" not in header and "task" not in header
    assert header[:3] == ["layers", "depth", "n_params"]
    assert [line.split(":")[0] for line in lines[6:]] == ["csv", "md", "html", "figure",
                                                          "page"]
    # the printed differences against the per-job metrics read independently (A - B)
    table = sweeps.load(out_a, curves=False, weights=False)
    gd = table.groupby(table["hidden"].map(tuple))["test_mse"].mean()
    table = sweeps.load(out_b, curves=False, weights=False)
    adam = table.groupby(table["hidden"].map(tuple))["test_mse"].mean()
    written = pd.read_csv(tmp_path / "cmp" / "compare.csv")
    for line, (_, row) in zip(lines[4:6], written.iterrows()):
        hidden = tuple(int(w) for w in row["layers"].strip("[]").split(",")[1:-1])
        assert row["diff"] == pytest.approx(gd[hidden] - adam[hidden], rel=1e-9)
        assert float(line.split()[-3]) == pytest.approx(row["diff"], abs=1e-6)  # rounded


def test_compare_two_moons_sweeps_without_a_metric_uses_validation_accuracy(tmp_path,
                                                                            capsys):
    body = ('task = "moons"\n[params]\nhidden = [[3], [5], [4, 4]]\nepochs = 30\n'
            'seed = [0, 1]\noptimizer = "{}"\n')
    outs = [tmp_path / o for o in ("adam", "adagrad")]
    for out in outs:
        assert main(["run", str(write_spec(tmp_path, out.name, body.format(out.name))),
                     "--out", str(out), "-q"]) == 0
    capsys.readouterr()
    assert main(["compare", *map(str, outs)]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("adam vs adagrad on val_accuracy: ")
    assert main(["compare", *map(str, outs), "--on", "test_mse"]) == 2
    assert "'test_mse' does not exist for this classification sweep" in capsys.readouterr().err
    # inside one sweep: two values of an axis
    assert main(["compare", str(outs[0]), "--by", "hidden"]) == 2
    assert "hidden" in capsys.readouterr().err


def test_best_ranks_on_validation_and_refuses_a_test_metric(tiny, tmp_path, capsys):
    assert main(["run", str(tiny), "--jobs", "1", "--quiet"]) == 0
    out = tmp_path / "runs" / "tiny"
    capsys.readouterr()
    assert main(["best", str(out), "--top", "1"]) == 0
    text = capsys.readouterr().out.splitlines()
    df = sweeps.load(out, curves=False, weights=False)
    means = df.groupby("layers")["val_mse"].mean()
    assert text[0].startswith(f"Best configuration chosen on validation MSE: "
                              f"{means.idxmin()}; test MSE ")
    assert main(["best", str(out), "--by", "test_mse"]) == 2
    assert "validation metric" in capsys.readouterr().err


def test_a_closed_pipe_ends_quietly(tmp_path):
    # `sweeps list sine | head -1`: the reader leaves after one line; no traceback. 50
    # seeds make 2,800 lines, far more than a pipe buffers, so the writer hits the close.
    proc = subprocess.Popen([sys.executable, "-m", "sweeps", "list", "sine", "--set",
                             "seed={start=0,stop=49}", "--out", str(tmp_path / "runs")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 141
    assert first.split()[:2] == [b"0", b"pending"] and err == b""


def test_sweeps_list_sine_piped_to_head_exits_0_or_141_with_nothing_on_stderr(tmp_path):
    # The issue's own command, through a real shell pipe; whether the writer meets the
    # closed pipe depends on timing (the preset's 280 lines may fit the pipe's buffer).
    done = subprocess.run(["bash", "-c", f'"{sys.executable}" -m sweeps list sine --out '
                           f'"{tmp_path}" | head -1; echo "status=${{PIPESTATUS[0]}}"'],
                          capture_output=True, text=True, timeout=60)
    first, status = done.stdout.splitlines()
    assert first.split()[:2] == ["0", "pending"] and done.stderr == ""
    assert status in ("status=0", "status=141")


def test_export_round_trips_the_metrics_and_version_prints(tiny, tmp_path, capsys):
    assert main(["run", str(tiny), "--jobs", "1", "--quiet"]) == 0
    out = tmp_path / "runs" / "tiny"
    assert main(["export", str(out)]) == 0
    written = pd.read_csv(out / "results.csv").set_index("key").sort_index()
    loaded = sweeps.load(out, curves=False, weights=False).set_index("key").sort_index()
    assert list(written.index) == list(loaded.index)
    for metric in ("train_loss", "val_loss", "test_loss", "train_mse", "val_mse", "test_mse",
                   "epochs_run"):
        assert (written[metric] == loaded[metric]).all(), metric  # CSV keeps every digit
    assert "curve_loss" not in written and "weights" not in written
    assert main(["export", str(out), "--format", "json", "--arrays",
                 "--to", str(tmp_path / "r.json")]) == 0
    records = pd.read_json(tmp_path / "r.json")
    assert len(records["curve_loss"].iloc[0]) == 20 and len(records["weights"].iloc[0]) >= 2
    assert main(["export", str(out), "--format", "csv", "--arrays"]) == 2
    # --out names the file, as every command's output option; --to, the old name, agrees
    assert main(["export", str(out), "--out", str(tmp_path / "a.csv")]) == 0
    assert main(["export", str(out), "--to", str(tmp_path / "b.csv")]) == 0
    assert main(["export", str(out), "-o", str(tmp_path / "c.csv")]) == 0
    text = (tmp_path / "a.csv").read_text()
    assert text == (tmp_path / "b.csv").read_text() == (tmp_path / "c.csv").read_text()
    assert len(pd.read_csv(tmp_path / "a.csv")) == len(loaded)
    capsys.readouterr()
    with pytest.raises(SystemExit):
        main(["export", "--help"])
    assert "--out FILE" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0 and capsys.readouterr().out.startswith("sweeps (nnsweeps) ")
