"""Reading a 21,600-job sweep back (issue 23): ``sweeps.load`` with and without arrays,
and ``sweeps status``, for this checkout and, with ``--tree``, another one side by side.

The sweep is 400 two-hidden-layer sine architectures x 54 seeds at 5 epochs (curves and
weights stored for every job), run once through the CLI with this checkout. Each
measurement is a fresh process (imports included, as a user pays them), best of
``--repeat``; the peak resident memory of the load with arrays is read from
``getrusage``.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
SPEC = """name = "load"
task = "sine"
max_jobs = 30000
[params]
hidden = { widths = { start = 1, stop = 20 }, depth = 2 }
epochs = 5
seed = { start = 0, stop = 53 }
"""
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
       "MKL_NUM_THREADS": "1"}
LOAD = """import resource, sys, time
t = time.perf_counter()
import sweeps
assert sweeps.__file__.startswith(sys.argv[2]), sweeps.__file__
df = sweeps.load(sys.argv[1], curves={arrays}, weights={arrays})
print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def _timed(tree: Path, argv: list) -> tuple:
    """(seconds, stdout) of ``python ARGV`` run in ``tree`` (``-c`` and ``-m`` put the
    working directory first on the path), with ``tree`` on the path."""
    env = {**ENV, "PYTHONPATH": str(tree)}
    start = time.perf_counter()
    out = subprocess.run([sys.executable, *argv], env=env, capture_output=True, text=True,
                         check=True, cwd=tree).stdout
    return time.perf_counter() - start, out


def measure(tree: Path, out: Path, repeat: int) -> dict:
    """Best-of-``repeat`` seconds (and MB) of each reading of ``out`` by ``tree``'s code."""
    best = {}
    for _ in range(repeat):
        for arrays in (True, False):
            _, text = _timed(tree, ["-c", LOAD.format(arrays=arrays), str(out), str(tree)])
            seconds, mb = map(float, text.split())
            name = "load, arrays" if arrays else "load, no arrays"
            best[name] = min(best.get(name, (seconds, mb)), (seconds, mb))
        seconds, _ = _timed(tree, ["-m", "sweeps", "status", str(out)])
        best["status"] = min(best.get("status", (seconds, 0.0)), (seconds, 0.0))
    return best


def main(tree=None, repeat=3) -> str:
    """The Markdown table: this checkout's times, and ``tree``'s with ratios if given."""
    with tempfile.TemporaryDirectory() as tmp:
        spec, out = Path(tmp) / "load.toml", Path(tmp) / "load"
        spec.write_text(SPEC)
        _timed(HERE, ["-m", "sweeps", "run", str(spec), "--out", str(out), "--jobs", "2"])
        after = measure(HERE, out, repeat)
        before = measure(Path(tree).resolve(), out, repeat) if tree else None
    head = "| 21,600 jobs | " + ("before (`--tree`) | after | ratio |" if before else "now |")
    lines = [head, "|---" * (4 if before else 2) + "|"]
    for name, (seconds, mb) in after.items():
        now = f"{seconds:.2f} s" + (f", peak {mb:.0f} MB" if mb else "")
        if before:
            b_s, b_mb = before[name]
            then = f"{b_s:.2f} s" + (f", peak {b_mb:.0f} MB" if b_mb else "")
            lines.append(f"| {name} | {then} | {now} | {b_s / seconds:.1f}x |")
        else:
            lines.append(f"| {name} | {now} |")
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tree", help="another checkout to measure side by side "
                        "(e.g. `git worktree add --detach /tmp/main-before main`)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(main(args.tree, args.repeat))
