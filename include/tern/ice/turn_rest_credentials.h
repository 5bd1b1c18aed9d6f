// Time-limited TURN credentials of the "TURN REST API" (draft-uberti-behave-turn-rest-00 §2.2), as
// coturn's `use-auth-secret` / `static-auth-secret` checks them: username = "<expiry>[:<user>]" and
// password = base64(HMAC-SHA1(secret, username)).
#ifndef TERN_ICE_TURN_REST_CREDENTIALS_H_
#define TERN_ICE_TURN_REST_CREDENTIALS_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace tern::ice {

struct TurnRestCredentials {
  std::string username;
  std::string password;
};

// `expiry_unix_seconds` is the absolute time (seconds since the Unix epoch) after which the server
// refuses the credentials; an empty `user` gives the username "<expiry>" alone.
TurnRestCredentials MakeTurnRestCredentials(std::string_view secret, std::string_view user,
                                            int64_t expiry_unix_seconds);

}  // namespace tern::ice

#endif  // TERN_ICE_TURN_REST_CREDENTIALS_H_
