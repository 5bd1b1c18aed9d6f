// a=fingerprint values (RFC 8122 §5): hashing, formatting and parsing.
#include "tern/dtls/fingerprint.h"

#include <openssl/digest.h>
#include <openssl/mem.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "tern/base/strings.h"

namespace tern {
namespace {

const EVP_MD* Md(FingerprintHash hash) {
  switch (hash) {
    case FingerprintHash::kSha1:
      return EVP_sha1();
    case FingerprintHash::kSha224:
      return EVP_sha224();
    case FingerprintHash::kSha256:
      return EVP_sha256();
    case FingerprintHash::kSha384:
      return EVP_sha384();
    case FingerprintHash::kSha512:
      return EVP_sha512();
  }
  return EVP_sha256();
}

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

std::string_view FingerprintHashName(FingerprintHash hash) {
  switch (hash) {
    case FingerprintHash::kSha1:
      return "sha-1";
    case FingerprintHash::kSha224:
      return "sha-224";
    case FingerprintHash::kSha256:
      return "sha-256";
    case FingerprintHash::kSha384:
      return "sha-384";
    case FingerprintHash::kSha512:
      return "sha-512";
  }
  return "";
}

size_t FingerprintHashSize(FingerprintHash hash) { return EVP_MD_size(Md(hash)); }

DtlsFingerprint DtlsFingerprint::Compute(FingerprintHash hash, ByteSpan der) {
  DtlsFingerprint fp;
  fp.hash = hash;
  fp.digest.resize(EVP_MAX_MD_SIZE);
  unsigned int size = 0;
  if (!EVP_Digest(der.data(), der.size(), fp.digest.data(), &size, Md(hash), nullptr)) size = 0;
  fp.digest.resize(size);
  return fp;
}

absl::StatusOr<DtlsFingerprint> DtlsFingerprint::Parse(std::string_view value) {
  while (!value.empty() && IsSpace(value.front())) value.remove_prefix(1);
  while (!value.empty() && IsSpace(value.back())) value.remove_suffix(1);
  size_t space = 0;
  while (space < value.size() && !IsSpace(value[space])) ++space;
  std::string_view name = value.substr(0, space);
  std::string_view hex = value.substr(space);
  while (!hex.empty() && IsSpace(hex.front())) hex.remove_prefix(1);
  if (name.empty() || hex.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("a=fingerprint needs \"<hash> <hex>\", got \"", ToAbsl(value), "\""));
  }

  DtlsFingerprint fp;
  bool known = false;
  for (FingerprintHash h : {FingerprintHash::kSha1, FingerprintHash::kSha224, FingerprintHash::kSha256,
                            FingerprintHash::kSha384, FingerprintHash::kSha512}) {
    if (EqualsIgnoreCase(name, FingerprintHashName(h))) {
      fp.hash = h;
      known = true;
    }
  }
  if (!known) {
    if (EqualsIgnoreCase(name, "md5") || EqualsIgnoreCase(name, "md2")) {
      return absl::InvalidArgumentError(
          absl::StrCat("a=fingerprint hash \"", ToAbsl(name), "\" is too weak and refused"));
    }
    return absl::InvalidArgumentError(
        absl::StrCat("unknown a=fingerprint hash function \"", ToAbsl(name), "\""));
  }

  const size_t expected = FingerprintHashSize(fp.hash);
  // expected pairs, expected-1 colons.
  if (hex.size() != expected * 3 - 1) {
    return absl::InvalidArgumentError(absl::StrCat("a=fingerprint ", ToAbsl(name), " needs ", expected,
                                                   " hex pairs separated by colons, got \"", ToAbsl(hex),
                                                   "\""));
  }
  fp.digest.reserve(expected);
  for (size_t i = 0; i < expected; ++i) {
    const size_t at = i * 3;
    const int hi = HexValue(hex[at]);
    const int lo = HexValue(hex[at + 1]);
    if (hi < 0 || lo < 0 || (i + 1 < expected && hex[at + 2] != ':')) {
      return absl::InvalidArgumentError(
          absl::StrCat("malformed a=fingerprint hex at offset ", at, ": \"", ToAbsl(hex), "\""));
    }
    fp.digest.push_back(static_cast<uint8_t>(hi << 4 | lo));
  }
  return fp;
}

std::string DtlsFingerprint::DigestHex() const {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(digest.empty() ? 0 : digest.size() * 3 - 1);
  for (size_t i = 0; i < digest.size(); ++i) {
    if (i > 0) out.push_back(':');
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xF]);
  }
  return out;
}

std::string DtlsFingerprint::ToSdp() const {
  std::string out(FingerprintHashName(hash));
  out.push_back(' ');
  out += DigestHex();
  return out;
}

bool FingerprintMatches(const DtlsFingerprint& fingerprint, ByteSpan der) {
  DtlsFingerprint actual = DtlsFingerprint::Compute(fingerprint.hash, der);
  return !actual.digest.empty() && actual.digest.size() == fingerprint.digest.size() &&
         CRYPTO_memcmp(actual.digest.data(), fingerprint.digest.data(), actual.digest.size()) == 0;
}

}  // namespace tern
