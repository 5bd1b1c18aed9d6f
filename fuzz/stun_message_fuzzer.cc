// libFuzzer harness for the STUN message codec (RFC 8489 §5-§6 and §14; attributes of RFC 8656, 6062,
// 5780 and 8445). An input is one datagram. When MessageView::Parse accepts it, the harness decodes
// every attribute with its typed getter and decoder, checks FINGERPRINT and MESSAGE-INTEGRITY(-SHA256)
// against fixed short-term and long-term (MD5, SHA-256) keys, and checks round trips:
//  - each decoded attribute value, written back with its typed MessageBuilder::Add*, decodes to the
//    same value;
//  - the whole message, copied attribute by attribute through MessageBuilder::Add and finished with
//    the same trailer attributes (and once more with FINGERPRINT), parses to the same attribute types
//    in the same order with the same values, and verifies; a canonical message (zero padding, valid
//    trailers) comes back byte for byte.
// The same input is also read as a recipe of typed MessageBuilder::Add* calls (CheckBuilder): Finish()
// must succeed exactly when every value is valid and the message fits, and what it builds must parse
// and pass all of the above.
// Any broken invariant traps (fuzz_check.h).
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz_check.h"
#include "tern/base/byte_io.h"
#include "tern/stun/stun.h"

namespace tern::stun {
namespace {

size_t Padded(size_t n) { return (n + 3) & ~size_t{3}; }

bool SameBytes(ByteSpan a, ByteSpan b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0);
}

// RFC 3629 §4 well-formed UTF-8, written independently of tern::stun::IsValidUtf8 to check it.
bool ReferenceUtf8(ByteSpan s) {
  size_t i = 0;
  while (i < s.size()) {
    uint8_t c = s[i];
    size_t n;
    uint8_t lo = 0x80, hi = 0xBF;  // range of the second byte
    if (c <= 0x7F) {
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      n = 2;
    } else if (c == 0xE0) {
      n = 3, lo = 0xA0;
    } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
      n = 3;
    } else if (c == 0xED) {
      n = 3, hi = 0x9F;
    } else if (c == 0xF0) {
      n = 4, lo = 0x90;
    } else if (c >= 0xF1 && c <= 0xF3) {
      n = 4;
    } else if (c == 0xF4) {
      n = 4, hi = 0x8F;
    } else {
      return false;
    }
    if (s.size() - i < n || s[i + 1] < lo || s[i + 1] > hi) return false;
    for (size_t k = 2; k < n; ++k) {
      if (s[i + k] < 0x80 || s[i + k] > 0xBF) return false;
    }
    i += n;
  }
  return true;
}

// The credentials the seed corpus is signed with (fuzz/make_corpus.py): RFC 5769's short-term
// password and its §2.4 long-term user, realm and password.
constexpr std::string_view kLongTermUsername =
    "\xE3\x83\x9E\xE3\x83\x88\xE3\x83\xAA\xE3\x83\x83\xE3\x82\xAF\xE3\x82\xB9";  // "マトリックス"

struct Keys {
  IntegrityKey short_term = IntegrityKey::ShortTerm("VOkJxbRl1RmTxUk/WvJxBt");
  IntegrityKey long_term_md5 =
      IntegrityKey::LongTerm(kLongTermUsername, "example.org", "TheMatrIX", PasswordAlgorithm::kMd5);
  IntegrityKey long_term_sha256 =
      IntegrityKey::LongTerm(kLongTermUsername, "example.org", "TheMatrIX", PasswordAlgorithm::kSha256);
  // The MD5 key again from its raw bytes, and a password longer than the HMAC block (RFC 2104 hashes
  // it first): both exercise IntegrityKey paths the three above do not.
  IntegrityKey long_term_md5_bytes = IntegrityKey::FromBytes(long_term_md5.key());
  IntegrityKey long_password = IntegrityKey::ShortTerm(std::string(100, 'p'));
  std::vector<const IntegrityKey*> All() const { return {&short_term, &long_term_md5, &long_term_sha256}; }
};

const Keys& GetKeys() {
  static const Keys* keys = new Keys();
  return *keys;
}

bool IsTrailer(uint16_t type) {
  return type == attr::kMessageIntegrity || type == attr::kMessageIntegritySha256 ||
         type == attr::kFingerprint;
}

// A message of one attribute written by a typed MessageBuilder::Add* into a buffer of exactly the
// expected size (so an overrun is an ASan report), then parsed back.
class OneAttribute {
 public:
  template <typename AddFn>
  OneAttribute(const TransactionId& id, size_t value_size, AddFn add)
      : buffer_(kHeaderSize + kAttributeHeaderSize + Padded(value_size)) {
    MessageBuilder builder(buffer_, MessageType{MessageClass::kIndication, method::kBinding}, id);
    add(builder);
    absl::StatusOr<ByteSpan> wire = builder.Finish();
    TERN_FUZZ_CHECK_OK(wire.status());
    TERN_FUZZ_CHECK(wire->size() == buffer_.size());
    absl::StatusOr<MessageView> parsed = MessageView::Parse(*wire);
    TERN_FUZZ_CHECK_OK(parsed.status());
    TERN_FUZZ_CHECK(parsed->attribute_count() == 1);
    TERN_FUZZ_CHECK(parsed->transaction_id() == id);
    attribute_ = *parsed->begin();
    TERN_FUZZ_CHECK(attribute_.value.size() == value_size);
  }
  OneAttribute(const OneAttribute&) = delete;
  OneAttribute& operator=(const OneAttribute&) = delete;

  uint16_t type() const { return attribute_.type; }
  ByteSpan value() const { return attribute_.value; }

 private:
  std::vector<uint8_t> buffer_;
  Attribute attribute_;
};

// Whether `a` is the first attribute of its type (the one the getters read; XOR-PEER-ADDRESS and
// XOR-RELAYED-ADDRESS may repeat).
bool IsFirst(const MessageView& m, const Attribute& a) {
  std::optional<Attribute> first = m.Find(a.type);
  TERN_FUZZ_CHECK(first.has_value());
  return first->offset == a.offset;
}

template <typename T>
void CheckSame(const absl::StatusOr<T>& a, const absl::StatusOr<T>& b) {
  TERN_FUZZ_CHECK(a.ok() == b.ok());
  if (a.ok()) TERN_FUZZ_CHECK(*a == *b);
}

// Every decoder accepts or rejects any bytes without crashing, whatever the attribute type.
void DecodeWithEveryDecoder(ByteSpan v, const TransactionId& id, uint16_t type) {
  (void)DecodeAddress(v);
  (void)DecodeXorAddress(v, id);
  (void)DecodeErrorCode(v);
  (void)DecodeAddressErrorCode(v);
  (void)DecodeUnknownAttributes(v);
  (void)DecodePasswordAlgorithms(v);
  (void)DecodePasswordAlgorithm(v);
  (void)DecodeAddressFamily(v);
  (void)DecodeChannelNumber(v);
  (void)DecodeChannelNumber(v, ChannelNumberRange::kRfc5766);
  (void)DecodeRequestedTransport(v);
  (void)DecodeEvenPort(v);
  (void)DecodeIcmp(v);
  (void)DecodeChangeRequest(v);
  (void)DecodeResponsePort(v);
  (void)DecodeU32(v);
  (void)DecodeU64(v);
  (void)DecodeText(type, v);
  TERN_FUZZ_CHECK(IsValidUtf8(AsString(v)) == ReferenceUtf8(v));
}

void CheckAddress(const MessageView& m, const Attribute& a) {
  absl::StatusOr<SocketAddress> decoded = DecodeAddress(a.value);
  if (IsFirst(m, a)) CheckSame(decoded, m.GetAddress(a.type));
  if (!decoded.ok()) return;
  TERN_FUZZ_CHECK(decoded->is_set());
  OneAttribute again(m.transaction_id(), a.value.size(),
                     [&](MessageBuilder& b) { b.AddAddress(a.type, *decoded); });
  // Byte 0 is reserved (ignored on receipt, written as zero); the rest must come back unchanged.
  TERN_FUZZ_CHECK(SameBytes(again.value().subspan(1), a.value.subspan(1)));
  CheckSame(DecodeAddress(again.value()), decoded);
}

void CheckXorAddress(const MessageView& m, const Attribute& a) {
  absl::StatusOr<SocketAddress> decoded = DecodeXorAddress(a.value, m.transaction_id());
  if (IsFirst(m, a)) CheckSame(decoded, m.GetXorAddress(a.type));
  if (!decoded.ok()) return;
  TERN_FUZZ_CHECK(decoded->is_set());
  OneAttribute again(m.transaction_id(), a.value.size(),
                     [&](MessageBuilder& b) { b.AddXorAddress(a.type, *decoded); });
  TERN_FUZZ_CHECK(SameBytes(again.value().subspan(1), a.value.subspan(1)));
  CheckSame(DecodeXorAddress(again.value(), m.transaction_id()), decoded);
}

void CheckErrorCode(const MessageView& m, const Attribute& a) {
  absl::StatusOr<ErrorCodeValue> decoded = DecodeErrorCode(a.value);
  if (IsFirst(m, a)) {
    absl::StatusOr<ErrorCodeValue> got = m.GetErrorCode();
    TERN_FUZZ_CHECK(decoded.ok() == got.ok());
    if (got.ok()) TERN_FUZZ_CHECK(got->code == decoded->code && got->reason == decoded->reason);
  }
  if (!decoded.ok()) return;
  TERN_FUZZ_CHECK(decoded->code >= 300 && decoded->code <= 699);
  TERN_FUZZ_CHECK(IsValidUtf8(decoded->reason));
  (void)DefaultReasonPhrase(decoded->code);
  OneAttribute again(m.transaction_id(), a.value.size(),
                     [&](MessageBuilder& b) { b.AddErrorCode(decoded->code, decoded->reason); });
  absl::StatusOr<ErrorCodeValue> redecoded = DecodeErrorCode(again.value());
  TERN_FUZZ_CHECK_OK(redecoded.status());
  TERN_FUZZ_CHECK(redecoded->code == decoded->code && redecoded->reason == decoded->reason);
}

void CheckAddressErrorCode(const MessageView& m, const Attribute& a) {
  absl::StatusOr<AddressErrorCodeValue> decoded = DecodeAddressErrorCode(a.value);
  if (!decoded.ok()) return;
  TERN_FUZZ_CHECK(decoded->family == IpFamily::kV4 || decoded->family == IpFamily::kV6);
  TERN_FUZZ_CHECK(decoded->code >= 300 && decoded->code <= 699);
  OneAttribute again(m.transaction_id(), a.value.size(), [&](MessageBuilder& b) {
    b.AddAddressErrorCode(decoded->family, decoded->code, decoded->reason);
  });
  absl::StatusOr<AddressErrorCodeValue> redecoded = DecodeAddressErrorCode(again.value());
  TERN_FUZZ_CHECK_OK(redecoded.status());
  TERN_FUZZ_CHECK(redecoded->family == decoded->family && redecoded->code == decoded->code &&
                  redecoded->reason == decoded->reason);
}

void CheckUnknownAttributes(const MessageView& m, const Attribute& a) {
  absl::StatusOr<std::vector<uint16_t>> decoded = DecodeUnknownAttributes(a.value);
  if (IsFirst(m, a)) CheckSame(decoded, m.GetUnknownAttributes());
  if (!decoded.ok()) return;
  TERN_FUZZ_CHECK(decoded->size() * 2 == a.value.size());
  OneAttribute again(m.transaction_id(), a.value.size(),
                     [&](MessageBuilder& b) { b.AddUnknownAttributes(*decoded); });
  TERN_FUZZ_CHECK(SameBytes(again.value(), a.value));
}

bool IsKnownAlgorithm(uint16_t number) {
  return number == static_cast<uint16_t>(PasswordAlgorithm::kMd5) ||
         number == static_cast<uint16_t>(PasswordAlgorithm::kSha256);
}

void CheckPasswordAlgorithms(const MessageView& m, const Attribute& a) {
  absl::StatusOr<std::vector<PasswordAlgorithmValue>> decoded = DecodePasswordAlgorithms(a.value);
  if (!decoded.ok()) return;
  TERN_FUZZ_CHECK(!decoded->empty());
  std::vector<PasswordAlgorithm> known;
  for (const PasswordAlgorithmValue& e : *decoded) {
    if (!IsKnownAlgorithm(e.algorithm)) return;  // the builder only writes MD5 and SHA-256
    TERN_FUZZ_CHECK(e.parameters.empty());
    known.push_back(static_cast<PasswordAlgorithm>(e.algorithm));
  }
  OneAttribute again(m.transaction_id(), a.value.size(),
                     [&](MessageBuilder& b) { b.AddPasswordAlgorithms(known); });
  TERN_FUZZ_CHECK(SameBytes(again.value(), a.value));
}

void CheckPasswordAlgorithm(const MessageView& m, const Attribute& a) {
  absl::StatusOr<PasswordAlgorithmValue> decoded = DecodePasswordAlgorithm(a.value);
  if (!decoded.ok() || !IsKnownAlgorithm(decoded->algorithm)) return;
  TERN_FUZZ_CHECK(decoded->parameters.empty());
  OneAttribute again(m.transaction_id(), a.value.size(), [&](MessageBuilder& b) {
    b.AddPasswordAlgorithm(static_cast<PasswordAlgorithm>(decoded->algorithm));
  });
  TERN_FUZZ_CHECK(SameBytes(again.value(), a.value));
}

void CheckAddressFamily(const MessageView& m, const Attribute& a) {
  absl::StatusOr<IpFamily> decoded = DecodeAddressFamily(a.value);
  if (!decoded.ok()) return;
  OneAttribute again(m.transaction_id(), 4, [&](MessageBuilder& b) { b.AddAddressFamily(a.type, *decoded); });
  TERN_FUZZ_CHECK(again.value()[0] == a.value[0]);
  CheckSame(DecodeAddressFamily(again.value()), decoded);
}

// CHANNEL-NUMBER with RFC 8656's range (the default) and RFC 5766's (a TURN server's): each accepts
// exactly a 4-byte value whose number is in its range, and the wide one everything the default does.
void CheckChannelNumber(const MessageView& m, const Attribute& a) {
  const uint16_t number = a.value.size() >= 2 ? LoadBigEndian16(a.value.data()) : 0;
  for (ChannelNumberRange range : {ChannelNumberRange::kRfc8656, ChannelNumberRange::kRfc5766}) {
    absl::StatusOr<uint16_t> decoded = DecodeChannelNumber(a.value, range);
    if (IsFirst(m, a)) CheckSame(decoded, m.GetChannelNumber(range));
    const uint16_t max = range == ChannelNumberRange::kRfc5766 ? 0x7FFF : 0x4FFF;
    TERN_FUZZ_CHECK(decoded.ok() == (a.value.size() == 4 && number >= 0x4000 && number <= max));
    if (!decoded.ok()) continue;
    TERN_FUZZ_CHECK(*decoded == number);
    TERN_FUZZ_CHECK(IsValidChannelNumber(*decoded, range));
    if (range == ChannelNumberRange::kRfc8656) {
      CheckSame(DecodeChannelNumber(a.value, ChannelNumberRange::kRfc5766), decoded);
    }
    OneAttribute again(m.transaction_id(), 4,
                       [&](MessageBuilder& b) { b.AddChannelNumber(*decoded, range); });
    TERN_FUZZ_CHECK(SameBytes(again.value().first(2), a.value.first(2)));
    CheckSame(DecodeChannelNumber(again.value(), range), decoded);
  }
}

void CheckRequestedTransport(const MessageView& m, const Attribute& a) {
  absl::StatusOr<uint8_t> decoded = DecodeRequestedTransport(a.value);
  if (!decoded.ok()) return;
  OneAttribute again(m.transaction_id(), 4, [&](MessageBuilder& b) { b.AddRequestedTransport(*decoded); });
  CheckSame(DecodeRequestedTransport(again.value()), decoded);
}

void CheckEvenPort(const MessageView& m, const Attribute& a) {
  absl::StatusOr<bool> decoded = DecodeEvenPort(a.value);
  if (!decoded.ok()) return;
  OneAttribute again(m.transaction_id(), 1, [&](MessageBuilder& b) { b.AddEvenPort(*decoded); });
  CheckSame(DecodeEvenPort(again.value()), decoded);
}

void CheckIcmp(const MessageView& m, const Attribute& a) {
  absl::StatusOr<IcmpValue> decoded = DecodeIcmp(a.value);
  if (!decoded.ok()) return;
  OneAttribute again(m.transaction_id(), 8, [&](MessageBuilder& b) { b.AddIcmp(*decoded); });
  absl::StatusOr<IcmpValue> redecoded = DecodeIcmp(again.value());
  TERN_FUZZ_CHECK_OK(redecoded.status());
  TERN_FUZZ_CHECK(redecoded->type == decoded->type && redecoded->code == decoded->code &&
                  redecoded->error_data == decoded->error_data);
}

void CheckChangeRequest(const MessageView& m, const Attribute& a) {
  absl::StatusOr<ChangeRequestValue> decoded = DecodeChangeRequest(a.value);
  if (!decoded.ok()) return;
  OneAttribute again(m.transaction_id(), 4, [&](MessageBuilder& b) { b.AddChangeRequest(*decoded); });
  absl::StatusOr<ChangeRequestValue> redecoded = DecodeChangeRequest(again.value());
  TERN_FUZZ_CHECK_OK(redecoded.status());
  TERN_FUZZ_CHECK(redecoded->change_ip == decoded->change_ip &&
                  redecoded->change_port == decoded->change_port);
}

void CheckResponsePort(const MessageView& m, const Attribute& a) {
  absl::StatusOr<uint16_t> decoded = DecodeResponsePort(a.value);
  if (!decoded.ok()) return;
  OneAttribute again(m.transaction_id(), 4, [&](MessageBuilder& b) { b.AddResponsePort(*decoded); });
  CheckSame(DecodeResponsePort(again.value()), decoded);
}

void CheckU32(const MessageView& m, const Attribute& a) {
  absl::StatusOr<uint32_t> decoded = DecodeU32(a.value);
  if (IsFirst(m, a)) CheckSame(decoded, m.GetU32(a.type));
  if (!decoded.ok()) return;
  OneAttribute again(m.transaction_id(), 4, [&](MessageBuilder& b) { b.AddU32(a.type, *decoded); });
  TERN_FUZZ_CHECK(SameBytes(again.value(), a.value));
}

void CheckU64(const MessageView& m, const Attribute& a) {
  absl::StatusOr<uint64_t> decoded = DecodeU64(a.value);
  if (IsFirst(m, a)) CheckSame(decoded, m.GetU64(a.type));
  if (!decoded.ok()) return;
  OneAttribute again(m.transaction_id(), 8, [&](MessageBuilder& b) { b.AddU64(a.type, *decoded); });
  TERN_FUZZ_CHECK(SameBytes(again.value(), a.value));
}

void CheckText(const MessageView& m, const Attribute& a) {
  absl::StatusOr<std::string_view> decoded = DecodeText(a.type, a.value);
  if (IsFirst(m, a)) CheckSame(decoded, m.GetText(a.type));
  if (!decoded.ok()) return;
  TERN_FUZZ_CHECK(IsValidUtf8(*decoded));
  TERN_FUZZ_CHECK(decoded->data() == reinterpret_cast<const char*>(a.value.data()));
  OneAttribute again(m.transaction_id(), a.value.size(),
                     [&](MessageBuilder& b) { b.AddText(a.type, *decoded); });
  TERN_FUZZ_CHECK(SameBytes(again.value(), a.value));
  if (a.type == attr::kNonce) {
    // RFC 8489 §9.2: a cookie that parses survives being written again with the same features.
    std::optional<SecurityFeatures> features = ParseNonceCookie(*decoded);
    if (features) {
      constexpr size_t kCookieSize = kNonceCookiePrefix.size() + 4;
      TERN_FUZZ_CHECK(decoded->size() >= kCookieSize);
      std::string remade = MakeNonceWithCookie(*features, decoded->substr(kCookieSize));
      TERN_FUZZ_CHECK(remade.size() == decoded->size());
      std::optional<SecurityFeatures> again_features = ParseNonceCookie(remade);
      TERN_FUZZ_CHECK(again_features.has_value() && *again_features == *features);
    }
  }
}

// Decodes one attribute with the decoder and the getter for its type, and checks the typed round trip.
void CheckAttribute(const MessageView& m, const Attribute& a) {
  TERN_FUZZ_CHECK(IsValidAttributeLength(a.type, a.value.size()));
  (void)AttributeName(a.type);
  DecodeWithEveryDecoder(a.value, m.transaction_id(), a.type);
  switch (a.type) {
    case attr::kMappedAddress:
    case attr::kAlternateServer:
    case attr::kResponseOrigin:
    case attr::kOtherAddress:
      CheckAddress(m, a);
      break;
    case attr::kXorMappedAddress:
    case attr::kXorPeerAddress:
    case attr::kXorRelayedAddress:
      CheckXorAddress(m, a);
      break;
    case attr::kErrorCode:
      CheckErrorCode(m, a);
      break;
    case attr::kAddressErrorCode:
      CheckAddressErrorCode(m, a);
      break;
    case attr::kUnknownAttributes:
      CheckUnknownAttributes(m, a);
      break;
    case attr::kPasswordAlgorithms:
      CheckPasswordAlgorithms(m, a);
      break;
    case attr::kPasswordAlgorithm:
      CheckPasswordAlgorithm(m, a);
      break;
    case attr::kRequestedAddressFamily:
    case attr::kAdditionalAddressFamily:
      CheckAddressFamily(m, a);
      break;
    case attr::kChannelNumber:
      CheckChannelNumber(m, a);
      break;
    case attr::kRequestedTransport:
      CheckRequestedTransport(m, a);
      break;
    case attr::kEvenPort:
      CheckEvenPort(m, a);
      break;
    case attr::kIcmp:
      CheckIcmp(m, a);
      break;
    case attr::kChangeRequest:
      CheckChangeRequest(m, a);
      break;
    case attr::kResponsePort:
      CheckResponsePort(m, a);
      break;
    case attr::kPriority:
    case attr::kLifetime:
    case attr::kConnectionId:
      CheckU32(m, a);
      break;
    case attr::kIceControlled:
    case attr::kIceControlling:
    case attr::kReservationToken:
      CheckU64(m, a);
      break;
    case attr::kUsername:
    case attr::kRealm:
    case attr::kNonce:
    case attr::kSoftware:
    case attr::kAlternateDomain:
      CheckText(m, a);
      break;
    case attr::kData: {
      if (!IsFirst(m, a)) break;
      absl::StatusOr<ByteSpan> data = m.GetData();
      TERN_FUZZ_CHECK_OK(data.status());
      TERN_FUZZ_CHECK(data->data() == a.value.data() && data->size() == a.value.size());
      break;
    }
    case attr::kUserhash: {
      absl::StatusOr<std::string_view> realm = m.GetRealm();
      if (realm.ok()) (void)ComputeUserhash(kLongTermUsername, *realm);
      break;
    }
    case attr::kPadding: {
      OneAttribute again(m.transaction_id(), a.value.size(),
                         [&](MessageBuilder& b) { b.AddPadding(a.value.size()); });
      break;
    }
    case attr::kUseCandidate:
    case attr::kDontFragment: {
      OneAttribute again(m.transaction_id(), 0, [&](MessageBuilder& b) { b.AddFlag(a.type); });
      TERN_FUZZ_CHECK(again.type() == a.type);
      break;
    }
    default:
      break;
  }
}

// Structure: iteration, Find, the trailer flags, unknown comprehension-required attributes.
void CheckStructure(ByteSpan data, const MessageView& m) {
  TERN_FUZZ_CHECK(m.bytes().data() == data.data() && m.bytes().size() == data.size());
  TERN_FUZZ_CHECK(LooksLikeStun(data));
  absl::StatusOr<size_t> frame = StreamFrameSize(data);
  TERN_FUZZ_CHECK_OK(frame.status());
  TERN_FUZZ_CHECK(*frame == data.size());
  TERN_FUZZ_CHECK(m.type().Encode() == LoadBigEndian16(data.data()));
  TERN_FUZZ_CHECK(MessageType::Decode(m.type().Encode()) == m.type());
  TERN_FUZZ_CHECK(m.message_class() == m.type().cls && m.method() == m.type().method);
  TERN_FUZZ_CHECK(SameBytes(m.transaction_id().bytes, data.subspan(8, 12)));
  (void)MethodName(m.method());
  (void)ClassName(m.message_class());

  size_t count = 0;
  size_t expected_offset = kHeaderSize;
  std::vector<uint16_t> unknown_required;
  std::vector<std::pair<uint16_t, size_t>> first_offsets;
  for (const Attribute& a : m) {
    TERN_FUZZ_CHECK(a.offset == expected_offset);
    TERN_FUZZ_CHECK(a.type == LoadBigEndian16(data.data() + a.offset));
    TERN_FUZZ_CHECK(a.value.data() == data.data() + a.offset + kAttributeHeaderSize);
    TERN_FUZZ_CHECK(a.value.size() == LoadBigEndian16(data.data() + a.offset + 2));
    expected_offset += kAttributeHeaderSize + Padded(a.value.size());
    TERN_FUZZ_CHECK(expected_offset <= data.size());
    TERN_FUZZ_CHECK(++count <= kMaxAttributes);
    if (attr::IsComprehensionRequired(a.type) && !IsKnownAttribute(a.type)) {
      unknown_required.push_back(a.type);
    }
    bool seen = false;
    for (const auto& [type, offset] : first_offsets) seen |= type == a.type;
    if (!seen) first_offsets.emplace_back(a.type, a.offset);
  }
  TERN_FUZZ_CHECK(expected_offset == data.size());
  TERN_FUZZ_CHECK(count == m.attribute_count());
  for (const auto& [type, offset] : first_offsets) {
    std::optional<Attribute> found = m.Find(type);
    TERN_FUZZ_CHECK(found.has_value() && found->type == type && found->offset == offset);
    TERN_FUZZ_CHECK(m.Has(type));
  }
  TERN_FUZZ_CHECK(m.has_message_integrity() == m.Has(attr::kMessageIntegrity));
  TERN_FUZZ_CHECK(m.has_message_integrity_sha256() == m.Has(attr::kMessageIntegritySha256));
  TERN_FUZZ_CHECK(m.has_fingerprint() == m.Has(attr::kFingerprint));

  // Getters for absent attributes say NotFound.
  for (uint16_t type : {attr::kMappedAddress, attr::kXorMappedAddress, attr::kUsername, attr::kPriority,
                        attr::kIceControlling, attr::kSoftware}) {
    if (m.Has(type)) continue;
    TERN_FUZZ_CHECK(absl::IsNotFound(m.GetAddress(type).status()));
    TERN_FUZZ_CHECK(absl::IsNotFound(m.GetXorAddress(type).status()));
    TERN_FUZZ_CHECK(absl::IsNotFound(m.GetText(type).status()));
    TERN_FUZZ_CHECK(absl::IsNotFound(m.GetU32(type).status()));
    TERN_FUZZ_CHECK(absl::IsNotFound(m.GetU64(type).status()));
  }
  if (!m.Has(attr::kErrorCode)) TERN_FUZZ_CHECK(absl::IsNotFound(m.GetErrorCode().status()));
  if (!m.Has(attr::kUnknownAttributes)) {
    TERN_FUZZ_CHECK(absl::IsNotFound(m.GetUnknownAttributes().status()));
  }
  if (!m.Has(attr::kChannelNumber)) {
    TERN_FUZZ_CHECK(absl::IsNotFound(m.GetChannelNumber().status()));
    TERN_FUZZ_CHECK(absl::IsNotFound(m.GetChannelNumber(ChannelNumberRange::kRfc5766).status()));
  }
  if (!m.Has(attr::kData)) TERN_FUZZ_CHECK(absl::IsNotFound(m.GetData().status()));

  std::vector<uint16_t> collected = {0xFFFF};  // CollectUnknownRequired appends
  m.CollectUnknownRequired(&collected);
  TERN_FUZZ_CHECK(collected.size() == unknown_required.size() + 1 && collected[0] == 0xFFFF);
  TERN_FUZZ_CHECK(std::equal(unknown_required.begin(), unknown_required.end(), collected.begin() + 1));
}

struct Verification {
  const IntegrityKey* integrity_key = nullptr;         // a key MESSAGE-INTEGRITY verifies with
  const IntegrityKey* integrity_sha256_key = nullptr;  // a key MESSAGE-INTEGRITY-SHA256 verifies with
  bool fingerprint_ok = false;
};

Verification Verify(const MessageView& m) {
  Verification result;
  for (const IntegrityKey* key : GetKeys().All()) {
    absl::Status sha1 = m.VerifyMessageIntegrity(*key);
    absl::Status sha256 = m.VerifyMessageIntegritySha256(*key);
    absl::Status strongest = m.VerifyIntegrity(*key);
    TERN_FUZZ_CHECK(m.has_message_integrity() || absl::IsNotFound(sha1));
    TERN_FUZZ_CHECK(m.has_message_integrity_sha256() || absl::IsNotFound(sha256));
    if (m.has_message_integrity_sha256()) {
      TERN_FUZZ_CHECK(strongest.ok() == sha256.ok());
    } else if (m.has_message_integrity()) {
      TERN_FUZZ_CHECK(strongest.ok() == sha1.ok());
    } else {
      TERN_FUZZ_CHECK(absl::IsNotFound(strongest));
    }
    if (sha1.ok() && result.integrity_key == nullptr) result.integrity_key = key;
    if (sha256.ok() && result.integrity_sha256_key == nullptr) result.integrity_sha256_key = key;
  }
  const Keys& keys = GetKeys();
  TERN_FUZZ_CHECK(m.VerifyIntegrity(keys.long_term_md5_bytes).ok() ==
                  m.VerifyIntegrity(keys.long_term_md5).ok());
  (void)m.VerifyIntegrity(keys.long_password);
  absl::Status fingerprint = m.VerifyFingerprint();
  TERN_FUZZ_CHECK(m.has_fingerprint() || absl::IsNotFound(fingerprint));
  result.fingerprint_ok = fingerprint.ok();
  return result;
}

bool PaddingIsZero(ByteSpan data, const MessageView& m) {
  for (const Attribute& a : m) {
    size_t end = a.offset + kAttributeHeaderSize + Padded(a.value.size());
    for (size_t i = a.offset + kAttributeHeaderSize + a.value.size(); i < end; ++i) {
      if (data[i] != 0) return false;
    }
  }
  return true;
}

// Copies every attribute but the trailers through MessageBuilder::Add, finishes with the trailers the
// original had (keys: the ones that verified, or the short-term key) and FINGERPRINT iff
// `fingerprint`, parses the result and checks it against the original. Returns the new message.
std::vector<uint8_t> Rebuild(const MessageView& m, const Verification& v, bool fingerprint) {
  size_t size = m.bytes().size();
  if (fingerprint && !m.has_fingerprint()) size += kAttributeHeaderSize + 4;
  if (!fingerprint && m.has_fingerprint()) size -= kAttributeHeaderSize + 4;
  std::vector<uint8_t> buffer(size);  // exactly the expected size
  MessageBuilder builder(buffer, m.type(), m.transaction_id());
  std::vector<Attribute> copied;
  for (const Attribute& a : m) {
    if (IsTrailer(a.type)) continue;
    builder.Add(a.type, a.value);
    copied.push_back(a);
  }
  const IntegrityKey& short_term = GetKeys().short_term;
  FinishOptions options;
  std::optional<Attribute> sha256 = m.Find(attr::kMessageIntegritySha256);
  if (m.has_message_integrity()) {
    options.integrity = v.integrity_key != nullptr ? v.integrity_key : &short_term;
  }
  if (sha256) {
    options.integrity_sha256 = v.integrity_sha256_key != nullptr ? v.integrity_sha256_key : &short_term;
    options.sha256_size = sha256->value.size();
  }
  options.fingerprint = fingerprint;
  absl::StatusOr<ByteSpan> wire = builder.Finish(options);
  TERN_FUZZ_CHECK_OK(wire.status());
  TERN_FUZZ_CHECK(wire->data() == buffer.data() && wire->size() == buffer.size());

  absl::StatusOr<MessageView> again = MessageView::Parse(*wire);
  TERN_FUZZ_CHECK_OK(again.status());
  TERN_FUZZ_CHECK(again->type() == m.type());
  TERN_FUZZ_CHECK(again->transaction_id() == m.transaction_id());
  size_t expected_count =
      copied.size() + (m.has_message_integrity() ? 1 : 0) + (sha256 ? 1 : 0) + (fingerprint ? 1 : 0);
  TERN_FUZZ_CHECK(again->attribute_count() == expected_count);
  MessageView::Iterator it = again->begin();
  for (const Attribute& a : copied) {
    TERN_FUZZ_CHECK(it != again->end());
    TERN_FUZZ_CHECK(it->type == a.type);
    TERN_FUZZ_CHECK(SameBytes(it->value, a.value));
    ++it;
  }
  if (m.has_message_integrity()) {
    TERN_FUZZ_CHECK(it != again->end() && it->type == attr::kMessageIntegrity);
    ++it;
    TERN_FUZZ_CHECK_OK(again->VerifyMessageIntegrity(*options.integrity));
  }
  if (sha256) {
    TERN_FUZZ_CHECK(it != again->end() && it->type == attr::kMessageIntegritySha256);
    TERN_FUZZ_CHECK(it->value.size() == sha256->value.size());
    ++it;
    TERN_FUZZ_CHECK_OK(again->VerifyMessageIntegritySha256(*options.integrity_sha256));
    TERN_FUZZ_CHECK_OK(again->VerifyIntegrity(*options.integrity_sha256));
  } else if (m.has_message_integrity()) {
    TERN_FUZZ_CHECK_OK(again->VerifyIntegrity(*options.integrity));
  }
  if (fingerprint) {
    TERN_FUZZ_CHECK(it != again->end() && it->type == attr::kFingerprint);
    ++it;
    TERN_FUZZ_CHECK_OK(again->VerifyFingerprint());
  }
  TERN_FUZZ_CHECK(it == again->end());
  return buffer;
}

void CheckRoundTrip(ByteSpan data, const MessageView& m, const Verification& v) {
  // Same trailers as the original: a canonical message (zero padding, every trailer valid for one of
  // the known keys) must come back byte for byte.
  std::vector<uint8_t> mirror = Rebuild(m, v, m.has_fingerprint());
  bool canonical = PaddingIsZero(data, m) && (!m.has_message_integrity() || v.integrity_key) &&
                   (!m.has_message_integrity_sha256() || v.integrity_sha256_key) &&
                   (!m.has_fingerprint() || v.fingerprint_ok);
  if (canonical) TERN_FUZZ_CHECK(SameBytes(mirror, data));

  // And finished with FINGERPRINT, when the original had none and one more attribute fits.
  size_t body = data.size() - kHeaderSize;
  if (!m.has_fingerprint() && m.attribute_count() < kMaxAttributes &&
      body + kAttributeHeaderSize + 4 <= 0xFFFF) {
    std::vector<uint8_t> with_fingerprint = Rebuild(m, v, /*fingerprint=*/true);
    // Only the header length differs before the new FINGERPRINT: integrity never covers it.
    TERN_FUZZ_CHECK(SameBytes(ByteSpan(with_fingerprint).first(kHeaderSize + body).subspan(4),
                              ByteSpan(mirror).subspan(4)));
  }
}

// Every check a message that parsed gets.
void CheckParsed(ByteSpan data, const MessageView& m) {
  CheckStructure(data, m);
  for (const Attribute& a : m) CheckAttribute(m, a);
  Verification verification = Verify(m);
  CheckRoundTrip(data, m, verification);
}

// --- The input as a recipe for MessageBuilder ------------------------------------------------------

// Reads values from the input; past its end every read returns zeros (or an empty span).
class Recipe {
 public:
  explicit Recipe(ByteSpan data) : data_(data) {}
  bool empty() const { return pos_ >= data_.size(); }
  uint8_t U8() { return pos_ < data_.size() ? data_[pos_++] : 0; }
  uint16_t U16() { return static_cast<uint16_t>(U8() << 8 | U8()); }
  uint32_t U32() { return uint32_t{U16()} << 16 | U16(); }
  uint64_t U64() { return uint64_t{U32()} << 32 | U32(); }
  bool Bool() { return (U8() & 1) != 0; }
  ByteSpan Take(size_t n) {
    n = std::min(n, data_.size() - std::min(pos_, data_.size()));
    ByteSpan out = data_.subspan(std::min(pos_, data_.size()), n);
    pos_ += n;
    return out;
  }
  IpAddress Ip(uint8_t family_selector) {
    switch (family_selector % 3) {
      case 0: {
        std::array<uint8_t, 4> b{};
        for (uint8_t& x : b) x = U8();
        return IpAddress::V4(b);
      }
      case 1: {
        std::array<uint8_t, 16> b{};
        for (uint8_t& x : b) x = U8();
        return IpAddress::V6(b);
      }
      default:
        return IpAddress();  // unset: the builder must refuse it
    }
  }

 private:
  ByteSpan data_;
  size_t pos_ = 0;
};

// The RFC's size limit for a text attribute (RFC 8489 §14.3, §14.8-§14.10, §14.14, §14.16).
size_t TextLimit(uint16_t type) {
  switch (type) {
    case attr::kUsername:
      return 512;
    case attr::kAlternateDomain:
      return 255;
    default:
      return 763;  // REALM, NONCE, SOFTWARE
  }
}

IpFamily FamilyFrom(uint8_t selector) {
  switch (selector % 3) {
    case 0:
      return IpFamily::kV4;
    case 1:
      return IpFamily::kV6;
    default:
      return IpFamily::kUnspecified;
  }
}

// Builds a message from the recipe with the typed Add* calls, predicting independently whether
// Finish() must succeed (every value valid, everything fits the buffer and the 16-bit length). When it
// does, the message must parse to the attributes added, in order, verify, and pass every check a
// parsed message gets.
void CheckBuilder(ByteSpan input) {
  Recipe r(input);
  uint8_t head = r.U8();
  size_t capacity;
  if ((head & 3) == 0) {
    capacity = 4096;
  } else if ((head & 3) == 1) {
    capacity = kHeaderSize + r.U8();  // often too small
  } else if ((head & 3) == 2) {
    capacity = kHeaderSize + r.U16() % 2048;
  } else {
    capacity = kHeaderSize + 0xFFFF;  // room for the largest message
  }
  MessageType type{static_cast<MessageClass>((head >> 2) & 3), static_cast<uint16_t>(r.U16() & 0x0FFF)};
  TransactionId id;
  for (uint8_t& b : id.bytes) b = r.U8();

  std::vector<uint8_t> buffer(capacity);  // exact size: an overrun is an ASan report
  MessageBuilder builder(buffer, type, id);
  bool valid = true;
  size_t body = 0;
  std::vector<uint16_t> added;
  auto note = [&](uint16_t t, size_t value_size, bool value_valid) {
    added.push_back(t);
    body += kAttributeHeaderSize + Padded(value_size);
    valid &= value_valid && value_size <= 0xFFFF;
  };
  auto fresh = [&](uint16_t t) {  // Parse refuses more than kMaxAttributes, and most duplicates
    bool may_repeat = t == attr::kXorPeerAddress || t == attr::kXorRelayedAddress;
    return added.size() + 3 < kMaxAttributes &&
           (may_repeat || std::find(added.begin(), added.end(), t) == added.end());
  };

  static constexpr uint16_t kAddressTypes[] = {attr::kMappedAddress, attr::kAlternateServer,
                                               attr::kResponseOrigin, attr::kOtherAddress};
  static constexpr uint16_t kXorTypes[] = {attr::kXorMappedAddress, attr::kXorPeerAddress,
                                           attr::kXorRelayedAddress};
  static constexpr uint16_t kTextTypes[] = {attr::kUsername, attr::kRealm, attr::kNonce, attr::kSoftware,
                                            attr::kAlternateDomain};
  static constexpr uint16_t kU32Types[] = {attr::kPriority, attr::kLifetime, attr::kConnectionId};
  static constexpr uint16_t kU64Types[] = {attr::kIceControlled, attr::kIceControlling,
                                           attr::kReservationToken};
  static constexpr uint16_t kFamilyTypes[] = {attr::kRequestedAddressFamily, attr::kAdditionalAddressFamily};
  static constexpr uint16_t kFlagTypes[] = {attr::kUseCandidate, attr::kDontFragment};

  size_t ops = r.U8() % 24;
  for (size_t i = 0; i < ops && !r.empty(); ++i) {
    uint8_t op = r.U8();
    uint8_t sel = r.U8();
    switch (op % 21) {
      case 0: {
        uint16_t t = kAddressTypes[sel % 4];
        if (!fresh(t)) break;
        IpAddress ip = r.Ip(sel >> 2);
        builder.AddAddress(t, SocketAddress(ip, r.U16()));
        note(t, 4 + ip.bytes().size(), ip.is_set());
        break;
      }
      case 1: {
        uint16_t t = kXorTypes[sel % 3];
        if (!fresh(t)) break;
        IpAddress ip = r.Ip(sel >> 2);
        builder.AddXorAddress(t, SocketAddress(ip, r.U16()));
        note(t, 4 + ip.bytes().size(), ip.is_set());
        break;
      }
      case 2: {
        uint16_t t = kTextTypes[sel % 5];
        if (!fresh(t)) break;
        ByteSpan text = r.Take(r.U16() % 800);
        builder.AddText(t, AsString(text));
        note(t, text.size(), text.size() <= TextLimit(t) && ReferenceUtf8(text));
        break;
      }
      case 3: {
        if (!fresh(attr::kErrorCode)) break;
        int code = r.U16() % 1000;
        ByteSpan reason = r.Take(sel * 4);
        builder.AddErrorCode(code, AsString(reason));
        note(attr::kErrorCode, 4 + reason.size(),
             code >= 300 && code <= 699 && reason.size() <= 763 && ReferenceUtf8(reason));
        break;
      }
      case 4: {
        if (!fresh(attr::kAddressErrorCode)) break;
        IpFamily family = FamilyFrom(sel);
        int code = r.U16() % 1000;
        ByteSpan reason = r.Take(r.U8());
        builder.AddAddressErrorCode(family, code, AsString(reason));
        note(attr::kAddressErrorCode, 4 + reason.size(),
             family != IpFamily::kUnspecified && code >= 300 && code <= 699 && ReferenceUtf8(reason));
        break;
      }
      case 5: {
        if (!fresh(attr::kUnknownAttributes)) break;
        std::vector<uint16_t> types(sel % 8);
        for (uint16_t& t : types) t = r.U16();
        builder.AddUnknownAttributes(types);
        note(attr::kUnknownAttributes, 2 * types.size(), true);
        break;
      }
      case 6: {
        if (!fresh(attr::kChannelNumber)) break;
        uint16_t channel = r.U16();
        // Odd selectors ask for RFC 5766's range (0x4000-0x7FFF), even ones for RFC 8656's default.
        bool wide = (sel & 1) != 0;
        builder.AddChannelNumber(channel, wide ? ChannelNumberRange::kRfc5766 : ChannelNumberRange::kRfc8656);
        note(attr::kChannelNumber, 4, channel >= 0x4000 && channel <= (wide ? 0x7FFF : 0x4FFF));
        break;
      }
      case 7:
        if (!fresh(attr::kRequestedTransport)) break;
        builder.AddRequestedTransport(sel);
        note(attr::kRequestedTransport, 4, true);
        break;
      case 8: {
        uint16_t t = kFamilyTypes[sel % 2];
        if (!fresh(t)) break;
        IpFamily family = FamilyFrom(sel >> 1);
        builder.AddAddressFamily(t, family);
        note(t, 4, family != IpFamily::kUnspecified);
        break;
      }
      case 9:
        if (!fresh(attr::kEvenPort)) break;
        builder.AddEvenPort((sel & 1) != 0);
        note(attr::kEvenPort, 1, true);
        break;
      case 10:
        if (!fresh(attr::kIcmp)) break;
        builder.AddIcmp(IcmpValue{sel, r.U8(), r.U32()});
        note(attr::kIcmp, 8, true);
        break;
      case 11:
        if (!fresh(attr::kChangeRequest)) break;
        builder.AddChangeRequest(ChangeRequestValue{(sel & 1) != 0, (sel & 2) != 0});
        note(attr::kChangeRequest, 4, true);
        break;
      case 12:
        if (!fresh(attr::kResponsePort)) break;
        builder.AddResponsePort(r.U16());
        note(attr::kResponsePort, 4, true);
        break;
      case 13: {
        if (!fresh(attr::kPasswordAlgorithms)) break;
        std::vector<PasswordAlgorithm> algorithms(sel % 4);
        for (PasswordAlgorithm& a : algorithms) {
          a = r.Bool() ? PasswordAlgorithm::kSha256 : PasswordAlgorithm::kMd5;
        }
        builder.AddPasswordAlgorithms(algorithms);
        note(attr::kPasswordAlgorithms, 4 * algorithms.size(), !algorithms.empty());
        break;
      }
      case 14:
        if (!fresh(attr::kPasswordAlgorithm)) break;
        builder.AddPasswordAlgorithm((sel & 1) ? PasswordAlgorithm::kSha256 : PasswordAlgorithm::kMd5);
        note(attr::kPasswordAlgorithm, 4, true);
        break;
      case 15: {
        if (!fresh(attr::kPadding)) break;
        size_t size = (sel & 1) ? r.U16() : r.U8();
        builder.AddPadding(size);
        note(attr::kPadding, size, true);
        break;
      }
      case 16: {
        uint16_t t = kU32Types[sel % 3];
        if (!fresh(t)) break;
        builder.AddU32(t, r.U32());
        note(t, 4, true);
        break;
      }
      case 17: {
        uint16_t t = kU64Types[sel % 3];
        if (!fresh(t)) break;
        builder.AddU64(t, r.U64());
        note(t, 8, true);
        break;
      }
      case 18: {
        uint16_t t = kFlagTypes[sel % 2];
        if (!fresh(t)) break;
        builder.AddFlag(t);
        note(t, 0, true);
        break;
      }
      case 19: {
        // An attribute type no RFC assigns (0x4000-0x7FFF, 0xC000-0xFFFF), any value.
        uint16_t t = r.U16() | 0x4000;
        if (!fresh(t)) break;
        ByteSpan value = r.Take(sel);
        builder.Add(t, value);
        note(t, value.size(), true);
        break;
      }
      default: {
        // Raw Add of known types with any size: the builder must refuse the sizes Parse() refuses.
        uint16_t t = (sel & 1) ? attr::kUserhash : attr::kData;
        if (!fresh(t)) break;
        ByteSpan value = r.Take((sel & 2) && t == attr::kUserhash ? 32 : r.U8());
        builder.Add(t, value);
        note(t, value.size(), IsValidAttributeLength(t, value.size()));
        break;
      }
    }
    valid &= body <= 0xFFFF;
  }

  const std::vector<const IntegrityKey*> keys = GetKeys().All();
  uint8_t finish = r.U8();
  FinishOptions options;
  if (finish & 1) {
    options.integrity = keys[(finish >> 1) % 3];
    body += kAttributeHeaderSize + kMessageIntegritySize;
  }
  if (finish & 8) {
    options.integrity_sha256 = keys[(finish >> 4) % 3];
    options.sha256_size = r.U8() % 40;
    valid &= options.sha256_size >= 16 && options.sha256_size <= 32 && options.sha256_size % 4 == 0;
    body += kAttributeHeaderSize + Padded(options.sha256_size);
  }
  if (finish & 64) {
    options.fingerprint = true;
    body += kAttributeHeaderSize + 4;
  }
  valid &= body <= 0xFFFF && kHeaderSize + body <= capacity;

  absl::StatusOr<ByteSpan> wire = builder.Finish(options);
  if (!valid) {
    TERN_FUZZ_CHECK(!wire.ok());
    return;
  }
  TERN_FUZZ_CHECK_OK(wire.status());
  TERN_FUZZ_CHECK(wire->data() == buffer.data() && wire->size() == kHeaderSize + body);
  TERN_FUZZ_CHECK(!builder.Finish(options).ok());  // only once
  builder.AddFlag(attr::kUseCandidate);            // nothing after Finish
  TERN_FUZZ_CHECK(!builder.status().ok());

  absl::StatusOr<MessageView> parsed = MessageView::Parse(*wire);
  TERN_FUZZ_CHECK_OK(parsed.status());
  TERN_FUZZ_CHECK(parsed->type() == type && parsed->transaction_id() == id);
  std::vector<uint16_t> expected = added;
  if (options.integrity) expected.push_back(attr::kMessageIntegrity);
  if (options.integrity_sha256) expected.push_back(attr::kMessageIntegritySha256);
  if (options.fingerprint) expected.push_back(attr::kFingerprint);
  std::vector<uint16_t> got;
  for (const Attribute& a : *parsed) got.push_back(a.type);
  TERN_FUZZ_CHECK(got == expected);
  if (options.integrity) TERN_FUZZ_CHECK_OK(parsed->VerifyMessageIntegrity(*options.integrity));
  if (options.integrity_sha256) {
    TERN_FUZZ_CHECK_OK(parsed->VerifyMessageIntegritySha256(*options.integrity_sha256));
  }
  if (options.fingerprint) TERN_FUZZ_CHECK_OK(parsed->VerifyFingerprint());

  CheckParsed(*wire, *parsed);
}

void TestOneInput(ByteSpan input) {
  (void)StreamFrameSize(input);
  (void)LooksLikeStun(input);
  absl::StatusOr<MessageView> parsed = MessageView::Parse(input);
  if (parsed.ok()) CheckParsed(input, *parsed);
  CheckBuilder(input);
}

}  // namespace
}  // namespace tern::stun

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tern::stun::TestOneInput(tern::ByteSpan(data, size));
  return 0;
}
