#include "tern/base/time.h"

#include "absl/strings/str_format.h"

namespace tern {

std::string Duration::ToString() const {
  if (is_infinite()) return "inf";
  int64_t a = us_ < 0 ? -us_ : us_;
  if (a < 1000) return absl::StrFormat("%dus", us_);
  if (a < 1000000) return absl::StrFormat("%.3gms", static_cast<double>(us_) / 1e3);
  return absl::StrFormat("%.4gs", static_cast<double>(us_) / 1e6);
}

std::string Timestamp::ToString() const {
  if (is_infinite()) return "inf";
  return absl::StrFormat("%.6fs", static_cast<double>(us_) / 1e6);
}

}  // namespace tern
