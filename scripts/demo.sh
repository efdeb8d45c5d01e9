#!/usr/bin/env bash
# Installs what transaxx needs, builds it, and runs the main job: the demo co-design flow
# (examples/demo/flow.toml) — characterize the built-in signed multipliers (Yosys + Verilator +
# OSU 0.18 um cells), emulate the shipped Fashion-MNIST ViT with them, measure per-layer
# sensitivity, search the accuracy-power front (MCTS against NSGA-II and random), fine-tune the
# chosen points, generate and verify the systolic-array accelerator, and write the report.
# Killed halfway, it continues where it stopped when run again.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
./build/apps/transaxx flow run examples/demo/flow.toml
echo
echo "Report: runs/demo/report/report.html (self-contained; the numbers are in report.json)."
# The result in one line (the last line `transaxx flow run` printed above, repeated last).
python3 - <<'PY'
import json
h = json.load(open("runs/demo/report/report.json")).get("headline")
if h:
    print(f"headline: {100 * (1 - h['power_rel']):.1f} % of the multiplier energy saved at {100 * h['after_top1']:.2f} % "
          f"top-1 after fine-tuning ({100 * h['before_top1']:.2f} % before; exact 8-bit {100 * h['exact8_top1']:.2f} %)")
else:
    print("headline: no fine-tuned point within [finetune] max_drop of exact 8-bit")
PY
