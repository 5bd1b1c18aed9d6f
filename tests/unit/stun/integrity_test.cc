// MESSAGE-INTEGRITY (RFC 8489 §14.5), MESSAGE-INTEGRITY-SHA256 (§14.6, truncatable to 16..32 bytes in
// steps of 4) and FINGERPRINT (§14.7) built by one Finish() and verified by MessageView; the HMAC keys of
// §9.1.2 / §9.2.2 checked against RFC 2202 / RFC 4231 vectors and BoringSSL's own HMAC.
#include <openssl/hmac.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tern/base/crc32.h"
#include "tern/stun/stun.h"
#include "unit/stun/stun_test_util.h"

namespace tern::stun {
namespace {

using testing::Hex;
using testing::ToHex;

std::vector<uint8_t> BuildProtected(const FinishOptions& options) {
  std::array<uint8_t, 512> buf;
  MessageBuilder b(buf, {MessageClass::kRequest, method::kBinding}, testing::TestTransactionId());
  b.AddText(attr::kUsername, "rfrag:lfrag")
      .AddU32(attr::kPriority, 1853824767)
      .AddU64(attr::kIceControlling, 0x1122334455667788ull)
      .AddFlag(attr::kUseCandidate)
      .AddText(attr::kSoftware, "tern");
  absl::StatusOr<ByteSpan> wire = b.Finish(options);
  EXPECT_TRUE(wire.ok()) << wire.status();
  if (!wire.ok()) return {};
  return std::vector<uint8_t>(wire->begin(), wire->end());
}

TEST(StunIntegrity, AllThreeTrailersFromOneFinish) {
  const IntegrityKey sha1 = IntegrityKey::ShortTerm("pw1");
  const IntegrityKey sha256 = IntegrityKey::ShortTerm("pw256");
  std::vector<uint8_t> msg =
      BuildProtected({.integrity = &sha1, .integrity_sha256 = &sha256, .fingerprint = true});
  absl::StatusOr<MessageView> m = MessageView::Parse(msg);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_TRUE(m->has_message_integrity());
  EXPECT_TRUE(m->has_message_integrity_sha256());
  EXPECT_TRUE(m->has_fingerprint());

  // RFC 8489 §14: MESSAGE-INTEGRITY, then MESSAGE-INTEGRITY-SHA256, then FINGERPRINT, last.
  std::vector<uint16_t> tail;
  for (const Attribute& a : *m) tail.push_back(a.type);
  ASSERT_GE(tail.size(), 3u);
  EXPECT_EQ(tail[tail.size() - 3], attr::kMessageIntegrity);
  EXPECT_EQ(tail[tail.size() - 2], attr::kMessageIntegritySha256);
  EXPECT_EQ(tail[tail.size() - 1], attr::kFingerprint);
  EXPECT_EQ(m->Find(attr::kFingerprint)->offset + 8, msg.size());
  EXPECT_EQ(m->Find(attr::kMessageIntegritySha256)->value.size(), 32u) << "untruncated by default";

  EXPECT_TRUE(m->VerifyMessageIntegrity(sha1).ok());
  EXPECT_TRUE(m->VerifyMessageIntegritySha256(sha256).ok());
  EXPECT_TRUE(m->VerifyFingerprint().ok());
  EXPECT_TRUE(m->VerifyIntegrity(sha256).ok()) << "VerifyIntegrity prefers MESSAGE-INTEGRITY-SHA256";
  EXPECT_FALSE(m->VerifyIntegrity(sha1).ok());
}

TEST(StunIntegrity, FingerprintIsCrc32XorStun) {
  std::vector<uint8_t> msg = BuildProtected({.fingerprint = true});
  ASSERT_FALSE(msg.empty());
  const size_t fp = msg.size() - 8;
  EXPECT_EQ(ToHex(ByteSpan(msg).subspan(fp, 4)), "80280004");
  // RFC 8489 §14.7: CRC-32 of the message up to (excluding) FINGERPRINT, XOR 0x5354554e, with the
  // header length already counting FINGERPRINT.
  EXPECT_EQ(LoadBigEndian32(msg.data() + fp + 4), Crc32(ByteSpan(msg).first(fp)) ^ 0x5354554eu);
  EXPECT_EQ(LoadBigEndian16(msg.data() + 2), msg.size() - kHeaderSize);
}

TEST(StunIntegrity, MessageIntegrityCoversTheAdjustedHeader) {
  // RFC 8489 §14.5: the HMAC input is the message up to MESSAGE-INTEGRITY with the header length set as
  // if MESSAGE-INTEGRITY were the last attribute, so a later FINGERPRINT does not change it.
  const IntegrityKey key = IntegrityKey::ShortTerm("secret");
  std::vector<uint8_t> with_fp = BuildProtected({.integrity = &key, .fingerprint = true});
  std::vector<uint8_t> without_fp = BuildProtected({.integrity = &key});
  ASSERT_EQ(with_fp.size(), without_fp.size() + 8);
  EXPECT_TRUE(std::equal(without_fp.begin() + 4, without_fp.end(), with_fp.begin() + 4))
      << "same attributes and the same HMAC; only the header length differs";

  const size_t mi = without_fp.size() - 24;
  uint8_t expected[20];
  ByteSpan covered[1] = {ByteSpan(without_fp).first(mi)};
  key.HmacSha1(covered, expected);
  EXPECT_EQ(ToHex(ByteSpan(without_fp).subspan(mi + 4)), ToHex(expected));
}

TEST(StunIntegrity, Sha256TruncationsVerify) {
  const IntegrityKey key = IntegrityKey::LongTerm("user", "realm", "pass", PasswordAlgorithm::kSha256);
  for (size_t size : {32u, 28u, 24u, 20u, 16u}) {
    std::vector<uint8_t> msg =
        BuildProtected({.integrity_sha256 = &key, .sha256_size = size, .fingerprint = true});
    absl::StatusOr<MessageView> m = MessageView::Parse(msg);
    ASSERT_TRUE(m.ok()) << size << ": " << m.status();
    std::optional<Attribute> a = m->Find(attr::kMessageIntegritySha256);
    ASSERT_TRUE(a.has_value());
    ASSERT_EQ(a->value.size(), size);
    EXPECT_TRUE(m->VerifyMessageIntegritySha256(key).ok()) << size;
    EXPECT_TRUE(m->VerifyIntegrity(key).ok()) << size;
    EXPECT_TRUE(m->VerifyFingerprint().ok()) << size;
    EXPECT_EQ(m->VerifyMessageIntegritySha256(IntegrityKey::ShortTerm("pass")).code(),
              absl::StatusCode::kUnauthenticated)
        << size;

    // §14.6: the value is the leftmost `size` bytes of the HMAC over the message up to the attribute,
    // with the header length ending right after it.
    std::vector<uint8_t> covered(msg.begin(), msg.begin() + a->offset);
    StoreBigEndian16(covered.data() + 2, static_cast<uint16_t>(a->offset + 4 + size - kHeaderSize));
    uint8_t full[32];
    const ByteSpan parts[1] = {covered};
    key.HmacSha256(parts, full);
    EXPECT_EQ(ToHex(a->value), ToHex(ByteSpan(full, size))) << size;
  }
}

TEST(StunIntegrity, Sha256TruncationOutsideTheRuleIsRejected) {
  const IntegrityKey key = IntegrityKey::ShortTerm("k");
  for (size_t size : {0u, 4u, 12u, 15u, 17u, 18u, 30u, 33u, 36u, 64u}) {
    std::array<uint8_t, 256> buf;
    MessageBuilder b(buf, {}, testing::TestTransactionId());
    absl::StatusOr<ByteSpan> wire = b.Finish({.integrity_sha256 = &key, .sha256_size = size});
    EXPECT_EQ(wire.status().code(), absl::StatusCode::kInvalidArgument) << size;
  }
  // The size is irrelevant without MESSAGE-INTEGRITY-SHA256.
  std::array<uint8_t, 64> buf;
  MessageBuilder b(buf, {}, testing::TestTransactionId());
  EXPECT_TRUE(b.Finish({.sha256_size = 12}).ok());
}

TEST(StunIntegrity, WrongKeyIsUnauthenticated) {
  const IntegrityKey right = IntegrityKey::ShortTerm("right");
  const IntegrityKey wrong = IntegrityKey::ShortTerm("wrong");
  std::vector<uint8_t> msg = BuildProtected({.integrity = &right, .integrity_sha256 = &right});
  absl::StatusOr<MessageView> m = MessageView::Parse(msg);
  ASSERT_TRUE(m.ok());
  absl::Status s1 = m->VerifyMessageIntegrity(wrong);
  absl::Status s2 = m->VerifyMessageIntegritySha256(wrong);
  EXPECT_EQ(s1.code(), absl::StatusCode::kUnauthenticated) << s1;
  EXPECT_EQ(s2.code(), absl::StatusCode::kUnauthenticated) << s2;
  EXPECT_TRUE(testing::FailsMentioning(s1, "MESSAGE-INTEGRITY"));
  EXPECT_TRUE(testing::FailsMentioning(s2, "MESSAGE-INTEGRITY-SHA256"));
  EXPECT_EQ(m->VerifyIntegrity(wrong).code(), absl::StatusCode::kUnauthenticated);
  // A key that differs only in its last byte, or is a prefix, is just as wrong.
  EXPECT_FALSE(m->VerifyMessageIntegrity(IntegrityKey::ShortTerm("righs")).ok());
  EXPECT_FALSE(m->VerifyMessageIntegrity(IntegrityKey::ShortTerm("righ")).ok());
  EXPECT_FALSE(m->VerifyMessageIntegrity(IntegrityKey::ShortTerm("")).ok());
  EXPECT_TRUE(m->VerifyMessageIntegrity(IntegrityKey::FromBytes(AsBytes("right"))).ok());
}

TEST(StunIntegrity, EveryFlippedBitIsDetected) {
  const IntegrityKey key = IntegrityKey::ShortTerm("flip");
  const IntegrityKey key256 = IntegrityKey::ShortTerm("flip256");
  const std::vector<uint8_t> msg = BuildProtected(
      {.integrity = &key, .integrity_sha256 = &key256, .sha256_size = 20, .fingerprint = true});
  absl::StatusOr<MessageView> original = MessageView::Parse(msg);
  ASSERT_TRUE(original.ok());
  const size_t mi = original->Find(attr::kMessageIntegrity)->offset;
  const size_t mi256 = original->Find(attr::kMessageIntegritySha256)->offset;
  int rejected_by_parse = 0;
  for (size_t bit = 0; bit < msg.size() * 8; ++bit) {
    std::vector<uint8_t> copy = msg;
    const size_t byte = bit / 8;
    copy[byte] ^= static_cast<uint8_t>(0x80 >> (bit % 8));
    absl::StatusOr<MessageView> m = MessageView::Parse(copy);
    if (!m.ok()) {
      ++rejected_by_parse;
      continue;
    }
    const bool fp = m->VerifyFingerprint().ok();
    const bool i1 = m->VerifyMessageIntegrity(key).ok();
    const bool i2 = m->VerifyMessageIntegritySha256(key256).ok();
    EXPECT_FALSE(fp) << "CRC-32 catches every single-bit error; byte " << byte;
    if (byte < mi) {
      EXPECT_FALSE(i1) << "MESSAGE-INTEGRITY covers byte " << byte;
    }
    if (byte < mi256) {
      EXPECT_FALSE(i2) << "MESSAGE-INTEGRITY-SHA256 covers byte " << byte;
    }
  }
  EXPECT_GT(rejected_by_parse, 0) << "length and cookie bits are caught by Parse itself";
}

TEST(StunIntegrity, HeaderLengthTamperingBreaksIntegrity) {
  // Strip FINGERPRINT and fix up the length: MESSAGE-INTEGRITY still verifies (it never covered
  // FINGERPRINT). Append an attribute after it instead and Parse refuses.
  const IntegrityKey key = IntegrityKey::ShortTerm("k");
  std::vector<uint8_t> msg = BuildProtected({.integrity = &key, .fingerprint = true});
  std::vector<uint8_t> stripped(msg.begin(), msg.end() - 8);
  StoreBigEndian16(stripped.data() + 2, static_cast<uint16_t>(stripped.size() - kHeaderSize));
  absl::StatusOr<MessageView> m = MessageView::Parse(stripped);
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->VerifyMessageIntegrity(key).ok());
  EXPECT_EQ(m->VerifyFingerprint().code(), absl::StatusCode::kNotFound);

  std::vector<uint8_t> appended = stripped;
  testing::AppendAttribute(appended, {.type = attr::kPriority, .value = testing::U32(1)});
  StoreBigEndian16(appended.data() + 2, static_cast<uint16_t>(appended.size() - kHeaderSize));
  EXPECT_TRUE(testing::FailsMentioning(MessageView::Parse(appended).status(), "after MESSAGE-INTEGRITY"));
}

// ---------------------------------------------------------------------------------------------------
// IntegrityKey.

std::string RefHmac(const EVP_MD* md, ByteSpan key, ByteSpan data) {
  uint8_t out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(md, key.data(), key.size(), data.data(), data.size(), out, &len);
  return ToHex(ByteSpan(out, len));
}

std::string TernSha1(const IntegrityKey& k, std::span<const ByteSpan> parts) {
  uint8_t out[20];
  k.HmacSha1(parts, out);
  return ToHex(out);
}

std::string TernSha256(const IntegrityKey& k, std::span<const ByteSpan> parts) {
  uint8_t out[32];
  k.HmacSha256(parts, out);
  return ToHex(out);
}

TEST(StunIntegrityKey, Rfc2202AndRfc4231Vectors) {
  // RFC 2202 §3 test case 1 and RFC 4231 §4.2 test case 1.
  const std::vector<uint8_t> key(20, 0x0b);
  const ByteSpan data[1] = {AsBytes("Hi There")};
  const IntegrityKey k = IntegrityKey::FromBytes(key);
  EXPECT_EQ(TernSha1(k, data), "b617318655057264e28bc0b6fb378c8ef146be00");
  EXPECT_EQ(TernSha256(k, data), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  // Keys longer than the 64-byte block are hashed first: RFC 2202 test case 6, RFC 4231 test case 6.
  const ByteSpan long_data[1] = {AsBytes("Test Using Larger Than Block-Size Key - Hash Key First")};
  EXPECT_EQ(TernSha1(IntegrityKey::FromBytes(std::vector<uint8_t>(80, 0xaa)), long_data),
            "aa4ae5e15272d00e95705637ce8a3b55ed402112");
  EXPECT_EQ(TernSha256(IntegrityKey::FromBytes(std::vector<uint8_t>(131, 0xaa)), long_data),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(StunIntegrityKey, MatchesBoringSslHmacForEveryKeySizeAndSplit) {
  SeededRandom random(2104);
  std::vector<uint8_t> data(300);
  random.Fill(data);
  for (size_t key_size : {0u, 1u, 16u, 20u, 32u, 63u, 64u, 65u, 100u, 200u}) {
    std::vector<uint8_t> key(key_size);
    random.Fill(key);
    const IntegrityKey k = IntegrityKey::FromBytes(key);
    EXPECT_EQ(ToHex(k.key()), ToHex(key));
    for (size_t split : {0u, 1u, 64u, 150u, 300u}) {
      const ByteSpan parts[2] = {ByteSpan(data).first(split), ByteSpan(data).subspan(split)};
      EXPECT_EQ(TernSha1(k, parts), RefHmac(EVP_sha1(), key, data)) << key_size << "/" << split;
      EXPECT_EQ(TernSha256(k, parts), RefHmac(EVP_sha256(), key, data)) << key_size << "/" << split;
    }
    // No parts at all: the HMAC of the empty message.
    EXPECT_EQ(TernSha1(k, {}), RefHmac(EVP_sha1(), key, ByteSpan()));
  }
}

TEST(StunIntegrityKey, KeysPerRfc8489Section9) {
  // §9.1.2: short-term key = the password.
  EXPECT_EQ(AsString(IntegrityKey::ShortTerm("VOkJxbRl1RmTxUk/WvJxBt").key()), "VOkJxbRl1RmTxUk/WvJxBt");
  // §9.2.2: long-term key = MD5 / SHA-256 of username ":" realm ":" password.
  EXPECT_EQ(ToHex(IntegrityKey::LongTerm("user", "realm", "pass").key()), "8493fbc53ba582fb4c044c456bdc40eb");
  const std::string matrix = "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82\xaf\xe3\x82\xb9";
  EXPECT_EQ(ToHex(IntegrityKey::LongTerm(matrix, "example.org", "TheMatrIX", PasswordAlgorithm::kMd5).key()),
            "e8ca7ad59d5eb0518e312911d2dab2a9");
  EXPECT_EQ(
      ToHex(IntegrityKey::LongTerm(matrix, "example.org", "TheMatrIX", PasswordAlgorithm::kSha256).key()),
      "dd295a613b9058c3c23d6dc7165bda072304d989c9d0af3a8c7e184b4f9bb4a1");
}

TEST(StunIntegrityKey, CopiesAreInterchangeable) {
  const IntegrityKey original = IntegrityKey::ShortTerm("shared");
  IntegrityKey copy = original;
  IntegrityKey assigned = IntegrityKey::ShortTerm("other");
  assigned = original;
  const ByteSpan data[1] = {AsBytes("message")};
  EXPECT_EQ(TernSha1(copy, data), TernSha1(original, data));
  EXPECT_EQ(TernSha256(assigned, data), TernSha256(original, data));
  // Precomputed state does not leak between computations.
  EXPECT_EQ(TernSha1(original, data), TernSha1(original, data));
  EXPECT_EQ(TernSha1(original, data), RefHmac(EVP_sha1(), AsBytes("shared"), AsBytes("message")));
}

}  // namespace
}  // namespace tern::stun
