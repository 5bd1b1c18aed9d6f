// tern's own TURN client (lib/ice TurnClient; allowed here, in tests only) against the server core, wired
// directly on a virtual clock over UDP, TCP and TLS framing: 401 -> authenticated Allocate (SHA-256 via
// PASSWORD-ALGORITHMS, or MD5), REST credentials made by lib/ice's MakeTurnRestCredentials, channels and
// Send indications both ways, refreshes across 25 minutes, and deallocation.
#include <deque>
#include <map>
#include <variant>

#include "gtest/gtest.h"
#include "tern/ice/turn_client.h"
#include "tern/ice/turn_rest_credentials.h"
#include "unit/turn/turn_server_harness.h"

namespace tern::turn::testing {
namespace {

constexpr int64_t kUnixNow = 1'800'000'000;

struct Wiring {
  explicit Wiring(ice::TurnTransport transport, TurnServerConfig config = DefaultConfig())
      : h(std::move(config)), transport(transport) {}

  ice::TurnClientConfig ClientConfig(std::string username, std::string password) const {
    ice::TurnClientConfig c;
    c.server = kListen;
    c.local = kClient;
    c.transport = transport;
    c.username = std::move(username);
    c.password = std::move(password);
    return c;
  }

  TransportProtocol protocol() const {
    switch (transport) {
      case ice::TurnTransport::kUdp: return TransportProtocol::kUdp;
      case ice::TurnTransport::kTcp: return TransportProtocol::kTcp;
      case ice::TurnTransport::kTls: return TransportProtocol::kTls;
    }
    return TransportProtocol::kUdp;
  }

  // Moves bytes both ways until quiet. Server transmits to peers are collected in `to_peers`.
  void Pump(ice::TurnClient& client) {
    for (int round = 0; round < 100; ++round) {
      bool moved = false;
      while (auto t = client.PollTransmit()) {
        moved = true;
        EXPECT_EQ(t->remote, kListen);
        Datagram d;
        d.local = kListen;
        d.remote = kClient;
        d.protocol = protocol();
        d.payload = t->payload;
        h.server->HandleInput(d, h.now);
      }
      while (auto t = h.server->PollTransmit()) {
        moved = true;
        if (t->remote == kClient) {
          EXPECT_EQ(t->protocol, protocol());
          EXPECT_EQ(t->local, kListen);
          Datagram d;
          d.local = kClient;
          d.remote = kListen;
          d.protocol = protocol();
          d.payload = t->payload;
          client.HandleInput(d, h.now);
        } else {
          to_peers.push_back(std::move(*t));
        }
      }
      h.DrainEvents();
      while (auto e = client.PollEvent()) client_events.push_back(std::move(*e));
      if (!moved) return;
    }
    ADD_FAILURE() << "no quiescence";
  }

  // Runs both timers forward to `until`.
  void RunUntil(ice::TurnClient& client, Timestamp until) {
    for (int i = 0; i < 100000; ++i) {
      Timestamp next = until;
      if (auto t = client.NextTimeout()) next = std::min(next, *t);
      if (auto t = h.server->NextTimeout()) next = std::min(next, *t);
      if (next > h.now) h.now = next;
      client.HandleTimeout(h.now);
      h.server->HandleTimeout(h.now);
      Pump(client);
      if (h.now >= until) return;
    }
  }

  void FromPeer(ice::TurnClient& client, const SocketAddress& relay, const SocketAddress& peer, ByteSpan bytes) {
    Datagram d;
    d.local = relay;
    d.remote = peer;
    d.payload = bytes;
    h.server->HandleInput(d, h.now);
    Pump(client);
  }

  template <typename T>
  std::vector<T> ClientEvents() const {
    std::vector<T> out;
    for (const ice::TurnEvent& e : client_events) {
      if (const T* t = std::get_if<T>(&e)) out.push_back(*t);
    }
    return out;
  }

  ServerHarness h;
  ice::TurnTransport transport;
  std::vector<Transmit> to_peers;
  std::vector<ice::TurnEvent> client_events;
  SeededRandom client_random{99};
};

class TurnClientEndToEnd : public ::testing::TestWithParam<ice::TurnTransport> {};

TEST_P(TurnClientEndToEnd, AllocateRelayRefreshAndClose) {
  TurnServerConfig config = DefaultConfig();
  config.users.clear();
  config.rest_secrets = {"shared-secret"};
  config.unix_time_offset = Duration::Seconds(kUnixNow - 1000);
  Wiring w(GetParam(), config);
  ice::TurnRestCredentials creds = ice::MakeTurnRestCredentials("shared-secret", "alice", kUnixNow + 86400);
  EXPECT_EQ(creds.password, RestPassword("shared-secret", creds.username));  // lib/ice and lib/turn agree
  ice::TurnClient client(w.ClientConfig(creds.username, creds.password), w.client_random);

  ASSERT_TRUE(client.Allocate(w.h.now).ok());
  w.Pump(client);
  ASSERT_EQ(client.state(), ice::TurnClientState::kAllocated);
  ASSERT_EQ(w.ClientEvents<ice::TurnAllocated>().size(), 1u);
  SocketAddress relay = client.relayed_addresses().at(0);
  EXPECT_EQ(relay.ip(), kRelayIp);
  EXPECT_EQ(client.mapped_address(), kClient);
  EXPECT_EQ(w.h.server->allocation_count(), 1u);
  EXPECT_EQ(w.h.EventsOf<Allocated>().size(), 1u);

  // A channel to kPeer, a Send indication path to kPeer2.
  absl::StatusOr<uint16_t> ch = client.BindChannel(kPeer, w.h.now);
  ASSERT_TRUE(ch.ok());
  w.Pump(client);
  ASSERT_TRUE(client.BoundChannel(kPeer).has_value());
  ASSERT_TRUE(client.SendTo(kPeer, Bytes("via channel"), w.h.now).ok());
  ASSERT_TRUE(client.SendTo(kPeer2, Bytes("via send"), w.h.now).ok());
  w.Pump(client);
  ASSERT_EQ(w.to_peers.size(), 2u);
  EXPECT_EQ(w.to_peers[0].local, relay);
  EXPECT_EQ(w.to_peers[0].remote, kPeer);
  EXPECT_EQ(w.to_peers[0].payload, Bytes("via channel"));
  EXPECT_EQ(w.to_peers[1].remote, kPeer2);
  EXPECT_EQ(w.to_peers[1].payload, Bytes("via send"));

  w.FromPeer(client, relay, kPeer, Bytes("back on the channel"));
  w.FromPeer(client, relay, kPeer2, Bytes("back as data"));
  std::vector<ice::TurnDataReceived> data = w.ClientEvents<ice::TurnDataReceived>();
  ASSERT_EQ(data.size(), 2u);
  EXPECT_TRUE(data[0].via_channel);
  EXPECT_EQ(data[0].peer, kPeer);
  EXPECT_EQ(data[0].payload, Bytes("back on the channel"));
  EXPECT_FALSE(data[1].via_channel);
  EXPECT_EQ(data[1].peer, kPeer2);
  EXPECT_EQ(data[1].payload, Bytes("back as data"));

  // 25 minutes: allocation, permission and channel refreshes keep everything alive (nonces go stale
  // every 10 minutes; the client follows the 438s).
  w.RunUntil(client, w.h.now + Duration::Seconds(25 * 60));
  EXPECT_EQ(client.state(), ice::TurnClientState::kAllocated);
  EXPECT_EQ(w.h.server->allocation_count(), 1u);
  EXPECT_TRUE(w.ClientEvents<ice::TurnError>().empty());
  EXPECT_GT(w.h.server->stats().stale_nonces, 0u);
  w.to_peers.clear();
  ASSERT_TRUE(client.SendTo(kPeer, Bytes("still here"), w.h.now).ok());
  w.Pump(client);
  ASSERT_EQ(w.to_peers.size(), 1u);
  EXPECT_EQ(w.to_peers[0].payload, Bytes("still here"));
  w.FromPeer(client, relay, kPeer, Bytes("me too"));
  EXPECT_EQ(w.ClientEvents<ice::TurnDataReceived>().size(), 3u);

  client.Close(w.h.now);
  w.Pump(client);
  ASSERT_EQ(w.ClientEvents<ice::TurnDeallocated>().size(), 1u);
  EXPECT_TRUE(w.ClientEvents<ice::TurnDeallocated>()[0].acknowledged);
  EXPECT_EQ(w.h.server->allocation_count(), 0u);
  ASSERT_EQ(w.h.EventsOf<Deallocated>().size(), 1u);
  EXPECT_EQ(w.h.EventsOf<Deallocated>()[0].reason, DeallocationReason::kClientRequest);
  EXPECT_EQ(w.h.server->stats().auth_failures, 0u);
}

TEST_P(TurnClientEndToEnd, Md5OnlyServerAndStaticUser) {
  TurnServerConfig config = DefaultConfig();
  config.offer_password_algorithms = false;
  Wiring w(GetParam(), config);
  ice::TurnClient client(w.ClientConfig(std::string(kUser), std::string(kPassword)), w.client_random);
  ASSERT_TRUE(client.Allocate(w.h.now).ok());
  w.Pump(client);
  ASSERT_EQ(client.state(), ice::TurnClientState::kAllocated);
  ASSERT_TRUE(client.SendTo(kPeer, Bytes("md5"), w.h.now).ok());
  w.Pump(client);
  ASSERT_FALSE(w.to_peers.empty());
  EXPECT_EQ(w.to_peers.back().payload, Bytes("md5"));
}

TEST_P(TurnClientEndToEnd, PolicyRefusalReachesTheClient) {
  Wiring w(GetParam());
  ice::TurnClient client(w.ClientConfig(std::string(kUser), std::string(kPassword)), w.client_random);
  ASSERT_TRUE(client.Allocate(w.h.now).ok());
  w.Pump(client);
  ASSERT_EQ(client.state(), ice::TurnClientState::kAllocated);
  ASSERT_TRUE(client.CreatePermission(IpAddress::LoopbackV4(), w.h.now).ok());
  w.Pump(client);
  std::vector<ice::TurnPermissionFailed> failed = w.ClientEvents<ice::TurnPermissionFailed>();
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].error_code, 403);
  EXPECT_EQ(w.h.EventsOf<PeerDenied>().size(), 1u);
}

TEST_P(TurnClientEndToEnd, WrongPasswordFailsTheAllocation) {
  Wiring w(GetParam());
  ice::TurnClient client(w.ClientConfig(std::string(kUser), "wrong"), w.client_random);
  ASSERT_TRUE(client.Allocate(w.h.now).ok());
  w.Pump(client);
  EXPECT_EQ(client.state(), ice::TurnClientState::kFailed);
  std::vector<ice::TurnAllocationFailed> failed = w.ClientEvents<ice::TurnAllocationFailed>();
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].error_code, 401);
  EXPECT_EQ(w.h.server->allocation_count(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Transports, TurnClientEndToEnd,
                         ::testing::Values(ice::TurnTransport::kUdp, ice::TurnTransport::kTcp,
                                           ice::TurnTransport::kTls),
                         [](const ::testing::TestParamInfo<ice::TurnTransport>& info) {
                           switch (info.param) {
                             case ice::TurnTransport::kUdp: return std::string("Udp");
                             case ice::TurnTransport::kTcp: return std::string("Tcp");
                             case ice::TurnTransport::kTls: return std::string("Tls");
                           }
                           return std::string("Unknown");
                         });

}  // namespace
}  // namespace tern::turn::testing
