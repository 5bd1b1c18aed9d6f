// The local DTLS identity: a private key and the self-signed X.509 certificate WebRTC endpoints
// present (RFC 8827 §6.5, RFC 8122 §5). Generated per application run (ECDSA P-256 by default; RSA-2048
// for tests and old peers) or loaded from PEM. Peers never check it against a CA: they compare its
// fingerprint with the one signalled in SDP.
//
// A DtlsCertificate is an immutable, cheaply copyable handle (shared ownership); one certificate can
// serve any number of DtlsEndpoints on any threads. BoringSSL types stay out of this header.
#ifndef TERN_DTLS_CERTIFICATE_H_
#define TERN_DTLS_CERTIFICATE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "tern/base/byte_io.h"
#include "tern/base/random.h"
#include "tern/base/time.h"
#include "tern/dtls/fingerprint.h"

namespace tern {

enum class DtlsKeyType { kEcdsaP256, kRsa2048 };

struct DtlsCertificateOptions {
  DtlsKeyType key_type = DtlsKeyType::kEcdsaP256;
  std::string common_name = "tern";
  // Wall-clock time (seconds since the Unix epoch) to centre the validity window on; the library never
  // reads the wall clock, callers pass it. Unset: a fixed window, 2020-01-01 to 2040-01-01 UTC.
  // WebRTC peers verify by fingerprint only, so the window matters only to peers that look at it.
  std::optional<int64_t> unix_time_seconds;
  // With unix_time_seconds: valid from unix_time - validity to unix_time + validity.
  Duration validity = Duration::Seconds(30 * 24 * 3600);
};

class DtlsCertificate {
 public:
  struct Impl;  // defined in lib/dtls/certificate_internal.h

  // An empty handle (no key); DtlsEndpoint::Create refuses it.
  DtlsCertificate() = default;

  // Generates a key pair and a self-signed certificate (SHA-256 signature, X.509 v3) with a random
  // positive 64-bit serial number drawn from `random`. The private key itself comes from BoringSSL's
  // own RNG (so it is not reproducible from a SeededRandom; only the serial is).
  static absl::StatusOr<DtlsCertificate> Generate(Random& random, const DtlsCertificateOptions& options = {});

  // Loads a PEM certificate (the first one in `cert_pem`) and its PEM private key (PKCS#8 or
  // traditional). Fails when either does not parse or the key does not match the certificate.
  static absl::StatusOr<DtlsCertificate> FromPem(std::string_view cert_pem, std::string_view key_pem);

  bool empty() const { return impl_ == nullptr; }
  // The certificate in DER. Empty for an empty handle.
  ByteSpan der() const;
  // The fingerprint to put in a=fingerprint (SHA-256 by default).
  DtlsFingerprint Fingerprint(FingerprintHash hash = FingerprintHash::kSha256) const;
  DtlsKeyType key_type() const;

  // PEM encodings, for handing the identity to other tools (e.g. the OpenSSL interop test).
  std::string CertificatePem() const;
  std::string PrivateKeyPem() const;

  const Impl* impl() const { return impl_.get(); }

 private:
  explicit DtlsCertificate(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

}  // namespace tern

#endif  // TERN_DTLS_CERTIFICATE_H_
