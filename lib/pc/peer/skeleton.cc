// Temporary skeleton of the PeerConnection facade: the public API compiles and links while the
// sans-IO Connection is being finished. Create() reports Unimplemented.
#include "tern/data_channel.h"
#include "tern/net/runtime.h"
#include "tern/peer_connection.h"

namespace tern {

struct DataChannel::Impl {
  std::string label;
  std::string protocol;
};

struct PeerConnection::Impl {};

DataChannel::DataChannel(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
DataChannel::~DataChannel() = default;
const std::string& DataChannel::label() const { return impl_->label; }
const std::string& DataChannel::protocol() const { return impl_->protocol; }
bool DataChannel::ordered() const { return true; }
std::optional<uint16_t> DataChannel::max_retransmits() const { return std::nullopt; }
std::optional<uint16_t> DataChannel::max_packet_life_time_ms() const { return std::nullopt; }
bool DataChannel::negotiated() const { return false; }
std::optional<uint16_t> DataChannel::id() const { return std::nullopt; }
DataChannelState DataChannel::ready_state() const { return DataChannelState::kClosed; }
absl::Status DataChannel::Send(std::string_view) { return absl::UnimplementedError("skeleton"); }
absl::Status DataChannel::Send(std::span<const uint8_t>) { return absl::UnimplementedError("skeleton"); }
uint64_t DataChannel::buffered_amount() const { return 0; }
uint64_t DataChannel::buffered_amount_low_threshold() const { return 0; }
void DataChannel::SetBufferedAmountLowThreshold(uint64_t) {}
void DataChannel::Close() {}
void DataChannel::OnOpen(absl::AnyInvocable<void()>) {}
void DataChannel::OnMessage(absl::AnyInvocable<void(DataChannelMessage)>) {}
void DataChannel::OnClose(absl::AnyInvocable<void()>) {}
void DataChannel::OnError(absl::AnyInvocable<void(absl::Status)>) {}
void DataChannel::OnBufferedAmountLow(absl::AnyInvocable<void()>) {}

absl::StatusOr<std::unique_ptr<PeerConnection>> PeerConnection::Create(Runtime&, Configuration config) {
  if (absl::Status s = config.Validate(); !s.ok()) return s;
  return absl::UnimplementedError("PeerConnection: skeleton, the implementation lands next");
}
PeerConnection::PeerConnection(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
PeerConnection::~PeerConnection() = default;
absl::StatusOr<SessionDescription> PeerConnection::CreateOffer() { return absl::UnimplementedError("skeleton"); }
absl::StatusOr<SessionDescription> PeerConnection::CreateAnswer() { return absl::UnimplementedError("skeleton"); }
absl::Status PeerConnection::SetLocalDescription(const SessionDescription&) { return absl::UnimplementedError("skeleton"); }
absl::Status PeerConnection::SetRemoteDescription(const SessionDescription&) { return absl::UnimplementedError("skeleton"); }
absl::Status PeerConnection::AddIceCandidate(const IceCandidate&) { return absl::UnimplementedError("skeleton"); }
std::optional<SessionDescription> PeerConnection::local_description() const { return std::nullopt; }
std::optional<SessionDescription> PeerConnection::remote_description() const { return std::nullopt; }
SignalingState PeerConnection::signaling_state() const { return SignalingState::kClosed; }
IceGatheringState PeerConnection::ice_gathering_state() const { return IceGatheringState::kNew; }
IceConnectionState PeerConnection::ice_connection_state() const { return IceConnectionState::kClosed; }
PeerConnectionState PeerConnection::connection_state() const { return PeerConnectionState::kClosed; }
absl::StatusOr<std::shared_ptr<DataChannel>> PeerConnection::CreateDataChannel(std::string, DataChannelInit) {
  return absl::UnimplementedError("skeleton");
}
absl::StatusOr<Stats> PeerConnection::GetStats() const { return absl::UnimplementedError("skeleton"); }
void PeerConnection::Close() {}
void PeerConnection::OnLocalCandidate(absl::AnyInvocable<void(IceCandidate)>) {}
void PeerConnection::OnIceGatheringStateChange(absl::AnyInvocable<void(IceGatheringState)>) {}
void PeerConnection::OnIceConnectionStateChange(absl::AnyInvocable<void(IceConnectionState)>) {}
void PeerConnection::OnConnectionStateChange(absl::AnyInvocable<void(PeerConnectionState)>) {}
void PeerConnection::OnSignalingStateChange(absl::AnyInvocable<void(SignalingState)>) {}
void PeerConnection::OnDataChannel(absl::AnyInvocable<void(std::shared_ptr<DataChannel>)>) {}

}  // namespace tern
