// RFC 3711 test vectors: Appendix B.2 (AES-CM keystream), B.3 (key derivation), the RFC 6188 §7.2
// AES-256 PRF vector, and libsrtp's srtp_driver AES_CM_128_HMAC_SHA1_80 packet through both backends.
#include <cstring>
#include <vector>

#include "gtest/gtest.h"
#include "srtp/native_cipher.h"
#include "srtp_test_util.h"

namespace tern::srtp {
namespace {

using testing::Hex;
using testing::ToHex;

std::vector<uint8_t> Derive(const std::vector<uint8_t>& key, const std::vector<uint8_t>& salt, KdfLabel label,
                            size_t size) {
  std::vector<uint8_t> out(size);
  EXPECT_TRUE(DeriveSessionKey(key, salt, label, out));
  return out;
}

// B.2: session key 2B7E..., salt F0F1...FCFD, SSRC 0, ROC 0, SEQ 0. Encrypting zeros yields the
// keystream; blocks 0-2 and FEFF-FF01 are listed (the latter equal RFC 3686 F.5.1's AES-CTR blocks).
TEST(SrtpAesCm, Rfc3711AppendixB2) {
  SessionKeys keys;
  std::memset(&keys, 0, sizeof(keys));
  const std::vector<uint8_t> key = Hex("2B7E151628AED2A6ABF7158809CF4F3C");
  const std::vector<uint8_t> salt = Hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD");
  std::memcpy(keys.rtp_key, key.data(), 16);
  std::memcpy(keys.rtp_salt, salt.data(), 14);
  absl::StatusOr<std::unique_ptr<NativeCipher>> cipher =
      NativeCipher::Create(SrtpProfile::kAes128CmSha1_80, keys);
  ASSERT_TRUE(cipher.ok()) << cipher.status();

  constexpr size_t kBlocks = 0xFF02;
  std::vector<uint8_t> packet(12 + kBlocks * 16 + 10, 0);
  packet[0] = 0x80;  // SSRC 0, SEQ 0
  ASSERT_TRUE((*cipher)->ProtectRtp(packet.data(), 12, 12 + kBlocks * 16, /*ssrc=*/0, /*index=*/0));
  auto block = [&](size_t i) { return ToHex(packet.data() + 12 + 16 * i, 16); };
  EXPECT_EQ(block(0), "e03ead0935c95e80e166b16dd92b4eb4");
  EXPECT_EQ(block(1), "d23513162b02d0f72a43a2fe4a5f97ab");
  EXPECT_EQ(block(2), "41e95b3bb0a2e8dd477901e4fca894c0");
  EXPECT_EQ(block(0xFEFF), "ec8cdf7398607cb0f2d21675ea9ea1e4");
  EXPECT_EQ(block(0xFF00), "362b7c3c6773516318a077d7fc5073ae");
  EXPECT_EQ(block(0xFF01), "6a2cc3787889374fbeb4c81b17ba6c44");
}

// The IV places the SSRC at bytes 4-7 and the 48-bit index at bytes 8-13 (RFC 3711 §4.1.1): the same
// keystream block comes back when SSRC and index are folded into the salt instead.
TEST(SrtpAesCm, Rfc3711Section411IvLayout) {
  SessionKeys a;
  std::memset(&a, 0, sizeof(a));
  SessionKeys b = a;
  const std::vector<uint8_t> key = Hex("2B7E151628AED2A6ABF7158809CF4F3C");
  std::memcpy(a.rtp_key, key.data(), 16);
  std::memcpy(b.rtp_key, key.data(), 16);
  const std::vector<uint8_t> folded = Hex("0000000001020304a1a2a3a4a5a6");
  std::memcpy(b.rtp_salt, folded.data(), 14);
  auto ca = NativeCipher::Create(SrtpProfile::kAes128CmSha1_80, a);
  auto cb = NativeCipher::Create(SrtpProfile::kAes128CmSha1_80, b);
  ASSERT_TRUE(ca.ok() && cb.ok());
  std::vector<uint8_t> pa(12 + 32 + 10, 0), pb(12 + 32 + 10, 0);
  ASSERT_TRUE((*ca)->ProtectRtp(pa.data(), 12, 44, 0x01020304, 0xa1a2a3a4a5a6));
  ASSERT_TRUE((*cb)->ProtectRtp(pb.data(), 12, 44, 0, 0));
  EXPECT_EQ(ToHex(pa.data() + 12, 32), ToHex(pb.data() + 12, 32));
}

// B.3: master key E1F9..., master salt 0EC6...; cipher key, cipher salt and the (94-byte listed) auth
// key.
TEST(SrtpKeyDerivation, Rfc3711AppendixB3) {
  const std::vector<uint8_t> key = Hex("E1F97A0D3E018BE0D64FA32C06DE4139");
  const std::vector<uint8_t> salt = Hex("0EC675AD498AFEEBB6960B3AABE6");
  EXPECT_EQ(ToHex(Derive(key, salt, KdfLabel::kRtpEncryption, 16)), "c61e7a93744f39ee10734afe3ff7a087");
  EXPECT_EQ(ToHex(Derive(key, salt, KdfLabel::kRtpSalt, 14)), "30cbbc08863d8c85d49db34a9ae1");
  EXPECT_EQ(ToHex(Derive(key, salt, KdfLabel::kRtpAuthentication, 94)),
            "cebe321f6ff7716b6fd4ab49af256a156d38baa48f0a0acf3c34e2359e6cdbce"
            "e049646c43d9327ad175578ef72270986371c10c9a369ac2f94a8c5fbcdddc25"
            "6d6e919a48b610ef17c2041e474035766b68642c59bbfc2f34db60dbdfb2");
  // The session keys the profile uses are prefixes of the same PRF output.
  absl::StatusOr<SessionKeys> keys = DeriveSessionKeys(SrtpProfile::kAes128CmSha1_80, key, salt);
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_EQ(ToHex(keys->rtp_key, 16), "c61e7a93744f39ee10734afe3ff7a087");
  EXPECT_EQ(ToHex(keys->rtp_salt, 14), "30cbbc08863d8c85d49db34a9ae1");
  EXPECT_EQ(ToHex(keys->rtp_auth, 20), "cebe321f6ff7716b6fd4ab49af256a156d38baa4");
  // RTCP keys use labels 3-5 and so differ.
  EXPECT_NE(ToHex(keys->rtcp_key, 16), ToHex(keys->rtp_key, 16));
  EXPECT_EQ(ToHex(keys->rtcp_key, 16), ToHex(Derive(key, salt, KdfLabel::kRtcpEncryption, 16)));
}

// RFC 6188 §7.2: the AES-256 PRF (master key 32 bytes, salt 14 bytes).
TEST(SrtpKeyDerivation, Rfc6188Section72Aes256) {
  const std::vector<uint8_t> key = Hex("F0F04914B513F2763A1B1FA130F10E2998F6F6E43E4309D1E622A0E332B9F1B6");
  const std::vector<uint8_t> salt = Hex("3B04803DE51EE7C96423AB5B78D2");
  EXPECT_EQ(ToHex(Derive(key, salt, KdfLabel::kRtpEncryption, 32)),
            "5ba1064e30ec51613cad926c5a28ef731ec7fb397f70a960653caf06554cd8c4");
  EXPECT_EQ(ToHex(Derive(key, salt, KdfLabel::kRtpSalt, 14)), "fa31791685ca444a9e07c6c64e93");
}

TEST(SrtpKeyDerivation, RejectsBadSizes) {
  std::vector<uint8_t> out(16);
  EXPECT_FALSE(DeriveSessionKey(std::vector<uint8_t>(24), std::vector<uint8_t>(14), KdfLabel::kRtpSalt, out));
  EXPECT_FALSE(DeriveSessionKey(std::vector<uint8_t>(16), std::vector<uint8_t>(15), KdfLabel::kRtpSalt, out));
  EXPECT_FALSE(
      DeriveSessionKeys(SrtpProfile::kAeadAes128Gcm, std::vector<uint8_t>(16), std::vector<uint8_t>(14))
          .ok());
  EXPECT_FALSE(
      DeriveSessionKeys(static_cast<SrtpProfile>(3), std::vector<uint8_t>(16), std::vector<uint8_t>(14))
          .ok());
}

// libsrtp's srtp_driver known-answer packet (AES_CM_128_HMAC_SHA1_80 with the B.3 master key, SSRC
// 0xcafebabe, SEQ 0x1234): covers KDF, AES-CM and HMAC-SHA1 together, on both backends.
TEST(SrtpAesCm, KnownPacketBothBackends) {
  const testing::MasterKey master{Hex("e1f97a0d3e018be0d64fa32c06de4139"),
                                  Hex("0ec675ad498afeebb6960b3aabe6")};
  const std::vector<uint8_t> plain = Hex("800f1234decafbadcafebabeabababababababababababababababab");
  const std::string expected = "800f1234decafbadcafebabe4e55dc4ce79978d88ca4d215949d2402b78d6acc99ea179b8dbb";
  for (SrtpBackend backend : testing::kAllBackends) {
    SCOPED_TRACE(SrtpBackendName(backend));
    auto out = testing::MakeSession(backend, SrtpProfile::kAes128CmSha1_80, SrtpDirection::kOutbound, master);
    auto in = testing::MakeSession(backend, SrtpProfile::kAes128CmSha1_80, SrtpDirection::kInbound, master);
    ASSERT_TRUE(out && in);
    absl::StatusOr<std::vector<uint8_t>> sealed = testing::Protect(*out, plain, false);
    ASSERT_TRUE(sealed.ok()) << sealed.status();
    EXPECT_EQ(ToHex(*sealed), expected);
    absl::StatusOr<std::vector<uint8_t>> opened = testing::Unprotect(*in, Hex(expected), false);
    ASSERT_TRUE(opened.ok()) << opened.status();
    EXPECT_EQ(*opened, plain);
  }
}

}  // namespace
}  // namespace tern::srtp
