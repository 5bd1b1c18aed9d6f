// A small JSON value (RFC 8259) for the interop tests' JSON-lines protocol (tests/interop/PROTOCOL.md):
// parse one line into a value, build values, and serialize them back to one line. Test-side only: it
// keeps object members in insertion order in a vector (objects here have a dozen keys), numbers as
// double plus an exact int64 when the text was an integer, and refuses deep nesting and bad input with
// an absl::Status.
#ifndef TERN_TESTS_INTEROP_COMMON_JSON_H_
#define TERN_TESTS_INTEROP_COMMON_JSON_H_

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace tern::interop {

// Concatenates anything std::ostream can print (absl::StrCat does not take std::string_view with
// Debian's Abseil; DESIGN.md).
template <typename... Args>
std::string Cat(const Args&... args) {
  std::ostringstream out;
  (out << ... << args);
  return out.str();
}

inline std::string Join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out.append(separator);
    out.append(parts[i]);
  }
  return out;
}

class Json {
 public:
  enum class Kind : uint8_t { kNull, kBool, kNumber, kString, kArray, kObject };

  Json() = default;  // null
  Json(std::nullptr_t) {}
  Json(bool b) : kind_(Kind::kBool), bool_(b) {}
  Json(int v) : Json(static_cast<int64_t>(v)) {}
  Json(int64_t v) : kind_(Kind::kNumber), number_(static_cast<double>(v)), integer_(v) {}
  Json(uint64_t v) : Json(static_cast<int64_t>(v)) {}
  Json(double v) : kind_(Kind::kNumber), number_(v) {}
  Json(std::string s) : kind_(Kind::kString), string_(std::move(s)) {}
  Json(std::string_view s) : Json(std::string(s)) {}
  Json(const char* s) : Json(std::string(s)) {}

  static Json Object(std::initializer_list<std::pair<std::string, Json>> members = {});
  static Json Array(std::initializer_list<Json> items = {});

  // One JSON text (surrounding whitespace allowed). InvalidArgument says what and where.
  static absl::StatusOr<Json> Parse(std::string_view text);
  // Compact serialization on one line (control characters, '"' and '\\' escaped; other bytes as is).
  std::string Dump() const;

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::kNull; }
  bool is_bool() const { return kind_ == Kind::kBool; }
  bool is_number() const { return kind_ == Kind::kNumber; }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_array() const { return kind_ == Kind::kArray; }
  bool is_object() const { return kind_ == Kind::kObject; }

  bool bool_value() const { return bool_; }
  double number() const { return number_; }
  // The integer value: exact when the number was written as an integer, else truncated.
  int64_t integer() const { return integer_ ? *integer_ : static_cast<int64_t>(number_); }
  const std::string& string() const { return string_; }
  const std::vector<Json>& items() const { return items_; }
  const std::vector<std::pair<std::string, Json>>& members() const { return members_; }

  // Object access. A missing key (or a non-object) reads as null.
  bool Has(std::string_view key) const;
  const Json& operator[](std::string_view key) const;
  // Sets (replaces) a member; makes a null value an object. Returns *this for chaining.
  Json& Set(std::string key, Json value);
  // Appends to an array; makes a null value an array.
  Json& Push(Json value);

  // Conveniences for protocol fields: the member as that type, or `fallback` when absent or another type.
  std::string GetString(std::string_view key, std::string fallback = "") const;
  int64_t GetInt(std::string_view key, int64_t fallback = 0) const;
  bool GetBool(std::string_view key, bool fallback = false) const;
  std::optional<int64_t> GetOptionalInt(std::string_view key) const;

  bool operator==(const Json& other) const;

 private:
  Kind kind_ = Kind::kNull;
  bool bool_ = false;
  double number_ = 0;
  std::optional<int64_t> integer_;
  std::string string_;
  std::vector<Json> items_;
  std::vector<std::pair<std::string, Json>> members_;
};

}  // namespace tern::interop

#endif  // TERN_TESTS_INTEROP_COMMON_JSON_H_
