// libFuzzer harness for SRTP/SRTCP unprotection (RFC 3711, RFC 7714) on both SrtpSession backends.
//
// Input: one selector byte, then records. Selector bits 0-1 pick the profile (CM-80, CM-32, GCM-128,
// GCM-256); bit 2 a 64-packet replay window instead of the default 1024. Each record is
//   op (1 byte) | length (2 bytes, big-endian; clipped to what is left) | bytes
// op bit 0: RTCP instead of RTP;
// op bit 1: "raw": the bytes are handed to Unprotect as they are (any garbage);
//           otherwise they are a plaintext packet that both outbound sessions protect first;
// op bit 2: hold: deliver after all records, held packets last-first (reordering, late packets);
// op bit 3: deliver a second time (replay);
// op bit 4: flip bit (op >> 5) of byte (length % size) before the first delivery.
// Invariants (any failure traps, fuzz_check.h):
//  - the native and libsrtp2 outbound sessions give the same status, and the same bytes when they
//    protect;
//  - the native inbound session, fed libsrtp's copy, and the libsrtp2 inbound session, fed the native
//    copy, give the same status code and the same plaintext, whatever the input and history;
//  - a genuine packet that unprotects comes back as the plaintext that was protected; the second
//    delivery of an accepted packet is a replay (kAlreadyExists); a tampered packet never unprotects;
//  - every status is one the header documents.
// Seeds (corpus/srtp_unprotect/) are RTP and RTCP plaintexts with CSRCs and extensions, a stream across a
// sequence-number rollover, held (late, reordered) packets, duplicates, tampering and raw garbage for
// each profile.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "fuzz_check.h"
#include "tern/base/byte_io.h"
#include "tern/srtp/srtp_session.h"

namespace tern::srtp {
namespace {

constexpr SrtpProfile kProfiles[] = {SrtpProfile::kAes128CmSha1_80, SrtpProfile::kAes128CmSha1_32,
                                     SrtpProfile::kAeadAes128Gcm, SrtpProfile::kAeadAes256Gcm};
constexpr size_t kSlack = 32;

bool Documented(absl::StatusCode c) {
  switch (c) {
    case absl::StatusCode::kOk:
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kResourceExhausted:
      return true;
    default:
      return false;
  }
}

std::unique_ptr<SrtpSession> Make(SrtpBackend backend, SrtpProfile profile, SrtpDirection direction,
                                  size_t window) {
  const SrtpProfileInfo info = GetSrtpProfileInfo(profile);
  uint8_t key[32], salt[14];
  for (size_t i = 0; i < sizeof(key); ++i) key[i] = static_cast<uint8_t>(0x10 + i);
  for (size_t i = 0; i < sizeof(salt); ++i) salt[i] = static_cast<uint8_t>(0xa0 + i);
  absl::StatusOr<std::unique_ptr<SrtpSession>> s =
      SrtpSession::Create(backend, profile, direction, ByteSpan(key, info.key_size),
                          ByteSpan(salt, info.salt_size), {.replay_window = window, .max_streams = 8});
  TERN_FUZZ_CHECK_OK(s.status());
  return *std::move(s);
}

// Unprotects `wire` with both inbound sessions (native gets `wire_for_native`, libsrtp `wire_for_libsrtp`)
// and checks they agree. Returns the status (and the plaintext in *plain when OK).
absl::Status UnprotectBoth(SrtpSession& native, SrtpSession& libsrtp,
                           const std::vector<uint8_t>& wire_for_native,
                           const std::vector<uint8_t>& wire_for_libsrtp, bool rtcp,
                           std::vector<uint8_t>* plain) {
  // Exact-size heap copies, so an over-read is an ASan report.
  std::unique_ptr<uint8_t[]> a(new uint8_t[wire_for_native.size() + 1]);
  std::unique_ptr<uint8_t[]> b(new uint8_t[wire_for_libsrtp.size() + 1]);
  if (!wire_for_native.empty()) std::memcpy(a.get(), wire_for_native.data(), wire_for_native.size());
  if (!wire_for_libsrtp.empty()) std::memcpy(b.get(), wire_for_libsrtp.data(), wire_for_libsrtp.size());
  MutableByteSpan sa(a.get(), wire_for_native.size()), sb(b.get(), wire_for_libsrtp.size());
  absl::StatusOr<size_t> ra = rtcp ? native.UnprotectRtcp(sa) : native.UnprotectRtp(sa);
  absl::StatusOr<size_t> rb = rtcp ? libsrtp.UnprotectRtcp(sb) : libsrtp.UnprotectRtp(sb);
  TERN_FUZZ_CHECK(Documented(ra.status().code()));
  if (ra.status().code() != rb.status().code()) {
    ::tern::fuzz::CheckFailed(__FILE__, __LINE__, "backends agree on unprotect",
                              ra.status().ToString() + " vs " + rb.status().ToString());
  }
  if (!ra.ok()) return ra.status();
  TERN_FUZZ_CHECK(*ra == *rb);
  TERN_FUZZ_CHECK(*ra <= wire_for_native.size());
  TERN_FUZZ_CHECK(*ra == 0 || std::memcmp(a.get(), b.get(), *ra) == 0);
  plain->assign(a.get(), a.get() + *ra);
  return absl::OkStatus();
}

void TestOneInput(ByteSpan input) {
  if (input.empty()) return;
  ByteReader reader(input);
  uint8_t selector = 0;
  reader.ReadU8(&selector);
  const SrtpProfile profile = kProfiles[selector & 3];
  const size_t window = (selector & 4) ? 64 : 1024;
  std::unique_ptr<SrtpSession> out_native =
      Make(SrtpBackend::kNative, profile, SrtpDirection::kOutbound, window);
  std::unique_ptr<SrtpSession> out_libsrtp =
      Make(SrtpBackend::kLibSrtp, profile, SrtpDirection::kOutbound, window);
  std::unique_ptr<SrtpSession> in_native =
      Make(SrtpBackend::kNative, profile, SrtpDirection::kInbound, window);
  std::unique_ptr<SrtpSession> in_libsrtp =
      Make(SrtpBackend::kLibSrtp, profile, SrtpDirection::kInbound, window);

  struct Held {
    std::vector<uint8_t> plain, wire_native, wire_libsrtp;
    bool rtcp, raw;
  };
  std::vector<Held> held;
  int records = 0;
  while (!reader.empty() && records++ < 64) {
    uint8_t op = 0;
    uint16_t length = 0;
    if (!reader.ReadU8(&op)) break;
    if (!reader.ReadU16(&length)) length = static_cast<uint16_t>(reader.remaining());
    ByteSpan bytes;
    if (!reader.ReadBytes(std::min<size_t>(length, reader.remaining()), &bytes)) break;
    const bool rtcp = (op & 1) != 0;
    const bool raw = (op & 2) != 0;
    const bool hold = (op & 4) != 0;
    const bool twice = (op & 8) != 0;
    const bool tamper = (op & 16) != 0;

    std::vector<uint8_t> plain(bytes.begin(), bytes.end());
    std::vector<uint8_t> wire_native = plain, wire_libsrtp = plain;
    if (!raw) {
      std::vector<uint8_t> a(plain.size() + kSlack), b(plain.size() + kSlack);
      if (!plain.empty()) {
        std::memcpy(a.data(), plain.data(), plain.size());
        std::memcpy(b.data(), plain.data(), plain.size());
      }
      absl::StatusOr<size_t> ra =
          rtcp ? out_native->ProtectRtcp(a, plain.size()) : out_native->ProtectRtp(a, plain.size());
      absl::StatusOr<size_t> rb =
          rtcp ? out_libsrtp->ProtectRtcp(b, plain.size()) : out_libsrtp->ProtectRtp(b, plain.size());
      TERN_FUZZ_CHECK(Documented(ra.status().code()));
      if (ra.status().code() != rb.status().code()) {
        ::tern::fuzz::CheckFailed(__FILE__, __LINE__, "backends agree on protect",
                                  ra.status().ToString() + " vs " + rb.status().ToString());
      }
      if (!ra.ok()) continue;
      TERN_FUZZ_CHECK(*ra == *rb);
      TERN_FUZZ_CHECK(*ra == plain.size() + (rtcp ? SrtcpOverhead(profile) : SrtpOverhead(profile)));
      TERN_FUZZ_CHECK(std::memcmp(a.data(), b.data(), *ra) == 0);
      wire_native.assign(a.begin(), a.begin() + *ra);
      wire_libsrtp = wire_native;
    }
    if (hold) {
      held.push_back({std::move(plain), std::move(wire_native), std::move(wire_libsrtp), rtcp, raw});
      continue;
    }

    std::vector<uint8_t> got;
    if (tamper && !wire_native.empty()) {
      std::vector<uint8_t> bad = wire_native;
      bad[length % bad.size()] ^= static_cast<uint8_t>(1u << (op >> 5));
      absl::Status s = UnprotectBoth(*in_native, *in_libsrtp, bad, bad, rtcp, &got);
      if (!raw) TERN_FUZZ_CHECK(!s.ok());
    }
    // libsrtp's copy to the native receiver and the native copy to libsrtp's.
    absl::Status first = UnprotectBoth(*in_native, *in_libsrtp, wire_libsrtp, wire_native, rtcp, &got);
    if (first.ok() && !raw) TERN_FUZZ_CHECK(got == plain);
    if (twice) {
      absl::Status second = UnprotectBoth(*in_native, *in_libsrtp, wire_libsrtp, wire_native, rtcp, &got);
      if (first.ok()) TERN_FUZZ_CHECK(second.code() == absl::StatusCode::kAlreadyExists);
    }
  }
  for (auto it = held.rbegin(); it != held.rend(); ++it) {
    std::vector<uint8_t> got;
    absl::Status s =
        UnprotectBoth(*in_native, *in_libsrtp, it->wire_libsrtp, it->wire_native, it->rtcp, &got);
    if (s.ok() && !it->raw) TERN_FUZZ_CHECK(got == it->plain);
  }
  TERN_FUZZ_CHECK(in_native->stream_count() == in_libsrtp->stream_count());
  TERN_FUZZ_CHECK(out_native->stream_count() == out_libsrtp->stream_count());
}

}  // namespace
}  // namespace tern::srtp

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tern::srtp::TestOneInput(tern::ByteSpan(data, size));
  return 0;
}
