#!/usr/bin/env python3
"""Flash taken by the firmware template, per board and per crate: the figures in BENCHMARKS.md.

Builds the firmware for each board (cached builds are instant), then sums the sizes of the ELF's
symbols in flash (`nm -S -C`, GNU binutils) by the crate that defines them. Anonymous constants
(`.Lanon.*`: string literals, tables) are not attributed to a crate and are listed on their own.

Usage: firmware/codesize.py            (from the repository root or firmware/)
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

# Board: cargo profile, target and flash (origin, bytes), as in tinyml-deploy's board table
# (Board::firmware_profile, firmware_target, flash_origin, flash_bytes).
V7EM, V6M = "thumbv7em-none-eabihf", "thumbv6m-none-eabi"
BOARDS = {"netduinoplus2": ("release", V7EM, 0x08000000, 1 << 20),
          "stm32f411-blackpill": ("release-small", V7EM, 0x08000000, 512 << 10),
          "stm32f407-discovery": ("release", V7EM, 0x08000000, 1 << 20),
          "pico": ("release", V6M, 0x10000000, 2 << 20)}
HERE = os.path.dirname(os.path.abspath(__file__))
GROUPS = [
    ("engine + kernels (tinyml_engine)", ("tinyml_engine",)),
    ("firmware (tinyml_firmware, tinyml_deploy; on the Pico with its 256-byte boot2)",
     ("tinyml_firmware", "tinyml_deploy")),
    ("core (formatting, slices, panics)", ("core",)),
    ("compiler_builtins (memcpy, soft division...)", ("compiler_builtins",)),
    ("libm", ("libm",)),
    ("cortex-m, cortex-m-rt, semihosting", ("cortex_m", "cortex_m_rt", "cortex_m_semihosting")),
]


def crate_of(name):
    if name.startswith(".Lswitch.table."):
        # Jump tables carry their function's mangled name (`_ZN13tinyml_engine...`).
        m = re.match(r"\.Lswitch\.table\._ZN\d+([A-Za-z_][A-Za-z0-9_]*)", name)
        return m.group(1) if m else "other"
    if name.startswith(".Lanon") or name.startswith("anon."):
        return "anonymous constants"
    # The first crate named in the path: `<u32 as core::fmt::Display>::fmt` is core's.
    known = {c for _, crates in GROUPS for c in crates}
    for crate in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)::", name):
        if crate in known:
            return crate
    if "::" in name:
        return "other"
    if name in ("Reset", "HardFault_", "DefaultHandler_", "DefaultPreInit", "__pre_init", "main",
                "HardFault", "DefaultHandler", "SysTick", "__RESET_VECTOR", "__EXCEPTIONS",
                "__INTERRUPTS"):
        return "cortex_m_rt"
    if name.startswith("__aeabi") or name.startswith("mem") or name.startswith("__"):
        return "compiler_builtins"
    if re.match(r"^[a-z0-9_]+f?$", name):
        return "libm"
    return "other"


def measure(elf, origin, size):
    sections = subprocess.run(["readelf", "-S", "-W", elf], capture_output=True, text=True).stdout
    flash = 0
    for line in sections.splitlines():
        m = re.match(r"\s*\[\s*\d+\]\s+(\.\S+)\s+\S+\s+([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)", line)
        if m and m.group(1) in (".boot2", ".vector_table", ".text", ".rodata", ".data"):
            flash += int(m.group(3), 16)
    by_crate = {}
    out = subprocess.run(["nm", "-S", "-C", elf], capture_output=True, text=True).stdout
    for line in out.splitlines():
        parts = line.split(None, 3)
        if len(parts) < 4 or parts[2].lower() not in ("t", "r", "d"):
            continue
        if not origin <= int(parts[0], 16) < origin + size:
            continue
        crate = crate_of(parts[3])
        by_crate[crate] = by_crate.get(crate, 0) + int(parts[1], 16)
    return flash, by_crate


def main():
    results = {}
    tmp = tempfile.mkdtemp()
    for board, (profile, target, origin, size) in BOARDS.items():
        subprocess.run(["cargo", "build", "-q", "--profile", profile, "--target", target,
                        "--features", f"board-{board}"], cwd=HERE, check=True)
        copy = os.path.join(tmp, board)
        shutil.copy(os.path.join(HERE, "target", target, profile, "tinyml-firmware"), copy)
        results[board] = measure(copy, origin, size)
    print("| | " + " | ".join(f"{b} ({p[0]})" for b, p in BOARDS.items()) + " |")
    print("| --- | " + " | ".join("---:" for _ in BOARDS) + " |")
    print("| **flash used (boot2, vector table, code, constants)** | "
          + " | ".join(f"**{results[b][0]:,} B**" for b in BOARDS) + " |")
    seen = set()
    for label, crates in GROUPS:
        seen.update(crates)
        print(f"| {label} | " + " | ".join(
            f"{sum(results[b][1].get(c, 0) for c in crates):,} B" for b in BOARDS) + " |")
    rest = lambda b: sum(v for k, v in results[b][1].items() if k not in seen)
    print("| anonymous constants (strings, tables: mostly the engine's) and other | " + " | ".join(f"{rest(b):,} B" for b in BOARDS) + " |")
    # Bytes in flash sections that no symbol covers (the thumbv6m build names fewer of its
    # constants than the thumbv7em one).
    unnamed = lambda b: results[b][0] - sum(results[b][1].values())
    print("| not covered by any symbol (constants the linker left unnamed, padding) | "
          + " | ".join(f"{unnamed(b):,} B" for b in BOARDS) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
