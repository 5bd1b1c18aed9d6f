#!/usr/bin/env bash
# Runs inside a network namespace (scripts/netns-run.sh; Chromium gathers nothing on loopback alone):
# two tern-turnserver processes on 127.0.0.1 and 127.0.0.2 (each allows the other's relay addresses as
# peers), then headless Chromium with two relay-only RTCPeerConnections (chromium_relay.js), one through
# each server, UDP and TCP. Passes when the page reports a relay<->relay data channel with a byte-exact
# echo and both servers' metrics show the allocation and relayed packets.
#
#   chromium_relay.sh TERN_TURNSERVER NODE RUN_PAGE_MJS PAGE_JS
set -euo pipefail
bin=${1:?tern-turnserver}; node=${2:?node}; run_page=${3:?run_page.mjs}; page=${4:?page}
dir=$(mktemp -d /tmp/tern-chromium-turn.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]:-}"; do [[ -n "$p" ]] && kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
secret="chromium-relay-secret"
for i in 1 2; do
  other=$((3 - i))
  cat >"$dir/s$i.conf" <<CONF
listening-ip=127.0.0.$i
relay-ip=127.0.0.$i
listening-port=$((3478 + i))
min-port=$((40000 + i * 1000))
max-port=$((40000 + i * 1000 + 999))
fingerprint
use-auth-secret
static-auth-secret=$secret
realm=tern.test
no-tls
allowed-peer-ip=127.0.0.$other
prometheus-port=$((9640 + i))
prometheus-address=127.0.0.1
log-file=$dir/s$i.log
simple-log
CONF
  "$bin" -c "$dir/s$i.conf" >"$dir/s$i.stdout" 2>&1 &
  pids+=($!)
done
for i in 1 2; do
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$((9640 + i))/metrics" >/dev/null && break
    sleep 0.1
  done
  curl -sf "http://127.0.0.1:$((9640 + i))/metrics" >/dev/null || { echo "server $i did not start"; cat "$dir/s$i.stdout" "$dir/s$i.log"; exit 1; }
done
username="$(($(date +%s) + 3600)):chromium"
credential=$(printf '%s' "$username" | openssl dgst -sha1 -hmac "$secret" -binary | base64)
set +e
"$node" "$run_page" --page "$page" --timeout-ms 60000 --param turn1=127.0.0.1:3479 --param turn2=127.0.0.2:3480 \
  --param username="$username" --param credential="$credential" | tee "$dir/page.out"
rc=${PIPESTATUS[0]}
set -e
metric() { curl -sf "http://127.0.0.1:$1/metrics" | awk -v k="$2" '$1 == k {print $2}'; }
status=0
for i in 1 2; do
  allocs=$(metric $((9640 + i)) tern_turn_allocations_total)
  c2p=$(metric $((9640 + i)) 'tern_turn_relayed_packets_total{direction="client_to_peer"}')
  p2c=$(metric $((9640 + i)) 'tern_turn_relayed_packets_total{direction="peer_to_client"}')
  echo "server $i: allocations_total=$allocs client_to_peer=$c2p peer_to_client=$p2c"
  if [[ "${allocs:-0}" -lt 1 || "${c2p:-0}" -lt 1 || "${p2c:-0}" -lt 1 ]]; then status=1; fi
done
if [[ $rc -ne 0 || $status -ne 0 ]]; then
  echo "FAILED (page exit $rc)"
  for i in 1 2; do echo "--- server $i log"; cat "$dir/s$i.log"; done
  exit 1
fi
echo "PASSED"
