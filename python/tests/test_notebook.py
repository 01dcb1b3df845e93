"""samples/notebooks/leak-triage.ipynb executed by the command README.md gives, run as written
(from the repository root, Debian's nbconvert and python3 kernel, the built package through
PYTHONPATH), so the walk-through and its instructions never rot.

Run by ctest as notebook_command; LEAKSCAN_BUILD_DIR names the build tree when it is not
build/ (the command's build/ is replaced by it).
"""

import os
import pathlib
import re
import shlex
import subprocess

import nbformat

ROOT = pathlib.Path(os.environ.get("LEAKSCAN_ROOT", pathlib.Path(__file__).resolve().parents[2]))
BUILD = pathlib.Path(os.environ.get("LEAKSCAN_BUILD_DIR", ROOT / "build"))
NOTEBOOK = ROOT / "samples" / "notebooks" / "leak-triage.ipynb"


def readme_command(path):
    """The one line of `path` that executes the notebook."""
    (line,) = [line.strip() for line in path.read_text().splitlines()
               if "nbconvert" in line and "--execute" in line and line.strip().startswith("PYTHONPATH")]
    return line


def cell_text(cell):
    parts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            parts.append(output.get("text", ""))
        elif "data" in output:
            parts.append(output["data"].get("text/plain", ""))
    return "".join(parts)


def test_readme_command_executes_the_notebook():
    command = readme_command(ROOT / "README.md")
    notebook_intro = nbformat.read(NOTEBOOK, as_version=4).cells[0].source
    assert command == readme_command(ROOT / "python" / "README.md")
    assert command in notebook_intro
    out_dir = re.search(r"--output-dir (\S+)", command).group(1)
    build = os.path.relpath(BUILD, ROOT)
    if build != "build":  # another preset's tree
        command = command.replace("$PWD/build/", f"$PWD/{build}/").replace(
            " build/", f" {build}/")
        out_dir = re.sub(r"^build/", build + "/", out_dir)
    executed = ROOT / out_dir / NOTEBOOK.name
    executed.unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MPLBACKEND")}
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"  # ipykernel's debugger, on frozen modules
    subprocess.run(["/bin/sh", "-c", command], cwd=ROOT, env=env, check=True, timeout=300)

    notebook = nbformat.read(executed, as_version=4)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert code
    for cell in code:
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        assert not errors, errors
        assert cell.get("execution_count"), cell.source
    analysis = next(c for c in code if "leakscan.analyze(" in c.source)
    assert "8 leaks" in cell_text(analysis)
    top = next(c for c in code if "['clusters'][0]" in c.source)
    assert "LEAK" in cell_text(top)
    plots = [c for c in code if "plot_growth" in c.source]
    assert len(plots) == 2
    for cell in plots:
        assert any("image/png" in o.get("data", {}) for o in cell.outputs), cell.source
    # The notebook in the tree stays without outputs.
    stored = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not c.get("outputs") for c in stored.cells if c.cell_type == "code")
    # The kernel runs in the notebook's folder: a relative PYTHONPATH would not find leakscan.
    assert shlex.split(command)[0] == f"PYTHONPATH=$PWD/{build}/python"
