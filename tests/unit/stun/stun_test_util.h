// Helpers shared by the STUN unit tests: hex literals, hand-assembled messages (so malformed input can
// be produced byte by byte, bypassing MessageBuilder's checks) and a status matcher.
#ifndef TERN_TESTS_UNIT_STUN_STUN_TEST_UTIL_H_
#define TERN_TESTS_UNIT_STUN_STUN_TEST_UTIL_H_

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "tern/base/byte_io.h"
#include "tern/stun/constants.h"

namespace tern::stun::testing {

// "00 01 0a" -> {0x00, 0x01, 0x0a}; whitespace is ignored. Aborts the test binary on bad input, which
// can only come from a typo in a test.
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

inline std::vector<uint8_t> Bytes(std::string_view s) { return std::vector<uint8_t>(s.begin(), s.end()); }

// One attribute as it goes on the wire: the value is padded to 4 bytes with `pad` bytes unless
// `declared_length` overrides the length field (to produce lies).
struct RawAttribute {
  uint16_t type = 0;
  std::vector<uint8_t> value;
  uint8_t pad = 0x00;
  int declared_length = -1;
};

inline void AppendAttribute(std::vector<uint8_t>& out, const RawAttribute& a) {
  uint16_t len = a.declared_length >= 0 ? static_cast<uint16_t>(a.declared_length)
                                        : static_cast<uint16_t>(a.value.size());
  out.push_back(static_cast<uint8_t>(a.type >> 8));
  out.push_back(static_cast<uint8_t>(a.type));
  out.push_back(static_cast<uint8_t>(len >> 8));
  out.push_back(static_cast<uint8_t>(len));
  out.insert(out.end(), a.value.begin(), a.value.end());
  while (out.size() % 4 != 0) out.push_back(a.pad);
}

inline const TransactionId& TestTransactionId() {
  static const TransactionId id = [] {
    TransactionId t;
    for (size_t i = 0; i < t.bytes.size(); ++i) t.bytes[i] = static_cast<uint8_t>(0xA0 + i);
    return t;
  }();
  return id;
}

// A complete message with a correct header length field (patch bytes afterwards to break it).
inline std::vector<uint8_t> RawMessage(uint16_t type, const std::vector<RawAttribute>& attributes,
                                       const TransactionId& id = TestTransactionId()) {
  std::vector<uint8_t> out(kHeaderSize, 0);
  StoreBigEndian16(out.data(), type);
  StoreBigEndian32(out.data() + 4, kMagicCookie);
  std::copy(id.bytes.begin(), id.bytes.end(), out.begin() + 8);
  for (const RawAttribute& a : attributes) AppendAttribute(out, a);
  StoreBigEndian16(out.data() + 2, static_cast<uint16_t>(out.size() - kHeaderSize));
  return out;
}

inline std::vector<uint8_t> U32(uint32_t v) {
  return {static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16), static_cast<uint8_t>(v >> 8),
          static_cast<uint8_t>(v)};
}

inline bool ContainsIgnoringCase(std::string_view haystack, std::string_view needle) {
  if (needle.empty()) return true;
  for (size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    bool match = true;
    for (size_t k = 0; k < needle.size() && match; ++k) {
      match = std::tolower(static_cast<unsigned char>(haystack[i + k])) ==
              std::tolower(static_cast<unsigned char>(needle[k]));
    }
    if (match) return true;
  }
  return false;
}

// Passes when `status` is an error whose message mentions `needle` (case-insensitive).
inline ::testing::AssertionResult FailsMentioning(const absl::Status& status, std::string_view needle) {
  if (status.ok())
    return ::testing::AssertionFailure() << "expected an error mentioning \"" << needle << "\", got OK";
  std::string_view message(status.message().data(), status.message().size());
  if (!ContainsIgnoringCase(message, needle)) {
    return ::testing::AssertionFailure()
           << "error \"" << status << "\" does not mention \"" << needle << "\"";
  }
  return ::testing::AssertionSuccess();
}

}  // namespace tern::stun::testing

#endif  // TERN_TESTS_UNIT_STUN_STUN_TEST_UTIL_H_
