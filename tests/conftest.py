"""The test suite's root: what every test folder shares.

pytest imports this file first (``rootdir`` mode "prepend"), and puts its folder,
``tests/``, at the front of ``sys.path``: so every test imports the shared modules here by
name, with no path of its own:

* ``reference`` (tests/reference/): the one independent reference MLP, plain numpy loops
  worked from the documented semantics, and a job's metrics recomputed from its weights;
* ``sweep_helpers``: tiny specs, a real ``sweeps run`` subprocess, polling its store, and
  the comparison of a stored job with the network trained alone.

The fixture ``examples`` (a copy of examples/ with its data made) is shared too.

The package folders ``tests/nncore``, ``tests/sweeps`` and ``tests/results`` have no
``__init__.py``, so they never shadow the packages they test.
"""

import runpy
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def examples(tmp_path_factory):
    """A copy of examples/ with its data written by make_data.py, as a user would."""
    folder = tmp_path_factory.mktemp("examples")
    for path in (ROOT / "examples").iterdir():
        if path.is_file():
            shutil.copy(path, folder)
    runpy.run_path(str(folder / "make_data.py"), run_name="not_main")["main"](folder / "data")
    return folder
