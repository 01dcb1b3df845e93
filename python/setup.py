"""setuptools glue: the _leakscan extension is built by the main CMake build, not by setuptools.

build_ext configures the repository (one directory up) in LEAKSCAN_CMAKE_BUILD_DIR, default
<repository>/build-pip, builds only the `_leakscan` target and copies the module into the
wheel next to the pure-Python package. Point LEAKSCAN_CMAKE_BUILD_DIR at an existing build tree
(e.g. build/, from `cmake --preset release`) to reuse it. CMake, Ninja and the libraries of
scripts/install-deps.sh must be installed; nothing is downloaded.
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


class CMakeBuildExt(build_ext):
    def build_extension(self, ext):
        build_dir = pathlib.Path(os.environ.get("LEAKSCAN_CMAKE_BUILD_DIR",
                                                REPOSITORY / "build-pip")).resolve()
        jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", str(min(os.cpu_count() or 1, 2)))
        if not (build_dir / "CMakeCache.txt").exists():
            generator = ["-G", "Ninja"] if shutil.which("ninja") else []
            subprocess.run(["cmake", "-S", str(REPOSITORY), "-B", str(build_dir), *generator,
                            "-DCMAKE_BUILD_TYPE=Release", "-DLEAKSCAN_BUILD_TESTS=OFF",
                            "-DLEAKSCAN_BUILD_BENCH=OFF", "-DLEAKSCAN_BUILD_PYTHON=ON",
                            f"-DPython3_EXECUTABLE={sys.executable}"], check=True)
        subprocess.run(["cmake", "--build", str(build_dir), "--target", "_leakscan",
                        "-j", jobs], check=True)
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
