#include "net/sockaddr_util.h"

#include <errno.h>
#include <string.h>

#include <array>
#include <span>

#include "absl/strings/str_cat.h"
#include "tern/base/strings.h"

namespace tern::net_internal {

IpAddress MapToV6(const IpAddress& ip) {
  if (!ip.is_v4()) return ip;
  std::array<uint8_t, 16> b{};
  b[10] = 0xff;
  b[11] = 0xff;
  std::span<const uint8_t> v4 = ip.bytes();
  memcpy(b.data() + 12, v4.data(), 4);
  return IpAddress::V6(b);
}

bool ToSockaddr(const SocketAddress& addr, IpFamily socket_family, sockaddr_storage* out, socklen_t* len) {
  memset(out, 0, sizeof(*out));
  if (!addr.is_set()) return false;
  if (socket_family == IpFamily::kV4) {
    if (!addr.ip().is_v4()) return false;
    auto* sin = reinterpret_cast<sockaddr_in*>(out);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(addr.port());
    memcpy(&sin->sin_addr, addr.ip().bytes().data(), 4);
    *len = sizeof(sockaddr_in);
    return true;
  }
  if (socket_family == IpFamily::kV6) {
    const IpAddress ip = MapToV6(addr.ip());
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(out);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(addr.port());
    memcpy(&sin6->sin6_addr, ip.bytes().data(), 16);
    *len = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

SocketAddress FromSockaddr(const sockaddr* sa, socklen_t len) {
  if (sa == nullptr) return {};
  if (sa->sa_family == AF_INET && len >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(sa);
    const auto* b = reinterpret_cast<const uint8_t*>(&sin->sin_addr);
    return SocketAddress(IpAddress::V4(std::span<const uint8_t, 4>(b, 4)), ntohs(sin->sin_port));
  }
  if (sa->sa_family == AF_INET6 && len >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(sa);
    const auto* b = reinterpret_cast<const uint8_t*>(&sin6->sin6_addr);
    return SocketAddress(IpAddress::V6(std::span<const uint8_t, 16>(b, 16)).Unmapped(),
                         ntohs(sin6->sin6_port));
  }
  return {};
}

absl::Status ErrnoToStatus(std::string_view what, int err) {
  const std::string message = absl::StrCat(ToAbsl(what), ": ", strerror(err));
  switch (err) {
    case EADDRINUSE:
      return absl::AlreadyExistsError(message);
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(message);
    case EINVAL:
    case EAFNOSUPPORT:
    case EADDRNOTAVAIL:
      return absl::InvalidArgumentError(message);
    case ECONNREFUSED:
    case ECONNRESET:
    case EHOSTUNREACH:
    case ENETUNREACH:
    case EPIPE:
      return absl::UnavailableError(message);
    case ETIMEDOUT:
      return absl::DeadlineExceededError(message);
    case EMFILE:
    case ENFILE:
    case ENOBUFS:
    case ENOMEM:
      return absl::ResourceExhaustedError(message);
    default:
      return absl::InternalError(message);
  }
}

}  // namespace tern::net_internal
