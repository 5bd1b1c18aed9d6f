// tern-turnserver's log destination: stdout or a file (coturn's log-file), reopened on SIGHUP so
// logrotate can move it away. Lines carry a UTC timestamp and the severity.
#ifndef TERN_EXAMPLES_TURN_SERVER_LOG_FILE_H_
#define TERN_EXAMPLES_TURN_SERVER_LOG_FILE_H_

#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "tern/base/log.h"

namespace tern::turnserver {

// Thread-safe (every loop thread may log; the signal thread reopens).
class FileLogSink final : public LogSink {
 public:
  // `path` empty, "stdout" or "-": standard output (never reopened).
  explicit FileLogSink(std::string path) : path_(std::move(path)) {}
  ~FileLogSink() override;
  absl::Status Open();
  // Closes and opens the path again (appending).
  absl::Status Reopen();
  void Write(LogSeverity severity, std::string_view file, int line, std::string_view message) override;
  // A line from the program itself (start-up, signals), at info level.
  void Note(std::string_view message) { Write(LogSeverity::kInfo, "tern-turnserver", 0, message); }

 private:
  bool to_stdout() const { return path_.empty() || path_ == "stdout" || path_ == "-"; }
  const std::string path_;
  std::mutex mu_;
  FILE* file_ = nullptr;  // guarded by mu_
};

}  // namespace tern::turnserver

#endif  // TERN_EXAMPLES_TURN_SERVER_LOG_FILE_H_
