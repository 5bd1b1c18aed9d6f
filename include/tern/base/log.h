// Leveled logging that an application can redirect. The default sink writes one line per message to
// stderr. The active sink and minimum severity are atomics: set them at start-up; a sink must be
// thread-safe because every loop thread may log through it.
//
//   TERN_LOG(kWarning) << "stale nonce from " << addr.ToString();
#ifndef TERN_BASE_LOG_H_
#define TERN_BASE_LOG_H_

#include <sstream>
#include <string_view>

namespace tern {

enum class LogSeverity : int { kVerbose = 0, kInfo = 1, kWarning = 2, kError = 3, kNone = 4 };

std::string_view LogSeverityName(LogSeverity s);

class LogSink {
 public:
  virtual ~LogSink() = default;
  // file is the source file's base name. message has no trailing newline.
  virtual void Write(LogSeverity severity, std::string_view file, int line, std::string_view message) = 0;
};

// Not owned; must outlive all logging. nullptr restores the stderr sink. Returns the previous sink
// (nullptr when it was the default).
LogSink* SetLogSink(LogSink* sink);
void SetMinLogSeverity(LogSeverity severity);
LogSeverity MinLogSeverity();
inline bool LogEnabled(LogSeverity s) { return s >= MinLogSeverity() && s != LogSeverity::kNone; }

namespace internal {
class LogMessage {
 public:
  LogMessage(LogSeverity severity, const char* file, int line)
      : severity_(severity), file_(file), line_(line) {}
  ~LogMessage();
  std::ostream& stream() { return stream_; }

 private:
  LogSeverity severity_;
  const char* file_;
  int line_;
  std::ostringstream stream_;
};
// Lets TERN_LOG be used as an expression whose stream is only built when the level is enabled.
struct LogVoidify {
  void operator&(std::ostream&) {}
};
}  // namespace internal

}  // namespace tern

#define TERN_LOG(severity)                                            \
  !::tern::LogEnabled(::tern::LogSeverity::severity)                  \
      ? (void)0                                                       \
      : ::tern::internal::LogVoidify() &                              \
            ::tern::internal::LogMessage(::tern::LogSeverity::severity, \
                                         __FILE__, __LINE__)          \
                .stream()

#endif  // TERN_BASE_LOG_H_
