// See json.h.
#include "interop/common/json.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "absl/status/status.h"

namespace tern::interop {
namespace {

constexpr int kMaxDepth = 64;

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  absl::StatusOr<Json> ParseDocument() {
    auto value = ParseValue(0);
    if (!value.ok()) return value;
    SkipSpace();
    if (pos_ != text_.size()) return Error("trailing characters after the value");
    return value;
  }

 private:
  absl::Status Error(std::string_view what) const {
    return absl::InvalidArgumentError(Cat("JSON: ", what, " at offset ", pos_));
  }

  void SkipSpace() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  bool Consume(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  absl::StatusOr<Json> ParseValue(int depth) {
    if (depth > kMaxDepth) return Error("nesting too deep");
    SkipSpace();
    if (pos_ >= text_.size()) return Error("unexpected end of input");
    char c = text_[pos_];
    if (c == '{') return ParseObject(depth);
    if (c == '[') return ParseArray(depth);
    if (c == '"') {
      auto s = ParseString();
      if (!s.ok()) return s.status();
      return Json(std::move(*s));
    }
    if (Consume("true")) return Json(true);
    if (Consume("false")) return Json(false);
    if (Consume("null")) return Json();
    if (c == '-' || (c >= '0' && c <= '9')) return ParseNumber();
    return Error(Cat("unexpected character '", std::string_view(&text_[pos_], 1), "'"));
  }

  absl::StatusOr<Json> ParseNumber() {
    size_t start = pos_;
    bool integral = true;
    if (text_[pos_] == '-') ++pos_;
    auto digits = [&] {
      size_t first = pos_;
      while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
      return pos_ - first;
    };
    size_t int_digits = digits();
    if (int_digits == 0) return Error("a number needs digits");
    if (int_digits > 1 && text_[pos_ - int_digits] == '0') return Error("leading zero in a number");
    if (pos_ < text_.size() && text_[pos_] == '.') {
      integral = false;
      ++pos_;
      if (digits() == 0) return Error("digits must follow '.'");
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      integral = false;
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      if (digits() == 0) return Error("digits must follow the exponent");
    }
    std::string_view literal = text_.substr(start, pos_ - start);
    if (integral) {
      int64_t v = 0;
      auto [end, ec] = std::from_chars(literal.data(), literal.data() + literal.size(), v);
      if (ec == std::errc() && end == literal.data() + literal.size()) return Json(v);
      // Out of int64 range: keep it as a double.
    }
    std::string copy(literal);
    char* end = nullptr;
    double d = std::strtod(copy.c_str(), &end);
    if (end != copy.c_str() + copy.size() || !std::isfinite(d)) return Error("number out of range");
    return Json(d);
  }

  static void AppendUtf8(uint32_t cp, std::string* out) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  absl::StatusOr<uint32_t> ParseHex4() {
    if (text_.size() - pos_ < 4) return Error("truncated \\u escape");
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = text_[pos_++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= static_cast<uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f') v |= static_cast<uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= static_cast<uint32_t>(c - 'A' + 10);
      else return Error("bad hex digit in \\u escape");
    }
    return v;
  }

  absl::StatusOr<std::string> ParseString() {
    ++pos_;  // the opening quote
    std::string out;
    while (true) {
      if (pos_ >= text_.size()) return Error("unterminated string");
      char c = text_[pos_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) return Error("control character in a string");
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (pos_ >= text_.size()) return Error("unterminated escape");
      char e = text_[pos_++];
      switch (e) {
        case '"': out.push_back('"'); break;
        case '\\': out.push_back('\\'); break;
        case '/': out.push_back('/'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'u': {
          auto cp = ParseHex4();
          if (!cp.ok()) return cp.status();
          uint32_t code = *cp;
          if (code >= 0xD800 && code <= 0xDBFF) {
            if (!Consume("\\u")) return Error("high surrogate without a low one");
            auto low = ParseHex4();
            if (!low.ok()) return low.status();
            if (*low < 0xDC00 || *low > 0xDFFF) return Error("bad low surrogate");
            code = 0x10000 + ((code - 0xD800) << 10) + (*low - 0xDC00);
          } else if (code >= 0xDC00 && code <= 0xDFFF) {
            return Error("lone low surrogate");
          }
          AppendUtf8(code, &out);
          break;
        }
        default:
          return Error("unknown escape");
      }
    }
  }

  absl::StatusOr<Json> ParseArray(int depth) {
    ++pos_;
    Json array = Json::Array();
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == ']') {
      ++pos_;
      return array;
    }
    while (true) {
      auto item = ParseValue(depth + 1);
      if (!item.ok()) return item;
      array.Push(std::move(*item));
      SkipSpace();
      if (pos_ >= text_.size()) return Error("unterminated array");
      char c = text_[pos_++];
      if (c == ']') return array;
      if (c != ',') return Error("expected ',' or ']' in an array");
    }
  }

  absl::StatusOr<Json> ParseObject(int depth) {
    ++pos_;
    Json object = Json::Object();
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == '}') {
      ++pos_;
      return object;
    }
    while (true) {
      SkipSpace();
      if (pos_ >= text_.size() || text_[pos_] != '"') return Error("expected a string key");
      auto key = ParseString();
      if (!key.ok()) return key.status();
      SkipSpace();
      if (pos_ >= text_.size() || text_[pos_++] != ':') return Error("expected ':' after a key");
      auto value = ParseValue(depth + 1);
      if (!value.ok()) return value;
      object.Set(std::move(*key), std::move(*value));
      SkipSpace();
      if (pos_ >= text_.size()) return Error("unterminated object");
      char c = text_[pos_++];
      if (c == '}') return object;
      if (c != ',') return Error("expected ',' or '}' in an object");
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
};

void DumpString(const std::string& s, std::string* out) {
  out->push_back('"');
  for (char c : s) {
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(c));
          out->append(buf);
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

void DumpTo(const Json& v, std::string* out) {
  switch (v.kind()) {
    case Json::Kind::kNull: out->append("null"); break;
    case Json::Kind::kBool: out->append(v.bool_value() ? "true" : "false"); break;
    case Json::Kind::kNumber: {
      double d = v.number();
      if (d == std::floor(d) && std::fabs(d) < 9.0e15) {
        out->append(std::to_string(v.integer()));
      } else {
        char buf[32];
        std::snprintf(buf, sizeof(buf), "%.17g", d);
        out->append(buf);
      }
      break;
    }
    case Json::Kind::kString: DumpString(v.string(), out); break;
    case Json::Kind::kArray: {
      out->push_back('[');
      bool first = true;
      for (const Json& item : v.items()) {
        if (!first) out->push_back(',');
        first = false;
        DumpTo(item, out);
      }
      out->push_back(']');
      break;
    }
    case Json::Kind::kObject: {
      out->push_back('{');
      bool first = true;
      for (const auto& [key, value] : v.members()) {
        if (!first) out->push_back(',');
        first = false;
        DumpString(key, out);
        out->push_back(':');
        DumpTo(value, out);
      }
      out->push_back('}');
      break;
    }
  }
}

}  // namespace

Json Json::Object(std::initializer_list<std::pair<std::string, Json>> members) {
  Json j;
  j.kind_ = Kind::kObject;
  for (const auto& [key, value] : members) j.Set(key, value);
  return j;
}

Json Json::Array(std::initializer_list<Json> items) {
  Json j;
  j.kind_ = Kind::kArray;
  j.items_.assign(items.begin(), items.end());
  return j;
}

absl::StatusOr<Json> Json::Parse(std::string_view text) { return Parser(text).ParseDocument(); }

std::string Json::Dump() const {
  std::string out;
  DumpTo(*this, &out);
  return out;
}

bool Json::Has(std::string_view key) const {
  for (const auto& m : members_) {
    if (m.first == key) return true;
  }
  return false;
}

const Json& Json::operator[](std::string_view key) const {
  static const Json kNull;
  for (const auto& m : members_) {
    if (m.first == key) return m.second;
  }
  return kNull;
}

Json& Json::Set(std::string key, Json value) {
  if (kind_ == Kind::kNull) kind_ = Kind::kObject;
  for (auto& m : members_) {
    if (m.first == key) {
      m.second = std::move(value);
      return *this;
    }
  }
  members_.emplace_back(std::move(key), std::move(value));
  return *this;
}

Json& Json::Push(Json value) {
  if (kind_ == Kind::kNull) kind_ = Kind::kArray;
  items_.push_back(std::move(value));
  return *this;
}

std::string Json::GetString(std::string_view key, std::string fallback) const {
  const Json& v = (*this)[key];
  return v.is_string() ? v.string() : fallback;
}

int64_t Json::GetInt(std::string_view key, int64_t fallback) const {
  const Json& v = (*this)[key];
  return v.is_number() ? v.integer() : fallback;
}

bool Json::GetBool(std::string_view key, bool fallback) const {
  const Json& v = (*this)[key];
  return v.is_bool() ? v.bool_value() : fallback;
}

std::optional<int64_t> Json::GetOptionalInt(std::string_view key) const {
  const Json& v = (*this)[key];
  if (!v.is_number()) return std::nullopt;
  return v.integer();
}

bool Json::operator==(const Json& other) const {
  if (kind_ != other.kind_) return false;
  switch (kind_) {
    case Kind::kNull: return true;
    case Kind::kBool: return bool_ == other.bool_;
    case Kind::kNumber: return number_ == other.number_;
    case Kind::kString: return string_ == other.string_;
    case Kind::kArray: return items_ == other.items_;
    case Kind::kObject: return members_ == other.members_;
  }
  return false;
}

}  // namespace tern::interop
