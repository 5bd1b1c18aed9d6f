// libFuzzer harness for tern::ice::IceTurnMux (include/tern/ice/ice_turn_mux.h): one ICE agent and
// one TURN client (RFC 8656) sharing a socket, fed arbitrary datagrams and stream bytes from the TURN
// server's address and from other addresses, in every state of the client, plus relayed traffic
// (Data indications and ChannelData, RFC 8656 §10-§12) wrapping connectivity checks the harness signs
// with the agent's real credentials so they reach the agent's check logic through the relay seam.
//
// Input: byte 0 picks the setup —
//   bit 0     the TURN client's transport: UDP (0) or TCP (1)
//   bits 1-2  client state: 0 first Allocate outstanding, 1 authenticated Allocate outstanding (after
//             a 401), 2 allocated (relay candidate in the agent, remote peer candidates added, the
//             permission answered), 3 deallocating (after Close)
//   bit 3     the TURN server is also the agent's STUN server (its Binding responses are the agent's)
//   bit 4     the agent is controlled (else controlling)
//   bit 5     bind_channels off
// then operations, each [op][len_hi][len_lo][len bytes of data]:
//   (op & 15) % 10 == 0  the data from the server, with the client's transport (op bit 4: the other
//                 transport; op bit 5: from a peer address instead)
//              1  the data as a UDP datagram to the host address from a peer (op >> 4 picks which)
//              2  the data with bytes 8..19 replaced by the transaction id of a recent request to the
//                 server (op >> 4 picks which), from the server
//              3  the same, re-signed with the long-term key (a valid MESSAGE-INTEGRITY+FINGERPRINT
//                 around the data's attributes), as a success or error response; op bit 7 on an
//                 Allocate: a success naming data[0]'s pick (the relay, a host socket, the server, a
//                 peer) as XOR-RELAYED-ADDRESS
//              4  time passes: (data[0..1] + 1) × 10 ms, then HandleTimeout of everything due
//              5  a Data indication from the server, peer (op >> 4) and DATA = the data (op bit 7:
//                 a Binding request signed with the agent's credentials instead)
//              6  ChannelData from the server on channel 0x4000 + (op >> 4) carrying the data, or a
//                 signed Binding request (op bit 7)
//              7  an answer to a check the agent sent through the relay, from its peer, wrapped in a
//                 Data indication (op bit 4: ChannelData on the peer's bound channel), signed with the
//                 remote password (op bit 5: with a wrong one)
//              8  mux.Send(data)
//              9  owner calls: data[0] % 4 — Close the client, HandleStreamClosed, add a remote
//                 candidate for a peer, ICE restart
// Invariants checked after every step:
//  - bounded output: the transmits and events one step produces (everything the mux queued) stay
//    under fixed counts and bytes; the client's stream buffer stays under max_stream_frame_size; the
//    agent's pairs and remote candidates under its caps;
//  - the mux never routes the agent's host socket through the TURN client;
//  - every transmit goes to the TURN server or to an address the agent knows (one that sent it a
//    datagram, a relayed peer, or a remote candidate), leaves from the host socket, and never from the
//    relayed address (those must go through the client); transmits to the server with the client's
//    transport are STUN or ChannelData (one frame over TCP);
//  - after HandleTimeout(now) the mux's NextTimeout is later than now.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "fuzz_check.h"
#include "tern/base/byte_io.h"
#include "tern/base/datagram.h"
#include "tern/base/random.h"
#include "tern/base/time.h"
#include "tern/ice/candidate.h"
#include "tern/ice/ice_agent.h"
#include "tern/ice/ice_turn_mux.h"
#include "tern/ice/turn_client.h"
#include "tern/stun/stun.h"

namespace tern::ice {
namespace {

const SocketAddress kServer(IpAddress::V4(192, 0, 2, 1), 3478);
const SocketAddress kHost(IpAddress::V4(10, 0, 0, 1), 40000);
const SocketAddress kTcpLocal(IpAddress::V4(10, 0, 0, 1), 40001);
const SocketAddress kRelayed(IpAddress::V4(192, 0, 2, 1), 50000);
const SocketAddress kPeers[4] = {SocketAddress(IpAddress::V4(198, 51, 100, 1), 1000),
                                 SocketAddress(IpAddress::V4(198, 51, 100, 2), 2000),
                                 SocketAddress(IpAddress::V4(198, 51, 100, 2), 2001),
                                 SocketAddress(IpAddress::V4(203, 0, 113, 9), 9)};
const IceCredentials kRemote{"peerUfrag", "peerPasswordPeerPassword"};
constexpr char kUser[] = "fuzz-user";
constexpr char kPassword[] = "fuzz-password";
constexpr char kRealm[] = "fuzz.realm";

// What one step may produce at most (the client's queues are capped at 64 below, the agent's checks
// and responses at a few per pair).
constexpr size_t kMaxTransmitsPerStep = 1024;
constexpr size_t kMaxEventsPerStep = 1024;
constexpr size_t kMaxBytesPerStep = 8 << 20;

struct Request {
  uint16_t method;
  stun::TransactionId id;
};
struct PeerCheck {
  stun::TransactionId id;
  SocketAddress peer;
};

class Harness {
 public:
  explicit Harness(uint8_t setup)
      : tcp_((setup & 1) != 0),
        random_(0x7E2417 + setup),
        agent_(MakeAgentConfig(setup), random_),
        client_(MakeClientConfig(setup), random_),
        mux_(agent_, IceTurnMux::Options{.bind_channels = (setup & 32) == 0}) {}

  bool Setup(int state) {
    if (!mux_.AddTurnClient(&client_).ok()) return false;
    if (!agent_.Start(now_).ok()) return false;
    if (!agent_.SetRemoteCredentials(kRemote, now_).ok()) return false;
    if (!client_.Allocate(now_).ok()) return false;
    mux_.Pump(now_);
    Drain();
    if (state == 0) return true;
    if (!Answer(stun::MessageClass::kErrorResponse, false, [&](stun::MessageBuilder& b) {
          b.AddErrorCode(401);
          b.AddText(stun::attr::kRealm, kRealm);
          b.AddText(stun::attr::kNonce, "nonce-1");
        })) {
      return false;
    }
    if (state == 1) return client_.state() == TurnClientState::kAllocating;
    if (!Answer(stun::MessageClass::kSuccessResponse, true, [&](stun::MessageBuilder& b) {
          b.AddXorAddress(stun::attr::kXorRelayedAddress, kRelayed);
          b.AddXorAddress(stun::attr::kXorMappedAddress, kHost);
          b.AddU32(stun::attr::kLifetime, 600);
        })) {
      return false;
    }
    if (client_.state() != TurnClientState::kAllocated) return false;
    if (mux_.ClientForRelayed(kRelayed) != &client_) return false;
    for (int i = 0; i < 3; ++i) AddPeerCandidate(i);
    Drain();
    // Let the agent's relayed checks go out, answering the permission requests they cause (as a real
    // server would), so that relayed data from the peers gets through.
    std::vector<stun::TransactionId> answered;
    for (int round = 0; round < 20; ++round) {
      Advance(Duration::Millis(100));
      for (const Request r : std::vector<Request>(requests_)) {
        if (r.method != stun::method::kCreatePermission) continue;
        if (std::find(answered.begin(), answered.end(), r.id) != answered.end()) continue;
        answered.push_back(r.id);
        if (!AnswerRequest(r, stun::MessageClass::kSuccessResponse, true, [](stun::MessageBuilder&) {})) {
          return false;
        }
      }
    }
    if (state == 3) {
      client_.Close(now_);
      mux_.Pump(now_);
      Drain();
      return client_.state() == TurnClientState::kDeallocating;
    }
    return true;
  }

  void Run(ByteSpan ops) {
    ByteReader r(ops);
    uint8_t op = 0;
    uint16_t length = 0;
    ByteSpan data;
    int steps = 0;
    while (++steps < 2000 && r.ReadU8(&op) && r.ReadU16(&length)) {
      if (!r.ReadBytes(std::min<size_t>(length, r.remaining()), &data)) break;
      Step(op, data);
      Drain();
    }
    Advance(Duration::Seconds(60));
    if (std::getenv("TERN_MUX_FUZZ_DEBUG") != nullptr) {
      const IceTurnMuxStats& st = mux_.stats();
      std::optional<IceCandidatePair> sel = agent_.selected_pair();
      std::fprintf(stderr,
                   "client=%d to_agent=%llu to_turn=%llu relayed_sent=%llu relayed_received=%llu "
                   "relayed_dropped=%llu send_failures=%llu candidate_errors=%llu channels=%llu selected=%s\n",
                   static_cast<int>(client_.state()), (unsigned long long)st.to_agent,
                   (unsigned long long)st.to_turn, (unsigned long long)st.relayed_sent,
                   (unsigned long long)st.relayed_received, (unsigned long long)st.relayed_dropped,
                   (unsigned long long)st.relay_send_failures, (unsigned long long)st.relay_candidate_errors,
                   (unsigned long long)st.channels_requested,
                   !sel ? "none" : (sel->local.type == CandidateType::kRelay ? "relay" : "host"));
    }
  }

 private:
  static IceAgentConfig MakeAgentConfig(uint8_t setup) {
    IceAgentConfig c;
    c.role = (setup & 16) != 0 ? IceRole::kControlled : IceRole::kControlling;
    c.host_addresses = {kHost};
    if ((setup & 8) != 0) c.stun_servers = {kServer};
    c.pending_relay_allocations = 1;
    c.max_pairs = 40;
    c.max_remote_candidates = 24;
    return c;
  }

  static TurnClientConfig MakeClientConfig(uint8_t setup) {
    TurnClientConfig c;
    c.server = kServer;
    c.transport = (setup & 1) != 0 ? TurnTransport::kTcp : TurnTransport::kUdp;
    c.local = (setup & 1) != 0 ? kTcpLocal : kHost;
    c.username = kUser;
    c.password = kPassword;
    c.max_queued_events = 64;
    c.max_queued_transmits = 64;
    c.max_permissions = 8;
    c.max_stream_frame_size = 4096;
    return c;
  }

  TransportProtocol ClientProtocol() const { return tcp_ ? TransportProtocol::kTcp : TransportProtocol::kUdp; }
  const SocketAddress& ClientLocal() const { return tcp_ ? kTcpLocal : kHost; }

  void Input(const SocketAddress& local, const SocketAddress& remote, TransportProtocol protocol,
             ByteSpan payload) {
    if (remote != kServer) known_.insert(remote);
    mux_.HandleInput(Datagram{local, remote, protocol, payload}, now_);
  }

  void FromServer(ByteSpan payload) { Input(ClientLocal(), kServer, ClientProtocol(), payload); }

  void AddPeerCandidate(int i) {
    Candidate c;
    c.foundation = "p" + std::to_string(i);
    c.priority = 1000 + i;
    c.address = kPeers[i];
    c.type = CandidateType::kHost;
    if (agent_.AddRemoteCandidate(c, now_).ok()) known_.insert(kPeers[i]);
    mux_.Pump(now_);
  }

  stun::IntegrityKey LongTermKey() const {
    return stun::IntegrityKey::LongTerm(kUser, kRealm, kPassword, stun::PasswordAlgorithm::kMd5);
  }

  // Answers the latest request to the server.
  template <typename F>
  bool Answer(stun::MessageClass cls, bool sign, F&& add) {
    // The latest TURN request (the agent's Binding requests to the server are recorded too).
    auto it = std::find_if(requests_.rbegin(), requests_.rend(),
                           [](const Request& r) { return r.method != stun::method::kBinding; });
    if (it == requests_.rend()) return false;
    return AnswerRequest(*it, cls, sign, add);
  }

  template <typename F>
  bool AnswerRequest(const Request& request, stun::MessageClass cls, bool sign, F&& add) {
    std::vector<uint8_t> buffer(2048);
    stun::MessageBuilder b(buffer, {cls, request.method}, request.id);
    add(b);
    stun::IntegrityKey key = LongTermKey();
    absl::StatusOr<ByteSpan> wire = b.Finish({.integrity = sign ? &key : nullptr, .fingerprint = true});
    if (!wire.ok()) return false;
    FromServer(*wire);
    Drain();
    return true;
  }

  // A signed Allocate success naming an address of the fuzzer's choice (data[0]) as relayed, including
  // the agent's own sockets, the server and peers (a hostile server).
  void AllocateSuccess(const Request& request, ByteSpan data) {
    const SocketAddress choices[] = {kRelayed, kHost, kTcpLocal, kServer, kPeers[0], kPeers[3]};
    const SocketAddress& relayed = choices[(data.empty() ? 0 : data[0]) % 6];
    std::vector<uint8_t> buffer(256);
    stun::MessageBuilder b(buffer, {stun::MessageClass::kSuccessResponse, request.method}, request.id);
    b.AddXorAddress(stun::attr::kXorRelayedAddress, relayed);
    b.AddXorAddress(stun::attr::kXorMappedAddress, kHost);
    b.AddU32(stun::attr::kLifetime, data.size() > 1 ? data[1] : 600);
    stun::IntegrityKey key = LongTermKey();
    absl::StatusOr<ByteSpan> wire = b.Finish({.integrity = &key, .fingerprint = true});
    if (wire.ok()) FromServer(*wire);
  }

  // A Binding request from `peer`, signed as the agent expects (RFC 8445 §7.2.2).
  std::vector<uint8_t> SignedCheck(ByteSpan seed) {
    stun::TransactionId id;
    for (size_t i = 0; i < id.bytes.size(); ++i) id.bytes[i] = i < seed.size() ? seed[i] : static_cast<uint8_t>(i);
    uint8_t flags = seed.size() > 12 ? seed[12] : 0;
    std::vector<uint8_t> buffer(512);
    stun::MessageBuilder b(buffer, {stun::MessageClass::kRequest, stun::method::kBinding}, id);
    b.AddText(stun::attr::kUsername, agent_.local_credentials().ufrag + ":" + kRemote.ufrag);
    b.AddU32(stun::attr::kPriority, 0x6E0001FF);
    uint64_t tie = seed.size() > 20 ? LoadBigEndian64(seed.data() + 13) : 42;
    if ((flags & 1) != 0) b.AddU64(stun::attr::kIceControlling, tie);
    if ((flags & 2) != 0) b.AddU64(stun::attr::kIceControlled, tie);
    if ((flags & 4) != 0) b.AddFlag(stun::attr::kUseCandidate);
    stun::IntegrityKey key = stun::IntegrityKey::ShortTerm(agent_.local_credentials().pwd);
    absl::StatusOr<ByteSpan> wire = b.Finish({.integrity = &key, .fingerprint = true});
    if (!wire.ok()) return {};
    buffer.resize(wire->size());
    return buffer;
  }

  void DataIndication(const SocketAddress& peer, ByteSpan payload) {
    std::vector<uint8_t> buffer(payload.size() + 128);
    stun::TransactionId id;
    for (size_t i = 0; i < id.bytes.size(); ++i) id.bytes[i] = static_cast<uint8_t>(random_.NextU64());
    stun::MessageBuilder b(buffer, {stun::MessageClass::kIndication, stun::method::kData}, id);
    b.AddXorAddress(stun::attr::kXorPeerAddress, peer);
    b.Add(stun::attr::kData, payload);
    absl::StatusOr<ByteSpan> wire = b.Finish({.fingerprint = true});
    if (wire.ok()) FromServer(*wire);
  }

  void ChannelData(uint16_t channel, ByteSpan payload) {
    std::vector<uint8_t> out(stun::kChannelDataHeaderSize + payload.size() + 3);
    absl::StatusOr<size_t> n =
        stun::WriteChannelData(out, channel, payload, tcp_ ? stun::Framing::kStream : stun::Framing::kDatagram);
    if (!n.ok()) return;
    out.resize(*n);
    FromServer(out);
  }

  void Step(uint8_t op, ByteSpan data) {
    switch ((op & 15) % 10) {
      case 0: {
        TransportProtocol protocol = ClientProtocol();
        if ((op & 16) != 0) protocol = tcp_ ? TransportProtocol::kUdp : TransportProtocol::kTcp;
        SocketAddress from = (op & 32) != 0 ? kPeers[(op >> 6) % 4] : kServer;
        Input(protocol == TransportProtocol::kTcp ? kTcpLocal : kHost, from, protocol, data);
        break;
      }
      case 1:
        Input(kHost, kPeers[(op >> 4) % 4], TransportProtocol::kUdp, data);
        break;
      case 2:
      case 3: {
        if (requests_.empty()) {
          FromServer(data);
          break;
        }
        const Request request = requests_[requests_.size() - 1 - (op >> 4) % requests_.size()];
        if ((op & 15) == 3 && (op & 0x80) != 0 && request.method == stun::method::kAllocate) {
          AllocateSuccess(request, data);
          break;
        }
        std::vector<uint8_t> copy(data.begin(), data.end());
        if (copy.size() >= stun::kHeaderSize) std::memcpy(copy.data() + 8, request.id.bytes.data(), 12);
        absl::StatusOr<stun::MessageView> m =
            (op & 15) == 3 ? stun::MessageView::Parse(copy) : absl::InvalidArgumentError("raw");
        if (!m.ok()) {
          FromServer(copy);
          break;
        }
        stun::MessageClass cls = m->message_class() == stun::MessageClass::kErrorResponse
                                     ? stun::MessageClass::kErrorResponse
                                     : stun::MessageClass::kSuccessResponse;
        std::vector<uint8_t> buffer(copy.size() + 128);
        stun::MessageBuilder b(buffer, {cls, request.method}, request.id);
        for (const stun::Attribute& a : *m) {
          if (a.type == stun::attr::kMessageIntegrity || a.type == stun::attr::kMessageIntegritySha256 ||
              a.type == stun::attr::kFingerprint) {
            continue;
          }
          b.Add(a.type, a.value);
        }
        stun::IntegrityKey key = LongTermKey();
        absl::StatusOr<ByteSpan> wire = b.Finish({.integrity = &key, .fingerprint = true});
        if (wire.ok()) FromServer(*wire);
        break;
      }
      case 4: {
        int64_t steps = data.size() >= 2 ? LoadBigEndian16(data.data()) : (data.empty() ? 0 : data[0]);
        Advance(Duration::Millis(10 * (steps + 1)));
        break;
      }
      case 5: {
        const SocketAddress& peer = kPeers[(op >> 4) % 4];
        known_.insert(peer);
        if ((op & 128) != 0) {
          std::vector<uint8_t> check = SignedCheck(data);
          DataIndication(peer, check);
        } else {
          DataIndication(peer, data);
        }
        break;
      }
      case 6: {
        uint16_t channel = static_cast<uint16_t>(0x4000 + ((op >> 4) & 7));
        for (const SocketAddress& p : kPeers) known_.insert(p);
        if ((op & 128) != 0) {
          std::vector<uint8_t> check = SignedCheck(data);
          ChannelData(channel, check);
        } else {
          ChannelData(channel, data);
        }
        break;
      }
      case 7: {
        if (checks_.empty()) break;
        const PeerCheck check = checks_[(data.empty() ? 0 : data[0]) % checks_.size()];
        std::vector<uint8_t> buffer(512);
        bool error = data.size() > 1 && (data[1] & 1) != 0;
        stun::MessageBuilder b(
            buffer,
            {error ? stun::MessageClass::kErrorResponse : stun::MessageClass::kSuccessResponse,
             stun::method::kBinding},
            check.id);
        if (error) {
          b.AddErrorCode(data.size() > 2 && (data[2] & 1) ? 487 : 400);
        } else {
          b.AddXorAddress(stun::attr::kXorMappedAddress, kRelayed);
        }
        stun::IntegrityKey key =
            stun::IntegrityKey::ShortTerm((op & 32) != 0 ? "wrongwrongwrongwrongwrong" : kRemote.pwd);
        absl::StatusOr<ByteSpan> wire = b.Finish({.integrity = &key, .fingerprint = true});
        if (!wire.ok()) break;
        std::optional<uint16_t> channel = client_.BoundChannel(check.peer);
        if ((op & 16) != 0 && channel.has_value()) {
          ChannelData(*channel, *wire);
        } else {
          DataIndication(check.peer, *wire);
        }
        break;
      }
      case 8:
        (void)mux_.Send(data, now_);
        break;
      case 9: {
        uint8_t what = data.empty() ? 0 : data[0];
        switch (what % 4) {
          case 0:
            client_.Close(now_);
            break;
          case 1:
            client_.HandleStreamClosed(now_);
            break;
          case 2:
            AddPeerCandidate((what >> 2) % 4);
            break;
          case 3:
            if (agent_.RestartIce(now_).ok()) (void)agent_.SetRemoteCredentials(kRemote, now_);
            break;
        }
        mux_.Pump(now_);
        break;
      }
    }
  }

  void Advance(Duration d) {
    Timestamp until = now_ + d;
    for (int guard = 0; guard < 5000; ++guard) {
      std::optional<Timestamp> next = mux_.NextTimeout();
      if (!next || *next > until) break;
      now_ = std::max(now_, *next);
      mux_.HandleTimeout(now_);
      Drain();
      std::optional<Timestamp> after = mux_.NextTimeout();
      TERN_FUZZ_CHECK(!after || *after > now_);
    }
    now_ = std::max(now_, until);
  }

  // Records what the client relays to a peer: a check the harness may answer.
  void NoteRelayed(const SocketAddress& peer, ByteSpan payload) {
    if (!IceAgent::IsStun(payload)) return;
    absl::StatusOr<stun::MessageView> m = stun::MessageView::Parse(payload);
    if (!m.ok() || m->message_class() != stun::MessageClass::kRequest) return;
    if (checks_.size() >= 16) checks_.erase(checks_.begin());
    checks_.push_back({m->transaction_id(), peer});
  }

  void CheckToServer(const Transmit& t) {
    ByteSpan payload = t.payload;
    TERN_FUZZ_CHECK(!payload.empty());
    if (tcp_) {
      absl::StatusOr<size_t> frame = stun::StreamFrameSize(payload);
      TERN_FUZZ_CHECK(frame.ok() && *frame == payload.size());
    }
    if (stun::LooksLikeChannelData(payload)) {
      absl::StatusOr<stun::ChannelDataView> cd =
          stun::ParseChannelData(payload, tcp_ ? stun::Framing::kStream : stun::Framing::kDatagram);
      TERN_FUZZ_CHECK(cd.ok());
      for (const SocketAddress& p : kPeers) {
        if (client_.BoundChannel(p) == cd->channel) NoteRelayed(p, cd->payload);
      }
      return;
    }
    absl::StatusOr<stun::MessageView> m = stun::MessageView::Parse(payload);
    TERN_FUZZ_CHECK_OK(m.status());
    if (m->message_class() == stun::MessageClass::kRequest) {
      if (requests_.size() >= 8) requests_.erase(requests_.begin());
      requests_.push_back({m->method(), m->transaction_id()});
    } else if (m->message_class() == stun::MessageClass::kIndication && m->method() == stun::method::kSend) {
      absl::StatusOr<SocketAddress> peer = m->GetXorAddress(stun::attr::kXorPeerAddress);
      std::optional<stun::Attribute> inner = m->Find(stun::attr::kData);
      TERN_FUZZ_CHECK(peer.ok() && inner.has_value());
      TERN_FUZZ_CHECK(known_.count(*peer) != 0);
      NoteRelayed(*peer, inner->value);
    }
  }

  void Drain() {
    size_t transmits = 0, events = 0, bytes = 0;
    while (std::optional<Transmit> t = mux_.PollTransmit()) {
      ++transmits;
      bytes += t->payload.size();
      TERN_FUZZ_CHECK(transmits <= kMaxTransmitsPerStep && bytes <= kMaxBytesPerStep);
      TERN_FUZZ_CHECK(t->local != kRelayed);  // relayed sends go through the client
      TERN_FUZZ_CHECK(t->remote.is_set());
      if (t->remote == kServer) {
        TERN_FUZZ_CHECK(t->local == kHost || t->local == kTcpLocal);
        if (t->protocol == ClientProtocol() && t->local == ClientLocal()) CheckToServer(*t);
      } else {
        TERN_FUZZ_CHECK(known_.count(t->remote) != 0);
        TERN_FUZZ_CHECK(t->local == kHost);
      }
    }
    while (std::optional<IceTurnEvent> e = mux_.PollEvent()) {
      ++events;
      TERN_FUZZ_CHECK(events <= kMaxEventsPerStep);
      if (const TurnClientEvent* te = std::get_if<TurnClientEvent>(&*e)) {
        TERN_FUZZ_CHECK(te->client == &client_);
        TERN_FUZZ_CHECK(!std::holds_alternative<TurnDataReceived>(te->event));  // fed to the agent
      }
    }
    // Only addresses the agent routes through this server are relayed: never one of its own sockets.
    TERN_FUZZ_CHECK(mux_.ClientForRelayed(kHost) == nullptr);
    TERN_FUZZ_CHECK(client_.stream_buffer_size() <= client_.config().max_stream_frame_size);
    TERN_FUZZ_CHECK(agent_.pair_count() <= 40);
    TERN_FUZZ_CHECK(agent_.remote_candidate_count() <= 24);
    if (std::optional<IceCandidatePair> p = agent_.selected_pair()) {
      TERN_FUZZ_CHECK(p->local_base == kHost || p->local_base == kRelayed);
    }
  }

  bool tcp_;
  SeededRandom random_;
  IceAgent agent_;
  TurnClient client_;
  IceTurnMux mux_;
  Timestamp now_ = Timestamp::Seconds(100);
  std::vector<Request> requests_;
  std::vector<PeerCheck> checks_;
  std::set<SocketAddress> known_;
};

}  // namespace
}  // namespace tern::ice

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0 || size > 65536) return 0;
  tern::ice::Harness h(data[0]);
  TERN_FUZZ_CHECK(h.Setup((data[0] >> 1) & 3));
  h.Run(tern::ByteSpan(data + 1, size - 1));
  return 0;
}
