// coturn's REST-API shared-secret credentials (`use-auth-secret` / `static-auth-secret`,
// draft-uberti-behave-turn-rest-00 §2.2), as the TURN server checks them: username
// "<expiry>[:<user>]" where <expiry> is a Unix time in seconds, password
// base64(HMAC-SHA1(secret, username)).
#ifndef TERN_TURN_REST_CREDENTIALS_H_
#define TERN_TURN_REST_CREDENTIALS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tern::turn {

// The password a REST username has under `secret`.
std::string RestPassword(std::string_view secret, std::string_view username);

// The expiry (Unix seconds) a REST username carries: the decimal digits before the first ':' (or the
// whole username). nullopt when that part is empty, not all digits, or out of range.
std::optional<int64_t> RestUsernameExpiry(std::string_view username);

}  // namespace tern::turn

#endif  // TERN_TURN_REST_CREDENTIALS_H_
