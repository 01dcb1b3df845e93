"""samples/notebooks/leak-triage.ipynb executed with nbclient, so the walk-through never rots."""

import os
import pathlib

import pytest

import nbformat
import nbclient
import ipykernel  # noqa: F401  (the kernel needs it)
import matplotlib  # noqa: F401  (the kernel needs it)

ROOT = pathlib.Path(os.environ.get("LEAKSCAN_ROOT", pathlib.Path(__file__).resolve().parents[2]))
NOTEBOOK = ROOT / "samples" / "notebooks" / "leak-triage.ipynb"


def cell_text(cell):
    parts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            parts.append(output.get("text", ""))
        elif "data" in output:
            parts.append(output["data"].get("text/plain", ""))
    return "".join(parts)


def test_leak_triage_notebook_runs(tmp_path):
    import leakscan

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    # The kernel is a fresh process: it finds the built package through PYTHONPATH, the
    # samples through LEAKSCAN_ROOT, and draws with Agg.
    package_dir = str(pathlib.Path(leakscan.__file__).resolve().parents[1])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (package_dir, os.environ.get("PYTHONPATH", "")) if p)
    env["LEAKSCAN_ROOT"] = str(ROOT)
    env.pop("MPLBACKEND", None)  # the notebook's %matplotlib inline decides
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"  # ipykernel's debugger, on frozen modules
    client = nbclient.NotebookClient(
        notebook, timeout=120, kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    # The python3 kernel of ipykernel runs sys.executable: Debian's /usr/bin/python3 here.
    client.execute(env=env)

    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert code
    for cell in code:
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        assert not errors, errors
        assert cell.get("execution_count"), cell.source
    analysis = next(c for c in code if "leakscan.analyze(" in c.source)
    assert "8 leaks" in cell_text(analysis)
    plot = code[-1]
    assert any("image/png" in o.get("data", {}) for o in plot.outputs)
    top = next(c for c in code if "['clusters'][0]" in c.source)
    assert "LEAK" in cell_text(top)
    # Executed in memory: the notebook in the tree stays without outputs.
    nbformat.write(notebook, tmp_path / "executed.ipynb")
