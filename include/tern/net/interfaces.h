// Local network interface enumeration (getifaddrs) with the filters an ICE agent gathers host candidates
// through (RFC 8445 section 5.1.1.1): loopback only when allowed, link-local excluded unless enabled,
// interface-name allow/deny lists, IPv4/IPv6 toggles.
#ifndef TERN_NET_INTERFACES_H_
#define TERN_NET_INTERFACES_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "tern/base/ip_address.h"

namespace tern {

struct NetworkInterface {
  std::string name;    // "eth0"
  uint32_t index = 0;  // if_nametoindex; the scope id of a link-local v6 address
  IpAddress address;
  int prefix_length = 0;
  bool is_loopback = false;  // IFF_LOOPBACK or a loopback address
  bool is_up = false;        // IFF_UP and IFF_RUNNING
};

struct InterfaceFilter {
  bool ipv4 = true;
  bool ipv6 = true;
  bool include_loopback = false;
  bool include_link_local = false;  // 169.254/16, fe80::/10
  bool include_down = false;        // interfaces without IFF_UP|IFF_RUNNING
  // Name patterns: an exact name, or a prefix ending in '*' ("docker*", "veth*"). A name on the deny list is
  // always excluded; a non-empty allow list excludes every name not on it.
  std::vector<std::string> deny_names;
  std::vector<std::string> allow_names;
};

// True when `name` matches `pattern` (exact, or prefix when the pattern ends in '*').
bool InterfaceNameMatches(std::string_view pattern, std::string_view name);
// The entries of `all` the filter keeps, in order. Pure: no syscalls (tests feed it fixed lists).
std::vector<NetworkInterface> FilterInterfaces(std::span<const NetworkInterface> all,
                                               const InterfaceFilter& filter);
// Every address of every interface (getifaddrs), unfiltered: AF_INET and AF_INET6 entries only.
absl::StatusOr<std::vector<NetworkInterface>> ListAllInterfaces();
// ListAllInterfaces() then FilterInterfaces().
absl::StatusOr<std::vector<NetworkInterface>> EnumerateInterfaces(const InterfaceFilter& filter = {});

}  // namespace tern

#endif  // TERN_NET_INTERFACES_H_
