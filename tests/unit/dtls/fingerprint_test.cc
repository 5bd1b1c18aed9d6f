// a=fingerprint (RFC 8122 §5, RFC 4572 §5): digests (FIPS 180-4 "abc" vectors), formatting, parsing.
#include "tern/dtls/fingerprint.h"

#include <string>

#include "gtest/gtest.h"

namespace tern {
namespace {

// FIPS 180-4 / FIPS 180-2 Appendix examples: the digests of "abc".
constexpr char kAbcSha1[] = "A9:99:3E:36:47:06:81:6A:BA:3E:25:71:78:50:C2:6C:9C:D0:D8:9D";
constexpr char kAbcSha224[] =
    "23:09:7D:22:34:05:D8:22:86:42:A4:77:BD:A2:55:B3:2A:AD:BC:E4:BD:A0:B3:F7:E3:6C:9D:A7";
constexpr char kAbcSha256[] =
    "BA:78:16:BF:8F:01:CF:EA:41:41:40:DE:5D:AE:22:23:B0:03:61:A3:96:17:7A:9C:B4:10:FF:61:F2:00:15:AD";
constexpr char kAbcSha384[] =
    "CB:00:75:3F:45:A3:5E:8B:B5:A0:3D:69:9A:C6:50:07:27:2C:32:AB:0E:DE:D1:63:1A:8B:60:5A:43:FF:5B:ED:"
    "80:86:07:2B:A1:E7:CC:23:58:BA:EC:A1:34:C8:25:A7";
constexpr char kAbcSha512[] =
    "DD:AF:35:A1:93:61:7A:BA:CC:41:73:49:AE:20:41:31:12:E6:FA:4E:89:A9:7E:A2:0A:9E:EE:E6:4B:55:D3:9A:"
    "21:92:99:2A:27:4F:C1:A8:36:BA:3C:23:A3:FE:EB:BD:45:4D:44:23:64:3C:E8:0E:2A:9A:C9:4F:A5:4C:A4:9F";

TEST(Rfc8122Fingerprint, Fips180AbcDigests) {
  const ByteSpan abc = AsBytes("abc");
  EXPECT_EQ(DtlsFingerprint::Compute(FingerprintHash::kSha1, abc).DigestHex(), kAbcSha1);
  EXPECT_EQ(DtlsFingerprint::Compute(FingerprintHash::kSha224, abc).DigestHex(), kAbcSha224);
  EXPECT_EQ(DtlsFingerprint::Compute(FingerprintHash::kSha256, abc).DigestHex(), kAbcSha256);
  EXPECT_EQ(DtlsFingerprint::Compute(FingerprintHash::kSha384, abc).DigestHex(), kAbcSha384);
  EXPECT_EQ(DtlsFingerprint::Compute(FingerprintHash::kSha512, abc).DigestHex(), kAbcSha512);
  EXPECT_EQ(DtlsFingerprint::Compute(FingerprintHash::kSha256, abc).ToSdp(),
            std::string("sha-256 ") + kAbcSha256);
}

TEST(Rfc8122Fingerprint, SizesAndNames) {
  EXPECT_EQ(FingerprintHashSize(FingerprintHash::kSha1), 20u);
  EXPECT_EQ(FingerprintHashSize(FingerprintHash::kSha224), 28u);
  EXPECT_EQ(FingerprintHashSize(FingerprintHash::kSha256), 32u);
  EXPECT_EQ(FingerprintHashSize(FingerprintHash::kSha384), 48u);
  EXPECT_EQ(FingerprintHashSize(FingerprintHash::kSha512), 64u);
  EXPECT_EQ(FingerprintHashName(FingerprintHash::kSha1), "sha-1");
  EXPECT_EQ(FingerprintHashName(FingerprintHash::kSha512), "sha-512");
}

TEST(Rfc4572Fingerprint, Section5ExampleParses) {
  // RFC 4572 §5: "a=fingerprint:SHA-1 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB"
  absl::StatusOr<DtlsFingerprint> fp =
      DtlsFingerprint::Parse("SHA-1 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB");
  ASSERT_TRUE(fp.ok()) << fp.status();
  EXPECT_EQ(fp->hash, FingerprintHash::kSha1);
  ASSERT_EQ(fp->digest.size(), 20u);
  EXPECT_EQ(fp->digest[0], 0x4A);
  EXPECT_EQ(fp->digest[19], 0xAB);
  EXPECT_EQ(fp->ToSdp(), "sha-1 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB");
}

TEST(Rfc8122Fingerprint, RoundTripEveryHash) {
  for (FingerprintHash h : {FingerprintHash::kSha1, FingerprintHash::kSha224, FingerprintHash::kSha256,
                            FingerprintHash::kSha384, FingerprintHash::kSha512}) {
    DtlsFingerprint fp = DtlsFingerprint::Compute(h, AsBytes("certificate bytes"));
    absl::StatusOr<DtlsFingerprint> back = DtlsFingerprint::Parse(fp.ToSdp());
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, fp);
    EXPECT_TRUE(FingerprintMatches(fp, AsBytes("certificate bytes")));
    EXPECT_FALSE(FingerprintMatches(fp, AsBytes("certificate bytez")));
  }
}

TEST(Rfc8122Fingerprint, LenientOnCaseAndSurroundingWhitespace) {
  const std::string lower =
      "sha-256 ba:78:16:bf:8f:01:cf:ea:41:41:40:de:5d:ae:22:23:b0:03:61:a3:96:17:7a:"
      "9c:b4:10:ff:61:f2:00:15:ad";
  absl::StatusOr<DtlsFingerprint> fp = DtlsFingerprint::Parse("  \t" + lower + " \t");
  ASSERT_TRUE(fp.ok()) << fp.status();
  EXPECT_EQ(fp->DigestHex(), kAbcSha256);
  absl::StatusOr<DtlsFingerprint> upper = DtlsFingerprint::Parse(std::string("SHA-256\t\t") + kAbcSha256);
  ASSERT_TRUE(upper.ok()) << upper.status();
  EXPECT_EQ(*upper, *fp);
}

TEST(Rfc8122Fingerprint, MalformedValuesAreRefused) {
  const std::string good = std::string("sha-256 ") + kAbcSha256;
  const char* bad[] = {
      "",
      "   ",
      "sha-256",
      "sha-256 ",
      kAbcSha256,                                             // no hash name
      "md5 A9:99:3E:36:47:06:81:6A:BA:3E:25:71:78:50:C2:6C",  // refused hash
      "md2 A9:99:3E:36:47:06:81:6A:BA:3E:25:71:78:50:C2:6C",
      "sha-3 A9:99",                                                           // unknown hash
      "sha256 A9:99:3E:36:47:06:81:6A:BA:3E:25:71:78:50:C2:6C:9C:D0:D8:9D",    // not the IANA name
      "sha-1 A9:99:3E:36:47:06:81:6A:BA:3E:25:71:78:50:C2:6C:9C:D0:D8",        // 19 bytes
      "sha-1 A9:99:3E:36:47:06:81:6A:BA:3E:25:71:78:50:C2:6C:9C:D0:D8:9D:00",  // 21 bytes
      "sha-1 A9:99:3E:36:47:06:81:6A:BA:3E:25:71:78:50:C2:6C:9C:D0:D8:9D:",    // trailing colon
      "sha-1 A9-99:3E:36:47:06:81:6A:BA:3E:25:71:78:50:C2:6C:9C:D0:D8:9D",     // wrong separator
      "sha-1 A9:99:3E:36:47:06:81:6A:BA:3E:25:71:78:50:C2:6C:9C:D0:D8:9G",     // bad hex
      "sha-1 A9993E364706816ABA3E25717850C26C9CD0D89D",                        // no colons
      "sha-1 A9 99 3E 36 47 06 81 6A BA 3E 25 71 78 50 C2 6C 9C D0 D8 9D",     // spaces
  };
  for (const char* value : bad) {
    absl::StatusOr<DtlsFingerprint> fp = DtlsFingerprint::Parse(value);
    EXPECT_EQ(fp.status().code(), absl::StatusCode::kInvalidArgument) << "\"" << value << "\"";
  }
  EXPECT_TRUE(DtlsFingerprint::Parse(good).ok());
  // An embedded NUL is not hex.
  std::string with_nul = good;
  with_nul[10] = '\0';
  EXPECT_FALSE(DtlsFingerprint::Parse(with_nul).ok());
}

TEST(Rfc8122Fingerprint, MatchesRequiresTheRightLength) {
  DtlsFingerprint fp = DtlsFingerprint::Compute(FingerprintHash::kSha256, AsBytes("abc"));
  fp.digest.pop_back();
  EXPECT_FALSE(FingerprintMatches(fp, AsBytes("abc")));
  fp.digest.clear();
  EXPECT_FALSE(FingerprintMatches(fp, AsBytes("abc")));
}

}  // namespace
}  // namespace tern
