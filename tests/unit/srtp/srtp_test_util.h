// Helpers shared by the lib/srtp unit tests: hex decoding, RTP/RTCP packet builders, session keys.
#ifndef TERN_TESTS_UNIT_SRTP_SRTP_TEST_UTIL_H_
#define TERN_TESTS_UNIT_SRTP_SRTP_TEST_UTIL_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"
#include "tern/base/random.h"
#include "tern/srtp/srtp_session.h"

namespace tern::srtp::testing {

// Decodes hex, ignoring whitespace; fails the test on a bad digit.
inline std::vector<uint8_t> Hex(std::string_view text) {
  std::vector<uint8_t> out;
  int high = -1;
  for (char c : text) {
    int v;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      v = c - 'A' + 10;
    } else if (c == ' ' || c == '\n' || c == '\t') {
      continue;
    } else {
      ADD_FAILURE() << "bad hex digit " << c;
      return {};
    }
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<uint8_t>(high << 4 | v));
      high = -1;
    }
  }
  EXPECT_EQ(high, -1) << "odd number of hex digits";
  return out;
}

inline std::string ToHex(const uint8_t* data, size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < size; ++i) {
    s.push_back(kDigits[data[i] >> 4]);
    s.push_back(kDigits[data[i] & 15]);
  }
  return s;
}
inline std::string ToHex(const std::vector<uint8_t>& v) { return ToHex(v.data(), v.size()); }

inline constexpr SrtpProfile kAllProfiles[] = {SrtpProfile::kAes128CmSha1_80, SrtpProfile::kAes128CmSha1_32,
                                               SrtpProfile::kAeadAes128Gcm, SrtpProfile::kAeadAes256Gcm};
inline constexpr SrtpBackend kAllBackends[] = {SrtpBackend::kNative, SrtpBackend::kLibSrtp};

// Room every test buffer leaves after a packet (the largest SRTCP overhead is 4 + 16).
inline constexpr size_t kSlack = 32;

struct RtpSpec {
  uint16_t seq = 0;
  uint32_t timestamp = 0;
  uint32_t ssrc = 0x11223344;
  uint8_t payload_type = 96;
  uint8_t csrc_count = 0;
  size_t extension_words = 0;  // > 0: a one-byte-header extension of this many 32-bit words
  size_t payload_size = 100;
};

// An RTP packet (payload bytes from `random`), with kSlack bytes of spare capacity after it.
inline std::vector<uint8_t> MakeRtp(const RtpSpec& spec, Random& random) {
  std::vector<uint8_t> p;
  p.push_back(static_cast<uint8_t>(0x80 | (spec.extension_words > 0 ? 0x10 : 0) | (spec.csrc_count & 15)));
  p.push_back(spec.payload_type & 0x7f);
  p.push_back(static_cast<uint8_t>(spec.seq >> 8));
  p.push_back(static_cast<uint8_t>(spec.seq));
  for (int i = 3; i >= 0; --i) p.push_back(static_cast<uint8_t>(spec.timestamp >> (8 * i)));
  for (int i = 3; i >= 0; --i) p.push_back(static_cast<uint8_t>(spec.ssrc >> (8 * i)));
  for (int c = 0; c < (spec.csrc_count & 15); ++c) {
    for (int i = 0; i < 4; ++i) p.push_back(static_cast<uint8_t>(0xc0 + c));
  }
  if (spec.extension_words > 0) {
    p.push_back(0xbe);
    p.push_back(0xde);
    p.push_back(static_cast<uint8_t>(spec.extension_words >> 8));
    p.push_back(static_cast<uint8_t>(spec.extension_words));
    for (size_t i = 0; i < 4 * spec.extension_words; ++i) p.push_back(static_cast<uint8_t>(0x10 + i));
  }
  const size_t header = p.size();
  p.resize(header + spec.payload_size);
  random.Fill(std::span<uint8_t>(p.data() + header, spec.payload_size));
  return p;
}

// A compound-looking RTCP packet: SR header with the sender SSRC, then `body` random bytes.
inline std::vector<uint8_t> MakeRtcp(uint32_t ssrc, size_t body, Random& random) {
  std::vector<uint8_t> p = {0x80, 200, 0, static_cast<uint8_t>((8 + body) / 4 - 1)};
  for (int i = 3; i >= 0; --i) p.push_back(static_cast<uint8_t>(ssrc >> (8 * i)));
  p.resize(8 + body);
  random.Fill(std::span<uint8_t>(p.data() + 8, body));
  return p;
}

struct MasterKey {
  std::vector<uint8_t> key;
  std::vector<uint8_t> salt;
};

inline MasterKey RandomMasterKey(SrtpProfile profile, Random& random) {
  const SrtpProfileInfo info = GetSrtpProfileInfo(profile);
  MasterKey k{std::vector<uint8_t>(info.key_size), std::vector<uint8_t>(info.salt_size)};
  random.Fill(k.key);
  random.Fill(k.salt);
  return k;
}

inline std::unique_ptr<SrtpSession> MakeSession(SrtpBackend backend, SrtpProfile profile,
                                                SrtpDirection direction, const MasterKey& key,
                                                const SrtpSessionOptions& options = {}) {
  absl::StatusOr<std::unique_ptr<SrtpSession>> s =
      SrtpSession::Create(backend, profile, direction, key.key, key.salt, options);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *std::move(s) : nullptr;
}

// Protects a copy of `packet` (RTP or RTCP) and returns the protected bytes, or the status.
inline absl::StatusOr<std::vector<uint8_t>> Protect(SrtpSession& s, const std::vector<uint8_t>& packet,
                                                    bool rtcp) {
  std::vector<uint8_t> buffer(packet.size() + kSlack);
  std::copy(packet.begin(), packet.end(), buffer.begin());
  absl::StatusOr<size_t> n =
      rtcp ? s.ProtectRtcp(buffer, packet.size()) : s.ProtectRtp(buffer, packet.size());
  if (!n.ok()) return n.status();
  buffer.resize(*n);
  return buffer;
}

// Unprotects a copy of `packet` and returns the plaintext, or the status.
inline absl::StatusOr<std::vector<uint8_t>> Unprotect(SrtpSession& s, const std::vector<uint8_t>& packet,
                                                      bool rtcp) {
  // An exact-size heap copy, so an over-read is an ASan report.
  std::unique_ptr<uint8_t[]> copy(new uint8_t[packet.size() + 1]);
  std::copy(packet.begin(), packet.end(), copy.get());
  MutableByteSpan span(copy.get(), packet.size());
  absl::StatusOr<size_t> n = rtcp ? s.UnprotectRtcp(span) : s.UnprotectRtp(span);
  if (!n.ok()) return n.status();
  return std::vector<uint8_t>(copy.get(), copy.get() + *n);
}

inline std::string Describe(SrtpBackend b, SrtpProfile p) {
  return std::string(SrtpBackendName(b)) + "/" + std::string(SrtpProfileShortName(p));
}

}  // namespace tern::srtp::testing

#endif  // TERN_TESTS_UNIT_SRTP_SRTP_TEST_UTIL_H_
