// Certificate fingerprints as SDP carries them in a=fingerprint (RFC 8122 §5, RFC 8842 §5):
// "sha-256 AB:CD:...:EF" — a hash function name, then the digest of the DER certificate in uppercase
// hex pairs joined by colons. WebRTC authenticates a DTLS peer by this value alone (RFC 8827 §6.5).
#ifndef TERN_DTLS_FINGERPRINT_H_
#define TERN_DTLS_FINGERPRINT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "tern/base/byte_io.h"

namespace tern {

// The hash functions RFC 8122 §5 lists that are still acceptable (md2 and md5 are refused).
enum class FingerprintHash { kSha1, kSha224, kSha256, kSha384, kSha512 };

// "sha-1", "sha-224", "sha-256", "sha-384", "sha-512" (the RFC 8122 / IANA "Hash Function Textual
// Names").
std::string_view FingerprintHashName(FingerprintHash hash);
// Digest size in bytes: 20, 28, 32, 48, 64.
size_t FingerprintHashSize(FingerprintHash hash);

struct DtlsFingerprint {
  FingerprintHash hash = FingerprintHash::kSha256;
  std::vector<uint8_t> digest;

  // The digest of `der` (a DER certificate) with `hash`.
  static DtlsFingerprint Compute(FingerprintHash hash, ByteSpan der);

  // Parses the value of an a=fingerprint attribute: a hash name (case-insensitive), one or more spaces
  // or tabs, then exactly FingerprintHashSize() hex pairs (either case) separated by single colons.
  // Leading/trailing whitespace is ignored. Unknown or refused hash functions, a wrong digest length
  // and malformed hex are errors (InvalidArgument).
  static absl::StatusOr<DtlsFingerprint> Parse(std::string_view sdp_value);

  // "sha-256 AB:CD:..." with uppercase hex, as RFC 8122 §5 writes it.
  std::string ToSdp() const;
  // Only the "AB:CD:..." part.
  std::string DigestHex() const;

  friend bool operator==(const DtlsFingerprint&, const DtlsFingerprint&) = default;
};

// True when `der` hashes to `fingerprint` (compared in constant time).
bool FingerprintMatches(const DtlsFingerprint& fingerprint, ByteSpan der);

}  // namespace tern

#endif  // TERN_DTLS_FINGERPRINT_H_
