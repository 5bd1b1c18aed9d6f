// Micro-benchmarks of tern's STUN codec (RFC 8489) on the messages an ICE agent (RFC 8445 §7.1-§7.3)
// handles per connectivity check, plus TURN ChannelData framing (RFC 8656 §12.4) and CRC-32 (§14.7).
//
// The Binding request is the same 100-byte message, byte for byte, that bench/anchors/
// pion_equiv_test.go builds and parses with pion/stun, so bench/anchors/pion_stun.sh can compare
// the two in one run (see bench/RESULTS.md). Every input is checked once outside the timed loop and
// the program aborts when a parse or a verification fails.
#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tern/base/crc32.h"
#include "tern/base/ip_address.h"
#include "tern/stun/stun.h"

#include "allocation_counter.h"

namespace tern::stun {
namespace {

using ::tern::bench::AllocationCounter;

// ICE credentials of a typical session (RFC 8445 §5.3: ufrag >= 4 chars, password >= 22 chars).
constexpr std::string_view kUsername = "abcd1234:efgh5678";  // remote ufrag ":" local ufrag
constexpr std::string_view kPassword = "pLyQklB9rJ2pXUXbCDuoEWKd";
constexpr uint32_t kPriority = 0x6E7F1EFF;  // host candidate, RTP component
constexpr uint64_t kTieBreaker = 0x0123456789ABCDEFull;
constexpr TransactionId kTransactionId = {
    {0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae}};

// The Binding request below, as built by BuildBindingRequest(). bench/anchors/pion_equiv_test.go
// holds the same string and checks that pion/stun builds these exact bytes too.
constexpr std::string_view kBindingRequestHex =
    "000100502112a442b7e7a701bc34d686fa87dfae"          // header: Binding request, length 80
    "0006001161626364313233343a6566676835363738000000"  // USERNAME (17 bytes + 3 of padding)
    "002400046e7f1eff"                                  // PRIORITY
    "802a00080123456789abcdef"                          // ICE-CONTROLLING
    "00250000"                                          // USE-CANDIDATE
    "00080014564e1576e7f3a7d739ec1fbd96bf043285d93b44"  // MESSAGE-INTEGRITY
    "80280004f50b7823";                                 // FINGERPRINT

// The success response to it for 203.0.113.7:54321, as built by BuildBindingResponse() (and by
// pion/stun in pion_equiv_test.go).
constexpr std::string_view kBindingResponseHex =
    "0101002c2112a442b7e7a701bc34d686fa87dfae"          // header: Binding success, length 44
    "002000080001f523ea12d545"                          // XOR-MAPPED-ADDRESS
    "000800142e210828e0c58d79778af693b7730ff54f690c24"  // MESSAGE-INTEGRITY
    "80280004fedd4922";                                 // FINGERPRINT

[[noreturn]] void Die(std::string_view what, const absl::Status& status) {
  std::fprintf(stderr, "stun_bench: %.*s: %s\n", static_cast<int>(what.size()), what.data(),
               status.ToString().c_str());
  std::abort();
}

void CheckOk(std::string_view what, const absl::Status& status) {
  if (!status.ok()) Die(what, status);
}

std::string ToHex(ByteSpan bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

const IntegrityKey& Key() {
  static const IntegrityKey* key = new IntegrityKey(IntegrityKey::ShortTerm(kPassword));
  return *key;
}

SocketAddress MappedAddress() { return SocketAddress(IpAddress::V4(203, 0, 113, 7), 54321); }

// USERNAME, PRIORITY, ICE-CONTROLLING, USE-CANDIDATE, MESSAGE-INTEGRITY, FINGERPRINT: what a
// controlling agent sends when it nominates a pair (RFC 8445 §7.1.1-§7.1.2, §8.1.1).
absl::StatusOr<ByteSpan> BuildBindingRequest(MutableByteSpan buffer, const IntegrityKey& key) {
  MessageBuilder b(buffer, {MessageClass::kRequest, method::kBinding}, kTransactionId);
  b.AddText(attr::kUsername, kUsername)
      .AddU32(attr::kPriority, kPriority)
      .AddU64(attr::kIceControlling, kTieBreaker)
      .AddFlag(attr::kUseCandidate);
  return b.Finish({.integrity = &key, .fingerprint = true});
}

// The success response to `request` (RFC 8445 §7.3.1.4): XOR-MAPPED-ADDRESS, MESSAGE-INTEGRITY,
// FINGERPRINT, with the request's transaction id.
absl::StatusOr<ByteSpan> BuildBindingResponse(MutableByteSpan buffer, const MessageView& request,
                                              const SocketAddress& mapped, const IntegrityKey& key) {
  MessageBuilder b(buffer, {MessageClass::kSuccessResponse, method::kBinding}, request.transaction_id());
  b.AddXorAddress(attr::kXorMappedAddress, mapped);
  return b.Finish({.integrity = &key, .fingerprint = true});
}

// The 100-byte Binding request, built once and checked against kBindingRequestHex.
const std::vector<uint8_t>& BindingRequest() {
  static const std::vector<uint8_t>* request = [] {
    std::array<uint8_t, 256> buffer;
    absl::StatusOr<ByteSpan> wire = BuildBindingRequest(buffer, Key());
    CheckOk("building the Binding request", wire.status());
    std::string hex = ToHex(*wire);
    if (hex != kBindingRequestHex) {
      Die("the Binding request differs from kBindingRequestHex", absl::InternalError(hex));
    }
    return new std::vector<uint8_t>(wire->begin(), wire->end());
  }();
  return *request;
}

MessageView ParsedBindingRequest() {
  absl::StatusOr<MessageView> m = MessageView::Parse(BindingRequest());
  CheckOk("parsing the Binding request", m.status());
  CheckOk("FINGERPRINT of the Binding request", m->VerifyFingerprint());
  CheckOk("MESSAGE-INTEGRITY of the Binding request", m->VerifyMessageIntegrity(Key()));
  if (m->attribute_count() != 6 || *m->GetUsername() != kUsername || *m->GetPriority() != kPriority ||
      *m->GetU64(attr::kIceControlling) != kTieBreaker || !m->Has(attr::kUseCandidate)) {
    Die("the parsed Binding request", absl::InternalError("unexpected attribute values"));
  }
  return *m;
}

// Structural parse only: header, attribute walk, per-type length checks, duplicate and ordering
// rules (nothing after MESSAGE-INTEGRITY but FINGERPRINT, nothing after FINGERPRINT).
void BM_StunParseBindingRequest(benchmark::State& state) {
  ParsedBindingRequest();  // checks the input
  const std::vector<uint8_t>& request = BindingRequest();
  ByteSpan datagram(request);
  AllocationCounter allocs;
  for (auto _ : state) {
    benchmark::DoNotOptimize(datagram);
    absl::StatusOr<MessageView> m = MessageView::Parse(datagram);
    benchmark::DoNotOptimize(m);
  }
  allocs.Report(state);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * datagram.size());
}
BENCHMARK(BM_StunParseBindingRequest);

// HMAC-SHA1 over the 72 bytes before MESSAGE-INTEGRITY, with the key's precomputed inner/outer states.
void BM_StunVerifyIntegrity(benchmark::State& state) {
  const MessageView m = ParsedBindingRequest();
  const IntegrityKey& key = Key();
  AllocationCounter allocs;
  for (auto _ : state) {
    absl::Status s = m.VerifyMessageIntegrity(key);
    benchmark::DoNotOptimize(s);
  }
  allocs.Report(state);
}
BENCHMARK(BM_StunVerifyIntegrity);

void BM_StunVerifyFingerprint(benchmark::State& state) {
  const MessageView m = ParsedBindingRequest();
  AllocationCounter allocs;
  for (auto _ : state) {
    absl::Status s = m.VerifyFingerprint();
    benchmark::DoNotOptimize(s);
  }
  allocs.Report(state);
}
BENCHMARK(BM_StunVerifyFingerprint);

// What an ICE agent does with each incoming check: parse, FINGERPRINT, MESSAGE-INTEGRITY, USERNAME.
void BM_StunReceiveBindingRequest(benchmark::State& state) {
  ParsedBindingRequest();
  const std::vector<uint8_t>& request = BindingRequest();
  ByteSpan datagram(request);
  const IntegrityKey& key = Key();
  AllocationCounter allocs;
  for (auto _ : state) {
    benchmark::DoNotOptimize(datagram);
    absl::StatusOr<MessageView> m = MessageView::Parse(datagram);
    bool ok = m.ok() && m->VerifyFingerprint().ok() && m->VerifyMessageIntegrity(key).ok();
    absl::StatusOr<std::string_view> username = m->GetUsername();
    benchmark::DoNotOptimize(ok);
    benchmark::DoNotOptimize(username);
  }
  allocs.Report(state);
}
BENCHMARK(BM_StunReceiveBindingRequest);

void BM_StunBuildBindingRequest(benchmark::State& state) {
  const IntegrityKey& key = Key();
  std::array<uint8_t, 256> buffer;
  CheckOk("building the Binding request", BuildBindingRequest(buffer, key).status());
  AllocationCounter allocs;
  for (auto _ : state) {
    absl::StatusOr<ByteSpan> wire = BuildBindingRequest(buffer, key);
    benchmark::DoNotOptimize(wire);
    benchmark::ClobberMemory();
  }
  allocs.Report(state);
}
BENCHMARK(BM_StunBuildBindingRequest);

void BM_StunBuildBindingResponse(benchmark::State& state) {
  const MessageView request = ParsedBindingRequest();
  const IntegrityKey& key = Key();
  const SocketAddress mapped = MappedAddress();
  std::array<uint8_t, 256> buffer;
  {
    absl::StatusOr<ByteSpan> wire = BuildBindingResponse(buffer, request, mapped, key);
    CheckOk("building the Binding response", wire.status());
    absl::StatusOr<MessageView> r = MessageView::Parse(*wire);
    CheckOk("parsing the Binding response", r.status());
    CheckOk("MESSAGE-INTEGRITY of the Binding response", r->VerifyMessageIntegrity(key));
    CheckOk("FINGERPRINT of the Binding response", r->VerifyFingerprint());
    absl::StatusOr<SocketAddress> a = r->GetXorMappedAddress();
    CheckOk("XOR-MAPPED-ADDRESS of the Binding response", a.status());
    if (ToHex(*wire) != kBindingResponseHex || *a != mapped ||
        r->transaction_id() != request.transaction_id()) {
      Die("the Binding response", absl::InternalError(ToHex(*wire)));
    }
  }
  AllocationCounter allocs;
  for (auto _ : state) {
    absl::StatusOr<ByteSpan> wire = BuildBindingResponse(buffer, request, mapped, key);
    benchmark::DoNotOptimize(wire);
    benchmark::ClobberMemory();
  }
  allocs.Report(state);
}
BENCHMARK(BM_StunBuildBindingResponse);

// A TURN ChannelData datagram carrying 100 bytes (RFC 8656 §12.4), UDP framing.
void BM_ChannelDataParse(benchmark::State& state) {
  std::array<uint8_t, 100> payload;
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<uint8_t>(i * 7);
  std::array<uint8_t, 128> buffer;
  absl::StatusOr<size_t> size = WriteChannelData(buffer, 0x4001, payload, Framing::kDatagram);
  CheckOk("writing ChannelData", size.status());
  ByteSpan datagram = ByteSpan(buffer).first(*size);
  absl::StatusOr<ChannelDataView> check = ParseChannelData(datagram, Framing::kDatagram);
  CheckOk("parsing ChannelData", check.status());
  if (check->channel != 0x4001 || check->payload.size() != 100) {
    Die("the parsed ChannelData", absl::InternalError("unexpected channel or payload size"));
  }
  AllocationCounter allocs;
  for (auto _ : state) {
    benchmark::DoNotOptimize(datagram);
    absl::StatusOr<ChannelDataView> v = ParseChannelData(datagram, Framing::kDatagram);
    benchmark::DoNotOptimize(v);
  }
  allocs.Report(state);
}
BENCHMARK(BM_ChannelDataParse);

}  // namespace
}  // namespace tern::stun

namespace tern {
namespace {

// CRC-32 of the sizes a FINGERPRINT covers: a small STUN message, a mid-size one, a near-MTU one.
void BM_Crc32(benchmark::State& state) {
  using stun::AllocationCounter;
  std::vector<uint8_t> data(static_cast<size_t>(state.range(0)));
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 31 + 1);
  static constexpr uint8_t kCheck[] = {'1', '2', '3', '4', '5', '6', '7', '8', '9'};
  if (Crc32(kCheck) != 0xCBF43926u) {  // the CRC-32/ISO-HDLC check value
    stun::Die("CRC-32 check value", absl::InternalError("Crc32(\"123456789\") != 0xCBF43926"));
  }
  ByteSpan span(data);
  AllocationCounter allocs;
  for (auto _ : state) {
    benchmark::DoNotOptimize(span);
    uint32_t crc = Crc32(span);
    benchmark::DoNotOptimize(crc);
  }
  allocs.Report(state);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_Crc32)->Arg(64)->Arg(512)->Arg(1200);

}  // namespace
}  // namespace tern

int main(int argc, char** argv) {
  // The allocs/op counters are only meaningful if the replaced operator new is the one in use.
  uint64_t before = ::tern::bench::Allocations();
  auto* probe = new std::vector<int>(16);
  benchmark::DoNotOptimize(probe);
  delete probe;
  if (::tern::bench::Allocations() - before != 2) {
    std::fprintf(stderr, "stun_bench: allocation counting does not work\n");
    return 1;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
