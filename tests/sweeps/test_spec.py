"""Grid specs: preset sizes, zip, sub-grids, overrides, ranges, errors, job keys.

Expected grids are written out with plain loops here, independently of the spec code.
"""

import hashlib
import itertools
import json
import tomllib

import numpy as np
import pandas as pd
import pytest
from sweep_helpers import seed_groups

from sweeps.spec.axes import expand_range, parse_override
from sweeps.keys import RESULTS_VERSION, canonical_json, config_id, job_key
from sweeps.spec import Spec, SpecError, list_presets, load_spec

CONFIG_KEYS = {"task", "task_params", "hidden", "activation", "output", "loss", "optimizer",
               "lr", "epochs", "batch_size", "l2", "init", "leaky_slope", "patience",
               "min_delta", "record_weights", "seed"}


def _write(tmp_path, text, name="bad.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def _admissions(path, n=40):
    rng = np.random.default_rng(0)
    pd.DataFrame({"admit": rng.integers(0, 2, n), "gre": rng.integers(200, 801, n),
                  "gpa": rng.uniform(2, 4, n), "rank": np.resize([1, 2, 3, 4], n)}
                 ).to_csv(path, index=False)


# --- presets ------------------------------------------------------------------------------

def test_presets_are_listed():
    assert list_presets() == ["blobs", "digits", "moons", "sine"]


def test_sine_preset_has_56_architectures_and_280_jobs():
    spec = load_spec("sine")
    two = [[i, j] for i in range(5, 26, 5) for j in range(5, 26, 5)]
    three = [[i, j, k] for i in range(5, 16, 5) for j in range(5, 16, 5) for k in range(5, 16, 5)]
    expected = two + three + [[3], [5], [10], [15]]
    assert len(two) + len(three) == 52
    assert len(spec) == 280
    groups = seed_groups(spec)
    assert [g[0]["hidden"] for g in groups] == expected  # documented order: as written
    assert all([c["seed"] for c in g] == [0, 1, 2, 3, 4] for g in groups)
    for c in spec:
        assert (c["task"], c["activation"], c["optimizer"], c["lr"], c["epochs"]) == (
            "sine", "tanh", "adam", 0.01, 2000)
        assert (c["output"], c["loss"], c["batch_size"], c["l2"]) == ("identity", "mse",
                                                                       None, 0.0)


@pytest.mark.parametrize("name", ["moons", "blobs"])
def test_moons_and_blobs_presets_have_162_configs(name):
    spec = load_spec(name)
    expected = {(json.dumps([w] * d), a) for w in range(3, 21) for d in (1, 2, 3)
                for a in ("tanh", "sigmoid", "relu")}
    assert len(expected) == 18 * 3 * 3 == 162
    groups = seed_groups(spec)
    assert len(groups) == 162
    assert {(json.dumps(g[0]["hidden"]), g[0]["activation"]) for g in groups} == expected
    assert len(spec) == 162 * len(groups[0])
    assert {c["task"] for c in spec} == {name}
    assert {(c["output"], c["loss"]) for c in spec} == {("softmax", "cross_entropy")}


def test_digits_preset_has_both_losses_with_their_outputs():
    spec = load_spec("digits")
    assert {(c["loss"], c["output"]) for c in spec} == {("mse", "sigmoid"),
                                                       ("cross_entropy", "softmax")}
    assert [128, 128] in [c["hidden"] for c in spec]
    assert {c["batch_size"] for c in spec} == {32}
    assert {c["activation"] for c in spec} == {"sigmoid"}


@pytest.mark.parametrize("name", ["sine", "moons", "blobs", "digits"])
def test_configs_have_exactly_the_canonical_keys(name):
    spec = load_spec(name)
    for c in spec:
        assert set(c) == CONFIG_KEYS
        assert json.loads(json.dumps(c)) == c  # JSON-serialisable, nothing lost
        assert all(isinstance(w, int) for w in c["hidden"])
        assert isinstance(c["lr"], float) and isinstance(c["l2"], float)
        assert isinstance(c["epochs"], int) and isinstance(c["seed"], int)
    assert spec[0]["task_params"]["data_seed"] == 0  # every default filled in
    # keys by the documented definition (hashlib and json here; the canonical form itself
    # is checked against hand-written text in test_job_key_of_a_config_written_out_by_hand)
    assert spec.keys() == [_reference_key(c, RESULTS_VERSION) for c in spec]
    # every job is a different config, and so has a different key
    assert len({json.dumps(c, sort_keys=True) for c in spec}) == len(spec)
    assert len(set(spec.keys())) == len(spec)


def test_spec_configs_are_copies():
    spec = load_spec("sine")
    c = spec[0]
    c["hidden"].append(99)
    c["task_params"]["noise"] = 5.0
    assert spec[0]["hidden"] == [5, 5] and spec[0]["task_params"]["noise"] == 0.1
    assert spec[-1] == list(spec)[-1] and len(spec[:3]) == 3


# --- grid semantics -----------------------------------------------------------------------

def test_zip_pairs_axes_then_crosses_with_the_rest():
    spec = Spec.from_dict({"task": "sine", "params": {
        "hidden": [[5], [10]], "seed": [0, 1],
        "zip": {"optimizer": ["gd", "adam"], "lr": [0.5, 0.01]}}})
    got = [(c["hidden"][0], c["optimizer"], c["lr"], c["seed"]) for c in spec]
    expected = [(h, o, lr, s) for h in (5, 10) for o, lr in (("gd", 0.5), ("adam", 0.01))
                for s in (0, 1)]
    assert got == expected


def test_several_zip_blocks_and_override_of_a_zipped_axis():
    d = {"task": "sine", "params": {"hidden": [5], "zip": [
        {"optimizer": ["gd", "adam"], "lr": [0.5, 0.01]},
        {"epochs": [100, 200], "l2": [0.0, 0.1]}]}}
    assert len(Spec.from_dict(d)) == 4
    # Overriding lr takes it out of its zip block; optimizer stays an axis of its own.
    spec = Spec.from_dict(d, overrides=["lr=0.1,0.2"])
    assert sorted({(c["optimizer"], c["lr"]) for c in spec}) == [
        ("adam", 0.1), ("adam", 0.2), ("gd", 0.1), ("gd", 0.2)]
    assert len(spec) == 8


def test_sub_grids_concatenate_and_replace_shared_axes():
    spec = Spec.from_dict({"task": "sine", "params": {"lr": 0.05, "seed": [0, 1]}, "grid": [
        {"hidden": {"widths": [5, 10], "depth": 2}},
        {"hidden": [[3]], "lr": [0.1, 0.2]},
    ]})
    got = [(c["hidden"], c["lr"], c["seed"]) for c in spec]
    first = [([a, b], 0.05, s) for a, b in itertools.product([5, 10], repeat=2) for s in (0, 1)]
    second = [([3], lr, s) for lr in (0.1, 0.2) for s in (0, 1)]
    assert got == first + second


def test_duplicate_jobs_across_sub_grids_appear_once_and_groups_gather_seeds():
    spec = Spec.from_dict({"task": "sine", "params": {"hidden": [5]}, "grid": [
        {"seed": [0, 1]}, {"seed": [1, 2]}, {"hidden": [7]}]})
    assert [(c["hidden"], c["seed"]) for c in spec] == [([5], 0), ([5], 1), ([5], 2), ([7], 0)]
    assert [[c["seed"] for c in g] for g in seed_groups(spec)] == [[0, 1, 2], [0]]


def test_hidden_generators_and_forms():
    spec = Spec.from_dict({"task": "sine", "params": {"hidden": [
        {"width": {"start": 3, "stop": 4}, "depth": [1, 2]}, [], [8, 8],
        {"widths": [1, 2], "depth": 2}]}})
    assert [c["hidden"] for c in spec] == [[3], [4], [3, 3], [4, 4], [], [8, 8],
                                           [1, 1], [1, 2], [2, 1], [2, 2]]
    one = Spec.from_dict({"task": "sine", "params": {"hidden": [10, 10]}})
    assert [c["hidden"] for c in one] == [[10, 10]]  # a list of ints is one architecture


def test_ranges_include_stop():
    assert expand_range({"start": 5, "stop": 15, "step": 5}) == [5, 10, 15]
    assert expand_range({"start": 3, "stop": 20}) == list(range(3, 21))
    assert expand_range({"start": 5, "stop": 14, "step": 5}) == [5, 10]
    assert expand_range({"start": 0.1, "stop": 0.3, "step": 0.1}) == [0.1, 0.2, 0.3]
    assert expand_range({"start": 0, "stop": 1, "num": 5}) == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert expand_range({"start": 1e-4, "stop": 1e-1, "num": 4, "log": True}) == [
        0.0001, 0.001, 0.01, 0.1]
    spec = Spec.from_dict({"task": "sine", "params": {
        "hidden": [5], "seed": {"start": 0, "stop": 9, "step": 3}}})
    assert [c["seed"] for c in spec] == [0, 3, 6, 9]


def test_output_and_loss_follow_the_documented_rule():
    def pairs(task, **axes):
        spec = Spec.from_dict({"task": task, "params": {"hidden": [5], **axes}})
        return [(c["output"], c["loss"]) for c in spec]

    assert pairs("sine") == [("identity", "mse")]
    assert pairs("moons") == [("softmax", "cross_entropy")]
    assert pairs("moons", loss="mse") == [("sigmoid", "mse")]
    assert pairs("moons", loss="binary_cross_entropy") == [("sigmoid", "binary_cross_entropy")]
    assert pairs("moons", output="sigmoid") == [("sigmoid", "mse")]
    assert pairs("sine", output="tanh") == [("tanh", "mse")]
    assert pairs("digits", loss=["mse", "cross_entropy"]) == [("sigmoid", "mse"),
                                                               ("softmax", "cross_entropy")]


def test_defaults_aliases_and_batch_size_forms():
    spec = Spec.from_dict({"task": "moons", "params": {
        "hidden": [5], "activation": "logistic", "output": "logistic",
        "batch_size": ["full", 0, 16]}})
    c = spec[0]
    assert (c["optimizer"], c["lr"], c["epochs"], c["l2"], c["seed"]) == ("adam", 0.01, 1000,
                                                                          0.0, 0)
    assert c["activation"] == c["output"] == "sigmoid"  # alias: same job key as "sigmoid"
    assert c["loss"] == "mse"  # the rule for a sigmoid output on a classification task
    assert [c["batch_size"] for c in spec] == [None, 16]  # "full" and 0 are the same job
    assert c["task_params"] == {"n_samples": 200, "noise": 0.2, "data_seed": 0, "n_test": 200,
                              "n_val": 200}


def test_task_as_an_axis_and_task_params_as_axes():
    spec = Spec.from_dict({"params": {"task": ["moons", "blobs"], "hidden": [5],
                                      "n_samples": [100, 200]}})
    assert [(c["task"], c["task_params"]["n_samples"]) for c in spec] == [
        ("moons", 100), ("moons", 200), ("blobs", 100), ("blobs", 200)]


# --- overrides ----------------------------------------------------------------------------

def test_overrides_replace_axes_everywhere():
    spec = load_spec("sine", overrides=["epochs=500", "seed=0,1,2"])
    assert len(spec) == 56 * 3
    assert {c["epochs"] for c in spec} == {500}
    assert [c["seed"] for c in seed_groups(spec)[0]] == [0, 1, 2]
    assert "# --set epochs=500" in spec.source
    spec = load_spec("sine", overrides=["hidden=[[5],[10,10]]", "noise=0.0,0.2"])
    assert sorted({(json.dumps(c["hidden"]), c["task_params"]["noise"]) for c in spec}) == [
        ("[10, 10]", 0.0), ("[10, 10]", 0.2), ("[5]", 0.0), ("[5]", 0.2)]
    assert [c["hidden"] for c in load_spec("sine", ["hidden=[5,5]"])] == [[5, 5]] * 5
    assert [c["seed"] for c in load_spec("sine", ["seed=1", "seed=2,3"])][:3] == [2, 3, 2]


def test_override_replaces_the_axis_in_every_sub_grid(tmp_path):
    path = _write(tmp_path, 'task = "sine"\n[params]\nhidden = [5]\n'
                  '[[grid]]\nepochs = 10\n[[grid]]\nepochs = [20, 30]\n', "two.toml")
    assert len(load_spec(path)) == 3
    spec = load_spec(path, overrides=["epochs=7"])
    assert [c["epochs"] for c in spec] == [7]  # both sub-grids now give the same job


def test_parse_override_values():
    assert parse_override("epochs=500") == ("epochs", 500)
    assert parse_override("lr=1e-3") == ("lr", 0.001)
    assert parse_override("seed=0,1,2") == ("seed", [0, 1, 2])
    assert parse_override("activation=tanh,relu") == ("activation", ["tanh", "relu"])
    assert parse_override("hidden=[[5],[10,10]]") == ("hidden", [[5], [10, 10]])
    assert parse_override("task=moons") == ("task", "moons")
    assert parse_override(" batch_size = full ") == ("batch_size", "full")


# --- errors -------------------------------------------------------------------------------

BASE = 'task = "sine"\n[params]\nhidden = [[5]]\n'

ERRORS = {
    "unknown key in grid": (BASE + "[[grid]]\nlr = 0.1\n[[grid]]\nlrr = 0.1\n",
                            ["[[grid]] #2", "'lrr'", "did you mean 'lr'", "activation, output",
                             "noise"]),
    "unknown top-level key": ("seeds = [1]\n" + BASE, ["'seeds'", "name, task, description"]),
    "unknown activation": (BASE + 'activation = "tanhh"\n',
                           ["[params]", "'activation'", "'tanhh'", "tanh, sigmoid", "relu"]),
    "unknown optimizer": (BASE + 'optimizer = ["adam", "sgd"]\n',
                          ["'optimizer'", "'sgd'", "gd, momentum, adagrad, adam"]),
    "unknown loss": (BASE + 'loss = "hinge"\n', ["'loss'", "mse, cross_entropy"]),
    "unknown output": (BASE + 'output = "linear"\n',
                       ["'output'", "'linear'", "identity, sigmoid", "softmax", "tanh"]),
    "unknown task": ('task = "mnist"\n[params]\nhidden = [5]\n',
                     ["'task'", "'mnist'", "sine, moons, blobs, digits, csv"]),
    "empty axis": (BASE + "seed = []\n", ["'seed'", "empty axis", "at least one value"]),
    "empty hidden": ('task = "sine"\n[params]\nhidden = []\n', ["'hidden'", "empty axis"]),
    "width < 1": (BASE + "[[grid]]\nhidden = [[5, 0]]\n",
                  ["[[grid]] #1", "'hidden'", "width 0", "ints in 1..100000"]),
    "non-int width": (BASE + "[[grid]]\nhidden = [[2.5]]\n", ["'hidden'", "2.5", "ints in 1..100000"]),
    "generator width": (BASE + "[[grid]]\nhidden = { widths = [0, 5], depth = 2 }\n",
                        ["'hidden'", "width 0", "ints in 1..100000"]),
    "zip lengths": (BASE + "[[grid]]\nzip = { optimizer = ['gd', 'adam'], lr = [1, 2, 3] }\n",
                    ["[[grid]] #1", "'zip'", "optimizer: 2, lr: 3", "equal length"]),
    "lr <= 0": (BASE + "lr = [0.1, -0.1]\n", ["'lr'", "-0.1", "a number > 0"]),
    "epochs <= 0": (BASE + "epochs = 0\n", ["'epochs'", "an int >= 1"]),
    "bad task param": (BASE + "noise = -1\n", ["'noise'", "a float >= 0"]),
    "param of another task": ('task = "blobs"\n[params]\nhidden = [5]\nnoise = 0.1\n',
                              ["'noise'", "n_samples, centers, cluster_std"]),
    "loss needs classification": (BASE + 'loss = "cross_entropy"\n',
                                  ["'loss'", "classification"]),
    "no hidden": ('task = "sine"\n', ["'hidden'", "hidden = [[10]"]),
    "unreadable csv": ('task = "csv"\n[params]\nhidden = [5]\npath = "nope.csv"\n'
                       'target = "admit"\n', ["'path'", "nope.csv", "readable CSV"]),
    "missing target": ('task = "csv"\n[params]\nhidden = [5]\npath = "adm.csv"\n'
                       'target = "admitted"\n',
                       ["'target'", "adm.csv", "'admitted'", "admit, gre, gpa, rank"]),
    "malformed TOML": ('task = "sine"\n[params]\nhidden = [5\nlr = 1\n',
                       ["malformed TOML", "line 4"]),
}


@pytest.mark.parametrize("case", list(ERRORS))
def test_bad_spec_fails_naming_file_key_and_allowed(tmp_path, case):
    text, fragments = ERRORS[case]
    _admissions(tmp_path / "adm.csv")
    path = _write(tmp_path, text)
    with pytest.raises(SpecError) as info:
        load_spec(str(path))
    message = str(info.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message, (fragment, message)


@pytest.mark.parametrize("override, fragments", [
    ("foo=1", ["override 'foo=1'", "'foo'", "unknown key", "epochs"]),
    ("epochs=0", ["override 'epochs=0'", "'epochs'", "an int >= 1"]),
    ("activation=tanh,swish", ["'activation'", "'swish'", "relu"]),
    ("epochs", ["bad override 'epochs'", "axis=value"]),
])
def test_bad_override(override, fragments):
    with pytest.raises(SpecError) as info:
        load_spec("sine", overrides=[override])
    message = str(info.value)
    assert "sine.toml" in message
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def test_unknown_preset_lists_presets():
    with pytest.raises(SpecError, match="unknown preset 'sinee'.*did you mean 'sine'.*"
                                        "blobs, digits, moons, sine"):
        load_spec("sinee")
    with pytest.raises(SpecError, match="missing.toml.*cannot read"):
        load_spec("missing.toml")


def test_csv_spec_paths_are_relative_to_the_spec_file(tmp_path, monkeypatch):
    (tmp_path / "data").mkdir()
    _admissions(tmp_path / "data" / "adm.csv")
    path = _write(tmp_path, 'task = "csv"\n[params]\npath = "data/adm.csv"\ntarget = "admit"\n'
                  'categorical = ["rank"]\nhidden = [[4], [8]]\n', "adm.toml")
    monkeypatch.chdir(tmp_path / "data")  # somewhere else: the spec file's folder still wins
    spec = load_spec(path)
    assert spec.name == "adm" and len(spec) == 2
    tp = spec[0]["task_params"]
    content_hash = hashlib.sha256((tmp_path / "data" / "adm.csv").read_bytes()).hexdigest()
    assert tp == {"path": str(tmp_path / "data" / "adm.csv"), "target": "admit",
                  "categorical": ["rank"], "test_size": 0.2, "val_size": 0.2, "data_seed": 0,
                  "header": True, "scale": "standard",
                  "file_sha256": content_hash[:16]}
    assert (spec[0]["output"], spec[0]["loss"]) == ("softmax", "cross_entropy")


# --- from_dict and source ------------------------------------------------------------------

def test_from_dict_source_is_toml_that_gives_the_same_jobs():
    d = {"name": "mine", "task": "moons", "params": {
        "hidden": [range(3, 5), (6, 6)], "lr": np.float64(0.02), "batch_size": None,
        "zip": {"optimizer": ["gd", "adam"], "epochs": [10, 20]}},
        "grid": [{"activation": ["tanh", "relu"]}, {"noise": 0.3}]}
    spec = Spec.from_dict(d)
    assert spec.name == "mine"
    # the documented order: task parameters, hidden, activation, then the zip group
    pairs = (("gd", 10), ("adam", 20))
    first = [(h, a, o, e, 0.2) for h in ([3, 4], [6, 6]) for a in ("tanh", "relu")
             for o, e in pairs]
    second = [(h, "tanh", o, e, 0.3) for h in ([3, 4], [6, 6]) for o, e in pairs]
    again = Spec.from_dict(tomllib.loads(spec.source))
    for jobs in (spec, again):
        assert [(c["hidden"], c["activation"], c["optimizer"], c["epochs"],
                 c["task_params"]["noise"]) for c in jobs] == first + second
        assert {(c["task"], c["lr"], c["batch_size"]) for c in jobs} == {("moons", 0.02, None)}
    assert list(again) == list(spec)


def test_spec_source_is_the_file_text(tmp_path):
    text = BASE + "seed = [0, 1]\n"
    spec = load_spec(_write(tmp_path, text, "mine.toml"))
    assert spec.source == text and spec.name == "mine"


# --- job keys -----------------------------------------------------------------------------

def _reference_key(config, version):
    text = json.dumps(config, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"nnsweeps-results-v{version}\n{text}".encode()).hexdigest()[:16]


def test_job_key_is_stable_and_sensitive():
    config = load_spec("sine")[0]
    key = job_key(config)
    assert key == _reference_key(config, RESULTS_VERSION)  # the documented format
    shuffled = dict(reversed(list(config.items())))
    shuffled["task_params"] = dict(reversed(list(config["task_params"].items())))
    assert job_key(shuffled) == key
    assert job_key({**config, "lr": np.float64(0.01)}) == key
    assert job_key({**config, "lr": float("1e-2")}) == key
    assert job_key({**config, "lr": 0.02}) != key
    assert job_key({**config, "hidden": [5, 10]}) != key
    assert job_key(config, version=RESULTS_VERSION + 1) != key
    assert job_key({**config, "epochs": 2000.0}) != key  # ints stay ints
    with pytest.raises(ValueError):
        job_key({**config, "lr": float("nan")})


def test_job_key_of_a_config_written_out_by_hand():
    # keys.py: the first 16 hex digits of the SHA-256 of "nnsweeps-results-v<version>\n"
    # followed by the canonical JSON: sorted keys, no whitespace, floats as repr, None null.
    spec = Spec.from_dict({"task": "sine", "params": {
        "hidden": [3], "epochs": 5, "lr": 1e-2, "l2": 0, "seed": [0, 7]}})
    text = ('{"activation":"tanh","batch_size":null,"epochs":5,"hidden":[3],"init":"normal",'
            '"l2":0.0,"leaky_slope":0.01,"loss":"mse","lr":0.01,"min_delta":0.0,'
            '"optimizer":"adam","output":"identity","patience":null,"record_weights":false,'
            '"seed":%d,"task":"sine",'
            '"task_params":{"data_seed":0,"n_samples":30,"n_test":1000,"n_val":30,'
            '"noise":0.1}}')
    no_seed = ('{"activation":"tanh","batch_size":null,"epochs":5,"hidden":[3],'
               '"init":"normal","l2":0.0,"leaky_slope":0.01,"loss":"mse","lr":0.01,'
               '"min_delta":0.0,"optimizer":"adam",'
               '"output":"identity","patience":null,"record_weights":false,"task":"sine",'
               '"task_params":{"data_seed":0,"n_samples":30,"n_test":1000,"n_val":30,'
               '"noise":0.1}}')

    def sha(body):
        payload = f"nnsweeps-results-v{RESULTS_VERSION}\n{body}".encode()
        return hashlib.sha256(payload).hexdigest()[:16]

    assert [canonical_json(c) for c in spec] == [text % 0, text % 7]
    assert spec.keys() == [job_key(c) for c in spec] == [sha(text % 0), sha(text % 7)]
    assert [config_id(c) for c in spec] == [sha(no_seed)] * 2
    assert [len(g) for g in seed_groups(spec)] == [2]  # one config, two seeds


def test_config_id_ignores_only_the_seed():
    a = load_spec("sine")[0]
    without_seed = {k: v for k, v in a.items() if k != "seed"}
    assert config_id(a) == _reference_key(without_seed, RESULTS_VERSION)
    assert config_id({**a, "seed": 3}) == config_id(a)
    assert config_id({**a, "lr": 0.5}) != config_id(a)
    assert config_id(a) != job_key(a)
