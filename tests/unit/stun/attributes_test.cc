// Every attribute tern knows (constants.h: RFC 8489, RFC 8656 TURN, RFC 6062 TURN-TCP, RFC 8445 ICE,
// RFC 5780 NAT behaviour discovery) built with MessageBuilder, parsed back with MessageView and decoded
// to the same value; plus the exact wire bytes of each value, and the builder's own checks.
#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tern/stun/stun.h"
#include "unit/stun/stun_test_util.h"

namespace tern::stun {
namespace {

using testing::FailsMentioning;
using testing::ToHex;

SocketAddress Addr(std::string_view text) {
  absl::StatusOr<SocketAddress> a = SocketAddress::Parse(text);
  EXPECT_TRUE(a.ok()) << text;
  return a.value_or(SocketAddress());
}

const SocketAddress kV4 = Addr("192.0.2.33:3478");
const SocketAddress kV6 = Addr("[2001:db8::7:1]:65535");

// Builds a message with one attribute and returns that attribute's value bytes (without padding) as
// hex, or the builder's error.
std::string ValueHex(const std::function<void(MessageBuilder&)>& add, uint16_t type) {
  std::array<uint8_t, 2048> buf;
  MessageBuilder b(buf, {MessageClass::kRequest, method::kAllocate}, testing::TestTransactionId());
  add(b);
  absl::StatusOr<ByteSpan> wire = b.Finish();
  if (!wire.ok()) return "error: " + std::string(wire.status().message());
  absl::StatusOr<MessageView> m = MessageView::Parse(*wire);
  if (!m.ok()) return "parse error: " + std::string(m.status().message());
  std::optional<Attribute> a = m->Find(type);
  if (!a) return "missing";
  EXPECT_EQ(wire->size() % 4, 0u);
  return ToHex(a->value);
}

TEST(StunAttributeWire, FixedFormats) {
  // RFC 8489 §14.1/§14.2: 0x00, family, port, address; XOR with the magic cookie (and the id for v6).
  EXPECT_EQ(
      ValueHex([](MessageBuilder& b) { b.AddAddress(attr::kMappedAddress, kV4); }, attr::kMappedAddress),
      "00010d96c0000221");
  EXPECT_EQ(
      ValueHex([](MessageBuilder& b) { b.AddAddress(attr::kAlternateServer, kV6); }, attr::kAlternateServer),
      "0002ffff20010db8000000000000000000070001");
  // §14.8 ERROR-CODE: 21 zero bits, class, number, reason.
  EXPECT_EQ(ValueHex([](MessageBuilder& b) { b.AddErrorCode(error::kStaleNonce); }, attr::kErrorCode),
            "00000426" + ToHex(AsBytes("Stale Nonce")));
  EXPECT_EQ(ValueHex([](MessageBuilder& b) { b.AddErrorCode(699, ""); }, attr::kErrorCode), "00000663");
  // §14.9 UNKNOWN-ATTRIBUTES: 16-bit types.
  const uint16_t unknown[] = {0x0002, 0x7fff, 0x001f};
  EXPECT_EQ(ValueHex([&](MessageBuilder& b) { b.AddUnknownAttributes(unknown); }, attr::kUnknownAttributes),
            "00027fff001f");
  // RFC 8656 §18.1 CHANNEL-NUMBER: number + 16 RFFU bits.
  EXPECT_EQ(ValueHex([](MessageBuilder& b) { b.AddChannelNumber(0x4abc); }, attr::kChannelNumber),
            "4abc0000");
  EXPECT_EQ(ValueHex([](MessageBuilder& b) { b.AddChannelNumber(0x7647, ChannelNumberRange::kRfc5766); },
                     attr::kChannelNumber),
            "76470000");
  // §18.7 REQUESTED-TRANSPORT: protocol + 24 RFFU bits.
  EXPECT_EQ(
      ValueHex([](MessageBuilder& b) { b.AddRequestedTransport(kProtocolUdp); }, attr::kRequestedTransport),
      "11000000");
  EXPECT_EQ(
      ValueHex([](MessageBuilder& b) { b.AddRequestedTransport(kProtocolTcp); }, attr::kRequestedTransport),
      "06000000");
  // §18.6 EVEN-PORT: one byte, R in the top bit.
  EXPECT_EQ(ValueHex([](MessageBuilder& b) { b.AddEvenPort(true); }, attr::kEvenPort), "80");
  EXPECT_EQ(ValueHex([](MessageBuilder& b) { b.AddEvenPort(false); }, attr::kEvenPort), "00");
  // §18.4/§18.5 address families: family + 24 reserved bits.
  EXPECT_EQ(
      ValueHex([](MessageBuilder& b) { b.AddAddressFamily(attr::kRequestedAddressFamily, IpFamily::kV4); },
               attr::kRequestedAddressFamily),
      "01000000");
  EXPECT_EQ(
      ValueHex([](MessageBuilder& b) { b.AddAddressFamily(attr::kAdditionalAddressFamily, IpFamily::kV6); },
               attr::kAdditionalAddressFamily),
      "02000000");
  // §18.11 ADDRESS-ERROR-CODE: family, reserved, class, number, reason.
  EXPECT_EQ(ValueHex([](MessageBuilder& b) { b.AddAddressErrorCode(IpFamily::kV6, 440, "x"); },
                     attr::kAddressErrorCode),
            "0200042878");
  // §18.13 ICMP: reserved 16 bits, type, code, error data.
  EXPECT_EQ(
      ValueHex([](MessageBuilder& b) { b.AddIcmp({.type = 3, .code = 4, .error_data = 1400}); }, attr::kIcmp),
      "0000030400000578");
  // RFC 5780 §7.2 CHANGE-REQUEST: A (change IP) = 0x4, B (change port) = 0x2.
  EXPECT_EQ(
      ValueHex([](MessageBuilder& b) { b.AddChangeRequest({.change_ip = true}); }, attr::kChangeRequest),
      "00000004");
  EXPECT_EQ(
      ValueHex([](MessageBuilder& b) { b.AddChangeRequest({.change_port = true}); }, attr::kChangeRequest),
      "00000002");
  // §7.5 RESPONSE-PORT: port + 16 reserved bits.
  EXPECT_EQ(ValueHex([](MessageBuilder& b) { b.AddResponsePort(40000); }, attr::kResponsePort), "9c400000");
  // RFC 8489 §14.11/§14.12: algorithm, parameter length (0 for MD5 and SHA-256).
  const PasswordAlgorithm both[] = {PasswordAlgorithm::kSha256, PasswordAlgorithm::kMd5};
  EXPECT_EQ(ValueHex([&](MessageBuilder& b) { b.AddPasswordAlgorithms(both); }, attr::kPasswordAlgorithms),
            "0002000000010000");
  EXPECT_EQ(ValueHex([](MessageBuilder& b) { b.AddPasswordAlgorithm(PasswordAlgorithm::kMd5); },
                     attr::kPasswordAlgorithm),
            "00010000");
  // Flags are empty.
  EXPECT_EQ(ValueHex([](MessageBuilder& b) { b.AddFlag(attr::kUseCandidate); }, attr::kUseCandidate), "");
  EXPECT_EQ(ValueHex([](MessageBuilder& b) { b.AddFlag(attr::kDontFragment); }, attr::kDontFragment), "");
  // Integers are big-endian.
  EXPECT_EQ(ValueHex([](MessageBuilder& b) { b.AddU32(attr::kLifetime, 600); }, attr::kLifetime), "00000258");
  EXPECT_EQ(ValueHex([](MessageBuilder& b) { b.AddU64(attr::kIceControlling, 0x0102030405060708ull); },
                     attr::kIceControlling),
            "0102030405060708");
  // PADDING is zeros of the asked size.
  EXPECT_EQ(ValueHex([](MessageBuilder& b) { b.AddPadding(5); }, attr::kPadding), "0000000000");
}

TEST(StunAttributeWire, PaddingIsZeroAndNotPartOfTheValue) {
  std::array<uint8_t, 64> buf;
  buf.fill(0xee);
  MessageBuilder b(buf, {MessageClass::kIndication, method::kSend}, testing::TestTransactionId());
  b.Add(attr::kData, AsBytes("abcde"));
  absl::StatusOr<ByteSpan> wire = b.Finish();
  ASSERT_TRUE(wire.ok());
  ASSERT_EQ(wire->size(), kHeaderSize + 4 + 8);
  EXPECT_EQ(ToHex(wire->subspan(kHeaderSize)), "00130005" + ToHex(AsBytes("abcde")) + "000000");
  EXPECT_EQ(LoadBigEndian16(wire->data() + 2), 12) << "header length counts the padding";
}

// One message with every attribute type in constants.h (each at most once: tern rejects duplicates),
// plus MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and FINGERPRINT from one Finish().
void CheckEverything(bool swap_families) {
  const SocketAddress a = swap_families ? kV6 : kV4;
  const SocketAddress b6 = swap_families ? kV4 : kV6;
  const uint16_t unknown[] = {0x0002, 0x7abc};
  const PasswordAlgorithm algorithms[] = {PasswordAlgorithm::kSha256, PasswordAlgorithm::kMd5};
  std::array<uint8_t, 32> userhash;
  for (size_t i = 0; i < userhash.size(); ++i) userhash[i] = static_cast<uint8_t>(i * 7);
  const std::string username = "\xe3\x83\x9e\xe3\x83\x88:alice";  // UTF-8
  const IntegrityKey key = IntegrityKey::ShortTerm("pass");
  const IntegrityKey key256 = IntegrityKey::LongTerm("u", "r", "p", PasswordAlgorithm::kSha256);

  std::array<uint8_t, 2048> buf;
  MessageBuilder b(buf, {MessageClass::kRequest, method::kAllocate}, testing::TestTransactionId());
  b.AddAddress(attr::kMappedAddress, a)
      .AddChangeRequest({.change_ip = true, .change_port = true})
      .AddText(attr::kUsername, username)
      .AddErrorCode(error::kAllocationQuotaReached)
      .AddUnknownAttributes(unknown)
      .AddChannelNumber(kMaxChannelNumber)
      .AddU32(attr::kLifetime, 3600)
      .AddXorAddress(attr::kXorPeerAddress, b6)
      .Add(attr::kData, AsBytes("payload"))
      .AddText(attr::kRealm, "example.org")
      .AddText(attr::kNonce, "obMatJos2AAAB0123")
      .AddXorAddress(attr::kXorRelayedAddress, a)
      .AddAddressFamily(attr::kRequestedAddressFamily, b6.family())
      .AddEvenPort(true)
      .AddRequestedTransport(kProtocolTcp)
      .AddFlag(attr::kDontFragment)
      .AddPasswordAlgorithm(PasswordAlgorithm::kSha256)
      .Add(attr::kUserhash, userhash)
      .AddXorAddress(attr::kXorMappedAddress, b6)
      .AddU64(attr::kReservationToken, 0xfedcba9876543210ull)
      .AddU32(attr::kPriority, 0x6e0001ff)
      .AddFlag(attr::kUseCandidate)
      .AddPadding(7)
      .AddResponsePort(4242)
      .AddU32(attr::kConnectionId, 0xdeadbeef)
      .AddAddressFamily(attr::kAdditionalAddressFamily, a.family())
      .AddAddressErrorCode(b6.family(), error::kAddressFamilyNotSupported,
                           DefaultReasonPhrase(error::kAddressFamilyNotSupported))
      .AddPasswordAlgorithms(algorithms)
      .AddText(attr::kAlternateDomain, "turn.example.org")
      .AddIcmp({.type = 1, .code = 2, .error_data = 0x01020304})
      .AddText(attr::kSoftware, "tern test")
      .AddAddress(attr::kAlternateServer, b6)
      .AddU64(attr::kIceControlled, 1)
      .AddU64(attr::kIceControlling, ~0ull)
      .AddAddress(attr::kResponseOrigin, a)
      .AddAddress(attr::kOtherAddress, b6);
  ASSERT_TRUE(b.status().ok()) << b.status();
  absl::StatusOr<ByteSpan> wire =
      b.Finish({.integrity = &key, .integrity_sha256 = &key256, .sha256_size = 24, .fingerprint = true});
  ASSERT_TRUE(wire.ok()) << wire.status();

  absl::StatusOr<MessageView> m = MessageView::Parse(*wire);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->type(), (MessageType{MessageClass::kRequest, method::kAllocate}));
  EXPECT_EQ(m->transaction_id(), testing::TestTransactionId());
  EXPECT_EQ(m->attribute_count(), 39u);

  auto value = [&](uint16_t type) -> ByteSpan {
    std::optional<Attribute> at = m->Find(type);
    EXPECT_TRUE(at.has_value()) << AttributeName(type);
    return at ? at->value : ByteSpan();
  };
  EXPECT_EQ(m->GetAddress(attr::kMappedAddress).value_or(SocketAddress()), a);
  absl::StatusOr<ChangeRequestValue> change = DecodeChangeRequest(value(attr::kChangeRequest));
  ASSERT_TRUE(change.ok());
  EXPECT_TRUE(change->change_ip);
  EXPECT_TRUE(change->change_port);
  EXPECT_EQ(m->GetUsername().value_or(""), username);
  absl::StatusOr<ErrorCodeValue> ec = m->GetErrorCode();
  ASSERT_TRUE(ec.ok()) << ec.status();
  EXPECT_EQ(ec->code, 486);
  EXPECT_EQ(ec->reason, "Allocation Quota Reached");
  EXPECT_EQ(m->GetUnknownAttributes().value_or(std::vector<uint16_t>{}),
            (std::vector<uint16_t>{0x0002, 0x7abc}));
  EXPECT_EQ(m->GetChannelNumber().value_or(0), 0x4FFF);
  EXPECT_EQ(m->GetLifetime().value_or(0), 3600u);
  EXPECT_EQ(m->GetXorAddress(attr::kXorPeerAddress).value_or(SocketAddress()), b6);
  EXPECT_EQ(AsString(m->GetData().value_or(ByteSpan())), "payload");
  EXPECT_EQ(m->GetRealm().value_or(""), "example.org");
  EXPECT_EQ(m->GetNonce().value_or(""), "obMatJos2AAAB0123");
  EXPECT_EQ(m->GetXorAddress(attr::kXorRelayedAddress).value_or(SocketAddress()), a);
  EXPECT_EQ(DecodeAddressFamily(value(attr::kRequestedAddressFamily)).value_or(IpFamily::kUnspecified),
            b6.family());
  EXPECT_EQ(DecodeEvenPort(value(attr::kEvenPort)).value_or(false), true);
  EXPECT_EQ(DecodeRequestedTransport(value(attr::kRequestedTransport)).value_or(0), kProtocolTcp);
  EXPECT_TRUE(m->Has(attr::kDontFragment));
  EXPECT_TRUE(value(attr::kDontFragment).empty());
  absl::StatusOr<PasswordAlgorithmValue> alg = DecodePasswordAlgorithm(value(attr::kPasswordAlgorithm));
  ASSERT_TRUE(alg.ok()) << alg.status();
  EXPECT_EQ(alg->algorithm, static_cast<uint16_t>(PasswordAlgorithm::kSha256));
  EXPECT_EQ(ToHex(value(attr::kUserhash)), ToHex(userhash));
  EXPECT_EQ(m->GetXorMappedAddress().value_or(SocketAddress()), b6);
  EXPECT_EQ(m->GetU64(attr::kReservationToken).value_or(0), 0xfedcba9876543210ull);
  EXPECT_EQ(m->GetPriority().value_or(0), 0x6e0001ffu);
  EXPECT_TRUE(m->Has(attr::kUseCandidate));
  EXPECT_EQ(ToHex(value(attr::kPadding)), "00000000000000");
  EXPECT_EQ(DecodeResponsePort(value(attr::kResponsePort)).value_or(0), 4242);
  EXPECT_EQ(m->GetU32(attr::kConnectionId).value_or(0), 0xdeadbeefu);
  EXPECT_EQ(DecodeAddressFamily(value(attr::kAdditionalAddressFamily)).value_or(IpFamily::kUnspecified),
            a.family());
  absl::StatusOr<AddressErrorCodeValue> aec = DecodeAddressErrorCode(value(attr::kAddressErrorCode));
  ASSERT_TRUE(aec.ok()) << aec.status();
  EXPECT_EQ(aec->family, b6.family());
  EXPECT_EQ(aec->code, 440);
  EXPECT_EQ(aec->reason, DefaultReasonPhrase(440));
  absl::StatusOr<std::vector<PasswordAlgorithmValue>> algs =
      DecodePasswordAlgorithms(value(attr::kPasswordAlgorithms));
  ASSERT_TRUE(algs.ok()) << algs.status();
  ASSERT_EQ(algs->size(), 2u);
  EXPECT_EQ((*algs)[0].algorithm, 2);
  EXPECT_EQ((*algs)[1].algorithm, 1);
  EXPECT_EQ(m->GetText(attr::kAlternateDomain).value_or(""), "turn.example.org");
  absl::StatusOr<IcmpValue> icmp = DecodeIcmp(value(attr::kIcmp));
  ASSERT_TRUE(icmp.ok());
  EXPECT_EQ(icmp->type, 1);
  EXPECT_EQ(icmp->code, 2);
  EXPECT_EQ(icmp->error_data, 0x01020304u);
  EXPECT_EQ(m->GetSoftware().value_or(""), "tern test");
  EXPECT_EQ(m->GetAddress(attr::kAlternateServer).value_or(SocketAddress()), b6);
  EXPECT_EQ(m->GetU64(attr::kIceControlled).value_or(0), 1u);
  EXPECT_EQ(m->GetU64(attr::kIceControlling).value_or(0), ~0ull);
  EXPECT_EQ(m->GetAddress(attr::kResponseOrigin).value_or(SocketAddress()), a);
  EXPECT_EQ(m->GetAddress(attr::kOtherAddress).value_or(SocketAddress()), b6);

  EXPECT_TRUE(m->VerifyMessageIntegrity(key).ok()) << m->VerifyMessageIntegrity(key);
  EXPECT_TRUE(m->VerifyMessageIntegritySha256(key256).ok()) << m->VerifyMessageIntegritySha256(key256);
  EXPECT_TRUE(m->VerifyFingerprint().ok()) << m->VerifyFingerprint();
  EXPECT_EQ(value(attr::kMessageIntegritySha256).size(), 24u);

  // Nothing unknown and comprehension-required: UNKNOWN-ATTRIBUTES' *value* lists types, it does not
  // contain them.
  std::vector<uint16_t> unknown_required;
  m->CollectUnknownRequired(&unknown_required);
  EXPECT_TRUE(unknown_required.empty());

  // Iteration visits every attribute once, in the order added, ending with the trailer.
  std::vector<uint16_t> order;
  for (const Attribute& at : *m) order.push_back(at.type);
  ASSERT_EQ(order.size(), 39u);
  EXPECT_EQ(order.front(), attr::kMappedAddress);
  EXPECT_EQ(order[order.size() - 3], attr::kMessageIntegrity);
  EXPECT_EQ(order[order.size() - 2], attr::kMessageIntegritySha256);
  EXPECT_EQ(order.back(), attr::kFingerprint);
}

TEST(StunAttributeRoundTrip, EveryAttributeTypeV4First) { CheckEverything(false); }
TEST(StunAttributeRoundTrip, EveryAttributeTypeV6First) { CheckEverything(true); }

TEST(StunAttributeRoundTrip, XorAddressesForManyAddressesAndIds) {
  // XOR-*-ADDRESS must come back unchanged for any address, port and transaction id.
  SeededRandom random(8489);
  for (int i = 0; i < 500; ++i) {
    TransactionId id = TransactionId::Generate(random);
    std::array<uint8_t, 16> raw;
    random.Fill(raw);
    uint16_t port = static_cast<uint16_t>(random.NextU32());
    SocketAddress addr = (i % 2 == 0)
                             ? SocketAddress(IpAddress::V4(std::span<const uint8_t, 4>(raw.data(), 4)), port)
                             : SocketAddress(IpAddress::V6(raw), port);
    std::array<uint8_t, 128> buf;
    MessageBuilder b(buf, {MessageClass::kSuccessResponse, method::kBinding}, id);
    b.AddXorAddress(attr::kXorMappedAddress, addr).AddAddress(attr::kMappedAddress, addr);
    absl::StatusOr<ByteSpan> wire = b.Finish();
    ASSERT_TRUE(wire.ok()) << addr.ToString() << ": " << wire.status();
    absl::StatusOr<MessageView> m = MessageView::Parse(*wire);
    ASSERT_TRUE(m.ok());
    ASSERT_EQ(m->GetXorMappedAddress().value_or(SocketAddress()), addr) << addr.ToString();
    ASSERT_EQ(m->GetMappedAddress().value_or(SocketAddress()), addr);
    // The XOR form never shows the port in the clear (unless port ^ 0x2112 == port, impossible).
    std::optional<Attribute> x = m->Find(attr::kXorMappedAddress);
    ASSERT_NE(LoadBigEndian16(x->value.data() + 2), port);
  }
}

TEST(StunAttributeRoundTrip, TextAtTheRfcLimits) {
  // §14.3 USERNAME < 513 bytes; §14.9/§14.10/§14.14 REALM, NONCE, SOFTWARE < 128 characters, at most
  // 763 bytes; RFC 8489 §14.16 ALTERNATE-DOMAIN a DNS name (255).
  struct Case {
    uint16_t type;
    size_t max;
  } cases[] = {{attr::kUsername, 512},
               {attr::kRealm, 763},
               {attr::kNonce, 763},
               {attr::kSoftware, 763},
               {attr::kAlternateDomain, 255}};
  for (const Case& c : cases) {
    std::string text(c.max, 'x');
    std::array<uint8_t, 1024> buf;
    MessageBuilder ok(buf, {}, testing::TestTransactionId());
    ok.AddText(c.type, text);
    absl::StatusOr<ByteSpan> wire = ok.Finish();
    ASSERT_TRUE(wire.ok()) << AttributeName(c.type) << ": " << wire.status();
    absl::StatusOr<MessageView> m = MessageView::Parse(*wire);
    ASSERT_TRUE(m.ok()) << m.status();
    EXPECT_EQ(m->GetText(c.type).value_or("").size(), c.max) << AttributeName(c.type);

    MessageBuilder too_long(buf, {}, testing::TestTransactionId());
    too_long.AddText(c.type, text + "x");
    EXPECT_EQ(too_long.Finish().status().code(), absl::StatusCode::kInvalidArgument) << AttributeName(c.type);
  }
}

TEST(StunAttributeRoundTrip, UnknownAttributesListShapes) {
  for (size_t n : {0u, 1u, 2u, 3u, 8u}) {
    std::vector<uint16_t> types;
    for (size_t i = 0; i < n; ++i) types.push_back(static_cast<uint16_t>(0x7f00 + i));
    std::array<uint8_t, 128> buf;
    MessageBuilder b(buf, {MessageClass::kErrorResponse, method::kBinding}, testing::TestTransactionId());
    b.AddErrorCode(error::kUnknownAttribute).AddUnknownAttributes(types);
    absl::StatusOr<ByteSpan> wire = b.Finish();
    ASSERT_TRUE(wire.ok());
    absl::StatusOr<MessageView> m = MessageView::Parse(*wire);
    ASSERT_TRUE(m.ok()) << m.status();
    EXPECT_EQ(m->GetUnknownAttributes().value_or(std::vector<uint16_t>{0xffff}), types) << n;
    EXPECT_EQ(m->GetErrorCode()->code, 420);
  }
}

TEST(StunAttributeRoundTrip, ErrorCodesAcrossTheRange) {
  for (int code : {300, 399, 400, 401, 438, 487, 500, 508, 599, 600, 699}) {
    std::array<uint8_t, 128> buf;
    MessageBuilder b(buf, {MessageClass::kErrorResponse, method::kAllocate}, testing::TestTransactionId());
    b.AddErrorCode(code, "r\xc3\xa9sum\xc3\xa9");  // UTF-8 reason
    absl::StatusOr<ByteSpan> wire = b.Finish();
    ASSERT_TRUE(wire.ok()) << code;
    absl::StatusOr<ErrorCodeValue> ec = MessageView::Parse(*wire)->GetErrorCode();
    ASSERT_TRUE(ec.ok()) << ec.status();
    EXPECT_EQ(ec->code, code);
    EXPECT_EQ(ec->reason, "r\xc3\xa9sum\xc3\xa9");
  }
}

TEST(StunAttributeRoundTrip, CollectUnknownRequired) {
  std::vector<uint8_t> raw = testing::RawMessage(
      0x0001, {{.type = 0x0002, .value = {1, 2, 3, 4}},    // reserved (was RESPONSE-ADDRESS)
               {.type = attr::kUsername, .value = {'a'}},  // known
               {.type = 0x7abc, .value = {}},              // unknown, comprehension-required
               {.type = 0x8abc, .value = {9}}});           // unknown, comprehension-optional
  absl::StatusOr<MessageView> m = MessageView::Parse(raw);
  ASSERT_TRUE(m.ok()) << m.status();
  std::vector<uint16_t> out = {0x1111};
  m->CollectUnknownRequired(&out);
  EXPECT_EQ(out, (std::vector<uint16_t>{0x1111, 0x0002, 0x7abc})) << "appends, in wire order";
}

TEST(StunAttributeRoundTrip, GettersReportAbsenceAsNotFound) {
  std::array<uint8_t, 64> buf;
  MessageBuilder b(buf, {}, testing::TestTransactionId());
  absl::StatusOr<ByteSpan> wire = b.Finish();
  ASSERT_TRUE(wire.ok());
  EXPECT_EQ(wire->size(), kHeaderSize);
  absl::StatusOr<MessageView> m = MessageView::Parse(*wire);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->attribute_count(), 0u);
  EXPECT_TRUE(m->begin() == m->end());
  EXPECT_EQ(m->GetUsername().status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(m->GetXorMappedAddress().status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(m->GetErrorCode().status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(m->GetChannelNumber().status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(m->GetData().status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(m->GetUnknownAttributes().status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(m->GetLifetime().status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(m->GetU64(attr::kIceControlling).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(m->VerifyIntegrity(IntegrityKey::ShortTerm("x")).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(m->VerifyFingerprint().code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(m->Has(attr::kUsername));
}

// ---------------------------------------------------------------------------------------------------
// The builder checks as it goes and reports the first problem from Finish().

absl::Status BuildStatus(const std::function<void(MessageBuilder&)>& add, size_t buffer_size = 512) {
  std::vector<uint8_t> buf(buffer_size);
  MessageBuilder b(buf, {}, testing::TestTransactionId());
  add(b);
  return b.Finish().status();
}

TEST(StunMessageBuilder, RejectsValuesOutOfRange) {
  EXPECT_EQ(BuildStatus([](MessageBuilder& b) { b.AddErrorCode(299, "x"); }).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BuildStatus([](MessageBuilder& b) { b.AddErrorCode(700, "x"); }).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(BuildStatus([](MessageBuilder& b) { b.AddErrorCode(400, "\xff"); }).ok())
      << "the reason phrase must be UTF-8";
  EXPECT_FALSE(BuildStatus([](MessageBuilder& b) { b.AddErrorCode(400, std::string(764, 'a')); }, 2048).ok());
  EXPECT_TRUE(BuildStatus([](MessageBuilder& b) { b.AddErrorCode(400, std::string(763, 'a')); }, 2048).ok());
  EXPECT_FALSE(BuildStatus([](MessageBuilder& b) { b.AddAddressErrorCode(IpFamily::kV4, 250, ""); }).ok());
  EXPECT_FALSE(
      BuildStatus([](MessageBuilder& b) { b.AddAddressErrorCode(IpFamily::kUnspecified, 440, ""); }).ok());
  EXPECT_FALSE(BuildStatus([](MessageBuilder& b) { b.AddChannelNumber(0x3FFF); }).ok());
  EXPECT_FALSE(BuildStatus([](MessageBuilder& b) { b.AddChannelNumber(0x5000); }).ok());
  EXPECT_TRUE(BuildStatus([](MessageBuilder& b) { b.AddChannelNumber(0x4000); }).ok());
  EXPECT_FALSE(BuildStatus([](MessageBuilder& b) { b.AddChannelNumber(0x7647); }).ok());
  EXPECT_TRUE(
      BuildStatus([](MessageBuilder& b) { b.AddChannelNumber(0x7647, ChannelNumberRange::kRfc5766); }).ok());
  EXPECT_TRUE(
      BuildStatus([](MessageBuilder& b) { b.AddChannelNumber(0x7FFF, ChannelNumberRange::kRfc5766); }).ok());
  EXPECT_FALSE(
      BuildStatus([](MessageBuilder& b) { b.AddChannelNumber(0x8000, ChannelNumberRange::kRfc5766); }).ok());
  EXPECT_FALSE(
      BuildStatus([](MessageBuilder& b) { b.AddChannelNumber(0x3FFF, ChannelNumberRange::kRfc5766); }).ok());
  EXPECT_FALSE(BuildStatus([](MessageBuilder& b) {
                 b.AddAddressFamily(attr::kRequestedAddressFamily, IpFamily::kUnspecified);
               }).ok());
  EXPECT_FALSE(
      BuildStatus([](MessageBuilder& b) { b.AddAddress(attr::kMappedAddress, SocketAddress()); }).ok());
  EXPECT_FALSE(
      BuildStatus([](MessageBuilder& b) { b.AddXorAddress(attr::kXorPeerAddress, SocketAddress()); }).ok());
  EXPECT_FALSE(BuildStatus([](MessageBuilder& b) { b.AddPasswordAlgorithms({}); }).ok());
  EXPECT_FALSE(
      BuildStatus([](MessageBuilder& b) { b.AddText(attr::kUsername, std::string(513, 'u')); }).ok());
}

TEST(StunMessageBuilder, BufferTooSmall) {
  // Too small for the header.
  std::array<uint8_t, 19> tiny;
  MessageBuilder t(tiny, {}, testing::TestTransactionId());
  EXPECT_EQ(t.Finish().status().code(), absl::StatusCode::kResourceExhausted);

  // Room for the header and one attribute, not two.
  std::array<uint8_t, 28> small;
  MessageBuilder b(small, {}, testing::TestTransactionId());
  b.AddU32(attr::kPriority, 1);
  EXPECT_TRUE(b.status().ok());
  b.AddU32(attr::kLifetime, 2);
  EXPECT_EQ(b.status().code(), absl::StatusCode::kResourceExhausted);
  absl::StatusOr<ByteSpan> wire = b.Finish();
  EXPECT_EQ(wire.status().code(), absl::StatusCode::kResourceExhausted);

  // No room for the trailer.
  EXPECT_EQ(BuildStatus([](MessageBuilder&) {}, 20).code(), absl::StatusCode::kOk);
  std::array<uint8_t, 24> no_fp;
  MessageBuilder f(no_fp, {}, testing::TestTransactionId());
  EXPECT_EQ(f.Finish({.fingerprint = true}).status().code(), absl::StatusCode::kResourceExhausted);
  std::array<uint8_t, 40> no_mi;
  MessageBuilder i(no_mi, {}, testing::TestTransactionId());
  IntegrityKey key = IntegrityKey::ShortTerm("k");
  EXPECT_EQ(i.Finish({.integrity = &key}).status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(StunMessageBuilder, FirstErrorWins) {
  std::array<uint8_t, 28> small;
  MessageBuilder b(small, {}, testing::TestTransactionId());
  b.AddErrorCode(100, "bad");  // InvalidArgument first
  b.AddPadding(100);           // would be ResourceExhausted
  EXPECT_EQ(b.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(b.Finish().status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(StunMessageBuilder, MessageLengthIsBoundedBy16Bits) {
  std::vector<uint8_t> big(70000);
  MessageBuilder b(big, {}, testing::TestTransactionId());
  b.AddPadding(65532);  // 4 + 65532 = 65536 bytes after the header: one too many
  EXPECT_FALSE(b.status().ok());
  MessageBuilder ok(big, {}, testing::TestTransactionId());
  ok.AddPadding(65528);  // 65532 bytes after the header
  absl::StatusOr<ByteSpan> wire = ok.Finish();
  ASSERT_TRUE(wire.ok()) << wire.status();
  EXPECT_EQ(LoadBigEndian16(wire->data() + 2), 65532);
  EXPECT_TRUE(MessageView::Parse(*wire).ok());
}

TEST(StunMessageBuilder, NothingAfterFinish) {
  std::array<uint8_t, 128> buf;
  MessageBuilder b(buf, {MessageClass::kIndication, method::kBinding}, testing::TestTransactionId());
  b.AddText(attr::kSoftware, "x");
  absl::StatusOr<ByteSpan> wire = b.Finish({.fingerprint = true});
  ASSERT_TRUE(wire.ok());
  const std::string before = ToHex(*wire);
  b.AddU32(attr::kPriority, 1);
  EXPECT_EQ(b.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(b.Finish().ok()) << "Finish() twice";
  EXPECT_EQ(ToHex(*wire), before) << "the finished message is not touched";
  EXPECT_TRUE(MessageView::Parse(*wire)->VerifyFingerprint().ok());
}

TEST(StunMessageBuilder, FinishTwiceIsAnError) {
  std::array<uint8_t, 128> buf;
  MessageBuilder b(buf, {}, testing::TestTransactionId());
  b.AddU32(attr::kPriority, 7);
  absl::StatusOr<ByteSpan> first = b.Finish({.fingerprint = true});
  ASSERT_TRUE(first.ok());
  const size_t size = first->size();
  EXPECT_EQ(b.Finish().status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(b.Finish({.fingerprint = true}).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(LoadBigEndian16(buf.data() + 2), size - kHeaderSize) << "no second trailer was appended";
  EXPECT_TRUE(MessageView::Parse(ByteSpan(buf.data(), size)).ok());
}

TEST(StunMessageBuilder, HeaderFields) {
  std::array<uint8_t, 64> buf;
  TransactionId id;
  for (size_t i = 0; i < id.bytes.size(); ++i) id.bytes[i] = static_cast<uint8_t>(i + 1);
  MessageBuilder b(buf, {MessageClass::kErrorResponse, method::kChannelBind}, id);
  EXPECT_EQ(b.transaction_id(), id);
  absl::StatusOr<ByteSpan> wire = b.Finish();
  ASSERT_TRUE(wire.ok());
  EXPECT_EQ(ToHex(*wire),
            "011900002112a442"
            "0102030405060708090a0b0c");
}

TEST(StunTransactionId, GenerateDrawsFromTheRandomSource) {
  SeededRandom r1(5);
  SeededRandom r2(5);
  EXPECT_EQ(TransactionId::Generate(r1), TransactionId::Generate(r2));
  EXPECT_NE(TransactionId::Generate(r1), TransactionId::Generate(r1));
  CryptoRandom crypto;
  EXPECT_NE(TransactionId::Generate(crypto), TransactionId::Generate(crypto));
}

}  // namespace
}  // namespace tern::stun

namespace tern::stun {
namespace {

// Whatever the builder finishes, Parse accepts: sizes an attribute cannot have and more attributes than
// Parse allows are refused when added, not discovered by the receiver.
TEST(StunBuilderChecks, RefusesSizesParseWouldReject) {
  uint8_t buf[512];
  TransactionId id;
  MessageBuilder b(buf, {MessageClass::kRequest, method::kBinding}, id);
  uint8_t ten[10] = {};
  b.Add(attr::kUserhash, ByteSpan(ten, sizeof(ten)));
  absl::StatusOr<ByteSpan> wire = b.Finish();
  ASSERT_FALSE(wire.ok());
  EXPECT_THAT(std::string(wire.status().message()), ::testing::HasSubstr("USERHASH"));
}

TEST(StunBuilderChecks, RefusesMoreAttributesThanParseAccepts) {
  std::vector<uint8_t> buf(4096);
  TransactionId id;
  MessageBuilder b(buf, {MessageClass::kRequest, method::kBinding}, id);
  for (size_t i = 0; i < kMaxAttributes; ++i) b.AddFlag(static_cast<uint16_t>(0xC000 + i));
  ASSERT_TRUE(b.status().ok());
  // The 65th attribute — here the FINGERPRINT trailer — is one too many.
  absl::StatusOr<ByteSpan> wire = b.Finish({.fingerprint = true});
  ASSERT_FALSE(wire.ok());
  EXPECT_THAT(std::string(wire.status().message()), ::testing::HasSubstr("more than 64"));

  MessageBuilder ok(buf, {MessageClass::kRequest, method::kBinding}, id);
  for (size_t i = 0; i < kMaxAttributes; ++i) ok.AddFlag(static_cast<uint16_t>(0xC000 + i));
  absl::StatusOr<ByteSpan> full = ok.Finish();
  ASSERT_TRUE(full.ok());
  EXPECT_TRUE(MessageView::Parse(*full).ok());
}

}  // namespace
}  // namespace tern::stun
