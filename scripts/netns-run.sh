#!/usr/bin/env bash
# netns-run.sh NAME -- COMMAND [ARGS...]
# Runs COMMAND inside a fresh network namespace NAME that has loopback and one veth (10.200.X.2/24) to a
# second namespace NAME-gw (10.200.X.1/24), then removes both. Browsers need a non-loopback interface to
# gather candidates (Chromium ignores `lo`); nothing inside can reach any other network. Needs root.
# X is derived from NAME; each run gets its own pair of namespaces, so tests can run at once. Exit status is COMMAND's.
set -euo pipefail
name=${1:?usage: netns-run.sh NAME -- COMMAND...}
shift
[ "${1:-}" = "--" ] && shift
[ $# -gt 0 ] || { echo "netns-run.sh: no command" >&2; exit 2; }
if [ "$(id -u)" -ne 0 ]; then
  echo "netns-run.sh: needs root (ip netns); run the suite as root as the README says" >&2
  exit 2
fi
# The pid keeps concurrent runs of the same test (two build trees, a developer and CI) apart.
name="${name}-$$"
gw="${name}-gw"
# 10.200.<1..250>.0/24 from a hash of the name.
octet=$(( ($(printf '%s' "$name" | cksum | cut -d' ' -f1) % 250) + 1 ))
cleanup() {
  ip netns del "$name" 2>/dev/null || true
  ip netns del "$gw" 2>/dev/null || true
}
cleanup
trap cleanup EXIT
ip netns add "$name"
ip netns add "$gw"
ip -n "$name" link set lo up
ip -n "$gw" link set lo up
ip link add "v${octet}a" netns "$name" type veth peer name "v${octet}b" netns "$gw"
ip -n "$name" addr add "10.200.${octet}.2/24" dev "v${octet}a"
ip -n "$name" link set "v${octet}a" up
ip -n "$gw" addr add "10.200.${octet}.1/24" dev "v${octet}b"
ip -n "$gw" link set "v${octet}b" up
export TERN_NETNS_ADDRESS="10.200.${octet}.2"
set +e
ip netns exec "$name" "$@"
rc=$?
set -e
exit $rc
