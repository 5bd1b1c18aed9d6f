// The data-channel interop matrix of issue 5 §4, run between any two endpoints that speak
// tests/interop/PROTOCOL.md: a "subject" (tern, or an external peer when the peers are proven against
// each other) and an echoing "peer". Each step returns a Status that says which step and what differed.
//
//   Connect            start both (either side offers), relay signalling (checking that every candidate
//                      is on the allowed address), wait for the offerer's first channel on both sides
//   RunChannelKinds    reliable/unreliable x ordered/unordered channels opened by the subject, with
//                      their options checked on the peer's side and data echoed
//   RunBulk            1 MiB echoed byte-exact in 1 KiB, 64 KiB and 256 KiB binary messages and 64 KiB
//                      string messages (one way with a SHA-256 check where the peer cannot send that
//                      size), and 1 MiB from the peer to the subject
//   RunPeerOpened      a channel opened by the peer
//   RunNegotiated      a negotiated channel (same id on both sides, no DCEP)
//   RunClose           close from the subject and from the peer; the rest keeps working
#ifndef TERN_TESTS_INTEROP_COMMON_INTEROP_MATRIX_H_
#define TERN_TESTS_INTEROP_COMMON_INTEROP_MATRIX_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "interop/common/peer_process.h"

namespace tern::interop {

// What an endpoint can do (PROTOCOL.md "Peer limits").
struct EndpointLimits {
  size_t max_send = 256 * 1024;  // the largest message it can send, and so echo
};

struct MatrixOptions {
  // Every candidate either side signals must carry this address.
  std::string allowed_address = "127.0.0.1";
  EndpointLimits subject;
  EndpointLimits peer;
  Millis connect_timeout = Millis(20000);
  Millis step_timeout = Millis(20000);
  bool verbose = true;  // log each step to stderr
};

// Forwards signalling between two endpoints on its own thread (so that neither endpoint's thread
// ever waits for the other), in order, and records candidates that are not on the allowed address.
class SignalRelay {
 public:
  SignalRelay(Endpoint& a, Endpoint& b, std::string allowed_address);
  ~SignalRelay();  // stops forwarding (pending messages are dropped)
  SignalRelay(const SignalRelay&) = delete;
  SignalRelay& operator=(const SignalRelay&) = delete;

  // OK, or FailedPrecondition listing the candidates on another address, or a forwarding error.
  absl::Status status() const;
  // Candidates seen from each side (trickled, or in its offer/answer).
  int candidates_from_a() const;
  int candidates_from_b() const;

 private:
  void Enqueue(Endpoint* to, const std::string& from, Json message);
  void Run();

  Endpoint& a_;
  Endpoint& b_;
  std::string allowed_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<Endpoint*, Json>> queue_;
  std::vector<std::string> problems_;
  int from_a_ = 0;
  int from_b_ = 0;
  bool stop_ = false;
  std::thread thread_;
};

class InteropMatrix {
 public:
  // `subject` does not echo; `peer` echoes everything it receives.
  InteropMatrix(Endpoint& subject, Endpoint& peer, MatrixOptions options);
  ~InteropMatrix();

  absl::Status Connect(bool subject_offers);
  absl::Status RunChannelKinds();
  absl::Status RunBulk();
  absl::Status RunPeerOpened();
  absl::Status RunNegotiated();
  absl::Status RunClose();
  // All of the above after Connect, in order.
  absl::Status RunAll(bool subject_offers);
  // Connect, then 1 MiB echoed in 16 KiB messages and 256 KiB from the peer (the aiortc subset).
  absl::Status RunEcho(bool subject_offers);
  // Both quit.
  void Quit();

  const std::string& boot_label() const { return boot_label_; }
  SignalRelay* relay() { return relay_.get(); }

 private:
  void Log(const std::string& text) const;
  // Opens `spec` on `opener` and waits for the channel on both sides; checks the options the other
  // side sees. Returns the opener's channel message.
  absl::StatusOr<Json> OpenChannel(Endpoint& opener, Endpoint& other, const Json& spec);
  // `sender` sends count x size pattern messages on `label`; `receiver` must get them (checked by
  // SHA-256 when `ordered`, by count and size otherwise). With `echoed`, the receiver is the sender
  // itself (the other side echoes).
  absl::Status Transfer(Endpoint& sender, Endpoint& receiver, const std::string& label, int64_t count,
                        size_t size, bool binary, bool ordered);

  Endpoint& subject_;
  Endpoint& peer_;
  MatrixOptions options_;
  std::unique_ptr<SignalRelay> relay_;
  std::string boot_label_ = "boot";
  int next_negotiated_id_ = 100;
};

// Checks a Status inside a gtest: prints the message and both endpoints' history on failure.
std::string DescribeFailure(const absl::Status& status, Endpoint& subject, Endpoint& peer);

}  // namespace tern::interop

#endif  // TERN_TESTS_INTEROP_COMMON_INTEROP_MATRIX_H_
