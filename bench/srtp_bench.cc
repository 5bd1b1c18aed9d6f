// Micro-benchmarks of SRTP protection (RFC 3711, RFC 7714) with both SrtpSession backends and all four
// DTLS-SRTP profiles, against the physical floor: one BoringSSL EVP_AEAD_CTX_seal (AES-128-GCM) of the
// same bytes.
//
//   BM_RawAeadSeal/<n>                       seal n payload bytes in place, 12-byte AAD, 16-byte tag
//   BM_SrtpProtect/<backend>/<profile>/<n>   ProtectRtp of a 12-byte header + n payload bytes
//   BM_SrtpUnprotect/<backend>/<profile>/<n> UnprotectRtp of the same packets
// backend: native | libsrtp; profile: aes128gcm | aes256gcm | cm80 | cm32; n: 100 | 1200.
//
// Protect: one packet buffer protected in place again and again; each iteration writes the next
// sequence number into the header first (the sender refuses to protect a sequence number twice).
// Unprotect: a batch of 4096 packets with consecutive sequence numbers is protected up front; each
// iteration copies the next one into a work buffer (that memcpy is included in the figure) and
// unprotects it there. When the batch is used up, the timer is paused and the inbound session is
// created afresh (a new receiver has no replay state, so the same batch is accepted again).
// Every path is checked once outside the timed loop; the program aborts if a protect or unprotect
// fails. allocs/op counts operator new calls (libsrtp allocates with malloc, not counted).
#include <benchmark/benchmark.h>
#include <openssl/aead.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tern/srtp/srtp_session.h"

#include "allocation_counter.h"

namespace tern::srtp {
namespace {

constexpr size_t kHeaderSize = 12;
constexpr size_t kBatch = 4096;
constexpr uint32_t kSsrc = 0x5501a0b2;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "srtp_bench: %s\n", what.c_str());
  std::abort();
}

using ::tern::bench::AllocationCounter;

void WriteHeader(uint8_t* p, uint16_t seq) {
  p[0] = 0x80;
  p[1] = 96;
  p[2] = static_cast<uint8_t>(seq >> 8);
  p[3] = static_cast<uint8_t>(seq);
  const uint32_t ts = 90u * seq;
  for (int i = 0; i < 4; ++i) p[4 + i] = static_cast<uint8_t>(ts >> (24 - 8 * i));
  for (int i = 0; i < 4; ++i) p[8 + i] = static_cast<uint8_t>(kSsrc >> (24 - 8 * i));
}

std::vector<uint8_t> MasterKey(size_t n) {
  std::vector<uint8_t> k(n);
  for (size_t i = 0; i < n; ++i) k[i] = static_cast<uint8_t>(0x30 + 7 * i);
  return k;
}

std::unique_ptr<SrtpSession> MakeSession(SrtpBackend backend, SrtpProfile profile, SrtpDirection direction) {
  const SrtpProfileInfo info = GetSrtpProfileInfo(profile);
  absl::StatusOr<std::unique_ptr<SrtpSession>> s =
      SrtpSession::Create(backend, profile, direction, MasterKey(info.key_size), MasterKey(info.salt_size));
  if (!s.ok()) Die(s.status().ToString());
  return *std::move(s);
}

void BM_RawAeadSeal(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  EVP_AEAD_CTX ctx;
  const std::vector<uint8_t> key = MasterKey(16);
  if (!EVP_AEAD_CTX_init(&ctx, EVP_aead_aes_128_gcm(), key.data(), key.size(), 16, nullptr)) Die("init");
  std::vector<uint8_t> packet(kHeaderSize + n + 16, 0x5a);
  WriteHeader(packet.data(), 0);
  uint8_t nonce[12] = {0};
  uint32_t counter = 0;
  AllocationCounter allocations;
  for (auto _ : state) {
    std::memcpy(nonce + 8, &counter, 4);
    ++counter;
    size_t out = 0;
    if (!EVP_AEAD_CTX_seal(&ctx, packet.data() + kHeaderSize, &out, n + 16, nonce, sizeof(nonce),
                           packet.data() + kHeaderSize, n, packet.data(), kHeaderSize)) {
      Die("seal");
    }
    benchmark::DoNotOptimize(packet.data());
    benchmark::ClobberMemory();
  }
  allocations.Report(state);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * n));
  EVP_AEAD_CTX_cleanup(&ctx);
}

void BM_SrtpProtect(benchmark::State& state, SrtpBackend backend, SrtpProfile profile) {
  const size_t n = static_cast<size_t>(state.range(0));
  std::unique_ptr<SrtpSession> session = MakeSession(backend, profile, SrtpDirection::kOutbound);
  std::vector<uint8_t> buffer(kHeaderSize + n + 32, 0x5a);
  const size_t packet_size = kHeaderSize + n;
  uint16_t seq = 0;
  // Checked once: the packet round-trips.
  {
    std::unique_ptr<SrtpSession> in = MakeSession(backend, profile, SrtpDirection::kInbound);
    WriteHeader(buffer.data(), seq++);
    absl::StatusOr<size_t> sealed = session->ProtectRtp(buffer, packet_size);
    if (!sealed.ok()) Die(sealed.status().ToString());
    absl::StatusOr<size_t> opened = in->UnprotectRtp(MutableByteSpan(buffer.data(), *sealed));
    if (!opened.ok() || *opened != packet_size || buffer[kHeaderSize] != 0x5a) Die("protect check");
  }
  AllocationCounter allocations;
  for (auto _ : state) {
    WriteHeader(buffer.data(), seq++);
    absl::StatusOr<size_t> sealed = session->ProtectRtp(buffer, packet_size);
    if (!sealed.ok()) Die(sealed.status().ToString());
    benchmark::DoNotOptimize(*sealed);
    benchmark::ClobberMemory();
  }
  allocations.Report(state);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * n));
}

void BM_SrtpUnprotect(benchmark::State& state, SrtpBackend backend, SrtpProfile profile) {
  const size_t n = static_cast<size_t>(state.range(0));
  std::unique_ptr<SrtpSession> out = MakeSession(backend, profile, SrtpDirection::kOutbound);
  const size_t packet_size = kHeaderSize + n;
  const size_t stride = packet_size + 32;
  std::vector<uint8_t> batch(kBatch * stride, 0x5a);
  std::vector<size_t> sizes(kBatch);
  for (size_t i = 0; i < kBatch; ++i) {
    MutableByteSpan slot(batch.data() + i * stride, stride);
    WriteHeader(slot.data(), static_cast<uint16_t>(i));
    absl::StatusOr<size_t> sealed = out->ProtectRtp(slot, packet_size);
    if (!sealed.ok()) Die(sealed.status().ToString());
    sizes[i] = *sealed;
  }
  std::vector<uint8_t> work(stride);
  std::unique_ptr<SrtpSession> in = MakeSession(backend, profile, SrtpDirection::kInbound);
  size_t next = 0;
  AllocationCounter allocations;
  for (auto _ : state) {
    if (next == kBatch) {
      state.PauseTiming();
      in = MakeSession(backend, profile, SrtpDirection::kInbound);
      next = 0;
      state.ResumeTiming();
    }
    const size_t size = sizes[next];
    std::memcpy(work.data(), batch.data() + next * stride, size);
    ++next;
    absl::StatusOr<size_t> opened = in->UnprotectRtp(MutableByteSpan(work.data(), size));
    if (!opened.ok() || *opened != packet_size) Die("unprotect: " + opened.status().ToString());
    benchmark::DoNotOptimize(work.data());
    benchmark::ClobberMemory();
  }
  allocations.Report(state);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * n));
}

void RegisterAll() {
  benchmark::RegisterBenchmark("BM_RawAeadSeal", BM_RawAeadSeal)->Arg(100)->Arg(1200);
  const SrtpProfile profiles[] = {SrtpProfile::kAeadAes128Gcm, SrtpProfile::kAeadAes256Gcm,
                                  SrtpProfile::kAes128CmSha1_80, SrtpProfile::kAes128CmSha1_32};
  for (const char* op : {"BM_SrtpProtect", "BM_SrtpUnprotect"}) {
    for (SrtpBackend backend : {SrtpBackend::kNative, SrtpBackend::kLibSrtp}) {
      for (SrtpProfile profile : profiles) {
        const std::string name = std::string(op) + "/" + std::string(SrtpBackendName(backend)) + "/" +
                                 std::string(SrtpProfileShortName(profile));
        auto* b = std::string(op) == "BM_SrtpProtect"
                      ? benchmark::RegisterBenchmark(name.c_str(), BM_SrtpProtect, backend, profile)
                      : benchmark::RegisterBenchmark(name.c_str(), BM_SrtpUnprotect, backend, profile);
        b->Arg(100)->Arg(1200);
      }
    }
  }
}

}  // namespace
}  // namespace tern::srtp

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  tern::srtp::RegisterAll();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
