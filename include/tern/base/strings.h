// The one bridge between std::string_view (tern's own API) and absl::string_view (Debian's Abseil is
// built with ABSL_OPTION_USE_STD_STRING_VIEW=0, so the two do not convert implicitly; DESIGN.md).
#ifndef TERN_BASE_STRINGS_H_
#define TERN_BASE_STRINGS_H_

#include <string_view>

#include "absl/strings/string_view.h"

namespace tern {

inline absl::string_view ToAbsl(std::string_view s) { return absl::string_view(s.data(), s.size()); }
inline std::string_view FromAbsl(absl::string_view s) { return std::string_view(s.data(), s.size()); }

}  // namespace tern

#endif  // TERN_BASE_STRINGS_H_
