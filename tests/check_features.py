#!/usr/bin/env python3
"""Fails when an optional feature of the build is off, or a tool or data set the tests use is
missing, though scripts/setup.sh provides it: a default build must not lose a feature silently.

Reads the build's axx_features.json (written by CMakeLists.txt): {"name": {"on", "wanted", "what"}}.
A feature that is off is a failure when it was wanted (its option left on; CUDA kernels only where
nvcc exists) or, under CI=true, always. Usage: check_features.py BUILD/axx_features.json
"""
import json
import os
import shutil
import sys


def main() -> int:
    features = json.load(open(sys.argv[1]))
    ci = os.environ.get("CI", "").lower() == "true"
    problems = []
    for name, f in features.items():
        print(f"{name}: {'on' if f['on'] else 'off'} ({f['what']})")
        if not f["on"] and (f["wanted"] or (ci and name != "cuda_kernels")):
            problems.append(f"feature '{name}' is off: {f['what']}")
    # What the tests use at run time; missing, their tests skip instead of failing.
    for prog in ("yosys", "verilator", "sta"):
        if not shutil.which(prog):
            problems.append(f"program '{prog}' not found (scripts/setup.sh installs it)")
    for path, pkg in (("/usr/share/qflow/tech/osu018/osu018_stdcells.lib", "qflow-tech-osu018"),
                      ("/usr/share/datasets/fashion-mnist", "dataset-fashion-mnist")):
        if not os.path.exists(path):
            problems.append(f"'{path}' missing (Debian package {pkg}; scripts/setup.sh installs it)")
    for p in problems:
        print("check_features: " + p + "; run scripts/setup.sh and configure again", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
