"""Sweeps end to end through the CLI: scaling from 1 to 2 workers, and the cost of a cached rerun.

Each measurement runs the real `sweeps` command in a fresh output directory, so it
includes process start-up, spec parsing, worker start-up and every store commit.
"""
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SWEEPS = [sys.executable, "-m", "sweeps"]


def run(args):
    """Run one `sweeps` command; return its wall time in seconds."""
    start = time.perf_counter()
    subprocess.run(SWEEPS + args, check=True, stdout=subprocess.DEVNULL,
                   env={**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"})
    return time.perf_counter() - start


def main():
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        one = run(["run", "sine", "--quiet", "--jobs", "1", "--out", str(out / "j1")])
        two = run(["run", "sine", "--quiet", "--jobs", "2", "--out", str(out / "j2")])
        seeds = "seed=" + ",".join(map(str, range(18)))
        big = ["run", "sine", "--quiet", "--jobs", "2", "--set", seeds, "--set", "epochs=200",
               "--out", str(out / "big")]
        full = run(big)
        cached = run(big)
    lines = [
        "| measurement | seconds | ratio |", "|---|---|---|",
        f"| `sweeps run sine` (56 architectures x 5 seeds, 2000 adam epochs), --jobs 1 | {one:.2f} | 1.00 |",
        f"| same, --jobs 2 | {two:.2f} | {one / two:.2f}x faster |",
        f"| 1,008-job sine sweep (56 x 18 seeds, 200 epochs), first run, --jobs 2 | {full:.2f} | |",
        f"| same command again, everything cached | {cached:.2f} | {cached / full:.3f} of the first run |",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(main())
