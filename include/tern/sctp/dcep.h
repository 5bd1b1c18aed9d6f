// The Data Channel Establishment Protocol (RFC 8832 §5): DATA_CHANNEL_OPEN and DATA_CHANNEL_ACK, and
// the SCTP Payload Protocol Identifiers WebRTC data channels use (RFC 8831 §8, RFC 8832 §8.1).
//
// Parse* are strict about the layout: a DATA_CHANNEL_OPEN must be exactly 12 bytes plus its label and
// protocol, with a channel type RFC 8832 §5.1 defines; a DATA_CHANNEL_ACK is its type byte, and any bytes
// after it are ignored (Pion pads the ACK to 4 bytes; the RFC gives them no meaning). Anything
// else is kInvalidArgument with a message. Label and protocol are taken as bytes (they are UTF-8 by the
// RFC; the data channel layer does not reinterpret them). Neither parser allocates beyond the two strings.
#ifndef TERN_SCTP_DCEP_H_
#define TERN_SCTP_DCEP_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tern/base/byte_io.h"

namespace tern::sctp {

// RFC 8831 §8 / RFC 8832 §8.1. 52 and 54 (partial messages) are deprecated: received and reassembled,
// never sent. Empty messages are sent as one byte (0x00) with 56 or 57 (RFC 8831 §6.6).
enum class Ppid : uint32_t {
  kDcep = 50,
  kString = 51,
  kBinaryPartial = 52,  // deprecated
  kBinary = 53,
  kStringPartial = 54,  // deprecated
  kStringEmpty = 56,
  kBinaryEmpty = 57,
};

// RFC 8832 §5.1 Message Type.
inline constexpr uint8_t kDcepDataChannelAck = 0x02;
inline constexpr uint8_t kDcepDataChannelOpen = 0x03;
// The fixed part of DATA_CHANNEL_OPEN (RFC 8832 §5.1).
inline constexpr size_t kDataChannelOpenHeaderSize = 12;

// RFC 8832 §5.1 Channel Type: bit 7 = unordered, low bits = reliability.
enum class ChannelType : uint8_t {
  kReliable = 0x00,
  kReliableUnordered = 0x80,
  kPartialReliableRexmit = 0x01,
  kPartialReliableRexmitUnordered = 0x81,
  kPartialReliableTimed = 0x02,
  kPartialReliableTimedUnordered = 0x82,
};

bool IsKnownChannelType(uint8_t type);
inline bool IsUnordered(ChannelType t) { return (static_cast<uint8_t>(t) & 0x80) != 0; }

// RFC 8831 §6.4 / RFC 8832 §5.1 priorities (W3C "very-low" .. "high").
inline constexpr uint16_t kPriorityBelowNormal = 128;
inline constexpr uint16_t kPriorityNormal = 256;
inline constexpr uint16_t kPriorityHigh = 512;
inline constexpr uint16_t kPriorityExtraHigh = 1024;

// DATA_CHANNEL_OPEN (RFC 8832 §5.1). `reliability_parameter` is the retransmission count for
// kPartialReliableRexmit*, the lifetime in milliseconds for kPartialReliableTimed*, and is ignored
// (sent as 0) for the reliable types.
struct DataChannelOpen {
  ChannelType channel_type = ChannelType::kReliable;
  uint16_t priority = kPriorityNormal;
  uint32_t reliability_parameter = 0;
  std::string label;
  std::string protocol;

  bool operator==(const DataChannelOpen&) const = default;
};

// The message type byte of a DCEP message, or kInvalidArgument for an empty one.
absl::StatusOr<uint8_t> PeekDcepMessageType(ByteSpan message);

absl::StatusOr<DataChannelOpen> ParseDataChannelOpen(ByteSpan message);
absl::Status ParseDataChannelAck(ByteSpan message);

// kInvalidArgument when the label or protocol is longer than 65535 bytes.
absl::StatusOr<std::vector<uint8_t>> BuildDataChannelOpen(const DataChannelOpen& open);
std::vector<uint8_t> BuildDataChannelAck();

}  // namespace tern::sctp

#endif  // TERN_SCTP_DCEP_H_
