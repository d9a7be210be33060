#!/usr/bin/env python3
"""Edits trainer/model/cuda_seed_gemm_pins.cc in place into one of session 39's pin-table
variants, for run_s39a.sh to build one sg-bench a variant and time them in the step (the
isolated search of session 38 ranked configurations with the operands hot in L2, and its
fastest ran slower in the step: docs/performance.md, session 39). The file must be main's,
or main's with session 38's pins-by-card.patch applied (for the h200 variants).

  pin_variant.py nopins     every product takes cuBLASLt's heuristic's first
  pin_variant.py h100no4    main's (the H100's) table without its 10-seed clusters of four
  pin_variant.py h200hopper the patched H200 table without its two Ampere-kernel pins
Exits 1, naming what it did not find, where the file is not what the variant expects.
"""
import re
import sys

PATH = "trainer/model/cuda_seed_gemm_pins.cc"


def drop_lines(text, pattern, expected):
    """Removes the lines matching pattern, and a comment line right above each."""
    lines = text.split("\n")
    out, dropped = [], 0
    for line in lines:
        if re.search(pattern, line):
            if out and out[-1].strip().startswith("//") and "->" in out[-1]:
                out.pop()  # the pin's timing comment stood on its own line
            dropped += 1
            continue
        out.append(line)
    if dropped != expected:
        sys.exit(f"pin_variant: {dropped} lines matched {pattern!r}, expected {expected}")
    return "\n".join(out)


def main():
    variant = sys.argv[1] if len(sys.argv) == 2 else ""
    text = open(PATH).read()
    if variant == "nopins":
        gate = "const AlgoConfig* PinnedConfig(const Product& p, bool tf32, "
        gate += "const DeviceKind& device) {\n"
        if gate not in text:
            sys.exit("pin_variant: PinnedConfig's definition not found")
        text = text.replace(gate, gate + "  return nullptr;  // nopins\n")
    elif variant == "h100no4":
        if "H200Pins" in text:
            sys.exit("pin_variant: h100no4 takes main's file, not the patched one")
        text = drop_lines(text, r"\b10, Hopper\(.*kCluster(1x4|4x1)\)", 5)
    elif variant == "h200hopper":
        if "H200Pins" not in text:
            sys.exit("pin_variant: h200hopper takes the file with pins-by-card.patch applied")
        text = drop_lines(text, r"\b10, Ampere\(", 2)
    else:
        sys.exit(__doc__)
    open(PATH, "w").write(text)


if __name__ == "__main__":
    main()
