"""A 20,000-job sweep through the CLI: the driver's memory while it runs, and a cached rerun.

The sweep is 400 two-hidden-layer sine architectures ([1, i, j, 1], i and j in 1..20) x 50
seeds with a few epochs, so the run is bookkeeping-bound: planning, stacking, metrics,
result transfer and the store. The driver's resident memory is sampled from ``/proc``
every 0.1 s while it runs (Linux); a flat curve means nothing grows with the jobs done.
Then the same command again, everything cached (goal: under 2 s).
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SPEC = """name = "scale"
task = "sine"
max_jobs = 20000
[params]
hidden = {{ widths = {{ start = 1, stop = 20 }}, depth = 2 }}
epochs = {epochs}
seed = {{ start = 0, stop = 49 }}
"""
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
       "MKL_NUM_THREADS": "1"}


def _rss_mb(pid):
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def run_sampled(args):
    """Run ``python -m sweeps ARGS``; return (seconds, [(t, driver RSS in MB), ...])."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "sweeps", *args], env=ENV,
                            stdout=subprocess.DEVNULL)
    samples = []
    while proc.poll() is None:
        rss = _rss_mb(proc.pid)
        if rss is not None:
            samples.append((time.perf_counter() - start, rss))
        time.sleep(0.1)
    if proc.returncode:
        raise RuntimeError(f"sweeps {' '.join(args)} exited with {proc.returncode}")
    return time.perf_counter() - start, samples


def _at(samples, fraction):
    """The RSS sample nearest to ``fraction`` of the run."""
    end = samples[-1][0]
    return min(samples, key=lambda s: abs(s[0] - fraction * end))[1]


def main(epochs=5, jobs=2, cached_rounds=3):
    """Return the Markdown table of the 20,000-job run and its cached reruns."""
    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "scale.toml"
        spec.write_text(SPEC.format(epochs=epochs))
        args = ["run", str(spec), "--out", str(Path(tmp) / "out"), "--quiet",
                "--jobs", str(jobs)]
        fresh, samples = run_sampled(args)
        cached = sorted(run_sampled(args)[0] for _ in range(cached_rounds))
    rss = {f: _at(samples, f) for f in (0.25, 0.5, 0.75, 1.0)}
    return "\n".join([
        f"20,000 jobs (400 sine architectures x 50 seeds, {epochs} epochs), --jobs {jobs}", "",
        "| measurement | value |", "|---|---|",
        f"| first run, wall | {fresh:.1f} s ({fresh / 20000 * 1e3:.2f} ms per job) |",
        ("| driver RSS at 25 / 50 / 75 / 100 % of the run | "
         + " / ".join(f"{rss[f]:.0f}" for f in sorted(rss)) + " MB |"),
        f"| driver RSS, peak | {max(r for _, r in samples):.0f} MB |",
        (f"| same command again, all cached, wall (best / median of {cached_rounds}) | "
         f"{cached[0]:.2f} / {cached[len(cached) // 2]:.2f} s |"),
    ])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    print(main(epochs=args.epochs, jobs=args.jobs))
