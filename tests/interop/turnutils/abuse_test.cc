// Bad input against the tern-turnserver process (issue 6 §4 "Bad input"): garbage and oversized TCP
// framing close the connection, a truncated frame followed by a close leaves nothing behind, a TLS client
// that never handshakes is dropped, and a flood of unauthenticated requests from thousands of source
// ports keeps the server's memory bounded (asserted on VmRSS) while it keeps serving.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "server_process.h"

namespace tern {
namespace {

using testing::TernServerOptions;
using testing::TernTurnServerProcess;
using Clock = std::chrono::steady_clock;

sockaddr_in Loopback(uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  return a;
}

int ConnectTcp(uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in local = Loopback(0);
  sockaddr_in to = Loopback(port);
  if (bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0 ||
      connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof(to)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// True when the peer closes the connection within `limit` (reads and discards anything before).
bool ClosedByServer(int fd, std::chrono::milliseconds limit) {
  const auto deadline = Clock::now() + limit;
  char buf[4096];
  while (Clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 20) <= 0) continue;
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) return true;
  }
  return false;
}

long RssKb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

double Metric(const TernTurnServerProcess& s, const std::string& key) {
  const auto m = testing::ParseMetrics(s.ScrapeMetrics());
  auto it = m.find(key);
  return it == m.end() ? -1 : it->second;
}

// A STUN Binding request header (RFC 8489 §5) with the given declared body length and no body.
std::vector<uint8_t> BindingHeader(uint16_t declared_length) {
  std::vector<uint8_t> h = {0x00, 0x01, static_cast<uint8_t>(declared_length >> 8),
                            static_cast<uint8_t>(declared_length), 0x21, 0x12, 0xa4, 0x42};
  for (int i = 0; i < 12; ++i) h.push_back(static_cast<uint8_t>(i * 7 + 1));
  return h;
}

class TurnServerAbuse : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string error;
    TernServerOptions o;
    o.tls = true;
    server_ = TernTurnServerProcess::Start(o, &error).release();
    if (server_ == nullptr) error_ = new std::string(error);
  }
  static void TearDownTestSuite() {
    delete server_;
    delete error_;
    server_ = nullptr;
    error_ = nullptr;
  }
  void SetUp() override {
    ASSERT_EQ(error_, nullptr) << *error_;
    ASSERT_TRUE(server_->Running()) << server_->Log();
  }
  void TearDown() override { EXPECT_TRUE(server_->Running()) << "the server died\n" << server_->Log(); }

  static TernTurnServerProcess* server_;
  static std::string* error_;
};

TernTurnServerProcess* TurnServerAbuse::server_ = nullptr;
std::string* TurnServerAbuse::error_ = nullptr;

TEST_F(TurnServerAbuse, GarbageFramingClosesTheConnection) {
  const int fd = ConnectTcp(server_->port());
  ASSERT_GE(fd, 0);
  const std::vector<uint8_t> garbage(64, 0xff);  // neither STUN (0b00) nor ChannelData (0b01)
  ASSERT_EQ(send(fd, garbage.data(), garbage.size(), MSG_NOSIGNAL), static_cast<ssize_t>(garbage.size()));
  EXPECT_TRUE(ClosedByServer(fd, std::chrono::seconds(5)));
  close(fd);
}

TEST_F(TurnServerAbuse, MalformedStunLengthClosesTheConnection) {
  // A STUN length that is not a multiple of 4 cannot be framed (RFC 8489 §5).
  const int fd = ConnectTcp(server_->port());
  ASSERT_GE(fd, 0);
  std::vector<uint8_t> h = BindingHeader(65531);
  ASSERT_EQ(send(fd, h.data(), h.size(), MSG_NOSIGNAL), static_cast<ssize_t>(h.size()));
  EXPECT_TRUE(ClosedByServer(fd, std::chrono::seconds(5)));
  close(fd);
}

TEST_F(TurnServerAbuse, TruncatedFramesLeaveNothingBehind) {
  const double streams_before = Metric(*server_, "tern_turn_stream_connections");
  for (int i = 0; i < 50; ++i) {
    const int fd = ConnectTcp(server_->port());
    ASSERT_GE(fd, 0);
    std::vector<uint8_t> h = BindingHeader(64);  // announces 64 bytes that never come
    h.resize(10 + i % 10);
    ASSERT_GT(send(fd, h.data(), h.size(), MSG_NOSIGNAL), 0);
    close(fd);
  }
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  while (Clock::now() < deadline && Metric(*server_, "tern_turn_stream_connections") > streams_before) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(Metric(*server_, "tern_turn_stream_connections"), streams_before);
  EXPECT_EQ(Metric(*server_, "tern_turn_streams"), 0);
}

TEST_F(TurnServerAbuse, TlsClientThatNeverHandshakesIsDropped) {
  const int fd = ConnectTcp(server_->tls_port());
  ASSERT_GE(fd, 0);
  // The listener's handshake timeout is 10 s.
  EXPECT_TRUE(ClosedByServer(fd, std::chrono::seconds(15)));
  close(fd);
  EXPECT_GE(Metric(*server_, "tern_turn_tls_handshake_failures_total"), 1);
}

TEST_F(TurnServerAbuse, UnauthenticatedFloodKeepsMemoryBounded) {
  const long rss_before = RssKb(server_->pid());
  ASSERT_GT(rss_before, 0);
  // 2000 sockets x 20 unauthenticated Allocate requests each (REQUESTED-TRANSPORT UDP, no credentials).
  const std::vector<uint8_t> allocate = {0x00, 0x03, 0x00, 0x08, 0x21, 0x12, 0xa4, 0x42, 1, 2, 3, 4, 5, 6,
                                         7,    8,    9,    10,   11,   12,   0x00, 0x19, 0x00, 0x04,
                                         0x11, 0x00, 0x00, 0x00};
  const sockaddr_in to = Loopback(server_->port());
  uint64_t sent = 0;
  for (int s = 0; s < 2000; ++s) {
    const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in local = Loopback(0);
    ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof(local)), 0);
    for (int i = 0; i < 20; ++i) {
      std::vector<uint8_t> m = allocate;
      m[8] = static_cast<uint8_t>(s);
      m[9] = static_cast<uint8_t>(s >> 8);
      m[10] = static_cast<uint8_t>(i);
      if (sendto(fd, m.data(), m.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof(to)) > 0) ++sent;
    }
    close(fd);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const long rss_after = RssKb(server_->pid());
  EXPECT_GT(sent, 30000u);
  // Every source is 127.0.0.1: the per-IP token bucket answers at most its burst and drops the rest.
  EXPECT_GT(Metric(*server_, "tern_turn_rate_limited_total"), 10000) << server_->ScrapeMetrics();
  EXPECT_EQ(Metric(*server_, "tern_turn_allocations"), 0);
  EXPECT_LT(rss_after - rss_before, 16 * 1024) << "RSS grew from " << rss_before << " to " << rss_after << " KiB";
  EXPECT_FALSE(server_->ScrapeMetrics().empty());
}

}  // namespace
}  // namespace tern
