"""Progress when stderr is not a terminal (a log, ``make demo | tee``): plain lines, the
first when planning is done, then as jobs finish, no carriage returns; a real subprocess."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(spec, out, every, *extra):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SWEEPS_PROGRESS_EVERY": every}
    return subprocess.run([sys.executable, "-m", "sweeps", "run", str(spec), "--out", str(out),
                           "-j", "2", "--backend", "threading", *extra],
                          capture_output=True, text=True, timeout=300, env=env, check=False)


def test_lines_as_the_sweep_goes_when_stderr_is_a_pipe(tmp_path):
    spec = tmp_path / "few.toml"
    spec.write_text('name = "few"\ntask = "sine"\n[params]\nhidden = [[2], [3], [4], [5]]\n'
                    'activation = ["tanh", "relu"]\nepochs = 20\nseed = [0, 1]\n')
    done = _run(spec, tmp_path / "out", "0")  # 0: a line after every finished group
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert "\r" not in done.stderr and lines[0] == "few: 16 jobs, 0 cached, 16 to train"
    progress = lines[1:]
    # 8 groups (a config's two seeds train together); the last is the summary's to say
    assert 1 <= len(progress) <= 7, lines
    counts = [int(line.split(": ")[1].split(" of ")[0]) for line in progress]
    assert all(line.startswith("few: ") and " of 16 jobs done (" in line for line in progress)
    assert counts == sorted(counts) and counts[-1] < 16
    assert done.stdout.startswith("few: 16 jobs: 16 ok, 0 cached")

    again = _run(spec, tmp_path / "out", "0")  # all cached: the plan line and the summary
    assert again.stderr.splitlines() == ["few: 16 jobs, 16 cached, 0 to train"]
    assert "16 cached" in again.stdout
    quiet = _run(spec, tmp_path / "out", "0", "-q")
    assert quiet.stderr == "" and "16 cached" in quiet.stdout


def test_a_bad_interval_falls_back_to_the_default(monkeypatch):
    from sweeps.progress import PROGRESS_EVERY, ProgressLines

    for text in ("soon", "-1", "inf", "nan"):
        monkeypatch.setenv("SWEEPS_PROGRESS_EVERY", text)
        assert ProgressLines(enabled=True).every == PROGRESS_EVERY
    monkeypatch.setenv("SWEEPS_PROGRESS_EVERY", "2.5")
    assert ProgressLines(enabled=True).every == 2.5
