"""The sine preset end to end through the CLI, next to the scikit-learn + joblib loop a user
would write instead, in one run (issue 12).

``sweeps run sine --jobs 2`` (fresh output directory: process start-up, spec parsing, worker
start-up, training, every store commit) against scikit-learn's ``MLPRegressor`` over the
same 280 nets (56 architectures x 5 seeds) and data, with the same hyper-parameters (tanh,
adam, lr 0.01, full batch, no L2, every epoch run) in ``joblib.Parallel(n_jobs=2)``, each
net then scored on the validation and test sets as the sweep does; and ``--jobs 1``
against ``--jobs 2``. The measurements alternate over ``rounds`` and the table gives the
median of each, so load from other processes on the machine hits both sides alike.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

from joblib import Parallel, delayed, parallel_config
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPRegressor

sys.path.insert(0, os.path.dirname(__file__))

from sweeps.spec import load_spec
from sweeps.tasks import make_task

ENV = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
       "MKL_NUM_THREADS": "1"}


def cli_seconds(out, jobs, overrides=()):
    """Wall time of ``python -m sweeps run sine --jobs JOBS --out OUT --quiet``."""
    sets = [a for o in overrides for a in ("--set", o)]
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "sweeps", "run", "sine", "--jobs", str(jobs),
                    "--out", str(out), "--quiet", *sets], check=True, env=ENV,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def _fit_one(cfg):
    """What a user writes: build the data, fit one MLPRegressor, score it."""
    ds = make_task(cfg["task"], **cfg["task_params"])
    net = MLPRegressor(hidden_layer_sizes=cfg["hidden"], activation=cfg["activation"],
                       solver=cfg["optimizer"], learning_rate_init=cfg["lr"],
                       batch_size=len(ds.X_train), max_iter=cfg["epochs"], tol=0.0,
                       n_iter_no_change=cfg["epochs"] + 1, alpha=cfg["l2"], shuffle=False,
                       random_state=cfg["seed"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        net.fit(ds.X_train, ds.y_train.ravel())
    return [float(((net.predict(X) - y.ravel()) ** 2).mean())
            for X, y in ((ds.X_val, ds.y_val), (ds.X_test, ds.y_test))]


def sklearn_seconds(configs, jobs=2):
    """Wall time of the 280 scikit-learn fits in ``joblib.Parallel(n_jobs=jobs)``."""
    start = time.perf_counter()
    with parallel_config(backend="loky", inner_max_num_threads=1):
        Parallel(n_jobs=jobs)(delayed(_fit_one)(cfg) for cfg in configs)
    return time.perf_counter() - start


def engine_table(epochs=200, seeds=5, rounds=3):
    """The engine alone against scikit-learn: the 52 sine architectures, adam, full batch,
    one BLAS thread, in this process; nncore with ``seeds`` replicas per call (float64 and
    float32) and with 50, scikit-learn one net at a time. Medians of ``rounds``."""
    from nncore_speed import ARCHITECTURES, sine_data
    from threadpoolctl import threadpool_limits

    import nncore

    X, y = sine_data()

    def sk(n_seeds):
        for layers in ARCHITECTURES:
            for seed in range(n_seeds):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    MLPRegressor(hidden_layer_sizes=layers[1:-1], activation="tanh",
                                 solver="adam", learning_rate_init=0.01, batch_size=len(X),
                                 max_iter=epochs, tol=0.0, n_iter_no_change=epochs + 1,
                                 alpha=0.0, shuffle=False, random_state=seed).fit(X, y.ravel())
        return len(ARCHITECTURES) * n_seeds

    def ours(n_seeds, dtype="float64"):
        for layers in ARCHITECTURES:
            nncore.fit_replicas(layers, X, y, seeds=range(n_seeds), epochs=epochs,
                                optimizer="adam", lr=0.01, dtype=dtype)
        return len(ARCHITECTURES) * n_seeds

    cases = {"scikit-learn `MLPRegressor`, one net at a time": (sk, (2,)),
             f"nncore `fit_replicas`, {seeds} seeds per call, float64": (ours, (seeds,)),
             f"nncore, {seeds} seeds per call, float32": (ours, (seeds, "float32")),
             "nncore, 50 seeds per call, float64": (ours, (50,))}
    rates = {name: [] for name in cases}
    with threadpool_limits(1):
        for _ in range(rounds):
            for name, (fn, args) in cases.items():
                start = time.perf_counter()
                nets = fn(*args)
                rates[name].append(nets / (time.perf_counter() - start))
    med = {name: statistics.median(r) for name, r in rates.items()}
    base = next(iter(med.values()))
    lines = [(f"52 sine architectures, {epochs} adam epochs, 1 BLAS thread, medians of "
              f"{rounds} rounds in one process"), "",
             "| implementation | nets/s | x scikit-learn |", "|---|---|---|"]
    lines += [f"| {name} | {m:.0f} | {m / base:.1f} |" for name, m in med.items()]
    return "\n".join(lines)


def main(epochs=None, rounds=2):
    """Return the Markdown table; ``epochs`` overrides the preset's 2000 (quick checks)."""
    overrides = () if epochs is None else (f"epochs={epochs}",)
    configs = list(load_spec("sine", overrides=overrides))
    times = {"j2": [], "j1": [], "sk": []}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(rounds):
            times["j2"].append(cli_seconds(Path(tmp) / f"j2_{r}", 2, overrides))
            times["sk"].append(sklearn_seconds(configs))
            times["j1"].append(cli_seconds(Path(tmp) / f"j1_{r}", 1, overrides))
    med = {k: statistics.median(v) for k, v in times.items()}
    spread = {k: f"{min(v):.2f}-{max(v):.2f}" for k, v in times.items()}
    n, e = len(configs), configs[0]["epochs"]
    lines = [
        f"{n} nets (sine preset, {e} adam epochs), medians of {rounds} alternating rounds",
        "", "| what | seconds (median) | range | ratio |", "|---|---|---|---|",
        (f"| scikit-learn `MLPRegressor` in `joblib.Parallel(n_jobs=2)` | {med['sk']:.2f} "
         f"| {spread['sk']} | 1.0 |"),
        (f"| `sweeps run sine --jobs 2` (fresh) | {med['j2']:.2f} | {spread['j2']} "
         f"| **{med['sk'] / med['j2']:.1f}x** scikit-learn |"),
        (f"| `sweeps run sine --jobs 1` (fresh) | {med['j1']:.2f} | {spread['j1']} "
         f"| {med['sk'] / med['j1']:.1f}x scikit-learn; --jobs 2 is "
         f"**{med['j1'] / med['j2']:.2f}x** --jobs 1 |"),
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    print(engine_table())
    print()
    print(main(epochs=args.epochs, rounds=args.rounds))
