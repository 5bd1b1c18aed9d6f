// libFuzzer harness for the RFC 7983 demultiplexer and tern's DTLS endpoint (RFC 6347 on BoringSSL).
//
// Input: one mode byte, then chunks [op:1][length:2 big-endian][bytes:length] (a short final chunk
// takes what is left). Mode bit 0 chooses:
//  0 — unauthenticated peer: datagrams go through ClassifyPacket to a started DTLS server (and, by
//      op, to a started client awaiting a ServerHello), with virtual time advancing on demand. The
//      endpoints expect the fixed identities below, whose flights the seeds carry, so recorded
//      Certificate messages pass the fingerprint check; but every live handshake signs fresh
//      BoringSSL randoms, so no input can make either side connect.
//  1 — after a handshake: a fixed in-memory client completes a real handshake with the server first;
//      then chunks are sent as application data (both ways), injected raw, spliced into genuine
//      records, replayed, or turned into time passing or close_notify.
// Invariants (fuzz_check.h): ClassifyPacket agrees with RFC 7983's first-byte table and IsRtcpPacket
// with RFC 5761 §4; no datagram is larger than the MTU; state moves only forward (a failed or closed
// endpoint stays so) and reports at most one DtlsFailed, always with a non-OK status; mode 0 never
// connects; in mode 1 exactly the bytes sent as application data arrive, in order, and a replayed or
// altered record never delivers anything.
//
// BoringSSL draws its randoms from its own RNG, so runs do not repeat byte for byte; the invariants
// do not depend on those bytes.
//
// Built with -DTERN_DTLS_DEMUX_CORPUS_GENERATOR (target tern_dtls_demux_corpus_gen, defined in
// tests/unit/dtls/CMakeLists.txt) this file is instead the program that writes the seed corpus
// fuzz/corpus/dtls_demux/ from a real in-memory handshake between the two fixed identities:
//   build/<dir>/tests/unit/dtls/tern_dtls_demux_corpus_gen fuzz/corpus/dtls_demux
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "fuzz_check.h"
#include "tern/base/byte_io.h"
#include "tern/base/random.h"
#include "tern/dtls/dtls.h"

namespace tern {
namespace {

constexpr size_t kMtu = 1200;

// Two fixed ECDSA P-256 identities (made once with `openssl req`; test keys, not secrets), so that
// recorded flights in the seeds carry certificates the endpoints accept.
constexpr char kServerCertPem[] = R"(-----BEGIN CERTIFICATE-----
MIIBejCCASCgAwIBAgIBATAKBggqhkjOPQQDAjAbMRkwFwYDVQQDDBB0ZXJuLWZ1
enotc2VydmVyMCAXDTI2MTEyMzA5MTEwN1oYDzIxMjYxMDMwMDkxMTA3WjAbMRkw
FwYDVQQDDBB0ZXJuLWZ1enotc2VydmVyMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcD
QgAEmum4H7HFyHiis6WBfRJiRPPwm25PzPj5mlY0URAyQrUrNPJ4okcatwf/UNkB
vcz3e3rR4yWJsn8qnAvFMe40t6NTMFEwHQYDVR0OBBYEFJLaUUBnnx7ixSy79HFn
Yab8oCp6MB8GA1UdIwQYMBaAFJLaUUBnnx7ixSy79HFnYab8oCp6MA8GA1UdEwEB
/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIgNTVTBv+MqKkomqDU4ryyECSBz8+X
bbaXFowyVB5n6sICIQCWVwxLQTZUVClN2TjaUAxvOE8PYtMntgMhei/Bp8BQ7Q==
-----END CERTIFICATE-----
)";
constexpr char kServerKeyPem[] = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgot7LJjEk7pS2Tiae
ViEsFDHfiZwVJ7JX2nJ6GLOOohKhRANCAASa6bgfscXIeKKzpYF9EmJE8/Cbbk/M
+PmaVjRREDJCtSs08niiRxq3B/9Q2QG9zPd7etHjJYmyfyqcC8Ux7jS3
-----END PRIVATE KEY-----
)";
constexpr char kClientCertPem[] = R"(-----BEGIN CERTIFICATE-----
MIIBeTCCASCgAwIBAgIBATAKBggqhkjOPQQDAjAbMRkwFwYDVQQDDBB0ZXJuLWZ1
enotY2xpZW50MCAXDTI2MTEyMzA5MTEwN1oYDzIxMjYxMDMwMDkxMTA3WjAbMRkw
FwYDVQQDDBB0ZXJuLWZ1enotY2xpZW50MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcD
QgAE8wt9/a20VINoTQTI4qvWI1jVrGQ6hNEc7d5G6stTBPPKHhgcQ3yvQulHfqIe
dVY4zkEcwhfeXrdkaKMq0q+2MqNTMFEwHQYDVR0OBBYEFLbj21KnankGDhfYzS81
nRfn0KiDMB8GA1UdIwQYMBaAFLbj21KnankGDhfYzS81nRfn0KiDMA8GA1UdEwEB
/wQFMAMBAf8wCgYIKoZIzj0EAwIDRwAwRAIgcfw8kWO5SrvqEc7zCuIZWX74heaJ
2akBalw8frLfh8ACIAtV97T4mFVqhQJqvlqLfksgdFUSHeLd/R0V4vZJn6uZ
-----END CERTIFICATE-----
)";
constexpr char kClientKeyPem[] = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgFDbgj7JFtstaap8H
sRAg92Gag7xpuAy2DpLF0f/ozEGhRANCAATzC339rbRUg2hNBMjiq9YjWNWsZDqE
0Rzt3kbqy1ME88oeGBxDfK9C6Ud+oh51VjjOQRzCF95et2RooyrSr7Yy
-----END PRIVATE KEY-----
)";

enum Identity { kServerIdentity = 0, kClientIdentity = 1 };

const DtlsCertificate& Certificate(Identity which) {
  static const DtlsCertificate* const certs = [] {
    auto* c = new DtlsCertificate[2];
    c[kServerIdentity] = *DtlsCertificate::FromPem(kServerCertPem, kServerKeyPem);
    c[kClientIdentity] = *DtlsCertificate::FromPem(kClientCertPem, kClientKeyPem);
    return c;
  }();
  return certs[which];
}

class Reader {
 public:
  Reader(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool Next(uint8_t* op, ByteSpan* bytes) {
    if (at_ >= size_) return false;
    *op = data_[at_++];
    size_t len = 0;
    if (at_ + 2 <= size_) {
      len = size_t{data_[at_]} << 8 | data_[at_ + 1];
      at_ += 2;
    } else {
      at_ = size_;
    }
    len = std::min(len, size_ - at_);
    *bytes = ByteSpan(data_ + at_, len);
    at_ += len;
    return true;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t at_ = 0;
};

void CheckClassification(ByteSpan d) {
  const PacketKind kind = ClassifyPacket(d);
  if (d.empty()) {
    TERN_FUZZ_CHECK(kind == PacketKind::kUnknown);
    TERN_FUZZ_CHECK(!IsRtcpPacket(d));
    return;
  }
  const uint8_t b = d[0];
  const PacketKind expected = b <= 3                   ? PacketKind::kStun
                              : (b >= 16 && b <= 19)   ? PacketKind::kZrtp
                              : (b >= 20 && b <= 63)   ? PacketKind::kDtls
                              : (b >= 64 && b <= 79)   ? PacketKind::kTurnChannel
                              : (b >= 128 && b <= 191) ? PacketKind::kRtpRtcp
                                                       : PacketKind::kUnknown;
  TERN_FUZZ_CHECK(kind == expected);
  TERN_FUZZ_CHECK(IsRtcpPacket(d) ==
                  (kind == PacketKind::kRtpRtcp && d.size() >= 2 && d[1] >= 192 && d[1] <= 223));
}

// Tracks one endpoint's outputs and checks the state invariants after every step.
struct Watched {
  explicit Watched(DtlsEndpoint e) : endpoint(std::move(e)) {}
  DtlsEndpoint endpoint;
  std::deque<std::vector<uint8_t>> sent;
  std::vector<std::vector<uint8_t>> received;
  int connected = 0;
  int failed = 0;
  int closed = 0;
  DtlsState last_state = DtlsState::kNew;

  void Drain() {
    while (std::optional<std::vector<uint8_t>> d = endpoint.PollTransmit()) {
      TERN_FUZZ_CHECK(!d->empty());
      TERN_FUZZ_CHECK(d->size() <= kMtu);
      TERN_FUZZ_CHECK(ClassifyPacket(*d) == PacketKind::kDtls);
      sent.push_back(std::move(*d));
    }
    while (std::optional<DtlsEvent> e = endpoint.PollEvent()) {
      if (std::holds_alternative<DtlsConnected>(*e)) {
        ++connected;
      } else if (const auto* f = std::get_if<DtlsFailed>(&*e)) {
        TERN_FUZZ_CHECK(!f->status.ok());
        ++failed;
      } else if (std::holds_alternative<DtlsClosed>(*e)) {
        ++closed;
      } else {
        received.push_back(std::get<DtlsApplicationData>(*e).data);
      }
    }
    const DtlsState s = endpoint.state();
    TERN_FUZZ_CHECK(connected <= 1 && failed <= 1 && closed <= 1);
    TERN_FUZZ_CHECK((failed == 1) == (s == DtlsState::kFailed));
    if (last_state == DtlsState::kFailed) TERN_FUZZ_CHECK(s == DtlsState::kFailed);
    if (last_state == DtlsState::kClosed) TERN_FUZZ_CHECK(s == DtlsState::kClosed);
    if (s == DtlsState::kConnected) TERN_FUZZ_CHECK(connected == 1);
    if (s != DtlsState::kConnected) TERN_FUZZ_CHECK(endpoint.MaxApplicationDataSize() == 0);
    last_state = s;
  }
};

DtlsEndpoint Make(DtlsRole role) {
  const Identity self = role == DtlsRole::kServer ? kServerIdentity : kClientIdentity;
  const Identity peer = role == DtlsRole::kServer ? kClientIdentity : kServerIdentity;
  DtlsConfig config;
  config.role = role;
  config.certificate = Certificate(self);
  config.remote_fingerprints = {Certificate(peer).Fingerprint()};
  config.mtu = kMtu;
  return *DtlsEndpoint::Create(std::move(config));
}

// Mode 0: recorded or mutated flights against live handshakes.
void RunUnauthenticated(Reader& in) {
  Watched server(Make(DtlsRole::kServer));
  Watched client(Make(DtlsRole::kClient));
  Timestamp now = Timestamp::Seconds(10);
  server.endpoint.Start(now);
  client.endpoint.Start(now);
  server.Drain();
  client.Drain();
  uint8_t op;
  ByteSpan bytes;
  while (in.Next(&op, &bytes)) {
    CheckClassification(bytes);
    switch (op & 3) {
      case 0:  // a datagram for the server, if the demultiplexer says DTLS
        if (ClassifyPacket(bytes) == PacketKind::kDtls) server.endpoint.HandleInput(bytes, now);
        break;
      case 1:  // the same for the client
        if (ClassifyPacket(bytes) == PacketKind::kDtls) client.endpoint.HandleInput(bytes, now);
        break;
      case 2:  // raw, whatever the first byte
        ((op & 4) ? client : server).endpoint.HandleInput(bytes, now);
        break;
      case 3:  // time passes
        now += Duration::Millis(int64_t{op >> 2} * 250);
        server.endpoint.HandleTimeout(now);
        client.endpoint.HandleTimeout(now);
        break;
    }
    server.Drain();
    client.Drain();
    for (Watched* w : {&server, &client}) {
      if (std::optional<Timestamp> t = w->endpoint.NextTimeout()) {
        TERN_FUZZ_CHECK(w->endpoint.state() == DtlsState::kConnecting);
      }
    }
  }
  TERN_FUZZ_CHECK(server.connected == 0 && client.connected == 0);
  TERN_FUZZ_CHECK(server.received.empty() && client.received.empty());
}

void Deliver(Watched& from, Watched& to, Timestamp now) {
  from.Drain();
  while (!from.sent.empty()) {
    std::vector<uint8_t> d = std::move(from.sent.front());
    from.sent.pop_front();
    to.endpoint.HandleInput(d, now);
    to.Drain();
    from.Drain();
  }
}

// Mode 1: a genuine handshake, then the fuzzer acts on an established association.
void RunEstablished(Reader& in) {
  Watched server(Make(DtlsRole::kServer));
  Watched client(Make(DtlsRole::kClient));
  Timestamp now = Timestamp::Seconds(10);
  server.endpoint.Start(now);
  client.endpoint.Start(now);
  for (int i = 0; i < 8; ++i) {
    Deliver(client, server, now);
    Deliver(server, client, now);
  }
  TERN_FUZZ_CHECK(client.endpoint.state() == DtlsState::kConnected);
  TERN_FUZZ_CHECK(server.endpoint.state() == DtlsState::kConnected);

  std::vector<std::vector<uint8_t>> expected_at_server, expected_at_client;
  std::vector<uint8_t> last_record;  // a genuine client record the server has already accepted
  uint8_t op;
  ByteSpan bytes;
  while (in.Next(&op, &bytes)) {
    CheckClassification(bytes);
    const bool both_up =
        client.endpoint.state() == DtlsState::kConnected && server.endpoint.state() == DtlsState::kConnected;
    switch (op & 7) {
      case 0:    // client -> server application data
      case 5: {  // server -> client
        Watched& from = (op & 7) == 0 ? client : server;
        Watched& to = (op & 7) == 0 ? server : client;
        const size_t max = from.endpoint.MaxApplicationDataSize();
        const absl::Status status = from.endpoint.Send(bytes, now);
        TERN_FUZZ_CHECK(status.ok() ==
                        (from.endpoint.state() == DtlsState::kConnected && (bytes.size() <= max)));
        from.Drain();
        if (status.ok() && !bytes.empty()) {
          TERN_FUZZ_CHECK(from.sent.size() == 1);
          if (both_up) {
            ((op & 7) == 0 ? expected_at_server : expected_at_client)
                .emplace_back(bytes.begin(), bytes.end());
          }
          if ((op & 7) == 0) last_record = from.sent.front();
        }
        Deliver(from, to, now);
        break;
      }
      case 1:  // raw datagram to the server
      case 6:  // raw datagram to the client
        ((op & 7) == 1 ? server : client).endpoint.HandleInput(bytes, now);
        break;
      case 2:  // a genuine, already delivered record with bytes XORed in: never delivers anything
        if (!last_record.empty()) {
          std::vector<uint8_t> altered = last_record;
          for (size_t i = 0; i < bytes.size(); ++i) altered[(i + (op >> 3)) % altered.size()] ^= bytes[i];
          server.endpoint.HandleInput(altered, now);
        }
        break;
      case 3:  // replay of a delivered record
        if (!last_record.empty()) server.endpoint.HandleInput(last_record, now);
        break;
      case 4:  // time passes
        now += Duration::Millis(int64_t{op >> 3} * 500);
        server.endpoint.HandleTimeout(now);
        client.endpoint.HandleTimeout(now);
        break;
      case 7:  // orderly close from one side
        ((op & 8) ? server : client).endpoint.Close(now);
        Deliver(client, server, now);
        Deliver(server, client, now);
        break;
    }
    server.Drain();
    client.Drain();
    // Whatever arrived is exactly what was sent, in order, and nothing more (no forgery, no replay).
    TERN_FUZZ_CHECK(server.received == expected_at_server);
    TERN_FUZZ_CHECK(client.received == expected_at_client);
    server.sent.clear();  // stray outputs (e.g. a close_notify answer) go nowhere
    client.sent.clear();
  }
}

}  // namespace
}  // namespace tern

#ifndef TERN_DTLS_DEMUX_CORPUS_GENERATOR

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    tern::CheckClassification({});
    return 0;
  }
  tern::Reader in(data + 1, size - 1);
  if ((data[0] & 1) == 0) {
    tern::RunUnauthenticated(in);
  } else {
    tern::RunEstablished(in);
  }
  return 0;
}

#else  // TERN_DTLS_DEMUX_CORPUS_GENERATOR: writes the seed corpus.

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace tern {
namespace {

using Datagrams = std::vector<std::vector<uint8_t>>;

class Seed {
 public:
  explicit Seed(uint8_t mode) { bytes_.push_back(mode); }
  Seed& Add(uint8_t op, ByteSpan b) {
    bytes_.push_back(op);
    bytes_.push_back(static_cast<uint8_t>(b.size() >> 8));
    bytes_.push_back(static_cast<uint8_t>(b.size()));
    bytes_.insert(bytes_.end(), b.begin(), b.end());
    return *this;
  }
  Seed& Add(uint8_t op, std::string_view s) { return Add(op, AsBytes(s)); }
  Seed& AddAll(uint8_t op, const Datagrams& ds) {
    for (const auto& d : ds) Add(op, d);
    return *this;
  }
  const std::vector<uint8_t>& bytes() const { return bytes_; }

 private:
  std::vector<uint8_t> bytes_;
};

struct Recording {
  Datagrams client_hello, server_flight, client_flight, server_finished;
  std::vector<uint8_t> app_record;
};

Datagrams Take(DtlsEndpoint& e) {
  Datagrams out;
  while (std::optional<std::vector<uint8_t>> d = e.PollTransmit()) out.push_back(std::move(*d));
  return out;
}

void Feed(DtlsEndpoint& e, const Datagrams& ds, Timestamp now) {
  for (const auto& d : ds) e.HandleInput(d, now);
}

// One lockstep handshake between the fixed identities, flight by flight (RFC 6347 §4.2.4 flights
// 1/2 without a cookie: ClientHello; ServerHello..ServerHelloDone; Certificate..Finished; CCS+Finished).
Recording Record() {
  DtlsEndpoint server = Make(DtlsRole::kServer);
  DtlsEndpoint client = Make(DtlsRole::kClient);
  const Timestamp now = Timestamp::Seconds(10);
  Recording r;
  server.Start(now);
  client.Start(now);
  r.client_hello = Take(client);
  Feed(server, r.client_hello, now);
  r.server_flight = Take(server);
  Feed(client, r.server_flight, now);
  r.client_flight = Take(client);
  Feed(server, r.client_flight, now);
  r.server_finished = Take(server);
  Feed(client, r.server_finished, now);
  if (client.state() != DtlsState::kConnected || server.state() != DtlsState::kConnected) {
    std::fprintf(stderr, "recording handshake did not complete\n");
    std::exit(1);
  }
  (void)client.Send(AsBytes("recorded application data"), now);
  r.app_record = Take(client).at(0);
  return r;
}

}  // namespace
}  // namespace tern

int main(int argc, char** argv) {
  using tern::Seed;
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUTPUT_DIR\n", argv[0]);
    return 2;
  }
  const std::filesystem::path dir(argv[1]);
  std::filesystem::create_directories(dir);
  const tern::Recording r = tern::Record();
  const std::vector<uint8_t>& hello = r.client_hello.at(0);
  int written = 0;
  auto write = [&](const char* name, const Seed& seed) {
    std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(seed.bytes().data()),
              static_cast<std::streamsize>(seed.bytes().size()));
    ++written;
  };
  // Mode 0 ops: 0 server (if DTLS), 1 client (if DTLS), 2 raw to server, 6 raw to client, 3|n<<2 time.
  write("m0_client_hello.bin", Seed(0).AddAll(0, r.client_hello));
  write("m0_client_flights.bin", Seed(0).AddAll(0, r.client_hello).AddAll(0, r.client_flight));
  write("m0_server_flights_to_client.bin", Seed(0).AddAll(1, r.server_flight).AddAll(1, r.server_finished));
  write("m0_timeouts.bin", Seed(0)
                               .AddAll(0, r.client_hello)
                               .Add(3 | 4 << 2, "")
                               .Add(3 | 8 << 2, "")
                               .Add(3 | 63 << 2, "")
                               .AddAll(0, r.client_hello)
                               .Add(3 | 63 << 2, ""));
  write("m0_truncated_hello.bin", Seed(0)
                                      .Add(0, tern::ByteSpan(hello).first(13))
                                      .Add(0, tern::ByteSpan(hello).first(25))
                                      .Add(0, tern::ByteSpan(hello).first(hello.size() / 2))
                                      .Add(0, tern::ByteSpan(hello).first(hello.size() - 1)));
  const uint8_t stun[] = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xA4, 0x42, 1,  2,
                          3,    4,    5,    6,    7,    8,    9,    10,   11, 12};
  const uint8_t rtp[] = {0x80, 111, 0x12, 0x34, 0, 0, 0, 1, 0xCA, 0xFE, 0xBA, 0xBE, 'o', 'p', 'u', 's'};
  const uint8_t rtcp[] = {0x80, 200, 0, 6, 0xCA, 0xFE, 0xBA, 0xBE, 0, 0, 0, 0, 0, 0,
                          0,    0,   0, 0, 0,    0,    0,    0,    0, 0, 0, 0, 0, 0};
  const uint8_t channel[] = {0x40, 0x00, 0x00, 0x04, 22, 0xFE, 0xFD, 0};
  const uint8_t zrtp[] = {0x10, 0x00, 0x00, 0x01, 'Z', 'R', 'T', 'P'};
  const uint8_t quic[] = {0xC0, 0, 0, 0, 1};
  write("m0_demux_mix.bin", Seed(0)
                                .Add(0, stun)
                                .Add(0, rtp)
                                .Add(0, rtcp)
                                .Add(0, channel)
                                .Add(0, zrtp)
                                .Add(0, quic)
                                .Add(0, "")
                                .AddAll(0, r.client_hello));
  const uint8_t noise[] = {22, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0x00, 1, 0, 0, 0x0C};
  write("m0_raw_to_both.bin", Seed(0)
                                  .Add(2, rtp)
                                  .Add(6, stun)
                                  .Add(2, noise)
                                  .Add(6, noise)
                                  .AddAll(2, r.client_hello)
                                  .AddAll(6, r.server_flight));
  // Mode 1 ops: 0 client->server data, 5 server->client data, 1/6 raw to server/client, 2 altered
  // replay, 3 replay, 4|n<<3 time, 7 close (8 set: server closes).
  write("m1_app_data_both_ways.bin", Seed(1)
                                         .Add(0, "hello")
                                         .Add(5, "world")
                                         .Add(0, "")
                                         .Add(0, std::string(1000, 'A'))
                                         .Add(5, std::string(1163, 'B')));
  write("m1_oversize_send.bin",
        Seed(1).Add(0, std::string(1164, 'C')).Add(5, std::string(1200, 'D')).Add(0, "ok"));
  const uint8_t flip[] = {0x01};
  const uint8_t zeros[13] = {};
  write("m1_replay_and_alter.bin", Seed(1)
                                       .Add(0, "original")
                                       .Add(3, "")
                                       .Add(2 | 1 << 3, flip)
                                       .Add(2, tern::ByteSpan(zeros))
                                       .Add(1, r.app_record)
                                       .Add(0, "after"));
  write("m1_close_client.bin", Seed(1).Add(0, "bye").Add(7, "").Add(0, "too late").Add(5, "too late"));
  write("m1_close_server.bin", Seed(1).Add(5, "bye").Add(7 | 8, "").Add(5, "too late").Add(0, "too late"));
  write("m1_stale_flights_and_time.bin", Seed(1)
                                             .Add(4 | 2 << 3, "")
                                             .AddAll(1, r.client_flight)
                                             .AddAll(6, r.server_finished)
                                             .AddAll(1, r.client_hello)
                                             .Add(4 | 31 << 3, "")
                                             .Add(0, "still up"));
  std::printf("wrote %d seeds to %s\n", written, dir.c_str());
  return 0;
}

#endif  // TERN_DTLS_DEMUX_CORPUS_GENERATOR
