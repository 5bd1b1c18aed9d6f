// Test fixtures for lib/dtls: cached certificates and a two-endpoint harness that moves datagrams
// between a client and a server on a ManualClock, with a hook to drop, duplicate or reorder them.
#ifndef TERN_TESTS_UNIT_DTLS_DTLS_TEST_UTIL_H_
#define TERN_TESTS_UNIT_DTLS_DTLS_TEST_UTIL_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "tern/base/random.h"
#include "tern/base/time.h"
#include "tern/dtls/dtls.h"

namespace tern::testing {

// Certificates are expensive to make (RSA especially); tests share a few, generated once.
const DtlsCertificate& TestCertificate(DtlsKeyType type, int index = 0);

enum class Direction { kClientToServer, kServerToClient };

using Datagram = std::vector<uint8_t>;

// Decides what becomes of the index-th datagram sent in `direction` (0-based): return the datagrams
// to put on the wire (none to drop it, two to duplicate it, something else to corrupt it).
using DatagramFilter = std::function<std::vector<Datagram>(Direction direction, int index, Datagram)>;

class DtlsPair {
 public:
  // Fills in roles, and each side's remote fingerprint when the config has none and
  // `exchange_fingerprints` is set. Configs without a certificate get TestCertificate(ECDSA, 0/1).
  DtlsPair(DtlsConfig client, DtlsConfig server, bool exchange_fingerprints = true,
           Timestamp start = Timestamp::Seconds(1));
  DtlsPair() : DtlsPair(DtlsConfig{}, DtlsConfig{}) {}

  DtlsEndpoint& client() { return *client_; }
  DtlsEndpoint& server() { return *server_; }
  ManualClock& clock() { return clock_; }
  Timestamp now() const { return clock_.Now(); }

  void set_filter(DatagramFilter filter) { filter_ = std::move(filter); }
  // When set, datagrams in flight are delivered newest first within each pump round.
  void set_reverse_delivery(bool reverse) { reverse_delivery_ = reverse; }

  // Starts both endpoints (server first) and pumps.
  void Start();
  // Moves datagrams both ways until none are left in flight, collecting events. No time passes.
  void Pump();
  // Pumps, and whenever idle advances the clock to the earliest NextTimeout and fires it, until
  // `done` holds, nothing more can happen, or `limit` of virtual time has passed. Returns done().
  bool RunUntil(const std::function<bool()>& done, Duration limit = Duration::Seconds(120));
  // RunUntil both sides are connected (or one of them has failed).
  bool Handshake();

  std::vector<DtlsEvent>& client_events() { return client_events_; }
  std::vector<DtlsEvent>& server_events() { return server_events_; }
  // Every datagram each side emitted (before the filter), in order.
  const std::vector<Datagram>& client_sent() const { return client_sent_; }
  const std::vector<Datagram>& server_sent() const { return server_sent_; }

  // The first event of type T a side produced, or nullptr.
  template <typename T>
  static const T* Find(const std::vector<DtlsEvent>& events) {
    for (const DtlsEvent& e : events) {
      if (const T* t = std::get_if<T>(&e)) return t;
    }
    return nullptr;
  }
  // The application data a side received, concatenated per record.
  static std::vector<Datagram> Received(const std::vector<DtlsEvent>& events);

 private:
  void Collect(DtlsEndpoint& from, Direction direction, std::vector<Datagram>& sent, int& count,
               std::vector<Datagram>& in_flight, std::vector<DtlsEvent>& events);

  ManualClock clock_;
  std::optional<DtlsEndpoint> client_;
  std::optional<DtlsEndpoint> server_;
  DatagramFilter filter_;
  bool reverse_delivery_ = false;
  std::vector<DtlsEvent> client_events_, server_events_;
  std::vector<Datagram> client_sent_, server_sent_;
  int client_count_ = 0, server_count_ = 0;
  std::vector<Datagram> to_server_, to_client_;
};

}  // namespace tern::testing

#endif  // TERN_TESTS_UNIT_DTLS_DTLS_TEST_UTIL_H_
