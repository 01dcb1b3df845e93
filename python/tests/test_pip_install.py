"""README.md's `pip install`, run as written, offline: a virtual environment that sees Debian's
packages (pandas, NumPy, setuptools), and pip building python/ (pyproject.toml + setup.py) in it,
then leakscan imported from that environment by its own interpreter.

Run by ctest as python_pip_install, on its own: setup.py configures and builds the `_leakscan`
target in a new CMake tree inside the repository (build-pip-test, removed after), as a user's
install without the preset's tree would, through the compiler cache the preset's build filled.
LEAKSCAN_PIP_BUILD_DIR=<configured tree> reuses one instead. The command's `.venv` and
`./python` are replaced by a temporary environment and this repository's python/.
"""

import os
import pathlib
import shutil
import subprocess

ROOT = pathlib.Path(os.environ.get("LEAKSCAN_ROOT", pathlib.Path(__file__).resolve().parents[2]))
BUILD_DIR = os.environ.get("LEAKSCAN_PIP_BUILD_DIR")


def readme_command(path):
    """The one line of `path` that installs the package with pip."""
    (line,) = [line.strip() for line in path.read_text().splitlines()
               if "pip install" in line and line.strip().startswith("/usr/bin/python3 -m venv")]
    return line


def test_readme_pip_install_offline(tmp_path):
    command = readme_command(ROOT / "README.md")
    assert command == readme_command(ROOT / "python" / "README.md")
    venv = tmp_path / "venv"
    command = command.replace(".venv", str(venv)).replace("./python", str(ROOT / "python"))
    fresh_tree = ROOT / "build-pip-test"
    env = dict(os.environ, LEAKSCAN_CMAKE_BUILD_DIR=BUILD_DIR or str(fresh_tree),
               CMAKE_BUILD_PARALLEL_LEVEL="2", PIP_DISABLE_PIP_VERSION_CHECK="1")
    env.pop("PYTHONPATH", None)
    try:
        installed = subprocess.run(["/bin/sh", "-c", command], env=env, cwd=tmp_path, timeout=1200,
                                   capture_output=True, text=True)
    finally:
        if not BUILD_DIR:
            shutil.rmtree(fresh_tree, ignore_errors=True)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    # The build shows its progress: setup.py's steps and CMake's own counter.
    shown = installed.stdout + installed.stderr
    assert "leakscan setup.py: building the _leakscan target in" in shown, shown
    assert "_leakscan" in shown and "Linking CXX shared module" in shown or "ninja: no work to do" in shown, shown

    (site,) = venv.glob("lib/python3*/site-packages")
    installed = site / "leakscan"
    assert sorted(p.name for p in installed.glob("*.py")) == [
        "__init__.py", "fleet.py", "plots.py"]
    assert list(installed.glob("_leakscan*.so"))
    (dist,) = site.glob("leakscan-*.dist-info")
    assert (dist / "METADATA").read_text().count("Requires-Dist: pandas") == 1

    check = (
        "import leakscan, pathlib, sys\n"
        f"assert pathlib.Path(leakscan.__file__).is_relative_to({str(site)!r}), leakscan.__file__\n"
        "snapshots = [s for i in (1, 2, 3) for s in leakscan.load("
        f"{str(ROOT / 'samples' / 'profiles')!r} + f'/leakyservice-{{i}}.pb.gz')]\n"
        "print(leakscan.analyze(snapshots).leaks)\n"
    )
    out = subprocess.run([str(venv / "bin" / "python"), "-c", check], check=True, env=env,
                         cwd=tmp_path, capture_output=True, text=True, timeout=120).stdout
    assert out.strip() == "8"
