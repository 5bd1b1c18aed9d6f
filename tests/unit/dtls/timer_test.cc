// Handshake retransmission on virtual time (RFC 6347 §4.2.4, §4.2.4.1): BoringSSL's DTLS timer runs
// on the `now` we pass, never on the wall clock. Lost, duplicated and reordered datagrams.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "gtest/gtest.h"
#include "tern/base/random.h"
#include "tern/dtls/dtls.h"
#include "unit/dtls/dtls_test_util.h"

namespace tern {
namespace {

using ::tern::testing::Datagram;
using ::tern::testing::Direction;
using ::tern::testing::DtlsPair;

bool BothConnected(DtlsPair& pair) {
  return pair.client().state() == DtlsState::kConnected && pair.server().state() == DtlsState::kConnected;
}

// The handshake message bodies of a datagram (record payloads), i.e. without the record headers'
// epoch and sequence numbers, which a retransmission changes (RFC 6347 §4.2.4).
std::vector<uint8_t> HandshakeBodies(const Datagram& d) {
  std::vector<uint8_t> out;
  size_t at = 0;
  while (at + 13 <= d.size()) {
    const size_t len = size_t{d[at + 11]} << 8 | d[at + 12];
    out.push_back(d[at]);
    out.insert(out.end(), d.begin() + at + 13, d.begin() + std::min(d.size(), at + 13 + len));
    at += 13 + len;
  }
  return out;
}

TEST(DtlsTimer, Rfc6347Section4_2_4RetransmitsExactlyAtTheTimeout) {
  DtlsPair pair;
  pair.set_filter([](Direction dir, int index, Datagram d) {
    if (dir == Direction::kClientToServer && index == 0) return std::vector<Datagram>{};  // lose it
    return std::vector<Datagram>{std::move(d)};
  });
  pair.Start();
  const Timestamp t0 = pair.now();
  ASSERT_EQ(pair.client_sent().size(), 1u);  // the ClientHello, dropped
  EXPECT_EQ(pair.client_sent()[0][0], 22);   // handshake record
  EXPECT_EQ(pair.client_sent()[0][13], 1);   // client_hello
  EXPECT_EQ(pair.server().state(), DtlsState::kConnecting);
  EXPECT_FALSE(pair.server().NextTimeout().has_value());
  ASSERT_EQ(pair.client().NextTimeout(), t0 + Duration::Seconds(1));

  // One microsecond early: nothing happens, and the deadline stays put.
  pair.client().HandleTimeout(t0 + Duration::Seconds(1) - Duration::Micros(1));
  EXPECT_FALSE(pair.client().PollTransmit().has_value());
  EXPECT_EQ(pair.client().retransmissions(), 0u);
  EXPECT_EQ(pair.client().NextTimeout(), t0 + Duration::Seconds(1));
  // Even 15 ms early (BoringSSL's own rounding window) does not fire.
  pair.client().HandleTimeout(t0 + Duration::Millis(990));
  EXPECT_FALSE(pair.client().PollTransmit().has_value());

  // At the deadline: the same ClientHello again, and the timer doubles (§4.2.4.1).
  pair.client().HandleTimeout(t0 + Duration::Seconds(1));
  std::optional<Datagram> again = pair.client().PollTransmit();
  ASSERT_TRUE(again.has_value());
  EXPECT_FALSE(pair.client().PollTransmit().has_value());
  EXPECT_EQ(pair.client().retransmissions(), 1u);
  EXPECT_EQ(HandshakeBodies(*again), HandshakeBodies(pair.client_sent()[0]));
  EXPECT_NE(*again, pair.client_sent()[0]);  // new record sequence number
  EXPECT_EQ(pair.client().NextTimeout(), t0 + Duration::Seconds(3));

  // Delivered late, it completes the handshake with no further retransmission from the client.
  pair.clock().AdvanceTo(t0 + Duration::Seconds(1));
  pair.server().HandleInput(*again, pair.now());
  ASSERT_TRUE(pair.RunUntil([&] { return BothConnected(pair); }));
  EXPECT_EQ(pair.now(), t0 + Duration::Seconds(1));  // no more virtual time needed
  EXPECT_EQ(pair.client().retransmissions(), 1u);
  EXPECT_EQ(pair.server().retransmissions(), 0u);
}

TEST(DtlsTimer, ConfiguredInitialTimeoutAndDoubling) {
  DtlsConfig client;
  client.initial_retransmit_timeout = Duration::Millis(50);
  DtlsPair pair(client, DtlsConfig{});
  pair.set_filter([](Direction, int, Datagram) { return std::vector<Datagram>{}; });  // black hole
  pair.Start();
  const Timestamp t0 = pair.now();
  std::vector<Duration> gaps;
  Timestamp last = t0;
  while (std::optional<Timestamp> t = pair.client().NextTimeout()) {
    gaps.push_back(*t - last);
    last = *t;
    pair.clock().AdvanceTo(*t);
    pair.client().HandleTimeout(*t);
    while (pair.client().PollTransmit()) {
    }
  }
  ASSERT_GE(gaps.size(), 8u);
  EXPECT_EQ(gaps[0], Duration::Millis(50));
  EXPECT_EQ(gaps[1], Duration::Millis(100));
  EXPECT_EQ(gaps[2], Duration::Millis(200));
  EXPECT_EQ(gaps[3], Duration::Millis(400));
  EXPECT_EQ(gaps[4], Duration::Millis(800));
  for (size_t i = 1; i < gaps.size(); ++i) {
    EXPECT_TRUE(gaps[i] == gaps[i - 1] * 2 || gaps[i] == Duration::Seconds(60)) << i;
  }
  // Retransmissions exhausted: the handshake fails with DeadlineExceeded, no timer remains.
  EXPECT_EQ(pair.client().state(), DtlsState::kFailed);
  std::optional<DtlsEvent> e = pair.client().PollEvent();
  ASSERT_TRUE(e.has_value());
  const auto* failed = std::get_if<DtlsFailed>(&*e);
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->status.code(), absl::StatusCode::kDeadlineExceeded) << failed->status;
  EXPECT_EQ(pair.client().retransmissions(), gaps.size() - 1);
}

TEST(DtlsTimer, DefaultTimeoutFailsAfterBoundedVirtualTime) {
  DtlsPair pair;
  pair.set_filter([](Direction, int, Datagram) { return std::vector<Datagram>{}; });
  pair.Start();
  const Timestamp t0 = pair.now();
  EXPECT_FALSE(
      pair.RunUntil([&] { return pair.client().state() == DtlsState::kFailed; }, Duration::Seconds(60)));
  ASSERT_TRUE(
      pair.RunUntil([&] { return pair.client().state() == DtlsState::kFailed; }, Duration::Seconds(3600)));
  // 1 + 2 + 4 + 8 + 16 + 32 s, then 60 s steps.
  EXPECT_GT(pair.now() - t0, Duration::Seconds(63));
  EXPECT_LT(pair.now() - t0, Duration::Seconds(1000));
  const auto* failed = DtlsPair::Find<DtlsFailed>(pair.client_events());
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->status.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(pair.server().state(), DtlsState::kConnecting);  // never heard anything
}

TEST(DtlsTimer, ServerFlightLostIsRetransmitted) {
  DtlsPair pair;
  pair.set_filter([](Direction dir, int index, Datagram d) {
    if (dir == Direction::kServerToClient && index == 0) return std::vector<Datagram>{};
    return std::vector<Datagram>{std::move(d)};
  });
  const Timestamp t0 = pair.now();
  ASSERT_TRUE(pair.Handshake());
  EXPECT_TRUE(BothConnected(pair));
  // Whichever timer fired first (both run at 1 s), the handshake needed exactly one timeout.
  EXPECT_EQ(pair.now(), t0 + Duration::Seconds(1));
  EXPECT_GE(pair.client().retransmissions() + pair.server().retransmissions(), 1u);
}

TEST(DtlsTimer, AnySingleLostDatagramIsRecovered) {
  for (Direction lossy : {Direction::kClientToServer, Direction::kServerToClient}) {
    for (int lost = 0; lost < 4; ++lost) {
      DtlsConfig client, server;
      client.mtu = server.mtu = 400;  // more datagrams per flight
      DtlsPair pair(client, server);
      pair.set_filter([=](Direction dir, int index, Datagram d) {
        if (dir == lossy && index == lost && d[0] != 23) return std::vector<Datagram>{};  // not app data
        return std::vector<Datagram>{std::move(d)};
      });
      ASSERT_TRUE(pair.Handshake());
      EXPECT_TRUE(BothConnected(pair)) << static_cast<int>(lossy) << " " << lost;
      ASSERT_TRUE(pair.client().Send(AsBytes("after loss"), pair.now()).ok());
      pair.Pump();
      EXPECT_EQ(DtlsPair::Received(pair.server_events()).size(), 1u)
          << static_cast<int>(lossy) << " " << lost << " sent " << pair.client_sent().size() << "/"
          << pair.server_sent().size() << " events " << pair.server_events().size();
    }
  }
}

TEST(DtlsTimer, DuplicatedDatagramsAreHarmless) {
  DtlsPair pair;
  pair.set_filter([](Direction, int, Datagram d) { return std::vector<Datagram>{d, d}; });
  const Timestamp t0 = pair.now();
  ASSERT_TRUE(pair.Handshake());
  EXPECT_TRUE(BothConnected(pair));
  EXPECT_EQ(pair.now(), t0);  // no timer needed
  ASSERT_TRUE(pair.client().Send(AsBytes("once"), pair.now()).ok());
  pair.Pump();
  // DTLS replay protection (RFC 6347 §4.1.2.6) drops the duplicate record.
  EXPECT_EQ(DtlsPair::Received(pair.server_events()).size(), 1u);
  EXPECT_EQ(DtlsPair::Find<DtlsFailed>(pair.client_events()), nullptr);
  EXPECT_EQ(DtlsPair::Find<DtlsFailed>(pair.server_events()), nullptr);
}

TEST(DtlsTimer, ReorderedRecordsAreReassembled) {
  DtlsConfig client, server;
  client.mtu = server.mtu = 300;  // every flight spans several datagrams
  client.certificate = testing::TestCertificate(DtlsKeyType::kRsa2048, 0);
  DtlsPair pair(client, server);
  pair.set_reverse_delivery(true);
  ASSERT_TRUE(pair.Handshake());
  EXPECT_TRUE(BothConnected(pair));
  EXPECT_GT(pair.client_sent().size(), 4u);
}

TEST(DtlsTimer, RandomLossDuplicationAndReorderRecover) {
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    SeededRandom random(seed);
    DtlsConfig client, server;
    client.mtu = server.mtu = 500;
    DtlsPair pair(client, server);
    pair.set_reverse_delivery(seed % 2 == 0);
    pair.set_filter([&random](Direction, int, Datagram d) {
      if (random.Bernoulli(0.3)) return std::vector<Datagram>{};
      if (random.Bernoulli(0.1)) return std::vector<Datagram>{d, d};
      return std::vector<Datagram>{std::move(d)};
    });
    ASSERT_TRUE(pair.Handshake()) << "seed " << seed;
    EXPECT_TRUE(BothConnected(pair)) << "seed " << seed;
    const auto* c = DtlsPair::Find<DtlsConnected>(pair.client_events());
    const auto* s = DtlsPair::Find<DtlsConnected>(pair.server_events());
    ASSERT_TRUE(c && s && c->srtp && s->srtp) << "seed " << seed;
    EXPECT_EQ(c->srtp->client_key, s->srtp->client_key) << "seed " << seed;
  }
}

TEST(DtlsTimer, TimeOriginDoesNotMatter) {
  // Timestamps are opaque: zero, negative and far-future origins all work (no wall clock involved).
  for (Timestamp start : {Timestamp::Zero(), Timestamp::Seconds(-5), Timestamp::Seconds(int64_t{1} << 40)}) {
    DtlsPair pair(DtlsConfig{}, DtlsConfig{}, true, start);
    pair.set_filter([](Direction dir, int index, Datagram d) {
      if (dir == Direction::kClientToServer && index == 0) return std::vector<Datagram>{};
      return std::vector<Datagram>{std::move(d)};
    });
    pair.Start();
    EXPECT_EQ(pair.client().NextTimeout(), start + Duration::Seconds(1)) << start.ToString();
    ASSERT_TRUE(pair.RunUntil([&] { return BothConnected(pair); })) << start.ToString();
    EXPECT_EQ(pair.now(), start + Duration::Seconds(1));
  }
}

TEST(DtlsTimer, HandleTimeoutWithoutTimerIsANoOp) {
  DtlsPair pair;
  pair.server().HandleTimeout(pair.now() + Duration::Seconds(100));  // not started
  EXPECT_FALSE(pair.server().PollTransmit().has_value());
  ASSERT_TRUE(pair.Handshake());
  pair.client().HandleTimeout(pair.now() + Duration::Seconds(100));
  pair.server().HandleTimeout(pair.now() + Duration::Seconds(100));
  EXPECT_FALSE(pair.client().PollTransmit().has_value());
  EXPECT_FALSE(pair.server().PollTransmit().has_value());
  EXPECT_TRUE(BothConnected(pair));
}

}  // namespace
}  // namespace tern
