// Small text helpers shared by the SDP parser, the candidate parser and JSEP (private to lib/sdp).
#ifndef TERN_LIB_SDP_TEXT_H_
#define TERN_LIB_SDP_TEXT_H_

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "absl/container/inlined_vector.h"

namespace tern::sdp {

// Field lists of one SDP line: on the stack for the usual handful of fields.
using Fields = absl::InlinedVector<std::string_view, 8>;

inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }
inline bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
inline bool IsAlnum(char c) { return IsDigit(c) || IsAlpha(c); }
inline bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
inline char ToLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

inline std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

inline bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

inline bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (ToLower(s[i]) != ToLower(prefix[i])) return false;
  }
  return true;
}

// Fields separated by runs of spaces or tabs; no empty fields.
inline Fields SplitWhitespace(std::string_view s) {
  Fields out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    size_t start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t') ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

// Fields separated by `sep`, empty ones included.
inline Fields Split(std::string_view s, char sep) {
  Fields out;
  size_t start = 0;
  while (true) {
    size_t at = s.find(sep, start);
    if (at == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, at - start));
    start = at + 1;
  }
}

// 1-20 decimal digits that fit in uint64_t.
inline std::optional<uint64_t> ParseDecimal(std::string_view s) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (!IsDigit(c)) return std::nullopt;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  return v;
}

// RFC 8866 §9 token-char: %x21 / %x23-27 / %x2A-2B / %x2D-2E / %x30-39 / %x41-5A / %x5E-7E.
inline bool IsTokenChar(char ch) {
  unsigned char c = static_cast<unsigned char>(ch);
  return c == 0x21 || (c >= 0x23 && c <= 0x27) || c == 0x2A || c == 0x2B || c == 0x2D || c == 0x2E ||
         (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x5E && c <= 0x7E);
}
inline bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

// Visible ASCII or UTF-8 bytes, no spaces or controls (an address, a mid, an id).
inline bool IsVisible(std::string_view s) {
  if (s.empty()) return false;
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7F) return false;
  }
  return true;
}

// An IPv4/IPv6 literal or a host name as candidates and c= lines carry them: letters, digits and
// ".:-_%" (the last for IPv6 zone ids), at most 255 characters.
inline bool IsAddressText(std::string_view s) {
  if (s.empty() || s.size() > 255) return false;
  for (char c : s) {
    if (!IsAlnum(c) && c != '.' && c != ':' && c != '-' && c != '_' && c != '%') return false;
  }
  return true;
}

}  // namespace tern::sdp

#endif  // TERN_LIB_SDP_TEXT_H_
