"""Read a sweep's store as a tidy DataFrame: ``sweeps.load`` and ``sweeps.load_meta``.

The columns are those of :mod:`sweeps.schema`; the ``results`` package reads them.
"""
import json
from collections import Counter

import numpy as np

from sweeps.keys import is_key_of_text, job_key
from sweeps.lock import run_is_live
from sweeps.schema import (BOOKKEEPING_COLUMNS, CONFIG_COLUMNS, CURVE_COLUMNS,
                           IDENTITY_COLUMNS, KEY_DEFAULTS, KIND_METRICS, METRICS,
                           NONE_COLUMNS,
                           STATUS_COLUMNS, STATUSES, TASK_FACT_COLUMNS, WEIGHT_COLUMNS,
                           frame_columns, layers_text, task_column)
from sweeps.store import Store
from sweeps.store.codec import curve_fields, unpack_many, weight_fields


def _stored_facts(rec: dict):
    """The task's facts read off a stored trained job (None if it never trained).

    Exact: ``n_in`` is the input layer's width; the kind is which metrics it recorded;
    ``val_loss`` / ``test_loss`` exist exactly where rows were held out; and the output
    layer has ``n_out`` units (regression), or one unit for two classes and else one per
    class (``nncore.output_units``; a truth table's single unit is two classes too).
    """
    layers, metrics = rec["layers"], rec["metrics"]
    if not layers or not metrics:
        return None
    kind = next((k for k, names in KIND_METRICS.items()
                 if any(name in metrics for name in names)), None)
    if kind is None:
        return None
    n_out = 2 if kind == "classification" and layers[-1] == 1 else layers[-1]
    values = (kind, int(layers[0]), int(n_out), "val_loss" in metrics, "test_loss" in metrics)
    return dict(zip(TASK_FACT_COLUMNS, values))


def _built_facts(cfg: dict, cache: dict):
    """The task's facts of a job that did not train, from its data set if it builds."""
    from sweeps.tasks import TaskError, make_task

    frozen = (cfg["task"], repr(sorted(cfg["task_params"].items())))
    if frozen not in cache:
        try:
            cache[frozen] = make_task(cfg["task"], **cfg["task_params"]).facts
        except (TaskError, OSError):  # the data that made it fail: no facts to tell
            cache[frozen] = None
    return cache[frozen]


def task_facts(rec: dict, cache: dict) -> dict:
    """``TASK_FACT_COLUMNS`` of a job record: as its worker recorded them, else read off
    what the store holds (:func:`_stored_facts`), else from its task; None where unknown.
    ``cache`` maps task params to facts across one load."""
    facts = rec.get("task_facts") or _stored_facts(rec) or _built_facts(rec["config"], cache)
    return facts or dict.fromkeys(TASK_FACT_COLUMNS)


def is_current(rec: dict) -> bool:
    """Whether a stored job is of this results-format version (``sweeps.keys``).

    A job's key hashes its config with the version, so a row whose key is not the key of
    its config under today's version was trained under another meaning of the results:
    it stays in the store, untouched, but is neither shown nor mixed with today's.
    """
    return job_key(rec["config"]) == rec["key"]


#: The stored columns a frame row is made of (``codec.JOB_COLUMNS``), arrays aside.
_ROW_FIELDS = ("key", "config_id", "config", "layers", "n_params", "metrics", "status",
               "error", "traceback", "run_id", "worker", "started", "finished")


class _Rows:
    """Builds the frame's rows, as tuples in ``frame_columns`` order, from stored rows.

    Decoding is shared where jobs share it: a layers text is read once, the task facts
    of a task once (``_built_facts``); a stored row is checked current on its config's
    text (:func:`sweeps.keys.is_key_of_text`) before anything of it is decoded.
    """

    def __init__(self, curves: bool, weights: bool):
        self.curves, self.weights = curves, weights
        self.layers = {None: None}  # layers JSON text -> list
        self.facts = {}  # for _built_facts
        self.stored = {}  # (layers text, metric names) -> facts read off them
        self.params = {}  # task parameter columns, in order of first appearance

    def records(self, rows) -> list:
        """The current rows as partial records (config and fields decoded)."""
        records = []
        for row in rows:
            fields = dict(zip(_ROW_FIELDS, row))
            if not is_key_of_text(fields["key"], fields["config"]):
                continue
            fields["config"] = cfg = json.loads(fields["config"])
            text = fields["layers"]
            if text not in self.layers:
                self.layers[text] = json.loads(text)
            fields["layers"], fields["layers_text"] = self.layers[text], text
            fields["metrics"] = json.loads(fields["metrics"] or "{}")
            fields["arrays"] = row[len(_ROW_FIELDS):]
            self.params.update(dict.fromkeys(map(task_column, cfg["task_params"])))
            records.append(fields)
        return records

    def row(self, rec: dict) -> tuple:
        """One frame row of a partial record, group by group."""
        cfg = {**KEY_DEFAULTS, **rec["config"]}  # keys left out at their default
        layers, params = rec["layers"], cfg["task_params"]
        arch = {"hidden": tuple(cfg["hidden"]),
                "layers": None if layers is None else layers_text(layers),
                "depth": len(cfg["hidden"]),
                "n_params": np.nan if rec["n_params"] is None else rec["n_params"]}
        named = {task_column(k): v for k, v in params.items()}
        metrics = rec["metrics"]
        # _stored_facts reads only the layers and which metrics exist: once per pair
        shape = (rec["layers_text"], tuple(metrics))
        facts = self.stored.get(shape)
        if facts is None:
            facts = task_facts(rec, self.facts)
            if _stored_facts(rec) is not None:
                self.stored[shape] = facts
        return (rec["key"], rec["config_id"],
                *(arch[c] if c in arch else cfg.get(c) for c in CONFIG_COLUMNS),
                *(named.get(c, np.nan) for c in self.params), dict(params),
                *(facts[c] for c in TASK_FACT_COLUMNS),
                *(rec[c] for c in STATUS_COLUMNS),
                *[metrics.get(m, np.nan) for m in METRICS],
                *rec["arrays"], *(rec[c] for c in BOOKKEEPING_COLUMNS))

    def arrays(self, records: list) -> None:
        """Decode the records' blobs, all at once (``codec.unpack_many``), into their
        ``arrays``: the curve and weight columns asked for."""
        blobs = [rec["arrays"] for rec in records]
        curves = unpack_many([b[0] for b in blobs]) if self.curves else [{}] * len(blobs)
        weights = unpack_many([b[-1] for b in blobs]) if self.weights else [()] * len(blobs)
        for rec, curve, weight in zip(records, curves, weights):
            fields = curve_fields(curve) if self.curves else {}
            rec["arrays"] = (*(fields[c] for c in CURVE_COLUMNS if self.curves),
                             *(weight_fields(weight) if self.weights else ()))


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

    blobs = (*(("curve",) if curves else ()), *(("weights",) if weights else ()))
    with Store.open(out_dir) as store:
        stored = store.job_rows((*_ROW_FIELDS, *blobs))
    build = _Rows(curves, weights)
    records = build.records(stored)
    del stored
    build.arrays(records)
    rows = [build.row(rec) for rec in records]
    columns = frame_columns(build.params, curves=curves, weights=weights)
    df = pd.DataFrame(rows, columns=columns)
    # A fact is None where unknown (NONE_COLUMNS: None is a config value, which pandas
    # would turn into NaN, and [None, 8] into [NaN, 8.0]).
    for column in (*NONE_COLUMNS, *TASK_FACT_COLUMNS):
        i = columns.index(column)
        values = [row[i] for row in rows]
        if column in NONE_COLUMNS or None in values:
            df[column] = pd.Series(values, dtype=object)
    return df


def load_status(out_dir) -> tuple:
    """``(load_meta(out_dir), failures)`` from one opening of the store (each opening
    checks every page): ``failures`` holds ``(key, config, error)`` of every failed job
    of the current results format, in order of finishing, read without the other jobs.
    What ``sweeps status`` prints."""
    with Store.open(out_dir) as store:
        meta = _meta(store)
        stored = store.job_rows(("key", "config", "error"), status="failed")
    return meta, [(key, json.loads(text), error) for key, text, error in stored
                  if is_key_of_text(key, text)]


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
        return _meta(store)


def _meta(store: Store) -> dict:
    """What :func:`load_meta` returns, of an open store."""
    meta = store.meta()
    stored = store.job_rows(("key", "status", "config"))
    planned = store.planned_keys()
    run = store.last_run()
    statuses = {key: status for key, status, text in stored if is_key_of_text(key, text)}
    counts = Counter({status: 0 for status in STATUSES})
    counts.update(statuses.values())
    counts["pending"] = sum(key not in statuses for key in planned)
    earlier = len(statuses.keys() - set(planned))
    return {"name": meta.get("name"), "spec": meta.get("spec"), "created": meta.get("created"),
            "planned": len(planned), "counts": dict(counts), "earlier": earlier,
            "stale": len(stored) - len(statuses),
            "versions": run.get("versions", {}), "python": run.get("python"),
            "git_commit": run.get("git_commit"),
            "git_dirty": None if run.get("git_dirty") is None else bool(run["git_dirty"]),
            "runs": run.get("run_id", 0), "running": run_is_live(run),
            "outcome": run.get("outcome")}
