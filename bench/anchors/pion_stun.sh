#!/usr/bin/env bash
# tern's STUN codec against pion/stun (Debian's golang-github-pion-stun-dev), measured in the same
# session: builds bench/tern_stun_bench (release preset) and pion/stun's test binary with
# bench/anchors/pion_equiv_test.go added to a temporary copy of the package, checks that both sides
# build the same bytes, then runs them interleaved (tern, pion, tern, pion, ...) and prints one table
# of medians. See bench/RESULTS.md for the mapping and the caveats.
#
# Usage: bench/anchors/pion_stun.sh [ROUNDS]
#   ROUNDS        interleaved rounds (default 15); each side runs every benchmark once per round.
#                 Many short rounds let both sides see the same background load.
#   MIN_TIME      seconds per benchmark per round, both sides (default 0.15)
#   TERN_BENCH_BUILD_DIR  an already configured build directory to use instead of build/release
#                         (then the release preset is not configured)
#   BENCH_NICE    niceness for both benchmark processes (default -10 when root, so that compilers
#                 running beside get preempted rather than the benchmarks; 0 to disable)
#   TERN_BENCH_BIN        a tern_stun_bench binary to run as is (no build), e.g. one built with a
#                         proposed change to lib/, to compare it with pion in the same way
# Offline: Go runs in GOPATH mode (GO111MODULE=off GOPROXY=off) against /usr/share/gocode.
set -euo pipefail

ROUNDS=${1:-${ROUNDS:-15}}
MIN_TIME=${MIN_TIME:-0.15}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD_DIR=${TERN_BENCH_BUILD_DIR:-$REPO/build/release}
PION_SRC=/usr/share/gocode/src/github.com/pion/stun
PYTHON=$(command -v /usr/bin/python3 || command -v python3)

WORK=$(mktemp -d /tmp/tern-pion-stun.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

log() { echo "pion_stun.sh: $*" >&2; }

if [[ $(id -u) -eq 0 ]]; then BENCH_NICE=${BENCH_NICE:--10}; else BENCH_NICE=${BENCH_NICE:-0}; fi
RUN=(nice -n "$BENCH_NICE")

# 1. tern.
if [[ -n ${TERN_BENCH_BIN:-} ]]; then
  TERN_BENCH=$TERN_BENCH_BIN
  log "using $TERN_BENCH as is"
else
  if [[ -z ${TERN_BENCH_BUILD_DIR:-} ]]; then
    log "configuring the release preset"
    (cd "$REPO" && cmake --preset release >"$WORK/cmake.log" 2>&1) || {
      cat "$WORK/cmake.log" >&2
      log "configuring the release preset failed; a build directory with only what the bench needs:"
      log "  cmake --preset release -B build/bench -DTERN_BUILD_TESTS=OFF -DTERN_BUILD_EXAMPLES=OFF"
      log "  TERN_BENCH_BUILD_DIR=build/bench $0"
      exit 1
    }
  fi
  log "building tern_stun_bench in $BUILD_DIR"
  cmake --build "$BUILD_DIR" --target tern_stun_bench -j2 >"$WORK/build.log" 2>&1 ||
    { cat "$WORK/build.log" >&2; exit 1; }
  TERN_BENCH=$BUILD_DIR/bench/tern_stun_bench
fi

# 2. pion/stun: a private copy of the package (never Debian's tree) plus tern's equivalence file.
[[ -d $PION_SRC ]] || { log "$PION_SRC missing: apt-get install golang-github-pion-stun-dev"; exit 1; }
PKG=$WORK/gopath/src/github.com/pion/stun
mkdir -p "$(dirname "$PKG")" "$WORK/gocache"
cp -r "$PION_SRC" "$PKG"
cp "$REPO/bench/anchors/pion_equiv_test.go" "$PKG/"
export GO111MODULE=off GOPROXY=off GOFLAGS='' GOPATH="$WORK/gopath:/usr/share/gocode" GOCACHE="$WORK/gocache"
log "building pion/stun's test binary"
(cd "$PKG" && go test -c -o "$WORK/pion_stun.test" .)
PION_TEST=$WORK/pion_stun.test
# Same bytes on both sides: pion/stun must build tern's request and response exactly and accept them.
(cd "$PKG" && "$PION_TEST" -test.run '^TestTernEquivalentMessages$' -test.v >"$WORK/equiv.log" 2>&1) ||
  { cat "$WORK/equiv.log" >&2; log "pion/stun and tern disagree on the messages"; exit 1; }

# tern's equivalents (bench/anchors/pion_equiv_test.go) and Pion's own benchmarks for reference.
PION_RE='^(BenchmarkTern_|BenchmarkDecode$|BenchmarkMessageIntegrity_Check$|BenchmarkMessageIntegrity_AddTo$|BenchmarkFingerprint_Check$|BenchmarkFingerprint_AddTo$|BenchmarkMessageFull$|BenchmarkXORMappedAddress_AddTo$)'

# 3. Interleaved rounds.
for ((r = 1; r <= ROUNDS; r++)); do
  log "round $r/$ROUNDS: tern"
  "${RUN[@]}" "$TERN_BENCH" --benchmark_min_time="$MIN_TIME" --benchmark_format=csv \
    >"$WORK/tern.$r.csv" 2>"$WORK/tern.$r.err" || { cat "$WORK/tern.$r.err" >&2; exit 1; }
  log "round $r/$ROUNDS: pion"
  (cd "$PKG" && "${RUN[@]}" "$PION_TEST" -test.run '^$' -test.bench "$PION_RE" -test.benchtime "${MIN_TIME}s" \
    -test.benchmem -test.count 1) >"$WORK/pion.$r.txt" 2>&1 || { cat "$WORK/pion.$r.txt" >&2; exit 1; }
done

# 4. One table of medians.
"$PYTHON" - "$WORK" "$ROUNDS" <<'PY'
import csv, glob, io, os, re, statistics, sys

work, rounds = sys.argv[1], int(sys.argv[2])

tern = {}  # name -> [ns/op per round]
tern_allocs = {}
for path in sorted(glob.glob(os.path.join(work, "tern.*.csv"))):
    text = open(path).read()
    start = text.find("name,iterations")
    for row in csv.DictReader(io.StringIO(text[start:])):
        if row.get("error_occurred") == "true":
            sys.exit(f"tern benchmark {row['name']} failed: {row.get('error_message')}")
        scale = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}[row["time_unit"]]
        tern.setdefault(row["name"], []).append(float(row["real_time"]) * scale)
        if row.get("allocs/op"):
            tern_allocs.setdefault(row["name"], []).append(float(row["allocs/op"]))

pion = {}
pion_allocs = {}
line_re = re.compile(r"^(Benchmark\S+?)(-\d+)?\s+\d+\s+([\d.]+) ns/op(.*)$")
for path in sorted(glob.glob(os.path.join(work, "pion.*.txt"))):
    for line in open(path):
        m = line_re.match(line.strip())
        if not m:
            continue
        pion.setdefault(m.group(1), []).append(float(m.group(3)))
        a = re.search(r"([\d.]+) allocs/op", m.group(4))
        if a:
            pion_allocs.setdefault(m.group(1), []).append(float(a.group(1)))

def med(d, k):
    v = d.get(k)
    return statistics.median(v) if v else None

def fmt_ns(x):
    return "—" if x is None else (f"{x:.1f}" if x < 100 else f"{x:.0f}")

def fmt_allocs(d, k):
    x = med(d, k)
    return "—" if x is None else f"{x:.0f}"

def spread(d, k):
    v = d.get(k)
    if not v:
        return ""
    return f" ({fmt_ns(min(v))}–{fmt_ns(max(v))})"

rows = [
    ("Parse ICE Binding request (100 B, 6 attributes)", "BM_StunParseBindingRequest", "BenchmarkTern_DecodeInPlace"),
    ("  same, pion `Decode()` (copies into m.Raw)", "BM_StunParseBindingRequest", "BenchmarkTern_DecodeCopy"),
    ("Verify MESSAGE-INTEGRITY (HMAC-SHA1, 72 B)", "BM_StunVerifyIntegrity", "BenchmarkTern_IntegrityCheck"),
    ("Verify FINGERPRINT (CRC-32, 92 B)", "BM_StunVerifyFingerprint", "BenchmarkTern_FingerprintCheck"),
    ("Receive check: parse + FINGERPRINT + MI + USERNAME", "BM_StunReceiveBindingRequest", "BenchmarkTern_ReceiveBindingRequest"),
    ("Build Binding request (USERNAME, PRIORITY, ICE-CONTROLLING, USE-CANDIDATE, MI, FP)", "BM_StunBuildBindingRequest", "BenchmarkTern_BuildBindingRequest"),
    ("Build Binding response (XOR-MAPPED-ADDRESS, MI, FP)", "BM_StunBuildBindingResponse", "BenchmarkTern_BuildBindingResponse"),
    ("ChannelData parse (100 B payload, UDP)", "BM_ChannelDataParse", None),
    ("CRC-32, 64 B", "BM_Crc32/64", "BenchmarkTern_Crc32/64"),
    ("CRC-32, 512 B", "BM_Crc32/512", "BenchmarkTern_Crc32/512"),
    ("CRC-32, 1200 B", "BM_Crc32/1200", "BenchmarkTern_Crc32/1200"),
]

print(f"STUN codec: tern vs pion/stun — medians of {rounds} interleaved rounds, wall-clock ns/op "
      "(min–max over rounds); pion/tern > 1 means tern is faster; 'best rounds' divides the minima\n")
print("| Operation | tern benchmark | pion benchmark | tern ns/op | pion ns/op | pion/tern | pion/tern, best rounds | tern allocs/op | pion allocs/op |")
print("|---|---|---|---:|---:|---:|---:|---:|---:|")
ratios = {}
bests = {}
for label, t, p in rows:
    tn, pn = med(tern, t), (med(pion, p) if p else None)
    ratio = pn / tn if (tn and pn) else None
    best = min(pion[p]) / min(tern[t]) if (p and tern.get(t) and pion.get(p)) else None
    ratios[p or t] = ratio
    bests[p or t] = best
    print(f"| {label} | `{t}` | {'`' + p + '`' if p else '— (not in pion/stun)'} | "
          f"{fmt_ns(tn)}{spread(tern, t)} | {fmt_ns(pn)}{spread(pion, p) if p else ''} | "
          f"{'—' if ratio is None else f'{ratio:.2f}×'} | {'—' if best is None else f'{best:.2f}×'} | "
          f"{fmt_allocs(tern_allocs, t)} | "
          f"{fmt_allocs(pion_allocs, p) if p else '—'} |")

refs = ["BenchmarkDecode", "BenchmarkMessageIntegrity_Check", "BenchmarkMessageIntegrity_AddTo",
        "BenchmarkFingerprint_Check", "BenchmarkFingerprint_AddTo", "BenchmarkMessageFull",
        "BenchmarkXORMappedAddress_AddTo"]
print("\nPion's own benchmarks (their own, smaller messages), same session, for reference:\n")
print("| pion benchmark | ns/op | allocs/op |")
print("|---|---:|---:|")
for r in refs:
    print(f"| `{r}` | {fmt_ns(med(pion, r))}{spread(pion, r)} | {fmt_allocs(pion_allocs, r)} |")

def verdict(ok):
    return "MET" if ok else "NOT MET"
def goal(text, key, target):
    r, b = ratios[key], bests[key]
    print(f"- {text}: {r:.2f}x (best rounds {b:.2f}x), target >= {target}x -> {verdict(r >= target)}")
print("\nGoals (on medians):")
goal("verify MESSAGE-INTEGRITY vs pion", "BenchmarkTern_IntegrityCheck", 2)
goal("build Binding response vs pion", "BenchmarkTern_BuildBindingResponse", 2)
goal("build Binding request vs pion", "BenchmarkTern_BuildBindingRequest", 2)
goal("parse (strict) vs pion's bare in-place decode", "BenchmarkTern_DecodeInPlace", 1)
PY
echo
echo "niceness $BENCH_NICE; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
