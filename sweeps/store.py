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
import errno
import functools
import hashlib
import io
import json
import os
import sqlite3
import stat
import zipfile
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
    """A store that cannot be read or written as asked; the message is one line for the user.

    It names the file, what is wrong with it and what to do (recover it, move it aside,
    free space, grant a permission). Whatever the cause, the file was left as it was
    (``sweeps run`` on a full disk keeps every group committed before the failure).
    """


#: SQLite's primary result codes that say what is wrong with a file (sqlite3.h).
_SQLITE_READONLY, _SQLITE_IOERR, _SQLITE_CORRUPT, _SQLITE_FULL, _SQLITE_CANTOPEN, \
    _SQLITE_NOTADB = 8, 10, 11, 13, 14, 26


def _no_space_left(path: Path) -> bool:
    """Whether the file system of ``path`` is full (an I/O error may be a full disk)."""
    try:
        return os.statvfs(path.parent).f_bavail == 0
    except OSError:
        return False


def damaged(path, reason) -> StoreError:
    """The error of a store whose bytes cannot be read back: what happened, what to do."""
    # SQLite's integrity report spans lines ("*** in database main ***\nOn tree page ...")
    reason = "; ".join(line for line in str(reason).splitlines()
                       if line.strip() and not line.startswith("***"))
    return StoreError(f"{path} is damaged ({reason}); it was left untouched. Recover its "
                      f"rows with `sqlite3 {path} \".recover\" | sqlite3 recovered.db` and "
                      "put recovered.db in its place, or move it aside and run the sweep "
                      "again")


def disk_full(path) -> StoreError:
    """The error of a write refused for lack of space."""
    return StoreError(f"no space left on the device of {path}; every result committed "
                      "before is kept and the store is consistent: free some space and run "
                      "the same command again to resume")


def read_only(path, doing="`sweeps run`") -> StoreError:
    """The error of a store that cannot be written: which permission is missing where."""
    path = Path(path)
    if path.exists() and not os.access(path, os.W_OK):
        what = f"{path} is read-only for this user"
    elif not os.access(path.parent, os.W_OK):
        what = f"the directory {path.parent} is read-only for this user"
    else:
        what = f"{path} cannot be written"
    return StoreError(f"{what}: {doing} needs write permission on {path.name} and on its "
                      "directory (SQLite keeps its journal beside it); grant it or choose "
                      "another --out directory")


def _classify(path: Path, exc: Exception) -> StoreError:
    """Turn what SQLite (or decoding a stored blob) raised into one :class:`StoreError`."""
    code = getattr(exc, "sqlite_errorcode", None)
    code = None if code is None else code & 0xFF  # extended codes: the low byte is primary
    text = str(exc)
    if code == _SQLITE_FULL or "disk is full" in text or (code == _SQLITE_IOERR
                                                          and _no_space_left(path)):
        return disk_full(path)
    if code == _SQLITE_READONLY or "readonly" in text:
        return read_only(path)
    if code == _SQLITE_CANTOPEN:
        return StoreError(f"cannot open {path} ({text}): reading a sweep needs read "
                          f"permission on the file and its directory {path.parent}, and "
                          "write permission on the directory while a run is writing")
    if code in (_SQLITE_CORRUPT, _SQLITE_NOTADB) or not isinstance(exc, sqlite3.Error):
        return damaged(path, text or type(exc).__name__)
    return StoreError(f"{path}: {text} (SQLite error); it was left untouched")


#: What reading a damaged row may raise besides SQLite's own errors: a blob or a JSON text
#: whose bytes changed (the ``.npz`` blobs carry CRCs, so changed bytes do not load).
_DECODE_ERRORS = (sqlite3.Error, ValueError, KeyError, EOFError, OSError, zipfile.BadZipFile)


def _guarded(errors):
    """Run a ``Store`` method so that a failure of the file (one of ``errors``) is one
    :class:`StoreError`; an integrity error is the caller's bad row (a bug) and stays."""
    def decorate(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except (StoreError, sqlite3.IntegrityError):
                raise
            except errors as exc:
                raise _classify(self.path, exc) from exc
        return wrapper
    return decorate


_reading = _guarded(_DECODE_ERRORS)
_writing = _guarded(sqlite3.Error)  # a ValueError while encoding a row is a bug, not damage


def db_path(out_dir) -> Path:
    """Path of the database file inside ``out_dir``."""
    return Path(out_dir) / DB_NAME


def no_results(out_dir, path) -> FileNotFoundError:
    """What a reader gets before the first run has created the store."""
    return FileNotFoundError(f"no results yet in {out_dir}: {path} does not exist yet "
                             "(`sweeps run` creates it)")


def check_db_file(path) -> bool:
    """Return whether ``path`` holds a store file; raise StoreError if it cannot be one.

    Reads only the 16-byte header, so a foreign file is never opened by SQLite, let alone
    written. A zero-byte file is no store yet (False): a run creates the store in its place.

    Raises
    ------
    StoreError
        ``path`` is a directory (or another non-file), unreadable, or not SQLite.
    """
    path = Path(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        return False
    except NotADirectoryError:
        raise StoreError(f"{path.parent} is not a directory (it, or a part of its path, is "
                         f"a file): a sweep's results live in a directory, as DIR/{DB_NAME}; "
                         "give the output directory of a sweep, or choose another --out "
                         "directory") from None
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror or exc}; reading a sweep needs "
                         "search permission on its directory") from None
    if stat.S_ISDIR(st.st_mode):
        raise StoreError(f"{path} is a directory, but a sweeps result store is a file; it "
                         "was left untouched. Move the directory aside or choose another "
                         "--out directory")
    if not stat.S_ISREG(st.st_mode):  # a FIFO or a device: opening it could block forever
        raise StoreError(f"{path} is not a regular file, so not a sweeps result store; it "
                         "was left untouched. Move it aside or choose another --out directory")
    try:
        with open(path, "rb") as fh:
            head = fh.read(len(_SQLITE_MAGIC))
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror or exc}; reading a sweep needs "
                         "read permission on it (and running one, write permission)") \
            from None
    if head and head != _SQLITE_MAGIC:
        raise StoreError(f"{path} is not an SQLite database, so not a sweeps result store; "
                         "it was left untouched. Move it away or choose another --out directory.")
    return bool(head)


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
            Open for writing, creating the database (not the directory) if missing. A new
            store is built under a temporary name and renamed into place, so a reader
            never sees a half-made one; an existing one is checked (schema and page
            structure) through a read-only connection before it is opened for writing,
            so a damaged file is never written to. Every open checks the page structure
            (``PRAGMA quick_check``, one pass over the file): a damaged store is refused
            as a whole, by readers too, rather than read in part.

        Raises
        ------
        FileNotFoundError
            When reading and there are no results yet (no database, or an empty one).
        StoreError
            When the file is damaged, foreign, of another schema version, a directory, or
            lacks a permission; the message says what to do.
        """
        path = db_path(out_dir)
        exists = check_db_file(path)
        if not create:
            if not exists:
                raise no_results(out_dir, path)
            return cls._connect(path, out_dir, readonly=True)
        if exists:
            try:
                cls._connect(path, out_dir, readonly=True).close()
            except FileNotFoundError:  # an SQLite file without a single table: no store yet
                exists = False
        if not exists:
            _create(path)
        elif not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)):
            raise read_only(path)
        # Its pages were just checked read-only (or it was just built): once is enough.
        store = cls._connect(path, out_dir, readonly=False, check_pages=False)
        # NORMAL is durable against process crashes in WAL mode; only an OS crash or
        # power loss can drop the last commits, never corrupt the file.
        store._conn.execute("PRAGMA synchronous = NORMAL")
        return store

    @classmethod
    def _connect(cls, path: Path, out_dir, readonly: bool, check_pages=True) -> "Store":
        if readonly:
            # mode=ro: a reader must never create or modify anything. In a directory no
            # one may write to no run can be writing: immutable lets SQLite read the file
            # without the -shm file it could not create there.
            uri = f"{path.resolve().as_uri()}?mode=ro"
            if not os.access(path.parent, os.W_OK) \
                    and not path.with_name(path.name + "-wal").exists():
                uri += "&immutable=1"
            target, kwargs = uri, {"uri": True}
        else:
            target, kwargs = path, {}
        try:
            conn = sqlite3.connect(target, timeout=30, isolation_level=None, **kwargs)
        except sqlite3.Error as exc:
            if not path.exists():  # gone between the check and the connection
                raise no_results(out_dir, path) from None
            raise _classify(path, exc) from None
        conn.row_factory = sqlite3.Row
        store = cls(conn, path)
        try:
            store._check_schema(out_dir)
            if check_pages:
                store._check_integrity()
        except BaseException:
            conn.close()
            raise
        return store

    @_reading
    def _check_schema(self, out_dir) -> None:
        tables = {r[0] for r in self._conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables:
            raise no_results(out_dir, self.path)
        if not _TABLES <= tables:
            raise StoreError(f"{self.path} is an SQLite database but not a sweeps result store "
                             f"(tables: {sorted(tables)}); it was left untouched. Move it "
                             "aside or choose another --out directory")
        version = self.meta().get("schema_version")
        if version != SCHEMA_VERSION:
            raise StoreError(f"{self.path} has store schema version {version!r}; this version "
                             f"of sweeps reads version {SCHEMA_VERSION!r}.")

    @_reading
    def _check_integrity(self) -> None:
        """Refuse a store whose pages do not hold together (``PRAGMA quick_check``)."""
        first = self._conn.execute("PRAGMA quick_check(1)").fetchone()[0]
        if first != "ok":
            raise damaged(self.path, first)

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
    @_writing
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

    @_writing
    def finish_run(self, run_id: int, outcome: str) -> None:
        """Stamp the end time and outcome (``complete``, ``interrupted``, ``error``)."""
        with self._transaction() as conn:
            conn.execute("UPDATE runs SET finished = ?, outcome = ? WHERE run_id = ?",
                         (now(), outcome, run_id))

    @_writing
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
    @_reading
    def meta(self) -> dict:
        """The ``meta`` table as a dict of strings."""
        return dict(self._conn.execute("SELECT key, value FROM meta").fetchall())

    @_reading
    def last_run(self) -> dict:
        """The most recent row of ``runs`` (``versions`` decoded), or {} before any run."""
        row = self._conn.execute("SELECT * FROM runs ORDER BY run_id DESC LIMIT 1").fetchone()
        if row is None:
            return {}
        run = dict(row)
        run["versions"] = json.loads(run["versions"] or "{}")
        return run

    @_reading
    def statuses(self) -> dict:
        """Map every stored job key to its status."""
        return dict(self._conn.execute("SELECT key, status FROM jobs").fetchall())

    @_reading
    def planned(self) -> list:
        """The job list of the latest run as ``(key, config)`` pairs, in spec order."""
        rows = self._conn.execute("SELECT key, config FROM planned ORDER BY position")
        return [(key, json.loads(cfg)) for key, cfg in rows]

    @_reading
    def fingerprint(self) -> str:
        """A digest of the store's state: it changes with every write (a run adds its row
        to ``runs``; a stored job changes its ``finished`` stamp), arrays left unread."""
        h = hashlib.blake2b(digest_size=16)
        for query in ("SELECT key, value FROM meta ORDER BY key",
                      "SELECT * FROM runs ORDER BY run_id",
                      "SELECT key FROM planned ORDER BY position",
                      "SELECT key, status, run_id, started, finished FROM jobs ORDER BY key"):
            for row in self._conn.execute(query):
                h.update(repr(tuple(row)).encode())
            h.update(b"\x00")
        return h.hexdigest()

    @_reading
    def jobs(self, *, curves=True, weights=True) -> list:
        """Every stored job as a dict, arrays decoded on request, in order of finishing."""
        # Leave the blobs on disk unless asked for: they are most of the bytes.
        cols = [c for c in _JOB_COLUMNS
                if (c != "curve" or curves) and (c != "weights" or weights)]
        rows = self._conn.execute(f"SELECT {', '.join(cols)} FROM jobs ORDER BY finished, key")
        return [_decode_job(row, curves, weights) for row in rows]


def _create(path: Path) -> None:
    """Create an empty store at ``path`` atomically: built aside, then renamed into place."""
    for stale in path.parent.glob(f".{path.name}.creating-*"):  # left by a killed run
        stale.unlink(missing_ok=True)
    tmp = path.with_name(f".{path.name}.creating-{os.getpid()}")
    try:
        conn = sqlite3.connect(tmp, isolation_level=None)
        try:
            # The schema is committed through a rollback journal, so everything is in the
            # main file when it is renamed; WAL mode is then only a header flag.
            conn.execute("BEGIN IMMEDIATE")
            for statement in filter(str.strip, _SCHEMA.split(";")):
                conn.execute(statement)
            conn.execute("INSERT INTO meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,))
            conn.execute("INSERT INTO meta VALUES ('created', ?)", (now(),))
            conn.execute("COMMIT")
            conn.execute("PRAGMA journal_mode = WAL")
        finally:
            conn.close()
        os.replace(tmp, path)
    except sqlite3.Error as exc:
        raise _classify(path, exc) from None
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise disk_full(path) from None
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise read_only(path) from None
        raise StoreError(f"cannot create {path}: {exc.strerror or exc}") from None
    finally:
        for leftover in (tmp, tmp.with_name(tmp.name + "-journal"),
                         tmp.with_name(tmp.name + "-wal"), tmp.with_name(tmp.name + "-shm")):
            leftover.unlink(missing_ok=True)
