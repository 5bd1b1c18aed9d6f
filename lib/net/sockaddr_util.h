// Conversions between tern::SocketAddress and the kernel's sockaddr structures, with the v4-mapped
// mapping/unmapping a dual-stack socket needs.
#ifndef TERN_LIB_NET_SOCKADDR_UTIL_H_
#define TERN_LIB_NET_SOCKADDR_UTIL_H_

#include <netinet/in.h>
#include <sys/socket.h>

#include <string_view>

#include "absl/status/status.h"
#include "tern/base/ip_address.h"

namespace tern::net_internal {

// Writes `addr` for a socket of `socket_family`: a v4 address for an AF_INET6 socket becomes ::ffff:a.b.c.d.
// False when it cannot be expressed (v6 address for an AF_INET socket, unset address).
bool ToSockaddr(const SocketAddress& addr, IpFamily socket_family, sockaddr_storage* out, socklen_t* len);
// A v4-mapped IPv6 address comes back as plain IPv4. Unset for other families.
SocketAddress FromSockaddr(const sockaddr* sa, socklen_t len);
// ::ffff:a.b.c.d for a v4 address; v6 addresses unchanged.
IpAddress MapToV6(const IpAddress& ip);
// "what: strerror(err)" with a status code chosen from errno.
absl::Status ErrnoToStatus(std::string_view what, int err);

}  // namespace tern::net_internal

#endif  // TERN_LIB_NET_SOCKADDR_UTIL_H_
