// What a DtlsCertificate holds: BoringSSL's key and the DER certificate as a CRYPTO_BUFFER, ready for
// SSL_set_chain_and_key. Private to lib/dtls.
#ifndef TERN_LIB_DTLS_CERTIFICATE_INTERNAL_H_
#define TERN_LIB_DTLS_CERTIFICATE_INTERNAL_H_

#include <openssl/base.h>
#include <openssl/evp.h>
#include <openssl/pool.h>

#include "tern/dtls/certificate.h"

namespace tern {

struct DtlsCertificate::Impl {
  bssl::UniquePtr<EVP_PKEY> key;
  bssl::UniquePtr<CRYPTO_BUFFER> der;
  DtlsKeyType key_type = DtlsKeyType::kEcdsaP256;
};

}  // namespace tern

#endif  // TERN_LIB_DTLS_CERTIFICATE_INTERNAL_H_
