// See interop_matrix.h.
#include "interop/common/interop_matrix.h"

#include <cstdio>
#include <utility>


namespace tern::interop {
namespace {

#define TERN_RETURN_IF_ERROR(expr)           \
  do {                                       \
    absl::Status _status = (expr);           \
    if (!_status.ok()) return _status;       \
  } while (0)

#define TERN_ASSIGN_OR_RETURN(lhs, expr)     \
  auto lhs##_or = (expr);                    \
  if (!lhs##_or.ok()) return lhs##_or.status(); \
  auto lhs = std::move(*lhs##_or)

absl::Status Mismatch(std::string_view step, std::string_view what, const Json& got, std::string_view want) {
  return absl::FailedPreconditionError(
      Cat(step, ": ", what, " is ", got.Dump(), ", expected ", want));
}

std::string PatternSha(int64_t count, size_t size, bool binary) {
  Sha256 h;
  for (int64_t j = 0; j < count; ++j) {
    std::vector<uint8_t> m = PatternMessage(j, size, binary);
    h.Update(m.data(), m.size());
  }
  return h.Hex();
}

}  // namespace

SignalRelay::SignalRelay(Endpoint& a, Endpoint& b, std::string allowed_address)
    : a_(a), b_(b), allowed_(std::move(allowed_address)) {
  thread_ = std::thread([this] { Run(); });
  a_.messages().SetSignalHandler([this](const Json& m) { Enqueue(&b_, a_.name(), m); });
  b_.messages().SetSignalHandler([this](const Json& m) { Enqueue(&a_, b_.name(), m); });
}

SignalRelay::~SignalRelay() {
  a_.messages().SetSignalHandler([](const Json&) {});
  b_.messages().SetSignalHandler([](const Json&) {});
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void SignalRelay::Enqueue(Endpoint* to, const std::string& from, Json message) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    auto check = [&](const std::string& candidate) {
      (to == &b_ ? from_a_ : from_b_)++;
      std::string address = CandidateAddress(candidate);
      if (address != allowed_) {
        problems_.push_back(Cat(from, " signalled a candidate on ", address.empty() ? "?" : address, " (only ",
                                allowed_, " is allowed): ", candidate));
      }
    };
    const std::string type = message.GetString("type");
    if (type == "candidate") {
      std::string candidate = message.GetString("candidate");
      if (!candidate.empty()) check(candidate);
    } else if (type == "offer" || type == "answer") {
      // Candidates inside the SDP (aiortc does not trickle).
      const std::string sdp = message.GetString("sdp");
      for (size_t at = sdp.find("a=candidate:"); at != std::string::npos; at = sdp.find("a=candidate:", at + 1)) {
        size_t end = sdp.find_first_of("\r\n", at);
        check(sdp.substr(at + 2, end == std::string::npos ? std::string::npos : end - at - 2));
      }
    }
    queue_.emplace_back(to, std::move(message));
  }
  cv_.notify_all();
}

void SignalRelay::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (stop_) return;
    auto [to, message] = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    absl::Status s = to->Command(message);
    lock.lock();
    if (!s.ok()) problems_.push_back(Cat("forwarding to ", to->name(), ": ", s.message()));
  }
}

absl::Status SignalRelay::status() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (problems_.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(Join(problems_, "; "));
}

int SignalRelay::candidates_from_a() const {
  std::lock_guard<std::mutex> lock(mu_);
  return from_a_;
}

int SignalRelay::candidates_from_b() const {
  std::lock_guard<std::mutex> lock(mu_);
  return from_b_;
}

InteropMatrix::InteropMatrix(Endpoint& subject, Endpoint& peer, MatrixOptions options)
    : subject_(subject), peer_(peer), options_(std::move(options)) {}

InteropMatrix::~InteropMatrix() = default;

void InteropMatrix::Log(const std::string& text) const {
  if (options_.verbose) std::fprintf(stderr, "[interop %s<->%s] %s\n", subject_.name().c_str(),
                                     peer_.name().c_str(), text.c_str());
}

absl::Status InteropMatrix::Connect(bool subject_offers) {
  relay_ = std::make_unique<SignalRelay>(subject_, peer_, options_.allowed_address);
  Endpoint& offerer = subject_offers ? subject_ : peer_;
  Endpoint& answerer = subject_offers ? peer_ : subject_;
  Log(Cat("connect: ", offerer.name(), " offers"));
  auto start = [&](Endpoint& e, bool offers) {
    Json cmd = Json::Object({{"type", "start"},
                             {"role", offers ? "offerer" : "answerer"},
                             {"echo", &e == &peer_}});
    Json channels = Json::Array();
    if (offers) channels.Push(Json::Object({{"label", boot_label_}}));
    cmd.Set("channels", std::move(channels));
    return e.Command(cmd);
  };
  TERN_RETURN_IF_ERROR(start(answerer, false));
  TERN_RETURN_IF_ERROR(start(offerer, true));
  TERN_ASSIGN_OR_RETURN(local, offerer.WaitForType("channel", boot_label_, options_.connect_timeout));
  TERN_ASSIGN_OR_RETURN(remote, answerer.WaitForType("channel", boot_label_, options_.connect_timeout));
  if (local.GetString("origin") != "local") return Mismatch("connect", "offerer's boot origin", local["origin"], "local");
  if (remote.GetString("origin") != "remote") {
    return Mismatch("connect", "answerer's boot origin", remote["origin"], "remote");
  }
  if (local["id"] != remote["id"]) return Mismatch("connect", "boot id on the answerer", remote["id"], local["id"].Dump());
  TERN_RETURN_IF_ERROR(relay_->status());
  if (relay_->candidates_from_a() == 0 || relay_->candidates_from_b() == 0) {
    return absl::FailedPreconditionError(Cat("connect: no candidates seen from ", relay_->candidates_from_a() == 0 ? subject_.name() : peer_.name(), " (trickled or in its SDP)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Json> InteropMatrix::OpenChannel(Endpoint& opener, Endpoint& other, const Json& spec) {
  std::string label = spec.GetString("label");
  Json cmd = spec;
  cmd.Set("type", "open");
  TERN_RETURN_IF_ERROR(opener.Command(cmd));
  TERN_ASSIGN_OR_RETURN(mine, opener.WaitForType("channel", label, options_.step_timeout));
  bool negotiated = spec.GetBool("negotiated");
  if (negotiated) TERN_RETURN_IF_ERROR(other.Command(cmd));
  TERN_ASSIGN_OR_RETURN(theirs, other.WaitForType("channel", label, options_.step_timeout));
  const std::string step = Cat("open '", label, "' by ", opener.name());
  if (mine.GetString("origin") != "local") return Mismatch(step, "opener's origin", mine["origin"], "local");
  std::string want_origin = negotiated ? "local" : "remote";
  if (theirs.GetString("origin") != want_origin) return Mismatch(step, "other side's origin", theirs["origin"], want_origin);
  for (const char* key : {"id", "ordered", "maxRetransmits", "maxPacketLifeTime", "negotiated", "protocol"}) {
    const Json& a = mine[key];
    const Json& b = theirs[key];
    if (!(a == b)) return Mismatch(step, Cat(other.name(), "'s ", key), b, a.Dump());
  }
  // And what the opener asked for.
  if (mine.GetBool("ordered", true) != spec.GetBool("ordered", true)) {
    return Mismatch(step, "ordered", mine["ordered"], spec["ordered"].Dump());
  }
  for (const char* key : {"maxRetransmits", "maxPacketLifeTime", "id"}) {
    if (spec[key].is_number() && !(mine[key] == spec[key])) return Mismatch(step, key, mine[key], spec[key].Dump());
  }
  if (mine.GetString("protocol") != spec.GetString("protocol")) {
    return Mismatch(step, "protocol", mine["protocol"], spec["protocol"].Dump());
  }
  if (negotiated != mine.GetBool("negotiated")) return Mismatch(step, "negotiated", mine["negotiated"], "as asked");
  return mine;
}

absl::Status InteropMatrix::Transfer(Endpoint& sender, Endpoint& receiver, const std::string& label, int64_t count,
                                     size_t size, bool binary, bool ordered) {
  const std::string step = Cat(sender.name(), " -> ", &receiver == &sender ? "echo -> " : "",
                                        receiver.name(), " on '", label, "': ", count, " x ", size, " B ",
                                        binary ? "binary" : "string");
  Log(step);
  const int64_t total = count * static_cast<int64_t>(size);
  TERN_RETURN_IF_ERROR(sender.Command(Json::Object({{"type", "send"},
                                                    {"label", label},
                                                    {"count", count},
                                                    {"size", static_cast<int64_t>(size)},
                                                    {"binary", binary}})));
  TERN_ASSIGN_OR_RETURN(sent, sender.WaitForType("sent", label, options_.step_timeout));
  const std::string want_sha = PatternSha(count, size, binary);
  if (sent.GetString("sha256") != want_sha) return Mismatch(step, "the sender's SHA-256 of the pattern", sent["sha256"], want_sha);
  if (sent.GetInt("bytes") != total) return Mismatch(step, "bytes sent", sent["bytes"], std::to_string(total));
  TERN_RETURN_IF_ERROR(receiver.Command(Json::Object({{"type", "expect"}, {"label", label}, {"bytes", total}})));
  TERN_ASSIGN_OR_RETURN(got, receiver.WaitForType("received", label, options_.step_timeout));
  if (got.GetInt("bytes") != total) return Mismatch(step, "bytes received", got["bytes"], std::to_string(total));
  if (got.GetInt("messages") != count) return Mismatch(step, "messages received", got["messages"], std::to_string(count));
  if (got.GetInt(binary ? "binaries" : "strings") != count) {
    return Mismatch(step, binary ? "binary messages" : "string messages", got, std::to_string(count));
  }
  if (count > 0 && (got.GetInt("minSize") != static_cast<int64_t>(size) ||
                    got.GetInt("maxSize") != static_cast<int64_t>(size))) {
    return Mismatch(step, "message sizes", got, Cat("all ", size));
  }
  if (ordered && got.GetString("sha256") != want_sha) return Mismatch(step, "SHA-256 received", got["sha256"], want_sha);
  absl::Status exact = receiver.VerifyReceived(label, count, size, binary);
  if (!exact.ok() && !absl::IsUnimplemented(exact)) {
    return absl::FailedPreconditionError(Cat(step, ": byte check on ", receiver.name(), ": ", exact.message()));
  }
  return absl::OkStatus();
}

absl::Status InteropMatrix::RunChannelKinds() {
  struct Kind {
    const char* label;
    bool ordered;
    std::optional<int> max_retransmits;
    std::optional<int> max_packet_life_time;
  };
  const Kind kinds[] = {
      {"reliable-ordered", true, std::nullopt, std::nullopt},
      {"reliable-unordered", false, std::nullopt, std::nullopt},
      {"unreliable-ordered", true, 0, std::nullopt},
      {"unreliable-unordered", false, std::nullopt, 150},
  };
  for (const Kind& k : kinds) {
    Json spec = Json::Object({{"label", k.label}, {"ordered", k.ordered}, {"protocol", Cat("tern-", k.label)}});
    if (k.max_retransmits) spec.Set("maxRetransmits", *k.max_retransmits);
    if (k.max_packet_life_time) spec.Set("maxPacketLifeTime", *k.max_packet_life_time);
    Log(Cat("channel kind ", k.label));
    TERN_ASSIGN_OR_RETURN(opened, OpenChannel(subject_, peer_, spec));
    (void)opened;
    TERN_RETURN_IF_ERROR(Transfer(subject_, subject_, k.label, 32, 1024, true, k.ordered));
  }
  return absl::OkStatus();
}

absl::Status InteropMatrix::RunBulk() {
  constexpr int64_t kTotal = 1 << 20;
  struct Round {
    size_t size;
    bool binary;
  };
  const Round rounds[] = {{1024, true}, {64 * 1024, true}, {256 * 1024, true}, {64 * 1024, false}};
  for (const Round& r : rounds) {
    std::string label = Cat("bulk-", r.size / 1024, "k-", r.binary ? "bin" : "str");
    TERN_ASSIGN_OR_RETURN(opened, OpenChannel(subject_, peer_, Json::Object({{"label", label}})));
    (void)opened;
    const int64_t count = kTotal / static_cast<int64_t>(r.size);
    if (r.size > options_.subject.max_send) {
      Log(Cat("skip ", label, ": ", subject_.name(), " may not send ", r.size,
              " B here (its own limit, or the peer's a=max-message-size)"));
      continue;
    }
    if (r.size <= options_.peer.max_send) {
      TERN_RETURN_IF_ERROR(Transfer(subject_, subject_, label, count, r.size, r.binary, true));
    } else {
      // The peer cannot echo this size (Pion: 65536): one way, checked by the peer's SHA-256.
      Log(Cat(label, ": ", peer_.name(), " cannot send ", r.size, " B; checked one way"));
      TERN_RETURN_IF_ERROR(Transfer(subject_, peer_, label, count, r.size, r.binary, true));
    }
  }
  // 1 MiB from the peer, in the largest messages it can send up to 256 KiB.
  size_t down = std::min<size_t>(options_.peer.max_send, 256 * 1024);
  while (kTotal % static_cast<int64_t>(down) != 0) down /= 2;
  TERN_ASSIGN_OR_RETURN(opened, OpenChannel(peer_, subject_, Json::Object({{"label", "bulk-down"}})));
  (void)opened;
  return Transfer(peer_, subject_, "bulk-down", kTotal / static_cast<int64_t>(down), down, true, true);
}

absl::Status InteropMatrix::RunPeerOpened() {
  TERN_ASSIGN_OR_RETURN(opened, OpenChannel(peer_, subject_,
                                            Json::Object({{"label", "from-peer"}, {"protocol", "peer-proto"}})));
  (void)opened;
  // The subject sends on the peer's channel; the peer echoes.
  return Transfer(subject_, subject_, "from-peer", 16, 1024, false, true);
}

absl::Status InteropMatrix::RunNegotiated() {
  const int id = next_negotiated_id_++;
  TERN_ASSIGN_OR_RETURN(opened, OpenChannel(subject_, peer_,
                                            Json::Object({{"label", "negotiated"}, {"negotiated", true}, {"id", id}})));
  (void)opened;
  return Transfer(subject_, subject_, "negotiated", 8, 1024, true, true);
}

absl::Status InteropMatrix::RunClose() {
  auto close = [&](Endpoint& closer, Endpoint& other, const std::string& label) -> absl::Status {
    Log(Cat(closer.name(), " closes '", label, "'"));
    TERN_RETURN_IF_ERROR(closer.Command(Json::Object({{"type", "close"}, {"label", label}})));
    TERN_ASSIGN_OR_RETURN(a, closer.WaitForType("closed", label, options_.step_timeout));
    TERN_ASSIGN_OR_RETURN(b, other.WaitForType("closed", label, options_.step_timeout));
    (void)a;
    (void)b;
    return absl::OkStatus();
  };
  TERN_RETURN_IF_ERROR(close(subject_, peer_, "reliable-ordered"));
  TERN_RETURN_IF_ERROR(close(peer_, subject_, "from-peer"));
  // The connection and the other channels keep working.
  return Transfer(subject_, subject_, boot_label_, 4, 1024, true, true);
}

absl::Status InteropMatrix::RunAll(bool subject_offers) {
  TERN_RETURN_IF_ERROR(Connect(subject_offers));
  TERN_RETURN_IF_ERROR(RunChannelKinds());
  TERN_RETURN_IF_ERROR(RunBulk());
  TERN_RETURN_IF_ERROR(RunPeerOpened());
  TERN_RETURN_IF_ERROR(RunNegotiated());
  TERN_RETURN_IF_ERROR(RunClose());
  return relay_->status();
}

absl::Status InteropMatrix::RunEcho(bool subject_offers) {
  TERN_RETURN_IF_ERROR(Connect(subject_offers));
  TERN_RETURN_IF_ERROR(Transfer(subject_, subject_, boot_label_, 64, 16 * 1024, true, true));
  TERN_ASSIGN_OR_RETURN(opened, OpenChannel(peer_, subject_, Json::Object({{"label", "down"}})));
  (void)opened;
  TERN_RETURN_IF_ERROR(Transfer(peer_, subject_, "down", 16, 16 * 1024, false, true));
  return relay_->status();
}

void InteropMatrix::Quit() {
  (void)subject_.Command(Json::Object({{"type", "quit"}}));
  (void)peer_.Command(Json::Object({{"type", "quit"}}));
}

std::string DescribeFailure(const absl::Status& status, Endpoint& subject, Endpoint& peer) {
  std::string out = std::string(status.message());
  for (Endpoint* e : {&subject, &peer}) {
    std::vector<std::string> h = e->messages().History();
    size_t from = h.size() > 25 ? h.size() - 25 : 0;
    out += Cat("\n--- last messages from ", e->name(), " ---");
    for (size_t i = from; i < h.size(); ++i) out += Cat("\n  ", h[i]);
    if (auto* p = dynamic_cast<PeerProcess*>(e)) out += Cat("\n--- ", e->name(), " stderr ---\n", p->StderrTail(3000));
  }
  return out;
}

}  // namespace tern::interop
