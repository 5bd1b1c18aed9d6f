// tern-turnserver's runtime glue: one lib/turn TurnServer core on one lib/net EventLoop, with its UDP,
// TCP and TLS listeners, the relay sockets the core asks for, and the Prometheus endpoint. All protocol
// decisions are the core's; this file only moves bytes and events (DESIGN.md "Sans-IO cores").
#ifndef TERN_EXAMPLES_TURN_SERVER_SERVER_H_
#define TERN_EXAMPLES_TURN_SERVER_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "config.h"
#include "tern/base/random.h"
#include "tern/net/runtime.h"
#include "tern/net/stream_listener.h"
#include "tern/net/udp_socket.h"
#include "tern/turn/turn_server.h"

namespace tern::turnserver {

class MetricsEndpoint;

// Builds the core's configuration from the coturn-style one: relay addresses with external-ip mapping,
// listening addresses, credentials, quotas and the peer policy (defaults + denied/allowed ranges).
// `listening` are the concrete addresses the listeners are bound to.
absl::StatusOr<turn::TurnServerConfig> MakeCoreConfig(const Config& config,
                                                      const std::vector<SocketAddress>& listening);

// Reads the cert and pkey files into TLS credentials (min version and ciphers from the config).
absl::StatusOr<TlsServerCredentials> LoadTlsCredentials(const Config& config);

// Counters of the glue itself (the core has its own).
struct GlueStats {
  uint64_t relay_sockets = 0;  // gauge
  uint64_t relay_bind_errors = 0;
  uint64_t unroutable_transmits = 0;
  uint64_t stream_write_drops = 0;  // frames dropped: a client's TCP/TLS write queue was full
  uint64_t udp_send_errors = 0;
};

// Loop thread only (create, use and destroy it on the loop given to Start).
class RelayServer {
 public:
  RelayServer(EventLoop& loop, Config config);
  ~RelayServer();
  RelayServer(const RelayServer&) = delete;
  RelayServer& operator=(const RelayServer&) = delete;

  // Opens the listeners and the metrics endpoint, creates the core. Any error is fatal for the process.
  absl::Status Start();
  // Re-reads cert and pkey (SIGUSR2); open TLS connections keep their certificate.
  absl::Status ReloadTls();
  // Ends every allocation and closes every socket.
  void Stop();

  std::string MetricsText() const;
  const turn::TurnServer* core() const { return core_.get(); }
  std::vector<std::string> ListeningDescription() const;

 private:
  struct StreamKey {
    SocketAddress client;
    SocketAddress server;
    TransportProtocol protocol;
    friend bool operator==(const StreamKey&, const StreamKey&) = default;
    template <typename H>
    friend H AbslHashValue(H h, const StreamKey& k) {
      return H::combine(std::move(h), k.client, k.server, k.protocol);
    }
  };

  void OnDatagram(const Datagram& d);
  void OnAccept(std::unique_ptr<AcceptedStream> stream);
  void Drain();
  void Route(Transmit t);
  void OnEvent(turn::TurnServerEvent e);
  void OpenRelay(const SocketAddress& address);
  void CloseRelay(const SocketAddress& address);
  void DropStream(const StreamKey& key);
  void ArmTimer();
  void Bury(std::unique_ptr<UdpSocket> s);
  void Bury(std::unique_ptr<AcceptedStream> s);

  EventLoop& loop_;
  Config config_;
  CryptoRandom random_;
  std::unique_ptr<turn::TurnServer> core_;
  std::vector<std::unique_ptr<UdpSocket>> udp_listeners_;
  std::vector<std::unique_ptr<StreamListener>> stream_listeners_;
  // Every UDP socket (listeners and relays) by its bound address: Transmit.local picks the socket.
  absl::flat_hash_map<SocketAddress, UdpSocket*> udp_by_address_;
  absl::flat_hash_map<SocketAddress, std::unique_ptr<UdpSocket>> relays_;
  absl::flat_hash_map<StreamKey, std::unique_ptr<AcceptedStream>> streams_;
  // Sockets closed from inside a callback chain are destroyed on the next loop turn.
  std::vector<std::unique_ptr<UdpSocket>> dead_udp_;
  std::vector<std::unique_ptr<AcceptedStream>> dead_streams_;
  TimerHandle reaper_;
  TimerHandle timer_;
  Timestamp timer_at_ = Timestamp::Infinite();
  bool draining_ = false;
  bool redrain_ = false;
  GlueStats glue_;
  std::unique_ptr<MetricsEndpoint> metrics_;
  Timestamp started_at_;
};

}  // namespace tern::turnserver

#endif  // TERN_EXAMPLES_TURN_SERVER_SERVER_H_
