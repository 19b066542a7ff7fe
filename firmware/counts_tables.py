#!/usr/bin/env python3
"""Prints BENCHMARKS.md's QEMU tables from the report `firmware/qemu_check.py --report` writes
(scripts/test writes target/qemu-counts.json), so that every figure in them comes from one run.

Usage: python3 firmware/counts_tables.py target/qemu-counts.json
"""

import json
import sys
from collections import defaultdict

M4 = "netduinoplus2"
M4_SMALL = "stm32f411-blackpill"
M0 = "qemu-m0"


def n(v):
    return f"{v:,}"


def macs(run):
    return sum(op["macs"] for op in run["ops"])


def main():
    report = json.load(open(sys.argv[1]))
    print("Cortex-M4F (netduinoplus2, \"s\"; F411 \"z\"):\n")
    print("| model | MACs | instructions, \"s\" (F405, F407) | instructions / MAC "
          "| instructions, \"z\" (F411) | arena | stack high-water |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for model, runs in report.items():
        m4, small = runs[M4], runs.get(M4_SMALL)
        k = macs(m4)
        per = f"{m4['count'] / k:.1f}" if k else ""
        print(f"| {model} | {n(k)} | {n(m4['count'])} | {per} | "
              f"{n(small['count']) if small else ''} | {n(m4['arena'])} B | {n(m4['stack'])} B |")

    print("\nperson_detect by op, \"s\" build:\n")
    print("| op | count | instructions | MACs | instructions / MAC |")
    print("| --- | ---: | ---: | ---: | ---: |")
    by_op = defaultdict(lambda: [0, 0, 0])
    for op in report["person_detect"][M4]["ops"]:
        t = by_op[op["op"]]
        t[0] += 1
        t[1] += op["count"]
        t[2] += op["macs"]
    for op, (count, ins, k) in sorted(by_op.items(), key=lambda kv: -kv[1][1]):
        per = f"{ins / k:.1f}" if k else ""
        print(f"| {op} | {count} | {n(ins)} | {n(k)} | {per} |")

    print("\nCortex-M0 (qemu-m0) beside the Cortex-M4F:\n")
    print("| model | MACs | instructions, Cortex-M0 | instructions / MAC | instructions, "
          "Cortex-M4F (\"s\", same run) | M0 / M4F | arena | stack high-water |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for model, runs in report.items():
        if M0 not in runs:
            continue
        m0, m4 = runs[M0], runs[M4]
        k = macs(m0)
        per = f"{m0['count'] / k:.1f}" if k else ""
        print(f"| {model} | {n(k)} | {n(m0['count'])} | {per} | {n(m4['count'])} | "
              f"{m0['count'] / m4['count']:.2f} | {n(m0['arena'])} B | {n(m0['stack'])} B |")


if __name__ == "__main__":
    main()
