#include "tern/base/log.h"

#include <atomic>
#include <cstdio>
#include <string>

namespace tern {
namespace {

class StderrSink final : public LogSink {
 public:
  void Write(LogSeverity severity, std::string_view file, int line, std::string_view message) override {
    // One fwrite per line so concurrent lines do not interleave.
    std::string out;
    out.reserve(message.size() + file.size() + 24);
    out.append(LogSeverityName(severity));
    out.append(" ");
    out.append(file);
    out.append(":");
    out.append(std::to_string(line));
    out.append("] ");
    out.append(message);
    out.push_back('\n');
    std::fwrite(out.data(), 1, out.size(), stderr);
  }
};

StderrSink g_stderr_sink;
std::atomic<LogSink*> g_sink{nullptr};
std::atomic<int> g_min_severity{static_cast<int>(LogSeverity::kWarning)};

std::string_view BaseName(const char* path) {
  std::string_view p(path);
  size_t slash = p.rfind('/');
  return slash == std::string_view::npos ? p : p.substr(slash + 1);
}

}  // namespace

std::string_view LogSeverityName(LogSeverity s) {
  switch (s) {
    case LogSeverity::kVerbose: return "V";
    case LogSeverity::kInfo: return "I";
    case LogSeverity::kWarning: return "W";
    case LogSeverity::kError: return "E";
    case LogSeverity::kNone: break;
  }
  return "?";
}

LogSink* SetLogSink(LogSink* sink) { return g_sink.exchange(sink, std::memory_order_acq_rel); }

void SetMinLogSeverity(LogSeverity severity) {
  g_min_severity.store(static_cast<int>(severity), std::memory_order_relaxed);
}

LogSeverity MinLogSeverity() {
  return static_cast<LogSeverity>(g_min_severity.load(std::memory_order_relaxed));
}

namespace internal {
LogMessage::~LogMessage() {
  LogSink* sink = g_sink.load(std::memory_order_acquire);
  if (sink == nullptr) sink = &g_stderr_sink;
  std::string message = stream_.str();
  sink->Write(severity_, BaseName(file_), line_, message);
}
}  // namespace internal

}  // namespace tern
