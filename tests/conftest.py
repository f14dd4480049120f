"""The test suite's root: what every test folder shares.

pytest imports this file first (``rootdir`` mode "prepend"), and puts its folder,
``tests/``, at the front of ``sys.path``: so every test imports the shared modules here by
name, with no path of its own:

* ``reference`` (tests/reference/): the one independent reference MLP, plain numpy loops
  worked from the documented semantics, and a job's metrics recomputed from its weights;
* ``sweep_helpers``: tiny specs, a real ``sweeps run`` subprocess, polling its store, and
  the comparison of a stored job with the network trained alone.

The package folders ``tests/nncore``, ``tests/sweeps`` and ``tests/results`` have no
``__init__.py``, so they never shadow the packages they test.
"""
