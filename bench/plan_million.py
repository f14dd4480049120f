"""Planning the cap: a 1,000,000-job spec from ``load_spec`` to the first stack handed to
the pool, in a fresh process: wall time and peak resident memory (goal: under 10 s and
300 MB; issue 23 measured 44 s and 696 MB).

The spec is 400 two-hidden-layer sine architectures x 5 learning rates x 500 seeds (2,000
configs). The steps are those of ``sweeps.runner.run_sweep`` before any job trains: load
the spec, write the run and its planned jobs into a new store, look the keys up, stack
what is missing, order the stacks for two workers (``sweeps.balance``), make the configs of
the first stack.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

SPEC = """name = "cap"
task = "sine"
[params]
hidden = { widths = { start = 1, stop = 20 }, depth = 2 }
lr = [0.001, 0.003, 0.01, 0.03, 0.1]
epochs = 5
seed = { start = 0, stop = 499 }
"""

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
t0 = time.perf_counter()
from sweeps.balance import plan_stacks
from sweeps.runner import RunSummary, _configs, _plan
from sweeps.spec import load_spec
from sweeps.store import Store
spec_path, out = Path(sys.argv[1]), Path(sys.argv[2])
steps = {}
spec = load_spec(spec_path)
steps["load_spec"] = time.perf_counter() - t0
summary = RunSummary(spec.name, out, planned=len(spec))
out.mkdir()
with Store.open(out, create=True) as store:
    t = time.perf_counter()
    run_id = store.start_run(name=spec.name, spec_text=spec.source,
                             planned=spec.by_config(), record={"pid": 0})
    steps["start_run"] = time.perf_counter() - t
    t = time.perf_counter()
    stacks = _plan(spec, store.statuses(), summary, False, False)
    todo = [jobs for _, jobs in plan_stacks(stacks, 2)]  # two workers: split if need be
    first = next(_configs(spec, todo))
    steps["plan + first stack"] = time.perf_counter() - t
steps["total"] = time.perf_counter() - t0
cpu = resource.getrusage(resource.RUSAGE_SELF)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"jobs": len(spec), "stacks": len(todo), "first": len(first),
                  "steps": steps, "peak_mb": peak,
                  "cpu": cpu.ru_utime + cpu.ru_stime}))
"""


def measure():
    """Return the child's measurements (a dict) of planning the 1,000,000-job spec."""
    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "cap.toml"
        spec.write_text(SPEC)
        env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
        out = subprocess.run([sys.executable, "-c", CHILD, str(spec), str(Path(tmp) / "out")],
                             env=env, stdout=subprocess.PIPE, text=True, check=True)
        return json.loads(out.stdout)


def main():
    """Return the Markdown table of one planning of the 1,000,000-job spec."""
    m = measure()
    rows = [f"| {name} | {seconds:.1f} s |" for name, seconds in m["steps"].items()]
    return "\n".join([
        f"{m['jobs']:,} jobs (2,000 sine configs x 500 seeds), {m['stacks']:,} stacks "
        "to train, in a fresh process", "",
        "| step (until the first stack is handed to the pool) | wall |", "|---|---|",
        *rows, f"| CPU time (user + system; the wall time above waits for the disk "
        f"and for other processes) | {m['cpu']:.1f} s |",
        f"| peak resident memory | {m['peak_mb']:.0f} MB |"])


if __name__ == "__main__":
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    print(main())
