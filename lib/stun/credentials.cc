#include "tern/stun/credentials.h"

#include <openssl/base64.h>
#include <openssl/md5.h>
#include <openssl/mem.h>
#include <openssl/sha.h>

#include <cstring>
#include <vector>

namespace tern::stun {

// The HMAC key and the hash states after absorbing (key XOR ipad) and (key XOR opad): an HMAC is then
// one copy of each state plus the hashing of the message and of the inner digest (RFC 2104).
struct IntegrityKey::State {
  std::vector<uint8_t> key;
  SHA_CTX sha1_inner;
  SHA_CTX sha1_outer;
  SHA256_CTX sha256_inner;
  SHA256_CTX sha256_outer;
};

namespace {

constexpr size_t kBlockSize = 64;  // SHA-1 and SHA-256 both

template <typename Ctx, typename Init, typename Update, typename Final>
void PrecomputeHmac(ByteSpan key, size_t digest_size, Ctx* inner, Ctx* outer, Init init, Update update,
                    Final final) {
  uint8_t block[kBlockSize] = {0};
  if (key.size() > kBlockSize) {
    Ctx c;
    init(&c);
    update(&c, key.data(), key.size());
    final(block, &c);  // digest_size bytes, rest stays zero
    (void)digest_size;
  } else if (!key.empty()) {
    std::memcpy(block, key.data(), key.size());
  }
  uint8_t pad[kBlockSize];
  for (size_t i = 0; i < kBlockSize; ++i) pad[i] = block[i] ^ 0x36;
  init(inner);
  update(inner, pad, kBlockSize);
  for (size_t i = 0; i < kBlockSize; ++i) pad[i] = block[i] ^ 0x5c;
  init(outer);
  update(outer, pad, kBlockSize);
  OPENSSL_cleanse(block, sizeof(block));
  OPENSSL_cleanse(pad, sizeof(pad));
}

std::shared_ptr<const IntegrityKey::State> MakeState(ByteSpan key) {
  auto s = std::make_shared<IntegrityKey::State>();
  s->key.assign(key.begin(), key.end());
  PrecomputeHmac(key, SHA_DIGEST_LENGTH, &s->sha1_inner, &s->sha1_outer, SHA1_Init, SHA1_Update, SHA1_Final);
  PrecomputeHmac(key, SHA256_DIGEST_LENGTH, &s->sha256_inner, &s->sha256_outer, SHA256_Init,
                 SHA256_Update, SHA256_Final);
  return s;
}

}  // namespace

IntegrityKey IntegrityKey::ShortTerm(std::string_view password) {
  return IntegrityKey(MakeState(AsBytes(password)));
}

IntegrityKey IntegrityKey::LongTerm(std::string_view username, std::string_view realm,
                                    std::string_view password, PasswordAlgorithm algorithm) {
  if (algorithm == PasswordAlgorithm::kSha256) {
    uint8_t digest[SHA256_DIGEST_LENGTH];
    SHA256_CTX c;
    SHA256_Init(&c);
    SHA256_Update(&c, username.data(), username.size());
    SHA256_Update(&c, ":", 1);
    SHA256_Update(&c, realm.data(), realm.size());
    SHA256_Update(&c, ":", 1);
    SHA256_Update(&c, password.data(), password.size());
    SHA256_Final(digest, &c);
    return IntegrityKey(MakeState(ByteSpan(digest, sizeof(digest))));
  }
  uint8_t digest[MD5_DIGEST_LENGTH];
  MD5_CTX c;
  MD5_Init(&c);
  MD5_Update(&c, username.data(), username.size());
  MD5_Update(&c, ":", 1);
  MD5_Update(&c, realm.data(), realm.size());
  MD5_Update(&c, ":", 1);
  MD5_Update(&c, password.data(), password.size());
  MD5_Final(digest, &c);
  return IntegrityKey(MakeState(ByteSpan(digest, sizeof(digest))));
}

IntegrityKey IntegrityKey::FromBytes(ByteSpan key) { return IntegrityKey(MakeState(key)); }

ByteSpan IntegrityKey::key() const { return ByteSpan(state_->key.data(), state_->key.size()); }

void IntegrityKey::HmacSha1(std::span<const ByteSpan> parts, uint8_t out[20]) const {
  SHA_CTX c = state_->sha1_inner;
  for (ByteSpan p : parts) SHA1_Update(&c, p.data(), p.size());
  uint8_t inner[SHA_DIGEST_LENGTH];
  SHA1_Final(inner, &c);
  c = state_->sha1_outer;
  SHA1_Update(&c, inner, sizeof(inner));
  SHA1_Final(out, &c);
}

void IntegrityKey::HmacSha256(std::span<const ByteSpan> parts, uint8_t out[32]) const {
  SHA256_CTX c = state_->sha256_inner;
  for (ByteSpan p : parts) SHA256_Update(&c, p.data(), p.size());
  uint8_t inner[SHA256_DIGEST_LENGTH];
  SHA256_Final(inner, &c);
  c = state_->sha256_outer;
  SHA256_Update(&c, inner, sizeof(inner));
  SHA256_Final(out, &c);
}

std::array<uint8_t, 32> ComputeUserhash(std::string_view username, std::string_view realm) {
  std::array<uint8_t, 32> out;
  SHA256_CTX c;
  SHA256_Init(&c);
  SHA256_Update(&c, username.data(), username.size());
  SHA256_Update(&c, ":", 1);
  SHA256_Update(&c, realm.data(), realm.size());
  SHA256_Final(out.data(), &c);
  return out;
}

std::string MakeNonceWithCookie(SecurityFeatures features, std::string_view opaque) {
  uint8_t bits[3] = {0, 0, 0};
  // Bit 0 is the rightmost (least significant) bit of the 24-bit field (RFC 8489 erratum 6290; the
  // corrected Appendix B.1 nonce "obMatJos2AAAC…" announces username anonymity, bit 1).
  if (features.password_algorithms) bits[2] |= 0x01;
  if (features.username_anonymity) bits[2] |= 0x02;
  uint8_t encoded[5];
  EVP_EncodeBlock(encoded, bits, 3);
  std::string nonce(kNonceCookiePrefix);
  nonce.append(reinterpret_cast<const char*>(encoded), 4);
  nonce.append(opaque);
  return nonce;
}

std::optional<SecurityFeatures> ParseNonceCookie(std::string_view nonce) {
  if (nonce.size() < kNonceCookiePrefix.size() + 4 ||
      nonce.substr(0, kNonceCookiePrefix.size()) != kNonceCookiePrefix) {
    return std::nullopt;
  }
  uint8_t bits[3];
  size_t out_len = 0;
  const auto* in = reinterpret_cast<const uint8_t*>(nonce.data() + kNonceCookiePrefix.size());
  if (!EVP_DecodeBase64(bits, &out_len, sizeof(bits), in, 4) || out_len != 3) return std::nullopt;
  SecurityFeatures f;
  f.password_algorithms = (bits[2] & 0x01) != 0;
  f.username_anonymity = (bits[2] & 0x02) != 0;
  return f;
}

}  // namespace tern::stun
