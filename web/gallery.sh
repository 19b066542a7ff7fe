#!/usr/bin/env bash
# Trunk pre_build hook: writes gallery.json (the project's own models, models/*/*.tflite) into
# the build and copies the models beside it. No models is fine: the list is then empty.
set -euo pipefail
src=${TRUNK_SOURCE_DIR:-.}
out=${TRUNK_STAGING_DIR:?run by trunk}
entries=()
shopt -s nullglob
for f in "$src"/models/*/*.tflite; do
    rel=${f#"$src"/}
    mkdir -p "$out/$(dirname "$rel")"
    cp "$f" "$out/$rel"
    name=${rel#models/}
    entries+=("{\"name\":\"$name\",\"path\":\"$rel\",\"bytes\":$(wc -c <"$f")}")
done
(IFS=,; echo "[${entries[*]}]") >"$out/gallery.json"
