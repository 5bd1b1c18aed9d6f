// Partial reliability under loss (RFC 3758: maxRetransmits = 0 never retransmits), garbage input, and
// many associations in one process.
#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sctp/association_test_peer.h"
#include "sctp/sctp_test_util.h"
#include "sctp/usrsctp_stack.h"
#include "tern/base/random.h"
#include "tern/sctp/association.h"

namespace tern::sctp {
namespace {

using testing::BackToBack;
using testing::Chunks;
using testing::Pattern;

struct LossRun {
  size_t sent = 0;
  size_t received = 0;
  size_t data_chunks = 0;    // DATA / I-DATA chunks the sender put on the wire
  size_t distinct_tsns = 0;  // their distinct TSNs
  size_t forward_tsns = 0;   // FORWARD-TSN / I-FORWARD-TSN chunks
};

// 400 messages of 600 bytes on one channel while the link loses 20% of the sender's packets. Paced to
// real time (retransmission needs it), about two seconds.
LossRun SendThroughLoss(ChannelOptions options, bool interleaving) {
  AssociationConfig config;
  config.enable_interleaving = interleaving;
  config.rto_min = Duration::Millis(100);
  BackToBack link(config, config, Duration::Millis(5));
  link.Connect();
  options.label = "lossy";
  auto id = link.a().OpenChannel(options);
  EXPECT_TRUE(id.ok());
  // Let DATA_CHANNEL_OPEN and its ACK through before the link turns lossy.
  EXPECT_TRUE(
      link.RunUntil([&] { return link.Has(1, Event::Type::kChannelOpen, *id); }, Duration::Seconds(5)));
  link.RunFor(Duration::Millis(100));
  SeededRandom random(1234);
  link.set_drop([&](int from, const std::vector<uint8_t>&) { return from == 0 && random.Bernoulli(0.2); });
  link.set_capture(true);
  link.PaceToRealTime();
  LossRun run;
  for (int round = 0; round < 20; ++round) {
    for (int i = 0; i < 20; ++i) {
      EXPECT_TRUE(link.a().Send(*id, MessageKind::kBinary, Pattern(600, run.sent)).ok());
      ++run.sent;
    }
    link.RunFor(Duration::Millis(20));
  }
  // Until everything is acknowledged or abandoned (reliable: delivered).
  link.RunUntil([&] { return link.Messages(1, *id).size() == run.sent; }, Duration::Seconds(2));
  run.received = link.Messages(1, *id).size();
  std::set<uint32_t> tsns;
  for (const auto& packet : link.sent(0)) {
    for (const testing::Chunk& c : Chunks(packet)) {
      if ((c.type == testing::kChunkData || c.type == testing::kChunkIData) && c.value.size() >= 4) {
        ++run.data_chunks;
        tsns.insert(LoadBigEndian32(c.value.data()));
      }
      if (c.type == testing::kChunkForwardTsn || c.type == testing::kChunkIForwardTsn) ++run.forward_tsns;
    }
  }
  run.distinct_tsns = tsns.size();
  return run;
}

TEST(SctpPartialReliability, MaxRetransmitsZeroNeverRetransmits) {
  for (bool interleaving : {true, false}) {
    SCOPED_TRACE(interleaving ? "I-DATA" : "DATA");
    ChannelOptions options;
    options.ordered = false;
    options.max_retransmits = 0;
    LossRun run = SendThroughLoss(options, interleaving);
    EXPECT_GT(run.data_chunks, 300u);
    EXPECT_EQ(run.data_chunks, run.distinct_tsns) << "a TSN went out twice";
    EXPECT_LT(run.received, run.sent);  // losses are not repaired
    EXPECT_GT(run.received, run.sent / 2);
    EXPECT_GT(run.forward_tsns, 0u);  // the receiver is told to skip what was abandoned
  }
}

TEST(SctpPartialReliability, ReliableChannelRetransmitsUnderTheSameLoss) {
  LossRun run = SendThroughLoss(ChannelOptions{}, true);
  EXPECT_EQ(run.received, run.sent);
  EXPECT_GT(run.data_chunks, run.distinct_tsns);  // the counting above does see retransmissions
}

TEST(SctpPartialReliability, OrderedUnreliableDeliversInOrder) {
  ChannelOptions options;
  options.max_retransmits = 0;
  AssociationConfig config;
  config.rto_min = Duration::Millis(100);
  BackToBack link(config, config, Duration::Millis(5));
  link.Connect();
  auto id = link.a().OpenChannel(options);
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(
      link.RunUntil([&] { return link.Has(1, Event::Type::kChannelOpen, *id); }, Duration::Seconds(5)));
  link.RunFor(Duration::Millis(100));
  SeededRandom random(99);
  link.set_drop([&](int from, const std::vector<uint8_t>&) { return from == 0 && random.Bernoulli(0.15); });
  link.PaceToRealTime();
  for (uint32_t i = 0; i < 300; ++i) {
    uint8_t seq[4] = {static_cast<uint8_t>(i >> 24), static_cast<uint8_t>(i >> 16),
                      static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)};
    ASSERT_TRUE(link.a().Send(*id, MessageKind::kBinary, ByteSpan(seq, 4)).ok());
    if (i % 10 == 9) link.RunFor(Duration::Millis(20));
  }
  link.RunFor(Duration::Seconds(1));
  auto got = link.Messages(1, *id);
  ASSERT_GT(got.size(), 100u);
  EXPECT_LT(got.size(), 300u);
  uint32_t previous = 0;
  for (size_t k = 0; k < got.size(); ++k) {
    uint32_t v = LoadBigEndian32(got[k]->data.data());
    if (k > 0) {
      EXPECT_GT(v, previous);
    }
    previous = v;
  }
}

TEST(SctpPartialReliability, MaxPacketLifeTimeAbandonsOldMessages) {
  ChannelOptions options;
  options.ordered = false;
  options.max_packet_life_time_ms = 50;
  AssociationConfig config;
  config.rto_min = Duration::Millis(100);
  BackToBack link(config, config, Duration::Millis(5));
  link.Connect();
  auto id = link.a().OpenChannel(options);
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(
      link.RunUntil([&] { return link.Has(1, Event::Type::kChannelOpen, *id); }, Duration::Seconds(5)));
  link.RunFor(Duration::Millis(100));
  SeededRandom random(7);
  link.set_drop([&](int from, const std::vector<uint8_t>&) { return from == 0 && random.Bernoulli(0.3); });
  link.PaceToRealTime();
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(link.a().Send(*id, MessageKind::kBinary, Pattern(500, i)).ok());
    if (i % 10 == 9) link.RunFor(Duration::Millis(20));
  }
  link.RunFor(Duration::Seconds(1));
  size_t got = link.Messages(1, *id).size();
  EXPECT_LT(got, 200u);
  EXPECT_GT(got, 100u);
}

// Garbage never crashes the association nor changes it: a transfer afterwards works.
TEST(SctpRobustness, GarbagePacketsAreRejectedAndChangeNothing) {
  BackToBack link;
  link.set_capture(true);
  link.Connect();
  auto id = link.a().OpenChannel({});
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(link.a().Send(*id, MessageKind::kText, AsBytes("before")).ok());
  ASSERT_TRUE(link.RunUntil([&] { return link.Messages(1, *id).size() == 1; }, Duration::Seconds(5)));
  std::vector<std::vector<uint8_t>> real = link.sent(0);
  ASSERT_FALSE(real.empty());

  SeededRandom random(2024);
  Association& b = link.b();
  size_t refused = 0;
  for (int i = 0; i < 3000; ++i) {
    std::vector<uint8_t> packet;
    switch (i % 4) {
      case 0:  // random bytes, random length
        packet.resize(random.Uniform(1500));
        random.Fill(packet);
        break;
      case 1:  // random bytes behind the right ports (fails the checksum)
        packet.resize(16 + random.Uniform(1200));
        random.Fill(packet);
        StoreBigEndian16(packet.data(), 5000);
        StoreBigEndian16(packet.data() + 2, 5000);
        break;
      case 2: {  // a real packet with one bit flipped (fails the checksum)
        packet = real[random.Uniform(real.size())];
        size_t bit = random.Uniform(packet.size() * 8);
        packet[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
        break;
      }
      default:  // a real packet cut short
        packet = real[random.Uniform(real.size())];
        packet.resize(random.Uniform(packet.size()));
        break;
    }
    if (!b.HandleInput(packet, link.now()).ok()) ++refused;
    link.Drain(1);
  }
  EXPECT_GT(refused, 1000u);
  EXPECT_EQ(b.stats().packets_rejected, refused);
  EXPECT_FALSE(link.Has(1, Event::Type::kClosed));
  EXPECT_FALSE(link.Has(1, Event::Type::kChannelError));
  ASSERT_TRUE(link.a().Send(*id, MessageKind::kText, AsBytes("after")).ok());
  ASSERT_TRUE(link.RunUntil([&] { return link.Messages(1, *id).size() == 2; }, Duration::Seconds(5)));
  EXPECT_EQ(AsString(link.Messages(1, *id)[1]->data), "after");
  EXPECT_EQ(b.state(), AssociationState::kConnected);
}

// Packets that pass the checksum and carry the right verification tag but random chunks reach
// usrsctp's chunk parsers. They may legitimately end the association (a random ABORT chunk); they must
// not crash or hang it.
TEST(SctpRobustness, ValidChecksumGarbageDoesNotCrash) {
  BackToBack link;
  link.set_capture(true);
  link.Connect();
  std::vector<uint8_t> header(link.sent(0).back().begin(), link.sent(0).back().begin() + 12);
  SeededRandom random(77);
  for (int i = 0; i < 3000; ++i) {
    std::vector<uint8_t> packet = header;
    size_t chunks = 1 + random.Uniform(4);
    for (size_t c = 0; c < chunks; ++c) {
      size_t value = random.Uniform(64);
      size_t start = packet.size();
      packet.resize(start + 4 + ((value + 3) & ~size_t{3}));
      random.Fill(std::span<uint8_t>(packet).subspan(start));
      StoreBigEndian16(packet.data() + start + 2,
                       static_cast<uint16_t>(4 + value + (random.Bernoulli(0.1) ? 40 : 0)));
    }
    testing::FixChecksum(packet);
    (void)link.b().HandleInput(packet, link.now());
    link.Drain(1);
  }
  link.RunFor(Duration::Seconds(1));
  SUCCEED() << "b ended in state " << static_cast<int>(link.b().state());
}

TEST(SctpRobustness, ChecksumHelperMatchesUsrsctp) {
  BackToBack link;
  link.set_capture(true);
  link.Connect();
  for (const auto& packet : link.sent(0)) {
    std::vector<uint8_t> copy = packet;
    testing::FixChecksum(copy);
    EXPECT_EQ(copy, packet);
  }
}

TEST(SctpRobustness, InputBeforeConnectIsKeptWithinLimits) {
  auto assoc = Association::Create({});
  ASSERT_TRUE(assoc.ok());
  std::vector<uint8_t> packet(40, 0);
  StoreBigEndian16(packet.data(), 5000);
  StoreBigEndian16(packet.data() + 2, 5000);
  EXPECT_EQ((*assoc)->HandleInput(packet, testing::FreshStart()).code(), absl::StatusCode::kInvalidArgument)
      << "bad checksum";
  testing::FixChecksum(packet);
  for (int i = 0; i < 8; ++i) EXPECT_TRUE((*assoc)->HandleInput(packet, testing::FreshStart()).ok());
  EXPECT_EQ((*assoc)->HandleInput(packet, testing::FreshStart()).code(),
            absl::StatusCode::kResourceExhausted);
  StoreBigEndian16(packet.data(), 5001);
  EXPECT_EQ((*assoc)->HandleInput(packet, testing::FreshStart()).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ((*assoc)->HandleInput(ByteSpan(packet).first(10), testing::FreshStart()).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(SctpRobustness, RejectsBadConfigs) {
  AssociationConfig small_mtu;
  small_mtu.mtu = 100;
  EXPECT_EQ(Association::Create(small_mtu).status().code(), absl::StatusCode::kInvalidArgument);
  AssociationConfig no_streams;
  no_streams.max_streams = 0;
  EXPECT_EQ(Association::Create(no_streams).status().code(), absl::StatusCode::kInvalidArgument);
  AssociationConfig rto;
  rto.rto_min = Duration::Seconds(5);
  EXPECT_EQ(Association::Create(rto).status().code(), absl::StatusCode::kInvalidArgument);
}

// 200 pairs (400 associations) on one clock: all connect, open a channel each way, and exchange data.
TEST(SctpScale, TwoHundredPairsInOneProcess) {
  constexpr int kPairs = 200;
  size_t live_before = LiveAssociations();
  Timestamp start = testing::FreshStart();
  std::vector<std::unique_ptr<BackToBack>> pairs;
  for (int i = 0; i < kPairs; ++i) {
    pairs.push_back(
        std::make_unique<BackToBack>(AssociationConfig{}, AssociationConfig{}, Duration::Millis(1), start));
  }
  EXPECT_EQ(LiveAssociations(), live_before + 2 * kPairs);
  for (auto& p : pairs) p->StartConnect();
  for (auto& p : pairs) {
    ChannelOptions options;
    options.label = "a";
    ASSERT_TRUE(p->a().OpenChannel(options).ok());
    options.label = "b";
    ASSERT_TRUE(p->b().OpenChannel(options).ok());
  }
  auto all = [&](auto predicate) {
    for (auto& p : pairs) {
      if (!predicate(*p)) return false;
    }
    return true;
  };
  auto run_until = [&](auto predicate, Duration limit) {
    Timestamp deadline = start + limit;
    while (!all(predicate)) {
      std::optional<Timestamp> next;
      for (auto& p : pairs) {
        std::optional<Timestamp> t = p->NextEventTime();
        if (t && (!next || *t < *next)) next = t;
      }
      if (!next || *next > deadline) return false;
      for (auto& p : pairs) p->AdvanceTo(*next);
    }
    return true;
  };
  ASSERT_TRUE(run_until(
      [](BackToBack& p) {
        return p.Has(0, Event::Type::kChannelOpen, 1) && p.Has(1, Event::Type::kChannelOpen, 0);
      },
      Duration::Seconds(20)));
  for (int i = 0; i < kPairs; ++i) {
    ASSERT_TRUE(pairs[i]->a().Send(0, MessageKind::kBinary, Pattern(20000, i)).ok());
    ASSERT_TRUE(pairs[i]->b().Send(1, MessageKind::kBinary, Pattern(30000, i)).ok());
  }
  ASSERT_TRUE(
      run_until([](BackToBack& p) { return p.Messages(1, 0).size() == 1 && p.Messages(0, 1).size() == 1; },
                Duration::Seconds(40)));
  for (int i = 0; i < kPairs; ++i) {
    EXPECT_EQ(pairs[i]->Messages(1, 0)[0]->data, Pattern(20000, i));
    EXPECT_EQ(pairs[i]->Messages(0, 1)[0]->data, Pattern(30000, i));
  }
  pairs.clear();
  EXPECT_EQ(LiveAssociations(), live_before);
}

}  // namespace
}  // namespace tern::sctp

namespace tern::sctp {
namespace {

// usrsctp's timers are shared: driving one association can fire another's timer. That association's
// packet is queued for it and its wake handler runs (and not for packets of its own calls).
TEST(SctpTimers, AnotherAssociationsTimerWakesItsOwner) {
  Timestamp start = testing::FreshStart();
  auto lonely = Association::Create({});
  ASSERT_TRUE(lonely.ok());
  int wakes = 0;
  (*lonely)->SetWakeHandler([&] { ++wakes; });
  ASSERT_TRUE((*lonely)->Connect(start).ok());
  EXPECT_EQ(wakes, 0);                                 // its own INIT, sent during its own call
  ASSERT_TRUE((*lonely)->PollTransmit().has_value());  // the INIT; nobody answers it
  EXPECT_FALSE((*lonely)->PollTransmit().has_value());

  // Another pair, driven alone for 2.5 s: T1-init (1 s initial RTO) of `lonely` fires meanwhile.
  BackToBack other({}, {}, Duration::Millis(1), start);
  other.Connect();
  other.AdvanceTo(start + Duration::Millis(2500));
  EXPECT_GE(wakes, 1);
  EXPECT_TRUE((*lonely)->PollTransmit().has_value()) << "the retransmitted INIT waits in lonely's queue";
}

// The peer's INIT arrives before we Connect (its DTLS finished first): it is kept and answered at
// Connect, so the handshake does not wait for a T1-init retransmission (1 s).
TEST(SctpTimers, InitBeforeConnectIsAnsweredAtConnect) {
  testing::BackToBack link;
  Timestamp start = link.now();
  ASSERT_TRUE(link.a().Connect(start).ok());
  std::optional<std::vector<uint8_t>> init = link.a().PollTransmit();
  ASSERT_TRUE(init.has_value());
  ASSERT_TRUE(link.b().HandleInput(*init, start).ok());  // b has not connected yet
  EXPECT_FALSE(link.b().PollTransmit().has_value());
  ASSERT_TRUE(link.b().Connect(start + Duration::Millis(5)).ok());
  link.RunFor(Duration::Millis(5));
  ASSERT_TRUE(link.RunUntil([&] { return link.Connected(); }, Duration::Seconds(5)));
  EXPECT_LT(link.now() - start, Duration::Millis(100));
}

// A fresh virtual clock that starts far behind the shared timer list (as a new test's does) is shifted
// onto it: its timers still fire after the durations they were set for.
TEST(SctpTimers, FreshClockBehindTheStackStillFiresTimers) {
  auto other = Association::Create({});
  ASSERT_TRUE(other.ok());
  Timestamp far = testing::FreshStart() + Duration::Seconds(1000);
  ASSERT_TRUE((*other)->Connect(far).ok());  // moves the stack 1000 s ahead
  ASSERT_GE(UsrsctpStackTime(), far);

  auto lonely = Association::Create({});
  ASSERT_TRUE(lonely.ok());
  Timestamp t0 = Timestamp::Seconds(1);
  ASSERT_TRUE((*lonely)->Connect(t0).ok());
  ASSERT_TRUE((*lonely)->PollTransmit().has_value());  // INIT
  (*lonely)->HandleTimeout(t0 + Duration::Millis(500));
  EXPECT_FALSE((*lonely)->PollTransmit().has_value());  // T1-init (1 s) not yet
  (*lonely)->HandleTimeout(t0 + Duration::Millis(1100));
  EXPECT_TRUE((*lonely)->PollTransmit().has_value()) << "INIT retransmitted after 1 s of its own clock";
}

}  // namespace
}  // namespace tern::sctp

namespace tern::sctp {
namespace {

// Random operations from both sides (in-band and negotiated opens, every message kind and size, closes,
// raw DCEP garbage) interleaved with running the link. Nothing crashes, the association stays up, and
// every reliable ordered channel that was never closed delivered exactly what was sent, in order.
TEST(SctpRobustness, RandomOperations) {
  for (uint64_t seed : {11u, 12u, 13u}) {
    SCOPED_TRACE(::testing::Message() << "seed " << seed);
    BackToBack link;
    link.Connect();
    SeededRandom r(seed);
    std::map<std::pair<int, uint16_t>, std::vector<std::vector<uint8_t>>> sent;  // (sender, id) -> messages
    std::set<uint16_t> ever_closed, unreliable;
    const size_t sizes[] = {0, 1, 100, 1500, 20000, 70000, 300000};
    for (int step = 0; step < 300; ++step) {
      int side = static_cast<int>(r.Uniform(2));
      Association& me = link.at(side);
      std::vector<uint16_t> ids = me.ChannelIds();
      switch (r.Uniform(7)) {
        case 0: {
          ChannelOptions o;
          o.label = "r" + std::to_string(step);
          o.ordered = r.Bernoulli(0.7);
          if (r.Bernoulli(0.3)) o.max_retransmits = static_cast<uint16_t>(r.Uniform(3));
          auto id = me.OpenChannel(o);
          if (id.ok() && (!o.ordered || o.max_retransmits)) unreliable.insert(*id);
          break;
        }
        case 1: {
          ChannelOptions o;
          o.negotiated = true;
          o.id = static_cast<uint16_t>(200 + r.Uniform(40));
          o.label = "neg";
          auto a = link.a().OpenChannel(o);
          auto b = link.b().OpenChannel(o);
          (void)a;
          (void)b;
          break;
        }
        case 2:
        case 3:
        case 4: {
          if (ids.empty()) break;
          uint16_t id = ids[r.Uniform(ids.size())];
          std::vector<uint8_t> data = testing::Pattern(sizes[r.Uniform(7)], static_cast<uint32_t>(step));
          MessageKind kind = r.Bernoulli(0.5) ? MessageKind::kText : MessageKind::kBinary;
          if (me.Send(id, kind, data).ok()) sent[{side, id}].push_back(std::move(data));
          break;
        }
        case 5: {
          if (ids.empty() || !r.Bernoulli(0.3)) break;
          uint16_t id = ids[r.Uniform(ids.size())];
          ever_closed.insert(id);
          (void)me.CloseChannel(id);
          break;
        }
        default: {
          std::vector<uint8_t> junk(r.Uniform(30));
          r.Fill(junk);
          uint16_t sid = static_cast<uint16_t>(300 + r.Uniform(50));
          (void)AssociationTestPeer::SendRaw(me, sid, static_cast<uint32_t>(Ppid::kDcep), junk);
          break;
        }
      }
      link.RunFor(Duration::Millis(r.Uniform(20)));
    }
    link.RunFor(Duration::Seconds(3));
    EXPECT_EQ(link.a().state(), AssociationState::kConnected);
    EXPECT_EQ(link.b().state(), AssociationState::kConnected);
    size_t checked = 0;
    for (const auto& [key, messages] : sent) {
      auto [side, id] = key;
      if (ever_closed.contains(id) || unreliable.contains(id)) continue;
      std::optional<ChannelInfo> info = link.at(side).Channel(id);
      if (!info || !info->options.ordered || info->options.max_retransmits) continue;
      auto got = link.Messages(1 - side, id);
      ASSERT_EQ(got.size(), messages.size()) << "channel " << id << " from side " << side;
      for (size_t i = 0; i < got.size(); ++i) EXPECT_TRUE(got[i]->data == messages[i]) << id << " #" << i;
      ++checked;
    }
    EXPECT_GT(checked, 3u);
  }
}

}  // namespace
}  // namespace tern::sctp

namespace tern::sctp {
namespace {

// Idle associations with wake handlers share one 1-second ticker; the others ask for 10 s. When the
// ticker goes, the next idle one to update takes the role.
TEST(SctpTimers, OneIdleTickerServesAllAssociationsWithWakeHandlers) {
  testing::BackToBack first;
  testing::BackToBack second({}, {}, Duration::Millis(1), first.now());
  int wakes = 0;
  for (int side = 0; side < 2; ++side) {
    first.at(side).SetWakeHandler([&] { ++wakes; });
    second.at(side).SetWakeHandler([&] { ++wakes; });
  }
  first.Connect();
  second.AdvanceTo(first.now());
  second.Connect();
  first.AdvanceTo(second.now() + Duration::Seconds(2));
  second.AdvanceTo(first.now());
  std::vector<Duration> ticks;
  for (testing::BackToBack* link : {&first, &second}) {
    for (int side = 0; side < 2; ++side) {
      link->at(side).HandleTimeout(link->now());
      std::optional<Timestamp> next = link->at(side).NextTimeout();
      ASSERT_TRUE(next.has_value());
      ticks.push_back(*next - link->now());
    }
  }
  EXPECT_EQ(std::count(ticks.begin(), ticks.end(), Duration::Seconds(1)), 1) << "exactly one idle ticker";
  EXPECT_EQ(std::count(ticks.begin(), ticks.end(), Duration::Seconds(10)), 3);

  // Without a wake handler an association always ticks every second itself.
  testing::BackToBack plain({}, {}, Duration::Millis(1), first.now());
  plain.Connect();
  plain.AdvanceTo(plain.now() + Duration::Seconds(2));
  plain.a().HandleTimeout(plain.now());
  ASSERT_TRUE(plain.a().NextTimeout().has_value());
  EXPECT_EQ(*plain.a().NextTimeout() - plain.now(), Duration::Seconds(1));
}

TEST(SctpTimers, IdleTickerRoleMovesOnWhenItsHolderIsGone) {
  auto one = std::make_unique<testing::BackToBack>();
  for (int side = 0; side < 2; ++side) one->at(side).SetWakeHandler([] {});
  one->Connect();
  one->AdvanceTo(one->now() + Duration::Seconds(2));
  one->a().HandleTimeout(one->now());
  one->b().HandleTimeout(one->now());
  const bool a_ticks = *one->a().NextTimeout() - one->now() == Duration::Seconds(1);
  const bool b_ticks = *one->b().NextTimeout() - one->now() == Duration::Seconds(1);
  ASSERT_NE(a_ticks, b_ticks) << "one side of the pair holds the role";
  Timestamp t = one->now();
  one.reset();  // the holder is gone
  testing::BackToBack two({}, {}, Duration::Millis(1), t);
  for (int side = 0; side < 2; ++side) two.at(side).SetWakeHandler([] {});
  two.Connect();
  two.AdvanceTo(two.now() + Duration::Seconds(2));
  two.a().HandleTimeout(two.now());
  two.b().HandleTimeout(two.now());
  Duration a = *two.a().NextTimeout() - two.now(), b = *two.b().NextTimeout() - two.now();
  EXPECT_TRUE((a == Duration::Seconds(1)) != (b == Duration::Seconds(1))) << "one of the new pair ticks";
}

// The stack advances its shared timers finely only while some association is busy: the count follows
// each association into and out of busy states and drops when it is destroyed.
TEST(SctpTimers, BusyAssociationsAreCountedWhileBusyOnly) {
  UsrsctpStack& stack = UsrsctpStack::Get();
  const int base = stack.busy();
  {
    testing::BackToBack link;
    link.Connect();
    link.AdvanceTo(link.now() + Duration::Seconds(2));
    link.a().HandleTimeout(link.now());
    link.b().HandleTimeout(link.now());
    EXPECT_EQ(stack.busy(), base) << "both idle";
    absl::StatusOr<uint16_t> id = link.a().OpenChannel({});
    ASSERT_TRUE(id.ok());
    ASSERT_TRUE(link.a().Send(*id, MessageKind::kBinary, ByteSpan(std::vector<uint8_t>(50000, 1))).ok());
    EXPECT_GE(stack.busy(), base + 1) << "a has data in flight";
  }
  EXPECT_EQ(stack.busy(), base) << "gone associations are not counted";
}

}  // namespace
}  // namespace tern::sctp
