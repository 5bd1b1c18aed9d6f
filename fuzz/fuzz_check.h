// Invariant checks for tern's libFuzzer harnesses: a failed check prints what failed and traps, so
// libFuzzer (or the replay driver) reports a crash and keeps the input.
#ifndef TERN_FUZZ_FUZZ_CHECK_H_
#define TERN_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <string>

#include "absl/status/status.h"

namespace tern::fuzz {

[[noreturn]] inline void CheckFailed(const char* file, int line, const char* condition,
                                     const std::string& detail) {
  std::fprintf(stderr, "%s:%d: fuzz invariant failed: %s%s%s\n", file, line, condition,
               detail.empty() ? "" : " -- ", detail.c_str());
  std::fflush(stderr);
  __builtin_trap();
}

}  // namespace tern::fuzz

// Traps when `condition` is false.
#define TERN_FUZZ_CHECK(condition)                                                   \
  do {                                                                               \
    if (!(condition)) ::tern::fuzz::CheckFailed(__FILE__, __LINE__, #condition, ""); \
  } while (0)

// Traps when `status` (an absl::Status) is not OK, printing it.
#define TERN_FUZZ_CHECK_OK(status)                                                                   \
  do {                                                                                               \
    const ::absl::Status tern_fuzz_status_ = (status);                                               \
    if (!tern_fuzz_status_.ok()) {                                                                   \
      ::tern::fuzz::CheckFailed(__FILE__, __LINE__, #status " is OK", tern_fuzz_status_.ToString()); \
    }                                                                                                \
  } while (0)

#endif  // TERN_FUZZ_FUZZ_CHECK_H_
