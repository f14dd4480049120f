"""A store that is damaged, foreign, misplaced, read-only, on a full disk or still being
created: every command ends in one line (exit 2) naming the file and what to do, readers
see "no results yet" before the store exists, and the file's bytes never change."""
import contextlib
import hashlib
import os
import shutil
import sqlite3
import string
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sweep_helpers import write_spec

import sweeps
from sweeps.cli import main
from sweeps.runner import run_sweep
from sweeps.store import DB_NAME, Store, StoreError

TINY = 'task = "sine"\n[params]\nhidden = [[3], [4]]\nepochs = 5\nseed = [0, 1]\n'


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A finished sweep (4 jobs) to copy and damage, and its spec."""
    root = tmp_path_factory.mktemp("base")
    spec = write_spec(root, "tiny", TINY)
    run_sweep(sweeps.load_spec(spec), root / "out", n_jobs=1, backend="threading")
    return root / "out", spec


def _copy(base_out: Path, where: Path) -> Path:
    shutil.copytree(base_out, where)
    for extra in where.glob(f"{DB_NAME}-*"):  # a closed store has none; be sure
        extra.unlink()
    return where


def _fingerprint(path: Path) -> str:
    """Hash of a file's bytes, or of every file under a directory (names and bytes)."""
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for f in files:
        digest.update(str(f.relative_to(path.parent)).encode() + f.read_bytes())
    return digest.hexdigest()


def _truncate(db: Path):
    db.write_bytes(db.read_bytes()[: db.stat().st_size // 2])


def _random_middle(db: Path):
    data = bytearray(db.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 4096] = np.random.default_rng(0).bytes(4096)
    db.write_bytes(bytes(data))


def _schema_page(db: Path):
    # Page 1 after the 100-byte file header holds sqlite_master: the schema itself.
    data = bytearray(db.read_bytes())
    data[100:4096] = np.random.default_rng(1).bytes(4096 - 100)
    db.write_bytes(bytes(data))


def _foreign(db: Path):
    db.unlink()
    with contextlib.closing(sqlite3.connect(db)) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER, amount REAL)")
        conn.execute("INSERT INTO invoices VALUES (1, 9.5)")
        conn.commit()


def _directory(db: Path):
    db.unlink()
    db.mkdir()
    (db / "notes.txt").write_text("someone's files\n")


#: Each fault, and the word the one line must hold about what to do.
CORRUPTIONS = {"truncated to half": (_truncate, ".recover"),
               "4 KiB of random bytes in the middle": (_random_middle, ".recover"),
               "schema page overwritten": (_schema_page, ".recover"),
               "a foreign SQLite file": (_foreign, "Move it aside"),
               "a directory in place of the file": (_directory, "Move the directory aside")}

COMMANDS = {
    "run": lambda out, spec, good: ["run", str(spec), "--out", str(out), "-j", "1", "-q"],
    "list": lambda out, spec, good: ["list", str(spec), "--out", str(out)],
    "status": lambda out, spec, good: ["status", str(out)],
    "report": lambda out, spec, good: ["report", str(out)],
    "best": lambda out, spec, good: ["best", str(out)],
    "export": lambda out, spec, good: ["export", str(out)],
    "compare": lambda out, spec, good: ["compare", str(good), str(out)],
}


def _one_line(argv, capsys):
    """Run the command line in-process; return (exit status, the lines of stderr)."""
    code = main(argv)
    return code, capsys.readouterr().err.strip().splitlines()


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("fault", CORRUPTIONS)
def test_every_command_on_a_damaged_store_says_one_line_and_leaves_it(base, tmp_path, fault,
                                                                       command, capsys):
    good, spec = base
    out = _copy(good, tmp_path / "out")
    db = out / DB_NAME
    damage, what_to_do = CORRUPTIONS[fault]
    damage(db)
    before = _fingerprint(db)
    code, err = _one_line(COMMANDS[command](out, spec, good), capsys)
    assert code == 2, err
    assert len(err) == 1, err
    assert str(db) in err[0] and what_to_do in err[0], err[0]
    assert _fingerprint(db) == before
    assert not (out / "report").exists() and not (out / "results.csv").exists()


@pytest.mark.parametrize("fault", CORRUPTIONS)
def test_load_raises_the_store_error_with_the_same_text(base, tmp_path, fault, capsys):
    good, _ = base
    out = _copy(good, tmp_path / "out")
    db = out / DB_NAME
    CORRUPTIONS[fault][0](db)
    before = _fingerprint(db)
    for read in (sweeps.load, sweeps.load_meta):
        with pytest.raises(StoreError) as exc:
            read(out)
        assert _fingerprint(db) == before
    _, err = _one_line(["status", str(out)], capsys)
    assert err == [f"sweeps status: error: {exc.value}"]
    assert "\n" not in str(exc.value)


def test_readers_during_store_creation_see_no_results_yet_never_an_error(tmp_path, capsys):
    # A writer process creates 60 stores one after another; meanwhile this process reads
    # the newest of them in a tight loop, through sweeps.load and `sweeps status`.
    root = tmp_path / "stores"
    root.mkdir()
    code = ("import sys; from pathlib import Path; from sweeps.store import Store\n"
            "root = Path(sys.argv[1])\n"
            "for i in range(60):\n"
            "    (root / f'{i:03d}').mkdir()\n"
            "    Store.open(root / f'{i:03d}', create=True).close()\n")
    writer = subprocess.Popen([sys.executable, "-c", code, str(root)])
    outcomes = {"no results yet": 0, "read": 0}
    try:
        while writer.poll() is None or not outcomes["read"]:
            newest = max(root.iterdir(), default=None)
            if newest is None:
                continue
            try:
                assert sweeps.load(newest).empty
                outcomes["read"] += 1
            except FileNotFoundError as exc:
                assert "no results yet" in str(exc), exc
                outcomes["no results yet"] += 1
            status, err = _one_line(["status", str(newest)], capsys)
            if status != 0:
                assert status == 2 and len(err) == 1 and "no results yet" in err[0], err
    finally:
        writer.wait(timeout=60)
    assert writer.returncode == 0
    assert outcomes["read"] and outcomes["no results yet"], outcomes  # the loops overlapped
    assert not list(root.glob("*/.*creating*"))  # no temporary file left behind


# -- read-only places -----------------------------------------------------------------


@contextlib.contextmanager
def read_only(path: Path):
    """Make ``path`` read-only for this process; as root, chmod is no barrier: make the
    file or directory immutable instead (``chattr +i``), or skip."""
    if os.geteuid() != 0:
        mode = path.stat().st_mode
        path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            yield
        finally:
            path.chmod(mode)
        return
    if shutil.which("chattr") is None:
        pytest.skip("running as root without chattr: no way to make a path read-only")
    done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True,
                          check=False)
    if done.returncode:
        pytest.skip(f"running as root and chattr +i failed here: {done.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def test_a_read_only_store_is_read_and_never_written(base, tmp_path, capsys):
    good, spec = base
    out = _copy(good, tmp_path / "out")
    db = out / DB_NAME
    before = _fingerprint(db)
    with read_only(db):
        code, err = _one_line(["run", str(spec), "--out", str(out), "-q"], capsys)
        assert code == 2 and len(err) == 1, err
        assert f"{db} is read-only" in err[0] and "write permission" in err[0], err[0]
        assert len(sweeps.load(out)) == 4
        assert main(["status", str(out)]) == 0
        assert main(["export", str(out), "--to", str(tmp_path / "r.csv")]) == 0
    assert _fingerprint(db) == before


def test_a_read_only_output_directory_is_one_line_per_command(base, tmp_path, capsys):
    good, spec = base
    out = _copy(good, tmp_path / "out")
    (out / ".lock").unlink()
    empty = tmp_path / "empty"
    empty.mkdir()
    before = _fingerprint(out)
    with read_only(out), read_only(empty):
        for argv, path in ((["run", str(spec), "--out", str(out), "-q"], out / ".lock"),
                           (["run", str(spec), "--out", str(empty), "-q"], empty / ".lock"),
                           (["report", str(out)], out / "report"),
                           (["export", str(out)], out / "results.csv")):
            code, err = _one_line(argv, capsys)
            assert code == 2 and len(err) == 1, (argv, err)
            assert str(path) in err[0] and "permi" in err[0], err[0]
        assert len(sweeps.load(out)) == 4  # reading needs no write permission
    assert _fingerprint(out) == before and not list(empty.iterdir())


# -- a full disk ------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path):
    """A 640 KiB tmpfs mounted for the test (root only), unmounted after."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs to fill needs root")
    mnt = tmp_path / "disk"
    mnt.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=640k", "tmpfs", str(mnt)],
                          capture_output=True, text=True, check=False)
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=True)


def _cli(*argv):
    return subprocess.run([sys.executable, "-m", "sweeps", *argv], capture_output=True,
                          text=True, timeout=300, check=False)


def test_a_full_disk_ends_in_one_line_keeps_every_result_and_resumes(small_disk, tmp_path):
    spec = write_spec(tmp_path, "fill", 'task = "sine"\n[params]\nhidden = [[8], [16], [8, 8]]'
                                        '\nepochs = 20\nseed = { start = 0, stop = 59 }\n')
    out = small_disk / "out"
    run = _cli("run", str(spec), "--out", str(out), "-j", "2", "-q")
    err = run.stderr.strip().splitlines()
    assert run.returncode == 2 and len(err) == 1, run.stderr
    assert "no space left" in err[0] and str(out / DB_NAME) in err[0], err[0]
    kept = sweeps.load(out, curves=False)  # opens, passes quick_check, decodes every row
    assert 0 < len(kept) < 180 and set(kept["status"]) == {"ok"}
    assert sweeps.load_meta(out)["counts"]["pending"] == 180 - len(kept)

    for argv in (["report", str(out)], ["run", str(spec), "--out", str(small_disk / "new")]):
        done = _cli(*argv)
        err = done.stderr.strip().splitlines()
        assert done.returncode == 2 and len(err) == 1 and "no space left" in err[0], err
    assert list((small_disk / "new").iterdir()) == []  # no .lock left by the refused run

    subprocess.run(["mount", "-o", "remount,size=16m", str(small_disk)], check=True)
    resumed = _cli("run", str(spec), "--out", str(out), "-j", "2", "-q")
    assert resumed.returncode == 0, resumed.stderr
    assert f"{180 - len(kept)} ok, {len(kept)} cached" in resumed.stdout
    done = sweeps.load(out, curves=False).set_index("key")
    assert len(done) == 180 and set(done["status"]) == {"ok"}
    # the rows kept through the fault are the very rows stored before it
    assert (done.loc[kept["key"], "finished"].to_numpy() == kept["finished"].to_numpy()).all()


def test_a_store_refused_for_its_schema_version_is_one_typed_error(base, tmp_path):
    out = _copy(base[0], tmp_path / "out")
    with contextlib.closing(sqlite3.connect(out / DB_NAME)) as conn:
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
        conn.commit()
    with pytest.raises(StoreError, match="schema version '99'"):
        Store.open(out, create=True)


def test_a_fifo_in_place_of_the_store_is_refused_without_opening_it(tmp_path, capsys):
    os.mkfifo(tmp_path / DB_NAME)  # opening it to read the header would block forever
    for argv in (["status", str(tmp_path)], ["export", str(tmp_path)]):
        code, err = _one_line(argv, capsys)
        assert code == 2 and len(err) == 1 and "not a regular file" in err[0], err


def test_an_output_path_that_is_a_file_is_one_line(base, tmp_path, capsys):
    _, spec = base
    afile = tmp_path / "results.txt"
    afile.write_text("not a directory\n")
    for argv in (["run", str(spec), "--out", str(afile), "-q"], ["status", str(afile)],
                 ["run", str(spec), "--out", str(afile / "sub"), "-q"]):
        code, err = _one_line(argv, capsys)
        assert code == 2 and len(err) == 1 and "is not a directory" in err[0], err
    assert afile.read_text() == "not a directory\n"


def test_bad_compare_values_are_one_line(base, capsys):
    good, _ = base
    code, err = _one_line(["compare", str(good), "--by", "seed", "--values", ","], capsys)
    assert code == 2 and err == [("sweeps compare: error: bad --values ','; allowed: two "
                                 "values separated by a comma, e.g. --values tanh,relu")]


READER_WORDS = ["--by", "--top", "--on", "--values", "--format", "--to", "--arrays", "--out",
                "-1", "0", "nan", "val_mse", "test_mse", "seed", "hidden", "activation",
                "csv", "json", "", ",", "=", "1e9", "/dev/null", "out.csv"]


@settings(max_examples=int(os.environ.get("SWEEPS_FUZZ_EXAMPLES", "100")), deadline=None,
          database=None, derandomize=not os.environ.get("SWEEPS_FUZZ_RANDOM"),
          suppress_health_check=list(HealthCheck))
@given(command=st.sampled_from(["status", "best", "export", "compare"]),
       rest=st.lists(st.one_of(st.sampled_from(READER_WORDS),
                               st.text(string.printable, max_size=8)), max_size=5))
def test_fuzzed_reader_arguments_end_in_an_answer_or_one_line(base, tmp_path, command, rest,
                                                              capsys):
    good, _ = base
    before = _fingerprint(good / DB_NAME)
    cwd = os.getcwd()
    os.chdir(tmp_path)  # whatever --to or --out names is written here
    try:
        code = main([command, str(good), *rest])
    except SystemExit as exc:  # argparse's usage error: its own two lines, exit 2
        code = exc.code
    finally:
        os.chdir(cwd)
    err = capsys.readouterr().err.strip().splitlines()
    assert code in (0, 1, 2), (code, err)
    if code == 2 and not (err and err[0].startswith("usage:")):
        assert len(err) == 1, err
    assert _fingerprint(good / DB_NAME) == before
