"""Grid specs: a TOML file (or a dict) becomes a numbered list of resolved job configs.

``load``    ``load_spec``, ``Spec``, ``list_presets``; ``presets/`` holds the built-in specs
``grid``    sub-grids, zip groups and overrides become resolved configs
``axes``    one axis value at a time: ranges, architecture generators, ``--set`` parsing
``render``  a spec dict as TOML text (``Spec.source`` of a spec built from a dict)

Format (read with the standard library's ``tomllib``)::

    name = "sine"            # optional; default: the file stem
    task = "sine"            # optional here; may also be an axis in [params] / [[grid]]
    description = "..."      # optional

    [params]                 # axes shared by every sub-grid
    activation = "tanh"      # a scalar is a one-value axis
    seed = [0, 1, 2]         # a list gives the axis values
    lr = { start = 1e-3, stop = 1e-1, num = 3, log = true }   # ranges: see below
    noise = 0.1              # task parameters are axes too

    [[grid]]                 # sub-grids: product of their axes over [params]
    hidden = { widths = [5, 10], depth = 2 }     # every combination: [5,5], [5,10], ...
    [[grid]]
    hidden = { width = { start = 3, stop = 5 }, depth = [1, 2] }   # uniform: [3], [4], ...
    [[grid]]
    hidden = [[3], [5, 5], { widths = [5], depth = 3 }]   # explicit lists, generators mixed
    zip = { optimizer = ["gd", "adam"], lr = [0.5, 0.01] }  # paired element-wise

Axes: ``hidden``, ``activation`` (``leaky_relu`` with ``leaky_slope``), ``output``,
``loss``, ``optimizer``, ``lr``, ``epochs``, ``batch_size`` (an int, or ``"full"``/0 for
full batch), ``l2``, ``init`` (``"normal"``, ``"glorot"``, or the arrays as a table ``{
weights = [...], biases = [...] }``, checked against each job's layers), ``patience`` (early
stopping: epochs without a lower validation loss, or ``"off"``/0, the default),
``min_delta``, ``record_weights`` (record each layer's weight statistics), ``dtype``
(``"float64"``, the default, or ``"float32"``: the type the network trains in; metrics are
float64 either way, and a float64 job's key is the one it had before the axis),
``shuffle_seed`` (the mini-batch order's own seed, an int >= 0; ``"seed"``, the default:
each job's order follows its seed, and its key is the one it had before the axis; ignored
and left out in full-batch jobs), ``seed``,
``task`` and the task's own parameters (``sweeps.tasks.TASKS``). Ranges ``{start, stop[,
step]}`` include ``stop``; ``{start, stop, num[, log]}`` are evenly (or geometrically)
spaced; both are allowed wherever a list of numbers is. ``hidden = [10, 10]`` is one
architecture, ``[[10], [10, 10]]`` two; ``[]`` inside the list means no hidden layer
(``hidden = [[]]``: the logistic unit ``[6, 1]`` of the admissions exercise). ``zip`` may
also be a list of tables (several independent pairings). Without ``[[grid]]``, ``[params]``
is the only grid. Defaults: activation tanh, optimizer adam, lr 0.01, epochs 1000, full
batch, l2 0, init normal, leaky_slope 0.01, no early stopping, no weight statistics, seed 0;
``output`` and ``loss`` come from the task, and naming one picks the other: cross_entropy ->
softmax, binary_cross_entropy -> sigmoid, mse -> identity for regression and sigmoid for
classification (the material's digits net). Relative CSV paths in a file are relative to
that file. A sub-grid's axes replace same-named ones from ``[params]`` and an override
(``"epochs=500"``, ``"seed=0,1,2"``, ``"hidden=[[5],[10,10]]"``) replaces its axis
everywhere; either takes the axis out of a zip group, whose other axes stay paired.

Job order (stable): sub-grids in file order; within one, the product of its axes in the
order task, task parameters (by name), hidden, activation, output, loss, optimizer, lr,
epochs, batch_size, l2, init, leaky_slope, patience, min_delta, record_weights, dtype,
shuffle_seed, seed,
the last varying fastest (a zip group sits at its first axis' place).
A job equal to an earlier one (same key) is dropped, so every job appears once.

Everything is validated here, before any job runs (CSV tasks are loaded): an error is a
``SpecError`` naming the file, the key (with its sub-grid, numbered from 1) and what is
allowed. Every value is bounded before anything is built from it: at most 100,000 values
per axis and 1,000,000 over all sub-grids, 1,000,000 jobs (``max_jobs = N`` at top level
raises the cap), depth 100, width 100,000, 50 million parameters per network, epochs,
batch_size and patience 10 million, sample counts 10 million, finite numbers; a CSV path
must be a regular file of at most 1 GiB (unpacked, for a .gz, .bz2, .xz or .zip), with
finite numbers and no binary content.
"""
from sweeps.spec.grid import SpecError
from sweeps.spec.load import ConfigJobs, Spec, list_presets, load_spec

__all__ = ["Spec", "SpecError", "ConfigJobs", "load_spec", "list_presets"]
