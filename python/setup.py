"""setuptools glue: the _leakscan extension is built by the main CMake build, not by setuptools.

build_ext builds only the `_leakscan` target and copies the module into the wheel next to the
pure-Python package. Where: LEAKSCAN_CMAKE_BUILD_DIR when set; else the release preset's tree
(<repository>/build, from `cmake --preset release`) when it exists, so an install after the
build compiles nothing again; else <repository>/build-pip, configured as the preset configures
(same flags, through ccache when installed), so the preset's objects and a later preset build
share the compiler cache. CMake's progress goes to stderr (`pip install -v` shows it). CMake,
Ninja and the libraries of scripts/install-deps.sh must be installed; nothing is downloaded.
"""

import os
import pathlib
import re
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = pathlib.Path(__file__).resolve().parent
REPOSITORY = HERE.parent


def version():
    text = (REPOSITORY / "CMakeLists.txt").read_text()
    return re.search(r"project\(leakscan VERSION ([0-9.]+)", text).group(1)


def chosen_build_dir():
    if "LEAKSCAN_CMAKE_BUILD_DIR" in os.environ:
        return pathlib.Path(os.environ["LEAKSCAN_CMAKE_BUILD_DIR"]).resolve()
    preset = REPOSITORY / "build"
    cache = preset / "CMakeCache.txt"
    if cache.exists() and "LEAKSCAN_BUILD_PYTHON:BOOL=ON" in cache.read_text(errors="replace"):
        return preset
    return REPOSITORY / "build-pip"


def cached_compilers():
    """The release preset's compiler launcher: ccache, keyed on paths relative to the
    repository, so this tree and the preset's share their objects."""
    if not shutil.which("ccache"):
        return []
    launcher = f"env;CCACHE_BASEDIR={REPOSITORY};CCACHE_NOHASHDIR=true;ccache"
    return [f"-DCMAKE_CXX_COMPILER_LAUNCHER={launcher}", f"-DCMAKE_C_COMPILER_LAUNCHER={launcher}"]


def say(text):
    print(f"leakscan setup.py: {text}", file=sys.stderr, flush=True)


class CMakeBuildExt(build_ext):
    def build_extension(self, ext):
        build_dir = chosen_build_dir()
        jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", str(min(os.cpu_count() or 1, 2)))
        if not (build_dir / "CMakeCache.txt").exists():
            say(f"configuring {build_dir} (CMake, RelWithDebInfo as the release preset)")
            generator = ["-G", "Ninja"] if shutil.which("ninja") else []
            subprocess.run(["cmake", "-S", str(REPOSITORY), "-B", str(build_dir), *generator,
                            "-DCMAKE_BUILD_TYPE=RelWithDebInfo", *cached_compilers(),
                            "-DLEAKSCAN_BUILD_TESTS=OFF", "-DLEAKSCAN_BUILD_BENCH=OFF",
                            "-DLEAKSCAN_BUILD_PYTHON=ON",
                            f"-DPython3_EXECUTABLE={sys.executable}"], check=True,
                           stdout=sys.stderr)
        say(f"building the _leakscan target in {build_dir} with {jobs} jobs "
            "(minutes from scratch; seconds when already built)")
        subprocess.run(["cmake", "--build", str(build_dir), "--target", "_leakscan",
                        "-j", jobs], check=True, stdout=sys.stderr)
        built = sorted((build_dir / "python" / "leakscan").glob("_leakscan*.so"))
        if not built:
            raise RuntimeError(f"no _leakscan module under {build_dir}/python/leakscan")
        target = pathlib.Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built[-1], target)


setup(
    version=version(),
    ext_modules=[Extension("leakscan._leakscan", sources=[])],
    cmdclass={"build_ext": CMakeBuildExt},
)
