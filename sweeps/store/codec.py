"""How a job record (``sweeps.schema.job_record``) is stored in a ``jobs`` row and read back.

The one codec of the record: JSON for the config, layers and metrics; ``.npz`` blobs (no
pickle) for the curves and the weights.
"""
import ast
import io
import json
import sqlite3
import struct

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
    arrays = _unpack_stored(blob)
    if arrays is None:  # not laid out as np.savez writes: numpy reads it
        with np.load(io.BytesIO(blob), allow_pickle=False) as data:
            return {name: data[name] for name in data.files}
    return arrays


_LOCAL = struct.Struct("<4s2xHH8xIIHH")  # a zip entry's local header, fields we read
_ZIP64 = struct.Struct("<HHQQ")  # the zip64 extra field: id, size, both sizes
_NPY = struct.Struct("<6sBBH")  # .npy magic, version, header length (version 1)
_HEADERS = {}  # .npy header text -> (dtype, shape, fortran_order, byte count)


def _unpack_stored(blob: bytes):
    """The arrays of an ``np.savez`` blob read straight off its bytes, or None if it is
    laid out otherwise (``np.load`` then reads it).

    ``np.load`` costs ~0.3 ms a blob (a zipfile, a file object per array); a sweep's
    load reads two blobs per job. ``np.savez`` stores each ``.npy`` uncompressed, one
    after the other, sizes in the local headers (zip64 extra field): each array is a
    copy of its slice of the blob, exactly what ``np.load`` returns.
    """
    arrays, pos, view = {}, 0, memoryview(blob)
    while blob[pos:pos + 4] == b"PK\x03\x04":
        _, flags, method, size, _, n_name, n_extra = _LOCAL.unpack_from(blob, pos)
        if flags & 0x08 or method != 0:  # sizes after the data, or compressed
            return None
        name = blob[pos + 30:pos + 30 + n_name].decode()
        extra = pos + 30 + n_name
        if size == 0xFFFFFFFF:
            tag, _, size, _ = _ZIP64.unpack_from(blob, extra)
            if tag != 1:
                return None
        start = extra + n_extra
        array = _npy(view[start:start + size])
        if array is None or not name.endswith(".npy"):
            return None
        arrays[name[:-4]] = array
        pos = start + size
    return arrays if blob[pos:pos + 4] == b"PK\x01\x02" else None


def unpack_many(blobs) -> list:
    """``[unpack_arrays(b) for b in blobs]`` (None where a blob is None), in bulk.

    Blobs of one layout (same names, dtypes and shapes at the same offsets: the jobs of
    one architecture) are read as one ``(jobs, bytes)`` matrix, each array a view of one
    copy of its columns; a blob whose bytes, data and checksums aside, differ from its
    group's first is grouped anew, and one of no such layout is read alone.
    """
    out = [None] * len(blobs)
    by_length = {}
    for i, blob in enumerate(blobs):
        if blob is not None:
            by_length.setdefault(len(blob), []).append(i)
    for rows in by_length.values():
        while rows:
            rows = _unpack_group(blobs, rows, out)
    return out


def _unpack_group(blobs, rows, out) -> list:
    """Read the blobs of ``rows`` laid out as the first one into ``out``; return the rest."""
    layout = _layout(blobs[rows[0]])
    if layout is None:
        out[rows[0]] = unpack_arrays(blobs[rows[0]])
        return rows[1:]
    fixed, entries = layout
    matrix = np.frombuffer(b"".join(blobs[i] for i in rows), np.uint8).reshape(len(rows), -1)
    same = (matrix[:, fixed] == matrix[0, fixed]).all(axis=1)
    block = matrix[same]
    arrays = {name: block[:, start:stop].copy().view(dtype).reshape(len(block), *shape)
              for name, start, stop, dtype, shape in entries}
    for j, i in enumerate(np.asarray(rows)[same]):
        out[i] = {name: array[j] for name, array in arrays.items()}
    return [i for i, s in zip(rows, same) if not s]


def _layout(blob: bytes):
    """``(fixed, entries)`` of an ``np.savez`` blob: the byte offsets every blob of its
    layout shares (all but the data and the CRC-32 fields) and ``(name, start, stop,
    dtype, shape)`` per array; None if it is not laid out so (or holds Fortran order)."""
    if _unpack_stored(blob) is None:
        return None
    variable, entries, pos = np.zeros(len(blob), bool), [], 0
    while blob[pos:pos + 4] == b"PK\x03\x04":
        _, _, _, size, _, n_name, n_extra = _LOCAL.unpack_from(blob, pos)
        name = blob[pos + 30:pos + 30 + n_name].decode()
        extra = pos + 30 + n_name
        if size == 0xFFFFFFFF:
            size = _ZIP64.unpack_from(blob, extra)[2]
        start = extra + n_extra
        n_header = _NPY.unpack_from(blob, start)[3]
        dtype, shape, fortran, count = _HEADERS[blob[start + 10:start + 10 + n_header]]
        if fortran:
            return None
        variable[pos + 14:pos + 18] = True  # CRC-32
        variable[start + 10 + n_header:start + size] = True
        entries.append((name[:-4], start + 10 + n_header, start + size, dtype, shape))
        pos = start + size
    while blob[pos:pos + 4] == b"PK\x01\x02":  # central directory: CRC-32 of each
        variable[pos + 16:pos + 20] = True
        n_name, n_extra, n_comment = struct.unpack_from("<HHH", blob, pos + 28)
        pos += 46 + n_name + n_extra + n_comment
    return np.flatnonzero(~variable), entries


def _npy(data: memoryview):
    """The array of one version-1 ``.npy`` file's bytes (a copy), or None if it is of
    another version or holds objects."""
    magic, major, _, n_header = _NPY.unpack_from(data)
    if magic != b"\x93NUMPY" or major != 1:
        return None
    header = bytes(data[10:10 + n_header])
    if header not in _HEADERS:
        d = ast.literal_eval(header.decode("latin1"))
        dtype = np.dtype(d["descr"])
        if dtype.hasobject:
            return None
        count = int(np.prod(d["shape"], dtype=np.int64))
        _HEADERS[header] = (dtype, tuple(d["shape"]), d["fortran_order"], count)
    dtype, shape, fortran, count = _HEADERS[header]
    body = data[10 + n_header:]
    if len(body) != count * dtype.itemsize:
        return None
    flat = np.frombuffer(body, dtype=dtype, count=count).copy()
    return flat.reshape(shape[::-1]).T if fortran else flat.reshape(shape)


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
        fields.update(curve_fields(_unpack_or_none(row["curve"])))
    if weights:
        fields["weights"], fields["biases"] = weight_fields(_unpack_or_none(row["weights"]))
    return job_record(fields.pop("config"), fields.pop("status"), **fields)


def _unpack_or_none(blob):
    return None if blob is None else unpack_arrays(blob)


def curve_fields(arrays) -> dict:
    """The curve fields (``CURVE_COLUMNS``) of a ``curve`` blob's arrays (None: all None)."""
    arrays = arrays or {}
    stats = ({"epoch": arrays["ws_epoch"], "stats": arrays["ws_stats"]}
             if "ws_stats" in arrays else None)
    return {"curve_epoch": arrays.get("epoch"), "curve_loss": arrays.get("loss"),
            "curve_val_loss": arrays.get("val_loss"), "weight_stats": stats}


def weight_fields(arrays) -> tuple:
    """``(weights, biases)``, lists of arrays, of a ``weights`` blob's arrays (None: None)."""
    if arrays is None:
        return None, None
    n_layers = len(arrays) // 2
    return ([arrays[f"w{i}"] for i in range(n_layers)],
            [arrays[f"b{i}"] for i in range(n_layers)])


#: Stands for the seed in a config's JSON text, where ``_seed_texts`` cuts it.
_SEED_MARK = "\0seed\0"


def planned_rows(planned):
    """The ``planned`` rows ``(key, position, config JSON)`` of ``Store.start_run``'s jobs
    (``sweeps.spec.ConfigJobs``), each config's text made once for all its seeds."""
    position = 0
    for group in planned:
        texts = ([dumps(group.config)] if group.seeds is None
                 else _seed_texts(group.config, group.seeds))
        for key, text in zip(group.keys, texts):
            yield key, position, text
            position += 1


def _seed_texts(config: dict, seeds: list) -> list:
    """``[dumps({**config, "seed": s}) for s in seeds]``, the rest of the text made once.

    ``dumps`` writes value by value, keys sorted: the text around the seed does not depend
    on it, so the seed's text is spliced in (as ``sweeps.keys.seed_keys`` does)."""
    text, mark = dumps({**config, "seed": _SEED_MARK}), dumps(_SEED_MARK)
    if text.count(mark) != 1:  # the mark's text elsewhere: no cut, the plain way
        return [dumps({**config, "seed": seed}) for seed in seeds]
    before, after = text.split(mark)
    return [f"{before}{seed if type(seed) is int else dumps(seed)}{after}" for seed in seeds]
