#!/usr/bin/env bash
# Trunk pre_build hook: writes gallery.json (the project's own models, models/*/*.tflite) into
# the build and copies the models beside it, with each model directory's card.json (input
# preprocessing, labels, quantization, accuracy) which the demo pages read. No models is fine:
# the list is then empty.
set -euo pipefail
src=${TRUNK_SOURCE_DIR:-.}
out=${TRUNK_STAGING_DIR:?run by trunk}
entries=()
shopt -s nullglob
for f in "$src"/models/*/*.tflite; do
    rel=${f#"$src"/}
    dir=$(dirname "$rel")
    mkdir -p "$out/$dir"
    cp "$f" "$out/$rel"
    card=""
    if [ -f "$src/$dir/card.json" ]; then
        cp "$src/$dir/card.json" "$out/$dir/card.json"
        card=",\"card\":\"$dir/card.json\""
    fi
    name=${rel#models/}
    entries+=("{\"name\":\"$name\",\"path\":\"$rel\",\"bytes\":$(wc -c <"$f")$card}")
done
(IFS=,; echo "[${entries[*]}]") >"$out/gallery.json"
