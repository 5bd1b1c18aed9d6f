// pc::Connection: ICE (+TURN) -> RFC 7983 demux -> DTLS -> SCTP -> data channels, with JSEP on top.
#include "tern/pc/connection.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "tern/base/fifo.h"
#include "tern/base/strings.h"
#include "tern/dtls/demux.h"
#include "tern/dtls/dtls_endpoint.h"
#include "tern/dtls/fingerprint.h"
#include "tern/ice/candidate.h"
#include "tern/ice/ice_agent.h"
#include "tern/ice/ice_turn_mux.h"
#include "tern/ice/turn_client.h"
#include "tern/sctp/association.h"
#include "tern/sdp/candidate.h"
#include "tern/sdp/jsep.h"
#include "tern/sdp/session_description.h"
#include "tern/srtp/srtp_session.h"

namespace tern::pc {
namespace {

std::string S(std::string_view v) { return std::string(v); }

IceConnectionState ToW3c(ice::IceConnectionState s) {
  switch (s) {
    case ice::IceConnectionState::kNew: return IceConnectionState::kNew;
    case ice::IceConnectionState::kChecking: return IceConnectionState::kChecking;
    case ice::IceConnectionState::kConnected: return IceConnectionState::kConnected;
    case ice::IceConnectionState::kCompleted: return IceConnectionState::kCompleted;
    case ice::IceConnectionState::kFailed: return IceConnectionState::kFailed;
    case ice::IceConnectionState::kDisconnected: return IceConnectionState::kDisconnected;
    case ice::IceConnectionState::kClosed: return IceConnectionState::kClosed;
  }
  return IceConnectionState::kNew;
}

sdp::SdpType ToSdp(SdpType t) {
  switch (t) {
    case SdpType::kOffer: return sdp::SdpType::kOffer;
    case SdpType::kPrAnswer: return sdp::SdpType::kPranswer;
    case SdpType::kAnswer: return sdp::SdpType::kAnswer;
    case SdpType::kRollback: return sdp::SdpType::kRollback;
  }
  return sdp::SdpType::kOffer;
}

SignalingState ToW3c(sdp::SignalingState s) {
  switch (s) {
    case sdp::SignalingState::kStable: return SignalingState::kStable;
    case sdp::SignalingState::kHaveLocalOffer: return SignalingState::kHaveLocalOffer;
    case sdp::SignalingState::kHaveRemoteOffer: return SignalingState::kHaveRemoteOffer;
    case sdp::SignalingState::kHaveLocalPranswer: return SignalingState::kHaveLocalPrAnswer;
    case sdp::SignalingState::kHaveRemotePranswer: return SignalingState::kHaveRemotePrAnswer;
    case sdp::SignalingState::kClosed: return SignalingState::kClosed;
  }
  return SignalingState::kStable;
}

uint16_t DcepPriority(DataChannelPriority p) {
  switch (p) {
    case DataChannelPriority::kVeryLow: return sctp::kPriorityBelowNormal;
    case DataChannelPriority::kLow: return sctp::kPriorityNormal;
    case DataChannelPriority::kMedium: return sctp::kPriorityHigh;
    case DataChannelPriority::kHigh: return sctp::kPriorityExtraHigh;
  }
  return sctp::kPriorityNormal;
}

DataChannelPriority FromDcepPriority(uint16_t p) {
  if (p <= sctp::kPriorityBelowNormal) return DataChannelPriority::kVeryLow;
  if (p <= sctp::kPriorityNormal) return DataChannelPriority::kLow;
  if (p <= sctp::kPriorityHigh) return DataChannelPriority::kMedium;
  return DataChannelPriority::kHigh;
}

// The transport attributes of a description: session level, else the first usable section.
struct RemoteTransport {
  std::string ufrag;
  std::string pwd;
  bool lite = false;
  std::vector<sdp::Fingerprint> fingerprints;
  std::vector<sdp::Candidate> candidates;
  bool end_of_candidates = false;
};

RemoteTransport TransportOf(const sdp::SessionDescription& d) {
  RemoteTransport t;
  t.lite = d.ice_lite;
  if (d.ice_ufrag) t.ufrag = *d.ice_ufrag;
  if (d.ice_pwd) t.pwd = *d.ice_pwd;
  t.fingerprints = d.fingerprints;
  for (const sdp::MediaSection& m : d.media) {
    if (m.IsRejected()) continue;
    if (t.ufrag.empty() && m.ice_ufrag) t.ufrag = *m.ice_ufrag;
    if (t.pwd.empty() && m.ice_pwd) t.pwd = *m.ice_pwd;
    if (t.fingerprints.empty()) t.fingerprints = m.fingerprints;
    for (const sdp::Candidate& c : m.candidates) {
      if (std::find(t.candidates.begin(), t.candidates.end(), c) == t.candidates.end()) t.candidates.push_back(c);
    }
    t.end_of_candidates = t.end_of_candidates || m.end_of_candidates;
  }
  return t;
}

std::string RandomSessionId(Random& random) {
  // 62 bits of decimal digits, no leading zero (RFC 8866 §5.2 recommends an NTP-like number).
  uint64_t v = (random.NextU64() >> 2) | (uint64_t{1} << 60);
  return absl::StrCat(v);
}

}  // namespace

class Connection::Impl {
 public:
  Impl(ConnectionConfig config, Random& random, sdp::JsepOptions jsep_options, sdp::TransportSpec transport,
       ice::IceCredentials credentials)
      : config_(std::move(config)),
        random_(random),
        jsep_(std::move(jsep_options), std::move(transport)),
        credentials_(std::move(credentials)) {}

  ~Impl() {
    sctp_.reset();  // first: its wake handler refers to wake_
    mux_.reset();
    turn_clients_.clear();
    agent_.reset();
  }

  // --- JSEP -------------------------------------------------------------------------------------
  absl::StatusOr<SessionDescription> CreateOffer(Timestamp now) {
    if (closed_) return absl::FailedPreconditionError("CreateOffer: the connection is closed");
    SyncTransportSpec();
    absl::StatusOr<sdp::SessionDescription> offer = jsep_.CreateOffer();
    if (!offer.ok()) return offer.status();
    return SessionDescription{SdpType::kOffer, sdp::Serialize(*offer)};
  }

  absl::StatusOr<SessionDescription> CreateAnswer(Timestamp now) {
    if (closed_) return absl::FailedPreconditionError("CreateAnswer: the connection is closed");
    SyncTransportSpec();
    absl::StatusOr<sdp::SessionDescription> answer = jsep_.CreateAnswer();
    if (!answer.ok()) return answer.status();
    return SessionDescription{SdpType::kAnswer, sdp::Serialize(*answer)};
  }

  absl::Status SetLocalDescription(const SessionDescription& d, Timestamp now) {
    if (closed_) return absl::FailedPreconditionError("SetLocalDescription: the connection is closed");
    if (d.type == SdpType::kRollback) {
      absl::Status s = jsep_.Rollback();
      Update(now);
      return s;
    }
    absl::StatusOr<sdp::SessionDescription> parsed = sdp::Parse(d.sdp);
    if (!parsed.ok()) return parsed.status();
    if (absl::Status s = jsep_.SetLocalDescription(ToSdp(d.type), *parsed); !s.ok()) return s;
    if (d.type == SdpType::kOffer && !agent_) {
      if (absl::Status s = CreateAgent(config_.ice_lite ? ice::IceRole::kControlled : ice::IceRole::kControlling);
          !s.ok()) {
        return s;
      }
    }
    if (absl::Status s = StartAgent(now); !s.ok()) return s;
    AfterSignaling(now);
    return absl::OkStatus();
  }

  absl::Status SetRemoteDescription(const SessionDescription& d, Timestamp now) {
    if (closed_) return absl::FailedPreconditionError("SetRemoteDescription: the connection is closed");
    if (d.type == SdpType::kRollback) {
      if (jsep_.signaling_state() != sdp::SignalingState::kHaveRemoteOffer) {
        return absl::FailedPreconditionError("rollback of a remote description: not in have-remote-offer");
      }
      absl::Status s = jsep_.Rollback();
      if (s.ok() && !jsep_.current_remote_description()) {
        have_remote_ = false;
        remote_mids_.clear();
        if (!agent_started_) {  // made for this offer: the next one may give us the other role
          mux_.reset();
          turn_clients_.clear();
          agent_.reset();
        }
      }
      Update(now);
      return s;
    }
    absl::StatusOr<sdp::SessionDescription> parsed = sdp::Parse(d.sdp);
    if (!parsed.ok()) return parsed.status();
    RemoteTransport remote = TransportOf(*parsed);
    if (remote.ufrag.empty() || remote.pwd.empty()) {
      return absl::InvalidArgumentError("remote description has no a=ice-ufrag/a=ice-pwd");
    }
    if (remote.fingerprints.empty()) return absl::InvalidArgumentError("remote description has no a=fingerprint");
    std::vector<DtlsFingerprint> fingerprints;
    for (const sdp::Fingerprint& f : remote.fingerprints) {
      absl::StatusOr<DtlsFingerprint> fp = DtlsFingerprint::Parse(absl::StrCat(f.algorithm, " ", f.value));
      if (fp.ok()) fingerprints.push_back(*fp);
    }
    if (fingerprints.empty()) {
      return absl::InvalidArgumentError("remote description has no usable a=fingerprint (sha-1 .. sha-512)");
    }
    if (remote.lite && config_.ice_lite) {
      return absl::InvalidArgumentError("both sides are ICE-lite (RFC 8445 §6.1.1 needs one full agent)");
    }
    if (absl::Status s = jsep_.SetRemoteDescription(ToSdp(d.type), *parsed); !s.ok()) return s;
    if (d.type == SdpType::kOffer && !agent_) {
      // We answer: controlled, unless the offerer is lite (RFC 8445 §6.1.1).
      ice::IceRole role = remote.lite ? ice::IceRole::kControlling : ice::IceRole::kControlled;
      if (config_.ice_lite) role = ice::IceRole::kControlled;
      if (absl::Status s = CreateAgent(role); !s.ok()) return s;
    }
    remote_ = std::move(remote);
    remote_fingerprints_ = std::move(fingerprints);
    have_remote_ = true;
    for (const sdp::MediaSection& m : parsed->media) {
      if (m.mid) remote_mids_.insert(*m.mid);
    }
    ApplyRemoteTransport(now);
    AfterSignaling(now);
    return absl::OkStatus();
  }

  absl::Status AddRemoteCandidate(const IceCandidate& c, Timestamp now) {
    if (closed_) return absl::FailedPreconditionError("AddIceCandidate: the connection is closed");
    if (!have_remote_) return absl::FailedPreconditionError("AddIceCandidate before a remote description");
    if (!c.sdp_mid.empty() && remote_mids_.count(c.sdp_mid) == 0) {
      return absl::InvalidArgumentError(absl::StrCat("AddIceCandidate: unknown mid \"", c.sdp_mid.substr(0, 64), "\""));
    }
    if (c.is_end_of_candidates()) {
      remote_end_of_candidates_ = true;
      ApplyRemoteTransport(now);
      Update(now);
      return absl::OkStatus();
    }
    absl::StatusOr<ice::Candidate> parsed = ice::ParseCandidate(c.candidate);
    if (!parsed.ok()) return parsed.status();
    if (parsed->component != ice::kRtpComponent) return absl::OkStatus();  // RTCP with rtcp-mux: ignore
    if (agent_started_) {
      absl::Status s = agent_->AddRemoteCandidate(*parsed, now);
      Update(now);
      if (!s.ok() && s.code() != absl::StatusCode::kResourceExhausted) return s;
      return absl::OkStatus();
    }
    pending_remote_candidates_.push_back(*parsed);
    return absl::OkStatus();
  }

  std::optional<SessionDescription> local_description() const {
    const std::optional<sdp::SessionDescription>& pending = jsep_.pending_local_description();
    const std::optional<sdp::SessionDescription>& current = jsep_.current_local_description();
    const sdp::SessionDescription* d = pending ? &*pending : current ? &*current : nullptr;
    if (d == nullptr) return std::nullopt;
    sdp::SessionDescription copy = *d;
    for (sdp::MediaSection& m : copy.media) {
      if (m.IsRejected()) continue;
      m.candidates = local_sdp_candidates_;
      m.end_of_candidates = gathering_ == IceGatheringState::kComplete;
      break;
    }
    SdpType type = SdpType::kOffer;
    if (!pending) {
      type = local_was_offer_ ? SdpType::kOffer : SdpType::kAnswer;
    } else {
      type = jsep_.signaling_state() == sdp::SignalingState::kHaveLocalOffer ? SdpType::kOffer : SdpType::kPrAnswer;
    }
    if (!pending && jsep_.negotiated()) type = jsep_.negotiated()->local_is_offerer ? SdpType::kOffer : SdpType::kAnswer;
    return SessionDescription{type, sdp::Serialize(copy)};
  }

  std::optional<SessionDescription> remote_description() const {
    const std::optional<sdp::SessionDescription>& pending = jsep_.pending_remote_description();
    const std::optional<sdp::SessionDescription>& current = jsep_.current_remote_description();
    const sdp::SessionDescription* d = pending ? &*pending : current ? &*current : nullptr;
    if (d == nullptr) return std::nullopt;
    SdpType type = SdpType::kOffer;
    if (pending) {
      type = jsep_.signaling_state() == sdp::SignalingState::kHaveRemoteOffer ? SdpType::kOffer : SdpType::kPrAnswer;
    } else if (jsep_.negotiated()) {
      type = jsep_.negotiated()->local_is_offerer ? SdpType::kAnswer : SdpType::kOffer;
    }
    return SessionDescription{type, sdp::Serialize(*d)};
  }

  SignalingState signaling_state() const { return closed_ ? SignalingState::kClosed : ToW3c(jsep_.signaling_state()); }
  IceGatheringState gathering_state() const { return gathering_; }
  IceConnectionState ice_state() const { return ice_state_; }
  PeerConnectionState pc_state() const { return pc_state_; }

  // --- Data channels ------------------------------------------------------------------------------
  absl::StatusOr<ChannelHandle> CreateDataChannel(std::string label, const DataChannelInit& init, Timestamp now) {
    if (closed_) return absl::FailedPreconditionError("CreateDataChannel: the connection is closed");
    if (init.max_retransmits && init.max_packet_life_time_ms) {
      return absl::InvalidArgumentError("max_retransmits and max_packet_life_time are mutually exclusive");
    }
    if (init.negotiated && !init.id) return absl::InvalidArgumentError("a negotiated channel needs an id");
    if (init.id && *init.id > 65534) return absl::InvalidArgumentError("channel id must be 0..65534");
    if (init.id && *init.id >= config_.sctp_max_streams) {
      return absl::InvalidArgumentError(
          absl::StrCat("channel id ", *init.id, " needs SCTP stream ", *init.id, ", beyond the ",
                       config_.sctp_max_streams, " streams this connection offers (raise sctp_max_streams)"));
    }
    if (label.size() > 65535 || init.protocol.size() > 65535) {
      return absl::InvalidArgumentError("label and protocol are limited to 65535 bytes");
    }
    if (init.id) {
      for (const auto& [h, ch] : channels_) {
        if (ch.info.init.id == init.id && ch.info.state != DataChannelState::kClosed) {
          return absl::AlreadyExistsError(absl::StrCat("channel id ", *init.id, " is in use"));
        }
      }
    }
    ChannelHandle handle = next_handle_++;
    Channel& ch = channels_[handle];
    ch.info.handle = handle;
    ch.info.label = std::move(label);
    ch.info.init = init;
    if (sctp_ && sctp_->state() == sctp::AssociationState::kConnected) {
      absl::Status s = OpenOnAssociation(handle, now);
      if (!s.ok()) {
        channels_.erase(handle);
        return s;
      }
    }
    Update(now);
    return handle;
  }

  absl::Status Send(ChannelHandle handle, bool binary, ByteSpan data, Timestamp now) {
    auto it = channels_.find(handle);
    if (it == channels_.end()) return absl::NotFoundError("Send: unknown data channel");
    Channel& ch = it->second;
    if (ch.info.state != DataChannelState::kOpen || !ch.stream || !sctp_) {
      return absl::FailedPreconditionError(
          absl::StrCat("Send: the data channel is ", S(DataChannelStateName(ch.info.state))));
    }
    absl::Status s = sctp_->Send(*ch.stream, binary ? sctp::MessageKind::kBinary : sctp::MessageKind::kText, data);
    if (s.ok()) {
      ch.info.messages_sent++;
      ch.info.bytes_sent += data.size();
    }
    Update(now);
    return s;
  }

  absl::Status CloseDataChannel(ChannelHandle handle, Timestamp now) {
    auto it = channels_.find(handle);
    if (it == channels_.end()) return absl::NotFoundError("Close: unknown data channel");
    Channel& ch = it->second;
    if (ch.info.state == DataChannelState::kClosed || ch.info.state == DataChannelState::kClosing) {
      return absl::OkStatus();
    }
    if (ch.stream && sctp_ && sctp_->state() == sctp::AssociationState::kConnected) {
      ch.info.state = DataChannelState::kClosing;
      (void)sctp_->CloseChannel(*ch.stream);
    } else {
      // Never reached the association: closed at once.
      MarkClosed(handle);
    }
    Update(now);
    return absl::OkStatus();
  }

  absl::Status SetThreshold(ChannelHandle handle, uint64_t threshold) {
    auto it = channels_.find(handle);
    if (it == channels_.end()) return absl::NotFoundError("unknown data channel");
    it->second.threshold = threshold;
    if (it->second.stream && sctp_) {
      (void)sctp_->SetBufferedAmountLowThreshold(*it->second.stream, static_cast<size_t>(threshold));
    }
    return absl::OkStatus();
  }

  uint64_t BufferedAmount(ChannelHandle handle) const {
    auto it = channels_.find(handle);
    if (it == channels_.end() || !it->second.stream || !sctp_) return 0;
    return sctp_->BufferedAmount(*it->second.stream);
  }

  std::optional<DataChannelInfo> ChannelInfoOf(ChannelHandle handle) const {
    auto it = channels_.find(handle);
    if (it == channels_.end()) return std::nullopt;
    return it->second.info;
  }

  std::vector<ChannelHandle> Handles() const {
    std::vector<ChannelHandle> out;
    for (const auto& [h, ch] : channels_) out.push_back(h);
    return out;
  }

  uint64_t max_send_message_size() const {
    if (sctp_) return sctp_->max_send_message_size();
    return remote_max_message_size_ == 0 ? config_.sctp_buffer_size : remote_max_message_size_;
  }

  absl::Status RestartIce(Timestamp now) {
    if (closed_) return absl::FailedPreconditionError("RestartIce: the connection is closed");
    if (!agent_started_) return absl::OkStatus();  // the first offer has fresh credentials anyway
    if (absl::Status s = agent_->RestartIce(now); !s.ok()) return s;
    AdoptLocalCredentials();
    Update(now);
    return absl::OkStatus();
  }

  void Close(Timestamp now) {
    if (closed_) return;
    closed_ = true;
    for (auto& [h, ch] : channels_) {
      if (ch.info.state != DataChannelState::kClosed) {
        ch.info.state = DataChannelState::kClosed;
        events_.push_back(ChannelClosedEvent{h});
      }
    }
    if (sctp_) sctp_->Shutdown();
    PumpSctp(now);
    if (dtls_) {
      dtls_->Close(now);
      PumpDtls(now);
    }
    for (auto& c : turn_clients_) c->Close(now);
    if (agent_) agent_->Close();
    PumpMux(now);
    jsep_.Close();
    ice_state_ = IceConnectionState::kClosed;
    events_.push_back(IceConnectionStateEvent{ice_state_});
    pc_state_ = PeerConnectionState::kClosed;
    events_.push_back(ConnectionStateEvent{pc_state_});
    signaling_ = SignalingState::kClosed;
    events_.push_back(SignalingStateEvent{signaling_});
    sctp_.reset();
  }

  bool Owns(const Datagram& d) const {
    if (agent_ && agent_->Owns(d)) return true;
    for (const auto& c : turn_clients_) {
      if (c->config().server == d.remote) return true;
    }
    return false;
  }

  void SetWakeHandler(absl::AnyInvocable<void()> wake) {
    wake_ = std::move(wake);
  }

  // --- Sans-IO ------------------------------------------------------------------------------------
  void HandleInput(const Datagram& d, Timestamp now) {
    stats_.datagrams_received++;
    stats_.bytes_received += d.payload.size();
    if (closed_ || !mux_) {
      stats_.datagrams_dropped++;
      return;
    }
    mux_->HandleInput(d, now);
    Update(now);
  }

  void HandleTimeout(Timestamp now) {
    if (closed_) return;
    if (mux_) mux_->HandleTimeout(now);
    if (dtls_) dtls_->HandleTimeout(now);
    if (sctp_) sctp_->HandleTimeout(now);
    Update(now);
  }

  std::optional<Transmit> PollTransmit() {
    if (transmits_.empty()) return std::nullopt;
    Transmit t = std::move(transmits_.front());
    transmits_.pop_front();
    return t;
  }

  std::optional<ConnectionEvent> PollEvent() {
    if (events_.empty()) return std::nullopt;
    ConnectionEvent e = std::move(events_.front());
    events_.pop_front();
    return e;
  }

  std::optional<Timestamp> NextTimeout() const {
    if (closed_) return std::nullopt;
    std::optional<Timestamp> next;
    auto take = [&](std::optional<Timestamp> t) {
      if (t && (!next || *t < *next)) next = t;
    };
    if (mux_) take(mux_->NextTimeout());
    if (dtls_) take(dtls_->NextTimeout());
    if (sctp_) take(sctp_->NextTimeout());
    return next;
  }

  Stats GetStats(Timestamp now) const;
  const ConnectionStats& stats() const { return stats_; }
  const DtlsCertificate& certificate() const { return config_.certificate; }

 private:
  struct Channel {
    DataChannelInfo info;
    std::optional<uint16_t> stream;
    uint64_t threshold = 0;
  };

  void SyncTransportSpec() {
    sdp::TransportSpec& t = jsep_.transport();
    t.candidates.clear();
    t.end_of_candidates = false;
  }

  absl::Status CreateAgent(ice::IceRole role) {
    ice::IceAgentConfig c;
    c.role = role;
    c.mode = config_.ice_lite ? ice::IceMode::kLite : ice::IceMode::kFull;
    c.local_credentials = credentials_;
    if (!config_.relay_only) {
      c.host_addresses = config_.host_addresses;
      if (!config_.ice_lite) c.stun_servers = config_.stun_servers;
    }
    c.consent_timeout = config_.consent_timeout;
    c.disconnected_timeout = config_.disconnected_timeout;
    if (!config_.ice_lite) c.pending_relay_allocations = static_cast<int>(config_.turn_servers.size());
    agent_ = std::make_unique<ice::IceAgent>(std::move(c), random_);
    mux_ = std::make_unique<ice::IceTurnMux>(*agent_);
    if (!config_.ice_lite) {
      for (const TurnServerConfig& t : config_.turn_servers) {
        ice::TurnClientConfig tc;
        tc.server = t.server;
        for (const SocketAddress& h : config_.host_addresses) {
          if (h.family() == t.server.family()) {
            tc.local = h;
            break;
          }
        }
        tc.username = t.username;
        tc.password = t.password;
        tc.families = t.server.family() == IpFamily::kV6 ? ice::TurnAddressFamilies::kV6 : ice::TurnAddressFamilies::kV4;
        auto client = std::make_unique<ice::TurnClient>(std::move(tc), random_);
        if (absl::Status s = mux_->AddTurnClient(client.get()); !s.ok()) return s;
        turn_clients_.push_back(std::move(client));
      }
    }
    return absl::OkStatus();
  }

  absl::Status StartAgent(Timestamp now) {
    if (!agent_ || agent_started_) return absl::OkStatus();
    if (absl::Status s = agent_->Start(now); !s.ok()) return s;
    agent_started_ = true;
    for (auto& c : turn_clients_) (void)c->Allocate(now);
    mux_->Pump(now);
    ApplyRemoteTransport(now);
    return absl::OkStatus();
  }

  // Gives the agent what the remote description and trickle said, once it runs.
  void ApplyRemoteTransport(Timestamp now) {
    if (!agent_started_ || !have_remote_) return;
    ice::IceCredentials creds{remote_.ufrag, remote_.pwd};
    if (!(applied_remote_creds_ == creds)) {
      if (agent_->SetRemoteCredentials(creds, now).ok()) applied_remote_creds_ = creds;
      agent_->SetRemoteLite(remote_.lite);
      // A remote ICE restart (RFC 8445 §9) restarts our agent too: answer with its new credentials.
      AdoptLocalCredentials();
    }
    for (const sdp::Candidate& c : remote_.candidates) {
      std::string line = sdp::FormatCandidate(c);
      if (!applied_sdp_candidates_.insert(line).second) continue;
      absl::StatusOr<ice::Candidate> parsed = ice::ParseCandidate(line);
      if (parsed.ok() && parsed->component == ice::kRtpComponent) (void)agent_->AddRemoteCandidate(*parsed, now);
    }
    for (const ice::Candidate& c : pending_remote_candidates_) (void)agent_->AddRemoteCandidate(c, now);
    pending_remote_candidates_.clear();
    if ((remote_.end_of_candidates || remote_end_of_candidates_) && !applied_end_of_candidates_) {
      applied_end_of_candidates_ = true;
      agent_->SetRemoteEndOfCandidates(now);
    }
    mux_->Pump(now);
  }

  // After a description was applied: when an exchange completed, set up DTLS and SCTP parameters.
  void AfterSignaling(Timestamp now) {
    if (jsep_.signaling_state() == sdp::SignalingState::kStable && jsep_.negotiated()) {
      const sdp::NegotiatedSession& n = *jsep_.negotiated();
      local_was_offer_ = n.local_is_offerer;
      if (const sdp::NegotiatedMedia* data = n.data(); data != nullptr && !data->rejected) {
        remote_sctp_port_ = data->remote_sctp_port == 0 ? 5000 : data->remote_sctp_port;
        remote_max_message_size_ = data->remote_max_message_size;
        have_data_section_ = true;
      }
      if (!dtls_) {
        DtlsConfig dc;
        dc.role = n.dtls_client() ? DtlsRole::kClient : DtlsRole::kServer;
        dc.certificate = config_.certificate;
        dc.remote_fingerprints = remote_fingerprints_;
        dc.mtu = config_.mtu;
        absl::StatusOr<DtlsEndpoint> endpoint = DtlsEndpoint::Create(std::move(dc));
        if (endpoint.ok()) {
          dtls_.emplace(std::move(*endpoint));
          if (dtls_->role() == DtlsRole::kServer) {
            dtls_->Start(now);
            dtls_started_ = true;
          }
        } else {
          dtls_failed_ = true;
        }
      } else if (dtls_->state() != DtlsState::kConnected) {
        (void)dtls_->SetRemoteFingerprints(remote_fingerprints_, now);
      }
    }
    Update(now);
  }

  // After an ICE restart the agent has new local credentials: the next description carries them,
  // and candidates start a new generation.
  void AdoptLocalCredentials() {
    const ice::IceCredentials& now_creds = agent_->local_credentials();
    if (now_creds == credentials_) return;
    credentials_ = now_creds;
    jsep_.transport().ice_ufrag = credentials_.ufrag;
    jsep_.transport().ice_pwd = credentials_.pwd;
    local_sdp_candidates_.clear();
    SetGathering(IceGatheringState::kGathering);
  }

  absl::Status OpenOnAssociation(ChannelHandle handle, Timestamp now) {
    Channel& ch = channels_[handle];
    sctp::ChannelOptions o;
    o.label = ch.info.label;
    o.protocol = ch.info.init.protocol;
    o.ordered = ch.info.init.ordered;
    o.max_retransmits = ch.info.init.max_retransmits;
    o.max_packet_life_time_ms = ch.info.init.max_packet_life_time_ms;
    o.negotiated = ch.info.init.negotiated;
    o.id = ch.info.init.id;
    o.priority = DcepPriority(ch.info.init.priority);
    absl::StatusOr<uint16_t> id = sctp_->OpenChannel(o);
    if (!id.ok()) return id.status();
    ch.stream = *id;
    ch.info.init.id = *id;
    by_stream_[*id] = handle;
    if (ch.threshold > 0) (void)sctp_->SetBufferedAmountLowThreshold(*id, static_cast<size_t>(ch.threshold));
    return absl::OkStatus();
  }

  void MarkClosed(ChannelHandle handle) {
    auto it = channels_.find(handle);
    if (it == channels_.end() || it->second.info.state == DataChannelState::kClosed) return;
    it->second.info.state = DataChannelState::kClosed;
    if (it->second.stream) by_stream_.erase(*it->second.stream);
    ++channels_closed_;
    events_.push_back(ChannelClosedEvent{handle});
  }

  // Moves everything between the layers until nothing moves, then recomputes the states.
  void Update(Timestamp now) {
    for (int round = 0; round < 64; ++round) {
      progressed_ = false;
      PumpMux(now);
      MaybeStartDtlsClient(now);
      PumpDtls(now);
      PumpSctp(now);
      if (!progressed_) break;
    }
    UpdateStates();
  }

  void PumpMux(Timestamp now) {
    if (!mux_) return;
    while (auto e = mux_->PollEvent()) {
      progressed_ = true;
      if (auto* ie = std::get_if<ice::IceEvent>(&*e)) HandleIceEvent(std::move(*ie), now);
    }
    while (auto t = mux_->PollTransmit()) {
      stats_.datagrams_sent++;
      stats_.bytes_sent += t->payload.size();
      transmits_.push_back(std::move(*t));
    }
  }

  void HandleIceEvent(ice::IceEvent e, Timestamp now) {
    if (auto* g = std::get_if<ice::IceCandidateGathered>(&e)) {
      if (config_.relay_only && g->candidate.type != ice::CandidateType::kRelay) return;
      std::string line = ice::SerializeCandidate(g->candidate);
      if (absl::StatusOr<sdp::Candidate> sc = sdp::ParseCandidate(line); sc.ok()) {
        local_sdp_candidates_.push_back(*sc);
      }
      if (gathering_ != IceGatheringState::kGathering) SetGathering(IceGatheringState::kGathering);
      events_.push_back(LocalCandidateEvent{IceCandidate{line, FirstMid(), 0}});
    } else if (std::holds_alternative<ice::IceGatheringComplete>(e)) {
      if (gathering_ == IceGatheringState::kNew) SetGathering(IceGatheringState::kGathering);
      events_.push_back(LocalCandidateEvent{IceCandidate{"", FirstMid(), 0}});
      SetGathering(IceGatheringState::kComplete);
    } else if (auto* d = std::get_if<ice::IceDataReceived>(&e)) {
      HandleData(d->payload, now);
    } else if (std::holds_alternative<ice::IceSelectedPairChanged>(e)) {
      ++selected_pair_changes_;
    }
  }

  void HandleData(const std::vector<uint8_t>& payload, Timestamp now) {
    switch (ClassifyPacket(payload)) {
      case PacketKind::kDtls:
        if (dtls_) {
          dtls_->HandleInput(payload, now);
        } else {
          stats_.datagrams_dropped++;
        }
        break;
      case PacketKind::kRtpRtcp:
        stats_.rtp_dropped++;  // the media seam: tracks come in a later issue
        break;
      default:
        stats_.datagrams_dropped++;
        break;
    }
  }

  void MaybeStartDtlsClient(Timestamp now) {
    if (!dtls_ || dtls_started_ || !agent_ || !agent_->has_selected_pair()) return;
    dtls_->Start(now);
    dtls_started_ = true;
    progressed_ = true;
  }

  void PumpDtls(Timestamp now) {
    if (!dtls_) return;
    while (auto e = dtls_->PollEvent()) {
      progressed_ = true;
      HandleDtlsEvent(std::move(*e), now);
    }
    // A flight may be ready a moment before ICE has selected a pair (the peer's ClientHello can
    // overtake the answer to our nominating check): hold it briefly instead of waiting for DTLS's
    // 1 s retransmission.
    if (!held_dtls_.empty() && agent_ && agent_->has_selected_pair()) {
      for (std::vector<uint8_t>& t : held_dtls_) (void)mux_->Send(std::move(t), now);
      held_dtls_.clear();
      progressed_ = true;
    }
    while (auto t = dtls_->PollTransmit()) {
      progressed_ = true;
      if (agent_ && agent_->has_selected_pair()) {
        (void)mux_->Send(std::move(*t), now);
      } else if (held_dtls_.size() < 16) {
        held_dtls_.push_back(std::move(*t));
      }
    }
  }

  void HandleDtlsEvent(DtlsEvent e, Timestamp now) {
    if (auto* c = std::get_if<DtlsConnected>(&e)) {
      if (c->srtp) {
        srtp_cipher_ = S(GetSrtpProfileInfo(c->srtp->profile).name);
        srtp_keys_ = std::move(c->srtp);
      }
      remote_certificate_der_ = c->peer_certificate_der;
      if (have_data_section_) StartSctp(now);
    } else if (auto* a = std::get_if<DtlsApplicationData>(&e)) {
      if (!sctp_) {
        stats_.datagrams_dropped++;
        return;
      }
      if (!sctp_->HandleInput(a->data, now).ok()) stats_.sctp_rejected++;
    } else if (std::holds_alternative<DtlsClosed>(e)) {
      dtls_closed_by_peer_ = true;
      CloseAllChannels();
    } else if (std::holds_alternative<DtlsFailed>(e)) {
      dtls_failed_ = true;
      CloseAllChannels();
    }
  }

  void CloseAllChannels() {
    for (auto& [h, ch] : channels_) MarkClosed(h);
  }

  void StartSctp(Timestamp now) {
    if (sctp_) return;
    sctp::AssociationConfig ac;
    ac.role = dtls_->role() == DtlsRole::kClient ? sctp::Role::kClient : sctp::Role::kServer;
    ac.local_port = config_.sctp_port;
    ac.remote_port = remote_sctp_port_;
    ac.remote_max_message_size = static_cast<size_t>(remote_max_message_size_);
    ac.local_max_message_size = static_cast<size_t>(config_.max_message_size);
    ac.max_streams = config_.sctp_max_streams;
    ac.mtu = std::min<size_t>(dtls_->MaxApplicationDataSize(), config_.mtu);
    ac.send_buffer_size = std::max<size_t>(config_.sctp_buffer_size, static_cast<size_t>(config_.max_message_size));
    ac.receive_buffer_size = std::max<size_t>(config_.sctp_buffer_size, static_cast<size_t>(config_.max_message_size));
    absl::StatusOr<std::unique_ptr<sctp::Association>> a = sctp::Association::Create(ac);
    if (!a.ok()) {
      sctp_error_ = a.status();
      return;
    }
    sctp_ = std::move(*a);
    if (wake_) {
      sctp_->SetWakeHandler([this] {
        if (wake_) wake_();
      });
    }
    (void)sctp_->Connect(now);
    progressed_ = true;
  }

  void PumpSctp(Timestamp now) {
    if (!sctp_) return;
    while (auto p = sctp_->PollTransmit()) {
      progressed_ = true;
      if (dtls_ && dtls_->state() == DtlsState::kConnected) (void)dtls_->Send(*p, now);
    }
    while (auto e = sctp_->PollEvent()) {
      progressed_ = true;
      HandleSctpEvent(std::move(*e), now);
    }
  }

  void HandleSctpEvent(sctp::Event e, Timestamp now) {
    using T = sctp::Event::Type;
    switch (e.type) {
      case T::kConnected: {
        std::vector<ChannelHandle> pending;
        for (auto& [h, ch] : channels_) {
          if (!ch.stream && ch.info.state == DataChannelState::kConnecting) pending.push_back(h);
        }
        for (ChannelHandle h : pending) {
          if (absl::Status s = OpenOnAssociation(h, now); !s.ok()) {
            events_.push_back(ChannelErrorEvent{h, s});
            MarkClosed(h);
          }
        }
        break;
      }
      case T::kClosed:
        CloseAllChannels();
        break;
      case T::kChannelOpen: {
        ChannelHandle handle;
        auto it = by_stream_.find(e.channel);
        if (it != by_stream_.end()) {
          handle = it->second;
        } else {
          std::optional<sctp::ChannelInfo> info = sctp_->Channel(e.channel);
          if (!info) break;
          handle = next_handle_++;
          Channel& ch = channels_[handle];
          ch.info.handle = handle;
          ch.info.label = info->options.label;
          ch.info.remote = true;
          ch.info.init.protocol = info->options.protocol;
          ch.info.init.ordered = info->options.ordered;
          ch.info.init.max_retransmits = info->options.max_retransmits;
          ch.info.init.max_packet_life_time_ms = info->options.max_packet_life_time_ms;
          ch.info.init.negotiated = info->options.negotiated;
          ch.info.init.id = e.channel;
          ch.info.init.priority = FromDcepPriority(info->options.priority);
          ch.stream = e.channel;
          by_stream_[e.channel] = handle;
        }
        Channel& ch = channels_[handle];
        if (ch.info.state == DataChannelState::kConnecting) {
          ch.info.state = DataChannelState::kOpen;
          ++channels_opened_;
          events_.push_back(ChannelOpenEvent{handle, ch.info.remote});
        }
        break;
      }
      case T::kChannelClosing: {
        auto it = by_stream_.find(e.channel);
        if (it == by_stream_.end()) break;
        Channel& ch = channels_[it->second];
        if (ch.info.state == DataChannelState::kOpen || ch.info.state == DataChannelState::kConnecting) {
          ch.info.state = DataChannelState::kClosing;
          events_.push_back(ChannelClosingEvent{it->second});
        }
        break;
      }
      case T::kChannelClosed: {
        auto it = by_stream_.find(e.channel);
        if (it != by_stream_.end()) MarkClosed(it->second);
        break;
      }
      case T::kMessage: {
        auto it = by_stream_.find(e.channel);
        if (it == by_stream_.end()) break;
        Channel& ch = channels_[it->second];
        ch.info.messages_received++;
        ch.info.bytes_received += e.data.size();
        events_.push_back(ChannelMessageEvent{it->second, e.kind == sctp::MessageKind::kBinary, std::move(e.data)});
        break;
      }
      case T::kBufferedAmountLow: {
        auto it = by_stream_.find(e.channel);
        if (it != by_stream_.end()) events_.push_back(ChannelBufferedAmountLowEvent{it->second});
        break;
      }
      case T::kChannelError: {
        auto it = by_stream_.find(e.channel);
        if (it != by_stream_.end()) events_.push_back(ChannelErrorEvent{it->second, e.status});
        break;
      }
    }
  }

  std::string FirstMid() const {
    if (jsep_.negotiated() && !jsep_.negotiated()->bundle_mids.empty()) return jsep_.negotiated()->bundle_mids[0];
    for (const sdp::MediaSpec& m : jsep_.media()) {
      if (!m.mid.empty()) return m.mid;
    }
    return "0";
  }

  void SetGathering(IceGatheringState s) {
    if (gathering_ == s) return;
    gathering_ = s;
    events_.push_back(IceGatheringStateEvent{s});
  }

  void UpdateStates() {
    if (closed_) return;
    SignalingState sig = ToW3c(jsep_.signaling_state());
    if (sig != signaling_) {
      signaling_ = sig;
      events_.push_back(SignalingStateEvent{sig});
    }
    IceConnectionState ice = agent_ ? ToW3c(agent_->state()) : IceConnectionState::kNew;
    if (ice != ice_state_) {
      ice_state_ = ice;
      events_.push_back(IceConnectionStateEvent{ice});
    }
    PeerConnectionState pc;
    DtlsState dtls = dtls_ ? dtls_->state() : DtlsState::kNew;
    if (ice == IceConnectionState::kFailed || dtls == DtlsState::kFailed || dtls_failed_) {
      pc = PeerConnectionState::kFailed;
    } else if (dtls_closed_by_peer_) {
      pc = PeerConnectionState::kClosed;
    } else if (ice == IceConnectionState::kDisconnected) {
      pc = PeerConnectionState::kDisconnected;
    } else if (ice == IceConnectionState::kNew && dtls == DtlsState::kNew) {
      pc = PeerConnectionState::kNew;
    } else if ((ice == IceConnectionState::kConnected || ice == IceConnectionState::kCompleted) &&
               dtls == DtlsState::kConnected) {
      pc = PeerConnectionState::kConnected;
    } else {
      pc = PeerConnectionState::kConnecting;
    }
    if (pc != pc_state_) {
      pc_state_ = pc;
      events_.push_back(ConnectionStateEvent{pc});
    }
  }

  friend class Connection;

  ConnectionConfig config_;
  Random& random_;
  sdp::JsepSession jsep_;
  ice::IceCredentials credentials_;

  std::unique_ptr<ice::IceAgent> agent_;
  std::vector<std::unique_ptr<ice::TurnClient>> turn_clients_;
  std::unique_ptr<ice::IceTurnMux> mux_;
  bool agent_started_ = false;

  std::optional<DtlsEndpoint> dtls_;
  std::vector<std::vector<uint8_t>> held_dtls_;  // DTLS datagrams waiting for a selected pair
  bool dtls_started_ = false;
  bool dtls_failed_ = false;
  bool dtls_closed_by_peer_ = false;
  std::vector<uint8_t> remote_certificate_der_;
  std::string srtp_cipher_;
  // The DTLS-SRTP keys, kept from the handshake. The SRTP sessions (cipher contexts, ~4 KiB per
  // connection) are made from them (srtp::CreateDtlsSrtpSessions) when media first needs them, so a
  // data-channel-only connection never pays for them.
  std::optional<SrtpKeyingMaterial> srtp_keys_;

  std::unique_ptr<sctp::Association> sctp_;
  absl::Status sctp_error_;
  absl::AnyInvocable<void()> wake_;
  uint16_t remote_sctp_port_ = 5000;
  uint64_t remote_max_message_size_ = sctp::kMaxMessageSizeWhenAbsent;
  bool have_data_section_ = false;

  // Remote transport.
  bool have_remote_ = false;
  RemoteTransport remote_;
  std::vector<DtlsFingerprint> remote_fingerprints_;
  std::set<std::string> remote_mids_;
  ice::IceCredentials applied_remote_creds_;
  std::set<std::string> applied_sdp_candidates_;
  std::vector<ice::Candidate> pending_remote_candidates_;
  bool remote_end_of_candidates_ = false;
  bool applied_end_of_candidates_ = false;

  std::vector<sdp::Candidate> local_sdp_candidates_;
  bool local_was_offer_ = false;

  std::map<ChannelHandle, Channel> channels_;
  std::map<uint16_t, ChannelHandle> by_stream_;
  ChannelHandle next_handle_ = 1;
  uint32_t channels_opened_ = 0;
  uint32_t channels_closed_ = 0;

  SignalingState signaling_ = SignalingState::kStable;
  IceGatheringState gathering_ = IceGatheringState::kNew;
  IceConnectionState ice_state_ = IceConnectionState::kNew;
  PeerConnectionState pc_state_ = PeerConnectionState::kNew;
  uint32_t selected_pair_changes_ = 0;
  bool closed_ = false;
  bool progressed_ = false;

  Fifo<Transmit> transmits_;
  Fifo<ConnectionEvent> events_;
  ConnectionStats stats_;
};

Stats Connection::Impl::GetStats(Timestamp now) const {
  Stats s;
  s.timestamp = now;
  s.peer_connection.id = "P";
  s.peer_connection.data_channels_opened = channels_opened_;
  s.peer_connection.data_channels_closed = channels_closed_;
  TransportStats t;
  t.id = "T01";
  t.packets_sent = stats_.datagrams_sent;
  t.packets_received = stats_.datagrams_received;
  t.bytes_sent = stats_.bytes_sent;
  t.bytes_received = stats_.bytes_received;
  t.ice_role = agent_ ? (agent_->role() == ice::IceRole::kControlling ? "controlling" : "controlled") : "unknown";
  t.ice_local_username_fragment = credentials_.ufrag;
  t.ice_state = S(IceConnectionStateName(ice_state_));
  DtlsState ds = dtls_ ? dtls_->state() : DtlsState::kNew;
  t.dtls_state = ds == DtlsState::kNew          ? "new"
                 : ds == DtlsState::kConnecting ? "connecting"
                 : ds == DtlsState::kConnected  ? "connected"
                 : ds == DtlsState::kClosed     ? "closed"
                                                : "failed";
  t.dtls_role = dtls_ ? S(DtlsRoleName(dtls_->role())) : "unknown";
  if (ds == DtlsState::kConnected) {
    t.tls_version = "FEFD";
    t.dtls_cipher = S(dtls_->CipherSuiteName());
  }
  t.srtp_cipher = srtp_cipher_;
  t.selected_candidate_pair_changes = selected_pair_changes_;
  uint64_t dropped = stats_.datagrams_dropped + stats_.rtp_dropped + stats_.sctp_rejected;
  if (agent_) {
    const ice::IceAgentStats& a = agent_->stats();
    dropped += a.dropped_not_stun + a.dropped_bad_stun + a.dropped_rate_limited + a.dropped_unauthenticated +
               a.dropped_unknown_transaction + a.dropped_unknown_local;
  }
  if (dtls_) dropped += dtls_->datagrams_dropped();
  t.datagrams_dropped = dropped;
  t.local_certificate_id = "CERTlocal";
  CertificateStats local_cert;
  local_cert.id = "CERTlocal";
  DtlsFingerprint fp = config_.certificate.Fingerprint();
  local_cert.fingerprint = fp.DigestHex();
  local_cert.fingerprint_algorithm = S(FingerprintHashName(fp.hash));
  ByteSpan der = config_.certificate.der();
  local_cert.base64_certificate =
      absl::Base64Escape(absl::string_view(reinterpret_cast<const char*>(der.data()), der.size()));
  s.certificates.push_back(std::move(local_cert));
  if (!remote_certificate_der_.empty()) {
    t.remote_certificate_id = "CERTremote";
    CertificateStats rc;
    rc.id = "CERTremote";
    DtlsFingerprint rfp = DtlsFingerprint::Compute(FingerprintHash::kSha256, remote_certificate_der_);
    rc.fingerprint = rfp.DigestHex();
    rc.fingerprint_algorithm = "sha-256";
    rc.base64_certificate = absl::Base64Escape(absl::string_view(
        reinterpret_cast<const char*>(remote_certificate_der_.data()), remote_certificate_der_.size()));
    s.certificates.push_back(std::move(rc));
  }
  auto cand_id = [](const ice::Candidate& c, bool remote) {
    return absl::StrCat(remote ? "RC" : "LC", c.address.ToString(), "/", S(ice::CandidateTypeName(c.type)));
  };
  auto cand_stats = [&](const ice::Candidate& c, bool remote) {
    IceCandidateStats cs;
    cs.id = cand_id(c, remote);
    cs.transport_id = "T01";
    cs.is_remote = remote;
    cs.address = c.has_hostname() ? c.hostname : c.address.ip().ToString();
    cs.port = c.address.port();
    cs.protocol = c.protocol == TransportProtocol::kTcp ? "tcp" : "udp";
    cs.candidate_type = S(ice::CandidateTypeName(c.type));
    cs.priority = c.priority;
    cs.foundation = c.foundation;
    if (c.related_address.is_set()) {
      cs.related_address = c.related_address.ip().ToString();
      cs.related_port = c.related_address.port();
    }
    return cs;
  };
  if (agent_) {
    for (const ice::Candidate& c : agent_->local_candidates()) {
      if (config_.relay_only && c.type != ice::CandidateType::kRelay) continue;
      s.local_candidates.push_back(cand_stats(c, false));
    }
    for (const ice::Candidate& c : agent_->remote_candidates()) s.remote_candidates.push_back(cand_stats(c, true));
    for (const ice::IceCandidatePairStats& p : agent_->candidate_pairs()) {
      CandidatePairStats ps;
      ps.local_candidate_id = cand_id(p.pair.local, false);
      ps.remote_candidate_id = cand_id(p.pair.remote, true);
      ps.id = absl::StrCat("CP", ps.local_candidate_id, "_", ps.remote_candidate_id);
      ps.transport_id = "T01";
      ps.state = S(ice::IceCandidatePairStateName(p.state));
      ps.nominated = p.nominated;
      ps.selected = p.selected;
      ps.priority = p.pair.priority;
      if (p.selected) {
        ps.packets_sent = stats_.datagrams_sent;
        ps.packets_received = stats_.datagrams_received;
        ps.bytes_sent = stats_.bytes_sent;
        ps.bytes_received = stats_.bytes_received;
        t.selected_candidate_pair_id = ps.id;
      }
      s.candidate_pairs.push_back(std::move(ps));
    }
  }
  s.transports.push_back(std::move(t));
  for (const auto& [h, ch] : channels_) {
    DataChannelStats d;
    d.id = absl::StrCat("D", h);
    d.label = ch.info.label;
    d.protocol = ch.info.init.protocol;
    d.data_channel_identifier = ch.stream;
    d.state = S(DataChannelStateName(ch.info.state));
    d.messages_sent = static_cast<uint32_t>(ch.info.messages_sent);
    d.bytes_sent = ch.info.bytes_sent;
    d.messages_received = static_cast<uint32_t>(ch.info.messages_received);
    d.bytes_received = ch.info.bytes_received;
    s.data_channels.push_back(std::move(d));
  }
  return s;
}

// --- Connection ---------------------------------------------------------------------------------

absl::StatusOr<std::unique_ptr<Connection>> Connection::Create(ConnectionConfig config, Random& random) {
  if (config.certificate.empty()) return absl::InvalidArgumentError("Connection: a certificate is required");
  if (config.host_addresses.empty() && config.turn_servers.empty()) {
    return absl::InvalidArgumentError("Connection: no host address and no TURN server");
  }
  if (config.relay_only && config.turn_servers.empty()) {
    return absl::InvalidArgumentError("Connection: relay-only policy needs a TURN server");
  }
  for (const SocketAddress& a : config.host_addresses) {
    if (!a.is_set() || a.ip().IsUnspecified() || a.port() == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("Connection: host address ", a.ToString(), " is not a bound concrete address"));
    }
  }
  if (config.mtu < 576 || config.mtu > 16384) return absl::InvalidArgumentError("Connection: mtu must be 576..16384");
  if (config.max_message_size == 0) return absl::InvalidArgumentError("Connection: max_message_size must be > 0");
  if (config.sctp_port == 0) return absl::InvalidArgumentError("Connection: sctp_port must be > 0");
  if (config.sctp_max_streams == 0) {
    return absl::InvalidArgumentError("Connection: sctp_max_streams must be > 0");
  }

  ice::IceCredentials credentials = ice::IceCredentials::Generate(random);
  sdp::JsepOptions options;
  options.session_id = RandomSessionId(random);
  options.sctp_port = config.sctp_port;
  options.max_message_size = config.max_message_size;
  sdp::TransportSpec transport;
  transport.ice_ufrag = credentials.ufrag;
  transport.ice_pwd = credentials.pwd;
  transport.ice_lite = config.ice_lite;
  DtlsFingerprint fp = config.certificate.Fingerprint(FingerprintHash::kSha256);
  transport.fingerprints.push_back(sdp::Fingerprint{S(FingerprintHashName(fp.hash)), fp.DigestHex()});
  sdp::MediaSpec data;
  data.kind = sdp::MediaKind::kData;
  data.sctp_port = config.sctp_port;
  data.max_message_size = config.max_message_size;
  auto impl = std::make_unique<Impl>(std::move(config), random, std::move(options), std::move(transport),
                                     std::move(credentials));
  impl->jsep_.AddMedia(std::move(data));
  return std::unique_ptr<Connection>(new Connection(std::move(impl)));
}

Connection::Connection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Connection::~Connection() = default;

absl::StatusOr<SessionDescription> Connection::CreateOffer(Timestamp now) { return impl_->CreateOffer(now); }
absl::StatusOr<SessionDescription> Connection::CreateAnswer(Timestamp now) { return impl_->CreateAnswer(now); }
absl::Status Connection::SetLocalDescription(const SessionDescription& d, Timestamp now) {
  return impl_->SetLocalDescription(d, now);
}
absl::Status Connection::SetRemoteDescription(const SessionDescription& d, Timestamp now) {
  return impl_->SetRemoteDescription(d, now);
}
absl::Status Connection::AddRemoteCandidate(const IceCandidate& c, Timestamp now) {
  return impl_->AddRemoteCandidate(c, now);
}
std::optional<SessionDescription> Connection::local_description() const { return impl_->local_description(); }
std::optional<SessionDescription> Connection::remote_description() const { return impl_->remote_description(); }
SignalingState Connection::signaling_state() const { return impl_->signaling_state(); }
IceGatheringState Connection::ice_gathering_state() const { return impl_->gathering_state(); }
IceConnectionState Connection::ice_connection_state() const { return impl_->ice_state(); }
PeerConnectionState Connection::connection_state() const { return impl_->pc_state(); }
absl::StatusOr<ChannelHandle> Connection::CreateDataChannel(std::string label, const DataChannelInit& init,
                                                            Timestamp now) {
  return impl_->CreateDataChannel(std::move(label), init, now);
}
absl::Status Connection::Send(ChannelHandle channel, bool binary, ByteSpan data, Timestamp now) {
  return impl_->Send(channel, binary, data, now);
}
absl::Status Connection::CloseDataChannel(ChannelHandle channel, Timestamp now) {
  return impl_->CloseDataChannel(channel, now);
}
absl::Status Connection::SetBufferedAmountLowThreshold(ChannelHandle channel, uint64_t threshold) {
  return impl_->SetThreshold(channel, threshold);
}
uint64_t Connection::BufferedAmount(ChannelHandle channel) const { return impl_->BufferedAmount(channel); }
std::optional<DataChannelInfo> Connection::DataChannel(ChannelHandle channel) const {
  return impl_->ChannelInfoOf(channel);
}
std::vector<ChannelHandle> Connection::DataChannels() const { return impl_->Handles(); }
uint64_t Connection::max_send_message_size() const { return impl_->max_send_message_size(); }
absl::Status Connection::RestartIce(Timestamp now) { return impl_->RestartIce(now); }
void Connection::Close(Timestamp now) { impl_->Close(now); }
bool Connection::Owns(const Datagram& datagram) const { return impl_->Owns(datagram); }
void Connection::SetWakeHandler(absl::AnyInvocable<void()> wake) { impl_->SetWakeHandler(std::move(wake)); }
void Connection::HandleInput(const Datagram& datagram, Timestamp now) { impl_->HandleInput(datagram, now); }
void Connection::HandleTimeout(Timestamp now) { impl_->HandleTimeout(now); }
std::optional<Transmit> Connection::PollTransmit() { return impl_->PollTransmit(); }
std::optional<ConnectionEvent> Connection::PollEvent() { return impl_->PollEvent(); }
std::optional<Timestamp> Connection::NextTimeout() const { return impl_->NextTimeout(); }
Stats Connection::GetStats(Timestamp now) const { return impl_->GetStats(now); }
const ConnectionStats& Connection::stats() const { return impl_->stats(); }
const DtlsCertificate& Connection::certificate() const { return impl_->certificate(); }

}  // namespace tern::pc
