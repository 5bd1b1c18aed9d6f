// Wires a TurnClient to a FakeTurnServer on a ManualClock: every transmit of the client reaches the
// server (unless the test turns delivery off) and every answer comes back, as datagrams over UDP or
// as stream bytes over TCP/TLS. Events and transmits are recorded with their times.
#ifndef TERN_TESTS_UNIT_TURN_CLIENT_TURN_HARNESS_H_
#define TERN_TESTS_UNIT_TURN_CLIENT_TURN_HARNESS_H_

#include <cstdint>
#include <optional>
#include <utility>
#include <variant>
#include <vector>

#include "gtest/gtest.h"
#include "tern/base/datagram.h"
#include "tern/base/random.h"
#include "tern/base/time.h"
#include "tern/ice/turn_client.h"
#include "tern/stun/stun.h"
#include "unit/turn_client/fake_turn_server.h"

namespace tern::testing {

inline const SocketAddress kServerAddress(IpAddress::V4(192, 0, 2, 10), 3478);
inline const SocketAddress kClientAddress(IpAddress::V4(10, 0, 0, 2), 5000);

struct SentTransmit {
  Timestamp at;
  std::vector<uint8_t> payload;
};

class TurnHarness {
 public:
  explicit TurnHarness(ice::TurnClientConfig client_config = DefaultConfig(),
                       FakeTurnServerConfig server_config = {})
      : server(Adjust(server_config, client_config)), client(std::move(client_config), random) {}

  static ice::TurnClientConfig DefaultConfig() {
    ice::TurnClientConfig c;
    c.server = kServerAddress;
    c.local = kClientAddress;
    c.username = "alice";
    c.password = "secret";
    c.software = "tern-test";
    return c;
  }

  Timestamp now() const { return clock.Now(); }
  bool stream() const { return client.config().transport != ice::TurnTransport::kUdp; }

  // Moves client transmits to the server and answers back until both are quiet.
  void Pump() {
    for (int rounds = 0; rounds < 1000; ++rounds) {
      std::optional<Transmit> t = client.PollTransmit();
      if (!t.has_value()) break;
      EXPECT_EQ(t->remote, kServerAddress);
      sent.push_back({now(), t->payload});
      if (!deliver) continue;
      for (std::vector<uint8_t>& answer : server.Receive(t->payload, now())) {
        if (deliver_answers) Deliver(answer);
      }
    }
    DrainEvents();
  }

  // Server -> client bytes: one datagram, or stream bytes (in chunks of `chunk` bytes when set).
  void Deliver(ByteSpan bytes, size_t chunk = 0) {
    if (stream()) {
      if (chunk == 0) chunk = bytes.size();
      for (size_t i = 0; i < bytes.size(); i += chunk) {
        client.HandleStreamBytes(bytes.subspan(i, std::min(chunk, bytes.size() - i)), now());
      }
    } else {
      Datagram d;
      d.local = kClientAddress;
      d.remote = kServerAddress;
      d.payload = bytes;
      client.HandleInput(d, now());
    }
    DrainEvents();
  }

  void DrainEvents() {
    while (std::optional<ice::TurnEvent> e = client.PollEvent()) events.push_back({now(), std::move(*e)});
  }

  // Runs timers up to `t` (inclusive), pumping after each.
  void AdvanceTo(Timestamp t) {
    Pump();
    for (int rounds = 0; rounds < 100000; ++rounds) {
      std::optional<Timestamp> next = client.NextTimeout();
      if (!next.has_value() || *next > t) break;
      clock.AdvanceTo(*next);
      client.HandleTimeout(now());
      Pump();
    }
    clock.AdvanceTo(t);
  }
  void Advance(Duration d) { AdvanceTo(now() + d); }

  // Allocates (401 -> authenticated Allocate -> success) and checks it worked.
  void AllocateOrDie() {
    ASSERT_TRUE(client.Allocate(now()).ok());
    Pump();
    ASSERT_EQ(client.state(), ice::TurnClientState::kAllocated);
  }

  template <typename T>
  std::vector<T> EventsOf() const {
    std::vector<T> out;
    for (const auto& [at, e] : events) {
      if (const T* v = std::get_if<T>(&e)) out.push_back(*v);
    }
    return out;
  }
  template <typename T>
  std::vector<Timestamp> TimesOf() const {
    std::vector<Timestamp> out;
    for (const auto& [at, e] : events) {
      if (std::holds_alternative<T>(e)) out.push_back(at);
    }
    return out;
  }
  // Transmits that are STUN requests of `method`, with their times.
  std::vector<SentTransmit> Requests(uint16_t method) const {
    std::vector<SentTransmit> out;
    for (const SentTransmit& t : sent) {
      absl::StatusOr<stun::MessageView> m = stun::MessageView::Parse(t.payload);
      if (m.ok() && m->message_class() == stun::MessageClass::kRequest && m->method() == method) {
        out.push_back(t);
      }
    }
    return out;
  }

  ManualClock clock{Timestamp::Seconds(1000)};
  SeededRandom random{7};
  FakeTurnServer server;
  ice::TurnClient client;
  bool deliver = true;          // client -> server
  bool deliver_answers = true;  // server -> client
  std::vector<SentTransmit> sent;
  std::vector<std::pair<Timestamp, ice::TurnEvent>> events;

 private:
  static FakeTurnServerConfig Adjust(FakeTurnServerConfig s, const ice::TurnClientConfig& c) {
    s.stream = c.transport != ice::TurnTransport::kUdp;
    return s;
  }
};

}  // namespace tern::testing

#endif  // TERN_TESTS_UNIT_TURN_CLIENT_TURN_HARNESS_H_
