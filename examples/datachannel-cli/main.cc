// tern-datachannel-cli: a WebRTC data channel from the command line.
//
//   tern-datachannel-cli --auto [--pings N] [--megabytes M] [--message-kib K]
//       Two peers in one process on 127.0.0.1 (each on its own loop thread) connect, open a channel and
//       print the setup time (CreateOffer -> channel open on both sides), the round-trip time (median of
//       N pings) and the throughput of one reliable ordered channel (K KiB messages, M MiB in total).
//
//   tern-datachannel-cli --offer  [--bind IP]...   (then paste the answer line)
//   tern-datachannel-cli --answer [--bind IP]...   (paste the offer line first)
//       Copy-paste signalling: each side prints its description, with its candidates, as one line
//       (base64 of {"type":...,"sdp":...}) and reads the other side's line from stdin. Once the channel
//       is open, each line typed is sent, and each message received is printed.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "tern/tern.h"

namespace {

using Clock = std::chrono::steady_clock;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// --- signalling line: base64(JSON) ------------------------------------------------------------------

std::string JsonEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out;
}

// The value of string member `name` in a flat JSON object (enough for what EncodeLine writes and for
// what browsers' JSON.stringify(description) gives).
bool JsonString(const std::string& json, const std::string& name, std::string* out) {
  std::string key = "\"" + name + "\"";
  size_t p = json.find(key);
  if (p == std::string::npos) return false;
  p = json.find(':', p + key.size());
  if (p == std::string::npos) return false;
  p = json.find('"', p);
  if (p == std::string::npos) return false;
  out->clear();
  for (size_t i = p + 1; i < json.size(); ++i) {
    char c = json[i];
    if (c == '"') return true;
    if (c == '\\' && i + 1 < json.size()) {
      char e = json[++i];
      switch (e) {
        case 'n': *out += '\n'; break;
        case 'r': *out += '\r'; break;
        case 't': *out += '\t'; break;
        case 'u':
          if (i + 4 < json.size()) {
            *out += static_cast<char>(std::strtol(json.substr(i + 1, 4).c_str(), nullptr, 16));
            i += 4;
          }
          break;
        default: *out += e;
      }
    } else {
      *out += c;
    }
  }
  return false;
}

std::string EncodeLine(const tern::SessionDescription& d) {
  std::string json = "{\"type\":\"" + std::string(tern::SdpTypeName(d.type)) + "\",\"sdp\":\"" + JsonEscape(d.sdp) + "\"}";
  return absl::Base64Escape(json);
}

absl::StatusOr<tern::SessionDescription> DecodeLine(std::string line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r' || line.back() == ' ')) line.pop_back();
  std::string json;
  if (!line.empty() && line[0] == '{') {
    json = line;  // raw JSON is fine too
  } else if (!absl::Base64Unescape(line, &json)) {
    return absl::InvalidArgumentError("the line is neither base64 nor JSON");
  }
  std::string type, sdp;
  if (!JsonString(json, "type", &type) || !JsonString(json, "sdp", &sdp)) {
    return absl::InvalidArgumentError("expected {\"type\":...,\"sdp\":...}");
  }
  absl::StatusOr<tern::SdpType> t = tern::ParseSdpType(type);
  if (!t.ok()) return t.status();
  return tern::SessionDescription{*t, sdp};
}

[[noreturn]] void Die(const std::string& what, const absl::Status& s) {
  std::fprintf(stderr, "tern-datachannel-cli: %s: %s\n", what.c_str(), std::string(s.message()).c_str());
  std::exit(1);
}

template <typename T>
T Must(absl::StatusOr<T> v, const std::string& what) {
  if (!v.ok()) Die(what, v.status());
  return std::move(*v);
}

void Must(const absl::Status& s, const std::string& what) {
  if (!s.ok()) Die(what, s);
}

// Candidates passed from a loop thread to the main thread (one PeerConnection's loop must not wait on
// another's).
class Mailbox {
 public:
  void Push(std::function<void()> f) {
    std::lock_guard<std::mutex> lock(mu_);
    q_.push_back(std::move(f));
    cv_.notify_all();
  }
  // Runs what arrived, waiting up to `wait` for something.
  void RunPending(std::chrono::milliseconds wait) {
    std::deque<std::function<void()>> q;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, wait, [&] { return !q_.empty(); });
      q.swap(q_);
    }
    for (auto& f : q) f();
  }
  void Notify() {
    std::lock_guard<std::mutex> lock(mu_);
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> q_;
};

// --- --auto -----------------------------------------------------------------------------------------

int RunAuto(int pings, int megabytes, int message_kib) {
  auto runtime = Must(tern::Runtime::Create({.num_loops = 2}), "Runtime::Create");
  tern::Configuration config;
  config.bind_addresses = {tern::IpAddress::LoopbackV4()};
  auto a = Must(tern::PeerConnection::Create(*runtime, config), "PeerConnection::Create");
  auto b = Must(tern::PeerConnection::Create(*runtime, config), "PeerConnection::Create");
  Mailbox mailbox;
  a->OnLocalCandidate([&](tern::IceCandidate c) { mailbox.Push([&, c] { Must(b->AddIceCandidate(c), "b.AddIceCandidate"); }); });
  b->OnLocalCandidate([&](tern::IceCandidate c) { mailbox.Push([&, c] { Must(a->AddIceCandidate(c), "a.AddIceCandidate"); }); });

  // b: echo on "ping", count on "bulk".
  std::atomic<uint64_t> bulk_received{0};
  std::atomic<int64_t> bulk_done_ns{0};
  const uint64_t bulk_total = static_cast<uint64_t>(megabytes) << 20;
  std::atomic<int64_t> b_open_ns{0};
  std::vector<std::shared_ptr<tern::DataChannel>> b_channels;  // b's loop thread only
  b->OnDataChannel([&](std::shared_ptr<tern::DataChannel> ch) {
    tern::DataChannel* raw = ch.get();
    if (ch->label() == "ping") {
      b_open_ns = Clock::now().time_since_epoch().count();
      mailbox.Notify();
      ch->OnMessage([raw](tern::DataChannelMessage m) { (void)raw->Send(m.text()); });
    } else {
      ch->OnMessage([&](tern::DataChannelMessage m) {
        uint64_t got = bulk_received.fetch_add(m.data.size()) + m.data.size();
        if (got >= bulk_total) {
          bulk_done_ns = Clock::now().time_since_epoch().count();
          mailbox.Notify();
        }
      });
    }
    b_channels.push_back(std::move(ch));
  });

  // Setup: CreateOffer -> open on both sides.
  Clock::time_point t0 = Clock::now();
  std::shared_ptr<tern::DataChannel> ping = Must(a->CreateDataChannel("ping"), "CreateDataChannel");
  std::atomic<int64_t> a_open_ns{0};
  ping->OnOpen([&] {
    a_open_ns = Clock::now().time_since_epoch().count();
    mailbox.Notify();
  });
  tern::SessionDescription offer = Must(a->CreateOffer(), "CreateOffer");
  Must(a->SetLocalDescription(offer), "a.SetLocalDescription");
  Must(b->SetRemoteDescription(offer), "b.SetRemoteDescription");
  tern::SessionDescription answer = Must(b->CreateAnswer(), "CreateAnswer");
  Must(b->SetLocalDescription(answer), "b.SetLocalDescription");
  Must(a->SetRemoteDescription(answer), "a.SetRemoteDescription");
  Clock::time_point deadline = Clock::now() + std::chrono::seconds(20);
  while ((a_open_ns == 0 || b_open_ns == 0) && Clock::now() < deadline) mailbox.RunPending(std::chrono::milliseconds(5));
  if (a_open_ns == 0 || b_open_ns == 0) {
    std::fprintf(stderr, "the channel did not open (state %s)\n",
                 std::string(tern::PeerConnectionStateName(a->connection_state())).c_str());
    return 1;
  }
  Clock::time_point opened = Clock::time_point(Clock::duration(std::max(a_open_ns.load(), b_open_ns.load())));
  double setup_ms = Ms(opened - t0);

  // RTT: ping-pong driven on a's loop thread.
  std::vector<double> rtts;
  std::atomic<bool> pings_done{false};
  Clock::time_point ping_sent;
  int pings_left = pings;
  tern::DataChannel* ping_raw = ping.get();
  ping->OnMessage([&](tern::DataChannelMessage) {
    rtts.push_back(std::chrono::duration<double, std::micro>(Clock::now() - ping_sent).count());
    if (--pings_left > 0) {
      ping_sent = Clock::now();
      (void)ping_raw->Send("ping");
    } else {
      pings_done = true;
      mailbox.Notify();
    }
  });
  // Kick the first ping from a's loop: OnOpen already fired, so OnOpen runs the new callback at once.
  ping->OnOpen([&] {
    ping_sent = Clock::now();
    (void)ping_raw->Send("ping");
  });
  deadline = Clock::now() + std::chrono::seconds(20);
  while (!pings_done && Clock::now() < deadline) mailbox.RunPending(std::chrono::milliseconds(5));
  std::sort(rtts.begin(), rtts.end());
  double rtt_us = rtts.empty() ? 0 : rtts[rtts.size() / 2];

  // Throughput: reliable ordered, message_kib KiB messages, refilled on bufferedAmountLow (a's loop).
  std::shared_ptr<tern::DataChannel> bulk = Must(a->CreateDataChannel("bulk"), "CreateDataChannel");
  tern::DataChannel* bulk_raw = bulk.get();
  const size_t message = static_cast<size_t>(message_kib) * 1024;
  std::vector<uint8_t> payload(message, 0xab);
  uint64_t queued = 0;
  std::atomic<int64_t> bulk_start_ns{0};
  auto refill = [&] {
    while (queued < bulk_total && bulk_raw->buffered_amount() < 4 * message + (1 << 20)) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(message, bulk_total - queued));
      if (!bulk_raw->Send(std::span<const uint8_t>(payload.data(), n)).ok()) break;
      queued += n;
    }
  };
  bulk->SetBufferedAmountLowThreshold(1 << 20);
  bulk->OnBufferedAmountLow(refill);
  bulk->OnOpen([&] {
    bulk_start_ns = Clock::now().time_since_epoch().count();
    refill();
  });
  deadline = Clock::now() + std::chrono::seconds(120);
  while (bulk_done_ns == 0 && Clock::now() < deadline) mailbox.RunPending(std::chrono::milliseconds(5));
  if (bulk_done_ns == 0) {
    std::fprintf(stderr, "throughput run did not finish: %llu of %llu bytes\n",
                 static_cast<unsigned long long>(bulk_received.load()), static_cast<unsigned long long>(bulk_total));
    return 1;
  }
  double seconds = std::chrono::duration<double>(Clock::duration(bulk_done_ns.load() - bulk_start_ns.load())).count();
  double mbps = static_cast<double>(bulk_total) / 1e6 / seconds;

  tern::Stats stats = Must(a->GetStats(), "GetStats");
  const tern::CandidatePairStats* pair = stats.SelectedCandidatePair();
  std::printf("tern data channel, two peers on 127.0.0.1\n");
  if (pair) {
    // "127.0.0.1:33377 host" for a candidate id of the stats report.
    auto describe = [&stats](const std::string& id) {
      for (const auto* list : {&stats.local_candidates, &stats.remote_candidates}) {
        for (const tern::IceCandidateStats& c : *list) {
          if (c.id == id) return c.address + ":" + std::to_string(c.port) + " " + c.candidate_type;
        }
      }
      return id;
    };
    std::printf("  selected pair      %s <-> %s\n", describe(pair->local_candidate_id).c_str(),
                describe(pair->remote_candidate_id).c_str());
  }
  if (!stats.transports.empty()) std::printf("  dtls               %s\n", stats.transports[0].dtls_cipher.c_str());
  std::printf("  setup time         %.2f ms  (CreateOffer -> channel open on both sides)\n", setup_ms);
  std::printf("  round-trip time    %.1f us  (median of %zu pings)\n", rtt_us, rtts.size());
  std::printf("  throughput         %.1f MB/s  (reliable ordered, %d KiB messages, %d MiB)\n", mbps, message_kib,
              megabytes);
  a.reset();
  b.reset();
  return 0;
}

// --- copy-paste signalling ------------------------------------------------------------------------

int RunInteractive(bool offer, const std::vector<tern::IpAddress>& binds) {
  auto runtime = Must(tern::Runtime::Create(), "Runtime::Create");
  tern::Configuration config;
  config.bind_addresses = binds;
  auto pc = Must(tern::PeerConnection::Create(*runtime, config), "PeerConnection::Create");
  std::atomic<bool> gathered{false};
  pc->OnIceGatheringStateChange([&](tern::IceGatheringState s) {
    if (s == tern::IceGatheringState::kComplete) gathered = true;
  });
  pc->OnConnectionStateChange([](tern::PeerConnectionState s) {
    std::fprintf(stderr, "[state] %s\n", std::string(tern::PeerConnectionStateName(s)).c_str());
  });
  std::mutex mu;
  std::shared_ptr<tern::DataChannel> channel;
  auto attach = [&](std::shared_ptr<tern::DataChannel> ch) {
    ch->OnOpen([label = ch->label()] { std::fprintf(stderr, "[open] channel \"%s\": type lines to send\n", label.c_str()); });
    ch->OnMessage([](tern::DataChannelMessage m) {
      std::printf("> %.*s\n", static_cast<int>(m.data.size()), reinterpret_cast<const char*>(m.data.data()));
      std::fflush(stdout);
    });
    ch->OnClose([] { std::fprintf(stderr, "[closed]\n"); });
    std::lock_guard<std::mutex> lock(mu);
    channel = std::move(ch);
  };
  auto wait_gathered = [&] {
    for (int i = 0; i < 1000 && !gathered; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  };
  std::string line;
  if (offer) {
    attach(Must(pc->CreateDataChannel("chat"), "CreateDataChannel"));
    Must(pc->SetLocalDescription(Must(pc->CreateOffer(), "CreateOffer")), "SetLocalDescription");
    wait_gathered();
    std::printf("%s\n", EncodeLine(*pc->local_description()).c_str());
    std::fflush(stdout);
    std::fprintf(stderr, "paste the answer line:\n");
    if (!std::getline(std::cin, line)) return 1;
    Must(pc->SetRemoteDescription(Must(DecodeLine(line), "answer")), "SetRemoteDescription");
  } else {
    pc->OnDataChannel([&](std::shared_ptr<tern::DataChannel> ch) { attach(std::move(ch)); });
    std::fprintf(stderr, "paste the offer line:\n");
    if (!std::getline(std::cin, line)) return 1;
    Must(pc->SetRemoteDescription(Must(DecodeLine(line), "offer")), "SetRemoteDescription");
    Must(pc->SetLocalDescription(Must(pc->CreateAnswer(), "CreateAnswer")), "SetLocalDescription");
    wait_gathered();
    std::printf("%s\n", EncodeLine(*pc->local_description()).c_str());
    std::fflush(stdout);
  }
  while (std::getline(std::cin, line)) {
    std::shared_ptr<tern::DataChannel> ch;
    {
      std::lock_guard<std::mutex> lock(mu);
      ch = channel;
    }
    if (!ch) {
      std::fprintf(stderr, "[no channel yet]\n");
      continue;
    }
    absl::Status s = ch->Send(line);
    if (!s.ok()) std::fprintf(stderr, "[send] %s\n", std::string(s.message()).c_str());
  }
  pc->Close();
  return 0;
}

void Usage() {
  std::fprintf(stderr,
               "usage: tern-datachannel-cli --auto [--pings N] [--megabytes M] [--message-kib K]\n"
               "       tern-datachannel-cli --offer|--answer [--bind IP]...\n");
}

}  // namespace

int main(int argc, char** argv) {
  enum { kNone, kAuto, kOffer, kAnswer } mode = kNone;
  int pings = 100, megabytes = 64, message_kib = 64;
  std::vector<tern::IpAddress> binds;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        Usage();
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--auto") {
      mode = kAuto;
    } else if (arg == "--offer") {
      mode = kOffer;
    } else if (arg == "--answer") {
      mode = kAnswer;
    } else if (arg == "--pings") {
      pings = std::max(1, std::atoi(next().c_str()));
    } else if (arg == "--megabytes") {
      megabytes = std::max(1, std::atoi(next().c_str()));
    } else if (arg == "--message-kib") {
      message_kib = std::clamp(std::atoi(next().c_str()), 1, 256);
    } else if (arg == "--bind") {
      absl::StatusOr<tern::IpAddress> ip = tern::IpAddress::Parse(next());
      if (!ip.ok()) Die("--bind", ip.status());
      binds.push_back(*ip);
    } else {
      Usage();
      return 2;
    }
  }
  switch (mode) {
    case kAuto: return RunAuto(pings, megabytes, message_kib);
    case kOffer: return RunInteractive(true, binds);
    case kAnswer: return RunInteractive(false, binds);
    case kNone: break;
  }
  Usage();
  return 2;
}
