// SRTP and SRTCP sessions (RFC 3711 §3-§4, RFC 7714 §8-§11) behind one interface, with two backends:
// a native one on BoringSSL (AES-GCM AEAD, AES-CM + HMAC-SHA1) and one wrapping libsrtp2.
//
// A session holds the master key of ONE direction: an outbound session protects, an inbound session
// unprotects. A DTLS-SRTP endpoint makes one of each from the exported keying material and its role
// (CreateDtlsSrtpSessions): the client protects with client_write_key/salt and unprotects with
// server_write_key/salt, the server the other way round (RFC 5764 §4.2).
//
// Each session carries any number of SSRCs up to SrtpSessionOptions::max_streams; per-SSRC state (RTP
// rollover counter and replay window, SRTCP index and replay window) is created on first use (for an
// inbound session only once a packet has authenticated). The key derivation rate is 0 (§4.3.1). Both
// backends behave the same packet for packet: same bytes out of Protect*, same verdict and status code
// out of Unprotect* (the unit tests and the srtp_unprotect fuzzer check it):
//   - RTP index estimation and replay checks as libsrtp does them (RFC 3711 §3.3.1, Appendix A and
//     §3.3.2): the replay window holds replay_window packets (rounded up to a multiple of 32) and is
//     also applied on the sending side (protecting the same sequence number twice is refused).
//   - SRTCP: 31-bit index; a sender's first SRTCP index is 1 (as libsrtp); a receiver keeps a
//     128-packet replay window per SSRC. Outgoing SRTCP is always encrypted (E = 1). Incoming SRTCP
//     with E = 0 (authenticated only) is accepted for AEAD profiles (RFC 7714 §9.3) and refused for
//     AES-CM profiles, again as libsrtp does.
//   - SRTCP always carries an 80-bit tag with AES-CM (RFC 3711 §3.4, RFC 5764 §4.1.2).
//
// Status codes (identical for both backends):
//   kInvalidArgument     malformed packet (shorter than its header + tag, CSRC/extension overrun,
//                        larger than kMaxPacketSize), a buffer without room for the tag, SRTCP E = 0
//                        on an AES-CM session, bad keys or options at creation
//   kUnauthenticated     the authentication tag does not verify (tampered packet or wrong key)
//   kAlreadyExists       replay: the packet index was already seen (or already protected)
//   kOutOfRange          the packet index is older than the replay window
//   kResourceExhausted   a new SSRC while max_streams are in use; the SRTCP index is exhausted
//   kFailedPrecondition  Protect* on an inbound session or Unprotect* on an outbound one
// On failure the packet bytes may have been overwritten (an AEAD open decrypts in place before it
// can reject); drop the packet.
//
// Threading: a session is not thread-safe; use it from one thread (a connection's loop thread).
#ifndef TERN_SRTP_SRTP_SESSION_H_
#define TERN_SRTP_SRTP_SESSION_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tern/base/byte_io.h"
#include "tern/dtls/srtp_profile.h"

namespace tern::srtp {

enum class SrtpBackend {
  kNative,   // BoringSSL: EVP_AEAD AES-GCM, AES-CTR + HMAC-SHA1 with precomputed key states
  kLibSrtp,  // libsrtp2 (Debian's is built on NSS)
};

// The backend new code should use; chosen from bench/RESULTS.srtp.md.
inline constexpr SrtpBackend kDefaultSrtpBackend = SrtpBackend::kNative;

enum class SrtpDirection {
  kInbound,   // Unprotect* only
  kOutbound,  // Protect* only
};

// Which end of the DTLS handshake this endpoint was (RFC 5764 §4.2 key assignment).
enum class DtlsSrtpRole { kClient, kServer };

struct SrtpSessionOptions {
  // RTP replay window in packets: 64 <= replay_window < 32768 (RFC 3711 §3.3.2 asks for >= 64;
  // video at high rates needs more). Rounded up to a multiple of 32.
  size_t replay_window = 1024;
  // The most SSRCs (RTP and RTCP share the per-SSRC state) one session tracks; >= 1.
  size_t max_streams = 1024;
};

// Largest packet any of the four operations accepts as input.
inline constexpr size_t kMaxSrtpPacketSize = 65536;

std::string_view SrtpBackendName(SrtpBackend backend);       // "native", "libsrtp"
std::string_view SrtpProfileShortName(SrtpProfile profile);  // "aes128gcm", "aes256gcm", "cm80", "cm32"

// Bytes that Protect* adds to a packet: the tag for SRTP; SRTCP index word + tag for SRTCP.
size_t SrtpOverhead(SrtpProfile profile);
size_t SrtcpOverhead(SrtpProfile profile);

class SrtpSession {
 public:
  // master_key and master_salt must have the sizes GetSrtpProfileInfo(profile) gives.
  static absl::StatusOr<std::unique_ptr<SrtpSession>> Create(SrtpBackend backend, SrtpProfile profile,
                                                             SrtpDirection direction, ByteSpan master_key,
                                                             ByteSpan master_salt,
                                                             const SrtpSessionOptions& options = {});

  virtual ~SrtpSession() = default;
  SrtpSession(const SrtpSession&) = delete;
  SrtpSession& operator=(const SrtpSession&) = delete;

  // Protects the RTP packet buffer[0, packet_size) in place and returns the SRTP packet's size;
  // buffer must have room for the tag (SrtpOverhead(profile) bytes after the packet).
  virtual absl::StatusOr<size_t> ProtectRtp(MutableByteSpan buffer, size_t packet_size) = 0;
  // Verifies and decrypts the SRTP packet in place; returns the size of the RTP packet now at the
  // start of `packet` (the tag is dropped).
  virtual absl::StatusOr<size_t> UnprotectRtp(MutableByteSpan packet) = 0;
  // The same for a (compound) RTCP packet: the SRTCP index word and the tag are appended (room for
  // SrtcpOverhead(profile) bytes needed) and removed again.
  virtual absl::StatusOr<size_t> ProtectRtcp(MutableByteSpan buffer, size_t packet_size) = 0;
  virtual absl::StatusOr<size_t> UnprotectRtcp(MutableByteSpan packet) = 0;

  // Forgets an SSRC's state (e.g. on RTCP BYE); returns whether it was known. On an outbound session
  // this also forgets the SSRC's rollover counter and SRTCP index: sending that SSRC again under the
  // same key would repeat packet indices, i.e. keystream (a GCM nonce), so remove only SSRCs that are
  // gone for good (or rekey).
  virtual bool RemoveStream(uint32_t ssrc) = 0;
  virtual size_t stream_count() const = 0;

  SrtpBackend backend() const { return backend_; }
  SrtpProfile profile() const { return profile_; }
  SrtpDirection direction() const { return direction_; }

 protected:
  SrtpSession(SrtpBackend backend, SrtpProfile profile, SrtpDirection direction)
      : backend_(backend), profile_(profile), direction_(direction) {}

 private:
  const SrtpBackend backend_;
  const SrtpProfile profile_;
  const SrtpDirection direction_;
};

// The two sessions of a DTLS-SRTP endpoint.
struct SrtpSessionPair {
  std::unique_ptr<SrtpSession> inbound;   // unprotects what the peer sends
  std::unique_ptr<SrtpSession> outbound;  // protects what we send
};

// Client: outbound keyed with client_key/client_salt, inbound with server_key/server_salt; the server
// the reverse (RFC 5764 §4.2). The profile is material.profile.
absl::StatusOr<SrtpSessionPair> CreateDtlsSrtpSessions(SrtpBackend backend,
                                                       const SrtpKeyingMaterial& material, DtlsSrtpRole role,
                                                       const SrtpSessionOptions& options = {});

}  // namespace tern::srtp

#endif  // TERN_SRTP_SRTP_SESSION_H_
