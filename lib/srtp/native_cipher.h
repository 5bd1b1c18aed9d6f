// The native backend's packet transforms on BoringSSL, one object per direction and session key set:
// RFC 3711 key derivation (§4.3, AES-CM PRF, kdr = 0; for AES-GCM the 96-bit master salt is
// right-padded with zeros as RFC 7714 §11 and libsrtp do), AES-CM + HMAC-SHA1 (§4.1.1, §4.2.1) and
// AEAD_AES_128/256_GCM (RFC 7714 §8-§9, on EVP_CIPHER_CTX). They take an explicit packet index: the per-SSRC state and
// replay checks live in NativeSrtpSession. Nothing here allocates per packet. Internal to lib/srtp.
#ifndef TERN_LIB_SRTP_NATIVE_CIPHER_H_
#define TERN_LIB_SRTP_NATIVE_CIPHER_H_

#include <openssl/aes.h>
#include <openssl/sha.h>

#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "tern/base/byte_io.h"
#include "tern/dtls/srtp_profile.h"

namespace tern::srtp {

// RFC 3711 §4.3.1 labels.
enum class KdfLabel : uint8_t {
  kRtpEncryption = 0x00,
  kRtpAuthentication = 0x01,
  kRtpSalt = 0x02,
  kRtcpEncryption = 0x03,
  kRtcpAuthentication = 0x04,
  kRtcpSalt = 0x05,
};

// The AES-CM PRF of RFC 3711 §4.3.3 with r = 0: fills `out` with AES-CTR(master_key) keystream from
// IV = ((master_salt padded to 14 bytes) XOR (label << 48)) << 16. master_key: 16 or 32 bytes;
// master_salt: at most 14 bytes.
bool DeriveSessionKey(ByteSpan master_key, ByteSpan master_salt, KdfLabel label, MutableByteSpan out);

// Session keys of one direction (what the KDF produces), e.g. straight from RFC 7714's vectors.
struct SessionKeys {
  uint8_t rtp_key[32];
  uint8_t rtp_salt[14];
  uint8_t rtp_auth[20];
  uint8_t rtcp_key[32];
  uint8_t rtcp_salt[14];
  uint8_t rtcp_auth[20];
};
absl::StatusOr<SessionKeys> DeriveSessionKeys(SrtpProfile profile, ByteSpan master_key, ByteSpan master_salt);

class NativeCipher {
 public:
  static absl::StatusOr<std::unique_ptr<NativeCipher>> Create(SrtpProfile profile, const SessionKeys& keys);
  virtual ~NativeCipher() = default;

  size_t rtp_tag_size() const { return rtp_tag_size_; }
  size_t rtcp_tag_size() const { return rtcp_tag_size_; }
  // True when the SRTCP E+index word follows the tag (AEAD, RFC 7714 §9); false when it precedes it
  // (RFC 3711 §3.4).
  virtual bool rtcp_index_after_tag() const = 0;

  // packet[0, header_size) is the RTP header (with CSRCs and extension), [header_size, size) the
  // payload; writes the tag at packet + size (room guaranteed by the caller). Returns false only on an
  // internal crypto failure.
  virtual bool ProtectRtp(uint8_t* packet, size_t header_size, size_t size, uint32_t ssrc,
                          uint64_t index) = 0;
  // packet[0, size) ends with the tag (size >= header_size + rtp_tag_size()); decrypts in place.
  // Returns false when the tag does not verify.
  virtual bool UnprotectRtp(uint8_t* packet, size_t header_size, size_t size, uint32_t ssrc,
                            uint64_t index) = 0;
  // packet[0, size) is an RTCP packet (size >= 8); encrypts it (E = 1) and appends the E+index word and
  // the tag in the profile's order. Returns false only on an internal crypto failure.
  virtual bool ProtectRtcp(uint8_t* packet, size_t size, uint32_t ssrc, uint32_t index) = 0;
  // packet[0, size) is an SRTCP packet whose E+index word and tag sizes the caller has checked;
  // `encrypted` is its E flag. Verifies and, when encrypted, decrypts in place. Returns false when the
  // tag does not verify.
  virtual bool UnprotectRtcp(uint8_t* packet, size_t size, uint32_t ssrc, uint32_t index, bool encrypted) = 0;

 protected:
  NativeCipher(size_t rtp_tag_size, size_t rtcp_tag_size)
      : rtp_tag_size_(rtp_tag_size), rtcp_tag_size_(rtcp_tag_size) {}

 private:
  const size_t rtp_tag_size_;
  const size_t rtcp_tag_size_;
};

}  // namespace tern::srtp

#endif  // TERN_LIB_SRTP_NATIVE_CIPHER_H_
