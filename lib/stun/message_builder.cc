#include "tern/stun/message_builder.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tern/base/crc32.h"
#include "tern/base/strings.h"

namespace tern::stun {
namespace {

inline size_t Padded(size_t n) { return (n + 3) & ~size_t{3}; }

uint8_t FamilyCode(IpFamily f) { return f == IpFamily::kV6 ? kFamilyV6 : kFamilyV4; }

}  // namespace

MessageBuilder::MessageBuilder(MutableByteSpan buffer, MessageType type, const TransactionId& id)
    : w_(buffer), id_(id) {
  w_.WriteU16(type.Encode());
  w_.WriteU16(0);
  w_.WriteU32(kMagicCookie);
  w_.WriteBytes(id.bytes);
  if (!w_.ok()) Fail(absl::ResourceExhaustedError("STUN buffer smaller than the 20-byte header"));
}

void MessageBuilder::Fail(absl::Status status) {
  if (status_.ok()) status_ = std::move(status);
}

void MessageBuilder::SetLength(size_t total) {
  w_.PatchU16(2, static_cast<uint16_t>(total - kHeaderSize));
}

MutableByteSpan MessageBuilder::BeginAttribute(uint16_t type, size_t length) {
  if (!status_.ok()) return {};
  if (finished_) {
    Fail(absl::FailedPreconditionError("attribute added after Finish()"));
    return {};
  }
  if (!IsValidAttributeLength(type, length)) {
    Fail(absl::InvalidArgumentError(
        absl::StrCat(ToAbsl(AttributeName(type)), " cannot have a value of ", length, " bytes")));
    return {};
  }
  if (++attribute_count_ > kMaxAttributes) {
    Fail(absl::InvalidArgumentError(absl::StrCat("more than ", kMaxAttributes, " attributes")));
    return {};
  }
  if (length > 0xFFFF || w_.size() + kAttributeHeaderSize + Padded(length) - kHeaderSize > 0xFFFF) {
    Fail(absl::InvalidArgumentError("STUN message would exceed 65535 bytes"));
    return {};
  }
  w_.WriteU16(type);
  w_.WriteU16(static_cast<uint16_t>(length));
  MutableByteSpan value = w_.Reserve(Padded(length));
  if (!w_.ok()) {
    Fail(absl::ResourceExhaustedError(
        absl::StrCat("STUN buffer too small for ", ToAbsl(AttributeName(type)))));
    return {};
  }
  // Zero the padding; callers fill the first `length` bytes.
  if (Padded(length) != length) std::memset(value.data() + length, 0, Padded(length) - length);
  // Keep the header length current so a partially built message is always well formed.
  SetLength(w_.size());
  return value.first(length);
}

MessageBuilder& MessageBuilder::Add(uint16_t type, ByteSpan value) {
  if (value.empty()) {
    BeginAttribute(type, 0);
    return *this;
  }
  MutableByteSpan v = BeginAttribute(type, value.size());
  if (!v.empty()) std::memcpy(v.data(), value.data(), value.size());
  return *this;
}

MessageBuilder& MessageBuilder::AddText(uint16_t type, std::string_view value) {
  if (!IsValidAttributeLength(type, value.size())) {
    Fail(absl::InvalidArgumentError(absl::StrCat(ToAbsl(AttributeName(type)), " of ", value.size(),
                                                 " bytes exceeds the RFC limit")));
    return *this;
  }
  if (!IsValidUtf8(value)) {
    Fail(absl::InvalidArgumentError(absl::StrCat(ToAbsl(AttributeName(type)), " is not valid UTF-8")));
    return *this;
  }
  return Add(type, AsBytes(value));
}

MessageBuilder& MessageBuilder::AddU32(uint16_t type, uint32_t value) {
  MutableByteSpan v = BeginAttribute(type, 4);
  if (!v.empty()) StoreBigEndian32(v.data(), value);
  return *this;
}

MessageBuilder& MessageBuilder::AddU64(uint16_t type, uint64_t value) {
  MutableByteSpan v = BeginAttribute(type, 8);
  if (!v.empty()) StoreBigEndian64(v.data(), value);
  return *this;
}

MessageBuilder& MessageBuilder::AddAddress(uint16_t type, const SocketAddress& address) {
  if (!address.is_set()) {
    Fail(absl::InvalidArgumentError(absl::StrCat(ToAbsl(AttributeName(type)), " needs an IP address")));
    return *this;
  }
  std::span<const uint8_t> ip = address.ip().bytes();
  MutableByteSpan v = BeginAttribute(type, 4 + ip.size());
  if (v.empty()) return *this;
  v[0] = 0;
  v[1] = FamilyCode(address.family());
  StoreBigEndian16(v.data() + 2, address.port());
  std::memcpy(v.data() + 4, ip.data(), ip.size());
  return *this;
}

MessageBuilder& MessageBuilder::AddXorAddress(uint16_t type, const SocketAddress& address) {
  if (!address.is_set()) {
    Fail(absl::InvalidArgumentError(absl::StrCat(ToAbsl(AttributeName(type)), " needs an IP address")));
    return *this;
  }
  std::span<const uint8_t> ip = address.ip().bytes();
  MutableByteSpan v = BeginAttribute(type, 4 + ip.size());
  if (v.empty()) return *this;
  uint8_t mask[16];
  StoreBigEndian32(mask, kMagicCookie);
  std::memcpy(mask + 4, id_.bytes.data(), 12);
  v[0] = 0;
  v[1] = FamilyCode(address.family());
  StoreBigEndian16(v.data() + 2, address.port() ^ static_cast<uint16_t>(kMagicCookie >> 16));
  for (size_t i = 0; i < ip.size(); ++i) v[4 + i] = ip[i] ^ mask[i];
  return *this;
}

namespace {
bool ValidErrorCode(int code) { return code >= 300 && code <= 699; }
}  // namespace

MessageBuilder& MessageBuilder::AddErrorCode(int code, std::string_view reason) {
  if (!ValidErrorCode(code)) {
    Fail(absl::InvalidArgumentError(absl::StrCat("ERROR-CODE ", code, " outside 300..699")));
    return *this;
  }
  if (reason.size() > kMaxReasonSize || !IsValidUtf8(reason)) {
    Fail(absl::InvalidArgumentError("ERROR-CODE reason phrase too long or not UTF-8"));
    return *this;
  }
  MutableByteSpan v = BeginAttribute(attr::kErrorCode, 4 + reason.size());
  if (v.empty()) return *this;
  v[0] = 0;
  v[1] = 0;
  v[2] = static_cast<uint8_t>(code / 100);
  v[3] = static_cast<uint8_t>(code % 100);
  if (!reason.empty()) std::memcpy(v.data() + 4, reason.data(), reason.size());
  return *this;
}

MessageBuilder& MessageBuilder::AddAddressErrorCode(IpFamily family, int code, std::string_view reason) {
  if (!ValidErrorCode(code) || family == IpFamily::kUnspecified) {
    Fail(absl::InvalidArgumentError(absl::StrCat("ADDRESS-ERROR-CODE ", code, " invalid")));
    return *this;
  }
  if (reason.size() > kMaxReasonSize || !IsValidUtf8(reason)) {
    Fail(absl::InvalidArgumentError("ADDRESS-ERROR-CODE reason phrase too long or not UTF-8"));
    return *this;
  }
  MutableByteSpan v = BeginAttribute(attr::kAddressErrorCode, 4 + reason.size());
  if (v.empty()) return *this;
  v[0] = FamilyCode(family);
  v[1] = 0;
  v[2] = static_cast<uint8_t>(code / 100);
  v[3] = static_cast<uint8_t>(code % 100);
  if (!reason.empty()) std::memcpy(v.data() + 4, reason.data(), reason.size());
  return *this;
}

MessageBuilder& MessageBuilder::AddUnknownAttributes(std::span<const uint16_t> types) {
  MutableByteSpan v = BeginAttribute(attr::kUnknownAttributes, types.size() * 2);
  if (v.empty()) return *this;
  for (size_t i = 0; i < types.size(); ++i) StoreBigEndian16(v.data() + 2 * i, types[i]);
  return *this;
}

MessageBuilder& MessageBuilder::AddChannelNumber(uint16_t channel, ChannelNumberRange range) {
  if (!IsValidChannelNumber(channel, range)) {
    Fail(absl::InvalidArgumentError(absl::StrFormat("channel number 0x%04x outside 0x%04X..0x%04X", channel,
                                                    kMinChannelNumber, MaxChannelNumber(range))));
    return *this;
  }
  return AddU32(attr::kChannelNumber, uint32_t{channel} << 16);
}

MessageBuilder& MessageBuilder::AddRequestedTransport(uint8_t protocol) {
  return AddU32(attr::kRequestedTransport, uint32_t{protocol} << 24);
}

MessageBuilder& MessageBuilder::AddAddressFamily(uint16_t type, IpFamily family) {
  if (family == IpFamily::kUnspecified) {
    Fail(absl::InvalidArgumentError("address family attribute needs v4 or v6"));
    return *this;
  }
  return AddU32(type, uint32_t{FamilyCode(family)} << 24);
}

MessageBuilder& MessageBuilder::AddEvenPort(bool reserve) {
  uint8_t v = reserve ? 0x80 : 0x00;
  return Add(attr::kEvenPort, ByteSpan(&v, 1));
}

MessageBuilder& MessageBuilder::AddIcmp(const IcmpValue& icmp) {
  MutableByteSpan v = BeginAttribute(attr::kIcmp, 8);
  if (v.empty()) return *this;
  v[0] = 0;
  v[1] = 0;
  v[2] = icmp.type;
  v[3] = icmp.code;
  StoreBigEndian32(v.data() + 4, icmp.error_data);
  return *this;
}

MessageBuilder& MessageBuilder::AddChangeRequest(ChangeRequestValue change) {
  return AddU32(attr::kChangeRequest, (change.change_ip ? 0x4u : 0u) | (change.change_port ? 0x2u : 0u));
}

MessageBuilder& MessageBuilder::AddResponsePort(uint16_t port) {
  return AddU32(attr::kResponsePort, uint32_t{port} << 16);
}

MessageBuilder& MessageBuilder::AddPasswordAlgorithms(std::span<const PasswordAlgorithm> algorithms) {
  if (algorithms.empty()) {
    Fail(absl::InvalidArgumentError("PASSWORD-ALGORITHMS needs at least one algorithm"));
    return *this;
  }
  MutableByteSpan v = BeginAttribute(attr::kPasswordAlgorithms, 4 * algorithms.size());
  if (v.empty()) return *this;
  for (size_t i = 0; i < algorithms.size(); ++i) {
    StoreBigEndian16(v.data() + 4 * i, static_cast<uint16_t>(algorithms[i]));
    StoreBigEndian16(v.data() + 4 * i + 2, 0);
  }
  return *this;
}

MessageBuilder& MessageBuilder::AddPasswordAlgorithm(PasswordAlgorithm algorithm) {
  return AddU32(attr::kPasswordAlgorithm, uint32_t{static_cast<uint16_t>(algorithm)} << 16);
}

MessageBuilder& MessageBuilder::AddPadding(size_t size) {
  MutableByteSpan v = BeginAttribute(attr::kPadding, size);
  if (!v.empty()) std::memset(v.data(), 0, v.size());
  return *this;
}

absl::StatusOr<ByteSpan> MessageBuilder::Finish(const FinishOptions& options) {
  if (!status_.ok()) return status_;
  if (finished_) return absl::FailedPreconditionError("Finish() called twice");
  if (options.integrity_sha256 != nullptr &&
      (options.sha256_size < kMessageIntegritySha256MinSize ||
       options.sha256_size > kMessageIntegritySha256MaxSize || options.sha256_size % 4 != 0)) {
    return absl::InvalidArgumentError(absl::StrCat("MESSAGE-INTEGRITY-SHA256 size ", options.sha256_size,
                                                   " must be 16..32 and a multiple of 4"));
  }
  if (options.integrity != nullptr) {
    // BeginAttribute sets the header length to include this attribute, which is what the HMAC covers.
    size_t start = w_.size();
    MutableByteSpan v = BeginAttribute(attr::kMessageIntegrity, kMessageIntegritySize);
    if (v.empty()) return status_;
    ByteSpan covered[1] = {w_.written().first(start)};
    options.integrity->HmacSha1(covered, v.data());
  }
  if (options.integrity_sha256 != nullptr) {
    size_t start = w_.size();
    MutableByteSpan v = BeginAttribute(attr::kMessageIntegritySha256, options.sha256_size);
    if (v.empty()) return status_;
    uint8_t mac[32];
    ByteSpan covered[1] = {w_.written().first(start)};
    options.integrity_sha256->HmacSha256(covered, mac);
    std::memcpy(v.data(), mac, options.sha256_size);
  }
  if (options.fingerprint) {
    size_t start = w_.size();
    MutableByteSpan v = BeginAttribute(attr::kFingerprint, 4);
    if (v.empty()) return status_;
    StoreBigEndian32(v.data(), Crc32(w_.written().first(start)) ^ kFingerprintXor);
  }
  finished_ = true;
  return w_.written();
}

}  // namespace tern::stun
