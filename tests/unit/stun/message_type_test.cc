// The 16-bit STUN message type interleaves the two class bits C1 C0 with the 12 method bits
// (RFC 8489 §5, figure 3): M11..M7 C1 M6..M4 C0 M3..M0, with the top two bits zero.
#include <set>

#include "gtest/gtest.h"
#include "tern/stun/stun.h"

namespace tern::stun {
namespace {

constexpr MessageClass kClasses[] = {MessageClass::kRequest, MessageClass::kIndication,
                                     MessageClass::kSuccessResponse, MessageClass::kErrorResponse};

TEST(StunMessageType, Rfc8489Section5Examples) {
  // "a Binding request has class=0b00 (request) and method=0b000000000001 (Binding) and is encoded
  // into the first 16 bits as 0x0001. A Binding response has class=0b10 (success response) and
  // method=0b000000000001, and is encoded into the first 16 bits as 0x0101."
  EXPECT_EQ((MessageType{MessageClass::kRequest, method::kBinding}).Encode(), 0x0001);
  EXPECT_EQ((MessageType{MessageClass::kSuccessResponse, method::kBinding}).Encode(), 0x0101);
  EXPECT_EQ((MessageType{MessageClass::kErrorResponse, method::kBinding}).Encode(), 0x0111);
  EXPECT_EQ((MessageType{MessageClass::kIndication, method::kBinding}).Encode(), 0x0011);
  EXPECT_EQ(MessageType::Decode(0x0001), (MessageType{MessageClass::kRequest, method::kBinding}));
  EXPECT_EQ(MessageType::Decode(0x0101), (MessageType{MessageClass::kSuccessResponse, method::kBinding}));
  EXPECT_EQ(MessageType::Decode(0x0111), (MessageType{MessageClass::kErrorResponse, method::kBinding}));
  EXPECT_EQ(MessageType::Decode(0x0011), (MessageType{MessageClass::kIndication, method::kBinding}));
}

TEST(StunMessageType, TurnAndTcpMethods) {
  // RFC 8656 §17 and RFC 6062 §6.1 message types as they appear on the wire.
  struct Case {
    MessageClass cls;
    uint16_t method;
    uint16_t wire;
  } cases[] = {
      {MessageClass::kRequest, method::kAllocate, 0x0003},
      {MessageClass::kSuccessResponse, method::kAllocate, 0x0103},
      {MessageClass::kErrorResponse, method::kAllocate, 0x0113},
      {MessageClass::kRequest, method::kRefresh, 0x0004},
      {MessageClass::kSuccessResponse, method::kRefresh, 0x0104},
      {MessageClass::kIndication, method::kSend, 0x0016},
      {MessageClass::kIndication, method::kData, 0x0017},
      {MessageClass::kRequest, method::kCreatePermission, 0x0008},
      {MessageClass::kSuccessResponse, method::kCreatePermission, 0x0108},
      {MessageClass::kRequest, method::kChannelBind, 0x0009},
      {MessageClass::kErrorResponse, method::kChannelBind, 0x0119},
      {MessageClass::kRequest, method::kConnect, 0x000A},
      {MessageClass::kRequest, method::kConnectionBind, 0x000B},
      {MessageClass::kIndication, method::kConnectionAttempt, 0x001C},
  };
  for (const Case& c : cases) {
    EXPECT_EQ((MessageType{c.cls, c.method}).Encode(), c.wire) << MethodName(c.method);
    EXPECT_EQ(MessageType::Decode(c.wire), (MessageType{c.cls, c.method})) << MethodName(c.method);
  }
}

TEST(StunMessageType, BitLayout) {
  // Method bits M0..M11 land at type bits 0-3, 5-7 and 9-13; C0 at bit 4, C1 at bit 8.
  for (int bit = 0; bit < 12; ++bit) {
    uint16_t m = static_cast<uint16_t>(1u << bit);
    int wire_bit = bit < 4 ? bit : bit < 7 ? bit + 1 : bit + 2;
    EXPECT_EQ((MessageType{MessageClass::kRequest, m}).Encode(), 1u << wire_bit) << "method bit " << bit;
  }
  EXPECT_EQ((MessageType{MessageClass::kIndication, 0}).Encode(), 0x0010);
  EXPECT_EQ((MessageType{MessageClass::kSuccessResponse, 0}).Encode(), 0x0100);
  EXPECT_EQ((MessageType{MessageClass::kErrorResponse, 0x0FFF}).Encode(), 0x3FFF);
}

TEST(StunMessageType, EveryClassAndMethodRoundTrips) {
  std::set<uint16_t> seen;
  for (MessageClass cls : kClasses) {
    for (uint16_t m = 0; m <= 0x0FFF; ++m) {
      MessageType t{cls, m};
      uint16_t wire = t.Encode();
      ASSERT_EQ(wire & 0xC000, 0) << "the top two bits of a STUN message are zero";
      ASSERT_EQ(MessageType::Decode(wire), t) << "class " << static_cast<int>(cls) << " method " << m;
      seen.insert(wire);
    }
  }
  EXPECT_EQ(seen.size(), 4u * 4096u) << "the encoding is one-to-one";
  // And every 14-bit type decodes to something that encodes back to it.
  for (uint32_t wire = 0; wire <= 0x3FFF; ++wire) {
    ASSERT_EQ(MessageType::Decode(static_cast<uint16_t>(wire)).Encode(), wire);
  }
}

TEST(StunMessageType, MethodBitsBeyondTwelveAreIgnored) {
  EXPECT_EQ((MessageType{MessageClass::kRequest, 0xF001}).Encode(), 0x0001);
}

TEST(StunMessageType, DefaultIsBindingRequest) { EXPECT_EQ(MessageType().Encode(), 0x0001); }

TEST(StunNames, MethodsClassesAttributesAndReasons) {
  EXPECT_EQ(MethodName(method::kBinding), "Binding");
  EXPECT_EQ(MethodName(method::kAllocate), "Allocate");
  EXPECT_EQ(MethodName(method::kConnectionAttempt), "ConnectionAttempt");
  EXPECT_EQ(MethodName(0x0FFF), "Unknown");
  EXPECT_EQ(ClassName(MessageClass::kRequest), "request");
  EXPECT_EQ(ClassName(MessageClass::kIndication), "indication");
  EXPECT_NE(ClassName(MessageClass::kSuccessResponse), ClassName(MessageClass::kErrorResponse));

  EXPECT_EQ(AttributeName(attr::kXorMappedAddress), "XOR-MAPPED-ADDRESS");
  EXPECT_EQ(AttributeName(attr::kMessageIntegritySha256), "MESSAGE-INTEGRITY-SHA256");
  EXPECT_TRUE(IsKnownAttribute(attr::kIceControlling));
  EXPECT_TRUE(IsKnownAttribute(attr::kConnectionId));
  EXPECT_FALSE(IsKnownAttribute(0x0002)) << "RESPONSE-ADDRESS is reserved since RFC 5389";
  EXPECT_FALSE(IsKnownAttribute(0x7FFF));
  EXPECT_FALSE(IsKnownAttribute(0xC001));
  EXPECT_TRUE(attr::IsComprehensionRequired(attr::kUsername));
  EXPECT_TRUE(attr::IsComprehensionRequired(0x7FFF));
  EXPECT_FALSE(attr::IsComprehensionRequired(attr::kSoftware));
  EXPECT_FALSE(attr::IsComprehensionRequired(0x8000));

  EXPECT_EQ(DefaultReasonPhrase(error::kUnauthenticated), "Unauthenticated");
  EXPECT_EQ(DefaultReasonPhrase(error::kStaleNonce), "Stale Nonce");
  EXPECT_EQ(DefaultReasonPhrase(error::kRoleConflict), "Role Conflict");
  EXPECT_EQ(DefaultReasonPhrase(error::kAllocationQuotaReached), "Allocation Quota Reached");
  EXPECT_EQ(DefaultReasonPhrase(499), "");
}

TEST(StunNames, EveryConstantIsKnownAndNamed) {
  const uint16_t all[] = {
      attr::kMappedAddress,
      attr::kChangeRequest,
      attr::kUsername,
      attr::kMessageIntegrity,
      attr::kErrorCode,
      attr::kUnknownAttributes,
      attr::kChannelNumber,
      attr::kLifetime,
      attr::kXorPeerAddress,
      attr::kData,
      attr::kRealm,
      attr::kNonce,
      attr::kXorRelayedAddress,
      attr::kRequestedAddressFamily,
      attr::kEvenPort,
      attr::kRequestedTransport,
      attr::kDontFragment,
      attr::kMessageIntegritySha256,
      attr::kPasswordAlgorithm,
      attr::kUserhash,
      attr::kXorMappedAddress,
      attr::kReservationToken,
      attr::kPriority,
      attr::kUseCandidate,
      attr::kPadding,
      attr::kResponsePort,
      attr::kConnectionId,
      attr::kAdditionalAddressFamily,
      attr::kAddressErrorCode,
      attr::kPasswordAlgorithms,
      attr::kAlternateDomain,
      attr::kIcmp,
      attr::kSoftware,
      attr::kAlternateServer,
      attr::kFingerprint,
      attr::kIceControlled,
      attr::kIceControlling,
      attr::kResponseOrigin,
      attr::kOtherAddress,
  };
  std::set<std::string_view> names;
  for (uint16_t type : all) {
    EXPECT_TRUE(IsKnownAttribute(type)) << type;
    names.insert(AttributeName(type));
  }
  EXPECT_EQ(names.size(), std::size(all)) << "every attribute has its own name";
}

}  // namespace
}  // namespace tern::stun
