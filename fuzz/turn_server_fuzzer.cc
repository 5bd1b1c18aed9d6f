// libFuzzer harness for the sans-IO TURN server core (tern::turn::TurnServer, RFC 8656, RFC 8489 §9.2):
// datagrams and TCP stream bytes from many client sources, peer datagrams on relayed addresses, and the
// runtime's bind reports and timeouts, with a client that re-signs requests so the input reaches the
// authenticated state machine (allocations, permissions, channels, relaying), not only the parsers.
//
// Input: byte 0 picks the setup —
//   bit 0  confirm_relay_binds (the runtime must report each RelayOpened)
//   bit 1  offer PASSWORD-ALGORITHMS (re-signed requests then use SHA-256)
//   bit 2  a per-allocation bandwidth cap
//   bit 3  tiny limits (2 allocations, 3 permissions, 2 channels, 8 rate-limit entries, 2 streams,
//          256-byte frames, 16 queued transmits and events)
//   bit 4  RFC 8656 channel numbers only (rfc5766_channel_numbers off; by default 0x4000-0x7FFF)
// then operations [op][len_hi][len_lo][len bytes of data]:
//   op % 8 == 0  the data as a UDP datagram from client source op >> 3 (of 8; source 7 has another IP)
//            1  the data as TCP stream bytes from client source op >> 3
//            2  the data as a datagram from peer (op >> 3) & 3 to opened relay (op >> 5)
//            3  a re-signed request from source op >> 3: data[0] % 5 picks Allocate, Refresh,
//               CreatePermission, ChannelBind or a Send indication; data[1] holds flags (bit 0 add
//               REQUESTED-TRANSPORT UDP, bit 1 a LIFETIME of data[2], bits 2-3 the peer, bit 4 EVEN-PORT,
//               bit 5 ADDITIONAL-ADDRESS-FAMILY IPv6, bit 6 DONT-FRAGMENT, bit 7 CHANNEL-NUMBER
//               kChannels[data[2] % 8]); data[3..] are raw attributes (type, length, value) added as they
//               are; then USERNAME, REALM, the nonce last learned, integrity and FINGERPRINT
//            4  time passes: (data[0..1] + 1) × 100 ms, then HandleTimeout at NextTimeout steps
//            5  HandleRelayBindResult(opened relay data[0], OK unless data[1] is odd); with data[1] bit 1,
//               HandleIcmp(opened relay data[0], peer (data[1] >> 2) & 3, type data[2], code data[3])
//            6  HandleStreamClosed(source op >> 3)
//            7  ChannelData on channel kChannels[(op >> 3) % 8] with the data, from source 0 over UDP
// kChannels holds RFC 8656 numbers, RFC 5766 ones (0x5000-0x7FFF) and one outside both (0x8000).
// Invariants checked after every step: allocations, rate-limit entries and streams never exceed their
// caps; queues never exceed theirs; the allocation gauge equals allocation_count(); every transmit to a
// client goes out from the listening address as one well-formed STUN message (FINGERPRINT valid) or
// ChannelData message, and an unauthenticated one is no larger than its request plus the allowance;
// every transmit to a peer leaves from a relay address the server opened and goes to a peer the policy
// allows that is not the server itself; RelayOpened addresses are inside the relay range and RelayClosed
// only names opened ones; after HandleTimeout(t) the next timeout is later than t; a ChannelBind succeeds
// only for a first CHANNEL-NUMBER in the configured range, and ChannelData goes to a client only on a
// number bound that way.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
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
#include "tern/stun/stun.h"
#include "tern/turn/turn_server.h"

namespace tern::turn {
namespace {

const SocketAddress kListen(IpAddress::V4(198, 51, 100, 1), 3478);
const IpAddress kRelayV4 = IpAddress::V4(198, 51, 100, 2);
const SocketAddress kPeers[4] = {SocketAddress(IpAddress::V4(93, 184, 216, 34), 7000),
                                 SocketAddress(IpAddress::V4(93, 184, 216, 35), 7001),
                                 SocketAddress(IpAddress::V4(127, 0, 0, 1), 7002),  // denied
                                 SocketAddress(IpAddress::V4(198, 51, 100, 2), 3478)};  // the server itself
constexpr char kUser[] = "fuzz-user";
constexpr char kPassword[] = "fuzz-password";
constexpr char kRealm[] = "fuzz.realm";
constexpr uint16_t kMinPort = 50000;
constexpr uint16_t kMaxPort = 50063;
// The first four keep the seeds' meaning (0x4000 + n % 4); then RFC 5766-only numbers and 0x8000.
constexpr uint16_t kChannels[8] = {0x4000, 0x4001, 0x4002, 0x4003, 0x4FFF, 0x5000, 0x7647, 0x8000};

SocketAddress Source(size_t i) {
  i %= 8;
  if (i == 7) return SocketAddress(IpAddress::V4(203, 0, 113, 77), 40000);
  return SocketAddress(IpAddress::V4(203, 0, 113, 5), static_cast<uint16_t>(40000 + i));
}

class Harness {
 public:
  explicit Harness(uint8_t setup) : random_(setup) {
    config_.realm = kRealm;
    config_.software = "fuzz";
    config_.listening = {kListen};
    config_.relay_addresses = {{kRelayV4, {}}, {*IpAddress::Parse("2001:db8::2"), {}}};
    config_.min_port = kMinPort;
    config_.max_port = kMaxPort;
    config_.users = {{kUser, kPassword}};
    config_.confirm_relay_binds = (setup & 1) != 0;
    config_.offer_password_algorithms = (setup & 2) != 0;
    if (setup & 4) config_.bandwidth_cap_bytes_per_second = 2000;
    config_.rfc5766_channel_numbers = (setup & 16) == 0;
    max_channel_ = config_.rfc5766_channel_numbers ? 0x7FFF : 0x4FFF;
    if (setup & 8) {
      config_.max_allocations = 2;
      config_.max_permissions_per_allocation = 3;
      config_.max_channels_per_allocation = 2;
      config_.max_rate_limit_entries = 8;
      config_.max_streams = 2;
      config_.max_stream_frame_size = 256;
      config_.max_queued_transmits = 16;
      config_.max_queued_events = 16;
      config_.max_total_stream_buffer = 300;
    }
    sha256_ = config_.offer_password_algorithms;
    auto s = TurnServer::Create(config_, random_);
    TERN_FUZZ_CHECK_OK(s.status());
    server_ = std::move(*s);
  }

  void Run(const uint8_t* data, size_t size) {
    ByteReader r(ByteSpan(data, size));
    int steps = 0;
    while (!r.empty() && steps++ < 256) {
      uint8_t op;
      uint16_t len;
      ByteSpan payload;
      if (!r.ReadU8(&op) || !r.ReadU16(&len)) return;
      if (!r.ReadBytes(std::min<size_t>(len, r.remaining()), &payload)) return;
      Step(op, payload);
      Drain();
    }
  }

 private:
  void Input(const SocketAddress& local, const SocketAddress& remote, TransportProtocol protocol, ByteSpan bytes) {
    Datagram d;
    d.local = local;
    d.remote = remote;
    d.protocol = protocol;
    d.payload = bytes;
    last_request_size_ = bytes.size();
    server_->HandleInput(d, now_);
  }

  void Step(uint8_t op, ByteSpan data) {
    size_t who = op >> 3;
    switch (op & 7) {
      case 0:
        Input(kListen, Source(who), TransportProtocol::kUdp, data);
        break;
      case 1:
        Input(kListen, Source(who), TransportProtocol::kTcp, data);
        break;
      case 2: {
        if (opened_.empty()) break;
        auto it = opened_.begin();
        std::advance(it, (op >> 5) % opened_.size());
        Input(*it, kPeers[(op >> 3) & 3], TransportProtocol::kUdp, data);
        break;
      }
      case 3:
        SignedRequest(Source(who), data);
        break;
      case 4: {
        uint16_t ticks = data.size() >= 2 ? LoadBigEndian16(data.data()) : (data.empty() ? 0 : data[0]);
        Timestamp until = now_ + Duration::Millis(100) * (static_cast<int64_t>(ticks) + 1);
        for (int i = 0; i < 64; ++i) {
          std::optional<Timestamp> next = server_->NextTimeout();
          if (!next.has_value() || *next > until) break;
          if (*next > now_) now_ = *next;
          server_->HandleTimeout(now_);
          std::optional<Timestamp> after = server_->NextTimeout();
          TERN_FUZZ_CHECK(!after.has_value() || *after > now_);
          Drain();
        }
        now_ = until;
        server_->HandleTimeout(now_);
        std::optional<Timestamp> after = server_->NextTimeout();
        TERN_FUZZ_CHECK(!after.has_value() || *after > now_);
        break;
      }
      case 5: {
        if (opened_.empty() || data.empty()) break;
        auto it = opened_.begin();
        std::advance(it, data[0] % opened_.size());
        if (data.size() >= 4 && (data[1] & 2)) {
          server_->HandleIcmp(*it, kPeers[(data[1] >> 2) & 3], data[2], data[3], 1280, now_);
          break;
        }
        bool fail = data.size() >= 2 && (data[1] & 1);
        SocketAddress address = *it;
        if (fail) opened_.erase(it);  // the runtime could not bind it: nothing to close later
        server_->HandleRelayBindResult(address, fail ? absl::UnavailableError("fuzz") : absl::OkStatus(), now_);
        break;
      }
      case 6:
        server_->HandleStreamClosed(FiveTuple{Source(who), kListen, TransportProtocol::kTcp}, now_);
        break;
      case 7: {
        // Written by hand: the number may be outside any range.
        if (data.size() > 0xFFFF - 4) break;
        std::vector<uint8_t> cd(stun::kChannelDataHeaderSize + data.size());
        StoreBigEndian16(cd.data(), kChannels[who % 8]);
        StoreBigEndian16(cd.data() + 2, static_cast<uint16_t>(data.size()));
        if (!data.empty()) std::memcpy(cd.data() + stun::kChannelDataHeaderSize, data.data(), data.size());
        Input(kListen, Source(0), TransportProtocol::kUdp, cd);
        break;
      }
    }
  }

  void SignedRequest(const SocketAddress& source, ByteSpan data) {
    if (data.size() < 3) return;
    static constexpr uint16_t kMethods[] = {stun::method::kAllocate, stun::method::kRefresh,
                                            stun::method::kCreatePermission, stun::method::kChannelBind,
                                            stun::method::kSend};
    uint16_t method = kMethods[data[0] % 5];
    uint8_t flags = data[1];
    stun::MessageClass cls =
        method == stun::method::kSend ? stun::MessageClass::kIndication : stun::MessageClass::kRequest;
    std::vector<uint8_t> buf(4096);
    stun::TransactionId id = stun::TransactionId::Generate(random_);
    stun::MessageBuilder b(buf, {cls, method}, id);
    if (flags & 1) b.AddRequestedTransport(stun::kProtocolUdp);
    if (flags & 2) b.AddU32(stun::attr::kLifetime, data[2] * 10u);
    if (flags & 16) b.AddEvenPort((data[2] & 1) != 0);
    if (flags & 32) b.AddAddressFamily(stun::attr::kAdditionalAddressFamily, IpFamily::kV6);
    if (flags & 64) b.AddFlag(stun::attr::kDontFragment);
    if (flags & 128) b.AddU32(stun::attr::kChannelNumber, uint32_t{kChannels[data[2] % 8]} << 16);
    if (method != stun::method::kAllocate && method != stun::method::kRefresh) {
      b.AddXorAddress(stun::attr::kXorPeerAddress, kPeers[(flags >> 2) & 3]);
    }
    ByteReader raw(data.subspan(3));
    while (raw.remaining() >= 4) {
      uint16_t type, length;
      raw.ReadU16(&type);
      raw.ReadU16(&length);
      ByteSpan value;
      if (!raw.ReadBytes(std::min<size_t>(length, raw.remaining()), &value)) break;
      // Integrity and fingerprint are added below; anything else goes in as it is.
      if (type == stun::attr::kMessageIntegrity || type == stun::attr::kMessageIntegritySha256 ||
          type == stun::attr::kFingerprint) {
        continue;
      }
      b.Add(type, value);
    }
    stun::FinishOptions options;
    options.fingerprint = true;
    std::optional<stun::IntegrityKey> key;
    if (cls == stun::MessageClass::kRequest && !nonce_.empty()) {
      b.AddText(stun::attr::kUsername, kUser);
      b.AddText(stun::attr::kRealm, kRealm);
      b.AddText(stun::attr::kNonce, nonce_);
      if (sha256_ && !password_algorithms_.empty()) {
        b.Add(stun::attr::kPasswordAlgorithms, password_algorithms_);
        b.AddPasswordAlgorithm(stun::PasswordAlgorithm::kSha256);
        key = stun::IntegrityKey::LongTerm(kUser, kRealm, kPassword, stun::PasswordAlgorithm::kSha256);
        options.integrity_sha256 = &*key;
      } else {
        key = stun::IntegrityKey::LongTerm(kUser, kRealm, kPassword);
        options.integrity = &*key;
      }
    }
    absl::StatusOr<ByteSpan> wire = b.Finish(options);
    if (!wire.ok()) return;  // the fuzzer's raw attributes did not make a valid message
    if (method == stun::method::kChannelBind) {
      // The number the server must judge: the first CHANNEL-NUMBER, raw (flag bit 7 or data[3..]).
      absl::StatusOr<stun::MessageView> sent = stun::MessageView::Parse(*wire);
      std::optional<stun::Attribute> number;
      if (sent.ok()) number = sent->Find(stun::attr::kChannelNumber);
      pending_binds_.push_back({id, source,
                                number.has_value() && number->value.size() == 4
                                    ? std::optional<uint16_t>(LoadBigEndian16(number->value.data()))
                                    : std::nullopt});
      if (pending_binds_.size() > 16) pending_binds_.erase(pending_binds_.begin());
    }
    Input(kListen, source, TransportProtocol::kUdp, *wire);
  }

  void Drain() {
    while (std::optional<Transmit> t = server_->PollTransmit()) {
      CheckTransmit(*t);
      server_->RecycleBuffer(std::move(t->payload));
    }
    while (std::optional<TurnServerEvent> e = server_->PollEvent()) CheckEvent(*e);
    TERN_FUZZ_CHECK(server_->allocation_count() <= config_.max_allocations);
    TERN_FUZZ_CHECK(server_->stats().allocations == server_->allocation_count());
    TERN_FUZZ_CHECK(server_->rate_limit_entry_count() <= config_.max_rate_limit_entries);
    TERN_FUZZ_CHECK(server_->stream_count() <= config_.max_streams);
    TERN_FUZZ_CHECK(server_->reserved_port_count() <= 2u * (kMaxPort - kMinPort + 1));
  }

  void CheckTransmit(const Transmit& t) {
    if (t.local == kListen) {
      ByteSpan p = t.payload;
      // STUN is 0x00-0x3F; anything else the server sends a client is ChannelData on a number it bound.
      if ((p.empty() ? 0 : p[0]) >= 0x40) {
        stun::ChannelNumberRange range = config_.rfc5766_channel_numbers ? stun::ChannelNumberRange::kRfc5766
                                                                         : stun::ChannelNumberRange::kRfc8656;
        TERN_FUZZ_CHECK(stun::LooksLikeChannelData(p, range));
        auto cd = stun::ParseChannelData(
            p, t.protocol == TransportProtocol::kUdp ? stun::Framing::kDatagram : stun::Framing::kStream,
            range);
        TERN_FUZZ_CHECK_OK(cd.status());
        TERN_FUZZ_CHECK(cd->channel >= 0x4000 && cd->channel <= max_channel_);
        TERN_FUZZ_CHECK(bound_.count({t.remote, cd->channel}) == 1);
        return;
      }
      auto msg = stun::MessageView::Parse(p);
      TERN_FUZZ_CHECK_OK(msg.status());
      TERN_FUZZ_CHECK(msg->has_fingerprint());
      TERN_FUZZ_CHECK_OK(msg->VerifyFingerprint());
      if (msg->message_class() == stun::MessageClass::kErrorResponse ||
          msg->message_class() == stun::MessageClass::kSuccessResponse) {
        if (!msg->has_message_integrity() && !msg->has_message_integrity_sha256()) {
          // Responses are sent while handling the request that caused them.
          TERN_FUZZ_CHECK(p.size() <= last_request_size_ + config_.amplification_allowance);
        }
        int code = 0;
        if (auto e = msg->GetErrorCode(); e.ok()) code = e->code;
        if (msg->method() == stun::method::kChannelBind) CheckChannelBindResponse(t.remote, *msg);
        if (code == 401 || code == 438) {
          if (auto n = msg->GetNonce(); n.ok()) nonce_ = std::string(*n);
          if (auto pa = msg->Find(stun::attr::kPasswordAlgorithms)) {
            password_algorithms_.assign(pa->value.begin(), pa->value.end());
          }
        }
      }
      return;
    }
    // To a peer: from an opened relay address, to an allowed peer that is not the server.
    TERN_FUZZ_CHECK(t.protocol == TransportProtocol::kUdp);
    TERN_FUZZ_CHECK(opened_.count(t.local) == 1);
    TERN_FUZZ_CHECK(server_->IsPeerAllowed(t.remote.ip()));
    TERN_FUZZ_CHECK(!server_->IsOwnAddress(t.remote));
  }

  // A ChannelBind success only for a number in the configured range (the first CHANNEL-NUMBER of the
  // request the harness sent with this transaction id).
  void CheckChannelBindResponse(const SocketAddress& client, const stun::MessageView& msg) {
    if (msg.message_class() != stun::MessageClass::kSuccessResponse) return;
    for (const PendingBind& p : pending_binds_) {
      if (p.id != msg.transaction_id() || p.source != client) continue;
      TERN_FUZZ_CHECK(p.channel.has_value());
      TERN_FUZZ_CHECK(*p.channel >= 0x4000 && *p.channel <= max_channel_);
      bound_.insert({client, *p.channel});
      return;
    }
    // Only the harness's signed requests can carry valid integrity, so a success answers one of them.
    TERN_FUZZ_CHECK(false);
  }

  void CheckEvent(const TurnServerEvent& e) {
    if (const RelayOpened* o = std::get_if<RelayOpened>(&e)) {
      TERN_FUZZ_CHECK(o->address.port() >= kMinPort && o->address.port() <= kMaxPort);
      TERN_FUZZ_CHECK(opened_.insert(o->address).second);
    } else if (const RelayClosed* c = std::get_if<RelayClosed>(&e)) {
      TERN_FUZZ_CHECK(opened_.erase(c->address) == 1);
    } else if (std::holds_alternative<Allocated>(e)) {
      ++allocated_;
    } else if (std::holds_alternative<Deallocated>(e)) {
      TERN_FUZZ_CHECK(allocated_ > 0);
      --allocated_;
    } else if (const CloseStream* s = std::get_if<CloseStream>(&e)) {
      TERN_FUZZ_CHECK(!s->status.ok());
    } else if (const QuotaHit* q = std::get_if<QuotaHit>(&e)) {
      TERN_FUZZ_CHECK(q->error_code == 486 || q->error_code == 508);
    }
  }

  TurnServerConfig config_;
  SeededRandom random_;
  std::unique_ptr<TurnServer> server_;
  Timestamp now_ = Timestamp::Seconds(100);
  std::set<SocketAddress> opened_;
  int64_t allocated_ = 0;
  std::string nonce_;
  std::vector<uint8_t> password_algorithms_;
  bool sha256_ = false;
  size_t last_request_size_ = 0;
  uint16_t max_channel_ = 0x7FFF;
  struct PendingBind {
    stun::TransactionId id;
    SocketAddress source;
    std::optional<uint16_t> channel;
  };
  std::vector<PendingBind> pending_binds_;              // the last few ChannelBind requests sent
  std::set<std::pair<SocketAddress, uint16_t>> bound_;  // (client, number) bound at some point
};

}  // namespace
}  // namespace tern::turn

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  tern::turn::Harness h(data[0]);
  h.Run(data + 1, size - 1);
  return 0;
}
