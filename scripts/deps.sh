#!/usr/bin/env bash
# Installs every Debian package tern builds, tests and benchmarks with. Idempotent: packages already
# present are left alone, and apt is only asked when something is missing.
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential g++ cmake ninja-build ccache pkg-config git
  clang llvm libclang-rt-14-dev
  # libraries
  libabsl-dev android-libboringssl-dev libusrsctp-dev libsrtp2-dev libopus-dev libvpx-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # anchors and real peers
  golang-go golang-github-pion-stun-dev golang-github-pion-ice.v2-dev golang-github-pion-webrtc.v3-dev
  python3-aiortc
  chromium nodejs
  iproute2 iptables
  coturn
  openssl
  # OSS-Fuzz / fuzz smoke helpers
  python3
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "deps.sh: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "deps.sh: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
