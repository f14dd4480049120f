"""Write ``reference.json``: the metrics of ``spec.toml``'s jobs, as the code of a commit gives them.

Run once, before the engine and runner changes of issue 12 (commit b4e074a); running it
again with later code would only copy that code's numbers, so do not, unless a change of
``RESULTS_VERSION`` has changed what every job means.

    PYTHONPATH=.:tests python tests/data/float64_reference/make_reference.py
"""
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from sweep_helpers import stored_metrics

HERE = Path(__file__).parent


def main():
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "sweeps", "run", str(HERE / "spec.toml"),
                        "--out", tmp, "--quiet", "--jobs", "2"], check=True)
        jobs = stored_metrics(tmp)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], check=True,
                            capture_output=True, text=True, cwd=HERE).stdout.strip()
    text = json.dumps({"commit": commit, "jobs": jobs}, sort_keys=True, indent=0)
    (HERE / "reference.json").write_text(text + "\n")
    print(f"{len(jobs)} jobs from commit {commit}")


if __name__ == "__main__":
    main()
