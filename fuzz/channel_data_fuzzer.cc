// libFuzzer harness for TURN ChannelData (RFC 8656 §12.4-§12.5) and STUN/TURN stream framing over
// TCP/TLS (RFC 8489 §6.2.2). The input is read three ways:
//  - as one UDP datagram and as the start of a stream: ParseChannelData with both framings, checked
//    against the RFC's acceptance rule, and WriteChannelData round trips for what parses;
//  - as a TCP byte stream: StreamFrameSize walks it frame by frame (each step must make progress or
//    stop), every prefix of a frame must ask for more bytes, and each frame must parse as what it is;
//  - as a payload: WriteChannelData into exact-size buffers, including one byte too small.
// Each is done with RFC 8656 channel numbers (0x4000-0x4FFF, the default) and with RFC 5766 ones
// (0x4000-0x7FFF, what a TURN server accepts), and the two must agree wherever RFC 8656's range is used:
// the wide range accepts everything the default does, with the same result.
// Any broken invariant traps (fuzz_check.h).
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "fuzz_check.h"
#include "tern/base/byte_io.h"
#include "tern/stun/stun.h"

namespace tern::stun {
namespace {

size_t Padded(size_t n) { return (n + 3) & ~size_t{3}; }

constexpr ChannelNumberRange kRanges[] = {ChannelNumberRange::kRfc8656, ChannelNumberRange::kRfc5766};

// The ranges written out independently of constants.h.
bool InRange(uint16_t channel, ChannelNumberRange range) {
  uint16_t max = range == ChannelNumberRange::kRfc5766 ? 0x7FFF : 0x4FFF;
  return channel >= 0x4000 && channel <= max;
}
bool FirstByteIsChannelData(uint8_t first, ChannelNumberRange range) {
  return range == ChannelNumberRange::kRfc5766 ? first >= 0x40 && first <= 0x7F
                                               : first >= 0x40 && first <= 0x4F;
}

bool SameBytes(ByteSpan a, ByteSpan b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0);
}

bool AllZero(ByteSpan b) {
  for (uint8_t x : b) {
    if (x != 0) return false;
  }
  return true;
}

// Writes `payload` on `channel` into a buffer of exactly the size the framing needs, checks the bytes
// and parses them back. A buffer one byte short must be refused.
void CheckWrite(uint16_t channel, ByteSpan payload, Framing framing, ChannelNumberRange range) {
  size_t size =
      kChannelDataHeaderSize + (framing == Framing::kStream ? Padded(payload.size()) : payload.size());
  std::vector<uint8_t> buffer(size);
  absl::StatusOr<size_t> written = WriteChannelData(buffer, channel, payload, framing, range);
  TERN_FUZZ_CHECK(IsValidChannelNumber(channel, range) == InRange(channel, range));
  bool expect_ok = InRange(channel, range) && payload.size() <= 0xFFFF;
  TERN_FUZZ_CHECK(written.ok() == expect_ok);
  if (!written.ok()) return;
  TERN_FUZZ_CHECK(*written == size);
  TERN_FUZZ_CHECK(LoadBigEndian16(buffer.data()) == channel);
  TERN_FUZZ_CHECK(LoadBigEndian16(buffer.data() + 2) == payload.size());
  TERN_FUZZ_CHECK(SameBytes(ByteSpan(buffer).subspan(kChannelDataHeaderSize, payload.size()), payload));
  TERN_FUZZ_CHECK(AllZero(ByteSpan(buffer).subspan(kChannelDataHeaderSize + payload.size())));
  TERN_FUZZ_CHECK(LooksLikeChannelData(buffer, range));

  absl::StatusOr<ChannelDataView> parsed = ParseChannelData(buffer, framing, range);
  TERN_FUZZ_CHECK_OK(parsed.status());
  TERN_FUZZ_CHECK(parsed->channel == channel);
  TERN_FUZZ_CHECK(SameBytes(parsed->payload, payload));
  TERN_FUZZ_CHECK(parsed->frame_size == size);
  if (framing == Framing::kStream) {
    absl::StatusOr<size_t> frame = StreamFrameSize(buffer, range);
    TERN_FUZZ_CHECK_OK(frame.status());
    TERN_FUZZ_CHECK(*frame == size);
  }

  std::vector<uint8_t> short_buffer(size - 1);
  TERN_FUZZ_CHECK(!WriteChannelData(short_buffer, channel, payload, framing, range).ok());
}

// ParseChannelData must accept exactly what RFC 8656 §12.4-§12.5 allows, on the numbers of `range`.
void CheckParse(ByteSpan in, Framing framing, ChannelNumberRange range) {
  absl::StatusOr<ChannelDataView> view = ParseChannelData(in, framing, range);
  bool expect_ok = false;
  size_t length = 0;
  if (in.size() >= kChannelDataHeaderSize && InRange(LoadBigEndian16(in.data()), range)) {
    length = LoadBigEndian16(in.data() + 2);
    size_t available = in.size() - kChannelDataHeaderSize;
    expect_ok = framing == Framing::kDatagram
                    ? length <= available && available <= Padded(length)  // ≤ 3 padding bytes
                    : Padded(length) <= available;                        // padded, more may follow
  }
  TERN_FUZZ_CHECK(view.ok() == expect_ok);
  if (!view.ok()) return;
  TERN_FUZZ_CHECK(LooksLikeChannelData(in, range));
  TERN_FUZZ_CHECK(view->channel == LoadBigEndian16(in.data()));
  TERN_FUZZ_CHECK(view->payload.data() == in.data() + kChannelDataHeaderSize);
  TERN_FUZZ_CHECK(view->payload.size() == length);
  size_t expected_frame = framing == Framing::kDatagram ? in.size() : kChannelDataHeaderSize + Padded(length);
  TERN_FUZZ_CHECK(view->frame_size == expected_frame);

  CheckWrite(view->channel, view->payload, framing, range);
  // What RFC 8656's range accepts, RFC 5766's accepts the same way.
  if (range == ChannelNumberRange::kRfc8656) {
    absl::StatusOr<ChannelDataView> wide = ParseChannelData(in, framing, ChannelNumberRange::kRfc5766);
    TERN_FUZZ_CHECK_OK(wide.status());
    TERN_FUZZ_CHECK(wide->channel == view->channel && wide->frame_size == view->frame_size);
    TERN_FUZZ_CHECK(wide->payload.data() == view->payload.data() &&
                    wide->payload.size() == view->payload.size());
  }
  // A stream frame with zero padding is exactly what WriteChannelData(kStream) writes.
  if (framing == Framing::kStream) {
    ByteSpan frame = in.first(view->frame_size);
    if (AllZero(frame.subspan(kChannelDataHeaderSize + length))) {
      std::vector<uint8_t> buffer(view->frame_size);
      absl::StatusOr<size_t> written = WriteChannelData(buffer, view->channel, view->payload, framing, range);
      TERN_FUZZ_CHECK_OK(written.status());
      TERN_FUZZ_CHECK(SameBytes(buffer, frame));
    }
  }
}

// Walks `stream` as a TCP reader with channel numbers of `range` would. Every step either consumes a
// whole frame (at least a 4-byte ChannelData header) or stops, so the walk ends after at most size/4
// steps.
void WalkStream(ByteSpan stream, ChannelNumberRange range) {
  size_t offset = 0;
  size_t steps = 0;
  while (offset < stream.size()) {
    TERN_FUZZ_CHECK(++steps <= stream.size() / kChannelDataHeaderSize + 1);
    ByteSpan rest = stream.subspan(offset);
    absl::StatusOr<size_t> frame_size = StreamFrameSize(rest, range);
    TERN_FUZZ_CHECK(LooksLikeChannelData(rest, range) == FirstByteIsChannelData(rest[0], range));
    if (range == ChannelNumberRange::kRfc8656) {
      // The wide range frames everything the default does, the same way.
      absl::StatusOr<size_t> wide = StreamFrameSize(rest, ChannelNumberRange::kRfc5766);
      if (frame_size.ok()) TERN_FUZZ_CHECK(wide.ok() && *wide == *frame_size);
    }
    if (!frame_size.ok()) {
      // A first byte in the range's ChannelData span always starts a valid channel number, so
      // ChannelData framing cannot fail; STUN fails only on a length or cookie it has read.
      TERN_FUZZ_CHECK(!LooksLikeChannelData(rest, range));
      TERN_FUZZ_CHECK((rest[0] & 0xC0) != 0 || rest.size() >= kChannelDataHeaderSize);
      break;
    }
    if (*frame_size == 0) break;  // needs more bytes
    TERN_FUZZ_CHECK(*frame_size >= kChannelDataHeaderSize && *frame_size <= rest.size());
    ByteSpan frame = rest.first(*frame_size);

    // The same answer with nothing after the frame, and "need more" for every shorter prefix.
    absl::StatusOr<size_t> exact = StreamFrameSize(frame, range);
    TERN_FUZZ_CHECK(exact.ok() && *exact == *frame_size);
    const size_t prefixes[] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 19, 20, 21, *frame_size / 2, *frame_size - 1};
    for (size_t p : prefixes) {
      if (p >= *frame_size) continue;
      absl::StatusOr<size_t> partial = StreamFrameSize(frame.first(p), range);
      TERN_FUZZ_CHECK(partial.ok() && *partial == 0);
    }

    if (LooksLikeChannelData(frame, range)) {
      absl::StatusOr<ChannelDataView> view = ParseChannelData(rest, Framing::kStream, range);
      TERN_FUZZ_CHECK_OK(view.status());
      TERN_FUZZ_CHECK(view->frame_size == *frame_size);
      absl::StatusOr<ChannelDataView> alone = ParseChannelData(frame, Framing::kStream, range);
      TERN_FUZZ_CHECK_OK(alone.status());
      TERN_FUZZ_CHECK(alone->frame_size == *frame_size);
    } else {
      TERN_FUZZ_CHECK((frame[0] & 0xC0) == 0);
      TERN_FUZZ_CHECK(*frame_size >= kHeaderSize);
      TERN_FUZZ_CHECK(LooksLikeStun(frame));
      (void)MessageView::Parse(frame);
    }
    offset += *frame_size;
  }
}

void TestOneInput(ByteSpan in) {
  (void)LooksLikeChannelData(in);
  // The input as a payload, on a channel taken from its first bytes (valid or not).
  uint16_t channel = in.size() >= 2 ? LoadBigEndian16(in.data()) : 0x4000;
  ByteSpan payload = in.size() > 0xFFFF ? in.first(0xFFFF) : in;
  for (ChannelNumberRange range : kRanges) {
    CheckParse(in, Framing::kDatagram, range);
    CheckParse(in, Framing::kStream, range);
    WalkStream(in, range);
    CheckWrite(channel, payload, Framing::kDatagram, range);
    CheckWrite(channel, payload, Framing::kStream, range);
  }
  CheckWrite(static_cast<uint16_t>(kMinChannelNumber | (channel & 0x0FFF)), payload, Framing::kStream,
             ChannelNumberRange::kRfc8656);
  CheckWrite(static_cast<uint16_t>(kMinChannelNumber | (channel & 0x3FFF)), payload, Framing::kDatagram,
             ChannelNumberRange::kRfc5766);
}

}  // namespace
}  // namespace tern::stun

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tern::stun::TestOneInput(tern::ByteSpan(data, size));
  return 0;
}
