// NAT boxes against RFC 4787, observed the way a real client observes them: a sans-IO STUN Binding
// client behind the NAT asks STUN servers for its mapped address (RFC 8489), and peers send it unsolicited
// datagrams. Mapping behaviour (§4.1), port assignment (§4.2.1), mapping refresh and timeout (§4.3),
// filtering (§5), hairpinning (§6), nesting, IPv6, and the client's retransmissions (RFC 8489 §6.2.1).
#include <algorithm>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"
#include "sim/sim_network.h"
#include "sim/stun_endpoints.h"

namespace tern::testing {

// Readable test parameters in gtest's messages (found by ADL, so outside the anonymous namespace).
void PrintTo(NatMapping m, std::ostream* os) { *os << NatMappingName(m); }
void PrintTo(NatFiltering f, std::ostream* os) { *os << NatFilteringName(f); }
void PrintTo(NatPortAssignment p, std::ostream* os) { *os << NatPortAssignmentName(p); }

namespace {

IpAddress Ip(std::string_view text) { return *IpAddress::Parse(text); }
SocketAddress Addr(std::string_view text) { return *SocketAddress::Parse(text); }
std::vector<uint8_t> Bytes(std::string_view s) { return std::vector<uint8_t>(s.begin(), s.end()); }

const IpAddress kNatIp = Ip("203.0.113.1");
const SocketAddress kServer1 = Addr("198.51.100.1:3478");
const SocketAddress kServer1AltPort = Addr("198.51.100.1:3479");
const SocketAddress kServer2 = Addr("198.51.100.2:3478");
const SocketAddress kThird = Addr("192.0.2.50:4000");
const SocketAddress kClientLocal = Addr("192.168.1.10:5000");

// Two STUN servers (the first on two ports), a third host that only sends, and a client behind one NAT.
// Every access link has some delay so nothing happens "at once".
class NatWorld {
 public:
  NatWorld(uint64_t seed, const NatBehavior& behavior)
      : sim(seed), random(sim.ForkRandom("client")), client(kClientLocal, random) {
    server1 = &sim.AddHost("server1",
                           {.addresses = {kServer1.ip()},
                            .uplink = {.delay = Duration::Millis(20)},
                            .downlink = {.delay = Duration::Millis(20)}},
                           &server1_endpoint);
    server2 = &sim.AddHost("server2",
                           {.addresses = {kServer2.ip()},
                            .uplink = {.delay = Duration::Millis(30)},
                            .downlink = {.delay = Duration::Millis(30)}},
                           &server2_endpoint);
    third = &sim.AddHost("third", {.addresses = {kThird.ip()}, .uplink = {.delay = Duration::Millis(15)}});
    nat = &sim.AddNat("nat", {.external_addresses = {kNatIp},
                              .behavior = behavior,
                              .uplink = {.delay = Duration::Millis(5)},
                              .downlink = {.delay = Duration::Millis(5)}});
    client_host = &sim.AddHost("client",
                               {.addresses = {kClientLocal.ip()},
                                .behind = nat,
                                .uplink = {.delay = Duration::Millis(2)},
                                .downlink = {.delay = Duration::Millis(2)}},
                               &client);
  }

  // One Binding transaction from `c` (on `host`) to `server`; the mapped address when it succeeds.
  std::optional<SocketAddress> Bind(StunBindingClient& c, SimHost& host, const SocketAddress& server) {
    c.Start(server, sim.Now());
    sim.Wake(host);
    sim.RunUntil([&] { return c.done(); }, sim.Now() + Duration::Seconds(60));
    if (c.state() != StunBindingClient::State::kSucceeded) return std::nullopt;
    return c.mapped_address();
  }
  std::optional<SocketAddress> Bind(const SocketAddress& server) {
    return Bind(client, *client_host, server);
  }

  // Payloads of the datagrams the client got besides its STUN answers.
  std::vector<std::string> Unsolicited() const {
    std::vector<std::string> out;
    for (const Datagram& d : client.other_datagrams()) out.emplace_back(d.payload.begin(), d.payload.end());
    return out;
  }

  SimNetwork sim;
  SeededRandom random;
  StunBindingServer server1_endpoint, server2_endpoint;
  StunBindingClient client;
  SimHost* server1 = nullptr;
  SimHost* server2 = nullptr;
  SimHost* third = nullptr;
  SimNat* nat = nullptr;
  SimHost* client_host = nullptr;
};

std::string Name(NatMapping m) { return std::string(NatMappingName(m)); }
std::string Name(NatFiltering f) { return std::string(NatFilteringName(f)); }
std::string Name(NatPortAssignment p) { return std::string(NatPortAssignmentName(p)); }

// ----- Mapping behaviour and port assignment (RFC 4787 §4.1, §4.2.1) -----------------------------------

class NatMappingTest : public ::testing::TestWithParam<std::tuple<NatMapping, NatPortAssignment>> {};

TEST_P(NatMappingTest, StunSeesTheMappedAddressTheBehaviourImplies) {
  auto [mapping, ports] = GetParam();
  uint64_t seed = TestSeed(0x4d4150);
  SCOPED_TRACE(::testing::Message() << "seed " << seed);
  NatBehavior behavior;
  behavior.mapping = mapping;
  behavior.filtering = NatFiltering::kAddressAndPortDependent;
  behavior.port_assignment = ports;
  behavior.port_min = 40000;
  behavior.port_max = 40999;
  NatWorld w(seed, behavior);

  std::optional<SocketAddress> a = w.Bind(kServer1);
  std::optional<SocketAddress> b = w.Bind(kServer1AltPort);
  std::optional<SocketAddress> c = w.Bind(kServer2);
  std::optional<SocketAddress> a_again = w.Bind(kServer1);
  ASSERT_TRUE(a && b && c && a_again);
  for (const SocketAddress& m : {*a, *b, *c}) EXPECT_EQ(m.ip(), kNatIp);
  EXPECT_EQ(*a_again, *a);  // a live mapping is reused
  // What the servers saw is what they reported.
  EXPECT_EQ(w.server1_endpoint.sources().front(), *a);

  switch (mapping) {
    case NatMapping::kEndpointIndependent:
      EXPECT_EQ(*b, *a);
      EXPECT_EQ(*c, *a);
      EXPECT_EQ(w.nat->stats().mappings_created, 1u);
      break;
    case NatMapping::kAddressDependent:
      EXPECT_EQ(*b, *a);  // same server IP, other port
      EXPECT_NE(*c, *a);  // other server IP
      EXPECT_EQ(w.nat->stats().mappings_created, 2u);
      break;
    case NatMapping::kAddressAndPortDependent:
      EXPECT_NE(*b, *a);
      EXPECT_NE(*c, *a);
      EXPECT_NE(*c, *b);
      EXPECT_EQ(w.nat->stats().mappings_created, 3u);
      break;
  }
  EXPECT_EQ(w.nat->ActiveMappings(), w.nat->stats().mappings_created);
  EXPECT_EQ(w.nat->FindMapping(kClientLocal, kServer2), c);

  std::set<uint16_t> distinct_ports = {a->port(), b->port(), c->port()};
  switch (ports) {
    case NatPortAssignment::kPreserve:
      EXPECT_EQ(a->port(), kClientLocal.port());
      // Later mappings find 5000 taken and fall back to sequential ports from port_min.
      for (uint16_t p : distinct_ports) {
        if (p != kClientLocal.port()) {
          EXPECT_GE(p, 40000);
        }
      }
      break;
    case NatPortAssignment::kSequential:
      EXPECT_EQ(a->port(), 40000);
      EXPECT_EQ(*distinct_ports.rbegin(), 40000 + distinct_ports.size() - 1);
      break;
    case NatPortAssignment::kRandom:
      for (uint16_t p : distinct_ports) {
        EXPECT_GE(p, 40000);
        EXPECT_LE(p, 40999);
      }
      break;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Rfc4787, NatMappingTest,
    ::testing::Combine(::testing::Values(NatMapping::kEndpointIndependent, NatMapping::kAddressDependent,
                                         NatMapping::kAddressAndPortDependent),
                       ::testing::Values(NatPortAssignment::kPreserve, NatPortAssignment::kSequential,
                                         NatPortAssignment::kRandom)),
    [](const auto& info) { return Name(std::get<0>(info.param)) + Name(std::get<1>(info.param)); });

TEST(NatPortAssignment, PreservationFallsBackWhenThePortIsTaken) {
  uint64_t seed = TestSeed(7);
  SCOPED_TRACE(::testing::Message() << "seed " << seed);
  NatBehavior behavior = NatBehavior::PortRestrictedCone();
  behavior.port_min = 50000;
  NatWorld w(seed, behavior);
  SeededRandom random2 = w.sim.ForkRandom("client2");
  StunBindingClient other(Addr("192.168.1.11:5000"), random2);  // same port, other host
  SimHost& other_host =
      w.sim.AddHost("client2", {.addresses = {Ip("192.168.1.11")}, .behind = w.nat}, &other);
  std::optional<SocketAddress> first = w.Bind(kServer1);
  std::optional<SocketAddress> second = w.Bind(other, other_host, kServer1);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(*first, SocketAddress(kNatIp, 5000));
  EXPECT_EQ(*second, SocketAddress(kNatIp, 50000));
}

TEST(NatPortAssignment, RandomPortsComeFromTheSeed) {
  NatBehavior behavior = NatBehavior::FullCone();
  behavior.port_assignment = NatPortAssignment::kRandom;
  auto port_for_seed = [&](uint64_t seed) {
    NatWorld w(seed, behavior);
    std::optional<SocketAddress> m = w.Bind(kServer1);
    return m ? m->port() : 0;
  };
  EXPECT_EQ(port_for_seed(11), port_for_seed(11));
  std::set<uint16_t> ports;
  for (uint64_t seed = 1; seed <= 8; ++seed) ports.insert(port_for_seed(seed));
  EXPECT_GE(ports.size(), 7u);  // 8 draws from 64512 ports
  EXPECT_FALSE(ports.count(0));
}

// ----- Filtering behaviour (RFC 4787 §5) ---------------------------------------------------------------

class NatFilteringTest : public ::testing::TestWithParam<NatFiltering> {};

TEST_P(NatFilteringTest, UnsolicitedDatagramsPassOrBlockAsTheBehaviourSays) {
  NatFiltering filtering = GetParam();
  uint64_t seed = TestSeed(0x46494c);
  SCOPED_TRACE(::testing::Message() << "seed " << seed);
  NatBehavior behavior;
  behavior.mapping = NatMapping::kEndpointIndependent;
  behavior.filtering = filtering;
  NatWorld w(seed, behavior);
  std::optional<SocketAddress> mapped = w.Bind(kServer1);
  ASSERT_TRUE(mapped.has_value());

  // From the endpoint the client contacted, from its other port, and from a third party.
  w.sim.SendFrom(*w.server1, {kServer1, *mapped, Bytes("same-endpoint")});
  w.sim.SendFrom(*w.server1, {kServer1AltPort, *mapped, Bytes("same-ip-other-port")});
  w.sim.SendFrom(*w.third, {kThird, *mapped, Bytes("third-party")});
  // To an external port that has no mapping at all.
  w.sim.SendFrom(*w.third, {kThird, SocketAddress(kNatIp, 1), Bytes("no-mapping")});
  w.sim.RunFor(Duration::Seconds(1));

  std::vector<std::string> expected;
  switch (filtering) {
    case NatFiltering::kEndpointIndependent:
      expected = {"same-endpoint", "same-ip-other-port", "third-party"};
      break;
    case NatFiltering::kAddressDependent:
      expected = {"same-endpoint", "same-ip-other-port"};
      break;
    case NatFiltering::kAddressAndPortDependent:
      expected = {"same-endpoint"};
      break;
  }
  std::vector<std::string> got = w.Unsolicited();
  std::sort(got.begin(), got.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(got, expected);
  EXPECT_EQ(w.nat->stats().dropped_filtered, 3 - expected.size());
  EXPECT_EQ(w.nat->stats().dropped_no_mapping, 1u);
  for (const Datagram& d : w.client.other_datagrams()) EXPECT_EQ(d.destination, kClientLocal);

  // Once the client has sent to the third party (a hole punch), it gets through under every filtering.
  w.sim.SendFrom(*w.client_host, {kClientLocal, kThird, Bytes("punch")});
  w.sim.RunFor(Duration::Seconds(1));
  w.sim.SendFrom(*w.third, {kThird, *mapped, Bytes("after-punch")});
  w.sim.RunFor(Duration::Seconds(1));
  ASSERT_FALSE(w.Unsolicited().empty());
  EXPECT_EQ(w.Unsolicited().back(), "after-punch");
}

INSTANTIATE_TEST_SUITE_P(Rfc4787, NatFilteringTest,
                         ::testing::Values(NatFiltering::kEndpointIndependent,
                                           NatFiltering::kAddressDependent,
                                           NatFiltering::kAddressAndPortDependent),
                         [](const auto& info) { return Name(info.param); });

// ----- Mapping timeout and refresh (RFC 4787 §4.3) -----------------------------------------------------

NatBehavior ShortTimeout(bool inbound_refresh = false) {
  NatBehavior b = NatBehavior::PortRestrictedCone();
  b.port_assignment = NatPortAssignment::kSequential;
  b.mapping_timeout = Duration::Seconds(30);
  b.inbound_refresh = inbound_refresh;
  return b;
}

TEST(NatMappingTimeout, IdleMappingExpires) {
  uint64_t seed = TestSeed(0x7731);
  SCOPED_TRACE(::testing::Message() << "seed " << seed);
  NatWorld w(seed, ShortTimeout());
  std::optional<SocketAddress> first = w.Bind(kServer1);
  ASSERT_TRUE(first.has_value());
  w.sim.RunFor(Duration::Seconds(25));
  w.sim.SendFrom(*w.server1, {kServer1, *first, Bytes("still-mapped")});
  w.sim.RunFor(Duration::Seconds(10));  // now 35 s idle
  EXPECT_EQ(w.nat->ActiveMappings(), 0u);
  w.sim.SendFrom(*w.server1, {kServer1, *first, Bytes("expired")});
  w.sim.RunFor(Duration::Seconds(1));
  EXPECT_EQ(w.Unsolicited(), (std::vector<std::string>{"still-mapped"}));
  EXPECT_EQ(w.nat->stats().dropped_no_mapping, 1u);
  EXPECT_EQ(w.nat->stats().mappings_expired, 1u);

  std::optional<SocketAddress> second = w.Bind(kServer1);
  ASSERT_TRUE(second.has_value());
  EXPECT_NE(*second, *first);  // a new mapping (sequential: the next port)
  EXPECT_EQ(second->port(), first->port() + 1);
  EXPECT_EQ(w.nat->stats().mappings_created, 2u);
}

TEST(NatMappingTimeout, KeepalivesKeepTheMapping) {
  uint64_t seed = TestSeed(0x7732);
  SCOPED_TRACE(::testing::Message() << "seed " << seed);
  NatWorld w(seed, ShortTimeout());
  std::optional<SocketAddress> first = w.Bind(kServer1);
  ASSERT_TRUE(first.has_value());
  // A Binding keepalive every 20 s (under the 30 s timeout) for 3 minutes.
  for (int i = 0; i < 9; ++i) {
    w.sim.RunFor(Duration::Seconds(20));
    EXPECT_EQ(w.Bind(kServer1), first) << "keepalive " << i;
  }
  w.sim.RunFor(Duration::Seconds(20));
  w.sim.SendFrom(*w.server1, {kServer1, *first, Bytes("late")});
  w.sim.RunFor(Duration::Seconds(1));
  EXPECT_EQ(w.Unsolicited(), (std::vector<std::string>{"late"}));
  EXPECT_EQ(w.nat->stats().mappings_created, 1u);
  EXPECT_EQ(w.nat->stats().mappings_expired, 0u);
}

TEST(NatMappingTimeout, InboundTrafficRefreshesOnlyWhenConfigured) {
  for (bool inbound_refresh : {false, true}) {
    uint64_t seed = TestSeed(0x7733);
    SCOPED_TRACE(::testing::Message() << "seed " << seed << " inbound_refresh " << inbound_refresh);
    NatWorld w(seed, ShortTimeout(inbound_refresh));
    std::optional<SocketAddress> mapped = w.Bind(kServer1);
    ASSERT_TRUE(mapped.has_value());
    // The server sends every 10 s for a minute; the client stays silent.
    for (int i = 1; i <= 6; ++i) {
      w.sim.RunFor(Duration::Seconds(10));
      w.sim.SendFrom(*w.server1, {kServer1, *mapped, Bytes("push" + std::to_string(i))});
    }
    w.sim.RunFor(Duration::Seconds(1));
    if (inbound_refresh) {
      EXPECT_EQ(w.Unsolicited().size(), 6u);
      EXPECT_EQ(w.nat->stats().mappings_expired, 0u);
    } else {
      // Sent at 10 s and 20 s after the last outbound datagram pass; from 30 s on the mapping is gone.
      EXPECT_EQ(w.Unsolicited(), (std::vector<std::string>{"push1", "push2"}));
      EXPECT_EQ(w.nat->stats().mappings_expired, 1u);
    }
  }
}

// ----- Hairpinning (RFC 4787 §6) ------------------------------------------------------------------------

class NatHairpinTest : public ::testing::TestWithParam<bool> {};

TEST_P(NatHairpinTest, InternalHostsReachEachOtherThroughMappedAddresses) {
  bool hairpinning = GetParam();
  uint64_t seed = TestSeed(0x4841);
  SCOPED_TRACE(::testing::Message() << "seed " << seed);
  NatBehavior behavior = NatBehavior::FullCone();
  behavior.hairpinning = hairpinning;
  NatWorld w(seed, behavior);
  SeededRandom random_b = w.sim.ForkRandom("b");
  const SocketAddress b_local = Addr("192.168.1.11:6000");
  StunBindingClient b(b_local, random_b);
  SimHost& b_host = w.sim.AddHost(
      "b", {.addresses = {b_local.ip()}, .behind = w.nat, .downlink = {.delay = Duration::Millis(3)}}, &b);
  std::optional<SocketAddress> mapped_a = w.Bind(kServer1);
  std::optional<SocketAddress> mapped_b = w.Bind(b, b_host, kServer1);
  ASSERT_TRUE(mapped_a && mapped_b);

  w.sim.SendFrom(*w.client_host, {kClientLocal, *mapped_b, Bytes("hello-b")});
  w.sim.RunFor(Duration::Seconds(1));
  if (hairpinning) {
    ASSERT_EQ(b.other_datagrams().size(), 1u);
    // REQ-9: the datagram carries the sender's external (mapped) address, not its private one.
    EXPECT_EQ(b.other_datagrams()[0].source, *mapped_a);
    EXPECT_EQ(b.other_datagrams()[0].destination, b_local);
    EXPECT_EQ(w.nat->stats().hairpinned, 1u);
    // And back, to the address it came from.
    w.sim.SendFrom(b_host, {b_local, b.other_datagrams()[0].source, Bytes("hello-a")});
    w.sim.RunFor(Duration::Seconds(1));
    EXPECT_EQ(w.Unsolicited(), (std::vector<std::string>{"hello-a"}));
    EXPECT_EQ(w.client.other_datagrams()[0].source, *mapped_b);
  } else {
    EXPECT_TRUE(b.other_datagrams().empty());
    EXPECT_EQ(w.nat->stats().dropped_hairpin, 1u);
    EXPECT_EQ(w.nat->stats().hairpinned, 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(Rfc4787, NatHairpinTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "On" : "Off"; });

TEST(NatHairpin, HairpinnedDatagramsAreFiltered) {
  uint64_t seed = TestSeed(0x4842);
  SCOPED_TRACE(::testing::Message() << "seed " << seed);
  NatBehavior behavior = NatBehavior::PortRestrictedCone();
  behavior.hairpinning = true;
  NatWorld w(seed, behavior);
  RecordingEndpoint b;
  const SocketAddress b_local = Addr("192.168.1.11:6000");
  SimHost& b_host = w.sim.AddHost("b", {.addresses = {b_local.ip()}, .behind = w.nat}, &b);
  std::optional<SocketAddress> mapped_a = w.Bind(kServer1);
  ASSERT_TRUE(mapped_a.has_value());
  // b opens a mapping towards the server only.
  w.sim.SendFrom(b_host, {b_local, kServer1, Bytes("open")});
  w.sim.RunFor(Duration::Seconds(1));
  std::optional<SocketAddress> mapped_b = w.nat->FindMapping(b_local, kServer1);
  ASSERT_TRUE(mapped_b.has_value());
  w.sim.SendFrom(*w.client_host, {kClientLocal, *mapped_b, Bytes("blocked")});
  w.sim.RunFor(Duration::Seconds(1));
  EXPECT_TRUE(b.received().empty());
  EXPECT_EQ(w.nat->stats().dropped_filtered, 1u);
  // b punches towards a's mapped address (it hairpins to a), then a's datagrams pass.
  w.sim.SendFrom(b_host, {b_local, *mapped_a, Bytes("punch")});
  w.sim.SendFrom(*w.client_host, {kClientLocal, *mapped_b, Bytes("passes")});
  w.sim.RunFor(Duration::Seconds(1));
  ASSERT_EQ(b.received().size(), 1u);
  EXPECT_EQ(b.received()[0].datagram.payload, Bytes("passes"));
  EXPECT_EQ(w.Unsolicited(), (std::vector<std::string>{"punch"}));
}

// ----- Topologies: nesting and IPv6 -------------------------------------------------------------------

TEST(NatTopology, NestedNatsTranslateTwice) {
  uint64_t seed = TestSeed(0x4e4e);
  SCOPED_TRACE(::testing::Message() << "seed " << seed);
  SimNetwork sim(seed);
  StunBindingServer server;
  sim.AddHost("server", {.addresses = {kServer1.ip()}}, &server);
  SimNat& carrier =
      sim.AddNat("cgnat", {.external_addresses = {kNatIp}, .behavior = NatBehavior::FullCone()});
  SimNat& home = sim.AddNat("home", {.external_addresses = {Ip("100.64.0.2")},
                                     .behavior = NatBehavior::PortRestrictedCone(),
                                     .behind = &carrier,
                                     .uplink = {.delay = Duration::Millis(4)}});
  SeededRandom random = sim.ForkRandom("client");
  StunBindingClient client(kClientLocal, random);
  SimHost& host = sim.AddHost("client", {.addresses = {kClientLocal.ip()}, .behind = &home}, &client);
  client.Start(kServer1, sim.Now());
  sim.Wake(host);
  ASSERT_TRUE(sim.RunUntil([&] { return client.done(); }, sim.Now() + Duration::Seconds(40)));
  ASSERT_EQ(client.state(), StunBindingClient::State::kSucceeded);
  EXPECT_EQ(client.mapped_address()->ip(), kNatIp);
  EXPECT_EQ(home.FindMapping(kClientLocal, kServer1), SocketAddress(Ip("100.64.0.2"), 5000));
  EXPECT_EQ(carrier.FindMapping(SocketAddress(Ip("100.64.0.2"), 5000), kServer1), client.mapped_address());
  for (SimNat* nat : {&carrier, &home}) {
    EXPECT_EQ(nat->stats().outbound, 1u) << nat->name();
    EXPECT_EQ(nat->stats().inbound, 1u) << nat->name();
  }
}

TEST(NatTopology, Ipv6AndDualStack) {
  uint64_t seed = TestSeed(0x3636);
  SCOPED_TRACE(::testing::Message() << "seed " << seed);
  SimNetwork sim(seed);
  StunBindingServer server;
  const SocketAddress server4 = kServer1;
  const SocketAddress server6 = Addr("[2001:db8:2::1]:3478");
  sim.AddHost("server", {.addresses = {server4.ip(), server6.ip()}}, &server);
  SimNat& nat = sim.AddNat(
      "nat", {.external_addresses = {kNatIp, Ip("2001:db8:1::1")}, .behavior = NatBehavior::Symmetric()});
  SeededRandom r4 = sim.ForkRandom("c4"), r6 = sim.ForkRandom("c6"), rp = sim.ForkRandom("public");
  StunBindingClient c4(kClientLocal, r4);
  StunBindingClient c6(Addr("[fd00::10]:5000"), r6);
  StunBindingClient public6(Addr("[2001:db8:3::7]:7000"), rp);
  SimHost& dual = sim.AddHost("dual", {.addresses = {kClientLocal.ip(), Ip("fd00::10")}, .behind = &nat});
  SimHost& pub = sim.AddHost("public", {.addresses = {Ip("2001:db8:3::7")}}, &public6);
  // Two clients on one dual-stack host: route the host's datagrams by family through a tiny mux.
  class Mux final : public Endpoint {
   public:
    Mux(StunBindingClient& v4, StunBindingClient& v6) : v4_(v4), v6_(v6) {}
    void HandleInput(Datagram d, Timestamp now) override {
      (d.destination.family() == IpFamily::kV4 ? v4_ : v6_).HandleInput(std::move(d), now);
    }
    void HandleTimeout(Timestamp now) override {
      v4_.HandleTimeout(now);
      v6_.HandleTimeout(now);
    }
    std::optional<Transmit> PollTransmit() override {
      if (auto t = v4_.PollTransmit()) return t;
      return v6_.PollTransmit();
    }
    std::optional<Timestamp> NextTimeout() const override {
      auto a = v4_.NextTimeout(), b = v6_.NextTimeout();
      if (a && b) return std::min(*a, *b);
      return a ? a : b;
    }

   private:
    StunBindingClient& v4_;
    StunBindingClient& v6_;
  } mux(c4, c6);
  sim.SetEndpoint(dual, &mux);
  c4.Start(server4, sim.Now());
  c6.Start(server6, sim.Now());
  sim.Wake(dual);
  public6.Start(server6, sim.Now());
  sim.Wake(pub);
  ASSERT_TRUE(sim.RunUntil([&] { return c4.done() && c6.done() && public6.done(); },
                           sim.Now() + Duration::Seconds(40)));
  ASSERT_TRUE(c4.mapped_address() && c6.mapped_address() && public6.mapped_address());
  EXPECT_EQ(c4.mapped_address()->ip(), kNatIp);
  EXPECT_EQ(c6.mapped_address()->ip(), Ip("2001:db8:1::1"));           // NAT66
  EXPECT_EQ(*public6.mapped_address(), Addr("[2001:db8:3::7]:7000"));  // no NAT: itself
  EXPECT_EQ(nat.stats().mappings_created, 2u);
}

// ----- STUN retransmissions over the simulated network (RFC 8489 §6.2.1) ---------------------------------

TEST(StunOverSim, RetransmissionScheduleFollowsRfc8489) {
  uint64_t seed = TestSeed(0x52544f);
  SCOPED_TRACE(::testing::Message() << "seed " << seed);
  NatWorld w(seed, NatBehavior::FullCone());
  w.server1->downlink().set_config({.loss = 1.0});  // the server never hears anything
  std::vector<Duration> sends;
  Timestamp start = w.sim.Now();
  w.sim.SetTraceHook([&](const TraceEvent& e) {
    if (e.kind == TraceKind::kSend && e.where == "client") sends.push_back(e.time - start);
  });
  EXPECT_FALSE(w.Bind(kServer1).has_value());
  EXPECT_EQ(w.client.state(), StunBindingClient::State::kTimedOut);
  std::vector<Duration> expected;
  for (int64_t ms : {0, 500, 1500, 3500, 7500, 15500, 31500}) expected.push_back(Duration::Millis(ms));
  EXPECT_EQ(sends, expected);
  EXPECT_EQ(w.sim.Now() - start, Duration::Millis(39500));  // 31.5 s + 16 * 500 ms
  EXPECT_EQ(w.server1->downlink().stats().dropped_loss, 7u);
}

TEST(StunOverSim, RetransmissionsSurviveHeavyLoss) {
  uint64_t seed = TestSeed(0x4c4f5353);
  SCOPED_TRACE(::testing::Message() << "seed " << seed);
  NatWorld w(seed, NatBehavior::PortRestrictedCone());
  w.client_host->uplink().set_config({.delay = Duration::Millis(2), .loss = 0.3});
  w.client_host->downlink().set_config(
      {.delay = Duration::Millis(2), .jitter = Duration::Millis(5), .loss = 0.3, .duplicate = 0.1});
  int succeeded = 0;
  for (int i = 0; i < 50; ++i) {
    std::optional<SocketAddress> m = w.Bind(i % 2 ? kServer1 : kServer2);
    if (m.has_value()) {
      ++succeeded;
      EXPECT_EQ(*m, SocketAddress(kNatIp, 5000));
    }
  }
  // Each attempt gets through both ways with probability 0.49; all 7 fail with probability ~0.9 %.
  EXPECT_GE(succeeded, 47);
  EXPECT_GT(w.client.requests_sent(), 60);  // retransmissions did the work
  EXPECT_GT(w.client_host->uplink().stats().dropped_loss, 0u);
}

}  // namespace
}  // namespace tern::testing
