#!/bin/sh
# Installs the dependencies, builds headscope and opens the desktop app.
# Arguments are passed to headscope; with none, it opens the bundled demo
# model on an example sentence.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/tools/install-deps.sh"
cmake -S "$top" -B "$top/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$top/build" -j"$(nproc)" --target headscope
exec "$top/build/app/headscope" "$@"
