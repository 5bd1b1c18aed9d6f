// A snapshot of a PeerConnection's statistics, shaped like the W3C RTCStatsReport (webrtc-stats):
// the dictionaries a data-channel connection has — peer-connection, transport, candidate-pair,
// local-candidate, remote-candidate, data-channel and certificate — with the W3C member names in
// snake_case and the W3C ids linking them (transport.selected_candidate_pair_id -> a candidate pair,
// candidate_pair.local_candidate_id -> a local candidate, ...).
#ifndef TERN_STATS_H_
#define TERN_STATS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tern/base/time.h"

namespace tern {

struct PeerConnectionStatsEntry {  // type "peer-connection"
  std::string id;
  uint32_t data_channels_opened = 0;
  uint32_t data_channels_closed = 0;
};

struct TransportStats {  // type "transport"
  std::string id;
  uint64_t packets_sent = 0;
  uint64_t packets_received = 0;
  uint64_t bytes_sent = 0;
  uint64_t bytes_received = 0;
  std::string ice_role;         // "controlling", "controlled", "unknown"
  std::string ice_local_username_fragment;
  std::string ice_state;        // RTCIceTransportState
  std::string dtls_state;       // "new", "connecting", "connected", "closed", "failed"
  std::string dtls_role;        // "client", "server", "unknown"
  std::string tls_version;      // "FEFD" for DTLS 1.2 once connected
  std::string dtls_cipher;      // e.g. "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"
  std::string srtp_cipher;      // e.g. "SRTP_AEAD_AES_128_GCM", empty without use_srtp
  std::string selected_candidate_pair_id;
  std::string local_certificate_id;
  std::string remote_certificate_id;
  uint32_t selected_candidate_pair_changes = 0;
  // tern additions: datagrams the connection dropped because nothing claimed them (RFC 7983 unknown
  // first byte, DTLS or SCTP garbage, media without SRTP).
  uint64_t datagrams_dropped = 0;
};

struct CandidatePairStats {  // type "candidate-pair"
  std::string id;
  std::string transport_id;
  std::string local_candidate_id;
  std::string remote_candidate_id;
  std::string state;  // "frozen", "waiting", "in-progress", "succeeded", "failed"
  bool nominated = false;
  bool selected = false;  // tern addition: the transport's selected pair
  uint64_t priority = 0;
  uint64_t packets_sent = 0;  // only the selected pair counts application data
  uint64_t packets_received = 0;
  uint64_t bytes_sent = 0;
  uint64_t bytes_received = 0;
};

struct IceCandidateStats {  // type "local-candidate" / "remote-candidate"
  std::string id;
  std::string transport_id;
  bool is_remote = false;
  std::string address;
  uint16_t port = 0;
  std::string protocol;        // "udp", "tcp"
  std::string candidate_type;  // "host", "srflx", "prflx", "relay"
  uint32_t priority = 0;
  std::string foundation;
  std::string related_address;
  uint16_t related_port = 0;
  std::string url;  // the STUN/TURN server it came from (local srflx/relay)
};

struct DataChannelStats {  // type "data-channel"
  std::string id;
  std::string label;
  std::string protocol;
  std::optional<uint16_t> data_channel_identifier;
  std::string state;  // RTCDataChannelState
  uint32_t messages_sent = 0;
  uint64_t bytes_sent = 0;
  uint32_t messages_received = 0;
  uint64_t bytes_received = 0;
};

struct CertificateStats {  // type "certificate"
  std::string id;
  std::string fingerprint;            // "AB:CD:..."
  std::string fingerprint_algorithm;  // "sha-256"
  std::string base64_certificate;     // DER, base64
};

struct Stats {
  Timestamp timestamp;  // the loop's steady clock
  PeerConnectionStatsEntry peer_connection;
  std::vector<TransportStats> transports;
  std::vector<CandidatePairStats> candidate_pairs;
  std::vector<IceCandidateStats> local_candidates;
  std::vector<IceCandidateStats> remote_candidates;
  std::vector<DataChannelStats> data_channels;
  std::vector<CertificateStats> certificates;

  const CandidatePairStats* SelectedCandidatePair() const;
  // The report as W3C JSON: an object mapping each id to its dictionary, with "type" and
  // "timestamp" (milliseconds) members and camelCase member names.
  std::string ToJson() const;
};

}  // namespace tern

#endif  // TERN_STATS_H_
