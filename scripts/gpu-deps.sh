#!/usr/bin/env bash
# Fetches what the emulation-only GPU build needs besides CUDA and PyTorch (scripts/gpu-check.sh,
# docs/gpu.md) into .gpu-deps/ (git-ignored), on this CPU machine, beforehand: a typical GPU node
# has nvcc, CMake, ninja and a CUDA PyTorch but no Debian dev packages and no network.
#
#   scripts/gpu-deps.sh            download (apt-get download: no root, no install) and unpack
#
# Debian packages, unpacked with dpkg-deb -x (nothing is installed):
#   libfmt-dev          fmt headers + CMake config (the build uses fmt::fmt-header-only: no
#                       prebuilt library whose C++ ABI could differ from the wheel's LibTorch)
#   nlohmann-json3-dev  nlohmann/json (header-only)
#   googletest          GoogleTest sources (built with LibTorch's ABI flag)
#   zlib1g-dev          zlib headers and the static libz.a
# Kept under 64 MiB (the device machine's carry limit); the script checks it.
set -euo pipefail
cd "$(dirname "$0")/.."
DEST=.gpu-deps
PACKAGES=(libfmt-dev nlohmann-json3-dev googletest zlib1g-dev)
rm -rf "$DEST.tmp"
mkdir -p "$DEST.tmp/debs"
(cd "$DEST.tmp/debs" && apt-get download "${PACKAGES[@]}")
for deb in "$DEST.tmp"/debs/*.deb; do
  dpkg-deb -x "$deb" "$DEST.tmp"
done
rm -rf "$DEST.tmp/debs" "$DEST.tmp/usr/share/doc" "$DEST.tmp/usr/share/man"
# Only fmt's header-only target is used: drop the prebuilt library's CMake entry (it would demand
# libfmt.so.9, which libfmt-dev does not hold) and the symlinks into packages not unpacked here
# (libz.so points at this machine's /lib; the build links the static libz.a).
rm -f "$DEST.tmp"/usr/lib/x86_64-linux-gnu/cmake/fmt/fmt-targets-*.cmake \
      "$DEST.tmp/usr/lib/x86_64-linux-gnu/libfmt.so" "$DEST.tmp/usr/lib/x86_64-linux-gnu/libz.so"
# What the build points at (gpu-check.sh checks these exist).
for f in usr/include/fmt/format.h usr/include/nlohmann/json.hpp usr/src/googletest/CMakeLists.txt \
         usr/include/zlib.h usr/lib/x86_64-linux-gnu/libz.a; do
  [[ -e "$DEST.tmp/$f" ]] || { echo "gpu-deps: $f missing after unpacking ${PACKAGES[*]}" >&2; exit 1; }
done
{
  echo "# scripts/gpu-deps.sh, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  dpkg-query -W -f='${Package} ${Version}\n' "${PACKAGES[@]}" 2>/dev/null || true
  for p in "${PACKAGES[@]}"; do apt-cache policy "$p" | sed -n 's/^  Candidate: /'"$p"' candidate /p'; done
} > "$DEST.tmp/VERSIONS"
size_kib=$(du -sk "$DEST.tmp" | cut -f1)
if (( size_kib > 64 * 1024 )); then
  echo "gpu-deps: $DEST is ${size_kib} KiB, over the 64 MiB the device machine carries" >&2
  exit 1
fi
rm -rf "$DEST"
mv "$DEST.tmp" "$DEST"
echo "gpu-deps: $DEST ready (${size_kib} KiB): ${PACKAGES[*]}"
