// One IceAgent driven by hand-built STUN messages: RFC 8445 §7.3 request handling and its security
// rules (nothing allocated before MESSAGE-INTEGRITY, transaction-id matching, rate limits, bounded
// state), lite mode (§2.5), role conflicts (§7.3.1.1, §7.2.5.1), gathering (§5.1.1.2), pairing and
// pruning (§6.1.2), pacing and retransmission (§14), mDNS candidates, the relay seam and RFC 6544 TCP.
#include "tern/ice/ice_agent.h"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tern/base/random.h"
#include "tern/ice/candidate.h"
#include "tern/stun/stun.h"

namespace tern::ice {
namespace {

using stun::MessageBuilder;
using stun::MessageClass;
using stun::MessageView;
using stun::TransactionId;

SocketAddress Addr(std::string_view s) { return *SocketAddress::Parse(s); }

const IceCredentials kLocal{"srvU", "serverpassword0123456789"};
const IceCredentials kRemote{"cliU", "clientpassword0123456789"};
const SocketAddress kHost = Addr("192.0.2.1:3478");
const SocketAddress kPeer = Addr("203.0.113.5:40000");

struct CheckOptions {
  std::string username = "srvU:cliU";
  std::string pwd = "serverpassword0123456789";
  uint32_t priority = 1862270975;
  std::optional<uint64_t> controlling = 42;
  std::optional<uint64_t> controlled = std::nullopt;
  bool use_candidate = false;
  bool integrity = true;
  bool with_username = true;
  bool fingerprint = true;
};

std::vector<uint8_t> BuildCheck(const CheckOptions& o, const TransactionId& id) {
  std::vector<uint8_t> buffer(512);
  MessageBuilder b(buffer, {MessageClass::kRequest, stun::method::kBinding}, id);
  if (o.with_username) b.AddText(stun::attr::kUsername, o.username);
  b.AddU32(stun::attr::kPriority, o.priority);
  if (o.controlling) b.AddU64(stun::attr::kIceControlling, *o.controlling);
  if (o.controlled) b.AddU64(stun::attr::kIceControlled, *o.controlled);
  if (o.use_candidate) b.AddFlag(stun::attr::kUseCandidate);
  stun::IntegrityKey key = stun::IntegrityKey::ShortTerm(o.pwd);
  absl::StatusOr<ByteSpan> wire =
      b.Finish({.integrity = o.integrity ? &key : nullptr, .fingerprint = o.fingerprint});
  EXPECT_TRUE(wire.ok()) << wire.status();
  buffer.resize(wire->size());
  return buffer;
}

Datagram In(const SocketAddress& from, ByteSpan payload, const SocketAddress& to = kHost,
            TransportProtocol protocol = TransportProtocol::kUdp) {
  return Datagram{to, from, protocol, payload};
}

class Harness {
 public:
  explicit Harness(IceAgentConfig config, uint64_t seed = 1)
      : random_(seed), agent_(std::move(config), random_) {}

  IceAgent& agent() { return agent_; }
  SeededRandom& random() { return random_; }
  Timestamp now() const { return now_; }

  std::vector<Transmit> Drain() {
    std::vector<Transmit> out;
    while (std::optional<Transmit> t = agent_.PollTransmit()) out.push_back(std::move(*t));
    return out;
  }
  std::vector<IceEvent> Events() {
    std::vector<IceEvent> out;
    while (std::optional<IceEvent> e = agent_.PollEvent()) out.push_back(std::move(*e));
    return out;
  }
  void Input(const Datagram& d) { agent_.HandleInput(d, now_); }
  // Runs the agent's timers until `until`, collecting transmits with their times.
  std::vector<std::pair<Timestamp, Transmit>> RunUntil(Timestamp until) {
    std::vector<std::pair<Timestamp, Transmit>> sent;
    for (Transmit& t : Drain()) sent.emplace_back(now_, std::move(t));
    int guard = 0;
    while (++guard < 100000) {
      std::optional<Timestamp> next = agent_.NextTimeout();
      if (!next || *next > until) break;
      now_ = std::max(now_, *next);
      agent_.HandleTimeout(now_);
      for (Transmit& t : Drain()) sent.emplace_back(now_, std::move(t));
    }
    EXPECT_LT(guard, 100000) << "timer livelock";
    now_ = std::max(now_, until);
    return sent;
  }
  void Advance(Duration d) { RunUntil(now_ + d); }

 private:
  SeededRandom random_;
  IceAgent agent_;
  Timestamp now_ = Timestamp::Seconds(10);
};

IceAgentConfig LiteConfig() {
  IceAgentConfig c;
  c.mode = IceMode::kLite;
  c.local_credentials = kLocal;
  c.host_addresses = {kHost};
  return c;
}

IceAgentConfig FullConfig(IceRole role) {
  IceAgentConfig c;
  c.role = role;
  c.local_credentials = kLocal;
  c.host_addresses = {kHost};
  return c;
}

template <typename T>
int Count(const std::vector<IceEvent>& events) {
  int n = 0;
  for (const IceEvent& e : events) n += std::holds_alternative<T>(e) ? 1 : 0;
  return n;
}

template <typename T>
std::optional<T> Last(const std::vector<IceEvent>& events) {
  std::optional<T> out;
  for (const IceEvent& e : events) {
    if (const T* t = std::get_if<T>(&e)) out = *t;
  }
  return out;
}

TEST(IceLite, Rfc8445Section7_3AnswersAuthenticatedCheck) {
  Harness h(LiteConfig());
  ASSERT_TRUE(h.agent().Start(h.now()).ok());
  EXPECT_EQ(h.agent().role(), IceRole::kControlled);
  std::vector<IceEvent> events = h.Events();
  EXPECT_EQ(Count<IceCandidateGathered>(events), 1);
  EXPECT_EQ(Count<IceGatheringComplete>(events), 1);
  EXPECT_TRUE(h.Drain().empty());  // lite: nothing to send on its own

  TransactionId id = TransactionId::Generate(h.random());
  std::vector<uint8_t> check = BuildCheck({}, id);
  h.Input(In(kPeer, check));
  std::vector<Transmit> out = h.Drain();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].local, kHost);
  EXPECT_EQ(out[0].remote, kPeer);
  absl::StatusOr<MessageView> r = MessageView::Parse(out[0].payload);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->message_class(), MessageClass::kSuccessResponse);
  EXPECT_EQ(r->transaction_id(), id);
  EXPECT_EQ(*r->GetXorMappedAddress(), kPeer);
  EXPECT_TRUE(r->VerifyMessageIntegrity(stun::IntegrityKey::ShortTerm(kLocal.pwd)).ok());
  EXPECT_TRUE(r->VerifyFingerprint().ok());
  EXPECT_LE(out[0].payload.size(), check.size());
  // An authenticated check learns the peer as a peer-reflexive remote and makes a (valid) pair.
  EXPECT_EQ(h.agent().remote_candidate_count(), 1u);
  EXPECT_EQ(h.agent().remote_candidates()[0].type, CandidateType::kPeerReflexive);
  EXPECT_EQ(h.agent().pair_count(), 1u);
  // A lite agent never sends requests, whatever time passes.
  for (auto& [time, t] : h.RunUntil(h.now() + Duration::Seconds(60))) {
    absl::StatusOr<MessageView> m = MessageView::Parse(t.payload);
    ASSERT_TRUE(m.ok());
    EXPECT_NE(m->message_class(), MessageClass::kRequest);
  }
}

TEST(IceLite, SinglePortDemultiplexingByUfrag) {
  Harness h(LiteConfig());
  ASSERT_TRUE(h.agent().Start(h.now()).ok());
  std::vector<uint8_t> check = BuildCheck({}, TransactionId::Generate(h.random()));
  EXPECT_EQ(IceAgent::LocalUfragOf(check), "srvU");
  EXPECT_TRUE(h.agent().Owns(In(kPeer, check)));
  std::vector<uint8_t> other = BuildCheck({.username = "nobody:cliU"}, TransactionId::Generate(h.random()));
  EXPECT_EQ(IceAgent::LocalUfragOf(other), "nobody");
  EXPECT_FALSE(h.agent().Owns(In(kPeer, other)));
  const uint8_t dtls[] = {22, 254, 253};
  EXPECT_FALSE(IceAgent::LocalUfragOf(dtls).has_value());
  EXPECT_FALSE(h.agent().Owns(In(kPeer, dtls)));
  h.Input(In(kPeer, check));
  EXPECT_TRUE(h.agent().Owns(In(kPeer, dtls)));  // a known remote now
  EXPECT_FALSE(
      IceAgent::LocalUfragOf(BuildCheck({.with_username = false}, TransactionId::Generate(h.random()))));
}

TEST(IceLite, NominatedByUseCandidateThenCarriesData) {
  Harness h(LiteConfig());
  ASSERT_TRUE(h.agent().Start(h.now()).ok());
  h.Events();
  std::vector<uint8_t> check = BuildCheck({.use_candidate = true}, TransactionId::Generate(h.random()));
  h.Input(In(kPeer, check));
  h.Drain();
  std::vector<IceEvent> events = h.Events();
  std::optional<IceSelectedPairChanged> selected = Last<IceSelectedPairChanged>(events);
  ASSERT_TRUE(selected.has_value());
  EXPECT_EQ(selected->pair.remote.address, kPeer);
  EXPECT_EQ(selected->pair.local.address, kHost);
  EXPECT_EQ(Last<IceStateChanged>(events)->state, IceConnectionState::kConnected);

  const uint8_t dtls[] = {22, 254, 253, 0, 0};  // RFC 7983: 20..63 is DTLS, handed up
  h.Input(In(kPeer, dtls));
  std::optional<IceDataReceived> data = Last<IceDataReceived>(h.Events());
  ASSERT_TRUE(data.has_value());
  EXPECT_EQ(data->payload, std::vector<uint8_t>(std::begin(dtls), std::end(dtls)));
  EXPECT_TRUE(data->on_selected_pair);
  EXPECT_EQ(data->remote, kPeer);

  EXPECT_TRUE(h.agent().has_selected_pair());
  ASSERT_TRUE(h.agent().Send(dtls, h.now()).ok());
  std::vector<Transmit> out = h.Drain();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].remote, kPeer);
  EXPECT_EQ(out[0].local, kHost);
  EXPECT_EQ(out[0].payload, std::vector<uint8_t>(std::begin(dtls), std::end(dtls)));
  // A buffer handed over by value goes out as it is.
  std::vector<uint8_t> owned(1200, 0x17);
  ASSERT_TRUE(h.agent().Send(std::move(owned), h.now()).ok());
  out = h.Drain();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].remote, kPeer);
  EXPECT_EQ(out[0].local, kHost);
  EXPECT_EQ(out[0].payload, std::vector<uint8_t>(1200, 0x17));

  // Data from an address no check came from is dropped.
  h.Input(In(Addr("198.51.100.66:1"), dtls));
  EXPECT_EQ(Count<IceDataReceived>(h.Events()), 0);
  EXPECT_EQ(h.agent().stats().dropped_not_stun, 1u);
}

TEST(IceLite, SilenceDisconnectsThenFails) {
  Harness h(LiteConfig());
  ASSERT_TRUE(h.agent().Start(h.now()).ok());
  h.Input(In(kPeer, BuildCheck({.use_candidate = true}, TransactionId::Generate(h.random()))));
  h.Drain();
  Timestamp t0 = h.now();
  h.Events();
  h.RunUntil(t0 + Duration::Seconds(7));
  EXPECT_EQ(h.agent().state(), IceConnectionState::kConnected);
  h.RunUntil(t0 + Duration::Seconds(8));
  EXPECT_EQ(h.agent().state(), IceConnectionState::kDisconnected);
  // A check revives it.
  h.Input(In(kPeer, BuildCheck({}, TransactionId::Generate(h.random()))));
  h.Drain();
  EXPECT_EQ(h.agent().state(), IceConnectionState::kConnected);
  Timestamp t1 = h.now();
  h.RunUntil(t1 + Duration::Seconds(29));
  EXPECT_EQ(h.agent().state(), IceConnectionState::kDisconnected);
  h.RunUntil(t1 + Duration::Seconds(30));
  EXPECT_EQ(h.agent().state(), IceConnectionState::kFailed);
  EXPECT_FALSE(h.agent().Send(std::vector<uint8_t>{1}, h.now()).ok());
  EXPECT_FALSE(h.agent().has_selected_pair());
}

TEST(IceSecurity, WrongIntegrityAllocatesNothing) {
  Harness h(LiteConfig());
  ASSERT_TRUE(h.agent().Start(h.now()).ok());
  std::vector<uint8_t> check =
      BuildCheck({.pwd = "notthepassword0123456789"}, TransactionId::Generate(h.random()));
  h.Input(In(kPeer, check));
  std::vector<Transmit> out = h.Drain();
  ASSERT_EQ(out.size(), 1u);
  absl::StatusOr<MessageView> r = MessageView::Parse(out[0].payload);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->message_class(), MessageClass::kErrorResponse);
  EXPECT_EQ(r->GetErrorCode()->code, 401);
  EXPECT_FALSE(r->has_message_integrity());
  EXPECT_LE(out[0].payload.size(), check.size());
  EXPECT_EQ(h.agent().remote_candidate_count(), 0u);
  EXPECT_EQ(h.agent().pair_count(), 0u);
  EXPECT_EQ(h.agent().stats().dropped_unauthenticated, 1u);
  EXPECT_EQ(h.agent().state(), IceConnectionState::kNew);
}

TEST(IceSecurity, WrongUsernameAllocatesNothing) {
  IceAgentConfig config = FullConfig(IceRole::kControlled);
  Harness h(config);
  ASSERT_TRUE(h.agent().Start(h.now()).ok());
  ASSERT_TRUE(h.agent().SetRemoteCredentials(kRemote, h.now()).ok());
  for (std::string username : {"other:cliU", "srvU", "srvU:", "srvU:wrong", ":cliU", "srvUsrvU:cliU"}) {
    h.Input(In(kPeer, BuildCheck({.username = username}, TransactionId::Generate(h.random()))));
    std::vector<Transmit> out = h.Drain();
    ASSERT_EQ(out.size(), 1u) << username;
    EXPECT_EQ(MessageView::Parse(out[0].payload)->GetErrorCode()->code, 401) << username;
  }
  EXPECT_EQ(h.agent().remote_candidate_count(), 0u);
  EXPECT_EQ(h.agent().pair_count(), 0u);
  EXPECT_EQ(h.agent().stats().dropped_unauthenticated, 6u);
}

TEST(IceSecurity, MissingCredentialsAndNoAmplification) {
  Harness h(LiteConfig());
  ASSERT_TRUE(h.agent().Start(h.now()).ok());
  // MESSAGE-INTEGRITY but no USERNAME: 400, no larger than the request.
  std::vector<uint8_t> no_user = BuildCheck({.with_username = false}, TransactionId::Generate(h.random()));
  h.Input(In(kPeer, no_user));
  std::vector<Transmit> out = h.Drain();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(MessageView::Parse(out[0].payload)->GetErrorCode()->code, 400);
  EXPECT_LE(out[0].payload.size(), no_user.size());
  // A bare 20-byte Binding request would get a larger error: no answer at all.
  std::vector<uint8_t> bare(64);
  MessageBuilder b(bare, {MessageClass::kRequest, stun::method::kBinding},
                   TransactionId::Generate(h.random()));
  bare.resize(b.Finish()->size());
  h.Input(In(kPeer, bare));
  EXPECT_TRUE(h.Drain().empty());
  // No USERNAME and no integrity, with a FINGERPRINT (28 bytes): still too small to answer.
  std::vector<uint8_t> fp(64);
  MessageBuilder b2(fp, {MessageClass::kRequest, stun::method::kBinding},
                    TransactionId::Generate(h.random()));
  fp.resize(b2.Finish({.fingerprint = true})->size());
  h.Input(In(kPeer, fp));
  EXPECT_TRUE(h.Drain().empty());
  EXPECT_EQ(h.agent().pair_count(), 0u);
}

TEST(IceSecurity, DatagramsOnForeignSocketsAreDropped) {
  Harness h(LiteConfig());
  ASSERT_TRUE(h.agent().Start(h.now()).ok());
  std::vector<uint8_t> check = BuildCheck({}, TransactionId::Generate(h.random()));
  h.Input(In(kPeer, check, Addr("192.0.2.99:3478")));  // not one of the agent's sockets
  EXPECT_TRUE(h.Drain().empty());
  EXPECT_EQ(h.agent().stats().dropped_unknown_local, 1u);
  EXPECT_EQ(h.agent().pair_count(), 0u);
  // Unset: the runtime could not tell; the answer leaves the socket choice to it as well.
  h.Input(In(kPeer, check, SocketAddress()));
  std::vector<Transmit> out = h.Drain();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FALSE(out[0].local.is_set());
  EXPECT_EQ(out[0].remote, kPeer);
}

TEST(IceSecurity, BadFingerprintIsDropped) {
  Harness h(LiteConfig());
  ASSERT_TRUE(h.agent().Start(h.now()).ok());
  std::vector<uint8_t> check = BuildCheck({}, TransactionId::Generate(h.random()));
  check.back() ^= 1;
  h.Input(In(kPeer, check));
  EXPECT_TRUE(h.Drain().empty());
  EXPECT_EQ(h.agent().stats().dropped_bad_stun, 1u);
  EXPECT_EQ(h.agent().pair_count(), 0u);
}

TEST(IceSecurity, ResponseWithUnknownTransactionIdIsDropped) {
  Harness h(FullConfig(IceRole::kControlling));
  ASSERT_TRUE(h.agent().Start(h.now()).ok());
  ASSERT_TRUE(h.agent().SetRemoteCredentials(kRemote, h.now()).ok());
  std::vector<uint8_t> buffer(256);
  MessageBuilder b(buffer, {MessageClass::kSuccessResponse, stun::method::kBinding},
                   TransactionId::Generate(h.random()));
  b.AddXorAddress(stun::attr::kXorMappedAddress, kHost);
  stun::IntegrityKey key = stun::IntegrityKey::ShortTerm(kRemote.pwd);
  buffer.resize(b.Finish({.integrity = &key, .fingerprint = true})->size());
  h.Input(In(kPeer, buffer));
  EXPECT_TRUE(h.Drain().empty());
  EXPECT_EQ(h.agent().stats().dropped_unknown_transaction, 1u);
  EXPECT_EQ(h.agent().pair_count(), 0u);
  EXPECT_EQ(h.agent().local_candidates().size(), 1u);  // no peer-reflexive candidate learned
}

TEST(IceSecurity, SpoofedResponsesToAnOutstandingCheck) {
  Harness h(FullConfig(IceRole::kControlling));
  ASSERT_TRUE(h.agent().Start(h.now()).ok());
  ASSERT_TRUE(h.agent().SetRemoteCredentials(kRemote, h.now()).ok());
  Candidate remote;
  remote.foundation = "r1";
  remote.priority = 2130706431;
  remote.address = kPeer;
  ASSERT_TRUE(h.agent().AddRemoteCandidate(remote, h.now()).ok());
  std::vector<Transmit> out = h.Drain();
  ASSERT_EQ(out.size(), 1u);
  absl::StatusOr<MessageView> req = MessageView::Parse(out[0].payload);
  ASSERT_TRUE(req.ok());
  EXPECT_EQ(req->message_class(), MessageClass::kRequest);
  EXPECT_TRUE(req->VerifyMessageIntegrity(stun::IntegrityKey::ShortTerm(kRemote.pwd)).ok());
  EXPECT_EQ(*req->GetUsername(), "cliU:srvU");
  EXPECT_TRUE(req->Has(stun::attr::kIceControlling));
  TransactionId id = req->transaction_id();

  auto response = [&](const stun::IntegrityKey* key, const SocketAddress& mapped) {
    std::vector<uint8_t> buffer(256);
    MessageBuilder b(buffer, {MessageClass::kSuccessResponse, stun::method::kBinding}, id);
    b.AddXorAddress(stun::attr::kXorMappedAddress, mapped);
    buffer.resize(b.Finish({.integrity = key, .fingerprint = true})->size());
    return buffer;
  };
  stun::IntegrityKey wrong = stun::IntegrityKey::ShortTerm("wrongwrongwrongwrongwrong");
  stun::IntegrityKey right = stun::IntegrityKey::ShortTerm(kRemote.pwd);
  // Without or with the wrong integrity: ignored, the transaction keeps waiting.
  h.Input(In(kPeer, response(nullptr, Addr("198.51.100.99:1"))));
  h.Input(In(kPeer, response(&wrong, Addr("198.51.100.99:1"))));
  EXPECT_EQ(h.agent().pending_transaction_count(), 1u);
  EXPECT_EQ(h.agent().local_candidates().size(), 1u);
  EXPECT_EQ(h.agent().stats().dropped_unauthenticated, 2u);
  // The genuine answer: succeeds, learns a peer-reflexive local candidate.
  h.Input(In(kPeer, response(&right, Addr("198.51.100.7:7000"))));
  EXPECT_EQ(h.agent().local_candidates().size(), 2u);
  EXPECT_EQ(h.agent().local_candidates()[1].type, CandidateType::kPeerReflexive);
  // A replay of it is an unknown transaction now.
  h.Input(In(kPeer, response(&right, Addr("198.51.100.7:7000"))));
  EXPECT_EQ(h.agent().stats().dropped_unknown_transaction, 1u);
}

TEST(IceSecurity, FloodOfValidChecksFromUnknownAddressesIsBounded) {
  IceAgentConfig config = FullConfig(IceRole::kControlled);
  Harness h(config);
  ASSERT_TRUE(h.agent().Start(h.now()).ok());
  ASSERT_TRUE(h.agent().SetRemoteCredentials(kRemote, h.now()).ok());
  Timestamp start = h.now();
  size_t max_transmits = 0;
  for (int i = 0; i < 20000; ++i) {
    SocketAddress from(IpAddress::V4(0xC6336400u + static_cast<uint32_t>(i / 60000)),
                       static_cast<uint16_t>(1024 + i % 60000));
    h.Input(In(from, BuildCheck({.controlling = 1}, TransactionId::Generate(h.random()))));
    max_transmits = std::max(max_transmits, h.Drain().size());
    if (i % 100 == 99) h.Advance(Duration::Millis(50));  // 2000 checks/s for 10 s
  }
  double seconds = (h.now() - start).seconds();
  EXPECT_LE(h.agent().remote_candidate_count(), config.max_remote_candidates);
  EXPECT_LE(h.agent().pair_count(), config.max_pairs);
  EXPECT_LE(h.agent().pending_transaction_count(), config.max_pairs + 8);  // + cancelled ones
  EXPECT_GT(h.agent().stats().dropped_rate_limited, 15000u);
  // Token bucket: burst + rate * elapsed requests processed (HMAC computed), no more.
  uint64_t processed = h.agent().stats().requests_received - h.agent().stats().dropped_rate_limited;
  EXPECT_LE(processed,
            static_cast<uint64_t>(config.unknown_source_burst + config.unknown_source_rate * seconds) + 1);
  EXPECT_LT(max_transmits, 5u);
}

TEST(IceSecurity, FloodOfForgedChecksCostsBoundedWork) {
  Harness h(LiteConfig());
  ASSERT_TRUE(h.agent().Start(h.now()).ok());
  for (int i = 0; i < 50000; ++i) {
    SocketAddress from(IpAddress::V4(0xCB007100u + static_cast<uint32_t>(i % 250)),
                       static_cast<uint16_t>(2000 + i));
    h.Input(In(from, BuildCheck({.pwd = "forgedforgedforgedforged"}, TransactionId::Generate(h.random()))));
    h.Drain();
  }
  // All within one instant: only the burst got as far as the HMAC.
  EXPECT_LE(h.agent().stats().dropped_unauthenticated, 100u);
  EXPECT_EQ(h.agent().stats().dropped_rate_limited, 50000u - h.agent().stats().dropped_unauthenticated);
  EXPECT_EQ(h.agent().pair_count(), 0u);
  EXPECT_EQ(h.agent().remote_candidate_count(), 0u);
}

TEST(IceSecurity, TruncatedAndCorruptedInputNeverCrashes) {
  Harness h(FullConfig(IceRole::kControlled));
  ASSERT_TRUE(h.agent().Start(h.now()).ok());
  ASSERT_TRUE(h.agent().SetRemoteCredentials(kRemote, h.now()).ok());
  std::vector<uint8_t> check = BuildCheck({.controlling = 5}, TransactionId::Generate(h.random()));
  for (size_t n = 0; n < check.size(); ++n) {
    h.Input(In(kPeer, ByteSpan(check.data(), n)));
    h.Drain();
  }
  for (size_t i = 0; i < check.size() * 8; ++i) {
    std::vector<uint8_t> flipped = check;
    flipped[i / 8] ^= static_cast<uint8_t>(1u << (i % 8));
    h.Input(In(kPeer, flipped));
    h.Drain();
  }
  SeededRandom noise(99);
  for (int i = 0; i < 2000; ++i) {
    std::vector<uint8_t> junk(noise.Uniform(200));
    noise.Fill(junk);
    if (!junk.empty() && i % 2 == 0) junk[0] &= 0x03;  // look like STUN to the demultiplexer
    h.Input(In(kPeer, junk));
    h.Input(In(kPeer, junk, kHost, TransportProtocol::kTcp));
    h.Drain();
    h.Events();
  }
  EXPECT_EQ(h.agent().pair_count(), 0u);
  EXPECT_EQ(h.agent().remote_candidate_count(), 0u);
  // The intact check still works afterwards.
  h.Input(In(kPeer, check));
  EXPECT_EQ(h.agent().pair_count(), 1u);
}

uint64_t Other(uint64_t tb, int delta) {
  return delta > 0 ? (tb == ~0ull ? tb : tb + 1) : (tb == 0 ? 0 : tb - 1);
}

TEST(IceRoleConflict, Rfc8445Section7_3_1_1ControllingVsControlling) {
  // Our tie-breaker is larger: 487 (integrity-protected), we stay controlling.
  {
    Harness h(FullConfig(IceRole::kControlling), 3);
    ASSERT_TRUE(h.agent().Start(h.now()).ok());
    uint64_t tb = h.agent().tie_breaker();
    ASSERT_GT(tb, 0u);
    h.Input(In(kPeer, BuildCheck({.controlling = Other(tb, -1)}, TransactionId::Generate(h.random()))));
    std::vector<Transmit> out = h.Drain();
    ASSERT_EQ(out.size(), 1u);
    absl::StatusOr<MessageView> r = MessageView::Parse(out[0].payload);
    EXPECT_EQ(r->GetErrorCode()->code, 487);
    EXPECT_TRUE(r->VerifyMessageIntegrity(stun::IntegrityKey::ShortTerm(kLocal.pwd)).ok());
    EXPECT_EQ(h.agent().role(), IceRole::kControlling);
    EXPECT_EQ(h.agent().pair_count(), 0u);
  }
  // Theirs is larger: we become controlled and answer with success.
  {
    Harness h(FullConfig(IceRole::kControlling), 4);
    ASSERT_TRUE(h.agent().Start(h.now()).ok());
    uint64_t tb = h.agent().tie_breaker();
    ASSERT_LT(tb, ~0ull);
    h.Events();
    h.Input(In(kPeer, BuildCheck({.controlling = Other(tb, +1)}, TransactionId::Generate(h.random()))));
    std::vector<Transmit> out = h.Drain();
    ASSERT_GE(out.size(), 1u);
    EXPECT_EQ(MessageView::Parse(out[0].payload)->message_class(), MessageClass::kSuccessResponse);
    EXPECT_EQ(h.agent().role(), IceRole::kControlled);
    EXPECT_EQ(Last<IceRoleChanged>(h.Events())->role, IceRole::kControlled);
  }
}

TEST(IceRoleConflict, Rfc8445Section7_3_1_1ControlledVsControlled) {
  {
    Harness h(FullConfig(IceRole::kControlled), 5);
    ASSERT_TRUE(h.agent().Start(h.now()).ok());
    uint64_t tb = h.agent().tie_breaker();
    h.Input(In(kPeer, BuildCheck({.controlling = std::nullopt, .controlled = Other(tb, -1)},
                                 TransactionId::Generate(h.random()))));
    h.Drain();
    EXPECT_EQ(h.agent().role(), IceRole::kControlling);  // ours is larger: we switch
  }
  {
    Harness h(FullConfig(IceRole::kControlled), 6);
    ASSERT_TRUE(h.agent().Start(h.now()).ok());
    uint64_t tb = h.agent().tie_breaker();
    h.Input(In(kPeer, BuildCheck({.controlling = std::nullopt, .controlled = Other(tb, +1)},
                                 TransactionId::Generate(h.random()))));
    std::vector<Transmit> out = h.Drain();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(MessageView::Parse(out[0].payload)->GetErrorCode()->code, 487);
    EXPECT_EQ(h.agent().role(), IceRole::kControlled);
  }
}

TEST(IceRoleConflict, Rfc8445Section7_2_5_1ErrorResponse487SwitchesRole) {
  Harness h(FullConfig(IceRole::kControlling));
  ASSERT_TRUE(h.agent().Start(h.now()).ok());
  ASSERT_TRUE(h.agent().SetRemoteCredentials(kRemote, h.now()).ok());
  Candidate remote;
  remote.foundation = "r1";
  remote.priority = 2130706431;
  remote.address = kPeer;
  ASSERT_TRUE(h.agent().AddRemoteCandidate(remote, h.now()).ok());
  std::vector<Transmit> out = h.Drain();
  ASSERT_EQ(out.size(), 1u);
  TransactionId id = MessageView::Parse(out[0].payload)->transaction_id();
  std::vector<uint8_t> buffer(256);
  MessageBuilder b(buffer, {MessageClass::kErrorResponse, stun::method::kBinding}, id);
  b.AddErrorCode(487);
  stun::IntegrityKey key = stun::IntegrityKey::ShortTerm(kRemote.pwd);
  buffer.resize(b.Finish({.integrity = &key, .fingerprint = true})->size());
  h.Input(In(kPeer, buffer));
  EXPECT_EQ(h.agent().role(), IceRole::kControlled);
  // The pair is checked again (a triggered check) with the new role.
  std::vector<std::pair<Timestamp, Transmit>> again = h.RunUntil(h.now() + Duration::Millis(100));
  ASSERT_FALSE(again.empty());
  absl::StatusOr<MessageView> retry = MessageView::Parse(again[0].second.payload);
  ASSERT_TRUE(retry.ok());
  EXPECT_TRUE(retry->Has(stun::attr::kIceControlled));
  EXPECT_NE(retry->transaction_id(), id);
}

class FakeResolver final : public MdnsResolver {
 public:
  void Resolve(std::string_view hostname) override { names.emplace_back(hostname); }
  std::vector<std::string> names;
};

Candidate MdnsCandidate() {
  Candidate c = *ParseCandidate(
      "candidate:1 1 udp 2122260223 4a1f0c2e-0c4b-4b8e-8a8e-3f1e2d3c4b5a.local 50000 typ host");
  return c;
}

TEST(IceMdns, WithoutResolverTheCandidateIsDroppedWithAnEvent) {
  Harness h(FullConfig(IceRole::kControlling));
  ASSERT_TRUE(h.agent().Start(h.now()).ok());
  h.Events();
  EXPECT_TRUE(h.agent().AddRemoteCandidate(MdnsCandidate(), h.now()).ok());
  std::optional<IceCandidateDropped> dropped = Last<IceCandidateDropped>(h.Events());
  ASSERT_TRUE(dropped.has_value());
  EXPECT_NE(dropped->reason.find("mDNS"), std::string::npos);
  EXPECT_EQ(h.agent().remote_candidate_count(), 0u);
}

TEST(IceMdns, ResolvedThroughTheInjectedResolver) {
  FakeResolver resolver;
  IceAgentConfig config = FullConfig(IceRole::kControlling);
  config.mdns_resolver = &resolver;
  Harness h(config);
  ASSERT_TRUE(h.agent().Start(h.now()).ok());
  ASSERT_TRUE(h.agent().SetRemoteCredentials(kRemote, h.now()).ok());
  ASSERT_TRUE(h.agent().AddRemoteCandidate(MdnsCandidate(), h.now()).ok());
  ASSERT_EQ(resolver.names.size(), 1u);
  EXPECT_EQ(h.agent().remote_candidate_count(), 0u);
  h.agent().HandleMdnsResult(resolver.names[0], IpAddress::V4(203, 0, 113, 5), h.now());
  EXPECT_EQ(h.agent().remote_candidate_count(), 1u);
  EXPECT_EQ(h.agent().remote_candidates()[0].address, Addr("203.0.113.5:50000"));
  std::vector<Transmit> out = h.Drain();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].remote, Addr("203.0.113.5:50000"));
  // A name that does not resolve: dropped with an event.
  Candidate other = MdnsCandidate();
  other.hostname = "ffffffff-0c4b-4b8e-8a8e-3f1e2d3c4b5a.local";
  ASSERT_TRUE(h.agent().AddRemoteCandidate(other, h.now()).ok());
  h.Events();
  h.agent().HandleMdnsResult(other.hostname, std::nullopt, h.now());
  EXPECT_TRUE(Last<IceCandidateDropped>(h.Events()).has_value());
  EXPECT_EQ(h.agent().remote_candidate_count(), 1u);
  // An answer nobody asked for changes nothing.
  h.agent().HandleMdnsResult("nobody.local", IpAddress::V4(1, 2, 3, 4), h.now());
  EXPECT_EQ(h.agent().remote_candidate_count(), 1u);
}

TEST(IceTcp, Rfc6544PassiveHostCandidateAnswersFramedChecks) {
  IceAgentConfig config = LiteConfig();
  config.tcp_passive_addresses = {Addr("192.0.2.1:443")};
  Harness h(config);
  ASSERT_TRUE(h.agent().Start(h.now()).ok());
  std::vector<Candidate> locals = h.agent().local_candidates();
  ASSERT_EQ(locals.size(), 2u);
  const Candidate& tcp = locals[1];
  EXPECT_EQ(tcp.protocol, TransportProtocol::kTcp);
  EXPECT_EQ(tcp.tcp_type, TcpType::kPassive);
  EXPECT_LT(tcp.priority, locals[0].priority);  // UDP preferred
  EXPECT_EQ(tcp.priority >> 24, kTypePreferenceHost);
  EXPECT_NE(SerializeCandidate(tcp).find(" tcp "), std::string::npos);
  EXPECT_NE(SerializeCandidate(tcp).find("tcptype passive"), std::string::npos);

  SocketAddress client = Addr("203.0.113.5:51234");
  std::vector<uint8_t> check = BuildCheck({.use_candidate = true}, TransactionId::Generate(h.random()));
  std::vector<uint8_t> frame = Rfc4571Frame(check);
  h.Input(In(client, frame, Addr("192.0.2.1:443"), TransportProtocol::kTcp));
  std::vector<Transmit> out = h.Drain();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].protocol, TransportProtocol::kTcp);
  ASSERT_EQ(Rfc4571FrameSize(out[0].payload), out[0].payload.size());
  absl::StatusOr<MessageView> r = MessageView::Parse(ByteSpan(out[0].payload).subspan(2));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->message_class(), MessageClass::kSuccessResponse);
  std::optional<IceCandidatePair> pair = h.agent().selected_pair();
  ASSERT_TRUE(pair.has_value());
  EXPECT_EQ(pair->local.protocol, TransportProtocol::kTcp);
  EXPECT_EQ(pair->remote.tcp_type, TcpType::kActive);
  // Data on the TCP pair is framed too.
  ASSERT_TRUE(h.agent().Send(std::vector<uint8_t>{23, 1, 2}, h.now()).ok());
  out = h.Drain();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].payload, (std::vector<uint8_t>{0, 3, 23, 1, 2}));
  // An unframed or mis-framed TCP datagram is dropped.
  uint64_t bad = h.agent().stats().dropped_bad_stun;
  h.Input(In(client, check, Addr("192.0.2.1:443"), TransportProtocol::kTcp));
  EXPECT_EQ(h.agent().stats().dropped_bad_stun, bad + 1);
}

TEST(IceRelay, RelayCandidateTransmitsCarryTheRelayedAddress) {
  Harness h(FullConfig(IceRole::kControlling));
  ASSERT_TRUE(h.agent().Start(h.now()).ok());
  SocketAddress relayed = Addr("198.51.100.2:50000"), server = Addr("198.51.100.2:3478");
  h.Events();
  ASSERT_TRUE(h.agent().AddLocalRelayCandidate(relayed, server, h.now(), Addr("203.0.113.77:4000")).ok());
  EXPECT_FALSE(h.agent().AddLocalRelayCandidate(relayed, server, h.now()).ok());  // duplicate
  std::optional<IceCandidateGathered> gathered = Last<IceCandidateGathered>(h.Events());
  ASSERT_TRUE(gathered.has_value());
  EXPECT_EQ(gathered->candidate.type, CandidateType::kRelay);
  EXPECT_EQ(gathered->candidate.related_address, Addr("203.0.113.77:4000"));
  EXPECT_EQ(gathered->candidate.priority >> 24, 0u);
  EXPECT_EQ(h.agent().RouteOf(relayed), server);
  EXPECT_EQ(h.agent().RouteOf(kHost), std::nullopt);

  ASSERT_TRUE(h.agent().SetRemoteCredentials(kRemote, h.now()).ok());
  Candidate remote;
  remote.foundation = "r1";
  remote.priority = 2130706431;
  remote.address = kPeer;
  ASSERT_TRUE(h.agent().AddRemoteCandidate(remote, h.now()).ok());
  std::vector<std::pair<Timestamp, Transmit>> sent = h.RunUntil(h.now() + Duration::Millis(200));
  std::set<SocketAddress> locals;
  for (auto& [time, t] : sent) locals.insert(t.local);
  EXPECT_EQ(locals, (std::set<SocketAddress>{kHost, relayed}));
  // A relayed datagram comes back in on the relayed address.
  for (auto& [time, t] : sent) {
    if (t.local != relayed) continue;
    absl::StatusOr<MessageView> req = MessageView::Parse(t.payload);
    std::vector<uint8_t> buffer(256);
    MessageBuilder b(buffer, {MessageClass::kSuccessResponse, stun::method::kBinding}, req->transaction_id());
    b.AddXorAddress(stun::attr::kXorMappedAddress, relayed);
    stun::IntegrityKey key = stun::IntegrityKey::ShortTerm(kRemote.pwd);
    buffer.resize(b.Finish({.integrity = &key, .fingerprint = true})->size());
    h.Input(In(kPeer, buffer, relayed));
  }
  bool relay_pair_valid = false;
  for (const IceCandidatePairStats& p : h.agent().candidate_pairs()) {
    if (p.pair.local.type == CandidateType::kRelay && p.valid) relay_pair_valid = true;
  }
  EXPECT_TRUE(relay_pair_valid);
}

TEST(IceRelay, RelayOnlyAgentWaitsForItsPendingAllocationBeforeFailing) {
  // No host address: the only candidate will be the relayed one, which comes after the TURN
  // allocation. The peer's end-of-candidates must not make the agent fail before that.
  IceAgentConfig config = FullConfig(IceRole::kControlling);
  config.host_addresses.clear();
  config.pending_relay_allocations = 1;
  Harness h(config);
  ASSERT_TRUE(h.agent().Start(h.now()).ok());
  EXPECT_EQ(h.agent().gathering_state(), IceGatheringState::kGathering);
  ASSERT_TRUE(h.agent().SetRemoteCredentials(kRemote, h.now()).ok());
  Candidate remote;
  remote.foundation = "r1";
  remote.type = CandidateType::kRelay;
  remote.priority = 16777215;
  remote.address = kPeer;
  ASSERT_TRUE(h.agent().AddRemoteCandidate(remote, h.now()).ok());
  h.agent().SetRemoteEndOfCandidates(h.now());
  h.Advance(Duration::Seconds(5));
  std::vector<IceEvent> events = h.Events();
  EXPECT_EQ(Count<IceGatheringComplete>(events), 0);
  EXPECT_NE(h.agent().state(), IceConnectionState::kFailed);

  SocketAddress relayed = Addr("198.51.100.2:50000"), server = Addr("198.51.100.2:3478");
  ASSERT_TRUE(h.agent().AddLocalRelayCandidate(relayed, server, h.now()).ok());
  EXPECT_EQ(h.agent().gathering_state(), IceGatheringState::kGathering);
  h.agent().RelayAllocationDone(h.now());
  EXPECT_EQ(h.agent().gathering_state(), IceGatheringState::kComplete);
  events = h.Events();
  EXPECT_EQ(Count<IceCandidateGathered>(events), 1);
  EXPECT_EQ(Count<IceGatheringComplete>(events), 1);
  h.agent().RelayAllocationDone(h.now());  // extra calls are ignored
  EXPECT_EQ(Count<IceGatheringComplete>(h.Events()), 0);
  // The relay pair is checked; with no answer the agent fails only after its checks time out.
  std::vector<std::pair<Timestamp, Transmit>> sent = h.RunUntil(h.now() + Duration::Millis(100));
  ASSERT_FALSE(sent.empty());
  EXPECT_EQ(sent[0].second.local, relayed);
  EXPECT_EQ(sent[0].second.remote, kPeer);
  h.Advance(Duration::Seconds(60));
  EXPECT_EQ(h.agent().state(), IceConnectionState::kFailed);
}

TEST(IceRelay, FailedAllocationCompletesGatheringWithoutCandidate) {
  IceAgentConfig config = FullConfig(IceRole::kControlled);
  config.pending_relay_allocations = 2;
  Harness h(config);
  ASSERT_TRUE(h.agent().Start(h.now()).ok());
  std::vector<IceEvent> events = h.Events();
  EXPECT_EQ(Count<IceCandidateGathered>(events), 1);  // the host candidate
  EXPECT_EQ(Count<IceGatheringComplete>(events), 0);
  h.agent().RelayAllocationDone(h.now());
  EXPECT_EQ(Count<IceGatheringComplete>(h.Events()), 0);
  h.agent().RelayAllocationDone(h.now());
  EXPECT_EQ(Count<IceGatheringComplete>(h.Events()), 1);

  IceAgentConfig bad = FullConfig(IceRole::kControlled);
  bad.pending_relay_allocations = -1;
  Harness hb(bad);
  EXPECT_EQ(hb.agent().Start(hb.now()).code(), absl::StatusCode::kInvalidArgument);
}

TEST(IceGathering, ServerReflexiveFromStunServer) {
  IceAgentConfig config = FullConfig(IceRole::kControlling);
  SocketAddress server = Addr("198.51.100.1:3478");
  config.stun_servers = {server, Addr("[2001:db8::1]:3478")};  // the v6 one has no v4 host: unused
  Harness h(config);
  ASSERT_TRUE(h.agent().Start(h.now()).ok());
  EXPECT_EQ(h.agent().gathering_state(), IceGatheringState::kGathering);
  std::vector<Transmit> out = h.Drain();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].remote, server);
  EXPECT_EQ(out[0].local, kHost);
  absl::StatusOr<MessageView> req = MessageView::Parse(out[0].payload);
  ASSERT_TRUE(req.ok());
  EXPECT_FALSE(req->Has(stun::attr::kUsername));
  auto answer = [&](const SocketAddress& mapped) {
    std::vector<uint8_t> buffer(128);
    MessageBuilder b(buffer, {MessageClass::kSuccessResponse, stun::method::kBinding}, req->transaction_id());
    b.AddXorAddress(stun::attr::kXorMappedAddress, mapped);
    buffer.resize(b.Finish({.fingerprint = true})->size());
    return buffer;
  };
  // From another address: not the server's answer.
  h.Input(In(Addr("198.51.100.9:3478"), answer(Addr("6.6.6.6:6"))));
  EXPECT_EQ(h.agent().stats().dropped_unknown_transaction, 1u);
  h.Events();
  h.Input(In(server, answer(Addr("203.0.113.50:61000"))));
  std::vector<IceEvent> events = h.Events();
  std::optional<IceCandidateGathered> srflx = Last<IceCandidateGathered>(events);
  ASSERT_TRUE(srflx.has_value());
  EXPECT_EQ(srflx->candidate.type, CandidateType::kServerReflexive);
  EXPECT_EQ(srflx->candidate.address, Addr("203.0.113.50:61000"));
  EXPECT_EQ(srflx->candidate.related_address, kHost);
  EXPECT_NE(srflx->candidate.foundation, h.agent().local_candidates()[0].foundation);
  EXPECT_EQ(Count<IceGatheringComplete>(events), 1);
  EXPECT_EQ(h.agent().gathering_state(), IceGatheringState::kComplete);
}

TEST(IceGathering, UnansweredStunServerRetransmitsThenCompletes) {
  IceAgentConfig config = FullConfig(IceRole::kControlling);
  config.stun_servers = {Addr("198.51.100.1:3478")};
  Harness h(config);
  Timestamp start = h.now();
  ASSERT_TRUE(h.agent().Start(h.now()).ok());
  std::vector<std::pair<Timestamp, Transmit>> sent = h.RunUntil(start + Duration::Seconds(30));
  ASSERT_EQ(sent.size(), 7u);  // Rc transmissions
  EXPECT_EQ(sent[1].first - sent[0].first, Duration::Millis(500));
  EXPECT_EQ(sent[2].first - sent[1].first, Duration::Millis(1000));
  EXPECT_EQ(sent[3].first - sent[2].first, Duration::Millis(2000));
  EXPECT_EQ(sent[4].first - sent[3].first, Duration::Millis(2000));  // capped at max_rto
  EXPECT_EQ(h.agent().gathering_state(), IceGatheringState::kComplete);
  EXPECT_EQ(h.agent().pending_transaction_count(), 0u);
}

Candidate Remote(std::string_view line) { return *ParseCandidate(line); }

TEST(IceCheckList, Rfc8445Section6_1_2PairingPruningAndFoundations) {
  IceAgentConfig config = FullConfig(IceRole::kControlling);
  config.host_addresses = {Addr("192.0.2.1:5000"), Addr("[2001:db8::1]:5000"), Addr("[fe80::1]:5000")};
  Harness h(config);
  ASSERT_TRUE(h.agent().Start(h.now()).ok());
  ASSERT_TRUE(h.agent().SetRemoteCredentials(kRemote, h.now()).ok());
  ASSERT_TRUE(
      h.agent().AddLocalRelayCandidate(Addr("198.51.100.2:50000"), Addr("198.51.100.2:3478"), h.now()).ok());
  ASSERT_TRUE(
      h.agent()
          .AddRemoteCandidate(Remote("candidate:a 1 udp 2130706431 203.0.113.5 6000 typ host"), h.now())
          .ok());
  ASSERT_TRUE(
      h.agent()
          .AddRemoteCandidate(Remote("candidate:b 1 udp 2130706175 2001:db8::5 6000 typ host"), h.now())
          .ok());
  ASSERT_TRUE(
      h.agent()
          .AddRemoteCandidate(
              Remote("candidate:c 1 udp 1694498815 203.0.113.6 7000 typ srflx raddr 10.0.0.5 rport 7000"),
              h.now())
          .ok());
  ASSERT_TRUE(h.agent()
                  .AddRemoteCandidate(Remote("candidate:d 1 udp 2130706431 fe80::5 6000 typ host"), h.now())
                  .ok());
  ASSERT_TRUE(h.agent()
                  .AddRemoteCandidate(
                      Remote("candidate:e 1 tcp 1518280447 203.0.113.5 9 typ host tcptype active"), h.now())
                  .ok());
  // Duplicates are ignored; another component is refused.
  ASSERT_TRUE(
      h.agent()
          .AddRemoteCandidate(Remote("candidate:a 1 udp 2130706431 203.0.113.5 6000 typ host"), h.now())
          .ok());
  EXPECT_FALSE(
      h.agent()
          .AddRemoteCandidate(Remote("candidate:z 2 udp 2130706431 203.0.113.5 6001 typ host"), h.now())
          .ok());

  std::vector<IceCandidatePairStats> pairs = h.agent().candidate_pairs();
  // v4 host x {a, c}, relay(v4) x {a, c}, v6 x {b}, link-local x {d}; no TCP pairs (no local TCP).
  EXPECT_EQ(pairs.size(), 6u);
  for (const IceCandidatePairStats& p : pairs) {
    EXPECT_EQ(p.pair.local.address.family(), p.pair.remote.address.family());
    EXPECT_EQ(p.pair.local.address.ip().IsLinkLocal(), p.pair.remote.address.ip().IsLinkLocal());
    EXPECT_TRUE(p.pair.local.type == CandidateType::kHost || p.pair.local.type == CandidateType::kRelay);
    uint32_t g = p.pair.local.priority, d = p.pair.remote.priority;
    EXPECT_EQ(p.pair.priority, ComputePairPriority(g, d));  // we are controlling
  }
  // Local foundations differ by type and base (§5.1.1.3).
  std::set<std::string> foundations;
  for (const Candidate& c : h.agent().local_candidates()) foundations.insert(c.foundation);
  EXPECT_EQ(foundations.size(), h.agent().local_candidates().size());
}

TEST(IceCheckList, Rfc8445Section6_1_4PacingAndSection14Rto) {
  IceAgentConfig config = FullConfig(IceRole::kControlling);
  Harness h(config);
  ASSERT_TRUE(h.agent().Start(h.now()).ok());
  for (int i = 0; i < 12; ++i) {
    Candidate c;
    c.foundation = absl::StrCat("f", i);
    c.priority = 2130706431 - static_cast<uint32_t>(i) * 256;
    c.address = SocketAddress(IpAddress::V4(203, 0, 113, static_cast<uint8_t>(10 + i)), 6000);
    ASSERT_TRUE(h.agent().AddRemoteCandidate(c, h.now()).ok());
  }
  EXPECT_TRUE(h.Drain().empty());  // no checks before the remote credentials are known
  ASSERT_TRUE(h.agent().SetRemoteCredentials(kRemote, h.now()).ok());
  Timestamp start = h.now();
  std::vector<std::pair<Timestamp, Transmit>> sent = h.RunUntil(start + Duration::Millis(1000));
  std::map<SocketAddress, std::vector<Timestamp>> by_remote;
  std::vector<Timestamp> firsts;
  for (auto& [time, t] : sent) {
    auto& times = by_remote[t.remote];
    if (times.empty()) firsts.push_back(time);
    times.push_back(time);
  }
  ASSERT_EQ(firsts.size(), 12u);
  for (size_t i = 1; i < firsts.size(); ++i) EXPECT_GE(firsts[i] - firsts[i - 1], config.ta);
  // Checked in priority order.
  EXPECT_EQ(sent[0].second.remote.ip(), IpAddress::V4(203, 0, 113, 10));
  // RTO = max(500 ms, Ta * (waiting + in-progress)) = 600 ms for the first check.
  ASSERT_GE(by_remote[sent[0].second.remote].size(), 2u);
  EXPECT_EQ(by_remote[sent[0].second.remote][1] - by_remote[sent[0].second.remote][0], Duration::Millis(600));
}

TEST(IceCheckList, Rfc8445Section6_1_2_6FrozenUntilFoundationSucceeds) {
  // Controlled, so that no nomination re-checks the first pair right after its success.
  Harness h(FullConfig(IceRole::kControlled));
  ASSERT_TRUE(h.agent().Start(h.now()).ok());
  ASSERT_TRUE(h.agent().SetRemoteCredentials(kRemote, h.now()).ok());
  // Two remote candidates with the same foundation: one pair waits, the other is frozen.
  ASSERT_TRUE(
      h.agent()
          .AddRemoteCandidate(Remote("candidate:x 1 udp 2130706431 203.0.113.5 6000 typ host"), h.now())
          .ok());
  ASSERT_TRUE(
      h.agent()
          .AddRemoteCandidate(Remote("candidate:x 1 udp 2130706175 203.0.113.5 6001 typ host"), h.now())
          .ok());
  std::vector<IceCandidatePairStats> pairs = h.agent().candidate_pairs();
  ASSERT_EQ(pairs.size(), 2u);
  EXPECT_EQ(pairs[0].state, IceCandidatePairState::kInProgress);  // checked at once
  EXPECT_EQ(pairs[1].state, IceCandidatePairState::kFrozen);
  std::vector<Transmit> out = h.Drain();
  ASSERT_EQ(out.size(), 1u);
  absl::StatusOr<MessageView> req = MessageView::Parse(out[0].payload);
  std::vector<uint8_t> buffer(256);
  MessageBuilder b(buffer, {MessageClass::kSuccessResponse, stun::method::kBinding}, req->transaction_id());
  b.AddXorAddress(stun::attr::kXorMappedAddress, kHost);
  stun::IntegrityKey key = stun::IntegrityKey::ShortTerm(kRemote.pwd);
  buffer.resize(b.Finish({.integrity = &key, .fingerprint = true})->size());
  h.Input(In(Addr("203.0.113.5:6000"), buffer));
  pairs = h.agent().candidate_pairs();
  EXPECT_EQ(pairs[0].state, IceCandidatePairState::kSucceeded);
  EXPECT_TRUE(pairs[0].valid);
  EXPECT_NE(pairs[1].state, IceCandidatePairState::kFrozen);  // unfrozen by the success
}

// Regular nomination (RFC 8445 §8.1.1): once the only pair is valid, the controlling agent repeats
// its check with USE-CANDIDATE — at once by default, in the next Ta slot with pace_nomination.
TEST(IceNomination, NominationIsSentAtOnceUnlessPaced) {
  for (bool paced : {false, true}) {
    SCOPED_TRACE(paced ? "pace_nomination" : "default");
    IceAgentConfig config = FullConfig(IceRole::kControlling);
    config.pace_nomination = paced;
    Harness h(config);
    ASSERT_TRUE(h.agent().Start(h.now()).ok());
    ASSERT_TRUE(h.agent().SetRemoteCredentials(kRemote, h.now()).ok());
    ASSERT_TRUE(
        h.agent()
            .AddRemoteCandidate(Remote("candidate:x 1 udp 2130706431 203.0.113.5 6000 typ host"), h.now())
            .ok());
    const Timestamp first_check = h.now();
    std::vector<Transmit> out = h.Drain();
    ASSERT_EQ(out.size(), 1u);
    absl::StatusOr<MessageView> req = MessageView::Parse(out[0].payload);
    ASSERT_TRUE(req.ok());
    EXPECT_FALSE(req->Has(stun::attr::kUseCandidate));
    std::vector<uint8_t> buffer(256);
    MessageBuilder b(buffer, {MessageClass::kSuccessResponse, stun::method::kBinding}, req->transaction_id());
    b.AddXorAddress(stun::attr::kXorMappedAddress, kHost);
    stun::IntegrityKey key = stun::IntegrityKey::ShortTerm(kRemote.pwd);
    buffer.resize(b.Finish({.integrity = &key, .fingerprint = true})->size());
    const Timestamp answered = h.now() + Duration::Millis(1);
    h.Advance(Duration::Millis(1));
    h.Input(In(Addr("203.0.113.5:6000"), buffer));
    std::vector<std::pair<Timestamp, Transmit>> sent = h.RunUntil(h.now() + Duration::Millis(200));
    std::optional<Timestamp> nominated_at;
    for (const auto& [at, t] : sent) {
      absl::StatusOr<MessageView> m = MessageView::Parse(t.payload);
      if (m.ok() && m->Has(stun::attr::kUseCandidate)) {
        nominated_at = at;
        break;
      }
    }
    ASSERT_TRUE(nominated_at.has_value());
    if (paced) {
      EXPECT_EQ(*nominated_at, first_check + config.ta);  // the slot after the first check
    } else {
      EXPECT_EQ(*nominated_at, answered);
    }
  }
}

TEST(IceConfig, StartValidates) {
  {
    IceAgentConfig c = FullConfig(IceRole::kControlling);
    c.host_addresses = {kHost, kHost};
    Harness h(c);
    EXPECT_EQ(h.agent().Start(h.now()).code(), absl::StatusCode::kInvalidArgument);
  }
  {
    IceAgentConfig c = FullConfig(IceRole::kControlling);
    c.host_addresses = {Addr("0.0.0.0:5000")};
    Harness h(c);
    EXPECT_EQ(h.agent().Start(h.now()).code(), absl::StatusCode::kInvalidArgument);
  }
  {
    IceAgentConfig c = FullConfig(IceRole::kControlling);
    c.local_credentials = IceCredentials{"ab", "short"};
    Harness h(c);
    EXPECT_EQ(h.agent().Start(h.now()).code(), absl::StatusCode::kInvalidArgument);
  }
  {
    IceAgentConfig c = FullConfig(IceRole::kControlling);
    c.local_credentials.reset();
    Harness h(c);
    ASSERT_TRUE(h.agent().Start(h.now()).ok());
    EXPECT_TRUE(h.agent().local_credentials().IsValid());
    EXPECT_EQ(h.agent().Start(h.now()).code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_FALSE(h.agent().SetRemoteCredentials(IceCredentials{"x", "y"}, h.now()).ok());
    h.agent().Close();
    EXPECT_EQ(h.agent().state(), IceConnectionState::kClosed);
    EXPECT_FALSE(h.agent().NextTimeout().has_value());
    EXPECT_FALSE(h.agent().Send(std::vector<uint8_t>{1}, h.now()).ok());
  }
}

}  // namespace
}  // namespace tern::ice
