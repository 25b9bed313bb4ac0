#!/bin/sh
# Runs a command under a private Xvfb display (Mesa's software OpenGL) and
# exits with the command's status. A display number is picked that has no
# lock file; the server is stopped afterwards.
# usage: with_xvfb.sh COMMAND [ARGS...]
set -u
if ! command -v Xvfb >/dev/null 2>&1; then
    echo "SKIP: Xvfb not found (install xvfb)" >&2
    exit 77
fi
number=$((100 + $$ % 400))
tries=0
while [ -e "/tmp/.X$number-lock" ] && [ $tries -lt 400 ]; do
    number=$((number + 1))
    tries=$((tries + 1))
done
Xvfb ":$number" -screen 0 1600x1000x24 -nolisten tcp >/dev/null 2>&1 &
server=$!
i=0
while [ ! -e "/tmp/.X11-unix/X$number" ] && [ $i -lt 100 ]; do
    sleep 0.05
    i=$((i + 1))
done
# The command runs in the background so that a TERM from timeout(1) reaches
# this script at once, and the script then stops the command and the server.
# Descriptor 3 passes standard input on, which a background job would lose.
exec 3<&0
DISPLAY=":$number" LIBGL_ALWAYS_SOFTWARE=1 "$@" <&3 3<&- &
child=$!
trap 'kill "$child" "$server" 2>/dev/null; exit 124' TERM INT HUP
wait "$child"
status=$?
trap - TERM INT HUP
kill "$server" 2>/dev/null
wait "$server" 2>/dev/null
exit $status
