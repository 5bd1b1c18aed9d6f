// DTLS 1.2 handshakes per second (RFC 6347, with use_srtp and the RFC 5764 §4.2 export), client and
// server in one process on one thread, ECDSA P-256 certificates:
//   BM_DtlsHandshake                      tern::DtlsEndpoint pair, certificates made beforehand
//   BM_DtlsHandshakeWithCertGeneration    the same, plus one fresh certificate per side per handshake
//   BM_BoringSslDtlsHandshake (anchor)    the same handshake written directly against BoringSSL
//                                          (one SSL_CTX, BIO pair, custom verify by SHA-256
//                                          fingerprint, use_srtp, exporter): what the wrapper costs
//   BM_DtlsCertificateGenerate            DtlsCertificate::Generate alone
//   BM_DtlsApplicationData/<size>         Send + HandleInput of one application record (SCTP's path)
// Every handshake is checked (both sides connected, same keying material) and the program aborts
// otherwise.
#include <benchmark/benchmark.h>
#include <openssl/bio.h>
#include <openssl/bytestring.h>
#include <openssl/digest.h>
#include <openssl/mem.h>
#include <openssl/pem.h>
#include <openssl/pool.h>
#include <openssl/ssl.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <vector>

#include "tern/base/random.h"
#include "tern/dtls/dtls.h"

namespace tern {
namespace {

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "dtls_bench: %s\n", what);
  std::abort();
}

const DtlsCertificate& PregeneratedCertificate(int which) {
  static const DtlsCertificate* const certs = [] {
    auto* c = new DtlsCertificate[2];
    SeededRandom random(5);
    for (int i = 0; i < 2; ++i) {
      absl::StatusOr<DtlsCertificate> cert = DtlsCertificate::Generate(random);
      if (!cert.ok()) Die("certificate generation failed");
      c[i] = *cert;
    }
    return c;
  }();
  return certs[which];
}

DtlsEndpoint MakeEndpoint(DtlsRole role, const DtlsCertificate& self, const DtlsCertificate& peer) {
  DtlsConfig config;
  config.role = role;
  config.certificate = self;
  config.remote_fingerprints = {peer.Fingerprint()};
  absl::StatusOr<DtlsEndpoint> e = DtlsEndpoint::Create(std::move(config));
  if (!e.ok()) Die("DtlsEndpoint::Create failed");
  return *std::move(e);
}

// Moves datagrams between the two until both are quiet; returns the client's and server's
// DtlsConnected events.
void Pump(DtlsEndpoint& a, DtlsEndpoint& b, Timestamp now, std::optional<DtlsConnected>* a_up,
          std::optional<DtlsConnected>* b_up) {
  for (bool moved = true; moved;) {
    moved = false;
    while (std::optional<std::vector<uint8_t>> d = a.PollTransmit()) {
      b.HandleInput(*d, now);
      moved = true;
    }
    while (std::optional<std::vector<uint8_t>> d = b.PollTransmit()) {
      a.HandleInput(*d, now);
      moved = true;
    }
  }
  while (std::optional<DtlsEvent> e = a.PollEvent()) {
    if (auto* c = std::get_if<DtlsConnected>(&*e)) *a_up = std::move(*c);
  }
  while (std::optional<DtlsEvent> e = b.PollEvent()) {
    if (auto* c = std::get_if<DtlsConnected>(&*e)) *b_up = std::move(*c);
  }
}

void TernHandshake(const DtlsCertificate& client_cert, const DtlsCertificate& server_cert) {
  const Timestamp now = Timestamp::Seconds(1);
  DtlsEndpoint client = MakeEndpoint(DtlsRole::kClient, client_cert, server_cert);
  DtlsEndpoint server = MakeEndpoint(DtlsRole::kServer, server_cert, client_cert);
  server.Start(now);
  client.Start(now);
  std::optional<DtlsConnected> c, s;
  Pump(client, server, now, &c, &s);
  if (!c || !s || !c->srtp || !s->srtp || c->srtp->client_key != s->srtp->client_key) {
    Die("handshake did not complete with matching keys");
  }
  benchmark::DoNotOptimize(c->srtp->client_key.data());
}

void BM_DtlsHandshake(benchmark::State& state) {
  const DtlsCertificate& a = PregeneratedCertificate(0);
  const DtlsCertificate& b = PregeneratedCertificate(1);
  for (auto _ : state) TernHandshake(a, b);
  state.counters["handshakes/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_DtlsHandshake);

void BM_DtlsHandshakeWithCertGeneration(benchmark::State& state) {
  CryptoRandom random;
  for (auto _ : state) {
    absl::StatusOr<DtlsCertificate> a = DtlsCertificate::Generate(random);
    absl::StatusOr<DtlsCertificate> b = DtlsCertificate::Generate(random);
    if (!a.ok() || !b.ok()) Die("certificate generation failed");
    TernHandshake(*a, *b);
  }
  state.counters["handshakes/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_DtlsHandshakeWithCertGeneration);

void BM_DtlsCertificateGenerate(benchmark::State& state) {
  CryptoRandom random;
  for (auto _ : state) {
    absl::StatusOr<DtlsCertificate> c = DtlsCertificate::Generate(random);
    if (!c.ok()) Die("certificate generation failed");
    benchmark::DoNotOptimize(c->der().data());
  }
}
BENCHMARK(BM_DtlsCertificateGenerate);

// ---- anchor: the same handshake directly on BoringSSL ---------------------------------------------

std::vector<uint8_t> Sha256(const CRYPTO_BUFFER* b) {
  std::vector<uint8_t> out(32);
  unsigned int n = 0;
  EVP_Digest(CRYPTO_BUFFER_data(b), CRYPTO_BUFFER_len(b), out.data(), &n, EVP_sha256(), nullptr);
  return out;
}

struct AnchorPeer {
  std::vector<uint8_t> expected;  // SHA-256 of the peer certificate
};

int g_anchor_index = -1;

ssl_verify_result_t AnchorVerify(SSL* ssl, uint8_t* out_alert) {
  auto* peer = static_cast<AnchorPeer*>(SSL_get_ex_data(ssl, g_anchor_index));
  const STACK_OF(CRYPTO_BUFFER)* chain = SSL_get0_peer_certificates(ssl);
  if (chain == nullptr || sk_CRYPTO_BUFFER_num(chain) == 0) return ssl_verify_invalid;
  if (Sha256(sk_CRYPTO_BUFFER_value(chain, 0)) != peer->expected) {
    *out_alert = SSL_AD_BAD_CERTIFICATE;
    return ssl_verify_invalid;
  }
  return ssl_verify_ok;
}

// PEM -> (CRYPTO_BUFFER, EVP_PKEY) for SSL_set_chain_and_key.
struct AnchorIdentity {
  bssl::UniquePtr<CRYPTO_BUFFER> cert;
  bssl::UniquePtr<EVP_PKEY> key;
};

AnchorIdentity LoadIdentity(const DtlsCertificate& c) {
  AnchorIdentity id;
  id.cert.reset(CRYPTO_BUFFER_new(c.der().data(), c.der().size(), nullptr));
  const std::string pem = c.PrivateKeyPem();
  bssl::UniquePtr<BIO> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  id.key.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!id.cert || !id.key) Die("anchor identity");
  return id;
}

bssl::UniquePtr<SSL> AnchorSsl(SSL_CTX* ctx, const AnchorIdentity& self, AnchorPeer* peer, bool client) {
  bssl::UniquePtr<SSL> ssl(SSL_new(ctx));
  CRYPTO_BUFFER* chain[] = {self.cert.get()};
  if (!ssl || !SSL_set_chain_and_key(ssl.get(), chain, 1, self.key.get(), nullptr) ||
      !SSL_set_srtp_profiles(ssl.get(),
                             "SRTP_AEAD_AES_128_GCM:SRTP_AEAD_AES_256_GCM:"
                             "SRTP_AES128_CM_SHA1_80:SRTP_AES128_CM_SHA1_32") ||
      !SSL_set_mtu(ssl.get(), 1200)) {
    Die("anchor SSL setup");
  }
  SSL_set_ex_data(ssl.get(), g_anchor_index, peer);
  SSL_set_custom_verify(ssl.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, AnchorVerify);
  if (client) {
    SSL_set_connect_state(ssl.get());
  } else {
    SSL_set_accept_state(ssl.get());
  }
  return ssl;
}

void BM_BoringSslDtlsHandshake(benchmark::State& state) {
  if (g_anchor_index < 0) g_anchor_index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  bssl::UniquePtr<SSL_CTX> ctx(SSL_CTX_new(DTLS_with_buffers_method()));
  SSL_CTX_set_min_proto_version(ctx.get(), DTLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(ctx.get(), DTLS1_2_VERSION);
  SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_TICKET | SSL_OP_NO_QUERY_MTU);
  const AnchorIdentity a = LoadIdentity(PregeneratedCertificate(0));
  const AnchorIdentity b = LoadIdentity(PregeneratedCertificate(1));
  AnchorPeer client_expects{Sha256(b.cert.get())};
  AnchorPeer server_expects{Sha256(a.cert.get())};
  for (auto _ : state) {
    bssl::UniquePtr<SSL> client = AnchorSsl(ctx.get(), a, &client_expects, true);
    bssl::UniquePtr<SSL> server = AnchorSsl(ctx.get(), b, &server_expects, false);
    BIO *bio_c = nullptr, *bio_s = nullptr;
    if (!BIO_new_bio_pair(&bio_c, 0, &bio_s, 0)) Die("BIO pair");
    SSL_set_bio(client.get(), bio_c, bio_c);
    SSL_set_bio(server.get(), bio_s, bio_s);
    bool client_done = false, server_done = false;
    for (int round = 0; round < 32 && !(client_done && server_done); ++round) {
      if (!client_done) client_done = SSL_do_handshake(client.get()) == 1;
      if (!server_done) server_done = SSL_do_handshake(server.get()) == 1;
    }
    if (!client_done || !server_done) Die("anchor handshake did not complete");
    uint8_t kc[56], ks[56];
    static constexpr char kLabel[] = "EXTRACTOR-dtls_srtp";
    if (!SSL_export_keying_material(client.get(), kc, sizeof(kc), kLabel, sizeof(kLabel) - 1, nullptr, 0,
                                    0) ||
        !SSL_export_keying_material(server.get(), ks, sizeof(ks), kLabel, sizeof(kLabel) - 1, nullptr, 0,
                                    0) ||
        std::memcmp(kc, ks, sizeof(kc)) != 0 || SSL_get_selected_srtp_profile(client.get()) == nullptr) {
      Die("anchor keys differ");
    }
    benchmark::DoNotOptimize(kc);
  }
  state.counters["handshakes/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_BoringSslDtlsHandshake);

// ---- application data ------------------------------------------------------------------------------

void BM_DtlsApplicationData(benchmark::State& state) {
  const DtlsCertificate& a = PregeneratedCertificate(0);
  const DtlsCertificate& b = PregeneratedCertificate(1);
  const Timestamp now = Timestamp::Seconds(1);
  DtlsEndpoint client = MakeEndpoint(DtlsRole::kClient, a, b);
  DtlsEndpoint server = MakeEndpoint(DtlsRole::kServer, b, a);
  server.Start(now);
  client.Start(now);
  std::optional<DtlsConnected> c, s;
  Pump(client, server, now, &c, &s);
  if (!c || !s) Die("handshake failed");
  const std::vector<uint8_t> payload(static_cast<size_t>(state.range(0)), 0x5A);
  size_t received = 0;
  for (auto _ : state) {
    if (!client.Send(payload, now).ok()) Die("Send failed");
    std::optional<std::vector<uint8_t>> d = client.PollTransmit();
    server.HandleInput(*d, now);
    std::optional<DtlsEvent> e = server.PollEvent();
    received += std::get<DtlsApplicationData>(*e).data.size();
  }
  if (received != payload.size() * state.iterations()) Die("data lost");
  state.SetBytesProcessed(static_cast<int64_t>(received));
}
BENCHMARK(BM_DtlsApplicationData)->Arg(100)->Arg(1100);

}  // namespace
}  // namespace tern

BENCHMARK_MAIN();
