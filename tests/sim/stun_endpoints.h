// A tiny sans-IO STUN Binding client and server (RFC 8489 §6-§7, §14.2, §14.7) for the simulator's tests:
// the client sends a request with FINGERPRINT and retransmits it on the RFC 8489 §6.2.1 schedule (RTO
// 500 ms doubling, Rc = 7 requests, then Rm = 16 RTOs of waiting); the server answers every Binding
// request with XOR-MAPPED-ADDRESS (the request's source as the server saw it) and FINGERPRINT.
#ifndef TERN_TESTS_SIM_STUN_ENDPOINTS_H_
#define TERN_TESTS_SIM_STUN_ENDPOINTS_H_

#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "sim/sim_network.h"
#include "tern/base/random.h"
#include "tern/stun/constants.h"

namespace tern::testing {

inline constexpr Duration kStunInitialRto = Duration::Millis(500);
inline constexpr int kStunMaxRequests = 7;     // Rc
inline constexpr int kStunFinalWaitRtos = 16;  // Rm

class StunBindingClient final : public Endpoint {
 public:
  enum class State { kIdle, kPending, kSucceeded, kFailed, kTimedOut };

  // Sends from `local`, one of its host's addresses with a port.
  StunBindingClient(SocketAddress local, Random& random) : local_(local), random_(random) {}

  // Starts a new Binding transaction to `server` (abandoning any in progress). Call SimNetwork::Wake on
  // the client's host afterwards.
  void Start(const SocketAddress& server, Timestamp now);

  State state() const { return state_; }
  bool done() const { return state_ != State::kPending; }
  // From the last successful transaction.
  std::optional<SocketAddress> mapped_address() const { return mapped_; }
  const SocketAddress& local() const { return local_; }
  int requests_sent() const { return requests_sent_; }  // all transactions, retransmits included
  int transactions_started() const { return started_; }
  int transactions_succeeded() const { return succeeded_; }
  // Datagrams that were not the answer to the current transaction (e.g. a peer's unsolicited ones).
  const std::vector<Datagram>& other_datagrams() const { return other_; }

  void HandleInput(Datagram datagram, Timestamp now) override;
  void HandleTimeout(Timestamp now) override;
  std::optional<Transmit> PollTransmit() override;
  std::optional<Timestamp> NextTimeout() const override;

 private:
  void SendRequest(Timestamp now);

  SocketAddress local_;
  Random& random_;
  State state_ = State::kIdle;
  SocketAddress server_;
  stun::TransactionId transaction_;
  std::vector<uint8_t> request_;
  int attempts_ = 0;
  Duration interval_;
  Timestamp deadline_;
  std::deque<Transmit> outbox_;
  std::optional<SocketAddress> mapped_;
  std::vector<Datagram> other_;
  int requests_sent_ = 0;
  int started_ = 0;
  int succeeded_ = 0;
};

class StunBindingServer final : public Endpoint {
 public:
  uint64_t requests() const { return requests_; }
  uint64_t ignored() const { return ignored_; }  // not a valid Binding request with a good FINGERPRINT
  // Source addresses of the requests, in arrival order.
  const std::vector<SocketAddress>& sources() const { return sources_; }

  void HandleInput(Datagram datagram, Timestamp now) override;
  void HandleTimeout(Timestamp now) override {}
  std::optional<Transmit> PollTransmit() override;
  std::optional<Timestamp> NextTimeout() const override { return std::nullopt; }

 private:
  std::deque<Transmit> outbox_;
  std::vector<SocketAddress> sources_;
  uint64_t requests_ = 0;
  uint64_t ignored_ = 0;
};

}  // namespace tern::testing

#endif  // TERN_TESTS_SIM_STUN_ENDPOINTS_H_
