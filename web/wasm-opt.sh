#!/usr/bin/env bash
# Trunk post_build hook: in release builds, runs wasm-opt -Oz on the wasm files when wasm-opt is
# on the PATH or in web/tests/browser/node_modules/.bin (npm `binaryen`). Trunk's own wasm-opt
# step is not used because it would download binaryen.
set -euo pipefail
[ "${TRUNK_PROFILE:-debug}" = release ] || exit 0
[ "${TINYML_WASM_OPT:-1}" = 1 ] || exit 0   # TINYML_WASM_OPT=0 skips it (size comparisons)
src=${TRUNK_SOURCE_DIR:-.}
opt=$(command -v wasm-opt || true)
[ -n "$opt" ] || [ ! -x "$src/web/tests/browser/node_modules/.bin/wasm-opt" ] || opt="$src/web/tests/browser/node_modules/.bin/wasm-opt"
if [ -z "$opt" ]; then
    echo "wasm-opt not found: wasm left unoptimized (install npm binaryen to shrink it)" >&2
    exit 0
fi
for f in "${TRUNK_STAGING_DIR:?run by trunk}"/*.wasm; do
    "$opt" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue "$f" -o "$f.opt"
    mv "$f.opt" "$f"
done
