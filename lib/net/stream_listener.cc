// TCP/TLS listening sockets and the server side of accepted streams (see tern/net/stream_listener.h).
// TLS runs BoringSSL directly on the non-blocking fd in server mode; SSL_ERROR_WANT_READ/WANT_WRITE become
// epoll interest. Everything here runs on one loop thread.
#include "tern/net/stream_listener.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "net/loop_impl.h"
#include "net/sockaddr_util.h"
#include "tern/base/log.h"

namespace tern {
namespace {

using net_internal::ErrnoToStatus;

constexpr int kMaxReadsPerEvent = 16;
constexpr int kMaxAcceptsPerEvent = 64;
constexpr size_t kMaxTlsRecord = 16 * 1024;
constexpr Duration kAcceptPauseOnFdExhaustion = Duration::Millis(100);

std::string TlsErrors() {
  std::string out;
  while (uint32_t e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    absl::StrAppend(&out, out.empty() ? "" : "; ", buf);
  }
  return out.empty() ? std::string("unknown TLS error") : out;
}

uint16_t ToWireVersion(TlsVersion v) {
  switch (v) {
    case TlsVersion::kTls1_0: return TLS1_VERSION;
    case TlsVersion::kTls1_1: return TLS1_1_VERSION;
    case TlsVersion::kTls1_2: return TLS1_2_VERSION;
    case TlsVersion::kTls1_3: return TLS1_3_VERSION;
  }
  return TLS1_2_VERSION;
}

std::optional<TlsVersion> FromWireVersion(int v) {
  switch (v) {
    case TLS1_VERSION: return TlsVersion::kTls1_0;
    case TLS1_1_VERSION: return TlsVersion::kTls1_1;
    case TLS1_2_VERSION: return TlsVersion::kTls1_2;
    case TLS1_3_VERSION: return TlsVersion::kTls1_3;
    default: return std::nullopt;
  }
}

// One SSL_CTX with the ALPN list its selection callback reads. Shared by the listener and every stream
// accepted under it, so a reload never frees what a live connection uses.
struct TlsContext {
  ~TlsContext() {
    if (ctx != nullptr) SSL_CTX_free(ctx);
  }
  SSL_CTX* ctx = nullptr;
  std::vector<std::string> alpn;
};

int SelectAlpn(SSL* ssl, const uint8_t** out, uint8_t* out_len, const uint8_t* in, unsigned in_len,
               void* arg) {
  const auto* tls = static_cast<const TlsContext*>(arg);
  // Our preference order wins; the client's list is a sequence of length-prefixed names.
  for (const std::string& mine : tls->alpn) {
    for (unsigned i = 0; i < in_len;) {
      const unsigned len = in[i];
      if (i + 1 + len > in_len) break;
      if (len == mine.size() && memcmp(in + i + 1, mine.data(), len) == 0) {
        *out = in + i + 1;
        *out_len = static_cast<uint8_t>(len);
        return SSL_TLSEXT_ERR_OK;
      }
      i += 1 + len;
    }
  }
  return SSL_TLSEXT_ERR_ALERT_FATAL;
}

absl::StatusOr<std::shared_ptr<TlsContext>> MakeTlsContext(const TlsServerCredentials& creds) {
  auto tls = std::make_shared<TlsContext>();
  tls->ctx = SSL_CTX_new(TLS_method());
  if (tls->ctx == nullptr) return absl::InternalError("SSL_CTX_new: " + TlsErrors());
  SSL_CTX* ctx = tls->ctx;
  SSL_CTX_set_min_proto_version(ctx, ToWireVersion(creds.min_version));
  SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
  // Lenient like OpenSSL (names BoringSSL lacks are skipped, as in existing coturn configs), but a list
  // that selects nothing is an error.
  if (!creds.cipher_list.empty() && SSL_CTX_set_cipher_list(ctx, creds.cipher_list.c_str()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat("bad TLS cipher list '", creds.cipher_list, "'"));
  }
  // Certificate chain: the first PEM certificate is the leaf.
  bssl::UniquePtr<BIO> bio(
      BIO_new_mem_buf(creds.certificate_chain_pem.data(), static_cast<int>(creds.certificate_chain_pem.size())));
  bssl::UniquePtr<X509> leaf(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (leaf == nullptr) {
    ERR_clear_error();
    return absl::InvalidArgumentError("TLS certificate: no PEM certificate found");
  }
  if (SSL_CTX_use_certificate(ctx, leaf.get()) != 1) {
    return absl::InvalidArgumentError("TLS certificate rejected: " + TlsErrors());
  }
  while (X509* extra = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    if (SSL_CTX_add0_chain_cert(ctx, extra) != 1) {
      X509_free(extra);
      return absl::InvalidArgumentError("TLS chain certificate rejected: " + TlsErrors());
    }
  }
  ERR_clear_error();  // the read loop ends on "no start line"
  bssl::UniquePtr<BIO> key_bio(
      BIO_new_mem_buf(creds.private_key_pem.data(), static_cast<int>(creds.private_key_pem.size())));
  bssl::UniquePtr<EVP_PKEY> key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (key == nullptr) {
    ERR_clear_error();
    return absl::InvalidArgumentError("TLS private key: no PEM private key found");
  }
  if (SSL_CTX_use_PrivateKey(ctx, key.get()) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError("TLS private key does not match the certificate");
  }
  for (const std::string& p : creds.alpn) {
    if (p.empty() || p.size() > 255) return absl::InvalidArgumentError("bad ALPN protocol name");
  }
  tls->alpn = creds.alpn;
  if (!tls->alpn.empty()) SSL_CTX_set_alpn_select_cb(ctx, &SelectAlpn, tls.get());
  return tls;
}

// State shared by a listener and the streams it accepted (both loop-thread only).
struct ListenerShared {
  StreamListener::Stats stats;
};

class AcceptedStreamImpl final : public AcceptedStream, public net_internal::IoHandler {
 public:
  AcceptedStreamImpl(EventLoop& loop, int fd, SocketAddress local, SocketAddress remote,
                     const StreamListenerOptions& options, std::shared_ptr<TlsContext> tls,
                     std::shared_ptr<ListenerShared> shared)
      : loop_(loop),
        fd_(fd),
        local_(local),
        remote_(remote),
        max_queue_(options.max_write_queue_bytes),
        handshake_timeout_(options.tls_handshake_timeout),
        tls_(std::move(tls)),
        shared_(std::move(shared)) {
    ++shared_->stats.open;
  }

  ~AcceptedStreamImpl() override {
    CloseInternal();
    if (ssl_ != nullptr) SSL_free(ssl_);
  }

  absl::Status InitTls() {
    ssl_ = SSL_new(tls_->ctx);
    if (ssl_ == nullptr) return absl::InternalError("SSL_new: " + TlsErrors());
    SSL_set_mode(ssl_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_set_accept_state(ssl_);
    if (SSL_set_fd(ssl_, fd_) != 1) return absl::InternalError("SSL_set_fd: " + TlsErrors());
    return absl::OkStatus();
  }

  void Start(StreamCallbacks callbacks) override {
    if (state_ != State::kIdle) return;
    cb_ = std::move(callbacks);
    state_ = State::kStarting;
    // Deferred so that no callback runs inside Start() and on_connected comes before any on_data.
    deferred_ = loop_.RunAfter(Duration::Zero(), [this] {
      deferred_ = TimerHandle();
      Begin();
    });
  }

  absl::Status Write(ByteSpan data) override;
  void Close() override { CloseInternal(); }
  bool connected() const override { return state_ == State::kOpen; }
  size_t queued_bytes() const override { return wbuf_.size() - whead_; }
  SocketAddress local_address() const override { return local_; }
  SocketAddress remote_address() const override { return remote_; }
  TransportProtocol protocol() const override {
    return tls_ != nullptr ? TransportProtocol::kTls : TransportProtocol::kTcp;
  }
  std::string alpn_protocol() const override {
    if (ssl_ == nullptr || state_ != State::kOpen) return "";
    const uint8_t* p = nullptr;
    unsigned len = 0;
    SSL_get0_alpn_selected(ssl_, &p, &len);
    return std::string(reinterpret_cast<const char*>(p), len);
  }
  std::optional<TlsVersion> tls_version() const override {
    if (ssl_ == nullptr || state_ != State::kOpen) return std::nullopt;
    return FromWireVersion(SSL_version(ssl_));
  }

  void OnIoEvent(uint32_t events) override;

 private:
  enum class State { kIdle, kStarting, kHandshaking, kOpen, kClosed };

  void Begin();
  void DoHandshake();
  void Opened();
  void DoRead();
  void DoWrite(bool callbacks_allowed);
  void Fail(absl::Status status);
  void FailLater(absl::Status status);
  void CloseInternal();
  void UpdateInterest();
  bool Closed() const { return state_ == State::kClosed; }

  EventLoop& loop_;
  int fd_;
  const SocketAddress local_;
  const SocketAddress remote_;
  const size_t max_queue_;
  const Duration handshake_timeout_;
  std::shared_ptr<TlsContext> tls_;
  std::shared_ptr<ListenerShared> shared_;
  StreamCallbacks cb_;
  State state_ = State::kIdle;
  uint64_t registration_ = 0;
  bool registered_ = false;
  uint32_t interest_ = 0;
  TimerHandle deferred_;
  TimerHandle handshake_timer_;
  absl::Status deferred_error_;
  // Expires with the object: code that ran a user callback checks it before touching `this` again.
  std::shared_ptr<bool> token_ = std::make_shared<bool>(true);

  std::vector<uint8_t> wbuf_;
  size_t whead_ = 0;
  bool write_blocked_ = false;
  bool want_out_ = false;
  bool read_wants_write_ = false;
  SSL* ssl_ = nullptr;
};

void AcceptedStreamImpl::Begin() {
  if (Closed()) return;
  interest_ = EPOLLIN | EPOLLRDHUP;
  absl::StatusOr<uint64_t> reg = loop_.impl().Register(fd_, interest_, this);
  if (!reg.ok()) {
    Fail(reg.status());
    return;
  }
  registration_ = *reg;
  registered_ = true;
  if (ssl_ == nullptr) {
    Opened();
    return;
  }
  state_ = State::kHandshaking;
  if (!handshake_timeout_.is_infinite()) {
    handshake_timer_ = loop_.RunAfter(handshake_timeout_, [this] {
      handshake_timer_ = TimerHandle();
      ++shared_->stats.handshakes_failed;
      Fail(absl::DeadlineExceededError(
          absl::StrCat("TLS handshake from ", remote_.ToString(), " did not complete in time")));
    });
  }
  DoHandshake();
}

void AcceptedStreamImpl::OnIoEvent(uint32_t events) {
  std::weak_ptr<bool> token = token_;
  auto gone = [&] { return token.expired() || Closed(); };
  switch (state_) {
    case State::kHandshaking:
      DoHandshake();
      return;
    case State::kOpen:
      if (events & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP)) DoRead();
      if (gone()) return;
      if ((events & (EPOLLOUT | EPOLLIN)) && queued_bytes() > 0) DoWrite(/*callbacks_allowed=*/true);
      if (gone()) return;
      UpdateInterest();
      return;
    default:
      return;
  }
}

void AcceptedStreamImpl::DoHandshake() {
  const int r = SSL_do_handshake(ssl_);
  if (r == 1) {
    ++shared_->stats.handshakes_ok;
    Opened();
    return;
  }
  const int e = SSL_get_error(ssl_, r);
  if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
    want_out_ = e == SSL_ERROR_WANT_WRITE;
    UpdateInterest();
    return;
  }
  ++shared_->stats.handshakes_failed;
  std::string why = (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
                        ? std::string(r == 0 ? "connection closed" : strerror(errno))
                        : TlsErrors();
  ERR_clear_error();
  Fail(absl::UnavailableError(absl::StrCat("TLS handshake from ", remote_.ToString(), ": ", why)));
}

void AcceptedStreamImpl::Opened() {
  state_ = State::kOpen;
  want_out_ = false;
  loop_.Cancel(handshake_timer_);
  handshake_timer_ = TimerHandle();
  std::weak_ptr<bool> token = token_;
  auto gone = [&] { return token.expired() || Closed(); };
  if (cb_.on_connected) cb_.on_connected();
  if (gone()) return;
  if (queued_bytes() > 0) DoWrite(/*callbacks_allowed=*/true);
  if (gone()) return;
  // The client's first records may have arrived with its last handshake flight and sit inside BoringSSL.
  if (ssl_ != nullptr) DoRead();
  if (gone()) return;
  UpdateInterest();
}

void AcceptedStreamImpl::DoRead() {
  std::vector<uint8_t>& buf = loop_.impl().stream_buffer();
  std::weak_ptr<bool> token = token_;
  auto gone = [&] { return token.expired(); };
  read_wants_write_ = false;
  for (int i = 0; i < kMaxReadsPerEvent && !Closed(); ++i) {
    if (ssl_ == nullptr) {
      const ssize_t n = recv(fd_, buf.data(), buf.size(), 0);
      if (n > 0) {
        if (cb_.on_data) cb_.on_data(ByteSpan(buf.data(), static_cast<size_t>(n)));
        if (gone()) return;
        continue;
      }
      if (n == 0) {
        Fail(absl::OkStatus());
        return;
      }
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        Fail(ErrnoToStatus(absl::StrCat("recv from ", remote_.ToString()), errno));
      }
      return;
    }
    const int n = SSL_read(ssl_, buf.data(), static_cast<int>(buf.size()));
    if (n > 0) {
      if (cb_.on_data) cb_.on_data(ByteSpan(buf.data(), static_cast<size_t>(n)));
      if (gone()) return;
      continue;
    }
    const int e = SSL_get_error(ssl_, n);
    if (e == SSL_ERROR_WANT_READ) return;
    if (e == SSL_ERROR_WANT_WRITE) {
      read_wants_write_ = true;
      return;
    }
    if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 && n == 0)) {
      Fail(absl::OkStatus());  // close_notify, or a TCP close without it
    } else {
      std::string why = e == SSL_ERROR_SYSCALL ? std::string(strerror(errno)) : TlsErrors();
      ERR_clear_error();
      Fail(absl::UnavailableError(absl::StrCat("TLS read from ", remote_.ToString(), ": ", why)));
    }
    return;
  }
}

absl::Status AcceptedStreamImpl::Write(ByteSpan data) {
  if (Closed()) return absl::FailedPreconditionError("stream is closed");
  if (data.empty()) return absl::OkStatus();
  if (queued_bytes() + data.size() > max_queue_) {
    write_blocked_ = true;
    return absl::ResourceExhaustedError(
        absl::StrCat("stream write queue full (", queued_bytes(), " of ", max_queue_, " bytes queued)"));
  }
  wbuf_.insert(wbuf_.end(), data.begin(), data.end());
  if (state_ == State::kOpen && !want_out_) DoWrite(/*callbacks_allowed=*/false);
  return absl::OkStatus();
}

void AcceptedStreamImpl::DoWrite(bool callbacks_allowed) {
  want_out_ = false;
  while (queued_bytes() > 0) {
    const uint8_t* p = wbuf_.data() + whead_;
    const size_t len = queued_bytes();
    absl::Status error;
    if (ssl_ == nullptr) {
      const ssize_t n = send(fd_, p, len, MSG_NOSIGNAL);
      if (n > 0) {
        whead_ += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        want_out_ = true;
        break;
      }
      error = ErrnoToStatus(absl::StrCat("send to ", remote_.ToString()), errno);
    } else {
      const int n = SSL_write(ssl_, p, static_cast<int>(std::min(len, kMaxTlsRecord)));
      if (n > 0) {
        whead_ += static_cast<size_t>(n);
        continue;
      }
      const int e = SSL_get_error(ssl_, n);
      if (e == SSL_ERROR_WANT_WRITE) {
        want_out_ = true;
        break;
      }
      if (e == SSL_ERROR_WANT_READ) break;  // resumed on the next readable event
      std::string why = e == SSL_ERROR_SYSCALL ? std::string(strerror(errno)) : TlsErrors();
      ERR_clear_error();
      error = absl::UnavailableError(absl::StrCat("TLS write to ", remote_.ToString(), ": ", why));
    }
    if (callbacks_allowed) {
      Fail(std::move(error));
    } else {
      FailLater(std::move(error));
    }
    return;
  }
  if (whead_ == wbuf_.size()) {
    wbuf_.clear();
    whead_ = 0;
  } else if (whead_ > 64 * 1024 && whead_ > wbuf_.size() / 2) {
    wbuf_.erase(wbuf_.begin(), wbuf_.begin() + static_cast<ptrdiff_t>(whead_));
    whead_ = 0;
  }
  UpdateInterest();
  if (!write_blocked_ || queued_bytes() > max_queue_ / 2) return;
  if (callbacks_allowed) {
    write_blocked_ = false;
    if (cb_.on_writable) cb_.on_writable();
  } else if (!deferred_.valid()) {
    deferred_ = loop_.RunAfter(Duration::Zero(), [this] {
      deferred_ = TimerHandle();
      if (Closed() || !write_blocked_ || queued_bytes() > max_queue_ / 2) return;
      write_blocked_ = false;
      if (cb_.on_writable) cb_.on_writable();
    });
  }
}

void AcceptedStreamImpl::Fail(absl::Status status) {
  if (Closed()) return;
  CloseInternal();
  if (cb_.on_closed) {
    auto cb = std::move(cb_.on_closed);
    cb(std::move(status));
  }
}

void AcceptedStreamImpl::FailLater(absl::Status status) {
  deferred_error_ = std::move(status);
  loop_.Cancel(deferred_);
  deferred_ = loop_.RunAfter(Duration::Zero(), [this] {
    deferred_ = TimerHandle();
    Fail(std::move(deferred_error_));
  });
  // No further I/O callbacks before the failure is reported.
  if (registered_) {
    loop_.impl().Unregister(registration_, fd_);
    registered_ = false;
  }
}

void AcceptedStreamImpl::CloseInternal() {
  loop_.Cancel(deferred_);
  deferred_ = TimerHandle();
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  loop_.Cancel(handshake_timer_);
  handshake_timer_ = TimerHandle();
  if (fd_ >= 0) {
    if (registered_) loop_.impl().Unregister(registration_, fd_);
    registered_ = false;
    close(fd_);
    fd_ = -1;
  }
  wbuf_.clear();
  whead_ = 0;
  --shared_->stats.open;
}

void AcceptedStreamImpl::UpdateInterest() {
  if (!registered_ || Closed()) return;
  uint32_t want = EPOLLIN | EPOLLRDHUP;
  if (want_out_ || read_wants_write_) want |= EPOLLOUT;
  if (want == interest_) return;
  interest_ = want;
  if (absl::Status s = loop_.impl().Modify(registration_, fd_, want); !s.ok()) {
    TERN_LOG(kError) << "accepted stream epoll modify: " << s;
  }
}

}  // namespace

class StreamListener::Impl final : public net_internal::IoHandler {
 public:
  Impl(EventLoop& loop, StreamListenerOptions options, AcceptCallback on_accept)
      : loop_(loop), options_(std::move(options)), on_accept_(std::move(on_accept)) {}

  ~Impl() override {
    loop_.Cancel(resume_timer_);
    if (fd_ >= 0) {
      if (registered_) loop_.impl().Unregister(registration_, fd_);
      close(fd_);
    }
  }

  absl::Status Open() {
    if (options_.tls.has_value()) {
      absl::StatusOr<std::shared_ptr<TlsContext>> tls = MakeTlsContext(*options_.tls);
      if (!tls.ok()) return tls.status();
      tls_ = *std::move(tls);
    }
    const SocketAddress& bind_addr = options_.bind;
    if (!bind_addr.is_set()) return absl::InvalidArgumentError("stream listener needs a bind address");
    const IpFamily family = bind_addr.family();
    fd_ = socket(family == IpFamily::kV4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                 IPPROTO_TCP);
    if (fd_ < 0) return ErrnoToStatus("socket(TCP listener)", errno);
    const int one = 1;
    if (options_.reuse_address) setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (family == IpFamily::kV6) {
      const int v6only = options_.v6_only ? 1 : 0;
      setsockopt(fd_, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only));
    }
    sockaddr_storage ss;
    socklen_t len;
    net_internal::ToSockaddr(bind_addr, family, &ss, &len);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
      return ErrnoToStatus(absl::StrCat("bind ", bind_addr.ToString()), errno);
    }
    if (listen(fd_, options_.backlog) != 0) {
      return ErrnoToStatus(absl::StrCat("listen ", bind_addr.ToString()), errno);
    }
    len = sizeof(ss);
    if (getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
      local_ = net_internal::FromSockaddr(reinterpret_cast<sockaddr*>(&ss), len);
    }
    absl::StatusOr<uint64_t> reg = loop_.impl().Register(fd_, EPOLLIN, this);
    if (!reg.ok()) return reg.status();
    registration_ = *reg;
    registered_ = true;
    return absl::OkStatus();
  }

  void OnIoEvent(uint32_t) override {
    for (int i = 0; i < kMaxAcceptsPerEvent; ++i) {
      sockaddr_storage ss;
      socklen_t len = sizeof(ss);
      const int fd = accept4(fd_, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        ++shared_->stats.accept_errors;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
          // Out of descriptors: stop polling the listener briefly instead of spinning on it.
          TERN_LOG(kWarning) << "accept on " << local_.ToString() << ": " << strerror(errno) << "; pausing";
          PauseAccepting();
        }
        return;
      }
      const SocketAddress remote = net_internal::FromSockaddr(reinterpret_cast<sockaddr*>(&ss), len);
      if (options_.max_connections != 0 && shared_->stats.open >= options_.max_connections) {
        ++shared_->stats.refused_limit;
        close(fd);
        continue;
      }
      if (options_.no_delay) {
        const int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      }
      SocketAddress local = local_;
      sockaddr_storage ls;
      socklen_t ls_len = sizeof(ls);
      if (getsockname(fd, reinterpret_cast<sockaddr*>(&ls), &ls_len) == 0) {
        local = net_internal::FromSockaddr(reinterpret_cast<sockaddr*>(&ls), ls_len);
      }
      ++shared_->stats.accepted;
      auto stream = std::make_unique<AcceptedStreamImpl>(loop_, fd, local, remote, options_, tls_, shared_);
      if (tls_ != nullptr) {
        if (absl::Status s = stream->InitTls(); !s.ok()) {
          TERN_LOG(kError) << "TLS setup for " << remote.ToString() << ": " << s;
          continue;  // the stream closes the fd
        }
      }
      std::weak_ptr<bool> alive = alive_;
      if (on_accept_) on_accept_(std::move(stream));
      if (alive.expired()) return;  // the callback destroyed the listener
    }
  }

  void PauseAccepting() {
    if (!registered_) return;
    loop_.impl().Unregister(registration_, fd_);
    registered_ = false;
    resume_timer_ = loop_.RunAfter(kAcceptPauseOnFdExhaustion, [this] {
      resume_timer_ = TimerHandle();
      absl::StatusOr<uint64_t> reg = loop_.impl().Register(fd_, EPOLLIN, this);
      if (reg.ok()) {
        registration_ = *reg;
        registered_ = true;
      } else {
        TERN_LOG(kError) << "listener re-register: " << reg.status();
      }
    });
  }

  absl::Status Reload(const TlsServerCredentials& creds) {
    if (tls_ == nullptr) return absl::FailedPreconditionError("not a TLS listener");
    absl::StatusOr<std::shared_ptr<TlsContext>> tls = MakeTlsContext(creds);
    if (!tls.ok()) return tls.status();
    tls_ = *std::move(tls);
    return absl::OkStatus();
  }

  EventLoop& loop_;
  StreamListenerOptions options_;
  AcceptCallback on_accept_;
  std::shared_ptr<TlsContext> tls_;
  std::shared_ptr<ListenerShared> shared_ = std::make_shared<ListenerShared>();
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  int fd_ = -1;
  uint64_t registration_ = 0;
  bool registered_ = false;
  TimerHandle resume_timer_;
  SocketAddress local_;
};

absl::StatusOr<std::unique_ptr<StreamListener>> StreamListener::Listen(EventLoop& loop,
                                                                       StreamListenerOptions options,
                                                                       AcceptCallback on_accept) {
  auto impl = std::make_unique<Impl>(loop, std::move(options), std::move(on_accept));
  if (absl::Status s = impl->Open(); !s.ok()) return s;
  return std::unique_ptr<StreamListener>(new StreamListener(std::move(impl)));
}

StreamListener::StreamListener(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
StreamListener::~StreamListener() = default;

SocketAddress StreamListener::local_address() const { return impl_->local_; }
TransportProtocol StreamListener::protocol() const {
  return impl_->tls_ != nullptr ? TransportProtocol::kTls : TransportProtocol::kTcp;
}
absl::Status StreamListener::ReloadCredentials(const TlsServerCredentials& credentials) {
  return impl_->Reload(credentials);
}
const StreamListener::Stats& StreamListener::stats() const { return impl_->shared_->stats; }

}  // namespace tern
