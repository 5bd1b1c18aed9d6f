#include "tern/base/ip_address.h"

#include <arpa/inet.h>

#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tern/base/byte_io.h"
#include "tern/base/strings.h"

namespace tern {
namespace {

bool MatchesPrefix(std::span<const uint8_t> bytes, std::span<const uint8_t> prefix, int bits) {
  int full = bits / 8;
  if (std::memcmp(bytes.data(), prefix.data(), full) != 0) return false;
  int rest = bits % 8;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (bytes[full] & mask) == (prefix[full] & mask);
}

bool V6Prefix(const IpAddress& a, std::initializer_list<uint8_t> prefix, int bits) {
  if (!a.is_v6()) return false;
  return MatchesPrefix(a.bytes(), std::span<const uint8_t>(prefix.begin(), prefix.size()), bits);
}

bool V4Prefix(const IpAddress& a, uint32_t prefix, int bits) {
  if (!a.is_v4()) return false;
  if (bits == 0) return true;
  uint32_t mask = bits == 32 ? 0xffffffffu : ~(0xffffffffu >> bits);
  return (a.v4_host_order() & mask) == (prefix & mask);
}

constexpr uint32_t Quad(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return (uint32_t{a} << 24) | (uint32_t{b} << 16) | (uint32_t{c} << 8) | d;
}

}  // namespace

IpAddress IpAddress::V4(uint32_t host_order) {
  IpAddress a;
  a.family_ = IpFamily::kV4;
  StoreBigEndian32(a.bytes_.data(), host_order);
  return a;
}

IpAddress IpAddress::V4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) { return V4(Quad(a, b, c, d)); }

IpAddress IpAddress::V4(std::span<const uint8_t, 4> bytes) {
  IpAddress a;
  a.family_ = IpFamily::kV4;
  std::memcpy(a.bytes_.data(), bytes.data(), 4);
  return a;
}

IpAddress IpAddress::V6(std::span<const uint8_t, 16> bytes) {
  IpAddress a;
  a.family_ = IpFamily::kV6;
  std::memcpy(a.bytes_.data(), bytes.data(), 16);
  return a;
}

IpAddress IpAddress::AnyV6() {
  IpAddress a;
  a.family_ = IpFamily::kV6;
  return a;
}

IpAddress IpAddress::LoopbackV6() {
  IpAddress a = AnyV6();
  a.bytes_[15] = 1;
  return a;
}

absl::StatusOr<IpAddress> IpAddress::Parse(std::string_view text) {
  if (text.empty() || text.size() > INET6_ADDRSTRLEN || text.find('\0') != std::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat("not an IP address: \"", ToAbsl(text), "\""));
  }
  char buf[INET6_ADDRSTRLEN + 1];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  IpAddress a;
  if (text.find(':') == std::string_view::npos) {
    if (inet_pton(AF_INET, buf, a.bytes_.data()) == 1) {
      a.family_ = IpFamily::kV4;
      return a;
    }
  } else if (inet_pton(AF_INET6, buf, a.bytes_.data()) == 1) {
    a.family_ = IpFamily::kV6;
    return a;
  }
  return absl::InvalidArgumentError(absl::StrCat("not an IP address: \"", ToAbsl(text), "\""));
}

std::span<const uint8_t> IpAddress::bytes() const {
  switch (family_) {
    case IpFamily::kV4:
      return std::span<const uint8_t>(bytes_.data(), 4);
    case IpFamily::kV6:
      return std::span<const uint8_t>(bytes_.data(), 16);
    default:
      return {};
  }
}

uint32_t IpAddress::v4_host_order() const {
  if (!is_v4()) return 0;
  return Quad(bytes_[0], bytes_[1], bytes_[2], bytes_[3]);
}

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN];
  if (is_v4()) {
    inet_ntop(AF_INET, bytes_.data(), buf, sizeof(buf));
  } else if (is_v6()) {
    inet_ntop(AF_INET6, bytes_.data(), buf, sizeof(buf));
  } else {
    return std::string();
  }
  return std::string(buf);
}

bool IpAddress::IsUnspecified() const {
  if (!is_set()) return false;
  for (uint8_t b : bytes()) {
    if (b != 0) return false;
  }
  return true;
}

bool IpAddress::IsLoopback() const {
  return V4Prefix(*this, Quad(127, 0, 0, 0), 8) || (*this == LoopbackV6());
}

bool IpAddress::IsPrivate() const {
  return V4Prefix(*this, Quad(10, 0, 0, 0), 8) || V4Prefix(*this, Quad(172, 16, 0, 0), 12) ||
         V4Prefix(*this, Quad(192, 168, 0, 0), 16) || V6Prefix(*this, {0xfc}, 7);
}

bool IpAddress::IsLinkLocal() const {
  return V4Prefix(*this, Quad(169, 254, 0, 0), 16) || V6Prefix(*this, {0xfe, 0x80}, 10);
}

bool IpAddress::IsMulticast() const {
  return V4Prefix(*this, Quad(224, 0, 0, 0), 4) || V6Prefix(*this, {0xff}, 8);
}

bool IpAddress::IsSharedAddressSpace() const { return V4Prefix(*this, Quad(100, 64, 0, 0), 10); }

bool IpAddress::IsThisNetwork() const { return V4Prefix(*this, 0, 8); }

bool IpAddress::IsBroadcast() const { return is_v4() && v4_host_order() == 0xffffffffu; }

bool IpAddress::IsDocumentation() const {
  return V4Prefix(*this, Quad(192, 0, 2, 0), 24) || V4Prefix(*this, Quad(198, 51, 100, 0), 24) ||
         V4Prefix(*this, Quad(203, 0, 113, 0), 24) || V6Prefix(*this, {0x20, 0x01, 0x0d, 0xb8}, 32);
}

bool IpAddress::IsBenchmarking() const {
  return V4Prefix(*this, Quad(198, 18, 0, 0), 15) || V6Prefix(*this, {0x20, 0x01, 0x00, 0x02, 0, 0}, 48);
}

bool IpAddress::IsV4Mapped() const {
  return V6Prefix(*this, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}, 96);
}

bool IpAddress::IsNat64() const {
  return V6Prefix(*this, {0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0}, 96) ||
         V6Prefix(*this, {0x00, 0x64, 0xff, 0x9b, 0x00, 0x01}, 48);
}

bool IpAddress::Is6to4() const { return V6Prefix(*this, {0x20, 0x02}, 16); }

bool IpAddress::IsTeredo() const { return V6Prefix(*this, {0x20, 0x01, 0x00, 0x00}, 32); }

bool IpAddress::IsGloballyRoutable() const {
  if (!is_set()) return false;
  return !(IsUnspecified() || IsLoopback() || IsPrivate() || IsLinkLocal() || IsMulticast() ||
           IsSharedAddressSpace() || IsThisNetwork() || IsBroadcast() || IsDocumentation() ||
           IsBenchmarking() || IsV4Mapped() || IsNat64() || Is6to4() || IsTeredo() ||
           V4Prefix(*this, Quad(240, 0, 0, 0), 4) || V4Prefix(*this, Quad(192, 0, 0, 0), 24));
}

IpAddress IpAddress::Unmapped() const {
  if (!IsV4Mapped()) return *this;
  return V4(std::span<const uint8_t, 4>(bytes_.data() + 12, 4));
}

absl::StatusOr<SocketAddress> SocketAddress::Parse(std::string_view text) {
  std::string_view host;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return absl::InvalidArgumentError(
          absl::StrCat("socket address needs \"[v6]:port\": \"", ToAbsl(text), "\""));
    }
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon) {
      return absl::InvalidArgumentError(
          absl::StrCat("socket address needs \"ip:port\" or \"[v6]:port\": \"", ToAbsl(text), "\""));
    }
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  uint32_t port = 0;
  if (port_text.empty() || port_text.size() > 5 ||
      port_text.find_first_not_of("0123456789") != std::string_view::npos ||
      !absl::SimpleAtoi(ToAbsl(port_text), &port) || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("bad port in \"", ToAbsl(text), "\""));
  }
  absl::StatusOr<IpAddress> ip = IpAddress::Parse(host);
  if (!ip.ok()) return ip.status();
  if (text.front() == '[' && !ip->is_v6()) {
    return absl::InvalidArgumentError(absl::StrCat("brackets around a v4 address: \"", ToAbsl(text), "\""));
  }
  return SocketAddress(*ip, static_cast<uint16_t>(port));
}

std::string SocketAddress::ToString() const {
  if (ip_.is_v6()) return absl::StrCat("[", ip_.ToString(), "]:", port_);
  return absl::StrCat(ip_.ToString(), ":", port_);
}

IpPrefix::IpPrefix(IpAddress address, int length) {
  int max = address.is_v4() ? 32 : address.is_v6() ? 128 : 0;
  if (length < 0) length = 0;
  if (length > max) length = max;
  std::array<uint8_t, 16> b{};
  std::span<const uint8_t> src = address.bytes();
  std::memcpy(b.data(), src.data(), src.size());
  for (size_t i = 0; i < src.size(); ++i) {
    int bit = static_cast<int>(i) * 8;
    if (bit >= length) {
      b[i] = 0;
    } else if (length - bit < 8) {
      b[i] &= static_cast<uint8_t>(0xff << (8 - (length - bit)));
    }
  }
  if (address.is_v4()) {
    address_ = IpAddress::V4(std::span<const uint8_t, 4>(b.data(), 4));
  } else if (address.is_v6()) {
    address_ = IpAddress::V6(std::span<const uint8_t, 16>(b.data(), 16));
  }
  length_ = length;
}

absl::StatusOr<IpPrefix> IpPrefix::Parse(std::string_view text) {
  size_t slash = text.find('/');
  absl::StatusOr<IpAddress> ip = IpAddress::Parse(text.substr(0, slash));
  if (!ip.ok()) return ip.status();
  int max = ip->is_v4() ? 32 : 128;
  if (slash == std::string_view::npos) return IpPrefix(*ip, max);
  std::string_view len_text = text.substr(slash + 1);
  int len = 0;
  if (len_text.empty() || len_text.size() > 3 ||
      len_text.find_first_not_of("0123456789") != std::string_view::npos ||
      !absl::SimpleAtoi(ToAbsl(len_text), &len) || len > max) {
    return absl::InvalidArgumentError(absl::StrCat("bad prefix length in \"", ToAbsl(text), "\""));
  }
  return IpPrefix(*ip, len);
}

bool IpPrefix::Contains(const IpAddress& ip) const {
  if (!address_.is_set() || ip.family() != address_.family()) return false;
  return MatchesPrefix(ip.bytes(), address_.bytes(), length_);
}

std::string IpPrefix::ToString() const { return absl::StrCat(address_.ToString(), "/", length_); }

}  // namespace tern
