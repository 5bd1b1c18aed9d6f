// ICE server URLs (RFC 7064 §3.1, RFC 7065 §3.1) and Configuration::Validate.
#include "gtest/gtest.h"
#include "tern/configuration.h"
#include "tern/session_description.h"

namespace tern {
namespace {

TEST(IceServerUrl, Rfc7064StunDefaults) {
  absl::StatusOr<IceServerUrl> u = IceServerUrl::Parse("stun:192.0.2.1");
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->scheme, IceServerUrl::Scheme::kStun);
  EXPECT_EQ(u->port, 3478);
  EXPECT_EQ(u->ip(), IpAddress::V4(192, 0, 2, 1));
  u = IceServerUrl::Parse("stuns:stun.example.org");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->port, 5349);
  EXPECT_FALSE(u->ip().has_value());
}

TEST(IceServerUrl, Rfc7065TurnWithTransport) {
  absl::StatusOr<IceServerUrl> u = IceServerUrl::Parse("turn:[2001:db8::1]:3479?transport=tcp");
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->host, "2001:db8::1");
  EXPECT_EQ(u->port, 3479);
  EXPECT_EQ(u->transport, IceServerUrl::Transport::kTcp);
  EXPECT_EQ(u->ToString(), "turn:[2001:db8::1]:3479?transport=tcp");
  u = IceServerUrl::Parse("turns:turn.example.org");
  ASSERT_TRUE(u.ok());
  EXPECT_TRUE(u->is_tls());
  EXPECT_EQ(u->port, 5349);
  EXPECT_EQ(u->transport, IceServerUrl::Transport::kTcp);
  u = IceServerUrl::Parse("TURN:10.0.0.1?transport=udp");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->transport, IceServerUrl::Transport::kUdp);
}

TEST(IceServerUrl, RejectsWithClearErrors) {
  struct Case {
    const char* url;
    const char* says;
  } cases[] = {
      {"http://x", "unknown scheme"},       {"stun://1.2.3.4", "\"//\""},
      {"stun:", "empty host"},              {"stun:1.2.3.4:0", "bad port"},
      {"stun:1.2.3.4:70000", "bad port"},   {"stun:1.2.3.4?transport=udp", "only allowed on turn"},
      {"turn:1.2.3.4?transport=sctp", "unknown transport"}, {"turn:1.2.3.4?foo=bar", "unknown query"},
      {"turn:[1.2.3.4]", "not an IPv6"},    {"turn:[::1", "unterminated"},
      {"stun:a b", "invalid character"},    {"nocolon", "no scheme"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<IceServerUrl> u = IceServerUrl::Parse(c.url);
    ASSERT_FALSE(u.ok()) << c.url;
    EXPECT_EQ(u.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(u.status().message().find(c.says), absl::string_view::npos) << c.url << ": " << u.status();
  }
}

TEST(Configuration, Validate) {
  Configuration c;
  EXPECT_TRUE(c.Validate().ok());
  c.ice_servers = {{{"turn:192.0.2.1"}, "", ""}};
  EXPECT_NE(c.Validate().message().find("username"), absl::string_view::npos);
  c.ice_servers = {{{"turn:192.0.2.1"}, "u", "p"}};
  c.ice_transport_policy = IceTransportPolicy::kRelay;
  EXPECT_TRUE(c.Validate().ok());
  c.ice_servers = {{{"stun:192.0.2.1"}, "", ""}};
  EXPECT_FALSE(c.Validate().ok());  // relay without TURN
  c = Configuration();
  c.port_range_min = 100;
  EXPECT_FALSE(c.Validate().ok());
  c.port_range_max = 99;
  EXPECT_FALSE(c.Validate().ok());
  c.port_range_max = 200;
  EXPECT_TRUE(c.Validate().ok());
  c.bind_addresses = {IpAddress::AnyV4()};
  EXPECT_FALSE(c.Validate().ok());
  c = Configuration();
  c.max_message_size = 0;
  EXPECT_FALSE(c.Validate().ok());
  c = Configuration();
  EXPECT_EQ(c.sctp_max_streams, 256);
  c.sctp_max_streams = 0;
  EXPECT_NE(c.Validate().message().find("sctp_max_streams"), absl::string_view::npos);
}

TEST(SessionDescription, TypeNames) {
  for (SdpType t : {SdpType::kOffer, SdpType::kPrAnswer, SdpType::kAnswer, SdpType::kRollback}) {
    absl::StatusOr<SdpType> back = ParseSdpType(SdpTypeName(t));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, t);
  }
  EXPECT_FALSE(ParseSdpType("Offer").ok());
}

}  // namespace
}  // namespace tern
