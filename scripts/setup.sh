#!/usr/bin/env bash
# Installs every Debian 12 package transaxx needs (build, tools, data, tests).
# Idempotent: packages already installed are left as they are.
# Usage: sudo scripts/setup.sh   (or as root)
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake ninja-build ccache pkg-config git
  # C++ libraries
  libfmt-dev libgtest-dev libgmock-dev nlohmann-json3-dev libcli11-dev libspdlog-dev libtomlplusplus-dev zlib1g-dev
  # image folders (JPEG/PNG datasets)
  libjpeg-dev libpng-dev
  # hardware tools and standard cells
  yosys verilator qflow-tech-osu018 opensta
  # tensors (CPU LibTorch) and a fast BLAS for it
  libtorch-dev libopenblas0-pthread
  # MPI: the item-list commands across processes and machines (optional at build time: AXX_WITH_MPI)
  libopenmpi-dev openmpi-bin
  # data
  dataset-fashion-mnist
  # reference models for tests (TorchScript export)
  python3 python3-torch python3-torchvision python3-numpy
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "setup.sh: run as root or install sudo" >&2; exit 1
  fi
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup.sh: all ${#PACKAGES[@]} packages already installed"
  exit 0
fi

echo "setup.sh: installing ${#missing[@]} packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "setup.sh: done"
