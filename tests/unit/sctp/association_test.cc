// Two associations back to back in memory: handshake, data channels opened in-band (RFC 8832) and
// negotiated, every message kind (RFC 8831 §6.6), large messages, limits, closing by stream reset
// (RFC 8831 §6.7, RFC 6525), bufferedAmount, interleaving (RFC 8260), and packet sizes.
#include "tern/sctp/association.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "sctp/sctp_test_util.h"

namespace tern::sctp {
namespace {

using testing::BackToBack;
using testing::Pattern;

absl::StatusOr<uint16_t> Open(Association& assoc, std::string label, ChannelOptions options = {}) {
  options.label = std::move(label);
  return assoc.OpenChannel(options);
}

TEST(SctpAssociation, ConnectsBothWaysAndNegotiatesStreamsAndInterleaving) {
  BackToBack link;
  link.Connect();
  EXPECT_EQ(link.a().state(), AssociationState::kConnected);
  EXPECT_EQ(link.b().state(), AssociationState::kConnected);
  EXPECT_EQ(link.a().stats().outbound_streams, 256);  // AssociationConfig's default
  EXPECT_EQ(link.b().stats().inbound_streams, 256);
  EXPECT_TRUE(link.a().interleaving());
  EXPECT_TRUE(link.b().interleaving());
}

TEST(SctpAssociation, StreamsAreTheMinimumOfBothSidesAndBoundChannelIds) {
  AssociationConfig client, server;
  client.max_streams = 1024;
  server.max_streams = 300;
  BackToBack link(client, server);
  link.Connect();
  ASSERT_EQ(link.a().state(), AssociationState::kConnected);
  EXPECT_EQ(link.a().stats().outbound_streams, 300);
  EXPECT_EQ(link.a().stats().inbound_streams, 300);
  EXPECT_EQ(link.b().stats().outbound_streams, 300);
  EXPECT_EQ(link.b().stats().inbound_streams, 300);
  ChannelOptions negotiated;
  negotiated.negotiated = true;
  negotiated.id = 299;
  EXPECT_TRUE(Open(link.a(), "last", negotiated).ok());
  negotiated.id = 300;
  absl::StatusOr<uint16_t> beyond = Open(link.a(), "beyond", negotiated);
  EXPECT_EQ(beyond.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(beyond.status().message().find("300 streams"), std::string::npos) << beyond.status();
}

TEST(SctpAssociation, NoInterleavingWhenOneSideDoesNotOfferIt) {
  AssociationConfig server;
  server.enable_interleaving = false;
  BackToBack link({}, server);
  link.Connect();
  EXPECT_FALSE(link.a().interleaving());
  EXPECT_FALSE(link.b().interleaving());
}

TEST(SctpAssociation, PacketsNeverExceedTheMtu) {
  AssociationConfig config;
  config.mtu = 1200;
  BackToBack link(config, config);
  link.Connect();
  auto id = Open(link.a(), "big");
  ASSERT_TRUE(id.ok());
  // Both ways at once, so SACKs bundle with DATA; small messages too, so DATA chunks bundle.
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(link.a().Send(*id, MessageKind::kBinary, Pattern(200000, 1)).ok());
    for (int k = 0; k < 50; ++k)
      ASSERT_TRUE(link.a().Send(*id, MessageKind::kBinary, Pattern(100 + k * 7, k)).ok());
  }
  ASSERT_TRUE(
      link.RunUntil([&] { return link.Has(1, Event::Type::kChannelOpen, *id); }, Duration::Seconds(10)));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(link.b().Send(*id, MessageKind::kBinary, Pattern(150000, 2)).ok());
  ASSERT_TRUE(
      link.RunUntil([&] { return link.Messages(1, *id).size() == 153 && link.Messages(0, *id).size() == 3; },
                    Duration::Seconds(10)));
  EXPECT_LE(link.max_packet(), 1200u);
  EXPECT_GE(link.max_packet(), 1100u);  // and fills them
}

TEST(SctpAssociation, ChannelOpenedByTheClientUsesEvenIdsAndReachesTheServer) {
  BackToBack link;
  link.Connect();
  ChannelOptions options;
  options.protocol = "chat";
  options.ordered = false;
  options.max_retransmits = 3;
  options.priority = kPriorityHigh;
  auto first = Open(link.a(), "one", options);
  auto second = Open(link.a(), "two");
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(*first, 0);
  EXPECT_EQ(*second, 2);
  EXPECT_TRUE(
      link.RunUntil([&] { return link.Count(1, Event::Type::kChannelOpen) == 2; }, Duration::Seconds(5)));
  std::optional<ChannelInfo> info = link.b().Channel(0);
  ASSERT_TRUE(info.has_value());
  EXPECT_TRUE(info->remote);
  EXPECT_EQ(info->options.label, "one");
  EXPECT_EQ(info->options.protocol, "chat");
  EXPECT_FALSE(info->options.ordered);
  EXPECT_EQ(info->options.max_retransmits, 3);
  EXPECT_FALSE(info->options.max_packet_life_time_ms.has_value());
  EXPECT_EQ(info->options.priority, kPriorityHigh);
  EXPECT_EQ(info->state, ChannelState::kOpen);
  // The opener's channel is open as soon as DATA_CHANNEL_OPEN is queued.
  EXPECT_TRUE(link.Has(0, Event::Type::kChannelOpen, 0));
  EXPECT_FALSE(link.a().Channel(0)->remote);

  ASSERT_TRUE(link.a().Send(0, MessageKind::kText, AsBytes("hello")).ok());
  ASSERT_TRUE(link.b().Send(0, MessageKind::kText, AsBytes("hi back")).ok());
  ASSERT_TRUE(
      link.RunUntil([&] { return link.Messages(1, 0).size() == 1 && link.Messages(0, 0).size() == 1; },
                    Duration::Seconds(5)));
  EXPECT_EQ(AsString(link.Messages(1, 0)[0]->data), "hello");
  EXPECT_EQ(AsString(link.Messages(0, 0)[0]->data), "hi back");
}

TEST(SctpAssociation, ChannelOpenedByTheServerUsesOddIds) {
  BackToBack link;
  link.Connect();
  ChannelOptions options;
  options.max_packet_life_time_ms = 500;
  auto id = Open(link.b(), "from server", options);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, 1);
  ASSERT_TRUE(link.RunUntil([&] { return link.Has(0, Event::Type::kChannelOpen, 1); }, Duration::Seconds(5)));
  EXPECT_EQ(link.a().Channel(1)->options.label, "from server");
  EXPECT_EQ(link.a().Channel(1)->options.max_packet_life_time_ms, 500);
  ASSERT_TRUE(link.a().Send(1, MessageKind::kBinary, AsBytes("x")).ok());
  ASSERT_TRUE(link.RunUntil([&] { return link.Messages(1, 1).size() == 1; }, Duration::Seconds(5)));
}

TEST(SctpAssociation, ChannelsOpenedBeforeConnectOpenOnceConnected) {
  BackToBack link;
  auto id = Open(link.a(), "early");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(link.a().Channel(*id)->state, ChannelState::kConnecting);
  EXPECT_FALSE(link.a().Send(*id, MessageKind::kText, AsBytes("too soon")).ok());
  link.Connect();
  ASSERT_TRUE(
      link.RunUntil([&] { return link.Has(1, Event::Type::kChannelOpen, *id); }, Duration::Seconds(5)));
  EXPECT_TRUE(link.Has(0, Event::Type::kChannelOpen, *id));
}

TEST(SctpAssociation, NegotiatedChannelNeedsNoDcep) {
  BackToBack link;
  link.Connect();
  ChannelOptions options;
  options.negotiated = true;
  options.id = 7;
  auto a = Open(link.a(), "neg", options);
  auto b = Open(link.b(), "neg", options);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, 7);
  EXPECT_EQ(*b, 7);
  ASSERT_TRUE(link.a().Send(7, MessageKind::kText, AsBytes("ping")).ok());
  ASSERT_TRUE(link.b().Send(7, MessageKind::kText, AsBytes("pong")).ok());
  ASSERT_TRUE(
      link.RunUntil([&] { return link.Messages(1, 7).size() == 1 && link.Messages(0, 7).size() == 1; },
                    Duration::Seconds(5)));
  EXPECT_EQ(AsString(link.Messages(1, 7)[0]->data), "ping");
  EXPECT_EQ(AsString(link.Messages(0, 7)[0]->data), "pong");
  // Neither side saw a remote-opened channel.
  for (int i = 0; i < 2; ++i) {
    for (const Event& e : link.events(i)) EXPECT_FALSE(e.type == Event::Type::kChannelOpen && e.remote);
  }
  // The id is taken now.
  EXPECT_EQ(Open(link.a(), "again", options).status().code(), absl::StatusCode::kAlreadyExists);
}

TEST(SctpAssociation, RejectsBadChannelOptions) {
  BackToBack link;
  ChannelOptions both;
  both.max_retransmits = 1;
  both.max_packet_life_time_ms = 1;
  EXPECT_EQ(link.a().OpenChannel(both).status().code(), absl::StatusCode::kInvalidArgument);
  ChannelOptions no_id;
  no_id.negotiated = true;
  EXPECT_EQ(link.a().OpenChannel(no_id).status().code(), absl::StatusCode::kInvalidArgument);
  ChannelOptions id_only;
  id_only.id = 4;
  EXPECT_EQ(link.a().OpenChannel(id_only).status().code(), absl::StatusCode::kInvalidArgument);
  ChannelOptions long_label;
  long_label.label.assign(70000, 'x');
  EXPECT_EQ(link.a().OpenChannel(long_label).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(link.a().Send(99, MessageKind::kText, AsBytes("x")).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(link.a().CloseChannel(99).code(), absl::StatusCode::kNotFound);
}

TEST(SctpAssociation, CarriesEveryMessageKind) {
  BackToBack link;
  link.Connect();
  auto id = Open(link.a(), "kinds");
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(link.a().Send(*id, MessageKind::kText, AsBytes("text")).ok());
  ASSERT_TRUE(link.a().Send(*id, MessageKind::kBinary, Pattern(100, 7)).ok());
  ASSERT_TRUE(link.a().Send(*id, MessageKind::kText, ByteSpan()).ok());
  ASSERT_TRUE(link.a().Send(*id, MessageKind::kBinary, ByteSpan()).ok());
  std::vector<uint8_t> zeros(3, 0);
  ASSERT_TRUE(link.a().Send(*id, MessageKind::kBinary, zeros).ok());
  ASSERT_TRUE(link.RunUntil([&] { return link.Messages(1, *id).size() == 5; }, Duration::Seconds(5)));
  auto m = link.Messages(1, *id);
  EXPECT_EQ(m[0]->kind, MessageKind::kText);
  EXPECT_EQ(AsString(m[0]->data), "text");
  EXPECT_EQ(m[1]->kind, MessageKind::kBinary);
  EXPECT_EQ(m[1]->data, Pattern(100, 7));
  EXPECT_EQ(m[2]->kind, MessageKind::kText);
  EXPECT_TRUE(m[2]->data.empty());
  EXPECT_EQ(m[3]->kind, MessageKind::kBinary);
  EXPECT_TRUE(m[3]->data.empty());
  EXPECT_EQ(m[4]->data, zeros);
  EXPECT_EQ(link.a().Channel(*id)->messages_sent, 5u);
  EXPECT_EQ(link.b().Channel(*id)->messages_received, 5u);
  EXPECT_EQ(link.b().Channel(*id)->bytes_received, 107u);
}

class SctpTransfer : public ::testing::TestWithParam<size_t> {};

TEST_P(SctpTransfer, OneMebibyteArrivesByteExact) {
  const size_t message_size = GetParam();
  const size_t total = 1024 * 1024;
  BackToBack link;
  link.Connect();
  auto id = Open(link.a(), "bulk");
  ASSERT_TRUE(id.ok());
  std::vector<uint8_t> data = Pattern(total, 42);
  for (size_t off = 0; off < total; off += message_size) {
    ASSERT_TRUE(link.a().Send(*id, MessageKind::kBinary, ByteSpan(data).subspan(off, message_size)).ok());
  }
  const size_t count = total / message_size;
  ASSERT_TRUE(link.RunUntil([&] { return link.Messages(1, *id).size() == count; }, Duration::Seconds(60)));
  std::vector<uint8_t> got;
  for (const Event* e : link.Messages(1, *id)) {
    EXPECT_EQ(e->data.size(), message_size);
    got.insert(got.end(), e->data.begin(), e->data.end());
  }
  EXPECT_TRUE(got == data);
  EXPECT_EQ(link.a().BufferedAmount(*id), 0u);
}

INSTANTIATE_TEST_SUITE_P(MessageSizes, SctpTransfer, ::testing::Values(1024, 64 * 1024, 256 * 1024),
                         [](const auto& info) { return std::to_string(info.param / 1024) + "KiB"; });

TEST(SctpAssociation, RefusesMessagesAboveThePeersMaxMessageSize) {
  AssociationConfig client;
  client.remote_max_message_size = 64 * 1024;
  BackToBack link(client, {});
  link.Connect();
  auto id = Open(link.a(), "limit");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(link.a().max_send_message_size(), 64u * 1024);
  absl::Status too_big = link.a().Send(*id, MessageKind::kBinary, Pattern(64 * 1024 + 1, 1));
  EXPECT_EQ(too_big.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(too_big.message().find("max-message-size"), std::string::npos) << too_big;
  EXPECT_TRUE(link.a().Send(*id, MessageKind::kBinary, Pattern(64 * 1024, 1)).ok());
  ASSERT_TRUE(link.RunUntil([&] { return link.Messages(1, *id).size() == 1; }, Duration::Seconds(5)));
  // The default: 256 KiB.
  BackToBack defaults;
  EXPECT_EQ(defaults.a().max_send_message_size(), kDefaultMaxMessageSize);
}

TEST(SctpAssociation, DropsIncomingMessagesAboveOurMaxMessageSize) {
  AssociationConfig server;
  server.local_max_message_size = 16 * 1024;
  BackToBack link({}, server);
  link.Connect();
  auto id = Open(link.a(), "limit");
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(link.a().Send(*id, MessageKind::kBinary, Pattern(100 * 1024, 1)).ok());
  ASSERT_TRUE(link.a().Send(*id, MessageKind::kText, AsBytes("after")).ok());
  ASSERT_TRUE(link.RunUntil([&] { return link.Messages(1, *id).size() == 1; }, Duration::Seconds(5)));
  EXPECT_EQ(AsString(link.Messages(1, *id)[0]->data), "after");
  EXPECT_TRUE(link.Has(1, Event::Type::kChannelError, *id));
  EXPECT_EQ(link.b().stats().messages_dropped, 1u);
}

void CloseFrom(int closer) {
  BackToBack link;
  link.Connect();
  auto id = Open(link.a(), "closing");
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(
      link.RunUntil([&] { return link.Has(1, Event::Type::kChannelOpen, *id); }, Duration::Seconds(5)));
  // Queued data is delivered before the stream is reset.
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(link.at(closer).Send(*id, MessageKind::kBinary, Pattern(64 * 1024, i)).ok());
  }
  ASSERT_TRUE(link.at(closer).CloseChannel(*id).ok());
  EXPECT_EQ(link.at(closer).Channel(*id)->state, ChannelState::kClosing);
  EXPECT_EQ(link.at(closer).Send(*id, MessageKind::kText, AsBytes("late")).code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(link.RunUntil(
      [&] {
        return link.Has(0, Event::Type::kChannelClosed, *id) && link.Has(1, Event::Type::kChannelClosed, *id);
      },
      Duration::Seconds(10)));
  EXPECT_EQ(link.Messages(1 - closer, *id).size(), 20u);
  // Only the side that did not start the close hears "closing".
  EXPECT_EQ(link.Count(1 - closer, Event::Type::kChannelClosing, *id), 1u);
  EXPECT_EQ(link.Count(closer, Event::Type::kChannelClosing, *id), 0u);
  EXPECT_FALSE(link.a().Channel(*id).has_value());
  EXPECT_FALSE(link.b().Channel(*id).has_value());
  // The id is free again, and a new channel on it works.
  auto again = Open(link.a(), "reopened");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *id);
  ASSERT_TRUE(link.a().Send(*again, MessageKind::kText, AsBytes("new")).ok());
  ASSERT_TRUE(link.RunUntil([&] { return link.Messages(1, *id).size() == (closer == 1 ? 1u : 21u); },
                            Duration::Seconds(5)));
  EXPECT_EQ(AsString(link.Messages(1, *id).back()->data), "new");
  EXPECT_EQ(link.b().Channel(*id)->options.label, "reopened");
}

TEST(SctpAssociation, CloseFromTheOpenerResetsBothDirections) { CloseFrom(0); }
TEST(SctpAssociation, CloseFromThePeerResetsBothDirections) { CloseFrom(1); }

TEST(SctpAssociation, ClosingSeveralChannelsAtOnce) {
  BackToBack link;
  link.Connect();
  std::vector<uint16_t> ids;
  for (int i = 0; i < 6; ++i) ids.push_back(*Open(link.a(), "c" + std::to_string(i)));
  ASSERT_TRUE(
      link.RunUntil([&] { return link.Count(1, Event::Type::kChannelOpen) == 6; }, Duration::Seconds(5)));
  ASSERT_TRUE(link.a().CloseChannel(ids[0]).ok());
  ASSERT_TRUE(link.b().CloseChannel(ids[1]).ok());
  ASSERT_TRUE(link.a().CloseChannel(ids[2]).ok());
  ASSERT_TRUE(link.b().CloseChannel(ids[2]).ok());  // both at once
  ASSERT_TRUE(link.RunUntil(
      [&] {
        return link.Count(0, Event::Type::kChannelClosed) == 3 &&
               link.Count(1, Event::Type::kChannelClosed) == 3;
      },
      Duration::Seconds(10)));
  EXPECT_EQ(link.a().ChannelIds(), (std::vector<uint16_t>{ids[3], ids[4], ids[5]}));
  EXPECT_EQ(link.b().ChannelIds(), (std::vector<uint16_t>{ids[3], ids[4], ids[5]}));
}

TEST(SctpAssociation, BufferedAmountAndItsLowThresholdEvent) {
  BackToBack link;
  link.Connect();
  auto id = Open(link.a(), "buffered");
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(link.a().SetBufferedAmountLowThreshold(*id, 512 * 1024).ok());
  const size_t kMessage = 64 * 1024, kCount = 64;  // 4 MiB, far more than the 1 MiB send buffer
  for (size_t i = 0; i < kCount; ++i) {
    ASSERT_TRUE(link.a().Send(*id, MessageKind::kBinary, Pattern(kMessage, i)).ok());
  }
  size_t buffered = link.a().BufferedAmount(*id);
  EXPECT_GT(buffered, 2u * 1024 * 1024);
  EXPECT_EQ(buffered % kMessage, 0u);
  EXPECT_EQ(link.a().Channel(*id)->buffered_amount, buffered);
  EXPECT_FALSE(link.Has(0, Event::Type::kBufferedAmountLow));
  // It only goes down from here, and the event fires once, when it crosses the threshold.
  size_t last = buffered;
  bool crossed_seen = false;
  ASSERT_TRUE(link.RunUntil(
      [&] {
        size_t now = link.a().BufferedAmount(*id);
        EXPECT_LE(now, last);
        if (link.Has(0, Event::Type::kBufferedAmountLow) && !crossed_seen) {
          crossed_seen = true;
          EXPECT_LE(now, 512u * 1024);
        }
        last = now;
        return link.Messages(1, *id).size() == kCount;
      },
      Duration::Seconds(30)));
  EXPECT_EQ(link.a().BufferedAmount(*id), 0u);
  EXPECT_EQ(link.Count(0, Event::Type::kBufferedAmountLow, *id), 1u);
  for (size_t i = 0; i < kCount; ++i) EXPECT_EQ(link.Messages(1, *id)[i]->data, Pattern(kMessage, i));
}

// With I-DATA a small message on one channel overtakes a stream of 256 KiB messages on another; without
// it, it waits at most for the message in progress (plus what the stack already took).
size_t SmallMessageArrivalIndex(bool interleaving) {
  AssociationConfig config;
  config.enable_interleaving = interleaving;
  BackToBack link(config, config);
  link.Connect();
  uint16_t bulk = *Open(link.a(), "bulk");
  uint16_t chat = *Open(link.a(), "chat");
  for (int i = 0; i < 8; ++i)
    EXPECT_TRUE(link.a().Send(bulk, MessageKind::kBinary, Pattern(256 * 1024, i)).ok());
  EXPECT_TRUE(link.a().Send(chat, MessageKind::kText, AsBytes("urgent")).ok());
  EXPECT_TRUE(link.RunUntil([&] { return link.Messages(1, bulk).size() == 8; }, Duration::Seconds(30)));
  size_t bulk_before = 0;
  for (const Event& e : link.events(1)) {
    if (e.type != Event::Type::kMessage) continue;
    if (e.channel == chat) return bulk_before;
    ++bulk_before;
  }
  return 100;
}

TEST(SctpAssociation, LargeMessagesDoNotStarveOtherChannels) {
  size_t with_idata = SmallMessageArrivalIndex(true);
  size_t without = SmallMessageArrivalIndex(false);
  RecordProperty("bulk_before_small_with_idata", static_cast<int>(with_idata));
  RecordProperty("bulk_before_small_without_idata", static_cast<int>(without));
  EXPECT_EQ(with_idata, 0u) << "with I-DATA the small message overtakes the first 256 KiB message";
  EXPECT_LE(without, 4u) << "without I-DATA it still does not wait for the whole queue";
}

// Many channels from both sides at once, ordered and unordered, messages of mixed sizes interleaved:
// every channel gets exactly its own messages, in order where ordered.
TEST(SctpAssociation, ManyChannelsBothWaysAtOnce) {
  for (bool interleaving : {true, false}) {
    SCOPED_TRACE(interleaving ? "I-DATA" : "DATA");
    AssociationConfig config;
    config.enable_interleaving = interleaving;
    BackToBack link(config, config);
    link.Connect();
    std::vector<std::pair<int, uint16_t>> channels;  // (opener, id)
    for (int i = 0; i < 40; ++i) {
      ChannelOptions options;
      options.ordered = i % 3 != 0;
      int side = i % 2;
      auto id = Open(link.at(side), "c" + std::to_string(i), options);
      ASSERT_TRUE(id.ok()) << id.status();
      channels.push_back({side, *id});
    }
    ASSERT_TRUE(link.RunUntil(
        [&] {
          return link.Count(0, Event::Type::kChannelOpen) == 40 &&
                 link.Count(1, Event::Type::kChannelOpen) == 40;
        },
        Duration::Seconds(5)));
    const size_t sizes[] = {1, 700, 5000, 70000, 1200, 0, 250000, 33};
    for (size_t round = 0; round < 8; ++round) {
      for (size_t c = 0; c < channels.size(); ++c) {
        auto [side, id] = channels[c];
        size_t size = sizes[(round + c) % 8];
        ASSERT_TRUE(link.at(side).Send(id, MessageKind::kBinary, Pattern(size, c * 100 + round)).ok());
      }
    }
    ASSERT_TRUE(link.RunUntil(
        [&] {
          for (auto [side, id] : channels) {
            if (link.Messages(1 - side, id).size() < 8) return false;
          }
          return true;
        },
        Duration::Seconds(60)));
    for (size_t c = 0; c < channels.size(); ++c) {
      auto [side, id] = channels[c];
      auto got = link.Messages(1 - side, id);
      ASSERT_EQ(got.size(), 8u);
      std::vector<std::vector<uint8_t>> expected, received;
      for (size_t round = 0; round < 8; ++round)
        expected.push_back(Pattern(sizes[(round + c) % 8], c * 100 + round));
      for (const Event* e : got) received.push_back(e->data);
      if (!link.at(side).Channel(id)->options.ordered) {
        std::sort(expected.begin(), expected.end());
        std::sort(received.begin(), received.end());
      }
      EXPECT_TRUE(received == expected) << "channel " << id;
    }
  }
}

TEST(SctpAssociation, GracefulShutdownClosesBothSides) {
  BackToBack link;
  link.Connect();
  auto id = Open(link.a(), "x");
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(link.a().Send(*id, MessageKind::kText, AsBytes("last words")).ok());
  link.a().Shutdown();
  ASSERT_TRUE(
      link.RunUntil([&] { return link.Has(0, Event::Type::kClosed) && link.Has(1, Event::Type::kClosed); },
                    Duration::Seconds(10)));
  EXPECT_EQ(link.Messages(1, *id).size(), 1u);
  for (int i = 0; i < 2; ++i) {
    for (const Event& e : link.events(i)) {
      if (e.type == Event::Type::kClosed) {
        EXPECT_TRUE(e.status.ok()) << e.status;
      }
    }
    EXPECT_TRUE(link.Has(i, Event::Type::kChannelClosed, *id));
    EXPECT_EQ(link.at(i).state(), AssociationState::kClosed);
    EXPECT_FALSE(link.at(i).NextTimeout().has_value());
  }
}

TEST(SctpAssociation, AbortEndsBothSidesAtOnce) {
  BackToBack link;
  link.Connect();
  auto id = Open(link.a(), "x");
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(
      link.RunUntil([&] { return link.Has(1, Event::Type::kChannelOpen, *id); }, Duration::Seconds(5)));
  link.a().Abort();
  EXPECT_EQ(link.a().state(), AssociationState::kClosed);
  EXPECT_FALSE(link.a().NextTimeout().has_value());
  ASSERT_TRUE(link.RunUntil([&] { return link.Has(1, Event::Type::kClosed); }, Duration::Seconds(5)));
  for (int i = 0; i < 2; ++i) {
    EXPECT_TRUE(link.Has(i, Event::Type::kChannelClosed, *id));
    for (const Event& e : link.events(i)) {
      if (e.type == Event::Type::kClosed) {
        EXPECT_FALSE(e.status.ok());
      }
    }
  }
  EXPECT_EQ(link.b().state(), AssociationState::kClosed);
  EXPECT_EQ(link.a().Send(*id, MessageKind::kText, AsBytes("x")).code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(link.a().OpenChannel({}).ok());
}

TEST(SctpAssociation, IdleAssociationAsksForSparseTimeouts) {
  BackToBack link;
  link.Connect();
  link.RunFor(Duration::Seconds(2));
  link.a().HandleTimeout(link.now());
  std::optional<Timestamp> next = link.a().NextTimeout();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(*next - link.now(), Duration::Seconds(1));
  // Busy again: a fast tick.
  auto id = Open(link.a(), "x");
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(link.a().Send(*id, MessageKind::kText, AsBytes("x")).ok());
  ASSERT_TRUE(link.a().NextTimeout().has_value());
  EXPECT_LE(*link.a().NextTimeout() - link.now(), Duration::Millis(10));
}

}  // namespace
}  // namespace tern::sctp
