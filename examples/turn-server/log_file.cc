// File log sink for tern-turnserver (see log_file.h).
#include "log_file.h"

#include <errno.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "absl/strings/str_cat.h"

namespace tern::turnserver {

FileLogSink::~FileLogSink() {
  std::lock_guard<std::mutex> lock(mu_);
  if (file_ != nullptr && file_ != stdout) fclose(file_);
}

absl::Status FileLogSink::Open() {
  std::lock_guard<std::mutex> lock(mu_);
  if (to_stdout()) {
    file_ = stdout;
    return absl::OkStatus();
  }
  FILE* f = fopen(path_.c_str(), "ae");
  if (f == nullptr) {
    return absl::PermissionDeniedError(absl::StrCat("cannot open log-file ", path_, ": ", strerror(errno)));
  }
  file_ = f;
  return absl::OkStatus();
}

absl::Status FileLogSink::Reopen() {
  if (to_stdout()) return absl::OkStatus();
  FILE* f = fopen(path_.c_str(), "ae");
  if (f == nullptr) {
    return absl::PermissionDeniedError(absl::StrCat("cannot reopen log-file ", path_, ": ", strerror(errno)));
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (file_ != nullptr && file_ != stdout) fclose(file_);
  file_ = f;
  return absl::OkStatus();
}

void FileLogSink::Write(LogSeverity severity, std::string_view file, int line, std::string_view message) {
  timeval tv;
  gettimeofday(&tv, nullptr);
  tm t;
  gmtime_r(&tv.tv_sec, &t);
  char stamp[64];
  snprintf(stamp, sizeof(stamp), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", t.tm_year + 1900, t.tm_mon + 1,
           t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, static_cast<int>(tv.tv_usec / 1000));
  const std::string_view sev = LogSeverityName(severity);
  std::lock_guard<std::mutex> lock(mu_);
  FILE* out = file_ != nullptr ? file_ : stderr;
  if (line > 0) {
    fprintf(out, "%s %.*s %.*s:%d %.*s\n", stamp, static_cast<int>(sev.size()), sev.data(),
            static_cast<int>(file.size()), file.data(), line, static_cast<int>(message.size()), message.data());
  } else {
    fprintf(out, "%s %.*s %.*s\n", stamp, static_cast<int>(sev.size()), sev.data(),
            static_cast<int>(message.size()), message.data());
  }
  fflush(out);
}

}  // namespace tern::turnserver
