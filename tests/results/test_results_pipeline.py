"""End to end on a real (tiny) sweep: sweeps.run_sweep -> sweeps.load -> results."""
import re

import pytest

import sweeps
from results import build_report, load_results, summary_table, write_comparison

SPEC = """name = "tiny-{optimizer}"
task = "sine"

[params]
hidden = [[3], [4, 4], [4, 4, 4]]
activation = "tanh"
optimizer = "{optimizer}"
lr = {lr}
epochs = 60
seed = [0, 1]
"""


def run(tmp_path, optimizer, lr):
    spec_file = tmp_path / f"{optimizer}.toml"
    spec_file.write_text(SPEC.format(optimizer=optimizer, lr=lr))
    out = tmp_path / optimizer
    sweeps.run_sweep(sweeps.load_spec(str(spec_file)), out, n_jobs=1, backend="threading")
    return out


@pytest.fixture(scope="module")
def sweep_dirs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pipeline")
    return run(tmp, "adam", 0.01), run(tmp, "gd", 0.1)


def test_report_of_a_real_sweep(sweep_dirs):
    out = sweep_dirs[0]
    df = load_results(out)
    assert len(summary_table(df)) == 3
    report = build_report(out)
    page = (report / "index.html").read_text()
    refs = re.findall(r"""(?:src|href)=['"]([^'"#][^'"]*)['"]""", page)
    assert refs and all((report / r).is_file() for r in refs)
    assert "sine_fit_grid.png" in page and "not drawn" not in page
    assert "tiny-adam" in page


def test_write_comparison_of_two_real_sweeps(sweep_dirs, tmp_path):
    result = write_comparison(*sweep_dirs, tmp_path / "cmp")
    table = result["table"]
    assert (table["match"] == "both").sum() == 3
    assert table.attrs["labels"] == ("adam", "gd")
    assert {p.name for p in result["files"].values()} == {
        "compare.csv", "compare.md", "compare.html", "compare.png", "index.html"}
    page = (tmp_path / "cmp" / "index.html").read_text()
    refs = re.findall(r"""(?:src|href)=['"]([^'"#][^'"]*)['"]""", page)
    assert refs and all((tmp_path / "cmp" / r).is_file() for r in refs)
    assert "adam vs gd on val_mse:" in page  # the verdict opens the page
