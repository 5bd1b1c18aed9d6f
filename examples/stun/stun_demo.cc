// tern-stun-demo: a real STUN Binding server and client (RFC 8489) over UDP on loopback, built on
// tern::stun. With no arguments it runs both in one process on 127.0.0.1 and prints the mapped address
// and round-trip times. It also runs either side alone:
//
//   tern-stun-demo                          server + client on 127.0.0.1, ephemeral port
//   tern-stun-demo --server 127.0.0.1:3478  server only (Ctrl-C to stop)
//   tern-stun-demo --client 127.0.0.1:3478  client only: 5 Binding requests
//
// Options: --count N (requests, default 5), --password P (short-term MESSAGE-INTEGRITY on both sides).
// This program is a thin wiring of sockets to the codec; lib/net's Runtime replaces the raw sockets
// once it exists.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "tern/base/random.h"
#include "tern/base/strings.h"
#include "tern/stun/stun.h"

namespace {

using tern::ByteSpan;
using tern::IpAddress;
using tern::SocketAddress;
namespace stun = tern::stun;

constexpr char kSoftware[] = "tern-stun-demo";

SocketAddress FromSockaddr(const sockaddr_storage& ss) {
  if (ss.ss_family == AF_INET6) {
    const auto& s6 = reinterpret_cast<const sockaddr_in6&>(ss);
    return SocketAddress(IpAddress::V6(std::span<const uint8_t, 16>(s6.sin6_addr.s6_addr, 16)),
                         ntohs(s6.sin6_port));
  }
  const auto& s4 = reinterpret_cast<const sockaddr_in&>(ss);
  return SocketAddress(
      IpAddress::V4(std::span<const uint8_t, 4>(reinterpret_cast<const uint8_t*>(&s4.sin_addr), 4)),
      ntohs(s4.sin_port));
}

socklen_t ToSockaddr(const SocketAddress& a, sockaddr_storage* ss) {
  std::memset(ss, 0, sizeof(*ss));
  if (a.ip().is_v6()) {
    auto* s6 = reinterpret_cast<sockaddr_in6*>(ss);
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(a.port());
    std::memcpy(s6->sin6_addr.s6_addr, a.ip().bytes().data(), 16);
    return sizeof(sockaddr_in6);
  }
  auto* s4 = reinterpret_cast<sockaddr_in*>(ss);
  s4->sin_family = AF_INET;
  s4->sin_port = htons(a.port());
  std::memcpy(&s4->sin_addr, a.ip().bytes().data(), 4);
  return sizeof(sockaddr_in);
}

int BindUdp(const SocketAddress& at, SocketAddress* bound) {
  int fd = socket(at.ip().is_v6() ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_storage ss;
  socklen_t len = ToSockaddr(at, &ss);
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    close(fd);
    return -1;
  }
  len = sizeof(ss);
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  *bound = FromSockaddr(ss);
  return fd;
}

// The server's whole protocol logic: a Binding request in, a response (or nothing) out.
std::optional<ByteSpan> AnswerBinding(ByteSpan datagram, const SocketAddress& source,
                                      const stun::IntegrityKey* key, std::span<uint8_t> out) {
  absl::StatusOr<stun::MessageView> req = stun::MessageView::Parse(datagram);
  if (!req.ok()) {
    std::fprintf(stderr, "server: dropped datagram from %s: %s\n", source.ToString().c_str(),
                 std::string(req.status().message()).c_str());
    return std::nullopt;
  }
  if (req->message_class() != stun::MessageClass::kRequest || req->method() != stun::method::kBinding) {
    return std::nullopt;
  }
  if (req->has_fingerprint() && !req->VerifyFingerprint().ok()) return std::nullopt;
  stun::MessageBuilder b(out, {stun::MessageClass::kSuccessResponse, stun::method::kBinding},
                         req->transaction_id());
  std::vector<uint16_t> unknown;
  req->CollectUnknownRequired(&unknown);
  absl::Status auth = key != nullptr ? req->VerifyIntegrity(*key) : absl::OkStatus();
  if (!unknown.empty() || !auth.ok()) {
    stun::MessageBuilder e(out, {stun::MessageClass::kErrorResponse, stun::method::kBinding},
                           req->transaction_id());
    if (!unknown.empty()) {
      e.AddErrorCode(stun::error::kUnknownAttribute).AddUnknownAttributes(unknown);
    } else {
      e.AddErrorCode(auth.code() == absl::StatusCode::kNotFound ? stun::error::kBadRequest
                                                                : stun::error::kUnauthenticated);
    }
    e.AddText(stun::attr::kSoftware, kSoftware);
    absl::StatusOr<ByteSpan> wire = e.Finish({.fingerprint = true});
    if (!wire.ok()) return std::nullopt;
    return *wire;
  }
  b.AddXorAddress(stun::attr::kXorMappedAddress, source).AddText(stun::attr::kSoftware, kSoftware);
  absl::StatusOr<ByteSpan> wire = b.Finish({.integrity = key, .fingerprint = true});
  if (!wire.ok()) return std::nullopt;
  return *wire;
}

void RunServer(int fd, const stun::IntegrityKey* key, const std::atomic<bool>* stop) {
  uint8_t in[2048];
  uint8_t out[2048];
  while (stop == nullptr || !stop->load()) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    sockaddr_storage from;
    socklen_t from_len = sizeof(from);
    ssize_t n = recvfrom(fd, in, sizeof(in), 0, reinterpret_cast<sockaddr*>(&from), &from_len);
    if (n <= 0) continue;
    std::optional<ByteSpan> reply =
        AnswerBinding(ByteSpan(in, static_cast<size_t>(n)), FromSockaddr(from), key, out);
    if (reply) sendto(fd, reply->data(), reply->size(), 0, reinterpret_cast<sockaddr*>(&from), from_len);
  }
}

// Returns 0 when every request was answered; *local_out and *mapped_out receive the addresses.
int RunClient(const SocketAddress& server, int count, const stun::IntegrityKey* key,
              SocketAddress* local_out = nullptr, SocketAddress* mapped_out = nullptr) {
  SocketAddress local;
  int fd = BindUdp(SocketAddress(server.ip().is_v6() ? IpAddress::LoopbackV6() : IpAddress::LoopbackV4(), 0),
                   &local);
  if (fd < 0) {
    std::perror("client socket");
    return 1;
  }
  std::printf("client %s -> STUN server %s\n", local.ToString().c_str(), server.ToString().c_str());
  tern::CryptoRandom random;
  std::vector<double> rtts;
  SocketAddress mapped;
  for (int i = 0; i < count; ++i) {
    uint8_t out[512];
    stun::TransactionId id = stun::TransactionId::Generate(random);
    stun::MessageBuilder b(out, {stun::MessageClass::kRequest, stun::method::kBinding}, id);
    b.AddText(stun::attr::kSoftware, kSoftware);
    absl::StatusOr<ByteSpan> req = b.Finish({.integrity = key, .fingerprint = true});
    if (!req.ok()) {
      std::fprintf(stderr, "build: %s\n", std::string(req.status().message()).c_str());
      return 1;
    }
    sockaddr_storage to;
    socklen_t to_len = ToSockaddr(server, &to);
    // RFC 8489 §6.2.1 retransmission: RTO 500 ms doubling, give up after 3 tries here (a demo).
    bool answered = false;
    for (int attempt = 0, rto_ms = 500; attempt < 3 && !answered; ++attempt, rto_ms *= 2) {
      auto start = std::chrono::steady_clock::now();
      sendto(fd, req->data(), req->size(), 0, reinterpret_cast<sockaddr*>(&to), to_len);
      pollfd p{fd, POLLIN, 0};
      while (!answered && poll(&p, 1, rto_ms) > 0) {
        uint8_t in[2048];
        ssize_t n = recv(fd, in, sizeof(in), 0);
        auto end = std::chrono::steady_clock::now();
        if (n <= 0) break;
        absl::StatusOr<stun::MessageView> resp = stun::MessageView::Parse(ByteSpan(in, static_cast<size_t>(n)));
        if (!resp.ok() || !(resp->transaction_id() == id)) continue;  // not ours
        if (!resp->VerifyFingerprint().ok()) continue;
        if (resp->message_class() == stun::MessageClass::kErrorResponse) {
          absl::StatusOr<stun::ErrorCodeValue> err = resp->GetErrorCode();
          std::fprintf(stderr, "server answered error %d %s\n", err.ok() ? err->code : 0,
                       err.ok() ? std::string(err->reason).c_str() : "");
          close(fd);
          return 1;
        }
        if (key != nullptr && !resp->VerifyIntegrity(*key).ok()) {
          std::fprintf(stderr, "response failed MESSAGE-INTEGRITY\n");
          continue;
        }
        absl::StatusOr<SocketAddress> xma = resp->GetXorMappedAddress();
        if (!xma.ok()) {
          std::fprintf(stderr, "response without XOR-MAPPED-ADDRESS: %s\n",
                       std::string(xma.status().message()).c_str());
          continue;
        }
        mapped = *xma;
        rtts.push_back(std::chrono::duration<double, std::micro>(end - start).count());
        answered = true;
      }
    }
    if (!answered) {
      std::fprintf(stderr, "request %d: no answer from %s\n", i + 1, server.ToString().c_str());
      close(fd);
      return 1;
    }
  }
  close(fd);
  std::sort(rtts.begin(), rtts.end());
  std::printf("mapped address: %s (%s)\n", mapped.ToString().c_str(),
              mapped == local ? "same as local: no NAT" : "differs from local: NAT");
  std::printf("round-trip time over %zu requests: median %.1f us, min %.1f us, max %.1f us\n", rtts.size(),
              rtts[rtts.size() / 2], rtts.front(), rtts.back());
  if (local_out != nullptr) *local_out = local;
  if (mapped_out != nullptr) *mapped_out = mapped;
  return 0;
}

int Usage() {
  std::fprintf(stderr,
               "usage: tern-stun-demo [--server ADDR:PORT | --client ADDR:PORT] [--count N] "
               "[--password P]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string server_arg, client_arg, password;
  int count = 5;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if ((a == "--server" || a == "--client" || a == "--count" || a == "--password") && i + 1 < argc) {
      std::string v = argv[++i];
      if (a == "--server") server_arg = v;
      if (a == "--client") client_arg = v;
      if (a == "--password") password = v;
      if (a == "--count" && (!absl::SimpleAtoi(v, &count) || count < 1 || count > 100000)) return Usage();
    } else {
      return Usage();
    }
  }
  std::optional<stun::IntegrityKey> key;
  if (!password.empty()) key = stun::IntegrityKey::ShortTerm(password);
  const stun::IntegrityKey* key_ptr = key ? &*key : nullptr;

  if (!client_arg.empty()) {
    absl::StatusOr<SocketAddress> server = SocketAddress::Parse(client_arg);
    if (!server.ok()) {
      std::fprintf(stderr, "%s\n", std::string(server.status().message()).c_str());
      return 2;
    }
    return RunClient(*server, count, key_ptr);
  }
  SocketAddress listen(IpAddress::LoopbackV4(), 0);
  if (!server_arg.empty()) {
    absl::StatusOr<SocketAddress> parsed = SocketAddress::Parse(server_arg);
    if (!parsed.ok()) {
      std::fprintf(stderr, "%s\n", std::string(parsed.status().message()).c_str());
      return 2;
    }
    listen = *parsed;
  }
  SocketAddress bound;
  int fd = BindUdp(listen, &bound);
  if (fd < 0) {
    std::perror("server bind");
    return 1;
  }
  std::printf("STUN server listening on %s\n", bound.ToString().c_str());
  std::fflush(stdout);
  if (!server_arg.empty()) {
    RunServer(fd, key_ptr, nullptr);
    return 0;
  }
  std::atomic<bool> stop{false};
  std::thread server([&] { RunServer(fd, key_ptr, &stop); });
  SocketAddress local, mapped;
  int rc = RunClient(bound, count, key_ptr, &local, &mapped);
  stop = true;
  server.join();
  close(fd);
  // On loopback there is no NAT: the server must have seen exactly the client's own address.
  if (rc == 0 && !(mapped == local)) {
    std::fprintf(stderr, "mapped address %s != local %s\n", mapped.ToString().c_str(), local.ToString().c_str());
    return 1;
  }
  return rc;
}
