// Helpers shared by the RTP/RTCP unit tests: hex literals and a status matcher.
#ifndef TERN_TESTS_UNIT_RTP_RTP_TEST_UTIL_H_
#define TERN_TESTS_UNIT_RTP_RTP_TEST_UTIL_H_

#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "tern/base/byte_io.h"

namespace tern::rtp::testing {

// "80 e0 12" -> {0x80, 0xe0, 0x12}; whitespace is ignored. A bad digit (a typo in a test) fails it.
inline std::vector<uint8_t> Hex(std::string_view text) {
  std::vector<uint8_t> out;
  int high = -1;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) continue;
    int v;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      v = c - 'A' + 10;
    } else {
      ADD_FAILURE() << "bad hex digit '" << c << "'";
      return {};
    }
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<uint8_t>(high << 4 | v));
      high = -1;
    }
  }
  if (high >= 0) ADD_FAILURE() << "odd number of hex digits";
  return out;
}

inline std::string ToHex(ByteSpan bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

inline std::vector<uint8_t> ToVector(ByteSpan b) { return std::vector<uint8_t>(b.begin(), b.end()); }

// A non-OK status whose message contains `needle` (so each rejection names its problem).
inline ::testing::AssertionResult FailsMentioning(const absl::Status& s, std::string_view needle) {
  if (s.ok())
    return ::testing::AssertionFailure() << "status is OK, expected an error mentioning '" << needle << "'";
  if (std::string(s.message()).find(needle) == std::string::npos) {
    return ::testing::AssertionFailure()
           << "status '" << s.ToString() << "' does not mention '" << needle << "'";
  }
  return ::testing::AssertionSuccess();
}

}  // namespace tern::rtp::testing

#endif  // TERN_TESTS_UNIT_RTP_RTP_TEST_UTIL_H_
