// libFuzzer harness for the DCEP codec (RFC 8832 §5): DATA_CHANNEL_OPEN and DATA_CHANNEL_ACK.
// An input is one DCEP message (the payload of an SCTP message with PPID 50). Invariants:
//  - ParseDataChannelOpen accepts exactly the canonical layout, so what it accepts rebuilds
//    (BuildDataChannelOpen) to the same bytes and reparses to the same value;
//  - ParseDataChannelAck accepts exactly the messages whose first byte is 0x02 (trailing bytes, such
//    as Pion's padding to 4 bytes, are ignored);
//  - the input read as a recipe (channel type, priority, reliability, label and protocol taken from
//    it) builds exactly when the channel type is known, and what it builds parses back to the recipe.
// Any broken invariant traps (fuzz_check.h).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "fuzz_check.h"
#include "tern/base/byte_io.h"
#include "tern/sctp/dcep.h"

namespace tern::sctp {
namespace {

void CheckParse(ByteSpan input) {
  absl::StatusOr<uint8_t> type = PeekDcepMessageType(input);
  TERN_FUZZ_CHECK(type.ok() == !input.empty());
  absl::StatusOr<DataChannelOpen> open = ParseDataChannelOpen(input);
  if (open.ok()) {
    TERN_FUZZ_CHECK(*type == kDcepDataChannelOpen);
    TERN_FUZZ_CHECK(IsKnownChannelType(static_cast<uint8_t>(open->channel_type)));
    TERN_FUZZ_CHECK(input.size() == kDataChannelOpenHeaderSize + open->label.size() + open->protocol.size());
    absl::StatusOr<std::vector<uint8_t>> rebuilt = BuildDataChannelOpen(*open);
    TERN_FUZZ_CHECK_OK(rebuilt.status());
    TERN_FUZZ_CHECK(rebuilt->size() == input.size() &&
                    std::memcmp(rebuilt->data(), input.data(), input.size()) == 0);
    absl::StatusOr<DataChannelOpen> again = ParseDataChannelOpen(*rebuilt);
    TERN_FUZZ_CHECK_OK(again.status());
    TERN_FUZZ_CHECK(*again == *open);
  } else {
    TERN_FUZZ_CHECK(!open.status().message().empty());
  }
  absl::Status ack = ParseDataChannelAck(input);
  TERN_FUZZ_CHECK(ack.ok() == (!input.empty() && input[0] == kDcepDataChannelAck));
}

void CheckBuild(ByteSpan input) {
  ByteReader r(input);
  uint8_t channel_type = 0;
  uint16_t priority = 0, label_size = 0;
  uint32_t reliability = 0;
  if (!r.ReadU8(&channel_type) || !r.ReadU16(&priority) || !r.ReadU32(&reliability) ||
      !r.ReadU16(&label_size)) {
    return;
  }
  ByteSpan rest = r.rest();
  size_t split = std::min<size_t>(label_size, rest.size());
  DataChannelOpen open;
  open.channel_type = static_cast<ChannelType>(channel_type);
  open.priority = priority;
  open.reliability_parameter = reliability;
  open.label.assign(AsString(rest.first(split)));
  open.protocol.assign(AsString(rest.subspan(split)));
  bool valid = IsKnownChannelType(channel_type) && open.protocol.size() <= 0xFFFF;
  absl::StatusOr<std::vector<uint8_t>> wire = BuildDataChannelOpen(open);
  TERN_FUZZ_CHECK(wire.ok() == valid);
  if (!valid) return;
  absl::StatusOr<DataChannelOpen> parsed = ParseDataChannelOpen(*wire);
  TERN_FUZZ_CHECK_OK(parsed.status());
  TERN_FUZZ_CHECK(*parsed == open);
}

}  // namespace
}  // namespace tern::sctp

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tern::ByteSpan input(data, size);
  tern::sctp::CheckParse(input);
  tern::sctp::CheckBuild(input);
  return 0;
}
