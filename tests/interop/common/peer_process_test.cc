// PeerProcess against a tiny shell peer: lines both ways, waiting with a timeout, an error message
// failing the wait, the pattern and candidate helpers.
#include "interop/common/peer_process.h"

#include <gtest/gtest.h>

namespace tern::interop {
namespace {

// A peer that says ready, then answers every line with {"type":"echo","line":<line>} (the line is a
// JSON object, so it is embedded as is), and reports an error on "boom".
constexpr char kShellPeer[] =
    "echo '{\"type\":\"ready\",\"peer\":\"sh\"}'; "
    "while IFS= read -r line; do "
    "  case \"$line\" in *boom*) echo '{\"type\":\"error\",\"message\":\"boom\"}';; "
    "  *) echo \"{\\\"type\\\":\\\"echo\\\",\\\"line\\\":$line}\";; esac; "
    "done";

TEST(PeerProcess, LinesBothWays) {
  auto p = PeerProcess::Start({.name = "sh", .argv = {"/bin/sh", "-c", kShellPeer}});
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_TRUE((*p)->Command(Json::Object({{"type", "ping"}, {"n", 7}})).ok());
  auto echo = (*p)->WaitForType("echo", "", Millis(5000));
  ASSERT_TRUE(echo.ok()) << echo.status();
  EXPECT_EQ((*echo)["line"].GetInt("n"), 7);
  // Nothing else comes: the wait times out.
  auto none = (*p)->WaitForType("echo", "", Millis(200));
  EXPECT_TRUE(absl::IsDeadlineExceeded(none.status())) << none.status();
}

TEST(PeerProcess, SignallingGoesToTheHandler) {
  auto p = PeerProcess::Start({.name = "sh", .argv = {"/bin/sh", "-c",
                                                      "echo '{\"type\":\"ready\"}'; "
                                                      "echo '{\"type\":\"candidate\",\"candidate\":\"\"}'; "
                                                      "echo '{\"type\":\"state\",\"state\":\"x\"}'; sleep 5"}});
  ASSERT_TRUE(p.ok()) << p.status();
  auto state = (*p)->WaitForType("state", "", Millis(5000));
  ASSERT_TRUE(state.ok()) << state.status();
  std::vector<std::string> got;
  (*p)->messages().SetSignalHandler([&](const Json& m) { got.push_back(m.GetString("type")); });
  EXPECT_EQ(got, std::vector<std::string>{"candidate"});  // held until a handler was set
}

TEST(PeerProcess, AnErrorFailsTheWait) {
  auto p = PeerProcess::Start({.name = "sh", .argv = {"/bin/sh", "-c", kShellPeer}});
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_TRUE((*p)->Command(Json::Object({{"type", "boom"}})).ok());
  auto r = (*p)->WaitForType("never", "", Millis(5000));
  EXPECT_TRUE(absl::IsInternal(r.status())) << r.status();
  EXPECT_NE(r.status().message().find("boom"), std::string::npos);
}

TEST(PeerProcess, ExitIsReported) {
  auto p = PeerProcess::Start({.name = "sh", .argv = {"/bin/sh", "-c", "echo '{\"type\":\"ready\"}'; exit 0"}});
  ASSERT_TRUE(p.ok()) << p.status();
  auto r = (*p)->WaitForType("never", "", Millis(5000));
  EXPECT_TRUE(absl::IsInternal(r.status())) << r.status();
}

TEST(PeerProcess, NoReadyIsAnError) {
  auto p = PeerProcess::Start({.name = "sh", .argv = {"/bin/sh", "-c", "echo oops >&2; sleep 5"},
                               .ready_timeout = Millis(300)});
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("oops"), std::string::npos) << p.status();
}

TEST(InteropPattern, MatchesTheProtocol) {
  std::vector<uint8_t> b = PatternMessage(2, 4, true);
  EXPECT_EQ(b, (std::vector<uint8_t>{(2 * 251 + 7) & 0xff, (2 * 251 + 31 + 7) & 0xff, (2 * 251 + 62 + 7) & 0xff,
                                     (2 * 251 + 93 + 7) & 0xff}));
  std::vector<uint8_t> s = PatternMessage(1, 3, false);
  EXPECT_EQ(std::string(s.begin(), s.end()), "hij");
  EXPECT_EQ(Sha256Hex("abc", 3), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(InteropCandidate, Address) {
  EXPECT_EQ(CandidateAddress("candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host"), "127.0.0.1");
  EXPECT_EQ(CandidateAddress("candidate:1 1 udp"), "");
}

}  // namespace
}  // namespace tern::interop
