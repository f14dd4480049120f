"""How a job record (``sweeps.schema.job_record``) is stored in a ``jobs`` row and read back.

The one codec of the record: JSON for the config, layers and metrics; ``.npz`` blobs (no
pickle) for the curves and the weights.
"""
import io
import json
import sqlite3

import numpy as np

from sweeps.schema import job_record

#: The columns of a ``jobs`` row, in order: the record's fields (``sweeps.schema``) but the
#: arrays, two ``.npz`` blobs (``curve``: ``CURVE_COLUMNS``, ``weights``:
#: ``WEIGHT_COLUMNS``), and ``task_facts``, which a stored row does not hold (``sweeps.load``
#: reads them off its layers and metrics).
JOB_COLUMNS = ("key", "config_id", "config", "status", "layers", "n_params", "metrics",
               "error", "traceback", "curve", "weights", "run_id", "worker", "started",
               "finished")
#: Fields stored as JSON text (None stays NULL); the others as they are.
_JSON_FIELDS = ("config", "layers", "metrics")
_PLAIN_FIELDS = ("key", "config_id", "status", "n_params", "error", "traceback", "run_id",
                 "worker", "started", "finished")


def dumps(obj) -> str:
    """JSON text of ``obj``, keys sorted, no spaces: how every JSON column is written."""
    # allow_nan: metrics of a diverged job are legitimately NaN or inf.
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def pack_arrays(arrays: dict) -> bytes:
    """Serialise named numpy arrays to bytes (``.npz`` format, no pickle)."""
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def unpack_arrays(blob: bytes) -> dict:
    """Inverse of :func:`pack_arrays`."""
    with np.load(io.BytesIO(blob), allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


def pack_result(rec: dict) -> dict:
    """The array columns of a result as stored: ``{"curve": bytes or None, "weights": bytes
    or None}``. Workers call it (``sweeps.training``) so that the driver, which writes
    every result of a sweep, only inserts rows."""
    curve = weights = None
    if rec.get("curve_loss") is not None:
        arrays = {"epoch": rec["curve_epoch"], "loss": rec["curve_loss"]}
        if rec.get("curve_val_loss") is not None:
            arrays["val_loss"] = rec["curve_val_loss"]
        if rec.get("weight_stats") is not None:
            arrays["ws_epoch"] = rec["weight_stats"]["epoch"]
            arrays["ws_stats"] = rec["weight_stats"]["stats"]
        curve = pack_arrays(arrays)
    if rec.get("weights") is not None:
        arrays = {f"w{i}": w for i, w in enumerate(rec["weights"])}
        arrays.update({f"b{i}": b for i, b in enumerate(rec["biases"])})
        weights = pack_arrays(arrays)
    return {"curve": curve, "weights": weights}


def encode_job(rec: dict, run_id: int) -> tuple:
    """A job record (``sweeps.schema.job_record``) as a ``jobs`` row of ``JOB_COLUMNS``."""
    packed = rec.get("packed") or pack_result(rec)
    values = {**packed, "run_id": run_id}
    for name in JOB_COLUMNS:
        if name in _JSON_FIELDS:
            value = rec.get(name)
            values[name] = None if value is None else dumps(
                list(value) if name == "layers" else value)
        elif name not in values:
            values[name] = rec.get(name)
    return tuple(values[name] for name in JOB_COLUMNS)


def decode_job(row: sqlite3.Row, curves: bool, weights: bool) -> dict:
    """The job record of a ``jobs`` row; its arrays only if asked (else None)."""
    fields = {name: row[name] for name in _PLAIN_FIELDS}
    fields.update({name: None if row[name] is None else json.loads(row[name])
                   for name in _JSON_FIELDS})
    fields["metrics"] = fields["metrics"] or {}  # a failed job's: none recorded
    if curves:
        fields.update(_curves(unpack_arrays(row["curve"]) if row["curve"] is not None else {}))
    if weights and row["weights"] is not None:
        arrays = unpack_arrays(row["weights"])
        n_layers = len(arrays) // 2
        fields["weights"] = [arrays[f"w{i}"] for i in range(n_layers)]
        fields["biases"] = [arrays[f"b{i}"] for i in range(n_layers)]
    return job_record(fields.pop("config"), fields.pop("status"), **fields)


def _curves(arrays: dict) -> dict:
    """The curve fields of a record from the arrays of its ``curve`` blob."""
    stats = ({"epoch": arrays["ws_epoch"], "stats": arrays["ws_stats"]}
             if "ws_stats" in arrays else None)
    return {"curve_epoch": arrays.get("epoch"), "curve_loss": arrays.get("loss"),
            "curve_val_loss": arrays.get("val_loss"), "weight_stats": stats}
