#!/bin/bash -eu
# OSS-Fuzz / ClusterFuzzLite build script for tern's fuzzers (fuzz/CMakeLists.txt). Uses the
# environment the base-builder image provides: $CC $CXX $CFLAGS $CXXFLAGS (sanitizer and
# -fsanitize=fuzzer-no-link flags), $LIB_FUZZING_ENGINE, $SRC, $WORK and $OUT. Writes to $OUT each
# fuzzer, its seed corpus as <fuzzer>_seed_corpus.zip, its dictionary and options, and in $OUT/lib the
# shared libraries it needs that the runner image lacks (Abseil, BoringSSL), found through
# RUNPATH $ORIGIN/lib.
#
# To try it outside Docker (what scripts/fuzz-smoke.sh does not cover):
#   CC=clang CXX=clang++ CFLAGS=-fsanitize=fuzzer-no-link,address CXXFLAGS=-fsanitize=fuzzer-no-link,address \
#   LIB_FUZZING_ENGINE=-fsanitize=fuzzer OUT=$(mktemp -d) SRC=/work WORK=$(mktemp -d) fuzz/oss-fuzz/build.sh

# The tern sources: $SRC/tern in the image, otherwise the repository holding this script.
if [[ -f "$SRC/tern/CMakeLists.txt" ]]; then
  tern_src="$SRC/tern"
else
  tern_src="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
fi

# tern links the distribution's Abseil, which is built against libstdc++: drop OSS-Fuzz's libc++ so
# std::string in Abseil's API means the same type on both sides (fine for ASan/UBSan; MSan would need
# every dependency rebuilt, which is why project.yaml does not ask for it).
CXXFLAGS="${CXXFLAGS//-stdlib=libc++/}"

mapfile -t fuzzers < <(cd "$tern_src/fuzz" && ls *_fuzzer.cc | sed "s/_fuzzer\.cc$//")
build="$WORK/tern-fuzz-build"

cmake -S "$tern_src" -B "$build" -G Ninja \
  -DCMAKE_BUILD_TYPE=None \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" \
  -DCMAKE_C_FLAGS="$CFLAGS" -DCMAKE_CXX_FLAGS="$CXXFLAGS" \
  -DCMAKE_BUILD_RPATH='$ORIGIN/lib' \
  -DBUILD_SHARED_LIBS=OFF \
  -DTERN_BUILD_FUZZERS=ON -DTERN_BUILD_TESTS=OFF -DTERN_BUILD_BENCH=OFF -DTERN_BUILD_EXAMPLES=OFF \
  -DTERN_FUZZ_ENGINE="$LIB_FUZZING_ENGINE"
targets=()
for name in "${fuzzers[@]}"; do targets+=("${name}_fuzzer"); done
cmake --build "$build" -j"$(nproc)" --target "${targets[@]}"

mkdir -p "$OUT/lib"
for name in "${fuzzers[@]}"; do
  fuzzer="${name}_fuzzer"
  cp "$build/fuzz/$fuzzer" "$OUT/"
  rm -f "$OUT/${fuzzer}_seed_corpus.zip"
  (cd "$tern_src/fuzz/corpus/$name" && zip -q -j -X "$OUT/${fuzzer}_seed_corpus.zip" ./*)
  cp "$tern_src/fuzz/stun.dict" "$OUT/$fuzzer.dict"
  printf '[libfuzzer]\nmax_len = 4096\ndict = %s.dict\n' "$fuzzer" >"$OUT/$fuzzer.options"
  # Shared libraries outside the base image: Abseil's and BoringSSL's (Debian/Ubuntu "android" folder).
  ldd "$OUT/$fuzzer" | awk '$2 == "=>" && $3 ~ /^\// {print $3}' |
    grep -E '/libabsl_[^/]*\.so|/android/lib[^/]*\.so' | while read -r lib; do
      # Already resolved to $OUT/lib when an earlier fuzzer copied it there.
      if [[ ! -e "$OUT/lib/$(basename "$lib")" ]]; then cp -L "$lib" "$OUT/lib/"; fi
    done
done
