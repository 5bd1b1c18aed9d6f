#!/usr/bin/env bash
# Runs every benchmark binary in BUILD/bench once, briefly, so a broken benchmark fails CI. The figures
# from this are not measurements (see bench/RESULTS.md for how those are taken).
set -euo pipefail
build=${1:-build/release}
shopt -s nullglob
benches=("$build"/bench/*_bench)
if [ ${#benches[@]} -eq 0 ]; then
  echo "bench-smoke: no benchmark binaries in $build/bench" >&2
  exit 1
fi
for b in "${benches[@]}"; do
  echo "bench-smoke: $b"
  case "$(basename "$b")" in
    # A macro bench with its own flags: a few setups, a short transfer, a handful of held pairs.
    tern_datachannel_bench) args=(--samples 3 --pairs 10 --seconds 0.3) ;;
    *) args=(--benchmark_min_time=0.01) ;;
  esac
  "$b" "${args[@]}" >/dev/null
done
echo "bench-smoke: ${#benches[@]} benchmark binaries ran"
