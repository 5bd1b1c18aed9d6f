// Malformed input: MessageView::Parse validates the whole structure in one walk (RFC 8489 §6.3 basic
// checks, §14 attribute rules) and the attribute decoders check values; each rejection must be a non-OK
// status whose message names the problem.
#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tern/stun/stun.h"
#include "unit/stun/stun_test_util.h"

namespace tern::stun {
namespace {

using testing::FailsMentioning;
using testing::RawAttribute;
using testing::RawMessage;
using testing::U32;

absl::Status ParseStatus(ByteSpan bytes) { return MessageView::Parse(bytes).status(); }

std::vector<uint8_t> Zeros(size_t n) { return std::vector<uint8_t>(n, 0); }

using Vec = std::vector<uint8_t>;

// ---------------------------------------------------------------------------------------------------
// Header (RFC 8489 §5, §6.3).

TEST(StunMalformed, TooShortForTheHeader) {
  std::vector<uint8_t> header = RawMessage(0x0001, {});
  for (size_t n = 0; n < kHeaderSize; ++n) {
    absl::Status s = ParseStatus(ByteSpan(header).first(n));
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << n;
    EXPECT_TRUE(FailsMentioning(s, "header")) << n;
    EXPECT_FALSE(LooksLikeStun(ByteSpan(header).first(n)));
  }
  EXPECT_TRUE(MessageView::Parse(header).ok());
  EXPECT_TRUE(LooksLikeStun(header));
}

TEST(StunMalformed, FirstTwoBitsMustBeZero) {
  for (uint8_t top : {0x40, 0x80, 0xC0}) {
    std::vector<uint8_t> msg = RawMessage(0x0001, {});
    msg[0] |= top;
    EXPECT_TRUE(FailsMentioning(ParseStatus(msg), "first two bits")) << int{top};
    EXPECT_FALSE(LooksLikeStun(msg));
  }
}

TEST(StunMalformed, BadMagicCookie) {
  for (size_t i = 4; i < 8; ++i) {
    std::vector<uint8_t> msg = RawMessage(0x0001, {{.type = attr::kPriority, .value = U32(1)}});
    msg[i] ^= 0x01;
    EXPECT_TRUE(FailsMentioning(ParseStatus(msg), "magic cookie")) << i;
    EXPECT_FALSE(LooksLikeStun(msg));
  }
}

TEST(StunMalformed, LengthNotAMultipleOfFour) {
  for (uint16_t length : {1, 2, 3, 5, 6, 7}) {
    std::vector<uint8_t> msg = RawMessage(0x0001, {});
    msg.resize(kHeaderSize + length, 0);
    StoreBigEndian16(msg.data() + 2, length);
    EXPECT_TRUE(FailsMentioning(ParseStatus(msg), "multiple of 4")) << length;
    EXPECT_FALSE(LooksLikeStun(msg));
  }
}

TEST(StunMalformed, LengthDisagreesWithDatagramSize) {
  std::vector<uint8_t> msg = RawMessage(0x0001, {{.type = attr::kPriority, .value = U32(7)}});
  ASSERT_TRUE(MessageView::Parse(msg).ok());
  // Header claims more than the datagram holds.
  StoreBigEndian16(msg.data() + 2, 12);
  EXPECT_TRUE(FailsMentioning(ParseStatus(msg), "does not match"));
  // Header claims less: trailing bytes are not silently ignored.
  StoreBigEndian16(msg.data() + 2, 4);
  EXPECT_TRUE(FailsMentioning(ParseStatus(msg), "does not match"));
  StoreBigEndian16(msg.data() + 2, 0);
  EXPECT_TRUE(FailsMentioning(ParseStatus(msg), "does not match"));
  EXPECT_FALSE(LooksLikeStun(msg));
  // A second message glued to the first.
  std::vector<uint8_t> two = RawMessage(0x0001, {});
  std::vector<uint8_t> again = two;
  two.insert(two.end(), again.begin(), again.end());
  EXPECT_TRUE(FailsMentioning(ParseStatus(two), "does not match"));
}

// ---------------------------------------------------------------------------------------------------
// Attribute framing.

TEST(StunMalformed, TruncatedAttributeHeader) {
  // Attributes start on 4-byte boundaries and the length is a multiple of 4, so a datagram that ends
  // inside an attribute header is always caught by the length checks first.
  std::vector<uint8_t> msg = RawMessage(0x0001, {});
  msg.push_back(0x00);
  msg.push_back(0x24);
  StoreBigEndian16(msg.data() + 2, 2);
  EXPECT_FALSE(MessageView::Parse(msg).ok());
  StoreBigEndian16(msg.data() + 2, 4);
  EXPECT_FALSE(MessageView::Parse(msg).ok());
}

TEST(StunMalformed, AttributeValueRunsPastTheEnd) {
  // A PRIORITY that claims 8 bytes with 4 present; an unknown attribute that claims 0xffff.
  std::vector<uint8_t> msg =
      RawMessage(0x0001, {{.type = attr::kPriority, .value = U32(1), .declared_length = 8}});
  EXPECT_TRUE(FailsMentioning(ParseStatus(msg), "past the end"));
  std::vector<uint8_t> huge =
      RawMessage(0x0001, {{.type = 0x8abc, .value = Zeros(8), .declared_length = 0xffff}});
  EXPECT_TRUE(FailsMentioning(ParseStatus(huge), "past the end"));
  // The value fits but its padding does not: 9 bytes declared need 12 on the wire, 8 are there.
  std::vector<uint8_t> pad =
      RawMessage(0x0001, {{.type = attr::kSoftware, .value = Zeros(8), .declared_length = 9}});
  EXPECT_TRUE(FailsMentioning(ParseStatus(pad), "past the end"));
  // The error names the attribute.
  EXPECT_TRUE(FailsMentioning(ParseStatus(msg), "PRIORITY"));
}

TEST(StunMalformed, PaddingContentIsIgnored) {
  // RFC 8489 §14: padding bits MUST be ignored by the receiver (RFC 5769 §2.1 pads with spaces).
  std::vector<uint8_t> msg =
      RawMessage(0x0001, {{.type = attr::kUsername, .value = testing::Bytes("abcde"), .pad = 0xff}});
  absl::StatusOr<MessageView> m = MessageView::Parse(msg);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->GetUsername().value_or(""), "abcde");
}

struct LengthCase {
  uint16_t type;
  std::vector<int> bad;
  std::vector<int> good;
};

TEST(StunMalformed, WrongSizeForEveryFixedSizeAttribute) {
  const LengthCase cases[] = {
      {attr::kMappedAddress, {0, 4, 12, 16, 24}, {8, 20}},
      {attr::kXorMappedAddress, {0, 4, 12, 16, 24}, {8, 20}},
      {attr::kXorPeerAddress, {4, 12}, {8, 20}},
      {attr::kXorRelayedAddress, {4, 12}, {8, 20}},
      {attr::kAlternateServer, {4, 12}, {8, 20}},
      {attr::kResponseOrigin, {4, 12}, {8, 20}},
      {attr::kOtherAddress, {4, 12}, {8, 20}},
      {attr::kMessageIntegrity, {0, 16, 19, 21, 32}, {20}},
      {attr::kMessageIntegritySha256, {0, 12, 15, 18, 33, 36}, {16, 20, 24, 28, 32}},
      {attr::kFingerprint, {0, 2, 8}, {4}},
      {attr::kPriority, {0, 2, 8}, {4}},
      {attr::kLifetime, {0, 3, 8}, {4}},
      {attr::kChannelNumber, {0, 2, 8}, {4}},
      {attr::kRequestedTransport, {0, 1, 8}, {4}},
      {attr::kRequestedAddressFamily, {0, 1, 8}, {4}},
      {attr::kAdditionalAddressFamily, {0, 1, 8}, {4}},
      {attr::kChangeRequest, {0, 8}, {4}},
      {attr::kResponsePort, {0, 2, 8}, {4}},
      {attr::kConnectionId, {0, 8}, {4}},
      {attr::kIceControlled, {0, 4, 12}, {8}},
      {attr::kIceControlling, {0, 4, 12}, {8}},
      {attr::kReservationToken, {0, 4, 12}, {8}},
      {attr::kIcmp, {0, 4, 12}, {8}},
      {attr::kUseCandidate, {1, 4}, {0}},
      {attr::kDontFragment, {1, 4}, {0}},
      {attr::kEvenPort, {0, 2, 4}, {1}},
      {attr::kUserhash, {0, 16, 31, 33, 64}, {32}},
      {attr::kErrorCode, {0, 2, 3, 4 + 764}, {4, 5, 4 + 763}},
      {attr::kAddressErrorCode, {0, 3}, {4, 9}},
      {attr::kUnknownAttributes, {1, 3, 5}, {0, 2, 4, 6}},
      {attr::kPasswordAlgorithm, {0, 2}, {4}},
      {attr::kPasswordAlgorithms, {0, 2}, {4, 8}},
  };
  for (const LengthCase& c : cases) {
    for (int len : c.bad) {
      std::vector<uint8_t> msg = RawMessage(0x0001, {{.type = c.type, .value = Zeros(len)}});
      absl::Status s = ParseStatus(msg);
      EXPECT_TRUE(FailsMentioning(s, AttributeName(c.type))) << AttributeName(c.type) << " length " << len;
      EXPECT_TRUE(FailsMentioning(s, "length")) << AttributeName(c.type) << " length " << len;
      EXPECT_FALSE(IsValidAttributeLength(c.type, len)) << AttributeName(c.type) << " " << len;
    }
    for (int len : c.good) {
      std::vector<uint8_t> msg = RawMessage(0x0001, {{.type = c.type, .value = Zeros(len)}});
      EXPECT_TRUE(MessageView::Parse(msg).ok())
          << AttributeName(c.type) << " length " << len << ": " << ParseStatus(msg);
      EXPECT_TRUE(IsValidAttributeLength(c.type, len)) << AttributeName(c.type) << " " << len;
    }
  }
  // Unknown and free-form types take any length.
  EXPECT_TRUE(IsValidAttributeLength(0x8abc, 0));
  EXPECT_TRUE(IsValidAttributeLength(0x8abc, 65535));
  EXPECT_TRUE(IsValidAttributeLength(attr::kData, 0));
  EXPECT_TRUE(IsValidAttributeLength(attr::kData, 65000));
  EXPECT_TRUE(IsValidAttributeLength(attr::kPadding, 3));
}

TEST(StunMalformed, TooLongText) {
  // §14.3 USERNAME < 513 bytes; REALM, NONCE, SOFTWARE at most 763 bytes; ALTERNATE-DOMAIN 255.
  const std::pair<uint16_t, size_t> limits[] = {{attr::kUsername, 512},
                                                {attr::kRealm, 763},
                                                {attr::kNonce, 763},
                                                {attr::kSoftware, 763},
                                                {attr::kAlternateDomain, 255}};
  for (const auto& [type, max] : limits) {
    std::vector<uint8_t> ok = RawMessage(0x0001, {{.type = type, .value = std::vector<uint8_t>(max, 'a')}});
    EXPECT_TRUE(MessageView::Parse(ok).ok()) << AttributeName(type);
    std::vector<uint8_t> bad =
        RawMessage(0x0001, {{.type = type, .value = std::vector<uint8_t>(max + 1, 'a')}});
    EXPECT_TRUE(FailsMentioning(ParseStatus(bad), AttributeName(type)));
    // The decoder applies the same limit on its own.
    EXPECT_TRUE(
        FailsMentioning(DecodeText(type, std::vector<uint8_t>(max + 1, 'a')).status(), AttributeName(type)));
    EXPECT_TRUE(DecodeText(type, std::vector<uint8_t>(max, 'a')).ok());
  }
}

TEST(StunMalformed, DuplicateAttribute) {
  std::vector<uint8_t> msg = RawMessage(0x0001, {{.type = attr::kUsername, .value = testing::Bytes("a")},
                                                 {.type = attr::kPriority, .value = U32(1)},
                                                 {.type = attr::kUsername, .value = testing::Bytes("b")}});
  absl::Status s = ParseStatus(msg);
  EXPECT_TRUE(FailsMentioning(s, "duplicate"));
  EXPECT_TRUE(FailsMentioning(s, "USERNAME"));
  std::vector<uint8_t> adjacent = RawMessage(
      0x0001, {{.type = attr::kPriority, .value = U32(1)}, {.type = attr::kPriority, .value = U32(2)}});
  EXPECT_TRUE(FailsMentioning(ParseStatus(adjacent), "duplicate"));
  std::vector<uint8_t> unknown =
      RawMessage(0x0001, {{.type = 0x8abc, .value = {}}, {.type = 0x8abc, .value = {}}});
  EXPECT_TRUE(FailsMentioning(ParseStatus(unknown), "duplicate"));
}

TEST(StunMalformed, TurnAttributesThatMayRepeat) {
  // Not every repeat is malformed. RFC 8656 §9.1: "The CreatePermission request MUST contain at least
  // one XOR-PEER-ADDRESS attribute and MAY contain multiple such attributes"; §7.3: a dual-stack
  // Allocate success response carries one XOR-RELAYED-ADDRESS per address family.
  const SocketAddress peer1 = *SocketAddress::Parse("192.0.2.10:5000");
  const SocketAddress peer2 = *SocketAddress::Parse("[2001:db8::10]:6000");
  std::array<uint8_t, 256> buf;
  MessageBuilder b(buf, {MessageClass::kRequest, method::kCreatePermission}, testing::TestTransactionId());
  b.AddXorAddress(attr::kXorPeerAddress, peer1).AddXorAddress(attr::kXorPeerAddress, peer2);
  absl::StatusOr<ByteSpan> wire = b.Finish({.fingerprint = true});
  ASSERT_TRUE(wire.ok()) << wire.status();
  absl::StatusOr<MessageView> m = MessageView::Parse(*wire);
  ASSERT_TRUE(m.ok()) << m.status();
  std::vector<SocketAddress> peers;
  for (const Attribute& a : *m) {
    if (a.type == attr::kXorPeerAddress)
      peers.push_back(DecodeXorAddress(a.value, m->transaction_id()).value_or(SocketAddress()));
  }
  EXPECT_EQ(peers, (std::vector<SocketAddress>{peer1, peer2}));
  EXPECT_EQ(m->GetXorAddress(attr::kXorPeerAddress).value_or(SocketAddress()), peer1)
      << "Find gives the first";

  MessageBuilder r(buf, {MessageClass::kSuccessResponse, method::kAllocate}, testing::TestTransactionId());
  r.AddXorAddress(attr::kXorRelayedAddress, peer1)
      .AddXorAddress(attr::kXorRelayedAddress, peer2)
      .AddU32(attr::kLifetime, 600)
      .AddXorAddress(attr::kXorMappedAddress, peer1);
  absl::StatusOr<ByteSpan> response = r.Finish();
  ASSERT_TRUE(response.ok());
  EXPECT_TRUE(MessageView::Parse(*response).ok()) << MessageView::Parse(*response).status();
}

TEST(StunMalformed, ManyDistinctAttributesAreNotMistakenForDuplicates) {
  // 64 different types (the maximum): whatever shortcut the duplicate check takes, none is flagged.
  std::vector<RawAttribute> attrs;
  for (uint16_t i = 0; i < kMaxAttributes; ++i) {
    attrs.push_back({.type = static_cast<uint16_t>(0x8100 + i * 37), .value = {}});
  }
  absl::StatusOr<MessageView> m = MessageView::Parse(RawMessage(0x0001, attrs));
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->attribute_count(), kMaxAttributes);
}

TEST(StunMalformed, MoreThanMaxAttributes) {
  std::vector<RawAttribute> attrs;
  for (uint16_t i = 0; i <= kMaxAttributes; ++i)
    attrs.push_back({.type = static_cast<uint16_t>(0x8100 + i), .value = {}});
  std::vector<uint8_t> msg = RawMessage(0x0001, attrs);
  EXPECT_TRUE(FailsMentioning(ParseStatus(msg), "more than 64 attributes"));
}

// ---------------------------------------------------------------------------------------------------
// Ordering of the trailer attributes (RFC 8489 §14.5-§14.7).

TEST(StunMalformed, AttributeAfterFingerprint) {
  std::vector<uint8_t> msg = RawMessage(0x0001, {{.type = attr::kFingerprint, .value = U32(0)},
                                                 {.type = attr::kSoftware, .value = testing::Bytes("x")}});
  EXPECT_TRUE(FailsMentioning(ParseStatus(msg), "after FINGERPRINT"));
  std::vector<uint8_t> twice = RawMessage(
      0x0001, {{.type = attr::kFingerprint, .value = U32(0)}, {.type = attr::kFingerprint, .value = U32(0)}});
  EXPECT_FALSE(MessageView::Parse(twice).ok());
}

TEST(StunMalformed, NonFingerprintAfterMessageIntegrity) {
  std::vector<uint8_t> msg = RawMessage(0x0001, {{.type = attr::kMessageIntegrity, .value = Zeros(20)},
                                                 {.type = attr::kUsername, .value = testing::Bytes("x")}});
  absl::Status s = ParseStatus(msg);
  EXPECT_TRUE(FailsMentioning(s, "after MESSAGE-INTEGRITY"));
  EXPECT_TRUE(FailsMentioning(s, "USERNAME"));
  // Allowed: MESSAGE-INTEGRITY-SHA256 and FINGERPRINT.
  std::vector<uint8_t> ok = RawMessage(0x0001, {{.type = attr::kMessageIntegrity, .value = Zeros(20)},
                                                {.type = attr::kMessageIntegritySha256, .value = Zeros(32)},
                                                {.type = attr::kFingerprint, .value = U32(0)}});
  EXPECT_TRUE(MessageView::Parse(ok).ok()) << ParseStatus(ok);
  // Also an unknown comprehension-optional attribute is refused after MESSAGE-INTEGRITY.
  std::vector<uint8_t> optional = RawMessage(
      0x0001, {{.type = attr::kMessageIntegrity, .value = Zeros(20)}, {.type = 0x8abc, .value = {}}});
  EXPECT_TRUE(FailsMentioning(ParseStatus(optional), "after MESSAGE-INTEGRITY"));
}

TEST(StunMalformed, MessageIntegrityAfterMessageIntegritySha256) {
  std::vector<uint8_t> msg = RawMessage(0x0001, {{.type = attr::kMessageIntegritySha256, .value = Zeros(32)},
                                                 {.type = attr::kMessageIntegrity, .value = Zeros(20)}});
  EXPECT_TRUE(FailsMentioning(ParseStatus(msg), "MESSAGE-INTEGRITY after MESSAGE-INTEGRITY-SHA256"));
  std::vector<uint8_t> other =
      RawMessage(0x0001, {{.type = attr::kMessageIntegritySha256, .value = Zeros(16)},
                          {.type = attr::kRealm, .value = testing::Bytes("r")}});
  EXPECT_TRUE(FailsMentioning(ParseStatus(other), "after MESSAGE-INTEGRITY-SHA256"));
  std::vector<uint8_t> fp = RawMessage(0x0001, {{.type = attr::kMessageIntegritySha256, .value = Zeros(16)},
                                                {.type = attr::kFingerprint, .value = U32(0)}});
  EXPECT_TRUE(MessageView::Parse(fp).ok());
}

// ---------------------------------------------------------------------------------------------------
// Values, through MessageView's getters and the decoders.

TEST(StunMalformed, BadAddressFamily) {
  for (uint8_t family : {0x00, 0x03, 0xff}) {
    std::vector<uint8_t> v = {0x00, family, 0x12, 0x34, 192, 0, 2, 1};
    std::vector<uint8_t> msg = RawMessage(
        0x0101, {{.type = attr::kMappedAddress, .value = v}, {.type = attr::kXorMappedAddress, .value = v}});
    absl::StatusOr<MessageView> m = MessageView::Parse(msg);
    ASSERT_TRUE(m.ok()) << "the value is checked by the decoder, not by Parse";
    EXPECT_TRUE(FailsMentioning(m->GetMappedAddress().status(), "family")) << int{family};
    EXPECT_TRUE(FailsMentioning(m->GetXorMappedAddress().status(), "family")) << int{family};
  }
}

TEST(StunMalformed, AddressFamilyDisagreesWithLength) {
  // An IPv4 family with 16 address bytes, or IPv6 with 4.
  std::vector<uint8_t> v4_long = {0x00, kFamilyV4, 0x12, 0x34};
  v4_long.resize(20, 0x01);
  std::vector<uint8_t> v6_short = {0x00, kFamilyV6, 0x12, 0x34, 1, 2, 3, 4};
  EXPECT_TRUE(FailsMentioning(DecodeAddress(v4_long).status(), "family"));
  EXPECT_TRUE(FailsMentioning(DecodeXorAddress(v4_long, testing::TestTransactionId()).status(), "family"));
  EXPECT_TRUE(FailsMentioning(DecodeAddress(v6_short).status(), "family"));
  EXPECT_TRUE(FailsMentioning(DecodeXorAddress(v6_short, testing::TestTransactionId()).status(), "family"));
  // Wrong total length straight into the decoder.
  EXPECT_TRUE(FailsMentioning(DecodeXorAddress(Zeros(12), testing::TestTransactionId()).status(), "length"));
  EXPECT_TRUE(FailsMentioning(DecodeAddress(Zeros(0)).status(), "length"));
  // And inside a message, a bad XOR address length is refused by Parse.
  std::vector<uint8_t> msg = RawMessage(0x0101, {{.type = attr::kXorMappedAddress, .value = Zeros(12)}});
  EXPECT_TRUE(FailsMentioning(ParseStatus(msg), "XOR-MAPPED-ADDRESS"));
}

TEST(StunMalformed, ErrorCodeClassAndNumberOutOfRange) {
  auto ec = [](uint8_t cls, uint8_t number) { return std::vector<uint8_t>{0, 0, cls, number}; };
  for (uint8_t cls : {0, 1, 2, 7}) {
    EXPECT_TRUE(FailsMentioning(DecodeErrorCode(ec(cls, 0)).status(), "class")) << int{cls};
    EXPECT_TRUE(FailsMentioning(DecodeAddressErrorCode(Vec{kFamilyV4, 0, cls, 0}).status(), "class"));
  }
  EXPECT_TRUE(FailsMentioning(DecodeErrorCode(ec(4, 100)).status(), "number"));
  EXPECT_TRUE(FailsMentioning(DecodeErrorCode(ec(4, 255)).status(), "number"));
  EXPECT_EQ(DecodeErrorCode(ec(3, 0))->code, 300);
  EXPECT_EQ(DecodeErrorCode(ec(6, 99))->code, 699);
  EXPECT_EQ(DecodeErrorCode(Vec{0, 0, 0xf4, 1})->code, 401) << "only the low three bits are the class";
  // Through the getter.
  std::vector<uint8_t> msg = RawMessage(0x0111, {{.type = attr::kErrorCode, .value = ec(2, 0)}});
  EXPECT_TRUE(FailsMentioning(MessageView::Parse(msg)->GetErrorCode().status(), "class"));
  // Reason phrase must be UTF-8.
  std::vector<uint8_t> bad_reason = ec(4, 0);
  bad_reason.push_back(0xff);
  EXPECT_TRUE(FailsMentioning(DecodeErrorCode(bad_reason).status(), "UTF-8"));
  EXPECT_FALSE(DecodeErrorCode(Zeros(3)).ok());
}

TEST(StunMalformed, AddressErrorCodeFamily) {
  EXPECT_TRUE(FailsMentioning(DecodeAddressErrorCode(Vec{0x03, 0, 4, 40}).status(), "family"));
  EXPECT_TRUE(FailsMentioning(DecodeAddressErrorCode(Vec{0x00, 0, 4, 40}).status(), "family"));
  const Vec value = {kFamilyV4, 0, 4, 40};
  absl::StatusOr<AddressErrorCodeValue> ok = DecodeAddressErrorCode(value);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->family, IpFamily::kV4);
  EXPECT_EQ(ok->code, 440);
  EXPECT_EQ(ok->reason, "");
}

TEST(StunMalformed, InvalidUtf8Text) {
  const std::string bad[] = {
      "\xff",                  // never valid
      "\x80",                  // lone continuation byte
      "abc\xc3",               // truncated two-byte sequence
      "\xe3\x83",              // truncated three-byte sequence
      "\xc0\x80",              // overlong NUL
      "\xc1\xbf",              // overlong
      "\xe0\x9f\xbf",          // overlong three-byte form
      "\xf0\x8f\xbf\xbf",      // overlong four-byte form
      "\xed\xa0\x80",          // UTF-16 surrogate U+D800
      "\xed\xbf\xbf",          // UTF-16 surrogate U+DFFF
      "\xf4\x90\x80\x80",      // beyond U+10FFFF
      "\xf5\x80\x80\x80",      // invalid lead byte
      "\xe3\x83\x9e\x41\x83",  // continuation byte where a lead is expected
  };
  for (const std::string& text : bad) {
    EXPECT_FALSE(IsValidUtf8(text)) << testing::ToHex(AsBytes(text));
    for (uint16_t type : {attr::kUsername, attr::kRealm, attr::kNonce, attr::kSoftware}) {
      std::vector<uint8_t> msg = RawMessage(0x0001, {{.type = type, .value = testing::Bytes(text)}});
      absl::StatusOr<MessageView> m = MessageView::Parse(msg);
      ASSERT_TRUE(m.ok());
      EXPECT_TRUE(FailsMentioning(m->GetText(type).status(), "UTF-8")) << testing::ToHex(AsBytes(text));
    }
  }
  const std::string good[] = {
      "",
      "plain ascii",
      "\xc2\x80",                  // U+0080, the smallest two-byte form
      "\xdf\xbf",                  // U+07FF
      "\xe0\xa0\x80",              // U+0800, the smallest three-byte form
      "\xed\x9f\xbf",              // U+D7FF, just below the surrogates
      "\xee\x80\x80",              // U+E000, just above them
      "\xef\xbf\xbf",              // U+FFFF
      "\xf0\x90\x80\x80",          // U+10000
      "\xf4\x8f\xbf\xbf",          // U+10FFFF
      "\xf0\x9f\x98\x80 smile",    // an emoji
      "\xe3\x83\x9e\xe3\x83\x88",  // RFC 5769's username
  };
  for (const std::string& text : good) EXPECT_TRUE(IsValidUtf8(text)) << testing::ToHex(AsBytes(text));
}

TEST(StunMalformed, BadChannelNumbers) {
  for (uint16_t n : {0x0000, 0x3FFF, 0x5000, 0x7FFF, 0xFFFF}) {
    std::vector<uint8_t> value = U32(uint32_t{n} << 16);
    EXPECT_TRUE(FailsMentioning(DecodeChannelNumber(value).status(), "0x4000")) << n;
    std::vector<uint8_t> msg = RawMessage(0x0009, {{.type = attr::kChannelNumber, .value = value}});
    absl::StatusOr<MessageView> m = MessageView::Parse(msg);
    ASSERT_TRUE(m.ok());
    EXPECT_FALSE(m->GetChannelNumber().ok()) << n;
  }
  for (uint16_t n : {0x4000, 0x4001, 0x4FFF}) {
    EXPECT_EQ(DecodeChannelNumber(U32(uint32_t{n} << 16)).value_or(0), n);
  }
  EXPECT_FALSE(DecodeChannelNumber(Zeros(2)).ok());
}

// RFC 5766 §11 numbers (0x5000-0x7FFF) decode only with the wide range a TURN server asks for; the
// default (the ICE-side TURN client's) still refuses them.
TEST(StunMalformed, Rfc5766ChannelNumbersNeedTheWideRange) {
  constexpr ChannelNumberRange kWide = ChannelNumberRange::kRfc5766;
  for (uint16_t n : {0x5000, 0x7647, 0x7FFF}) {
    std::vector<uint8_t> value = U32(uint32_t{n} << 16);
    EXPECT_TRUE(FailsMentioning(DecodeChannelNumber(value).status(), "0x4FFF")) << n;
    EXPECT_EQ(DecodeChannelNumber(value, kWide).value_or(0), n);
    std::vector<uint8_t> msg = RawMessage(0x0009, {{.type = attr::kChannelNumber, .value = value}});
    absl::StatusOr<MessageView> m = MessageView::Parse(msg);
    ASSERT_TRUE(m.ok());
    EXPECT_FALSE(m->GetChannelNumber().ok()) << n;
    EXPECT_EQ(m->GetChannelNumber(kWide).value_or(0), n);
  }
  for (uint16_t n : {0x0000, 0x3FFF, 0x8000, 0xFFFF}) {
    EXPECT_TRUE(FailsMentioning(DecodeChannelNumber(U32(uint32_t{n} << 16), kWide).status(), "0x7FFF")) << n;
  }
  EXPECT_FALSE(DecodeChannelNumber(Zeros(2), kWide).ok());
  EXPECT_FALSE(DecodeChannelNumber(Zeros(8), kWide).ok()) << "the length must be 4";
}

TEST(StunMalformed, PasswordAlgorithmEntries) {
  // Parameters that run past the attribute.
  EXPECT_TRUE(FailsMentioning(DecodePasswordAlgorithms(Vec{0x00, 0x01, 0x00, 0x08, 1, 2, 3, 4}).status(),
                              "past the attribute"));
  // MD5 and SHA-256 take no parameters (RFC 8489 §18.5.1).
  EXPECT_FALSE(DecodePasswordAlgorithms(Vec{0x00, 0x01, 0x00, 0x04, 1, 2, 3, 4}).ok());
  EXPECT_FALSE(DecodePasswordAlgorithm(Vec{0x00, 0x02, 0x00, 0x01, 1, 0, 0, 0}).ok());
  // An unknown algorithm with parameters is carried along (a client skips it).
  const Vec two_entries = {0x00, 0x09, 0x00, 0x03, 7, 8, 9, 0, 0x00, 0x02, 0x00, 0x00};
  absl::StatusOr<std::vector<PasswordAlgorithmValue>> list = DecodePasswordAlgorithms(two_entries);
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].algorithm, 9);
  EXPECT_EQ(testing::ToHex((*list)[0].parameters), "070809");
  EXPECT_EQ((*list)[1].algorithm, 2);
  // Empty list; truncated entry; PASSWORD-ALGORITHM with two entries.
  EXPECT_FALSE(DecodePasswordAlgorithms(Vec{}).ok());
  EXPECT_FALSE(DecodePasswordAlgorithms(Vec{0x00, 0x01}).ok());
  EXPECT_TRUE(FailsMentioning(DecodePasswordAlgorithm(Vec{0, 1, 0, 0, 0, 2, 0, 0}).status(), "trailing"));
}

TEST(StunMalformed, FixedSizeDecodersCheckTheirInput) {
  EXPECT_FALSE(DecodeU32(Zeros(3)).ok());
  EXPECT_FALSE(DecodeU32(Zeros(8)).ok());
  EXPECT_FALSE(DecodeU64(Zeros(4)).ok());
  EXPECT_FALSE(DecodeEvenPort(Zeros(0)).ok());
  EXPECT_FALSE(DecodeEvenPort(Zeros(4)).ok());
  EXPECT_FALSE(DecodeIcmp(Zeros(4)).ok());
  EXPECT_FALSE(DecodeChangeRequest(Zeros(8)).ok());
  EXPECT_FALSE(DecodeResponsePort(Zeros(2)).ok());
  EXPECT_FALSE(DecodeRequestedTransport(Zeros(1)).ok());
  EXPECT_FALSE(DecodeAddressFamily(Zeros(4)).ok()) << "family 0";
  EXPECT_FALSE(DecodeAddressFamily(Vec{0x03, 0, 0, 0}).ok());
  EXPECT_FALSE(DecodeAddressFamily(Vec{0x01}).ok());
  EXPECT_FALSE(DecodeUnknownAttributes(Zeros(3)).ok());
  // RFC 5780 §7.2 CHANGE-REQUEST: A = change IP (0x4), B = change port (0x2).
  absl::StatusOr<ChangeRequestValue> ip_only = DecodeChangeRequest(U32(0x4));
  ASSERT_TRUE(ip_only.ok());
  EXPECT_TRUE(ip_only->change_ip);
  EXPECT_FALSE(ip_only->change_port);
  absl::StatusOr<ChangeRequestValue> port_only = DecodeChangeRequest(U32(0x2));
  ASSERT_TRUE(port_only.ok());
  EXPECT_FALSE(port_only->change_ip);
  EXPECT_TRUE(port_only->change_port);
  absl::StatusOr<ChangeRequestValue> neither = DecodeChangeRequest(U32(0xfffffff9));
  ASSERT_TRUE(neither.ok());
  EXPECT_FALSE(neither->change_ip || neither->change_port) << "other bits are ignored";
  // Reserved bits are ignored.
  EXPECT_EQ(DecodeEvenPort(Vec{0x7f}).value_or(true), false);
  EXPECT_EQ(DecodeEvenPort(Vec{0xff}).value_or(false), true);
  EXPECT_EQ(DecodeRequestedTransport(Vec{17, 0xff, 0xff, 0xff}).value_or(0), 17);
}

// ---------------------------------------------------------------------------------------------------
// Fuzz-style robustness: random mutations of a valid message never crash and never yield a view that
// reads outside the datagram (ASan checks the latter).

TEST(StunMalformed, RandomMutationsAreHandled) {
  const IntegrityKey key = IntegrityKey::ShortTerm("k");
  std::array<uint8_t, 256> buf;
  MessageBuilder b(buf, {MessageClass::kRequest, method::kAllocate}, testing::TestTransactionId());
  b.AddText(attr::kUsername, "user")
      .AddXorAddress(attr::kXorPeerAddress, *SocketAddress::Parse("[2001:db8::1]:9"))
      .AddErrorCode(error::kStaleNonce)
      .Add(attr::kData, AsBytes("0123456789"));
  absl::StatusOr<ByteSpan> wire = b.Finish({.integrity = &key, .fingerprint = true});
  ASSERT_TRUE(wire.ok());
  const std::vector<uint8_t> original(wire->begin(), wire->end());
  SeededRandom random(5769);
  int parsed = 0;
  for (int round = 0; round < 5000; ++round) {
    std::vector<uint8_t> copy = original;
    const int edits = 1 + static_cast<int>(random.Uniform(4));
    for (int e = 0; e < edits; ++e)
      copy[random.Uniform(copy.size())] = static_cast<uint8_t>(random.NextU32());
    if (random.Bernoulli(0.2)) copy.resize(random.Uniform(copy.size() + 1));
    // Exact-size heap copy so ASan sees any read past the end.
    std::unique_ptr<uint8_t[]> exact(new uint8_t[std::max<size_t>(copy.size(), 1)]);
    std::copy(copy.begin(), copy.end(), exact.get());
    ByteSpan bytes(exact.get(), copy.size());
    absl::StatusOr<MessageView> m = MessageView::Parse(bytes);
    if (!m.ok()) {
      EXPECT_FALSE(m.status().message().empty());
      continue;
    }
    ++parsed;
    for (const Attribute& a : *m) {
      ASSERT_GE(a.value.data(), bytes.data());
      ASSERT_LE(a.value.data() + a.value.size(), bytes.data() + bytes.size());
    }
    (void)m->GetUsername();
    (void)m->GetXorAddress(attr::kXorPeerAddress);
    (void)m->GetErrorCode();
    (void)m->GetData();
    (void)m->VerifyIntegrity(key);
    (void)m->VerifyFingerprint();
    std::vector<uint16_t> unknown;
    m->CollectUnknownRequired(&unknown);
  }
  EXPECT_GT(parsed, 0);
}

}  // namespace
}  // namespace tern::stun
