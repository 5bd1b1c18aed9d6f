#!/usr/bin/env bash
# Fuzz smoke test: builds the `fuzz` preset (clang, libFuzzer, ASan+UBSan) and runs every harness in
# fuzz/ for a bounded time on a temporary copy of its seed corpus (the committed corpus is never
# written). Exits non-zero if a fuzzer fails to build, fails to run, or finds a crash, leak, timeout or
# broken invariant; the offending input is kept in build/fuzz/fuzz-artifacts/<fuzzer>/ (emptied at the
# start of each run).
#
# Usage: scripts/fuzz-smoke.sh [seconds-per-fuzzer]      (default 20)
# Environment: TERN_FUZZ_SKIP_BUILD=1 reuses an existing build/fuzz without configuring or building.
set -euo pipefail

seconds="${1:-20}"
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 [seconds-per-fuzzer]   (a positive integer, default 20)" >&2
  exit 2
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build/fuzz"
# Every fuzz/<name>_fuzzer.cc is a fuzzer with seeds in fuzz/corpus/<name>/.
mapfile -t fuzzers < <(cd "$root/fuzz" && ls *_fuzzer.cc | sed "s/_fuzzer\.cc$//")

cd "$root"
if [[ "${TERN_FUZZ_SKIP_BUILD:-0}" != 1 ]]; then
  cmake --preset fuzz >/dev/null
  cmake --build "$build" -j2
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/tern-fuzz-smoke.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# "key: value" from libFuzzer's -print_final_stats=1 output.
stat() { sed -n "s/^stat::$1: *//p" "$2" | tail -n 1; }
# A field ("cov", "ft", "corp") from the last status line ("#N DONE cov: X ft: Y corp: Z/..").
field() { grep -E '^#[0-9]+' "$2" | tail -n 1 | sed -n "s/.* $1: \([^ ]*\).*/\1/p"; }

failed=0
summary=()
for name in "${fuzzers[@]}"; do
  binary="$build/fuzz/${name}_fuzzer"
  seeds="$root/fuzz/corpus/$name"
  corpus="$work/$name/corpus"
  log="$work/$name/log"
  artifacts="$build/fuzz-artifacts/$name"
  rm -rf "$artifacts"  # holds only the findings of the latest run
  mkdir -p "$corpus" "$artifacts"
  if [[ ! -x "$binary" ]]; then
    summary+=("$(printf '%-22s FAILED: %s was not built' "$name" "$binary")")
    failed=1
    continue
  fi
  if [[ -d "$seeds" ]]; then
    cp -R "$seeds/." "$corpus/"
  fi

  echo "fuzz-smoke: running $name for ${seconds}s ..."
  rc=0
  "$binary" -max_total_time="$seconds" -max_len=4096 -rss_limit_mb=2048 -timeout=10 \
    -dict="$root/fuzz/stun.dict" -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" \
    >"$log" 2>&1 || rc=$?

  execs="$(stat number_of_executed_units "$log")"
  line="$(printf '%-22s execs=%s exec/s=%s cov=%s ft=%s corpus=%s new_units=%s peak_rss=%sMB' \
    "$name" "${execs:-?}" "$(stat average_exec_per_sec "$log")" "$(field cov "$log")" \
    "$(field ft "$log")" "$(field corp "$log")" "$(stat new_units_added "$log")" \
    "$(stat peak_rss_mb "$log")")"
  if [[ $rc -ne 0 || -z "$execs" ]]; then
    failed=1
    summary+=("$line  FAILED (exit $rc)")
    echo "----- $name: last lines of the libFuzzer log -----" >&2
    tail -n 60 "$log" >&2
    for f in "$artifacts"/*; do
      [[ -f "$f" ]] || continue
      echo "----- $name: artifact $f ($(wc -c <"$f") bytes), first 512 bytes as hex -----" >&2
      head -c 512 "$f" | od -An -v -tx1 | tr -d ' \n' >&2
      echo >&2
    done
  else
    summary+=("$line  ok")
  fi
done

echo "fuzz-smoke summary (${seconds}s per fuzzer):"
printf '  %s\n' "${summary[@]}"
exit "$failed"
