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
else
  echo "deps.sh: installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    SUDO=sudo
  else
    SUDO=
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# npm packages for the browser interop tests (tests/interop/browser): playwright-core drives Debian's
# /usr/bin/chromium. Installed into .cache/node (git-ignored), pinned.
PLAYWRIGHT_VERSION=1.65.1
root=$(cd "$(dirname "$0")/.." && pwd)
node_dir="$root/.cache/node"
if [ "$(node -p "try{require('$node_dir/node_modules/playwright-core/package.json').version}catch(e){''}" 2>/dev/null)" != "$PLAYWRIGHT_VERSION" ]; then
  echo "deps.sh: installing playwright-core@$PLAYWRIGHT_VERSION into $node_dir"
  mkdir -p "$node_dir"
  [ -f "$node_dir/package.json" ] || echo '{"name":"tern-test-deps","private":true}' > "$node_dir/package.json"
  (cd "$node_dir" && npm install --no-audit --no-fund --loglevel=error "playwright-core@$PLAYWRIGHT_VERSION")
fi
