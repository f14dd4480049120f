"""Rebuilding the report of a 480-job sweep: first build, no change, a few new rows.

A tiny sine sweep (30 architectures x optimizer x l2 x 4 seeds, 100 epochs) is trained
into a temporary directory; its report is built, rebuilt with nothing new (every figure
is reused from the cache), then rebuilt after 4 more jobs of one config have finished
(only the figures whose rows include that config are drawn again). Run with
``python bench/report_rebuild.py``; ``--jobs`` sets the training workers.
"""
import argparse
import tempfile
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from results.report import build
from sweeps import run_sweep
from sweeps.spec import Spec

SPEC = """name = "rebuild"
task = "sine"

[params]
lr = 0.05
epochs = 100

[[grid]]
hidden = { widths = [2, 4, 6, 8, 10], depth = [1, 2] }
optimizer = ["adam", "gd"]
l2 = [0.0, 0.001]
seed = [0, 1, 2, 3]
"""
#: Four more seeds of one config: the "few new rows" of the third build.
EXTRA = """
[[grid]]
hidden = [[4, 4]]
optimizer = "adam"
l2 = 0.0
seed = [4, 5, 6, 7]
"""


def _spec(text):
    import tomllib

    data = tomllib.loads(text)
    return Spec.from_dict(data, name=data["name"], source=text)


def _timed(out):
    start = time.perf_counter()
    built = build(out)
    return time.perf_counter() - start, built


def main(jobs=2):
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "rebuild"
        base = _spec(SPEC)
        run_sweep(base, out, n_jobs=jobs)
        rows = [("first build", len(base), *_timed(out))]
        rows.append(("rebuild, nothing new", len(base), *_timed(out)))
        more = _spec(SPEC + EXTRA)
        run_sweep(more, out, n_jobs=jobs)
        rows.append(("rebuild, 4 new rows", len(more), *_timed(out)))
    lines = ["| build | jobs | seconds | figures drawn | figures reused |",
             "|---|---|---|---|---|"]
    lines += [f"| {what} | {n} | {seconds:.2f} | {len(b.drawn)} | {len(b.reused)} |"
              for what, n, seconds, b in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=2)
    print(main(jobs=parser.parse_args().jobs))
