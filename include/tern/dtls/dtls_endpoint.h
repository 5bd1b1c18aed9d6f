// One DTLS 1.2 association (RFC 6347) as WebRTC uses it: mutual certificate authentication by
// signalled fingerprint (RFC 8827 §6.5, RFC 8122 §5), DTLS-SRTP profile negotiation and key export
// (RFC 5764 §4.1-§4.2, RFC 7714 §14.2), application data for SCTP (RFC 8261), close_notify
// (RFC 5246 §7.2.1). Runs on BoringSSL behind this sans-IO interface; no BoringSSL type is visible here.
//
// Sans-IO contract (DESIGN.md). The endpoint never touches a socket or a clock: every call that can
// move it takes `now`, and handshake retransmission (RFC 6347 §4.2.4) runs on those timestamps only —
// BoringSSL's DTLS timer is fed from them, never from the wall clock.
//
//   THE DRAIN RULE: after every call to Start, HandleInput, HandleTimeout, Send, Close or
//   SetRemoteFingerprints, call PollTransmit() until it returns nullopt (send each datagram as is, in
//   order), then PollEvent() until it returns nullopt, then read NextTimeout() and arrange for
//   HandleTimeout(t) to be called once the time t has come. Outputs left undrained are kept (nothing
//   is lost), but a timeout read before draining may be stale.
//
// Every PollTransmit() datagram is at most `mtu` bytes, during the handshake (BoringSSL fragments
// handshake messages to fit) and after it (Send refuses data that would not fit one record).
// HandleInput takes one received UDP payload (one or more DTLS records); it never fails: bad records
// are dropped as RFC 6347 §4.1.2.7 asks, and a fatal protocol error becomes one DtlsFailed event.
//
// Randomness: BoringSSL draws handshake randoms, ECDHE keys and record IVs from its own RNG, not from
// an injected tern::Random, so two runs with the same inputs do not produce the same bytes (the
// message sequence and the timing do not depend on it). Not thread-safe: use one endpoint from one
// thread at a time (different endpoints may run on different threads).
#ifndef TERN_DTLS_DTLS_ENDPOINT_H_
#define TERN_DTLS_DTLS_ENDPOINT_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tern/base/byte_io.h"
#include "tern/base/time.h"
#include "tern/dtls/certificate.h"
#include "tern/dtls/fingerprint.h"
#include "tern/dtls/setup.h"
#include "tern/dtls/srtp_profile.h"

namespace tern {

// The default use_srtp offer, most preferred first (RFC 7714 GCM profiles, then RFC 5764 ones).
inline std::vector<SrtpProfile> DefaultSrtpProfiles() {
  return {SrtpProfile::kAeadAes128Gcm, SrtpProfile::kAeadAes256Gcm, SrtpProfile::kAes128CmSha1_80,
          SrtpProfile::kAes128CmSha1_32};
}

struct DtlsConfig {
  DtlsRole role = DtlsRole::kClient;
  // Our identity; required.
  DtlsCertificate certificate;
  // The peer's a=fingerprint values. The peer's leaf certificate must match one of them. May be left
  // empty and supplied later with SetRemoteFingerprints (the answer can arrive after the first
  // ClientHello): the handshake then waits at certificate verification until it is.
  std::vector<DtlsFingerprint> remote_fingerprints;
  // use_srtp profiles to offer (client) or accept (server), most preferred first. The server's order
  // decides: it picks its most preferred profile that the client offered (RFC 5764 §4.1.1 leaves the
  // choice to the server). No common profile: the handshake completes without SRTP (§4.1.3). Empty:
  // no use_srtp extension (data channels only).
  std::vector<SrtpProfile> srtp_profiles = DefaultSrtpProfiles();
  // Largest datagram we send, in bytes (the UDP payload). 1200 is what browsers use.
  size_t mtu = 1200;
  // First handshake retransmission timeout; it doubles up to 60 s (RFC 6347 §4.2.4.1 recommends 1 s).
  Duration initial_retransmit_timeout = Duration::Seconds(1);
};

// The handshake finished and the peer's certificate matched a signalled fingerprint.
struct DtlsConnected {
  // Set when use_srtp was negotiated (RFC 5764 §4.2 exporter output, split per profile).
  std::optional<SrtpKeyingMaterial> srtp;
  // The fingerprint from signalling that the peer's certificate matched.
  DtlsFingerprint peer_fingerprint;
  // The peer's leaf certificate, DER.
  std::vector<uint8_t> peer_certificate_der;
};

// One application-data record's plaintext.
struct DtlsApplicationData {
  std::vector<uint8_t> data;
};

// The peer sent close_notify. We answered with ours; the endpoint is closed.
struct DtlsClosed {};

// The handshake or the association failed; the endpoint is dead. Codes: Unauthenticated (fingerprint
// mismatch, no certificate, a bad signature, or the peer refused ours), DeadlineExceeded
// (retransmissions exhausted), Aborted (any other fatal alert or protocol error, sent or received).
struct DtlsFailed {
  absl::Status status;
};

using DtlsEvent = std::variant<DtlsConnected, DtlsApplicationData, DtlsClosed, DtlsFailed>;

enum class DtlsState { kNew, kConnecting, kConnected, kClosed, kFailed };

class DtlsEndpoint {
 public:
  // Fails (InvalidArgument) on an empty certificate, an MTU below 256 or above 16384, or a zero
  // retransmission timeout.
  static absl::StatusOr<DtlsEndpoint> Create(DtlsConfig config);

  DtlsEndpoint(DtlsEndpoint&&) noexcept;
  DtlsEndpoint& operator=(DtlsEndpoint&&) noexcept;
  ~DtlsEndpoint();

  // Begins the handshake: a client queues its ClientHello; a server starts waiting for one. Calls
  // before Start (other than setters) are ignored.
  void Start(Timestamp now);

  // One received datagram (RFC 7983 says which bytes are DTLS: see demux.h).
  void HandleInput(ByteSpan datagram, Timestamp now);
  // Retransmits the last flight when its timer has expired at `now` (never earlier).
  void HandleTimeout(Timestamp now);

  std::optional<std::vector<uint8_t>> PollTransmit();
  std::optional<DtlsEvent> PollEvent();
  // When HandleTimeout wants to run next: only while a handshake flight awaits its answer.
  std::optional<Timestamp> NextTimeout() const;

  // Sends one application-data record. FailedPrecondition unless connected; InvalidArgument when
  // app_data is longer than MaxApplicationDataSize(). An empty app_data sends nothing.
  absl::Status Send(ByteSpan app_data, Timestamp now);
  // Sends close_notify when connected and closes the endpoint (no DtlsClosed event for a local
  // close). During the handshake it just stops. Idempotent.
  void Close(Timestamp now);

  // Supplies (or replaces) the signalled peer fingerprints; resumes a handshake that was waiting for
  // them. InvalidArgument when empty.
  absl::Status SetRemoteFingerprints(std::vector<DtlsFingerprint> fingerprints, Timestamp now);

  DtlsState state() const;
  DtlsRole role() const;
  size_t mtu() const;
  // The largest Send() payload that fits one datagram of `mtu` bytes with the negotiated cipher; 0
  // before the handshake completes.
  size_t MaxApplicationDataSize() const;
  // The negotiated cipher suite's standard name (e.g. "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
  // empty before the handshake completes.
  std::string_view CipherSuiteName() const;

  // Counters, for tests and stats.
  uint64_t datagrams_dropped() const;  // oversize or arriving after close/failure
  uint64_t retransmissions() const;    // flights re-sent because a timer expired

 private:
  struct Impl;
  explicit DtlsEndpoint(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tern

#endif  // TERN_DTLS_DTLS_ENDPOINT_H_
