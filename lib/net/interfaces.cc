// Interface enumeration through getifaddrs(3) and the pure filter over its result.
#include "tern/net/interfaces.h"

#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <bit>
#include <span>

#include "net/sockaddr_util.h"

namespace tern {
namespace {

int PrefixLength(const sockaddr* mask) {
  if (mask == nullptr) return 0;
  const uint8_t* b = nullptr;
  size_t n = 0;
  if (mask->sa_family == AF_INET) {
    b = reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in*>(mask)->sin_addr);
    n = 4;
  } else if (mask->sa_family == AF_INET6) {
    b = reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in6*>(mask)->sin6_addr);
    n = 16;
  }
  int bits = 0;
  for (size_t i = 0; i < n; ++i) bits += std::popcount(static_cast<unsigned>(b[i]));
  return bits;
}

bool MatchesAny(const std::vector<std::string>& patterns, std::string_view name) {
  for (const std::string& p : patterns) {
    if (InterfaceNameMatches(p, name)) return true;
  }
  return false;
}

}  // namespace

bool InterfaceNameMatches(std::string_view pattern, std::string_view name) {
  if (!pattern.empty() && pattern.back() == '*') {
    pattern.remove_suffix(1);
    return name.substr(0, pattern.size()) == pattern;
  }
  return pattern == name;
}

std::vector<NetworkInterface> FilterInterfaces(std::span<const NetworkInterface> all,
                                               const InterfaceFilter& filter) {
  std::vector<NetworkInterface> out;
  for (const NetworkInterface& i : all) {
    if (!i.address.is_set()) continue;
    if (i.address.is_v4() && !filter.ipv4) continue;
    if (i.address.is_v6() && !filter.ipv6) continue;
    if ((i.is_loopback || i.address.IsLoopback()) && !filter.include_loopback) continue;
    if (i.address.IsLinkLocal() && !filter.include_link_local) continue;
    if (!i.is_up && !filter.include_down) continue;
    if (i.address.IsUnspecified() || i.address.IsMulticast()) continue;
    if (MatchesAny(filter.deny_names, i.name)) continue;
    if (!filter.allow_names.empty() && !MatchesAny(filter.allow_names, i.name)) continue;
    out.push_back(i);
  }
  return out;
}

absl::StatusOr<std::vector<NetworkInterface>> ListAllInterfaces() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return net_internal::ErrnoToStatus("getifaddrs", errno);
  std::vector<NetworkInterface> out;
  for (ifaddrs* a = list; a != nullptr; a = a->ifa_next) {
    if (a->ifa_addr == nullptr) continue;
    const int family = a->ifa_addr->sa_family;
    if (family != AF_INET && family != AF_INET6) continue;
    const socklen_t len = family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
    NetworkInterface i;
    i.name = a->ifa_name != nullptr ? a->ifa_name : "";
    i.index = a->ifa_name != nullptr ? if_nametoindex(a->ifa_name) : 0;
    i.address = net_internal::FromSockaddr(a->ifa_addr, len).ip();
    i.prefix_length = PrefixLength(a->ifa_netmask);
    i.is_loopback = (a->ifa_flags & IFF_LOOPBACK) != 0 || i.address.IsLoopback();
    i.is_up = (a->ifa_flags & IFF_UP) != 0 && (a->ifa_flags & IFF_RUNNING) != 0;
    out.push_back(std::move(i));
  }
  freeifaddrs(list);
  return out;
}

absl::StatusOr<std::vector<NetworkInterface>> EnumerateInterfaces(const InterfaceFilter& filter) {
  absl::StatusOr<std::vector<NetworkInterface>> all = ListAllInterfaces();
  if (!all.ok()) return all.status();
  return FilterInterfaces(*all, filter);
}

}  // namespace tern
