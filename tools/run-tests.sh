#!/bin/sh
# Installs the dependencies, builds headscope and runs every test under CTest.
# Tests that compare with the Hugging Face reference fixtures read them from
# ../shared/fixtures, or from the folder HEADSCOPE_FIXTURES names, and report
# themselves skipped when the folder is absent. Extra arguments go to cmake
# (for example -DHEADSCOPE_SANITIZE=ON); BUILD_DIR sets the build folder.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-"$top/build"}
"$top/tools/install-deps.sh"
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@"
cmake --build "$build" -j"$(nproc)"
ctest --test-dir "$build" --output-on-failure -j2
