// libFuzzer harness for pc::Connection, the whole per-peer stack (ICE -> RFC 7983 demux -> DTLS -> SCTP
// -> data channels, JSEP on top): arbitrary datagrams reach a connection in every state.
//
// Two real Connections, A and B, are driven back to back on a virtual clock to the stage byte 0
// chooses: 0 fresh (no description), 1 have-local-offer (A gathering), 2 both descriptions applied
// (ICE checking, DTLS not done), 3 connected with an open data channel, 4 closed. Then the script runs
// operations on A (opcode byte mod 5):
//   0  a datagram of the next N bytes from a stranger's address (N = next byte * 8, capped)
//   1  the same, spoofing B's address (it passes ICE's source check and reaches the demux/DTLS/SCTP)
//   2  one of B's real datagrams, captured from the last run, with bytes flipped by the script
//   3  time passes: the pair runs for (next byte) * 10 ms, delivering their real traffic
//   4  a message on the channel, when there is one (A -> B)
//
// Invariants (a violation traps, fuzz_check.h):
//  - nothing crashes, and every call returns (bounded loops, bounded queues);
//  - after HandleTimeout(t), NextTimeout() is not at or before t (no timer livelock);
//  - datagrams from a stranger change nothing: if the script used only opcodes 0, 3 and 4 on a
//    connected pair, A is still connected at the end and a message sent then arrives at B intact.
//
// Seeds (fuzz/corpus/connection/) cover each stage with each opcode; they were written by a short
// Python loop (stage byte, then random opcodes and operands).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fuzz_check.h"
#include "tern/base/random.h"
#include "tern/dtls/certificate.h"
#include "tern/pc/connection.h"
#include "tern/sctp/association.h"

namespace tern::pc {
namespace {

class Script {
 public:
  Script(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool done() const { return pos_ >= size_; }
  uint8_t U8() { return pos_ < size_ ? data_[pos_++] : 0; }
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

const SocketAddress kA(IpAddress::V4(10, 0, 0, 1), 5000);
const SocketAddress kB(IpAddress::V4(10, 0, 0, 2), 6000);
const SocketAddress kStranger(IpAddress::V4(10, 9, 9, 9), 4444);

// usrsctp keeps one process-wide time line: every input continues from where the last one stopped.
Timestamp g_now;

const DtlsCertificate& Certificate() {
  static const DtlsCertificate* cert = [] {
    SeededRandom r(1);
    absl::StatusOr<DtlsCertificate> c = DtlsCertificate::Generate(r);
    TERN_FUZZ_CHECK_OK(c.status());
    return new DtlsCertificate(*c);
  }();
  return *cert;
}

struct Side {
  std::unique_ptr<Connection> conn;
  SocketAddress address;
  std::vector<IceCandidate> candidates;
  std::optional<ChannelHandle> channel;
  std::vector<std::vector<uint8_t>> messages;
  size_t events = 0;
};

class Pair {
 public:
  explicit Pair(uint64_t seed) : random_(seed) {
    if (g_now < Timestamp::Seconds(1)) g_now = Timestamp::Seconds(1);
    g_now = std::max(g_now, sctp::UsrsctpStackTime());
    Make(a_, kA);
    Make(b_, kB);
  }

  Side& a() { return a_; }
  Side& b() { return b_; }
  const std::vector<std::vector<uint8_t>>& captured() const { return captured_; }

  // Drains both sides: transmits are delivered at once (A <-> B only), events recorded.
  void Drain() {
    for (int round = 0; round < 10000; ++round) {
      bool moved = DrainEvents(a_) | DrainEvents(b_);
      moved |= Deliver(a_, b_);
      moved |= Deliver(b_, a_);
      if (!moved) return;
    }
  }

  // Runs both for `d` of virtual time.
  void RunFor(Duration d) {
    Timestamp until = g_now + d;
    for (int steps = 0; steps < 20000; ++steps) {
      Drain();
      std::optional<Timestamp> next;
      for (Side* s : {&a_, &b_}) {
        std::optional<Timestamp> t = s->conn->NextTimeout();
        if (t && (!next || *t < *next)) next = t;
      }
      if (!next || *next > until) break;
      g_now = std::max(g_now, *next);
      for (Side* s : {&a_, &b_}) {
        std::optional<Timestamp> t = s->conn->NextTimeout();
        if (t && *t <= g_now) {
          s->conn->HandleTimeout(g_now);
          Drain();
          std::optional<Timestamp> after = s->conn->NextTimeout();
          TERN_FUZZ_CHECK(!after || *after > g_now);
        }
      }
    }
    g_now = std::max(g_now, until);
    Drain();
  }

  void Inject(Side& to, const SocketAddress& from, ByteSpan bytes) {
    Datagram d;
    d.local = to.address;
    d.remote = from;
    d.payload = bytes;
    to.conn->HandleInput(d, g_now);
    Drain();
  }

  bool Negotiate(int stage) {
    if (stage >= 1) {
      if (stage >= 3) {
        absl::StatusOr<ChannelHandle> ch = a_.conn->CreateDataChannel("fuzz", {}, g_now);
        TERN_FUZZ_CHECK_OK(ch.status());
        a_.channel = *ch;
      }
      absl::StatusOr<SessionDescription> offer = a_.conn->CreateOffer(g_now);
      TERN_FUZZ_CHECK_OK(offer.status());
      TERN_FUZZ_CHECK_OK(a_.conn->SetLocalDescription(*offer, g_now));
      Drain();
      if (stage >= 2) {
        TERN_FUZZ_CHECK_OK(b_.conn->SetRemoteDescription(*offer, g_now));
        absl::StatusOr<SessionDescription> answer = b_.conn->CreateAnswer(g_now);
        TERN_FUZZ_CHECK_OK(answer.status());
        TERN_FUZZ_CHECK_OK(b_.conn->SetLocalDescription(*answer, g_now));
        TERN_FUZZ_CHECK_OK(a_.conn->SetRemoteDescription(*answer, g_now));
        Drain();
        Trickle();
      }
    }
    if (stage >= 3) {
      for (int i = 0; i < 100 && !(Connected() && ChannelOpenOnBoth()); ++i) {
        Trickle();
        RunFor(Duration::Millis(20));
      }
      if (!(Connected() && ChannelOpenOnBoth())) return false;
    }
    if (stage >= 4) {
      a_.conn->Close(g_now);
      Drain();
    }
    return true;
  }

  bool Connected() const {
    return a_.conn->connection_state() == PeerConnectionState::kConnected &&
           b_.conn->connection_state() == PeerConnectionState::kConnected;
  }
  bool ChannelOpenOnBoth() const { return a_.channel && b_.channel; }

  void Trickle() {
    for (auto [from, to] : {std::pair{&a_, &b_}, std::pair{&b_, &a_}}) {
      for (const IceCandidate& c : from->candidates) (void)to->conn->AddRemoteCandidate(c, g_now);
      from->candidates.clear();
    }
    Drain();
  }

 private:
  void Make(Side& s, const SocketAddress& address) {
    ConnectionConfig c;
    c.host_addresses = {address};
    c.certificate = Certificate();
    absl::StatusOr<std::unique_ptr<Connection>> conn = Connection::Create(std::move(c), random_);
    TERN_FUZZ_CHECK_OK(conn.status());
    s.conn = std::move(*conn);
    s.address = address;
  }

  bool DrainEvents(Side& s) {
    bool any = false;
    while (std::optional<ConnectionEvent> e = s.conn->PollEvent()) {
      any = true;
      ++s.events;
      TERN_FUZZ_CHECK(s.events < 1000000);
      if (auto* c = std::get_if<LocalCandidateEvent>(&*e)) {
        s.candidates.push_back(c->candidate);
      } else if (auto* o = std::get_if<ChannelOpenEvent>(&*e)) {
        if (o->remote && &s == &b_) s.channel = o->channel;
      } else if (auto* m = std::get_if<ChannelMessageEvent>(&*e)) {
        if (s.messages.size() < 64) s.messages.push_back(std::move(m->data));
      }
    }
    return any;
  }

  bool Deliver(Side& from, Side& to) {
    bool any = false;
    while (std::optional<Transmit> t = from.conn->PollTransmit()) {
      any = true;
      if (t->remote != to.address) continue;  // STUN servers and the like: nobody there
      if (&from == &b_ && captured_.size() < 32) captured_.push_back(t->payload);
      Datagram d;
      d.local = to.address;
      d.remote = from.address;
      d.payload = t->payload;
      to.conn->HandleInput(d, g_now);
    }
    return any;
  }

  SeededRandom random_;
  Side a_;
  Side b_;
  std::vector<std::vector<uint8_t>> captured_;
};

void Run(const uint8_t* data, size_t size) {
  Script script(data, size);
  const int stage = script.U8() % 5;
  Pair pair(0x5eed0000u + stage);
  // Without loss the pair always connects; the script does not influence this part.
  TERN_FUZZ_CHECK(pair.Negotiate(stage));
  bool only_stranger = true;
  int ops = 0;
  while (!script.done() && ops++ < 64) {
    switch (script.U8() % 5) {
      case 0: {
        size_t n = std::min<size_t>(script.U8() * 8u + 1, 1500);
        pair.Inject(pair.a(), kStranger, script.Bytes(n));
        break;
      }
      case 1: {
        only_stranger = false;
        size_t n = std::min<size_t>(script.U8() * 8u + 1, 1500);
        pair.Inject(pair.a(), kB, script.Bytes(n));
        break;
      }
      case 2: {
        only_stranger = false;
        if (pair.captured().empty()) break;
        std::vector<uint8_t> d = pair.captured()[script.U8() % pair.captured().size()];
        int flips = 1 + script.U8() % 4;
        for (int i = 0; i < flips && !d.empty(); ++i) {
          uint8_t pos = script.U8();
          d[(pos * 7u) % d.size()] ^= static_cast<uint8_t>(script.U8() | 1);
        }
        pair.Inject(pair.a(), kB, d);
        break;
      }
      case 3:
        pair.RunFor(Duration::Millis(10 * (script.U8() % 50)));
        break;
      case 4:
        if (pair.a().channel) {
          ByteSpan msg = script.Bytes(script.U8());
          (void)pair.a().conn->Send(*pair.a().channel, true, msg, g_now);
          pair.Drain();
        }
        break;
    }
  }
  if (stage == 3 && only_stranger) {
    TERN_FUZZ_CHECK(pair.a().conn->connection_state() == PeerConnectionState::kConnected);
    const uint8_t probe[] = {'p', 'r', 'o', 'b', 'e'};
    size_t before = pair.b().messages.size();
    TERN_FUZZ_CHECK_OK(pair.a().conn->Send(*pair.a().channel, true, probe, g_now));
    for (int i = 0; i < 50 && pair.b().messages.size() == before; ++i) pair.RunFor(Duration::Millis(20));
    TERN_FUZZ_CHECK(pair.b().messages.size() > before || before >= 64);
  }
}

}  // namespace
}  // namespace tern::pc

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tern::pc::Run(data, size);
  return 0;
}
