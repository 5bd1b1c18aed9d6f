// TURN REST API credentials (draft-uberti-behave-turn-rest-00 §2.2; coturn use-auth-secret).
#include "tern/ice/turn_rest_credentials.h"

#include <array>
#include <cstdint>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "tern/base/byte_io.h"
#include "tern/base/strings.h"
#include "tern/stun/credentials.h"

namespace tern::ice {

TurnRestCredentials MakeTurnRestCredentials(std::string_view secret, std::string_view user,
                                            int64_t expiry_unix_seconds) {
  TurnRestCredentials out;
  out.username =
      user.empty() ? absl::StrCat(expiry_unix_seconds) : absl::StrCat(expiry_unix_seconds, ":", ToAbsl(user));
  stun::IntegrityKey key = stun::IntegrityKey::FromBytes(AsBytes(secret));
  std::array<uint8_t, 20> mac{};
  const ByteSpan parts[] = {AsBytes(out.username)};
  key.HmacSha1(parts, mac.data());
  out.password = absl::Base64Escape(absl::string_view(reinterpret_cast<const char*>(mac.data()), mac.size()));
  return out;
}

}  // namespace tern::ice
