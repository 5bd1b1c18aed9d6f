// The W3C strings of the public enums, and Stats::ToJson.
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "tern/data_channel.h"
#include "tern/pc/states.h"
#include "tern/session_description.h"
#include "tern/stats.h"

namespace tern {

std::string_view SdpTypeName(SdpType type) {
  switch (type) {
    case SdpType::kOffer: return "offer";
    case SdpType::kPrAnswer: return "pranswer";
    case SdpType::kAnswer: return "answer";
    case SdpType::kRollback: return "rollback";
  }
  return "?";
}

absl::StatusOr<SdpType> ParseSdpType(std::string_view name) {
  for (SdpType t : {SdpType::kOffer, SdpType::kPrAnswer, SdpType::kAnswer, SdpType::kRollback}) {
    if (SdpTypeName(t) == name) return t;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown SDP type \"", std::string(name.substr(0, 64)), "\" (offer, pranswer, answer, rollback)"));
}

std::string_view DataChannelStateName(DataChannelState state) {
  switch (state) {
    case DataChannelState::kConnecting: return "connecting";
    case DataChannelState::kOpen: return "open";
    case DataChannelState::kClosing: return "closing";
    case DataChannelState::kClosed: return "closed";
  }
  return "?";
}

std::string_view SignalingStateName(SignalingState state) {
  switch (state) {
    case SignalingState::kStable: return "stable";
    case SignalingState::kHaveLocalOffer: return "have-local-offer";
    case SignalingState::kHaveRemoteOffer: return "have-remote-offer";
    case SignalingState::kHaveLocalPrAnswer: return "have-local-pranswer";
    case SignalingState::kHaveRemotePrAnswer: return "have-remote-pranswer";
    case SignalingState::kClosed: return "closed";
  }
  return "?";
}

std::string_view IceGatheringStateName(IceGatheringState state) {
  switch (state) {
    case IceGatheringState::kNew: return "new";
    case IceGatheringState::kGathering: return "gathering";
    case IceGatheringState::kComplete: return "complete";
  }
  return "?";
}

std::string_view IceConnectionStateName(IceConnectionState state) {
  switch (state) {
    case IceConnectionState::kNew: return "new";
    case IceConnectionState::kChecking: return "checking";
    case IceConnectionState::kConnected: return "connected";
    case IceConnectionState::kCompleted: return "completed";
    case IceConnectionState::kDisconnected: return "disconnected";
    case IceConnectionState::kFailed: return "failed";
    case IceConnectionState::kClosed: return "closed";
  }
  return "?";
}

std::string_view PeerConnectionStateName(PeerConnectionState state) {
  switch (state) {
    case PeerConnectionState::kNew: return "new";
    case PeerConnectionState::kConnecting: return "connecting";
    case PeerConnectionState::kConnected: return "connected";
    case PeerConnectionState::kDisconnected: return "disconnected";
    case PeerConnectionState::kFailed: return "failed";
    case PeerConnectionState::kClosed: return "closed";
  }
  return "?";
}

const CandidatePairStats* Stats::SelectedCandidatePair() const {
  for (const CandidatePairStats& p : candidate_pairs) {
    if (p.selected) return &p;
  }
  return nullptr;
}

namespace {

// A JSON object writer: members are appended with a leading comma after the first.
class JsonObject {
 public:
  explicit JsonObject(std::string* out) : out_(out) { out_->push_back('{'); }
  void Str(std::string_view name, std::string_view value) {
    Key(name);
    out_->push_back('"');
    out_->append(absl::CEscape(absl::string_view(value.data(), value.size())));
    out_->push_back('"');
  }
  void Num(std::string_view name, double value) {
    Key(name);
    absl::StrAppend(out_, value);
  }
  void Bool(std::string_view name, bool value) {
    Key(name);
    out_->append(value ? "true" : "false");
  }
  void Key(std::string_view name) {
    if (!first_) out_->push_back(',');
    first_ = false;
    absl::StrAppend(out_, "\"", absl::string_view(name.data(), name.size()), "\":");
  }
  void End() { out_->push_back('}'); }

 private:
  std::string* out_;
  bool first_ = true;
};

}  // namespace

std::string Stats::ToJson() const {
  std::string out;
  JsonObject report(&out);
  const double ts = static_cast<double>(timestamp.us()) / 1000.0;
  auto begin = [&](const std::string& id, std::string_view type) {
    report.Key(id);
    JsonObject o(&out);
    o.Str("id", id);
    o.Str("type", type);
    o.Num("timestamp", ts);
    return o;
  };
  {
    JsonObject o = begin(peer_connection.id, "peer-connection");
    o.Num("dataChannelsOpened", peer_connection.data_channels_opened);
    o.Num("dataChannelsClosed", peer_connection.data_channels_closed);
    o.End();
  }
  for (const TransportStats& t : transports) {
    JsonObject o = begin(t.id, "transport");
    o.Num("packetsSent", t.packets_sent);
    o.Num("packetsReceived", t.packets_received);
    o.Num("bytesSent", t.bytes_sent);
    o.Num("bytesReceived", t.bytes_received);
    o.Str("iceRole", t.ice_role);
    o.Str("iceLocalUsernameFragment", t.ice_local_username_fragment);
    o.Str("iceState", t.ice_state);
    o.Str("dtlsState", t.dtls_state);
    o.Str("dtlsRole", t.dtls_role);
    if (!t.tls_version.empty()) o.Str("tlsVersion", t.tls_version);
    if (!t.dtls_cipher.empty()) o.Str("dtlsCipher", t.dtls_cipher);
    if (!t.srtp_cipher.empty()) o.Str("srtpCipher", t.srtp_cipher);
    if (!t.selected_candidate_pair_id.empty()) o.Str("selectedCandidatePairId", t.selected_candidate_pair_id);
    if (!t.local_certificate_id.empty()) o.Str("localCertificateId", t.local_certificate_id);
    if (!t.remote_certificate_id.empty()) o.Str("remoteCertificateId", t.remote_certificate_id);
    o.Num("selectedCandidatePairChanges", t.selected_candidate_pair_changes);
    o.Num("datagramsDropped", t.datagrams_dropped);
    o.End();
  }
  for (const CandidatePairStats& p : candidate_pairs) {
    JsonObject o = begin(p.id, "candidate-pair");
    o.Str("transportId", p.transport_id);
    o.Str("localCandidateId", p.local_candidate_id);
    o.Str("remoteCandidateId", p.remote_candidate_id);
    o.Str("state", p.state);
    o.Bool("nominated", p.nominated);
    o.Bool("selected", p.selected);
    o.Num("priority", static_cast<double>(p.priority));
    o.Num("packetsSent", p.packets_sent);
    o.Num("packetsReceived", p.packets_received);
    o.Num("bytesSent", p.bytes_sent);
    o.Num("bytesReceived", p.bytes_received);
    o.End();
  }
  for (const auto* list : {&local_candidates, &remote_candidates}) {
    for (const IceCandidateStats& c : *list) {
      JsonObject o = begin(c.id, c.is_remote ? "remote-candidate" : "local-candidate");
      o.Str("transportId", c.transport_id);
      o.Str("address", c.address);
      o.Num("port", c.port);
      o.Str("protocol", c.protocol);
      o.Str("candidateType", c.candidate_type);
      o.Num("priority", c.priority);
      o.Str("foundation", c.foundation);
      if (!c.related_address.empty()) {
        o.Str("relatedAddress", c.related_address);
        o.Num("relatedPort", c.related_port);
      }
      if (!c.url.empty()) o.Str("url", c.url);
      o.End();
    }
  }
  for (const DataChannelStats& d : data_channels) {
    JsonObject o = begin(d.id, "data-channel");
    o.Str("label", d.label);
    o.Str("protocol", d.protocol);
    if (d.data_channel_identifier) o.Num("dataChannelIdentifier", *d.data_channel_identifier);
    o.Str("state", d.state);
    o.Num("messagesSent", d.messages_sent);
    o.Num("bytesSent", d.bytes_sent);
    o.Num("messagesReceived", d.messages_received);
    o.Num("bytesReceived", d.bytes_received);
    o.End();
  }
  for (const CertificateStats& c : certificates) {
    JsonObject o = begin(c.id, "certificate");
    o.Str("fingerprint", c.fingerprint);
    o.Str("fingerprintAlgorithm", c.fingerprint_algorithm);
    o.Str("base64Certificate", c.base64_certificate);
    o.End();
  }
  report.End();
  return out;
}

}  // namespace tern
