// libFuzzer harness for the sans-IO TURN client (tern::ice::TurnClient, RFC 8656 §7-§12, RFC 8489 §6.2
// and §9.2): server -> client bytes, as UDP datagrams and as TCP/TLS stream chunks, fed to a client
// that a scripted server first drives into the state the input asks for.
//
// Input: byte 0 picks the setup —
//   bit 0     transport: UDP (0) or TCP (1)
//   bits 1-2  state: 0 first Allocate outstanding, 1 authenticated Allocate outstanding (after a 401),
//             2 allocated with a permission and a bound channel, 3 deallocating (after Close)
//   bit 3     the 401 announces PASSWORD-ALGORITHMS under an RFC 8489 nonce cookie (SHA-256 key)
//   bit 4     a small max_stream_frame_size (2048) instead of the default
// then a sequence of operations, each [op][len_hi][len_lo][len bytes of data]:
//   op % 8 == 0  the data as a datagram from the server (op bit 3: from another address instead)
//            1  the data as stream bytes (HandleStreamBytes; dropped by a UDP client)
//            2  the data with bytes 8..19 replaced by the transaction id of a request the client sent
//               (op >> 4 picks which: 0 the latest, 1 the one before, …), as a datagram or stream
//               bytes per the transport
//            3  the same, re-signed: parsed as STUN, rebuilt with that request's method and id and a
//               valid MESSAGE-INTEGRITY(-SHA256) + FINGERPRINT under the client's key
//            4  time passes: (data[0..1] + 1) × 10 ms, then HandleTimeout
//            5  SendTo(one of three peers, data)
//            6  CreatePermission / BindChannel on one of three peers
//            7  Close(), or HandleStreamClosed() (op bit 3)
// Invariants checked after every step: the reassembly buffer never exceeds max_stream_frame_size;
// every transmit goes to the server and is one STUN message or ChannelData message (one frame over
// TCP); events are well-formed (statuses not OK on failures, error codes 300..699 or 0, relayed
// addresses present, channel numbers in range, at most one allocation outcome and one deallocation);
// a closed or failed client emits no transmits or timers afterwards; after HandleTimeout(now) the next
// timeout is later than now; the client never goes back to an earlier state.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <variant>
#include <vector>

#include "fuzz_check.h"
#include "tern/base/byte_io.h"
#include "tern/base/datagram.h"
#include "tern/base/random.h"
#include "tern/base/time.h"
#include "tern/ice/turn_client.h"
#include "tern/stun/stun.h"

namespace tern::ice {
namespace {

const SocketAddress kServer(IpAddress::V4(192, 0, 2, 1), 3478);
const SocketAddress kClient(IpAddress::V4(10, 0, 0, 1), 40000);
const SocketAddress kRelayed(IpAddress::V4(192, 0, 2, 1), 50000);
const SocketAddress kPeers[3] = {SocketAddress(IpAddress::V4(198, 51, 100, 1), 1000),
                                 SocketAddress(IpAddress::V4(198, 51, 100, 2), 2000),
                                 SocketAddress(IpAddress::V4(198, 51, 100, 2), 2001)};
constexpr char kUser[] = "fuzz-user";
constexpr char kPassword[] = "fuzz-password";
constexpr char kRealm[] = "fuzz.realm";

int StateRank(TurnClientState s) {
  switch (s) {
    case TurnClientState::kNew:
      return 0;
    case TurnClientState::kAllocating:
      return 1;
    case TurnClientState::kAllocated:
      return 2;
    case TurnClientState::kDeallocating:
      return 3;
    case TurnClientState::kClosed:
    case TurnClientState::kFailed:
      return 4;
  }
  return 5;
}

class Harness {
 public:
  Harness(uint8_t setup)
      : tcp_((setup & 1) != 0),
        sha256_((setup & 8) != 0),
        random_(setup),
        client_(MakeConfig(setup), random_) {}

  // Drives the client to `state` with scripted answers. Returns false if it did not get there.
  bool Setup(int state) {
    if (!client_.Allocate(now_).ok()) return false;
    Drain();
    if (state == 0) return true;
    // 401 with REALM and NONCE (and PASSWORD-ALGORITHMS under the cookie).
    if (!Answer(
            requests_.back(), stun::MessageClass::kErrorResponse,
            [&](stun::MessageBuilder& b) {
              b.AddErrorCode(401);
              b.AddText(stun::attr::kRealm, kRealm);
              if (sha256_) {
                b.AddText(stun::attr::kNonce, stun::MakeNonceWithCookie({.password_algorithms = true}, "n1"));
                const stun::PasswordAlgorithm offered[] = {stun::PasswordAlgorithm::kMd5,
                                                           stun::PasswordAlgorithm::kSha256};
                b.AddPasswordAlgorithms(offered);
              } else {
                b.AddText(stun::attr::kNonce, "n1");
              }
            },
            false)) {
      return false;
    }
    if (state == 1) return client_.state() == TurnClientState::kAllocating;
    if (!Answer(
            requests_.back(), stun::MessageClass::kSuccessResponse,
            [&](stun::MessageBuilder& b) {
              b.AddXorAddress(stun::attr::kXorRelayedAddress, kRelayed);
              b.AddXorAddress(stun::attr::kXorMappedAddress, kClient);
              b.AddU32(stun::attr::kLifetime, 600);
            },
            true)) {
      return false;
    }
    if (client_.state() != TurnClientState::kAllocated) return false;
    if (!client_.CreatePermission(kPeers[0].ip(), now_).ok()) return false;
    Drain();
    if (!Answer(
            requests_.back(), stun::MessageClass::kSuccessResponse, [](stun::MessageBuilder&) {}, true)) {
      return false;
    }
    if (!client_.BindChannel(kPeers[1], now_).ok()) return false;
    Drain();
    if (!Answer(
            requests_.back(), stun::MessageClass::kSuccessResponse, [](stun::MessageBuilder&) {}, true)) {
      return false;
    }
    if (!client_.BoundChannel(kPeers[1]).has_value()) return false;
    if (state == 3) {
      client_.Close(now_);
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
    while (r.ReadU8(&op) && r.ReadU16(&length)) {
      if (!r.ReadBytes(std::min<size_t>(length, r.remaining()), &data)) break;
      Step(op, data);
    }
  }

 private:
  static TurnClientConfig MakeConfig(uint8_t setup) {
    TurnClientConfig c;
    c.server = kServer;
    c.local = kClient;
    c.transport = (setup & 1) != 0 ? TurnTransport::kTcp : TurnTransport::kUdp;
    c.username = kUser;
    c.password = kPassword;
    c.software = "fuzz";
    c.max_queued_events = 64;
    c.max_queued_transmits = 64;
    c.max_permissions = 8;
    if ((setup & 16) != 0) c.max_stream_frame_size = 2048;
    return c;
  }

  stun::IntegrityKey Key() const {
    return stun::IntegrityKey::LongTerm(
        kUser, kRealm, kPassword, sha256_ ? stun::PasswordAlgorithm::kSha256 : stun::PasswordAlgorithm::kMd5);
  }

  void Deliver(ByteSpan bytes, bool from_elsewhere = false) {
    if (tcp_) {
      client_.HandleStreamBytes(bytes, now_);
    } else {
      Datagram d;
      d.local = kClient;
      d.remote = from_elsewhere ? kPeers[0] : kServer;
      d.payload = bytes;
      client_.HandleInput(d, now_);
    }
    Drain();
  }

  template <typename F>
  bool Answer(const std::pair<uint16_t, stun::TransactionId>& request, stun::MessageClass cls, F&& add,
              bool sign) {
    std::vector<uint8_t> buffer(2048);
    stun::MessageBuilder b(buffer, {cls, request.first}, request.second);
    add(b);
    stun::IntegrityKey key = Key();
    stun::FinishOptions options;
    options.fingerprint = true;
    if (sign) (sha256_ ? options.integrity_sha256 : options.integrity) = &key;
    absl::StatusOr<ByteSpan> wire = b.Finish(options);
    if (!wire.ok()) return false;
    Deliver(*wire);
    return true;
  }

  void Step(uint8_t op, ByteSpan data) {
    switch (op % 8) {
      case 0:
        Deliver(data, (op & 8) != 0);
        break;
      case 1:
        client_.HandleStreamBytes(data, now_);
        Drain();
        break;
      case 2:
      case 3: {
        if (requests_.empty()) {
          Deliver(data);
          break;
        }
        const std::pair<uint16_t, stun::TransactionId> request =
            requests_[requests_.size() - 1 - (op >> 4) % requests_.size()];
        if (op % 8 == 2 || data.size() < stun::kHeaderSize) {
          std::vector<uint8_t> patched(data.begin(), data.end());
          if (patched.size() >= stun::kHeaderSize) {
            std::memcpy(patched.data() + 8, request.second.bytes.data(), 12);
          }
          Deliver(patched);
          break;
        }
        // Re-signed: the fuzzer's attributes under a valid MESSAGE-INTEGRITY and FINGERPRINT.
        std::vector<uint8_t> copy(data.begin(), data.end());
        std::memcpy(copy.data() + 8, request.second.bytes.data(), 12);
        absl::StatusOr<stun::MessageView> m = stun::MessageView::Parse(copy);
        if (!m.ok()) {
          Deliver(copy);
          break;
        }
        stun::MessageClass cls = m->message_class() == stun::MessageClass::kErrorResponse
                                     ? stun::MessageClass::kErrorResponse
                                     : stun::MessageClass::kSuccessResponse;
        Answer(
            request, cls,
            [&](stun::MessageBuilder& b) {
              for (const stun::Attribute& a : *m) {
                if (a.type == stun::attr::kMessageIntegrity ||
                    a.type == stun::attr::kMessageIntegritySha256 || a.type == stun::attr::kFingerprint) {
                  continue;
                }
                b.Add(a.type, a.value);
              }
            },
            true);
        break;
      }
      case 4: {
        int64_t steps = data.size() >= 2 ? LoadBigEndian16(data.data()) : (data.empty() ? 0 : data[0]);
        now_ += Duration::Millis(10 * (steps + 1));
        client_.HandleTimeout(now_);
        Drain();
        std::optional<Timestamp> next = client_.NextTimeout();
        TERN_FUZZ_CHECK(!next.has_value() || *next > now_);
        break;
      }
      case 5: {
        const SocketAddress& peer = kPeers[data.empty() ? 0 : data[0] % 3];
        (void)client_.SendTo(peer, data, now_);
        Drain();
        break;
      }
      case 6: {
        uint8_t which = data.empty() ? 0 : data[0];
        const SocketAddress& peer = kPeers[which % 3];
        if ((which & 4) != 0) {
          absl::StatusOr<uint16_t> n = client_.BindChannel(peer, now_);
          if (n.ok()) TERN_FUZZ_CHECK(stun::IsValidChannelNumber(*n));
        } else {
          (void)client_.CreatePermission(peer.ip(), now_);
        }
        Drain();
        break;
      }
      case 7:
        if ((op & 8) != 0) {
          client_.HandleStreamClosed(now_);
        } else {
          client_.Close(now_);
        }
        Drain();
        break;
    }
  }

  // Collects transmits and events and checks the invariants.
  void Drain() {
    TERN_FUZZ_CHECK(client_.stream_buffer_size() <= client_.config().max_stream_frame_size);
    int rank = StateRank(client_.state());
    TERN_FUZZ_CHECK(rank >= last_rank_);
    last_rank_ = rank;
    while (std::optional<Transmit> t = client_.PollTransmit()) {
      TERN_FUZZ_CHECK(t->remote == kServer);
      TERN_FUZZ_CHECK(t->local == kClient);
      TERN_FUZZ_CHECK(!t->payload.empty());
      if (tcp_) {
        absl::StatusOr<size_t> frame = stun::StreamFrameSize(t->payload);
        TERN_FUZZ_CHECK(frame.ok() && *frame == t->payload.size());
      }
      if (stun::LooksLikeChannelData(t->payload)) {
        absl::StatusOr<stun::ChannelDataView> cd =
            stun::ParseChannelData(t->payload, tcp_ ? stun::Framing::kStream : stun::Framing::kDatagram);
        TERN_FUZZ_CHECK(cd.ok());
        continue;
      }
      absl::StatusOr<stun::MessageView> m = stun::MessageView::Parse(t->payload);
      TERN_FUZZ_CHECK(m.ok());
      TERN_FUZZ_CHECK(m->VerifyFingerprint().ok());
      if (m->message_class() == stun::MessageClass::kRequest) {
        requests_.push_back({m->method(), m->transaction_id()});
        if (requests_.size() > 8) requests_.erase(requests_.begin());
      } else {
        TERN_FUZZ_CHECK(m->message_class() == stun::MessageClass::kIndication);
        TERN_FUZZ_CHECK(m->method() == stun::method::kSend);
      }
    }
    while (std::optional<TurnEvent> e = client_.PollEvent()) CheckEvent(*e);
    if (client_.state() == TurnClientState::kClosed || client_.state() == TurnClientState::kFailed) {
      TERN_FUZZ_CHECK(!client_.NextTimeout().has_value());
      TERN_FUZZ_CHECK(client_.stream_buffer_size() == 0);
    }
  }

  static bool ValidCode(int code) { return code == 0 || (code >= 300 && code <= 699); }

  void CheckEvent(const TurnEvent& e) {
    if (const auto* a = std::get_if<TurnAllocated>(&e)) {
      TERN_FUZZ_CHECK(++allocation_outcomes_ == 1);
      TERN_FUZZ_CHECK(!a->relayed.empty() && a->relayed.size() <= 2);
      TERN_FUZZ_CHECK(a->lifetime > Duration::Zero());
    } else if (const auto* f = std::get_if<TurnAllocationFailed>(&e)) {
      TERN_FUZZ_CHECK(++allocation_outcomes_ == 1);
      TERN_FUZZ_CHECK(!f->status.ok());
      TERN_FUZZ_CHECK(ValidCode(f->error_code));
      TERN_FUZZ_CHECK(client_.state() == TurnClientState::kFailed ||
                      client_.state() == TurnClientState::kClosed);
    } else if (const auto* r = std::get_if<TurnRefreshed>(&e)) {
      TERN_FUZZ_CHECK(r->lifetime > Duration::Zero());
    } else if (const auto* pf = std::get_if<TurnPermissionFailed>(&e)) {
      TERN_FUZZ_CHECK(!pf->status.ok());
      TERN_FUZZ_CHECK(ValidCode(pf->error_code));
    } else if (const auto* cb = std::get_if<TurnChannelBound>(&e)) {
      TERN_FUZZ_CHECK(stun::IsValidChannelNumber(cb->channel));
    } else if (const auto* cf = std::get_if<TurnChannelBindFailed>(&e)) {
      TERN_FUZZ_CHECK(!cf->status.ok());
      TERN_FUZZ_CHECK(stun::IsValidChannelNumber(cf->channel));
      TERN_FUZZ_CHECK(ValidCode(cf->error_code));
    } else if (const auto* d = std::get_if<TurnDataReceived>(&e)) {
      TERN_FUZZ_CHECK(d->peer.is_set());
      TERN_FUZZ_CHECK(d->relayed.is_set());
      TERN_FUZZ_CHECK(d->payload.size() <= 0xFFFF);
    } else if (std::holds_alternative<TurnDeallocated>(e)) {
      TERN_FUZZ_CHECK(++deallocations_ == 1);
      TERN_FUZZ_CHECK(client_.state() == TurnClientState::kClosed);
    } else if (const auto* err = std::get_if<TurnError>(&e)) {
      TERN_FUZZ_CHECK(!err->status.ok());
      TERN_FUZZ_CHECK(ValidCode(err->error_code));
      TERN_FUZZ_CHECK(client_.state() == TurnClientState::kFailed);
    }
  }

  bool tcp_;
  bool sha256_;
  SeededRandom random_;
  TurnClient client_;
  Timestamp now_ = Timestamp::Seconds(100);
  std::vector<std::pair<uint16_t, stun::TransactionId>> requests_;
  int last_rank_ = 0;
  int allocation_outcomes_ = 0;
  int deallocations_ = 0;
};

}  // namespace
}  // namespace tern::ice

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  tern::ice::Harness h(data[0]);
  int state = (data[0] >> 1) & 3;
  TERN_FUZZ_CHECK(h.Setup(state));
  h.Run(tern::ByteSpan(data + 1, size - 1));
  return 0;
}
