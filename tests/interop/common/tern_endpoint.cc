// See tern_endpoint.h.
//
// Threading: Command() runs on the test's thread (or the signal relay's); tern's callbacks run on the
// PeerConnection's loop thread. mu_ guards the channel table and is never held while calling into
// tern from a non-loop thread (such a call waits for the loop, whose callbacks take mu_).
#include "interop/common/tern_endpoint.h"

#include <chrono>
#include <span>
#include <thread>


namespace tern::interop {
namespace {

Json OptionalInt(const std::optional<uint16_t>& v) { return v ? Json(static_cast<int64_t>(*v)) : Json(); }

constexpr uint64_t kSendHighWater = 8u << 20;
constexpr auto kOpenTimeout = std::chrono::seconds(20);

}  // namespace

TernEndpoint::TernEndpoint(Runtime& runtime, IpAddress bind_address, std::string name)
    : runtime_(runtime), bind_address_(bind_address), name_(std::move(name)) {}

TernEndpoint::~TernEndpoint() {
  if (pc_) pc_->Close();
  std::map<std::string, Channel> channels;
  {
    std::lock_guard<std::mutex> lock(mu_);
    channels.swap(channels_);
  }
  channels.clear();
  pc_.reset();
}

std::vector<std::string> TernEndpoint::local_candidate_addresses() const {
  std::lock_guard<std::mutex> lock(mu_);
  return candidate_addresses_;
}

PeerConnection* TernEndpoint::pc() const {
  std::lock_guard<std::mutex> lock(mu_);
  return pc_.get();
}

absl::Status TernEndpoint::Command(const Json& command) {
  const std::string type = command.GetString("type");
  if (type == "start") return Start(command);
  PeerConnection* const pc = this->pc();
  if (type != "quit" && pc == nullptr) return absl::FailedPreconditionError(Cat(name_, ": ", type, " before start"));
  if (type == "offer" || type == "answer") {
    SessionDescription remote{type == "offer" ? SdpType::kOffer : SdpType::kAnswer, command.GetString("sdp")};
    absl::Status s = pc->SetRemoteDescription(remote);
    if (!s.ok()) {
      Emit(Json::Object({{"type", "error"}, {"message", Cat("SetRemoteDescription(", type, "): ", s.ToString())}}));
      return s;
    }
    if (type == "offer") {
      auto answer = pc->CreateAnswer();
      if (!answer.ok()) {
        Emit(Json::Object({{"type", "error"}, {"message", Cat("CreateAnswer: ", answer.status().ToString())}}));
        return answer.status();
      }
      s = pc->SetLocalDescription(*answer);
      if (!s.ok()) {
        Emit(Json::Object({{"type", "error"}, {"message", Cat("SetLocalDescription(answer): ", s.ToString())}}));
        return s;
      }
      Emit(Json::Object({{"type", "answer"}, {"sdp", answer->sdp}}));
    }
    std::vector<Json> pending;
    {
      std::lock_guard<std::mutex> lock(mu_);
      remote_set_ = true;
      pending.swap(pending_candidates_);
    }
    for (const Json& c : pending) {
      absl::Status cs = AddCandidate(c);
      if (!cs.ok()) return cs;
    }
    return absl::OkStatus();
  }
  if (type == "candidate") {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!remote_set_) {
        pending_candidates_.push_back(command);
        return absl::OkStatus();
      }
    }
    return AddCandidate(command);
  }
  if (type == "open") return Open(command);
  if (type == "send") return Send(command);
  if (type == "expect" || type == "report") {
    const std::string label = command.GetString("label");
    std::optional<Json> report;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = channels_.find(label);
      if (it == channels_.end()) return absl::NotFoundError(Cat(name_, ": ", type, ": no channel ", label));
      if (type == "report" || it->second.bytes >= command.GetInt("bytes")) {
        report = Report(label, it->second);
      } else {
        it->second.expect = command.GetInt("bytes");
      }
    }
    if (report) Emit(std::move(*report));
    return absl::OkStatus();
  }
  if (type == "close") {
    std::shared_ptr<DataChannel> dc;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = channels_.find(command.GetString("label"));
      if (it == channels_.end()) return absl::NotFoundError(Cat(name_, ": close: no channel"));
      dc = it->second.dc;
    }
    dc->Close();
    return absl::OkStatus();
  }
  if (type == "quit") {
    if (pc != nullptr) pc->Close();
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(Cat(name_, ": unknown command ", type));
}

absl::Status TernEndpoint::AddCandidate(const Json& message) {
  IceCandidate c;
  c.candidate = message.GetString("candidate");
  c.sdp_mid = message.GetString("sdpMid");
  c.sdp_mline_index = static_cast<int>(message.GetInt("sdpMLineIndex", 0));
  absl::Status s = pc()->AddIceCandidate(c);
  if (!s.ok()) {
    Emit(Json::Object({{"type", "error"},
                       {"message", Cat("AddIceCandidate(", c.candidate, "): ", s.ToString())}}));
  }
  return s;
}

absl::Status TernEndpoint::Start(const Json& command) {
  if (pc() != nullptr) return absl::FailedPreconditionError(name_ + ": start: already started");
  Configuration config;
  config.bind_addresses = {bind_address_};
  auto created = PeerConnection::Create(runtime_, config);
  if (!created.ok()) return created.status();
  {
    std::lock_guard<std::mutex> lock(mu_);
    pc_ = std::move(*created);
    echo_ = command.GetBool("echo");
  }
  pc_->OnLocalCandidate([this](IceCandidate c) {
    if (!c.candidate.empty()) {
      std::lock_guard<std::mutex> lock(mu_);
      candidate_addresses_.push_back(CandidateAddress(c.candidate));
    }
    Emit(Json::Object({{"type", "candidate"},
                       {"candidate", c.candidate},
                       {"sdpMid", c.sdp_mid},
                       {"sdpMLineIndex", static_cast<int64_t>(c.sdp_mline_index)}}));
  });
  pc_->OnConnectionStateChange(
      [this](PeerConnectionState s) { Emit(Json::Object({{"type", "state"}, {"state", std::string(PeerConnectionStateName(s))}})); });
  pc_->OnDataChannel([this](std::shared_ptr<DataChannel> dc) { Track(std::move(dc), "remote"); });
  for (const Json& spec : command["channels"].items()) {
    absl::Status s = Open(spec);
    if (!s.ok()) return s;
  }
  const std::string role = command.GetString("role");
  if (role == "offerer") {
    auto offer = pc_->CreateOffer();
    if (!offer.ok()) return offer.status();
    absl::Status s = pc_->SetLocalDescription(*offer);
    if (!s.ok()) return s;
    Emit(Json::Object({{"type", "offer"}, {"sdp", offer->sdp}}));
  } else if (role != "answerer") {
    return absl::InvalidArgumentError(Cat(name_, ": start: bad role ", role));
  }
  return absl::OkStatus();
}

absl::Status TernEndpoint::Open(const Json& spec) {
  DataChannelInit init;
  init.ordered = spec.GetBool("ordered", true);
  if (auto v = spec.GetOptionalInt("maxRetransmits")) init.max_retransmits = static_cast<uint16_t>(*v);
  if (auto v = spec.GetOptionalInt("maxPacketLifeTime")) init.max_packet_life_time_ms = static_cast<uint16_t>(*v);
  init.protocol = spec.GetString("protocol");
  init.negotiated = spec.GetBool("negotiated");
  if (auto v = spec.GetOptionalInt("id")) init.id = static_cast<uint16_t>(*v);
  auto dc = pc()->CreateDataChannel(spec.GetString("label"), init);
  if (!dc.ok()) {
    Emit(Json::Object({{"type", "error"}, {"message", Cat("CreateDataChannel: ", dc.status().ToString())}}));
    return dc.status();
  }
  Track(std::move(*dc), "local");
  return absl::OkStatus();
}

void TernEndpoint::Track(std::shared_ptr<DataChannel> dc, std::string origin) {
  const std::string label = dc->label();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (channels_.count(label) != 0) {
      Emit(Json::Object({{"type", "error"}, {"message", Cat("two channels labelled ", label)}}));
      return;
    }
    Channel& ch = channels_[label];
    ch.dc = dc;
    ch.origin = origin;
  }
  DataChannel* raw = dc.get();
  dc->OnMessage([this, label, raw](DataChannelMessage m) {
    std::optional<Json> report;
    bool echo = false;
    DataChannelMessage copy;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = channels_.find(label);
      if (it == channels_.end()) return;
      Channel& ch = it->second;
      const int64_t n = static_cast<int64_t>(m.data.size());
      ch.bytes += n;
      (m.binary ? ch.binaries : ch.strings)++;
      ch.min_size = ch.received.empty() ? n : std::min(ch.min_size, n);
      ch.max_size = std::max(ch.max_size, n);
      ch.digest->Update(m.data.data(), m.data.size());
      if (ch.expect >= 0 && ch.bytes >= ch.expect) {
        ch.expect = -1;
        report.emplace();  // filled below, after the message is stored
      }
      echo = echo_;
      if (echo) copy = m;
      ch.received.push_back(std::move(m));
      if (report) *report = Report(label, ch);
    }
    if (report) Emit(std::move(*report));
    if (echo) {
      absl::Status s = copy.binary ? raw->Send(std::span<const uint8_t>(copy.data)) : raw->Send(copy.text());
      if (!s.ok()) Emit(Json::Object({{"type", "error"}, {"message", Cat("echo: ", s.ToString())}}));
    }
  });
  dc->OnClose([this, label] { Emit(Json::Object({{"type", "closed"}, {"label", label}})); });
  // tern reporting an error on a channel in a conversation with a conforming peer is an interop failure.
  dc->OnError([this, label](absl::Status s) {
    Emit(Json::Object({{"type", "error"}, {"message", Cat("channel ", label, ": OnError: ", s.ToString())}}));
  });
  dc->OnOpen([this, label, raw, origin] {
    Emit(Json::Object({{"type", "channel"},
                       {"label", label},
                       {"id", OptionalInt(raw->id())},
                       {"protocol", raw->protocol()},
                       {"ordered", raw->ordered()},
                       {"maxRetransmits", OptionalInt(raw->max_retransmits())},
                       {"maxPacketLifeTime", OptionalInt(raw->max_packet_life_time_ms())},
                       {"negotiated", raw->negotiated()},
                       {"origin", origin}}));
  });
}

Json TernEndpoint::Report(const std::string& label, const Channel& ch) const {
  return Json::Object({{"type", "received"},
                       {"label", label},
                       {"bytes", ch.bytes},
                       {"messages", static_cast<int64_t>(ch.received.size())},
                       {"strings", ch.strings},
                       {"binaries", ch.binaries},
                       {"minSize", ch.min_size},
                       {"maxSize", ch.max_size},
                       {"sha256", ch.digest->Hex()}});
}

absl::Status TernEndpoint::Send(const Json& command) {
  const std::string label = command.GetString("label");
  std::shared_ptr<DataChannel> dc;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = channels_.find(label);
    if (it == channels_.end()) return absl::NotFoundError(Cat(name_, ": send: no channel ", label));
    dc = it->second.dc;
  }
  const auto deadline = std::chrono::steady_clock::now() + kOpenTimeout;
  while (dc->ready_state() != DataChannelState::kOpen) {
    if (dc->ready_state() != DataChannelState::kConnecting || std::chrono::steady_clock::now() > deadline) {
      return absl::FailedPreconditionError(Cat(name_, ": send: channel ", label, " is ",
                                                        DataChannelStateName(dc->ready_state())));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  const int64_t count = command.GetInt("count");
  const size_t size = static_cast<size_t>(command.GetInt("size"));
  const bool binary = command.GetBool("binary", true);
  Sha256 digest;
  int64_t total = 0;
  for (int64_t j = 0; j < count; ++j) {
    std::vector<uint8_t> m = PatternMessage(j, size, binary);
    digest.Update(m.data(), m.size());
    total += static_cast<int64_t>(m.size());
    while (dc->buffered_amount() > kSendHighWater) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    absl::Status s = binary ? dc->Send(std::span<const uint8_t>(m))
                            : dc->Send(std::string_view(reinterpret_cast<const char*>(m.data()), m.size()));
    if (!s.ok()) {
      Emit(Json::Object({{"type", "error"}, {"message", Cat("send on ", label, ": ", s.ToString())}}));
      return s;
    }
  }
  Emit(Json::Object({{"type", "sent"}, {"label", label}, {"bytes", total}, {"messages", count}, {"sha256", digest.Hex()}}));
  return absl::OkStatus();
}

absl::Status TernEndpoint::VerifyReceived(const std::string& label, int64_t count, size_t size, bool binary) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = channels_.find(label);
  if (it == channels_.end()) return absl::NotFoundError("no channel " + label);
  const std::vector<DataChannelMessage>& got = it->second.received;
  if (static_cast<int64_t>(got.size()) != count) {
    return absl::FailedPreconditionError(Cat(got.size(), " messages kept, expected ", count));
  }
  for (int64_t j = 0; j < count; ++j) {
    const DataChannelMessage& m = got[static_cast<size_t>(j)];
    if (m.binary != binary) return absl::FailedPreconditionError(Cat("message ", j, " has the wrong type"));
    std::vector<uint8_t> want = PatternMessage(j, size, binary);
    if (m.data != want) {
      size_t at = 0;
      while (at < m.data.size() && at < want.size() && m.data[at] == want[at]) ++at;
      return absl::FailedPreconditionError(
          Cat("message ", j, " (", m.data.size(), " B) differs from the pattern at byte ", at));
    }
  }
  return absl::OkStatus();
}

}  // namespace tern::interop
