#!/usr/bin/env python3
"""Checks that the parts of transaxx depend on each other only in the allowed direction.

Every `#include "part/..."` of a source file under a part's folder must name the part itself or
one of the parts it may use (docs/architecture.md draws the same graph). The link lines in the
CMakeLists enforce the same arrows for code; this also catches header-only uses.

  python3 scripts/check_layers.py [--root DIR]     exit 0 when clean, 1 listing every violation
"""
from __future__ import annotations

import argparse
import pathlib
import re
import sys

# part folder -> the parts it may include (besides itself). Longest folder prefix wins.
ALLOWED = {
    "common": [],
    "mpi": ["common"],                            # ranks, item splits, gather/broadcast
    "multipliers_rtl": ["common"],
    "eda": ["common"],
    "characterize": ["common", "eda", "multipliers_rtl", "mpi"],
    "hwgen": ["common"],
    "hwgen/verify": ["common", "eda", "hwgen"],
    "search": ["common"],
    "emulation": ["common", "emulation/cuda"],    # the engine core: no models, data or tools
    "emulation/cuda": ["common"],
    "emulation/data": ["common"],
    "emulation/models": ["common", "emulation"],
    "emulation/import": ["common", "emulation", "emulation/models"],
    "emulation/train": ["common", "emulation", "emulation/cuda", "emulation/data", "emulation/models", "emulation/import",
                        "mpi"],
    "model_search": ["common", "search", "emulation", "emulation/cuda", "emulation/data", "emulation/models",
                     "emulation/import", "emulation/train", "mpi"],
    "flows": ["common", "multipliers_rtl", "eda", "characterize", "hwgen", "search"],
    "apps": ["common", "mpi", "multipliers_rtl", "eda", "characterize", "hwgen", "hwgen/verify", "search", "emulation/cuda",
             "emulation", "emulation/data", "emulation/models", "emulation/import", "emulation/train",
             "model_search", "flows"],
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def part_of(rel: str) -> str | None:
    """The part a path (relative to the root, with '/') belongs to: the longest matching folder."""
    best = None
    for p in ALLOWED:
        if rel == p or rel.startswith(p + "/"):
            if best is None or len(p) > len(best):
                best = p
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", default=str(pathlib.Path(__file__).resolve().parent.parent))
    args = ap.parse_args()
    root = pathlib.Path(args.root)
    bad = []
    checked = 0
    for path in sorted(root.rglob("*")):
        if path.suffix not in (".cpp", ".hpp", ".cu", ".cuh", ".h") or not path.is_file():
            continue
        rel = path.relative_to(root).as_posix()
        if rel.split("/")[0] not in {p.split("/")[0] for p in ALLOWED}:
            continue  # tests/, bench/, examples/, build folders
        src = part_of(rel)
        if src is None:
            continue
        checked += 1
        for n, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            m = INCLUDE.match(line)
            if not m or "/" not in m.group(1):
                continue  # local or generated headers ("Vharness.h")
            target = part_of(m.group(1))
            if target is None:
                continue
            if target == src or target in ALLOWED[src]:
                continue
            bad.append(f"{rel}:{n}: {src}/ may not include {m.group(1)} (part {target}/); "
                       f"{src}/ may use: {', '.join(ALLOWED[src]) or 'nothing of ours'}")
    if bad:
        print("\n".join(bad))
        print(f"check_layers: {len(bad)} include(s) against the dependency direction "
              f"(docs/architecture.md)")
        return 1
    print(f"check_layers: {checked} files, every include points down the dependency graph")
    return 0


if __name__ == "__main__":
    sys.exit(main())
