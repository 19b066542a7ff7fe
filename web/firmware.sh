#!/usr/bin/env bash
# Trunk pre_build hook: builds the firmware template of every board (firmware/, for
# thumbv7em-none-eabihf) with the same function as the CLI's build script and puts them in the
# build as firmware/<board>.tmlf. The Export panel fetches one only when it is used, so the
# templates cost nothing at first load, and the page patches exactly what `tinyml export`
# patches. Never committed: they are rebuilt (or found up to date in firmware/target) each build.
set -euo pipefail
src=${TRUNK_SOURCE_DIR:-.}
out=${TRUNK_STAGING_DIR:?run by trunk}
cd "$src"
cargo run -q -p tinyml-deploy --no-default-features --features build \
    --example firmware_templates -- "$out/firmware" >/dev/null
