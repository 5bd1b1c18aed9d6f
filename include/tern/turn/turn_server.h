// The sans-IO TURN server core: allocations (RFC 8656 §7), refresh (§8), permissions (§9), Send and Data
// indications (§10), channels (§11-§12), EVEN-PORT/RESERVATION-TOKEN (§7.2, §18.6, §18.9), dual-stack
// allocations (REQUESTED-/ADDITIONAL-ADDRESS-FAMILY, §7.2), DONT-FRAGMENT (§18.8), ALTERNATE-SERVER
// (RFC 8489 §10), long-term credentials with nonces (RFC 8489 §9.2) including MESSAGE-INTEGRITY-SHA256 and
// PASSWORD-ALGORITHMS, coturn's REST-API shared secret, and a STUN Binding server (RFC 8489 §7.3.1).
//
// Contract (DESIGN.md): the embedding runtime hands in everything that arrives — on a listening socket
// from clients, and on a relayed address from peers — as HandleInput(datagram, now). Over TCP/TLS, the
// bytes of a client connection are handed in the same way (Datagram::protocol kTcp/kTls, in whatever
// chunks the stream delivered them); the connection is identified by its 5-tuple (local, remote,
// protocol) and the core reassembles RFC 8489 §6.2.2 / RFC 8656 §12.5 frames itself, holding at most one
// incomplete frame (≤ max_stream_frame_size bytes) per connection. HandleStreamClosed() tells it a
// connection ended. After every call drain PollTransmit() and PollEvent() until both return nothing, then
// call HandleTimeout() at NextTimeout().
//
// Every Transmit carries its 5-tuple: to a client, `local` is the listening address the client's traffic
// arrived on and `protocol` the client's transport (a stream Transmit goes to the connection with that
// 5-tuple; its payload is already framed); to a peer, `local` is the relayed address (the bound, private
// one — see RelayAddressConfig) and `protocol` kUdp.
//
// Relayed addresses: the core picks ip:port itself from the configured relay IPs and port range and
// emits RelayOpened(address); the runtime binds a UDP socket there and reports the outcome with
// HandleRelayBindResult(address, status, now). With confirm_relay_binds (the default) the Allocate
// success response is held until that report: on failure the core tries another port (up to
// max_relay_bind_attempts) and then answers 508 Insufficient Capacity. When an allocation ends, the core
// emits RelayClosed(address) and the runtime closes the socket. Without confirm_relay_binds the response
// is sent at once and a later bind failure ends the allocation.
//
// Security defaults (issue 6 §2, the hardened-coturn ones): peers in the special-purpose ranges
// (DefaultDeniedPeerRanges()) are refused with 403 unless an allowed_peer_ranges entry covers them; the
// server itself is never a peer, whatever the allow list says (the CVE-2020-26262 class): 0.0.0.0 and ::
// are always refused, and data addressed to one of the server's own IPs (listening or relay, private or
// public) on a listening port or a port of the relay range is dropped (counted as a denied peer), so a
// loopback deployment can allow 127.0.0.1 peers without letting clients reach its own sockets; per-user and total
// allocation quotas (486); an optional bandwidth cap per allocation; a token-bucket rate limit for
// unauthenticated requests per source IP; an unauthenticated response is never larger than the request
// that caused it (no amplification; a response that would be is dropped and counted); and every table
// (allocations, permissions, channels, rate-limit buckets, stream buffers, queued transmits and events)
// has a configured cap, so memory stays bounded under floods.
//
// RFC 6062 TCP relay (REQUESTED-TRANSPORT TCP, CONNECT, CONNECTION-BIND, ConnectionAttempt) is NOT
// implemented: such an Allocate is answered 442 Unsupported Transport Protocol.
//
// Threading: none. One TurnServer is used from one thread (the runtime's loop thread); hooks run inside
// the call that triggered them and must not call back into the server.
#ifndef TERN_TURN_TURN_SERVER_H_
#define TERN_TURN_TURN_SERVER_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tern/base/byte_io.h"
#include "tern/base/datagram.h"
#include "tern/base/ip_address.h"
#include "tern/base/random.h"
#include "tern/base/time.h"

namespace tern::turn {

// The client side of an allocation: RFC 8656 §2 "5-tuple" (client address, server address, transport).
struct FiveTuple {
  SocketAddress client;
  SocketAddress server;
  TransportProtocol protocol = TransportProtocol::kUdp;

  friend bool operator==(const FiveTuple&, const FiveTuple&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const FiveTuple& t) {
    return H::combine(std::move(h), t.client, t.server, t.protocol);
  }
  std::string ToString() const;  // "udp 1.2.3.4:5000 -> 10.0.0.1:3478"
};

// One relay IP: `private_ip` is where the runtime binds relay sockets (and the `local` of relayed
// Transmits and Datagrams); `public_ip` is what XOR-RELAYED-ADDRESS advertises (coturn's
// `external-ip=public/private`). An unset public_ip means the same as private_ip.
struct RelayAddressConfig {
  IpAddress private_ip;
  IpAddress public_ip;
};

// The peer-address policy (RFC 8656 §9, §21.3; issue 6 §2).
struct PeerPolicy {
  // Ranges refused as peers. Defaults to DefaultDeniedPeerRanges(); coturn's denied-peer-ip adds to it.
  std::vector<IpPrefix> denied_peer_ranges;
  // Ranges allowed even when denied above (coturn's allowed-peer-ip). Never overrides the own-address rule
  // (see the header comment).
  std::vector<IpPrefix> allowed_peer_ranges;
};

// loopback, 0/8, RFC 1918, 100.64/10, 169.254/16, 192.0.0/24, the documentation and benchmarking ranges,
// multicast, 240/4 and broadcast; ::/128, ::1, fc00::/7, fe80::/10, ::ffff:0:0/96 (v4-mapped),
// 64:ff9b::/96 and 64:ff9b:1::/48 (NAT64), 2002::/16 (6to4), 2001::/32 (Teredo), 2001:db8::/32,
// 2001:2::/48, ff00::/8.
std::vector<IpPrefix> DefaultDeniedPeerRanges();

struct TurnServerConfig {
  std::string realm = "tern";
  std::string software;       // SOFTWARE in responses; empty: none
  bool fingerprint = true;    // FINGERPRINT on every STUN message the server sends

  // The addresses clients reach the server on (one per listening socket; used for the own-address deny
  // rule and for validation). Input on any other local address that is not a relayed one is dropped.
  std::vector<SocketAddress> listening;
  // Relay IPs (at least one per family the server relays). Ports come from [min_port, max_port].
  std::vector<RelayAddressConfig> relay_addresses;
  uint16_t min_port = 49152;
  uint16_t max_port = 65535;
  bool confirm_relay_binds = true;
  int max_relay_bind_attempts = 8;

  // Long-term credentials (RFC 8489 §9.2): static users (coturn user=name:pass) ...
  std::map<std::string, std::string> users;
  // ... and/or coturn REST-API secrets (use-auth-secret + static-auth-secret): username
  // "<expiry>[:<user>]", password base64(HMAC-SHA1(secret, username)); any listed secret may match.
  std::vector<std::string> rest_secrets;
  // Unix time (seconds) = (now - Timestamp::Zero() + unix_time_offset).seconds(): REST expiry checks need
  // wall time and `now` is monotonic. The runtime sets it to system_clock - steady_clock at start-up.
  Duration unix_time_offset = Duration::Zero();
  // RFC 8489 §9.2: offer PASSWORD-ALGORITHMS (MD5 and SHA-256) under the nonce cookie and accept
  // MESSAGE-INTEGRITY-SHA256. Clients that ignore the cookie keep using MD5 + MESSAGE-INTEGRITY.
  bool offer_password_algorithms = true;
  Duration nonce_lifetime = Duration::Seconds(600);

  // Lifetimes (RFC 8656 §7.2, §9, §11).
  Duration default_lifetime = Duration::Seconds(600);
  Duration max_lifetime = Duration::Seconds(3600);
  Duration permission_lifetime = Duration::Seconds(300);
  Duration channel_lifetime = Duration::Seconds(600);
  // A channel number (and its peer) stays unusable for rebinding to another peer this long after it
  // expires (RFC 8656 §11: 5 minutes).
  Duration channel_quarantine = Duration::Seconds(300);
  Duration reservation_lifetime = Duration::Seconds(30);  // EVEN-PORT R-bit reservations (§7.2)
  // Channel numbers a client may bind: true accepts RFC 5766's 0x4000-0x7FFF as coturn does (its
  // turnutils_uclient binds e.g. 0x7647), false only RFC 8656's 0x4000-0x4FFF. Either way a number outside
  // is refused with 400, and on UDP and TCP/TLS a first byte 0x00-0x3F is STUN and 0x40-0x7F (0x40-0x4F
  // with false) is ChannelData. The listening port carries no DTLS, so the wider range costs no RFC 7983
  // demultiplexing.
  bool rfc5766_channel_numbers = true;

  // Quotas (486 Allocation Quota Reached). 0 = unlimited, except max_allocations which is a hard cap.
  size_t total_quota = 0;   // coturn total-quota
  size_t user_quota = 0;    // coturn user-quota: allocations per username
  size_t max_allocations = 100000;
  size_t max_permissions_per_allocation = 256;   // beyond: 508
  size_t max_channels_per_allocation = 256;      // beyond: 508
  // Per-allocation relay bandwidth cap, bytes per second in each direction (0 = none); excess dropped.
  uint64_t bandwidth_cap_bytes_per_second = 0;

  PeerPolicy peer_policy{DefaultDeniedPeerRanges(), {}};
  // RFC 8656 §7.2: with false, an Allocate carrying DONT-FRAGMENT is refused with 420 (the runtime cannot
  // set DF on relayed datagrams). Linux UDP sockets send with DF by default (path-MTU discovery).
  bool dont_fragment_supported = true;

  // No amplification: an unauthenticated response (a Binding success, a 401/438 challenge, any error
  // sent before credentials are verified) carries no SOFTWARE and is at most the request's size plus
  // this many bytes; a larger one is dropped and counted. 0 makes it "never larger than the request",
  // which refuses the 401 challenge (about 120 bytes with a short realm) to every client whose first
  // Allocate is shorter (browsers send 28 bytes), so keep an allowance for interop; the per-source rate
  // limit below bounds what a spoofed source can reflect.
  size_t amplification_allowance = 192;

  // Rate limit for requests that do not carry valid credentials (Binding, the first Allocate, failed
  // auth), per source IP: a token bucket of `unauthenticated_burst` refilled at `unauthenticated_rate`
  // per second. Excess requests are dropped silently (counted). 0 rate = no limit.
  double unauthenticated_rate = 50;
  double unauthenticated_burst = 100;
  size_t max_rate_limit_entries = 65536;  // buckets tracked; the oldest is evicted beyond it

  // Bounds for TCP/TLS client connections and output queues.
  size_t max_stream_frame_size = 65536 + 4;
  size_t max_streams = 65536;
  size_t max_total_stream_buffer = 64 << 20;  // bytes held in incomplete frames, all connections
  size_t max_queued_transmits = 65536;  // beyond: dropped and counted
  // Beyond it, informational events (AuthFailed, PeerDenied, QuotaHit) are dropped and counted; the
  // ones the runtime must act on (RelayOpened/Closed, Allocated, Deallocated, CloseStream) never are.
  size_t max_queued_events = 65536;
};

// Why an allocation ended.
enum class DeallocationReason : uint8_t {
  kClientRequest,   // Refresh with LIFETIME 0
  kExpired,
  kStreamClosed,    // the client's TCP/TLS connection ended
  kRelayBindFailed, // the runtime could not bind the relayed address (confirm_relay_binds off)
  kShutdown,
};
std::string_view DeallocationReasonName(DeallocationReason reason);

// The runtime must bind a UDP socket on `address` (a private relay IP) and report the outcome with
// HandleRelayBindResult.
struct RelayOpened {
  SocketAddress address;
};
// The runtime should close the socket bound on `address`.
struct RelayClosed {
  SocketAddress address;
};
struct Allocated {
  FiveTuple five_tuple;
  std::string username;
  std::vector<SocketAddress> relayed;  // advertised (public) addresses, one per family
  Duration lifetime;
};
struct Deallocated {
  FiveTuple five_tuple;
  std::string username;
  DeallocationReason reason = DeallocationReason::kExpired;
};
// A request failed authentication (RFC 8489 §9.2.4): unknown user, bad MESSAGE-INTEGRITY, expired REST
// username. Not emitted for the first unauthenticated request that only gets a 401 challenge.
struct AuthFailed {
  FiveTuple five_tuple;
  std::string username;
  std::string reason;
};
// A CreatePermission, ChannelBind or Send indication named a peer the policy refuses.
struct PeerDenied {
  FiveTuple five_tuple;
  std::string username;
  IpAddress peer;
};
// An Allocate was refused with 486 (user or total quota) or 508 (capacity).
struct QuotaHit {
  FiveTuple five_tuple;
  std::string username;
  int error_code = 0;
};
// The runtime should close this TCP/TLS connection (framing error, frame too large).
struct CloseStream {
  FiveTuple five_tuple;
  absl::Status status;
};
using TurnServerEvent =
    std::variant<RelayOpened, RelayClosed, Allocated, Deallocated, AuthFailed, PeerDenied, QuotaHit, CloseStream>;

// Counters for metrics (Prometheus). Monotonic except the gauges marked.
struct TurnServerStats {
  uint64_t allocations = 0;          // gauge: current allocations
  uint64_t allocations_total = 0;    // created
  uint64_t permissions = 0;          // gauge
  uint64_t channels = 0;             // gauge
  uint64_t streams = 0;              // gauge: tracked TCP/TLS connections
  uint64_t binding_requests = 0;
  uint64_t requests = 0;             // all STUN requests
  uint64_t packets_client_to_peer = 0;
  uint64_t bytes_client_to_peer = 0;  // payload bytes relayed
  uint64_t packets_peer_to_client = 0;
  uint64_t bytes_peer_to_client = 0;
  uint64_t auth_failures = 0;
  uint64_t stale_nonces = 0;
  uint64_t denied_peers = 0;
  uint64_t quota_hits = 0;
  uint64_t relay_bind_failures = 0;
  uint64_t rate_limited = 0;          // unauthenticated requests dropped by the rate limit
  uint64_t amplification_dropped = 0; // unauthenticated responses dropped for being larger than the request
  uint64_t bandwidth_dropped = 0;     // packets over the per-allocation cap
  uint64_t dropped_malformed = 0;
  uint64_t dropped_no_allocation = 0;
  uint64_t dropped_no_permission = 0;
  uint64_t dropped_transmits = 0;     // queue full
  uint64_t dropped_events = 0;        // queue full
  uint64_t stream_errors = 0;
};

// Policy seams (Pion-style). Each is optional; the defaults are coturn's behaviour.
struct TurnServerHooks {
  // Returns the password for `username` in `realm`, or nullopt for an unknown user. Default: the static
  // users, then the REST secrets (refusing expired usernames).
  absl::AnyInvocable<std::optional<std::string>(std::string_view username, std::string_view realm,
                                                const FiveTuple& five_tuple)>
      password_lookup;
  // Asked after the built-in peer policy (CreatePermission, ChannelBind, Send): `allowed` is its verdict;
  // return the final one. The own-address rule applies after it regardless.
  absl::AnyInvocable<bool(const FiveTuple& five_tuple, std::string_view username, const IpAddress& peer,
                          bool allowed)>
      permission_check;
  // Load shedding (RFC 8489 §10): return an address to answer an Allocate with 300 Try Alternate.
  absl::AnyInvocable<std::optional<SocketAddress>(const FiveTuple& five_tuple)> alternate_server;
};

class TurnServer {
 public:
  // `random` (nonces, relay ports, reservation tokens) must outlive the server. The config is checked by
  // Create(); the constructor assumes a valid one.
  static absl::StatusOr<std::unique_ptr<TurnServer>> Create(TurnServerConfig config, Random& random,
                                                            TurnServerHooks hooks = {});
  ~TurnServer();
  TurnServer(const TurnServer&) = delete;
  TurnServer& operator=(const TurnServer&) = delete;

  // Sans-IO contract (see the header comment).
  void HandleInput(const Datagram& datagram, Timestamp now);
  void HandleStreamClosed(const FiveTuple& five_tuple, Timestamp now);
  void HandleRelayBindResult(const SocketAddress& address, const absl::Status& status, Timestamp now);
  // An ICMP error the runtime read from the relay socket bound on `relayed` (IP_RECVERR) about a datagram
  // sent to `peer` (RFC 8656 §11.6): relayed to the client as a Data indication carrying ICMP and
  // XOR-PEER-ADDRESS when the peer has a permission and the type is one the RFC forwards (ICMPv4
  // Destination Unreachable 3 / Time Exceeded 11; ICMPv6 1, 2 Packet Too Big, 3). `error_data` is the
  // next-hop MTU for "fragmentation needed" / Packet Too Big, else 0.
  void HandleIcmp(const SocketAddress& relayed, const SocketAddress& peer, uint8_t type, uint8_t code,
                  uint32_t error_data, Timestamp now);
  void HandleTimeout(Timestamp now);
  std::optional<Transmit> PollTransmit();
  std::optional<TurnServerEvent> PollEvent();
  std::optional<Timestamp> NextTimeout() const;

  // Hands back a Transmit's payload buffer after sending it, so the next Transmit reuses its capacity
  // instead of allocating (optional; a small pool is kept).
  void RecycleBuffer(std::vector<uint8_t> buffer);

  // Ends every allocation (RelayClosed + Deallocated events).
  void Shutdown(Timestamp now);

  // Replaces the static users / REST secrets (config reload); existing allocations keep their keys.
  void SetUsers(std::map<std::string, std::string> users);
  void SetRestSecrets(std::vector<std::string> secrets);

  const TurnServerStats& stats() const;
  const TurnServerConfig& config() const;
  // Introspection for tests and metrics.
  size_t allocation_count() const;
  size_t rate_limit_entry_count() const;
  size_t stream_count() const;
  size_t reserved_port_count() const;  // ports in use or reserved (EVEN-PORT R bit)
  bool HasAllocation(const FiveTuple& five_tuple) const;
  // Whether `peer` passes the range policy (deny list, allow list, unspecified addresses; no hooks).
  bool IsPeerAllowed(const IpAddress& peer) const;
  // Whether `peer` is one of the server's own sockets (always refused as a destination).
  bool IsOwnAddress(const SocketAddress& peer) const;

  class Impl;

 private:
  explicit TurnServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tern::turn

#endif  // TERN_TURN_TURN_SERVER_H_
