"""The ``shuffle_seed`` axis: the mini-batch order's own seed.

References: nets trained alone through ``nncore.MLP(...).fit(..., shuffle_seed=7)`` on the
task's data (one net, not the stack the sweep trains), and the job keys of the presets
computed by the code before the axis existed (commit a107602).
"""
import hashlib

import numpy as np
import pytest

import nncore
import sweeps
from sweeps.keys import job_key
from sweeps.runner import run_sweep
from sweeps.spec import Spec, SpecError, load_spec
from sweeps.tasks import make_task

#: sha256 of the presets' job keys joined in order, before the axis (commit a107602).
PRESET_KEYS = {"blobs": (486, "c108d2ff84cc9a55"), "digits": (12, "30e3323cd94683a9"),
               "moons": (486, "371cdd2167dc094b"), "sine": (280, "5f9d58208e05334d")}

PARAMS = {"hidden": [[8, 6]], "activation": "sigmoid", "optimizer": "gd", "lr": 0.5,
          "epochs": 6, "batch_size": 16, "seed": [0, 1, 2]}


@pytest.mark.parametrize("name", sorted(PRESET_KEYS))
def test_the_presets_keep_their_job_keys(name):
    keys = [job_key(c) for c in load_spec(name)]
    digest = hashlib.sha256("".join(keys).encode()).hexdigest()[:16]
    assert (len(keys), digest) == PRESET_KEYS[name]
    follows = load_spec(name, overrides=["shuffle_seed=seed"])  # the default, written out
    assert [job_key(c) for c in follows] == keys


def test_a_shared_order_gives_each_job_the_net_trained_alone(tmp_path):
    spec = Spec.from_dict({"task": "moons", "params": {**PARAMS, "shuffle_seed": 7}})
    assert all(c["shuffle_seed"] == 7 for c in spec)
    run_sweep(spec, tmp_path / "out", n_jobs=1)
    df = sweeps.load(tmp_path / "out", weights=True)
    assert len(df) == 3 and set(df["status"]) == {"ok"} and set(df["shuffle_seed"]) == {7}
    assert df["started"].nunique() == 1  # the three seeds trained as one stack
    cfg = spec[0]
    ds = make_task("moons", **cfg["task_params"])
    layers = [ds.n_in, 8, 6, ds.output_units(cfg["output"])]
    y_train = nncore.class_targets(ds.y_train, layers[-1])
    for _, row in df.iterrows():
        net = nncore.MLP(layers, "sigmoid", cfg["output"], cfg["loss"], seed=int(row["seed"]))
        net.fit(ds.X_train, y_train, epochs=6, optimizer="gd", lr=0.5, batch_size=16,
                shuffle_seed=7)
        for ours, alone in zip(row["weights"] + row["biases"], net.weights + net.biases):
            np.testing.assert_allclose(ours, alone, rtol=1e-12, atol=1e-15)
        # not the order of the seed: the axis changed the training
        own = nncore.MLP(layers, "sigmoid", cfg["output"], cfg["loss"], seed=int(row["seed"]))
        own.fit(ds.X_train, y_train, epochs=6, optimizer="gd", lr=0.5, batch_size=16)
        assert not np.allclose(own.weights[0], net.weights[0])


def test_full_batch_ignores_the_axis_and_keeps_the_key():
    plain = Spec.from_dict({"task": "sine", "params": {**PARAMS, "batch_size": "full"}})
    given = Spec.from_dict({"task": "sine", "params": {**PARAMS, "batch_size": "full",
                                                       "shuffle_seed": [3, 7]}})
    assert list(given.keys()) == list(plain.keys())
    assert all("shuffle_seed" not in c for c in given)


def test_the_default_is_left_out_of_the_config_and_loads_as_none():
    spec = Spec.from_dict({"task": "sine", "params": {**PARAMS, "shuffle_seed": [0, 7]}})
    kept = [c.get("shuffle_seed", "left out") for c in spec]
    assert kept == [0, 0, 0, 7, 7, 7]  # 0 is a seed, not "off"
    assert all("shuffle_seed" not in c for c in Spec.from_dict({"task": "sine",
                                                               "params": PARAMS}))


@pytest.mark.parametrize("bad", ["-1", "1.5", "true", "off", "[1, -2]", "9223372036854775808"])
def test_a_bad_value_is_refused_in_one_line_naming_the_axis(bad):
    with pytest.raises(SpecError) as info:
        load_spec("digits", overrides=[f"shuffle_seed={bad}"])
    message = str(info.value)
    assert "\n" not in message
    assert "key 'shuffle_seed': bad shuffle_seed" in message
    assert 'allowed: an int >= 0' in message and '"seed"' in message
