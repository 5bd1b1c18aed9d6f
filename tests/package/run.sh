#!/usr/bin/env bash
# Builds tern's libraries from SOURCE (plain compiler, no sanitizers), installs them into a temporary
# prefix, then builds and runs tests/package/consumer against the installed copy: once through CMake's
# find_package(tern), once through pkg-config. Does it for a static and a shared build.
set -euo pipefail
src=${1:?source dir}
work=${2:?work dir}
rm -rf "$work"
mkdir -p "$work"

launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi

for kind in static shared; do
  shared=OFF
  [ "$kind" = shared ] && shared=ON
  prefix="$work/$kind/prefix"
  echo "== $kind: build and install tern into $prefix"
  # Clear sanitizer flags a parent build may have exported.
  env -u CFLAGS -u CXXFLAGS -u LDFLAGS cmake -S "$src" -B "$work/$kind/tern" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DBUILD_SHARED_LIBS=$shared -DTERN_BUILD_TESTS=OFF -DTERN_BUILD_BENCH=OFF -DTERN_BUILD_EXAMPLES=OFF \
    -DCMAKE_INSTALL_PREFIX="$prefix" "${launcher[@]}" >/dev/null
  cmake --build "$work/$kind/tern" -j2 >/dev/null
  cmake --install "$work/$kind/tern" >/dev/null
  test -f "$prefix/lib/cmake/tern/ternConfig.cmake"
  test -f "$prefix/lib/cmake/tern/ternConfigVersion.cmake"
  test -f "$prefix/lib/pkgconfig/tern.pc"

  echo "== $kind: consumer via find_package(tern)"
  cmake -S "$src/tests/package/consumer" -B "$work/$kind/consumer" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$work/$kind/consumer" >/dev/null
  "$work/$kind/consumer/tern_consumer"

  echo "== $kind: consumer via pkg-config"
  export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
  # shellcheck disable=SC2046
  g++ -std=c++20 "$src/tests/package/consumer/main.cc" -o "$work/$kind/pc_consumer" \
    $(pkg-config --cflags tern) $(pkg-config --libs $([ "$kind" = static ] && echo --static) tern) \
    -Wl,-rpath,"$prefix/lib"
  "$work/$kind/pc_consumer"
done
echo "package test: static and shared, CMake and pkg-config consumers all ran"
# BoringSSL, never OpenSSL: every libcrypto the consumers load must come from the android/ folder.
for bin in "$work"/static/consumer/tern_consumer "$work"/shared/consumer/tern_consumer "$work"/*/pc_consumer; do
  if ldd "$bin" | grep -E 'libcrypto|libssl' | grep -v '/android/'; then
    echo "FAIL: $bin loads a libcrypto/libssl that is not Debian's BoringSSL" >&2
    exit 1
  fi
done
echo "package test: all consumers load BoringSSL from the android/ folder"
