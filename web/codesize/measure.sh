#!/usr/bin/env bash
# Prints the engine's flash footprint (.text + .rodata + .data, from `size -A`) for each Cortex-M
# target, release build with opt-level "s", LTO, panic=abort. Copy the figures into
# web/src/codesize.rs. Usage: web/codesize/measure.sh
set -euo pipefail
cd "$(dirname "$0")"
for target in thumbv7em-none-eabihf thumbv6m-none-eabi; do
    rustup target list --installed | grep -qx "$target" || rustup target add "$target"
    cargo build -q --release --target "$target"
    elf=target/$target/release/tinyml-codesize
    bytes=$(size -A "$elf" | awk '$1 ~ /^\.(text|rodata|data)$/ { s += $2 } END { print s }')
    echo "$target $bytes"
done
