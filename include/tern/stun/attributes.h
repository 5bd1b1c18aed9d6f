// Typed values of STUN/TURN/ICE attributes and their strict decoders (RFC 8489 §14, RFC 8656 §18,
// RFC 6062 §6.2, RFC 8445 §16.1, RFC 5780 §7). Decoders take an attribute's value bytes (no header,
// no padding) and return an absl::Status saying what is wrong when the value is malformed. String and
// span results point into the decoded buffer.
#ifndef TERN_STUN_ATTRIBUTES_H_
#define TERN_STUN_ATTRIBUTES_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "tern/base/byte_io.h"
#include "tern/base/ip_address.h"
#include "tern/stun/constants.h"

namespace tern::stun {

// Largest values the RFCs allow, in bytes.
inline constexpr size_t kMaxUsernameSize = 512;    // §14.3: "less than 513 bytes"
inline constexpr size_t kMaxRealmSize = 763;       // §14.9
inline constexpr size_t kMaxNonceSize = 763;       // §14.10
inline constexpr size_t kMaxSoftwareSize = 763;    // §14.14
inline constexpr size_t kMaxReasonSize = 763;      // §14.8
inline constexpr size_t kMaxAlternateDomainSize = 255;  // §14.16 (a DNS name)

struct ErrorCodeValue {
  int code = 0;                 // 300..699
  std::string_view reason;      // UTF-8, at most kMaxReasonSize bytes
};

struct AddressErrorCodeValue {  // RFC 8656 §18.11
  IpFamily family = IpFamily::kUnspecified;
  int code = 0;
  std::string_view reason;
};

struct PasswordAlgorithmValue {  // RFC 8489 §14.11-§14.12
  uint16_t algorithm = 0;        // PasswordAlgorithm, or an unknown number to skip
  ByteSpan parameters;
};

struct IcmpValue {  // RFC 8656 §18.13
  uint8_t type = 0;
  uint8_t code = 0;
  uint32_t error_data = 0;
};

struct ChangeRequestValue {  // RFC 5780 §7.2
  bool change_ip = false;
  bool change_port = false;
};

// Fixed-size constraints checked during parsing: the exact (or min/max) value length of every known
// attribute type. Returns false when `length` is not allowed for `type`; unknown types allow anything.
bool IsValidAttributeLength(uint16_t type, size_t length);

// MAPPED-ADDRESS, ALTERNATE-SERVER, RESPONSE-ORIGIN, OTHER-ADDRESS.
absl::StatusOr<SocketAddress> DecodeAddress(ByteSpan value);
// XOR-MAPPED-ADDRESS, XOR-PEER-ADDRESS, XOR-RELAYED-ADDRESS.
absl::StatusOr<SocketAddress> DecodeXorAddress(ByteSpan value, const TransactionId& id);
absl::StatusOr<ErrorCodeValue> DecodeErrorCode(ByteSpan value);
absl::StatusOr<AddressErrorCodeValue> DecodeAddressErrorCode(ByteSpan value);
// UNKNOWN-ATTRIBUTES: a list of 16-bit types.
absl::StatusOr<std::vector<uint16_t>> DecodeUnknownAttributes(ByteSpan value);
// PASSWORD-ALGORITHMS: one or more entries.
absl::StatusOr<std::vector<PasswordAlgorithmValue>> DecodePasswordAlgorithms(ByteSpan value);
// PASSWORD-ALGORITHM: exactly one entry.
absl::StatusOr<PasswordAlgorithmValue> DecodePasswordAlgorithm(ByteSpan value);
// REQUESTED-ADDRESS-FAMILY, ADDITIONAL-ADDRESS-FAMILY.
absl::StatusOr<IpFamily> DecodeAddressFamily(ByteSpan value);
// CHANNEL-NUMBER: a number in `range` (constants.h) and 2 RFFU bytes (not checked).
absl::StatusOr<uint16_t> DecodeChannelNumber(ByteSpan value,
                                             ChannelNumberRange range = ChannelNumberRange::kRfc8656);
absl::StatusOr<uint8_t> DecodeRequestedTransport(ByteSpan value);
absl::StatusOr<bool> DecodeEvenPort(ByteSpan value);             // the R (reserve) bit
absl::StatusOr<IcmpValue> DecodeIcmp(ByteSpan value);
absl::StatusOr<ChangeRequestValue> DecodeChangeRequest(ByteSpan value);
absl::StatusOr<uint16_t> DecodeResponsePort(ByteSpan value);
absl::StatusOr<uint32_t> DecodeU32(ByteSpan value);  // PRIORITY, LIFETIME, CONNECTION-ID
absl::StatusOr<uint64_t> DecodeU64(ByteSpan value);  // ICE-CONTROLLING/-CONTROLLED, RESERVATION-TOKEN
// USERNAME, REALM, NONCE, SOFTWARE, ALTERNATE-DOMAIN: checks the size limit of `type` and that the
// bytes are valid UTF-8.
absl::StatusOr<std::string_view> DecodeText(uint16_t type, ByteSpan value);

bool IsValidUtf8(std::string_view s);

}  // namespace tern::stun

#endif  // TERN_STUN_ATTRIBUTES_H_
