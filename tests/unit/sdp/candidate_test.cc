// a=candidate values (RFC 8839 §5.1) as Chrome, Firefox, Pion and aiortc write them, with RFC 6544
// tcptype and libwebrtc's extensions; round trips and every rejection.
#include "tern/sdp/candidate.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "unit/sdp/sdp_test_util.h"

namespace tern::sdp {
namespace {

using testing::StatusIs;

TEST(SdpCandidate, ChromeHostWithExtensions) {
  absl::StatusOr<Candidate> c = ParseCandidate(
      "candidate:842163049 1 udp 1677729535 192.0.2.10 49203 typ host generation 0 ufrag EsAw network-id 3 "
      "network-cost 10");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->foundation, "842163049");
  EXPECT_EQ(c->component, 1u);
  EXPECT_EQ(c->transport, "udp");
  EXPECT_EQ(c->priority, 1677729535u);
  EXPECT_EQ(c->address, "192.0.2.10");
  EXPECT_EQ(c->port, 49203);
  EXPECT_EQ(c->type, "host");
  EXPECT_EQ(c->generation, 0u);
  EXPECT_EQ(c->ufrag, "EsAw");
  EXPECT_EQ(c->network_id, 3u);
  EXPECT_EQ(c->network_cost, 10u);
  EXPECT_TRUE(c->extensions.empty());
  EXPECT_EQ(FormatCandidate(*c),
            "candidate:842163049 1 udp 1677729535 192.0.2.10 49203 typ host generation 0 ufrag EsAw "
            "network-id 3 network-cost 10");
}

TEST(SdpCandidate, Rfc6544TcpActiveAndFirefoxUppercaseTransport) {
  absl::StatusOr<Candidate> c = ParseCandidate("a=candidate:1 1 TCP 2105524479 10.0.3.1 9 typ host tcptype active");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->transport, "TCP");
  EXPECT_EQ(c->port, 9);
  EXPECT_EQ(c->tcp_type, "active");
  EXPECT_EQ(FormatCandidateValue(*c), "1 1 TCP 2105524479 10.0.3.1 9 typ host tcptype active");
}

TEST(SdpCandidate, ServerReflexiveAndRelayWithRelatedAddress) {
  absl::StatusOr<Candidate> srflx =
      ParseCandidate("2 1 UDP 1686052863 198.51.100.7 45221 typ srflx raddr 10.0.3.1 rport 45221");
  ASSERT_TRUE(srflx.ok()) << srflx.status();
  EXPECT_EQ(srflx->type, "srflx");
  EXPECT_EQ(srflx->related_address, "10.0.3.1");
  EXPECT_EQ(srflx->related_port, 45221);
  absl::StatusOr<Candidate> relay = ParseCandidate(
      "candidate:3 1 udp 41885695 2001:db8::5 3478 typ relay raddr 0.0.0.0 rport 0 generation 0 network-cost 999");
  ASSERT_TRUE(relay.ok()) << relay.status();
  EXPECT_EQ(relay->address, "2001:db8::5");
  EXPECT_EQ(relay->related_port, 0);
}

TEST(SdpCandidate, MdnsHostNameAndUnknownExtensionsKeptInOrder) {
  std::string text =
      "candidate:1 1 udp 2113937151 3c1a9e5f-2b4d-4a8c-9a47-0b7b1c5e9d21.local 54321 typ host x-foo 1 x-bar two";
  absl::StatusOr<Candidate> c = ParseCandidate(text + "\r\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->address, "3c1a9e5f-2b4d-4a8c-9a47-0b7b1c5e9d21.local");
  ASSERT_EQ(c->extensions.size(), 2u);
  EXPECT_EQ(c->extensions[0], (CandidateExtension{"x-foo", "1"}));
  EXPECT_EQ(c->extensions[1], (CandidateExtension{"x-bar", "two"}));
  EXPECT_EQ(FormatCandidate(*c), text);
}

TEST(SdpCandidate, RoundTripIsStable) {
  for (const char* text : {
           "candidate:1966762133 1 udp 2130706431 127.0.0.1 44955 typ host",
           "candidate:a+/b 256 udp 0 ::1 65535 typ prflx",
           "candidate:5b8e 1 udp 1694498815 203.0.113.9 49877 typ srflx raddr 127.0.0.1 rport 49877",
       }) {
    absl::StatusOr<Candidate> c = ParseCandidate(text);
    ASSERT_TRUE(c.ok()) << text << ": " << c.status();
    EXPECT_EQ(FormatCandidate(*c), text);
    absl::StatusOr<Candidate> again = ParseCandidate(FormatCandidate(*c));
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, *c);
  }
}

TEST(SdpCandidate, Rejections) {
  struct Case {
    const char* text;
    const char* error;
  } cases[] = {
      {"", "fewer than 8 fields"},
      {"candidate:1 1 udp 1 10.0.0.1 5000 typ", "fewer than 8 fields"},
      {"candidate:f!o 1 udp 1 10.0.0.1 5000 typ host", "foundation"},
      {"candidate:123456789012345678901234567890123 1 udp 1 10.0.0.1 5000 typ host", "foundation"},
      {"candidate:1 0 udp 1 10.0.0.1 5000 typ host", "component"},
      {"candidate:1 257 udp 1 10.0.0.1 5000 typ host", "component"},
      {"candidate:1 x udp 1 10.0.0.1 5000 typ host", "component"},
      {"candidate:1 1 udp 4294967296 10.0.0.1 5000 typ host", "priority"},
      {"candidate:1 1 udp -1 10.0.0.1 5000 typ host", "priority"},
      {"candidate:1 1 udp 1 10.0.0.1 65536 typ host", "port"},
      {"candidate:1 1 udp 1 10.0.0.1 50a0 typ host", "port"},
      {"candidate:1 1 udp 1 10.0.0.1/24 5000 typ host", "connection address"},
      {"candidate:1 1 udp 1 10.0.0.1 5000 type host", "typ"},
      {"candidate:1 1 udp 1 10.0.0.1 5000 typ host raddr", "has no value"},
      {"candidate:1 1 udp 1 10.0.0.1 5000 typ srflx raddr 10.0.0.2", "raddr without rport"},
      {"candidate:1 1 udp 1 10.0.0.1 5000 typ srflx rport 1", "raddr without rport"},
      {"candidate:1 1 udp 1 10.0.0.1 5000 typ srflx raddr 1.2.3.4 rport 70000", "rport"},
      {"candidate:1 1 udp 1 10.0.0.1 5000 typ host generation x", "generation"},
      {"candidate:1 1 udp 1 10.0.0.1 5000 typ host generation 1 generation 2", "repeated generation"},
      {"candidate:1 1 udp 1 10.0.0.1 5000 typ host network-id 99999999999", "network-id"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(ParseCandidate(c.text).status(), StatusIs(absl::StatusCode::kInvalidArgument, c.error))
        << c.text;
  }
  EXPECT_THAT(ParseCandidate(std::string(2000, '1')).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "longer than 1024"));
}

}  // namespace
}  // namespace tern::sdp
