// Self-signed DTLS certificates (RFC 8827 §6.5): generation (ECDSA P-256, RSA-2048), serial from the
// injected Random, validity window, PEM round trip, refusal of mismatched or unsupported keys.
#include "tern/dtls/certificate.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ec_key.h>
#include <openssl/evp.h>
#include <openssl/nid.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "unit/dtls/dtls_test_util.h"

namespace tern {
namespace {

using ::testing::HasSubstr;

bssl::UniquePtr<X509> ParseDer(ByteSpan der) {
  const uint8_t* p = der.data();
  bssl::UniquePtr<X509> x(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  EXPECT_EQ(p, der.data() + der.size());
  return x;
}

int64_t AsnTimeToUnix(const ASN1_TIME* t) {
  int days = 0, secs = 0;
  bssl::UniquePtr<ASN1_TIME> epoch(ASN1_TIME_set(nullptr, 0));
  EXPECT_TRUE(ASN1_TIME_diff(&days, &secs, epoch.get(), t));
  return int64_t{days} * 86400 + secs;
}

std::string SerialHex(X509* x) {
  bssl::UniquePtr<BIGNUM> bn(ASN1_INTEGER_to_BN(X509_get_serialNumber(x), nullptr));
  char* hex = BN_bn2hex(bn.get());
  std::string out(hex);
  OPENSSL_free(hex);
  return out;
}

TEST(DtlsCertificateTest, GeneratesSelfSignedEcdsaP256) {
  SeededRandom random(42);
  DtlsCertificateOptions options;
  options.unix_time_seconds = 1700000000;  // 2023-11-14
  absl::StatusOr<DtlsCertificate> cert = DtlsCertificate::Generate(random, options);
  ASSERT_TRUE(cert.ok()) << cert.status();
  EXPECT_FALSE(cert->empty());
  EXPECT_EQ(cert->key_type(), DtlsKeyType::kEcdsaP256);

  bssl::UniquePtr<X509> x = ParseDer(cert->der());
  ASSERT_TRUE(x);
  EXPECT_EQ(X509_get_version(x.get()), X509_VERSION_3);
  bssl::UniquePtr<EVP_PKEY> pub(X509_get_pubkey(x.get()));
  ASSERT_TRUE(pub);
  ASSERT_EQ(EVP_PKEY_id(pub.get()), EVP_PKEY_EC);
  EXPECT_EQ(EC_GROUP_get_curve_name(EC_KEY_get0_group(EVP_PKEY_get0_EC_KEY(pub.get()))),
            NID_X9_62_prime256v1);
  EXPECT_EQ(X509_verify(x.get(), pub.get()), 1);  // self-signed
  EXPECT_EQ(X509_get_signature_nid(x.get()), NID_ecdsa_with_SHA256);
  EXPECT_EQ(X509_NAME_cmp(X509_get_subject_name(x.get()), X509_get_issuer_name(x.get())), 0);
  char cn[64] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(x.get()), NID_commonName, cn, sizeof(cn));
  EXPECT_STREQ(cn, "tern");
  EXPECT_EQ(AsnTimeToUnix(X509_get0_notBefore(x.get())), 1700000000 - 30 * 86400);
  EXPECT_EQ(AsnTimeToUnix(X509_get0_notAfter(x.get())), 1700000000 + 30 * 86400);
  // The fingerprint is the SHA-256 of exactly these DER bytes.
  EXPECT_EQ(cert->Fingerprint(), DtlsFingerprint::Compute(FingerprintHash::kSha256, cert->der()));
  EXPECT_EQ(cert->Fingerprint(FingerprintHash::kSha1).digest.size(), 20u);
}

TEST(DtlsCertificateTest, SerialComesFromTheInjectedRandomKeyDoesNot) {
  SeededRandom r1(7), r2(7), r3(8);
  DtlsCertificate a = *DtlsCertificate::Generate(r1);
  DtlsCertificate b = *DtlsCertificate::Generate(r2);
  DtlsCertificate c = *DtlsCertificate::Generate(r3);
  bssl::UniquePtr<X509> xa = ParseDer(a.der()), xb = ParseDer(b.der()), xc = ParseDer(c.der());
  EXPECT_EQ(SerialHex(xa.get()), SerialHex(xb.get()));
  EXPECT_NE(SerialHex(xa.get()), SerialHex(xc.get()));
  EXPECT_NE(a.Fingerprint(), b.Fingerprint());  // fresh keys from BoringSSL's RNG
  // Positive and non-zero.
  bssl::UniquePtr<BIGNUM> bn(ASN1_INTEGER_to_BN(X509_get_serialNumber(xa.get()), nullptr));
  EXPECT_FALSE(BN_is_negative(bn.get()));
  EXPECT_FALSE(BN_is_zero(bn.get()));
}

TEST(DtlsCertificateTest, FixedWindowWithoutWallTime) {
  SeededRandom random(1);
  DtlsCertificate cert = *DtlsCertificate::Generate(random);
  bssl::UniquePtr<X509> x = ParseDer(cert.der());
  EXPECT_EQ(AsnTimeToUnix(X509_get0_notBefore(x.get())), 1577836800);  // 2020-01-01
  EXPECT_EQ(AsnTimeToUnix(X509_get0_notAfter(x.get())), 2208988800);   // 2040-01-01
}

TEST(DtlsCertificateTest, BadOptionsAreRefused) {
  SeededRandom random(1);
  DtlsCertificateOptions options;
  options.unix_time_seconds = 100;  // window would start before 1970
  EXPECT_EQ(DtlsCertificate::Generate(random, options).status().code(), absl::StatusCode::kInvalidArgument);
  options.unix_time_seconds = 1700000000;
  options.common_name = "";
  EXPECT_EQ(DtlsCertificate::Generate(random, options).status().code(), absl::StatusCode::kInvalidArgument);
  options.common_name = std::string(65, 'x');
  EXPECT_EQ(DtlsCertificate::Generate(random, options).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(DtlsCertificateTest, Rsa2048) {
  const DtlsCertificate& cert = testing::TestCertificate(DtlsKeyType::kRsa2048, 0);
  EXPECT_EQ(cert.key_type(), DtlsKeyType::kRsa2048);
  bssl::UniquePtr<X509> x = ParseDer(cert.der());
  bssl::UniquePtr<EVP_PKEY> pub(X509_get_pubkey(x.get()));
  ASSERT_EQ(EVP_PKEY_id(pub.get()), EVP_PKEY_RSA);
  EXPECT_EQ(EVP_PKEY_bits(pub.get()), 2048);
  EXPECT_EQ(X509_verify(x.get(), pub.get()), 1);
  EXPECT_EQ(X509_get_signature_nid(x.get()), NID_sha256WithRSAEncryption);
}

TEST(DtlsCertificateTest, PemRoundTrip) {
  for (DtlsKeyType type : {DtlsKeyType::kEcdsaP256, DtlsKeyType::kRsa2048}) {
    const DtlsCertificate& cert = testing::TestCertificate(type, 0);
    const std::string cert_pem = cert.CertificatePem();
    const std::string key_pem = cert.PrivateKeyPem();
    EXPECT_THAT(cert_pem, HasSubstr("-----BEGIN CERTIFICATE-----"));
    EXPECT_THAT(key_pem, HasSubstr("PRIVATE KEY-----"));
    absl::StatusOr<DtlsCertificate> back = DtlsCertificate::FromPem(cert_pem, key_pem);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(back->Fingerprint(), cert.Fingerprint());
    EXPECT_EQ(back->key_type(), type);
  }
}

TEST(DtlsCertificateTest, FromPemRefusesBadInput) {
  const DtlsCertificate& a = testing::TestCertificate(DtlsKeyType::kEcdsaP256, 0);
  const DtlsCertificate& b = testing::TestCertificate(DtlsKeyType::kEcdsaP256, 1);
  absl::StatusOr<DtlsCertificate> mismatched =
      DtlsCertificate::FromPem(a.CertificatePem(), b.PrivateKeyPem());
  EXPECT_EQ(mismatched.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(mismatched.status().message(), HasSubstr("does not match"));
  EXPECT_EQ(DtlsCertificate::FromPem("garbage", a.PrivateKeyPem()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DtlsCertificate::FromPem(a.CertificatePem(), "garbage").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DtlsCertificate::FromPem("", "").status().code(), absl::StatusCode::kInvalidArgument);
  // A P-384 key is not one we support.
  bssl::UniquePtr<EC_KEY> ec(EC_KEY_new_by_curve_name(NID_secp384r1));
  ASSERT_TRUE(EC_KEY_generate_key(ec.get()));
  bssl::UniquePtr<EVP_PKEY> pkey(EVP_PKEY_new());
  EVP_PKEY_assign_EC_KEY(pkey.get(), ec.release());
  bssl::UniquePtr<BIO> bio(BIO_new(BIO_s_mem()));
  ASSERT_TRUE(PEM_write_bio_PrivateKey(bio.get(), pkey.get(), nullptr, nullptr, 0, nullptr, nullptr));
  const uint8_t* data = nullptr;
  size_t len = 0;
  BIO_mem_contents(bio.get(), &data, &len);
  absl::StatusOr<DtlsCertificate> p384 =
      DtlsCertificate::FromPem(a.CertificatePem(), std::string(reinterpret_cast<const char*>(data), len));
  EXPECT_EQ(p384.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(p384.status().message(), HasSubstr("P-256"));
}

TEST(DtlsCertificateTest, EmptyHandle) {
  DtlsCertificate empty;
  EXPECT_TRUE(empty.empty());
  EXPECT_TRUE(empty.der().empty());
  EXPECT_TRUE(empty.CertificatePem().empty());
  EXPECT_TRUE(empty.PrivateKeyPem().empty());
}

}  // namespace
}  // namespace tern
