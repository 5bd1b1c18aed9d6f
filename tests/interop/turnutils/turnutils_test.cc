// coturn's own client tools against tern-turnserver on 127.0.0.1 (issue 6 §4): turnutils_uclient with
// TURN REST credentials (-W) over UDP and TCP, with channels and with Send indications (-s), relaying to
// turnutils_peer (an echo peer; loopback peers are allowed in the test config). Asserted: every message
// echoed (uclient's own sent/received counts and lost = 0), the byte counts equal, and tern-turnserver's
// metrics show exactly the same payload bytes relayed in both directions. Also: a bad config value exits
// with code 2, an unknown key only warns, and SIGHUP/SIGUSR2 keep the server running.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "coturn_process.h"
#include "gtest/gtest.h"
#include "server_process.h"

namespace tern {
namespace {

using testing::TernServerOptions;
using testing::TernTurnServerProcess;
using testing::TurnutilsPeer;

struct UclientResult {
  int exit_code = -1;
  long sent_msgs = -1;
  long recv_msgs = -1;
  long sent_bytes = -1;
  long recv_bytes = -1;
  long lost = -1;
  std::string output;
};

// Runs turnutils_uclient to completion and reads its summary lines:
//   "start_mclient: tot_send_msgs=N, tot_recv_msgs=M"
//   "start_mclient: tot_send_bytes ~ B, tot_recv_bytes ~ C"
//   "Total lost packets L (...)"
UclientResult RunUclient(const TernTurnServerProcess& server, uint16_t peer_port, int clients, int messages,
                         int length, bool tcp, bool send_indications) {
  std::vector<std::string> argv = {"turnutils_uclient", "-W", server.options().secret, "-u", "uclient",
                                   "-L", "127.0.0.1", "-e", "127.0.0.1", "-r", std::to_string(peer_port),
                                   "-m", std::to_string(clients), "-l", std::to_string(length), "-n",
                                   std::to_string(messages), "-z", "5", "-p", std::to_string(server.port())};
  if (tcp) argv.push_back("-t");
  if (send_indications) argv.push_back("-s");
  argv.push_back("127.0.0.1");
  UclientResult r;
  r.exit_code = testing::RunCommand(argv, std::chrono::seconds(90), &r.output);
  std::smatch m;
  const std::regex msgs(R"(tot_send_msgs=(\d+), tot_recv_msgs=(\d+)\s*$)", std::regex::multiline);
  const std::regex bytes(R"(tot_send_bytes ~ (\d+), tot_recv_bytes ~ (\d+)\s*$)", std::regex::multiline);
  const std::regex lost(R"(Total lost packets (\d+))");
  // The summary comes last: take the last match of each.
  for (auto it = std::sregex_iterator(r.output.begin(), r.output.end(), msgs); it != std::sregex_iterator(); ++it) {
    r.sent_msgs = std::stol((*it)[1]);
    r.recv_msgs = std::stol((*it)[2]);
  }
  for (auto it = std::sregex_iterator(r.output.begin(), r.output.end(), bytes); it != std::sregex_iterator();
       ++it) {
    r.sent_bytes = std::stol((*it)[1]);
    r.recv_bytes = std::stol((*it)[2]);
  }
  if (std::regex_search(r.output, m, lost)) r.lost = std::stol(m[1]);
  return r;
}

double Metric(const std::map<std::string, double>& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? -1 : it->second;
}

class Turnutils : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string error;
    TernServerOptions o;
    // turnutils_peer listens on 127.0.0.1, which the default policy refuses.
    o.extra_lines = {"allowed-peer-ip=127.0.0.1"};
    server_ = TernTurnServerProcess::Start(o, &error).release();
    if (server_ == nullptr && error_ == nullptr) error_ = new std::string("tern-turnserver: " + error);
    peer_ = TurnutilsPeer::Start(&error).release();
    if (peer_ == nullptr && error_ == nullptr) error_ = new std::string("turnutils_peer: " + error);
  }
  static void TearDownTestSuite() {
    delete peer_;
    delete server_;
    delete error_;
    peer_ = nullptr;
    server_ = nullptr;
    error_ = nullptr;
  }
  void SetUp() override {
    ASSERT_EQ(error_, nullptr) << *error_;
    ASSERT_TRUE(server_->Running()) << server_->Log();
  }

  // One uclient run; asserts zero loss and byte-exact echo, also from the server's own counters.
  void RunAndCheck(int clients, int messages, int length, bool tcp, bool send_indications) {
    const auto before = testing::ParseMetrics(server_->ScrapeMetrics());
    UclientResult r = RunUclient(*server_, peer_->port(), clients, messages, length, tcp, send_indications);
    const auto after = testing::ParseMetrics(server_->ScrapeMetrics());
    const long expected = static_cast<long>(clients) * messages;
    ASSERT_EQ(r.exit_code, 0) << r.output << "\n--- server log ---\n" << server_->Log();
    EXPECT_EQ(r.sent_msgs, expected) << r.output;
    EXPECT_EQ(r.recv_msgs, expected) << r.output;
    EXPECT_EQ(r.sent_bytes, expected * length) << r.output;
    EXPECT_EQ(r.recv_bytes, expected * length) << r.output;
    EXPECT_EQ(r.lost, 0) << r.output;
    // The server relayed every payload byte out to the peer and every echoed byte back.
    auto delta = [&](const std::string& key) { return Metric(after, key) - Metric(before, key); };
    const double c2p_bytes = delta("tern_turn_relayed_bytes_total{direction=\"client_to_peer\"}");
    const double p2c_bytes = delta("tern_turn_relayed_bytes_total{direction=\"peer_to_client\"}");
    const double c2p_packets = delta("tern_turn_relayed_packets_total{direction=\"client_to_peer\"}");
    const double p2c_packets = delta("tern_turn_relayed_packets_total{direction=\"peer_to_client\"}");
    EXPECT_GE(c2p_packets, static_cast<double>(expected));
    EXPECT_EQ(c2p_packets, p2c_packets);
    EXPECT_GE(c2p_bytes, static_cast<double>(expected * length));
    EXPECT_EQ(c2p_bytes, p2c_bytes);
    EXPECT_GE(delta("tern_turn_allocations_total"), clients);
    EXPECT_EQ(delta("tern_turn_auth_failures_total"), 0);
  }

  static TernTurnServerProcess* server_;
  static TurnutilsPeer* peer_;
  static std::string* error_;
};

TernTurnServerProcess* Turnutils::server_ = nullptr;
TurnutilsPeer* Turnutils::peer_ = nullptr;
std::string* Turnutils::error_ = nullptr;

TEST_F(Turnutils, UdpSendIndications) { RunAndCheck(10, 100, 160, /*tcp=*/false, /*send_indications=*/true); }
TEST_F(Turnutils, TcpSendIndications) { RunAndCheck(10, 100, 160, /*tcp=*/true, true); }
// turnutils_uclient binds channel numbers from RFC 5766's range 0x4000-0x7FFF (e.g. 0x7647), which
// RFC 8656 narrowed to 0x4000-0x4FFF; the server accepts RFC 5766's range by default
// (TurnServerConfig::rfc5766_channel_numbers), as coturn does.
TEST_F(Turnutils, UdpChannels) { RunAndCheck(10, 100, 160, false, false); }
TEST_F(Turnutils, UdpChannelsLargeMessages) { RunAndCheck(4, 100, 1200, false, false); }
TEST_F(Turnutils, TcpChannels) { RunAndCheck(10, 100, 160, true, false); }
TEST_F(Turnutils, TcpSendIndicationsLargeMessages) { RunAndCheck(4, 100, 1200, true, true); }
TEST_F(Turnutils, UdpSendIndicationsLargeMessages) { RunAndCheck(4, 100, 1200, false, true); }

TEST_F(Turnutils, WrongSecretIsRefused) {
  std::string out;
  const int code = testing::RunCommand(
      {"turnutils_uclient", "-W", "not-the-secret", "-u", "uclient", "-L", "127.0.0.1", "-e", "127.0.0.1", "-r",
       std::to_string(peer_->port()), "-m", "1", "-n", "5", "-p", std::to_string(server_->port()), "127.0.0.1"},
      std::chrono::seconds(30), &out);
  EXPECT_NE(code, 0) << out;
  EXPECT_EQ(out.find("tot_recv_msgs=5"), std::string::npos) << out;
  const auto m = testing::ParseMetrics(server_->ScrapeMetrics());
  EXPECT_GE(Metric(m, "tern_turn_auth_failures_total"), 1) << server_->ScrapeMetrics();
}

TEST_F(Turnutils, SignalsKeepServing) {
  // SIGHUP reopens the log (after it was moved away, as logrotate does); SIGUSR2 without a certificate
  // logs a refusal; the server keeps answering.
  const auto log = server_->dir() / "turnserver.log";
  const auto rotated = server_->dir() / "turnserver.log.1";
  ASSERT_EQ(rename(log.c_str(), rotated.c_str()), 0);
  ASSERT_EQ(kill(server_->pid(), SIGHUP), 0);
  ASSERT_EQ(kill(server_->pid(), SIGUSR2), 0);
  bool reopened = false;
  for (int i = 0; i < 250 && !reopened; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::ifstream in(log);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    reopened = text.find("SIGUSR2") != std::string::npos;
  }
  EXPECT_TRUE(reopened) << "the log file was not recreated after SIGHUP";
  EXPECT_TRUE(server_->Running());
  EXPECT_FALSE(server_->ScrapeMetrics().empty());
  RunAndCheck(2, 20, 160, false, true);
}

TEST(TernTurnServerConfig, BadValueExitsWithCode2AndUnknownKeyWarns) {
  char dir_template[] = "/tmp/tern-turnserver-conf-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::string dir = dir_template;
  {
    std::ofstream(dir + "/bad.conf") << "listening-ip=127.0.0.1\nmin-port=seven\n";
    std::string out;
    const int code = testing::RunCommand({TERN_TURNSERVER_BINARY, "-c", dir + "/bad.conf"}, std::chrono::seconds(10),
                                         &out);
    EXPECT_EQ(code, 2) << out;
    EXPECT_NE(out.find("min-port"), std::string::npos) << out;
    EXPECT_NE(out.find("bad.conf:2"), std::string::npos) << out;
  }
  {
    std::ofstream(dir + "/unknown.conf") << "listening-ip=127.0.0.1\nuse-auth-secret\nstatic-auth-secret=s\n"
                                            "realm=r\nfrobnicate=1\n";
    std::string out;
    const int code = testing::RunCommand({TERN_TURNSERVER_BINARY, "-c", dir + "/unknown.conf", "--check-config"},
                                         std::chrono::seconds(10), &out);
    EXPECT_EQ(code, 0) << out;
    EXPECT_NE(out.find("unknown option 'frobnicate'"), std::string::npos) << out;
  }
  {
    std::string out;
    const int code = testing::RunCommand({TERN_TURNSERVER_BINARY, "-c", dir + "/missing.conf"},
                                         std::chrono::seconds(10), &out);
    EXPECT_EQ(code, 2) << out;
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tern
