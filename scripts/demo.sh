#!/usr/bin/env bash
# Installs what transaxx needs, builds it, and runs the main job: characterize the built-in
# multiplier library (Yosys + Verilator + OSU 0.18 um cells) into runs/library/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
./build/apps/transaxx library build --out runs/library -j "$(nproc)"
echo
echo "Library: runs/library/library.csv, scatter plot runs/library/library.svg,"
echo "one record (.json), LUT (.npy) and error map (.error.svg) per multiplier."
