// libFuzzer harness for RTP packets (RFC 3550 §5.1, §5.3.1) and RFC 8285 header extensions. An input
// is one datagram. When RtpPacketView::Parse accepts it, the harness checks:
//  - the parts tile the packet: header + payload + padding = size, the elements lie in the extension
//    body, extension_count() equals the elements iterated, FindExtension returns the first of an id;
//  - every element through every typed extension reader: what a reader accepts, its writer writes back
//    to a value the reader returns unchanged;
//  - the round trip: RtpPacketBuilder, given the same fields, CSRCs, elements (in the same form and
//    appbits) or raw extension block, payload and padding size, into a buffer of the input's size,
//    builds a packet that parses to the same everything; when the input is canonical (no RFC 8285
//    block, zero padding bytes) it comes back byte for byte.
// The same input is also read as a recipe of extension elements for the builder's automatic form
// choice (RFC 8285 §4.1, extmap-allow-mixed): Finish() must succeed exactly when every element is
// valid and fits, use the one-byte form exactly when every element fits it, and parse back to the
// elements in order.
// Any broken invariant traps (fuzz_check.h).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <utility>
#include <vector>

#include "fuzz_check.h"
#include "tern/base/byte_io.h"
#include "tern/rtp/rtp_packet.h"

namespace tern::rtp {
namespace {

bool SameBytes(ByteSpan a, ByteSpan b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0);
}

bool Within(ByteSpan inner, ByteSpan outer) {
  return inner.data() >= outer.data() && inner.data() + inner.size() <= outer.data() + outer.size();
}

// Reader accepts -> Validate accepts -> Write -> reader gives back the same value.
template <typename Ext>
void CheckTyped(ByteSpan data) {
  absl::StatusOr<typename Ext::Value> v = Ext::Parse(data);
  if (!v.ok()) return;
  TERN_FUZZ_CHECK_OK(Ext::Validate(*v));
  std::vector<uint8_t> out(Ext::Size(*v));
  Ext::Write(*v, out);
  absl::StatusOr<typename Ext::Value> again = Ext::Parse(out);
  TERN_FUZZ_CHECK_OK(again.status());
  TERN_FUZZ_CHECK(*again == *v);
}

void CheckAllTyped(ByteSpan data) {
  CheckTyped<AbsSendTimeExtension>(data);
  CheckTyped<TransportSequenceNumberExtension>(data);
  CheckTyped<MidExtension>(data);
  CheckTyped<RtpStreamIdExtension>(data);
  CheckTyped<RepairedRtpStreamIdExtension>(data);
  CheckTyped<AudioLevelExtension>(data);
  CheckTyped<VideoOrientationExtension>(data);
  CheckTyped<PlayoutDelayExtension>(data);
}

std::vector<std::pair<uint8_t, ByteSpan>> ElementsOf(const RtpPacketView& p) {
  std::vector<std::pair<uint8_t, ByteSpan>> out;
  for (const HeaderExtension& e : p.extensions()) out.emplace_back(e.id, e.data);
  return out;
}

bool SameElements(const std::vector<std::pair<uint8_t, ByteSpan>>& a,
                  const std::vector<std::pair<uint8_t, ByteSpan>>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].first != b[i].first || !SameBytes(a[i].second, b[i].second)) return false;
  }
  return true;
}

void CheckStructure(ByteSpan data, const RtpPacketView& p) {
  TERN_FUZZ_CHECK(p.size() == data.size());
  TERN_FUZZ_CHECK(p.header_size() + p.payload().size() + p.padding_size() == data.size());
  TERN_FUZZ_CHECK(p.header_size() >= kRtpHeaderSize + 4 * p.csrc_count());
  TERN_FUZZ_CHECK(p.has_padding() == (p.padding_size() != 0));
  if (p.has_padding()) TERN_FUZZ_CHECK(data.back() == p.padding_size());
  TERN_FUZZ_CHECK(p.has_extension() || p.extension_body().empty());
  TERN_FUZZ_CHECK(p.extension_body().size() % 4 == 0);
  size_t count = 0;
  for (const HeaderExtension& e : p.extensions()) {
    TERN_FUZZ_CHECK(e.id != 0);
    TERN_FUZZ_CHECK(Within(e.data, p.extension_body()));
    if (p.extension_form() == ExtensionForm::kOneByte) {
      TERN_FUZZ_CHECK(FitsOneByteForm(e.id, e.data.size()));
    }
    std::optional<ByteSpan> first = p.FindExtension(e.id);
    TERN_FUZZ_CHECK(first.has_value() && first->data() <= e.data.data());
    CheckAllTyped(e.data);
    ++count;
  }
  TERN_FUZZ_CHECK(count == p.extension_count());
}

void CheckRoundTrip(ByteSpan data, const RtpPacketView& p) {
  std::vector<uint8_t> buffer(data.size());  // the rebuilt packet is never larger
  RtpPacketBuilder b(buffer);
  b.SetMarker(p.marker()).SetPayloadType(p.payload_type()).SetSequenceNumber(p.sequence_number());
  b.SetTimestamp(p.timestamp()).SetSsrc(p.ssrc());
  for (size_t i = 0; i < p.csrc_count(); ++i) b.AddCsrc(p.csrc(i));
  ExtensionForm form = p.extension_form();
  if (p.has_extension() && form == ExtensionForm::kNone) {
    b.SetRawExtension(p.extension_profile(), p.extension_body());
  } else if (form != ExtensionForm::kNone) {
    b.SetExtensionFormPolicy(form == ExtensionForm::kOneByte ? ExtensionFormPolicy::kOneByte
                                                             : ExtensionFormPolicy::kTwoByte);
    b.SetTwoByteAppBits(p.extension_app_bits());
    for (const HeaderExtension& e : p.extensions()) b.AddExtension(e.id, e.data);
  }
  b.SetPayload(p.payload());
  b.SetPadding(p.padding_size());
  absl::StatusOr<ByteSpan> wire = b.Finish();
  TERN_FUZZ_CHECK_OK(wire.status());

  absl::StatusOr<RtpPacketView> q = RtpPacketView::Parse(*wire);
  TERN_FUZZ_CHECK_OK(q.status());
  TERN_FUZZ_CHECK(q->marker() == p.marker() && q->payload_type() == p.payload_type());
  TERN_FUZZ_CHECK(q->sequence_number() == p.sequence_number() && q->timestamp() == p.timestamp());
  TERN_FUZZ_CHECK(q->ssrc() == p.ssrc() && q->csrc_count() == p.csrc_count());
  for (size_t i = 0; i < p.csrc_count(); ++i) TERN_FUZZ_CHECK(q->csrc(i) == p.csrc(i));
  // An RFC 8285 block with no elements (only padding, or id 15 first) is not rebuilt at all.
  bool block_dropped = form != ExtensionForm::kNone && p.extension_count() == 0;
  TERN_FUZZ_CHECK(q->extension_form() == (block_dropped ? ExtensionForm::kNone : form));
  TERN_FUZZ_CHECK(SameElements(ElementsOf(*q), ElementsOf(p)));
  if (form == ExtensionForm::kNone) {
    TERN_FUZZ_CHECK(q->has_extension() == p.has_extension());
    TERN_FUZZ_CHECK(q->extension_profile() == p.extension_profile());
    TERN_FUZZ_CHECK(SameBytes(q->extension_body(), p.extension_body()));
  } else {
    TERN_FUZZ_CHECK(q->has_extension() == !block_dropped);
    if (form == ExtensionForm::kTwoByte && q->has_extension()) {
      TERN_FUZZ_CHECK(q->extension_app_bits() == p.extension_app_bits());
    }
  }
  TERN_FUZZ_CHECK(SameBytes(q->payload(), p.payload()));
  TERN_FUZZ_CHECK(q->padding_size() == p.padding_size());

  bool zero_padding = true;
  for (size_t i = 0; i + 1 < p.padding().size(); ++i) zero_padding &= p.padding()[i] == 0;
  if (form == ExtensionForm::kNone && zero_padding) TERN_FUZZ_CHECK(SameBytes(*wire, data));
}

// --- The input as a recipe of extension elements -------------------------------------------------

void CheckAutoForm(ByteSpan input) {
  if (input.size() < 2) return;
  size_t capacity = kRtpHeaderSize + input[0] * 2;  // often too small
  std::vector<uint8_t> buffer(capacity);
  RtpPacketBuilder b(buffer);
  ExtensionFormPolicy policy = static_cast<ExtensionFormPolicy>(input[1] % 3);
  b.SetExtensionFormPolicy(policy);
  std::vector<std::pair<uint8_t, ByteSpan>> added;
  bool valid = true;
  bool all_fit_one_byte = true;
  size_t elements = 0;
  size_t pos = 2;
  while (pos + 2 <= input.size() && added.size() < 40) {
    uint8_t id = input[pos];
    size_t size = std::min<size_t>(input[pos + 1] % 24, input.size() - pos - 2);
    ByteSpan value = input.subspan(pos + 2, size);
    pos += 2 + size;
    b.AddExtension(id, value);
    bool fits_one = FitsOneByteForm(id, size);
    if (id == 0 || (policy == ExtensionFormPolicy::kOneByte && !fits_one)) {
      valid = false;
      break;  // the builder remembers the first problem
    }
    added.emplace_back(id, value);
    all_fit_one_byte &= fits_one;
    elements += size;
  }
  if (added.empty() && valid) return;
  bool one_byte = policy != ExtensionFormPolicy::kTwoByte && all_fit_one_byte;
  size_t body = elements + added.size() * (one_byte ? 1 : 2);
  size_t total = kRtpHeaderSize + (added.empty() ? 0 : 4 + (body + 3) / 4 * 4);
  valid &= total <= capacity;
  absl::StatusOr<ByteSpan> wire = b.Finish();
  if (!valid) {
    TERN_FUZZ_CHECK(!wire.ok());
    return;
  }
  TERN_FUZZ_CHECK_OK(wire.status());
  TERN_FUZZ_CHECK(wire->size() == total);
  absl::StatusOr<RtpPacketView> p = RtpPacketView::Parse(*wire);
  TERN_FUZZ_CHECK_OK(p.status());
  TERN_FUZZ_CHECK(p->extension_form() == (one_byte ? ExtensionForm::kOneByte : ExtensionForm::kTwoByte));
  TERN_FUZZ_CHECK(SameElements(ElementsOf(*p), added));
  CheckStructure(*wire, *p);
}

void TestOneInput(ByteSpan input) {
  (void)LooksLikeRtpOrRtcp(input);
  (void)LooksLikeRtcp(input);
  absl::StatusOr<RtpPacketView> p = RtpPacketView::Parse(input);
  if (p.ok()) {
    CheckStructure(input, *p);
    CheckRoundTrip(input, *p);
  }
  CheckAutoForm(input);
}

}  // namespace
}  // namespace tern::rtp

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tern::rtp::TestOneInput(tern::ByteSpan(data, size));
  return 0;
}
