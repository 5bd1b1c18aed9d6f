#include "tern/stun/message.h"

#include <openssl/mem.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tern/base/crc32.h"
#include "tern/base/strings.h"
#include "stun/attribute_lengths.h"

namespace tern::stun {
namespace {

absl::Status Reject(std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("malformed STUN message: ", ToAbsl(why)));
}

inline size_t Padded(size_t n) { return (n + 3) & ~size_t{3}; }

// Bit per attribute type bucket; a hit means "maybe seen", confirmed by a rescan.
inline uint64_t TypeBit(uint16_t type) { return uint64_t{1} << ((type * 0x9E37u) >> 10 & 63); }

}  // namespace

bool LooksLikeStun(ByteSpan d) {
  if (d.size() < kHeaderSize || (d[0] & 0xC0) != 0) return false;
  uint16_t length = LoadBigEndian16(d.data() + 2);
  return (length & 3) == 0 && length + kHeaderSize == d.size() &&
         LoadBigEndian32(d.data() + 4) == kMagicCookie;
}

// The result is built in place: returning a local MessageView made GCC copy it into the StatusOr with
// 16-byte loads of fields it had just written with 1- to 8-byte stores (store-forwarding stalls).
absl::StatusOr<MessageView> MessageView::Parse(ByteSpan d) {
  absl::StatusOr<MessageView> result(absl::in_place);
  if (absl::Status s = result->ParseInto(d); !s.ok()) result = std::move(s);
  return result;
}

absl::Status MessageView::ParseInto(ByteSpan d) {
  MessageView& m = *this;
  if (d.size() < kHeaderSize) {
    return Reject(absl::StrCat(d.size(), " bytes is shorter than the 20-byte header"));
  }
  if ((d[0] & 0xC0) != 0) return Reject("the first two bits are not zero");
  uint16_t length = LoadBigEndian16(d.data() + 2);
  if ((length & 3) != 0) return Reject(absl::StrCat("length ", length, " is not a multiple of 4"));
  if (length + kHeaderSize != d.size()) {
    return Reject(absl::StrCat("header length ", length, " does not match the ", d.size() - kHeaderSize,
                               " bytes after the header"));
  }
  if (LoadBigEndian32(d.data() + 4) != kMagicCookie) {
    return Reject("no magic cookie (RFC 3489 STUN is not supported)");
  }

  m.bytes_ = d;
  m.type_ = MessageType::Decode(LoadBigEndian16(d.data()));
  std::memcpy(m.transaction_id_.bytes.data(), d.data() + 8, 12);

  uint64_t seen_bits = 0;
  size_t count = 0;
  size_t pos = kHeaderSize;
  const uint8_t* p = d.data();
  while (pos < d.size()) {
    if (d.size() - pos < kAttributeHeaderSize) return Reject("truncated attribute header");
    uint16_t type = LoadBigEndian16(p + pos);
    uint16_t alen = LoadBigEndian16(p + pos + 2);
    if (Padded(alen) > d.size() - pos - kAttributeHeaderSize) {
      return Reject(absl::StrCat(ToAbsl(AttributeName(type)), absl::StrFormat(" (0x%04x)", type),
                                 " of length ", alen, " runs past the end of the message"));
    }
    if (++count > kMaxAttributes) {
      return Reject(absl::StrCat("more than ", kMaxAttributes, " attributes"));
    }
    if (m.fingerprint_offset_ != 0) return Reject("attribute after FINGERPRINT");
    if (type != attr::kFingerprint) {
      if (m.integrity_sha256_offset_ != 0) {
        return Reject(absl::StrCat(ToAbsl(AttributeName(type)), " after MESSAGE-INTEGRITY-SHA256"));
      }
      if (m.integrity_offset_ != 0 && type != attr::kMessageIntegritySha256) {
        return Reject(absl::StrCat(ToAbsl(AttributeName(type)), " after MESSAGE-INTEGRITY"));
      }
    }
    if (!internal::AttributeLengthAllowed(type, alen)) {
      return Reject(absl::StrCat(ToAbsl(AttributeName(type)), " has invalid length ", alen));
    }
    uint64_t bit = TypeBit(type);
    // CreatePermission may carry several XOR-PEER-ADDRESS (RFC 8656 §9.1) and a dual-stack Allocate
    // response one XOR-RELAYED-ADDRESS per family (§7.3); every other type must appear once.
    bool may_repeat = type == attr::kXorPeerAddress || type == attr::kXorRelayedAddress;
    if (!may_repeat && (seen_bits & bit)) {
      for (size_t q = kHeaderSize; q < pos;) {
        if (LoadBigEndian16(p + q) == type) {
          return Reject(absl::StrCat("duplicate ", ToAbsl(AttributeName(type)),
                                     absl::StrFormat(" (0x%04x)", type)));
        }
        q += kAttributeHeaderSize + Padded(LoadBigEndian16(p + q + 2));
      }
    }
    seen_bits |= bit;
    switch (type) {
      case attr::kMessageIntegrity:
        m.integrity_offset_ = static_cast<uint32_t>(pos);
        break;
      case attr::kMessageIntegritySha256:
        m.integrity_sha256_offset_ = static_cast<uint32_t>(pos);
        break;
      case attr::kFingerprint:
        m.fingerprint_offset_ = static_cast<uint32_t>(pos);
        break;
      default:
        break;
    }
    pos += kAttributeHeaderSize + Padded(alen);
  }
  m.attribute_count_ = static_cast<uint16_t>(count);
  return absl::OkStatus();
}

MessageView::Iterator::Iterator(ByteSpan bytes, size_t offset) : bytes_(bytes), offset_(offset) { Load(); }

void MessageView::Iterator::Load() {
  if (offset_ + kAttributeHeaderSize > bytes_.size()) {
    offset_ = bytes_.size();
    return;
  }
  current_.type = LoadBigEndian16(bytes_.data() + offset_);
  current_.value = bytes_.subspan(offset_ + kAttributeHeaderSize, LoadBigEndian16(bytes_.data() + offset_ + 2));
  current_.offset = offset_;
}

MessageView::Iterator& MessageView::Iterator::operator++() {
  offset_ += kAttributeHeaderSize + Padded(current_.value.size());
  Load();
  return *this;
}

std::optional<Attribute> MessageView::Find(uint16_t type) const {
  const uint8_t* p = bytes_.data();
  for (size_t pos = kHeaderSize; pos < bytes_.size();) {
    uint16_t t = LoadBigEndian16(p + pos);
    uint16_t len = LoadBigEndian16(p + pos + 2);
    if (t == type) return Attribute{t, bytes_.subspan(pos + kAttributeHeaderSize, len), pos};
    pos += kAttributeHeaderSize + Padded(len);
  }
  return std::nullopt;
}

namespace {
absl::Status Missing(uint16_t type) {
  return absl::NotFoundError(absl::StrCat("no ", ToAbsl(AttributeName(type)), " attribute"));
}
}  // namespace

absl::StatusOr<SocketAddress> MessageView::GetAddress(uint16_t type) const {
  std::optional<Attribute> a = Find(type);
  if (!a) return Missing(type);
  return DecodeAddress(a->value);
}

absl::StatusOr<SocketAddress> MessageView::GetXorAddress(uint16_t type) const {
  std::optional<Attribute> a = Find(type);
  if (!a) return Missing(type);
  return DecodeXorAddress(a->value, transaction_id_);
}

absl::StatusOr<std::string_view> MessageView::GetText(uint16_t type) const {
  std::optional<Attribute> a = Find(type);
  if (!a) return Missing(type);
  return DecodeText(type, a->value);
}

absl::StatusOr<uint32_t> MessageView::GetU32(uint16_t type) const {
  std::optional<Attribute> a = Find(type);
  if (!a) return Missing(type);
  return DecodeU32(a->value);
}

absl::StatusOr<uint64_t> MessageView::GetU64(uint16_t type) const {
  std::optional<Attribute> a = Find(type);
  if (!a) return Missing(type);
  return DecodeU64(a->value);
}

absl::StatusOr<ErrorCodeValue> MessageView::GetErrorCode() const {
  std::optional<Attribute> a = Find(attr::kErrorCode);
  if (!a) return Missing(attr::kErrorCode);
  return DecodeErrorCode(a->value);
}

absl::StatusOr<std::vector<uint16_t>> MessageView::GetUnknownAttributes() const {
  std::optional<Attribute> a = Find(attr::kUnknownAttributes);
  if (!a) return Missing(attr::kUnknownAttributes);
  return DecodeUnknownAttributes(a->value);
}

absl::StatusOr<uint16_t> MessageView::GetChannelNumber(ChannelNumberRange range) const {
  std::optional<Attribute> a = Find(attr::kChannelNumber);
  if (!a) return Missing(attr::kChannelNumber);
  return DecodeChannelNumber(a->value, range);
}

absl::StatusOr<ByteSpan> MessageView::GetData() const {
  std::optional<Attribute> a = Find(attr::kData);
  if (!a) return Missing(attr::kData);
  return a->value;
}

void MessageView::CollectUnknownRequired(std::vector<uint16_t>* out) const {
  for (const Attribute& a : *this) {
    if (attr::IsComprehensionRequired(a.type) && !IsKnownAttribute(a.type)) out->push_back(a.type);
  }
}

namespace {

// The header with its length field rewritten to end just after the attribute at `offset` whose value
// is `value_size` bytes: what the HMAC of MESSAGE-INTEGRITY(-SHA256) covers (RFC 8489 §14.5-§14.6).
void AdjustedHeader(ByteSpan msg, size_t offset, size_t value_size, uint8_t out[kHeaderSize]) {
  std::memcpy(out, msg.data(), kHeaderSize);
  StoreBigEndian16(out + 2, static_cast<uint16_t>(offset + kAttributeHeaderSize + value_size - kHeaderSize));
}

}  // namespace

absl::Status MessageView::VerifyMessageIntegrity(const IntegrityKey& key) const {
  if (integrity_offset_ == 0) return absl::NotFoundError("no MESSAGE-INTEGRITY attribute");
  uint8_t header[kHeaderSize];
  AdjustedHeader(bytes_, integrity_offset_, kMessageIntegritySize, header);
  ByteSpan parts[2] = {ByteSpan(header, kHeaderSize),
                       bytes_.subspan(kHeaderSize, integrity_offset_ - kHeaderSize)};
  uint8_t mac[20];
  key.HmacSha1(parts, mac);
  if (CRYPTO_memcmp(mac, bytes_.data() + integrity_offset_ + kAttributeHeaderSize, sizeof(mac)) != 0) {
    return absl::UnauthenticatedError("MESSAGE-INTEGRITY does not match (wrong key or altered message)");
  }
  return absl::OkStatus();
}

absl::Status MessageView::VerifyMessageIntegritySha256(const IntegrityKey& key) const {
  if (integrity_sha256_offset_ == 0) return absl::NotFoundError("no MESSAGE-INTEGRITY-SHA256 attribute");
  size_t size = LoadBigEndian16(bytes_.data() + integrity_sha256_offset_ + 2);
  uint8_t header[kHeaderSize];
  AdjustedHeader(bytes_, integrity_sha256_offset_, size, header);
  ByteSpan parts[2] = {ByteSpan(header, kHeaderSize),
                       bytes_.subspan(kHeaderSize, integrity_sha256_offset_ - kHeaderSize)};
  uint8_t mac[32];
  key.HmacSha256(parts, mac);
  if (CRYPTO_memcmp(mac, bytes_.data() + integrity_sha256_offset_ + kAttributeHeaderSize, size) != 0) {
    return absl::UnauthenticatedError(
        "MESSAGE-INTEGRITY-SHA256 does not match (wrong key or altered message)");
  }
  return absl::OkStatus();
}

absl::Status MessageView::VerifyIntegrity(const IntegrityKey& key) const {
  if (integrity_sha256_offset_ != 0) return VerifyMessageIntegritySha256(key);
  if (integrity_offset_ != 0) return VerifyMessageIntegrity(key);
  return absl::NotFoundError("no MESSAGE-INTEGRITY or MESSAGE-INTEGRITY-SHA256 attribute");
}

absl::Status MessageView::VerifyFingerprint() const {
  if (fingerprint_offset_ == 0) return absl::NotFoundError("no FINGERPRINT attribute");
  uint32_t crc = Crc32(bytes_.first(fingerprint_offset_)) ^ kFingerprintXor;
  if (crc != LoadBigEndian32(bytes_.data() + fingerprint_offset_ + kAttributeHeaderSize)) {
    return absl::DataLossError("FINGERPRINT does not match (corrupted, or not a STUN message)");
  }
  return absl::OkStatus();
}

}  // namespace tern::stun
