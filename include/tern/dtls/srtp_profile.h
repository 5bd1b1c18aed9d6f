// DTLS-SRTP protection profiles (RFC 5764 §4.1.2, RFC 7714 §14.2) and the keying material a DTLS
// handshake exports for them (RFC 5764 §4.2). Defined in dtls (which negotiates and exports them) so
// that srtp, one layer up, can consume them.
#ifndef TERN_DTLS_SRTP_PROFILE_H_
#define TERN_DTLS_SRTP_PROFILE_H_

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace tern {

// Values are the IANA DTLS-SRTP protection profile numbers.
enum class SrtpProfile : uint16_t {
  kAes128CmSha1_80 = 0x0001,
  kAes128CmSha1_32 = 0x0002,
  kAeadAes128Gcm = 0x0007,
  kAeadAes256Gcm = 0x0008,
};

struct SrtpProfileInfo {
  size_t key_size;        // master key, bytes
  size_t salt_size;       // master salt, bytes
  size_t srtp_auth_tag;   // bytes appended to an SRTP packet (HMAC tag or AEAD tag)
  size_t srtcp_auth_tag;  // bytes of tag on SRTCP
  std::string_view name;  // "SRTP_AES128_CM_SHA1_80", "SRTP_AEAD_AES_128_GCM", … (OpenSSL/BoringSSL names)
};

constexpr SrtpProfileInfo GetSrtpProfileInfo(SrtpProfile p) {
  switch (p) {
    case SrtpProfile::kAes128CmSha1_80: return {16, 14, 10, 10, "SRTP_AES128_CM_SHA1_80"};
    case SrtpProfile::kAes128CmSha1_32: return {16, 14, 4, 10, "SRTP_AES128_CM_SHA1_32"};
    case SrtpProfile::kAeadAes128Gcm: return {16, 12, 16, 16, "SRTP_AEAD_AES_128_GCM"};
    case SrtpProfile::kAeadAes256Gcm: return {32, 12, 16, 16, "SRTP_AEAD_AES_256_GCM"};
  }
  return {0, 0, 0, 0, ""};
}

// The exporter output "EXTRACTOR-dtls_srtp" split per RFC 5764 §4.2:
// client_write_key | server_write_key | client_write_salt | server_write_salt.
struct SrtpKeyingMaterial {
  SrtpProfile profile = SrtpProfile::kAeadAes128Gcm;
  std::vector<uint8_t> client_key;
  std::vector<uint8_t> client_salt;
  std::vector<uint8_t> server_key;
  std::vector<uint8_t> server_salt;
};

}  // namespace tern

#endif  // TERN_DTLS_SRTP_PROFILE_H_
