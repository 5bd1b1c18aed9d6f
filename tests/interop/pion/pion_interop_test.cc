// tern against Pion (Debian's pion/webrtc 3.1.56) over 127.0.0.1: the data-channel matrix of issue 5
// §4 (common/interop_matrix.h) with tern offering and with Pion offering. The Pion peer is first
// proven against itself with the same matrix, so a failure with tern is tern's.
//
// Pion cannot send a message larger than 65536 bytes, and its SDP has no a=max-message-size, so tern
// (RFC 8841 §6.1: the default is then 65536) does not send it more either: with Pion, messages are
// echoed byte-exact up to 64 KiB and the 256 KiB round is skipped (it runs against Chromium).
#include <gtest/gtest.h>

#include "interop/common/interop_matrix.h"
#include "interop/common/peer_process.h"
#ifdef TERN_HAVE_PEER_CONNECTION
#include "interop/common/tern_endpoint.h"
#endif

namespace tern::interop {
namespace {

constexpr size_t kPionMaxSend = 65536;

std::unique_ptr<PeerProcess> StartPion(const std::string& name) {
  auto p = PeerProcess::Start({.name = name, .argv = {TERN_PION_PEER, "-address", "127.0.0.1"}});
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? std::move(*p) : nullptr;
}

TEST(PionPeer, MatrixAgainstItself) {
  auto subject = StartPion("pion-a");
  auto peer = StartPion("pion-b");
  ASSERT_TRUE(subject && peer);
  MatrixOptions options;
  options.subject.max_send = kPionMaxSend;
  options.peer.max_send = kPionMaxSend;
  InteropMatrix matrix(*subject, *peer, options);
  absl::Status s = matrix.RunAll(/*subject_offers=*/true);
  EXPECT_TRUE(s.ok()) << DescribeFailure(s, *subject, *peer);
  matrix.Quit();
}

#ifdef TERN_HAVE_PEER_CONNECTION
void RunTernAgainstPion(bool tern_offers) {
  auto runtime = Runtime::Create();
  ASSERT_TRUE(runtime.ok()) << runtime.status();
  auto pion = StartPion("pion");
  ASSERT_TRUE(pion);
  {
    TernEndpoint tern(**runtime, IpAddress::LoopbackV4());
    MatrixOptions options;
    options.subject.max_send = kPionMaxSend;  // what Pion's SDP allows (no a=max-message-size)
    options.peer.max_send = kPionMaxSend;
    InteropMatrix matrix(tern, *pion, options);
    absl::Status s = matrix.RunAll(tern_offers);
    EXPECT_TRUE(s.ok()) << DescribeFailure(s, tern, *pion);
    // Every candidate tern signalled is on 127.0.0.1 (the relay checked Pion's).
    std::vector<std::string> addresses = tern.local_candidate_addresses();
    EXPECT_FALSE(addresses.empty());
    for (const std::string& a : addresses) EXPECT_EQ(a, "127.0.0.1");
    matrix.Quit();
  }
}

TEST(TernAndPion, TernOffers) { RunTernAgainstPion(true); }
TEST(TernAndPion, PionOffers) { RunTernAgainstPion(false); }
#endif

}  // namespace
}  // namespace tern::interop
