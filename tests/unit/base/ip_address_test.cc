// IpAddress, SocketAddress and IpPrefix: text forms (RFC 4291 input, RFC 5952 output) and the RFC 6890
// special-purpose classifications a TURN server's peer filter relies on.
#include "tern/base/ip_address.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace tern {
namespace {

IpAddress Ip(std::string_view text) {
  absl::StatusOr<IpAddress> ip = IpAddress::Parse(text);
  EXPECT_TRUE(ip.ok()) << text << ": " << ip.status();
  return ip.value_or(IpAddress());
}

// ---------------------------------------------------------------------------------------------------
// IPv4 text.

TEST(IpAddressParse, DottedQuad) {
  absl::StatusOr<IpAddress> ip = IpAddress::Parse("192.0.2.1");
  ASSERT_TRUE(ip.ok()) << ip.status();
  EXPECT_TRUE(ip->is_v4());
  EXPECT_FALSE(ip->is_v6());
  EXPECT_TRUE(ip->is_set());
  EXPECT_EQ(ip->family(), IpFamily::kV4);
  EXPECT_EQ(ip->v4_host_order(), 0xC0000201u);
  ASSERT_EQ(ip->bytes().size(), 4u);
  EXPECT_EQ(ip->bytes()[0], 192);
  EXPECT_EQ(ip->bytes()[3], 1);
  EXPECT_EQ(ip->ToString(), "192.0.2.1");
  EXPECT_EQ(*ip, IpAddress::V4(192, 0, 2, 1));
  EXPECT_EQ(*ip, IpAddress::V4(0xC0000201u));
  const uint8_t raw[4] = {192, 0, 2, 1};
  EXPECT_EQ(*ip, IpAddress::V4(std::span<const uint8_t, 4>(raw)));
}

TEST(IpAddressParse, V4Extremes) {
  EXPECT_EQ(Ip("0.0.0.0"), IpAddress::AnyV4());
  EXPECT_EQ(Ip("255.255.255.255").v4_host_order(), 0xFFFFFFFFu);
  EXPECT_EQ(Ip("127.0.0.1"), IpAddress::LoopbackV4());
  EXPECT_EQ(IpAddress::AnyV4().ToString(), "0.0.0.0");
}

TEST(IpAddressParse, RejectsMalformedTextWithInvalidArgument) {
  const char* bad[] = {
      "",                                                   // empty
      "1.2.3",                                              // three parts
      "1.2.3.4.5",                                          // five parts
      "256.0.0.1",                                          // octet out of range
      "1.2.3.-4",                                           // sign
      "1.2.3.4 ",                                           // trailing space
      " 1.2.3.4",                                           // leading space
      "1.2.3.4/8",                                          // a prefix is not an address
      "1.2.3.4:80",                                         // nor is a socket address
      "a.b.c.d",                                            // not digits
      "0x7f.0.0.1",                                         // no hex or octal shortcuts
      "localhost",                                          // no names
      "::g",                                                // bad hex digit
      "1::2::3",                                            // two "::"
      "12345::",                                            // group too long
      "1:2:3:4:5:6:7:8:9",                                  // nine groups
      "1:2:3:4:5:6:7",                                      // seven groups without "::"
      ":::",                                                // nonsense
      "[::1]",                                              // brackets belong to socket addresses
      "fe80::1%eth0",                                       // no zone ids
      "::ffff:1.2.3",                                       // bad embedded quad
      "2001:db8::1 ",                                       // trailing space
      "::1:2:3:4:5:6:7:8:9:10:11:12:13:14:15:16:17:18:19",  // longer than any address text
  };
  for (const char* text : bad) {
    absl::StatusOr<IpAddress> ip = IpAddress::Parse(text);
    EXPECT_FALSE(ip.ok()) << "accepted \"" << text << "\" as " << ip.value_or(IpAddress()).ToString();
    if (!ip.ok()) {
      EXPECT_EQ(ip.status().code(), absl::StatusCode::kInvalidArgument) << text;
    }
  }
}

TEST(IpAddressParse, RejectsEmbeddedNul) {
  std::string text("1.2.3.4");
  text.push_back('\0');
  text += "junk";
  EXPECT_FALSE(IpAddress::Parse(text).ok());
}

// ---------------------------------------------------------------------------------------------------
// IPv6 text: RFC 4291 §2.2 input, RFC 5952 §4 canonical output.

TEST(IpAddressParse, V6Forms) {
  IpAddress full = Ip("2001:0db8:0000:0000:0000:0000:0000:0001");
  EXPECT_TRUE(full.is_v6());
  ASSERT_EQ(full.bytes().size(), 16u);
  EXPECT_EQ(full.bytes()[0], 0x20);
  EXPECT_EQ(full.bytes()[1], 0x01);
  EXPECT_EQ(full.bytes()[2], 0x0d);
  EXPECT_EQ(full.bytes()[3], 0xb8);
  EXPECT_EQ(full.bytes()[15], 0x01);
  EXPECT_EQ(full.v4_host_order(), 0u) << "v4_host_order is 0 unless v4";
  EXPECT_EQ(Ip("2001:db8::1"), full);
  EXPECT_EQ(Ip("2001:DB8::1"), full);
  EXPECT_EQ(Ip("::"), IpAddress::AnyV6());
  EXPECT_EQ(Ip("::1"), IpAddress::LoopbackV6());
  // An embedded dotted quad in the low 32 bits (RFC 4291 §2.2 form 3).
  IpAddress mapped = Ip("::ffff:192.0.2.128");
  EXPECT_EQ(mapped.bytes()[10], 0xff);
  EXPECT_EQ(mapped.bytes()[11], 0xff);
  EXPECT_EQ(mapped.bytes()[12], 192);
  EXPECT_EQ(mapped.bytes()[15], 128);
}

TEST(IpAddressToString, Rfc5952Canonical) {
  struct Case {
    const char* in;
    const char* out;
  } cases[] = {
      // §4.1: leading zeros suppressed.
      {"2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"},
      {"2001:db8:00aa:0bbb:0000:0000:0000:0001", "2001:db8:aa:bbb::1"},
      // §4.2.1: "::" as long as possible.
      {"2001:db8:0:0:0:0:2:1", "2001:db8::2:1"},
      // §4.2.2: not for a single 16-bit 0 field.
      {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},
      // §4.2.3: the longest run; on a tie, the first.
      {"2001:0:0:1:0:0:0:1", "2001:0:0:1::1"},
      {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
      // §4.3: lowercase.
      {"2001:DB8:ABCD::EF", "2001:db8:abcd::ef"},
      {"0:0:0:0:0:0:0:0", "::"},
      {"0:0:0:0:0:0:0:1", "::1"},
      {"1:0:0:0:0:0:0:0", "1::"},
      {"fe80:0:0:0:0:0:0:1", "fe80::1"},
      {"1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"},
      // §5: v4-mapped addresses keep the dotted quad.
      {"0:0:0:0:0:ffff:c000:0280", "::ffff:192.0.2.128"},
      // RFC 5769 §2.3's address.
      {"2001:0db8:1234:5678:0011:2233:4455:6677", "2001:db8:1234:5678:11:2233:4455:6677"},
  };
  for (const Case& c : cases) {
    IpAddress ip = Ip(c.in);
    EXPECT_EQ(ip.ToString(), c.out) << c.in;
    EXPECT_EQ(Ip(ip.ToString()), ip) << "round trip of " << c.in;
  }
}

TEST(IpAddress, UnsetIsDistinctFromAnyAddress) {
  IpAddress unset;
  EXPECT_FALSE(unset.is_set());
  EXPECT_EQ(unset.family(), IpFamily::kUnspecified);
  EXPECT_TRUE(unset.bytes().empty());
  EXPECT_EQ(unset.ToString(), "");
  EXPECT_NE(unset, IpAddress::AnyV4());
  EXPECT_NE(unset, IpAddress::AnyV6());
  EXPECT_NE(IpAddress::AnyV4(), IpAddress::AnyV6());
  EXPECT_EQ(IpAddress::AnyV6().ToString(), "::");
}

TEST(IpAddress, OrderingAndHashing) {
  EXPECT_LT(Ip("10.0.0.1"), Ip("10.0.0.2"));
  EXPECT_LT(Ip("9.255.255.255"), Ip("10.0.0.0"));
  absl::flat_hash_set<IpAddress> set = {Ip("10.0.0.1"), Ip("10.0.0.1"), Ip("::1"), Ip("::0.0.0.1")};
  EXPECT_EQ(set.size(), 2u);  // "::0.0.0.1" is "::1"
  EXPECT_TRUE(set.contains(IpAddress::LoopbackV6()));
  EXPECT_FALSE(set.contains(IpAddress::LoopbackV4()));
}

// ---------------------------------------------------------------------------------------------------
// Classification (RFC 6890 and the RFCs it lists). Every address is checked against every method.

enum Flag : uint32_t {
  kUnspecified = 1 << 0,
  kLoopback = 1 << 1,
  kPrivate = 1 << 2,
  kLinkLocal = 1 << 3,
  kMulticast = 1 << 4,
  kShared = 1 << 5,
  kThisNetwork = 1 << 6,
  kBroadcast = 1 << 7,
  kDocumentation = 1 << 8,
  kBenchmarking = 1 << 9,
  kV4Mapped = 1 << 10,
  kNat64 = 1 << 11,
  k6to4 = 1 << 12,
  kTeredo = 1 << 13,
  kGlobal = 1 << 14,
};

uint32_t Classify(const IpAddress& a) {
  uint32_t f = 0;
  if (a.IsUnspecified()) f |= kUnspecified;
  if (a.IsLoopback()) f |= kLoopback;
  if (a.IsPrivate()) f |= kPrivate;
  if (a.IsLinkLocal()) f |= kLinkLocal;
  if (a.IsMulticast()) f |= kMulticast;
  if (a.IsSharedAddressSpace()) f |= kShared;
  if (a.IsThisNetwork()) f |= kThisNetwork;
  if (a.IsBroadcast()) f |= kBroadcast;
  if (a.IsDocumentation()) f |= kDocumentation;
  if (a.IsBenchmarking()) f |= kBenchmarking;
  if (a.IsV4Mapped()) f |= kV4Mapped;
  if (a.IsNat64()) f |= kNat64;
  if (a.Is6to4()) f |= k6to4;
  if (a.IsTeredo()) f |= kTeredo;
  if (a.IsGloballyRoutable()) f |= kGlobal;
  return f;
}

std::string FlagNames(uint32_t f) {
  static const char* kNames[] = {"Unspecified", "Loopback", "Private",   "LinkLocal", "Multicast",
                                 "Shared",      "ThisNet",  "Broadcast", "Doc",       "Benchmark",
                                 "V4Mapped",    "Nat64",    "6to4",      "Teredo",    "Global"};
  std::string out;
  for (int i = 0; i < 15; ++i) {
    if (f & (1u << i)) {
      if (!out.empty()) out += "|";
      out += kNames[i];
    }
  }
  return out.empty() ? "none" : out;
}

struct ClassCase {
  const char* address;
  uint32_t flags;
};

TEST(IpAddressClassification, V4SpecialPurposeRanges) {
  const ClassCase cases[] = {
      {"0.0.0.0", kUnspecified | kThisNetwork},
      {"0.1.2.3", kThisNetwork},
      {"0.255.255.255", kThisNetwork},
      {"1.0.0.0", kGlobal},
      {"127.0.0.1", kLoopback},
      {"127.255.255.254", kLoopback},
      {"126.255.255.255", kGlobal},
      {"128.0.0.0", kGlobal},
      // RFC 1918.
      {"10.0.0.0", kPrivate},
      {"10.255.255.255", kPrivate},
      {"11.0.0.0", kGlobal},
      {"172.16.0.1", kPrivate},
      {"172.31.255.255", kPrivate},
      {"172.15.255.255", kGlobal},
      {"172.32.0.0", kGlobal},
      {"192.168.0.1", kPrivate},
      {"192.168.255.255", kPrivate},
      {"192.169.0.0", kGlobal},
      // RFC 3927.
      {"169.254.0.1", kLinkLocal},
      {"169.254.255.255", kLinkLocal},
      {"169.253.255.255", kGlobal},
      // RFC 5771.
      {"224.0.0.1", kMulticast},
      {"239.255.255.255", kMulticast},
      {"223.255.255.255", kGlobal},
      // RFC 6598 shared address space (CGNAT).
      {"100.64.0.0", kShared},
      {"100.127.255.255", kShared},
      {"100.63.255.255", kGlobal},
      {"100.128.0.0", kGlobal},
      // RFC 919 limited broadcast (also inside the reserved 240/4).
      {"255.255.255.255", kBroadcast},
      {"255.255.255.254", 0},
      {"240.0.0.1", 0},
      // RFC 5737 documentation.
      {"192.0.2.1", kDocumentation},
      {"198.51.100.7", kDocumentation},
      {"203.0.113.255", kDocumentation},
      {"192.0.3.1", kGlobal},
      {"198.51.101.0", kGlobal},
      {"203.0.112.255", kGlobal},
      // RFC 2544 benchmarking 198.18/15.
      {"198.18.0.1", kBenchmarking},
      {"198.19.255.255", kBenchmarking},
      {"198.17.255.255", kGlobal},
      {"198.20.0.0", kGlobal},
      // RFC 6890 IETF protocol assignments 192.0.0/24.
      {"192.0.0.8", 0},
      // Ordinary public addresses.
      {"8.8.8.8", kGlobal},
      {"1.1.1.1", kGlobal},
      {"93.184.216.34", kGlobal},
  };
  for (const ClassCase& c : cases) {
    IpAddress ip = Ip(c.address);
    ASSERT_TRUE(ip.is_v4()) << c.address;
    EXPECT_EQ(FlagNames(Classify(ip)), FlagNames(c.flags)) << c.address;
  }
}

TEST(IpAddressClassification, V6SpecialPurposeRanges) {
  const ClassCase cases[] = {
      {"::", kUnspecified},
      {"::1", kLoopback},
      {"::2", 0 | kGlobal},  // not special in tern's list
      // RFC 4193 unique local fc00::/7.
      {"fc00::1", kPrivate},
      {"fd12:3456:789a::1", kPrivate},
      {"fbff:ffff::1", kGlobal},
      {"fe00::1", kGlobal},
      // RFC 4291 link-local fe80::/10.
      {"fe80::1", kLinkLocal},
      {"febf:ffff::1", kLinkLocal},
      // Multicast ff00::/8.
      {"ff02::1", kMulticast},
      {"ff0e::101", kMulticast},
      // RFC 3849 documentation 2001:db8::/32.
      {"2001:db8::1", kDocumentation},
      {"2001:db8:ffff:ffff::1", kDocumentation},
      {"2001:db9::1", kGlobal},
      // RFC 5180 benchmarking 2001:2::/48.
      {"2001:2::1", kBenchmarking},
      {"2001:2:0:ffff::1", kBenchmarking},
      {"2001:2:1::1", kGlobal},
      // RFC 4291 v4-mapped ::ffff:0:0/96.
      {"::ffff:192.0.2.1", kV4Mapped},
      {"::ffff:8.8.8.8", kV4Mapped},
      {"::fffe:8.8.8.8", kGlobal},
      // RFC 6052 / RFC 8215 NAT64 64:ff9b::/96 and 64:ff9b:1::/48.
      {"64:ff9b::192.0.2.1", kNat64},
      {"64:ff9b::8.8.8.8", kNat64},
      {"64:ff9b:1::1", kNat64},
      {"64:ff9b:1:ffff::1", kNat64},
      {"64:ff9b:2::1", kGlobal},
      {"64:ff9b:0:0:1::1", kGlobal},  // outside the /96 and the /48
      // RFC 3056 6to4 2002::/16.
      {"2002:c000:201::1", k6to4},
      {"2003::1", kGlobal},
      // RFC 4380 Teredo 2001::/32.
      {"2001::1", kTeredo},
      {"2001:0:4136:e378:8000:63bf:3fff:fdd2", kTeredo},
      {"2001:1::1", kGlobal},
      // Ordinary public addresses.
      {"2606:4700:4700::1111", kGlobal},
      {"2a00:1450:4001:80b::200e", kGlobal},
  };
  for (const ClassCase& c : cases) {
    IpAddress ip = Ip(c.address);
    ASSERT_TRUE(ip.is_v6()) << c.address;
    EXPECT_EQ(FlagNames(Classify(ip)), FlagNames(c.flags)) << c.address;
  }
}

TEST(IpAddressClassification, UnsetAddressIsNothing) {
  EXPECT_EQ(FlagNames(Classify(IpAddress())), FlagNames(0));
}

TEST(IpAddressClassification, ClassificationIsFamilySpecific) {
  // The v4 ranges do not match v6 addresses that happen to start with the same bytes, and vice versa.
  EXPECT_FALSE(Ip("a00::1").IsPrivate());         // 0a00:: is not 10/8
  EXPECT_FALSE(Ip("7f00::1").IsLoopback());       // 7f00:: is not 127/8
  EXPECT_FALSE(Ip("252.0.0.1").IsPrivate());      // 0xfc... is not fc00::/7
  EXPECT_FALSE(Ip("254.128.0.1").IsLinkLocal());  // 0xfe80... is not fe80::/10
  EXPECT_FALSE(Ip("255.2.0.1").IsMulticast());    // 0xff... is not ff00::/8
}

TEST(IpAddress, UnmappedExtractsEmbeddedV4) {
  EXPECT_EQ(Ip("::ffff:192.0.2.1").Unmapped(), IpAddress::V4(192, 0, 2, 1));
  EXPECT_EQ(Ip("::ffff:127.0.0.1").Unmapped(), IpAddress::LoopbackV4());
  EXPECT_TRUE(Ip("::ffff:127.0.0.1").Unmapped().IsLoopback());
  // Everything else comes back unchanged.
  EXPECT_EQ(Ip("2001:db8::1").Unmapped(), Ip("2001:db8::1"));
  EXPECT_EQ(Ip("64:ff9b::192.0.2.1").Unmapped(), Ip("64:ff9b::192.0.2.1"));
  EXPECT_EQ(Ip("::fffe:192.0.2.1").Unmapped(), Ip("::fffe:192.0.2.1"));
  EXPECT_EQ(Ip("10.0.0.1").Unmapped(), Ip("10.0.0.1"));
  EXPECT_EQ(IpAddress().Unmapped(), IpAddress());
}

// ---------------------------------------------------------------------------------------------------
// SocketAddress.

TEST(SocketAddressParse, V4AndV6) {
  absl::StatusOr<SocketAddress> v4 = SocketAddress::Parse("192.0.2.1:3478");
  ASSERT_TRUE(v4.ok()) << v4.status();
  EXPECT_EQ(v4->ip(), IpAddress::V4(192, 0, 2, 1));
  EXPECT_EQ(v4->port(), 3478);
  EXPECT_EQ(v4->family(), IpFamily::kV4);
  EXPECT_EQ(v4->ToString(), "192.0.2.1:3478");

  absl::StatusOr<SocketAddress> v6 = SocketAddress::Parse("[2001:DB8:0::1]:443");
  ASSERT_TRUE(v6.ok()) << v6.status();
  EXPECT_EQ(v6->ip(), Ip("2001:db8::1"));
  EXPECT_EQ(v6->port(), 443);
  EXPECT_EQ(v6->family(), IpFamily::kV6);
  EXPECT_EQ(v6->ToString(), "[2001:db8::1]:443") << "v6 is written with brackets, RFC 5952 §6";

  absl::StatusOr<SocketAddress> mapped = SocketAddress::Parse("[::ffff:10.0.0.1]:1");
  ASSERT_TRUE(mapped.ok()) << mapped.status();
  EXPECT_EQ(mapped->ToString(), "[::ffff:10.0.0.1]:1");
}

TEST(SocketAddressParse, PortRange) {
  EXPECT_EQ(SocketAddress::Parse("1.2.3.4:0")->port(), 0);
  EXPECT_EQ(SocketAddress::Parse("1.2.3.4:65535")->port(), 65535);
  EXPECT_EQ(SocketAddress::Parse("[::]:65535")->port(), 65535);
}

TEST(SocketAddressParse, RejectsBadText) {
  const char* bad[] = {
      "",
      "1.2.3.4",            // no port
      "1.2.3.4:",           // empty port
      "1.2.3.4:65536",      // port out of range
      "1.2.3.4:99999",      // port out of range
      "1.2.3.4:100000",     // too many digits
      "1.2.3.4:-1",         // sign
      "1.2.3.4:+80",        // sign
      "1.2.3.4:8a",         // not a number
      "1.2.3.4: 80",        // space
      "1.2.3.4:80 ",        // space
      "1.2.3:80",           // bad address
      ":80",                // no address
      "2001:db8::1:80",     // v6 needs brackets
      "::1:80",             // v6 needs brackets
      "[2001:db8::1]",      // no port
      "[2001:db8::1]:",     // empty port
      "[2001:db8::1]80",    // missing colon
      "[2001:db8::1:80",    // missing close bracket
      "2001:db8::1]:80",    // missing open bracket
      "[1.2.3.4]:80",       // brackets around v4
      "[]:80",              // empty brackets
      "[::1]:70000",        // port out of range
      "[fe80::1%eth0]:80",  // zone ids unsupported
  };
  for (const char* text : bad) {
    absl::StatusOr<SocketAddress> sa = SocketAddress::Parse(text);
    EXPECT_FALSE(sa.ok()) << "accepted \"" << text << "\" as " << sa.value_or(SocketAddress()).ToString();
    if (!sa.ok()) {
      EXPECT_EQ(sa.status().code(), absl::StatusCode::kInvalidArgument) << text;
      EXPECT_FALSE(sa.status().message().empty()) << text;
    }
  }
}

TEST(SocketAddress, ValueSemantics) {
  SocketAddress unset;
  EXPECT_FALSE(unset.is_set());
  EXPECT_EQ(unset.port(), 0);
  SocketAddress a(IpAddress::V4(10, 0, 0, 1), 5000);
  SocketAddress b(IpAddress::V4(10, 0, 0, 1), 5001);
  SocketAddress c(IpAddress::V4(10, 0, 0, 2), 1);
  EXPECT_TRUE(a.is_set());
  EXPECT_NE(a, b);
  EXPECT_LT(a, b);
  EXPECT_LT(b, c) << "ordered by address first, then port";
  EXPECT_EQ(a, *SocketAddress::Parse("10.0.0.1:5000"));
  absl::flat_hash_set<SocketAddress> set = {a, b, a};
  EXPECT_EQ(set.size(), 2u);
}

// ---------------------------------------------------------------------------------------------------
// IpPrefix.

TEST(IpPrefixParse, V4ContainsAndClearsHostBits) {
  absl::StatusOr<IpPrefix> p = IpPrefix::Parse("10.1.2.3/8");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->address(), Ip("10.0.0.0")) << "host bits are cleared";
  EXPECT_EQ(p->length(), 8);
  EXPECT_EQ(p->ToString(), "10.0.0.0/8");
  EXPECT_TRUE(p->Contains(Ip("10.0.0.0")));
  EXPECT_TRUE(p->Contains(Ip("10.255.255.255")));
  EXPECT_FALSE(p->Contains(Ip("11.0.0.0")));
  EXPECT_FALSE(p->Contains(Ip("9.255.255.255")));
  EXPECT_FALSE(p->Contains(Ip("::ffff:10.0.0.1"))) << "v4-mapped addresses are not unmapped";
  EXPECT_FALSE(p->Contains(Ip("a00::1")));
  EXPECT_FALSE(p->Contains(IpAddress()));

  absl::StatusOr<IpPrefix> odd = IpPrefix::Parse("192.168.1.77/26");
  ASSERT_TRUE(odd.ok());
  EXPECT_EQ(odd->ToString(), "192.168.1.64/26");
  EXPECT_TRUE(odd->Contains(Ip("192.168.1.64")));
  EXPECT_TRUE(odd->Contains(Ip("192.168.1.127")));
  EXPECT_FALSE(odd->Contains(Ip("192.168.1.128")));
  EXPECT_FALSE(odd->Contains(Ip("192.168.1.63")));

  absl::StatusOr<IpPrefix> cgnat = IpPrefix::Parse("100.64.0.0/10");
  ASSERT_TRUE(cgnat.ok());
  EXPECT_TRUE(cgnat->Contains(Ip("100.127.255.255")));
  EXPECT_FALSE(cgnat->Contains(Ip("100.128.0.0")));
}

TEST(IpPrefixParse, V6ContainsAndClearsHostBits) {
  absl::StatusOr<IpPrefix> ll = IpPrefix::Parse("fe80::1/10");
  ASSERT_TRUE(ll.ok()) << ll.status();
  EXPECT_EQ(ll->ToString(), "fe80::/10");
  EXPECT_TRUE(ll->Contains(Ip("febf:ffff::1")));
  EXPECT_FALSE(ll->Contains(Ip("fec0::1")));

  absl::StatusOr<IpPrefix> p = IpPrefix::Parse("2001:db8:abcd:ffff::/50");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->ToString(), "2001:db8:abcd:c000::/50");
  EXPECT_TRUE(p->Contains(Ip("2001:db8:abcd:c000::1")));
  EXPECT_TRUE(p->Contains(Ip("2001:db8:abcd:ffff:ffff:ffff:ffff:ffff")));
  EXPECT_FALSE(p->Contains(Ip("2001:db8:abcd:bfff::1")));
  EXPECT_FALSE(p->Contains(Ip("10.0.0.1")));
}

TEST(IpPrefixParse, BareAddressIsAHostPrefix) {
  absl::StatusOr<IpPrefix> v4 = IpPrefix::Parse("192.0.2.7");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->length(), 32);
  EXPECT_TRUE(v4->Contains(Ip("192.0.2.7")));
  EXPECT_FALSE(v4->Contains(Ip("192.0.2.6")));
  absl::StatusOr<IpPrefix> v6 = IpPrefix::Parse("2001:db8::7");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->length(), 128);
  EXPECT_TRUE(v6->Contains(Ip("2001:db8::7")));
  EXPECT_FALSE(v6->Contains(Ip("2001:db8::6")));
}

TEST(IpPrefixParse, ZeroLengthMatchesTheWholeFamily) {
  absl::StatusOr<IpPrefix> all4 = IpPrefix::Parse("1.2.3.4/0");
  ASSERT_TRUE(all4.ok());
  EXPECT_EQ(all4->ToString(), "0.0.0.0/0");
  EXPECT_TRUE(all4->Contains(Ip("255.255.255.255")));
  EXPECT_FALSE(all4->Contains(Ip("::1")));
  absl::StatusOr<IpPrefix> all6 = IpPrefix::Parse("::/0");
  ASSERT_TRUE(all6.ok());
  EXPECT_TRUE(all6->Contains(Ip("ffff::1")));
  EXPECT_FALSE(all6->Contains(Ip("0.0.0.0")));
}

TEST(IpPrefixParse, RejectsBadText) {
  const char* bad[] = {"10.0.0.0/33",   "::/129",     "10.0.0.0/",  "10.0.0.0/-1", "10.0.0.0/+8",
                       "10.0.0.0/8/8",  "10.0.0.0/x", "/8",         "10.0.0/8",    "10.0.0.0/ 8",
                       "10.0.0.0/0008", "",           "fe80::/1000"};
  for (const char* text : bad) {
    absl::StatusOr<IpPrefix> p = IpPrefix::Parse(text);
    EXPECT_FALSE(p.ok()) << "accepted \"" << text << "\" as " << p.value_or(IpPrefix()).ToString();
  }
}

TEST(IpPrefix, ConstructorClearsHostBitsAndClampsLength) {
  IpPrefix p(IpAddress::V4(172, 31, 200, 9), 12);
  EXPECT_EQ(p.address(), IpAddress::V4(172, 16, 0, 0));
  EXPECT_EQ(p.length(), 12);
  EXPECT_EQ(p, *IpPrefix::Parse("172.16.0.0/12"));
  EXPECT_EQ(IpPrefix(IpAddress::V4(1, 2, 3, 4), 40).length(), 32);
  EXPECT_EQ(IpPrefix(Ip("2001:db8::1"), 200).length(), 128);
  EXPECT_EQ(IpPrefix(Ip("2001:db8::1"), -5).length(), 0);
  // Every v4 prefix length: the network address has no bits past the length.
  const IpAddress all_ones = IpAddress::V4(0xFFFFFFFFu);
  for (int len = 0; len <= 32; ++len) {
    IpPrefix q(all_ones, len);
    uint32_t expected = len == 0 ? 0 : ~uint32_t{0} << (32 - len);
    EXPECT_EQ(q.address().v4_host_order(), expected) << "/" << len;
    EXPECT_TRUE(q.Contains(all_ones));
  }
}

}  // namespace
}  // namespace tern
