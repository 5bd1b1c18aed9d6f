// Permissions (RFC 8656 §9), Send and Data indications (§10), channels and ChannelData (§11-§12), and the
// peer-address policy (§21.3; issue 6 §2: default deny list, allowed-peer-ip, the server's own addresses).
#include "gtest/gtest.h"
#include "unit/turn/turn_server_harness.h"

namespace tern::turn::testing {
namespace {

class TurnRelay : public ::testing::Test {
 protected:
  explicit TurnRelay(TurnServerConfig config = DefaultConfig()) : h(std::move(config)), c(h) {}
  void SetUp() override {
    ASSERT_TRUE(c.Allocate().is_success());
    relay = c.relayed[0];
  }

  ServerHarness h;
  RawClient c;
  SocketAddress relay;
};

TEST_F(TurnRelay, SendIndicationWithoutPermissionIsDropped) {
  EXPECT_TRUE(c.Send(c.SendIndication(kPeer, Bytes("hello"))).empty());
  EXPECT_EQ(h.server->stats().dropped_no_permission, 1u);
  // And the peer cannot reach the client either.
  EXPECT_TRUE(h.FromPeer(relay, kPeer, Bytes("hi")).empty());
}

TEST_F(TurnRelay, Rfc8656Section10SendAndDataIndications) {
  ASSERT_TRUE(c.CreatePermission({kPeer}).is_success());
  std::vector<Transmit> out = c.Send(c.SendIndication(kPeer, Bytes("hello")));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].local, relay);
  EXPECT_EQ(out[0].remote, kPeer);
  EXPECT_EQ(out[0].protocol, TransportProtocol::kUdp);
  EXPECT_EQ(out[0].payload, Bytes("hello"));

  // The permission is per IP: any port of the peer's IP may answer (RFC 8656 §9).
  SocketAddress other_port(kPeer.ip(), 9999);
  std::vector<Transmit> back = h.FromPeer(relay, other_port, Bytes("world"));
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].local, kListen);
  EXPECT_EQ(back[0].remote, kClient);
  std::optional<Message> data = ParseOne(back[0].payload);
  ASSERT_TRUE(data.has_value());
  stun::MessageView v = data->view();
  EXPECT_EQ(v.message_class(), stun::MessageClass::kIndication);
  EXPECT_EQ(v.method(), stun::method::kData);
  EXPECT_EQ(*v.GetXorAddress(stun::attr::kXorPeerAddress), other_port);
  auto payload = v.GetData();
  ASSERT_TRUE(payload.ok());
  EXPECT_EQ(std::vector<uint8_t>(payload->begin(), payload->end()), Bytes("world"));
  EXPECT_TRUE(v.VerifyFingerprint().ok());

  const TurnServerStats& s = h.server->stats();
  EXPECT_EQ(s.packets_client_to_peer, 1u);
  EXPECT_EQ(s.bytes_client_to_peer, 5u);
  EXPECT_EQ(s.packets_peer_to_client, 1u);
  EXPECT_EQ(s.bytes_peer_to_client, 5u);
}

TEST_F(TurnRelay, Rfc8656Section9PermissionsExpireAfterFiveMinutes) {
  ASSERT_TRUE(c.CreatePermission({kPeer}).is_success());
  EXPECT_EQ(h.server->stats().permissions, 1u);
  h.Advance(Duration::Seconds(299));
  EXPECT_EQ(h.FromPeer(relay, kPeer, Bytes("a")).size(), 1u);
  h.Advance(Duration::Seconds(2));
  EXPECT_TRUE(h.FromPeer(relay, kPeer, Bytes("b")).empty());
  EXPECT_EQ(h.server->stats().permissions, 0u);
  // Refreshing before expiry keeps it.
  ASSERT_TRUE(c.CreatePermission({kPeer}).is_success());
  ASSERT_TRUE(c.Refresh(600).is_success());  // the allocation itself must outlive the test
  h.Advance(Duration::Seconds(200));
  ASSERT_TRUE(c.CreatePermission({kPeer}).is_success());
  h.Advance(Duration::Seconds(200));
  EXPECT_EQ(h.FromPeer(relay, kPeer, Bytes("c")).size(), 1u);
}

TEST_F(TurnRelay, CreatePermissionWithSeveralPeersIsAllOrNothing) {
  Message m = c.CreatePermission({kPeer, SocketAddress(IpAddress::V4(10, 0, 0, 1), 1)});
  EXPECT_EQ(m.error_code(), 403);
  EXPECT_TRUE(h.FromPeer(relay, kPeer, Bytes("x")).empty());
  ASSERT_TRUE(c.CreatePermission({kPeer, kPeer2}).is_success());
  EXPECT_EQ(h.FromPeer(relay, kPeer2, Bytes("x")).size(), 1u);
  // No XOR-PEER-ADDRESS at all: 400.
  EXPECT_EQ(c.Request(stun::method::kCreatePermission, [](stun::MessageBuilder&) {}).error_code(), 400);
  // A peer of a family the allocation has no relayed address for: 443.
  EXPECT_EQ(c.CreatePermission({kPeerV6}).error_code(), 443);
}

TEST_F(TurnRelay, Rfc8656Section12ChannelDataBothWays) {
  ASSERT_TRUE(c.ChannelBind(0x4001, kPeer).is_success());  // installs the permission too
  std::vector<Transmit> out = c.Send(RawClient::ChannelData(0x4001, Bytes("ping")));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].local, relay);
  EXPECT_EQ(out[0].remote, kPeer);
  EXPECT_EQ(out[0].payload, Bytes("ping"));

  std::vector<Transmit> back = h.FromPeer(relay, kPeer, Bytes("pong!"));
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].remote, kClient);
  auto cd = stun::ParseChannelData(back[0].payload, stun::Framing::kDatagram);
  ASSERT_TRUE(cd.ok());
  EXPECT_EQ(cd->channel, 0x4001);
  EXPECT_EQ(std::vector<uint8_t>(cd->payload.begin(), cd->payload.end()), Bytes("pong!"));
  EXPECT_EQ(back[0].payload.size(), 9u);  // UDP: no padding

  // Another port of the same IP is not the channel's peer: a Data indication.
  std::vector<Transmit> other = h.FromPeer(relay, SocketAddress(kPeer.ip(), 1234), Bytes("z"));
  ASSERT_EQ(other.size(), 1u);
  EXPECT_TRUE(stun::LooksLikeStun(other[0].payload));
  // An unbound channel number is dropped.
  EXPECT_TRUE(c.Send(RawClient::ChannelData(0x4002, Bytes("x"))).empty());
}

TEST_F(TurnRelay, Rfc8656Section11ChannelBindRules) {
  ASSERT_TRUE(c.ChannelBind(0x4000, kPeer).is_success());
  // Rebinding the same pair refreshes.
  EXPECT_TRUE(c.ChannelBind(0x4000, kPeer).is_success());
  // The number for another peer, or the peer on another number: 400.
  EXPECT_EQ(c.ChannelBind(0x4000, kPeer2).error_code(), 400);
  EXPECT_EQ(c.ChannelBind(0x4001, kPeer).error_code(), 400);
  // Numbers outside 0x4000-0x7FFF (the default accepts RFC 5766's range): 400.
  EXPECT_EQ(c.ChannelBind(0x3FFF, kPeer2).error_code(), 400);
  EXPECT_EQ(c.ChannelBind(0x8000, kPeer2).error_code(), 400);
  EXPECT_EQ(c.ChannelBind(0xFFFF, kPeer2).error_code(), 400);
  // Missing peer: 400.
  EXPECT_EQ(c.Request(stun::method::kChannelBind,
                      [](stun::MessageBuilder& b) { b.AddChannelNumber(0x4005); })
                .error_code(),
            400);
  EXPECT_EQ(h.server->stats().channels, 1u);
}

// coturn's turnutils_uclient binds RFC 5766 numbers (0x4000-0x7FFF) such as 0x7647; the server accepts
// them by default (rfc5766_channel_numbers) and relays ChannelData on them both ways.
TEST_F(TurnRelay, Rfc5766ChannelNumbersAreAcceptedByDefault) {
  ASSERT_TRUE(h.server->config().rfc5766_channel_numbers);
  ASSERT_TRUE(c.ChannelBind(0x7647, kPeer).is_success());
  ASSERT_TRUE(c.ChannelBind(0x7FFF, kPeer2).is_success());
  EXPECT_EQ(h.server->stats().channels, 2u);

  std::vector<Transmit> out = c.Send(RawClient::ChannelData(0x7647, Bytes("ping")));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].local, relay);
  EXPECT_EQ(out[0].remote, kPeer);
  EXPECT_EQ(out[0].payload, Bytes("ping"));
  // With UDP padding (up to 3 bytes), too.
  std::vector<uint8_t> padded = RawClient::ChannelData(0x7FFF, Bytes("abcde"), /*stream=*/true);
  out = c.Send(padded);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].remote, kPeer2);
  EXPECT_EQ(out[0].payload, Bytes("abcde"));

  std::vector<Transmit> back = h.FromPeer(relay, kPeer, Bytes("pong!"));
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].remote, kClient);
  EXPECT_FALSE(stun::ParseChannelData(back[0].payload, stun::Framing::kDatagram).ok())
      << "not an RFC 8656 number";
  auto cd =
      stun::ParseChannelData(back[0].payload, stun::Framing::kDatagram, stun::ChannelNumberRange::kRfc5766);
  ASSERT_TRUE(cd.ok()) << cd.status();
  EXPECT_EQ(cd->channel, 0x7647);
  EXPECT_EQ(std::vector<uint8_t>(cd->payload.begin(), cd->payload.end()), Bytes("pong!"));
  EXPECT_EQ(h.server->stats().packets_client_to_peer, 2u);
  EXPECT_EQ(h.server->stats().packets_peer_to_client, 1u);

  // First bytes 0x50-0x7F are ChannelData, not STUN: an unbound number there is dropped as such.
  EXPECT_TRUE(c.Send(RawClient::ChannelData(0x6000, Bytes("x"))).empty());
  EXPECT_EQ(h.server->stats().dropped_no_permission, 1u);
  EXPECT_EQ(h.server->stats().dropped_malformed, 0u);
  // 0x8000 and above is neither ChannelData nor STUN.
  EXPECT_TRUE(c.Send(RawClient::ChannelData(0x8000, Bytes("x"))).empty());
  EXPECT_EQ(h.server->stats().dropped_malformed, 1u);
}

// With rfc5766_channel_numbers off, only RFC 8656's 0x4000-0x4FFF.
TEST(TurnRelayRfc8656Channels, WiderNumbersAreRefusedWith400AndTheirDataDropped) {
  TurnServerConfig config = DefaultConfig();
  config.rfc5766_channel_numbers = false;
  ServerHarness h(config);
  RawClient c(h);
  ASSERT_TRUE(c.Allocate().is_success());
  EXPECT_EQ(c.ChannelBind(0x5000, kPeer).error_code(), 400);
  EXPECT_EQ(c.ChannelBind(0x7647, kPeer).error_code(), 400);
  ASSERT_TRUE(c.ChannelBind(0x4FFF, kPeer).is_success());
  EXPECT_EQ(h.server->stats().channels, 1u);
  // A first byte of 0x76 is not ChannelData here, and not STUN either.
  EXPECT_TRUE(c.Send(RawClient::ChannelData(0x7647, Bytes("x"))).empty());
  EXPECT_EQ(h.server->stats().dropped_malformed, 1u);
  EXPECT_EQ(c.Send(RawClient::ChannelData(0x4FFF, Bytes("y"))).size(), 1u);
}

TEST_F(TurnRelay, ChannelsExpireAfterTenMinutesAndStayQuarantined) {
  ASSERT_TRUE(c.ChannelBind(0x4000, kPeer).is_success());
  // Keep the allocation alive; the permission is refreshed by CreatePermission, not the channel.
  for (int i = 0; i < 3; ++i) {
    h.Advance(Duration::Seconds(200));
    ASSERT_TRUE(c.Refresh(600).is_success());
    ASSERT_TRUE(c.CreatePermission({kPeer}).is_success());
  }
  h.Advance(Duration::Seconds(1));  // 601 s after the bind
  EXPECT_TRUE(c.Send(RawClient::ChannelData(0x4000, Bytes("late"))).empty());
  // The peer's data now comes as a Data indication.
  std::vector<Transmit> back = h.FromPeer(relay, kPeer, Bytes("x"));
  ASSERT_EQ(back.size(), 1u);
  EXPECT_TRUE(stun::LooksLikeStun(back[0].payload));
  // Quarantine (RFC 8656 §11): the number cannot go to another peer yet, but the same pair may rebind.
  EXPECT_EQ(c.ChannelBind(0x4000, kPeer2).error_code(), 400);
  EXPECT_TRUE(c.ChannelBind(0x4000, kPeer).is_success());
  EXPECT_EQ(c.Send(RawClient::ChannelData(0x4000, Bytes("again"))).size(), 1u);
}

TEST_F(TurnRelay, QuarantinedChannelIsReleasedAfterFiveMinutes) {
  ASSERT_TRUE(c.ChannelBind(0x4000, kPeer).is_success());
  for (int i = 0; i < 5; ++i) {
    h.Advance(Duration::Seconds(200));
    ASSERT_TRUE(c.Refresh(600).is_success());
  }
  // 1000 s: bound 600 s + quarantine 300 s are over.
  EXPECT_EQ(h.server->stats().channels, 0u);
  EXPECT_TRUE(c.ChannelBind(0x4000, kPeer2).is_success());
}

TEST_F(TurnRelay, ChannelDataNeedsAPermission) {
  ASSERT_TRUE(c.ChannelBind(0x4000, kPeer).is_success());
  h.Advance(Duration::Seconds(301));  // the permission expired, the channel has not
  EXPECT_TRUE(c.Send(RawClient::ChannelData(0x4000, Bytes("x"))).empty());
  EXPECT_TRUE(h.FromPeer(relay, kPeer, Bytes("y")).empty());
}

TEST_F(TurnRelay, ChannelDataFromAnotherFiveTupleIsDropped) {
  ASSERT_TRUE(c.ChannelBind(0x4000, kPeer).is_success());
  std::vector<uint8_t> cd = RawClient::ChannelData(0x4000, Bytes("spoof"));
  EXPECT_TRUE(h.FromClient(cd, SocketAddress(kClient.ip(), 40001)).empty());
  EXPECT_EQ(h.server->stats().dropped_no_allocation, 1u);
}

TEST_F(TurnRelay, Rfc8656Section11IcmpErrorsReachTheClientAsDataIndications) {
  // No permission: nothing.
  h.server->HandleIcmp(relay, kPeer, 3, 3, 0, h.now);
  EXPECT_TRUE(h.Drain().empty());
  ASSERT_TRUE(c.CreatePermission({kPeer}).is_success());
  // Port unreachable (3/3) and fragmentation needed (3/4, MTU 1400) are forwarded.
  h.server->HandleIcmp(relay, kPeer, 3, 4, 1400, h.now);
  std::vector<Transmit> out = h.Drain();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].remote, kClient);
  std::optional<Message> m = ParseOne(out[0].payload);
  ASSERT_TRUE(m.has_value());
  stun::MessageView v = m->view();
  EXPECT_EQ(v.method(), stun::method::kData);
  EXPECT_EQ(*v.GetXorAddress(stun::attr::kXorPeerAddress), kPeer);
  EXPECT_FALSE(v.Has(stun::attr::kData));
  auto icmp = v.Find(stun::attr::kIcmp);
  ASSERT_TRUE(icmp.has_value());
  auto value = stun::DecodeIcmp(icmp->value);
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(value->type, 3);
  EXPECT_EQ(value->code, 4);
  EXPECT_EQ(value->error_data, 1400u);
  // Other ICMPv4 types (echo reply 0, redirect 5) are not.
  h.server->HandleIcmp(relay, kPeer, 5, 0, 0, h.now);
  h.server->HandleIcmp(relay, kPeer, 0, 0, 0, h.now);
  EXPECT_TRUE(h.Drain().empty());
  // An unknown relayed address: nothing.
  h.server->HandleIcmp(SocketAddress(kRelayIp, 1), kPeer, 3, 3, 0, h.now);
  EXPECT_TRUE(h.Drain().empty());
}

TEST_F(TurnRelay, DefaultPolicyRefusesLoopbackAndPrivatePeersWith403) {
  for (const char* peer : {"127.0.0.1", "10.0.0.1", "192.168.1.1", "172.16.0.1", "100.64.0.1", "169.254.1.1",
                           "0.0.0.0", "224.0.0.1", "255.255.255.255", "198.18.0.1", "192.0.2.1"}) {
    SocketAddress p(*IpAddress::Parse(peer), 5000);
    EXPECT_EQ(c.CreatePermission({p}).error_code(), 403) << peer;
    EXPECT_EQ(c.ChannelBind(0x4000, p).error_code(), 403) << peer;
  }
  EXPECT_GE(h.server->stats().denied_peers, 22u);
  EXPECT_FALSE(h.EventsOf<PeerDenied>().empty());
  EXPECT_EQ(h.EventsOf<PeerDenied>()[0].peer, IpAddress::LoopbackV4());
}

TEST(TurnPolicy, DefaultDenyListCoversIssue6Ranges) {
  SeededRandom random(1);
  TurnServerConfig config = DefaultConfig();
  config.relay_addresses.push_back({kRelayIpV6, {}});
  auto server = TurnServer::Create(config, random);
  ASSERT_TRUE(server.ok());
  for (const char* ip : {"127.0.0.1", "127.255.0.1", "0.1.2.3", "10.1.2.3", "172.31.255.255", "192.168.0.1",
                         "100.127.255.255", "169.254.0.1", "192.0.2.5", "198.51.100.5", "203.0.113.5",
                         "198.19.0.1", "224.0.0.251", "239.255.255.250", "240.0.0.1", "192.0.0.8",
                         "::", "::1", "fc00::1", "fd12:3456::1", "fe80::1", "::ffff:8.8.8.8", "64:ff9b::808:808",
                         "64:ff9b:1::1", "2002:c000:0204::1", "2001:0:4136:e378::1", "2001:db8::1",
                         "2001:2::1", "ff02::1"}) {
    EXPECT_FALSE((*server)->IsPeerAllowed(*IpAddress::Parse(ip))) << ip;
  }
  for (const char* ip : {"8.8.8.8", "93.184.216.34", "1.1.1.1", "2606:4700::1111", "2a00:1450::1",
                         "100.128.0.1", "172.32.0.1"}) {
    EXPECT_TRUE((*server)->IsPeerAllowed(*IpAddress::Parse(ip))) << ip;
  }
}

TEST(TurnPolicy, AllowedPeerIpOverridesTheDenyListButNotTheServersOwnSockets) {
  TurnServerConfig config = DefaultConfig();
  const SocketAddress listen(IpAddress::LoopbackV4(), 3478);
  config.listening = {listen};
  config.relay_addresses = {{IpAddress::LoopbackV4(), {}}};
  config.peer_policy.allowed_peer_ranges = {*IpPrefix::Parse("127.0.0.1/32")};
  ServerHarness h(config);
  // The harness's client arrives on kListen, so build requests on the loopback listener by hand.
  RawClient c(h);
  auto send = [&](const std::vector<uint8_t>& bytes) {
    Datagram d;
    d.local = listen;
    d.remote = kClient;
    d.payload = bytes;
    h.server->HandleInput(d, h.now);
    std::vector<Transmit> out = h.Drain();
    EXPECT_EQ(out.size(), 1u);
    Message m;
    if (!out.empty()) m.bytes = out[0].payload;
    c.Learn(m);
    return m;
  };
  send(c.Build(stun::method::kAllocate, RawClient::AddUdp, false));
  Message alloc = send(c.Build(stun::method::kAllocate, RawClient::AddUdp));
  ASSERT_TRUE(alloc.is_success()) << alloc.error_code();
  SocketAddress relay = *alloc.view().GetXorAddress(stun::attr::kXorRelayedAddress);

  const SocketAddress loop_peer(IpAddress::LoopbackV4(), 3480);  // turnutils_peer's default port
  auto bind = [&](uint16_t ch, const SocketAddress& p) {
    return send(c.Build(stun::method::kChannelBind, [&](stun::MessageBuilder& b) {
      b.AddChannelNumber(ch);
      b.AddXorAddress(stun::attr::kXorPeerAddress, p);
    }));
  };
  EXPECT_TRUE(bind(0x4000, loop_peer).is_success());
  // 10.0.0.1 is still denied; the listening socket and relay ports are never peers.
  EXPECT_EQ(bind(0x4001, SocketAddress(IpAddress::V4(10, 0, 0, 1), 3480)).error_code(), 403);
  EXPECT_EQ(bind(0x4002, listen).error_code(), 403);
  EXPECT_EQ(bind(0x4003, relay).error_code(), 403);
  EXPECT_EQ(bind(0x4004, SocketAddress(IpAddress::LoopbackV4(), 50500)).error_code(), 403);
  EXPECT_TRUE(h.server->IsOwnAddress(listen));
  EXPECT_TRUE(h.server->IsOwnAddress(relay));
  EXPECT_FALSE(h.server->IsOwnAddress(loop_peer));
  // A Send indication to the listening socket is dropped even with a permission for 127.0.0.1.
  Datagram d;
  d.local = listen;
  d.remote = kClient;
  std::vector<uint8_t> ind = c.SendIndication(listen, Bytes("loop"));
  d.payload = ind;
  size_t denied = h.server->stats().denied_peers;
  h.server->HandleInput(d, h.now);
  EXPECT_TRUE(h.Drain().empty());
  EXPECT_EQ(h.server->stats().denied_peers, denied + 1);
}

TEST(TurnPolicy, UnspecifiedAddressIsRefusedEvenWhenAllowed) {
  TurnServerConfig config = DefaultConfig();
  config.peer_policy.allowed_peer_ranges = {*IpPrefix::Parse("0.0.0.0/0")};
  SeededRandom random(1);
  auto server = TurnServer::Create(config, random);
  ASSERT_TRUE(server.ok());
  EXPECT_FALSE((*server)->IsPeerAllowed(IpAddress::AnyV4()));
  EXPECT_FALSE((*server)->IsPeerAllowed(IpAddress::AnyV6()));
  EXPECT_TRUE((*server)->IsPeerAllowed(IpAddress::LoopbackV4()));
}

TEST(TurnPolicy, PermissionHookCanRefuseOrAllow) {
  TurnServerHooks hooks;
  hooks.permission_check = [](const FiveTuple&, std::string_view, const IpAddress& peer, bool allowed) {
    if (peer == kPeer2.ip()) return false;                   // refuse a public peer
    if (peer == IpAddress::V4(10, 0, 0, 9)) return true;     // allow one private peer
    return allowed;
  };
  ServerHarness h(DefaultConfig(), std::move(hooks));
  RawClient c(h);
  ASSERT_TRUE(c.Allocate().is_success());
  EXPECT_TRUE(c.CreatePermission({kPeer}).is_success());
  EXPECT_EQ(c.CreatePermission({kPeer2}).error_code(), 403);
  EXPECT_TRUE(c.CreatePermission({SocketAddress(IpAddress::V4(10, 0, 0, 9), 1)}).is_success());
  EXPECT_EQ(c.CreatePermission({SocketAddress(IpAddress::V4(10, 0, 0, 1), 1)}).error_code(), 403);
}

TEST(TurnPolicy, DeniedPeerRangesAddToTheDefaults) {
  TurnServerConfig config = DefaultConfig();
  config.peer_policy.denied_peer_ranges.push_back(*IpPrefix::Parse("93.184.216.0/24"));
  ServerHarness h(config);
  RawClient c(h);
  ASSERT_TRUE(c.Allocate().is_success());
  EXPECT_EQ(c.CreatePermission({kPeer}).error_code(), 403);
  EXPECT_TRUE(c.CreatePermission({SocketAddress(IpAddress::V4(8, 8, 8, 8), 53)}).is_success());
}

}  // namespace
}  // namespace tern::turn::testing
