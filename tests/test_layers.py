"""The arrows between the packages run one way: nncore <- sweeps <- results <- the CLI.

Two independent checks: what a fresh interpreter has loaded after importing a package
(``sys.modules``), and every import statement in the source (``ast``), lazy ones inside
functions included, which the first check cannot see until the function runs.
"""
import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = ("nncore", "sweeps", "results")


def _loaded_after(statement):
    """Our modules in ``sys.modules`` of a fresh interpreter after ``statement``."""
    code = (f"import sys; {statement}; import json; print(json.dumps(sorted("
            f"m for m in sys.modules if m.split('.')[0] in {OURS!r})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    return json.loads(out.stdout)


def test_importing_nncore_imports_nothing_else_of_ours():
    loaded = _loaded_after("import nncore; nncore.MLPClassifier")
    assert loaded and all(m.split(".")[0] == "nncore" for m in loaded), loaded


def test_importing_all_of_sweeps_but_its_cli_never_imports_results():
    modules = [p.relative_to(ROOT).with_suffix("").as_posix().replace("/", ".")
               for p in (ROOT / "sweeps").rglob("*.py")
               if "cli" not in p.parts and p.name != "__main__.py"]
    modules = [m.removesuffix(".__init__") for m in modules]
    loaded = _loaded_after("; ".join(f"import {m}" for m in modules))
    assert set(modules) <= set(loaded)  # really imported, so the check means something
    assert not [m for m in loaded if m.startswith("results")], loaded


def test_the_command_line_imports_results_only_when_a_command_needs_it():
    assert not [m for m in _loaded_after("import sweeps.cli") if m.startswith("results")]


def _imports(path):
    """Every module named by an import statement of ``path``, relative ones resolved."""
    package = path.relative_to(ROOT).parent.as_posix().replace("/", ".")
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            name = ".".join(p for p in (base, node.module) if p)
            yield name
            # "from sweeps import cli" names the sub-module too
            yield from (f"{name}.{alias.name}" for alias in node.names)


def _source_files(package):
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package, allowed", [
    ("nncore", {"nncore"}),
    ("sweeps", {"nncore", "sweeps"}),
    ("results", {"nncore", "sweeps", "results"}),
])
def test_no_import_statement_reaches_up(package, allowed):
    bad = []
    for path in _source_files(package):
        in_cli = "cli" in path.relative_to(ROOT).parts
        for name in _imports(path):
            top = name.split(".")[0]
            if top in OURS and top not in allowed | ({"results"} if in_cli else set()):
                bad.append(f"{path.relative_to(ROOT)} imports {name}")
            if name.startswith("sweeps.cli") and not (in_cli or path.name == "__main__.py"):
                bad.append(f"{path.relative_to(ROOT)} imports the command line ({name})")
    assert not bad


def test_the_checks_see_imports_inside_functions():
    # The command line's results import sits inside a function: the AST walk must see it,
    # else the checks above would pass on lazily imported cycles.
    found = {n for p in _source_files("sweeps/cli") for n in _imports(p)}
    assert "results" in found


def test_the_core_network_never_reaches_into_its_sklearn_layer():
    # nncore/sklearn/ (scikit-learn's estimators) builds on the core network; the core's
    # modules import nothing of it. Only nncore/__init__.py loads it, on first use of
    # nncore.MLPClassifier / MLPRegressor, so training never imports it.
    core = [p for p in _source_files("nncore")
            if "sklearn" not in p.relative_to(ROOT).parts and p != ROOT / "nncore/__init__.py"]
    assert core
    bad = [f"{p.relative_to(ROOT)} imports {name}" for p in core for name in _imports(p)
           if name.startswith("nncore.sklearn")]
    assert not bad
    assert not [m for m in _loaded_after("import nncore") if m.startswith("nncore.sklearn")]
    assert "nncore.sklearn.estimators" in _loaded_after("import nncore; nncore.MLPRegressor")
