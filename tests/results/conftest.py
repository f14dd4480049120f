"""Fixtures for the results tests; the data come from ``results_testdata``.

To switch to the real pipeline, replace the bodies of ``sine_results`` / ``moons_results`` by
``sweeps.run_sweep(spec, out_dir)`` and ``return sweeps.load(out_dir), sweeps.load_meta(out_dir)``
(the failed/diverged jobs then have to come from the spec, e.g. a huge ``lr``).
"""
import matplotlib

matplotlib.use("Agg")  # no display on CI; must precede any pyplot import

import pytest
from results_testdata import (MOONS_DIVERGED, MOONS_FAILED, MOONS_HIDDEN, MOONS_SPEC,
                              SINE_DIVERGED, SINE_FAILED, SINE_HIDDEN, SINE_SPEC, make_meta,
                              train_results)


@pytest.fixture(scope="session")
def sine_results():
    """(df, meta) of a small sine sweep: 14 architectures x 3 seeds, some failed/diverged."""
    df = train_results("sine", SINE_HIDDEN, epochs=300, lr=0.03, failed=SINE_FAILED,
                       diverged=SINE_DIVERGED)
    return df, make_meta(df, name="sine-test", spec_text=SINE_SPEC, pending=5)


@pytest.fixture(scope="session")
def moons_results():
    """(df, meta) of a small moons sweep: widths 3/6/9 x depth 1/2 x tanh/relu x 3 seeds."""
    df = train_results("moons", MOONS_HIDDEN, activations=("tanh", "relu"), epochs=200,
                       lr=0.03, failed=MOONS_FAILED, diverged=MOONS_DIVERGED)
    return df, make_meta(df, name="moons-test", spec_text=MOONS_SPEC)


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
