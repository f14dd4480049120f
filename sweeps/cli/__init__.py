"""The ``sweeps`` command line: run, list, status, report, best, compare.

The command line sits above both packages: it imports ``sweeps`` and ``results``, and
neither imports it (nothing else in ``sweeps`` imports ``results``). This module parses
arguments; :mod:`sweeps.cli.commands` does the work.

Exit status: 0 success; 1 a job failed (or another error); 2 bad input (spec, arguments,
an output directory that is not a sweeps store); 75 the output directory is in use by
another run (EX_TEMPFAIL: try again later); 130 interrupted by Ctrl-C, 143 by SIGTERM; 141
the output's reader went away (a closed pipe).
"""
import argparse
import os
import signal
import sys

from sweeps.cli import commands, errors

_RUN_EXAMPLES = """\
examples:
  sweeps run sine                              built-in preset, results in runs/sine
  sweeps run sine --set epochs=500 --set seed=0,1,2 --jobs 2 --out runs/quick
  sweeps run my_grid.toml --retry-failed       train again the jobs that failed
  sweeps run sine --backend dask               on a local Dask cluster (one process per core)
  sweeps run sine --scheduler tcp://10.0.0.5:8786   on an existing Dask cluster
  sweeps run sine --report                     and write runs/sine/report/ at the end

Rerunning the same command resumes: finished jobs (ok or diverged) are never retrained,
failed ones only with --retry-failed, all of them with --force. A worker process that dies
fails only its group. On Dask, the run ends (exit 1, results kept) when the scheduler is
lost or no worker is alive for SWEEPS_DASK_NO_WORKER_TIMEOUT seconds (default: 60).
Progress: a bar on a terminal; when stderr is not one (a log, `| tee`), a line when the
plan is made and one every SWEEPS_PROGRESS_EVERY seconds (default: 5) as jobs finish.
"""
_LIST_EXAMPLES = """\
examples:
  sweeps list sine                             every job, cached or pending, in runs/sine
  sweeps list my_grid.toml --set lr=0.1,0.01 --out runs/lr
"""
_STATUS_EXAMPLES = """\
examples:
  sweeps status runs/sine                      counts by status, and each failure's error
"""
_REPORT_EXAMPLES = """\
examples:
  sweeps report runs/sine                      tables and figures in runs/sine/report/
  sweeps report runs/sine --watch              rebuild every 10 s while a run writes
  sweeps report runs/sine --watch --every 30   ... every 30 s

With --watch the page reloads itself while the run is going and says how far it is
("running: 212 of 486 jobs done"); the first build after the run ends is the last, and
the watch exits 0. A rebuild draws again only the figures whose data changed.
"""
_COMPARE_EXAMPLES = """\
examples:
  sweeps compare runs/moons_adam runs/moons_adagrad        verdict, then the paired table
  sweeps compare runs/moons --by activation --values tanh,relu --out runs/tanh_vs_relu
  sweeps compare runs/sine_gd runs/sine_adam --on val_loss

Configs are paired when every other axis agrees, seeds with seeds. The first line is the
verdict: who is better in how many configs, the median difference with a 95% bootstrap
interval, and the Wilcoxon signed-rank p-value. The default metric is the task's main
validation metric (val_accuracy or val_mse).
"""
_EXPORT_EXAMPLES = """\
examples:
  sweeps export runs/sine                      runs/sine/results.csv, one row per job
  sweeps export runs/sine --format json --arrays --out sine.json

Every column of the results frame (docs/ARCHITECTURE.md) but the arrays, unless --arrays.
"""
_BEST_EXAMPLES = """\
examples:
  sweeps best runs/moons                       top 5 configs by mean val_accuracy
  sweeps best runs/sine --by val_loss --top 10

Configs are ranked on a validation metric only; the test metric printed beside it is the
honest estimate of the chosen config (mean and 95% interval over its seeds).
"""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``sweeps`` command."""
    parser = argparse.ArgumentParser(
        prog="sweeps", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Train grids of small neural networks in parallel; every result is "
                    "cached in OUT/sweep.db, so rerunning a command resumes it.",
        epilog="run `sweeps COMMAND --help` for a command's options and examples\n\n"
               "exit status: 0 done, 1 a job failed, 2 bad input (spec, arguments, output\n"
               "directory), 75 output directory in use by another run, 130 interrupted\n"
               "(Ctrl-C), 143 terminated (SIGTERM); both keep every finished result;\n"
               "141 the reader of the output went away (| head)")
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name, func, help, examples):
        p = sub.add_parser(name, help=help, description=help, epilog=examples,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        p.set_defaults(func=func)
        return p

    _run_arguments(command("run", commands.run,
                           "train every job of a spec not yet in the store", _RUN_EXAMPLES))
    _spec_arguments(command("list", commands.list_jobs,
                            "dry run: list every job of a spec, cached or pending",
                            _LIST_EXAMPLES))
    status = command("status", commands.status,
                     "counts by status of a sweep's results, and its failures",
                     _STATUS_EXAMPLES)
    status.add_argument("out", metavar="DIR", help="output directory of `sweeps run`")
    report = command("report", commands.report,
                     "write the HTML report (tables and figures) of a sweep",
                     _REPORT_EXAMPLES)
    report.add_argument("out", metavar="DIR", help="output directory of `sweeps run`")
    report.add_argument("--watch", action="store_true",
                        help="rebuild the report while a run writes to DIR; exit when it "
                             "ends")
    report.add_argument("--every", metavar="SECONDS", type=_seconds, default=None,
                        help="seconds between two builds with --watch (default: 10)")
    export = command("export", commands.export,
                     "write a sweep's results as a table file (one row per job)",
                     _EXPORT_EXAMPLES)
    export.add_argument("sweep", metavar="DIR", help="output directory of `sweeps run`")
    export.add_argument("--format", choices=("csv", "json", "parquet"), default="csv",
                        help="file format (default: csv; parquet needs pyarrow)")
    # --out, as every command names its output; --to, its old name, still works
    export.add_argument("--out", "-o", "--to", dest="to", metavar="FILE", default=None,
                        help="file to write (default: DIR/results.<format>; --to is its "
                             "old name)")
    export.add_argument("--arrays", action="store_true",
                        help="also the loss curves and weights (json only: they are lists)")
    best = command("best", commands.best,
                   "rank a sweep's configs on validation; show their test estimate",
                   _BEST_EXAMPLES)
    best.add_argument("out", metavar="DIR", help="output directory of `sweeps run`")
    best.add_argument("--by", metavar="METRIC", default=None,
                      help="validation metric to rank by (default: val_accuracy for "
                           "classification, val_mse for regression)")
    best.add_argument("--top", metavar="K", type=_positive, default=5,
                      help="how many configs to show (default: 5)")
    compare = command("compare", commands.compare,
                      "compare two sweeps, or two values of an axis of one sweep, with a "
                      "verdict", _COMPARE_EXAMPLES)
    compare.add_argument("dir_a", metavar="DIR_A")
    compare.add_argument("dir_b", metavar="DIR_B", nargs="?", default=None,
                         help="second sweep (leave out to compare inside DIR_A with --by)")
    compare.add_argument("--on", metavar="METRIC", default=None,
                         help="metric to compare (default: the task's main validation "
                              "metric, val_accuracy or val_mse)")
    compare.add_argument("--by", metavar="AXIS[,AXIS]", default=None,
                         help="axes that should differ between the sides; required to "
                              "compare inside one sweep (e.g. --by optimizer)")
    compare.add_argument("--values", metavar="A,B", default=None,
                         help="inside one sweep: the two values of --by to compare "
                              "(needed when it has more than two)")
    compare.add_argument("--out", metavar="DIR", default=None,
                         help="also write the page, table (csv, md, html) and figure here")
    return parser


def _run_arguments(run: argparse.ArgumentParser) -> None:
    _spec_arguments(run)
    run.add_argument("--jobs", "-j", type=_jobs, default=None, metavar="N",
                     help="parallel workers (default: all cores; -1 all, -2 all but one)")
    run.add_argument("--backend", choices=("loky", "threading", "dask"), default=None,
                     help="joblib backend (default: loky; dask starts a LocalCluster)")
    run.add_argument("--scheduler", metavar="ADDR",
                     help="address of a running Dask scheduler, e.g. tcp://host:8786 "
                          "(implies --backend dask)")
    run.add_argument("--retry-failed", action="store_true", help="train failed jobs again")
    run.add_argument("--force", action="store_true", help="train every job again")
    run.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    run.add_argument("--report", action="store_true",
                     help="write the HTML report (OUT/report/) when the run ends, also "
                          "after failures or an interruption")


def _spec_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("spec", metavar="SPEC", help="preset name (e.g. sine) or path to a .toml spec")
    p.add_argument("--out", "-o", metavar="DIR", default=None,
                   help="output directory (default: runs/<spec name>)")
    p.add_argument("--set", dest="overrides", action="append", default=[],
                   metavar="AXIS=VALUE", help="replace an axis, e.g. --set epochs=500 "
                   "--set seed=0,1,2 (repeatable)")


def _version() -> str:
    from importlib import metadata

    try:
        version = metadata.version("nnsweeps")
    except metadata.PackageNotFoundError:
        version = "unknown (not installed)"
    return f"sweeps (nnsweeps) {version}"


def _positive(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text!r}")
    return n


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = float("nan")
    if not seconds > 0 or seconds == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number of seconds > 0, got {text!r}")
    return seconds


def _jobs(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if n == 0:
        raise argparse.ArgumentTypeError("0 workers cannot run anything; use 1 or more "
                                         "(or -1 for all cores)")
    return n


def main(argv=None) -> int:
    """Entry point of the ``sweeps`` console script and of ``python -m sweeps``."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "run" and args.scheduler and args.backend not in (None, "dask"):
        parser.error(f"--scheduler needs the dask backend, not --backend {args.backend}")
    if args.command == "report" and args.every is not None and not args.watch:
        parser.error("--every needs --watch (it sets how often the report is rebuilt)")
    try:
        return args.func(args)
    except errors.CommandError as exc:
        print(f"sweeps {args.command}: error: {errors.one_line(exc)}", file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt:
        print(f"sweeps {args.command}: interrupted", file=sys.stderr)
        return errors.EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`sweeps list sine | head -1`): end quietly, as Unix tools
        # do; point stdout at /dev/null so the interpreter's final flush cannot fail too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + signal.SIGPIPE
    except Exception as exc:  # a damaged store, a full disk, a read-only path: one line
        # `run` and `list` choose their output directory with --out; the others read one.
        flag = "--out" if args.command in ("run", "list") else None
        where = getattr(args, "out", None) if args.command != "export" else None
        error = errors.as_command_error(exc, where or getattr(args, "sweep", None), flag)
        if error is None:
            raise
        print(f"sweeps {args.command}: error: {errors.one_line(error)}", file=sys.stderr)
        return error.exit_status


if __name__ == "__main__":
    sys.exit(main())
