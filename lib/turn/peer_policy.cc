// The default peer deny list (issue 6 §2; RFC 6890 special-purpose ranges, RFC 8656 §21.3).
#include <string_view>
#include <vector>

#include "tern/base/ip_address.h"
#include "tern/turn/turn_server.h"

namespace tern::turn {

std::vector<IpPrefix> DefaultDeniedPeerRanges() {
  static constexpr std::string_view kRanges[] = {
      // IPv4
      "0.0.0.0/8",        // "this network" (RFC 791), incl. 0.0.0.0
      "10.0.0.0/8",       // RFC 1918
      "100.64.0.0/10",    // RFC 6598 shared address space (CGNAT)
      "127.0.0.0/8",      // loopback
      "169.254.0.0/16",   // link-local
      "172.16.0.0/12",    // RFC 1918
      "192.0.0.0/24",     // IETF protocol assignments (RFC 6890)
      "192.0.2.0/24",     // TEST-NET-1 (RFC 5737)
      "192.88.99.0/24",   // 6to4 relay anycast (RFC 7526)
      "192.168.0.0/16",   // RFC 1918
      "198.18.0.0/15",    // benchmarking (RFC 2544)
      "198.51.100.0/24",  // TEST-NET-2
      "203.0.113.0/24",   // TEST-NET-3
      "224.0.0.0/4",      // multicast
      "240.0.0.0/4",      // reserved, incl. 255.255.255.255
      // IPv6
      "::/128",           // unspecified
      "::1/128",          // loopback
      "::ffff:0:0/96",    // IPv4-mapped
      "64:ff9b::/96",     // NAT64 (RFC 6052)
      "64:ff9b:1::/48",   // local-use NAT64 (RFC 8215)
      "100::/64",         // discard-only (RFC 6666)
      "2001::/32",        // Teredo
      "2001:2::/48",      // benchmarking (RFC 5180)
      "2001:db8::/32",    // documentation (RFC 3849)
      "2002::/16",        // 6to4
      "fc00::/7",         // unique local (ULA)
      "fe80::/10",        // link-local
      "ff00::/8",         // multicast
  };
  std::vector<IpPrefix> out;
  out.reserve(std::size(kRanges));
  for (std::string_view r : kRanges) out.push_back(*IpPrefix::Parse(r));
  return out;
}

}  // namespace tern::turn
