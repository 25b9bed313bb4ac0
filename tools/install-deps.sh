#!/bin/sh
# Installs the Debian packages listed in tools/debian-packages.txt, through
# sudo when not run as root. Does nothing when all of them are installed.
set -eu
here=$(dirname "$0")
packages=$(grep -v '^#' "$here/debian-packages.txt" | tr '\n' ' ')
missing=""
for p in $packages; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
if [ "$(id -u)" -eq 0 ]; then
    as_root=""
elif command -v sudo >/dev/null 2>&1; then
    as_root="sudo"
else
    echo "install-deps: these Debian packages are missing:$missing" >&2
    echo "install-deps: run this script as root, or install sudo" >&2
    exit 1
fi
$as_root apt-get update
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y --no-install-recommends $missing
