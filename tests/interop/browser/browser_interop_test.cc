// tern against headless Chromium (Debian `chromium` through playwright-core, run_page.mjs + peer.js),
// inside the network namespace made by scripts/netns-run.sh (Chromium gathers nothing on loopback
// alone): the data-channel matrix of issue 5 §4 (common/interop_matrix.h) with tern offering and
// with Chromium offering, including 1 MiB echoed byte-exact in 256 KiB messages. The page is first
// proven against the Pion peer. Every candidate, tern's, Chromium's and Pion's, must be on the
// namespace's veth address (TERN_NETNS_ADDRESS); tern binds to it only.
#include <gtest/gtest.h>

#include <cstdlib>

#include "interop/common/interop_matrix.h"
#include "interop/common/peer_process.h"
#ifdef TERN_HAVE_PEER_CONNECTION
#include "interop/common/tern_endpoint.h"
#endif

namespace tern::interop {
namespace {

std::string NamespaceAddress() {
  const char* a = std::getenv("TERN_NETNS_ADDRESS");
  return a ? a : "";
}

std::unique_ptr<PeerProcess> StartChromium(const std::string& address) {
  auto p = PeerProcess::Start({.name = "chromium",
                               .argv = {TERN_NODE_BINARY, TERN_BROWSER_RUN_PAGE, "--page", "peer.js", "--timeout-ms",
                                        "90000", "--param", "address=" + address},
                               .run_page = true,
                               .ready_timeout = Millis(45000)});
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? std::move(*p) : nullptr;
}

class BrowserInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    address_ = NamespaceAddress();
    ASSERT_FALSE(address_.empty()) << "TERN_NETNS_ADDRESS is not set: run this test through "
                                      "scripts/netns-run.sh (ctest -R tern_browser_interop does)";
  }
  std::string address_;
};

TEST_F(BrowserInterop, ChromiumPageAgainstPion) {
  auto chromium = StartChromium(address_);
  auto pion = PeerProcess::Start({.name = "pion", .argv = {TERN_PION_PEER, "-address", address_}});
  ASSERT_TRUE(chromium && pion.ok()) << pion.status();
  MatrixOptions options;
  options.allowed_address = address_;
  options.subject.max_send = 65536;  // Pion's SDP has no a=max-message-size: 64 KiB (RFC 8841 §6.1)
  options.peer.max_send = 65536;
  InteropMatrix matrix(*chromium, **pion, options);
  absl::Status s = matrix.RunAll(/*subject_offers=*/true);
  EXPECT_TRUE(s.ok()) << DescribeFailure(s, *chromium, **pion);
  matrix.Quit();
}

#ifdef TERN_HAVE_PEER_CONNECTION
void RunTernAgainstChromium(const std::string& address, bool tern_offers) {
  auto bind = IpAddress::Parse(address);
  ASSERT_TRUE(bind.ok()) << bind.status();
  auto runtime = Runtime::Create();
  ASSERT_TRUE(runtime.ok()) << runtime.status();
  auto chromium = StartChromium(address);
  ASSERT_TRUE(chromium);
  {
    TernEndpoint tern(**runtime, *bind);
    MatrixOptions options;
    options.allowed_address = address;
    InteropMatrix matrix(tern, *chromium, options);
    absl::Status s = matrix.RunAll(tern_offers);
    EXPECT_TRUE(s.ok()) << DescribeFailure(s, tern, *chromium);
    std::vector<std::string> addresses = tern.local_candidate_addresses();
    EXPECT_FALSE(addresses.empty());
    for (const std::string& a : addresses) EXPECT_EQ(a, address);
    matrix.Quit();
  }
}

TEST_F(BrowserInterop, TernOffers) { RunTernAgainstChromium(address_, true); }
TEST_F(BrowserInterop, ChromiumOffers) { RunTernAgainstChromium(address_, false); }
#endif

}  // namespace
}  // namespace tern::interop
