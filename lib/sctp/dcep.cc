// DCEP messages (RFC 8832 §5).
#include "tern/sctp/dcep.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace tern::sctp {

bool IsKnownChannelType(uint8_t type) {
  switch (type) {
    case 0x00:
    case 0x80:
    case 0x01:
    case 0x81:
    case 0x02:
    case 0x82:
      return true;
    default:
      return false;
  }
}

absl::StatusOr<uint8_t> PeekDcepMessageType(ByteSpan message) {
  if (message.empty()) return absl::InvalidArgumentError("DCEP: empty message");
  return message[0];
}

absl::StatusOr<DataChannelOpen> ParseDataChannelOpen(ByteSpan message) {
  ByteReader r(message);
  uint8_t type = 0, channel_type = 0;
  uint16_t priority = 0, label_length = 0, protocol_length = 0;
  uint32_t reliability = 0;
  if (!r.ReadU8(&type) || !r.ReadU8(&channel_type) || !r.ReadU16(&priority) || !r.ReadU32(&reliability) ||
      !r.ReadU16(&label_length) || !r.ReadU16(&protocol_length)) {
    return absl::InvalidArgumentError(
        absl::StrCat("DATA_CHANNEL_OPEN: ", message.size(), " bytes, shorter than its 12-byte header"));
  }
  if (type != kDcepDataChannelOpen) {
    return absl::InvalidArgumentError(absl::StrCat("DATA_CHANNEL_OPEN: message type ", type, ", not 3"));
  }
  if (!IsKnownChannelType(channel_type)) {
    return absl::InvalidArgumentError(
        absl::StrCat("DATA_CHANNEL_OPEN: unknown channel type 0x", absl::Hex(channel_type)));
  }
  size_t expected = size_t{label_length} + protocol_length;
  if (r.remaining() != expected) {
    return absl::InvalidArgumentError(absl::StrCat("DATA_CHANNEL_OPEN: label (", label_length,
                                                   ") and protocol (", protocol_length, ") need ", expected,
                                                   " bytes after the header, ", r.remaining(), " present"));
  }
  ByteSpan label, protocol;
  r.ReadBytes(label_length, &label);
  r.ReadBytes(protocol_length, &protocol);
  DataChannelOpen open;
  open.channel_type = static_cast<ChannelType>(channel_type);
  open.priority = priority;
  open.reliability_parameter = reliability;
  open.label.assign(AsString(label));
  open.protocol.assign(AsString(protocol));
  return open;
}

absl::Status ParseDataChannelAck(ByteSpan message) {
  // RFC 8832 §5.2 defines the ACK as the one type byte. Pion pads it to 4 bytes (all zero after the
  // type); the RFC gives the bytes after the type no meaning, so they are ignored, whatever they hold.
  if (message.empty()) {
    return absl::InvalidArgumentError("DATA_CHANNEL_ACK: empty message");
  }
  if (message[0] != kDcepDataChannelAck) {
    return absl::InvalidArgumentError(absl::StrCat("DATA_CHANNEL_ACK: message type ", message[0], ", not 2"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<uint8_t>> BuildDataChannelOpen(const DataChannelOpen& open) {
  if (open.label.size() > 0xFFFF || open.protocol.size() > 0xFFFF) {
    return absl::InvalidArgumentError(absl::StrCat("DATA_CHANNEL_OPEN: label (", open.label.size(),
                                                   " bytes) or protocol (", open.protocol.size(),
                                                   " bytes) longer than 65535"));
  }
  if (!IsKnownChannelType(static_cast<uint8_t>(open.channel_type))) {
    return absl::InvalidArgumentError("DATA_CHANNEL_OPEN: unknown channel type");
  }
  std::vector<uint8_t> out(kDataChannelOpenHeaderSize + open.label.size() + open.protocol.size());
  ByteWriter w(out);
  w.WriteU8(kDcepDataChannelOpen);
  w.WriteU8(static_cast<uint8_t>(open.channel_type));
  w.WriteU16(open.priority);
  w.WriteU32(open.reliability_parameter);
  w.WriteU16(static_cast<uint16_t>(open.label.size()));
  w.WriteU16(static_cast<uint16_t>(open.protocol.size()));
  w.WriteString(open.label);
  w.WriteString(open.protocol);
  return out;
}

std::vector<uint8_t> BuildDataChannelAck() { return {kDcepDataChannelAck}; }

}  // namespace tern::sctp
