// A reliable, ordered data channel through tern::testing::SimNetwork with 10% loss, 5% reordering, 1%
// duplication and jitter in both directions: every byte arrives, in order. The simulation is paced to
// real time because usrsctp's retransmission logic reads the wall clock (association.h).
#include <chrono>
#include <optional>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "sctp/sctp_test_util.h"
#include "sim/sim_network.h"
#include "tern/sctp/association.h"

namespace tern::sctp {
namespace {

using tern::testing::LinkConfig;
using tern::testing::SimHost;
using tern::testing::SimNetwork;

// Drives one Association as a simulator endpoint; SCTP packets travel as UDP payloads.
class SctpEndpoint final : public tern::testing::Endpoint {
 public:
  SctpEndpoint(Association& assoc, SocketAddress local, SocketAddress remote)
      : assoc_(assoc), local_(local), remote_(remote) {}

  void HandleInput(tern::testing::Datagram datagram, Timestamp now) override {
    (void)assoc_.HandleInput(datagram.payload, now);
    DrainEvents();
  }
  void HandleTimeout(Timestamp now) override {
    assoc_.HandleTimeout(now);
    DrainEvents();
  }
  std::optional<tern::testing::Transmit> PollTransmit() override {
    std::optional<std::vector<uint8_t>> packet = assoc_.PollTransmit();
    if (!packet) return std::nullopt;
    return tern::testing::Transmit{local_, remote_, std::move(*packet)};
  }
  std::optional<Timestamp> NextTimeout() const override { return assoc_.NextTimeout(); }

  void DrainEvents() {
    while (std::optional<Event> e = assoc_.PollEvent()) events_.push_back(std::move(*e));
  }
  const std::vector<Event>& events() const { return events_; }
  bool Has(Event::Type type) const {
    for (const Event& e : events_) {
      if (e.type == type) return true;
    }
    return false;
  }

 private:
  Association& assoc_;
  SocketAddress local_;
  SocketAddress remote_;
  std::vector<Event> events_;
};

TEST(SctpSimulation, ReliableTransferSurvivesLossReorderingAndDuplication) {
  const uint64_t seed = 20261123;
  SCOPED_TRACE(::testing::Message() << "seed " << seed);
  Timestamp start = testing::FreshStart();
  SimNetwork sim(seed, start);
  LinkConfig link;
  link.delay = Duration::Millis(5);
  link.jitter = Duration::Millis(5);
  link.loss = 0.10;
  link.reorder = 0.05;
  link.reorder_delay = Duration::Millis(5);
  link.duplicate = 0.01;

  AssociationConfig client_config;
  client_config.role = Role::kClient;
  client_config.rto_min = Duration::Millis(100);
  AssociationConfig server_config = client_config;
  server_config.role = Role::kServer;
  auto client = Association::Create(client_config);
  auto server = Association::Create(server_config);
  ASSERT_TRUE(client.ok() && server.ok());

  IpAddress client_ip = IpAddress::V4(10, 0, 0, 1), server_ip = IpAddress::V4(10, 0, 0, 2);
  SctpEndpoint client_end(**client, SocketAddress(client_ip, 5000), SocketAddress(server_ip, 5000));
  SctpEndpoint server_end(**server, SocketAddress(server_ip, 5000), SocketAddress(client_ip, 5000));
  SimHost& client_host = sim.AddHost("client", {.addresses = {client_ip}, .uplink = link, .downlink = link});
  SimHost& server_host = sim.AddHost("server", {.addresses = {server_ip}, .uplink = link, .downlink = link});

  ASSERT_TRUE((*client)->Connect(sim.Now()).ok());
  ASSERT_TRUE((*server)->Connect(sim.Now()).ok());
  sim.SetEndpoint(client_host, &client_end);
  sim.SetEndpoint(server_host, &server_end);

  // Paced stepping: virtual time never runs ahead of real time.
  auto real_start = std::chrono::steady_clock::now();
  auto step_until = [&](const std::function<bool()>& done, Duration limit) {
    Timestamp deadline = sim.Now() + limit;
    while (!done()) {
      std::optional<Timestamp> next = sim.NextEventTime();
      if (!next || *next > deadline) return false;
      std::this_thread::sleep_until(real_start + std::chrono::microseconds((*next - start).us()));
      sim.Step();
      client_end.DrainEvents();
      server_end.DrainEvents();
    }
    return true;
  };
  ASSERT_TRUE(step_until(
      [&] { return client_end.Has(Event::Type::kConnected) && server_end.Has(Event::Type::kConnected); },
      Duration::Seconds(20)));
  ChannelOptions options;
  options.label = "bulk";
  auto id = (*client)->OpenChannel(options);
  ASSERT_TRUE(id.ok());
  sim.Wake(client_host);

  const size_t kTotal = 384 * 1024, kMessage = 8 * 1024;
  std::vector<uint8_t> data = testing::Pattern(kTotal, 5);
  size_t queued = 0;
  auto received_bytes = [&] {
    size_t n = 0;
    for (const Event& e : server_end.events()) {
      if (e.type == Event::Type::kMessage) n += e.data.size();
    }
    return n;
  };
  ASSERT_TRUE(step_until(
      [&] {
        // Keep at most 128 KiB waiting in the channel's queue.
        while (queued < kTotal && (*client)->BufferedAmount(*id) < 128 * 1024) {
          EXPECT_TRUE(
              (*client)->Send(*id, MessageKind::kBinary, ByteSpan(data).subspan(queued, kMessage)).ok());
          queued += kMessage;
          sim.Wake(client_host);
        }
        return received_bytes() == kTotal;
      },
      Duration::Seconds(60)));
  std::vector<uint8_t> got;
  for (const Event& e : server_end.events()) {
    if (e.type == Event::Type::kMessage) got.insert(got.end(), e.data.begin(), e.data.end());
  }
  EXPECT_TRUE(got == data);
  const auto& up = client_host.uplink().stats();
  const auto& down = server_host.downlink().stats();
  EXPECT_GT(up.dropped_loss + down.dropped_loss, 20u);
  EXPECT_GT(up.duplicated + down.duplicated, 0u);
  RecordProperty("virtual_ms", static_cast<int>((sim.Now() - start).ms()));
  RecordProperty("dropped", static_cast<int>(up.dropped_loss + down.dropped_loss));
}

}  // namespace
}  // namespace tern::sctp
