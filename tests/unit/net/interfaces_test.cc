// Interface filtering on fixed lists, and a real getifaddrs() listing (nothing is sent anywhere).
#include "tern/net/interfaces.h"

#include <algorithm>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace tern {
namespace {

NetworkInterface Iface(std::string name, const char* ip, bool up = true, bool loopback = false) {
  NetworkInterface i;
  i.name = std::move(name);
  i.address = *IpAddress::Parse(ip);
  i.is_up = up;
  i.is_loopback = loopback;
  return i;
}

std::vector<NetworkInterface> Sample() {
  return {
      Iface("lo", "127.0.0.1", true, true), Iface("lo", "::1", true, true),
      Iface("eth0", "192.0.2.2"),           Iface("eth0", "fd00::2"),
      Iface("eth0", "fe80::fc:ff:fe00:1"),  Iface("wlan0", "169.254.10.1"),
      Iface("docker0", "172.17.0.1"),       Iface("veth1234", "10.1.2.3"),
      Iface("eth1", "198.51.100.7", false),
  };
}

std::vector<std::string> Addresses(const std::vector<NetworkInterface>& list) {
  std::vector<std::string> out;
  for (const NetworkInterface& i : list) out.push_back(i.name + "/" + i.address.ToString());
  return out;
}

TEST(InterfaceFilter, DefaultsExcludeLoopbackLinkLocalAndDown) {
  EXPECT_EQ(Addresses(FilterInterfaces(Sample(), {})),
            (std::vector<std::string>{"eth0/192.0.2.2", "eth0/fd00::2", "docker0/172.17.0.1",
                                      "veth1234/10.1.2.3"}));
}

TEST(InterfaceFilter, LoopbackOnlyWhenAllowed) {
  InterfaceFilter f;
  f.include_loopback = true;
  const auto out = Addresses(FilterInterfaces(Sample(), f));
  EXPECT_NE(std::find(out.begin(), out.end(), "lo/127.0.0.1"), out.end());
  EXPECT_NE(std::find(out.begin(), out.end(), "lo/::1"), out.end());
}

TEST(InterfaceFilter, LinkLocalAndDownWhenEnabled) {
  InterfaceFilter f;
  f.include_link_local = true;
  f.include_down = true;
  const auto out = Addresses(FilterInterfaces(Sample(), f));
  EXPECT_NE(std::find(out.begin(), out.end(), "eth0/fe80::fc:ff:fe00:1"), out.end());
  EXPECT_NE(std::find(out.begin(), out.end(), "wlan0/169.254.10.1"), out.end());
  EXPECT_NE(std::find(out.begin(), out.end(), "eth1/198.51.100.7"), out.end());
}

TEST(InterfaceFilter, FamilyToggles) {
  InterfaceFilter f;
  f.ipv6 = false;
  EXPECT_EQ(Addresses(FilterInterfaces(Sample(), f)),
            (std::vector<std::string>{"eth0/192.0.2.2", "docker0/172.17.0.1", "veth1234/10.1.2.3"}));
  f.ipv6 = true;
  f.ipv4 = false;
  EXPECT_EQ(Addresses(FilterInterfaces(Sample(), f)), (std::vector<std::string>{"eth0/fd00::2"}));
}

TEST(InterfaceFilter, DenyAndAllowLists) {
  InterfaceFilter f;
  f.deny_names = {"docker*", "veth*"};
  EXPECT_EQ(Addresses(FilterInterfaces(Sample(), f)),
            (std::vector<std::string>{"eth0/192.0.2.2", "eth0/fd00::2"}));
  f = InterfaceFilter();
  f.allow_names = {"docker0", "veth*"};
  EXPECT_EQ(Addresses(FilterInterfaces(Sample(), f)),
            (std::vector<std::string>{"docker0/172.17.0.1", "veth1234/10.1.2.3"}));
  f.deny_names = {"veth1234"};  // deny wins over allow
  EXPECT_EQ(Addresses(FilterInterfaces(Sample(), f)), (std::vector<std::string>{"docker0/172.17.0.1"}));
}

TEST(InterfaceFilter, NamePatterns) {
  EXPECT_TRUE(InterfaceNameMatches("eth0", "eth0"));
  EXPECT_FALSE(InterfaceNameMatches("eth0", "eth01"));
  EXPECT_FALSE(InterfaceNameMatches("eth", "eth0"));
  EXPECT_TRUE(InterfaceNameMatches("eth*", "eth0"));
  EXPECT_TRUE(InterfaceNameMatches("eth*", "eth"));
  EXPECT_TRUE(InterfaceNameMatches("*", "anything"));
  EXPECT_FALSE(InterfaceNameMatches("", "eth0"));
  EXPECT_FALSE(InterfaceNameMatches("docker*", "dock"));
}

TEST(InterfaceFilter, UnsetAddressesAreDropped) {
  std::vector<NetworkInterface> list = {NetworkInterface{}};
  list[0].is_up = true;
  EXPECT_TRUE(FilterInterfaces(list, {}).empty());
}

// Lists the real interfaces; sends nothing.
TEST(Interfaces, RealEnumerationHonoursLoopbackFilter) {
  absl::StatusOr<std::vector<NetworkInterface>> all = ListAllInterfaces();
  ASSERT_TRUE(all.ok()) << all.status();
  auto has_v4_loopback = [](const std::vector<NetworkInterface>& l) {
    return std::any_of(l.begin(), l.end(), [](const NetworkInterface& i) {
      return i.address == IpAddress::LoopbackV4() && i.is_loopback && i.index > 0 && !i.name.empty();
    });
  };
  ASSERT_TRUE(has_v4_loopback(*all));
  for (const NetworkInterface& i : *all) {
    if (i.address == IpAddress::LoopbackV4()) {
      EXPECT_EQ(i.prefix_length, 8);
    }
  }
  absl::StatusOr<std::vector<NetworkInterface>> def = EnumerateInterfaces();
  ASSERT_TRUE(def.ok());
  for (const NetworkInterface& i : *def) {
    EXPECT_FALSE(i.address.IsLoopback()) << i.name;
    EXPECT_FALSE(i.address.IsLinkLocal()) << i.name;
  }
  InterfaceFilter with_lo;
  with_lo.include_loopback = true;
  absl::StatusOr<std::vector<NetworkInterface>> lo = EnumerateInterfaces(with_lo);
  ASSERT_TRUE(lo.ok());
  EXPECT_TRUE(has_v4_loopback(*lo));
  InterfaceFilter only_lo = with_lo;
  only_lo.allow_names = {"lo"};
  absl::StatusOr<std::vector<NetworkInterface>> just = EnumerateInterfaces(only_lo);
  ASSERT_TRUE(just.ok());
  for (const NetworkInterface& i : *just) EXPECT_EQ(i.name, "lo");
}

}  // namespace
}  // namespace tern
