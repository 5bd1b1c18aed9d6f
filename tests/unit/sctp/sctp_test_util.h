// Test helpers for lib/sctp: two associations wired back to back in memory with a virtual clock, and
// a reader of the chunks in an SCTP packet (to count DATA chunks and their TSNs).
#ifndef TERN_TESTS_UNIT_SCTP_SCTP_TEST_UTIL_H_
#define TERN_TESTS_UNIT_SCTP_SCTP_TEST_UTIL_H_

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "tern/base/byte_io.h"
#include "tern/base/time.h"
#include "tern/sctp/association.h"

namespace tern::sctp::testing {

// Where a fresh virtual clock starts: after every time usrsctp's shared timer list has seen.
inline Timestamp FreshStart() {
  return std::max(UsrsctpStackTime(), Timestamp::Seconds(1)) + Duration::Seconds(1);
}

inline std::vector<uint8_t> Pattern(size_t size, uint32_t seed) {
  std::vector<uint8_t> out(size);
  uint32_t x = seed * 2654435761u + 1;
  for (auto& b : out) {
    x = x * 1664525u + 1013904223u;
    b = static_cast<uint8_t>(x >> 24);
  }
  return out;
}

// One chunk of an SCTP packet (RFC 4960 §3.2).
struct Chunk {
  uint8_t type = 0;
  uint8_t flags = 0;
  ByteSpan value;  // after the 4-byte chunk header
};
inline constexpr uint8_t kChunkData = 0;
inline constexpr uint8_t kChunkIData = 64;
inline constexpr uint8_t kChunkForwardTsn = 192;
inline constexpr uint8_t kChunkIForwardTsn = 194;

// CRC32c (Castagnoli), as SCTP uses it (RFC 4960 Appendix B; RFC 3309): reflected polynomial
// 0x82F63B78, stored least significant byte first.
inline uint32_t Crc32c(ByteSpan data) {
  uint32_t crc = 0xFFFFFFFFu;
  for (uint8_t byte : data) {
    crc ^= byte;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
  }
  return ~crc;
}
// Recomputes the checksum of an SCTP packet in place.
inline void FixChecksum(std::vector<uint8_t>& packet) {
  if (packet.size() < 12) return;
  for (int i = 8; i < 12; ++i) packet[i] = 0;
  uint32_t crc = Crc32c(packet);
  for (int i = 0; i < 4; ++i) packet[8 + i] = static_cast<uint8_t>(crc >> (8 * i));
}

inline std::vector<Chunk> Chunks(ByteSpan packet) {
  std::vector<Chunk> out;
  size_t pos = 12;
  while (pos + 4 <= packet.size()) {
    uint16_t length = LoadBigEndian16(packet.data() + pos + 2);
    if (length < 4 || pos + length > packet.size()) break;
    out.push_back(Chunk{packet[pos], packet[pos + 1], packet.subspan(pos + 4, length - 4)});
    pos += (length + 3) & ~size_t{3};
  }
  return out;
}

// Two associations (0 = DTLS client, 1 = DTLS server) and a link between them: every packet takes
// `delay`; `drop` (if set) decides per packet whether the link loses it.
class BackToBack {
 public:
  explicit BackToBack(AssociationConfig client = {}, AssociationConfig server = {},
                      Duration delay = Duration::Millis(1), std::optional<Timestamp> start = std::nullopt)
      : now_(start ? *start : FreshStart()), delay_(delay) {
    client.role = Role::kClient;
    server.role = Role::kServer;
    auto a = Association::Create(client);
    auto b = Association::Create(server);
    EXPECT_TRUE(a.ok()) << a.status();
    EXPECT_TRUE(b.ok()) << b.status();
    peers_[0].assoc = std::move(*a);
    peers_[1].assoc = std::move(*b);
  }

  Association& a() { return *peers_[0].assoc; }
  Association& b() { return *peers_[1].assoc; }
  Association& at(int i) { return *peers_[i].assoc; }
  std::vector<Event>& events(int i) { return peers_[i].events; }
  // Every packet each side sent, in order (before the link).
  std::vector<std::vector<uint8_t>>& sent(int i) { return peers_[i].sent; }
  Timestamp now() const { return now_; }
  void set_drop(std::function<bool(int from, const std::vector<uint8_t>&)> drop) { drop_ = std::move(drop); }
  void set_capture(bool capture) { capture_ = capture; }
  // From now on virtual time may not run ahead of real time (the test sleeps to keep up). Needed for
  // anything that relies on retransmission: usrsctp compares chunk send times on the wall clock before
  // a T3 expiry retransmits them (see association.h).
  void PaceToRealTime() {
    paced_ = true;
    pace_virtual_start_ = now_;
    pace_real_start_ = std::chrono::steady_clock::now();
  }

  void StartConnect() {
    ASSERT_TRUE(a().Connect(now_).ok());
    ASSERT_TRUE(b().Connect(now_).ok());
  }
  bool Connected() const { return Has(0, Event::Type::kConnected) && Has(1, Event::Type::kConnected); }
  void Connect() {
    StartConnect();
    ASSERT_TRUE(RunUntil([&] { return Has(0, Event::Type::kConnected) && Has(1, Event::Type::kConnected); },
                         Duration::Seconds(10)));
  }

  bool Has(int i, Event::Type type, std::optional<uint16_t> channel = std::nullopt) const {
    for (const Event& e : peers_[i].events) {
      if (e.type == type && (!channel || e.channel == *channel)) return true;
    }
    return false;
  }
  size_t Count(int i, Event::Type type, std::optional<uint16_t> channel = std::nullopt) const {
    size_t n = 0;
    for (const Event& e : peers_[i].events) n += e.type == type && (!channel || e.channel == *channel);
    return n;
  }
  // The messages side i received on `channel`, in order.
  std::vector<const Event*> Messages(int i, uint16_t channel) const {
    std::vector<const Event*> out;
    for (const Event& e : peers_[i].events) {
      if (e.type == Event::Type::kMessage && e.channel == channel) out.push_back(&e);
    }
    return out;
  }

  // Drains both sides, delivers packets and fires timeouts in time order until `done` or `limit` of
  // virtual time passes.
  bool RunUntil(const std::function<bool()>& done, Duration limit) {
    Timestamp deadline = now_ + limit;
    for (;;) {
      Drain(0);
      Drain(1);
      if (done()) return true;
      std::optional<Timestamp> next;
      auto consider = [&](std::optional<Timestamp> t) {
        if (t && (!next || *t < *next)) next = t;
      };
      if (!in_flight_.empty()) consider(in_flight_.begin()->first);
      consider(a().NextTimeout());
      consider(b().NextTimeout());
      if (!next || *next > deadline) return done();
      if (*next > now_) {
        if (paced_) {
          std::this_thread::sleep_until(pace_real_start_ +
                                        std::chrono::microseconds((*next - pace_virtual_start_).us()));
        }
        now_ = *next;
      }
      while (!in_flight_.empty() && in_flight_.begin()->first <= now_) {
        auto node = in_flight_.extract(in_flight_.begin());
        auto& [to, packet] = node.mapped();
        (void)at(to).HandleInput(packet, now_);
        Drain(to);
      }
      for (int i = 0; i < 2; ++i) {
        std::optional<Timestamp> t = at(i).NextTimeout();
        if (t && *t <= now_) at(i).HandleTimeout(now_);
      }
    }
  }
  // Runs everything due up to `t`; the clock then reads `t`.
  void AdvanceTo(Timestamp t) {
    if (t > now_) RunUntil([] { return false; }, t - now_);
    if (t > now_) now_ = t;
  }
  void RunFor(Duration d) { AdvanceTo(now_ + d); }
  // The earliest packet delivery or timeout pending.
  std::optional<Timestamp> NextEventTime() {
    std::optional<Timestamp> next;
    auto consider = [&](std::optional<Timestamp> t) {
      if (t && (!next || *t < *next)) next = t;
    };
    if (!in_flight_.empty()) consider(in_flight_.begin()->first);
    consider(a().NextTimeout());
    consider(b().NextTimeout());
    return next;
  }

  void Drain(int i) {
    Peer& p = peers_[i];
    while (std::optional<std::vector<uint8_t>> packet = p.assoc->PollTransmit()) {
      if (capture_) p.sent.push_back(*packet);
      max_packet_ = std::max(max_packet_, packet->size());
      if (drop_ && drop_(i, *packet)) continue;
      in_flight_.emplace(now_ + delay_, std::make_pair(1 - i, std::move(*packet)));
    }
    while (std::optional<Event> e = p.assoc->PollEvent()) p.events.push_back(std::move(*e));
  }
  size_t max_packet() const { return max_packet_; }

 private:
  struct Peer {
    std::unique_ptr<Association> assoc;
    std::vector<Event> events;
    std::vector<std::vector<uint8_t>> sent;
  };
  Peer peers_[2];
  Timestamp now_;
  Duration delay_;
  std::multimap<Timestamp, std::pair<int, std::vector<uint8_t>>> in_flight_;
  std::function<bool(int, const std::vector<uint8_t>&)> drop_;
  bool capture_ = false;
  size_t max_packet_ = 0;
  bool paced_ = false;
  Timestamp pace_virtual_start_;
  std::chrono::steady_clock::time_point pace_real_start_;
};

}  // namespace tern::sctp::testing

#endif  // TERN_TESTS_UNIT_SCTP_SCTP_TEST_UTIL_H_
