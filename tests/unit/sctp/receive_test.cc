// The receive side of the data channel layer against hand-made messages: deprecated partial PPIDs
// (RFC 8831 §8: 52/54 reassembled), unknown PPIDs, malformed or misplaced DCEP (RFC 8832 §6), and
// messages for streams without a channel.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sctp/association_test_peer.h"
#include "sctp/sctp_test_util.h"
#include "tern/sctp/association.h"
#include "tern/sctp/dcep.h"

namespace tern::sctp {
namespace {

using testing::BackToBack;

class SctpReceive : public ::testing::Test {
 protected:
  void SetUp() override {
    link_.Connect();
    ChannelOptions options;
    options.label = "rx";
    id_ = *link_.a().OpenChannel(options);
    ASSERT_TRUE(
        link_.RunUntil([&] { return link_.Has(1, Event::Type::kChannelOpen, id_); }, Duration::Seconds(5)));
  }
  absl::Status Raw(uint16_t sid, Ppid ppid, std::string_view data) {
    return AssociationTestPeer::SendRaw(link_.a(), sid, static_cast<uint32_t>(ppid), AsBytes(data));
  }
  void Settle() { link_.RunFor(Duration::Millis(200)); }

  BackToBack link_;
  uint16_t id_ = 0;
};

TEST_F(SctpReceive, DeprecatedPartialStringIsReassembled) {
  ASSERT_TRUE(Raw(id_, Ppid::kStringPartial, "hel").ok());
  ASSERT_TRUE(Raw(id_, Ppid::kStringPartial, "lo ").ok());
  ASSERT_TRUE(Raw(id_, Ppid::kString, "world").ok());
  ASSERT_TRUE(Raw(id_, Ppid::kBinaryPartial, "ab").ok());
  ASSERT_TRUE(Raw(id_, Ppid::kBinary, "cd").ok());
  ASSERT_TRUE(link_.RunUntil([&] { return link_.Messages(1, id_).size() == 2; }, Duration::Seconds(5)));
  auto m = link_.Messages(1, id_);
  EXPECT_EQ(m[0]->kind, MessageKind::kText);
  EXPECT_EQ(AsString(m[0]->data), "hello world");
  EXPECT_EQ(m[1]->kind, MessageKind::kBinary);
  EXPECT_EQ(AsString(m[1]->data), "abcd");
}

TEST_F(SctpReceive, EmptyPpidsIgnoreTheirPaddingByte) {
  ASSERT_TRUE(Raw(id_, Ppid::kStringEmpty, std::string(1, '\0')).ok());
  ASSERT_TRUE(Raw(id_, Ppid::kBinaryEmpty, "x").ok());
  ASSERT_TRUE(link_.RunUntil([&] { return link_.Messages(1, id_).size() == 2; }, Duration::Seconds(5)));
  EXPECT_TRUE(link_.Messages(1, id_)[0]->data.empty());
  EXPECT_EQ(link_.Messages(1, id_)[0]->kind, MessageKind::kText);
  EXPECT_TRUE(link_.Messages(1, id_)[1]->data.empty());
  EXPECT_EQ(link_.Messages(1, id_)[1]->kind, MessageKind::kBinary);
}

TEST_F(SctpReceive, UnknownPpidIsAChannelErrorAndChangesNothing) {
  ASSERT_TRUE(AssociationTestPeer::SendRaw(link_.a(), id_, 99, AsBytes("?")).ok());
  ASSERT_TRUE(Raw(id_, Ppid::kString, "fine").ok());
  ASSERT_TRUE(link_.RunUntil([&] { return link_.Messages(1, id_).size() == 1; }, Duration::Seconds(5)));
  EXPECT_EQ(AsString(link_.Messages(1, id_)[0]->data), "fine");
  EXPECT_TRUE(link_.Has(1, Event::Type::kChannelError, id_));
  EXPECT_EQ(link_.b().stats().messages_dropped, 1u);
}

TEST_F(SctpReceive, MalformedDcepIsRefused) {
  ASSERT_TRUE(Raw(10, Ppid::kDcep, std::string("\x03\x00", 2)).ok());  // truncated OPEN
  ASSERT_TRUE(Raw(12, Ppid::kDcep, std::string("\x07", 1)).ok());      // unknown DCEP type
  Settle();
  EXPECT_TRUE(link_.Has(1, Event::Type::kChannelError, 10));
  EXPECT_TRUE(link_.Has(1, Event::Type::kChannelError, 12));
  EXPECT_FALSE(link_.b().Channel(10).has_value());
  EXPECT_FALSE(link_.b().Channel(12).has_value());
}

TEST_F(SctpReceive, OpenWithThePeersParityOrOnABusyStreamIsRefused) {
  std::vector<uint8_t> open = *BuildDataChannelOpen({.label = "sneaky", .protocol = ""});
  // The server (b) owns odd ids: an OPEN from the client on 11 breaks RFC 8832 §6.
  ASSERT_TRUE(AssociationTestPeer::SendRaw(link_.a(), 11, static_cast<uint32_t>(Ppid::kDcep), open).ok());
  // And id_ is already in use.
  ASSERT_TRUE(AssociationTestPeer::SendRaw(link_.a(), id_, static_cast<uint32_t>(Ppid::kDcep), open).ok());
  Settle();
  EXPECT_TRUE(link_.Has(1, Event::Type::kChannelError, 11));
  EXPECT_FALSE(link_.b().Channel(11).has_value());
  EXPECT_TRUE(link_.Has(1, Event::Type::kChannelError, id_));
  EXPECT_EQ(link_.b().Channel(id_)->options.label, "rx");
  EXPECT_EQ(link_.Count(1, Event::Type::kChannelOpen), 1u);
}

TEST_F(SctpReceive, MessagesForStreamsWithoutAChannelAreDropped) {
  ASSERT_TRUE(Raw(20, Ppid::kString, "nobody home").ok());
  ASSERT_TRUE(Raw(id_, Ppid::kString, "somebody").ok());
  ASSERT_TRUE(link_.RunUntil([&] { return link_.Messages(1, id_).size() == 1; }, Duration::Seconds(5)));
  EXPECT_TRUE(link_.Messages(1, 20).empty());
  EXPECT_EQ(link_.b().stats().messages_dropped, 1u);
}

TEST_F(SctpReceive, InBandOpenFromTheClientOpensOnTheServer) {
  // A hand-made OPEN (as a browser would send) creates the channel and is ACKed.
  std::vector<uint8_t> open =
      *BuildDataChannelOpen({.channel_type = ChannelType::kPartialReliableTimedUnordered,
                             .priority = 128,
                             .reliability_parameter = 3000,
                             .label = "browser",
                             .protocol = "p"});
  ASSERT_TRUE(AssociationTestPeer::SendRaw(link_.a(), 8, static_cast<uint32_t>(Ppid::kDcep), open).ok());
  ASSERT_TRUE(
      link_.RunUntil([&] { return link_.Has(1, Event::Type::kChannelOpen, 8); }, Duration::Seconds(5)));
  ChannelInfo info = *link_.b().Channel(8);
  EXPECT_TRUE(info.remote);
  EXPECT_FALSE(info.options.ordered);
  EXPECT_EQ(info.options.max_packet_life_time_ms, 3000);
  EXPECT_EQ(info.options.priority, 128);
  EXPECT_EQ(info.options.protocol, "p");
}

}  // namespace
}  // namespace tern::sctp
