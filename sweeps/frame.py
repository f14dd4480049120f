"""Read a sweep's store as a tidy DataFrame: ``sweeps.load`` and ``sweeps.load_meta``.

The columns are those of :mod:`sweeps.schema`; the ``results`` package reads them.
"""
from collections import Counter

import numpy as np

from sweeps.keys import job_key
from sweeps.lock import run_is_live
from sweeps.schema import (CONFIG_COLUMNS, CURVE_COLUMNS, IDENTITY_COLUMNS, KEY_DEFAULTS,
                           METRICS, STATUS_COLUMNS, STATUSES, layers_text, task_column)
from sweeps.store import Store


def _row(rec: dict, curves: bool, weights: bool) -> dict:
    cfg = {**KEY_DEFAULTS, **rec["config"]}  # keys left out at their default
    layers = rec["layers"]
    row = {"key": rec["key"], "config_id": rec["config_id"], "task": cfg["task"],
           "hidden": tuple(cfg["hidden"]),
           "layers": None if layers is None else layers_text(layers),
           "depth": len(cfg["hidden"]),
           "n_params": np.nan if rec["n_params"] is None else rec["n_params"]}
    row.update({k: cfg[k] for k in CONFIG_COLUMNS if k in cfg and k not in row})
    row.update({task_column(k): v for k, v in cfg["task_params"].items()})
    row.update({c: rec[c] for c in STATUS_COLUMNS})
    row.update({m: rec["metrics"].get(m, np.nan) for m in METRICS})
    if curves:
        row.update({c: rec[c] for c in CURVE_COLUMNS})
    if weights:
        row.update(weights=rec["weights"], biases=rec["biases"])
    row.update(run_id=rec["run_id"], worker=rec["worker"], finished=rec["finished"])
    return row


def is_current(rec: dict) -> bool:
    """Whether a stored job is of this results-format version (``sweeps.keys``).

    A job's key hashes its config with the version, so a row whose key is not the key of
    its config under today's version was trained under another meaning of the results:
    it stays in the store, untouched, but is neither shown nor mixed with today's.
    """
    return job_key(rec["config"]) == rec["key"]


def load(out_dir, *, curves=True, weights=True):
    """Return every finished job of a sweep as a tidy DataFrame, one row per job.

    Parameters
    ----------
    out_dir : str or Path
        Output directory of ``sweeps run`` (holding ``sweep.db``).
    curves : bool, default=True
        Include the curve columns (``curve_epoch``, ``curve_loss``, ``curve_val_loss``,
        ``weight_stats``).
    weights : bool, default=True
        Include ``weights`` and ``biases`` (lists of numpy arrays; None for failed jobs).

    Returns
    -------
    pandas.DataFrame
        The columns of :mod:`sweeps.schema`: identity, config axes and one column per task
        parameter, status, metrics (NaN where not applicable), arrays on request, and
        bookkeeping. Reading never needs the run lock: rows committed by a sweep still
        running are included. Rows of an older results format are left out (a rerun
        trains those jobs again; ``load_meta(out_dir)["stale"]`` counts them).

    Raises
    ------
    FileNotFoundError
        If ``out_dir`` holds no ``sweep.db``.
    sweeps.store.StoreError
        If the database is not a sweeps result store.
    """
    import pandas as pd  # deferred: keeps `sweeps --help` and worker start-up fast

    with Store.open(out_dir) as store:
        records = store.jobs(curves=curves, weights=weights)
    rows = [_row(rec, curves, weights) for rec in records if is_current(rec)]
    if not rows:
        base = [*IDENTITY_COLUMNS, *CONFIG_COLUMNS, *STATUS_COLUMNS, *METRICS]
        return pd.DataFrame(columns=base)
    df = pd.DataFrame(rows)
    # pandas would turn [None, 8] into [NaN, 8.0]; the config says None (full batch) or int.
    df["batch_size"] = pd.Series([row["batch_size"] for row in rows], dtype=object)
    return df


def load_meta(out_dir) -> dict:
    """Return what a sweep's store knows about itself.

    Parameters
    ----------
    out_dir : str or Path
        Output directory of ``sweeps run``.

    Returns
    -------
    dict
        ``name``, ``spec`` (TOML text), ``created``, ``planned`` (number of jobs of the latest
        run), ``counts`` (status -> number of stored jobs of the current results format,
        plus ``pending``: planned jobs without such a row), ``earlier`` (stored jobs of the
        current format that the latest run did not plan: other settings run before into
        the same folder), ``versions`` (package -> version), ``python``,
        ``git_commit`` and ``git_dirty`` of the latest run, ``runs`` (number of runs),
        ``stale`` (stored jobs of an older results format, left out of ``counts``),
        ``running`` (whether the latest run is still going: :func:`sweeps.lock.run_is_live`)
        and ``outcome`` of the latest run (``complete``, ``interrupted``, ``error``; None
        while it runs or when its process was killed outright).

    Raises
    ------
    FileNotFoundError
        If ``out_dir`` holds no ``sweep.db``.
    """
    with Store.open(out_dir) as store:
        meta = store.meta()
        records = store.jobs(curves=False, weights=False)
        planned = [key for key, _ in store.planned()]
        run = store.last_run()
    statuses = {rec["key"]: rec["status"] for rec in records if is_current(rec)}
    counts = Counter({status: 0 for status in STATUSES})
    counts.update(statuses.values())
    counts["pending"] = sum(key not in statuses for key in planned)
    earlier = len(statuses.keys() - set(planned))
    return {"name": meta.get("name"), "spec": meta.get("spec"), "created": meta.get("created"),
            "planned": len(planned), "counts": dict(counts), "earlier": earlier,
            "stale": len(records) - len(statuses),
            "versions": run.get("versions", {}), "python": run.get("python"),
            "git_commit": run.get("git_commit"),
            "git_dirty": None if run.get("git_dirty") is None else bool(run["git_dirty"]),
            "runs": run.get("run_id", 0), "running": run_is_live(run),
            "outcome": run.get("outcome")}
