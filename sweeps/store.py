"""The result store: one SQLite database per output directory (``OUT/sweep.db``).

Only the driver process writes, one ``BEGIN IMMEDIATE ... COMMIT`` transaction per finished
group of jobs, in WAL mode: a process killed at any instant (even by SIGKILL) leaves a database
that opens and holds every group committed before the kill, and readers (``sweeps.load``,
``sweeps status``) see committed rows while a run is still writing.

Tables
------
``meta``    key/value: ``schema_version``, ``name``, ``spec`` (TOML text), ``created``.
``runs``    one row per ``sweeps run``: timestamps, pid, host, backend, package versions,
            Python version, git commit of the project, outcome.
``jobs``    one row per finished job (``ok``, ``diverged`` or ``failed``), keyed by the job hash.
``planned`` the full job list of the latest run, so pending = planned minus finished.
"""
import io
import json
import sqlite3
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from sweeps.schema import STATUSES, now

DB_NAME = "sweep.db"
SCHEMA_VERSION = "1"
_SQLITE_MAGIC = b"SQLite format 3\x00"
_TABLES = {"meta", "runs", "jobs", "planned"}

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE runs (
    run_id INTEGER PRIMARY KEY AUTOINCREMENT, started TEXT NOT NULL, finished TEXT,
    outcome TEXT, pid INTEGER, host TEXT, argv TEXT, backend TEXT, n_jobs INTEGER,
    versions TEXT, python TEXT, git_commit TEXT, git_dirty INTEGER);
CREATE TABLE jobs (
    key TEXT PRIMARY KEY, config_id TEXT NOT NULL, config TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ({statuses})),
    layers TEXT, n_params INTEGER, metrics TEXT, error TEXT, traceback TEXT,
    curve BLOB, weights BLOB, run_id INTEGER REFERENCES runs(run_id),
    worker TEXT, started TEXT, finished TEXT);
CREATE TABLE planned (key TEXT PRIMARY KEY, position INTEGER NOT NULL, config TEXT NOT NULL);
""".format(statuses=", ".join(f"'{s}'" for s in STATUSES))


_JOB_COLUMNS = ("key", "config_id", "config", "status", "layers", "n_params", "metrics",
                "error", "traceback", "curve", "weights", "run_id", "worker", "started",
                "finished")


class StoreError(Exception):
    """The output directory holds something that is not a sweeps result store."""


def db_path(out_dir) -> Path:
    """Path of the database file inside ``out_dir``."""
    return Path(out_dir) / DB_NAME


def check_db_file(path) -> bool:
    """Return whether ``path`` exists; raise StoreError if it is not an SQLite file.

    Reads only the 16-byte header, so a foreign file is never opened by SQLite, let alone
    written. A zero-byte file is accepted: there is nothing in it to lose.
    """
    path = Path(path)
    if not path.exists():
        return False
    with open(path, "rb") as fh:
        head = fh.read(len(_SQLITE_MAGIC))
    if head and head != _SQLITE_MAGIC:
        raise StoreError(f"{path} is not an SQLite database, so not a sweeps result store; "
                         "it was left untouched. Move it away or choose another --out directory.")
    return True


def _dumps(obj) -> str:
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


def _encode_job(rec: dict, run_id: int) -> tuple:
    packed = rec.get("packed") or pack_result(rec)
    curve, weights = packed["curve"], packed["weights"]
    layers = rec.get("layers")
    return (rec["key"], rec["config_id"], _dumps(rec["config"]), rec["status"],
            None if layers is None else _dumps(list(layers)), rec.get("n_params"),
            None if rec.get("metrics") is None else _dumps(rec["metrics"]),
            rec.get("error"), rec.get("traceback"), curve, weights, run_id,
            rec.get("worker"), rec.get("started"), rec.get("finished"))


def _decode_job(row: sqlite3.Row, curves: bool, weights: bool) -> dict:
    rec = {name: row[name] for name in ("key", "config_id", "status", "n_params", "error",
                                        "traceback", "run_id", "worker", "started", "finished")}
    rec["config"] = json.loads(row["config"])
    rec["layers"] = None if row["layers"] is None else json.loads(row["layers"])
    rec["metrics"] = {} if row["metrics"] is None else json.loads(row["metrics"])
    if curves:
        arrays = unpack_arrays(row["curve"]) if row["curve"] is not None else {}
        rec["curve_epoch"], rec["curve_loss"] = arrays.get("epoch"), arrays.get("loss")
        rec["curve_val_loss"] = arrays.get("val_loss")
        rec["weight_stats"] = ({"epoch": arrays["ws_epoch"], "stats": arrays["ws_stats"]}
                               if "ws_stats" in arrays else None)
    if weights:
        rec["weights"] = rec["biases"] = None
        if row["weights"] is not None:
            arrays = unpack_arrays(row["weights"])
            n_layers = len(arrays) // 2
            rec["weights"] = [arrays[f"w{i}"] for i in range(n_layers)]
            rec["biases"] = [arrays[f"b{i}"] for i in range(n_layers)]
    return rec


class Store:
    """A connection to ``OUT/sweep.db``; open it with :meth:`Store.open`.

    Writing methods assume the caller holds the directory lock (:mod:`sweeps.lock`);
    reading methods are safe at any time.
    """

    def __init__(self, conn: sqlite3.Connection, path: Path):
        self._conn = conn
        self.path = path

    @classmethod
    def open(cls, out_dir, *, create=False) -> "Store":
        """Open the store of ``out_dir``, read-only unless ``create``.

        Parameters
        ----------
        out_dir : str or Path
            Output directory of a sweep.
        create : bool, default=False
            Open for writing, creating the database (not the directory) if missing.

        Raises
        ------
        FileNotFoundError
            When reading and there is no database in ``out_dir``.
        StoreError
            When the file is not an SQLite database or holds a foreign schema.
        """
        path = db_path(out_dir)
        if not check_db_file(path) and not create:
            raise FileNotFoundError(f"no sweep results in {out_dir}: {path} does not exist")
        if create:
            conn = sqlite3.connect(path, timeout=30, isolation_level=None)
        else:
            # mode=ro: a reader must never create or modify anything.
            conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                                   timeout=30, isolation_level=None)
        conn.row_factory = sqlite3.Row
        store = cls(conn, path)
        try:
            store._check_schema(create)
        except BaseException:
            conn.close()
            raise
        return store

    def _check_schema(self, create: bool) -> None:
        try:
            tables = {r[0] for r in self._conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path} is not a readable SQLite database ({exc}); "
                             "it was left untouched.") from exc
        if not tables and create:
            self._conn.execute("PRAGMA journal_mode = WAL")
            with self._transaction() as conn:
                for statement in filter(str.strip, _SCHEMA.split(";")):
                    conn.execute(statement)
                conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)",
                             (SCHEMA_VERSION,))
                conn.execute("INSERT OR IGNORE INTO meta VALUES ('created', ?)", (now(),))
            tables = _TABLES
        if not _TABLES <= tables:
            raise StoreError(f"{self.path} is an SQLite database but not a sweeps result store "
                             f"(tables: {sorted(tables) or 'none'}); it was left untouched.")
        version = self.meta().get("schema_version")
        if version != SCHEMA_VERSION:
            raise StoreError(f"{self.path} has store schema version {version!r}; this version "
                             f"of sweeps reads version {SCHEMA_VERSION!r}.")
        if create:
            # NORMAL is durable against process crashes in WAL mode; only an OS crash or
            # power loss can drop the last commits, never corrupt the file.
            self._conn.execute("PRAGMA synchronous = NORMAL")

    @contextmanager
    def _transaction(self):
        # isolation_level=None: the sqlite3 module opens no implicit transactions, so this
        # BEGIN IMMEDIATE takes the write lock up front and the whole block commits as one.
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
        except BaseException:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- writing (driver only, under the directory lock) --------------------------------
    def start_run(self, *, name: str, spec_text: str, planned: list, record: dict) -> int:
        """Record a new run and its job list in one transaction; return its ``run_id``.

        ``planned`` is a list of ``(key, config)`` in spec order; ``record`` holds the
        ``runs`` columns (``pid``, ``host``, ``versions`` ...).
        """
        record = dict(record, versions=_dumps(record.get("versions", {})), started=now())
        cols = ", ".join(record)
        with self._transaction() as conn:
            conn.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                             [("name", name), ("spec", spec_text or "")])
            cur = conn.execute(f"INSERT INTO runs ({cols}) VALUES "
                               f"({', '.join('?' * len(record))})", tuple(record.values()))
            conn.execute("DELETE FROM planned")
            conn.executemany("INSERT INTO planned VALUES (?, ?, ?)",
                             [(key, i, _dumps(cfg)) for i, (key, cfg) in enumerate(planned)])
        return cur.lastrowid

    def finish_run(self, run_id: int, outcome: str) -> None:
        """Stamp the end time and outcome (``complete``, ``interrupted``, ``error``)."""
        with self._transaction() as conn:
            conn.execute("UPDATE runs SET finished = ?, outcome = ? WHERE run_id = ?",
                         (now(), outcome, run_id))

    def write_results(self, records: list, run_id: int) -> None:
        """Insert or replace the rows of one finished group, atomically.

        Each record holds ``key``, ``config_id``, ``config``, ``status`` and optionally
        ``layers``, ``n_params``, ``metrics``, ``error``, ``traceback``, ``curve_epoch``,
        ``curve_loss``, ``curve_val_loss``, ``weight_stats``, ``weights``, ``biases``,
        ``worker``, ``started``, ``finished``.
        """
        rows = [_encode_job(rec, run_id) for rec in records]
        with self._transaction() as conn:
            conn.executemany(f"INSERT OR REPLACE INTO jobs ({', '.join(_JOB_COLUMNS)}) VALUES "
                             f"({', '.join('?' * len(_JOB_COLUMNS))})", rows)

    # -- reading -------------------------------------------------------------------------
    def meta(self) -> dict:
        """The ``meta`` table as a dict of strings."""
        return dict(self._conn.execute("SELECT key, value FROM meta").fetchall())

    def last_run(self) -> dict:
        """The most recent row of ``runs`` (``versions`` decoded), or {} before any run."""
        row = self._conn.execute("SELECT * FROM runs ORDER BY run_id DESC LIMIT 1").fetchone()
        if row is None:
            return {}
        run = dict(row)
        run["versions"] = json.loads(run["versions"] or "{}")
        return run

    def statuses(self) -> dict:
        """Map every stored job key to its status."""
        return dict(self._conn.execute("SELECT key, status FROM jobs").fetchall())

    def planned(self) -> list:
        """The job list of the latest run as ``(key, config)`` pairs, in spec order."""
        rows = self._conn.execute("SELECT key, config FROM planned ORDER BY position")
        return [(key, json.loads(cfg)) for key, cfg in rows]

    def jobs(self, *, curves=True, weights=True) -> list:
        """Every stored job as a dict, arrays decoded on request, in order of finishing."""
        # Leave the blobs on disk unless asked for: they are most of the bytes.
        cols = [c for c in _JOB_COLUMNS
                if (c != "curve" or curves) and (c != "weights" or weights)]
        rows = self._conn.execute(f"SELECT {', '.join(cols)} FROM jobs ORDER BY finished, key")
        return [_decode_job(row, curves, weights) for row in rows]
