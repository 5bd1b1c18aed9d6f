// STUN credentials: the HMAC keys of short-term and long-term credentials (RFC 8489 §9.1.2, §9.2.2),
// USERHASH (§14.4), and the NONCE security-feature cookie (§9.2, §18.5).
//
// An IntegrityKey precomputes the HMAC-SHA1 and HMAC-SHA256 inner and outer key states once, so each
// MESSAGE-INTEGRITY computation afterwards costs only the hashing of the message. Build one per
// credential (e.g. per ICE session or TURN allocation) and reuse it; copies share the state.
//
// Passwords and usernames are used as given (the RFC 8265 OpaqueString profile is the identity for ASCII
// and for NFC-normalized UTF-8; tern does not normalize).
#ifndef TERN_STUN_CREDENTIALS_H_
#define TERN_STUN_CREDENTIALS_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "tern/base/byte_io.h"
#include "tern/stun/constants.h"

namespace tern::stun {

class IntegrityKey {
 public:
  // Short-term credentials: key = OpaqueString(password) (RFC 8489 §9.1.2). ICE uses these.
  static IntegrityKey ShortTerm(std::string_view password);
  // Long-term credentials: key = MD5 or SHA-256 of "username:realm:password" (RFC 8489 §9.2.2).
  static IntegrityKey LongTerm(std::string_view username, std::string_view realm,
                               std::string_view password,
                               PasswordAlgorithm algorithm = PasswordAlgorithm::kMd5);
  // A key from raw bytes (e.g. a stored long-term key).
  static IntegrityKey FromBytes(ByteSpan key);

  ByteSpan key() const;

  // HMAC-SHA1 / HMAC-SHA256 over the concatenation of the parts (the message pieces without copying).
  void HmacSha1(std::span<const ByteSpan> parts, uint8_t out[20]) const;
  void HmacSha256(std::span<const ByteSpan> parts, uint8_t out[32]) const;

  struct State;

 private:
  explicit IntegrityKey(std::shared_ptr<const State> state) : state_(std::move(state)) {}
  std::shared_ptr<const State> state_;
};

// USERHASH = SHA-256(OpaqueString(username) ":" OpaqueString(realm)) (RFC 8489 §14.4).
std::array<uint8_t, 32> ComputeUserhash(std::string_view username, std::string_view realm);

// The security-feature bits a server announces in its NONCE cookie (RFC 8489 §18.5).
struct SecurityFeatures {
  bool password_algorithms = false;  // bit 0 (the least significant bit, RFC 8489 erratum 6290)
  bool username_anonymity = false;   // bit 1
  friend bool operator==(const SecurityFeatures&, const SecurityFeatures&) = default;
};
inline constexpr std::string_view kNonceCookiePrefix = "obMatJos2";
// "obMatJos2" + base64 of the 24-bit feature set + the server's own nonce text.
std::string MakeNonceWithCookie(SecurityFeatures features, std::string_view opaque);
// The features in a NONCE that starts with the cookie; nullopt when it does not (or the 4 characters
// after the prefix are not valid base64).
std::optional<SecurityFeatures> ParseNonceCookie(std::string_view nonce);

}  // namespace tern::stun

#endif  // TERN_STUN_CREDENTIALS_H_
