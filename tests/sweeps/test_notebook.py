"""``sweeps.run`` in a real Jupyter kernel: a progress widget, a clean Ctrl-C, figures once.

The cells run in an ``ipykernel`` started with ``jupyter_client``, as Jupyter starts it (the
inline matplotlib backend, ipywidgets present); what a notebook would render is read from
the kernel's messages. The interrupt is the kernel's own (``interrupt_kernel``: SIGINT to
the kernel's process group, what Jupyter's stop button sends), and what it kept is read
straight from SQLite.
"""
import json
import os
import sys
import time

import pytest
from sweep_helpers import rows, slow_spec

jupyter_client = pytest.importorskip("jupyter_client", reason="needs jupyter_client "
                                     "(pip install -e '.[test]')")
pytest.importorskip("ipykernel", reason="needs ipykernel (pip install -e '.[test]')")

WIDGET = "application/vnd.jupyter.widget-view+json"
TINY = '["epochs=20", "seed=0,1", "hidden=[[3],[4,4]]"]'


@pytest.fixture
def kernel(tmp_path):
    """A client of a fresh IPython kernel running this interpreter in ``tmp_path``."""
    from jupyter_client import KernelManager
    from jupyter_client.kernelspec import KernelSpecManager

    # Our own kernelspec: "python3" could name another interpreter found on PATH.
    spec_dir = tmp_path / "kernels" / "nnsweeps"
    spec_dir.mkdir(parents=True)
    (spec_dir / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "nnsweeps tests", "language": "python"}))
    km = KernelManager(kernel_name="nnsweeps", kernel_spec_manager=KernelSpecManager(
        kernel_dirs=[str(tmp_path / "kernels")]))
    env = {**os.environ, "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
    km.start_kernel(cwd=str(tmp_path), env=env)
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        yield km, kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def _outputs(kc, msg_id, timeout=120):
    """Every iopub message of one execution, until the kernel is idle again."""
    found = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return found
        found.append(msg)
    raise AssertionError("the cell did not finish")


def _run_cell(kc, code):
    return _outputs(kc, kc.execute(code))


def _of_type(outputs, *types):
    return [m for m in outputs if m["msg_type"] in types]


def _images(outputs):
    return [m for m in _of_type(outputs, "display_data", "execute_result")
            if "image/png" in m["content"]["data"]]


def _progress_states(outputs):
    """The progress bar widget's state (value, max, bar_style) after each update."""
    bars, states = set(), []
    for msg in _of_type(outputs, "comm_open", "comm_msg"):
        comm, data = msg["content"]["comm_id"], msg["content"]["data"]
        new = data.get("state", {})
        if new.get("_model_name") == "FloatProgressModel":  # tqdm's bar, not its labels
            bars.add(comm)
        if comm in bars and {"value", "max", "bar_style"} & set(new):
            states.append({**(states[-1] if states else {}), **new})
    return states


def test_run_shows_a_progress_widget_and_figures_display_once(kernel):
    km, kc = kernel
    out = _run_cell(kc, f"import sweeps, results\ndf = sweeps.run('sine', out='run', "
                        f"overrides={TINY}, jobs=1)\nlen(df)")
    assert not _of_type(out, "error"), out
    assert [m["content"]["data"]["text/plain"] for m in _of_type(out, "execute_result")] \
        == ["4"]
    assert any(WIDGET in m["content"]["data"] for m in _of_type(out, "display_data"))
    states = _progress_states(out)
    assert states and states[-1]["value"] == states[-1]["max"] == 4, states
    assert not [m for m in _of_type(out, "stream") if "IProgress" in m["content"]["text"]]

    # A figure function as a cell's last expression: one image, from its repr.
    out = _run_cell(kc, "results.fit_grid(df)")
    assert len(_images(out)) == 1 and _of_type(out, "execute_result"), out
    # The control: a pyplot figure shown the same way is displayed twice by Jupyter.
    out = _run_cell(kc, "import matplotlib.pyplot as plt\nfig = plt.figure()\n"
                        "fig.add_subplot().plot([0, 1])\nfig")
    assert len(_images(out)) == 2


def test_interrupting_run_keeps_the_finished_jobs_and_says_so_in_one_line(kernel, tmp_path):
    km, kc = kernel
    spec = slow_spec(tmp_path)
    msg_id = kc.execute(f"import sweeps\ndf = sweeps.run({str(spec)!r}, out='slow', jobs=2)")
    deadline = time.monotonic() + 120
    while len(rows(tmp_path / "slow")) < 2:
        assert time.monotonic() < deadline, "no job finished"
        time.sleep(0.05)
    km.interrupt_kernel()
    out = _outputs(kc, msg_id)
    (error,) = _of_type(out, "error")
    content = error["content"]
    assert content["ename"] == "SweepInterrupted"
    (line,) = content["traceback"]  # one line, not a traceback through the runner
    assert "jobs done" in line and "slow" in line and "resume" in line, line
    assert any(WIDGET in m["content"]["data"] for m in _of_type(out, "display_data"))
    states = _progress_states(out)
    assert states[-1]["bar_style"] == "danger" and states[-1]["value"] < 24, states

    kept = rows(tmp_path / "slow")
    assert 2 <= len(kept) < 24 and {s for s, _, _ in kept.values()} == {"ok"}
    out = _run_cell(kc, "len(sweeps.load('slow'))")
    assert _of_type(out, "execute_result")[0]["content"]["data"]["text/plain"] \
        == str(len(kept))
    # The same call again resumes: the kept jobs are not trained again.
    out = _run_cell(kc, f"df = sweeps.run({str(spec)!r}, out='slow', jobs=2, "
                        "progress=False)\nlen(df)")
    assert _of_type(out, "execute_result")[0]["content"]["data"]["text/plain"] == "24"
    final = rows(tmp_path / "slow")
    assert {k: final[k] for k in kept} == kept
