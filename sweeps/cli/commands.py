"""What each ``sweeps`` subcommand does; :mod:`sweeps.cli` only parses arguments.

``report``, ``best``, ``compare`` and ``explain`` hand over to ``results``; they import it when they run, so that
``sweeps run`` and ``sweeps --help`` do not pay for pandas and matplotlib.

Every command returns an exit status or raises :class:`CommandError`; the progress bar
lives here, in the command-line layer, fed by the runner's callback.
"""
import json
import signal
import sys
import warnings
from pathlib import Path

from sweeps.cli.errors import EXIT_FAILED, EXIT_LOCKED, EXIT_OK, EXIT_USAGE, CommandError
from sweeps.progress import ProgressBar, ProgressLines
from sweeps.schema import STATUSES, flat_config
from sweeps.store import Store, check_db_file, db_path
from sweeps.values import hashable, plain

MAX_FAILURES_SHOWN = 20


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
    from sweeps.pools import ClusterLost, no_worker_timeout

    spec = _load_spec(args)
    if args.backend == "dask" or args.scheduler:
        try:
            no_worker_timeout()
        except ValueError as exc:
            raise CommandError(str(exc), EXIT_USAGE) from None
    out = _out_dir(args, spec)
    # a bar on a terminal; elsewhere (a log, make | tee) a line every few seconds
    bar = (ProgressBar(enabled=not args.quiet) if sys.stderr.isatty() else
           ProgressLines(enabled=not args.quiet))
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
    finally:
        bar.close()
    s = summary
    print(f"{s.name}: {s.planned} jobs: {s.ok} ok, {s.cached} cached, {s.failed} failed, "
          f"{s.diverged} diverged in {s.elapsed:.1f} s; results in {out}", flush=True)
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


def _varying_axes(configs) -> list:
    """The columns whose value differs between jobs (``task`` always), in config order.

    One pass over ``configs`` (any iterable: a million-job spec is not held as a list),
    keeping at most two distinct values per column.
    """
    seen, n = {}, 0  # column -> its distinct values (as schema.hashable), two at most
    first = {}  # column -> its first value: jobs share value objects, `is` is the fast test
    missing = hashable(None)  # a column some jobs lack (a parameter of one task only)
    for cfg in configs:
        flat = flat_config(cfg)
        for name in seen.keys() - flat.keys():
            seen[name].add(missing)
        for name, value in flat.items():
            values = seen.get(name)
            if values is None:
                values, first[name] = seen.setdefault(name, {missing} if n else set()), value
            elif value is first[name] or len(values) > 1:
                continue
            values.add(hashable(value))
        n += 1
    return [name for name, values in seen.items() if name == "task" or len(values) > 1]


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

    spec = _load_spec(args)
    out = _out_dir(args, spec)
    statuses = _stored_statuses(out)  # a StoreError: sweeps.cli.errors.as_command_error
    keys = spec.keys()
    axes = _varying_axes(spec)  # the spec's jobs are made one at a time, never all at once
    width = len(str(len(keys)))
    for i, (key, cfg) in enumerate(zip(keys, spec)):
        print(f"{i:>{width}}  {statuses.get(key, 'pending'):<8}  {key}  {_describe(cfg, axes)}")
    counts = {s: sum(statuses.get(key) == s for key in keys) for s in STATUSES}
    cached = sum(counts.values())
    detail = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    print(f"{len(keys)} jobs: {cached} cached{f' ({detail})' if detail else ''}, "
          f"{len(keys) - cached} pending; output directory {out}")
    return EXIT_OK


def status(args) -> int:
    """``sweeps status``: counts by status, then every failure's first error line."""
    from sweeps.loading import load_status

    out = Path(args.out)
    meta, failed = load_status(out)
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
        axes = _varying_axes([cfg for _, cfg, _ in failed]) or ["task"]
        print("failures:")
        for key, cfg, error in failed[:MAX_FAILURES_SHOWN]:
            print(f"  {key}  {_describe(cfg, axes)}: {error}")
        if len(failed) > MAX_FAILURES_SHOWN:
            print(f"  ... and {len(failed) - MAX_FAILURES_SHOWN} more "
                  f"(sweeps.load({str(out)!r}) has every traceback)")
    return EXIT_FAILED if failed else EXIT_OK


def _require_store(out: Path) -> None:
    """Refuse, before any work, a directory without a readable store (the one line of it:
    ``sweeps.cli.errors.as_command_error``)."""
    Store.open(out).close()


def report(args) -> int:
    """``sweeps report``: build the HTML report with the results package."""
    from results.report_cache import current_report

    out = Path(args.out)
    _require_store(out)
    if args.watch:
        return _watch(out, args.every)
    # Nothing new since the last build: the report stands, the figures are not imported.
    where, _ = current_report(out)
    if where is not None:
        print(f"report: {where / 'index.html'} (unchanged: nothing new in the store)")
        return EXIT_OK
    from results import build_report

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
    from sweeps.loading import load
    from sweeps.schema import CURVE_COLUMNS, WEIGHT_COLUMNS

    out = Path(args.sweep)
    _require_store(out)
    if args.arrays and args.format != "json":
        raise CommandError("--arrays needs --format json (arrays are lists of numbers)",
                           EXIT_USAGE)
    df = load(out, curves=args.arrays, weights=args.arrays)
    df["hidden"] = df["hidden"].map(list)  # [4, 4] as the spec writes it, not a tuple
    if args.arrays:  # numpy arrays as lists, so that JSON can hold them
        for column in [*CURVE_COLUMNS, *WEIGHT_COLUMNS]:
            if column in df:
                df[column] = df[column].map(plain)
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
