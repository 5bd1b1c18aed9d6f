// Prometheus text exposition (format 0.0.4) over a minimal HTTP/1.1 endpoint: `GET /metrics` answers
// 200 with the text, anything else 404; one request per connection. For tern-turnserver's counters.
#ifndef TERN_EXAMPLES_TURN_SERVER_METRICS_H_
#define TERN_EXAMPLES_TURN_SERVER_METRICS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "tern/net/runtime.h"
#include "tern/net/stream_listener.h"

namespace tern::turnserver {

// Builds the text: `# HELP` / `# TYPE` once per metric name, then `name{labels} value` lines.
class MetricsWriter {
 public:
  // `labels` is the inside of the braces (`direction="rx"`), empty for none; `help` is used the first
  // time a name appears.
  void Counter(std::string_view name, std::string_view help, uint64_t value, std::string_view labels = {});
  void Gauge(std::string_view name, std::string_view help, uint64_t value, std::string_view labels = {});
  std::string Take() { return std::move(out_); }

 private:
  void Line(std::string_view type, std::string_view name, std::string_view help, uint64_t value,
            std::string_view labels);
  std::string out_;
  std::vector<std::string> seen_;
};

// The HTTP side. Loop thread only.
class MetricsEndpoint {
 public:
  using TextSource = absl::AnyInvocable<std::string() const>;
  static absl::StatusOr<std::unique_ptr<MetricsEndpoint>> Start(EventLoop& loop, const SocketAddress& bind,
                                                                TextSource source);
  ~MetricsEndpoint();
  SocketAddress local_address() const { return listener_->local_address(); }

 private:
  struct Client;
  MetricsEndpoint(EventLoop& loop, TextSource source);
  void OnAccept(std::unique_ptr<AcceptedStream> stream);
  void OnData(Client* c, ByteSpan bytes);
  void Finish(Client* c);
  void Remove(Client* c);

  EventLoop& loop_;
  TextSource source_;
  std::unique_ptr<StreamListener> listener_;
  std::vector<std::unique_ptr<Client>> clients_;
  std::vector<std::unique_ptr<Client>> dead_;
  TimerHandle reaper_;
};

}  // namespace tern::turnserver

#endif  // TERN_EXAMPLES_TURN_SERVER_METRICS_H_
