// tern against aiortc (Debian python3-aiortc 1.4 / aioice 0.8) over 127.0.0.1: offer/answer both ways
// and an echo (1 MiB in 16 KiB messages, 256 KiB of strings from aiortc; common/interop_matrix.h
// RunEcho), and the full matrix both ways as well. The aiortc peer is first proven against the Pion
// peer, both ways.
#include <gtest/gtest.h>

#include "interop/common/interop_matrix.h"
#include "interop/common/peer_process.h"
#ifdef TERN_HAVE_PEER_CONNECTION
#include "interop/common/tern_endpoint.h"
#endif

namespace tern::interop {
namespace {

std::unique_ptr<PeerProcess> StartAiortc() {
  auto p = PeerProcess::Start(
      {.name = "aiortc", .argv = {TERN_AIORTC_PYTHON, TERN_AIORTC_PEER, "--address", "127.0.0.1"}});
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? std::move(*p) : nullptr;
}

std::unique_ptr<PeerProcess> StartPion() {
  auto p = PeerProcess::Start({.name = "pion", .argv = {TERN_PION_PEER, "-address", "127.0.0.1"}});
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? std::move(*p) : nullptr;
}

void RunPionAgainstAiortc(bool pion_offers) {
  auto pion = StartPion();
  auto aiortc = StartAiortc();
  ASSERT_TRUE(pion && aiortc);
  InteropMatrix matrix(*pion, *aiortc, MatrixOptions{});
  absl::Status s = matrix.RunEcho(pion_offers);
  EXPECT_TRUE(s.ok()) << DescribeFailure(s, *pion, *aiortc);
  matrix.Quit();
}

TEST(AiortcPeer, EchoWithPionOffering) { RunPionAgainstAiortc(true); }
TEST(AiortcPeer, EchoWithAiortcOffering) { RunPionAgainstAiortc(false); }

#ifdef TERN_HAVE_PEER_CONNECTION
void RunTernAgainstAiortc(bool tern_offers) {
  auto runtime = Runtime::Create();
  ASSERT_TRUE(runtime.ok()) << runtime.status();
  auto aiortc = StartAiortc();
  ASSERT_TRUE(aiortc);
  {
    TernEndpoint tern(**runtime, IpAddress::LoopbackV4());
    InteropMatrix matrix(tern, *aiortc, MatrixOptions{});
    absl::Status s = matrix.RunEcho(tern_offers);
    EXPECT_TRUE(s.ok()) << DescribeFailure(s, tern, *aiortc);
    std::vector<std::string> addresses = tern.local_candidate_addresses();
    EXPECT_FALSE(addresses.empty());
    for (const std::string& a : addresses) EXPECT_EQ(a, "127.0.0.1");
    matrix.Quit();
  }
}

TEST(TernAndAiortc, TernOffers) { RunTernAgainstAiortc(true); }
TEST(TernAndAiortc, AiortcOffers) { RunTernAgainstAiortc(false); }

// Beyond what the issue asks of aiortc: the whole matrix (channel kinds, 1 MiB in 1 and 64 KiB
// messages, a channel opened by aiortc, a negotiated one, close from each side). aiortc announces
// a=max-message-size 65536, so the 256 KiB round is skipped.
void RunFullMatrixAgainstAiortc(bool tern_offers) {
  auto runtime = Runtime::Create();
  ASSERT_TRUE(runtime.ok()) << runtime.status();
  auto aiortc = StartAiortc();
  ASSERT_TRUE(aiortc);
  {
    TernEndpoint tern(**runtime, IpAddress::LoopbackV4());
    MatrixOptions options;
    options.subject.max_send = 65536;
    options.peer.max_send = 65536;
    InteropMatrix matrix(tern, *aiortc, options);
    absl::Status s = matrix.RunAll(tern_offers);
    EXPECT_TRUE(s.ok()) << DescribeFailure(s, tern, *aiortc);
    for (const std::string& a : tern.local_candidate_addresses()) EXPECT_EQ(a, "127.0.0.1");
    matrix.Quit();
  }
}

TEST(TernAndAiortc, FullMatrixTernOffers) { RunFullMatrixAgainstAiortc(true); }
TEST(TernAndAiortc, FullMatrixAiortcOffers) { RunFullMatrixAgainstAiortc(false); }
#endif

}  // namespace
}  // namespace tern::interop
