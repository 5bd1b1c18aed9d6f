// What a PeerConnection is built from: the W3C RTCConfiguration (iceServers, iceTransportPolicy,
// certificates) plus what an embedding needs (bind addresses, a port range, the SCTP message size
// limit, ICE-lite for servers). ICE server URLs follow RFC 7064 (stun:, stuns:) and RFC 7065 (turn:,
// turns: with ?transport=udp|tcp).
#ifndef TERN_CONFIGURATION_H_
#define TERN_CONFIGURATION_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tern/base/ip_address.h"
#include "tern/dtls/certificate.h"

namespace tern {

// One parsed ICE server URL.
//   stun:host[:port]                       (RFC 7064 §3.1; default port 3478)
//   stuns:host[:port]                      (default port 5349; accepted, not used yet)
//   turn:host[:port][?transport=udp|tcp]   (RFC 7065 §3.1; default port 3478, transport udp)
//   turns:host[:port][?transport=udp|tcp]  (default port 5349, transport tcp, i.e. TLS)
// `host` is an IPv4 literal, an IPv6 literal in brackets ("[2001:db8::1]") or a DNS name.
// What PeerConnection::Create uses today: stun: and turn: over UDP with an IP literal (or "localhost");
// stuns: is skipped (as browsers do); DNS names and TURN over TCP/TLS (turns:, ?transport=tcp) parse
// and validate but Create refuses them with Unimplemented, naming the URL.
struct IceServerUrl {
  enum class Scheme : uint8_t { kStun, kStuns, kTurn, kTurns };
  enum class Transport : uint8_t { kUdp, kTcp };
  Scheme scheme = Scheme::kStun;
  std::string host;  // without brackets
  uint16_t port = 3478;
  Transport transport = Transport::kUdp;

  bool is_turn() const { return scheme == Scheme::kTurn || scheme == Scheme::kTurns; }
  bool is_tls() const { return scheme == Scheme::kStuns || scheme == Scheme::kTurns; }
  // The host as an IP address, when it is a literal.
  std::optional<IpAddress> ip() const;

  // InvalidArgument with a message naming what is wrong: an unknown scheme, an empty or malformed
  // host, a bad port, "//" after the scheme (RFC 7064 forbids it), a query on a stun: URL, or an
  // unknown query parameter or transport.
  static absl::StatusOr<IceServerUrl> Parse(std::string_view url);
  std::string ToString() const;
};

// W3C RTCIceServer.
struct IceServer {
  std::vector<std::string> urls;
  std::string username;    // required for turn:/turns:
  std::string credential;  // required for turn:/turns:
};

// W3C RTCIceTransportPolicy: kRelay gathers and uses only TURN relay candidates.
enum class IceTransportPolicy : uint8_t { kAll, kRelay };

struct Configuration {
  std::vector<IceServer> ice_servers;
  IceTransportPolicy ice_transport_policy = IceTransportPolicy::kAll;

  // Local addresses to gather host candidates on, one UDP socket each. Empty: every address of every
  // interface that is up, except loopback and link-local (loopback when there is nothing else).
  std::vector<IpAddress> bind_addresses;
  // UDP ports to bind in, inclusive. Both 0: ephemeral ports. Otherwise 1 <= min <= max.
  uint16_t port_range_min = 0;
  uint16_t port_range_max = 0;

  // The DTLS identity (RFC 8827 §6.5). Unset: an ECDSA P-256 certificate generated per connection.
  // One certificate may be shared by any number of PeerConnections.
  std::optional<DtlsCertificate> certificate;

  // The a=max-message-size we announce (RFC 8841 §6): the largest message we accept. 0 is refused.
  uint64_t max_message_size = 256 * 1024;
  // The SCTP port in a=sctp-port (RFC 8841 §5).
  uint16_t sctp_port = 5000;
  // SCTP streams offered in each direction (1..65535). Data channel ids must be below the minimum of
  // ours and the peer's (Chromium offers 65535), so the default lets each side open 128 channels; a
  // connection that needs more channels raises it. Each stream costs about 100 bytes per connection
  // (256 streams: ~37 KiB of SCTP state; 1024: ~115 KiB; RFC 8831 §6.2's 65535: ~6.5 MiB).
  uint16_t sctp_max_streams = 256;

  // ICE-lite (RFC 8445 §2.5), for servers with a public address: no checks of our own, always the
  // controlled agent; we never gather server-reflexive or relay candidates.
  bool ice_lite = false;

  // Checks the whole configuration: every URL parses, TURN entries have a username and a credential,
  // the port range and the message size are sane, relay policy has at least one TURN server.
  absl::Status Validate() const;
};

}  // namespace tern

#endif  // TERN_CONFIGURATION_H_
