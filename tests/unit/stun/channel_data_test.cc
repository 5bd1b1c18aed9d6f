// TURN ChannelData (RFC 8656 §12.4-§12.5) in its two framings — over UDP the payload may be followed by
// up to 3 bytes of padding, over TCP/TLS every message is padded to 4 — and the stream framing that
// splits STUN and ChannelData messages out of a TCP byte stream (RFC 8489 §6.2.2).
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tern/stun/stun.h"
#include "unit/stun/stun_test_util.h"

namespace tern::stun {
namespace {

using testing::FailsMentioning;
using testing::Hex;
using testing::ToHex;

TEST(ChannelData, DatagramWithoutPadding) {
  std::vector<uint8_t> d = Hex("4001 0005 6869212121");
  absl::StatusOr<ChannelDataView> v = ParseChannelData(d, Framing::kDatagram);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->channel, 0x4001);
  EXPECT_EQ(AsString(v->payload), "hi!!!");
  EXPECT_EQ(v->payload.data(), d.data() + 4) << "the payload is a view, not a copy";
  EXPECT_EQ(v->frame_size, 9u);
}

TEST(ChannelData, DatagramPaddingIsOptionalUpToThreeBytes) {
  for (size_t pad = 0; pad <= 3; ++pad) {
    std::vector<uint8_t> d = Hex("4fff 0005 0102030405");
    d.resize(d.size() + pad, 0xaa);  // padding content is not checked
    absl::StatusOr<ChannelDataView> v = ParseChannelData(d, Framing::kDatagram);
    ASSERT_TRUE(v.ok()) << pad << ": " << v.status();
    EXPECT_EQ(v->payload.size(), 5u);
    EXPECT_EQ(v->frame_size, d.size()) << "a datagram is one message";
  }
  // Bytes beyond the padding to the next multiple of 4 are not padding.
  std::vector<uint8_t> d = Hex("4000 0005 0102030405 000000 00");
  EXPECT_TRUE(FailsMentioning(ParseChannelData(d, Framing::kDatagram).status(), "padding"));
  std::vector<uint8_t> aligned_extra = Hex("4000 0004 01020304 00");
  EXPECT_FALSE(ParseChannelData(aligned_extra, Framing::kDatagram).ok());
}

TEST(ChannelData, DatagramTooShortForItsLength) {
  EXPECT_TRUE(
      FailsMentioning(ParseChannelData(Hex("4000 0008 01020304"), Framing::kDatagram).status(), "length"));
  for (size_t n = 0; n < kChannelDataHeaderSize; ++n) {
    std::vector<uint8_t> d = Hex("4000 0000");
    d.resize(n);
    EXPECT_TRUE(FailsMentioning(ParseChannelData(d, Framing::kDatagram).status(), "header")) << n;
    EXPECT_FALSE(ParseChannelData(d, Framing::kStream).ok()) << n;
  }
}

TEST(ChannelData, EmptyPayload) {
  absl::StatusOr<ChannelDataView> v = ParseChannelData(Hex("4123 0000"), Framing::kDatagram);
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->payload.empty());
  EXPECT_EQ(v->frame_size, 4u);
  absl::StatusOr<ChannelDataView> s = ParseChannelData(Hex("4123 0000"), Framing::kStream);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->frame_size, 4u);
}

TEST(ChannelData, BadChannelNumbers) {
  // RFC 8656 §12: 0x4000 through 0x4FFF; 0x5000-0xFFFF are reserved (and 0x8000+ is not even
  // ChannelData per RFC 7983).
  for (uint16_t channel : {0x0000, 0x3FFF, 0x5000, 0x7FFF, 0xFFFF}) {
    std::vector<uint8_t> d = {static_cast<uint8_t>(channel >> 8), static_cast<uint8_t>(channel), 0, 1, 7};
    EXPECT_TRUE(FailsMentioning(ParseChannelData(d, Framing::kDatagram).status(), "channel")) << channel;
    std::array<uint8_t, 16> out;
    EXPECT_FALSE(WriteChannelData(out, channel, AsBytes("x"), Framing::kDatagram).ok()) << channel;
    EXPECT_FALSE(IsValidChannelNumber(channel));
  }
  EXPECT_TRUE(IsValidChannelNumber(kMinChannelNumber));
  EXPECT_TRUE(IsValidChannelNumber(kMaxChannelNumber));
}

TEST(ChannelData, StreamMessagesArePaddedToFour) {
  // Over TCP the 5-byte payload occupies 8 bytes; a following message starts after the padding.
  std::vector<uint8_t> s = Hex("4002 0005 0102030405 000000  4003 0001 ff 000000");
  absl::StatusOr<ChannelDataView> first = ParseChannelData(s, Framing::kStream);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->channel, 0x4002);
  EXPECT_EQ(first->payload.size(), 5u);
  EXPECT_EQ(first->frame_size, 12u);
  absl::StatusOr<ChannelDataView> second =
      ParseChannelData(ByteSpan(s).subspan(first->frame_size), Framing::kStream);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->channel, 0x4003);
  EXPECT_EQ(ToHex(second->payload), "ff");
  EXPECT_EQ(second->frame_size, 8u);
  // Without its padding the stream message is incomplete.
  EXPECT_TRUE(
      FailsMentioning(ParseChannelData(Hex("4002 0005 0102030405"), Framing::kStream).status(), "padded"));
}

TEST(ChannelData, WriteRoundTripsInBothFramings) {
  SeededRandom random(12);
  for (size_t size : {0u, 1u, 2u, 3u, 4u, 5u, 100u, 1499u, 65535u}) {
    std::vector<uint8_t> payload(size);
    random.Fill(payload);
    for (Framing framing : {Framing::kDatagram, Framing::kStream}) {
      std::vector<uint8_t> out(size + 8, 0xee);
      absl::StatusOr<size_t> written = WriteChannelData(out, 0x4abc, payload, framing);
      ASSERT_TRUE(written.ok()) << written.status();
      const size_t expected = 4 + (framing == Framing::kStream ? (size + 3) / 4 * 4 : size);
      ASSERT_EQ(*written, expected) << size;
      EXPECT_EQ(out[0], 0x4a);
      EXPECT_EQ(out[1], 0xbc);
      EXPECT_EQ(LoadBigEndian16(out.data() + 2), size) << "the length excludes padding";
      for (size_t i = 4 + size; i < *written; ++i) EXPECT_EQ(out[i], 0) << "padding is zeros";
      if (*written < out.size()) {
        EXPECT_EQ(out[*written], 0xee) << "nothing written past the message";
      }
      absl::StatusOr<ChannelDataView> v = ParseChannelData(ByteSpan(out).first(*written), framing);
      ASSERT_TRUE(v.ok()) << v.status();
      EXPECT_EQ(v->channel, 0x4abc);
      EXPECT_TRUE(std::equal(payload.begin(), payload.end(), v->payload.begin(), v->payload.end()));
      EXPECT_EQ(v->frame_size, *written);
      absl::StatusOr<size_t> frame = StreamFrameSize(ByteSpan(out).first(*written));
      if (framing == Framing::kStream) {
        EXPECT_EQ(frame.value_or(0), *written);
      }
    }
  }
}

TEST(ChannelData, WriteRejectsWhatCannotBeSent) {
  std::array<uint8_t, 8> small;
  EXPECT_EQ(WriteChannelData(small, 0x4000, AsBytes("12345"), Framing::kDatagram).status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(
      WriteChannelData(std::span<uint8_t>(small.data(), 8), 0x4000, AsBytes("1234"), Framing::kDatagram)
          .ok());
  EXPECT_FALSE(
      WriteChannelData(std::span<uint8_t>(small.data(), 8), 0x4000, AsBytes("12345"), Framing::kStream).ok());
  std::vector<uint8_t> too_big(65536);
  std::vector<uint8_t> out(65536 + 8);
  EXPECT_FALSE(WriteChannelData(out, 0x4000, too_big, Framing::kDatagram).ok()) << "16-bit length";
}

TEST(ChannelData, LooksLikeChannelDataByFirstByte) {
  // RFC 7983: 64..79 is TURN ChannelData.
  for (int b = 0; b < 256; ++b) {
    const uint8_t d[4] = {static_cast<uint8_t>(b), 0, 0, 0};
    EXPECT_EQ(LooksLikeChannelData(d), b >= 64 && b <= 79) << b;
  }
  EXPECT_FALSE(LooksLikeChannelData(ByteSpan()));
}

// RFC 5766 §11's wider range (0x4000-0x7FFF) is accepted only when asked for: the default (clients, ICE)
// stays RFC 8656's.
TEST(ChannelData, Rfc5766NumbersOnlyWithTheWideRange) {
  constexpr ChannelNumberRange kWide = ChannelNumberRange::kRfc5766;
  for (uint16_t channel : {0x5000, 0x7647, 0x7FFF}) {
    std::vector<uint8_t> d = {static_cast<uint8_t>(channel >> 8), static_cast<uint8_t>(channel), 0, 2, 7, 8};
    EXPECT_FALSE(IsValidChannelNumber(channel)) << channel;
    EXPECT_TRUE(IsValidChannelNumber(channel, kWide)) << channel;
    EXPECT_FALSE(LooksLikeChannelData(d)) << channel;
    EXPECT_TRUE(LooksLikeChannelData(d, kWide)) << channel;
    EXPECT_TRUE(FailsMentioning(ParseChannelData(d, Framing::kDatagram).status(), "0x4FFF")) << channel;
    absl::StatusOr<ChannelDataView> v = ParseChannelData(d, Framing::kDatagram, kWide);
    ASSERT_TRUE(v.ok()) << channel << ": " << v.status();
    EXPECT_EQ(v->channel, channel);
    EXPECT_EQ(ToHex(v->payload), "0708");
    std::vector<uint8_t> padded = d;
    padded.resize(8, 0);
    EXPECT_FALSE(ParseChannelData(padded, Framing::kStream).ok());
    EXPECT_EQ(ParseChannelData(padded, Framing::kStream, kWide).value_or(ChannelDataView{}).frame_size, 8u);

    std::array<uint8_t, 16> out;
    EXPECT_FALSE(WriteChannelData(out, channel, AsBytes("x"), Framing::kDatagram).ok()) << channel;
    absl::StatusOr<size_t> written = WriteChannelData(out, channel, AsBytes("xyz"), Framing::kStream, kWide);
    ASSERT_TRUE(written.ok()) << written.status();
    EXPECT_EQ(*written, 8u);
    EXPECT_EQ(LoadBigEndian16(out.data()), channel);
  }
  // Outside both ranges.
  for (uint16_t channel : {0x0000, 0x3FFF, 0x8000, 0xBFFF, 0xFFFF}) {
    std::vector<uint8_t> d = {static_cast<uint8_t>(channel >> 8), static_cast<uint8_t>(channel), 0, 1, 7};
    EXPECT_FALSE(IsValidChannelNumber(channel, kWide)) << channel;
    EXPECT_TRUE(FailsMentioning(ParseChannelData(d, Framing::kDatagram, kWide).status(), "0x7FFF"))
        << channel;
    std::array<uint8_t, 16> out;
    EXPECT_FALSE(WriteChannelData(out, channel, AsBytes("x"), Framing::kDatagram, kWide).ok()) << channel;
  }
  EXPECT_EQ(MaxChannelNumber(ChannelNumberRange::kRfc8656), 0x4FFF);
  EXPECT_EQ(MaxChannelNumber(kWide), 0x7FFF);
}

TEST(ChannelData, LooksLikeChannelDataByFirstByteWithRfc5766Numbers) {
  // 64..127: STUN (0-63) and RTP/RTCP (128-191) stay apart.
  for (int b = 0; b < 256; ++b) {
    const uint8_t d[4] = {static_cast<uint8_t>(b), 0, 0, 0};
    EXPECT_EQ(LooksLikeChannelData(d, ChannelNumberRange::kRfc5766), b >= 64 && b <= 127) << b;
  }
  EXPECT_FALSE(LooksLikeChannelData(ByteSpan(), ChannelNumberRange::kRfc5766));
}

// ---------------------------------------------------------------------------------------------------
// Stream framing.

std::vector<uint8_t> StunMessage(uint16_t method, size_t software_len) {
  std::array<uint8_t, 256> buf;
  MessageBuilder b(buf, {MessageClass::kRequest, method}, testing::TestTransactionId());
  if (software_len > 0) b.AddText(attr::kSoftware, std::string(software_len, 's'));
  absl::StatusOr<ByteSpan> wire = b.Finish({.fingerprint = true});
  EXPECT_TRUE(wire.ok());
  return std::vector<uint8_t>(wire->begin(), wire->end());
}

TEST(StreamFrameSize, PartialInputNeedsMoreBytes) {
  const std::vector<uint8_t> stun = StunMessage(method::kAllocate, 5);
  for (size_t n = 0; n < stun.size(); ++n) {
    absl::StatusOr<size_t> size = StreamFrameSize(ByteSpan(stun).first(n));
    ASSERT_TRUE(size.ok()) << n << ": " << size.status();
    EXPECT_EQ(*size, 0u) << "prefix of " << n << " bytes";
  }
  EXPECT_EQ(StreamFrameSize(stun).value_or(0), stun.size());

  std::vector<uint8_t> cd = Hex("4000 0005 0102030405 000000");
  for (size_t n = 0; n < cd.size(); ++n) {
    absl::StatusOr<size_t> size = StreamFrameSize(ByteSpan(cd).first(n));
    ASSERT_TRUE(size.ok()) << n;
    EXPECT_EQ(*size, 0u) << "prefix of " << n << " bytes";
  }
  EXPECT_EQ(StreamFrameSize(cd).value_or(0), 12u) << "ChannelData over a stream includes its padding";
}

TEST(StreamFrameSize, SplitsABackToBackStream) {
  std::vector<uint8_t> stream;
  std::vector<size_t> sizes;
  auto append = [&](const std::vector<uint8_t>& m) {
    stream.insert(stream.end(), m.begin(), m.end());
    sizes.push_back(m.size());
  };
  append(StunMessage(method::kBinding, 0));
  append(Hex("4001 0003 616263 00"));
  append(StunMessage(method::kRefresh, 13));
  append(Hex("4fff 0000"));
  append(Hex("4abc 0008 0102030405060708"));
  append(StunMessage(method::kChannelBind, 1));

  size_t pos = 0;
  std::vector<size_t> got;
  while (pos < stream.size()) {
    absl::StatusOr<size_t> size = StreamFrameSize(ByteSpan(stream).subspan(pos));
    ASSERT_TRUE(size.ok()) << size.status();
    ASSERT_GT(*size, 0u);
    ByteSpan frame = ByteSpan(stream).subspan(pos, *size);
    if (LooksLikeChannelData(frame)) {
      EXPECT_TRUE(ParseChannelData(frame, Framing::kStream).ok());
    } else {
      absl::StatusOr<MessageView> m = MessageView::Parse(frame);
      ASSERT_TRUE(m.ok()) << m.status();
      EXPECT_TRUE(m->VerifyFingerprint().ok());
    }
    got.push_back(*size);
    pos += *size;
  }
  EXPECT_EQ(got, sizes);
}

TEST(StreamFrameSize, GarbageIsAnError) {
  // RTP (0x80), DTLS (0x16), reserved ChannelData ranges (0x50-0x7f), 0xff: framing is lost.
  for (uint8_t first : {0x80, 0x16 | 0x80, 0x50, 0x7f, 0xc0, 0xff}) {
    std::vector<uint8_t> junk = {first, 0, 0, 0, 0, 0, 0, 0};
    EXPECT_FALSE(StreamFrameSize(junk).ok()) << int{first};
    EXPECT_FALSE(StreamFrameSize(ByteSpan(junk).first(1)).ok()) << "decidable from one byte: " << int{first};
  }
  // STUN-looking bytes without the magic cookie, once 8 bytes are there.
  std::vector<uint8_t> no_cookie = Hex("0001 0000 deadbeef 000000000000000000000000");
  EXPECT_TRUE(FailsMentioning(StreamFrameSize(no_cookie).status(), "cookie"));
  // STUN length not a multiple of 4.
  std::vector<uint8_t> odd = Hex("0001 0003 2112a442");
  EXPECT_TRUE(FailsMentioning(StreamFrameSize(odd).status(), "multiple of 4"));
  // A DTLS record starts with 0x16, which passes the two-zero-bits test; it is refused as soon as the
  // cookie position is visible.
  EXPECT_TRUE(FailsMentioning(StreamFrameSize(Hex("16fefd 0000 0000 0000 0001 0030")).status(), "cookie"));
  // An RTCP packet is refused from its first byte.
  EXPECT_TRUE(FailsMentioning(StreamFrameSize(Hex("80c80006")).status(), "neither"));
}

TEST(StreamFrameSize, Rfc5766NumbersFrameOnlyWithTheWideRange) {
  constexpr ChannelNumberRange kWide = ChannelNumberRange::kRfc5766;
  std::vector<uint8_t> stream;
  std::vector<size_t> sizes;
  auto append = [&](const std::vector<uint8_t>& m) {
    stream.insert(stream.end(), m.begin(), m.end());
    sizes.push_back(m.size());
  };
  append(Hex("7647 0005 0102030405 000000"));
  append(StunMessage(method::kBinding, 0));
  append(Hex("5000 0000"));
  append(Hex("4001 0001 ff 000000"));
  append(Hex("7fff 0004 01020304"));

  EXPECT_TRUE(FailsMentioning(StreamFrameSize(stream).status(), "neither")) << "RFC 8656 numbers only";
  size_t pos = 0;
  std::vector<size_t> got;
  while (pos < stream.size()) {
    ByteSpan rest = ByteSpan(stream).subspan(pos);
    absl::StatusOr<size_t> size = StreamFrameSize(rest, kWide);
    ASSERT_TRUE(size.ok()) << size.status();
    ASSERT_GT(*size, 0u);
    for (size_t n = 0; n < *size; ++n) {
      EXPECT_EQ(StreamFrameSize(rest.first(n), kWide).value_or(1), 0u) << "prefix of " << n << " bytes";
    }
    if (LooksLikeChannelData(rest, kWide)) {
      EXPECT_EQ(ParseChannelData(rest, Framing::kStream, kWide).value_or(ChannelDataView{}).frame_size,
                *size);
    } else {
      EXPECT_TRUE(MessageView::Parse(rest.first(*size)).ok());
    }
    got.push_back(*size);
    pos += *size;
  }
  EXPECT_EQ(got, sizes);
  // 0x80 and above is neither STUN nor ChannelData in either range.
  EXPECT_TRUE(FailsMentioning(StreamFrameSize(Hex("8000 0004"), kWide).status(), "neither"));
}

TEST(StreamFrameSize, LargestMessages) {
  // 16-bit lengths: a STUN message is at most 20 + 65532 bytes, ChannelData 4 + 65536 (padded).
  std::vector<uint8_t> stun(kHeaderSize + 65532, 0);
  StoreBigEndian16(stun.data(), 0x0001);
  StoreBigEndian16(stun.data() + 2, 65532);
  StoreBigEndian32(stun.data() + 4, kMagicCookie);
  EXPECT_EQ(StreamFrameSize(stun).value_or(0), stun.size());
  std::vector<uint8_t> cd(4 + 65536, 0);
  StoreBigEndian16(cd.data(), 0x4000);
  StoreBigEndian16(cd.data() + 2, 0xffff);
  EXPECT_EQ(StreamFrameSize(cd).value_or(0), cd.size());
  EXPECT_EQ(StreamFrameSize(ByteSpan(cd).first(cd.size() - 1)).value_or(1), 0u);
}

}  // namespace
}  // namespace tern::stun
