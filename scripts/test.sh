#!/usr/bin/env bash
# Installs what transaxx needs, builds it with its tests, and runs them (the README's test command);
# the fuzz tests run sanitized in their own build (scripts/fuzz.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
(cd "${AXX_BUILD_DIR:-build}" && ctest --output-on-failure -j "$(nproc)" -LE '^fuzz$')
# The parsers' fuzz tests, under ASan+UBSan in build-fuzz/ (instead of unsanitized in build/).
bash scripts/fuzz.sh
