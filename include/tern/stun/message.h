// A parsed STUN message (RFC 8489 §5-§6, §14): a zero-copy view over the datagram's bytes.
//
// MessageView::Parse validates the whole structure in one walk — header, magic cookie, lengths,
// padding, every known attribute's value size, at most kMaxAttributes attributes, no duplicate
// attribute types (except XOR-PEER-ADDRESS and XOR-RELAYED-ADDRESS, which TURN repeats; Find()
// returns the first), MESSAGE-INTEGRITY-SHA256 only after MESSAGE-INTEGRITY (if any), nothing but
// FINGERPRINT after MESSAGE-INTEGRITY*, and FINGERPRINT last — and returns an error naming the first
// violation. Attributes are then found lazily by type. Integrity and fingerprint checks are separate
// calls, because only the caller knows which key applies (and a checksum is work a caller may skip on
// a packet it will drop anyway).
//
// The view borrows the bytes: they must outlive it and must not change.
#ifndef TERN_STUN_MESSAGE_H_
#define TERN_STUN_MESSAGE_H_

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tern/base/byte_io.h"
#include "tern/base/ip_address.h"
#include "tern/stun/attributes.h"
#include "tern/stun/constants.h"
#include "tern/stun/credentials.h"

namespace tern::stun {

struct Attribute {
  uint16_t type = 0;
  ByteSpan value;       // without padding
  size_t offset = 0;    // of the attribute header from the start of the message
};

// Cheap pre-check for demultiplexing (RFC 7983 and RFC 8489 §6.3): first two bits zero, the magic
// cookie present, a length that is a multiple of 4 and matches the datagram size.
bool LooksLikeStun(ByteSpan datagram);

class MessageView {
 public:
  // An empty view (no bytes, no attributes); Parse() makes useful ones.
  MessageView() = default;
  // Parses a datagram holding exactly one STUN message.
  static absl::StatusOr<MessageView> Parse(ByteSpan datagram);

  MessageType type() const { return type_; }
  MessageClass message_class() const { return type_.cls; }
  uint16_t method() const { return type_.method; }
  const TransactionId& transaction_id() const { return transaction_id_; }
  ByteSpan bytes() const { return bytes_; }
  size_t attribute_count() const { return attribute_count_; }

  // Iteration in wire order.
  class Iterator {
   public:
    const Attribute& operator*() const { return current_; }
    const Attribute* operator->() const { return &current_; }
    Iterator& operator++();
    friend bool operator==(const Iterator& a, const Iterator& b) { return a.offset_ == b.offset_; }

   private:
    friend class MessageView;
    Iterator(ByteSpan bytes, size_t offset);
    void Load();
    ByteSpan bytes_;
    size_t offset_;
    Attribute current_;
  };
  Iterator begin() const { return Iterator(bytes_, kHeaderSize); }
  Iterator end() const { return Iterator(bytes_, bytes_.size()); }

  std::optional<Attribute> Find(uint16_t type) const;
  bool Has(uint16_t type) const { return Find(type).has_value(); }

  // Typed getters. absl::NotFoundError when the attribute is absent; the decoder's error when malformed.
  absl::StatusOr<SocketAddress> GetAddress(uint16_t type) const;
  absl::StatusOr<SocketAddress> GetXorAddress(uint16_t type) const;
  absl::StatusOr<SocketAddress> GetXorMappedAddress() const { return GetXorAddress(attr::kXorMappedAddress); }
  absl::StatusOr<SocketAddress> GetMappedAddress() const { return GetAddress(attr::kMappedAddress); }
  absl::StatusOr<std::string_view> GetText(uint16_t type) const;  // USERNAME, REALM, NONCE, SOFTWARE…
  absl::StatusOr<std::string_view> GetUsername() const { return GetText(attr::kUsername); }
  absl::StatusOr<std::string_view> GetRealm() const { return GetText(attr::kRealm); }
  absl::StatusOr<std::string_view> GetNonce() const { return GetText(attr::kNonce); }
  absl::StatusOr<std::string_view> GetSoftware() const { return GetText(attr::kSoftware); }
  absl::StatusOr<uint32_t> GetU32(uint16_t type) const;
  absl::StatusOr<uint64_t> GetU64(uint16_t type) const;
  absl::StatusOr<uint32_t> GetPriority() const { return GetU32(attr::kPriority); }
  absl::StatusOr<uint32_t> GetLifetime() const { return GetU32(attr::kLifetime); }
  absl::StatusOr<ErrorCodeValue> GetErrorCode() const;
  absl::StatusOr<std::vector<uint16_t>> GetUnknownAttributes() const;
  // CHANNEL-NUMBER in `range` (a TURN server may accept RFC 5766's wider one; constants.h).
  absl::StatusOr<uint16_t> GetChannelNumber(ChannelNumberRange range = ChannelNumberRange::kRfc8656) const;
  absl::StatusOr<ByteSpan> GetData() const;

  // Comprehension-required attribute types in this message that tern's codec does not know; a
  // request that has any must be answered with 420 (RFC 8489 §7.3.1). Appends to `out`.
  void CollectUnknownRequired(std::vector<uint16_t>* out) const;

  bool has_message_integrity() const { return integrity_offset_ != 0; }
  bool has_message_integrity_sha256() const { return integrity_sha256_offset_ != 0; }
  bool has_fingerprint() const { return fingerprint_offset_ != 0; }

  // RFC 8489 §14.5: HMAC-SHA1 over the message up to MESSAGE-INTEGRITY.
  absl::Status VerifyMessageIntegrity(const IntegrityKey& key) const;
  // RFC 8489 §14.6: HMAC-SHA256 (possibly truncated to 16..32 bytes) over the message up to it.
  absl::Status VerifyMessageIntegritySha256(const IntegrityKey& key) const;
  // The strongest integrity present: MESSAGE-INTEGRITY-SHA256 when there is one, otherwise
  // MESSAGE-INTEGRITY. absl::NotFoundError when neither is present.
  absl::Status VerifyIntegrity(const IntegrityKey& key) const;
  // RFC 8489 §14.7: CRC-32 of the message up to FINGERPRINT, XOR 0x5354554E.
  absl::Status VerifyFingerprint() const;

 private:
  // Fills *this from `datagram`; Parse() builds its result in place and calls this.
  absl::Status ParseInto(ByteSpan datagram);

  ByteSpan bytes_;
  MessageType type_;
  TransactionId transaction_id_;
  uint16_t attribute_count_ = 0;
  uint32_t integrity_offset_ = 0;          // 0 = absent (no attribute can start at 0)
  uint32_t integrity_sha256_offset_ = 0;
  uint32_t fingerprint_offset_ = 0;
};

}  // namespace tern::stun

#endif  // TERN_STUN_MESSAGE_H_
