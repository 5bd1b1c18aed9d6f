// RFC 8656 §7 (Allocate), §8 (Refresh), relay addresses from the configured range, the RelayOpened /
// HandleRelayBindResult handshake with the runtime, EVEN-PORT/RESERVATION-TOKEN and dual-stack.
#include <set>

#include "gtest/gtest.h"
#include "unit/turn/turn_server_harness.h"

namespace tern::turn::testing {
namespace {

using stun::attr::kLifetime;

TEST(TurnAllocate, Rfc8656Section7UnauthenticatedAllocateGets401WithRealmAndNonce) {
  ServerHarness h;
  RawClient c(h);
  Message m = c.Request(stun::method::kAllocate, RawClient::AddUdp, false);
  EXPECT_EQ(m.error_code(), 401);
  EXPECT_EQ(*m.view().GetRealm(), kRealm);
  EXPECT_FALSE(c.nonce.empty());
  EXPECT_FALSE(m.view().has_message_integrity());
  EXPECT_TRUE(m.view().has_fingerprint());
  EXPECT_TRUE(m.view().VerifyFingerprint().ok());
  EXPECT_FALSE(m.view().Has(stun::attr::kSoftware));  // unauthenticated: no SOFTWARE
  EXPECT_EQ(h.server->allocation_count(), 0u);
  EXPECT_TRUE(h.EventsOf<AuthFailed>().empty());  // a challenge is not a failure
}

TEST(TurnAllocate, AuthenticatedAllocateSucceedsWithRelayedAddressInRange) {
  ServerHarness h;
  RawClient c(h);
  Message m = c.Allocate();
  ASSERT_TRUE(m.is_success()) << m.error_code();
  stun::MessageView v = m.view();
  ASSERT_EQ(c.relayed.size(), 1u);
  EXPECT_EQ(c.relayed[0].ip(), kRelayIp);
  EXPECT_GE(c.relayed[0].port(), 50000);
  EXPECT_LE(c.relayed[0].port(), 50999);
  EXPECT_EQ(*v.GetXorMappedAddress(), kClient);
  EXPECT_EQ(*v.GetLifetime(), 600u);
  EXPECT_EQ(*v.GetSoftware(), "tern-test");
  auto key = stun::IntegrityKey::LongTerm(kUser, kRealm, kPassword);
  EXPECT_TRUE(v.VerifyMessageIntegrity(key).ok());
  EXPECT_EQ(h.server->allocation_count(), 1u);
  EXPECT_TRUE(h.server->HasAllocation({kClient, kListen, TransportProtocol::kUdp}));
  ASSERT_EQ(h.EventsOf<RelayOpened>().size(), 1u);
  EXPECT_EQ(h.EventsOf<RelayOpened>()[0].address, c.relayed[0]);
  ASSERT_EQ(h.EventsOf<Allocated>().size(), 1u);
  EXPECT_EQ(h.EventsOf<Allocated>()[0].username, kUser);
  EXPECT_EQ(h.server->stats().allocations, 1u);
}

TEST(TurnAllocate, RetransmittedAllocateGetsTheSameResponseAndOtherTransactionGets437) {
  ServerHarness h;
  RawClient c(h);
  c.Request(stun::method::kAllocate, RawClient::AddUdp, false);
  std::vector<uint8_t> req = c.Build(stun::method::kAllocate, RawClient::AddUdp);
  Message first = OnlyResponse(c.Send(req));
  ASSERT_TRUE(first.is_success());
  Message again = OnlyResponse(c.Send(req));
  EXPECT_EQ(again.bytes, first.bytes);
  EXPECT_EQ(h.server->allocation_count(), 1u);
  Message other = c.Request(stun::method::kAllocate, RawClient::AddUdp);
  EXPECT_EQ(other.error_code(), 437);
}

TEST(TurnAllocate, LifetimeIsClampedBetweenDefaultAndMaximum) {
  ServerHarness h;
  RawClient c(h);
  Message m = c.Allocate([](stun::MessageBuilder& b) { b.AddU32(kLifetime, 100000); });
  ASSERT_TRUE(m.is_success());
  EXPECT_EQ(*m.view().GetLifetime(), 3600u);
  Message r = c.Refresh(30);  // below the default: the default
  ASSERT_TRUE(r.is_success());
  EXPECT_EQ(*r.view().GetLifetime(), 600u);
}

TEST(TurnAllocate, Rfc8656Section8ExpiryAndRefresh) {
  ServerHarness h;
  RawClient c(h);
  ASSERT_TRUE(c.Allocate().is_success());
  SocketAddress relay = c.relayed[0];
  ASSERT_TRUE(h.server->NextTimeout().has_value());
  EXPECT_LE(*h.server->NextTimeout(), h.now + Duration::Seconds(600));

  h.Advance(Duration::Seconds(500));
  Message r = c.Refresh(600);
  ASSERT_TRUE(r.is_success());
  h.Advance(Duration::Seconds(500));  // 1000 s after allocating, 500 s after the refresh
  EXPECT_EQ(h.server->allocation_count(), 1u);
  h.Advance(Duration::Seconds(101));
  EXPECT_EQ(h.server->allocation_count(), 0u);
  ASSERT_EQ(h.EventsOf<Deallocated>().size(), 1u);
  EXPECT_EQ(h.EventsOf<Deallocated>()[0].reason, DeallocationReason::kExpired);
  ASSERT_EQ(h.EventsOf<RelayClosed>().size(), 1u);
  EXPECT_EQ(h.EventsOf<RelayClosed>()[0].address, relay);
  EXPECT_EQ(h.server->reserved_port_count(), 0u);
  EXPECT_FALSE(h.server->NextTimeout().has_value());
  // Requests on the expired allocation: 437 (after renewing the nonce, which is stale by now).
  c.retry_stale = false;
  EXPECT_EQ(c.Refresh(600).error_code(), 438);
  EXPECT_EQ(c.Refresh(600).error_code(), 437);
}

TEST(TurnAllocate, RefreshWithLifetimeZeroDeallocates) {
  ServerHarness h;
  RawClient c(h);
  ASSERT_TRUE(c.Allocate().is_success());
  Message r = c.Refresh(0);
  ASSERT_TRUE(r.is_success());
  EXPECT_EQ(*r.view().GetLifetime(), 0u);
  EXPECT_EQ(h.server->allocation_count(), 0u);
  ASSERT_EQ(h.EventsOf<Deallocated>().size(), 1u);
  EXPECT_EQ(h.EventsOf<Deallocated>()[0].reason, DeallocationReason::kClientRequest);
  EXPECT_EQ(h.EventsOf<RelayClosed>().size(), 1u);
  // A new allocation on the same 5-tuple is allowed afterwards.
  EXPECT_TRUE(c.Allocate().is_success());
}

TEST(TurnAllocate, RequestsWithoutAllocationGet437) {
  ServerHarness h;
  RawClient c(h);
  c.Request(stun::method::kAllocate, RawClient::AddUdp, false);  // learn the nonce
  EXPECT_EQ(c.Refresh(600).error_code(), 437);
  EXPECT_EQ(c.CreatePermission({kPeer}).error_code(), 437);
  EXPECT_EQ(c.ChannelBind(0x4000, kPeer).error_code(), 437);
}

TEST(TurnAllocate, TcpRelayIsRefusedWith442AndMissingTransportWith400) {
  ServerHarness h;
  RawClient c(h);
  c.Request(stun::method::kAllocate, RawClient::AddUdp, false);
  Message tcp = c.Request(stun::method::kAllocate,
                          [](stun::MessageBuilder& b) { b.AddRequestedTransport(stun::kProtocolTcp); });
  EXPECT_EQ(tcp.error_code(), 442);
  Message none = c.Request(stun::method::kAllocate, [](stun::MessageBuilder&) {});
  EXPECT_EQ(none.error_code(), 400);
  EXPECT_EQ(h.server->allocation_count(), 0u);
}

TEST(TurnAllocate, DontFragmentAcceptedOrRefusedWith420ByConfig) {
  {
    ServerHarness h;
    RawClient c(h);
    EXPECT_TRUE(c.Allocate([](stun::MessageBuilder& b) { b.AddFlag(stun::attr::kDontFragment); }).is_success());
  }
  TurnServerConfig config = DefaultConfig();
  config.dont_fragment_supported = false;
  ServerHarness h(config);
  RawClient c(h);
  Message m = c.Allocate([](stun::MessageBuilder& b) { b.AddFlag(stun::attr::kDontFragment); });
  EXPECT_EQ(m.error_code(), 420);
  auto unknown = m.view().GetUnknownAttributes();
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(*unknown, std::vector<uint16_t>{stun::attr::kDontFragment});
}

TEST(TurnAllocate, UnknownComprehensionRequiredAttributeGets420) {
  ServerHarness h;
  RawClient c(h);
  c.Request(stun::method::kAllocate, RawClient::AddUdp, false);
  const uint8_t junk[4] = {1, 2, 3, 4};
  Message m = c.Request(stun::method::kAllocate, [&](stun::MessageBuilder& b) {
    RawClient::AddUdp(b);
    b.Add(0x7F01, junk);
  });
  EXPECT_EQ(m.error_code(), 420);
  EXPECT_EQ(*m.view().GetUnknownAttributes(), std::vector<uint16_t>{0x7F01});
}

TEST(TurnAllocate, RelayBindConfirmationHoldsTheResponse) {
  TurnServerConfig config = DefaultConfig();
  config.confirm_relay_binds = true;
  ServerHarness h(config);
  RawClient c(h);
  c.Request(stun::method::kAllocate, RawClient::AddUdp, false);
  std::vector<Transmit> out = c.Send(c.Build(stun::method::kAllocate, RawClient::AddUdp));
  EXPECT_TRUE(out.empty());  // held until the runtime reports the bind
  ASSERT_EQ(h.EventsOf<RelayOpened>().size(), 1u);
  SocketAddress relay = h.EventsOf<RelayOpened>()[0].address;
  EXPECT_TRUE(h.EventsOf<Allocated>().empty());
  // Peer traffic before confirmation is not relayed.
  EXPECT_TRUE(h.FromPeer(relay, kPeer, Bytes("x")).empty());

  h.server->HandleRelayBindResult(relay, absl::OkStatus(), h.now);
  Message m = OnlyResponse(h.Drain());
  ASSERT_TRUE(m.is_success());
  EXPECT_EQ(*m.view().GetXorAddress(stun::attr::kXorRelayedAddress), relay);
  EXPECT_EQ(h.EventsOf<Allocated>().size(), 1u);
}

TEST(TurnAllocate, RelayBindFailureTriesAnotherPortThen508) {
  TurnServerConfig config = DefaultConfig();
  config.confirm_relay_binds = true;
  config.max_relay_bind_attempts = 3;
  ServerHarness h(config);
  RawClient c(h);
  c.Request(stun::method::kAllocate, RawClient::AddUdp, false);
  EXPECT_TRUE(c.Send(c.Build(stun::method::kAllocate, RawClient::AddUdp)).empty());
  std::set<SocketAddress> tried;
  for (int i = 0; i < 3; ++i) {
    std::vector<RelayOpened> opened = h.EventsOf<RelayOpened>();
    ASSERT_EQ(opened.size(), static_cast<size_t>(i + 1));
    SocketAddress relay = opened.back().address;
    EXPECT_TRUE(tried.insert(relay).second) << "port tried twice: " << relay.ToString();
    h.server->HandleRelayBindResult(relay, absl::UnavailableError("EADDRINUSE"), h.now);
    std::vector<Transmit> out = h.Drain();
    if (i < 2) {
      EXPECT_TRUE(out.empty());
    } else {
      Message m = OnlyResponse(out);
      EXPECT_EQ(m.error_code(), 508);
      EXPECT_TRUE(m.view().has_message_integrity());
    }
  }
  EXPECT_EQ(h.server->allocation_count(), 0u);
  EXPECT_EQ(h.server->reserved_port_count(), 0u);
  EXPECT_EQ(h.server->stats().relay_bind_failures, 3u);
  EXPECT_TRUE(h.EventsOf<RelayClosed>().empty());  // nothing was bound, nothing to close
}

TEST(TurnAllocate, UnconfirmedBindTimesOut) {
  TurnServerConfig config = DefaultConfig();
  config.confirm_relay_binds = true;
  ServerHarness h(config);
  RawClient c(h);
  c.Request(stun::method::kAllocate, RawClient::AddUdp, false);
  c.Send(c.Build(stun::method::kAllocate, RawClient::AddUdp));
  EXPECT_EQ(h.server->allocation_count(), 1u);
  h.Advance(Duration::Seconds(11));
  EXPECT_EQ(h.server->allocation_count(), 0u);
  EXPECT_EQ(h.server->reserved_port_count(), 0u);
}

TEST(TurnAllocate, LateBindFailureEndsAnUnconfirmedAllocation) {
  ServerHarness h;  // confirm_relay_binds = false: answered at once
  RawClient c(h);
  ASSERT_TRUE(c.Allocate().is_success());
  h.server->HandleRelayBindResult(c.relayed[0], absl::UnavailableError("EADDRINUSE"), h.now);
  h.Drain();
  EXPECT_EQ(h.server->allocation_count(), 0u);
  ASSERT_EQ(h.EventsOf<Deallocated>().size(), 1u);
  EXPECT_EQ(h.EventsOf<Deallocated>()[0].reason, DeallocationReason::kRelayBindFailed);
}

TEST(TurnAllocate, ExternalIpMappingAdvertisesThePublicAddress) {
  TurnServerConfig config = DefaultConfig();
  const IpAddress public_ip = IpAddress::V4(192, 0, 2, 200);
  config.relay_addresses = {{kRelayIp, public_ip}};
  ServerHarness h(config);
  RawClient c(h);
  ASSERT_TRUE(c.Allocate().is_success());
  ASSERT_EQ(c.relayed.size(), 1u);
  EXPECT_EQ(c.relayed[0].ip(), public_ip);
  // The runtime binds (and peers reach) the private address with the same port.
  SocketAddress private_relay(kRelayIp, c.relayed[0].port());
  EXPECT_EQ(h.EventsOf<RelayOpened>()[0].address, private_relay);
  ASSERT_TRUE(c.CreatePermission({kPeer}).is_success());
  std::vector<Transmit> out = h.FromPeer(private_relay, kPeer, Bytes("hi"));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].remote, kClient);
}

TEST(TurnAllocate, Rfc8656EvenPortWithReservationToken) {
  ServerHarness h;
  RawClient c(h);
  Message m = c.Allocate([](stun::MessageBuilder& b) { b.AddEvenPort(true); });
  ASSERT_TRUE(m.is_success());
  EXPECT_EQ(c.relayed[0].port() % 2, 0);
  auto token = m.view().GetU64(stun::attr::kReservationToken);
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(h.server->reserved_port_count(), 2u);  // the port and port + 1

  // A second client claims the reserved port + 1 with the token.
  RawClient c2(h, SocketAddress(kClient.ip(), 40001));
  Message m2 = c2.Allocate([&](stun::MessageBuilder& b) { b.AddU64(stun::attr::kReservationToken, *token); });
  ASSERT_TRUE(m2.is_success()) << m2.error_code();
  EXPECT_EQ(c2.relayed[0].port(), c.relayed[0].port() + 1);
  // The token is single-use.
  RawClient c3(h, SocketAddress(kClient.ip(), 40002));
  EXPECT_EQ(c3.Allocate([&](stun::MessageBuilder& b) { b.AddU64(stun::attr::kReservationToken, *token); })
                .error_code(),
            508);
  // RESERVATION-TOKEN with EVEN-PORT: 400.
  RawClient c4(h, SocketAddress(kClient.ip(), 40003));
  EXPECT_EQ(c4.Allocate([&](stun::MessageBuilder& b) {
                b.AddU64(stun::attr::kReservationToken, 1);
                b.AddEvenPort(false);
              }).error_code(),
            400);
}

TEST(TurnAllocate, ReservationsExpire) {
  ServerHarness h;
  RawClient c(h);
  Message m = c.Allocate([](stun::MessageBuilder& b) { b.AddEvenPort(true); });
  ASSERT_TRUE(m.is_success());
  uint64_t token = *m.view().GetU64(stun::attr::kReservationToken);
  EXPECT_EQ(h.server->reserved_port_count(), 2u);
  h.Advance(Duration::Seconds(31));
  EXPECT_EQ(h.server->reserved_port_count(), 1u);
  RawClient c2(h, SocketAddress(kClient.ip(), 40001));
  EXPECT_EQ(c2.Allocate([&](stun::MessageBuilder& b) { b.AddU64(stun::attr::kReservationToken, token); })
                .error_code(),
            508);
}

TEST(TurnAllocate, Rfc8656DualStackAllocation) {
  TurnServerConfig config = DefaultConfig();
  config.relay_addresses = {{kRelayIp, {}}, {kRelayIpV6, {}}};
  ServerHarness h(config);
  RawClient c(h);
  Message m = c.Allocate([](stun::MessageBuilder& b) {
    b.AddAddressFamily(stun::attr::kAdditionalAddressFamily, IpFamily::kV6);
  });
  ASSERT_TRUE(m.is_success()) << m.error_code();
  ASSERT_EQ(c.relayed.size(), 2u);
  EXPECT_TRUE(c.relayed[0].ip().is_v4());
  EXPECT_TRUE(c.relayed[1].ip().is_v6());
  EXPECT_EQ(h.EventsOf<RelayOpened>().size(), 2u);
  // Permissions for both families, data through both.
  ASSERT_TRUE(c.CreatePermission({kPeer, kPeerV6}).is_success());
  std::vector<Transmit> out = c.Send(c.SendIndication(kPeerV6, Bytes("six")));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].local, c.relayed[1]);
  EXPECT_EQ(out[0].remote, kPeerV6);
  ASSERT_TRUE(c.Refresh(0).is_success());
  EXPECT_EQ(h.EventsOf<RelayClosed>().size(), 2u);
}

TEST(TurnAllocate, DualStackWithoutV6RelayGetsV4AndAddressErrorCode) {
  ServerHarness h;
  RawClient c(h);
  Message m = c.Allocate([](stun::MessageBuilder& b) {
    b.AddAddressFamily(stun::attr::kAdditionalAddressFamily, IpFamily::kV6);
  });
  ASSERT_TRUE(m.is_success());
  ASSERT_EQ(c.relayed.size(), 1u);
  EXPECT_TRUE(c.relayed[0].ip().is_v4());
  auto aec = m.view().Find(stun::attr::kAddressErrorCode);
  ASSERT_TRUE(aec.has_value());
  auto v = stun::DecodeAddressErrorCode(aec->value);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->family, IpFamily::kV6);
  EXPECT_EQ(v->code, 440);
}

TEST(TurnAllocate, RequestedAddressFamilyV6WithoutV6RelayGets440) {
  ServerHarness h;
  RawClient c(h);
  Message m = c.Allocate([](stun::MessageBuilder& b) {
    b.AddAddressFamily(stun::attr::kRequestedAddressFamily, IpFamily::kV6);
  });
  EXPECT_EQ(m.error_code(), 440);
  // Both family attributes at once: 400.
  Message both = c.Allocate([](stun::MessageBuilder& b) {
    b.AddAddressFamily(stun::attr::kRequestedAddressFamily, IpFamily::kV4);
    b.AddAddressFamily(stun::attr::kAdditionalAddressFamily, IpFamily::kV6);
  });
  EXPECT_EQ(both.error_code(), 400);
  // ADDITIONAL-ADDRESS-FAMILY asking for IPv4: 400.
  Message v4 = c.Allocate([](stun::MessageBuilder& b) {
    b.AddAddressFamily(stun::attr::kAdditionalAddressFamily, IpFamily::kV4);
  });
  EXPECT_EQ(v4.error_code(), 400);
}

TEST(TurnAllocate, RefreshWithMismatchedFamilyGets443) {
  ServerHarness h;
  RawClient c(h);
  ASSERT_TRUE(c.Allocate().is_success());
  Message m = c.Request(stun::method::kRefresh, [](stun::MessageBuilder& b) {
    b.AddAddressFamily(stun::attr::kRequestedAddressFamily, IpFamily::kV6);
  });
  EXPECT_EQ(m.error_code(), 443);
}

TEST(TurnAllocate, AlternateServerHookAnswers300) {
  TurnServerHooks hooks;
  const SocketAddress alternate(IpAddress::V4(192, 0, 2, 77), 3478);
  hooks.alternate_server = [&](const FiveTuple&) -> std::optional<SocketAddress> { return alternate; };
  ServerHarness h(DefaultConfig(), std::move(hooks));
  RawClient c(h);
  Message m = c.Allocate();
  EXPECT_EQ(m.error_code(), 300);
  EXPECT_EQ(*m.view().GetAddress(stun::attr::kAlternateServer), alternate);
  EXPECT_TRUE(m.view().has_message_integrity());
  EXPECT_EQ(h.server->allocation_count(), 0u);
}

TEST(TurnAllocate, ShutdownEndsEverything) {
  ServerHarness h;
  for (uint16_t i = 0; i < 5; ++i) {
    RawClient c(h, SocketAddress(kClient.ip(), static_cast<uint16_t>(41000 + i)));
    ASSERT_TRUE(c.Allocate().is_success());
  }
  h.server->Shutdown(h.now);
  h.DrainEvents();
  EXPECT_EQ(h.server->allocation_count(), 0u);
  EXPECT_EQ(h.EventsOf<RelayClosed>().size(), 5u);
  EXPECT_EQ(h.EventsOf<Deallocated>().size(), 5u);
  EXPECT_EQ(h.server->reserved_port_count(), 0u);
}

TEST(TurnServerConfigTest, CreateRefusesBadConfigs) {
  SeededRandom random(1);
  TurnServerConfig c = DefaultConfig();
  c.relay_addresses.clear();
  EXPECT_FALSE(TurnServer::Create(c, random).ok());
  c = DefaultConfig();
  c.min_port = 6000;
  c.max_port = 5000;
  EXPECT_FALSE(TurnServer::Create(c, random).ok());
  c = DefaultConfig();
  c.realm = "";
  EXPECT_FALSE(TurnServer::Create(c, random).ok());
  c = DefaultConfig();
  c.relay_addresses = {{IpAddress::AnyV4(), {}}};
  EXPECT_FALSE(TurnServer::Create(c, random).ok());
  c = DefaultConfig();
  c.relay_addresses = {{kRelayIp, kRelayIpV6}};
  EXPECT_FALSE(TurnServer::Create(c, random).ok());
  EXPECT_TRUE(TurnServer::Create(DefaultConfig(), random).ok());
}

}  // namespace
}  // namespace tern::turn::testing
