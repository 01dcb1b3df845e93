"""pip install of python/ (pyproject.toml + setup.py), offline, into a directory, then imported
from there by a fresh interpreter.

Run by ctest as python_pip_install, on its own: setup.py configures and builds the
`_leakscan` target from scratch in a temporary CMake tree (about 35 s on 2 cores), as a user's
`pip install ./python` would. LEAKSCAN_PIP_BUILD_DIR=<configured tree> reuses one instead.
"""

import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(os.environ.get("LEAKSCAN_ROOT", pathlib.Path(__file__).resolve().parents[2]))
BUILD_DIR = os.environ.get("LEAKSCAN_PIP_BUILD_DIR")


def test_pip_install_offline(tmp_path):
    target = tmp_path / "site"
    env = dict(os.environ, LEAKSCAN_CMAKE_BUILD_DIR=BUILD_DIR or str(tmp_path / "cmake"),
               CMAKE_BUILD_PARALLEL_LEVEL="2", PIP_NO_INDEX="1",
               PIP_DISABLE_PIP_VERSION_CHECK="1")
    env.pop("PYTHONPATH", None)
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-build-isolation", "--no-deps",
                    "--no-index", "--quiet", "--target", str(target), str(ROOT / "python")],
                   check=True, env=env, cwd=tmp_path, timeout=600)
    installed = target / "leakscan"
    assert sorted(p.name for p in installed.glob("*.py")) == [
        "__init__.py", "fleet.py", "plots.py"]
    assert list(installed.glob("_leakscan*.so"))
    (target_dist,) = target.glob("leakscan-*.dist-info")
    assert (target_dist / "METADATA").read_text().count("Requires-Dist: pandas") == 1

    check = (
        "import leakscan, pathlib, sys\n"
        f"assert pathlib.Path(leakscan.__file__).is_relative_to({str(target)!r}), leakscan.__file__\n"
        "snapshots = [s for i in (1, 2, 3) for s in leakscan.load("
        f"{str(ROOT / 'samples' / 'profiles')!r} + f'/leakyservice-{{i}}.pb.gz')]\n"
        "print(leakscan.analyze(snapshots).leaks)\n"
    )
    env = dict(os.environ, PYTHONPATH=str(target))
    out = subprocess.run([sys.executable, "-c", check], check=True, env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=120).stdout
    assert out.strip() == "8"
