#!/usr/bin/env bash
# tern's TURN server core against pion/turn v2's server handler on the same client->peer relay paths,
# measured in the same session, interleaved (tern, pion, tern, pion, ...), medians of wall time per
# packet. tern: bench/turn_bench.cc (tern_turn_bench from a release build); pion: pion_turn_anchor_test.go
# compiled inside a temporary copy of Debian's github.com/pion/turn/v2 (GOPATH mode, offline).
#
# Usage: tests/unit/turn/pion_anchor/run.sh TERN_TURN_BENCH_BINARY [ROUNDS]
set -euo pipefail
BENCH=${1:?path to tern_turn_bench}
ROUNDS=${2:-5}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORK=$(mktemp -d /tmp/tern-pion-turn.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/src/github.com/pion/turn"
cp -r /usr/share/gocode/src/github.com/pion/turn/v2 "$WORK/src/github.com/pion/turn/"
PKG=$WORK/src/github.com/pion/turn/v2/internal/server
cp "$HERE/pion_turn_anchor_test.go" "$PKG/"
(cd "$PKG" && GOPATH=$WORK:/usr/share/gocode GO111MODULE=off GOPROXY=off go test -c -o "$WORK/pion.test" .)

for ((i = 0; i < ROUNDS; i++)); do
  "$BENCH" --benchmark_filter='ClientToPeer|Baseline' --benchmark_min_time=0.3 --benchmark_format=csv 2>/dev/null |
    awk -F, -v r="$i" 'NR>1 && $1 ~ /BM_/ {gsub(/"/,"",$1); print "tern", $1, $3}' >> "$WORK/results"
  "$WORK/pion.test" -test.run XXX -test.bench Pion -test.benchtime 0.3s |
    awk '/^BenchmarkPion/ {name=$1; sub(/-[0-9]+$/,"",name); print "pion", name, $3}' >> "$WORK/results"
done
python3 - "$WORK/results" <<'PY'
import statistics, sys, collections
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    side, name, ns = line.split()
    runs[(side, name)].append(float(ns))
med = {k: statistics.median(v) for k, v in runs.items()}
pairs = [("ChannelData client->peer 160 B", "BM_ChannelDataClientToPeer/160", "BenchmarkPionChannelDataClientToPeer160"),
         ("ChannelData client->peer 1200 B", "BM_ChannelDataClientToPeer/1200", "BenchmarkPionChannelDataClientToPeer1200"),
         ("Send indication client->peer 160 B", "BM_SendIndicationClientToPeer/160", "BenchmarkPionSendIndicationClientToPeer160"),
         ("Send indication client->peer 1200 B", "BM_SendIndicationClientToPeer/1200", "BenchmarkPionSendIndicationClientToPeer1200")]
print(f"{'path':38s} {'tern ns':>9s} {'pion ns':>9s} {'pion/tern':>9s}   (medians of {len(next(iter(runs.values())))} interleaved rounds, wall time per packet)")
for label, t, p in pairs:
    print(f"{label:38s} {med[('tern', t)]:9.0f} {med[('pion', p)]:9.0f} {med[('pion', p)] / med[('tern', t)]:9.1f}")
for size in ("160", "1200"):
    b = med.get(("tern", f"BM_Baseline_ChannelDataCopy/{size}"))
    if b: print(f"{'baseline parse+copy ' + size + ' B':38s} {b:9.0f}")
PY
