// tern-turnserver: a TURN/STUN relay (RFC 8656, RFC 8489) that reads coturn's turnserver.conf.
//
//   tern-turnserver -c /etc/turnserver.conf [--key=value ...]
//
// The protocol lives in lib/turn (sans-IO); this program wires it to lib/net (server.cc), the config
// (config.cc), a log file and signals: SIGHUP reopens the log file, SIGUSR2 reloads the TLS certificate,
// SIGINT/SIGTERM stop. Exit codes: 0 after a clean stop, 2 for a bad config or command line, 1 when the
// server cannot start (ports taken, unreadable certificate).
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include "config.h"
#include "log_file.h"
#include "server.h"
#include "tern/base/log.h"
#include "tern/net/runtime.h"

namespace {

using tern::turnserver::Config;

constexpr char kUsage[] =
    "usage: tern-turnserver [-c turnserver.conf] [-n] [--key=value ...] [--check-config]\n"
    "Reads coturn's configuration keys (see examples/turn-server/README.md). Options on the command line\n"
    "override the file. Signals: HUP reopens log-file, USR2 reloads cert/pkey, INT/TERM stop.\n";

int Fail(int code, const std::string& message) {
  fprintf(stderr, "tern-turnserver: %s\n", message.c_str());
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  tern::turnserver::CommandLine command_line;
  absl::StatusOr<Config> config = tern::turnserver::LoadConfig(argc, argv, &command_line);
  if (!config.ok()) return Fail(2, std::string(config.status().message()));
  if (command_line.help) {
    fputs(kUsage, stdout);
    return 0;
  }
  for (const std::string& w : config->warnings) fprintf(stderr, "tern-turnserver: warning: %s\n", w.c_str());
  if (absl::Status s = config->Validate(); !s.ok()) return Fail(2, std::string(s.message()));
  if (config->no_auth) return Fail(2, "no-auth is not supported: tern-turnserver always authenticates");
  if (command_line.check_only) {
    printf("%s\n", tern::turnserver::DescribeConfig(*config).c_str());
    return 0;
  }

  tern::turnserver::FileLogSink log(config->log_file);
  if (absl::Status s = log.Open(); !s.ok()) return Fail(1, std::string(s.message()));
  tern::SetLogSink(&log);
  tern::SetMinLogSeverity(config->verbose ? tern::LogSeverity::kVerbose : tern::LogSeverity::kInfo);
  for (const std::string& w : config->warnings) log.Note("warning: " + w);

  // Signals are taken synchronously by this thread; loop threads inherit the blocked mask.
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGHUP, SIGUSR2, SIGINT, SIGTERM}) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  tern::RuntimeOptions options;
  options.num_loops = 1;  // one core, one loop: the core is single-threaded by design
  options.udp_recv_batch = 64;
  options.thread_name_prefix = "turn-loop";
  absl::StatusOr<std::unique_ptr<tern::Runtime>> runtime = tern::Runtime::Create(options);
  if (!runtime.ok()) return Fail(1, std::string(runtime.status().message()));
  tern::EventLoop& loop = (*runtime)->loop(0);

  std::unique_ptr<tern::turnserver::RelayServer> server;
  absl::Status started;
  loop.RunSync([&] {
    server = std::make_unique<tern::turnserver::RelayServer>(loop, *config);
    started = server->Start();
    if (started.ok()) {
      for (const std::string& l : server->ListeningDescription()) log.Note("listening: " + l);
    } else {
      server.reset();
    }
  });
  if (!started.ok()) {
    log.Note("cannot start: " + std::string(started.message()));
    tern::SetLogSink(nullptr);
    return Fail(1, std::string(started.message()));
  }
  if (!config->pidfile.empty()) {
    std::ofstream(config->pidfile) << getpid() << "\n";
  }
  log.Note(tern::turnserver::DescribeConfig(*config));
  log.Note("started");

  while (true) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGHUP) {
      absl::Status s = log.Reopen();
      log.Note(s.ok() ? "SIGHUP: log file reopened" : "SIGHUP: " + std::string(s.message()));
    } else if (sig == SIGUSR2) {
      absl::Status s;
      loop.RunSync([&] { s = server->ReloadTls(); });
      log.Note(s.ok() ? "SIGUSR2: TLS certificate reloaded" : "SIGUSR2: reload failed: " + std::string(s.message()));
    } else {
      log.Note(sig == SIGINT ? "SIGINT: stopping" : "SIGTERM: stopping");
      break;
    }
  }
  loop.RunSync([&] { server.reset(); });
  (*runtime)->Stop();
  if (!config->pidfile.empty()) unlink(config->pidfile.c_str());
  log.Note("stopped");
  tern::SetLogSink(nullptr);
  return 0;
}
