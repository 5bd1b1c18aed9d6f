// Self-signed certificates for DTLS-SRTP (RFC 8827 §6.5) and PEM loading, on BoringSSL.
#include "tern/dtls/certificate.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/bytestring.h>
#include <openssl/ec.h>
#include <openssl/ec_key.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/nid.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <array>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "dtls/certificate_internal.h"
#include "tern/base/strings.h"

namespace tern {
namespace {

constexpr int64_t kFixedNotBefore = 1577836800;  // 2020-01-01T00:00:00Z
constexpr int64_t kFixedNotAfter = 2208988800;   // 2040-01-01T00:00:00Z

std::string LastBoringSslError() {
  uint32_t err = ERR_get_error();
  ERR_clear_error();
  if (err == 0) return "unknown error";
  char buf[256];
  ERR_error_string_n(err, buf, sizeof(buf));
  return buf;
}

absl::Status BoringSslError(std::string_view what) {
  return absl::InternalError(absl::StrCat(ToAbsl(what), ": ", LastBoringSslError()));
}

bssl::UniquePtr<EVP_PKEY> GenerateKey(DtlsKeyType type) {
  bssl::UniquePtr<EVP_PKEY> pkey(EVP_PKEY_new());
  if (!pkey) return nullptr;
  if (type == DtlsKeyType::kEcdsaP256) {
    bssl::UniquePtr<EC_KEY> ec(EC_KEY_new_by_curve_name(NID_X9_62_prime256v1));
    if (!ec || !EC_KEY_generate_key(ec.get()) || !EVP_PKEY_assign_EC_KEY(pkey.get(), ec.release())) {
      return nullptr;
    }
  } else {
    bssl::UniquePtr<RSA> rsa(RSA_new());
    bssl::UniquePtr<BIGNUM> e(BN_new());
    if (!rsa || !e || !BN_set_word(e.get(), RSA_F4) ||
        !RSA_generate_key_ex(rsa.get(), 2048, e.get(), nullptr) ||
        !EVP_PKEY_assign_RSA(pkey.get(), rsa.release())) {
      return nullptr;
    }
  }
  return pkey;
}

absl::StatusOr<DtlsKeyType> KeyTypeOf(const EVP_PKEY* pkey) {
  switch (EVP_PKEY_id(pkey)) {
    case EVP_PKEY_EC: {
      const EC_KEY* ec = EVP_PKEY_get0_EC_KEY(pkey);
      if (ec != nullptr && EC_GROUP_get_curve_name(EC_KEY_get0_group(ec)) == NID_X9_62_prime256v1) {
        return DtlsKeyType::kEcdsaP256;
      }
      return absl::InvalidArgumentError("only P-256 ECDSA keys are supported");
    }
    case EVP_PKEY_RSA:
      if (EVP_PKEY_bits(pkey) < 2048) {
        return absl::InvalidArgumentError(
            absl::StrCat("RSA key of ", EVP_PKEY_bits(pkey), " bits is too small (2048 minimum)"));
      }
      return DtlsKeyType::kRsa2048;
    default:
      return absl::InvalidArgumentError("unsupported private key type (want ECDSA P-256 or RSA)");
  }
}

absl::StatusOr<std::shared_ptr<DtlsCertificate::Impl>> MakeImpl(X509* x509, bssl::UniquePtr<EVP_PKEY> key,
                                                                DtlsKeyType type) {
  uint8_t* der = nullptr;
  int der_len = i2d_X509(x509, &der);
  if (der_len <= 0) return BoringSslError("i2d_X509");
  bssl::UniquePtr<uint8_t> der_owner(der);
  auto impl = std::make_shared<DtlsCertificate::Impl>();
  impl->der.reset(CRYPTO_BUFFER_new(der, static_cast<size_t>(der_len), nullptr));
  if (!impl->der) return BoringSslError("CRYPTO_BUFFER_new");
  impl->key = std::move(key);
  impl->key_type = type;
  return impl;
}

}  // namespace

absl::StatusOr<DtlsCertificate> DtlsCertificate::Generate(Random& random,
                                                          const DtlsCertificateOptions& options) {
  ERR_clear_error();
  bssl::UniquePtr<EVP_PKEY> key = GenerateKey(options.key_type);
  if (!key) return BoringSslError("key generation");

  bssl::UniquePtr<X509> x509(X509_new());
  if (!x509 || !X509_set_version(x509.get(), X509_VERSION_3)) return BoringSslError("X509_new");

  // A positive, non-zero 64-bit serial (RFC 5280 §4.1.2.2 allows up to 20 octets).
  std::array<uint8_t, 8> serial_bytes;
  random.Fill(serial_bytes);
  serial_bytes[0] &= 0x7F;
  serial_bytes[7] |= 0x01;
  bssl::UniquePtr<BIGNUM> serial(BN_bin2bn(serial_bytes.data(), serial_bytes.size(), nullptr));
  if (!serial || !BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(x509.get()))) {
    return BoringSslError("serial number");
  }

  int64_t not_before = kFixedNotBefore;
  int64_t not_after = kFixedNotAfter;
  if (options.unix_time_seconds.has_value()) {
    const int64_t span = options.validity.us() / 1000000;
    not_before = *options.unix_time_seconds - span;
    not_after = *options.unix_time_seconds + span;
  }
  if (not_before < 0 || not_after <= not_before || not_after > int64_t{253402300799}) {  // 9999-12-31
    return absl::InvalidArgumentError("certificate validity window outside 1970..9999");
  }
  if (!ASN1_TIME_set(X509_getm_notBefore(x509.get()), static_cast<time_t>(not_before)) ||
      !ASN1_TIME_set(X509_getm_notAfter(x509.get()), static_cast<time_t>(not_after))) {
    return BoringSslError("validity");
  }

  X509_NAME* name = X509_get_subject_name(x509.get());
  if (options.common_name.empty() || options.common_name.size() > 64 ||
      !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                  reinterpret_cast<const uint8_t*>(options.common_name.data()),
                                  static_cast<int>(options.common_name.size()), -1, 0)) {
    return absl::InvalidArgumentError("common name must be 1-64 bytes of UTF-8");
  }
  if (!X509_set_issuer_name(x509.get(), name) || !X509_set_pubkey(x509.get(), key.get()) ||
      !X509_sign(x509.get(), key.get(), EVP_sha256())) {
    return BoringSslError("signing the certificate");
  }
  absl::StatusOr<std::shared_ptr<Impl>> impl = MakeImpl(x509.get(), std::move(key), options.key_type);
  if (!impl.ok()) return impl.status();
  return DtlsCertificate(*std::move(impl));
}

absl::StatusOr<DtlsCertificate> DtlsCertificate::FromPem(std::string_view cert_pem,
                                                         std::string_view key_pem) {
  if (cert_pem.size() > (1u << 20) || key_pem.size() > (1u << 20)) {
    return absl::InvalidArgumentError("PEM input larger than 1 MiB");
  }
  ERR_clear_error();
  bssl::UniquePtr<BIO> cert_bio(BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size())));
  bssl::UniquePtr<BIO> key_bio(BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())));
  if (!cert_bio || !key_bio) return BoringSslError("BIO_new_mem_buf");
  bssl::UniquePtr<X509> x509(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
  if (!x509) {
    return absl::InvalidArgumentError(absl::StrCat("certificate PEM: ", LastBoringSslError()));
  }
  bssl::UniquePtr<EVP_PKEY> key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (!key) return absl::InvalidArgumentError(absl::StrCat("private key PEM: ", LastBoringSslError()));
  absl::StatusOr<DtlsKeyType> type = KeyTypeOf(key.get());
  if (!type.ok()) return type.status();
  if (!X509_check_private_key(x509.get(), key.get())) {
    ERR_clear_error();
    return absl::InvalidArgumentError("the private key does not match the certificate");
  }
  absl::StatusOr<std::shared_ptr<Impl>> impl = MakeImpl(x509.get(), std::move(key), *type);
  if (!impl.ok()) return impl.status();
  return DtlsCertificate(*std::move(impl));
}

ByteSpan DtlsCertificate::der() const {
  if (!impl_) return {};
  return ByteSpan(CRYPTO_BUFFER_data(impl_->der.get()), CRYPTO_BUFFER_len(impl_->der.get()));
}

DtlsFingerprint DtlsCertificate::Fingerprint(FingerprintHash hash) const {
  return DtlsFingerprint::Compute(hash, der());
}

DtlsKeyType DtlsCertificate::key_type() const { return impl_ ? impl_->key_type : DtlsKeyType::kEcdsaP256; }

std::string DtlsCertificate::CertificatePem() const {
  if (!impl_) return {};
  ByteSpan d = der();
  const uint8_t* p = d.data();
  bssl::UniquePtr<X509> x509(d2i_X509(nullptr, &p, static_cast<long>(d.size())));
  bssl::UniquePtr<BIO> bio(BIO_new(BIO_s_mem()));
  if (!x509 || !bio || !PEM_write_bio_X509(bio.get(), x509.get())) {
    ERR_clear_error();
    return {};
  }
  const uint8_t* out = nullptr;
  size_t len = 0;
  BIO_mem_contents(bio.get(), &out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string DtlsCertificate::PrivateKeyPem() const {
  if (!impl_) return {};
  bssl::UniquePtr<BIO> bio(BIO_new(BIO_s_mem()));
  if (!bio || !PEM_write_bio_PrivateKey(bio.get(), impl_->key.get(), nullptr, nullptr, 0, nullptr, nullptr)) {
    ERR_clear_error();
    return {};
  }
  const uint8_t* out = nullptr;
  size_t len = 0;
  BIO_mem_contents(bio.get(), &out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

}  // namespace tern
