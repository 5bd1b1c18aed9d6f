// See peer_process.h.
#include "interop/common/peer_process.h"

#include <fcntl.h>
#include <openssl/sha.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>


namespace tern::interop {

std::vector<uint8_t> PatternMessage(int64_t j, size_t size, bool binary) {
  std::vector<uint8_t> out(size);
  for (size_t k = 0; k < size; ++k) {
    if (binary) {
      out[k] = static_cast<uint8_t>((j * 251 + static_cast<int64_t>(k) * 31 + 7) & 0xff);
    } else {
      out[k] = static_cast<uint8_t>('a' + (j * 7 + static_cast<int64_t>(k)) % 26);
    }
  }
  return out;
}

struct Sha256::State {
  SHA256_CTX ctx;
};

Sha256::Sha256() : state_(std::make_unique<State>()) { SHA256_Init(&state_->ctx); }
Sha256::~Sha256() = default;

void Sha256::Update(const void* data, size_t size) { SHA256_Update(&state_->ctx, data, size); }

std::string Sha256::Hex() const {
  SHA256_CTX copy = state_->ctx;
  uint8_t digest[SHA256_DIGEST_LENGTH];
  SHA256_Final(digest, &copy);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : digest) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

std::string Sha256Hex(const void* data, size_t size) {
  Sha256 h;
  h.Update(data, size);
  return h.Hex();
}

std::string CandidateAddress(std::string_view candidate) {
  // candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type> ...
  int field = 0;
  size_t i = 0;
  while (i < candidate.size()) {
    while (i < candidate.size() && candidate[i] == ' ') ++i;
    size_t start = i;
    while (i < candidate.size() && candidate[i] != ' ') ++i;
    if (start == i) break;
    if (field == 4) return std::string(candidate.substr(start, i - start));
    ++field;
  }
  return "";
}

namespace {

bool IsSignal(const Json& m) {
  const std::string type = m.GetString("type");
  return type == "offer" || type == "answer" || type == "candidate";
}

std::string Abbreviate(std::string text, size_t max = 240) {
  if (text.size() > max) text = text.substr(0, max) + "...";
  return text;
}

}  // namespace

void MessageQueue::SetSignalHandler(std::function<void(const Json&)> handler) {
  std::unique_lock<std::mutex> lock(mu_);
  signal_handler_ = handler;
  std::vector<Json> early;
  early.swap(early_signals_);
  std::lock_guard<std::mutex> deliver(deliver_mu_);
  lock.unlock();
  for (const Json& m : early) handler(m);
}

void MessageQueue::Push(Json message) {
  std::unique_lock<std::mutex> lock(mu_);
  history_.push_back(Abbreviate(message.Dump()));
  if (message.GetString("type") == "error" && error_.empty()) {
    error_ = message.GetString("message", message.Dump());
  }
  if (!IsSignal(message)) {
    queue_.push_back(std::move(message));
    lock.unlock();
    cv_.notify_all();
    return;
  }
  if (!signal_handler_) {
    early_signals_.push_back(std::move(message));
    return;
  }
  std::function<void(const Json&)> handler = signal_handler_;
  std::lock_guard<std::mutex> deliver(deliver_mu_);
  lock.unlock();
  handler(message);
}

void MessageQueue::Close(std::string why) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_.empty()) closed_ = why.empty() ? "closed" : std::move(why);
  }
  cv_.notify_all();
}

absl::StatusOr<Json> MessageQueue::WaitFor(const Predicate& match, Millis timeout, std::string_view what) {
  std::unique_lock<std::mutex> lock(mu_);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    for (auto it = queue_.begin(); it != queue_.end(); ++it) {
      if (match(*it)) {
        Json found = std::move(*it);
        queue_.erase(it);
        return found;
      }
    }
    if (!error_.empty()) {
      return absl::InternalError(Cat("while waiting for ", what, ": the peer reported an error: ", error_));
    }
    if (!closed_.empty()) {
      return absl::InternalError(Cat("while waiting for ", what, ": the peer is gone (", closed_, ")"));
    }
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout) {
      std::vector<std::string> queued;
      for (const Json& m : queue_) queued.push_back(Abbreviate(m.Dump(), 160));
      return absl::DeadlineExceededError(Cat("timed out after ", timeout.count(), " ms waiting for ", what,
                                                      "; queued: [", Join(queued, ", "), "]"));
    }
  }
}

std::vector<std::string> MessageQueue::History() const {
  std::lock_guard<std::mutex> lock(mu_);
  return history_;
}

absl::StatusOr<Json> Endpoint::WaitForType(std::string_view type, std::string_view label, Millis timeout) {
  std::string t(type), l(label);
  return WaitFor(
      [&](const Json& m) { return m.GetString("type") == t && (l.empty() || m.GetString("label") == l); }, timeout,
      Cat(name(), " '", type, "'", label.empty() ? "" : " on ", label));
}

absl::StatusOr<std::unique_ptr<PeerProcess>> PeerProcess::Start(PeerProcessOptions options) {
  if (options.argv.empty()) return absl::InvalidArgumentError("PeerProcess: empty argv");
  std::unique_ptr<PeerProcess> p(new PeerProcess(std::move(options)));
  char tmpl[] = "/tmp/tern-interop-peer-XXXXXX";
  int err_fd = mkstemp(tmpl);
  if (err_fd < 0) return absl::InternalError(Cat("mkstemp: ", std::strerror(errno)));
  p->stderr_path_ = tmpl;

  int in_pipe[2], out_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) != 0 || pipe2(out_pipe, O_CLOEXEC) != 0) {
    close(err_fd);
    return absl::InternalError(Cat("pipe: ", std::strerror(errno)));
  }
  std::vector<char*> args;
  for (const std::string& a : p->options_.argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) return absl::InternalError(Cat("fork: ", std::strerror(errno)));
  if (pid == 0) {
    setpgid(0, 0);  // its own group, so that its children (a browser) go with it
    dup2(in_pipe[0], 0);
    dup2(out_pipe[1], 1);
    dup2(err_fd, 2);
    execvp(args[0], args.data());
    std::fprintf(stderr, "exec %s: %s\n", args[0], std::strerror(errno));
    _exit(127);
  }
  setpgid(pid, pid);
  close(err_fd);
  close(in_pipe[0]);
  close(out_pipe[1]);
  p->pid_ = pid;
  p->stdin_fd_ = in_pipe[1];
  p->stdout_fd_ = out_pipe[0];
  p->reader_ = std::thread([raw = p.get()] { raw->ReadLoop(); });

  auto ready = p->WaitForType("ready", "", p->options_.ready_timeout);
  if (!ready.ok()) {
    return absl::Status(ready.status().code(),
                        Cat(p->name(), " did not start: ", ready.status().message(),
                                     "\n--- its stderr ---\n", p->StderrTail()));
  }
  return p;
}

PeerProcess::~PeerProcess() { Stop(); }

void PeerProcess::Stop() {
  if (pid_ <= 0) return;
  {
    std::lock_guard<std::mutex> lock(write_mu_);
    if (stdin_fd_ >= 0) {
      close(stdin_fd_);  // every peer exits when its stdin closes
      stdin_fd_ = -1;
    }
  }
  auto reaped = [&](Millis wait) {
    const auto end = std::chrono::steady_clock::now() + wait;
    while (std::chrono::steady_clock::now() < end) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) return true;
      std::this_thread::sleep_for(Millis(10));
    }
    return false;
  };
  bool done = reaped(Millis(quit_sent_ ? 3000 : 1000));
  if (!done) {
    kill(-pid_, SIGTERM);
    done = reaped(Millis(3000));
  }
  if (!done) {
    kill(-pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  } else {
    kill(-pid_, SIGKILL);  // whatever it left behind in its group (a browser's helpers)
  }
  pid_ = -1;
  stopping_ = true;
  if (reader_.joinable()) reader_.join();
  if (stdout_fd_ >= 0) close(stdout_fd_);
  stdout_fd_ = -1;
  if (!stderr_path_.empty()) unlink(stderr_path_.c_str());
}

absl::Status PeerProcess::Command(const Json& command) {
  std::string line = command.Dump();
  line.push_back('\n');
  std::lock_guard<std::mutex> lock(write_mu_);
  if (stdin_fd_ < 0) return absl::FailedPreconditionError(name() + ": stdin is closed");
  if (command.GetString("type") == "quit") quit_sent_ = true;
  size_t done = 0;
  while (done < line.size()) {
    ssize_t n = write(stdin_fd_, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return absl::UnavailableError(Cat(name(), ": write to stdin: ", std::strerror(errno)));
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

void PeerProcess::ReadLoop() {
  std::string buffer;
  char chunk[65536];
  while (!stopping_) {
    pollfd p{stdout_fd_, POLLIN, 0};
    int r = poll(&p, 1, 100);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;
    ssize_t n = read(stdout_fd_, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      messages_.Close(name() + " closed its stdout (exited)");
      return;
    }
    buffer.append(chunk, static_cast<size_t>(n));
    size_t start = 0;
    for (size_t nl; (nl = buffer.find('\n', start)) != std::string::npos; start = nl + 1) {
      HandleLine(std::string_view(buffer).substr(start, nl - start));
    }
    buffer.erase(0, start);
  }
}

void PeerProcess::HandleLine(std::string_view line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
  if (line.empty()) return;
  auto parsed = Json::Parse(line);
  if (!parsed.ok() || !parsed->is_object()) {
    messages_.Push(Json::Object({{"type", "error"},
                                 {"message", Cat(name(), " wrote a line that is not a JSON object: ",
                                                          Abbreviate(std::string(line)))}}));
    return;
  }
  Json message = std::move(*parsed);
  if (options_.run_page) {
    std::string type = message.GetString("type");
    if (type == "signal") {
      message = message["data"];
    } else if (type == "done") {
      bool ok = message.GetBool("ok");
      if (!ok || !quit_sent_) {
        messages_.Push(Json::Object(
            {{"type", "error"}, {"message", Cat(name(), " page ended: ", message["data"].Dump())}}));
      }
      messages_.Close(name() + " page ended");
      return;
    }
  }
  messages_.Push(std::move(message));
}

std::string PeerProcess::StderrTail(size_t max_bytes) const {
  std::ifstream in(stderr_path_, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string all = ss.str();
  if (all.size() > max_bytes) all = "..." + all.substr(all.size() - max_bytes);
  return all;
}

}  // namespace tern::interop
