// RFC 7714 §16-§17 test vectors: AEAD_AES_128_GCM and AEAD_AES_256_GCM on the RTP packet of §16.1 and
// the SRTCP packet of §16.2 / §17.2 (section numbers as in RFC 7714; §16 is AES-128, §17 AES-256), encrypted
// (E = 1) and authenticated only (E = 0). The vectors start from session keys, so they drive the native
// transform directly (the KDF has its own tests).
#include <cstring>
#include <vector>

#include "gtest/gtest.h"
#include "srtp/native_cipher.h"
#include "srtp_test_util.h"

namespace tern::srtp {
namespace {

using testing::Hex;
using testing::ToHex;

constexpr char kKey128[] = "000102030405060708090a0b0c0d0e0f";
constexpr char kKey256[] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
constexpr char kSalt[] = "517569642070726f2071756f";  // "Quid pro quo"

constexpr char kRtp[] =
    "8040f17b 8041f8d3 5501a0b2 47616c6c 69612065 7374206f 6d6e6973 20646976"
    "69736120 696e2070 61727465 73207472 6573";
constexpr uint32_t kRtpSsrc = 0x5501a0b2;
constexpr uint64_t kRtpIndex = 0xf17b;  // ROC 0

constexpr char kRtp128Sealed[] =
    "8040f17b 8041f8d3 5501a0b2 f24de3a3 fb34de6c acba861c 9d7e4bca be633bd5"
    "0d294e6f 42a5f47a 51c7d19b 36de3adf 8833899d 7f27beb1 6a9152cf 765ee439 0cce";
constexpr char kRtp256Sealed[] =
    "8040f17b 8041f8d3 5501a0b2 32b1de78 a822fe12 ef9f78fa 332e33aa b1801238"
    "9a58e2f3 b50b2a02 76ffae0f 1ba63799 b87b7aa3 db36dfff d6b0f9bb 7878d7a7 6c13";

constexpr char kRtcp[] =
    "81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61"
    "deadbeef deadbeef deadbeef deadbeef deadbeef";
constexpr uint32_t kRtcpSsrc = 0x4d617273;
constexpr uint32_t kRtcpIndex = 0x5d4;

constexpr char kRtcp128Sealed[] =
    "81c8000d 4d617273 63e94885 dcdab67c a727d766 2f6b7e99 7ff5c0f7 6c06f32d"
    "c676a5f1 730d6fda 4ce09b46 86303ded 0bb9275b c84aa458 96cf4d2f c5abf872 45d9eade 800005d4";
constexpr char kRtcp256Sealed[] =
    "81c8000d 4d617273 d50ae4d1 f5ce5d30 4ba297e4 7d470c28 2c3ece5d bffe0a50"
    "a2eaa5c1 110555be 8415f658 c61de047 6f1b6fad 1d1eb30c 4446839f 57ff6f6c b26ac3be 800005d4";
constexpr char kRtcp128TagOnly[] =
    "81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61"
    "deadbeef deadbeef deadbeef deadbeef deadbeef 841dd968 3dd78ec9 2ae58790 125f62b3 000005d4";
constexpr char kRtcp256TagOnly[] =
    "81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61"
    "deadbeef deadbeef deadbeef deadbeef deadbeef 91db4afb feee5a97 8fab4393 ed2615fe 000005d4";

std::unique_ptr<NativeCipher> GcmCipher(SrtpProfile profile) {
  SessionKeys keys;
  std::memset(&keys, 0, sizeof(keys));
  const std::vector<uint8_t> key = Hex(profile == SrtpProfile::kAeadAes256Gcm ? kKey256 : kKey128);
  const std::vector<uint8_t> salt = Hex(kSalt);
  std::memcpy(keys.rtp_key, key.data(), key.size());
  std::memcpy(keys.rtcp_key, key.data(), key.size());
  std::memcpy(keys.rtp_salt, salt.data(), salt.size());
  std::memcpy(keys.rtcp_salt, salt.data(), salt.size());
  absl::StatusOr<std::unique_ptr<NativeCipher>> c = NativeCipher::Create(profile, keys);
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? *std::move(c) : nullptr;
}

struct RtpCase {
  SrtpProfile profile;
  const char* sealed;
};

void CheckRtp(const RtpCase& c) {
  std::unique_ptr<NativeCipher> cipher = GcmCipher(c.profile);
  ASSERT_NE(cipher, nullptr);
  const std::vector<uint8_t> plain = Hex(kRtp);
  std::vector<uint8_t> buffer = plain;
  buffer.resize(plain.size() + 16);
  ASSERT_TRUE(cipher->ProtectRtp(buffer.data(), 12, plain.size(), kRtpSsrc, kRtpIndex));
  EXPECT_EQ(ToHex(buffer), ToHex(Hex(c.sealed)));

  std::vector<uint8_t> sealed = Hex(c.sealed);
  ASSERT_TRUE(cipher->UnprotectRtp(sealed.data(), 12, sealed.size(), kRtpSsrc, kRtpIndex));
  sealed.resize(sealed.size() - 16);
  EXPECT_EQ(sealed, plain);

  // The index is part of the nonce: the same bytes under ROC 1 do not verify; nor a flipped tag bit.
  sealed = Hex(c.sealed);
  EXPECT_FALSE(cipher->UnprotectRtp(sealed.data(), 12, sealed.size(), kRtpSsrc, kRtpIndex + 0x10000));
  sealed = Hex(c.sealed);
  sealed.back() ^= 1;
  EXPECT_FALSE(cipher->UnprotectRtp(sealed.data(), 12, sealed.size(), kRtpSsrc, kRtpIndex));
  // The header is AAD: a changed marker bit does not verify.
  sealed = Hex(c.sealed);
  sealed[1] ^= 0x80;
  EXPECT_FALSE(cipher->UnprotectRtp(sealed.data(), 12, sealed.size(), kRtpSsrc, kRtpIndex));
}

TEST(SrtpAesGcm, Rfc7714Section16AeadAes128GcmRtp) { CheckRtp({SrtpProfile::kAeadAes128Gcm, kRtp128Sealed}); }

TEST(SrtpAesGcm, Rfc7714Section17AeadAes256GcmRtp) { CheckRtp({SrtpProfile::kAeadAes256Gcm, kRtp256Sealed}); }

void CheckRtcpEncrypted(SrtpProfile profile, const char* sealed_hex) {
  std::unique_ptr<NativeCipher> cipher = GcmCipher(profile);
  ASSERT_NE(cipher, nullptr);
  EXPECT_TRUE(cipher->rtcp_index_after_tag());
  const std::vector<uint8_t> plain = Hex(kRtcp);
  std::vector<uint8_t> buffer = plain;
  buffer.resize(plain.size() + 16 + 4);
  ASSERT_TRUE(cipher->ProtectRtcp(buffer.data(), plain.size(), kRtcpSsrc, kRtcpIndex));
  EXPECT_EQ(ToHex(buffer), ToHex(Hex(sealed_hex)));

  std::vector<uint8_t> sealed = Hex(sealed_hex);
  ASSERT_TRUE(cipher->UnprotectRtcp(sealed.data(), sealed.size(), kRtcpSsrc, kRtcpIndex, true));
  sealed.resize(plain.size());
  EXPECT_EQ(sealed, plain);

  // The E+index word is AAD: claiming another index fails even with the matching nonce.
  sealed = Hex(sealed_hex);
  sealed[sealed.size() - 1] ^= 1;
  EXPECT_FALSE(cipher->UnprotectRtcp(sealed.data(), sealed.size(), kRtcpSsrc, kRtcpIndex ^ 1, true));
}

TEST(SrtpAesGcm, Rfc7714Section16AeadAes128GcmSrtcp) {
  CheckRtcpEncrypted(SrtpProfile::kAeadAes128Gcm, kRtcp128Sealed);
}

TEST(SrtpAesGcm, Rfc7714Section17AeadAes256GcmSrtcp) {
  CheckRtcpEncrypted(SrtpProfile::kAeadAes256Gcm, kRtcp256Sealed);
}

void CheckRtcpTagOnly(SrtpProfile profile, const char* sealed_hex) {
  std::unique_ptr<NativeCipher> cipher = GcmCipher(profile);
  ASSERT_NE(cipher, nullptr);
  const std::vector<uint8_t> plain = Hex(kRtcp);
  std::vector<uint8_t> sealed = Hex(sealed_hex);
  ASSERT_TRUE(cipher->UnprotectRtcp(sealed.data(), sealed.size(), kRtcpSsrc, kRtcpIndex, false));
  sealed.resize(plain.size());
  EXPECT_EQ(sealed, plain);
  // Every payload byte is authenticated.
  for (size_t i = 0; i < plain.size(); ++i) {
    sealed = Hex(sealed_hex);
    sealed[i] ^= 0x40;
    EXPECT_FALSE(cipher->UnprotectRtcp(sealed.data(), sealed.size(), kRtcpSsrc, kRtcpIndex, false)) << i;
  }
}

TEST(SrtpAesGcm, Rfc7714Section16AeadAes128GcmSrtcpAuthenticatedOnly) {
  CheckRtcpTagOnly(SrtpProfile::kAeadAes128Gcm, kRtcp128TagOnly);
}

TEST(SrtpAesGcm, Rfc7714Section17AeadAes256GcmSrtcpAuthenticatedOnly) {
  CheckRtcpTagOnly(SrtpProfile::kAeadAes256Gcm, kRtcp256TagOnly);
}

}  // namespace
}  // namespace tern::srtp
