# Sourced by the scripts in this folder.

# The build's own C++ flags: a consumer of a sanitizer build needs the sanitizer's runtime too.
consumer_cxx_flags() { sed -n 's/^CMAKE_CXX_FLAGS:STRING=//p' "$1/CMakeCache.txt"; }

fail() {
  echo "$(basename "$0"): $*" >&2
  exit 1
}
