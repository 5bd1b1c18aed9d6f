// DCEP message codec (RFC 8832 §5).
#include "tern/sctp/dcep.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace tern::sctp {
namespace {

// RFC 8832 §5.1 layout, byte by byte.
TEST(Dcep, DataChannelOpenLayout) {
  DataChannelOpen open;
  open.channel_type = ChannelType::kPartialReliableRexmitUnordered;
  open.priority = kPriorityNormal;
  open.reliability_parameter = 5;
  open.label = "chat";
  open.protocol = "proto";
  absl::StatusOr<std::vector<uint8_t>> wire = BuildDataChannelOpen(open);
  ASSERT_TRUE(wire.ok()) << wire.status();
  const std::vector<uint8_t> expected = {0x03, 0x81, 0x01, 0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x04, 0x00,
                                         0x05, 'c',  'h',  'a',  't',  'p',  'r',  'o',  't',  'o'};
  EXPECT_EQ(*wire, expected);
  absl::StatusOr<DataChannelOpen> parsed = ParseDataChannelOpen(*wire);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, open);
  EXPECT_TRUE(IsUnordered(parsed->channel_type));
  EXPECT_EQ(*PeekDcepMessageType(*wire), kDcepDataChannelOpen);
}

TEST(Dcep, EveryChannelTypeRoundTrips) {
  for (ChannelType type : {ChannelType::kReliable, ChannelType::kReliableUnordered,
                           ChannelType::kPartialReliableRexmit, ChannelType::kPartialReliableRexmitUnordered,
                           ChannelType::kPartialReliableTimed, ChannelType::kPartialReliableTimedUnordered}) {
    DataChannelOpen open{.channel_type = type,
                         .priority = 1024,
                         .reliability_parameter = 0xDEADBEEF,
                         .label = std::string(300, 'L'),
                         .protocol = ""};
    auto wire = BuildDataChannelOpen(open);
    ASSERT_TRUE(wire.ok());
    EXPECT_EQ(wire->size(), 12u + 300);
    auto parsed = ParseDataChannelOpen(*wire);
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, open);
  }
}

TEST(Dcep, EmptyLabelAndProtocol) {
  auto wire = BuildDataChannelOpen({});
  ASSERT_TRUE(wire.ok());
  EXPECT_EQ(wire->size(), kDataChannelOpenHeaderSize);
  auto parsed = ParseDataChannelOpen(*wire);
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->label.empty());
  EXPECT_TRUE(parsed->protocol.empty());
  EXPECT_EQ(parsed->channel_type, ChannelType::kReliable);
}

TEST(Dcep, RejectsMalformedOpen) {
  std::vector<uint8_t> good = *BuildDataChannelOpen({.label = "ab", .protocol = "c"});
  auto expect_invalid = [](std::vector<uint8_t> bytes, const char* why) {
    absl::StatusOr<DataChannelOpen> parsed = ParseDataChannelOpen(bytes);
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << why;
    EXPECT_FALSE(parsed.status().message().empty()) << why;
  };
  expect_invalid({}, "empty");
  expect_invalid(std::vector<uint8_t>(good.begin(), good.begin() + 11), "short header");
  std::vector<uint8_t> b = good;
  b[0] = kDcepDataChannelAck;
  expect_invalid(b, "ACK type");
  for (uint8_t bad_type : {0x03, 0x83, 0x40, 0x7F, 0xFF}) {
    b = good;
    b[1] = bad_type;
    expect_invalid(b, "unknown channel type");
  }
  b = good;
  b.push_back(0);
  expect_invalid(b, "trailing byte");
  b = good;
  b.pop_back();
  expect_invalid(b, "truncated protocol");
  b = good;
  b[9] = 0xFF;  // label length 255
  expect_invalid(b, "label overruns");
  b = good;
  b[8] = 0xFF;
  b[9] = 0xFF;
  b[10] = 0xFF;
  b[11] = 0xFF;  // 2 * 65535 bytes claimed
  expect_invalid(b, "huge lengths");
}

TEST(Dcep, Ack) {
  EXPECT_EQ(BuildDataChannelAck(), std::vector<uint8_t>{0x02});
  EXPECT_TRUE(ParseDataChannelAck(BuildDataChannelAck()).ok());
  EXPECT_FALSE(ParseDataChannelAck(std::vector<uint8_t>{}).ok());
  // Pion 3.1 sends the ACK padded to 4 bytes; the padding carries nothing and is accepted.
  EXPECT_TRUE(ParseDataChannelAck(std::vector<uint8_t>{0x02, 0x00, 0x00, 0x00}).ok());
  EXPECT_TRUE(ParseDataChannelAck(std::vector<uint8_t>{0x02, 0x00}).ok());
  EXPECT_FALSE(ParseDataChannelAck(std::vector<uint8_t>{0x03}).ok());
  EXPECT_FALSE(PeekDcepMessageType(ByteSpan()).ok());
}

TEST(Dcep, BuildRefusesOversizedStrings) {
  DataChannelOpen open;
  open.label.assign(65536, 'x');
  EXPECT_EQ(BuildDataChannelOpen(open).status().code(), absl::StatusCode::kInvalidArgument);
  open.label.clear();
  open.protocol.assign(65536, 'x');
  EXPECT_EQ(BuildDataChannelOpen(open).status().code(), absl::StatusCode::kInvalidArgument);
  open.protocol.assign(65535, 'x');
  open.label.assign(65535, 'y');
  auto wire = BuildDataChannelOpen(open);
  ASSERT_TRUE(wire.ok());
  EXPECT_EQ(ParseDataChannelOpen(*wire)->protocol.size(), 65535u);
  open.channel_type = static_cast<ChannelType>(0x05);
  EXPECT_FALSE(BuildDataChannelOpen(open).ok());
}

TEST(Dcep, PayloadProtocolIdentifiers) {
  // RFC 8831 §8 / RFC 8832 §8.1 (IANA).
  EXPECT_EQ(static_cast<uint32_t>(Ppid::kDcep), 50u);
  EXPECT_EQ(static_cast<uint32_t>(Ppid::kString), 51u);
  EXPECT_EQ(static_cast<uint32_t>(Ppid::kBinaryPartial), 52u);
  EXPECT_EQ(static_cast<uint32_t>(Ppid::kBinary), 53u);
  EXPECT_EQ(static_cast<uint32_t>(Ppid::kStringPartial), 54u);
  EXPECT_EQ(static_cast<uint32_t>(Ppid::kStringEmpty), 56u);
  EXPECT_EQ(static_cast<uint32_t>(Ppid::kBinaryEmpty), 57u);
}

}  // namespace
}  // namespace tern::sctp
