// The ICE agent: gathering (RFC 8445 §5.1), the check list and its states (§6.1.2), pacing and
// triggered checks (§6.1.4, §7.3.1.4), connectivity checks and their responses (§7.2-§7.3),
// role conflicts (§7.2.5.1, §7.3.1.1), nomination (§8.1), ICE restart (§9), lite mode (§2.5),
// retransmission timers (§14.3), trickle ICE (RFC 8838), consent freshness (RFC 7675) and passive
// TCP host candidates (RFC 6544).
#include "tern/ice/ice_agent.h"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "tern/base/fifo.h"
#include "tern/base/log.h"
#include "tern/base/strings.h"
#include "tern/stun/stun.h"

namespace tern::ice {

std::string_view IceRoleName(IceRole role) {
  return role == IceRole::kControlling ? "controlling" : "controlled";
}

std::string_view IceConnectionStateName(IceConnectionState state) {
  switch (state) {
    case IceConnectionState::kNew:
      return "new";
    case IceConnectionState::kChecking:
      return "checking";
    case IceConnectionState::kConnected:
      return "connected";
    case IceConnectionState::kCompleted:
      return "completed";
    case IceConnectionState::kFailed:
      return "failed";
    case IceConnectionState::kDisconnected:
      return "disconnected";
    case IceConnectionState::kClosed:
      return "closed";
  }
  return "unknown";
}

std::string_view IceCandidatePairStateName(IceCandidatePairState state) {
  switch (state) {
    case IceCandidatePairState::kFrozen:
      return "frozen";
    case IceCandidatePairState::kWaiting:
      return "waiting";
    case IceCandidatePairState::kInProgress:
      return "in-progress";
    case IceCandidatePairState::kSucceeded:
      return "succeeded";
    case IceCandidatePairState::kFailed:
      return "failed";
  }
  return "unknown";
}

namespace {

constexpr std::string_view kIceAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static_assert(kIceAlphabet.size() == 64);

std::string RandomIceString(Random& random, size_t size) {
  std::string out(size, 'A');
  uint8_t bytes[64];
  random.Fill(std::span<uint8_t>(bytes, size));
  for (size_t i = 0; i < size; ++i) out[i] = kIceAlphabet[bytes[i] & 63];
  return out;
}

// Our own messages: a check is ~100 bytes, a response ~70 (v6 ~80).
constexpr size_t kMaxMessageSize = 600;

}  // namespace

IceCredentials IceCredentials::Generate(Random& random) {
  return IceCredentials{RandomIceString(random, 8), RandomIceString(random, 24)};
}

bool IceCredentials::IsValid() const { return IsIceString(ufrag, 4, 256) && IsIceString(pwd, 22, 256); }

bool IceAgent::IsStun(ByteSpan payload) { return stun::LooksLikeStun(payload); }

std::optional<std::string_view> IceAgent::LocalUfragOf(ByteSpan payload) {
  if (!stun::LooksLikeStun(payload)) return std::nullopt;
  absl::StatusOr<stun::MessageView> m = stun::MessageView::Parse(payload);
  if (!m.ok() || m->message_class() != stun::MessageClass::kRequest || m->method() != stun::method::kBinding)
    return std::nullopt;
  absl::StatusOr<std::string_view> username = m->GetUsername();
  if (!username.ok()) return std::nullopt;
  size_t colon = username->find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  return username->substr(0, colon);
}

// ---------------------------------------------------------------------------------------------------

class IceAgent::Impl {
 public:
  using PairState = IceCandidatePairState;

  struct LocalCandidate {
    Candidate candidate;
    SocketAddress base;    // the socket; the relayed address for a relay candidate
    SocketAddress server;  // STUN server (srflx) or TURN server (relay)
    uint32_t local_preference = 0;
  };

  struct Pair {
    int local = -1;
    int remote = -1;
    uint64_t priority = 0;
    PairState state = PairState::kFrozen;
    bool in_check_list = true;  // false: a valid pair built from a mapped address (§7.2.5.3.2)
    bool valid = false;
    bool nominated = false;
    bool nominate_on_success = false;       // controlled: USE-CANDIDATE came before our check succeeded
    bool use_candidate = false;             // controlling: the next check on this pair nominates
    bool queued = false;                    // in the triggered-check queue
    int valid_pair = -1;                    // check-list pair: the valid pair its check produced
    int generator = -1;                     // valid pair: the check-list pair whose check produced it
    Timestamp last_received;                // authenticated STUN or data from the remote on this pair
    std::optional<Timestamp> peer_checked;  // last authenticated check from the peer on this pair
    int retries = 0;         // checks restarted after a timeout because the peer had reached us
    Timestamp last_consent;  // last authenticated success response (RFC 7675)
  };

  struct Transaction {
    enum class Kind : uint8_t { kGather, kCheck, kConsent };
    stun::TransactionId id;
    Kind kind = Kind::kCheck;
    bool previous_session = false;  // consent on the pre-restart path
    int pair = -1;
    SocketAddress base;
    SocketAddress remote;
    TransportProtocol protocol = TransportProtocol::kUdp;
    std::vector<uint8_t> wire;  // the unframed request
    Timestamp next;             // next retransmission, or the give-up time after the last one
    Duration rto;
    Duration rto_cap;
    int sent = 0;
    bool use_candidate = false;
    // §7.3.1.4: no more retransmissions, and no failure when it runs out; a late answer still counts.
    bool cancelled = false;
    IceRole role = IceRole::kControlling;
    uint32_t priority = 0;  // PRIORITY sent (a local peer-reflexive candidate's priority)
  };

  // Cancelled transactions kept for late answers, at most (the oldest are forgotten).
  static constexpr size_t kMaxCancelled = 8;
  // Restarts of a timed-out check on a pair the peer's checks arrive on.
  static constexpr int kMaxRetries = 2;

  struct Session {  // the credentials of one ICE generation
    IceCredentials local;
    std::optional<stun::IntegrityKey> local_key;
    std::optional<IceCredentials> remote;
    std::optional<stun::IntegrityKey> remote_key;
  };

  // The selected pair of the previous generation, kept across an ICE restart (RFC 8445 §9).
  struct PreviousPath {
    IceCandidatePair info;
    TransportProtocol protocol = TransportProtocol::kUdp;
    uint32_t check_priority = 0;
    Session session;
    Timestamp last_received;
    Timestamp last_consent;
    Timestamp next_consent;
  };

  struct FoundationKey {
    CandidateType type;
    IpAddress base;
    IpAddress server;
    TransportProtocol protocol;
    std::string foundation;
  };

  Impl(IceAgentConfig config, Random& random) : config_(std::move(config)), random_(random) {
    role_ = config_.mode == IceMode::kLite ? IceRole::kControlled : config_.role;
    tie_breaker_ = random_.NextU64();
    bucket_tokens_ = config_.unknown_source_burst;
  }

  // ----- public API ---------------------------------------------------------------------------------

  absl::Status Start(Timestamp now) {
    if (started_) return absl::FailedPreconditionError("ice: already started");
    if (closed_) return absl::FailedPreconditionError("ice: closed");
    if (config_.local_credentials) {
      if (!config_.local_credentials->IsValid())
        return absl::InvalidArgumentError("ice: local ufrag/pwd are not 4+/22+ ice-chars");
    } else {
      config_.local_credentials = IceCredentials::Generate(random_);
    }
    if (absl::Status s = ValidateAddresses(config_.host_addresses); !s.ok()) return s;
    if (absl::Status s = ValidateAddresses(config_.tcp_passive_addresses); !s.ok()) return s;
    for (const SocketAddress& server : config_.stun_servers) {
      if (!server.is_set() || server.port() == 0)
        return absl::InvalidArgumentError("ice: STUN server address without IP or port");
    }
    if (config_.ta <= Duration::Zero() || config_.min_rto <= Duration::Zero() ||
        config_.max_transmissions < 1) {
      return absl::InvalidArgumentError("ice: Ta, RTO and transmissions must be positive");
    }
    if (config_.pending_relay_allocations < 0 || config_.pending_relay_allocations > 64)
      return absl::InvalidArgumentError("ice: pending_relay_allocations must be 0..64");
    relays_outstanding_ = config_.pending_relay_allocations;
    session_.local = *config_.local_credentials;
    session_.local_key = stun::IntegrityKey::ShortTerm(session_.local.pwd);
    started_ = true;
    last_now_ = now;
    bucket_time_ = now;
    Gather(now);
    AfterInput(now);
    return absl::OkStatus();
  }

  const IceCredentials& local_credentials() const {
    return started_ ? session_.local : *config_.local_credentials;
  }

  absl::Status SetRemoteCredentials(const IceCredentials& credentials, Timestamp now) {
    if (closed_) return absl::FailedPreconditionError("ice: closed");
    if (!credentials.IsValid())
      return absl::InvalidArgumentError("ice: remote ufrag/pwd are not 4+/22+ ice-chars");
    if (session_.remote && *session_.remote == credentials) return absl::OkStatus();
    if (session_.remote && started_ && !restarted_since_remote_set_) {
      // The peer restarted ICE (RFC 8445 §9): restart ourselves too.
      if (absl::Status s = RestartIce(now); !s.ok()) return s;
    }
    session_.remote = credentials;
    session_.remote_key = stun::IntegrityKey::ShortTerm(credentials.pwd);
    restarted_since_remote_set_ = false;
    if (started_) AfterInput(now);
    return absl::OkStatus();
  }

  void SetRemoteLite(bool lite) {
    remote_lite_ = lite;
    if (lite && config_.mode == IceMode::kFull && role_ != IceRole::kControlling) {
      SwitchRole(IceRole::kControlling, /*conflict=*/false);
    }
  }

  absl::Status AddRemoteCandidate(const Candidate& candidate, Timestamp now) {
    if (closed_) return absl::FailedPreconditionError("ice: closed");
    if (candidate.component != kRtpComponent)
      return absl::InvalidArgumentError("ice: only component 1 is used (rtcp-mux/BUNDLE)");
    if (candidate.protocol != TransportProtocol::kUdp && candidate.protocol != TransportProtocol::kTcp)
      return absl::InvalidArgumentError("ice: candidate transport is neither UDP nor TCP");
    if (candidate.protocol == TransportProtocol::kTcp && candidate.tcp_type == TcpType::kNone)
      return absl::InvalidArgumentError("ice: TCP candidate without tcptype");
    if (!candidate.ufrag.empty() && session_.remote && candidate.ufrag != session_.remote->ufrag)
      return absl::InvalidArgumentError("ice: candidate of another ICE generation (ufrag differs)");
    if (candidate.has_hostname()) {
      if (!candidate.is_mdns()) {
        Drop(candidate, "FQDN candidates are not resolved by the ICE agent");
        return absl::OkStatus();
      }
      if (config_.mdns_resolver == nullptr) {
        Drop(candidate, "mDNS (.local) candidate but no MdnsResolver is configured");
        return absl::OkStatus();
      }
      if (pending_mdns_.size() >= config_.max_pending_mdns)
        return absl::ResourceExhaustedError("ice: too many unresolved mDNS candidates");
      pending_mdns_.push_back(candidate);
      config_.mdns_resolver->Resolve(candidate.hostname);
      return absl::OkStatus();
    }
    if (!candidate.address.is_set() || candidate.address.ip().IsUnspecified() ||
        candidate.address.ip().IsMulticast())
      return absl::InvalidArgumentError("ice: candidate address is not a unicast IP");
    if (candidate.address.port() == 0 && candidate.tcp_type != TcpType::kActive)
      return absl::InvalidArgumentError("ice: candidate port 0");
    absl::Status s = AddResolvedRemote(candidate);
    if (started_) AfterInput(now);
    return s;
  }

  void SetRemoteEndOfCandidates(Timestamp now) {
    remote_eoc_ = true;
    if (started_ && !closed_) AfterInput(now);
  }

  void HandleMdnsResult(std::string_view hostname, std::optional<IpAddress> address, Timestamp now) {
    if (closed_) return;
    std::vector<Candidate> matched;
    for (auto it = pending_mdns_.begin(); it != pending_mdns_.end();) {
      if (it->hostname == hostname) {
        matched.push_back(std::move(*it));
        it = pending_mdns_.erase(it);
      } else {
        ++it;
      }
    }
    for (Candidate& c : matched) {
      if (!address || !address->is_set() || address->IsUnspecified()) {
        Drop(c, "mDNS name did not resolve");
        continue;
      }
      c.address = SocketAddress(*address, c.address.port());
      c.hostname.clear();
      (void)AddResolvedRemote(c);
    }
    if (started_) AfterInput(now);
  }

  absl::Status AddLocalRelayCandidate(const SocketAddress& relayed, const SocketAddress& server,
                                      Timestamp now, const SocketAddress& mapped) {
    if (!started_ || closed_) return absl::FailedPreconditionError("ice: not running");
    if (!relayed.is_set() || relayed.port() == 0 || relayed.ip().IsUnspecified())
      return absl::InvalidArgumentError("ice: relayed address without IP or port");
    if (!server.is_set() || server.port() == 0)
      return absl::InvalidArgumentError("ice: TURN server address without IP or port");
    for (const LocalCandidate& l : locals_) {
      if (l.base == relayed) return absl::AlreadyExistsError("ice: relay candidate already added");
    }
    AddRelayLocal(relayed, server, mapped);
    AfterInput(now);
    return absl::OkStatus();
  }

  void RelayAllocationDone(Timestamp now) {
    if (!started_ || closed_ || relays_outstanding_ == 0) return;
    --relays_outstanding_;
    MaybeCompleteGathering();
    AfterInput(now);
  }

  std::optional<SocketAddress> RouteOf(const SocketAddress& local) const {
    for (const LocalCandidate& l : locals_) {
      if (l.candidate.type == CandidateType::kRelay && l.base == local) return l.server;
    }
    return std::nullopt;
  }

  absl::Status RestartIce(Timestamp now) {
    if (!started_ || closed_) return absl::FailedPreconditionError("ice: not running");
    last_now_ = std::max(last_now_, now);
    if (selected_ >= 0) {
      const Pair& s = pairs_[selected_];
      PreviousPath prev;
      prev.info = PairInfo(selected_);
      prev.protocol = locals_[s.local].candidate.protocol;
      prev.check_priority = CheckPriority(s.local);
      prev.session = session_;
      prev.last_received = s.last_received;
      prev.last_consent = s.last_consent;
      prev.next_consent = next_consent_;
      previous_ = std::move(prev);
    }
    // Consent transactions of the selected pair now belong to the previous path; the rest go.
    std::vector<Transaction> kept;
    for (Transaction& t : transactions_) {
      if (t.kind == Transaction::Kind::kConsent && previous_ &&
          (t.previous_session ||
           (t.base == previous_->info.local_base && t.remote == previous_->info.remote.address))) {
        t.previous_session = true;
        t.pair = -1;
        kept.push_back(std::move(t));
      }
    }
    transactions_ = std::move(kept);
    std::vector<LocalCandidate> relays;
    for (LocalCandidate& l : locals_) {
      if (l.candidate.type == CandidateType::kRelay) relays.push_back(std::move(l));
    }
    session_ = Session{};
    session_.local = IceCredentials::Generate(random_);
    session_.local_key = stun::IntegrityKey::ShortTerm(session_.local.pwd);
    locals_.clear();
    remotes_.clear();
    pairs_.clear();
    triggered_.clear();
    gather_queue_.clear();
    gathers_outstanding_ = 0;
    pending_mdns_.clear();
    selected_ = -1;
    nominating_ = -1;
    first_valid_.reset();
    remote_eoc_ = false;
    lost_connection_ = false;
    switch_probe_started_ = false;
    restarted_since_remote_set_ = true;
    ++generation_;
    Gather(now);
    for (LocalCandidate& r : relays) AddRelayLocal(r.base, r.server, r.candidate.related_address);
    MaybeCompleteGathering();
    UpdateState(now);
    return absl::OkStatus();
  }

  void SetHostAddresses(std::vector<SocketAddress> addresses) {
    config_.host_addresses = std::move(addresses);
  }

  void HandleInput(const Datagram& d, Timestamp now) {
    if (!started_ || closed_) return;
    last_now_ = std::max(last_now_, now);
    ByteSpan payload = d.payload;
    if (d.protocol == TransportProtocol::kTcp) {
      if (payload.size() < 2 || Rfc4571FrameSize(payload) != payload.size()) {
        ++stats_.dropped_bad_stun;
        return;
      }
      payload = payload.subspan(2);
    } else if (d.protocol != TransportProtocol::kUdp) {
      ++stats_.dropped_bad_stun;
      return;
    }
    if (d.local.is_set() && FindLocalBase(d.local, d.protocol) < 0 &&
        !(previous_ && previous_->info.local_base == d.local)) {
      ++stats_.dropped_unknown_local;  // not one of our sockets: a misrouted datagram
      return;
    }
    if (stun::LooksLikeStun(payload)) {
      HandleStun(d, payload, now);
    } else {
      HandleData(d, payload, now);
    }
    AfterInput(now);
  }

  void HandleTimeout(Timestamp now) {
    if (!started_ || closed_) return;
    last_now_ = std::max(last_now_, now);
    RunTransactionTimers(now);
    if (config_.mode == IceMode::kLite) {
      if (selected_ >= 0 && now - pairs_[selected_].last_received >= config_.consent_timeout) {
        LoseSelected(now);
      }
    } else {
      ConsentTick(now);
      PreviousPathTick(now);
      if (selected_ >= 0 && SelectedSilent(now) && !switch_probe_started_) StartSwitchProbe();
    }
    AfterInput(now);
  }

  std::optional<Transmit> PollTransmit() {
    if (out_.empty()) return std::nullopt;
    Transmit t = std::move(out_.front());
    out_.pop_front();
    return t;
  }

  std::optional<IceEvent> PollEvent() {
    if (events_.empty()) return std::nullopt;
    IceEvent e = std::move(events_.front());
    events_.pop_front();
    return e;
  }

  std::optional<Timestamp> NextTimeout() const {
    if (!started_ || closed_) return std::nullopt;
    Timestamp t = Timestamp::Infinite();
    auto at = [&t](Timestamp x) { t = std::min(t, x); };
    for (const Transaction& tx : transactions_) at(tx.next);
    const Timestamp now = last_now_;
    if (config_.mode == IceMode::kLite) {
      if (selected_ >= 0) {
        const Pair& s = pairs_[selected_];
        if (!SelectedSilent(now)) at(s.last_received + config_.lite_disconnected_timeout);
        at(s.last_received + config_.consent_timeout);
      }
    } else {
      if (HasPacedWork(now)) at(next_pace_);
      if (NominationWaiting(now)) at(*first_valid_ + config_.nomination_delay);
      if (NomineeNow(now) >= 0) at(now);
      if (selected_ >= 0) {
        const Pair& s = pairs_[selected_];
        at(next_consent_);
        if (!HasConsentTransaction(false)) at(s.last_received + config_.disconnected_timeout / 2);
        at(s.last_consent + config_.consent_timeout);
        if (!SelectedSilent(now)) at(s.last_received + config_.disconnected_timeout);
      }
      if (previous_) {
        at(previous_->next_consent);
        at(previous_->last_consent + config_.consent_timeout);
        if (now - previous_->last_received < config_.disconnected_timeout)
          at(previous_->last_received + config_.disconnected_timeout);
      }
    }
    if (t.is_infinite()) return std::nullopt;
    return t;
  }

  absl::Status Send(ByteSpan payload, Timestamp now) { return SendOwned(payload, nullptr, now); }
  absl::Status Send(std::vector<uint8_t>&& payload, Timestamp now) {
    return SendOwned(payload, &payload, now);
  }

  // `owned`, when set, holds `payload`'s bytes and may be taken.
  absl::Status SendOwned(ByteSpan payload, std::vector<uint8_t>* owned, Timestamp now) {
    if (closed_) return absl::FailedPreconditionError("ice: closed");
    SocketAddress base, remote;
    TransportProtocol protocol;
    if (selected_ >= 0) {
      const Pair& s = pairs_[selected_];
      base = locals_[s.local].base;
      remote = remotes_[s.remote].address;
      protocol = locals_[s.local].candidate.protocol;
    } else if (previous_) {
      base = previous_->info.local_base;
      remote = previous_->info.remote.address;
      protocol = previous_->protocol;
    } else {
      return absl::FailedPreconditionError("ice: no selected pair (or consent lost)");
    }
    if (protocol == TransportProtocol::kTcp && payload.size() > 0xFFFF)
      return absl::InvalidArgumentError("ice: more than 65535 bytes in one TCP frame");
    EmitTransmit(base, remote, protocol, payload, owned);
    return absl::OkStatus();
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    out_.clear();
    transactions_.clear();
    triggered_.clear();
    selected_ = -1;
    previous_.reset();
    SetState(IceConnectionState::kClosed);
  }

  bool Owns(const Datagram& d) const {
    if (!started_ || closed_) return false;
    if (FindRemote(d.remote, d.protocol) >= 0) return true;
    if (previous_ && previous_->info.remote.address == d.remote) return true;
    ByteSpan payload = d.payload;
    if (d.protocol == TransportProtocol::kTcp) {
      if (payload.size() < 2) return false;
      payload = payload.subspan(2);
    }
    if (std::optional<std::string_view> ufrag = LocalUfragOf(payload)) {
      return *ufrag == session_.local.ufrag || (previous_ && *ufrag == previous_->session.local.ufrag);
    }
    if (!stun::LooksLikeStun(payload)) return false;
    stun::TransactionId id;
    std::copy(payload.begin() + 8, payload.begin() + 20, id.bytes.begin());
    return FindTransaction(id) >= 0;
  }

  bool has_selected_pair() const { return selected_ >= 0 || previous_.has_value(); }
  std::optional<IceCandidatePair> selected_pair() const {
    if (selected_ >= 0) return PairInfo(selected_);
    if (previous_) return previous_->info;
    return std::nullopt;
  }

  std::vector<Candidate> local_candidates() const {
    std::vector<Candidate> out;
    for (const LocalCandidate& l : locals_) out.push_back(l.candidate);
    return out;
  }
  std::vector<Candidate> remote_candidates() const { return remotes_; }
  std::vector<IceCandidatePairStats> candidate_pairs() const {
    std::vector<IceCandidatePairStats> out;
    for (size_t i = 0; i < pairs_.size(); ++i) {
      const Pair& p = pairs_[i];
      out.push_back(IceCandidatePairStats{PairInfo(static_cast<int>(i)), p.state, p.in_check_list, p.valid,
                                          p.nominated, static_cast<int>(i) == selected_});
    }
    return out;
  }
  size_t pair_count() const { return pairs_.size(); }
  size_t remote_candidate_count() const { return remotes_.size(); }
  size_t pending_transaction_count() const { return transactions_.size(); }

  IceRole role() const { return role_; }
  IceMode mode() const { return config_.mode; }
  uint64_t tie_breaker() const { return tie_breaker_; }
  IceConnectionState state() const { return state_; }
  IceGatheringState gathering_state() const { return gathering_; }
  const IceAgentStats& stats() const { return stats_; }

 private:
  // ----- configuration and candidates ---------------------------------------------------------------

  static absl::Status ValidateAddresses(const std::vector<SocketAddress>& addresses) {
    for (size_t i = 0; i < addresses.size(); ++i) {
      const SocketAddress& a = addresses[i];
      if (!a.is_set() || a.ip().IsUnspecified() || a.port() == 0)
        return absl::InvalidArgumentError(
            absl::StrCat("ice: host address ", a.ToString(), " is not a bound unicast address"));
      for (size_t j = 0; j < i; ++j) {
        if (addresses[j] == a)
          return absl::InvalidArgumentError(absl::StrCat("ice: duplicate address ", a.ToString()));
      }
    }
    return absl::OkStatus();
  }

  std::string Foundation(CandidateType type, const IpAddress& base, const IpAddress& server,
                         TransportProtocol protocol) {
    for (const FoundationKey& k : foundations_) {
      if (k.type == type && k.base == base && k.server == server && k.protocol == protocol)
        return k.foundation;
    }
    std::string f = absl::StrCat(foundations_.size() + 1);
    foundations_.push_back(FoundationKey{type, base, server, protocol, f});
    return f;
  }

  uint32_t CheckPriority(int local) const {
    // RFC 8445 §7.1.1: the priority a peer-reflexive candidate learned from this check would get.
    const LocalCandidate& l = locals_[local];
    return ComputeCandidatePriority(kTypePreferencePeerReflexive, l.local_preference, l.candidate.component);
  }

  void Gather(Timestamp now) {
    gathering_ = IceGatheringState::kGathering;
    std::vector<IpAddress> ips;
    for (const SocketAddress& a : config_.host_addresses) ips.push_back(a.ip());
    for (const SocketAddress& a : config_.tcp_passive_addresses) ips.push_back(a.ip());
    std::vector<uint32_t> prefs = ComputeLocalPreferences(ips);
    size_t k = 0;
    for (const SocketAddress& a : config_.host_addresses) {
      LocalCandidate l;
      l.candidate.type = CandidateType::kHost;
      l.candidate.protocol = TransportProtocol::kUdp;
      l.candidate.address = a;
      l.candidate.foundation = Foundation(CandidateType::kHost, a.ip(), {}, TransportProtocol::kUdp);
      l.local_preference = prefs[k++];
      l.candidate.priority = ComputeCandidatePriority(CandidateType::kHost, l.local_preference);
      l.base = a;
      AddLocal(std::move(l), /*emit=*/true);
    }
    for (const SocketAddress& a : config_.tcp_passive_addresses) {
      LocalCandidate l;
      l.candidate.type = CandidateType::kHost;
      l.candidate.protocol = TransportProtocol::kTcp;
      l.candidate.tcp_type = TcpType::kPassive;
      l.candidate.address = a;
      l.candidate.foundation = Foundation(CandidateType::kHost, a.ip(), {}, TransportProtocol::kTcp);
      l.local_preference = TcpLocalPreference(TcpType::kPassive, prefs[k++] >> 3);
      l.candidate.priority = ComputeCandidatePriority(CandidateType::kHost, l.local_preference);
      l.base = a;
      AddLocal(std::move(l), /*emit=*/true);
    }
    if (config_.mode == IceMode::kFull) {
      for (size_t i = 0; i < locals_.size(); ++i) {
        const LocalCandidate& l = locals_[i];
        if (l.candidate.type != CandidateType::kHost || l.candidate.protocol != TransportProtocol::kUdp)
          continue;
        for (const SocketAddress& server : config_.stun_servers) {
          if (server.family() == l.base.family()) gather_queue_.push_back({static_cast<int>(i), server});
        }
      }
    }
    gathers_outstanding_ = gather_queue_.size();
    next_pace_ = now;
    gathering_complete_emitted_ = false;
    MaybeCompleteGathering();
  }

  void MaybeCompleteGathering() {
    if (gathers_outstanding_ == 0 && relays_outstanding_ == 0 && !gathering_complete_emitted_) {
      gathering_complete_emitted_ = true;
      gathering_ = IceGatheringState::kComplete;
      events_.push_back(IceGatheringComplete{});
    }
  }

  int AddLocal(LocalCandidate l, bool emit) {
    if (emit) events_.push_back(IceCandidateGathered{l.candidate});
    locals_.push_back(std::move(l));
    int index = static_cast<int>(locals_.size()) - 1;
    for (size_t r = 0; r < remotes_.size(); ++r) MaybeAddPair(index, static_cast<int>(r));
    return index;
  }

  void AddRelayLocal(const SocketAddress& relayed, const SocketAddress& server, const SocketAddress& mapped) {
    LocalCandidate l;
    l.candidate.type = CandidateType::kRelay;
    l.candidate.protocol = TransportProtocol::kUdp;
    l.candidate.address = relayed;
    l.candidate.related_address =
        mapped.is_set() ? mapped
                        : SocketAddress(relayed.ip().is_v6() ? IpAddress::AnyV6() : IpAddress::AnyV4(), 0);
    l.candidate.foundation =
        Foundation(CandidateType::kRelay, relayed.ip(), server.ip(), TransportProtocol::kUdp);
    l.local_preference = relayed.ip().is_v6() ? 65535 : 65535 - 256;
    l.candidate.priority = ComputeCandidatePriority(CandidateType::kRelay, l.local_preference);
    l.base = relayed;
    l.server = server;
    AddLocal(std::move(l), /*emit=*/true);
  }

  void Drop(const Candidate& c, std::string_view reason) {
    TERN_LOG(kInfo) << "ice: dropping remote candidate " << c.hostname << ": " << reason;
    events_.push_back(IceCandidateDropped{c, std::string(reason)});
  }

  absl::Status AddResolvedRemote(const Candidate& c) {
    int existing = FindRemote(c.address, c.protocol);
    if (existing >= 0) {
      Candidate& r = remotes_[existing];
      if (r.type == CandidateType::kPeerReflexive && c.type != CandidateType::kPeerReflexive) {
        // A signaled candidate we had learned from a check: take its signaled identity.
        r.type = c.type;
        r.foundation = c.foundation;
        r.priority = c.priority;
        r.related_address = c.related_address;
        r.tcp_type = c.tcp_type == TcpType::kNone ? r.tcp_type : c.tcp_type;
        RecomputePriorities();
      }
      return absl::OkStatus();
    }
    if (remotes_.size() >= config_.max_remote_candidates)
      return absl::ResourceExhaustedError("ice: too many remote candidates");
    remotes_.push_back(c);
    int index = static_cast<int>(remotes_.size()) - 1;
    for (size_t l = 0; l < locals_.size(); ++l) MaybeAddPair(static_cast<int>(l), index);
    return absl::OkStatus();
  }

  int FindRemote(const SocketAddress& address, TransportProtocol protocol) const {
    for (size_t i = 0; i < remotes_.size(); ++i) {
      if (remotes_[i].address == address && remotes_[i].protocol == protocol) return static_cast<int>(i);
    }
    return -1;
  }

  // The host, relay or passive-TCP candidate whose socket is `base`.
  int FindLocalBase(const SocketAddress& base, TransportProtocol protocol) const {
    for (size_t i = 0; i < locals_.size(); ++i) {
      const LocalCandidate& l = locals_[i];
      if (l.base == base && l.candidate.protocol == protocol &&
          (l.candidate.type == CandidateType::kHost || l.candidate.type == CandidateType::kRelay))
        return static_cast<int>(i);
    }
    return -1;
  }

  // ----- pairs --------------------------------------------------------------------------------------

  uint64_t PairPriority(int local, int remote) const {
    uint32_t l = locals_[local].candidate.priority, r = remotes_[remote].priority;
    return role_ == IceRole::kControlling ? ComputePairPriority(l, r) : ComputePairPriority(r, l);
  }

  void RecomputePriorities() {
    for (Pair& p : pairs_) p.priority = PairPriority(p.local, p.remote);
  }

  bool SameFoundation(const Pair& a, const Pair& b) const {
    return locals_[a.local].candidate.foundation == locals_[b.local].candidate.foundation &&
           remotes_[a.remote].foundation == remotes_[b.remote].foundation;
  }

  int FindPair(int local, int remote) const {
    for (size_t i = 0; i < pairs_.size(); ++i) {
      if (pairs_[i].local == local && pairs_[i].remote == remote) return static_cast<int>(i);
    }
    return -1;
  }

  // RFC 8445 §6.1.2.2 pairing with the §6.1.2.4 pruning folded in: server- and peer-reflexive local
  // candidates are never paired (their pairs would be the host pairs of their base, redundant).
  void MaybeAddPair(int local, int remote) {
    const LocalCandidate& l = locals_[local];
    const Candidate& r = remotes_[remote];
    if (l.candidate.type != CandidateType::kHost && l.candidate.type != CandidateType::kRelay) return;
    if (l.candidate.component != r.component || l.candidate.protocol != r.protocol) return;
    if (l.base.family() != r.address.family()) return;
    if (l.candidate.protocol == TransportProtocol::kTcp &&
        !(l.candidate.tcp_type == TcpType::kPassive && r.tcp_type == TcpType::kActive))
      return;
    if (l.base.ip().IsLinkLocal() != r.address.ip().IsLinkLocal()) return;
    if (FindPair(local, remote) >= 0) return;
    if (pairs_.size() >= config_.max_pairs) {
      TERN_LOG(kVerbose) << "ice: pair limit reached";
      return;
    }
    Pair p;
    p.local = local;
    p.remote = remote;
    p.priority = PairPriority(local, remote);
    p.state = PairState::kWaiting;
    for (const Pair& q : pairs_) {
      if (q.in_check_list && SameFoundation(p, q) &&
          (q.state == PairState::kWaiting || q.state == PairState::kInProgress)) {
        p.state = PairState::kFrozen;
        break;
      }
    }
    pairs_.push_back(p);
  }

  int CreateValidPair(int local, int remote) {
    if (pairs_.size() >= config_.max_pairs) return -1;
    Pair p;
    p.local = local;
    p.remote = remote;
    p.priority = PairPriority(local, remote);
    p.state = PairState::kSucceeded;
    p.in_check_list = false;
    pairs_.push_back(p);
    return static_cast<int>(pairs_.size()) - 1;
  }

  bool Checkable(const Pair& p) const {
    // A passive TCP candidate cannot open connections: its pairs are checked only once the peer
    // connected and sent a check (a triggered check then goes back on that connection).
    return !(locals_[p.local].candidate.protocol == TransportProtocol::kTcp);
  }

  // Whether ordinary checks still run for this pair: before selection all of them, after it only
  // better pairs (RFC 8445 §8.1.2 stops the lower ones), and all again once the selected pair is silent.
  bool OrdinaryEligible(const Pair& p, Timestamp now) const {
    if (!p.in_check_list || !Checkable(p)) return false;
    if (p.state != PairState::kWaiting && p.state != PairState::kFrozen) return false;
    if (selected_ < 0) return true;
    return p.priority > pairs_[selected_].priority || SelectedSilent(now);
  }

  int PickOrdinary(Timestamp now) const {
    if (config_.mode != IceMode::kFull || !session_.remote) return -1;
    int waiting = -1, frozen = -1;
    for (size_t i = 0; i < pairs_.size(); ++i) {
      const Pair& p = pairs_[i];
      if (!OrdinaryEligible(p, now)) continue;
      int& best = p.state == PairState::kWaiting ? waiting : frozen;
      if (best < 0 || p.priority > pairs_[best].priority) best = static_cast<int>(i);
    }
    return waiting >= 0 ? waiting : frozen;
  }

  bool TriggeredReady(int index) const {
    const Pair& p = pairs_[index];
    if (p.use_candidate) return true;  // a nomination restarts an in-progress check
    return p.state == PairState::kWaiting;
  }

  // A check-list pair that still has a check to run or running.
  bool Pending(const Pair& p) const {
    if (!p.in_check_list) return false;
    if (p.state == PairState::kInProgress || p.queued) return true;
    return (p.state == PairState::kWaiting || p.state == PairState::kFrozen) && Checkable(p);
  }

  int PeekTriggered() const {
    if (config_.mode != IceMode::kFull || !session_.remote) return -1;
    for (int index : triggered_) {
      if (TriggeredReady(index)) return index;
    }
    return -1;
  }

  void EnqueueTriggered(int index) {
    Pair& p = pairs_[index];
    if (p.queued) return;
    p.queued = true;
    triggered_.push_back(index);
  }

  bool HasPacedWork(Timestamp now) const {
    return !gather_queue_.empty() || PeekTriggered() >= 0 || PickOrdinary(now) >= 0;
  }

  void SendPaced(Timestamp now) {
    if (config_.mode != IceMode::kFull) return;
    if (!config_.pace_nomination && now < next_pace_ && session_.remote && !triggered_.empty() &&
        pairs_[triggered_.front()].use_candidate) {
      // The nomination goes out now, without waiting for the Ta slot (see IceAgentConfig). The
      // slot is not consumed: it is one packet on a pair already proven to work.
      int index = triggered_.front();
      triggered_.pop_front();
      pairs_[index].queued = false;
      StartCheck(index, now);
    }
    if (now < next_pace_) return;
    if (session_.remote) {
      while (!triggered_.empty()) {
        int index = triggered_.front();
        triggered_.pop_front();
        pairs_[index].queued = false;
        if (TriggeredReady(index)) {
          StartCheck(index, now);
          next_pace_ = now + config_.ta;
          return;
        }
      }
    }
    if (!gather_queue_.empty()) {
      auto [local, server] = gather_queue_.front();
      gather_queue_.pop_front();
      StartGather(local, server, now);
      next_pace_ = now + config_.ta;
      return;
    }
    int index = PickOrdinary(now);
    if (index >= 0) {
      pairs_[index].state = PairState::kWaiting;  // unfreeze (§6.1.4.2)
      StartCheck(index, now);
      next_pace_ = now + config_.ta;
    }
  }

  // ----- transmitting -------------------------------------------------------------------------------

  // `owned`, when set, holds `payload`'s bytes: over UDP it becomes the payload without a copy.
  void EmitTransmit(const SocketAddress& base, const SocketAddress& remote, TransportProtocol protocol,
                    ByteSpan payload, std::vector<uint8_t>* owned = nullptr) {
    Transmit t;
    t.local = base;
    t.remote = remote;
    t.protocol = protocol;
    if (protocol == TransportProtocol::kTcp) {
      t.payload = Rfc4571Frame(payload);
    } else if (owned != nullptr) {
      t.payload = std::move(*owned);
    } else {
      t.payload.assign(payload.begin(), payload.end());
    }
    out_.push_back(std::move(t));
  }

  // A Binding request of a check or consent transaction (RFC 8445 §7.2.2, §7.1.1-§7.1.2).
  std::vector<uint8_t> BuildRequest(const stun::TransactionId& id, const Session& session, uint32_t priority,
                                    bool use_candidate) {
    std::vector<uint8_t> buffer(kMaxMessageSize);
    stun::MessageBuilder b(buffer, {stun::MessageClass::kRequest, stun::method::kBinding}, id);
    std::string username = absl::StrCat(session.remote->ufrag, ":", session.local.ufrag);
    b.AddText(stun::attr::kUsername, username);
    b.AddU32(stun::attr::kPriority, priority);
    b.AddU64(role_ == IceRole::kControlling ? stun::attr::kIceControlling : stun::attr::kIceControlled,
             tie_breaker_);
    if (use_candidate) b.AddFlag(stun::attr::kUseCandidate);
    if (!config_.software.empty()) b.AddText(stun::attr::kSoftware, config_.software);
    absl::StatusOr<ByteSpan> wire = b.Finish({.integrity = &*session.remote_key, .fingerprint = true});
    if (!wire.ok()) {
      TERN_LOG(kError) << "ice: building a check failed: " << wire.status().ToString();
      return {};
    }
    buffer.resize(wire->size());
    return buffer;
  }

  void StartTransaction(Transaction tx, Timestamp now) {
    tx.sent = 1;
    tx.next = now + tx.rto;
    EmitTransmit(tx.base, tx.remote, tx.protocol, tx.wire);
    transactions_.push_back(std::move(tx));
  }

  Duration CheckRto() const {
    // RFC 8445 §14.3: RTO = MAX(500 ms, Ta * (Num-Waiting + Num-In-Progress)).
    int64_t n = 0;
    for (const Pair& p : pairs_) {
      if (p.state == PairState::kWaiting || p.state == PairState::kInProgress) ++n;
    }
    return std::max(config_.min_rto, config_.ta * n);
  }

  // RFC 8445 §7.3.1.4 cancellation: the pair's checks stop retransmitting but keep listening.
  void CancelPairTransactions(int pair) {
    size_t cancelled = 0;
    for (const Transaction& t : transactions_) cancelled += t.cancelled ? 1 : 0;
    for (Transaction& t : transactions_) {
      if (t.kind == Transaction::Kind::kCheck && t.pair == pair && !t.cancelled) {
        t.cancelled = true;
        ++cancelled;
      }
    }
    while (cancelled > kMaxCancelled) {
      auto oldest = std::find_if(transactions_.begin(), transactions_.end(),
                                 [](const Transaction& t) { return t.cancelled; });
      transactions_.erase(oldest);
      --cancelled;
    }
  }

  bool HasLiveCheck(int pair) const {
    for (const Transaction& t : transactions_) {
      if (t.kind == Transaction::Kind::kCheck && t.pair == pair && !t.cancelled) return true;
    }
    return false;
  }

  bool NominationInFlight(int pair) const {
    for (const Transaction& t : transactions_) {
      if (t.kind == Transaction::Kind::kCheck && t.pair == pair && !t.cancelled && t.use_candidate)
        return true;
    }
    return false;
  }

  void StartCheck(int index, Timestamp now) {
    CancelPairTransactions(index);
    Pair& p = pairs_[index];
    Transaction tx;
    tx.id = stun::TransactionId::Generate(random_);
    tx.kind = Transaction::Kind::kCheck;
    tx.pair = index;
    tx.base = locals_[p.local].base;
    tx.remote = remotes_[p.remote].address;
    tx.protocol = locals_[p.local].candidate.protocol;
    tx.use_candidate = p.use_candidate && role_ == IceRole::kControlling;
    tx.role = role_;
    tx.priority = CheckPriority(p.local);
    tx.rto = CheckRto();
    tx.rto_cap = std::max(tx.rto, config_.max_rto);
    tx.wire = BuildRequest(tx.id, session_, tx.priority, tx.use_candidate);
    p.use_candidate = false;
    p.state = PairState::kInProgress;
    if (tx.wire.empty()) {
      p.state = PairState::kFailed;
      return;
    }
    ++stats_.checks_sent;
    StartTransaction(std::move(tx), now);
  }

  void StartGather(int local, const SocketAddress& server, Timestamp now) {
    Transaction tx;
    tx.id = stun::TransactionId::Generate(random_);
    tx.kind = Transaction::Kind::kGather;
    tx.base = locals_[local].base;
    tx.remote = server;
    tx.rto = config_.min_rto;
    tx.rto_cap = std::max(tx.rto, config_.max_rto);
    std::vector<uint8_t> buffer(kMaxMessageSize);
    stun::MessageBuilder b(buffer, {stun::MessageClass::kRequest, stun::method::kBinding}, tx.id);
    if (!config_.software.empty()) b.AddText(stun::attr::kSoftware, config_.software);
    absl::StatusOr<ByteSpan> wire = b.Finish({.fingerprint = true});
    if (!wire.ok()) {
      --gathers_outstanding_;
      MaybeCompleteGathering();
      return;
    }
    buffer.resize(wire->size());
    tx.wire = std::move(buffer);
    StartTransaction(std::move(tx), now);
  }

  void SendConsent(const SocketAddress& base, const SocketAddress& remote, TransportProtocol protocol,
                   const Session& session, uint32_t priority, bool previous, int pair, Timestamp now) {
    Transaction tx;
    tx.id = stun::TransactionId::Generate(random_);
    tx.kind = Transaction::Kind::kConsent;
    tx.previous_session = previous;
    tx.pair = pair;
    tx.base = base;
    tx.remote = remote;
    tx.protocol = protocol;
    tx.role = role_;
    tx.priority = priority;
    tx.rto = config_.min_rto;
    tx.rto_cap = std::max(tx.rto, config_.max_rto);
    tx.wire = BuildRequest(tx.id, session, priority, /*use_candidate=*/false);
    if (tx.wire.empty()) return;
    ++stats_.consent_checks_sent;
    StartTransaction(std::move(tx), now);
  }

  bool HasConsentTransaction(bool previous) const {
    for (const Transaction& t : transactions_) {
      if (t.kind == Transaction::Kind::kConsent && t.previous_session == previous) return true;
    }
    return false;
  }

  Duration ConsentJitter() {
    // RFC 7675 §5.1: uniformly in [0.8, 1.2] of the interval.
    int64_t base = config_.consent_interval.us();
    int64_t span = base * 2 / 5;
    int64_t offset = span > 0 ? static_cast<int64_t>(random_.Uniform(static_cast<uint64_t>(span) + 1)) : 0;
    return Duration::Micros(base * 4 / 5 + offset);
  }

  // ----- timers -------------------------------------------------------------------------------------

  void RunTransactionTimers(Timestamp now) {
    for (size_t i = 0; i < transactions_.size();) {
      Transaction& tx = transactions_[i];
      if (tx.next > now) {
        ++i;
        continue;
      }
      if (tx.cancelled) {
        transactions_.erase(transactions_.begin() + static_cast<ptrdiff_t>(i));
        continue;
      }
      if (tx.sent < config_.max_transmissions) {
        tx.rto = std::min(tx.rto * 2, tx.rto_cap);
        tx.next = now + tx.rto;
        ++tx.sent;
        ++stats_.retransmissions;
        EmitTransmit(tx.base, tx.remote, tx.protocol, tx.wire);
        ++i;
        continue;
      }
      Transaction done = std::move(tx);
      transactions_.erase(transactions_.begin() + static_cast<ptrdiff_t>(i));
      OnTransactionTimeout(done);
    }
  }

  void OnTransactionTimeout(const Transaction& tx) {
    switch (tx.kind) {
      case Transaction::Kind::kGather:
        --gathers_outstanding_;
        MaybeCompleteGathering();
        break;
      case Transaction::Kind::kCheck: {
        Pair& p = pairs_[tx.pair];
        if (p.state == PairState::kInProgress && !HasLiveCheck(tx.pair)) {
          // The peer's authenticated checks reach us on this pair: the path works at least one way, so
          // our checks or their answers were lost rather than blocked. Try again (bounded) before failing.
          if (p.peer_checked && *p.peer_checked + config_.consent_timeout > tx.next &&
              p.retries < kMaxRetries) {
            ++p.retries;
            p.state = PairState::kWaiting;
            EnqueueTriggered(tx.pair);
          } else {
            p.state = PairState::kFailed;
          }
        }
        if (tx.use_candidate) nominating_ = -1;  // a later decision nominates again
        break;
      }
      case Transaction::Kind::kConsent:
        break;  // consent expires by its own timer
    }
  }

  bool SelectedSilent(Timestamp now) const {
    if (selected_ < 0) return false;
    Duration limit =
        config_.mode == IceMode::kLite ? config_.lite_disconnected_timeout : config_.disconnected_timeout;
    return now - pairs_[selected_].last_received >= limit;
  }

  void ConsentTick(Timestamp now) {
    if (selected_ < 0) return;
    Pair& s = pairs_[selected_];
    if (now - s.last_consent >= config_.consent_timeout) {
      LoseSelected(now);
      return;
    }
    bool due = now >= next_consent_;
    bool probe = now - s.last_received >= config_.disconnected_timeout / 2;
    if ((due || probe) && !HasConsentTransaction(false)) {
      SendConsent(locals_[s.local].base, remotes_[s.remote].address, locals_[s.local].candidate.protocol,
                  session_, CheckPriority(s.local), false, selected_, now);
      next_consent_ = now + ConsentJitter();
    } else if (due) {
      next_consent_ = now + ConsentJitter();
    }
  }

  void PreviousPathTick(Timestamp now) {
    if (!previous_) return;
    if (now - previous_->last_consent >= config_.consent_timeout) {
      TERN_LOG(kInfo) << "ice: consent lost on the pre-restart path";
      previous_.reset();
      transactions_.erase(std::remove_if(transactions_.begin(), transactions_.end(),
                                         [](const Transaction& t) { return t.previous_session; }),
                          transactions_.end());
      return;
    }
    if (now >= previous_->next_consent) {
      if (!HasConsentTransaction(true)) {
        SendConsent(previous_->info.local_base, previous_->info.remote.address, previous_->protocol,
                    previous_->session, previous_->check_priority, true, -1, now);
      }
      previous_->next_consent = now + ConsentJitter();
    }
  }

  // The selected pair lost consent (RFC 7675 §5.1) or, in lite mode, went silent for the consent
  // timeout: stop using it.
  void LoseSelected(Timestamp now) {
    int dead = selected_;
    TERN_LOG(kInfo) << "ice: consent lost on the selected pair";
    Pair& s = pairs_[dead];
    s.valid = false;
    s.nominated = false;
    s.state = PairState::kFailed;
    if (s.generator >= 0) pairs_[s.generator].state = PairState::kFailed;
    transactions_.erase(std::remove_if(transactions_.begin(), transactions_.end(),
                                       [](const Transaction& t) {
                                         return t.kind == Transaction::Kind::kConsent && !t.previous_session;
                                       }),
                        transactions_.end());
    selected_ = -1;
    lost_connection_ = true;
    switch_probe_started_ = false;
    // A nominated pair that is still fresh takes over at once (controlled side: the peer's choice).
    int best = -1;
    for (size_t i = 0; i < pairs_.size(); ++i) {
      const Pair& p = pairs_[i];
      if (static_cast<int>(i) == dead || !p.valid || !p.nominated) continue;
      if (now - p.last_received >= config_.disconnected_timeout) continue;
      if (best < 0 || p.priority > pairs_[best].priority) best = static_cast<int>(i);
    }
    if (best >= 0) SelectPair(best, now);
  }

  // The selected pair went silent: re-check the other pairs so a live one can take over (§8.1.2).
  void StartSwitchProbe() {
    switch_probe_started_ = true;
    for (size_t i = 0; i < pairs_.size(); ++i) {
      Pair& p = pairs_[i];
      if (static_cast<int>(i) == selected_ || !p.in_check_list) continue;
      if (p.state == PairState::kSucceeded || p.state == PairState::kFailed) {
        if (p.valid_pair == selected_) continue;
        p.state = PairState::kWaiting;
        EnqueueTriggered(static_cast<int>(i));
      }
    }
  }

  // ----- nomination and selection -------------------------------------------------------------------

  bool Fresh(const Pair& p, Timestamp now) const {
    return now - p.last_consent < config_.disconnected_timeout;
  }

  // The best valid pair the controlling agent could nominate now, or -1.
  int BestNominee(Timestamp now) const {
    bool silent = SelectedSilent(now);
    int best = -1;
    for (size_t i = 0; i < pairs_.size(); ++i) {
      const Pair& p = pairs_[i];
      if (!p.valid || (!p.in_check_list && p.generator < 0)) continue;
      if (silent && (static_cast<int>(i) == selected_ || !Fresh(p, now))) continue;
      if (p.generator >= 0 && pairs_[p.generator].state == PairState::kFailed) continue;
      if (best < 0 || p.priority > pairs_[best].priority) best = static_cast<int>(i);
    }
    return best;
  }

  bool HigherPending(uint64_t priority, Timestamp now) const {
    for (const Pair& p : pairs_) {
      if (p.priority > priority && Pending(p)) return true;
    }
    return false;
  }

  // The controlling agent is holding back a nomination until better pairs finish or the delay ends.
  bool NominationWaiting(Timestamp now) const {
    if (role_ != IceRole::kControlling || config_.mode != IceMode::kFull) return false;
    if (selected_ >= 0 || nominating_ >= 0 || !first_valid_) return false;
    int best = BestNominee(now);
    return best >= 0 && HigherPending(pairs_[best].priority, now) &&
           now < *first_valid_ + config_.nomination_delay;
  }

  // The valid pair the controlling agent nominates now (RFC 8445 §8.1.1), or -1. NextTimeout asks
  // too, so a nomination that became possible is never left waiting for an unrelated event.
  int NomineeNow(Timestamp now) const {
    if (role_ != IceRole::kControlling || config_.mode != IceMode::kFull) return -1;
    if (nominating_ >= 0 || !session_.remote) return -1;
    int best = BestNominee(now);
    if (best < 0 || best == selected_) return -1;
    if (selected_ >= 0) {
      bool better = config_.renominate_better_pairs && pairs_[best].priority > pairs_[selected_].priority;
      if (!better && !SelectedSilent(now)) return -1;
    } else if (HigherPending(pairs_[best].priority, now) && first_valid_ &&
               now < *first_valid_ + config_.nomination_delay) {
      return -1;
    }
    return best;
  }

  void MaybeNominate(Timestamp now) {
    int best = NomineeNow(now);
    if (best >= 0) Nominate(best);
  }

  void Nominate(int valid) {
    Pair& v = pairs_[valid];
    int check = v.in_check_list ? valid : v.generator;
    if (check < 0) return;
    pairs_[check].use_candidate = true;
    nominating_ = valid;
    // Goes first among the triggered checks.
    if (pairs_[check].queued) {
      triggered_.erase(std::find(triggered_.begin(), triggered_.end(), check));
    }
    pairs_[check].queued = true;
    triggered_.push_front(check);
  }

  // Controlled side: the peer nominated `valid` (RFC 8445 §7.3.1.5, §8.1.1; accepts aggressive
  // nomination and renomination by choosing the best nominated pair).
  void ConsiderNominated(int valid, Timestamp now) {
    Pair& v = pairs_[valid];
    v.nominated = true;
    if (selected_ == valid) return;
    if (selected_ < 0 || v.priority > pairs_[selected_].priority || SelectedSilent(now)) {
      SelectPair(valid, now);
    }
  }

  void SelectPair(int index, Timestamp now) {
    selected_ = index;
    Pair& p = pairs_[index];
    if (p.last_received < now) p.last_received = now;
    if (p.last_consent < now) p.last_consent = now;
    next_consent_ = now + ConsentJitter();
    lost_connection_ = false;
    switch_probe_started_ = false;
    if (previous_) {
      previous_.reset();
      transactions_.erase(std::remove_if(transactions_.begin(), transactions_.end(),
                                         [](const Transaction& t) { return t.previous_session; }),
                          transactions_.end());
    }
    events_.push_back(IceSelectedPairChanged{PairInfo(index)});
  }

  IceCandidatePair PairInfo(int index) const {
    const Pair& p = pairs_[index];
    IceCandidatePair info;
    info.local = locals_[p.local].candidate;
    info.remote = remotes_[p.remote];
    info.priority = p.priority;
    info.local_base = locals_[p.local].base;
    return info;
  }

  void SwitchRole(IceRole role, bool conflict) {
    if (role_ == role || config_.mode == IceMode::kLite) return;
    role_ = role;
    if (conflict) ++stats_.role_conflicts;
    RecomputePriorities();
    if (role_ == IceRole::kControlled) {
      nominating_ = -1;
      for (Pair& p : pairs_) p.use_candidate = false;
    }
    events_.push_back(IceRoleChanged{role_});
  }

  // ----- input --------------------------------------------------------------------------------------

  // Marks traffic on the selected (or pre-restart) pair.
  void Touch(const Datagram& d, Timestamp now) {
    if (selected_ >= 0) {
      Pair& s = pairs_[selected_];
      if (locals_[s.local].base == d.local && remotes_[s.remote].address == d.remote) s.last_received = now;
    }
    if (previous_ && previous_->info.local_base == d.local && previous_->info.remote.address == d.remote)
      previous_->last_received = now;
  }

  void HandleData(const Datagram& d, ByteSpan payload, Timestamp now) {
    bool known =
        FindRemote(d.remote, d.protocol) >= 0 || (previous_ && previous_->info.remote.address == d.remote);
    if (!known) {
      ++stats_.dropped_not_stun;
      return;
    }
    Touch(d, now);
    IceDataReceived e;
    e.local = d.local;
    e.remote = d.remote;
    e.protocol = d.protocol;
    e.payload.assign(payload.begin(), payload.end());
    if (selected_ >= 0) {
      const Pair& s = pairs_[selected_];
      e.on_selected_pair = locals_[s.local].base == d.local && remotes_[s.remote].address == d.remote;
    }
    events_.push_back(std::move(e));
  }

  void HandleStun(const Datagram& d, ByteSpan payload, Timestamp now) {
    absl::StatusOr<stun::MessageView> msg = stun::MessageView::Parse(payload);
    if (!msg.ok() || msg->method() != stun::method::kBinding) {
      ++stats_.dropped_bad_stun;
      return;
    }
    if (msg->has_fingerprint() && !msg->VerifyFingerprint().ok()) {
      ++stats_.dropped_bad_stun;
      return;
    }
    switch (msg->message_class()) {
      case stun::MessageClass::kRequest:
        HandleRequest(d, *msg, now);
        break;
      case stun::MessageClass::kSuccessResponse:
      case stun::MessageClass::kErrorResponse:
        HandleResponse(d, *msg, now);
        break;
      case stun::MessageClass::kIndication:
        // Keepalive (RFC 8445 §11): counts as traffic on a known pair, nothing more.
        if (FindRemote(d.remote, d.protocol) >= 0) Touch(d, now);
        break;
    }
  }

  bool RateLimitUnknown(Timestamp now) {
    double elapsed = (now - bucket_time_).seconds();
    bucket_time_ = now;
    if (elapsed > 0) {
      bucket_tokens_ =
          std::min(config_.unknown_source_burst, bucket_tokens_ + elapsed * config_.unknown_source_rate);
    }
    if (bucket_tokens_ < 1) return false;
    bucket_tokens_ -= 1;
    return true;
  }

  // Error responses are never larger than the request they answer (no amplification), carry
  // MESSAGE-INTEGRITY only when the request was authenticated, and use the short RFC reason phrases.
  void SendError(const Datagram& d, const stun::MessageView& request, int code, const stun::IntegrityKey* key,
                 std::span<const uint16_t> unknown = {}) {
    uint8_t buffer[kMaxMessageSize];
    stun::MessageBuilder b(MutableByteSpan(buffer, sizeof(buffer)),
                           {stun::MessageClass::kErrorResponse, stun::method::kBinding},
                           request.transaction_id());
    b.AddErrorCode(code);
    if (!unknown.empty()) b.AddUnknownAttributes(unknown.subspan(0, std::min<size_t>(unknown.size(), 4)));
    absl::StatusOr<ByteSpan> wire = b.Finish({.integrity = key, .fingerprint = true});
    if (!wire.ok() || wire->size() > request.bytes().size()) return;
    ++stats_.error_responses_sent;
    EmitTransmit(d.local, d.remote, d.protocol, *wire);
  }

  void SendSuccess(const Datagram& d, const stun::MessageView& request, const stun::IntegrityKey& key) {
    uint8_t buffer[kMaxMessageSize];
    stun::MessageBuilder b(MutableByteSpan(buffer, sizeof(buffer)),
                           {stun::MessageClass::kSuccessResponse, stun::method::kBinding},
                           request.transaction_id());
    b.AddXorAddress(stun::attr::kXorMappedAddress, d.remote);
    absl::StatusOr<ByteSpan> wire = b.Finish({.integrity = &key, .fingerprint = true});
    if (!wire.ok()) return;
    ++stats_.responses_sent;
    EmitTransmit(d.local, d.remote, d.protocol, *wire);
  }

  void HandleRequest(const Datagram& d, const stun::MessageView& msg, Timestamp now) {
    ++stats_.requests_received;
    bool known =
        FindRemote(d.remote, d.protocol) >= 0 || (previous_ && previous_->info.remote.address == d.remote);
    if (!known && !RateLimitUnknown(now)) {
      ++stats_.dropped_rate_limited;
      return;
    }
    // RFC 8489 §9.1.3 / RFC 8445 §7.3: short-term credentials, USERNAME "local:remote".
    absl::StatusOr<std::string_view> username = msg.GetUsername();
    if (!username.ok() || !msg.has_message_integrity()) {
      ++stats_.dropped_unauthenticated;
      SendError(d, msg, stun::error::kBadRequest, nullptr);
      return;
    }
    size_t colon = username->find(':');
    std::string_view local_ufrag = username->substr(0, colon);
    std::string_view remote_ufrag =
        colon == std::string_view::npos ? std::string_view() : username->substr(colon + 1);
    Session* session = nullptr;
    bool previous = false;
    if (colon != std::string_view::npos && local_ufrag == session_.local.ufrag) {
      session = &session_;
    } else if (colon != std::string_view::npos && previous_ &&
               local_ufrag == previous_->session.local.ufrag) {
      session = &previous_->session;
      previous = true;
    }
    if (session == nullptr || (session->remote && remote_ufrag != session->remote->ufrag) ||
        !msg.VerifyMessageIntegrity(*session->local_key).ok()) {
      ++stats_.dropped_unauthenticated;
      SendError(d, msg, stun::error::kUnauthenticated, nullptr);
      return;
    }
    // Authenticated from here on.
    std::vector<uint16_t> unknown;
    msg.CollectUnknownRequired(&unknown);
    if (!unknown.empty()) {
      SendError(d, msg, stun::error::kUnknownAttribute, &*session->local_key, unknown);
      return;
    }
    absl::StatusOr<uint32_t> priority = msg.GetPriority();
    if (!priority.ok() || *priority == 0) {
      SendError(d, msg, stun::error::kBadRequest, &*session->local_key);
      return;
    }
    if (previous) {  // the pre-restart path: answer, and note the traffic
      SendSuccess(d, msg, *session->local_key);
      Touch(d, now);
      return;
    }
    if (config_.mode == IceMode::kFull) {
      // RFC 8445 §7.3.1.1 role conflicts.
      absl::StatusOr<uint64_t> controlling = msg.GetU64(stun::attr::kIceControlling);
      absl::StatusOr<uint64_t> controlled = msg.GetU64(stun::attr::kIceControlled);
      if (role_ == IceRole::kControlling && controlling.ok()) {
        if (tie_breaker_ >= *controlling) {
          ++stats_.role_conflicts;
          SendError(d, msg, stun::error::kRoleConflict, &*session->local_key);
          return;
        }
        SwitchRole(IceRole::kControlled, true);
      } else if (role_ == IceRole::kControlled && controlled.ok()) {
        if (tie_breaker_ >= *controlled) {
          SwitchRole(IceRole::kControlling, true);
        } else {
          ++stats_.role_conflicts;
          SendError(d, msg, stun::error::kRoleConflict, &*session->local_key);
          return;
        }
      }
    }
    bool use_candidate = msg.Has(stun::attr::kUseCandidate);
    SendSuccess(d, msg, *session->local_key);
    Touch(d, now);

    // State, only now (§7.3.1.3-§7.3.1.5): the local candidate the request came in on, the remote
    // (possibly a new peer-reflexive one), the pair, a triggered check, the nomination.
    int local = FindLocalBase(d.local, d.protocol);
    if (local < 0) {
      for (size_t i = 0; i < locals_.size(); ++i) {  // the owner did not say which socket: guess
        const LocalCandidate& l = locals_[i];
        if (l.candidate.type == CandidateType::kHost && l.candidate.protocol == d.protocol &&
            l.base.family() == d.remote.family()) {
          local = static_cast<int>(i);
          break;
        }
      }
      if (local < 0) return;
    }
    int remote = FindRemote(d.remote, d.protocol);
    if (remote < 0) {
      if (remotes_.size() >= config_.max_remote_candidates) return;
      Candidate c;
      c.foundation = absl::StrCat("p", ++prflx_count_);
      c.component = kRtpComponent;
      c.protocol = d.protocol;
      c.priority = *priority;
      c.address = d.remote;
      c.type = CandidateType::kPeerReflexive;
      if (d.protocol == TransportProtocol::kTcp) c.tcp_type = TcpType::kActive;
      remotes_.push_back(c);
      remote = static_cast<int>(remotes_.size()) - 1;
      for (size_t l = 0; l < locals_.size(); ++l) {
        if (static_cast<int>(l) != local) MaybeAddPair(static_cast<int>(l), remote);
      }
    }
    int pair = FindPair(local, remote);
    if (pair < 0) {
      MaybeAddPair(local, remote);
      pair = FindPair(local, remote);
      if (pair < 0) return;  // not pairable or the pair limit
    }
    Pair& p = pairs_[pair];
    p.peer_checked = now;
    if (config_.mode == IceMode::kLite) {
      // RFC 8445 §7.3.1.5 for lite: the pair is valid as soon as an authenticated check arrives.
      p.valid = true;
      p.state = PairState::kSucceeded;
      p.last_received = now;
      p.last_consent = now;
      if (p.valid_pair < 0) p.valid_pair = pair;
      if (use_candidate) ConsiderNominated(pair, now);
      return;
    }
    switch (p.state) {  // §7.3.1.4 triggered checks
      case PairState::kSucceeded:
        break;
      case PairState::kInProgress:
        // The peer reached us: the path may work now even if our earlier transmissions were
        // filtered. Cancel (keep listening) and check again at once, unless we are nominating.
        if (!NominationInFlight(pair)) {
          CancelPairTransactions(pair);
          p.state = PairState::kWaiting;
          EnqueueTriggered(pair);
        }
        break;
      case PairState::kFailed:
      case PairState::kWaiting:
      case PairState::kFrozen:
        p.state = PairState::kWaiting;
        EnqueueTriggered(pair);
        break;
    }
    if (use_candidate && role_ == IceRole::kControlled) {
      if (p.state == PairState::kSucceeded && p.valid_pair >= 0 && pairs_[p.valid_pair].valid) {
        ConsiderNominated(p.valid_pair, now);
      } else {
        p.nominate_on_success = true;
      }
    }
  }

  int FindTransaction(const stun::TransactionId& id) const {
    for (size_t i = 0; i < transactions_.size(); ++i) {
      if (transactions_[i].id == id) return static_cast<int>(i);
    }
    return -1;
  }

  void HandleResponse(const Datagram& d, const stun::MessageView& msg, Timestamp now) {
    int index = FindTransaction(msg.transaction_id());
    if (index < 0) {
      ++stats_.dropped_unknown_transaction;
      return;
    }
    bool same_path = d.remote == transactions_[index].remote && d.local == transactions_[index].base &&
                     d.protocol == transactions_[index].protocol;
    if (transactions_[index].kind == Transaction::Kind::kGather) {
      if (!same_path) {
        ++stats_.dropped_unknown_transaction;
        return;
      }
      Transaction tx = std::move(transactions_[index]);
      transactions_.erase(transactions_.begin() + index);
      --gathers_outstanding_;
      if (msg.message_class() == stun::MessageClass::kSuccessResponse) OnGatherSuccess(tx, msg);
      MaybeCompleteGathering();
      return;
    }
    const Transaction& t = transactions_[index];
    const Session* session = t.previous_session ? (previous_ ? &previous_->session : nullptr) : &session_;
    if (session == nullptr || !session->remote_key) {
      ++stats_.dropped_unauthenticated;
      return;
    }
    bool authenticated = msg.has_message_integrity() && msg.VerifyMessageIntegrity(*session->remote_key).ok();
    if (msg.message_class() == stun::MessageClass::kSuccessResponse && !authenticated) {
      ++stats_.dropped_unauthenticated;  // keep waiting: the real answer may still come
      return;
    }
    std::optional<int> code;
    if (msg.message_class() == stun::MessageClass::kErrorResponse) {
      absl::StatusOr<stun::ErrorCodeValue> e = msg.GetErrorCode();
      if (!e.ok() || (e->code == stun::error::kRoleConflict && !authenticated)) {
        ++stats_.dropped_unauthenticated;
        return;
      }
      code = e->code;
    }
    Transaction tx = std::move(transactions_[index]);
    transactions_.erase(transactions_.begin() + index);
    if (tx.kind == Transaction::Kind::kConsent) {
      if (code || !same_path) return;
      if (tx.previous_session) {
        if (previous_) previous_->last_consent = previous_->last_received = now;
      } else if (selected_ >= 0) {
        Pair& s = pairs_[selected_];
        if (locals_[s.local].base == tx.base && remotes_[s.remote].address == tx.remote) {
          s.last_consent = now;
          s.last_received = now;
        }
      }
      return;
    }
    // A connectivity check (RFC 8445 §7.2.5).
    Pair& p = pairs_[tx.pair];
    if (tx.use_candidate) nominating_ = -1;
    if (tx.cancelled && (code || !same_path)) return;  // a newer check of the pair decides
    if (code) {
      if (*code == stun::error::kRoleConflict) {  // §7.2.5.1
        if (tx.role == role_) {
          SwitchRole(role_ == IceRole::kControlling ? IceRole::kControlled : IceRole::kControlling, true);
        }
        p.state = PairState::kWaiting;
        EnqueueTriggered(tx.pair);
      } else {
        p.state = PairState::kFailed;
      }
      return;
    }
    if (!same_path) {  // §7.2.5.2.1 non-symmetric transport addresses
      p.state = PairState::kFailed;
      return;
    }
    absl::StatusOr<SocketAddress> mapped = msg.GetXorMappedAddress();
    if (!mapped.ok()) {
      p.state = PairState::kFailed;
      return;
    }
    OnCheckSuccess(tx, *mapped, now);
  }

  void OnGatherSuccess(const Transaction& tx, const stun::MessageView& msg) {
    absl::StatusOr<SocketAddress> mapped = msg.GetXorMappedAddress();
    if (!mapped.ok()) mapped = msg.GetMappedAddress();
    if (!mapped.ok() || !mapped->is_set() || mapped->ip().IsUnspecified()) return;
    int base = FindLocalBase(tx.base, TransportProtocol::kUdp);
    if (base < 0) return;
    for (const LocalCandidate& l : locals_) {  // §5.1.3: drop redundant candidates
      if (l.candidate.address == *mapped && l.candidate.protocol == TransportProtocol::kUdp) return;
    }
    LocalCandidate l;
    l.candidate.type = CandidateType::kServerReflexive;
    l.candidate.protocol = TransportProtocol::kUdp;
    l.candidate.address = *mapped;
    l.candidate.related_address = tx.base;
    l.candidate.foundation =
        Foundation(CandidateType::kServerReflexive, tx.base.ip(), tx.remote.ip(), TransportProtocol::kUdp);
    l.local_preference = locals_[base].local_preference;
    l.candidate.priority = ComputeCandidatePriority(CandidateType::kServerReflexive, l.local_preference);
    l.base = tx.base;
    l.server = tx.remote;
    AddLocal(std::move(l), /*emit=*/true);
  }

  void OnCheckSuccess(const Transaction& tx, const SocketAddress& mapped, Timestamp now) {
    int check = tx.pair;
    int local_base = pairs_[check].local;
    // §7.2.5.3.1: the local candidate the mapped address names, or a new peer-reflexive one.
    int local = -1;
    for (size_t i = 0; i < locals_.size(); ++i) {
      if (locals_[i].candidate.address == mapped && locals_[i].candidate.protocol == tx.protocol &&
          locals_[i].base == tx.base) {
        local = static_cast<int>(i);
        break;
      }
    }
    if (local < 0) {
      LocalCandidate l;
      l.candidate.type = CandidateType::kPeerReflexive;
      l.candidate.protocol = tx.protocol;
      l.candidate.tcp_type = locals_[local_base].candidate.tcp_type;
      l.candidate.address = mapped;
      l.candidate.related_address = tx.base;
      l.candidate.priority = tx.priority;
      l.candidate.foundation = Foundation(CandidateType::kPeerReflexive, tx.base.ip(), {}, tx.protocol);
      l.local_preference = locals_[local_base].local_preference;
      l.base = tx.base;
      local = AddLocal(std::move(l), /*emit=*/false);
    }
    // §7.2.5.3.2: the valid pair.
    int remote = pairs_[check].remote;
    int valid = local == local_base ? check : FindPair(local, remote);
    if (valid < 0) valid = CreateValidPair(local, remote);
    if (valid < 0) valid = check;
    Pair& p = pairs_[check];
    p.state = PairState::kSucceeded;
    p.valid_pair = valid;
    p.last_received = now;
    Pair& v = pairs_[valid];
    v.valid = true;
    v.state = PairState::kSucceeded;
    v.generator = check;
    v.last_received = now;
    v.last_consent = now;
    if (!first_valid_) first_valid_ = now;
    // §7.2.5.3.3: unfreeze the pairs of the same foundation.
    for (Pair& q : pairs_) {
      if (q.in_check_list && q.state == PairState::kFrozen && SameFoundation(q, pairs_[check]))
        q.state = PairState::kWaiting;
    }
    if (tx.use_candidate && role_ == IceRole::kControlling) {
      pairs_[valid].nominated = true;
      SelectPair(valid, now);
    }
    if (pairs_[check].nominate_on_success) {
      pairs_[check].nominate_on_success = false;
      if (role_ == IceRole::kControlled) ConsiderNominated(valid, now);
    }
  }

  // ----- state --------------------------------------------------------------------------------------

  void AfterInput(Timestamp now) {
    if (closed_) return;
    last_now_ = std::max(last_now_, now);
    MaybeNominate(now);
    SendPaced(now);
    if (nominating_ < 0) {
      MaybeNominate(now);  // pacing may have settled what the first decision waited for
      SendPaced(now);      // and a nomination made now goes out in this slot if it is free
    }
    UpdateState(now);
  }

  bool AnyCheckPending() const {
    if (!triggered_.empty() || nominating_ >= 0) return true;
    for (const Transaction& t : transactions_) {
      if (t.kind == Transaction::Kind::kCheck) return true;
    }
    for (const Pair& p : pairs_) {
      if (Pending(p)) return true;
    }
    return false;
  }

  bool ChecksExhausted() const {
    if (config_.mode != IceMode::kFull || !session_.remote || !remote_eoc_) return false;
    if (gathering_ != IceGatheringState::kComplete || !pending_mdns_.empty()) return false;
    for (const Pair& p : pairs_) {
      if (p.valid) return false;
    }
    return !AnyCheckPending();
  }

  bool Completed() const {
    if (config_.mode != IceMode::kFull || !remote_eoc_ || gathering_ != IceGatheringState::kComplete)
      return false;
    if (nominating_ >= 0) return false;
    uint64_t selected_priority = pairs_[selected_].priority;
    for (const Transaction& t : transactions_) {
      if (t.kind == Transaction::Kind::kCheck) return false;
    }
    for (const Pair& p : pairs_) {
      if (p.priority > selected_priority && Pending(p)) return false;
    }
    return true;
  }

  void UpdateState(Timestamp now) {
    if (closed_) return;
    IceConnectionState s;
    if (selected_ >= 0) {
      s = SelectedSilent(now)
              ? IceConnectionState::kDisconnected
              : (Completed() ? IceConnectionState::kCompleted : IceConnectionState::kConnected);
    } else if (previous_) {
      s = now - previous_->last_received >= config_.disconnected_timeout ? IceConnectionState::kDisconnected
                                                                         : IceConnectionState::kConnected;
    } else if (lost_connection_) {
      s = AnyCheckPending() ? IceConnectionState::kDisconnected : IceConnectionState::kFailed;
    } else if (ChecksExhausted()) {
      s = IceConnectionState::kFailed;
    } else if ((session_.remote && !pairs_.empty()) || stats_.responses_sent > 0) {
      s = IceConnectionState::kChecking;
    } else {
      s = IceConnectionState::kNew;
    }
    SetState(s);
  }

  void SetState(IceConnectionState s) {
    if (s == state_) return;
    state_ = s;
    events_.push_back(IceStateChanged{s});
  }

  IceAgentConfig config_;
  Random& random_;
  IceRole role_;
  uint64_t tie_breaker_ = 0;
  IceConnectionState state_ = IceConnectionState::kNew;
  IceGatheringState gathering_ = IceGatheringState::kNew;
  IceAgentStats stats_;
  bool started_ = false;
  bool closed_ = false;
  bool remote_lite_ = false;
  bool restarted_since_remote_set_ = false;
  bool remote_eoc_ = false;
  bool lost_connection_ = false;
  bool switch_probe_started_ = false;
  bool gathering_complete_emitted_ = false;
  uint32_t generation_ = 0;
  Session session_;
  std::optional<PreviousPath> previous_;
  std::vector<LocalCandidate> locals_;
  std::vector<Candidate> remotes_;
  std::vector<Pair> pairs_;
  std::deque<int> triggered_;
  std::vector<Transaction> transactions_;
  std::deque<std::pair<int, SocketAddress>> gather_queue_;
  size_t gathers_outstanding_ = 0;
  int relays_outstanding_ = 0;  // config_.pending_relay_allocations not yet done
  std::vector<FoundationKey> foundations_;
  uint64_t prflx_count_ = 0;
  std::vector<Candidate> pending_mdns_;
  int selected_ = -1;
  int nominating_ = -1;
  std::optional<Timestamp> first_valid_;
  Timestamp next_pace_;
  Timestamp next_consent_;
  Timestamp last_now_;
  double bucket_tokens_ = 0;
  Timestamp bucket_time_;
  Fifo<Transmit> out_;
  Fifo<IceEvent> events_;
};

// ---------------------------------------------------------------------------------------------------

IceAgent::IceAgent(IceAgentConfig config, Random& random)
    : impl_(std::make_unique<Impl>(std::move(config), random)) {}
IceAgent::~IceAgent() = default;

absl::Status IceAgent::Start(Timestamp now) { return impl_->Start(now); }
const IceCredentials& IceAgent::local_credentials() const { return impl_->local_credentials(); }
IceRole IceAgent::role() const { return impl_->role(); }
IceMode IceAgent::mode() const { return impl_->mode(); }
uint64_t IceAgent::tie_breaker() const { return impl_->tie_breaker(); }
IceConnectionState IceAgent::state() const { return impl_->state(); }
IceGatheringState IceAgent::gathering_state() const { return impl_->gathering_state(); }
absl::Status IceAgent::SetRemoteCredentials(const IceCredentials& credentials, Timestamp now) {
  return impl_->SetRemoteCredentials(credentials, now);
}
void IceAgent::SetRemoteLite(bool lite) { impl_->SetRemoteLite(lite); }
absl::Status IceAgent::AddRemoteCandidate(const Candidate& candidate, Timestamp now) {
  return impl_->AddRemoteCandidate(candidate, now);
}
void IceAgent::SetRemoteEndOfCandidates(Timestamp now) { impl_->SetRemoteEndOfCandidates(now); }
void IceAgent::HandleMdnsResult(std::string_view hostname, std::optional<IpAddress> address, Timestamp now) {
  impl_->HandleMdnsResult(hostname, address, now);
}
absl::Status IceAgent::AddLocalRelayCandidate(const SocketAddress& relayed, const SocketAddress& server,
                                              Timestamp now, const SocketAddress& mapped) {
  return impl_->AddLocalRelayCandidate(relayed, server, now, mapped);
}
void IceAgent::RelayAllocationDone(Timestamp now) { impl_->RelayAllocationDone(now); }
std::optional<SocketAddress> IceAgent::RouteOf(const SocketAddress& local) const {
  return impl_->RouteOf(local);
}
absl::Status IceAgent::RestartIce(Timestamp now) { return impl_->RestartIce(now); }
void IceAgent::SetHostAddresses(std::vector<SocketAddress> addresses) {
  impl_->SetHostAddresses(std::move(addresses));
}
void IceAgent::HandleInput(const Datagram& datagram, Timestamp now) { impl_->HandleInput(datagram, now); }
void IceAgent::HandleTimeout(Timestamp now) { impl_->HandleTimeout(now); }
std::optional<Transmit> IceAgent::PollTransmit() { return impl_->PollTransmit(); }
std::optional<IceEvent> IceAgent::PollEvent() { return impl_->PollEvent(); }
std::optional<Timestamp> IceAgent::NextTimeout() const { return impl_->NextTimeout(); }
absl::Status IceAgent::Send(ByteSpan payload, Timestamp now) { return impl_->Send(payload, now); }
void IceAgent::Close() { impl_->Close(); }
std::optional<IceCandidatePair> IceAgent::selected_pair() const { return impl_->selected_pair(); }
bool IceAgent::has_selected_pair() const { return impl_->has_selected_pair(); }
absl::Status IceAgent::Send(std::vector<uint8_t>&& payload, Timestamp now) {
  return impl_->Send(std::move(payload), now);
}
bool IceAgent::Owns(const Datagram& datagram) const { return impl_->Owns(datagram); }
std::vector<Candidate> IceAgent::local_candidates() const { return impl_->local_candidates(); }
std::vector<Candidate> IceAgent::remote_candidates() const { return impl_->remote_candidates(); }
std::vector<IceCandidatePairStats> IceAgent::candidate_pairs() const { return impl_->candidate_pairs(); }
size_t IceAgent::pair_count() const { return impl_->pair_count(); }
size_t IceAgent::remote_candidate_count() const { return impl_->remote_candidate_count(); }
size_t IceAgent::pending_transaction_count() const { return impl_->pending_transaction_count(); }
const IceAgentStats& IceAgent::stats() const { return impl_->stats(); }

}  // namespace tern::ice
