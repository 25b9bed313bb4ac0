#!/bin/sh
# Desktop app timings under Xvfb (Mesa's software OpenGL): the frame time of
# a BERT-base-sized model (12 x 12 = 144 thumbnails) at 128 tokens, and the
# time from a keystroke to the new picture for a 20-token sentence.
# usage: bench/bench_app.sh BUILD_DIR [VOCAB_DIR]
# VOCAB_DIR supplies vocab.txt and tokenizer_config.json for the random
# model (default: the bundled demo model).
set -eu
build=$1
top=$(cd "$(dirname "$0")/.." && pwd)
vocab=${2:-"$top/assets/demo-model"}
model=/tmp/headscope-bench-bert
headscope="$build/app/headscope"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$build/bench/bench_forward" --write-only "$model"
cp "$vocab/vocab.txt" "$vocab/tokenizer_config.json" "$model/"

long=""
i=0
while [ $i -lt 63 ]; do
    long="$long river bank"
    i=$((i + 1))
done
short="the bank by the river was steep, so we walked along the water to the old bridge ."

cat > "$work/session.sh" <<SESSION
#!/bin/sh
set -u
median() { sort -n | awk '{ v[NR] = \$1 } END { print v[int((NR + 1) / 2)] }'; }
wait_line() {
    i=0
    while [ \$i -lt 600 ]; do
        if grep -q -- "\$1" "\$2" 2>/dev/null; then return 0; fi
        sleep 0.1
        i=\$((i + 1))
    done
    echo "timed out waiting for '\$1' in \$2" >&2
    return 1
}

# Frame time: hover across the heatmap so every motion redraws the window.
"$headscope" --model "$model" --text "$long" --size 1600x1000 --timing \
    --describe "$work/state.json" 2> "$work/frames.log" &
app=\$!
wait_line '"labels":[[:space:]]*\[' "$work/state.json"
sleep 1
window=\$(xdotool search --sync --onlyvisible --name '^headscope\$' | head -n 1)
before=\$(grep -c 'timing: frame' "$work/frames.log")
i=0
while [ \$i -lt 40 ]; do
    xdotool mousemove --window "\$window" \$((900 + i * 12)) \$((400 + i * 6))
    sleep 0.15
    i=\$((i + 1))
done
kill \$app; wait \$app 2>/dev/null
tokens=\$(grep -o '"ids":[^]]*' "$work/state.json" | tr ',' '\n' | grep -c '[0-9]')
frame=\$(grep 'timing: frame' "$work/frames.log" | tail -n +\$((before + 1)) | \
         sed 's/.*frame \([0-9.]*\) ms/\1/' | median)
echo "frame time, 144 thumbnails, \$tokens tokens: median \$frame ms over 40 redraws"

# Keystroke to picture: retype the last character five times.
"$headscope" --model "$model" --text "$short" --size 1600x1000 --timing \
    --describe "$work/state2.json" 2> "$work/keys.log" &
app=\$!
wait_line '"labels":[[:space:]]*\[' "$work/state2.json"
window=\$(xdotool search --sync --onlyvisible --name '^headscope\$' | head -n 1)
xdotool windowfocus --sync "\$window" 2>/dev/null || true
xdotool key End
n=0
while [ \$n -lt 5 ]; do
    xdotool key BackSpace
    sleep 1
    before=\$(grep -c 'keystroke to picture' "$work/keys.log")
    xdotool type '.'
    i=0
    while [ \$(grep -c 'keystroke to picture' "$work/keys.log") -le \$before ] && [ \$i -lt 100 ]; do
        sleep 0.1
        i=\$((i + 1))
    done
    n=\$((n + 1))
done
kill \$app; wait \$app 2>/dev/null
tokens=\$(grep -o '"ids":[^]]*' "$work/state2.json" | tr ',' '\n' | grep -c '[0-9]')
latency=\$(grep 'keystroke to picture' "$work/keys.log" | tail -n 5 | \
           sed 's/.*picture \([0-9.]*\) ms.*/\1/' | median)
echo "keystroke to picture, \$tokens tokens: median \$latency ms over 5 edits (includes the 120 ms typing pause)"
grep 'keystroke to picture' "$work/keys.log" | tail -n 1 | sed 's/^headscope: timing: /last: /'
SESSION
sh "$top/tests/with_xvfb.sh" sh "$work/session.sh"
