// Interop of tern's Association with an independent SCTP + DCEP implementation: Pion's sctp and
// datachannel packages (pion_peer/main.go), over a UDP pair on 127.0.0.1 (no DTLS: SCTP packets are the
// UDP payloads). For each DTLS role: handshake (Pion's client sends INIT; tern always connects), a
// channel opened by each side, every message kind echoed, 1 MiB byte-exact in 64 KiB messages, an
// unordered partially reliable channel, and close by stream reset. Real time (sockets).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sctp/sctp_test_util.h"
#include "tern/sctp/association.h"

extern char** environ;

namespace tern::sctp {
namespace {

class PionPeer {
 public:
  explicit PionPeer(const std::string& role) {
    int to_child[2], from_child[2];
    EXPECT_EQ(pipe(to_child), 0);
    EXPECT_EQ(pipe(from_child), 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, to_child[0], 0);
    posix_spawn_file_actions_adddup2(&actions, from_child[1], 1);
    posix_spawn_file_actions_addclose(&actions, to_child[1]);
    posix_spawn_file_actions_addclose(&actions, from_child[0]);
    std::string path = TERN_PION_SCTP_PEER;
    char* argv[] = {path.data(), const_cast<char*>(role.c_str()), nullptr};
    int rc = posix_spawn(&pid_, path.c_str(), &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    EXPECT_EQ(rc, 0) << "cannot start " << path;
    close(to_child[0]);
    close(from_child[1]);
    stdin_ = to_child[1];
    stdout_ = fdopen(from_child[0], "r");
  }
  ~PionPeer() {
    if (stdin_ >= 0) close(stdin_);
    if (stdout_ != nullptr) fclose(stdout_);
    if (pid_ > 0) {
      // It exits when stdin closes; make sure.
      for (int i = 0; i < 50 && waitpid(pid_, nullptr, WNOHANG) == 0; ++i) usleep(20000);
      if (waitpid(pid_, nullptr, WNOHANG) == 0) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
      }
    }
  }
  int ReadPort() {
    int port = 0;
    EXPECT_EQ(fscanf(stdout_, "%d", &port), 1);
    return port;
  }
  void WritePort(int port) {
    std::string line = std::to_string(port) + "\n";
    EXPECT_EQ(write(stdin_, line.data(), line.size()), static_cast<ssize_t>(line.size()));
  }

 private:
  pid_t pid_ = -1;
  int stdin_ = -1;
  FILE* stdout_ = nullptr;
};

class PionInterop : public ::testing::TestWithParam<Role> {
 protected:
  void SetUp() override {
    Role ours = GetParam();
    pion_ = std::make_unique<PionPeer>(ours == Role::kClient ? "server" : "client");
    int pion_port = pion_->ReadPort();
    ASSERT_GT(pion_port, 0);
    fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    ASSERT_GE(fd_, 0);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof(local)), 0);
    socklen_t len = sizeof(local);
    ASSERT_EQ(getsockname(fd_, reinterpret_cast<sockaddr*>(&local), &len), 0);
    ASSERT_EQ(local.sin_addr.s_addr, htonl(INADDR_LOOPBACK));  // loopback only
    sockaddr_in remote{};
    remote.sin_family = AF_INET;
    remote.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    remote.sin_port = htons(static_cast<uint16_t>(pion_port));
    ASSERT_EQ(connect(fd_, reinterpret_cast<sockaddr*>(&remote), sizeof(remote)), 0);
    pion_->WritePort(ntohs(local.sin_port));

    AssociationConfig config;
    config.role = ours;
    config.remote_max_message_size = 1 << 20;
    auto assoc = Association::Create(config);
    ASSERT_TRUE(assoc.ok());
    assoc_ = std::move(*assoc);
    real_start_ = std::chrono::steady_clock::now();
    start_ = testing::FreshStart();
    ASSERT_TRUE(assoc_->Connect(Now()).ok());
  }
  void TearDown() override {
    assoc_.reset();
    if (fd_ >= 0) close(fd_);
    pion_.reset();
  }

  Timestamp Now() const {
    return start_ + Duration::Micros(std::chrono::duration_cast<std::chrono::microseconds>(
                                         std::chrono::steady_clock::now() - real_start_)
                                         .count());
  }

  bool RunUntil(const std::function<bool()>& done, Duration limit) {
    Timestamp deadline = Now() + limit;
    std::vector<uint8_t> buffer(65536);
    for (;;) {
      while (std::optional<std::vector<uint8_t>> p = assoc_->PollTransmit()) {
        EXPECT_EQ(send(fd_, p->data(), p->size(), 0), static_cast<ssize_t>(p->size()));
      }
      while (std::optional<Event> e = assoc_->PollEvent()) events_.push_back(std::move(*e));
      if (done()) return true;
      Timestamp now = Now();
      if (now >= deadline) return false;
      Timestamp wake = deadline;
      if (assoc_->NextTimeout() && *assoc_->NextTimeout() < wake) wake = *assoc_->NextTimeout();
      pollfd pfd{fd_, POLLIN, 0};
      int wait_ms = static_cast<int>(std::max<int64_t>(0, (wake - now).ms()));
      if (poll(&pfd, 1, wait_ms) > 0) {
        for (;;) {
          ssize_t n = recv(fd_, buffer.data(), buffer.size(), 0);
          if (n <= 0) break;
          EXPECT_TRUE(assoc_->HandleInput(ByteSpan(buffer.data(), static_cast<size_t>(n)), Now()).ok());
        }
      }
      if (assoc_->NextTimeout() && *assoc_->NextTimeout() <= Now()) assoc_->HandleTimeout(Now());
    }
  }
  bool Has(Event::Type type, std::optional<uint16_t> channel = std::nullopt) const {
    for (const Event& e : events_) {
      if (e.type == type && (!channel || e.channel == *channel)) return true;
    }
    return false;
  }
  std::vector<const Event*> Messages(uint16_t channel) const {
    std::vector<const Event*> out;
    for (const Event& e : events_) {
      if (e.type == Event::Type::kMessage && e.channel == channel) out.push_back(&e);
    }
    return out;
  }

  std::unique_ptr<PionPeer> pion_;
  int fd_ = -1;
  std::unique_ptr<Association> assoc_;
  std::chrono::steady_clock::time_point real_start_;
  Timestamp start_;
  std::vector<Event> events_;
};

TEST_P(PionInterop, ChannelsMessagesAndClose) {
  ASSERT_TRUE(RunUntil([&] { return Has(Event::Type::kConnected); }, Duration::Seconds(10)));
  EXPECT_FALSE(assoc_->interleaving());  // Pion does not do I-DATA: plain DATA negotiated

  // Pion's own channel arrives by DCEP with its greeting.
  uint16_t pion_id = GetParam() == Role::kClient ? 101 : 100;
  ASSERT_TRUE(RunUntil([&] { return Messages(pion_id).size() == 1; }, Duration::Seconds(10)));
  EXPECT_EQ(assoc_->Channel(pion_id)->options.label, "from-pion");
  EXPECT_TRUE(assoc_->Channel(pion_id)->remote);
  EXPECT_EQ(AsString(Messages(pion_id)[0]->data), "hello from pion");
  EXPECT_EQ(Messages(pion_id)[0]->kind, MessageKind::kText);

  // Ours, echoed: every message kind.
  ChannelOptions options;
  options.label = "echo";
  auto id = assoc_->OpenChannel(options);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id % 2, GetParam() == Role::kClient ? 0 : 1);
  std::vector<std::pair<MessageKind, std::vector<uint8_t>>> sent = {
      {MessageKind::kText, {'h', 'i'}},
      {MessageKind::kBinary, testing::Pattern(1000, 1)},
      {MessageKind::kText, {}},
      {MessageKind::kBinary, {}},
      {MessageKind::kBinary, testing::Pattern(65535, 2)},
      {MessageKind::kBinary, testing::Pattern(256 * 1024, 3)},
  };
  for (auto& [kind, data] : sent) ASSERT_TRUE(assoc_->Send(*id, kind, data).ok());
  ASSERT_TRUE(RunUntil([&] { return Messages(*id).size() == sent.size(); }, Duration::Seconds(20)));
  for (size_t i = 0; i < sent.size(); ++i) {
    EXPECT_EQ(Messages(*id)[i]->kind, sent[i].first) << i;
    EXPECT_TRUE(Messages(*id)[i]->data == sent[i].second) << i;
  }

  // 1 MiB in 64 KiB messages, byte-exact.
  std::vector<uint8_t> mib = testing::Pattern(1 << 20, 4);
  for (size_t off = 0; off < mib.size(); off += 65536) {
    ASSERT_TRUE(assoc_->Send(*id, MessageKind::kBinary, ByteSpan(mib).subspan(off, 65536)).ok());
  }
  ASSERT_TRUE(RunUntil([&] { return Messages(*id).size() == sent.size() + 16; }, Duration::Seconds(30)));
  std::vector<uint8_t> back;
  for (size_t i = sent.size(); i < Messages(*id).size(); ++i) {
    back.insert(back.end(), Messages(*id)[i]->data.begin(), Messages(*id)[i]->data.end());
  }
  EXPECT_TRUE(back == mib);

  // An unordered, partially reliable channel.
  ChannelOptions lossy;
  lossy.label = "lossy";
  lossy.ordered = false;
  lossy.max_retransmits = 2;
  auto lossy_id = assoc_->OpenChannel(lossy);
  ASSERT_TRUE(lossy_id.ok());
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(assoc_->Send(*lossy_id, MessageKind::kText, AsBytes("u")).ok());
  ASSERT_TRUE(RunUntil([&] { return Messages(*lossy_id).size() == 10; }, Duration::Seconds(10)));

  // Close by stream reset: Pion resets its side in return.
  ASSERT_TRUE(assoc_->CloseChannel(*id).ok());
  ASSERT_TRUE(RunUntil([&] { return Has(Event::Type::kChannelClosed, *id); }, Duration::Seconds(10)));
  EXPECT_FALSE(assoc_->Channel(*id).has_value());
  EXPECT_TRUE(assoc_->Channel(*lossy_id).has_value());
  EXPECT_EQ(assoc_->stats().packets_rejected, 0u);  // Pion's checksums verify
}

INSTANTIATE_TEST_SUITE_P(Roles, PionInterop, ::testing::Values(Role::kClient, Role::kServer),
                         [](const auto& info) {
                           return info.param == Role::kClient ? "TernClient" : "TernServer";
                         });

}  // namespace
}  // namespace tern::sctp
