// USERHASH (RFC 8489 §14.4) and the NONCE cookie that announces the server's security features
// (§9.2, §18.1): "obMatJos2" followed by the 24-bit feature set in base64.
//
// Bit numbering: RFC 8489 §18.1 as published counts bit 0 from the left, but verified erratum 6290
// (incorporated in the RFC Editor's inline-errata rendering of RFC 8489) reverses this: "Bits are
// assigned starting from the least significant side of the bit set, so Bit 0 is the rightmost bit, and
// Bit 23 is the leftmost bit." So password algorithms (bit 0) is 0x000001 -> "AAAB" and username
// anonymity (bit 1) is 0x000002 -> "AAAC", which is also what the corrected RFC 8489 Appendix B.1
// vector carries ("obMatJos2AAAC...", a request that uses USERHASH). libjuice follows the erratum.
#include <optional>
#include <string>

#include "gtest/gtest.h"
#include "tern/stun/stun.h"
#include "unit/stun/stun_test_util.h"

namespace tern::stun {
namespace {

using testing::ToHex;

constexpr std::string_view kMatrixUsername =
    "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82\xaf\xe3\x82\xb9";

TEST(StunUserhash, Rfc8489AppendixB1) {
  EXPECT_EQ(ToHex(ComputeUserhash(kMatrixUsername, "example.org")),
            "4a3cf38fef6992bda952c6780417da0f24819415569e60b205c46e41407f1704");
}

TEST(StunUserhash, IsSha256OfUsernameColonRealm) {
  EXPECT_EQ(ToHex(ComputeUserhash("user", "example.org")),
            "cf9fa894dfc9b7680968aec1efb3a6b8b2a1cac25c0461cab3b0c2f87c25eeaf");
  EXPECT_NE(ComputeUserhash("user", "example.org"), ComputeUserhash("user", "example.com"));
  EXPECT_NE(ComputeUserhash("user", "example.org"), ComputeUserhash("User", "example.org"));
}

TEST(StunNonceCookie, RoundTripsEveryFeatureCombination) {
  for (bool algorithms : {false, true}) {
    for (bool anonymity : {false, true}) {
      const SecurityFeatures features{.password_algorithms = algorithms, .username_anonymity = anonymity};
      const std::string nonce = MakeNonceWithCookie(features, "f//499k954d6OL34oL9FSTvy64sA");
      EXPECT_EQ(nonce.substr(0, 9), "obMatJos2");
      EXPECT_EQ(nonce.size(), 9u + 4u + 28u);
      EXPECT_EQ(nonce.substr(13), "f//499k954d6OL34oL9FSTvy64sA") << "the server's own part is kept";
      std::optional<SecurityFeatures> parsed = ParseNonceCookie(nonce);
      ASSERT_TRUE(parsed.has_value()) << nonce;
      EXPECT_EQ(*parsed, features) << nonce;
      // The nonce is valid NONCE text.
      EXPECT_TRUE(DecodeText(attr::kNonce, AsBytes(nonce)).ok());
    }
  }
  EXPECT_EQ(ParseNonceCookie(MakeNonceWithCookie({}, "")).value_or(SecurityFeatures{true, true}),
            SecurityFeatures{});
}

TEST(StunNonceCookie, BitZeroIsTheRightmostBitPerErratum6290) {
  EXPECT_EQ(MakeNonceWithCookie({}, "x"), "obMatJos2AAAAx");
  EXPECT_EQ(MakeNonceWithCookie({.password_algorithms = true}, "x"), "obMatJos2AAABx");
  EXPECT_EQ(MakeNonceWithCookie({.username_anonymity = true}, "x"), "obMatJos2AAACx");
  EXPECT_EQ(MakeNonceWithCookie({.password_algorithms = true, .username_anonymity = true}, "x"),
            "obMatJos2AAADx");
}

TEST(StunNonceCookie, Rfc8489AppendixB1NonceAnnouncesUsernameAnonymity) {
  std::optional<SecurityFeatures> f = ParseNonceCookie("obMatJos2AAACf//499k954d6OL34oL9FSTvy64sA");
  ASSERT_TRUE(f.has_value());
  EXPECT_TRUE(f->username_anonymity);
  EXPECT_FALSE(f->password_algorithms);
  std::optional<SecurityFeatures> g = ParseNonceCookie("obMatJos2AAAB");
  ASSERT_TRUE(g.has_value());
  EXPECT_TRUE(g->password_algorithms);
  EXPECT_FALSE(g->username_anonymity);
}

TEST(StunNonceCookie, UnknownFeatureBitsAreIgnored) {
  // "////" is all 24 bits set; the two known features read as set, the rest is ignored.
  std::optional<SecurityFeatures> all = ParseNonceCookie("obMatJos2////abc");
  ASSERT_TRUE(all.has_value());
  EXPECT_TRUE(all->password_algorithms);
  EXPECT_TRUE(all->username_anonymity);
}

TEST(StunNonceCookie, NoncesWithoutTheCookieAreNullopt) {
  const char* without[] = {
      "",
      "f//499k954d6OL34oL9FSTvy64sA",  // RFC 5769's nonce
      "obMatJos",                      // prefix cut short
      "obMatJos2",                     // no feature set
      "obMatJos2AA",                   // feature set cut short
      "obMatJos2AAA",                  // still short
      "OBMATJOS2AAAA",                 // the cookie is case-sensitive
      "xobMatJos2AAAA",                // not at the start
      "obMatJos3AAAA",                 // wrong cookie
      "obMatJos2!!!!rest",             // not base64
      "obMatJos2AA==",                 // padding: fewer than 24 bits
      "obMatJos2A===",
  };
  for (const char* nonce : without) {
    EXPECT_FALSE(ParseNonceCookie(nonce).has_value()) << "\"" << nonce << "\"";
  }
}

}  // namespace
}  // namespace tern::stun
