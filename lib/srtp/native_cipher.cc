#include "srtp/native_cipher.h"

#include <openssl/cipher.h>
#include <openssl/err.h>
#include <openssl/mem.h>

#include <cstring>

#include "absl/status/status.h"

namespace tern::srtp {

namespace {

constexpr size_t kCmSaltSize = 14;
constexpr size_t kGcmSaltSize = 12;
constexpr size_t kGcmTagSize = 16;
constexpr size_t kRtcpHeaderSize = 8;
constexpr size_t kRtcpIndexSize = 4;
constexpr size_t kHmacKeySize = 20;
constexpr size_t kShaBlockSize = 64;
constexpr uint32_t kRtcpEncryptedFlag = 0x80000000u;

bool IsGcm(SrtpProfile p) { return p == SrtpProfile::kAeadAes128Gcm || p == SrtpProfile::kAeadAes256Gcm; }

bool IsKnownProfile(SrtpProfile p) {
  return p == SrtpProfile::kAes128CmSha1_80 || p == SrtpProfile::kAes128CmSha1_32 || IsGcm(p);
}

// ---------------------------------------------------------------------------------------------------
// AES-CM + HMAC-SHA1 (RFC 3711 §4.1.1, §4.2.1)

// SHA-1 states after absorbing (key XOR ipad) and (key XOR opad) (RFC 2104): an HMAC is then one
// copy of each state plus the hashing of the message and of the inner digest.
struct HmacSha1Key {
  SHA_CTX inner;
  SHA_CTX outer;

  void Init(const uint8_t key[kHmacKeySize]) {
    uint8_t pad[kShaBlockSize];
    std::memset(pad, 0x36, sizeof(pad));
    for (size_t i = 0; i < kHmacKeySize; ++i) pad[i] ^= key[i];
    SHA1_Init(&inner);
    SHA1_Update(&inner, pad, sizeof(pad));
    std::memset(pad, 0x5c, sizeof(pad));
    for (size_t i = 0; i < kHmacKeySize; ++i) pad[i] ^= key[i];
    SHA1_Init(&outer);
    SHA1_Update(&outer, pad, sizeof(pad));
    OPENSSL_cleanse(pad, sizeof(pad));
  }

  // HMAC-SHA1(a || b) into out[20].
  void Compute(const uint8_t* a, size_t a_size, const uint8_t* b, size_t b_size,
               uint8_t out[SHA_DIGEST_LENGTH]) const {
    SHA_CTX c = inner;
    SHA1_Update(&c, a, a_size);
    if (b_size > 0) SHA1_Update(&c, b, b_size);
    uint8_t digest[SHA_DIGEST_LENGTH];
    SHA1_Final(digest, &c);
    c = outer;
    SHA1_Update(&c, digest, sizeof(digest));
    SHA1_Final(out, &c);
  }
};

// XORs AES-CM keystream for (ssrc, index) into data: IV = (salt << 16) XOR (ssrc << 64) XOR
// (index << 16).
void AesCmCrypt(const AES_KEY& key, const uint8_t salt[kCmSaltSize], uint32_t ssrc, uint64_t index,
                uint8_t* data, size_t size) {
  if (size == 0) return;
  uint8_t iv[AES_BLOCK_SIZE];
  std::memcpy(iv, salt, kCmSaltSize);
  iv[14] = 0;
  iv[15] = 0;
  iv[4] ^= static_cast<uint8_t>(ssrc >> 24);
  iv[5] ^= static_cast<uint8_t>(ssrc >> 16);
  iv[6] ^= static_cast<uint8_t>(ssrc >> 8);
  iv[7] ^= static_cast<uint8_t>(ssrc);
  for (int i = 0; i < 6; ++i) iv[8 + i] ^= static_cast<uint8_t>(index >> (40 - 8 * i));
  uint8_t ecount[AES_BLOCK_SIZE];
  unsigned int num = 0;
  AES_ctr128_encrypt(data, data, size, &key, iv, ecount, &num);
}

class AesCmHmacCipher final : public NativeCipher {
 public:
  AesCmHmacCipher(size_t rtp_tag_size, const SessionKeys& keys) : NativeCipher(rtp_tag_size, 10) {
    AES_set_encrypt_key(keys.rtp_key, 128, &rtp_aes_);
    AES_set_encrypt_key(keys.rtcp_key, 128, &rtcp_aes_);
    std::memcpy(rtp_salt_, keys.rtp_salt, kCmSaltSize);
    std::memcpy(rtcp_salt_, keys.rtcp_salt, kCmSaltSize);
    rtp_hmac_.Init(keys.rtp_auth);
    rtcp_hmac_.Init(keys.rtcp_auth);
  }
  ~AesCmHmacCipher() override {
    OPENSSL_cleanse(&rtp_aes_, sizeof(rtp_aes_));
    OPENSSL_cleanse(&rtcp_aes_, sizeof(rtcp_aes_));
    OPENSSL_cleanse(&rtp_hmac_, sizeof(rtp_hmac_));
    OPENSSL_cleanse(&rtcp_hmac_, sizeof(rtcp_hmac_));
  }

  bool rtcp_index_after_tag() const override { return false; }

  bool ProtectRtp(uint8_t* packet, size_t header_size, size_t size, uint32_t ssrc, uint64_t index) override {
    AesCmCrypt(rtp_aes_, rtp_salt_, ssrc, index, packet + header_size, size - header_size);
    uint8_t roc[4];
    StoreBigEndian32(roc, static_cast<uint32_t>(index >> 16));
    uint8_t tag[SHA_DIGEST_LENGTH];
    rtp_hmac_.Compute(packet, size, roc, sizeof(roc), tag);
    std::memcpy(packet + size, tag, rtp_tag_size());
    return true;
  }

  bool UnprotectRtp(uint8_t* packet, size_t header_size, size_t size, uint32_t ssrc,
                    uint64_t index) override {
    const size_t authenticated = size - rtp_tag_size();
    uint8_t roc[4];
    StoreBigEndian32(roc, static_cast<uint32_t>(index >> 16));
    uint8_t tag[SHA_DIGEST_LENGTH];
    rtp_hmac_.Compute(packet, authenticated, roc, sizeof(roc), tag);
    if (CRYPTO_memcmp(tag, packet + authenticated, rtp_tag_size()) != 0) return false;
    AesCmCrypt(rtp_aes_, rtp_salt_, ssrc, index, packet + header_size, authenticated - header_size);
    return true;
  }

  bool ProtectRtcp(uint8_t* packet, size_t size, uint32_t ssrc, uint32_t index) override {
    AesCmCrypt(rtcp_aes_, rtcp_salt_, ssrc, index, packet + kRtcpHeaderSize, size - kRtcpHeaderSize);
    StoreBigEndian32(packet + size, kRtcpEncryptedFlag | index);
    uint8_t tag[SHA_DIGEST_LENGTH];
    rtcp_hmac_.Compute(packet, size + kRtcpIndexSize, nullptr, 0, tag);
    std::memcpy(packet + size + kRtcpIndexSize, tag, rtcp_tag_size());
    return true;
  }

  bool UnprotectRtcp(uint8_t* packet, size_t size, uint32_t ssrc, uint32_t index, bool encrypted) override {
    const size_t authenticated = size - rtcp_tag_size();  // header, payload and E+index
    uint8_t tag[SHA_DIGEST_LENGTH];
    rtcp_hmac_.Compute(packet, authenticated, nullptr, 0, tag);
    if (CRYPTO_memcmp(tag, packet + authenticated, rtcp_tag_size()) != 0) return false;
    if (encrypted) {
      AesCmCrypt(rtcp_aes_, rtcp_salt_, ssrc, index, packet + kRtcpHeaderSize,
                 authenticated - kRtcpIndexSize - kRtcpHeaderSize);
    }
    return true;
  }

 private:
  AES_KEY rtp_aes_;
  AES_KEY rtcp_aes_;
  uint8_t rtp_salt_[kCmSaltSize];
  uint8_t rtcp_salt_[kCmSaltSize];
  HmacSha1Key rtp_hmac_;
  HmacSha1Key rtcp_hmac_;
};

// ---------------------------------------------------------------------------------------------------
// AEAD_AES_128_GCM / AEAD_AES_256_GCM (RFC 7714)
//
// On EVP_CIPHER_CTX rather than EVP_AEAD_CTX: the contexts keep the key schedule and GHASH table and
// each packet only sets the nonce, where EVP_AEAD_CTX_seal/open copy the whole GCM key state per call
// (bench/RESULTS.srtp.md: ~5-10% per packet). AAD may be fed in pieces, which SRTCP needs.

// One direction of one key: nonce, then the AAD pieces, then the data; the tag is written or checked.
class GcmContext {
 public:
  bool Init(const EVP_CIPHER* cipher, const uint8_t* key, bool encrypt) {
    encrypt_ = encrypt;
    return encrypt ? EVP_EncryptInit_ex(ctx_.get(), cipher, nullptr, key, nullptr) == 1
                   : EVP_DecryptInit_ex(ctx_.get(), cipher, nullptr, key, nullptr) == 1;
  }

  // Encrypts data[0, size) in place and writes the tag to `tag`.
  bool Seal(const uint8_t* nonce, ByteSpan aad1, ByteSpan aad2, uint8_t* data, size_t size, uint8_t* tag) {
    int n = 0;
    bool ok = EVP_EncryptInit_ex(ctx_.get(), nullptr, nullptr, nullptr, nonce) == 1 && Aad(aad1) &&
              Aad(aad2) &&
              (size == 0 || EVP_EncryptUpdate(ctx_.get(), data, &n, data, static_cast<int>(size)) == 1) &&
              EVP_EncryptFinal_ex(ctx_.get(), tag, &n) == 1 &&
              EVP_CIPHER_CTX_ctrl(ctx_.get(), EVP_CTRL_GCM_GET_TAG, kGcmTagSize, tag) == 1;
    if (!ok) ERR_clear_error();
    return ok;
  }

  // Decrypts data[0, size) in place; false when `tag` does not verify.
  bool Open(const uint8_t* nonce, ByteSpan aad1, ByteSpan aad2, uint8_t* data, size_t size,
            const uint8_t* tag) {
    int n = 0;
    uint8_t scratch[kGcmTagSize];
    std::memcpy(scratch, tag, kGcmTagSize);  // SET_TAG takes a non-const pointer
    bool ok = EVP_DecryptInit_ex(ctx_.get(), nullptr, nullptr, nullptr, nonce) == 1 && Aad(aad1) &&
              Aad(aad2) &&
              (size == 0 || EVP_DecryptUpdate(ctx_.get(), data, &n, data, static_cast<int>(size)) == 1) &&
              EVP_CIPHER_CTX_ctrl(ctx_.get(), EVP_CTRL_GCM_SET_TAG, kGcmTagSize, scratch) == 1 &&
              EVP_DecryptFinal_ex(ctx_.get(), scratch, &n) == 1;
    if (!ok) ERR_clear_error();
    return ok;
  }

 private:
  bool Aad(ByteSpan aad) {
    if (aad.empty()) return true;
    int n = 0;
    return encrypt_
               ? EVP_EncryptUpdate(ctx_.get(), nullptr, &n, aad.data(), static_cast<int>(aad.size())) == 1
               : EVP_DecryptUpdate(ctx_.get(), nullptr, &n, aad.data(), static_cast<int>(aad.size())) == 1;
  }

  bssl::ScopedEVP_CIPHER_CTX ctx_;
  bool encrypt_ = true;
};

class AesGcmCipher final : public NativeCipher {
 public:
  AesGcmCipher() : NativeCipher(kGcmTagSize, kGcmTagSize) {}
  ~AesGcmCipher() override {
    OPENSSL_cleanse(rtp_salt_, sizeof(rtp_salt_));
    OPENSSL_cleanse(rtcp_salt_, sizeof(rtcp_salt_));
  }

  bool Init(SrtpProfile profile, const SessionKeys& keys) {
    const EVP_CIPHER* cipher = profile == SrtpProfile::kAeadAes256Gcm ? EVP_aes_256_gcm() : EVP_aes_128_gcm();
    std::memcpy(rtp_salt_, keys.rtp_salt, kGcmSaltSize);
    std::memcpy(rtcp_salt_, keys.rtcp_salt, kGcmSaltSize);
    return rtp_seal_.Init(cipher, keys.rtp_key, true) && rtp_open_.Init(cipher, keys.rtp_key, false) &&
           rtcp_seal_.Init(cipher, keys.rtcp_key, true) && rtcp_open_.Init(cipher, keys.rtcp_key, false);
  }

  bool rtcp_index_after_tag() const override { return true; }

  bool ProtectRtp(uint8_t* packet, size_t header_size, size_t size, uint32_t ssrc, uint64_t index) override {
    uint8_t nonce[kGcmSaltSize];
    RtpNonce(ssrc, index, nonce);
    // AAD: the RTP header with CSRCs and extension (RFC 7714 §8.2).
    return rtp_seal_.Seal(nonce, ByteSpan(packet, header_size), {}, packet + header_size, size - header_size,
                          packet + size);
  }

  bool UnprotectRtp(uint8_t* packet, size_t header_size, size_t size, uint32_t ssrc,
                    uint64_t index) override {
    uint8_t nonce[kGcmSaltSize];
    RtpNonce(ssrc, index, nonce);
    const size_t body = size - kGcmTagSize;
    return rtp_open_.Open(nonce, ByteSpan(packet, header_size), {}, packet + header_size, body - header_size,
                          packet + body);
  }

  bool ProtectRtcp(uint8_t* packet, size_t size, uint32_t ssrc, uint32_t index) override {
    uint8_t nonce[kGcmSaltSize];
    RtcpNonce(ssrc, index, nonce);
    // AAD: the 8-byte RTCP header, then the E+index word (RFC 7714 §9.2); layout
    // header | ciphertext | tag | E+index (§9, Figure 3).
    uint8_t* word = packet + size + kGcmTagSize;
    StoreBigEndian32(word, kRtcpEncryptedFlag | index);
    return rtcp_seal_.Seal(nonce, ByteSpan(packet, kRtcpHeaderSize), ByteSpan(word, kRtcpIndexSize),
                           packet + kRtcpHeaderSize, size - kRtcpHeaderSize, packet + size);
  }

  bool UnprotectRtcp(uint8_t* packet, size_t size, uint32_t ssrc, uint32_t index, bool encrypted) override {
    uint8_t nonce[kGcmSaltSize];
    RtcpNonce(ssrc, index, nonce);
    const size_t body = size - kRtcpIndexSize - kGcmTagSize;  // header + payload
    const ByteSpan word(packet + size - kRtcpIndexSize, kRtcpIndexSize);
    if (encrypted) {
      return rtcp_open_.Open(nonce, ByteSpan(packet, kRtcpHeaderSize), word, packet + kRtcpHeaderSize,
                             body - kRtcpHeaderSize, packet + body);
    }
    // RFC 7714 §9.3: not encrypted; the AAD is the whole packet, then the E+index word.
    return rtcp_open_.Open(nonce, ByteSpan(packet, body), word, nullptr, 0, packet + body);
  }

 private:
  // RFC 7714 §8.1: 00 00 || SSRC || ROC || SEQ, XOR the salt.
  void RtpNonce(uint32_t ssrc, uint64_t index, uint8_t nonce[kGcmSaltSize]) const {
    nonce[0] = 0;
    nonce[1] = 0;
    StoreBigEndian32(nonce + 2, ssrc);
    StoreBigEndian32(nonce + 6, static_cast<uint32_t>(index >> 16));
    StoreBigEndian16(nonce + 10, static_cast<uint16_t>(index));
    for (size_t i = 0; i < kGcmSaltSize; ++i) nonce[i] ^= rtp_salt_[i];
  }
  // RFC 7714 §9.1: 00 00 || SSRC || 00 00 || 0 || SRTCP index (31 bits), XOR the salt.
  void RtcpNonce(uint32_t ssrc, uint32_t index, uint8_t nonce[kGcmSaltSize]) const {
    nonce[0] = 0;
    nonce[1] = 0;
    StoreBigEndian32(nonce + 2, ssrc);
    nonce[6] = 0;
    nonce[7] = 0;
    StoreBigEndian32(nonce + 8, index & 0x7fffffffu);
    for (size_t i = 0; i < kGcmSaltSize; ++i) nonce[i] ^= rtcp_salt_[i];
  }

  GcmContext rtp_seal_, rtp_open_, rtcp_seal_, rtcp_open_;
  uint8_t rtp_salt_[kGcmSaltSize];
  uint8_t rtcp_salt_[kGcmSaltSize];
};

}  // namespace

bool DeriveSessionKey(ByteSpan master_key, ByteSpan master_salt, KdfLabel label, MutableByteSpan out) {
  if ((master_key.size() != 16 && master_key.size() != 32) || master_salt.size() > kCmSaltSize) {
    return false;
  }
  AES_KEY key;
  if (AES_set_encrypt_key(master_key.data(), static_cast<unsigned>(master_key.size() * 8), &key) != 0) {
    return false;
  }
  uint8_t iv[AES_BLOCK_SIZE] = {0};
  if (!master_salt.empty()) std::memcpy(iv, master_salt.data(), master_salt.size());
  iv[7] ^= static_cast<uint8_t>(label);  // key_id = label || r (r = 0), right-aligned under the salt
  std::memset(out.data(), 0, out.size());
  uint8_t ecount[AES_BLOCK_SIZE];
  unsigned int num = 0;
  AES_ctr128_encrypt(out.data(), out.data(), out.size(), &key, iv, ecount, &num);
  OPENSSL_cleanse(&key, sizeof(key));
  OPENSSL_cleanse(ecount, sizeof(ecount));
  return true;
}

absl::StatusOr<SessionKeys> DeriveSessionKeys(SrtpProfile profile, ByteSpan master_key,
                                              ByteSpan master_salt) {
  if (!IsKnownProfile(profile)) return absl::InvalidArgumentError("srtp: unknown protection profile");
  const SrtpProfileInfo info = GetSrtpProfileInfo(profile);
  if (master_key.size() != info.key_size || master_salt.size() != info.salt_size) {
    return absl::InvalidArgumentError("srtp: master key or salt has the wrong size for the profile");
  }
  SessionKeys keys;
  std::memset(&keys, 0, sizeof(keys));
  const size_t salt_size = IsGcm(profile) ? kGcmSaltSize : kCmSaltSize;
  bool ok = DeriveSessionKey(master_key, master_salt, KdfLabel::kRtpEncryption,
                             MutableByteSpan(keys.rtp_key, info.key_size)) &&
            DeriveSessionKey(master_key, master_salt, KdfLabel::kRtpSalt,
                             MutableByteSpan(keys.rtp_salt, salt_size)) &&
            DeriveSessionKey(master_key, master_salt, KdfLabel::kRtcpEncryption,
                             MutableByteSpan(keys.rtcp_key, info.key_size)) &&
            DeriveSessionKey(master_key, master_salt, KdfLabel::kRtcpSalt,
                             MutableByteSpan(keys.rtcp_salt, salt_size));
  if (ok && !IsGcm(profile)) {
    ok = DeriveSessionKey(master_key, master_salt, KdfLabel::kRtpAuthentication,
                          MutableByteSpan(keys.rtp_auth, kHmacKeySize)) &&
         DeriveSessionKey(master_key, master_salt, KdfLabel::kRtcpAuthentication,
                          MutableByteSpan(keys.rtcp_auth, kHmacKeySize));
  }
  if (!ok) {
    OPENSSL_cleanse(&keys, sizeof(keys));
    return absl::InternalError("srtp: key derivation failed");
  }
  return keys;
}

absl::StatusOr<std::unique_ptr<NativeCipher>> NativeCipher::Create(SrtpProfile profile,
                                                                   const SessionKeys& keys) {
  switch (profile) {
    case SrtpProfile::kAes128CmSha1_80:
      return std::unique_ptr<NativeCipher>(new AesCmHmacCipher(10, keys));
    case SrtpProfile::kAes128CmSha1_32:
      return std::unique_ptr<NativeCipher>(new AesCmHmacCipher(4, keys));
    case SrtpProfile::kAeadAes128Gcm:
    case SrtpProfile::kAeadAes256Gcm: {
      auto cipher = std::make_unique<AesGcmCipher>();
      if (!cipher->Init(profile, keys)) {
        ERR_clear_error();
        return absl::InternalError("srtp: AES-GCM context initialisation failed");
      }
      return std::unique_ptr<NativeCipher>(std::move(cipher));
    }
  }
  return absl::InvalidArgumentError("srtp: unknown protection profile");
}

}  // namespace tern::srtp
