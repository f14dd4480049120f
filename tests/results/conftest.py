"""Fixtures for the results tests: real sweeps (``results_testdata``), trained once a session."""
import matplotlib

matplotlib.use("Agg")  # no display on CI; must precede any pyplot import

import pytest
from results_testdata import (MOONS_FAILING, MOONS_SPEC, SINE_PENDING, load_results,
                              record_planned_run, run, sine_specs, spec_from_toml,
                              with_bad_seed)


@pytest.fixture(scope="session")
def sine_results(tmp_path_factory):
    """(df, meta) of a sine sweep: 15 architectures x 3 seeds, gd at lr 0.25.

    (3,) failed on every seed, (64,) diverged on every seed, and a later run planned
    5 more jobs and trained none of them (pending).
    """
    out = tmp_path_factory.mktemp("sine-sweep")
    spec, extended = sine_specs()
    summary = run(spec, out)
    assert (summary.ok, summary.diverged, summary.failed) == (39, 3, 3), summary
    record_planned_run(out, extended)
    df, meta = load_results(out)
    assert meta["counts"]["pending"] == SINE_PENDING
    return df, meta


@pytest.fixture(scope="session")
def moons_results(tmp_path_factory):
    """(df, meta) of a moons sweep: widths 3/6/9 x depth 1/2 x tanh/relu x 3 seeds.

    A second run added one job with a bad seed to (9, 9) relu: it failed alone.
    """
    out = tmp_path_factory.mktemp("moons-sweep")
    spec = spec_from_toml(MOONS_SPEC)
    first = run(spec, out)
    assert first.ok == 36, first
    hidden, activation = MOONS_FAILING
    second = run(with_bad_seed(spec, hidden, activation=activation), out)
    assert (second.cached, second.failed, second.ok) == (36, 1, 0), second
    return load_results(out)


@pytest.fixture(scope="session")
def sine_df(sine_results):
    return sine_results[0]


@pytest.fixture(scope="session")
def moons_df(moons_results):
    return moons_results[0]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt
    plt.close("all")
