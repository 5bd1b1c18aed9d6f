// IPv4/IPv6 addresses, socket addresses (address + port) and CIDR prefixes, with the classifications a
// TURN server's peer deny-list and an ICE agent's interface filter need (RFC 6890 special-purpose ranges).
#ifndef TERN_BASE_IP_ADDRESS_H_
#define TERN_BASE_IP_ADDRESS_H_

#include <array>
#include <compare>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace tern {

enum class IpFamily : uint8_t { kUnspecified = 0, kV4 = 4, kV6 = 6 };

// A value type; the default is the unspecified "no address" (family kUnspecified), distinct from
// 0.0.0.0 and ::.
class IpAddress {
 public:
  IpAddress() = default;
  static IpAddress V4(uint32_t host_order);
  static IpAddress V4(uint8_t a, uint8_t b, uint8_t c, uint8_t d);
  static IpAddress V4(std::span<const uint8_t, 4> bytes);
  static IpAddress V6(std::span<const uint8_t, 16> bytes);
  static IpAddress AnyV4() { return V4(0u); }
  static IpAddress AnyV6();
  static IpAddress LoopbackV4() { return V4(127, 0, 0, 1); }
  static IpAddress LoopbackV6();

  // Dotted quad or RFC 4291 text (with "::" compression and an embedded dotted quad). No zone ids,
  // no brackets, no leading/trailing spaces.
  static absl::StatusOr<IpAddress> Parse(std::string_view text);

  IpFamily family() const { return family_; }
  bool is_v4() const { return family_ == IpFamily::kV4; }
  bool is_v6() const { return family_ == IpFamily::kV6; }
  bool is_set() const { return family_ != IpFamily::kUnspecified; }
  // 4 bytes for v4, 16 for v6, 0 when unset; network order.
  std::span<const uint8_t> bytes() const;
  uint32_t v4_host_order() const;  // 0 unless v4

  // RFC 5952 text for v6 ("2001:db8::1"), dotted quad for v4, "" when unset.
  std::string ToString() const;

  // Classification. Each is false for an unset address.
  bool IsUnspecified() const;       // 0.0.0.0, ::
  bool IsLoopback() const;          // 127/8, ::1
  bool IsPrivate() const;           // RFC 1918 10/8, 172.16/12, 192.168/16; IPv6 ULA fc00::/7
  bool IsLinkLocal() const;         // 169.254/16, fe80::/10
  bool IsMulticast() const;         // 224/4, ff00::/8
  bool IsSharedAddressSpace() const;  // RFC 6598 CGNAT 100.64/10
  bool IsThisNetwork() const;       // 0/8
  bool IsBroadcast() const;         // 255.255.255.255
  bool IsDocumentation() const;     // 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32
  bool IsBenchmarking() const;      // 198.18/15, 2001:2::/48
  bool IsV4Mapped() const;          // ::ffff:0:0/96
  bool IsNat64() const;             // 64:ff9b::/96 and 64:ff9b:1::/48
  bool Is6to4() const;              // 2002::/16
  bool IsTeredo() const;            // 2001::/32
  // True unless the address is in one of the special-purpose ranges above (or 240/4, 192.0.0/24).
  bool IsGloballyRoutable() const;

  // For a v4-mapped v6 address, the embedded v4 one; otherwise *this.
  IpAddress Unmapped() const;

  friend bool operator==(const IpAddress&, const IpAddress&) = default;
  friend std::strong_ordering operator<=>(const IpAddress&, const IpAddress&) = default;

  template <typename H>
  friend H AbslHashValue(H h, const IpAddress& a) {
    return H::combine(std::move(h), a.family_, a.bytes_);
  }

 private:
  IpFamily family_ = IpFamily::kUnspecified;
  std::array<uint8_t, 16> bytes_{};  // v4 uses the first 4
};

// An IP address and a port: one end of a 5-tuple.
class SocketAddress {
 public:
  SocketAddress() = default;
  SocketAddress(IpAddress ip, uint16_t port) : ip_(ip), port_(port) {}

  // "1.2.3.4:80", "[2001:db8::1]:80". The port is required and must be 0..65535.
  static absl::StatusOr<SocketAddress> Parse(std::string_view text);

  const IpAddress& ip() const { return ip_; }
  uint16_t port() const { return port_; }
  IpFamily family() const { return ip_.family(); }
  bool is_set() const { return ip_.is_set(); }

  std::string ToString() const;

  friend bool operator==(const SocketAddress&, const SocketAddress&) = default;
  friend std::strong_ordering operator<=>(const SocketAddress&, const SocketAddress&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const SocketAddress& a) {
    return H::combine(std::move(h), a.ip_, a.port_);
  }

 private:
  IpAddress ip_;
  uint16_t port_ = 0;
};

// A CIDR prefix such as 10.0.0.0/8 or fe80::/10.
class IpPrefix {
 public:
  IpPrefix() = default;
  // Host bits beyond the prefix are cleared.
  IpPrefix(IpAddress address, int length);

  // "10.0.0.0/8", "fe80::/10"; a bare address means a host prefix (/32 or /128).
  static absl::StatusOr<IpPrefix> Parse(std::string_view text);

  const IpAddress& address() const { return address_; }
  int length() const { return length_; }
  // False for addresses of the other family (v4-mapped v6 addresses are not unmapped here).
  bool Contains(const IpAddress& ip) const;
  std::string ToString() const;

  friend bool operator==(const IpPrefix&, const IpPrefix&) = default;

 private:
  IpAddress address_;
  int length_ = 0;
};

}  // namespace tern

#endif  // TERN_BASE_IP_ADDRESS_H_
