#!/bin/sh
# export_cli.sh - end-to-end run of 'headscope export' on a real model folder:
# exit codes, file counts and failure messages.
#
# usage: export_cli.sh HEADSCOPE DEMO_MODEL_DIR FIXTURES_DIR
# Uses the demo model when DEMO_MODEL_DIR/config.json exists, else the
# bert-tiny-random fixture; exits 77 (skipped) when neither is there.

headscope=$1
demo=$2
fixtures=${HEADSCOPE_FIXTURES:-$3}

if [ -f "$demo/config.json" ]; then
    model=$demo
elif [ -f "$fixtures/bert-tiny-random/config.json" ]; then
    model=$fixtures/bert-tiny-random
else
    echo "skipped: neither $demo/config.json nor $fixtures/bert-tiny-random/config.json exists"
    exit 77
fi

work=$(mktemp -d)
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
passed=0
failed=0

check() {
    # check DESCRIPTION CONDITION...
    description=$1
    shift
    if "$@"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAILED: $description"
    fi
}

count_files() {
    find "$1" -type f | wc -l | tr -d ' '
}

# Runs headscope export with the model and the given arguments; sets rc and
# leaves stdout and stderr in $work/out and $work/err.
run_export() {
    "$headscope" export --model "$model" "$@" >"$work/out" 2>"$work/err"
    rc=$?
}

# A one-line error on stderr that contains the given text.
error_contains() {
    [ "$rc" -eq 1 ] && [ "$(wc -l <"$work/err")" -eq 1 ] && grep -q -- "$1" "$work/err"
}

# Every head; DIR is created because its parent exists.
run_export "The cat sat on the mat." --out "$work/all"
check "export of every head exits 0" [ "$rc" -eq 0 ]
layers=$(grep -o '"layers":[[:space:]]*[0-9]*' "$work/all/index.json" | grep -o '[0-9]*$')
heads=$(grep -o '"heads":[[:space:]]*[0-9]*' "$work/all/index.json" | grep -o '[0-9]*$')
check "index.json gives layers and heads" [ -n "$layers" -a -n "$heads" ]
total=$((layers * heads + 2))
check "every head, atlas.png and index.json are written" [ "$(count_files "$work/all")" -eq "$total" ]
check "stdout gives the count and folder" grep -q "wrote $total files to $work/all" "$work/out"
check "the first head is named L00-H00.png" [ -f "$work/all/L00-H00.png" ]
check "atlas.png is written" [ -f "$work/all/atlas.png" ]
check "the PNG signature is there" \
    sh -c "head -c 8 '$work/all/atlas.png' | od -An -c | grep -q 'P   N   G'"

# One layer, then one head, with cividis and a pair.
run_export "The cat sat." --pair "It was tired." --out "$work/layer" --layer 0 --cmap cividis
check "--layer 0 exits 0" [ "$rc" -eq 0 ]
check "--layer 0 writes one layer" [ "$(count_files "$work/layer")" -eq $((heads + 2)) ]
check "index.json records the colour map" grep -q '"colormap":[[:space:]]*"cividis"' \
    "$work/layer/index.json"
check "index.json records the pair" grep -q '"pair":[[:space:]]*"It was tired."' \
    "$work/layer/index.json"
run_export "Hi" --out "$work/one" --layer 0 --head 1
check "--layer 0 --head 1 writes one head" [ "$(count_files "$work/one")" -eq 3 ]
check "--layer 0 --head 1 writes L00-H01.png" [ -f "$work/one/L00-H01.png" ]

run_export "The bank of the river." --out "$work/max" --aggregate layer-max
check "--aggregate layer-max exits 0" [ "$rc" -eq 0 ]
check "--aggregate layer-max writes one image per layer" [ "$(count_files "$work/max")" -eq "$layers" ]
check "--aggregate layer-max writes L00-max.png" [ -f "$work/max/L00-max.png" ]
run_export "The bank of the river." --out "$work/rollout" --aggregate rollout
check "--aggregate rollout writes rollout.png" [ -f "$work/rollout/rollout.png" ]
run_export "The bank of the river." --out "$work/bad-aggregate" --aggregate median
check "--aggregate median is rejected" error_contains "'median' is not layer-mean"
check "--aggregate median creates no folder" [ ! -e "$work/bad-aggregate" ]

# Failures: one line on stderr, exit 1, nothing written.
run_export "Hi" --out "$work/bad-layer" --layer 999
check "--layer 999 is rejected with the range" error_contains "layers 0 to $((layers - 1))"
check "--layer 999 creates no folder" [ ! -e "$work/bad-layer" ]
run_export "Hi" --out "$work/bad-head" --head 999
check "--head 999 is rejected with the range" error_contains "heads 0 to $((heads - 1))"
run_export "Hi" --out "$work/bad-cmap" --cmap jet
check "--cmap jet is rejected" error_contains "unknown colour map 'jet'"
run_export "Hi" --out "$work/absent/sub"
check "a missing parent folder is an error" error_contains "parent folder '$work/absent'"
check "a missing parent folder is not created" [ ! -e "$work/absent" ]
touch "$work/plain"
run_export "Hi" --out "$work/plain"
check "a regular file as --out is an error" error_contains "not a folder"
run_export "Hi" --out "$work/plain/sub"
check "a path below a regular file is an error" error_contains "$work/plain"
run_export "Hi"
check "a missing --out is an error" [ "$rc" -eq 1 ]
check "a missing --out is named" grep -q -- "--out DIR" "$work/err"
run_export --out "$work/no-text"
check "a missing TEXT is an error" [ "$rc" -eq 1 ]
# Missing fonts: fontconfig set up with no fonts, then with Latin fonts only.
fc_conf() {
    printf '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n'
    printf '<fontconfig>%s<cachedir>%s</cachedir></fontconfig>\n' "$1" "$work/fc-cache"
}
fc_conf "" >"$work/no-fonts.conf"
FONTCONFIG_FILE="$work/no-fonts.conf" run_export "Hi" --out "$work/no-fonts"
check "no fonts at all is an error" error_contains "no scalable sans-serif font for Latin"
check "no fonts at all leaves no folder" [ ! -e "$work/no-fonts" ]
dejavu=/usr/share/fonts/truetype/dejavu
if [ -d "$dejavu" ]; then
    fc_conf "<dir>$dejavu</dir>" >"$work/latin-only.conf"
    FONTCONFIG_FILE="$work/latin-only.conf" run_export "Hi" --out "$work/latin-only"
    check "a missing CJK font is an error" error_contains "fonts-noto-cjk"
fi

# Output paths that are not regular files are never replaced.
mkfifo "$work/fifo"
"$headscope" dump "Hi" --out "$work/fifo" >"$work/out" 2>"$work/err"
rc=$?
check "dump onto a named pipe is refused" [ "$rc" -eq 1 ]
check "the refusal names the path" grep -q "not a regular file" "$work/err"
check "the named pipe stays a pipe" [ -p "$work/fifo" ]

"$headscope" export --help >"$work/out" 2>&1
check "--help exits 0" [ $? -eq 0 ]
check "--help says when DIR is created" grep -q "DIR is created" "$work/out"
check "no temporary file is left" [ -z "$(find "$work" -name '*.tmp*')" ]

echo "export_cli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
