// DTLS 1.2 for WebRTC on BoringSSL, sans-IO (RFC 6347, RFC 5764 §4, RFC 8827 §6.5).
//
// How BoringSSL is driven:
//  - I/O: one custom BIO per endpoint serves as both rbio and wbio. A read hands BoringSSL the one
//    datagram HandleInput is processing (then "would block"); every write is one datagram for
//    PollTransmit. Unlike a memory BIO this keeps datagram boundaries in both directions.
//  - Time: BoringSSL asks SSL_CTX_set_current_time_cb's callback for the time, and in this BoringSSL
//    the callback gets no SSL pointer ("The |ssl| pointer passed to |cb| is always null", ssl.h), so
//    ex_data cannot carry it. Every entry point publishes its `now` in a thread-local (ScopedNow) for
//    the duration of the call instead; BoringSSL only reads the time synchronously inside our calls.
//  - Timers: DTLSv1_get_timeout gives the remaining time (rounded down to 0 below 15 ms, so we query
//    from one second earlier to get the exact deadline); HandleTimeout calls DTLSv1_handle_timeout
//    only once `now` has reached that deadline.
//  - Certificates: SSL_set_custom_verify with our fingerprint check; no CA, name or date checks.
#include "tern/dtls/dtls_endpoint.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pool.h>
#include <openssl/ssl.h>
#include <sys/time.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "dtls/certificate_internal.h"
#include "tern/base/fifo.h"
#include "tern/base/strings.h"

namespace tern {
namespace {

constexpr size_t kMinMtu = 256;
constexpr size_t kMaxMtu = 16384;
// The largest datagram BoringSSL's DTLS read buffer takes in one piece (record header + 2^14 bytes of
// plaintext + the largest expansion). Anything longer is not DTLS from a sane peer and is dropped
// instead of being truncated.
constexpr size_t kMaxDatagram = 13 + 16384 + 2048;
constexpr size_t kMaxPlaintext = 16384;

// The error queue must be empty before an SSL call for SSL_get_error to be exact. Every failure path
// drains it (StatusFromErrorQueue, or ERR_clear_error where a failure is expected), so it is nearly
// always empty already; peeking is far cheaper than ERR_clear_error's walk over the 16 queue slots,
// which showed at ~4% of the cycles of a data-channel transfer (twice per record).
void EnsureErrorQueueEmpty() {
  if (ERR_peek_error() != 0) ERR_clear_error();
}

// Where SSL_read puts a record before it is copied into its event: one per thread rather than 16 KiB
// per endpoint (a server holds thousands of endpoints; a thread reads one record at a time).
uint8_t* ReadScratch() {
  thread_local std::unique_ptr<uint8_t[]> scratch(new uint8_t[kMaxPlaintext]);
  return scratch.get();
}

// ---- time ----------------------------------------------------------------------------------------

// Timestamps are offset so that BoringSSL (whose clock is an unsigned count of seconds) always sees a
// positive time, even for a Timestamp of zero or below.
constexpr int64_t kTimeBaseUs = int64_t{1} << 50;  // ~35.7 years
constexpr int64_t kMaxTimeUs = int64_t{1} << 61;

thread_local int64_t t_now_us = 0;

class ScopedNow {
 public:
  explicit ScopedNow(Timestamp now) : saved_(t_now_us) {
    t_now_us = std::clamp<int64_t>(now.us(), -kTimeBaseUs + 1, kMaxTimeUs);
  }
  ~ScopedNow() { t_now_us = saved_; }
  ScopedNow(const ScopedNow&) = delete;
  ScopedNow& operator=(const ScopedNow&) = delete;

 private:
  int64_t saved_;
};

void CurrentTimeCallback(const SSL* /*always null*/, timeval* out) {
  const int64_t us = kTimeBaseUs + t_now_us;
  out->tv_sec = static_cast<decltype(out->tv_sec)>(us / 1000000);
  out->tv_usec = static_cast<decltype(out->tv_usec)>(us % 1000000);
}

// ---- the shared SSL_CTX --------------------------------------------------------------------------

// ECDHE only (forward secrecy), AEADs first; ECDSA and RSA certificates. RFC 8827 §6.5 requires
// TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 and RFC 7525 recommends the GCM suites.
constexpr char kCipherList[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES256-SHA";

// Everything per-connection is set on the SSL; the context carries only what BoringSSL offers at
// context level alone (the time callback) and fixed policy. Created once, never freed, thread-safe.
SSL_CTX* SharedContext() {
  static SSL_CTX* const ctx = [] {
    SSL_CTX* c = SSL_CTX_new(DTLS_with_buffers_method());
    if (c == nullptr) return c;
    if (!SSL_CTX_set_min_proto_version(c, DTLS1_2_VERSION) ||
        !SSL_CTX_set_max_proto_version(c, DTLS1_2_VERSION) ||
        !SSL_CTX_set_strict_cipher_list(c, kCipherList)) {
      SSL_CTX_free(c);
      return static_cast<SSL_CTX*>(nullptr);
    }
    SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(c, SSL_OP_NO_TICKET | SSL_OP_NO_QUERY_MTU);
    SSL_CTX_set_current_time_cb(c, CurrentTimeCallback);
    return c;
  }();
  return ctx;
}

// ---- the datagram BIO ----------------------------------------------------------------------------

struct DatagramPipe {
  // The datagram HandleInput is processing (valid only during that call).
  ByteSpan input;
  bool has_input = false;
  Fifo<std::vector<uint8_t>> output;
};

int PipeRead(BIO* bio, char* out, int out_len) {
  auto* pipe = static_cast<DatagramPipe*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  if (pipe == nullptr || !pipe->has_input) {
    BIO_set_retry_read(bio);
    return -1;
  }
  pipe->has_input = false;
  const size_t n = std::min(pipe->input.size(), static_cast<size_t>(std::max(out_len, 0)));
  if (n > 0) std::memcpy(out, pipe->input.data(), n);
  return static_cast<int>(n);
}

int PipeWrite(BIO* bio, const char* in, int in_len) {
  auto* pipe = static_cast<DatagramPipe*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  if (pipe == nullptr || in_len < 0) return -1;
  const auto* p = reinterpret_cast<const uint8_t*>(in);
  pipe->output.emplace_back(p, p + in_len);
  return in_len;
}

long PipeCtrl(BIO* /*bio*/, int cmd, long /*larg*/, void* /*parg*/) {
  switch (cmd) {
    case BIO_CTRL_FLUSH:
      return 1;
    default:
      return 0;  // BIO_CTRL_PENDING/WPENDING: 0; no MTU queries (SSL_OP_NO_QUERY_MTU)
  }
}

const BIO_METHOD* PipeMethod() {
  static const BIO_METHOD* const method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_TYPE_SOURCE_SINK | BIO_get_new_index(), "tern datagram pipe");
    if (m == nullptr) return static_cast<const BIO_METHOD*>(nullptr);
    BIO_meth_set_read(m, PipeRead);
    BIO_meth_set_write(m, PipeWrite);
    BIO_meth_set_ctrl(m, PipeCtrl);
    return static_cast<const BIO_METHOD*>(m);
  }();
  return method;
}

// ---- errors --------------------------------------------------------------------------------------

bool IsCertificateReason(int reason) {
  switch (reason) {
    case SSL_R_CERTIFICATE_VERIFY_FAILED:
    case SSL_R_BAD_SIGNATURE:  // the peer could not prove it holds the certificate's key
    case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
    case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
    case SSL_R_TLSV1_ALERT_ACCESS_DENIED:
    case SSL_R_TLSV1_CERTIFICATE_REQUIRED:
      return true;
    default:
      return false;
  }
}

// Drains BoringSSL's (thread-local) error queue into a status.
absl::Status StatusFromErrorQueue(std::string_view context) {
  uint32_t first = ERR_get_error();
  std::string detail;
  int reason = 0;
  if (first != 0) {
    reason = ERR_GET_REASON(first);
    const char* r = ERR_reason_error_string(first);
    detail = r != nullptr ? r : absl::StrCat("error ", first);
  } else {
    detail = "no error detail";
  }
  ERR_clear_error();
  std::string message = absl::StrCat(ToAbsl(context), ": ", detail);
  if (ERR_GET_LIB(first) == ERR_LIB_SSL && IsCertificateReason(reason)) {
    return absl::UnauthenticatedError(message);
  }
  if (ERR_GET_LIB(first) == ERR_LIB_SSL && reason == SSL_R_READ_TIMEOUT_EXPIRED) {
    return absl::DeadlineExceededError(message);
  }
  return absl::AbortedError(message);
}

std::optional<SrtpProfile> ProfileFromId(unsigned long id) {
  switch (id) {
    case SRTP_AES128_CM_SHA1_80:
      return SrtpProfile::kAes128CmSha1_80;
    case SRTP_AES128_CM_SHA1_32:
      return SrtpProfile::kAes128CmSha1_32;
    case SRTP_AEAD_AES_128_GCM:
      return SrtpProfile::kAeadAes128Gcm;
    case SRTP_AEAD_AES_256_GCM:
      return SrtpProfile::kAeadAes256Gcm;
    default:
      return std::nullopt;
  }
}

}  // namespace

// ---- the endpoint --------------------------------------------------------------------------------

struct DtlsEndpoint::Impl {
  DtlsConfig config;
  bssl::UniquePtr<SSL> ssl;
  DatagramPipe pipe;
  DtlsState state = DtlsState::kNew;
  Fifo<DtlsEvent> events;
  std::optional<Timestamp> deadline;
  // Set by the verify callback when it rejects the peer, so the failure says why.
  absl::Status verify_failure;
  std::optional<DtlsFingerprint> matched_fingerprint;
  bool awaiting_fingerprints = false;
  uint64_t dropped = 0;
  uint64_t retransmissions = 0;

  static ssl_verify_result_t VerifyCallback(SSL* ssl, uint8_t* out_alert);

  void DriveHandshake();
  void OnHandshakeComplete();
  void ReadApplicationData();
  void Fail(absl::Status status);
  void RefreshDeadline(Timestamp now);
};

ssl_verify_result_t DtlsEndpoint::Impl::VerifyCallback(SSL* ssl, uint8_t* out_alert) {
  auto* self = static_cast<Impl*>(SSL_get_app_data(ssl));
  const STACK_OF(CRYPTO_BUFFER)* chain = SSL_get0_peer_certificates(ssl);
  if (chain == nullptr || sk_CRYPTO_BUFFER_num(chain) == 0) {
    self->verify_failure = absl::UnauthenticatedError("DTLS peer sent no certificate");
    *out_alert = SSL_AD_HANDSHAKE_FAILURE;
    return ssl_verify_invalid;
  }
  if (self->config.remote_fingerprints.empty()) {
    self->awaiting_fingerprints = true;
    return ssl_verify_retry;  // resumed by SetRemoteFingerprints
  }
  self->awaiting_fingerprints = false;
  const CRYPTO_BUFFER* leaf = sk_CRYPTO_BUFFER_value(chain, 0);
  const ByteSpan der(CRYPTO_BUFFER_data(leaf), CRYPTO_BUFFER_len(leaf));
  for (const DtlsFingerprint& fp : self->config.remote_fingerprints) {
    if (FingerprintMatches(fp, der)) {
      self->matched_fingerprint = fp;
      return ssl_verify_ok;
    }
  }
  std::vector<std::string> expected;
  for (const DtlsFingerprint& fp : self->config.remote_fingerprints) expected.push_back(fp.ToSdp());
  const FingerprintHash hash = self->config.remote_fingerprints.front().hash;
  self->verify_failure = absl::UnauthenticatedError(absl::StrCat(
      "DTLS peer certificate fingerprint mismatch: the peer presented ",
      DtlsFingerprint::Compute(hash, der).ToSdp(), ", signalling said ", absl::StrJoin(expected, " or ")));
  *out_alert = SSL_AD_BAD_CERTIFICATE;
  return ssl_verify_invalid;
}

void DtlsEndpoint::Impl::Fail(absl::Status status) {
  if (state == DtlsState::kFailed || state == DtlsState::kClosed) return;
  state = DtlsState::kFailed;
  deadline.reset();
  events.push_back(DtlsFailed{std::move(status)});
}

void DtlsEndpoint::Impl::DriveHandshake() {
  ERR_clear_error();
  const int rv = SSL_do_handshake(ssl.get());
  if (rv == 1) {
    OnHandshakeComplete();
    if (state == DtlsState::kConnected) ReadApplicationData();
    return;
  }
  const int err = SSL_get_error(ssl.get(), rv);
  switch (err) {
    case SSL_ERROR_WANT_READ:
      return;  // waiting for the peer (or for our timer)
    case SSL_ERROR_WANT_CERTIFICATE_VERIFY:
      return;  // waiting for SetRemoteFingerprints
    case SSL_ERROR_ZERO_RETURN:
      ERR_clear_error();
      Fail(absl::AbortedError("DTLS peer sent close_notify during the handshake"));
      return;
    default:
      if (!verify_failure.ok()) {
        ERR_clear_error();
        Fail(verify_failure);
      } else {
        Fail(StatusFromErrorQueue("DTLS handshake failed"));
      }
      return;
  }
}

void DtlsEndpoint::Impl::OnHandshakeComplete() {
  DtlsConnected connected;
  const STACK_OF(CRYPTO_BUFFER)* chain = SSL_get0_peer_certificates(ssl.get());
  if (chain == nullptr || sk_CRYPTO_BUFFER_num(chain) == 0 || !matched_fingerprint.has_value()) {
    // Cannot happen with SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT; refuse rather than trust.
    Fail(absl::UnauthenticatedError("DTLS handshake completed without a verified peer certificate"));
    return;
  }
  const CRYPTO_BUFFER* leaf = sk_CRYPTO_BUFFER_value(chain, 0);
  connected.peer_certificate_der.assign(CRYPTO_BUFFER_data(leaf),
                                        CRYPTO_BUFFER_data(leaf) + CRYPTO_BUFFER_len(leaf));
  connected.peer_fingerprint = *matched_fingerprint;

  if (const SRTP_PROTECTION_PROFILE* selected = SSL_get_selected_srtp_profile(ssl.get())) {
    std::optional<SrtpProfile> profile = ProfileFromId(selected->id);
    if (!profile.has_value()) {
      Fail(absl::AbortedError(absl::StrCat("DTLS peer selected an unknown SRTP profile ", selected->id)));
      return;
    }
    const SrtpProfileInfo info = GetSrtpProfileInfo(*profile);
    // RFC 5764 §4.2: client_write_key | server_write_key | client_write_salt | server_write_salt.
    std::vector<uint8_t> block(2 * (info.key_size + info.salt_size));
    static constexpr char kLabel[] = "EXTRACTOR-dtls_srtp";
    if (!SSL_export_keying_material(ssl.get(), block.data(), block.size(), kLabel, sizeof(kLabel) - 1,
                                    nullptr, 0, /*use_context=*/0)) {
      Fail(StatusFromErrorQueue("DTLS-SRTP key export failed"));
      return;
    }
    SrtpKeyingMaterial km;
    km.profile = *profile;
    auto at = block.begin();
    km.client_key.assign(at, at + info.key_size);
    at += info.key_size;
    km.server_key.assign(at, at + info.key_size);
    at += info.key_size;
    km.client_salt.assign(at, at + info.salt_size);
    at += info.salt_size;
    km.server_salt.assign(at, at + info.salt_size);
    OPENSSL_cleanse(block.data(), block.size());
    connected.srtp = std::move(km);
  }
  state = DtlsState::kConnected;
  events.push_back(std::move(connected));
}

void DtlsEndpoint::Impl::ReadApplicationData() {
  uint8_t* const scratch = ReadScratch();
  while (state == DtlsState::kConnected) {
    EnsureErrorQueueEmpty();
    const int n = SSL_read(ssl.get(), scratch, static_cast<int>(kMaxPlaintext));
    if (n > 0) {
      events.push_back(DtlsApplicationData{std::vector<uint8_t>(scratch, scratch + n)});
      continue;
    }
    const int err = SSL_get_error(ssl.get(), n);
    if (err == SSL_ERROR_WANT_READ) return;
    if (err == SSL_ERROR_ZERO_RETURN) {
      // RFC 5246 §7.2.1: answer close_notify with ours, then close.
      ERR_clear_error();
      SSL_shutdown(ssl.get());
      ERR_clear_error();
      state = DtlsState::kClosed;
      deadline.reset();
      events.push_back(DtlsClosed{});
      return;
    }
    Fail(StatusFromErrorQueue("DTLS connection failed"));
    return;
  }
}

void DtlsEndpoint::Impl::RefreshDeadline(Timestamp now) {
  deadline.reset();
  if (state != DtlsState::kConnecting && state != DtlsState::kConnected) return;
  // DTLSv1_get_timeout rounds a remaining time below 15 ms down to zero; asking from one second
  // earlier keeps the answer exact whenever the deadline is later than now - 985 ms.
  const Timestamp probe = now - Duration::Seconds(1);
  ScopedNow scoped(probe);
  timeval remaining{};
  if (!DTLSv1_get_timeout(ssl.get(), &remaining)) return;
  if (remaining.tv_sec == 0 && remaining.tv_usec == 0) {
    deadline = now;  // already due
    return;
  }
  deadline = probe + Duration::Micros(int64_t{remaining.tv_sec} * 1000000 + remaining.tv_usec);
}

// ---- public API ----------------------------------------------------------------------------------

absl::StatusOr<DtlsEndpoint> DtlsEndpoint::Create(DtlsConfig config) {
  if (config.certificate.empty()) return absl::InvalidArgumentError("DtlsConfig.certificate is empty");
  if (config.mtu < kMinMtu || config.mtu > kMaxMtu) {
    return absl::InvalidArgumentError(
        absl::StrCat("DtlsConfig.mtu ", config.mtu, " outside ", kMinMtu, "..", kMaxMtu));
  }
  if (config.initial_retransmit_timeout < Duration::Millis(1) ||
      config.initial_retransmit_timeout > Duration::Seconds(60)) {
    return absl::InvalidArgumentError("DtlsConfig.initial_retransmit_timeout must be 1 ms .. 60 s");
  }
  SSL_CTX* ctx = SharedContext();
  const BIO_METHOD* method = PipeMethod();
  if (ctx == nullptr || method == nullptr) {
    return StatusFromErrorQueue("BoringSSL DTLS context setup failed");
  }

  auto impl = std::make_unique<Impl>();
  impl->config = std::move(config);
  const DtlsConfig& c = impl->config;
  ERR_clear_error();
  impl->ssl.reset(SSL_new(ctx));
  if (!impl->ssl) return StatusFromErrorQueue("SSL_new");
  SSL* ssl = impl->ssl.get();
  SSL_set_app_data(ssl, impl.get());

  const DtlsCertificate::Impl* cert = c.certificate.impl();
  CRYPTO_BUFFER* chain[] = {cert->der.get()};
  if (!SSL_set_chain_and_key(ssl, chain, 1, cert->key.get(), nullptr)) {
    return StatusFromErrorQueue("SSL_set_chain_and_key");
  }
  // Both roles demand the peer's certificate; the fingerprint is the only check (RFC 8827 §6.5).
  SSL_set_custom_verify(ssl, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, &Impl::VerifyCallback);

  if (!c.srtp_profiles.empty()) {
    std::vector<std::string> names;
    for (SrtpProfile p : c.srtp_profiles) {
      std::string_view name = GetSrtpProfileInfo(p).name;
      if (name.empty()) return absl::InvalidArgumentError("unknown SRTP profile in DtlsConfig");
      names.emplace_back(name);
    }
    // BoringSSL's use_srtp returns one for success, unlike OpenSSL's.
    if (!SSL_set_srtp_profiles(ssl, absl::StrJoin(names, ":").c_str())) {
      return StatusFromErrorQueue("SSL_set_srtp_profiles");
    }
  }

  SSL_set_options(ssl, SSL_OP_NO_QUERY_MTU);
  if (!SSL_set_mtu(ssl, static_cast<unsigned>(c.mtu))) return StatusFromErrorQueue("SSL_set_mtu");
  DTLSv1_set_initial_timeout_duration(ssl, static_cast<unsigned>(c.initial_retransmit_timeout.ms()));

  BIO* bio = BIO_new(method);
  if (bio == nullptr) return StatusFromErrorQueue("BIO_new");
  BIO_set_data(bio, &impl->pipe);
  BIO_set_init(bio, 1);
  SSL_set_bio(ssl, bio, bio);  // one reference, owned by the SSL, used both ways

  if (c.role == DtlsRole::kClient) {
    SSL_set_connect_state(ssl);
  } else {
    SSL_set_accept_state(ssl);
  }
  return DtlsEndpoint(std::move(impl));
}

DtlsEndpoint::DtlsEndpoint(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DtlsEndpoint::DtlsEndpoint(DtlsEndpoint&&) noexcept = default;
DtlsEndpoint& DtlsEndpoint::operator=(DtlsEndpoint&&) noexcept = default;
DtlsEndpoint::~DtlsEndpoint() = default;

void DtlsEndpoint::Start(Timestamp now) {
  if (impl_->state != DtlsState::kNew) return;
  impl_->state = DtlsState::kConnecting;
  if (impl_->config.role == DtlsRole::kClient) {
    ScopedNow scoped(now);
    impl_->DriveHandshake();
  }
  impl_->RefreshDeadline(now);
}

void DtlsEndpoint::HandleInput(ByteSpan datagram, Timestamp now) {
  Impl& s = *impl_;
  if (s.state != DtlsState::kConnecting && s.state != DtlsState::kConnected) {
    ++s.dropped;
    return;
  }
  if (datagram.empty() || datagram.size() > kMaxDatagram) {
    ++s.dropped;
    return;
  }
  ScopedNow scoped(now);
  s.pipe.input = datagram;
  s.pipe.has_input = true;
  if (s.state == DtlsState::kConnecting) {
    s.DriveHandshake();
  } else {
    s.ReadApplicationData();
  }
  // A handshake paused at certificate verification does not read; the datagram is then lost, like
  // any datagram, and the peer's retransmission brings it back.
  s.pipe.has_input = false;
  s.pipe.input = {};
  s.RefreshDeadline(now);
}

void DtlsEndpoint::HandleTimeout(Timestamp now) {
  Impl& s = *impl_;
  if (!s.deadline.has_value() || now < *s.deadline) return;
  {
    ScopedNow scoped(now);
    ERR_clear_error();
    const int rv = DTLSv1_handle_timeout(s.ssl.get());
    if (rv > 0) {
      ++s.retransmissions;
    } else if (rv < 0) {
      s.Fail(absl::DeadlineExceededError(
          absl::StrCat("DTLS handshake timed out: no answer after ", s.retransmissions, " retransmissions")));
      ERR_clear_error();
    }
  }
  s.RefreshDeadline(now);
}

std::optional<std::vector<uint8_t>> DtlsEndpoint::PollTransmit() {
  auto& out = impl_->pipe.output;
  if (out.empty()) return std::nullopt;
  std::vector<uint8_t> datagram = std::move(out.front());
  out.pop_front();
  return datagram;
}

// GCC 12 at -O2 reports moving a DtlsEvent variant out of the deque as "maybe uninitialized" (a
// known false positive with std::variant; the tests run this path under ASan and UBSan).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
std::optional<DtlsEvent> DtlsEndpoint::PollEvent() {
  auto& events = impl_->events;
  if (events.empty()) return std::nullopt;
  std::optional<DtlsEvent> event(std::in_place, std::move(events.front()));
  events.pop_front();
  return event;
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

std::optional<Timestamp> DtlsEndpoint::NextTimeout() const { return impl_->deadline; }

absl::Status DtlsEndpoint::Send(ByteSpan app_data, Timestamp now) {
  Impl& s = *impl_;
  if (s.state != DtlsState::kConnected) {
    return absl::FailedPreconditionError("DTLS endpoint is not connected");
  }
  if (app_data.empty()) return absl::OkStatus();
  const size_t max = MaxApplicationDataSize();
  if (app_data.size() > max) {
    return absl::InvalidArgumentError(absl::StrCat("DTLS application data of ", app_data.size(),
                                                   " bytes exceeds the ", max, "-byte limit for MTU ",
                                                   s.config.mtu));
  }
  ScopedNow scoped(now);
  EnsureErrorQueueEmpty();
  const int n = SSL_write(s.ssl.get(), app_data.data(), static_cast<int>(app_data.size()));
  if (n != static_cast<int>(app_data.size())) {
    absl::Status status = StatusFromErrorQueue("DTLS write failed");
    s.Fail(status);
    return status;
  }
  s.RefreshDeadline(now);
  return absl::OkStatus();
}

void DtlsEndpoint::Close(Timestamp now) {
  Impl& s = *impl_;
  if (s.state == DtlsState::kConnected) {
    ScopedNow scoped(now);
    ERR_clear_error();
    SSL_shutdown(s.ssl.get());  // queues close_notify (DTLS does not wait for the peer's)
    ERR_clear_error();
  }
  if (s.state != DtlsState::kFailed) s.state = DtlsState::kClosed;
  s.deadline.reset();
}

absl::Status DtlsEndpoint::SetRemoteFingerprints(std::vector<DtlsFingerprint> fingerprints, Timestamp now) {
  if (fingerprints.empty()) return absl::InvalidArgumentError("no remote fingerprints");
  for (const DtlsFingerprint& fp : fingerprints) {
    if (fp.digest.size() != FingerprintHashSize(fp.hash)) {
      return absl::InvalidArgumentError(absl::StrCat("fingerprint digest of ", fp.digest.size(),
                                                     " bytes for ", ToAbsl(FingerprintHashName(fp.hash))));
    }
  }
  Impl& s = *impl_;
  s.config.remote_fingerprints = std::move(fingerprints);
  if (s.state == DtlsState::kConnecting && s.awaiting_fingerprints) {
    ScopedNow scoped(now);
    s.DriveHandshake();
    s.RefreshDeadline(now);
  }
  return absl::OkStatus();
}

DtlsState DtlsEndpoint::state() const { return impl_->state; }
DtlsRole DtlsEndpoint::role() const { return impl_->config.role; }
size_t DtlsEndpoint::mtu() const { return impl_->config.mtu; }

size_t DtlsEndpoint::MaxApplicationDataSize() const {
  if (impl_->state != DtlsState::kConnected) return 0;
  const size_t overhead = SSL_max_seal_overhead(impl_->ssl.get());
  return overhead >= impl_->config.mtu ? 0 : impl_->config.mtu - overhead;
}

std::string_view DtlsEndpoint::CipherSuiteName() const {
  if (impl_->state != DtlsState::kConnected) return {};
  const SSL_CIPHER* cipher = SSL_get_current_cipher(impl_->ssl.get());
  if (cipher == nullptr) return {};
  const char* name = SSL_CIPHER_standard_name(cipher);
  return name != nullptr ? std::string_view(name) : std::string_view();
}

uint64_t DtlsEndpoint::datagrams_dropped() const { return impl_->dropped; }
uint64_t DtlsEndpoint::retransmissions() const { return impl_->retransmissions; }

}  // namespace tern
