#!/usr/bin/env bash
# tern's data channels against Pion (Debian's pion/webrtc 3.1.56), measured in the same run (issue 5
# §6): builds bench/tern_datachannel_bench (bench/datachannel_bench.cc) and the Go anchor
# bench/anchors/pion/main.go, runs them alternately on 127.0.0.1, and prints one table of medians with
# the ratios and the issue's goals. Both programs put two PeerConnections in one process and print JSON
# lines with the same metrics (see the head of each source for what exactly is timed).
#
# Usage: bench/compare_datachannel.sh [ROUNDS]
#   ROUNDS         alternating rounds of setup + throughput (default 3); each figure is the median
#                  over rounds (setup p99 is the median of the per-round p99s of 50 samples)
#   PAIRS          pairs held open for RSS and the loaded setup (default 1000; run once per side)
#   RUN_SECONDS    seconds per throughput run (default 3)
#   SAMPLES        setups per round (default 50)
#   TERN_LOOPS     tern Runtime loop threads (default 2 = the cores Go uses here: GOMAXPROCS)
#   TERN_BENCH_BUILD_DIR  an already configured build directory (else build/release via the preset)
#   TERN_BENCH_BIN        a tern_datachannel_bench binary to use as is
#   BENCH_NICE     niceness for both (default -10 when root, so that builds beside get preempted)
# Offline: Go runs in GOPATH mode (GO111MODULE=off GOPROXY=off) against /usr/share/gocode, with
# Go's minimal module compatibility (a one-line go.mod) resolving github.com/pion/webrtc/v3.
set -euo pipefail

ROUNDS=${1:-${ROUNDS:-3}}
PAIRS=${PAIRS:-1000}
SECONDS_PER_RUN=${RUN_SECONDS:-3}  # not $SECONDS: bash counts seconds in it
SAMPLES=${SAMPLES:-50}
TERN_LOOPS=${TERN_LOOPS:-2}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${TERN_BENCH_BUILD_DIR:-$REPO/build/release}
PYTHON=/usr/bin/python3
GO_CACHE_DIR=$REPO/build/pion-dc-anchor  # Go's build cache, kept between runs

WORK=$(mktemp -d /tmp/tern-compare-dc.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
log() { echo "compare_datachannel.sh: $*" >&2; }

if [[ $(id -u) -eq 0 ]]; then BENCH_NICE=${BENCH_NICE:--10}; else BENCH_NICE=${BENCH_NICE:-0}; fi
RUN=(nice -n "$BENCH_NICE")

# 1. tern.
if [[ -n ${TERN_BENCH_BIN:-} ]]; then
  TERN_BENCH=$TERN_BENCH_BIN
else
  if [[ -z ${TERN_BENCH_BUILD_DIR:-} ]]; then
    log "configuring the release preset"
    (cd "$REPO" && cmake --preset release >"$WORK/cmake.log" 2>&1) || { cat "$WORK/cmake.log" >&2; exit 1; }
  fi
  log "building tern_datachannel_bench in $BUILD_DIR"
  cmake --build "$BUILD_DIR" --target tern_datachannel_bench -j2 >"$WORK/build.log" 2>&1 ||
    { cat "$WORK/build.log" >&2; exit 1; }
  TERN_BENCH=$BUILD_DIR/bench/tern_datachannel_bench
fi
[[ -x $TERN_BENCH ]] || { log "$TERN_BENCH missing (needs tern::peer)"; exit 1; }

# 2. The Pion anchor.
[[ -d /usr/share/gocode/src/github.com/pion/webrtc ]] ||
  { log "Pion missing: apt-get install golang-github-pion-webrtc.v3-dev"; exit 1; }
PKG=$WORK/gopath/src/terndcbench
mkdir -p "$PKG" "$GO_CACHE_DIR"
cp "$REPO/bench/anchors/pion/main.go" "$PKG/"
echo "module terndcbench" >"$PKG/go.mod"
log "building the Pion anchor"
(cd "$PKG" && env GO111MODULE=off GOPROXY=off GOFLAGS= CGO_ENABLED=0 \
  GOPATH="$WORK/gopath:/usr/share/gocode" GOCACHE="$GO_CACHE_DIR" go build -o "$WORK/pion-dc-bench" .)
PION_BENCH=$WORK/pion-dc-bench

# 3. Alternating rounds of setup + throughput, then the held pairs once per side.
for ((r = 1; r <= ROUNDS; r++)); do
  log "round $r/$ROUNDS: tern"
  "${RUN[@]}" "$TERN_BENCH" --only setup,throughput --samples "$SAMPLES" --seconds "$SECONDS_PER_RUN" \
    --loops "$TERN_LOOPS" >"$WORK/tern.$r.jsonl" 2>"$WORK/tern.$r.err" || { cat "$WORK/tern.$r.err" >&2; exit 1; }
  log "round $r/$ROUNDS: pion"
  "${RUN[@]}" "$PION_BENCH" -only setup,throughput -samples "$SAMPLES" -seconds "$SECONDS_PER_RUN" \
    >"$WORK/pion.$r.jsonl" 2>"$WORK/pion.$r.err" || { cat "$WORK/pion.$r.err" >&2; exit 1; }
done
log "tern: $PAIRS pairs held"
"${RUN[@]}" "$TERN_BENCH" --only pairs --pairs "$PAIRS" --samples "$SAMPLES" --loops "$TERN_LOOPS" \
  >"$WORK/tern.pairs.jsonl" 2>"$WORK/tern.pairs.err" || { cat "$WORK/tern.pairs.err" >&2; exit 1; }
log "pion: $PAIRS pairs held"
"${RUN[@]}" "$PION_BENCH" -only pairs -pairs "$PAIRS" -samples "$SAMPLES" \
  >"$WORK/pion.pairs.jsonl" 2>"$WORK/pion.pairs.err" || { cat "$WORK/pion.pairs.err" >&2; exit 1; }

# 4. One table.
"$PYTHON" - "$WORK" "$ROUNDS" "$PAIRS" "$TERN_LOOPS" <<'PY'
import glob, json, os, statistics, sys

work, rounds, pairs, loops = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]

def load(impl):
    out = {}
    for path in sorted(glob.glob(os.path.join(work, f"{impl}.*.jsonl"))):
        for line in open(path):
            line = line.strip()
            if not line.startswith("{"):
                continue
            m = json.loads(line)
            if m["metric"] == "setup_ms":
                key = "setup_loaded" if m["pairs_open"] > 0 else "setup"
                out.setdefault(key + "_median", []).append(m["median"])
                out.setdefault(key + "_p99", []).append(m["p99"])
            elif m["metric"] == "throughput":
                k = "64k" if m["size"] == 65536 else "1k"
                out.setdefault(f"mbps_{k}", []).append(m["mb_per_s"])
                out.setdefault(f"msgs_{k}", []).append(m["messages_per_s"])
                out.setdefault(f"cpu_{k}", []).append(m["cpu_s_per_gb"])
            elif m["metric"] == "rss_per_pc_kib":
                out.setdefault("rss", []).append(m["per_pc"])
                out.setdefault("idle_cpu", []).append(m["idle_cpu_cores"])
    return out

tern, pion = load("tern"), load("pion")

def med(d, k):
    v = d.get(k)
    return statistics.median(v) if v else None

def fmt(x, digits=2):
    if x is None:
        return "—"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.{digits}f}"

# (label, key, higher_is_better, goal text, goal check on tern's value / ratio)
rows = [
    ("Setup, median (ms)", "setup_median", False, "≤ Pion", lambda t, p: t <= p),
    ("Setup, p99 (ms)", "setup_p99", False, "", None),
    (f"Setup with {pairs} pairs open, median (ms)", "setup_loaded_median", False, "≤ Pion", lambda t, p: t <= p),
    (f"Setup with {pairs} pairs open, p99 (ms)", "setup_loaded_p99", False, "≤ 10 ms", lambda t, p: t <= 10),
    ("Throughput, 64 KiB messages (MB/s)", "mbps_64k", True, "≥ 300 and ≥ 10× Pion", lambda t, p: t >= 300 and t >= 10 * p),
    ("  CPU seconds per GB, 64 KiB", "cpu_64k", False, "", None),
    ("Throughput, 1 KiB messages (messages/s)", "msgs_1k", True, "≥ 300,000", lambda t, p: t >= 300000),
    ("  CPU seconds per GB, 1 KiB", "cpu_1k", False, "", None),
    (f"RSS per connected PeerConnection, {pairs} pairs (KiB)", "rss", False, "≤ 64", lambda t, p: t <= 64),
    (f"  CPU used by {pairs} idle pairs (cores)", "idle_cpu", False, "", None),
]
print(f"Data channels on 127.0.0.1: tern vs Pion 3.1.56, medians of {rounds} alternating rounds "
      f"(RSS and loaded setup: one run each); tern Runtime with {loops} loop threads, Go GOMAXPROCS=2\n")
print("| Measure | tern | Pion | tern advantage | Goal | Met |")
print("|---|---:|---:|---:|---|---|")
for label, key, higher, goal, check in rows:
    t, p = med(tern, key), med(pion, key)
    adv = None
    if t and p:
        adv = t / p if higher else p / t
    met = "—"
    if check is not None and t is not None and p is not None:
        met = "yes" if check(t, p) else "**no**"
    print(f"| {label} | {fmt(t)} | {fmt(p)} | {'—' if adv is None else f'{adv:.2f}×'} | {goal or '—'} | {met} |")
print("\n'tern advantage' > 1 means tern is better (faster, less CPU or memory).")
print("Per-round values (tern | pion):")
for key in ("setup_median", "setup_p99", "mbps_64k", "msgs_1k", "cpu_64k", "cpu_1k"):
    tv = ", ".join(fmt(x) for x in tern.get(key, []))
    pv = ", ".join(fmt(x) for x in pion.get(key, []))
    print(f"  {key}: {tv} | {pv}")
PY
echo
echo "niceness $BENCH_NICE; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); $(date -u)"
