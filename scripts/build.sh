#!/usr/bin/env bash
# Configures and builds transaxx into build/ (Release, Ninja, ccache when present).
# Extra CMake arguments can be passed in AXX_CMAKE_ARGS, e.g. AXX_CMAKE_ARGS="-DAXX_SANITIZE=ON".
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${AXX_BUILD_DIR:-build}
# ccache keys on paths relative to the checkout, so another clone of the repository (CI's fresh
# clone) reuses this machine's cache.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$(pwd)}
# shellcheck disable=SC2086
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release ${AXX_CMAKE_ARGS:-}
cmake --build "$BUILD_DIR" -j "$(nproc)"
