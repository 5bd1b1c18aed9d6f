// tern-turnserver's coturn-format config: syntax, every supported key, errors, and command-line overrides.
#include "config.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tern::turnserver {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

IpAddress Ip(const char* s) { return *IpAddress::Parse(s); }

Config Parse(const std::string& text) {
  Config c;
  absl::Status s = ApplyConfigText(text, "t.conf", &c);
  EXPECT_TRUE(s.ok()) << s;
  return c;
}

absl::Status ParseError(const std::string& text) {
  Config c;
  return ApplyConfigText(text, "t.conf", &c);
}

TEST(TurnServerConfig, CoturnSyntaxVariants) {
  Config c = Parse(
      "# a comment\n"
      "   \n"
      "listening-port=3479\n"
      "tls-listening-port 5350\n"
      "  min-port = 40000  \n"
      "max-port\t40100\n"
      "fingerprint\n"
      "--verbose\n"
      "realm=\"example.org\"\n"
      "static-auth-secret='s3cr#t'   # trailing comment\n"
      "pidfile=/tmp/x.pid # note\n"
      "simple-log=false\n"
      "lt-cred-mech=yes\r\n");
  EXPECT_EQ(c.listening_port, 3479);
  EXPECT_EQ(c.tls_listening_port, 5350);
  EXPECT_EQ(c.min_port, 40000);
  EXPECT_EQ(c.max_port, 40100);
  EXPECT_TRUE(c.fingerprint);
  EXPECT_TRUE(c.verbose);
  EXPECT_EQ(c.realm, "example.org");
  EXPECT_THAT(c.static_auth_secrets, ElementsAre("s3cr#t"));
  EXPECT_EQ(c.pidfile, "/tmp/x.pid");
  EXPECT_FALSE(c.simple_log);
  EXPECT_TRUE(c.lt_cred_mech);
  EXPECT_TRUE(c.warnings.empty());
}

TEST(TurnServerConfig, EveryIssueKey) {
  Config c = Parse(
      "listening-ip=127.0.0.1\n"
      "listening-ip=::1\n"
      "relay-ip=127.0.0.1\n"
      "external-ip=203.0.113.5\n"
      "external-ip=198.51.100.7/10.0.0.7\n"
      "use-auth-secret\n"
      "static-auth-secret=one\n"
      "static-auth-secret=two\n"
      "user=alice:pa:ss\n"
      "user=bob:pw\n"
      "cert=/etc/c.pem\n"
      "pkey=/etc/k.pem\n"
      "cipher-list=ECDHE-ECDSA-AES128-GCM-SHA256\n"
      "no-tlsv1\n"
      "no-tlsv1_1\n"
      "no-cli\n"
      "denied-peer-ip=10.1.0.0-10.1.255.255\n"
      "denied-peer-ip=192.168.0.0/16\n"
      "allowed-peer-ip=127.0.0.1\n"
      "no-loopback-peers\n"
      "no-multicast-peers\n"
      "total-quota=100\n"
      "user-quota=7\n"
      "log-file=/var/log/t.log\n"
      "simple-log\n"
      "prometheus-port=9700\n"
      "realm=example.org\n");
  EXPECT_THAT(c.listening_ips, ElementsAre(Ip("127.0.0.1"), Ip("::1")));
  EXPECT_THAT(c.relay_ips, ElementsAre(Ip("127.0.0.1")));
  ASSERT_EQ(c.external_ips.size(), 2u);
  EXPECT_EQ(c.external_ips[0].public_ip, Ip("203.0.113.5"));
  EXPECT_FALSE(c.external_ips[0].private_ip.is_set());
  EXPECT_EQ(c.external_ips[1].public_ip, Ip("198.51.100.7"));
  EXPECT_EQ(c.external_ips[1].private_ip, Ip("10.0.0.7"));
  EXPECT_TRUE(c.use_auth_secret);
  EXPECT_THAT(c.static_auth_secrets, ElementsAre("one", "two"));
  EXPECT_THAT(c.users, ElementsAre(StaticUser{"alice", "pa:ss"}, StaticUser{"bob", "pw"}));
  EXPECT_EQ(c.cert, "/etc/c.pem");
  EXPECT_EQ(c.pkey, "/etc/k.pem");
  EXPECT_EQ(c.cipher_list, "ECDHE-ECDSA-AES128-GCM-SHA256");
  EXPECT_TRUE(c.no_tlsv1);
  EXPECT_TRUE(c.no_tlsv1_1);
  EXPECT_TRUE(c.no_cli);
  ASSERT_EQ(c.denied_peer_ips.size(), 2u);
  EXPECT_EQ(c.denied_peer_ips[0].first, Ip("10.1.0.0"));
  EXPECT_EQ(c.denied_peer_ips[0].last, Ip("10.1.255.255"));
  EXPECT_EQ(c.denied_peer_ips[1].first, Ip("192.168.0.0"));
  EXPECT_EQ(c.denied_peer_ips[1].last, Ip("192.168.255.255"));
  ASSERT_EQ(c.allowed_peer_ips.size(), 1u);
  EXPECT_TRUE(c.allowed_peer_ips[0].Contains(Ip("127.0.0.1")));
  EXPECT_FALSE(c.allowed_peer_ips[0].Contains(Ip("127.0.0.2")));
  EXPECT_TRUE(c.no_loopback_peers);
  EXPECT_TRUE(c.no_multicast_peers);
  EXPECT_EQ(c.total_quota, 100u);
  EXPECT_EQ(c.user_quota, 7u);
  EXPECT_EQ(c.log_file, "/var/log/t.log");
  EXPECT_TRUE(c.simple_log);
  EXPECT_TRUE(c.prometheus);
  EXPECT_EQ(c.prometheus_port, 9700);
  EXPECT_TRUE(c.Validate().ok()) << c.Validate();
}

TEST(TurnServerConfig, DhFileAcceptedWithNote) {
  Config c = Parse("dh-file=/etc/dh.pem\n");
  EXPECT_EQ(c.dh_file, "/etc/dh.pem");
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_THAT(c.warnings[0], HasSubstr("dh-file"));
  EXPECT_THAT(c.warnings[0], HasSubstr("not used"));
}

TEST(TurnServerConfig, UnknownKeyIsAWarningNamingIt) {
  Config c = Parse("listening-port=3478\nfrobnicate-level=9\n");
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_THAT(c.warnings[0], HasSubstr("frobnicate-level"));
  EXPECT_THAT(c.warnings[0], HasSubstr("t.conf:2"));
}

TEST(TurnServerConfig, RateLimitKeys) {
  Config c = Parse("unauthenticated-rate=0\nunauthenticated-burst=5000\n");
  EXPECT_EQ(c.unauthenticated_rate, 0);
  EXPECT_EQ(c.unauthenticated_burst, 5000);
  EXPECT_FALSE(ParseError("unauthenticated-rate=fast\n").ok());
}

TEST(TurnServerConfig, PrometheusFlagUsesDefaultPort) {
  Config c = Parse("prometheus\n");
  EXPECT_TRUE(c.prometheus);
  EXPECT_EQ(c.prometheus_port, 9641);
  EXPECT_EQ(c.prometheus_address, IpAddress::LoopbackV4());
}

TEST(TurnServerConfig, BadValuesAreErrorsWithLineAndKey) {
  struct Case {
    const char* text;
    const char* key;
  };
  const Case cases[] = {
      {"listening-port=abc\n", "listening-port"},
      {"listening-port=0\n", "listening-port"},
      {"listening-port=65536\n", "listening-port"},
      {"min-port=-5\n", "min-port"},
      {"max-port=70000\n", "max-port"},
      {"listening-ip=300.1.1.1\n", "listening-ip"},
      {"relay-ip=localhost\n", "relay-ip"},
      {"external-ip=1.2.3.4/nope\n", "external-ip"},
      {"fingerprint=maybe\n", "fingerprint"},
      {"user=nopassword\n", "user"},
      {"user=:pw\n", "user"},
      {"user=bob:0xdeadbeef\n", "user"},
      {"denied-peer-ip=10.0.0.9-10.0.0.1\n", "denied-peer-ip"},
      {"denied-peer-ip=10.0.0.1-::1\n", "denied-peer-ip"},
      {"allowed-peer-ip=10.0.0.0/33\n", "allowed-peer-ip"},
      {"total-quota=lots\n", "total-quota"},
      {"user-quota=1.5\n", "user-quota"},
      {"realm\n", "realm"},
      {"static-auth-secret=\n", "static-auth-secret"},
      {"log-file=syslog\n", "log-file"},
      {"prometheus-port=x\n", "prometheus-port"},
  };
  for (const Case& tc : cases) {
    absl::Status s = ParseError(std::string("# first line\n") + tc.text);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << tc.text;
    EXPECT_THAT(std::string(s.message()), HasSubstr(tc.key)) << tc.text;
    EXPECT_THAT(std::string(s.message()), HasSubstr("t.conf:2")) << tc.text;
  }
}

TEST(TurnServerConfig, QuotingErrors) {
  EXPECT_FALSE(ParseError("realm=\"unterminated\n").ok());
  EXPECT_FALSE(ParseError("realm=\"a\" b\n").ok());
  EXPECT_FALSE(ParseError("realm=\"\n").ok());
  EXPECT_FALSE(ParseError(std::string("realm=a\0b\n", 10)).ok());
  EXPECT_EQ(Parse("realm=\"a b\" # c\n").realm, "a b");
}

TEST(TurnServerConfig, PeerIpRangeForms) {
  absl::StatusOr<PeerIpRange> single = PeerIpRange::Parse("10.0.0.1");
  ASSERT_TRUE(single.ok());
  EXPECT_TRUE(single->Contains(Ip("10.0.0.1")));
  EXPECT_FALSE(single->Contains(Ip("10.0.0.2")));
  absl::StatusOr<PeerIpRange> range = PeerIpRange::Parse("172.17.13.133-172.17.14.56");
  ASSERT_TRUE(range.ok());
  EXPECT_TRUE(range->Contains(Ip("172.17.13.200")));
  EXPECT_TRUE(range->Contains(Ip("172.17.14.56")));
  EXPECT_FALSE(range->Contains(Ip("172.17.14.57")));
  EXPECT_FALSE(range->Contains(Ip("::1")));
  absl::StatusOr<PeerIpRange> cidr6 = PeerIpRange::Parse("fe80::/10");
  ASSERT_TRUE(cidr6.ok());
  EXPECT_TRUE(cidr6->Contains(Ip("febf::1")));
  EXPECT_FALSE(cidr6->Contains(Ip("fec0::1")));
  absl::StatusOr<PeerIpRange> range6 = PeerIpRange::Parse("2001:db8::1-2001:db8::ff");
  ASSERT_TRUE(range6.ok());
  EXPECT_TRUE(range6->Contains(Ip("2001:db8::80")));
  EXPECT_FALSE(PeerIpRange::Parse("").ok());
  EXPECT_FALSE(PeerIpRange::Parse("1.2.3.4-").ok());
}

TEST(TurnServerConfig, RangesBecomeCidrPrefixes) {
  // 10.0.0.1-10.0.0.6 = .1/32 .2/31 .4/31 .6/32
  std::vector<IpPrefix> p = PeerIpRange::Parse("10.0.0.1-10.0.0.6")->ToPrefixes();
  std::vector<std::string> s;
  for (const IpPrefix& x : p) s.push_back(x.ToString());
  EXPECT_THAT(s, ElementsAre("10.0.0.1/32", "10.0.0.2/31", "10.0.0.4/31", "10.0.0.6/32"));
  p = PeerIpRange::Parse("0.0.0.0-255.255.255.255")->ToPrefixes();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].ToString(), "0.0.0.0/0");
  p = PeerIpRange::Parse("192.168.0.0/16")->ToPrefixes();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].ToString(), "192.168.0.0/16");
  // Every address of a range is covered and nothing outside it.
  const PeerIpRange r = *PeerIpRange::Parse("10.0.0.3-10.0.1.17");
  p = r.ToPrefixes();
  for (uint32_t a = 0x0A000000; a < 0x0A000200; ++a) {
    bool covered = false;
    for (const IpPrefix& x : p) covered |= x.Contains(IpAddress::V4(a));
    EXPECT_EQ(covered, r.Contains(IpAddress::V4(a))) << IpAddress::V4(a).ToString();
  }
  p = PeerIpRange::Parse("::1-::3")->ToPrefixes();
  s.clear();
  for (const IpPrefix& x : p) s.push_back(x.ToString());
  EXPECT_THAT(s, ElementsAre("::1/128", "::2/127"));
}

TEST(TurnServerConfig, ValidateCombinations) {
  Config c = Parse("use-auth-secret\nrealm=r\n");
  EXPECT_THAT(std::string(c.Validate().message()), HasSubstr("static-auth-secret"));
  c = Parse("static-auth-secret=s\nuse-auth-secret\n");
  EXPECT_THAT(std::string(c.Validate().message()), HasSubstr("realm"));
  c = Parse("user=a:b\nrealm=r\nmin-port=5000\nmax-port=4000\n");
  EXPECT_THAT(std::string(c.Validate().message()), HasSubstr("min-port"));
  c = Parse("user=a:b\nrealm=r\ncert=/c.pem\n");
  EXPECT_THAT(std::string(c.Validate().message()), HasSubstr("pkey"));
  c = Parse("realm=r\n");
  EXPECT_THAT(std::string(c.Validate().message()), HasSubstr("credentials"));
  c = Parse("user=a:b\nrealm=r\n");
  EXPECT_TRUE(c.Validate().ok());
}

TEST(TurnServerConfig, EffectiveRelayIps) {
  EXPECT_THAT(Parse("").EffectiveRelayIps(), ElementsAre(IpAddress::LoopbackV4()));
  EXPECT_THAT(Parse("listening-ip=0.0.0.0\nlistening-ip=10.1.1.1\n").EffectiveRelayIps(),
              ElementsAre(Ip("10.1.1.1")));
  EXPECT_THAT(Parse("listening-ip=10.1.1.1\nrelay-ip=10.2.2.2\n").EffectiveRelayIps(),
              ElementsAre(Ip("10.2.2.2")));
}

class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    char name[] = "/tmp/tern_turn_conf_XXXXXX";
    const int fd = mkstemp(name);
    EXPECT_GE(fd, 0);
    close(fd);
    path_ = name;
    std::ofstream(path_) << text;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(TurnServerConfig, CommandLineOverridesFile) {
  TempFile f("listening-port=4000\nrealm=file\nlistening-ip=127.0.0.1\nverbose=0\n");
  const char* argv[] = {"tern-turnserver", "-c",          f.path().c_str(), "--listening-port=4001",
                        "--realm",         "cmd",         "-L",             "::1",
                        "-v",              "--fingerprint", "-u",           "x:y",
                        "--check-config"};
  CommandLine cl;
  absl::StatusOr<Config> c = LoadConfig(static_cast<int>(std::size(argv)), argv, &cl);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(cl.config_file, f.path());
  EXPECT_TRUE(cl.check_only);
  EXPECT_EQ(c->listening_port, 4001);
  EXPECT_EQ(c->realm, "cmd");
  EXPECT_THAT(c->listening_ips, ElementsAre(Ip("127.0.0.1"), Ip("::1")));
  EXPECT_TRUE(c->verbose);
  EXPECT_TRUE(c->fingerprint);
  EXPECT_THAT(c->users, ElementsAre(StaticUser{"x", "y"}));
}

TEST(TurnServerConfig, CommandLineErrors) {
  CommandLine cl;
  const char* missing[] = {"t", "-c", "/nonexistent/turnserver.conf"};
  EXPECT_EQ(LoadConfig(3, missing, &cl).status().code(), absl::StatusCode::kNotFound);
  const char* no_file[] = {"t", "-c"};
  EXPECT_FALSE(LoadConfig(2, no_file, &cl).ok());
  const char* bad_value[] = {"t", "--min-port=zero"};
  absl::Status s = LoadConfig(2, bad_value, &cl).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("min-port"));
  const char* stray[] = {"t", "stray"};
  EXPECT_FALSE(LoadConfig(2, stray, &cl).ok());
  const char* unknown_short[] = {"t", "-Z"};
  EXPECT_FALSE(LoadConfig(2, unknown_short, &cl).ok());
  const char* dangling[] = {"t", "--realm"};
  EXPECT_FALSE(LoadConfig(2, dangling, &cl).ok());
  TempFile bad("max-port=99999\n");
  const char* bad_file[] = {"t", "-c", bad.path().c_str()};
  s = LoadConfig(3, bad_file, &cl).status();
  EXPECT_THAT(std::string(s.message()), HasSubstr(bad.path() + ":1"));
}

TEST(TurnServerConfig, CommandLineUnknownLongKeyWarns) {
  const char* argv[] = {"t", "--no-such-thing", "--listening-port", "5000"};
  CommandLine cl;
  absl::StatusOr<Config> c = LoadConfig(4, argv, &cl);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->listening_port, 5000);
  ASSERT_EQ(c->warnings.size(), 1u);
  EXPECT_THAT(c->warnings[0], HasSubstr("no-such-thing"));
}

}  // namespace
}  // namespace tern::turnserver
