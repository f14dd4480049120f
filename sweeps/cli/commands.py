"""What each ``sweeps`` subcommand does; :mod:`sweeps.cli` only parses arguments.

``report``, ``best``, ``compare`` and ``explain`` hand over to ``results``; they import it when they run, so that
``sweeps run`` and ``sweeps --help`` do not pay for pandas and matplotlib.

Every command returns an exit status or raises :class:`CommandError`; the progress bar
lives here, in the command-line layer, fed by the runner's callback.
"""
import errno
import json
import signal
import sys
import warnings
from pathlib import Path

from sweeps.progress import ProgressBar
from sweeps.schema import STATUSES, flat_config, varying
from sweeps.store import Store, StoreError, check_db_file, db_path

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_LOCKED, EXIT_INTERRUPTED = 0, 1, 2, 75, 130
MAX_FAILURES_SHOWN = 20


class CommandError(Exception):
    """A command cannot go on; the message is for the user, ``exit_status`` for the shell."""

    def __init__(self, message: str, exit_status: int = EXIT_FAILED):
        super().__init__(message)
        self.exit_status = exit_status


#: What the system says about a path the user chose, and what the user can do about it.
_PATH_PROBLEMS = {
    errno.EACCES: "permission denied: the command needs read and write permission on it and "
                  "its directory; grant them or choose another directory",
    errno.EPERM: "operation not permitted: the command needs write permission on it and its "
                 "directory; grant them or choose another directory",
    errno.EROFS: "read-only file system: choose a directory on a writable one",
    errno.ENOSPC: "no space left on the device: free some space and run the same command "
                  "again (every finished result is kept)",
    errno.EDQUOT: "disk quota exceeded: free some space and run the same command again "
                  "(every finished result is kept)",
    errno.EISDIR: "is a directory where a file is needed: move it aside or choose another "
                  "path",
    errno.ENOTDIR: "a part of the path is a file where a directory is needed",
    errno.ENAMETOOLONG: "file name too long: choose a shorter name or directory",
}


def one_line(message) -> str:
    """``message`` with every character that is not printable escaped (a newline or a
    form feed in a path must not break the error's one line)."""
    text = str(message)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def as_command_error(exc: Exception, where=None):
    """The one-line error a user gets for ``exc``, or None if it is not the user's to fix.

    A store that cannot be read or written (damaged, foreign, a directory, read-only, a
    full disk) and an output path the system refuses are input problems: exit status 2,
    one line naming the path (``where``, the command's output, when the system names
    none) and what is needed. Anything else is a bug and keeps its traceback.
    """
    if isinstance(exc, StoreError):
        return CommandError(str(exc), EXIT_USAGE)
    if isinstance(exc, FileNotFoundError) and exc.filename is None:  # "no results yet in X"
        return CommandError(str(exc), EXIT_USAGE)
    if isinstance(exc, OSError) and exc.errno in _PATH_PROBLEMS:
        path = exc.filename or where
        prefix = f"{path}: " if path else ""
        return CommandError(prefix + _PATH_PROBLEMS[exc.errno], EXIT_USAGE)
    return None


def _load_spec(args):
    from sweeps.spec import SpecError, load_spec

    try:
        return load_spec(args.spec, overrides=args.overrides)
    except SpecError as exc:
        raise CommandError(str(exc), EXIT_USAGE) from None


def _out_dir(args, spec) -> Path:
    return Path(args.out) if args.out else Path("runs") / spec.name


def run(args) -> int:
    """``sweeps run``: train what the store lacks, print a summary line."""
    from sweeps.lock import SweepLockedError
    from sweeps.runner import SweepInterrupted, run_sweep
    from sweeps.workers import ClusterLost, no_worker_timeout

    spec = _load_spec(args)
    if args.backend == "dask" or args.scheduler:
        try:
            no_worker_timeout()
        except ValueError as exc:
            raise CommandError(str(exc), EXIT_USAGE) from None
    out = _out_dir(args, spec)
    bar = ProgressBar(enabled=not args.quiet and sys.stderr.isatty())
    # joblib counts the groups it drops when a run stops early (a full disk), as the
    # abandoned generator is collected, after the error line: they are pending jobs,
    # which the summary or the error line already account for.
    warnings.filterwarnings("ignore", r".*tasks? .*(cancelled|not used)", UserWarning)
    try:
        summary = run_sweep(spec, out, n_jobs=args.jobs, backend=args.backend or "loky",
                            scheduler=args.scheduler, retry_failed=args.retry_failed,
                            force=args.force, progress=bar)
    except SweepInterrupted as exc:
        bar.close()
        s = exc.summary
        how = "" if exc.signum == signal.SIGINT else f" by {exc.signum.name}"
        print(f"interrupted{how}: {s.done} of {s.planned} jobs done ({s.done - s.cached} in "
              f"this run), {s.pending} pending; finished results are saved in {out}. "
              "Run the same command again to resume.", file=sys.stderr)
        if args.report:
            _report_after_run(out)
        return 128 + exc.signum  # the shell's convention: 130 for Ctrl-C, 143 for SIGTERM
    except ClusterLost as exc:
        s = exc.summary
        done = "" if s is None else (f"; {s.done} of {s.planned} jobs done ({s.done - s.cached}"
                                     f" in this run), {s.pending} pending")
        raise CommandError(f"{exc}{done}; finished results are saved in {out}. Run the same "
                           "command again to resume.") from None
    except SweepLockedError as exc:
        raise CommandError(str(exc), EXIT_LOCKED) from None
    except StoreError as exc:
        raise CommandError(str(exc), EXIT_USAGE) from None
    finally:
        bar.close()
    s = summary
    print(f"{s.name}: {s.planned} jobs: {s.ok} ok, {s.cached} cached, {s.failed} failed, "
          f"{s.diverged} diverged in {s.elapsed:.1f} s; results in {out}")
    if s.any_failed:
        retry = (f" ({s.cached_failed} failed in an earlier run: --retry-failed trains them "
                 "again)" if s.cached_failed else "")
        lost = (f"{s.failed} jobs in {s.failed_groups} group"
                f"{'s' if s.failed_groups != 1 else ''} failed in this run; "
                if s.failed else "")
        print(f"failures: {lost}see `sweeps status {out}`{retry}", file=sys.stderr)
    if args.report:
        _report_after_run(out)
    return EXIT_FAILED if s.any_failed else EXIT_OK


def _report_after_run(out: Path) -> None:
    """``sweeps run --report``: build the report of what the store holds, if anything."""
    from results import build_report

    try:
        where = build_report(out)
    except ValueError as exc:  # no finished job (interrupted before the first one)
        print(f"report not written: {exc}", file=sys.stderr)
        return
    print(f"report: {where / 'index.html'}")


def _describe(cfg: dict, axes: list) -> str:
    flat = flat_config(cfg)
    return " ".join(f"{axis}={v}" if isinstance(v, str) else
                    f"{axis}={json.dumps(v, separators=(',', ':'))}"
                    for axis, v in ((a, flat[a]) for a in axes if a in flat))


def _varying_axes(configs: list) -> list:
    """The columns whose value differs between jobs (``task`` always), in config order."""
    flats = [flat_config(cfg) for cfg in configs]
    names = list(dict.fromkeys(name for flat in flats for name in flat))
    # A column some jobs lack (a parameter of one task only) is missing there: it varies.
    changing = set(varying({n: [f.get(n) for f in flats] for n in names}))
    return [n for n in names if n == "task" or n in changing]


def _stored_statuses(out: Path) -> dict:
    if not check_db_file(db_path(out)):
        return {}
    try:
        with Store.open(out) as store:
            return store.statuses()
    except FileNotFoundError:  # no results yet: the first run is creating the store
        return {}


def list_jobs(args) -> int:
    """``sweeps list``: every job of the spec with its stored status or ``pending``."""
    from sweeps.runner import planned_jobs

    spec = _load_spec(args)
    out = _out_dir(args, spec)
    try:
        statuses = _stored_statuses(out)
    except StoreError as exc:
        raise CommandError(str(exc), EXIT_USAGE) from None
    jobs = planned_jobs(spec)
    axes = _varying_axes([cfg for _, cfg in jobs])
    width = len(str(len(jobs)))
    for i, (key, cfg) in enumerate(jobs):
        print(f"{i:>{width}}  {statuses.get(key, 'pending'):<8}  {key}  {_describe(cfg, axes)}")
    counts = {s: sum(statuses.get(key) == s for key, _ in jobs) for s in STATUSES}
    cached = sum(counts.values())
    detail = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    print(f"{len(jobs)} jobs: {cached} cached{f' ({detail})' if detail else ''}, "
          f"{len(jobs) - cached} pending; output directory {out}")
    return EXIT_OK


def status(args) -> int:
    """``sweeps status``: counts by status, then every failure's first error line."""
    from sweeps.frame import is_current, load_meta

    out = Path(args.out)
    try:
        meta = load_meta(out)
        with Store.open(out) as store:
            failed = [r for r in store.jobs(curves=False, weights=False)
                      if r["status"] == "failed" and is_current(r)]
    except (FileNotFoundError, StoreError) as exc:
        raise CommandError(str(exc), EXIT_USAGE) from None
    print(f"{meta['name']} in {out}: {meta['planned']} jobs planned by the latest run")
    for name, n in meta["counts"].items():
        print(f"  {name:<9}{n:>6}")
    if meta["stale"]:
        print(f"  ({meta['stale']} stored results of an older results format are kept but "
              "not counted or shown; `sweeps run` trains those jobs again)")
    commit = meta["git_commit"] or "unknown"
    print(f"  git commit {commit}{' (uncommitted changes)' if meta['git_dirty'] else ''}, "
          f"python {meta['python']}")
    if failed:
        axes = _varying_axes([r["config"] for r in failed]) or ["task"]
        print("failures:")
        for rec in failed[:MAX_FAILURES_SHOWN]:
            print(f"  {rec['key']}  {_describe(rec['config'], axes)}: {rec['error']}")
        if len(failed) > MAX_FAILURES_SHOWN:
            print(f"  ... and {len(failed) - MAX_FAILURES_SHOWN} more "
                  f"(sweeps.load({str(out)!r}) has every traceback)")
    return EXIT_FAILED if failed else EXIT_OK


def _require_store(out: Path) -> None:
    try:
        Store.open(out).close()
    except (FileNotFoundError, StoreError) as exc:
        raise CommandError(str(exc), EXIT_USAGE) from None


def report(args) -> int:
    """``sweeps report``: build the HTML report with the results package."""
    from results import build_report

    out = Path(args.out)
    _require_store(out)
    if args.watch:
        return _watch(out, args.every)
    try:
        where = Path(build_report(out))
    except ValueError as exc:  # no finished job yet, or only results of an older format
        raise CommandError(str(exc), EXIT_USAGE) from None
    print(f"report: {where / 'index.html' if where.is_dir() else where}")
    return EXIT_OK


def _watch(out: Path, every) -> int:
    """``sweeps report --watch``: rebuild until the run ends, a line per build."""
    from results.live import DEFAULT_EVERY, watch_report

    def on_build(meta, built):
        planned = meta["planned"]
        done = planned - meta["counts"]["pending"]
        state = "running" if meta["running"] else f"run {meta['outcome'] or 'ended'}"
        drawn = (f"{len(built.drawn)} figure(s) drawn, {len(built.reused)} unchanged"
                 if built else "no job finished yet")
        print(f"{state}: {done} of {planned} jobs done; {drawn}", flush=True)

    every = every or DEFAULT_EVERY
    print(f"watching {out}: report rebuilt every {every:g} s until the run ends "
          f"(Ctrl-C stops)", flush=True)
    try:
        where = watch_report(out, every=every, on_build=on_build)
    except ValueError as exc:  # only results of an older format
        raise CommandError(str(exc), EXIT_USAGE) from None
    print(f"report: {where / 'index.html'}")
    return EXIT_OK


def export(args) -> int:
    """``sweeps export``: the results frame as a CSV, JSON or Parquet file."""
    from sweeps.frame import load
    from sweeps.schema import CURVE_COLUMNS, WEIGHT_COLUMNS

    out = Path(args.out)
    _require_store(out)
    if args.arrays and args.format != "json":
        raise CommandError("--arrays needs --format json (arrays are lists of numbers)",
                           EXIT_USAGE)
    df = load(out, curves=args.arrays, weights=args.arrays)
    df["hidden"] = df["hidden"].map(list)  # [4, 4] as the spec writes it, not a tuple
    if args.arrays:  # numpy arrays as lists, so that JSON can hold them
        for column in [*CURVE_COLUMNS, *WEIGHT_COLUMNS]:
            if column in df:
                df[column] = df[column].map(_as_lists)
    target = Path(args.to) if args.to else out / f"results.{args.format}"
    try:
        if args.format == "csv":
            df.to_csv(target, index=False)
        elif args.format == "json":
            df.to_json(target, orient="records", indent=1)
        else:
            df.assign(hidden=df["hidden"].map(list)).to_parquet(target, index=False)
    except ImportError:
        raise CommandError("parquet needs pyarrow, which is not installed: pip install "
                           "pyarrow, or use --format csv or json", EXIT_USAGE) from None
    except OSError as exc:
        raise CommandError(f"cannot write {target}: {exc.strerror or exc}", EXIT_USAGE) \
            from None
    print(f"{len(df)} jobs -> {target}")
    return EXIT_OK


def _as_lists(value):
    if isinstance(value, dict):
        return {k: _as_lists(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_as_lists(v) for v in value]
    return value.tolist() if hasattr(value, "tolist") else value


def best(args) -> int:
    """``sweeps best``: configs ranked on validation, each with its test estimate."""
    from results import best_configs, best_text, load_results

    out = Path(args.out)
    _require_store(out)
    try:
        table = best_configs(load_results(out, curves=False, weights=False), by=args.by,
                             top=args.top)
    except ValueError as exc:  # a test metric, a metric the task lacks, no ok job yet
        raise CommandError(str(exc), EXIT_USAGE) from None
    print(best_text(table))
    return EXIT_OK


def compare(args) -> int:
    """``sweeps compare``: pair configs of two sides, print the verdict and the table."""
    from results import comparison_text, write_comparison

    for out in (args.dir_a, args.dir_b):
        if out is not None:  # "" is a path too (the current directory), not "no path"
            _require_store(Path(out))
    by = args.by.split(",") if args.by else None
    values = _values(args.values) if args.values else None
    try:
        result = write_comparison(Path(args.dir_a),
                                  None if args.dir_b is None else Path(args.dir_b),
                                  args.out, on=args.on, by=by, values=values,
                                  alpha=args.alpha)
    except ValueError as exc:  # a metric the task lacks, sides that differ in more ...
        raise CommandError(str(exc), EXIT_USAGE) from None
    print(comparison_text(result["table"], args.dir_a, args.dir_b))
    for name, path in result["files"].items():
        print(f"{name}: {path}")
    return EXIT_OK


def explain(args) -> int:
    """``sweeps explain``: which axes matter, ranked, in sentences; tables and figures."""
    from results import effects_text, write_effects

    out = Path(args.out)
    _require_store(out)
    try:
        result = write_effects(out, args.target, on=args.on, alpha=args.alpha)
    except ValueError as exc:  # an unknown metric, nothing varying, no ok job yet
        raise CommandError(str(exc), EXIT_USAGE) from None
    print(effects_text(result))
    for name, path in result["files"].items():
        print(f"{name}: {path}")
    return EXIT_OK


def _values(text: str) -> list:
    """``--values tanh,relu`` or ``--values 0.01,0.1``: each part as TOML if it parses."""
    from sweeps.spec.axes import AxisError, parse_override

    try:
        value = parse_override(f"values={text}")[1]
    except AxisError:
        raise CommandError(f"bad --values {text!r}; allowed: two values separated by a "
                           "comma, e.g. --values tanh,relu", EXIT_USAGE) from None
    return value if isinstance(value, list) else [value]
