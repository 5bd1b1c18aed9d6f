// coturn REST-API credentials (draft-uberti-behave-turn-rest-00 §2.2).
#include "tern/turn/rest_credentials.h"

#include <array>

#include "absl/strings/escaping.h"
#include "tern/base/byte_io.h"
#include "tern/stun/credentials.h"

namespace tern::turn {

std::string RestPassword(std::string_view secret, std::string_view username) {
  stun::IntegrityKey key = stun::IntegrityKey::FromBytes(AsBytes(secret));
  std::array<uint8_t, 20> mac{};
  const ByteSpan parts[] = {AsBytes(username)};
  key.HmacSha1(parts, mac.data());
  return absl::Base64Escape(absl::string_view(reinterpret_cast<const char*>(mac.data()), mac.size()));
}

std::optional<int64_t> RestUsernameExpiry(std::string_view username) {
  std::string_view digits = username.substr(0, username.find(':'));
  if (digits.empty() || digits.size() > 18) return std::nullopt;
  int64_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

}  // namespace tern::turn
