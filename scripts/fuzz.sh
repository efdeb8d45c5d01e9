#!/usr/bin/env bash
# Builds the parsers' fuzz tests (tests/fuzz, label `fuzz`) and the libraries they need with
# AddressSanitizer and UndefinedBehaviorSanitizer (-fno-sanitize-recover) into build-fuzz/ and runs
# them: every mutated input must be read or refused with a coded axx::Error, with no sanitizer
# report. scripts/test.sh runs it after the main suite; alone: bash scripts/fuzz.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${AXX_FUZZ_BUILD_DIR:-build-fuzz}
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$(pwd)}
# -O1: the sanitizers' usual level; it compiles the LibTorch translation units faster than -O3.
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O1 -DNDEBUG" \
  -DAXX_SANITIZE=ON -DAXX_WITH_CUDA=OFF -DAXX_BUILD_BENCH=OFF > /dev/null
# The tests labelled exactly `fuzz` (the LibTorch-based ones, `fuzz_torch`, run in the main suite).
targets=$(cd "$BUILD_DIR" && ctest -N -L '^fuzz$' | sed -n 's/.*Test *#[0-9]*: *\(test_fuzz_[a-z_]*\).*/\1/p' | sort -u)
if [ -z "$targets" ]; then echo "fuzz.sh: no tests labelled fuzz in $BUILD_DIR" >&2; exit 1; fi
# shellcheck disable=SC2086
cmake --build "$BUILD_DIR" -j "$(nproc)" --target $targets
cd "$BUILD_DIR"
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
ctest -L '^fuzz$' --output-on-failure -j "$(nproc)"
