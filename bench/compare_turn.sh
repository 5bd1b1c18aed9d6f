#!/usr/bin/env bash
# compare_turn.sh — the same turnutils_uclient load against coturn and tern-turnserver, one after the other
# in one run, on 127.0.0.1 with matching configs (TURN REST secret auth, fingerprint, loopback peer allowed,
# UDP, no TLS/DTLS). For each server, message size and mode (channels / Send indications) it reports the
# messages echoed, the loss, and the server's CPU seconds per relayed packet (utime+stime from
# /proc/PID/stat before and after the load, all threads), then the tern/coturn ratio. Optionally (HOLD>0)
# it holds HOLD allocations open and reports the RSS per allocation of both servers.
#
#   bench/compare_turn.sh                        # defaults below
#   RUNS=5 PROCS=3 CLIENTS=50 MSGS=2000 INTERVAL=1 bench/compare_turn.sh
#   HOLD=10000 bench/compare_turn.sh             # plus the allocation-holding RSS test
#
# Environment: TERN_TURNSERVER (default build/release/... or build/turnsrv-release/...), RUNS (3), PROCS
# (uclient processes at once, 2; one uclient cannot load a server), CLIENTS (-m per process, 50), MSGS
# (-n per client, 1000), INTERVAL (-z ms between a session's messages, 2), SIZES ("160 1200"), MODES
# ("channel send"), HOLD (0 = skip the RSS test; SIZES= empty skips the load runs), OUT (a directory for raw outputs; default a temp dir).
# A relayed packet is one message in one direction through the server: relayed = sent + echoed.
# Medians over RUNS are printed per cell. Everything binds to 127.0.0.1 only.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
TERN_TURNSERVER="${TERN_TURNSERVER:-}"
if [[ -z "$TERN_TURNSERVER" ]]; then
  for c in "$here/build/release/examples/turn-server/tern-turnserver" \
           "$here/build/turnsrv-release/examples/turn-server/tern-turnserver"; do
    if [[ -x "$c" ]]; then TERN_TURNSERVER="$c"; break; fi
  done
fi
[[ -x "${TERN_TURNSERVER:-}" ]] || { echo "tern-turnserver not found: build it (Release) or set TERN_TURNSERVER" >&2; exit 1; }
for tool in turnserver turnutils_uclient turnutils_peer; do
  command -v "$tool" >/dev/null || { echo "$tool not found (Debian package coturn)" >&2; exit 1; }
done

RUNS="${RUNS:-3}"
PROCS="${PROCS:-2}"
CLIENTS="${CLIENTS:-50}"
MSGS="${MSGS:-1000}"
INTERVAL="${INTERVAL:-2}"
SIZES="${SIZES-160 1200}"
MODES="${MODES:-channel send}"
HOLD="${HOLD:-0}"
OUT="${OUT:-$(mktemp -d /tmp/compare_turn.XXXXXX)}"
mkdir -p "$OUT"
SECRET="compare-turn-secret"
PORT=34910
PEER_PORT=34920
METRICS_PORT=34930
TICK=$(getconf CLK_TCK)
# Every held allocation is a relay socket (one fd) on both servers: without enough fds HOLD measures the
# limit, not the server. Where the hard limit is below 65536, take the hard limit.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if ((${HOLD:-0} > 0 && $(ulimit -n) < ${HOLD:-0} + 256)); then
  echo "# warning: open-file limit $(ulimit -n) < HOLD + 256: the servers cannot hold HOLD allocations" >&2
fi

pids_to_kill=()
cleanup() {
  for p in "${pids_to_kill[@]:-}"; do [[ -n "$p" ]] && kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

write_configs() {
  cat >"$OUT/coturn.conf" <<EOF
listening-port=$PORT
listening-ip=127.0.0.1
relay-ip=127.0.0.1
min-port=10000
max-port=32000
fingerprint
use-auth-secret
static-auth-secret=$SECRET
realm=bench.test
no-tls
no-dtls
allow-loopback-peers
no-cli
log-file=$OUT/coturn.log
simple-log
EOF
  cat >"$OUT/tern.conf" <<EOF
listening-port=$PORT
listening-ip=127.0.0.1
relay-ip=127.0.0.1
min-port=10000
max-port=32000
fingerprint
use-auth-secret
static-auth-secret=$SECRET
realm=bench.test
no-tls
allowed-peer-ip=127.0.0.1
no-cli
log-file=$OUT/tern.log
simple-log
prometheus-port=$METRICS_PORT
# coturn has no per-source limit for unauthenticated requests; every uclient session comes from 127.0.0.1
unauthenticated-rate=0
EOF
}

port_busy() { ss -Huan "sport = :$PORT" 2>/dev/null | grep -q . || ss -Htan "sport = :$PORT" 2>/dev/null | grep -q LISTEN; }

start_server() {  # $1 = coturn|tern ; prints the pid
  local pid
  for _ in $(seq 1 100); do port_busy || break; sleep 0.1; done
  if [[ "$1" == coturn ]]; then
    turnserver -c "$OUT/coturn.conf" >>"$OUT/coturn.stdout" 2>&1 &
  else
    "$TERN_TURNSERVER" -c "$OUT/tern.conf" >>"$OUT/tern.stdout" 2>&1 &
  fi
  pid=$!
  # Ready when the TCP side of the listening port accepts and the process is still alive.
  for _ in $(seq 1 200); do
    [[ -d "/proc/$pid" ]] || break
    if (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && [[ -d "/proc/$pid" ]]; then echo "$pid"; return 0; fi
    sleep 0.05
  done
  echo "server $1 did not start" >&2
  kill "$pid" 2>/dev/null || true
  return 1
}

# The server is not a child of this shell (started in a command substitution): poll until it is gone.
stop_server() {
  kill "$1" 2>/dev/null || true
  for _ in $(seq 1 200); do
    [[ -d "/proc/$1" ]] || return 0
    sleep 0.05
  done
  kill -9 "$1" 2>/dev/null || true
  sleep 0.2
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
fd_count() { ls "/proc/$1/fd" | wc -l; }
# UDP sockets of process $1 bound to 127.0.0.1 in the relay port range: one per allocation on both servers.
relay_count() {
  ss -Huanp 2>/dev/null | awk -v p="pid=$1," '$0 ~ p { n = split($4, a, ":"); port = a[n]; if (port >= 10000 && port <= 32000) c++ } END { print c + 0 }'
}

median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) {print "nan"} else if (NR%2) {print a[(NR+1)/2]} else {printf "%.6g\n", (a[NR/2]+a[NR/2+1])/2}}'; }

# One load: PROCS uclients at once. Prints "sent echoed lost cpu_seconds".
run_load() {  # $1 server pid, $2 size, $3 mode, $4 tag
  local pid=$1 size=$2 mode=$3 tag=$4 flags=(-c)
  [[ "$mode" == send ]] && flags+=(-s)
  local before after i upids=()
  before=$(cpu_ticks "$pid")
  for i in $(seq 1 "$PROCS"); do
    timeout 300 turnutils_uclient -W "$SECRET" -u "bench$i" -L 127.0.0.1 -e 127.0.0.1 -r "$PEER_PORT" \
      -m "$CLIENTS" -l "$size" -n "$MSGS" -z "$INTERVAL" "${flags[@]}" -p "$PORT" 127.0.0.1 \
      >"$OUT/$tag.uclient$i.out" 2>&1 &
    upids+=($!)
  done
  for p in "${upids[@]}"; do wait "$p" || true; done
  after=$(cpu_ticks "$pid")
  local sent=0 echoed=0 lost=0 s r l
  for i in $(seq 1 "$PROCS"); do
    s=$(grep -oE 'tot_send_msgs=[0-9]+, tot_recv_msgs=[0-9]+$' "$OUT/$tag.uclient$i.out" | tail -1 | grep -oE '[0-9]+' | head -1 || true)
    r=$(grep -oE 'tot_send_msgs=[0-9]+, tot_recv_msgs=[0-9]+$' "$OUT/$tag.uclient$i.out" | tail -1 | grep -oE '[0-9]+' | tail -1 || true)
    l=$(grep -oE 'Total lost packets [0-9]+' "$OUT/$tag.uclient$i.out" | tail -1 | grep -oE '[0-9]+' || true)
    sent=$((sent + ${s:-0})); echoed=$((echoed + ${r:-0})); lost=$((lost + ${l:-0}))
  done
  echo "$sent $echoed $lost $(awk -v a="$before" -v b="$after" -v t="$TICK" 'BEGIN {printf "%.3f", (b - a) / t}')"
}

write_configs
turnutils_peer -L 127.0.0.1 -p "$PEER_PORT" >/dev/null 2>&1 &
peer_pid=$!
pids_to_kill+=("$peer_pid")
sleep 0.3

echo "# compare_turn.sh $(date -u +%Y-%m-%dT%H:%MZ)  runs=$RUNS procs=$PROCS clients/proc=$CLIENTS msgs/client=$MSGS interval=${INTERVAL}ms"
echo "# coturn: $(turnserver --version 2>/dev/null | head -1 || echo unknown)  tern: $TERN_TURNSERVER"
echo "# raw outputs: $OUT  open-file limit: $(ulimit -n)"
printf '%-8s %-7s %5s | %10s %10s %8s %10s | per-run us/pkt\n' server mode size sent echoed loss% 'us/pkt(med)'

declare -A MED
for size in $SIZES; do
  for mode in $MODES; do
    for server in coturn tern; do
      results=()
      for run in $(seq 1 "$RUNS"); do
        pid=$(start_server "$server")
        pids_to_kill+=("$pid")
        read -r sent echoed lost cpu < <(run_load "$pid" "$size" "$mode" "$server.$mode.$size.$run")
        stop_server "$pid"
        relayed=$((sent + echoed))
        if ((relayed > 0)); then
          us=$(awk -v c="$cpu" -v n="$relayed" 'BEGIN {printf "%.3f", c * 1e6 / n}')
        else
          us=nan
        fi
        results+=("$sent $echoed $lost $us")
      done
      sent_med=$(printf '%s\n' "${results[@]}" | awk '{print $1}' | median)
      echoed_med=$(printf '%s\n' "${results[@]}" | awk '{print $2}' | median)
      loss_med=$(printf '%s\n' "${results[@]}" | awk '{ if ($1 > 0) printf "%.4f\n", 100 * ($1 - $2) / $1; else print "nan" }' | median)
      us_med=$(printf '%s\n' "${results[@]}" | awk '{print $4}' | median)
      per_run=$(printf '%s\n' "${results[@]}" | awk '{printf "%s ", $4}')
      MED["$server.$mode.$size"]=$us_med
      printf '%-8s %-7s %5s | %10s %10s %8s %10s | %s\n' "$server" "$mode" "$size" "$sent_med" "$echoed_med" \
        "$loss_med" "$us_med" "$per_run"
    done
    ratio=$(awk -v t="${MED[tern.$mode.$size]}" -v c="${MED[coturn.$mode.$size]}" \
      'BEGIN { if (c + 0 > 0 && t != "nan") printf "%.2f", t / c; else print "n/a" }')
    echo "ratio tern/coturn CPU per relayed packet ($mode, $size B): $ratio"
  done
done

if ((HOLD > 0)); then
  HOLD_PROCS="${HOLD_PROCS:-10}"
  echo "# holding about $HOLD allocations ($HOLD_PROCS uclient -h processes keep them open): RSS per allocation"
  for server in tern coturn; do
    pid=$(start_server "$server")
    pids_to_kill+=("$pid")
    sleep 0.5
    rss0=$(rss_kb "$pid"); fd0=$(fd_count "$pid")
    # uclient makes two allocations per client (-m) with -c; one process with thousands of clients reuses
    # local ports and trips over 437, so spread them over several processes.
    per=$(((HOLD / 2 + HOLD_PROCS - 1) / HOLD_PROCS))
    upids=()
    for i in $(seq 1 "$HOLD_PROCS"); do
      turnutils_uclient -W "$SECRET" -u "hold$i" -e 127.0.0.1 -r "$PEER_PORT" -m "$per" -l 100 -n 1 \
        -z 1000 -c -s -h -p "$PORT" 127.0.0.1 >"$OUT/$server.hold$i.out" 2>&1 &
      upids+=($!)
      sleep 0.2
    done
    # Wait until the relay sockets stop growing for 3 s (allocations made), at most 180 s.
    last=-1; stable=0
    for _ in $(seq 1 180); do
      sleep 1
      now=$(relay_count "$pid")
      if ((now == last && now > 0)); then stable=$((stable + 1)); else stable=0; fi
      ((stable >= 3)) && break
      last=$now
    done
    rss1=$(rss_kb "$pid"); fd1=$(fd_count "$pid"); held=$(relay_count "$pid")
    for p in "${upids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${upids[@]}"; do wait "$p" 2>/dev/null || true; done
    stop_server "$pid"
    if ((held > 0)); then
      printf '%-8s allocations %6d (fds +%d)  RSS %7d -> %7d KiB  = %.2f KiB per allocation\n' "$server" "$held" \
        "$((fd1 - fd0))" "$rss0" "$rss1" "$(awk -v a="$rss0" -v b="$rss1" -v n="$held" 'BEGIN {print (b - a) / n}')"
    else
      echo "$server: no allocations held (see $OUT/$server.hold*.out)"
    fi
  done
fi
