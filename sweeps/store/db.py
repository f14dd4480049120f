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
import hashlib
import json
import os
import sqlite3
from contextlib import contextmanager
from pathlib import Path

from sweeps.schema import STATUSES, now
from sweeps.store.codec import JOB_COLUMNS, decode_job, dumps, encode_job, planned_rows
from sweeps.store.errors import (StoreError, check_db_file, classify, damaged, db_path,
                                 disk_full, no_results, read_only, reading, writing)

SCHEMA_VERSION = "1"
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
            raise classify(path, exc) from None
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

    @reading
    def _check_schema(self, out_dir) -> None:
        tables = {r[0] for r in self._conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables:
            raise no_results(out_dir, self.path)
        if not _TABLES <= tables:
            raise StoreError(f"{self.path} is an SQLite database but not a sweeps result store "
                             f"(tables: {sorted(tables)}); it was left untouched. Move it "
                             "aside", elsewhere=True)
        version = self.meta().get("schema_version")
        if version != SCHEMA_VERSION:
            raise StoreError(f"{self.path} has store schema version {version!r}; this version "
                             f"of sweeps reads version {SCHEMA_VERSION!r}.")

    @reading
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
    @writing
    def start_run(self, *, name: str, spec_text: str, planned: list, record: dict) -> int:
        """Record a new run and its job list in one transaction; return its ``run_id``.

        ``planned`` is the jobs in spec order by config, as ``sweeps.spec.ConfigJobs``
        (``Spec.by_config()``): ``config`` with each of ``seeds`` as its seed (``seeds``
        None: ``config`` itself), keyed ``keys``. ``record`` holds the ``runs`` columns
        (``pid``, ``host``, ``versions`` ...).
        """
        record = dict(record, versions=dumps(record.get("versions", {})), started=now())
        cols = ", ".join(record)
        with self._transaction() as conn:
            conn.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                             [("name", name), ("spec", spec_text or "")])
            cur = conn.execute(f"INSERT INTO runs ({cols}) VALUES "
                               f"({', '.join('?' * len(record))})", tuple(record.values()))
            conn.execute("DELETE FROM planned")
            with _page_cache(conn, _PLANNING_CACHE_KIB):
                conn.executemany("INSERT INTO planned VALUES (?, ?, ?)",
                                 planned_rows(planned))
        return cur.lastrowid

    @writing
    def finish_run(self, run_id: int, outcome: str) -> None:
        """Stamp the end time and outcome (``complete``, ``interrupted``, ``error``)."""
        with self._transaction() as conn:
            conn.execute("UPDATE runs SET finished = ?, outcome = ? WHERE run_id = ?",
                         (now(), outcome, run_id))

    @writing
    def write_results(self, records: list, run_id: int) -> None:
        """Insert or replace the rows of one finished group, atomically.

        Each record holds ``key``, ``config_id``, ``config``, ``status`` and optionally
        ``layers``, ``n_params``, ``metrics``, ``error``, ``traceback``, ``curve_epoch``,
        ``curve_loss``, ``curve_val_loss``, ``weight_stats``, ``weights``, ``biases``,
        ``worker``, ``started``, ``finished``.
        """
        rows = [encode_job(rec, run_id) for rec in records]
        with self._transaction() as conn:
            conn.executemany(f"INSERT OR REPLACE INTO jobs ({', '.join(JOB_COLUMNS)}) VALUES "
                             f"({', '.join('?' * len(JOB_COLUMNS))})", rows)

    # -- reading -------------------------------------------------------------------------
    @reading
    def meta(self) -> dict:
        """The ``meta`` table as a dict of strings."""
        return dict(self._conn.execute("SELECT key, value FROM meta").fetchall())

    @reading
    def last_run(self) -> dict:
        """The most recent row of ``runs`` (``versions`` decoded), or {} before any run."""
        row = self._conn.execute("SELECT * FROM runs ORDER BY run_id DESC LIMIT 1").fetchone()
        if row is None:
            return {}
        run = dict(row)
        run["versions"] = json.loads(run["versions"] or "{}")
        return run

    @reading
    def statuses(self) -> dict:
        """Map every stored job key to its status."""
        return dict(self._conn.execute("SELECT key, status FROM jobs").fetchall())

    @reading
    def planned(self) -> list:
        """The job list of the latest run as ``(key, config)`` pairs, in spec order."""
        rows = self._conn.execute("SELECT key, config FROM planned ORDER BY position")
        return [(key, json.loads(cfg)) for key, cfg in rows]

    @reading
    def planned_keys(self) -> list:
        """The keys of :meth:`planned`, configs left unread."""
        rows = self._conn.execute("SELECT key FROM planned ORDER BY position")
        return [key for key, in rows]

    @reading
    def fingerprint(self) -> str:
        """A digest of what the store says about its results: it changes with every job
        written (a stored job changes its ``finished`` stamp), with the plan, and with the
        latest run's software and outcome; arrays left unread. A rerun that found every
        job cached changes none of these, so its report stands."""
        h = hashlib.blake2b(digest_size=16)
        for query in ("SELECT key, value FROM meta ORDER BY key",
                      "SELECT finished IS NULL, outcome, versions, python, git_commit, "
                      "git_dirty FROM runs ORDER BY run_id DESC LIMIT 1",
                      "SELECT key FROM planned ORDER BY position",
                      "SELECT key, status, run_id, started, finished FROM jobs ORDER BY key"):
            for row in self._conn.execute(query):
                h.update(repr(tuple(row)).encode())
            h.update(b"\x00")
        return h.hexdigest()

    @reading
    def job_rows(self, columns, *, status=None) -> list:
        """The ``columns`` (of ``codec.JOB_COLUMNS``) of every stored job as tuples, as
        stored (JSON text, ``.npz`` blobs), in order of finishing; only jobs of ``status``
        if given. For readers that decode in bulk, or only what they need."""
        unknown = sorted(set(columns) - set(JOB_COLUMNS))
        if unknown:
            raise ValueError(f"the jobs table has no column {unknown[0]!r}; its columns: "
                             f"{', '.join(JOB_COLUMNS)}")
        where = "" if status is None else "WHERE status = ? "
        cur = self._conn.cursor()
        cur.row_factory = None  # plain tuples: no sqlite3.Row per job
        return cur.execute(f"SELECT {', '.join(columns)} FROM jobs {where}"
                           "ORDER BY finished, key", () if status is None else (status,)
                           ).fetchall()

    @reading
    def jobs(self, *, curves=True, weights=True) -> list:
        """Every stored job as a dict, arrays decoded on request, in order of finishing."""
        # Leave the blobs on disk unless asked for: they are most of the bytes.
        cols = [c for c in JOB_COLUMNS
                if (c != "curve" or curves) and (c != "weights" or weights)]
        rows = self._conn.execute(f"SELECT {', '.join(cols)} FROM jobs ORDER BY finished, key")
        return [decode_job(row, curves, weights) for row in rows]


#: SQLite's page cache while the planned rows are written (KiB): the index of their keys
#: (random hashes) stays in memory instead of being spilled to the WAL again and again
#: (a million jobs: a 30 MB index; 4 s less of system time).
_PLANNING_CACHE_KIB = 48 << 10


@contextmanager
def _page_cache(conn: sqlite3.Connection, kib: int):
    previous = conn.execute("PRAGMA cache_size").fetchone()[0]
    conn.execute(f"PRAGMA cache_size = {-int(kib)}")
    try:
        yield
    finally:
        conn.execute(f"PRAGMA cache_size = {int(previous)}")


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
        raise classify(path, exc) from None
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
