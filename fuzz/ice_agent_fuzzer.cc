// libFuzzer harness for the sans-IO ICE agent (RFC 8445, 8838, 7675, 6544): the input is a script
// that drives one running agent with datagrams from arbitrary addresses, connectivity checks the
// harness signs with the agent's real credentials (so they get past authentication), answers to the
// agent's own outstanding requests, trickled candidates (parsed from the input as SDP text, or built
// from its bytes), end-of-candidates, relay candidates, mDNS answers, ICE restarts, application sends
// and time advances.
//
// Script: byte 0 = configuration bits (0 lite, 1 controlled, 2 STUN server, 3 remote credentials at
// start, 4 passive TCP candidate, 5 mDNS resolver); then operations, each one opcode byte (mod 11)
// followed by its operands (see Run()). Missing bytes read as zero, so every input is a valid script.
//
// Invariants (a violation traps, fuzz_check.h):
//  - bounded state: candidate pairs <= max_pairs, remote candidates <= max_remote_candidates,
//    outstanding transactions <= max_pairs + STUN servers + 2 + 8 cancelled ones, queued events and transmits
//    bounded;
//  - no timer livelock: after HandleTimeout(t), NextTimeout() is later than t;
//  - every transmit leaves from one of the agent's sockets (host, TCP or relayed address, the last
//    routed through RouteOf to its TURN server), TCP transmits are exactly one RFC 4571 frame;
//  - every STUN success response the agent sends carries MESSAGE-INTEGRITY that verifies with one of
//    its local passwords; every request it sends to a peer verifies with the remote password;
//    unauthenticated error responses are never larger than the datagram that caused them;
//  - the selected pair, if any, uses one of the agent's sockets.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "tern/base/datagram.h"
#include "tern/base/random.h"
#include "tern/ice/candidate.h"
#include "tern/ice/ice_agent.h"
#include "tern/stun/stun.h"

namespace tern::ice {
namespace {

class Script {
 public:
  Script(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool done() const { return pos_ >= size_; }
  uint8_t U8() { return pos_ < size_ ? data_[pos_++] : 0; }
  uint16_t U16() { return static_cast<uint16_t>((U8() << 8) | U8()); }
  uint32_t U32() { return (uint32_t{U16()} << 16) | U16(); }
  uint64_t U64() { return (uint64_t{U32()} << 32) | U32(); }
  ByteSpan Bytes(size_t n) {
    n = std::min(n, size_ - std::min(pos_, size_));
    ByteSpan out(data_ + pos_, n);
    pos_ += n;
    return out;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

class Resolver final : public MdnsResolver {
 public:
  void Resolve(std::string_view hostname) override {
    if (names.size() < 16) names.emplace_back(hostname);
  }
  std::vector<std::string> names;
};

const IceCredentials kRemote{"peerUfrag", "peerPasswordPeerPassword"};
const SocketAddress kHostV4(IpAddress::V4(192, 0, 2, 1), 5000);
const SocketAddress kTcp(IpAddress::V4(192, 0, 2, 1), 443);
const SocketAddress kStun(IpAddress::V4(198, 51, 100, 1), 3478);
const SocketAddress kTurn(IpAddress::V4(198, 51, 100, 2), 3478);

SocketAddress HostV6() {
  static const SocketAddress a = *SocketAddress::Parse("[2001:db8::1]:5000");
  return a;
}

struct Outstanding {  // a request the agent sent, for the harness to answer
  stun::TransactionId id;
  SocketAddress local;
  SocketAddress remote;
  TransportProtocol protocol;
  bool check;  // a connectivity/consent check (has USERNAME) rather than a STUN server request
};

class Runner {
 public:
  Runner(Script& s) : s_(s), random_(0x1CEF022) {
    uint8_t flags = s_.U8();
    config_.mode = (flags & 1) ? IceMode::kLite : IceMode::kFull;
    config_.role = (flags & 2) ? IceRole::kControlled : IceRole::kControlling;
    config_.host_addresses = {kHostV4, HostV6()};
    if (flags & 4) config_.stun_servers = {kStun};
    if (flags & 16) config_.tcp_passive_addresses = {kTcp};
    if (flags & 32) config_.mdns_resolver = &resolver_;
    config_.max_pairs = 40;  // small limits so the fuzzer reaches them
    config_.max_remote_candidates = 24;
    config_.unknown_source_burst = 50;
    agent_.emplace(config_, random_);
    TERN_FUZZ_CHECK(agent_->Start(now_).ok());
    passwords_.push_back(agent_->local_credentials().pwd);
    if (flags & 8) TERN_FUZZ_CHECK(agent_->SetRemoteCredentials(kRemote, now_).ok());
    Drain(nullptr);
  }

  void Run() {
    int ops = 0;
    while (!s_.done() && ++ops < 3000) {
      switch (s_.U8() % 11) {
        case 0:
          Advance(Duration::Millis(s_.U16() % 40000));
          break;
        case 1:
          RawDatagram();
          break;
        case 2:
          SignedCheck();
          break;
        case 3:
          AnswerOutstanding();
          break;
        case 4:
          RemoteCandidateText();
          break;
        case 5:
          RemoteCandidateFields();
          break;
        case 6:
          agent_->SetRemoteEndOfCandidates(now_);
          break;
        case 7:
          if (agent_->RestartIce(now_).ok()) {
            passwords_.push_back(agent_->local_credentials().pwd);
            (void)agent_->SetRemoteCredentials(kRemote, now_);
          }
          break;
        case 8: {
          ByteSpan data = s_.Bytes(s_.U8());
          (void)agent_->Send(data, now_);
          break;
        }
        case 9: {
          SocketAddress relayed(IpAddress::V4(198, 51, 100, 2), static_cast<uint16_t>(49152 + s_.U8() % 4));
          if (agent_->AddLocalRelayCandidate(relayed, kTurn, now_).ok()) relayed_.push_back(relayed);
          break;
        }
        case 10:
          MdnsAnswer();
          break;
      }
      Drain(nullptr);
      CheckBounds();
    }
    Advance(Duration::Seconds(45));  // let every timer run out
    CheckBounds();
    if (std::getenv("TERN_ICE_FUZZ_DEBUG") != nullptr) {
      const IceAgentStats& st = agent_->stats();
      std::fprintf(stderr,
                   "ops=%d state=%s pairs=%zu remotes=%zu selected=%d checks=%llu requests=%llu "
                   "responses=%llu errors=%llu unauth=%llu ratelimited=%llu conflicts=%llu consent=%llu\n",
                   ops, std::string(IceConnectionStateName(max_state_)).c_str(), agent_->pair_count(),
                   agent_->remote_candidate_count(), agent_->selected_pair().has_value(),
                   (unsigned long long)st.checks_sent, (unsigned long long)st.requests_received,
                   (unsigned long long)st.responses_sent, (unsigned long long)st.error_responses_sent,
                   (unsigned long long)st.dropped_unauthenticated,
                   (unsigned long long)st.dropped_rate_limited, (unsigned long long)st.role_conflicts,
                   (unsigned long long)st.consent_checks_sent);
    }
  }

 private:
  SocketAddress PickRemote() {
    uint8_t k = s_.U8();
    switch (k % 8) {
      case 0:
        return SocketAddress(IpAddress::V4(203, 0, 113, 5), 40000);
      case 1:
        return SocketAddress(IpAddress::V4(203, 0, 113, 6), 40001);
      case 2:
        return *SocketAddress::Parse("[2001:db8::5]:40000");
      case 3:
        return kStun;
      case 4:
        return SocketAddress(IpAddress::V4(203, 0, 113, static_cast<uint8_t>(s_.U8())), s_.U16());
      case 5:
        if (!outstanding_.empty()) return outstanding_[s_.U8() % outstanding_.size()].remote;
        return kStun;
      case 6: {
        uint8_t b[16];
        for (uint8_t& x : b) x = s_.U8();
        return SocketAddress(IpAddress::V6(b), s_.U16());
      }
      default:
        return SocketAddress(IpAddress::V4(s_.U32()), s_.U16());
    }
  }

  std::pair<SocketAddress, TransportProtocol> PickLocal() {
    uint8_t k = s_.U8();
    switch (k % 6) {
      case 0:
        return {kHostV4, TransportProtocol::kUdp};
      case 1:
        return {HostV6(), TransportProtocol::kUdp};
      case 2:
        return {kTcp, TransportProtocol::kTcp};
      case 3:
        if (!relayed_.empty()) return {relayed_[s_.U8() % relayed_.size()], TransportProtocol::kUdp};
        return {kHostV4, TransportProtocol::kUdp};
      case 4:
        return {SocketAddress(), (k & 0x80) ? TransportProtocol::kTcp : TransportProtocol::kUdp};
      default:
        return {SocketAddress(IpAddress::V4(s_.U32()), s_.U16()), TransportProtocol::kUdp};
    }
  }

  void Feed(const SocketAddress& local, const SocketAddress& remote, TransportProtocol protocol,
            ByteSpan payload) {
    std::vector<uint8_t> framed;
    if (protocol == TransportProtocol::kTcp && (s_.U8() & 1)) {
      framed = Rfc4571Frame(payload);
      payload = framed;
    }
    agent_->HandleInput(Datagram{local, remote, protocol, payload}, now_);
    Drain(&payload);
  }

  void RawDatagram() {
    SocketAddress remote = PickRemote();
    auto [local, protocol] = PickLocal();
    ByteSpan payload = s_.Bytes(s_.U16() % 1500);
    Feed(local, remote, protocol, payload);
  }

  void SignedCheck() {
    SocketAddress remote = PickRemote();
    auto [local, protocol] = PickLocal();
    uint8_t flags = s_.U8();
    stun::TransactionId id;
    for (uint8_t& b : id.bytes) b = s_.U8();
    std::vector<uint8_t> buffer(512);
    stun::MessageBuilder b(buffer, {stun::MessageClass::kRequest, stun::method::kBinding}, id);
    std::string username = (flags & 1) ? std::string("wrong:") + kRemote.ufrag
                                       : agent_->local_credentials().ufrag + ":" + kRemote.ufrag;
    b.AddText(stun::attr::kUsername, username);
    if (!(flags & 2)) b.AddU32(stun::attr::kPriority, s_.U32() | 1);
    uint64_t tb = (flags & 4) ? agent_->tie_breaker() + static_cast<int8_t>(s_.U8()) : s_.U64();
    if (flags & 8) b.AddU64(stun::attr::kIceControlling, tb);
    if (flags & 16) b.AddU64(stun::attr::kIceControlled, tb);
    if (flags & 32) b.AddFlag(stun::attr::kUseCandidate);
    if (flags & 64) b.AddU32(0x7F00 | (s_.U8() & 0xFF), 1);  // an unknown comprehension-required one
    stun::IntegrityKey key = stun::IntegrityKey::ShortTerm((flags & 128) ? "notThePasswordNotThePassword"
                                                                         : agent_->local_credentials().pwd);
    absl::StatusOr<ByteSpan> wire = b.Finish({.integrity = &key, .fingerprint = true});
    if (!wire.ok()) return;
    buffer.resize(wire->size());
    Feed(local, remote, protocol, buffer);
  }

  void AnswerOutstanding() {
    if (outstanding_.empty()) return;
    Outstanding o = outstanding_[s_.U8() % outstanding_.size()];
    uint8_t flags = s_.U8();
    bool error = flags & 1;
    std::vector<uint8_t> buffer(512);
    stun::MessageBuilder b(buffer,
                           {error ? stun::MessageClass::kErrorResponse : stun::MessageClass::kSuccessResponse,
                            stun::method::kBinding},
                           o.id);
    if (error) {
      static constexpr int kCodes[] = {487, 400, 401, 420, 500};
      b.AddErrorCode(kCodes[s_.U8() % 5]);
    } else {
      SocketAddress mapped = (flags & 2) ? PickRemote() : o.local;
      b.AddXorAddress(stun::attr::kXorMappedAddress, mapped);
    }
    stun::IntegrityKey key =
        stun::IntegrityKey::ShortTerm((flags & 4) ? "wrongwrongwrongwrongwrong" : kRemote.pwd);
    absl::StatusOr<ByteSpan> wire =
        b.Finish({.integrity = (o.check && !(flags & 8)) ? &key : nullptr, .fingerprint = (flags & 16) == 0});
    if (!wire.ok()) return;
    buffer.resize(wire->size());
    SocketAddress from = (flags & 32) ? PickRemote() : o.remote;
    Feed(o.local, from, o.protocol, buffer);
  }

  void RemoteCandidateText() {
    ByteSpan text = s_.Bytes(s_.U8());
    absl::StatusOr<Candidate> c = ParseCandidate(AsString(text));
    if (!c.ok()) return;
    // The parser's round trip, while we are here.
    absl::StatusOr<Candidate> again = ParseCandidate(SerializeCandidate(*c));
    TERN_FUZZ_CHECK(again.ok());
    TERN_FUZZ_CHECK(*again == *c);
    (void)agent_->AddRemoteCandidate(*c, now_);
  }

  void RemoteCandidateFields() {
    Candidate c;
    uint8_t flags = s_.U8();
    c.foundation = std::string(1, static_cast<char>('a' + flags % 8));
    c.priority = s_.U32() | 1;
    c.address = PickRemote();
    c.type = static_cast<CandidateType>((flags >> 3) % 4);
    if (flags & 0x20) {
      c.protocol = TransportProtocol::kTcp;
      c.tcp_type = (flags & 0x40) ? TcpType::kActive : TcpType::kPassive;
    }
    if (flags & 0x80) {
      c.hostname = "f" + std::to_string(s_.U8() % 4) + ".local";
      c.address = SocketAddress(IpAddress(), c.address.port());
    }
    (void)agent_->AddRemoteCandidate(c, now_);
  }

  void MdnsAnswer() {
    uint8_t k = s_.U8();
    std::string name = resolver_.names.empty() ? "none.local" : resolver_.names[k % resolver_.names.size()];
    std::optional<IpAddress> ip;
    if (k & 0x80) ip = IpAddress::V4(203, 0, 113, s_.U8());
    agent_->HandleMdnsResult(name, ip, now_);
  }

  void Advance(Duration d) {
    Timestamp until = now_ + d;
    for (int guard = 0; guard < 20000; ++guard) {
      std::optional<Timestamp> next = agent_->NextTimeout();
      if (!next || *next > until) break;
      now_ = std::max(now_, *next);
      agent_->HandleTimeout(now_);
      Drain(nullptr);
      std::optional<Timestamp> after = agent_->NextTimeout();
      TERN_FUZZ_CHECK(!after || *after > now_);  // no livelock
    }
    now_ = std::max(now_, until);
  }

  bool OurSocket(const SocketAddress& a, TransportProtocol protocol) const {
    if (!a.is_set()) return true;  // the runtime picks (the datagram's local was unset too)
    if (protocol == TransportProtocol::kTcp) return a == kTcp;
    if (a == kHostV4 || a == HostV6()) return true;
    return std::find(relayed_.begin(), relayed_.end(), a) != relayed_.end();
  }

  bool VerifiesWithLocalPassword(const stun::MessageView& m) const {
    for (const std::string& pwd : passwords_) {
      if (m.VerifyMessageIntegrity(stun::IntegrityKey::ShortTerm(pwd)).ok()) return true;
    }
    return false;
  }

  // Drains transmits and events, checking each transmit; `input` is the datagram that was just fed.
  void Drain(const ByteSpan* input) {
    while (std::optional<Transmit> t = agent_->PollTransmit()) {
      TERN_FUZZ_CHECK(OurSocket(t->local, t->protocol));
      TERN_FUZZ_CHECK(t->remote.is_set());
      bool relayed = std::find(relayed_.begin(), relayed_.end(), t->local) != relayed_.end();
      TERN_FUZZ_CHECK(agent_->RouteOf(t->local).has_value() == relayed);
      ByteSpan payload = t->payload;
      if (t->protocol == TransportProtocol::kTcp) {
        TERN_FUZZ_CHECK(Rfc4571FrameSize(payload) == payload.size());
        payload = payload.subspan(2);
      }
      if (!IceAgent::IsStun(payload)) continue;  // application data from Send()
      absl::StatusOr<stun::MessageView> m = stun::MessageView::Parse(payload);
      TERN_FUZZ_CHECK_OK(m.status());
      TERN_FUZZ_CHECK_OK(m->VerifyFingerprint());
      switch (m->message_class()) {
        case stun::MessageClass::kSuccessResponse:
          TERN_FUZZ_CHECK(VerifiesWithLocalPassword(*m));
          break;
        case stun::MessageClass::kErrorResponse:
          if (!m->has_message_integrity()) {
            TERN_FUZZ_CHECK(input != nullptr);
            TERN_FUZZ_CHECK(t->payload.size() <= input->size());
          } else {
            TERN_FUZZ_CHECK(VerifiesWithLocalPassword(*m));
          }
          break;
        case stun::MessageClass::kRequest: {
          bool check = m->Has(stun::attr::kUsername);
          if (check)
            TERN_FUZZ_CHECK_OK(m->VerifyMessageIntegrity(stun::IntegrityKey::ShortTerm(kRemote.pwd)));
          if (outstanding_.size() >= 16) outstanding_.pop_front();
          outstanding_.push_back({m->transaction_id(), t->local, t->remote, t->protocol, check});
          break;
        }
        case stun::MessageClass::kIndication:
          break;
      }
    }
    size_t events = 0;
    while (std::optional<IceEvent> e = agent_->PollEvent()) {
      ++events;
      if (auto* st = std::get_if<IceStateChanged>(&*e)) {
        if (st->state == IceConnectionState::kConnected || st->state == IceConnectionState::kCompleted ||
            max_state_ == IceConnectionState::kNew || max_state_ == IceConnectionState::kChecking)
          if (max_state_ != IceConnectionState::kCompleted) max_state_ = st->state;
      }
    }
    TERN_FUZZ_CHECK(events < 10000);
  }

  void CheckBounds() {
    TERN_FUZZ_CHECK(agent_->pair_count() <= config_.max_pairs);
    TERN_FUZZ_CHECK(agent_->remote_candidate_count() <= config_.max_remote_candidates);
    TERN_FUZZ_CHECK(agent_->pending_transaction_count() <=
                    config_.max_pairs + config_.stun_servers.size() * 2 + 2 + 8);
    if (std::optional<IceCandidatePair> p = agent_->selected_pair()) {
      TERN_FUZZ_CHECK(OurSocket(p->local_base, p->local.protocol));
    }
  }

  Script& s_;
  SeededRandom random_;
  Resolver resolver_;
  IceAgentConfig config_;
  std::optional<IceAgent> agent_;
  Timestamp now_ = Timestamp::Seconds(100);
  std::vector<std::string> passwords_;
  std::vector<SocketAddress> relayed_;
  std::deque<Outstanding> outstanding_;
  IceConnectionState max_state_ = IceConnectionState::kNew;  // the best state reached (debug output)
};

}  // namespace
}  // namespace tern::ice

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 16384) return 0;
  tern::ice::Script script(data, size);
  tern::ice::Runner runner(script);
  runner.Run();
  return 0;
}
