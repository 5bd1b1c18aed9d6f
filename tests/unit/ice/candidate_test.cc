// Candidate priorities (RFC 8445 §5.1.2, §6.1.2.3; RFC 8421 §4; RFC 6544 §4.2), the SDP candidate
// attribute (RFC 8839 §5.1) with browser extensions, ICE credentials (RFC 8445 §5.3), RFC 4571
// framing and the TURN REST credential helper.
#include "tern/ice/candidate.h"

#include <set>
#include <string>

#include "gtest/gtest.h"
#include "tern/base/random.h"
#include "tern/ice/ice_agent.h"
#include "tern/ice/turn_rest_credentials.h"

namespace tern::ice {
namespace {

IpAddress Ip(std::string_view s) { return *IpAddress::Parse(s); }
SocketAddress Addr(std::string_view s) { return *SocketAddress::Parse(s); }

TEST(IcePriority, Rfc8445Section5_1_2_1Formula) {
  // (2^24)*type + (2^8)*local + (256 - component).
  EXPECT_EQ(ComputeCandidatePriority(CandidateType::kHost, 65535, 1), 2130706431u);  // 0x7EFFFFFF
  EXPECT_EQ(ComputeCandidatePriority(CandidateType::kServerReflexive, 65535, 1), 1694498815u);
  EXPECT_EQ(ComputeCandidatePriority(CandidateType::kPeerReflexive, 65535, 1), 1862270975u);
  EXPECT_EQ(ComputeCandidatePriority(CandidateType::kRelay, 65535, 1), 16777215u);
  EXPECT_EQ(ComputeCandidatePriority(CandidateType::kHost, 0, 2), (126u << 24) + 254u);
  EXPECT_EQ(ComputeCandidatePriority(CandidateType::kHost, 0, 256), 126u << 24);
}

TEST(IcePriority, Rfc8445Section5_1_2_2TypePreferences) {
  EXPECT_EQ(TypePreference(CandidateType::kHost), 126u);
  EXPECT_EQ(TypePreference(CandidateType::kPeerReflexive), 110u);
  EXPECT_EQ(TypePreference(CandidateType::kServerReflexive), 100u);
  EXPECT_EQ(TypePreference(CandidateType::kRelay), 0u);
  // host > prflx > srflx > relay whatever the local preference.
  EXPECT_GT(ComputeCandidatePriority(CandidateType::kHost, 0),
            ComputeCandidatePriority(CandidateType::kPeerReflexive, 65535));
  EXPECT_GT(ComputeCandidatePriority(CandidateType::kPeerReflexive, 0),
            ComputeCandidatePriority(CandidateType::kServerReflexive, 65535));
  EXPECT_GT(ComputeCandidatePriority(CandidateType::kServerReflexive, 0),
            ComputeCandidatePriority(CandidateType::kRelay, 65535));
}

TEST(IcePriority, Rfc8445Section6_1_2_3PairPriority) {
  const uint32_t g = 2130706431, d = 1694498815;
  EXPECT_EQ(ComputePairPriority(g, d), (uint64_t{d} << 32) + 2 * uint64_t{g} + 1);
  EXPECT_EQ(ComputePairPriority(d, g), (uint64_t{d} << 32) + 2 * uint64_t{g} + 0);
  EXPECT_EQ(ComputePairPriority(g, g), (uint64_t{g} << 32) + 2 * uint64_t{g});
  // Both agents order the same pairs the same way: the min dominates.
  EXPECT_GT(ComputePairPriority(g, g), ComputePairPriority(g, d));
  EXPECT_GT(ComputePairPriority(d, g), ComputePairPriority(16777215, g));
}

TEST(IcePriority, Rfc8421DualStackInterleavesFamilies) {
  std::vector<IpAddress> ips = {Ip("192.0.2.1"),   Ip("2001:db8::1"), Ip("192.0.2.2"),
                                Ip("2001:db8::2"), Ip("fe80::1"),     Ip("127.0.0.1")};
  std::vector<uint32_t> prefs = ComputeLocalPreferences(ips);
  ASSERT_EQ(prefs.size(), ips.size());
  EXPECT_EQ(prefs[1], 65535u);         // first v6
  EXPECT_EQ(prefs[0], 65535u - 256);   // first v4
  EXPECT_EQ(prefs[3], 65535u - 512);   // second v6
  EXPECT_EQ(prefs[2], 65535u - 768);   // second v4
  EXPECT_EQ(prefs[4], 65535u - 1024);  // link-local after every routable address
  EXPECT_EQ(prefs[5], 65535u - 1280);  // loopback too
  // Duplicates share a preference; all distinct otherwise.
  std::vector<uint32_t> dup = ComputeLocalPreferences({Ip("10.0.0.1"), Ip("10.0.0.1")});
  EXPECT_EQ(dup[0], dup[1]);
}

TEST(IcePriority, Rfc6544TcpLocalPreference) {
  EXPECT_EQ(TcpLocalPreference(TcpType::kActive, 8191), 6u * 8192 + 8191);
  EXPECT_EQ(TcpLocalPreference(TcpType::kPassive, 8191), 4u * 8192 + 8191);
  EXPECT_EQ(TcpLocalPreference(TcpType::kSimultaneousOpen, 0), 2u * 8192);
  EXPECT_EQ(TcpLocalPreference(TcpType::kPassive, 0x3FFF), 4u * 8192 + 0x1FFF);  // other-pref masked
}

TEST(IceCandidateAttribute, ChromeServerReflexiveWithExtensions) {
  constexpr std::string_view kLine =
      "candidate:842163049 1 udp 1677729535 198.51.100.7 54321 typ srflx raddr 192.168.1.5 rport 54321 "
      "generation 0 ufrag EsAw network-id 1 network-cost 10";
  absl::StatusOr<Candidate> c = ParseCandidate(kLine);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->foundation, "842163049");
  EXPECT_EQ(c->component, 1u);
  EXPECT_EQ(c->protocol, TransportProtocol::kUdp);
  EXPECT_EQ(c->priority, 1677729535u);
  EXPECT_EQ(c->address, Addr("198.51.100.7:54321"));
  EXPECT_EQ(c->type, CandidateType::kServerReflexive);
  EXPECT_EQ(c->related_address, Addr("192.168.1.5:54321"));
  EXPECT_EQ(c->generation, 0u);
  EXPECT_EQ(c->ufrag, "EsAw");
  ASSERT_EQ(c->extensions.size(), 2u);
  EXPECT_EQ(c->extensions[0].first, "network-id");
  EXPECT_EQ(c->extensions[1].second, "10");
  EXPECT_EQ(SerializeCandidate(*c), kLine);
}

TEST(IceCandidateAttribute, FirefoxHostUppercaseTransportAndSdpLine) {
  absl::StatusOr<Candidate> c =
      ParseCandidate("a=candidate:0 1 UDP 2122252543 192.168.1.5 49203 typ host\r\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->type, CandidateType::kHost);
  EXPECT_FALSE(c->related_address.is_set());
  EXPECT_EQ(SerializeCandidate(*c), "candidate:0 1 udp 2122252543 192.168.1.5 49203 typ host");
  // Runs of spaces are tolerated.
  EXPECT_TRUE(ParseCandidate("candidate:0  1 udp  2122252543 192.168.1.5 49203 typ  host").ok());
}

TEST(IceCandidateAttribute, MdnsHostName) {
  absl::StatusOr<Candidate> c = ParseCandidate(
      "candidate:1 1 udp 2122260223 3c6e2a1b-4f0e-4d8e-9e1a-2b8f1b7f2c1d.local 56789 typ host generation 0");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->has_hostname());
  EXPECT_TRUE(c->is_mdns());
  EXPECT_EQ(c->hostname, "3c6e2a1b-4f0e-4d8e-9e1a-2b8f1b7f2c1d.local");
  EXPECT_FALSE(c->address.ip().is_set());
  EXPECT_EQ(c->address.port(), 56789);
  EXPECT_EQ(*ParseCandidate(SerializeCandidate(*c)), *c);
  // Browsers hide the related address of srflx candidates of mDNS hosts.
  absl::StatusOr<Candidate> s = ParseCandidate(
      "candidate:2 1 udp 1685921535 203.0.113.9 56789 typ srflx raddr 0.0.0.0 rport 0 generation 0");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->related_address, Addr("0.0.0.0:0"));
  EXPECT_FALSE(ParseCandidate("candidate:1 1 udp 1 example.com 1 typ host")->is_mdns());
}

TEST(IceCandidateAttribute, Rfc6544TcpTypes) {
  absl::StatusOr<Candidate> c =
      ParseCandidate("candidate:2 1 tcp 1518280447 192.168.1.5 9 typ host tcptype active generation 0");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->protocol, TransportProtocol::kTcp);
  EXPECT_EQ(c->tcp_type, TcpType::kActive);
  EXPECT_EQ(SerializeCandidate(*c),
            "candidate:2 1 tcp 1518280447 192.168.1.5 9 typ host tcptype active generation 0");
  EXPECT_EQ(ParseCandidate("candidate:2 1 TCP 1 192.168.1.5 443 typ host tcptype passive")->tcp_type,
            TcpType::kPassive);
  EXPECT_EQ(ParseCandidate("candidate:2 1 tcp 1 192.168.1.5 443 typ host tcptype so")->tcp_type,
            TcpType::kSimultaneousOpen);
}

TEST(IceCandidateAttribute, Ipv6AndRelay) {
  absl::StatusOr<Candidate> v6 = ParseCandidate("candidate:3 1 udp 2122262783 2001:db8::5 50000 typ host");
  ASSERT_TRUE(v6.ok()) << v6.status();
  EXPECT_EQ(v6->address, Addr("[2001:db8::5]:50000"));
  EXPECT_EQ(SerializeCandidate(*v6), "candidate:3 1 udp 2122262783 2001:db8::5 50000 typ host");
  absl::StatusOr<Candidate> relay =
      ParseCandidate("candidate:4 1 udp 41885439 198.51.100.2 49152 typ relay raddr 203.0.113.9 rport 51000");
  ASSERT_TRUE(relay.ok()) << relay.status();
  EXPECT_EQ(relay->type, CandidateType::kRelay);
  EXPECT_EQ(relay->related_address, Addr("203.0.113.9:51000"));
  absl::StatusOr<Candidate> prflx =
      ParseCandidate("candidate:5 1 udp 1845501695 203.0.113.4 4000 typ prflx raddr 10.0.0.2 rport 5000");
  ASSERT_TRUE(prflx.ok());
  EXPECT_EQ(prflx->type, CandidateType::kPeerReflexive);
}

TEST(IceCandidateAttribute, StrictOnRequiredFields) {
  const char* bad[] = {
      "",
      "candidate:",
      "candidate:1 1 udp 1 192.0.2.1 1 typ",                                       // no type
      "candidate:1 1 udp 1 192.0.2.1 1 host",                                      // "typ" missing
      "candidate:1 1 udp 1 192.0.2.1 1 type host",                                 // not "typ"
      "cand:1 1 udp 1 192.0.2.1 1 typ host",                                       // bad prefix
      "candidate:1 1 udp 1 192.0.2.1 1 typ nat",                                   // unknown type
      "candidate:123456789012345678901234567890123 1 udp 1 192.0.2.1 1 typ host",  // foundation > 32
      "candidate:a-b 1 udp 1 192.0.2.1 1 typ host",                                // '-' is not an ice-char
      "candidate:1 0 udp 1 192.0.2.1 1 typ host",                                  // component 0
      "candidate:1 257 udp 1 192.0.2.1 1 typ host",                                // component > 256
      "candidate:1 1x udp 1 192.0.2.1 1 typ host",
      "candidate:1 1 sctp 1 192.0.2.1 1 typ host",           // transport
      "candidate:1 1 udp 0 192.0.2.1 1 typ host",            // priority 0
      "candidate:1 1 udp 99999999999 192.0.2.1 1 typ host",  // priority > 32 bits
      "candidate:1 1 udp -5 192.0.2.1 1 typ host",
      "candidate:1 1 udp 1 192.0.2.1 65536 typ host",  // port
      "candidate:1 1 udp 1 192.0.2.1 port typ host",
      "candidate:1 1 udp 1 1.2.3.256 1 typ host",                  // bad IPv4 is not a host name
      "candidate:1 1 udp 1 fe80::1%eth0 1 typ host",               // zone ids
      "candidate:1 1 udp 1 [2001:db8::1] 1 typ host",              // brackets
      "candidate:1 1 udp 1 192.0.2.1 1 typ host generation",       // extension without value
      "candidate:1 1 udp 1 192.0.2.1 1 typ srflx raddr 10.0.0.1",  // raddr without rport
      "candidate:1 1 udp 1 192.0.2.1 1 typ srflx rport 5",         // rport without raddr
      "candidate:1 1 udp 1 192.0.2.1 1 typ srflx raddr 10.0.0.1 rport 5 raddr 10.0.0.2 rport 6",
      "candidate:1 1 udp 1 192.0.2.1 1 typ srflx raddr 10.0.0.1 rport 70000",
      "candidate:1 1 udp 1 192.0.2.1 1 typ srflx raddr ::1:: rport 1",
      "candidate:1 1 tcp 1 192.0.2.1 1 typ host",  // TCP without tcptype
      "candidate:1 1 tcp 1 192.0.2.1 1 typ host tcptype both",
      "candidate:1 1 udp 1 192.0.2.1 1 typ host tcptype active",  // tcptype on UDP
      "candidate:1 1 udp 1 192.0.2.1 1 typ host generation x",
      "candidate:1 1 udp 1 192.0.2.1 1 typ host ufrag a-b",
      "candidate:1 1 udp 1 192.0.2.1 1 typ host ufrag a ufrag b",
  };
  for (const char* line : bad) EXPECT_FALSE(ParseCandidate(line).ok()) << line;
  // Control characters and NULs inside the attribute.
  std::string nul = "candidate:1 1 udp 1 192.0.2.1 1 typ host";
  nul[12] = '\0';
  EXPECT_FALSE(ParseCandidate(nul).ok());
  EXPECT_FALSE(ParseCandidate("candidate:1 1 udp 1 192.0.2.1 1 typ host\nfoo bar").ok());
  EXPECT_FALSE(ParseCandidate("candidate:1 1 udp 1 192.0.2.1 1 typ host x\x01y z").ok());
  EXPECT_FALSE(ParseCandidate(std::string(5000, 'a')).ok());
  std::string many = "candidate:1 1 udp 1 192.0.2.1 1 typ host";
  for (int i = 0; i < 200; ++i) many += " a b";
  EXPECT_FALSE(ParseCandidate(many).ok());
}

TEST(IceCandidateAttribute, RoundTripOfModel) {
  Candidate c;
  c.foundation = "abc+/9";
  c.component = 1;
  c.protocol = TransportProtocol::kTcp;
  c.priority = 1518280447;
  c.address = Addr("[2001:db8::9]:443");
  c.type = CandidateType::kHost;
  c.tcp_type = TcpType::kPassive;
  c.generation = 3;
  c.ufrag = "wxyz";
  c.extensions = {{"network-cost", "50"}};
  absl::StatusOr<Candidate> back = ParseCandidate(SerializeCandidate(c));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, c);
}

TEST(IceCredentials, Rfc8445Section5_3Lengths) {
  SeededRandom random(7);
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    IceCredentials c = IceCredentials::Generate(random);
    EXPECT_GE(c.ufrag.size(), 4u);
    EXPECT_GE(c.pwd.size(), 22u);
    EXPECT_TRUE(IsIceString(c.ufrag, 4, 256));
    EXPECT_TRUE(IsIceString(c.pwd, 22, 256));
    EXPECT_TRUE(c.IsValid());
    EXPECT_TRUE(seen.insert(c.ufrag + c.pwd).second);
  }
  EXPECT_FALSE((IceCredentials{"abc", "0123456789012345678901"}).IsValid());   // ufrag < 4
  EXPECT_FALSE((IceCredentials{"abcd", "012345678901234567890"}).IsValid());   // pwd < 22
  EXPECT_FALSE((IceCredentials{"ab:d", "0123456789012345678901"}).IsValid());  // ':' is no ice-char
}

TEST(IceFraming, Rfc4571LengthPrefix) {
  const uint8_t payload[] = {1, 2, 3};
  std::vector<uint8_t> frame = Rfc4571Frame(payload);
  ASSERT_EQ(frame.size(), 5u);
  EXPECT_EQ(frame[0], 0);
  EXPECT_EQ(frame[1], 3);
  EXPECT_EQ(Rfc4571FrameSize(frame), 5u);
  EXPECT_EQ(Rfc4571FrameSize(ByteSpan(frame.data(), 4)), 0u);  // incomplete
  EXPECT_EQ(Rfc4571FrameSize(ByteSpan(frame.data(), 1)), 0u);
  std::vector<uint8_t> two = frame;
  two.insert(two.end(), frame.begin(), frame.end());
  EXPECT_EQ(Rfc4571FrameSize(two), 5u);
  EXPECT_TRUE(Rfc4571Frame(std::vector<uint8_t>(70000)).empty());
}

// Expected values from `printf '%s' USER | openssl dgst -sha1 -hmac SECRET -binary | base64`.
TEST(TurnRestCredentials, MatchesOpensslHmacSha1) {
  TurnRestCredentials c = MakeTurnRestCredentials("north-secret", "alice", 1700000000);
  EXPECT_EQ(c.username, "1700000000:alice");
  EXPECT_EQ(c.password, "g+jb180fcj+xlpA/2mP60OdIgU0=");
  TurnRestCredentials anonymous = MakeTurnRestCredentials("s3cr3t", "", 1893456000);
  EXPECT_EQ(anonymous.username, "1893456000");
  EXPECT_EQ(anonymous.password, "kR2y71VQNJQOcDdq1lReTDEhY9A=");
}

}  // namespace
}  // namespace tern::ice
