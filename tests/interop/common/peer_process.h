// The test side of tests/interop/PROTOCOL.md: an external WebRTC peer (Pion, aiortc, Chromium through
// run_page.mjs) run as a child process that reads JSON-line commands on stdin and writes JSON-line
// messages on stdout, and the `Endpoint` interface that tern's own side (tern_endpoint.h) implements
// too, so that one test matrix (interop_matrix.h) drives any two of them.
#ifndef TERN_TESTS_INTEROP_COMMON_PEER_PROCESS_H_
#define TERN_TESTS_INTEROP_COMMON_PEER_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <atomic>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "interop/common/json.h"

namespace tern::interop {

using Millis = std::chrono::milliseconds;

// Message j of a `send` command (PROTOCOL.md "The pattern"): binary (j*251 + k*31 + 7) mod 256, or the
// ASCII letters 'a' + (j*7 + k) mod 26.
std::vector<uint8_t> PatternMessage(int64_t j, size_t size, bool binary);
// Hex SHA-256 of `data`, and an incremental version for many messages.
std::string Sha256Hex(const void* data, size_t size);
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void Update(const void* data, size_t size);
  std::string Hex() const;  // of everything so far (the state is not consumed)

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The address inside a candidate attribute value ("candidate:F C udp P ADDRESS PORT typ ..."), or ""
// when it has fewer fields.
std::string CandidateAddress(std::string_view candidate);

// Messages from one endpoint: waited for by predicate with a timeout. Signalling messages (offer,
// answer, candidate) go to the signal handler when one is set, everything else is queued. An `error`
// message makes every later wait fail with its text.
class MessageQueue {
 public:
  using Predicate = std::function<bool(const Json&)>;

  void SetSignalHandler(std::function<void(const Json&)> handler);
  // Called by the producer for every message.
  void Push(Json message);
  // The producer is gone (process exited, page done): waits fail once the queue has no match.
  void Close(std::string why);

  // The first queued message matching `match` (removed from the queue), waiting up to `timeout`.
  // DeadlineExceeded with what was queued; Internal after an `error` message or Close.
  absl::StatusOr<Json> WaitFor(const Predicate& match, Millis timeout, std::string_view what);
  // Every message pushed so far, signalling included (for diagnostics).
  std::vector<std::string> History() const;

 private:
  mutable std::mutex mu_;
  // Held (taken while mu_ is held, then mu_ released) while the signal handler runs, so that signals
  // reach it one at a time and in the order they were pushed, early ones first.
  std::mutex deliver_mu_;
  std::condition_variable cv_;
  std::deque<Json> queue_;
  std::vector<std::string> history_;
  std::function<void(const Json&)> signal_handler_;
  std::vector<Json> early_signals_;  // signalling that arrived before a handler was set
  std::string error_;
  std::string closed_;
};

// One side of a connection under test, speaking PROTOCOL.md.
class Endpoint {
 public:
  virtual ~Endpoint() = default;
  virtual std::string name() const = 0;
  // A command, or a signalling message from the other side (offer, answer, candidate).
  virtual absl::Status Command(const Json& command) = 0;
  // Messages this endpoint emitted (signalling goes to the handler set on it, see MessageQueue).
  virtual MessageQueue& messages() = 0;
  // An endpoint that keeps what it received (tern's) checks it byte by byte: on `label`, exactly
  // `count` messages of pattern messages 0..count-1 of `size` bytes, of the given type, in order.
  // Others return Unimplemented and are checked through their `received` SHA-256.
  virtual absl::Status VerifyReceived(const std::string& /*label*/, int64_t /*count*/, size_t /*size*/,
                                      bool /*binary*/) {
    return absl::UnimplementedError("not kept");
  }

  // Shorthands.
  absl::StatusOr<Json> WaitFor(const MessageQueue::Predicate& match, Millis timeout, std::string_view what) {
    return messages().WaitFor(match, timeout, what);
  }
  // The next message of `type` (for `label`, when not empty).
  absl::StatusOr<Json> WaitForType(std::string_view type, std::string_view label, Millis timeout);
};

struct PeerProcessOptions {
  std::string name;                // for messages: "pion", "aiortc", "chromium"
  std::vector<std::string> argv;   // argv[0] is looked up on PATH when it has no '/'
  // The process is run_page.mjs: unwrap {"type":"signal","data":X} into X, and {"type":"done"} closes
  // the stream (with an error unless ok and it followed a quit).
  bool run_page = false;
  Millis ready_timeout = Millis(20000);  // for the first {"type":"ready"}
};

// A child process speaking PROTOCOL.md on its stdin/stdout. Its stderr goes to a temporary file whose
// tail is available for failure messages. Start() waits for its `ready` message. The destructor closes
// its stdin, then terminates its process group (SIGTERM, then SIGKILL) and reaps it.
class PeerProcess : public Endpoint {
 public:
  static absl::StatusOr<std::unique_ptr<PeerProcess>> Start(PeerProcessOptions options);
  ~PeerProcess() override;
  PeerProcess(const PeerProcess&) = delete;
  PeerProcess& operator=(const PeerProcess&) = delete;

  std::string name() const override { return options_.name; }
  absl::Status Command(const Json& command) override;
  MessageQueue& messages() override { return messages_; }

  pid_t pid() const { return pid_; }
  // The last `max_bytes` of what the process wrote to stderr.
  std::string StderrTail(size_t max_bytes = 4000) const;

 private:
  explicit PeerProcess(PeerProcessOptions options) : options_(std::move(options)) {}
  void ReadLoop();
  void HandleLine(std::string_view line);
  void Stop();

  PeerProcessOptions options_;
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  std::string stderr_path_;
  std::mutex write_mu_;
  std::thread reader_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> quit_sent_{false};
  MessageQueue messages_;
};

}  // namespace tern::interop

#endif  // TERN_TESTS_INTEROP_COMMON_PEER_PROCESS_H_
