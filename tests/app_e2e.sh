#!/bin/sh
# End-to-end session with the desktop app: start it under Xvfb, type a
# sentence and press keys with xdotool, drop model folders on the window,
# and check through its --describe file that the tokens, head and model
# changed.
# usage: app_e2e.sh HEADSCOPE MODEL_DIR
set -u
headscope=$1
model=$2
for tool in Xvfb xdotool; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "SKIP: $tool not found (install xvfb and xdotool)"
        exit 77
    fi
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dropper="$(cd "$(dirname "$0")" && pwd)/xdnd_drop.py"
ln -s "$(cd "$model" && pwd)" "$work/dropped-model"
mkdir "$work/broken-model"
echo '{' > "$work/broken-model/config.json"

cat > "$work/session.sh" <<SESSION
#!/bin/sh
set -u
fail() { echo "FAIL: \$*"; cat "$work/app.log"; kill \$app 2>/dev/null; exit 1; }

# Waits up to 30 s until the description file matches a pattern.
wait_for() {
    i=0
    while [ \$i -lt 300 ]; do
        if grep -q -- "\$1" "$work/state.json" 2>/dev/null; then return 0; fi
        sleep 0.1
        i=\$((i + 1))
    done
    return 1
}

LIBGL_ALWAYS_SOFTWARE=1 "$headscope" --model "$model" --text "" --size 1200x760 \
    --describe "$work/state.json" --export-dir "$work/export" > "$work/app.log" 2>&1 &
app=\$!
window=\$(timeout 30 xdotool search --sync --onlyvisible --name '^headscope\$' | head -n 1)
[ -n "\$window" ] || fail "the window did not appear"
xdotool windowfocus --sync "\$window" 2>/dev/null || true
wait_for '"model":' || fail "no model loaded"

xdotool type --delay 30 "she sat on the river bank"
wait_for '"river"' || fail "typed tokens did not appear"
grep -q '"layer":[[:space:]]*0,' "$work/state.json" || fail "initial layer is not 0"

# Leave the text field, then two heads right and one layer down.
xdotool key Escape Right Right Down
wait_for '"head":[[:space:]]*2,' || fail "Right Right did not select head 2"
wait_for '"layer":[[:space:]]*1,' || fail "Down did not select layer 1"

xdotool key e
wait_for '"message":[[:space:]]*"exported' || fail "E did not export the head"
[ -s "$work/export/L01-H02.png" ] || fail "E did not write L01-H02.png"

xdotool key Tab
wait_for '"view":[[:space:]]*"arcs"' || fail "Tab did not switch to arcs"

xdotool key F1
wait_for '"help":[[:space:]]*true' || fail "F1 did not open the help"

# Drag and drop through XDND: a model folder loads, and a broken one shows
# its error while the loaded model stays in use.
/usr/bin/python3 "$dropper" "\$window" "$work/dropped-model"
status=\$?
if [ \$status -eq 77 ]; then
    echo "SKIP: drag and drop not tested: python3-xlib is not installed"
else
    [ \$status -eq 0 ] || fail "the drop of a model folder failed"
    wait_for '"model":[[:space:]]*"dropped-model"' || fail "the dropped model did not load"
    /usr/bin/python3 "$dropper" "\$window" "$work/broken-model/config.json" ||
        fail "the drop of a broken model failed"
    wait_for '"message":[[:space:]]*"[^"]*broken-model/config.json' ||
        fail "the broken model's error is not shown"
    grep -q '"model":[[:space:]]*"dropped-model"' "$work/state.json" ||
        fail "the previous model was not kept"
    xdotool key Left
    wait_for '"head":[[:space:]]*1,' || fail "the app stopped responding after the error"
fi

# Back to the heatmap: the wheel zooms, a drag pans, a click focuses a row.
xdotool key F1
wait_for '"help":[[:space:]]*false' || fail "F1 did not close the help"
xdotool key Tab Tab Tab
wait_for '"view":[[:space:]]*"heatmap"' || fail "Tab did not come back to the heatmap"
heatmap() { /usr/bin/python3 -c "import json,sys; h=json.load(open(sys.argv[1]))['heatmap']; \
print(int(h[sys.argv[2]]) if sys.argv[2] != 'cell' else round(h['cell'], 3))" "$work/state.json" "\$1"; }
centre_x=\$(/usr/bin/python3 -c "import json,sys; a=json.load(open(sys.argv[1]))['heatmap']['area']; \
print(a[0] + a[2] // 2)" "$work/state.json")
centre_y=\$(/usr/bin/python3 -c "import json,sys; a=json.load(open(sys.argv[1]))['heatmap']['area']; \
print(a[1] + a[3] // 2)" "$work/state.json")
cell=\$(heatmap cell)
xdotool mousemove --window "\$window" "\$centre_x" "\$centre_y"
xdotool click --repeat 4 4
i=0
while [ "\$(heatmap cell)" = "\$cell" ] && [ \$i -lt 100 ]; do sleep 0.1; i=\$((i + 1)); done
[ "\$(heatmap cell)" != "\$cell" ] || fail "the wheel did not zoom"
x_before=\$(heatmap x)
y_before=\$(heatmap y)
xdotool mousedown 1
for step in 1 2 3 4 5 6; do xdotool mousemove_relative -- -15 -15; sleep 0.05; done
xdotool mouseup 1
i=0
while [ "\$(heatmap x)" = "\$x_before" ] && [ \$i -lt 100 ]; do sleep 0.1; i=\$((i + 1)); done
[ "\$(heatmap x)" != "\$x_before" ] || fail "dragging did not pan across"
[ "\$(heatmap y)" != "\$y_before" ] || fail "dragging did not pan down"
grep -q '"focus":[[:space:]]*-1,' "$work/state.json" || fail "the drag focused a row"
xdotool click 1
wait_for '"focus":[[:space:]]*[0-9]' || fail "a click on the heatmap did not focus a row"

kill \$app
wait \$app 2>/dev/null
echo "app_e2e: passed"
SESSION
timeout 120 sh "$(dirname "$0")/with_xvfb.sh" sh "$work/session.sh"
