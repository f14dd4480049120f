"""The README's "Results in Python" block runs top to bottom after a `make demo`-like run.

The block is read from README.md itself, so an edit of the README is what is tested. The
demo's sweeps are run first as `make demo` runs them (the same commands and folders), with
few epochs and seeds so that the test stays short; the README's own `epochs=500` becomes a
few epochs too. Everything else runs as written, in the README's order, in a temp folder.
"""
import re
from pathlib import Path

import matplotlib
import pytest

import sweeps

matplotlib.use("Agg")
ROOT = Path(__file__).resolve().parents[1]
DEMO_EPOCHS, README_EPOCHS = 3, 4


def readme_python_block():
    """The code block under the heading "Results in Python"."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### Results in Python", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)


@pytest.fixture
def demo(tmp_path, monkeypatch):
    """A folder where the demo's sine, moons and moons-adagrad sweeps have run."""
    monkeypatch.chdir(tmp_path)
    small = [f"epochs={DEMO_EPOCHS}"]
    sweeps.run("sine", out="runs/sine", overrides=[*small, "seed=0,1"], jobs=2,
               progress=False)
    sweeps.run("moons", out="runs/moons", overrides=small, jobs=2, progress=False)
    sweeps.run("moons", out="runs/moons_adagrad", overrides=[*small, "optimizer=adagrad"],
               jobs=2, progress=False)
    return tmp_path


def test_the_readme_python_block_runs_after_the_demo(demo):
    code = readme_python_block()
    assert 'overrides=["epochs=500"]' in code  # what the substitution below stands for
    code = code.replace('overrides=["epochs=500"]', f'overrides=["epochs={README_EPOCHS}"]')
    namespace = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - the README's code

    # The run went into the demo's folder (as `sweeps run moons` does) ...
    store = sweeps.load("runs/moons", curves=False, weights=False)
    assert sorted(store["epochs"].unique()) == [DEMO_EPOCHS, README_EPOCHS]
    assert len(store) == 2 * 486
    # ... and returned the 486 jobs it planned, not the store's other 486.
    moons = sweeps.load_spec("moons", overrides=[f"epochs={README_EPOCHS}"])
    meta = sweeps.load_meta("runs/moons")
    assert (meta["planned"], meta["earlier"]) == (486, 486)
    assert (demo / "runs/sine/report/index.html").is_file()
    assert len(set(moons.keys())) == 486

    # Run again (all cached): the frame returned holds only this call's jobs.
    df = sweeps.run("moons", overrides=[f"epochs={README_EPOCHS}"], jobs=2, progress=False)
    assert len(df) == 486 and set(df["key"]) == set(moons.keys())

    # The boundary figure of the mixed folder has one row per (epochs, depth).
    import results

    fig = results.decision_boundaries(sweeps.load("runs/moons"), activation="tanh",
                                      resolution=20)
    labels = {ax.get_ylabel() for ax in fig.axes if ax.get_ylabel()}
    assert labels == {f"epochs {e}, depth {d}" for e in (DEMO_EPOCHS, README_EPOCHS)
                      for d in (1, 2, 3)}

    # The page counts against the latest run's plan and says where the rest is from.
    from results._html import _status_note

    note = _status_note(meta, store)
    assert "972 ok" in note and "latest run planned 486 jobs" in note
    assert "486 stored job(s) are from earlier runs" in note


def test_a_refused_mixed_frame_names_a_filter_that_works(tmp_path):
    """A frame mixing an axis a function cannot draw: the filter the message names, run as
    given, is accepted by the same check."""
    from results.frame import require_single

    sweeps.run("moons", out=tmp_path, overrides=["epochs=2,3", "seed=0", "hidden=[3]"],
               jobs=1, progress=False)
    df = sweeps.load(tmp_path, curves=False, weights=False)
    with pytest.raises(ValueError) as err:
        require_single(df, allowed=("depth",), what="a figure")
    suggestion = re.search(r"e\.g\. (.*), or facet", str(err.value)).group(1)
    kept = eval(suggestion, {"df": df})  # noqa: S307 - the text the user is told to run
    assert len(kept) and kept["epochs"].nunique() == kept["activation"].nunique() == 1
    require_single(kept, allowed=("depth",), what="a figure")
