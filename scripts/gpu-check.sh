#!/usr/bin/env bash
# The GPU check of issue 16 (docs/gpu.md): on a machine with an NVIDIA GPU, nvcc, CMake, ninja and
# a CUDA PyTorch, but no Debian dev packages and no network, builds the emulation engine only
# (AXX_EMULATION_ONLY: no Yosys/Verilator parts) against that PyTorch's LibTorch and .gpu-deps/
# (scripts/gpu-deps.sh, run beforehand on a CPU machine), runs the parity suite (every LUT GEMM
# backend against the CPU reference, tensors and whole models CPU vs CUDA) and the GPU benchmark,
# and writes JSON. Exit 1 on any parity failure, or when a GPU is present but the CUDA cases were
# skipped; a summary is printed last.
#
#   bash scripts/gpu-check.sh
#
# Environment (all optional):
#   OUT                   where results go (default: gpu-check-out/); logs under OUT/logs/
#   AXX_TORCH_DIR         a LibTorch CMake folder to use instead of the python3 torch's (e.g.
#                         /usr/lib/x86_64-linux-gnu/cmake/Torch: Debian's CPU LibTorch, to test
#                         this script on a CPU machine; the CUDA cases then skip)
#   AXX_CUDA_ARCHITECTURES  default: native where nvidia-smi sees a GPU, else 90
#   AXX_GPU_BUILD_DIR     default: build-gpu
#   AXX_JOBS              build jobs (default: nproc)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT_DIR=${OUT:-$ROOT/gpu-check-out}
BUILD=${AXX_GPU_BUILD_DIR:-build-gpu}
DEPS=$ROOT/.gpu-deps
JOBS=${AXX_JOBS:-$(nproc)}
mkdir -p "$OUT_DIR/logs"
LOGS=$OUT_DIR/logs
exec > >(tee "$LOGS/gpu-check.log") 2>&1
T0=$(date +%s)
section() { echo; echo "== $* ($(( $(date +%s) - T0 )) s)"; }
fail() { echo "gpu-check: FAILED: $*" >&2; exit 1; }

section "environment"
uname -a || true
echo "cores: $(nproc)"
HAVE_GPU=0
if command -v nvidia-smi > /dev/null && nvidia-smi > "$LOGS/nvidia-smi.txt" 2>&1; then
  HAVE_GPU=1
  cat "$LOGS/nvidia-smi.txt"
else
  echo "nvidia-smi: no GPU visible (the CUDA cases will skip)"
fi
NVCC=$(command -v nvcc || true)
[[ -z "$NVCC" && -x /usr/local/cuda/bin/nvcc ]] && NVCC=/usr/local/cuda/bin/nvcc
[[ -n "$NVCC" ]] || fail "nvcc not found (PATH or /usr/local/cuda/bin)"
"$NVCC" --version
cmake --version | head -1
ninja --version || fail "ninja not found"
[[ -d "$DEPS/usr/include/fmt" ]] || fail "$DEPS missing: run scripts/gpu-deps.sh on a machine with apt first (and carry .gpu-deps)"
cat "$DEPS/VERSIONS" || true

if [[ -n "${AXX_TORCH_DIR:-}" ]]; then
  TORCH_ARGS=(-DTorch_DIR="$AXX_TORCH_DIR")
  echo "LibTorch: $AXX_TORCH_DIR (AXX_TORCH_DIR)"
else
  python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "cxx11_abi",
              torch.compiled_with_cxx11_abi(), "cuda_available", torch.cuda.is_available())' \
    || fail "python3 cannot import torch; install a CUDA PyTorch or set AXX_TORCH_DIR"
  TORCH_PREFIX=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
  TORCH_ARGS=(-DCMAKE_PREFIX_PATH="$TORCH_PREFIX" -DTorch_DIR="$TORCH_PREFIX/Torch")
  echo "LibTorch: $TORCH_PREFIX"
fi
ARCHS=${AXX_CUDA_ARCHITECTURES:-}
[[ -z "$ARCHS" ]] && { if (( HAVE_GPU )); then ARCHS=native; else ARCHS=90; fi; }

section "configure ($BUILD, CUDA architectures $ARCHS)"
# Everything besides CUDA and LibTorch comes from .gpu-deps/ (named explicitly, so a machine's
# /usr/include copies are never picked by accident; checked below).
if ! cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DAXX_EMULATION_ONLY=ON -DAXX_FMT_HEADER_ONLY=ON -DAXX_WITH_MPI=OFF -DAXX_WITH_IMAGE_FOLDERS=OFF \
    -DAXX_BUILD_TESTS=ON -DAXX_BUILD_BENCH=ON -DAXX_CUDA_ARCHITECTURES="$ARCHS" \
    -DCMAKE_CUDA_COMPILER="$NVCC" "${TORCH_ARGS[@]}" \
    -Dfmt_DIR="$DEPS/usr/lib/x86_64-linux-gnu/cmake/fmt" \
    -Dnlohmann_json_DIR="$DEPS/usr/share/cmake/nlohmann_json" \
    -DZLIB_INCLUDE_DIR="$DEPS/usr/include" -DZLIB_LIBRARY="$DEPS/usr/lib/x86_64-linux-gnu/libz.a" \
    -DAXX_GTEST_SOURCE_DIR="$DEPS/usr/src/googletest" > "$LOGS/configure.log" 2>&1; then
  tail -40 "$LOGS/configure.log"
  fail "configure (log: $LOGS/configure.log)"
fi
grep "transaxx:" "$LOGS/configure.log" || true
grep -q "AXX_TORCH_HAS_CUDA\|LibTorch has CUDA" "$LOGS/configure.log" && TORCH_CUDA=1 || TORCH_CUDA=0
echo "LibTorch with CUDA: $TORCH_CUDA"

section "build (emulation targets, parity tests, bench_gpu; -j $JOBS)"
if ! cmake --build "$BUILD" -j "$JOBS" --target test_emulation test_emulation_cuda bench_gpu > "$LOGS/build.log" 2>&1; then
  grep -n "error" "$LOGS/build.log" | head -20 || true
  tail -30 "$LOGS/build.log"
  fail "build (log: $LOGS/build.log)"
fi
# The third-party headers came from .gpu-deps/, not from a system folder.
for dep in fmt/format.h nlohmann/json.hpp zlib.h; do
  used=$(ninja -C "$BUILD" -t deps 2>/dev/null | grep -m1 "/$dep\$" | sed 's/^ *//' || true)
  echo "header $dep: ${used:-not used}"
  [[ -z "$used" || "$used" == "$DEPS"* || "$used" == .gpu-deps* || "$used" == *"/.gpu-deps/"* ]] \
    || fail "$dep was taken from $used, not from $DEPS"
done

section "parity suite"
status=0
"$BUILD/tests/emulation/test_emulation" --gtest_filter='LutGemm*:LutMatmul*:LutBmm*' \
  --gtest_output="json:$OUT_DIR/parity_lut_gemm.json" > "$LOGS/parity_lut_gemm.log" 2>&1 || status=1
"$BUILD/tests/emulation/test_emulation_cuda" --gtest_output="json:$OUT_DIR/parity_cuda.json" \
  > "$LOGS/parity_cuda.log" 2>&1 || status=1
grep -E "^\[  (FAILED|SKIPPED|  OK|PASSED) " "$LOGS/parity_lut_gemm.log" "$LOGS/parity_cuda.log" | sed 's/^.*logs\///' || true

section "GPU benchmark"
bench_status=0
"$BUILD/bench/emulation/bench_gpu" > "$OUT_DIR/bench_gpu.json.tmp" 2> "$LOGS/bench_gpu.log" || bench_status=$?
mv "$OUT_DIR/bench_gpu.json.tmp" "$OUT_DIR/bench_gpu.json"
head -c 4000 "$OUT_DIR/bench_gpu.json"; echo

section "summary"
rc=0
python3 - "$OUT_DIR" "$status" "$bench_status" "$HAVE_GPU" "$TORCH_CUDA" "$(( $(date +%s) - T0 ))" <<'PY' || rc=$?
import json, os, sys
out, status, bench_status, have_gpu, torch_cuda, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
summary = {"seconds": seconds, "gpu_visible": bool(have_gpu), "libtorch_cuda": bool(torch_cuda), "suites": {}}
skipped_cuda = []
for name in ("parity_lut_gemm", "parity_cuda"):
    path = os.path.join(out, name + ".json")
    if not os.path.exists(path):
        summary["suites"][name] = {"error": "no result file (crashed?)"}
        continue
    r = json.load(open(path))
    tests = [t for s in r.get("testsuites", []) for t in s.get("testsuite", [])]
    failed = [f'{t["classname"]}.{t["name"]}' for t in tests if t.get("failures")]
    skipped = [f'{t["classname"]}.{t["name"]}' for t in tests if t.get("result") == "SKIPPED"]
    skipped_cuda += [s for s in skipped if "Cuda" in s]
    summary["suites"][name] = {"tests": len(tests), "failed": failed, "skipped": skipped}
try:
    bench = json.load(open(os.path.join(out, "bench_gpu.json")))
    summary["bench"] = {k: bench.get(k) for k in ("skipped", "reason", "device", "results_vs_targets") if k in bench}
except Exception as e:  # noqa: BLE001 - report whatever went wrong
    summary["bench"] = {"error": str(e)}
problems = []
if status:
    problems.append("parity failures (see the suites' failed lists and logs/parity_*.log)")
if any("error" in v for v in summary["suites"].values()):
    problems.append("a parity suite left no result")
if have_gpu and skipped_cuda:
    problems.append(f"a GPU is visible but {len(skipped_cuda)} CUDA cases skipped (LibTorch without CUDA?)")
if bench_status:
    problems.append(f"bench_gpu exited {bench_status}")
summary["problems"] = problems
summary["ok"] = not problems
tmp = os.path.join(out, "summary.json.tmp")
json.dump(summary, open(tmp, "w"), indent=2)
os.replace(tmp, os.path.join(out, "summary.json"))
print(json.dumps(summary, indent=2))
sys.exit(1 if problems else 0)
PY
echo "gpu-check: results in $OUT_DIR (summary.json, parity_*.json, bench_gpu.json, logs/)"
exit $rc
