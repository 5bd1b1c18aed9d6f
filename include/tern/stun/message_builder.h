// Builds a STUN message into a caller's buffer (RFC 8489 §5, §14): add attributes, then Finish() appends
// MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and FINGERPRINT as asked, in the order the RFC requires,
// and fixes up the header length for each. Nothing is allocated.
//
//   MessageBuilder b(buffer, {MessageClass::kSuccessResponse, method::kBinding}, request.transaction_id());
//   b.AddXorAddress(attr::kXorMappedAddress, source);
//   absl::StatusOr<ByteSpan> wire = b.Finish({.integrity = &key, .fingerprint = true});
//
// The builder checks as it goes, so whatever it finishes, MessageView::Parse accepts: the first problem
// (buffer too small, a value out of range or of a size the attribute cannot have, more than
// kMaxAttributes attributes, an attribute added after Finish) is remembered and returned by Finish(); later calls are ignored.
#ifndef TERN_STUN_MESSAGE_BUILDER_H_
#define TERN_STUN_MESSAGE_BUILDER_H_

#include <cstdint>
#include <span>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tern/base/byte_io.h"
#include "tern/base/ip_address.h"
#include "tern/stun/attributes.h"
#include "tern/stun/constants.h"
#include "tern/stun/credentials.h"

namespace tern::stun {

struct FinishOptions {
  const IntegrityKey* integrity = nullptr;         // add MESSAGE-INTEGRITY (HMAC-SHA1)
  const IntegrityKey* integrity_sha256 = nullptr;  // add MESSAGE-INTEGRITY-SHA256
  size_t sha256_size = 32;                         // truncation: 16..32, a multiple of 4
  bool fingerprint = false;                        // add FINGERPRINT
};

class MessageBuilder {
 public:
  MessageBuilder(MutableByteSpan buffer, MessageType type, const TransactionId& id);

  // A raw attribute; the value is padded with zeros to a multiple of 4.
  MessageBuilder& Add(uint16_t type, ByteSpan value);
  MessageBuilder& AddText(uint16_t type, std::string_view value);  // checks size limit and UTF-8
  MessageBuilder& AddFlag(uint16_t type) { return Add(type, {}); }  // USE-CANDIDATE, DONT-FRAGMENT
  MessageBuilder& AddU32(uint16_t type, uint32_t value);
  MessageBuilder& AddU64(uint16_t type, uint64_t value);
  MessageBuilder& AddAddress(uint16_t type, const SocketAddress& address);
  MessageBuilder& AddXorAddress(uint16_t type, const SocketAddress& address);
  MessageBuilder& AddErrorCode(int code, std::string_view reason);
  // Uses the RFC's reason phrase for the code.
  MessageBuilder& AddErrorCode(int code) { return AddErrorCode(code, DefaultReasonPhrase(code)); }
  MessageBuilder& AddUnknownAttributes(std::span<const uint16_t> types);
  // Fails unless `channel` is in `range` (constants.h).
  MessageBuilder& AddChannelNumber(uint16_t channel, ChannelNumberRange range = ChannelNumberRange::kRfc8656);
  MessageBuilder& AddRequestedTransport(uint8_t protocol);
  MessageBuilder& AddAddressFamily(uint16_t type, IpFamily family);  // REQUESTED-/ADDITIONAL-
  MessageBuilder& AddEvenPort(bool reserve);
  MessageBuilder& AddAddressErrorCode(IpFamily family, int code, std::string_view reason);
  MessageBuilder& AddIcmp(const IcmpValue& icmp);
  MessageBuilder& AddChangeRequest(ChangeRequestValue change);
  MessageBuilder& AddResponsePort(uint16_t port);
  MessageBuilder& AddPasswordAlgorithms(std::span<const PasswordAlgorithm> algorithms);
  MessageBuilder& AddPasswordAlgorithm(PasswordAlgorithm algorithm);
  MessageBuilder& AddPadding(size_t size);

  // Appends the trailer attributes and returns the finished message (a prefix of the buffer).
  absl::StatusOr<ByteSpan> Finish(const FinishOptions& options = {});

  const TransactionId& transaction_id() const { return id_; }
  absl::Status status() const { return status_; }

 private:
  MutableByteSpan BeginAttribute(uint16_t type, size_t length);
  void Fail(absl::Status status);
  void SetLength(size_t total);

  ByteWriter w_;
  TransactionId id_;
  absl::Status status_;
  size_t attribute_count_ = 0;  // including the trailers; Parse accepts at most kMaxAttributes
  bool finished_ = false;
};

}  // namespace tern::stun

#endif  // TERN_STUN_MESSAGE_BUILDER_H_
