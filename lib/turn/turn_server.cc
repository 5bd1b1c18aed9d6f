// Skeleton of the TURN server core; the protocol logic lands in the next commits.
#include "tern/turn/turn_server.h"

#include <deque>
#include <utility>

#include "absl/strings/str_cat.h"
#include "tern/base/strings.h"

namespace tern::turn {

std::string FiveTuple::ToString() const {
  std::string_view proto = protocol == TransportProtocol::kUdp   ? "udp"
                           : protocol == TransportProtocol::kTcp ? "tcp"
                                                                 : "tls";
  return absl::StrCat(ToAbsl(proto), " ", client.ToString(), " -> ", server.ToString());
}

std::string_view DeallocationReasonName(DeallocationReason reason) {
  switch (reason) {
    case DeallocationReason::kClientRequest: return "client-request";
    case DeallocationReason::kExpired: return "expired";
    case DeallocationReason::kStreamClosed: return "stream-closed";
    case DeallocationReason::kRelayBindFailed: return "relay-bind-failed";
    case DeallocationReason::kShutdown: return "shutdown";
  }
  return "unknown";
}

std::vector<IpPrefix> DefaultDeniedPeerRanges() { return {}; }

class TurnServer::Impl {
 public:
  Impl(TurnServerConfig config, Random& random, TurnServerHooks hooks)
      : config_(std::move(config)), random_(random), hooks_(std::move(hooks)) {}
  TurnServerConfig config_;
  Random& random_;
  TurnServerHooks hooks_;
  TurnServerStats stats_;
  std::deque<Transmit> transmits_;
  std::deque<TurnServerEvent> events_;
};

absl::StatusOr<std::unique_ptr<TurnServer>> TurnServer::Create(TurnServerConfig config, Random& random,
                                                               TurnServerHooks hooks) {
  return std::unique_ptr<TurnServer>(
      new TurnServer(std::make_unique<Impl>(std::move(config), random, std::move(hooks))));
}
TurnServer::TurnServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TurnServer::~TurnServer() = default;
void TurnServer::HandleInput(const Datagram&, Timestamp) {}
void TurnServer::HandleStreamClosed(const FiveTuple&, Timestamp) {}
void TurnServer::HandleRelayBindResult(const SocketAddress&, const absl::Status&, Timestamp) {}
void TurnServer::HandleTimeout(Timestamp) {}
std::optional<Transmit> TurnServer::PollTransmit() { return std::nullopt; }
std::optional<TurnServerEvent> TurnServer::PollEvent() { return std::nullopt; }
std::optional<Timestamp> TurnServer::NextTimeout() const { return std::nullopt; }
void TurnServer::RecycleBuffer(std::vector<uint8_t>) {}
void TurnServer::Shutdown(Timestamp) {}
void TurnServer::SetUsers(std::map<std::string, std::string> users) { impl_->config_.users = std::move(users); }
void TurnServer::SetRestSecrets(std::vector<std::string> secrets) {
  impl_->config_.rest_secrets = std::move(secrets);
}
const TurnServerStats& TurnServer::stats() const { return impl_->stats_; }
const TurnServerConfig& TurnServer::config() const { return impl_->config_; }
size_t TurnServer::allocation_count() const { return 0; }
size_t TurnServer::rate_limit_entry_count() const { return 0; }
size_t TurnServer::stream_count() const { return 0; }
size_t TurnServer::reserved_port_count() const { return 0; }
bool TurnServer::HasAllocation(const FiveTuple&) const { return false; }
bool TurnServer::IsPeerAllowed(const IpAddress&) const { return false; }
bool TurnServer::IsOwnAddress(const SocketAddress&) const { return false; }

}  // namespace tern::turn
