// Two PeerConnections on a real Runtime (two loop threads) over 127.0.0.1: the any-thread API (called
// from the test's thread while callbacks run on the loops), trickle ICE, data both ways, stats, close.
// Labelled "threaded": `make test` runs it under ThreadSanitizer.
#include <atomic>
#include <chrono>
#include <deque>
#include <mutex>
#include <thread>

#include "gtest/gtest.h"
#include "tern/ice/candidate.h"
#include "tern/tern.h"

namespace tern {
namespace {

// Candidates handed from a loop thread to the test thread (calling the other PeerConnection straight
// from a callback would make one loop wait on another).
class CandidateQueue {
 public:
  void Push(IceCandidate c) {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(c));
  }
  std::deque<IceCandidate> Take() {
    std::lock_guard<std::mutex> lock(mu_);
    return std::exchange(queue_, {});
  }

 private:
  std::mutex mu_;
  std::deque<IceCandidate> queue_;
};

bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds timeout,
             const std::function<void()>& each = nullptr) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (each) each();
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return done();
}

Configuration LoopbackConfig() {
  Configuration c;
  c.bind_addresses = {IpAddress::LoopbackV4()};
  return c;
}

class PeerConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<Runtime>> rt = Runtime::Create({.num_loops = 2});
    ASSERT_TRUE(rt.ok()) << rt.status();
    runtime_ = std::move(*rt);
    absl::StatusOr<std::unique_ptr<PeerConnection>> a = PeerConnection::Create(*runtime_, LoopbackConfig());
    ASSERT_TRUE(a.ok()) << a.status();
    absl::StatusOr<std::unique_ptr<PeerConnection>> b = PeerConnection::Create(*runtime_, LoopbackConfig());
    ASSERT_TRUE(b.ok()) << b.status();
    a_ = std::move(*a);
    b_ = std::move(*b);
    a_->OnLocalCandidate([this](IceCandidate c) { to_b_.Push(std::move(c)); });
    b_->OnLocalCandidate([this](IceCandidate c) { to_a_.Push(std::move(c)); });
  }

  void TearDown() override {
    a_.reset();
    b_.reset();
    runtime_.reset();
  }

  // Applies trickled candidates; every one must be on 127.0.0.1 (or end-of-candidates).
  void Trickle() {
    for (IceCandidate& c : to_b_.Take()) Apply(*b_, c);
    for (IceCandidate& c : to_a_.Take()) Apply(*a_, c);
  }
  void Apply(PeerConnection& pc, const IceCandidate& c) {
    if (!c.is_end_of_candidates()) {
      absl::StatusOr<ice::Candidate> parsed = ice::ParseCandidate(c.candidate);
      ASSERT_TRUE(parsed.ok()) << c.candidate;
      EXPECT_EQ(parsed->address.ip(), IpAddress::LoopbackV4()) << c.candidate;
      ++candidates_seen_;
    }
    absl::Status s = pc.AddIceCandidate(c);
    EXPECT_TRUE(s.ok()) << s;
  }

  void Negotiate() {
    absl::StatusOr<SessionDescription> offer = a_->CreateOffer();
    ASSERT_TRUE(offer.ok()) << offer.status();
    ASSERT_TRUE(a_->SetLocalDescription(*offer).ok());
    ASSERT_TRUE(b_->SetRemoteDescription(*offer).ok());
    absl::StatusOr<SessionDescription> answer = b_->CreateAnswer();
    ASSERT_TRUE(answer.ok()) << answer.status();
    EXPECT_EQ(answer->type, SdpType::kAnswer);
    ASSERT_TRUE(b_->SetLocalDescription(*answer).ok());
    ASSERT_TRUE(a_->SetRemoteDescription(*answer).ok());
  }

  std::unique_ptr<Runtime> runtime_;
  std::unique_ptr<PeerConnection> a_;
  std::unique_ptr<PeerConnection> b_;
  CandidateQueue to_a_;
  CandidateQueue to_b_;
  int candidates_seen_ = 0;
};

TEST_F(PeerConnectionTest, LoopbackChannelEchoFromAnotherThread) {
  std::atomic<bool> a_connected{false};
  a_->OnConnectionStateChange([&](PeerConnectionState s) {
    if (s == PeerConnectionState::kConnected) a_connected = true;
  });
  // b echoes whatever arrives on channels the peer opens.
  std::mutex mu;
  std::shared_ptr<DataChannel> remote;
  b_->OnDataChannel([&](std::shared_ptr<DataChannel> ch) {
    DataChannel* raw = ch.get();
    ch->OnMessage([raw](DataChannelMessage m) {
      absl::Status s = m.binary ? raw->Send(std::span<const uint8_t>(m.data)) : raw->Send(m.text());
      EXPECT_TRUE(s.ok()) << s;
    });
    std::lock_guard<std::mutex> lock(mu);
    remote = std::move(ch);
  });
  absl::StatusOr<std::shared_ptr<DataChannel>> channel = a_->CreateDataChannel("echo", {.protocol = "p"});
  ASSERT_TRUE(channel.ok()) << channel.status();
  std::shared_ptr<DataChannel> ch = *channel;
  std::atomic<bool> open{false};
  std::atomic<size_t> echoed_bytes{0};
  std::atomic<int> echoed{0};
  std::vector<uint8_t> received;  // loop thread writes, test reads after `echoed` says so
  std::mutex received_mu;
  ch->OnOpen([&] { open = true; });
  ch->OnMessage([&](DataChannelMessage m) {
    std::lock_guard<std::mutex> lock(received_mu);
    received.insert(received.end(), m.data.begin(), m.data.end());
    echoed_bytes += m.data.size();
    ++echoed;
  });
  Negotiate();
  ASSERT_TRUE(WaitFor([&] { return open.load() && a_connected.load(); }, std::chrono::seconds(10),
                      [&] { Trickle(); }))
      << "state " << PeerConnectionStateName(a_->connection_state());
  EXPECT_GT(candidates_seen_, 0);
  EXPECT_EQ(ch->ready_state(), DataChannelState::kOpen);
  EXPECT_EQ(ch->protocol(), "p");
  ASSERT_TRUE(ch->id().has_value());

  // Sends from this (non-loop) thread are posted; bufferedAmount counts them at once.
  std::vector<uint8_t> sent;
  for (int i = 0; i < 200; ++i) {
    std::vector<uint8_t> msg(1000 + i);
    for (size_t j = 0; j < msg.size(); ++j) msg[j] = static_cast<uint8_t>(i * 7 + j);
    ASSERT_TRUE(ch->Send(std::span<const uint8_t>(msg)).ok());
    sent.insert(sent.end(), msg.begin(), msg.end());
  }
  ASSERT_TRUE(WaitFor([&] { return echoed.load() == 200; }, std::chrono::seconds(10)))
      << echoed.load() << " echoes";
  {
    std::lock_guard<std::mutex> lock(received_mu);
    EXPECT_TRUE(received == sent);
  }
  EXPECT_EQ(echoed_bytes.load(), sent.size());

  absl::StatusOr<Stats> stats = a_->GetStats();
  ASSERT_TRUE(stats.ok());
  const CandidatePairStats* pair = stats->SelectedCandidatePair();
  ASSERT_NE(pair, nullptr);
  for (const IceCandidateStats& c : stats->local_candidates) EXPECT_EQ(c.address, "127.0.0.1");
  for (const IceCandidateStats& c : stats->remote_candidates) EXPECT_EQ(c.address, "127.0.0.1");
  ASSERT_EQ(stats->data_channels.size(), 1u);
  EXPECT_EQ(stats->data_channels[0].messages_received, 200u);
  EXPECT_EQ(a_->signaling_state(), SignalingState::kStable);
  EXPECT_EQ(a_->ice_gathering_state(), IceGatheringState::kComplete);
  std::optional<SessionDescription> local = a_->local_description();
  ASSERT_TRUE(local.has_value());
  EXPECT_NE(local->sdp.find("a=candidate:"), std::string::npos);
  EXPECT_NE(local->sdp.find("a=end-of-candidates"), std::string::npos);

  // Closing a: b's channel closes (DTLS close_notify ends the association).
  std::shared_ptr<DataChannel> r;
  {
    std::lock_guard<std::mutex> lock(mu);
    r = remote;
  }
  ASSERT_NE(r, nullptr);
  a_->Close();
  EXPECT_EQ(ch->ready_state(), DataChannelState::kClosed);
  EXPECT_FALSE(ch->Send("after close").ok());
  EXPECT_EQ(a_->connection_state(), PeerConnectionState::kClosed);
  ASSERT_TRUE(WaitFor([&] { return r->ready_state() == DataChannelState::kClosed; }, std::chrono::seconds(10)));
}

TEST_F(PeerConnectionTest, ChannelsFromBothSidesAndCallbacksOnTheLoopThread) {
  std::atomic<int> opened{0};
  std::atomic<bool> wrong_thread{false};
  std::thread::id test_thread = std::this_thread::get_id();
  std::shared_ptr<DataChannel> from_b_on_a;
  std::mutex mu;
  a_->OnDataChannel([&](std::shared_ptr<DataChannel> ch) {
    if (std::this_thread::get_id() == test_thread) wrong_thread = true;
    std::lock_guard<std::mutex> lock(mu);
    from_b_on_a = ch;
    ++opened;
  });
  b_->OnDataChannel([&](std::shared_ptr<DataChannel>) { ++opened; });
  auto ab = a_->CreateDataChannel("ab");
  ASSERT_TRUE(ab.ok());
  Negotiate();
  ASSERT_TRUE(WaitFor([&] { return opened.load() == 1; }, std::chrono::seconds(10), [&] { Trickle(); }));
  auto ba = b_->CreateDataChannel("ba", {.ordered = false, .max_retransmits = uint16_t{3}});
  ASSERT_TRUE(ba.ok());
  ASSERT_TRUE(WaitFor([&] { return opened.load() == 2; }, std::chrono::seconds(10)));
  EXPECT_FALSE(wrong_thread.load());
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_NE(from_b_on_a, nullptr);
  EXPECT_EQ(from_b_on_a->label(), "ba");
  EXPECT_FALSE(from_b_on_a->ordered());
  EXPECT_EQ(from_b_on_a->max_retransmits(), std::optional<uint16_t>(3));
  // Bad calls come back as statuses.
  EXPECT_FALSE(a_->CreateDataChannel("bad", {.max_retransmits = uint16_t{1}, .max_packet_life_time_ms = uint16_t{5}}).ok());
  EXPECT_FALSE(a_->SetRemoteDescription({SdpType::kAnswer, "not sdp"}).ok());
  EXPECT_FALSE(a_->AddIceCandidate({"candidate:garbage", "0", 0}).ok());
}

TEST(PeerConnectionCreate, RefusesBadConfigurations) {
  absl::StatusOr<std::unique_ptr<Runtime>> rt = Runtime::Create({.num_loops = 1});
  ASSERT_TRUE(rt.ok());
  Configuration c = LoopbackConfig();
  c.ice_servers = {{{"turn:127.0.0.1:3478?transport=sctp"}, "u", "p"}};
  absl::StatusOr<std::unique_ptr<PeerConnection>> pc = PeerConnection::Create(**rt, c);
  EXPECT_EQ(pc.status().code(), absl::StatusCode::kInvalidArgument);
  c.ice_servers = {{{"stun:stun.example.org"}, "", ""}};
  pc = PeerConnection::Create(**rt, c);
  EXPECT_FALSE(pc.ok());  // DNS names are not resolved (yet): a clear error, not a silent skip
  c.ice_servers = {{{"stun:127.0.0.1:3478"}, "", ""}};
  pc = PeerConnection::Create(**rt, c);
  EXPECT_TRUE(pc.ok()) << pc.status();
}

TEST(PeerConnectionCreate, BindsInThePortRange) {
  absl::StatusOr<std::unique_ptr<Runtime>> rt = Runtime::Create({.num_loops = 1});
  ASSERT_TRUE(rt.ok());
  Configuration c = LoopbackConfig();
  c.port_range_min = 47100;
  c.port_range_max = 47199;
  absl::StatusOr<std::unique_ptr<PeerConnection>> pc = PeerConnection::Create(**rt, c);
  ASSERT_TRUE(pc.ok()) << pc.status();
  absl::StatusOr<SessionDescription> offer = (*pc)->CreateOffer();
  ASSERT_TRUE(offer.ok());
  ASSERT_TRUE((*pc)->SetLocalDescription(*offer).ok());
  absl::StatusOr<Stats> stats = (*pc)->GetStats();
  ASSERT_TRUE(stats.ok());
  ASSERT_EQ(stats->local_candidates.size(), 1u);
  EXPECT_EQ(stats->local_candidates[0].address, "127.0.0.1");
  EXPECT_GE(stats->local_candidates[0].port, 47100);
  EXPECT_LE(stats->local_candidates[0].port, 47199);
  EXPECT_EQ((*pc)->ice_gathering_state(), IceGatheringState::kComplete);
}

// W3C bufferedamountlow: fires when bufferedAmount falls from above the threshold to at or below it.
// Bytes sent from another thread count in bufferedAmount until the loop hands them to SCTP; here the
// association's own queue never passes the threshold (SCTP's send buffer takes every message at once),
// so only the posted bytes take bufferedAmount above it, and the event must still fire, once.
TEST_F(PeerConnectionTest, BufferedAmountLowCountsBytesPostedFromAnotherThread) {
  std::atomic<int> received{0};
  b_->OnDataChannel(
      [&](std::shared_ptr<DataChannel> ch) { ch->OnMessage([&](DataChannelMessage) { ++received; }); });
  absl::StatusOr<std::shared_ptr<DataChannel>> channel = a_->CreateDataChannel("low");
  ASSERT_TRUE(channel.ok()) << channel.status();
  std::shared_ptr<DataChannel> ch = *channel;
  std::atomic<bool> open{false};
  ch->OnOpen([&] { open = true; });
  Negotiate();
  ASSERT_TRUE(WaitFor([&] { return open.load(); }, std::chrono::seconds(10), [&] { Trickle(); }));

  constexpr uint64_t kThreshold = 16 * 1024;
  std::atomic<int> lows{0};
  std::atomic<uint64_t> buffered_at_low{~uint64_t{0}};
  DataChannel* raw = ch.get();
  ch->SetBufferedAmountLowThreshold(kThreshold);
  ch->OnBufferedAmountLow([&, raw] {
    buffered_at_low = raw->buffered_amount();
    ++lows;
  });
  // Hold both loop threads while this thread sends, so all 64 KiB are posted (bufferedAmount above the
  // threshold) before the loops hand any of it to SCTP.
  std::atomic<int> held{0};
  std::atomic<bool> release{false};
  for (size_t i = 0; i < runtime_->num_loops(); ++i) {
    runtime_->Post(i, [&] {
      ++held;
      while (!release.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    });
  }
  ASSERT_TRUE(WaitFor([&] { return held.load() == static_cast<int>(runtime_->num_loops()); },
                      std::chrono::seconds(10)));
  std::vector<uint8_t> msg(1024, 0x5a);
  for (int i = 0; i < 64; ++i) ASSERT_TRUE(ch->Send(std::span<const uint8_t>(msg)).ok());
  EXPECT_EQ(ch->buffered_amount(), 64u * 1024);
  release = true;
  ASSERT_TRUE(WaitFor([&] { return lows.load() >= 1 && received.load() == 64; }, std::chrono::seconds(10)))
      << lows.load() << " low events, " << received.load() << " messages";
  EXPECT_LE(buffered_at_low.load(), kThreshold);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(lows.load(), 1);  // one fall, one event
  EXPECT_EQ(ch->buffered_amount(), 0u);
}

}  // namespace
}  // namespace tern
