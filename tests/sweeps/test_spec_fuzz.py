"""Fuzzed specs, spec files and ``--set`` values, and the hostile values found by hand: each
ends in a valid Spec or in one SpecError line (exit 2 on the command line), within a time
limit, with nothing written.

The number of examples per property is ``SWEEPS_FUZZ_EXAMPLES`` (default 100: a few
hundred over the three properties); ``SWEEPS_FUZZ_RANDOM=1`` explores new examples on each
run instead of the fixed, reproducible ones.
"""
import contextlib
import math
import os
import signal
import string
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sweeps.cli import main
from sweeps.cli.errors import one_line
from sweeps.spec import Spec, SpecError, load, load_spec
from sweeps.spec.axes import CORE_AXES
from sweeps.spec.grid import MAX_JOBS
from sweeps.tasks import TASKS

EXAMPLES = int(os.environ.get("SWEEPS_FUZZ_EXAMPLES", "100"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                derandomize=not os.environ.get("SWEEPS_FUZZ_RANDOM"),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])
#: Seconds one example may take before it counts as a hang.
LIMIT = 60
#: A cap for fuzzed specs that leave max_jobs out: a valid 100,000-job grid is no fault,
#: only slow to expand (the default cap is tested by name below).
FUZZ_MAX_JOBS = 2000


class Hang(Exception):
    pass


@contextlib.contextmanager
def time_limit(seconds=LIMIT):
    """Raise Hang in this (main) thread if the block runs longer than ``seconds``."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def alarm(signum, frame):
        raise Hang(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def files_under(path):
    return sorted(str(p) for p in path.rglob("*"))


def spec_or_one_line(load):
    """Call ``load``; return the Spec, or the SpecError after checking it is one line."""
    with time_limit():
        try:
            spec = load()
        except SpecError as exc:
            assert len(str(exc).splitlines()) == 1 and str(exc).strip(), repr(str(exc))
            return exc
    assert isinstance(spec, Spec) and 1 <= len(spec) <= MAX_JOBS
    return spec


# -- strategies ---------------------------------------------------------------------------

PARAM_NAMES = sorted({p.name for t in TASKS.values() for p in t.params})
AXES = [*CORE_AXES, *PARAM_NAMES, "zip"]
INNER_KEYS = ["start", "stop", "step", "num", "log", "widths", "width", "depth", "weights",
              "biases"]
HOSTILE = [0, -1, 1, 2, 3, 10**9, 10**12, 2**63, 10**30, 1e9, 1e12, 1e308, -1e308, 5e-324,
           math.nan, math.inf, -math.inf, 0.5, 1e-3, True, False, "", "full", "off", "tanh",
           "adam", "softmax", "mse", "glorot", "sine", "moons", "blobs", "digits", "csv",
           "logic", "/dev/zero", "/", "xor", "\x00", "é"]
scalars = st.one_of(st.sampled_from(HOSTILE), st.integers(-3, 40),
                    st.floats(allow_nan=True, allow_infinity=True),
                    st.text(string.printable, max_size=8))
keys = st.one_of(st.sampled_from(AXES + INNER_KEYS), st.text(string.ascii_letters, max_size=6))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)), max_leaves=10)
tables = st.dictionaries(st.sampled_from(AXES), values, max_size=5)
spec_dicts = st.fixed_dictionaries(
    {"params": st.one_of(tables.map(lambda t: {"hidden": [[3]], **t}), tables, values)},
    optional={"name": st.one_of(st.text(max_size=10), values),
              "task": st.one_of(st.sampled_from(list(TASKS)), values),
              "grid": st.one_of(st.lists(st.one_of(tables, values), max_size=3), values),
              "max_jobs": st.one_of(st.integers(-2, FUZZ_MAX_JOBS),
                                    st.sampled_from([True, 1.5, "10", [3], math.nan])),
              "description": values,
              "extra": values})

#: Lines a mutated spec file may gain: hostile values written as TOML.
HOSTILE_LINES = ["num = 1e9", "depth = 1000000000", "n_samples = 1e12", "centers = 1e9",
                 "lr = nan", "lr = { start = 0, stop = inf }", ("seed = { start = 0, stop = "
                 "1e300, step = 1e-300 }"), "task = { a = 1 }", "task = [\"sine\", 3]",
                 "[[grid]]", "grid = 3", "grid = true", "[params]", ("hidden = [[100000, "
                 "100000]]"), "epochs = 1000000000000", "path = \"/dev/zero\"",
                 "zip = { lr = [0.1], seed = [0, 1] }", "batch_size = -1", "max_jobs = 0",
                 "n_test = 1000000000000", "hidden = { widths = [3, 4], depth = 100 }",
                 "name = \"../../etc\"", "init = { weights = [[[nan]]], biases = [[0.0]] }"]
BASE_TEXT = ('max_jobs = 2000\nname = "fuzzed"\ntask = "sine"\n[params]\nhidden = [[3], '
             '{ widths = [2, 4], depth = 2 }]\nactivation = ["tanh", "relu"]\nepochs = 5\n'
             "seed = { start = 0, stop = 2 }\n")


@st.composite
def spec_texts(draw):
    """The base spec with lines inserted, deleted or cut, and bytes replaced."""
    lines = BASE_TEXT.splitlines()
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines)))
        op = draw(st.sampled_from(["insert", "delete", "cut", "byte"]))
        if op == "insert":
            lines.insert(i, draw(st.one_of(st.sampled_from(HOSTILE_LINES),
                                           st.text(string.printable, max_size=30))))
        elif lines and op == "delete":
            del lines[i % len(lines)]
        elif lines:
            line = lines[i % len(lines)]
            at = draw(st.integers(0, len(line)))
            new = draw(st.characters()) if op == "byte" else ""
            lines[i % len(lines)] = line[:at] + new + line[at + (op == "byte"):]
    return "\n".join(lines) + "\n"


overrides = st.tuples(
    st.one_of(st.sampled_from(AXES), st.text(string.printable, max_size=6)),
    st.one_of(st.sampled_from([str(v) for v in HOSTILE] + [
        "1e9", "nan", "inf", "-inf", "[[1e9]]", "[[100000, 100000]]",
        "{start=0,stop=1e300,step=1e-300}", "{width=[3], depth=1000000000}", "1,2,,3", "[",
        "{", '"', "0x10", "1_000", "[[]]", "[]", "{}", "{start=1,stop=100000}"]),
        st.text(string.printable, max_size=20),
        st.lists(st.text(string.ascii_letters + string.digits + ".-e", max_size=5),
                 min_size=2, max_size=4).map(",".join)),
).map(lambda kv: f"{kv[0]}={kv[1]}")


# -- properties -------------------------------------------------------------------------


@FUZZ
@given(spec=spec_dicts)
def test_fuzzed_spec_dicts_give_a_spec_or_one_line(spec, tmp_path):
    if not isinstance(spec.get("max_jobs"), int) or spec["max_jobs"] > FUZZ_MAX_JOBS:
        spec.setdefault("max_jobs", FUZZ_MAX_JOBS)
    before = files_under(tmp_path)
    spec_or_one_line(lambda: Spec.from_dict(spec, base_dir=tmp_path))
    assert files_under(tmp_path) == before


@FUZZ
@given(text=spec_texts())
def test_mutated_spec_files_give_a_spec_or_one_line_and_write_nothing(text, tmp_path,
                                                                     capsys):
    path = tmp_path / "fuzzed.toml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    out = tmp_path / "out"
    result = spec_or_one_line(lambda: load_spec(str(path)))
    if isinstance(result, SpecError):  # the command line refuses it too, writing nothing
        capsys.readouterr()
        with time_limit():
            assert main(["run", str(path), "--out", str(out), "-q"]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert err == [f"sweeps run: error: {one_line(result)}"]
    assert not out.exists()


@FUZZ
@given(sets=st.lists(overrides, min_size=1, max_size=3))
def test_fuzzed_set_values_give_a_spec_or_one_line_and_write_nothing(sets, tmp_path, capsys):
    path = tmp_path / "base.toml"
    path.write_text(BASE_TEXT)
    out = tmp_path / "out"
    result = spec_or_one_line(lambda: load_spec(str(path), overrides=sets))
    argv = ["list", str(path), "--out", str(out)] + [f"--set={s}" for s in sets]
    capsys.readouterr()
    with time_limit():
        code = main(argv)
    err = capsys.readouterr().err.strip().splitlines()
    if isinstance(result, SpecError):
        assert code == 2 and err == [f"sweeps list: error: {one_line(result)}"]
    else:
        assert code == 0 and not err
    assert not out.exists()


# -- the hostile values named in the report, as spec files on the command line ----------

HIDDEN = "hidden = [[3]]\n"
NAMED = {
    "[[grid]] given a number": ('task = "sine"\ngrid = 3\n', "key 'grid'"),
    "[[grid]] given a boolean": ('task = "sine"\ngrid = true\n', "key 'grid'"),
    "[[grid]] holding a number": ('task = "sine"\ngrid = [3]\n', "[[grid]] #1"),
    "task given a table": ('task = { a = 1 }\n[params]\n' + HIDDEN, "unknown task"),
    "task given a list with a table": ('task = ["sine", { a = 1 }]\n[params]\n' + HIDDEN,
                                       "unknown task"),
    "task given an empty list (no jobs)": ('task = []\n[params]\n' + HIDDEN, "empty axis"),
    "init given an empty list (no jobs)": ('task = "sine"\n[params]\n' + HIDDEN + "init = []\n",
                                           "empty axis"),
    "a NaN range end": ('task = "sine"\n[params]\n' + HIDDEN
                        + "lr = { start = nan, stop = 1, num = 3 }\n", "non-finite end"),
    "an infinite range end": ('task = "sine"\n[params]\n' + HIDDEN
                              + "lr = { start = 0.1, stop = inf }\n", "non-finite end"),
    "a step that overflows the count": ('task = "sine"\n[params]\n' + HIDDEN + "seed = { "
                                        "start = 0, stop = 1e300, step = 1e-300 }\n",
                                        "more than 100000 values"),
    "num = 1e9": ('task = "sine"\n[params]\n' + HIDDEN
                  + "lr = { start = 0.001, stop = 1, num = 1e9 }\n", "num must be an int"),
    "num = 1000000000": ('task = "sine"\n[params]\n' + HIDDEN
                         + "lr = { start = 0.001, stop = 1, num = 1000000000 }\n",
                         "at most 100000"),
    "depth = 1e9": ('task = "sine"\n[params]\nhidden = { width = [3], depth = 1e9 }\n',
                    "depth 1000000000.0 is not an int"),
    "depth = 1000000000": (('task = "sine"\n[params]\nhidden = { width = [3], depth = '
                           "1000000000 }\n"), "depth 1000000000 is not an int in 1..100"),
    "n_samples = 1e12": ('task = "sine"\n[params]\n' + HIDDEN + "n_samples = 1e12\n",
                         "n_samples"),
    "n_test = 1e12": ('task = "moons"\n[params]\n' + HIDDEN + "n_test = 1e12\n", "n_test"),
    "centers = 1e9": ('task = "blobs"\n[params]\n' + HIDDEN + "centers = 1e9\n",
                      r"2..1000"),
    "epochs = 1e12 as an int": ('task = "sine"\n[params]\n' + HIDDEN
                                + "epochs = 1000000000000\n", "at most 10,000,000"),
    "a seed beyond 64 bits": ('task = "sine"\n[params]\n' + HIDDEN + "seed = "
                              + str(2**64) + "\n", "key 'seed'"),
    "a network of 10 billion weights": (('task = "sine"\n[params]\nhidden = [[100000, '
                                        "100000]]\n"), "at most 50,000,000 weights"),
    "noise = 1e308": ('task = "sine"\n[params]\n' + HIDDEN + "noise = 1e308\n",
                      "non-finite values"),
    "a 1000-character name": (f'name = "{"x" * 1000}"\ntask = "sine"\n[params]\n' + HIDDEN,
                              "bad sweep name"),
    "a CSV path to /dev/zero": ('task = "csv"\n[params]\n' + HIDDEN
                                + 'path = "/dev/zero"\ntarget = "y"\n', "not a regular file"),
    "a CSV path to a directory": ('task = "csv"\n[params]\n' + HIDDEN
                                  + 'path = "/"\ntarget = "y"\n', "is a directory"),
    "five sub-grids of 999,990 jobs each": (
        'task = "sine"\n' + "[[grid]]\nhidden = { width = { start = 1, stop = 99999 }, "
        "depth = [1] }\nseed = { start = 0, stop = 9 }\n" * 5,
        "plans 4,999,950 jobs over 5 sub-grid(s), more than max_jobs = 1,000,000"),
    "a thousand sub-grids of 100,000 seeds": (
        'task = "sine"\n[params]\n' + HIDDEN + "[[grid]]\nseed = { start = 0, stop = 99999 "
        "}\n" * 1000, "at most 1,000,000 axis values over all sub-grids"),
}


@pytest.mark.parametrize("case", NAMED)
def test_a_named_hostile_spec_is_one_line_and_writes_nothing(case, tmp_path, capsys):
    text, fragment = NAMED[case]
    path = tmp_path / "hostile.toml"
    path.write_text(text)
    out = tmp_path / "out"
    with time_limit():
        code = main(["run", str(path), "--out", str(out), "-q"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1, err
    assert str(path) in err[0] and fragment in err[0], err[0]
    assert not out.exists()


NAMED_SETS = {
    "epochs=1e12": "epochs",
    "hidden=[[1000000000]]": "width 1000000000",
    "lr=nan": "bad lr nan",
    "seed={start=0,stop=1e300,step=1e-300}": "more than 100000 values",
    "hidden={width=[3],depth=1000000000}": "depth 1000000000",
    "n_samples=1000000000000": "n_samples",
    "=5": "bad override",
    "zip=1": "zip blocks cannot be overridden",
    "task={a=1}": "unknown task",
}


@pytest.mark.parametrize("override", NAMED_SETS)
def test_a_named_hostile_set_value_is_one_line(override, tmp_path, capsys):
    path = tmp_path / "base.toml"
    path.write_text(BASE_TEXT)
    with time_limit():
        code = main(["run", str(path), "--out", str(tmp_path / "out"), f"--set={override}"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and NAMED_SETS[override] in err[0], err
    assert not (tmp_path / "out").exists()


def test_a_fifo_as_csv_path_is_refused_without_reading_it(tmp_path, capsys):
    fifo = tmp_path / "data.csv"
    os.mkfifo(fifo)  # opening it to read would wait for a writer for ever
    path = tmp_path / "fifo.toml"
    path.write_text(f'task = "csv"\n[params]\n{HIDDEN}path = "{fifo}"\ntarget = "y"\n')
    with time_limit():
        assert main(["list", str(path)]) == 2
    assert "not a regular file" in capsys.readouterr().err


def test_a_spec_path_that_is_no_regular_file_or_too_large_is_refused_unread(tmp_path, capsys,
                                                                            monkeypatch):
    fifo = tmp_path / "spec.toml"
    os.mkfifo(fifo)
    for path in ("/dev/zero", str(fifo)):
        with time_limit():
            assert main(["list", path]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert err == [(f"sweeps list: error: {path}: cannot read spec file: not a regular "
                       "file; allowed: a readable TOML file, or a built-in preset: blobs, "
                       "digits, moons, sine")]
    big = tmp_path / "big.toml"
    big.write_text(BASE_TEXT)
    monkeypatch.setattr(load, "MAX_SPEC_BYTES", len(BASE_TEXT) - 1)
    with pytest.raises(SpecError, match=f"larger than {len(BASE_TEXT) - 1:,} bytes"):
        load_spec(str(big))
