// Transport-wide congestion control feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1):
// a packet decoded by hand below, chunk choice, round trips, the arrival-time builder, and the
// malformed forms.
#include "tern/rtp/transport_feedback.h"

#include <cstdint>
#include <list>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tern/rtp/rtcp_packet.h"
#include "unit/rtp/rtp_test_util.h"

namespace tern::rtp {
namespace {

using testing::FailsMentioning;
using testing::Hex;
using testing::ToHex;

// A feedback for transport sequence numbers 100..119, decoded by hand:
//
//   8f cd 000b        V=2 P=0 FMT=15, PT=205 (RTPFB), length 11 (48 bytes)
//   01020304          SSRC of packet sender
//   0a0b0c0d          SSRC of media source
//   0064 0014         base sequence number 100, packet status count 20
//   123456 07         reference time 0x123456 x 64 ms, feedback packet count 7
//   200a              run length chunk: T=0, S=01 (received, small delta), run length 10: 100..109
//   c919              status vector chunk, T=1 S=1 (two-bit symbols): 1100 1001 0001 1001 ->
//                     00 10 01 00 01 10 01: 110 lost, 111 large, 112 small, 113 lost, 114 small,
//                     115 large, 116 small
//   a800              status vector chunk, T=1 S=0 (one-bit symbols): 1010 1000 0000 0000 ->
//                     1 0 1 for 117 (received), 118 (lost), 119 (received); the other 11 are past
//                     the status count and ignored
//   10 14x9           receive deltas of 100..109: 16 ticks (4 ms), then 20 ticks (5 ms) each
//   fffc              111: -4 ticks (-1 ms), a large (signed 16-bit) delta
//   08                112: 8 ticks (2 ms)
//   ff                114: 255 ticks (63.75 ms), the largest small delta
//   012c              115: 300 ticks (75 ms), too large for one byte
//   00                116: 0
//   01                117: 1 tick (250 us)
//   02                119: 2 ticks
//   000000            zero padding to the 32-bit boundary (41 bytes of body -> 44)
const std::string kFeedback =
    "8fcd000b"
    "01020304"
    "0a0b0c0d"
    "00640014"
    "12345607"
    "200a"
    "c919"
    "a800"
    "10141414141414141414"
    "fffc"
    "08"
    "ff"
    "012c"
    "00"
    "01"
    "02"
    "000000";

TransportFeedback Expected() {
  TransportFeedback f;
  f.sender_ssrc = 0x01020304;
  f.media_ssrc = 0x0a0b0c0d;
  f.base_sequence_number = 100;
  f.reference_time = 0x123456;
  f.feedback_count = 7;
  f.packets.push_back({100, true, 16});
  for (uint16_t s = 101; s <= 109; ++s) f.packets.push_back({s, true, 20});
  f.packets.push_back({110, false, 0});
  f.packets.push_back({111, true, -4});
  f.packets.push_back({112, true, 8});
  f.packets.push_back({113, false, 0});
  f.packets.push_back({114, true, 255});
  f.packets.push_back({115, true, 300});
  f.packets.push_back({116, true, 0});
  f.packets.push_back({117, true, 1});
  f.packets.push_back({118, false, 0});
  f.packets.push_back({119, true, 2});
  return f;
}

// Parses one packet from a copy of `bytes` kept alive for the whole test binary, so callers may pass
// temporaries and keep the returned view.
RtcpPacket ParseOne(const std::vector<uint8_t>& bytes) {
  static std::list<std::vector<uint8_t>>* storage = new std::list<std::vector<uint8_t>>();
  const std::vector<uint8_t>& kept = storage->emplace_back(bytes);
  absl::StatusOr<RtcpPacket> p = ParseRtcpPacket(kept);
  EXPECT_TRUE(p.ok()) << p.status();
  if (p.ok()) {
    EXPECT_EQ(p->bytes.size(), kept.size());
  }
  return p.ok() ? *p : RtcpPacket{};
}

std::vector<uint8_t> Build(const TransportFeedback& f) {
  std::vector<uint8_t> buffer(300000);
  absl::StatusOr<ByteSpan> wire = RtcpCompoundBuilder(buffer).Add(f).Finish();
  EXPECT_TRUE(wire.ok()) << wire.status();
  return wire.ok() ? std::vector<uint8_t>(wire->begin(), wire->end()) : std::vector<uint8_t>();
}

TEST(TransportFeedback, HandDecodedExample) {
  std::vector<uint8_t> bytes = Hex(kFeedback);
  ASSERT_EQ(bytes.size(), 48u);
  absl::StatusOr<TransportFeedback> f = TransportFeedback::Parse(ParseOne(bytes));
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(*f, Expected());
  EXPECT_EQ(f->received_count(), 17u);
  EXPECT_EQ(f->reference_time_delta(), Duration::Millis(0x123456 * 64));
  EXPECT_EQ(f->packets[11].delta(), Duration::Micros(-1000));
}

TEST(TransportFeedback, BuildsTheExampleByteForByte) {
  // The greedy chunk choice finds the same three chunks: the run of 10 beats a 7-symbol vector (a
  // large delta is within the next 14), then 7 two-bit symbols, then a one-bit vector for the rest.
  EXPECT_EQ(ToHex(Build(Expected())), kFeedback);
  EXPECT_EQ(Expected().WireSize(), 48u);
}

TEST(TransportFeedback, NegativeReferenceTime) {
  TransportFeedback f = Expected();
  f.reference_time = -2;
  std::vector<uint8_t> wire = Build(f);
  EXPECT_EQ(ToHex(std::span(wire).subspan(16, 4)), "fffffe07");
  absl::StatusOr<TransportFeedback> back = TransportFeedback::Parse(ParseOne(wire));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->reference_time, -2);
  f.reference_time = 0x800000;
  EXPECT_TRUE(FailsMentioning(f.Validate(), "24 signed bits"));
}

TransportFeedback FromSymbols(const std::vector<int>& symbols, uint16_t base = 65530) {
  TransportFeedback f;
  f.base_sequence_number = base;
  for (size_t i = 0; i < symbols.size(); ++i) {
    int s = symbols[i];
    f.packets.push_back({static_cast<uint16_t>(base + i), s != 0, s == 0 ? 0 : s == 1 ? 7 : -7});
  }
  return f;
}

TEST(TransportFeedback, ChunkChoice) {
  struct Case {
    std::vector<int> symbols;
    size_t chunks;
  } cases[] = {
      {std::vector<int>(50, 1), 1},                     // one run
      {std::vector<int>(8191, 0), 1},                   // the longest run
      {std::vector<int>(8192, 1), 2},                   // one more needs another chunk
      {{1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0}, 1},  // one one-bit vector
      {{1, 2, 1, 2, 1, 2, 1, 2}, 2},                    // 7 two-bit symbols, then one more
      {{2}, 1},
  };
  for (const Case& c : cases) {
    TransportFeedback f = FromSymbols(c.symbols);
    size_t received = f.received_count();
    size_t large = 0;
    for (int s : c.symbols) large += s == 2;
    size_t body = kFeedbackHeaderSize + kTwccHeaderSize + 2 * c.chunks + (received - large) + 2 * large;
    EXPECT_EQ(f.WireSize(), kRtcpHeaderSize + ((body + 3) & ~size_t{3})) << c.symbols.size();
    absl::StatusOr<TransportFeedback> back = TransportFeedback::Parse(ParseOne(Build(f)));
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, f);
  }
}

TEST(TransportFeedback, RandomRoundTrips) {
  std::mt19937 rng(1234);
  for (int iteration = 0; iteration < 300; ++iteration) {
    size_t n = 1 + rng() % (iteration % 10 == 0 ? 3000 : 60);
    int loss = rng() % 100;
    std::vector<int> symbols(n);
    int current = 1;
    for (int& s : symbols) {
      if (rng() % 100 < 20)
        current = static_cast<int>(rng() % 100) < loss ? 0 : 1 + static_cast<int>(rng() % 4 == 0);
      s = current;
    }
    TransportFeedback f = FromSymbols(symbols, static_cast<uint16_t>(rng()));
    for (TwccPacketResult& p : f.packets) {
      if (p.received) p.delta_ticks = static_cast<int32_t>(rng() % 65536) - 32768;
    }
    f.reference_time = static_cast<int32_t>(rng() % 0x1000000) - 0x800000;
    f.feedback_count = static_cast<uint8_t>(rng());
    std::vector<uint8_t> wire = Build(f);
    EXPECT_EQ(wire.size(), f.WireSize());
    absl::StatusOr<TransportFeedback> back = TransportFeedback::Parse(ParseOne(wire));
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, f) << iteration;
  }
}

TEST(TransportFeedback, ParseIntoReusesTheVector) {
  TransportFeedback f;
  ASSERT_TRUE(TransportFeedback::ParseInto(ParseOne(Hex(kFeedback)), &f).ok());
  const TwccPacketResult* storage = f.packets.data();
  ASSERT_TRUE(TransportFeedback::ParseInto(ParseOne(Hex(kFeedback)), &f).ok());
  EXPECT_EQ(f.packets.data(), storage);
  EXPECT_EQ(f, Expected());
}

TEST(TransportFeedback, Malformed) {
  struct Case {
    std::string packet;
    const char* problem;
  } cases[] = {
      {"8fcd0003 01020304 0a0b0c0d 00640001", "shorter than its 16-byte header"},
      {"8fcd0004 01020304 0a0b0c0d 00640000 12345607", "status count is zero"},
      // Status count 20, but the only chunk (a run of 10) covers 10.
      {"8fcd0005 01020304 0a0b0c0d 00640014 12345607 200a0000",
       "status count 20 is larger than the chunks cover (10)"},
      // Run length chunk with symbol 11.
      {"8fcd0005 01020304 0a0b0c0d 00640001 12345607 60010000", "reserved status symbol"},
      // Two-bit vector with symbol 11 in the first position.
      {"8fcd0005 01020304 0a0b0c0d 00640001 12345607 f0000000", "reserved status symbol"},
      // One received small-delta packet, but no delta byte (the chunk fills the word with padding P).
      {"afcd0005 01020304 0a0b0c0d 00640001 12345607 20010002", "receive deltas truncated at packet 100"},
      // One large delta, one byte of it.
      {"afcd0005 01020304 0a0b0c0d 00640001 12345607 40010101", "receive deltas truncated at packet 100"},
      // Four bytes after the deltas.
      {"8fcd0006 01020304 0a0b0c0d 00640001 12345607 20010500 00000000", "5 bytes follow the receive deltas"},
      {"8fcd0005 01020304 0a0b0c0d 00640001 12345607 20010501",
       "padding after the receive deltas is not zero"},
      {"81cd0005 01020304 0a0b0c0d 00640001 12345607 20010500", "is not a transport-cc feedback"},
  };
  for (const Case& c : cases) {
    RtcpPacket packet = ParseOne(Hex(c.packet));
    TransportFeedback out;
    EXPECT_TRUE(FailsMentioning(TransportFeedback::ParseInto(packet, &out), c.problem)) << c.packet;
    EXPECT_TRUE(out.packets.empty());
  }
  // Every truncation of the example that still frames as an RTCP packet (the length field rewritten,
  // the rest carried by the padding count) is refused.
  std::vector<uint8_t> full = Hex(kFeedback);
  for (size_t body = 16; body < 41; ++body) {
    std::vector<uint8_t> cut(full.begin(), full.begin() + 4 + body);
    size_t pad = (4 - body % 4) % 4;
    if (pad == 0) {
      cut[3] = static_cast<uint8_t>((4 + body) / 4 - 1);
    } else {
      cut.insert(cut.end(), pad - 1, 0);
      cut.push_back(static_cast<uint8_t>(pad));
      cut[0] |= 0x20;
      cut[3] = static_cast<uint8_t>(cut.size() / 4 - 1);
    }
    TransportFeedback out;
    EXPECT_FALSE(TransportFeedback::ParseInto(ParseOne(cut), &out).ok()) << body;
  }
}

TEST(TransportFeedback, ValidateRefusesWhatCannotBeSent) {
  TransportFeedback f = Expected();
  f.packets[3].sequence_number = 0;
  EXPECT_TRUE(FailsMentioning(f.Validate(), "packet 3 has sequence number 0, expected 103"));
  f = Expected();
  f.packets[0].delta_ticks = 32768;
  EXPECT_TRUE(FailsMentioning(f.Validate(), "does not fit 16 signed bits"));
  f.packets[0].received = false;  // ignored when not received
  EXPECT_TRUE(f.Validate().ok());
  EXPECT_TRUE(FailsMentioning(TransportFeedback{}.Validate(), "at least one"));
  f.packets.resize(65536);
  EXPECT_TRUE(FailsMentioning(f.Validate(), "more than 65535"));
}

TEST(TransportFeedbackBuilder, FromArrivalTimes) {
  TransportFeedbackBuilder b(1, 2, 9);
  EXPECT_TRUE(b.empty());
  // 10.000 s = 156.25 x 64 ms: reference 156 (9.984 s), first delta 16 ms = 64 ticks.
  ASSERT_TRUE(b.AddReceivedPacket(65534, Timestamp::Millis(10'000)).ok());
  ASSERT_TRUE(b.AddReceivedPacket(65535, Timestamp::Micros(10'000'600)).ok());  // +600 us -> 2 ticks (500 us)
  ASSERT_TRUE(
      b.AddReceivedPacket(2, Timestamp::Micros(10'000'800)).ok());  // 0, 1 lost; +300 us from 10.0005 -> 1
  ASSERT_TRUE(b.AddReceivedPacket(3, Timestamp::Micros(9'990'000)).ok());  // reordered in time: negative
  const TransportFeedback& f = b.feedback();
  EXPECT_EQ(f.reference_time, 156);
  EXPECT_EQ(f.base_sequence_number, 65534);
  EXPECT_EQ(f.feedback_count, 9);
  std::vector<TwccPacketResult> expected = {{65534, true, 64}, {65535, true, 2}, {0, false, 0},
                                            {1, false, 0},     {2, true, 1},     {3, true, -43}};
  // 10.00075 s as rounded -> 9.99 s is -10.75 ms = -43 ticks.
  EXPECT_EQ(f.packets, expected);
  EXPECT_TRUE(f.Validate().ok());
  absl::StatusOr<TransportFeedback> back = TransportFeedback::Parse(ParseOne(Build(f)));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, f);

  EXPECT_TRUE(FailsMentioning(b.AddReceivedPacket(3, Timestamp::Seconds(10)), "does not come after"));
  EXPECT_TRUE(FailsMentioning(b.AddReceivedPacket(2, Timestamp::Seconds(10)), "does not come after"));
  EXPECT_EQ(b.AddReceivedPacket(4, Timestamp::Seconds(20)).code(),
            absl::StatusCode::kOutOfRange);    // 10 s delta
  EXPECT_EQ(b.feedback().packets.size(), 6u);  // unchanged by the errors
}

TEST(TransportFeedbackBuilder, ReferenceTimeWrapsAt24Bits) {
  // 2^23 x 64 ms is the first tick that reads as negative.
  TransportFeedbackBuilder b(1, 2, 0);
  ASSERT_TRUE(b.AddReceivedPacket(1, Timestamp::Micros(int64_t{0x800000} * 64'000)).ok());
  EXPECT_EQ(b.feedback().reference_time, -0x800000);
  TransportFeedbackBuilder c(1, 2, 0);
  ASSERT_TRUE(c.AddReceivedPacket(1, Timestamp::Micros(int64_t{0x1000001} * 64'000 + 250)).ok());
  EXPECT_EQ(c.feedback().reference_time, 1);
  EXPECT_EQ(c.feedback().packets[0].delta_ticks, 1);
}

}  // namespace
}  // namespace tern::rtp
