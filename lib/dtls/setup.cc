// a=setup handling for DTLS-SRTP (RFC 4145 §4, RFC 5763 §5, RFC 8842 §5).
#include "tern/dtls/setup.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "tern/base/strings.h"

namespace tern {

std::string_view DtlsRoleName(DtlsRole role) { return role == DtlsRole::kClient ? "client" : "server"; }

std::string_view DtlsSetupName(DtlsSetup setup) {
  switch (setup) {
    case DtlsSetup::kActpass:
      return "actpass";
    case DtlsSetup::kActive:
      return "active";
    case DtlsSetup::kPassive:
      return "passive";
  }
  return "";
}

absl::StatusOr<DtlsSetup> ParseDtlsSetup(std::string_view value) {
  if (value == "actpass") return DtlsSetup::kActpass;
  if (value == "active") return DtlsSetup::kActive;
  if (value == "passive") return DtlsSetup::kPassive;
  if (value == "holdconn") {
    return absl::InvalidArgumentError("a=setup:holdconn is not usable with DTLS-SRTP (RFC 8842 §5.1)");
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown a=setup value \"", ToAbsl(value), "\""));
}

absl::StatusOr<DtlsRole> DtlsRoleFromSetup(bool local_is_offerer, DtlsSetup remote_setup) {
  if (local_is_offerer) {
    switch (remote_setup) {
      case DtlsSetup::kActive:
        return DtlsRole::kServer;
      case DtlsSetup::kPassive:
        return DtlsRole::kClient;
      case DtlsSetup::kActpass:
        return absl::InvalidArgumentError(
            "the answer's a=setup is actpass; an answerer must choose active or passive (RFC 8842 §5.3)");
    }
  } else {
    switch (remote_setup) {
      case DtlsSetup::kActpass:
        return DtlsRole::kClient;  // RFC 5763 §5: the answerer SHOULD be active
      case DtlsSetup::kActive:
        return DtlsRole::kServer;
      case DtlsSetup::kPassive:
        return DtlsRole::kClient;
    }
  }
  return absl::InvalidArgumentError("bad a=setup value");
}

}  // namespace tern
