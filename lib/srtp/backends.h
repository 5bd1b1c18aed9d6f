// Factories of the two SrtpSession backends (include/tern/srtp/srtp_session.h). Both take arguments
// that SrtpSession::Create has already validated. Internal to lib/srtp.
#ifndef TERN_LIB_SRTP_BACKENDS_H_
#define TERN_LIB_SRTP_BACKENDS_H_

#include <memory>

#include "absl/status/statusor.h"
#include "tern/base/byte_io.h"
#include "tern/srtp/srtp_session.h"

namespace tern::srtp {

// BoringSSL: RFC 3711 key derivation, then AES-GCM (EVP_AEAD) or AES-CM + HMAC-SHA1.
absl::StatusOr<std::unique_ptr<SrtpSession>> CreateNativeSrtpSession(SrtpProfile profile,
                                                                     SrtpDirection direction,
                                                                     ByteSpan master_key,
                                                                     ByteSpan master_salt,
                                                                     const SrtpSessionOptions& options);

// libsrtp2 with an ssrc_any_inbound / ssrc_any_outbound template policy.
absl::StatusOr<std::unique_ptr<SrtpSession>> CreateLibSrtpSession(SrtpProfile profile,
                                                                  SrtpDirection direction,
                                                                  ByteSpan master_key, ByteSpan master_salt,
                                                                  const SrtpSessionOptions& options);

}  // namespace tern::srtp

#endif  // TERN_LIB_SRTP_BACKENDS_H_
