// tern's side of the interop matrix: a tern::PeerConnection on a tern::Runtime that takes the commands
// of tests/interop/PROTOCOL.md and emits its messages, in process, so that interop_matrix.h drives tern
// exactly as it drives Pion, aiortc or Chromium. It also keeps every message it receives, for the
// byte-by-byte check (VerifyReceived), and every local candidate it signals (all must be on the bind
// address: local_candidate_addresses()).
#ifndef TERN_TESTS_INTEROP_COMMON_TERN_ENDPOINT_H_
#define TERN_TESTS_INTEROP_COMMON_TERN_ENDPOINT_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "interop/common/peer_process.h"
#include "tern/tern.h"

namespace tern::interop {

class TernEndpoint : public Endpoint {
 public:
  // Binds the PeerConnection (made at `start`) to `bind_address` only.
  TernEndpoint(Runtime& runtime, IpAddress bind_address, std::string name = "tern");
  ~TernEndpoint() override;

  std::string name() const override { return name_; }
  absl::Status Command(const Json& command) override;
  MessageQueue& messages() override { return messages_; }
  absl::Status VerifyReceived(const std::string& label, int64_t count, size_t size, bool binary) override;

  // Addresses of every non-empty local candidate signalled so far.
  std::vector<std::string> local_candidate_addresses() const;
  PeerConnection* peer_connection() { return pc_.get(); }

 private:
  struct Channel {
    std::shared_ptr<DataChannel> dc;
    std::string origin;
    std::vector<DataChannelMessage> received;
    int64_t bytes = 0;
    int64_t strings = 0;
    int64_t binaries = 0;
    int64_t min_size = 0;
    int64_t max_size = 0;
    std::unique_ptr<Sha256> digest = std::make_unique<Sha256>();
    int64_t expect = -1;
    bool open_reported = false;
  };

  absl::Status Start(const Json& command);
  absl::Status Open(const Json& spec);
  absl::Status Send(const Json& command);
  void Track(std::shared_ptr<DataChannel> dc, std::string origin);
  void Emit(Json message) { messages_.Push(std::move(message)); }
  Json Report(const std::string& label, const Channel& ch) const;  // mu_ held
  PeerConnection* pc() const;  // set once by start; read under mu_ (other threads forward signals)
  absl::Status AddCandidate(const Json& message);

  Runtime& runtime_;
  IpAddress bind_address_;
  std::string name_;
  MessageQueue messages_;
  std::unique_ptr<PeerConnection> pc_;

  mutable std::mutex mu_;
  bool echo_ = false;
  bool remote_set_ = false;
  std::vector<Json> pending_candidates_;
  std::map<std::string, Channel> channels_;
  std::vector<std::string> candidate_addresses_;
};

}  // namespace tern::interop

#endif  // TERN_TESTS_INTEROP_COMMON_TERN_ENDPOINT_H_
