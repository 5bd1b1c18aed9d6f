// tern's ICE agent (on the real runtime: tern::UdpSocket on 127.0.0.1 + SansIoDriver) against Pion's
// ICE agent (github.com/pion/ice/v2 2.3.x from Debian, the Go program pion_ice_peer.go built by CMake)
// over loopback, with tern controlling (Pion Accepts), tern controlled (Pion Dials), and tern as an
// ICE-lite server (Pion Dials), and tern relay-only through a real coturn. Credentials,
// candidates and end-of-candidates go over the Go program's stdin/stdout, one line each. Once both
// sides are connected, tern sends datagrams of 1..1200 bytes on its selected pair and Pion echoes
// them; the echoes must come back byte-exact and in order. Every candidate (tern's and Pion's) must be
// on 127.0.0.1. The Go process is killed by pid on every path; every wait is bounded.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <optional>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "interop/coturn/coturn_process.h"
#include "interop/ice_loopback/loopback_ice_peer.h"
#include "tern/base/random.h"
#include "tern/ice/candidate.h"
#include "tern/ice/turn_rest_credentials.h"
#include "tern/net/runtime.h"

namespace tern::ice::testing {
namespace {

constexpr Duration kWait = Duration::Seconds(15);

// The Go peer as a child process with pipes on stdin and stdout (stderr goes to ours).
class GoPeer {
 public:
  static std::unique_ptr<GoPeer> Start(const std::string& binary, const std::string& role, std::string* error) {
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) {
      *error = "pipe2 failed";
      return nullptr;
    }
    pid_t pid = fork();
    if (pid < 0) {
      *error = "fork failed";
      return nullptr;
    }
    if (pid == 0) {
      dup2(in[0], 0);
      dup2(out[1], 1);
      execl(binary.c_str(), binary.c_str(), "-role", role.c_str(), "-lifetime", "60s", static_cast<char*>(nullptr));
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    fcntl(out[0], F_SETFL, fcntl(out[0], F_GETFL) | O_NONBLOCK);
    std::unique_ptr<GoPeer> p(new GoPeer());
    p->pid_ = pid;
    p->stdin_ = in[1];
    p->stdout_ = out[0];
    return p;
  }

  ~GoPeer() {
    if (stdin_ >= 0) close(stdin_);
    if (stdout_ >= 0) close(stdout_);
    Kill();
  }

  void WriteLine(const std::string& line) {
    std::string s = line + "\n";
    size_t off = 0;
    while (off < s.size() && stdin_ >= 0) {
      ssize_t n = write(stdin_, s.data() + off, s.size() - off);
      if (n <= 0) return;
      off += static_cast<size_t>(n);
    }
  }

  // The complete lines read so far (non-blocking).
  std::vector<std::string> ReadLines() {
    char buffer[4096];
    for (;;) {
      ssize_t n = read(stdout_, buffer, sizeof(buffer));
      if (n <= 0) break;
      partial_.append(buffer, static_cast<size_t>(n));
    }
    std::vector<std::string> lines;
    size_t pos;
    while ((pos = partial_.find('\n')) != std::string::npos) {
      lines.push_back(partial_.substr(0, pos));
      partial_.erase(0, pos + 1);
    }
    return lines;
  }

  // Closes stdin (the peer exits) and reaps it within 3 s, else SIGKILL. Returns the exit status.
  int Finish() {
    WriteLine("quit");
    close(stdin_);
    stdin_ = -1;
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    while (std::chrono::steady_clock::now() < end) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    Kill();
    return -1;
  }

 private:
  GoPeer() = default;
  void Kill() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  pid_t pid_ = -1;
  int stdin_ = -1;
  int stdout_ = -1;
  std::string partial_;
};

class PionIceInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(TERN_GO_FOUND, 1) << "`go` was not found when configuring: install golang-go and "
                                   "golang-github-pion-ice.v2-dev (scripts/deps.sh) and re-run cmake";
    struct stat st;
    ASSERT_EQ(stat(TERN_PION_ICE_PEER, &st), 0) << TERN_PION_ICE_PEER << " was not built";
    RuntimeOptions options;
    options.manual = true;
    absl::StatusOr<std::unique_ptr<Runtime>> runtime = Runtime::Create(options);
    ASSERT_TRUE(runtime.ok()) << runtime.status();
    runtime_ = std::move(*runtime);
  }
  void TearDown() override {
    tern_.reset();
    runtime_.reset();
  }
  EventLoop& loop() { return runtime_->loop(0); }

  // Handles the Go peer's output lines.
  void Pump() {
    for (const std::string& line : pion_->ReadLines()) {
      log_ += line + "\n";
      if (line.rfind("ufrag ", 0) == 0) {
        remote_.ufrag = line.substr(6);
      } else if (line.rfind("pwd ", 0) == 0) {
        remote_.pwd = line.substr(4);
        absl::Status s = tern_->SetRemoteCredentials(remote_);
        if (!s.ok()) errors_.push_back(s.ToString());
      } else if (line.rfind("candidate ", 0) == 0) {
        absl::StatusOr<Candidate> c = ParseCandidate(line.substr(10));
        if (!c.ok()) {
          errors_.push_back(absl::StrCat("tern cannot parse Pion's candidate: ", c.status().ToString()));
          continue;
        }
        pion_candidates_.push_back(*c);
        if (absl::Status s = tern_->AddRemoteCandidate(*c); !s.ok()) errors_.push_back(s.ToString());
      } else if (line == "eoc") {
        tern_->SetRemoteEndOfCandidates();
      } else if (line == "connected") {
        pion_connected_ = true;
      } else if (line.rfind("selected ", 0) == 0) {
        pion_selected_ = line.substr(9);
      } else if (line.rfind("error ", 0) == 0) {
        errors_.push_back("pion: " + line.substr(6));
      }
    }
  }

  void Run(IceRole tern_role, IceMode tern_mode = IceMode::kFull,
           std::optional<LoopbackIcePeerOptions> tern_options = std::nullopt) {
    std::string error;
    pion_ = GoPeer::Start(TERN_PION_ICE_PEER, tern_role == IceRole::kControlling ? "controlled" : "controlling",
                          &error);
    ASSERT_NE(pion_, nullptr) << error;
    tern_ = std::make_unique<LoopbackIcePeer>(
        loop(), random_, tern_options.value_or(LoopbackIcePeerOptions{.role = tern_role, .mode = tern_mode}));
    tern_->on_candidate = [this](const Candidate& c) { pion_->WriteLine("candidate " + SerializeCandidate(c)); };
    tern_->on_end_of_candidates = [this] { pion_->WriteLine("eoc"); };
    ASSERT_TRUE(tern_->Start().ok());
    pion_->WriteLine("ufrag " + tern_->agent().local_credentials().ufrag);
    pion_->WriteLine("pwd " + tern_->agent().local_credentials().pwd);

    bool connected = loop().RunUntil(
        [&] {
          Pump();
          return (tern_->connected() && pion_connected_ && !pion_selected_.empty()) || tern_->failed() ||
                 !errors_.empty();
        },
        kWait);
    ASSERT_TRUE(errors_.empty()) << errors_[0] << "\n" << log_;
    ASSERT_TRUE(connected && tern_->connected() && pion_connected_)
        << "tern " << IceConnectionStateName(tern_->state()) << ", pion output:\n"
        << log_;

    // Everything on 127.0.0.1.
    ASSERT_FALSE(tern_->gathered().empty());
    for (const Candidate& c : tern_->gathered()) {
      EXPECT_EQ(c.address.ip(), IpAddress::LoopbackV4()) << SerializeCandidate(c);
    }
    ASSERT_FALSE(pion_candidates_.empty()) << log_;
    for (const Candidate& c : pion_candidates_) {
      EXPECT_EQ(c.address.ip(), IpAddress::LoopbackV4()) << SerializeCandidate(c);
      EXPECT_EQ(c.type, CandidateType::kHost);
    }
    EXPECT_EQ(tern_->agent().role(), tern_role);
    std::optional<IceCandidatePair> selected = tern_->agent().selected_pair();
    ASSERT_TRUE(selected.has_value());
    EXPECT_EQ(selected->remote.address.ip(), IpAddress::LoopbackV4());
    EXPECT_EQ(tern_->agent().stats().role_conflicts, 0u);
    // Pion selected the same path: "<local type> <addr> <remote type> <addr>", its remote being tern's
    // socket, or tern's relayed address when tern is relay-only.
    EXPECT_EQ(pion_selected_.rfind("host " + selected->remote.address.ToString() + " ", 0), 0u) << pion_selected_;
    if (tern_->turn() == nullptr) {
      EXPECT_EQ(selected->local_base, tern_->socket_address());
      EXPECT_NE(pion_selected_.find(" " + tern_->socket_address().ToString()), std::string::npos) << pion_selected_;
    } else {
      EXPECT_EQ(selected->local.type, CandidateType::kRelay);
      EXPECT_EQ(selected->local_base, tern_->turn()->relayed_addresses().at(0));
      // Pion names it relay, or prflx when tern's first check (from the relayed address) arrived
      // before the trickled candidate did.
      EXPECT_TRUE(pion_selected_.find(" relay " + selected->local_base.ToString()) != std::string::npos ||
                  pion_selected_.find(" prflx " + selected->local_base.ToString()) != std::string::npos)
          << pion_selected_;
    }

    // 200 datagrams of 1..1200 bytes, at most 16 unanswered, echoed by Pion.
    std::vector<std::vector<uint8_t>> sent;
    for (int i = 0; i < 200; ++i) {
      std::vector<uint8_t> p(static_cast<size_t>(1 + (i * 613) % 1200));
      random_.Fill(p);
      sent.push_back(std::move(p));
    }
    sent[0] = {0x42};
    sent[1].assign(1200, 0xEE);
    sent[2][0] = 0x00;  // STUN's first-byte range without the magic cookie is still data
    size_t next = 0;
    std::string send_error;
    bool echoed = loop().RunUntil(
        [&] {
          Pump();
          while (next < sent.size() && next < tern_->received().size() + 16) {
            if (absl::Status s = tern_->Send(sent[next]); !s.ok()) send_error = s.ToString();
            ++next;
          }
          return !send_error.empty() || !errors_.empty() || tern_->received().size() >= sent.size();
        },
        kWait);
    ASSERT_TRUE(send_error.empty()) << send_error;
    ASSERT_TRUE(errors_.empty()) << errors_[0] << "\n" << log_;
    ASSERT_TRUE(echoed) << "echoed " << tern_->received().size() << " of " << sent.size() << "\n" << log_;
    ASSERT_EQ(tern_->received().size(), sent.size());
    for (size_t i = 0; i < sent.size(); ++i) EXPECT_EQ(tern_->received()[i], sent[i]) << i;
    EXPECT_TRUE(tern_->errors().empty()) << tern_->errors()[0];
    EXPECT_EQ(tern_->agent().stats().dropped_unauthenticated, 0u);
    EXPECT_EQ(tern_->agent().stats().dropped_bad_stun, 0u);

    EXPECT_EQ(pion_->Finish(), 0) << log_;
    tern_->Close();
    if (tern_->turn() != nullptr) {
      EXPECT_TRUE(loop().RunUntil([&] { return tern_->turn_closed(); }, kWait));
      EXPECT_EQ(tern_->turn()->state(), TurnClientState::kClosed);
    }
  }

  std::unique_ptr<Runtime> runtime_;
  CryptoRandom random_;
  std::unique_ptr<GoPeer> pion_;
  std::unique_ptr<LoopbackIcePeer> tern_;
  IceCredentials remote_;
  std::vector<Candidate> pion_candidates_;
  bool pion_connected_ = false;
  std::string pion_selected_;
  std::vector<std::string> errors_;
  std::string log_;
};

TEST_F(PionIceInterop, TernControllingPionControlled) { Run(IceRole::kControlling); }
TEST_F(PionIceInterop, TernControlledPionControlling) { Run(IceRole::kControlled); }
// The server deployment: tern as an ICE-lite agent (RFC 8445 §2.5; it only answers checks), Pion as
// the full controlling agent that checks and nominates.
TEST_F(PionIceInterop, TernLiteServerPionControlling) {
  Run(IceRole::kControlled, IceMode::kLite);
  EXPECT_EQ(tern_->agent().stats().checks_sent, 0u) << "a lite agent sends no checks";
  EXPECT_GT(tern_->agent().stats().responses_sent, 0u);
}

// tern relay-only through a real coturn (its only candidate is the relayed address), Pion with host
// candidates: Pion's checks and data reach tern through coturn, tern's go out through its TURN client.
TEST_F(PionIceInterop, TernRelayOnlyThroughCoturnPionHost) {
  std::string error;
  std::unique_ptr<tern::testing::CoturnProcess> coturn =
      tern::testing::CoturnProcess::Start(tern::testing::CoturnOptions(), &error);
  ASSERT_NE(coturn, nullptr) << error;
  TurnRestCredentials credentials =
      MakeTurnRestCredentials(coturn->options().secret, "tern", static_cast<int64_t>(time(nullptr)) + 3600);
  LoopbackIcePeerOptions o;
  o.role = IceRole::kControlling;
  o.host_candidate = false;
  o.turn_server = SocketAddress(IpAddress::LoopbackV4(), coturn->port());
  o.turn_username = credentials.username;
  o.turn_password = credentials.password;
  Run(IceRole::kControlling, IceMode::kFull, o);
  ASSERT_NE(tern_->turn(), nullptr);
  for (const Candidate& c : tern_->gathered()) EXPECT_EQ(c.type, CandidateType::kRelay);
  EXPECT_GE(tern_->mux()->stats().relayed_received, 200u);
  EXPECT_GE(tern_->mux()->stats().relayed_sent, 200u);
}

}  // namespace
}  // namespace tern::ice::testing
