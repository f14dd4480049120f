"""`sweeps run` on a 60,000-row MNIST-format CSV: what loading the data costs each process.

A small net (``[784, H, 10]`` sigmoid, quadratic cost, batch 10, lr 3.0, one epoch, one
seed per width, so one group per width) on ``--jobs 2``, timed from the command's start:
the first result in the store, and the end. Every Python process of the run records its
own import time and peak memory (a ``sitecustomize`` module put on the path for the
benchmark: it wraps ``__import__``): the driver, and each worker apart.

Run against another checkout with ``--tree`` (e.g. the code before the data cache):
``python bench/data_load.py --tree /path/to/other/checkout``.
"""
import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time

sys.path.insert(0, os.path.dirname(__file__))

from csv_load import _write  # noqa: E402  (the same MNIST-format file)
from mnist_speed import spec_text  # noqa: E402

#: Written as sitecustomize.py into a folder put first on PYTHONPATH: each process
#: appends its import seconds (time spent in top-level imports), peak RSS and the
#: heavy packages it loaded to ``$DATA_LOAD_RECORDS/<pid>.json``.
SITECUSTOMIZE = '''
import builtins, json, os, resource, sys, time
_orig, _depth, _total, _last = builtins.__import__, [0], [0.0], [0.0]
_out = os.path.join(os.environ["DATA_LOAD_RECORDS"], f"{os.getpid()}.json")

def _write():
    heavy = sorted({m.split(".")[0] for m in sys.modules} & {"pandas", "sklearn", "scipy"})
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with open(_out + ".tmp", "w") as fh:  # renamed: a killed worker leaves no half file
        json.dump({"pid": os.getpid(), "imports": _total[0], "heavy": heavy,
                   "trains": "sweeps.training" in sys.modules, "peak_rss_mb": rss}, fh)
    os.replace(_out + ".tmp", _out)

def _import(*args, **kwargs):
    if _depth[0]:
        return _orig(*args, **kwargs)
    _depth[0] += 1
    start = time.perf_counter()
    try:
        return _orig(*args, **kwargs)
    finally:
        _depth[0] -= 1
        _total[0] += time.perf_counter() - start
        if time.perf_counter() - _last[0] > 0.05:
            _last[0] = time.perf_counter()
            _write()

builtins.__import__ = _import
import atexit, threading
atexit.register(_write)
def _tick():  # workers are killed at the end, not exited: record every half second
    while True:
        time.sleep(0.5)
        _write()
threading.Thread(target=_tick, daemon=True).start()
'''



def run_once(tree: str, spec: str, folder: str, jobs: int) -> dict:
    """One ``sweeps run`` of ``spec`` with the code of ``tree``; timings and records."""
    records, site = (os.path.join(folder, name) for name in ("records", "site"))
    out = os.path.join(folder, "out")
    for path in (records, site):
        os.makedirs(path, exist_ok=True)
    with open(os.path.join(site, "sitecustomize.py"), "w") as fh:
        fh.write(SITECUSTOMIZE)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([site, tree]),
           "DATA_LOAD_RECORDS": records, "OMP_NUM_THREADS": "1",
           "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "sweeps", "run", spec, "--out", out,
                             "--quiet", "--jobs", str(jobs), "--force"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            cwd=folder)  # not this checkout: python -m puts cwd first
    first = None
    while proc.poll() is None:
        if first is None and _rows(out):
            first = time.perf_counter() - start
        time.sleep(0.02)
    total = time.perf_counter() - start
    if proc.returncode:
        raise RuntimeError(f"sweeps run failed: {proc.stderr.read()}")
    procs = []
    for name in [n for n in os.listdir(records) if n.endswith(".json")]:
        with open(os.path.join(records, name)) as fh:
            procs.append(json.load(fh))
    driver = [p for p in procs if p["pid"] == proc.pid]
    # the other processes that loaded the training code (not loky's resource tracker)
    workers = [p for p in procs if p["pid"] != proc.pid and p["trains"]]
    return {"first": first or total, "total": total, "driver": driver, "workers": workers}


def _rows(out: str) -> int:
    path = os.path.join(out, "sweep.db")
    if not os.path.exists(path):
        return 0
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)
        try:
            return conn.execute("SELECT count(*) FROM jobs").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


def _cell(values, fmt="{:.2f}") -> str:
    return " / ".join(fmt.format(v) for v in values)


def main(trees=None, n_rows=60_000, widths=(30, 40, 50, 60), jobs=2, repeats=2):
    """Markdown table: each tree's runs (repeated), the first result, total, per process."""
    trees = trees or {"this tree": os.path.dirname(os.path.dirname(os.path.abspath(
        __file__)))}
    lines = [f"{n_rows:,}-row MNIST-format CSV, `[784, H, 10]` for H in {list(widths)}, "
             f"sigmoid, mse, batch 10, 1 epoch, `--jobs {jobs}` (one group per width); "
             f"{repeats} runs each, in turn", "",
             "| code | first result (s) | total (s) | driver imports (s) | worker imports "
             "(s, each) | workers' heavy imports | driver / worker peak RSS (MB) |",
             "|---|---|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "mnist_train.csv")
        _write(path, n_rows)
        spec = os.path.join(folder, "spec.toml")
        with open(spec, "w") as fh:
            fh.write(spec_text("mnist_load", path, [[w] for w in widths], 1, 0))
        runs = {label: [] for label in trees}
        for i in range(repeats):
            for label, tree in trees.items():
                runs[label].append(run_once(tree, spec, os.path.join(folder, f"{label}{i}"
                                                                     .replace(" ", "_")),
                                            jobs))
    for label, results in runs.items():
        for r in results:
            heavy = sorted({m for w in r["workers"] for m in w["heavy"]}) or ["none"]
            rss = [p["peak_rss_mb"] for p in r["driver"]] + [max(
                (w["peak_rss_mb"] for w in r["workers"]), default=0)]
            lines.append(f"| {label} | {r['first']:.1f} | {r['total']:.1f} | "
                         f"{_cell(p['imports'] for p in r['driver'])} | "
                         f"{_cell(w['imports'] for w in r['workers'])} | "
                         f"{', '.join(heavy)} | {_cell(rss, '{:.0f}')} |")
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=textwrap.dedent(__doc__).splitlines()[0])
    parser.add_argument("--tree", action="append", default=[],
                        help="LABEL=PATH: a checkout to compare (repeatable); default: "
                             "this one")
    parser.add_argument("--rows", type=int, default=60_000)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    trees = dict(t.split("=", 1) for t in args.tree) or None
    print(main(trees, n_rows=args.rows, repeats=args.repeats))
