// Two pc::Connections in the deterministic network simulator: JSEP offer/answer with trickle ICE,
// DTLS, SCTP and data channels end to end (RFC 8829, 8838, 8827, 8831, 8832), consent freshness
// (RFC 7675), robustness against garbage, and a reliable transfer over a lossy, jittery link.
#include <chrono>
#include <cstdlib>
#include <thread>

#include "gtest/gtest.h"
#include "pc_sim_harness.h"
#include "tern/sctp/association.h"

namespace tern::pc::testing {
namespace {

const IpAddress kIpA = IpAddress::V4(198, 51, 100, 1);
const IpAddress kIpB = IpAddress::V4(198, 51, 100, 2);

std::vector<uint8_t> RandomBytes(size_t n, uint64_t seed) {
  SeededRandom r(seed);
  std::vector<uint8_t> out(n);
  r.Fill(out);
  return out;
}

std::vector<uint8_t> Concat(const std::vector<std::vector<uint8_t>>& parts) {
  std::vector<uint8_t> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

ByteSpan Span(std::string_view s) { return ByteSpan(reinterpret_cast<const uint8_t*>(s.data()), s.size()); }

class ConnectionSimTest : public ::testing::Test {
 protected:
  ConnectionSimTest() : net_(seed_, SimStartTime()) {}

  void MakePeers(std::function<void(ConnectionConfig&)> tweak_a = nullptr,
                 std::function<void(ConnectionConfig&)> tweak_b = nullptr) {
    a_ = std::make_unique<SimPeer>(net_, "a", kIpA, 5000, tweak_a);
    b_ = std::make_unique<SimPeer>(net_, "b", kIpB, 6000, tweak_b);
  }

  // Offer from a, answer from b; waits for both to be connected and every channel open.
  void Connect() {
    Signal(net_, *a_, *b_);
    ASSERT_TRUE(RunUntilConnected(net_, *a_, *b_)) << "seed " << seed_;
  }

  bool RunUntil(const std::function<bool()>& done, Duration timeout = Duration::Seconds(20)) {
    return net_.RunUntil(done, net_.Now() + timeout);
  }

  // Like RunUntil, but the virtual clock never runs ahead of real time (usrsctp reads the wall clock
  // for loss recovery, see tern/sctp/association.h).
  bool RunPaced(const std::function<bool()>& done, Duration timeout) {
    auto start = std::chrono::steady_clock::now();
    Timestamp v0 = net_.Now();
    Timestamp deadline = v0 + timeout;
    while (net_.Now() < deadline) {
      if (net_.RunUntil(done, net_.Now() + Duration::Millis(5))) return true;
      auto real = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
      int64_t ahead = (net_.Now() - v0).us() - real.count();
      if (ahead > 0) std::this_thread::sleep_for(std::chrono::microseconds(ahead));
    }
    return done();
  }

  ChannelHandle OpenedOn(SimPeer& p, const std::string& label) {
    std::optional<ChannelHandle> h = p.FindChannel(label);
    return h.value_or(0);
  }

  uint64_t seed_ = 1234;
  sim::SimNetwork net_;
  std::unique_ptr<SimPeer> a_;
  std::unique_ptr<SimPeer> b_;
};

TEST_F(ConnectionSimTest, OfferAnswerConnectsAndOpensChannelsFromEachSide) {
  MakePeers();
  absl::StatusOr<ChannelHandle> ab = a_->conn().CreateDataChannel("a-to-b", {}, net_.Now());
  ASSERT_TRUE(ab.ok()) << ab.status();
  Connect();
  EXPECT_EQ(a_->conn().signaling_state(), SignalingState::kStable);
  EXPECT_EQ(b_->conn().signaling_state(), SignalingState::kStable);
  ASSERT_TRUE(RunUntil([&] { return a_->channels[*ab].opened && b_->FindChannel("a-to-b").has_value(); }));
  ChannelHandle ab_on_b = *b_->FindChannel("a-to-b");
  EXPECT_TRUE(b_->channels[ab_on_b].remote);
  EXPECT_FALSE(a_->channels[*ab].remote);

  // A channel from the answerer, after the connection is up.
  absl::StatusOr<ChannelHandle> ba = b_->conn().CreateDataChannel("b-to-a", {.protocol = "chat"}, net_.Now());
  ASSERT_TRUE(ba.ok()) << ba.status();
  b_->Wake();
  ASSERT_TRUE(RunUntil([&] { return a_->FindChannel("b-to-a").has_value(); }));
  ChannelHandle ba_on_a = *a_->FindChannel("b-to-a");
  EXPECT_EQ(a_->conn().DataChannel(ba_on_a)->init.protocol, "chat");
  // DTLS client (the answerer, a=setup:active) opens even ids, the server odd ones (RFC 8832 §6).
  std::optional<uint16_t> id_ab = a_->conn().DataChannel(*ab)->init.id;
  std::optional<uint16_t> id_ba = b_->conn().DataChannel(*ba)->init.id;
  ASSERT_TRUE(id_ab && id_ba);
  EXPECT_EQ(*id_ab % 2, 1);
  EXPECT_EQ(*id_ba % 2, 0);

  ASSERT_TRUE(a_->conn().Send(*ab, false, Span("hello b"), net_.Now()).ok());
  a_->Wake();
  ASSERT_TRUE(b_->conn().Send(*ba, true, Span("hello a"), net_.Now()).ok());
  ASSERT_TRUE(b_->conn().Send(*ba, true, ByteSpan(), net_.Now()).ok());  // an empty message
  b_->Wake();
  ASSERT_TRUE(RunUntil([&] { return b_->channels[ab_on_b].messages.size() == 1 && a_->channels[ba_on_a].messages.size() == 2; }));
  EXPECT_EQ(std::string(b_->channels[ab_on_b].messages[0].begin(), b_->channels[ab_on_b].messages[0].end()), "hello b");
  EXPECT_FALSE(b_->channels[ab_on_b].binary[0]);
  EXPECT_TRUE(a_->channels[ba_on_a].binary[0]);
  EXPECT_TRUE(a_->channels[ba_on_a].messages[1].empty());

  // Stats name the selected pair and both certificates.
  Stats stats = a_->conn().GetStats(net_.Now());
  ASSERT_NE(stats.SelectedCandidatePair(), nullptr);
  ASSERT_EQ(stats.transports.size(), 1u);
  EXPECT_EQ(stats.transports[0].dtls_state, "connected");
  EXPECT_EQ(stats.transports[0].selected_candidate_pair_id, stats.SelectedCandidatePair()->id);
  EXPECT_EQ(stats.certificates.size(), 2u);
  EXPECT_EQ(stats.data_channels.size(), 2u);
  EXPECT_NE(stats.ToJson().find("\"type\":\"candidate-pair\""), std::string::npos);
  // States went new -> connecting -> connected.
  ASSERT_GE(a_->states.size(), 2u);
  EXPECT_EQ(a_->states.front(), PeerConnectionState::kConnecting);
  EXPECT_EQ(a_->states.back(), PeerConnectionState::kConnected);
}

// Setup latency on a jittery path: CreateOffer -> channel open on both sides within 1 s of virtual
// time (no DTLS flight may wait for its 1 s retransmission timer because ICE had not yet selected a pair).
TEST_F(ConnectionSimTest, SetupOnAJitteryPathTakesFewRoundTrips) {
  MakePeers();
  sim::LinkConfig jittery;
  jittery.delay = Duration::Millis(10);
  jittery.jitter = Duration::Millis(30);
  for (SimPeer* p : {a_.get(), b_.get()}) {
    p->host().uplink().set_config(jittery);
    p->host().downlink().set_config(jittery);
  }
  for (int round = 0; round < 5; ++round) {
    Timestamp start = net_.Now();
    if (round > 0) {
      a_ = nullptr;
      b_ = nullptr;
      a_ = std::make_unique<SimPeer>(net_, "a" + std::to_string(round), IpAddress::V4(198, 51, 101, round), 5000);
      b_ = std::make_unique<SimPeer>(net_, "b" + std::to_string(round), IpAddress::V4(198, 51, 102, round), 6000);
      for (SimPeer* p : {a_.get(), b_.get()}) {
        p->host().uplink().set_config(jittery);
        p->host().downlink().set_config(jittery);
      }
    }
    ChannelHandle ch = *a_->conn().CreateDataChannel("s", {}, net_.Now());
    Signal(net_, *a_, *b_, Duration::Millis(20));
    ASSERT_TRUE(RunUntil([&] { return a_->channels[ch].opened && b_->FindChannel("s"); }, Duration::Seconds(10)));
    Duration took = net_.Now() - start;
    EXPECT_LT(took, Duration::Seconds(1)) << "round " << round << " took " << took.ToString();
  }
}

class EchoTest : public ConnectionSimTest, public ::testing::WithParamInterface<size_t> {};

TEST_P(EchoTest, OneMebibyteEchoedByteExact) {
  const size_t chunk = GetParam();
  MakePeers();
  absl::StatusOr<ChannelHandle> ch = a_->conn().CreateDataChannel("echo", {}, net_.Now());
  ASSERT_TRUE(ch.ok());
  // b echoes every message on the channel it came on.
  b_->on_event = [&](const ConnectionEvent& e) {
    if (auto* m = std::get_if<ChannelMessageEvent>(&e)) {
      ASSERT_TRUE(b_->conn().Send(m->channel, m->binary, m->data, net_.Now()).ok());
    }
  };
  Connect();
  ASSERT_TRUE(RunUntil([&] { return a_->channels[*ch].opened; }));
  const std::vector<uint8_t> data = RandomBytes(1 << 20, 99);
  size_t offset = 0;
  auto pump = [&] {
    while (offset < data.size() && a_->conn().BufferedAmount(*ch) < 512 * 1024) {
      size_t n = std::min(chunk, data.size() - offset);
      ASSERT_TRUE(a_->conn().Send(*ch, true, ByteSpan(data.data() + offset, n), net_.Now()).ok());
      offset += n;
    }
  };
  a_->on_event = [&](const ConnectionEvent&) { pump(); };
  pump();
  a_->Wake();
  ASSERT_TRUE(RunUntil([&] { pump(); return a_->channels[*ch].bytes >= data.size(); }, Duration::Seconds(60)))
      << "echoed " << a_->channels[*ch].bytes << " of " << data.size();
  EXPECT_EQ(a_->channels[*ch].messages.size(), (data.size() + chunk - 1) / chunk);
  EXPECT_TRUE(Concat(a_->channels[*ch].messages) == data) << "echo differs";
}

INSTANTIATE_TEST_SUITE_P(MessageSizes, EchoTest, ::testing::Values(1024, 64 * 1024, 256 * 1024));

TEST_F(ConnectionSimTest, CloseFromEachSide) {
  MakePeers();
  ChannelHandle x = *a_->conn().CreateDataChannel("x", {}, net_.Now());
  ChannelHandle y = *a_->conn().CreateDataChannel("y", {}, net_.Now());
  Connect();
  ASSERT_TRUE(RunUntil([&] { return b_->FindChannel("x") && b_->FindChannel("y"); }));
  ChannelHandle x_b = *b_->FindChannel("x"), y_b = *b_->FindChannel("y");
  // a closes x.
  ASSERT_TRUE(a_->conn().CloseDataChannel(x, net_.Now()).ok());
  a_->Wake();
  ASSERT_TRUE(RunUntil([&] { return a_->channels[x].closed && b_->channels[x_b].closed; }));
  // W3C: the side that did not call close() goes through "closing"; the closer does not report it.
  EXPECT_TRUE(b_->channels[x_b].closing);
  EXPECT_FALSE(a_->channels[x].closing);
  // b closes y.
  ASSERT_TRUE(b_->conn().CloseDataChannel(y_b, net_.Now()).ok());
  b_->Wake();
  ASSERT_TRUE(RunUntil([&] { return a_->channels[y].closed && b_->channels[y_b].closed; }));
  EXPECT_TRUE(a_->channels[y].closing);
  EXPECT_FALSE(b_->channels[y_b].closing);
  EXPECT_EQ(a_->conn().DataChannel(x)->state, DataChannelState::kClosed);
  EXPECT_FALSE(a_->conn().Send(x, false, Span("late"), net_.Now()).ok());
  // The connection itself stays up; a new channel still works.
  ChannelHandle z = *a_->conn().CreateDataChannel("z", {}, net_.Now());
  a_->Wake();
  ASSERT_TRUE(RunUntil([&] { return a_->channels[z].opened && b_->FindChannel("z"); }));
  EXPECT_TRUE(a_->connected() && b_->connected());
}

TEST_F(ConnectionSimTest, ChannelIdBeyondTheOfferedStreamsIsRefusedAtOnce) {
  MakePeers();
  absl::StatusOr<ChannelHandle> beyond =
      a_->conn().CreateDataChannel("n", {.negotiated = true, .id = 256}, net_.Now());  // default: 256 streams
  ASSERT_FALSE(beyond.ok());
  EXPECT_EQ(beyond.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(beyond.status().message().find("sctp_max_streams"), std::string::npos) << beyond.status();
  EXPECT_TRUE(a_->conn().CreateDataChannel("n", {.negotiated = true, .id = 255}, net_.Now()).ok());
}

TEST_F(ConnectionSimTest, NegotiatedChannelsWithTheSameIdOnBothSides) {
  MakePeers();
  DataChannelInit init{.negotiated = true, .id = 7};
  ChannelHandle ha = *a_->conn().CreateDataChannel("n", init, net_.Now());
  ChannelHandle hb = *b_->conn().CreateDataChannel("n", init, net_.Now());
  Connect();
  ASSERT_TRUE(RunUntil([&] { return a_->channels[ha].opened && b_->channels[hb].opened; }));
  EXPECT_FALSE(b_->channels[hb].remote);
  ASSERT_TRUE(a_->conn().Send(ha, false, Span("ping"), net_.Now()).ok());
  a_->Wake();
  ASSERT_TRUE(b_->conn().Send(hb, false, Span("pong"), net_.Now()).ok());
  b_->Wake();
  ASSERT_TRUE(RunUntil([&] { return a_->channels[ha].messages.size() == 1 && b_->channels[hb].messages.size() == 1; }));
  // No DCEP: neither side announced a remote channel.
  for (auto& [h, r] : b_->channels) EXPECT_FALSE(r.remote);
  // A second negotiated channel with an id in use is refused.
  EXPECT_EQ(a_->conn().CreateDataChannel("dup", init, net_.Now()).status().code(), absl::StatusCode::kAlreadyExists);
}

TEST_F(ConnectionSimTest, RenegotiationKeepsTheTransportAndAddsAChannel) {
  MakePeers();
  Connect();
  uint32_t pairs_before = a_->conn().GetStats(net_.Now()).transports[0].selected_candidate_pair_changes;
  // b now offers (the roles of the exchange swap; the DTLS role stays, RFC 8842 §5.5).
  Signal(net_, *b_, *a_);
  ASSERT_TRUE(RunUntil([&] {
    return a_->conn().signaling_state() == SignalingState::kStable &&
           b_->conn().signaling_state() == SignalingState::kStable &&
           std::count(a_->signaling_states.begin(), a_->signaling_states.end(), SignalingState::kHaveRemoteOffer) >= 1;
  }));
  ChannelHandle late = *b_->conn().CreateDataChannel("late", {}, net_.Now());
  b_->Wake();
  ASSERT_TRUE(RunUntil([&] { return b_->channels[late].opened && a_->FindChannel("late"); }));
  EXPECT_TRUE(a_->connected() && b_->connected());
  EXPECT_EQ(a_->conn().GetStats(net_.Now()).transports[0].selected_candidate_pair_changes, pairs_before);
}

// RFC 8445 §9 / W3C restartIce(): new credentials on both sides, the data channel carries on.
TEST_F(ConnectionSimTest, IceRestartKeepsTheChannelAndChangesBothUfrags) {
  MakePeers();
  ChannelHandle ch = *a_->conn().CreateDataChannel("r", {}, net_.Now());
  Connect();
  ASSERT_TRUE(RunUntil([&] { return a_->channels[ch].opened && b_->FindChannel("r"); }));
  auto ufrag = [](SimPeer& p) {
    std::optional<SessionDescription> d = p.conn().local_description();
    size_t at = d->sdp.find("a=ice-ufrag:");
    return d->sdp.substr(at, d->sdp.find('\r', at) - at);
  };
  std::string a_before = ufrag(*a_), b_before = ufrag(*b_);
  ASSERT_TRUE(a_->conn().RestartIce(net_.Now()).ok());
  Signal(net_, *a_, *b_);
  ASSERT_TRUE(RunUntil([&] {
    return a_->conn().signaling_state() == SignalingState::kStable && ufrag(*b_) != b_before &&
           b_->conn().signaling_state() == SignalingState::kStable;
  }));
  EXPECT_NE(ufrag(*a_), a_before);
  EXPECT_NE(ufrag(*b_), b_before);
  RunUntil([] { return false; }, Duration::Seconds(3));
  EXPECT_TRUE(a_->connected() && b_->connected());
  ASSERT_TRUE(a_->conn().Send(ch, false, Span("after restart"), net_.Now()).ok());
  a_->Wake();
  ChannelHandle on_b = *b_->FindChannel("r");
  ASSERT_TRUE(RunUntil([&] { return b_->channels[on_b].messages.size() == 1; }));
  // The new generation was checked: a's agent selected a pair again.
  EXPECT_GE(a_->conn().GetStats(net_.Now()).transports[0].selected_candidate_pair_changes, 2u);
}

TEST_F(ConnectionSimTest, RollbackReturnsToStable) {
  MakePeers();
  absl::StatusOr<SessionDescription> offer = a_->conn().CreateOffer(net_.Now());
  ASSERT_TRUE(offer.ok());
  ASSERT_TRUE(a_->conn().SetLocalDescription(*offer, net_.Now()).ok());
  EXPECT_EQ(a_->conn().signaling_state(), SignalingState::kHaveLocalOffer);
  ASSERT_TRUE(a_->conn().SetLocalDescription({SdpType::kRollback, ""}, net_.Now()).ok());
  EXPECT_EQ(a_->conn().signaling_state(), SignalingState::kStable);
  // Remote side: have-remote-offer, then rollback.
  ASSERT_TRUE(b_->conn().SetRemoteDescription(*offer, net_.Now()).ok());
  EXPECT_EQ(b_->conn().signaling_state(), SignalingState::kHaveRemoteOffer);
  ASSERT_TRUE(b_->conn().SetRemoteDescription({SdpType::kRollback, ""}, net_.Now()).ok());
  EXPECT_EQ(b_->conn().signaling_state(), SignalingState::kStable);
  // Bad input is refused and changes nothing.
  EXPECT_FALSE(b_->conn().SetRemoteDescription({SdpType::kOffer, "v=0\r\ngarbage"}, net_.Now()).ok());
  EXPECT_FALSE(b_->conn().SetRemoteDescription({SdpType::kAnswer, offer->sdp}, net_.Now()).ok());
  EXPECT_EQ(b_->conn().signaling_state(), SignalingState::kStable);
  EXPECT_FALSE(b_->conn().AddRemoteCandidate({"candidate:1 1 udp 1 198.51.100.1 5000 typ host", "0", 0}, net_.Now()).ok());
}

TEST_F(ConnectionSimTest, VanishedPeerFailsThroughConsentFreshness) {
  MakePeers();
  Connect();
  // b disappears: its links drop everything from now on.
  sim::LinkConfig dead;
  dead.loss = 1.0;
  b_->host().uplink().set_config(dead);
  b_->host().downlink().set_config(dead);
  Timestamp vanished = net_.Now();
  ASSERT_TRUE(RunUntil([&] { return a_->conn().connection_state() == PeerConnectionState::kFailed; },
                       Duration::Seconds(60)));
  Duration took = net_.Now() - vanished;
  // RFC 7675 §5.1: consent expires 30 s after the last authenticated response.
  EXPECT_GE(took, Duration::Seconds(20));
  EXPECT_LE(took, Duration::Seconds(40));
  EXPECT_EQ(a_->conn().ice_connection_state(), IceConnectionState::kFailed);
  // disconnected came first.
  EXPECT_NE(std::find(a_->states.begin(), a_->states.end(), PeerConnectionState::kDisconnected), a_->states.end());
}

TEST_F(ConnectionSimTest, GarbageFloodIsCountedAndDroppedAndChangesNothing) {
  MakePeers();
  ChannelHandle ch = *a_->conn().CreateDataChannel("c", {}, net_.Now());
  Connect();
  ASSERT_TRUE(RunUntil([&] { return b_->FindChannel("c").has_value(); }));
  ChannelHandle ch_b = *b_->FindChannel("c");
  sim::SimHost& attacker = net_.AddHost("attacker", {.addresses = {IpAddress::V4(203, 0, 113, 9)}});
  auto states_before = a_->states;
  uint64_t dropped_before = a_->conn().GetStats(net_.Now()).transports[0].datagrams_dropped;
  SeededRandom r(7);
  const int kFlood = 3000;
  for (int i = 0; i < kFlood; ++i) {
    std::vector<uint8_t> junk(1 + r.Uniform(1400));
    r.Fill(junk);
    // Every RFC 7983 class: STUN-looking, DTLS-looking, ChannelData, RTP, unknown.
    static const uint8_t kFirst[] = {0, 1, 20, 22, 23, 64, 128, 200, 255, 100};
    junk[0] = kFirst[i % 10];
    net_.SendFrom(attacker, {SocketAddress(attacker.address(), 4444), a_->address(), junk});
  }
  RunUntil([] { return false; }, Duration::Seconds(2));
  EXPECT_EQ(a_->states, states_before);
  EXPECT_TRUE(a_->connected());
  uint64_t dropped = a_->conn().GetStats(net_.Now()).transports[0].datagrams_dropped - dropped_before;
  EXPECT_GE(dropped, static_cast<uint64_t>(kFlood) * 9 / 10) << "dropped " << dropped;
  // Garbage that claims to come from the peer itself (spoofed source), in the DTLS and SCTP range.
  for (int i = 0; i < 500; ++i) {
    std::vector<uint8_t> junk(13 + r.Uniform(1000));
    r.Fill(junk);
    junk[0] = static_cast<uint8_t>(20 + r.Uniform(44));
    net_.SendFrom(attacker, {b_->address(), a_->address(), junk});
  }
  RunUntil([] { return false; }, Duration::Seconds(2));
  EXPECT_EQ(a_->states, states_before);
  // The single-port predicate: the peer's datagrams are ours, a stranger's are not.
  const uint8_t byte[] = {23};
  EXPECT_TRUE(a_->conn().Owns({a_->address(), b_->address(), TransportProtocol::kUdp, ByteSpan(byte)}));
  EXPECT_FALSE(a_->conn().Owns(
      {a_->address(), SocketAddress(attacker.address(), 4444), TransportProtocol::kUdp, ByteSpan(byte)}));
  // The channel still carries data.
  ASSERT_TRUE(a_->conn().Send(ch, false, Span("still here"), net_.Now()).ok());
  a_->Wake();
  ASSERT_TRUE(RunUntil([&] { return b_->channels[ch_b].messages.size() == 1; }));
}

// RFC 8841 §6: a message may be at most the peer's a=max-message-size.
TEST_F(ConnectionSimTest, SendRespectsThePeersMaxMessageSize) {
  MakePeers(nullptr, [](ConnectionConfig& c) { c.max_message_size = 1000; });
  ChannelHandle ch = *a_->conn().CreateDataChannel("m", {}, net_.Now());
  Connect();
  ASSERT_TRUE(RunUntil([&] { return a_->channels[ch].opened && b_->FindChannel("m"); }));
  EXPECT_EQ(a_->conn().max_send_message_size(), 1000u);
  std::vector<uint8_t> big(1001, 1);
  EXPECT_EQ(a_->conn().Send(ch, true, big, net_.Now()).code(), absl::StatusCode::kInvalidArgument);
  big.resize(1000);
  ASSERT_TRUE(a_->conn().Send(ch, true, big, net_.Now()).ok());
  a_->Wake();
  ChannelHandle on_b = *b_->FindChannel("m");
  ASSERT_TRUE(RunUntil([&] { return b_->channels[on_b].messages.size() == 1; }));
  EXPECT_EQ(b_->channels[on_b].messages[0].size(), 1000u);
}

// The issue asks for 100 MiB; the suite runs TERN_PC_LOSSY_BYTES (default 128 KiB) because usrsctp's
// loss recovery needs the virtual clock paced to real time.
TEST_F(ConnectionSimTest, ReliableTransferSurvivesLossReorderingDuplicationAndJitter) {
  size_t total = 128 * 1024;
  if (const char* env = std::getenv("TERN_PC_LOSSY_BYTES")) total = std::strtoull(env, nullptr, 10);
  MakePeers();
  ChannelHandle ch = *a_->conn().CreateDataChannel("bulk", {}, net_.Now());
  Connect();
  ASSERT_TRUE(RunUntil([&] { return a_->channels[ch].opened && b_->FindChannel("bulk"); }));
  ChannelHandle ch_b = *b_->FindChannel("bulk");
  // 50 ± 20 ms one way: 30 ms + uniform [0, 40] ms; 10% loss, 5% reordering, 1% duplication, both ways.
  sim::LinkConfig bad;
  bad.delay = Duration::Millis(30);
  bad.jitter = Duration::Millis(40);
  bad.loss = 0.10;
  bad.reorder = 0.05;
  bad.duplicate = 0.01;
  for (SimPeer* p : {a_.get(), b_.get()}) {
    p->host().uplink().set_config(bad);
    p->host().downlink().set_config(bad);
  }
  const std::vector<uint8_t> data = RandomBytes(total, 5);
  size_t offset = 0;
  auto pump = [&] {
    while (offset < data.size() && a_->conn().BufferedAmount(ch) < 256 * 1024) {
      size_t n = std::min<size_t>(16 * 1024, data.size() - offset);
      ASSERT_TRUE(a_->conn().Send(ch, true, ByteSpan(data.data() + offset, n), net_.Now()).ok());
      offset += n;
    }
  };
  a_->on_event = [&](const ConnectionEvent&) { pump(); };
  pump();
  a_->Wake();
  ASSERT_TRUE(RunPaced([&] { pump(); return b_->channels[ch_b].bytes >= data.size(); }, Duration::Seconds(120)))
      << "received " << b_->channels[ch_b].bytes << " of " << data.size() << " seed " << seed_;
  EXPECT_TRUE(Concat(b_->channels[ch_b].messages) == data);
  EXPECT_GT(a_->host().uplink().stats().dropped_loss, 0u);
  EXPECT_GT(a_->host().uplink().stats().duplicated + b_->host().uplink().stats().duplicated, 0u);
}

// maxRetransmits = 0 (RFC 8831 §6.1, PR-SCTP RFC 3758): what is lost stays lost.
TEST_F(ConnectionSimTest, UnreliableChannelWithZeroRetransmitsNeverRetransmits) {
  MakePeers();
  ChannelHandle ch =
      *a_->conn().CreateDataChannel("lossy", {.ordered = false, .max_retransmits = uint16_t{0}}, net_.Now());
  Connect();
  ASSERT_TRUE(RunUntil([&] { return a_->channels[ch].opened && b_->FindChannel("lossy"); }));
  ChannelHandle ch_b = *b_->FindChannel("lossy");
  EXPECT_EQ(b_->conn().DataChannel(ch_b)->init.max_retransmits, std::optional<uint16_t>(0));
  EXPECT_FALSE(b_->conn().DataChannel(ch_b)->init.ordered);
  sim::LinkConfig lossy;
  lossy.loss = 0.2;
  a_->host().uplink().set_config(lossy);
  const int kMessages = 300;
  uint64_t sent_before = a_->host().uplink().stats().sent;
  std::vector<uint8_t> msg(800, 0x5a);
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_TRUE(a_->conn().Send(ch, true, msg, net_.Now()).ok());
    a_->Wake();
    RunUntil([] { return false; }, Duration::Millis(5));
  }
  RunPaced([] { return false; }, Duration::Seconds(3));
  uint64_t datagrams = a_->host().uplink().stats().sent - sent_before;
  size_t received = b_->channels[ch_b].messages.size();
  EXPECT_LT(received, static_cast<size_t>(kMessages) * 95 / 100) << "losses were recovered";
  EXPECT_GT(received, static_cast<size_t>(kMessages) * 60 / 100);
  // One DATA per message, plus a few FORWARD-TSN/SACK-only packets, never a resend of every loss.
  EXPECT_LT(datagrams, static_cast<uint64_t>(kMessages) + static_cast<uint64_t>(kMessages) / 10 + 20)
      << datagrams << " datagrams for " << kMessages << " messages";
}

}  // namespace
}  // namespace tern::pc::testing
