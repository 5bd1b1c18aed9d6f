// Prometheus text endpoint for tern-turnserver (see metrics.h).
#include "metrics.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "tern/base/strings.h"

namespace tern::turnserver {
namespace {
constexpr size_t kMaxRequestBytes = 8192;
constexpr Duration kClientTimeout = Duration::Seconds(5);
constexpr size_t kMaxClients = 64;
}  // namespace

void MetricsWriter::Line(std::string_view type, std::string_view name, std::string_view help, uint64_t value,
                         std::string_view labels) {
  if (std::find(seen_.begin(), seen_.end(), name) == seen_.end()) {
    seen_.emplace_back(name);
    if (!help.empty()) absl::StrAppend(&out_, "# HELP ", ToAbsl(name), " ", ToAbsl(help), "\n");
    absl::StrAppend(&out_, "# TYPE ", ToAbsl(name), " ", ToAbsl(type), "\n");
  }
  absl::StrAppend(&out_, ToAbsl(name));
  if (!labels.empty()) absl::StrAppend(&out_, "{", ToAbsl(labels), "}");
  absl::StrAppend(&out_, " ", value, "\n");
}

void MetricsWriter::Counter(std::string_view name, std::string_view help, uint64_t value, std::string_view labels) {
  Line("counter", name, help, value, labels);
}
void MetricsWriter::Gauge(std::string_view name, std::string_view help, uint64_t value, std::string_view labels) {
  Line("gauge", name, help, value, labels);
}

struct MetricsEndpoint::Client {
  std::unique_ptr<AcceptedStream> stream;
  std::string request;
  bool answered = false;
  Timestamp deadline;
  TimerHandle timer;
};

absl::StatusOr<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::Start(EventLoop& loop, const SocketAddress& bind,
                                                                         TextSource source) {
  std::unique_ptr<MetricsEndpoint> m(new MetricsEndpoint(loop, std::move(source)));
  StreamListenerOptions o;
  o.bind = bind;
  o.max_connections = kMaxClients;
  MetricsEndpoint* self = m.get();
  absl::StatusOr<std::unique_ptr<StreamListener>> l =
      StreamListener::Listen(loop, o, [self](std::unique_ptr<AcceptedStream> s) { self->OnAccept(std::move(s)); });
  if (!l.ok()) {
    return absl::Status(l.status().code(), absl::StrCat("metrics endpoint: ", l.status().message()));
  }
  m->listener_ = *std::move(l);
  return m;
}

MetricsEndpoint::MetricsEndpoint(EventLoop& loop, TextSource source) : loop_(loop), source_(std::move(source)) {}

MetricsEndpoint::~MetricsEndpoint() {
  loop_.Cancel(reaper_);
  for (auto& c : clients_) loop_.Cancel(c->timer);
}

void MetricsEndpoint::OnAccept(std::unique_ptr<AcceptedStream> stream) {
  auto client = std::make_unique<Client>();
  Client* c = client.get();
  c->stream = std::move(stream);
  c->deadline = loop_.Now() + kClientTimeout;
  StreamCallbacks cb;
  cb.on_data = [this, c](ByteSpan b) { OnData(c, b); };
  cb.on_closed = [this, c](absl::Status) { Remove(c); };
  c->timer = loop_.RunAfter(kClientTimeout, [this, c] {
    c->timer = TimerHandle();
    Remove(c);
  });
  c->stream->Start(std::move(cb));
  clients_.push_back(std::move(client));
}

void MetricsEndpoint::OnData(Client* c, ByteSpan bytes) {
  if (c->answered) return;
  c->request.append(reinterpret_cast<const char*>(bytes.data()), std::min(bytes.size(), kMaxRequestBytes));
  if (c->request.size() >= kMaxRequestBytes) {
    Remove(c);
    return;
  }
  if (c->request.find("\r\n\r\n") == std::string::npos && c->request.find("\n\n") == std::string::npos) return;
  c->answered = true;
  const bool ok = c->request.rfind("GET /metrics ", 0) == 0 || c->request.rfind("GET /metrics?", 0) == 0;
  std::string body = ok ? source_() : std::string("not found: try /metrics\n");
  std::string response = absl::StrCat(ok ? "HTTP/1.1 200 OK\r\n" : "HTTP/1.1 404 Not Found\r\n",
                                      ok ? "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
                                         : "Content-Type: text/plain\r\n",
                                      "Content-Length: ", body.size(), "\r\nConnection: close\r\n\r\n", body);
  (void)c->stream->Write(ByteSpan(reinterpret_cast<const uint8_t*>(response.data()), response.size()));
  Finish(c);
}

// Closes once the response has left (Close() would drop unsent bytes).
void MetricsEndpoint::Finish(Client* c) {
  if (c->stream->queued_bytes() == 0 || loop_.Now() > c->deadline) {
    Remove(c);
    return;
  }
  loop_.Cancel(c->timer);
  c->timer = loop_.RunAfter(Duration::Millis(5), [this, c] {
    c->timer = TimerHandle();
    Finish(c);
  });
}

void MetricsEndpoint::Remove(Client* c) {
  auto it = std::find_if(clients_.begin(), clients_.end(), [c](const auto& p) { return p.get() == c; });
  if (it == clients_.end()) return;
  loop_.Cancel(c->timer);
  c->stream->Close();
  dead_.push_back(std::move(*it));
  clients_.erase(it);
  if (!reaper_.valid()) {
    reaper_ = loop_.RunAfter(Duration::Zero(), [this] {
      reaper_ = TimerHandle();
      dead_.clear();
    });
  }
}

}  // namespace tern::turnserver
