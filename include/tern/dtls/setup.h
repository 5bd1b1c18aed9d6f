// Which side of the DTLS handshake an endpoint plays, decided by the SDP a=setup attribute
// (RFC 4145 §4, RFC 5763 §5, RFC 8842 §5): the offerer says actpass, the answerer picks active (it
// will be the DTLS client) or passive (the DTLS server).
#ifndef TERN_DTLS_SETUP_H_
#define TERN_DTLS_SETUP_H_

#include <string_view>

#include "absl/status/statusor.h"

namespace tern {

enum class DtlsRole { kClient, kServer };

// The a=setup values. holdconn (RFC 4145) has no meaning for DTLS-SRTP (RFC 8842 §5.1) and is refused.
enum class DtlsSetup { kActpass, kActive, kPassive };

std::string_view DtlsRoleName(DtlsRole role);     // "client", "server"
std::string_view DtlsSetupName(DtlsSetup setup);  // "actpass", "active", "passive"
// Case-sensitive, as SDP tokens are (RFC 4145 §4); "holdconn" and anything else is InvalidArgument.
absl::StatusOr<DtlsSetup> ParseDtlsSetup(std::string_view value);

// The a=setup an answerer puts in its answer for the role it takes: active for the client, passive
// for the server. (An offerer always uses DtlsSetup::kActpass, RFC 8842 §5.2.)
constexpr DtlsSetup AnswerSetupForRole(DtlsRole role) {
  return role == DtlsRole::kClient ? DtlsSetup::kActive : DtlsSetup::kPassive;
}

// Our DTLS role from the remote a=setup (RFC 8842 §5.2-§5.3, RFC 5763 §5):
//  - we offered (actpass) and the answer says active  -> the remote is the client, we are the server;
//                                    answer says passive -> we are the client;
//                                    answer says actpass -> InvalidArgument (an answer must choose);
//  - we answer an offer of actpass -> we are the client (RFC 5763 §5: the answerer SHOULD be active);
//                    offer of active  -> we are the server;  offer of passive -> we are the client.
absl::StatusOr<DtlsRole> DtlsRoleFromSetup(bool local_is_offerer, DtlsSetup remote_setup);

}  // namespace tern

#endif  // TERN_DTLS_SETUP_H_
