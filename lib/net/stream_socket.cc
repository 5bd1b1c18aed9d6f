// TCP and TLS client sockets (see tern/net/stream_socket.h). TLS runs BoringSSL directly on the
// non-blocking fd: SSL_ERROR_WANT_READ/WANT_WRITE map onto epoll interest.
#include "tern/net/stream_socket.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
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

#include "absl/strings/str_cat.h"
#include "net/loop_impl.h"
#include "net/sockaddr_util.h"
#include "tern/base/log.h"

namespace tern {
namespace {

using net_internal::ErrnoToStatus;

constexpr int kMaxReadsPerEvent = 16;
constexpr size_t kMaxTlsWrite = 16 * 1024;

std::string SslErrorString() {
  std::string out;
  while (uint32_t e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "unknown TLS error" : out;
}

class StreamSocketImpl final : public StreamSocket, public net_internal::IoHandler {
 public:
  StreamSocketImpl(EventLoop& loop, TransportProtocol protocol, size_t max_queue, StreamCallbacks callbacks)
      : loop_(loop), protocol_(protocol), max_queue_(max_queue), cb_(std::move(callbacks)) {}

  ~StreamSocketImpl() override {
    CloseInternal();
    if (ssl_ != nullptr) SSL_free(ssl_);
    if (ctx_ != nullptr) SSL_CTX_free(ctx_);
  }

  absl::Status Connect(const SocketAddress& remote, const TcpClientOptions& options);
  absl::Status SetupTls(const TlsClientOptions& options);

  absl::Status Write(ByteSpan data) override;
  void Close() override { CloseInternal(); }
  bool connected() const override { return state_ == State::kOpen; }
  size_t queued_bytes() const override { return wbuf_.size() - whead_; }
  SocketAddress local_address() const override { return local_; }
  SocketAddress remote_address() const override { return remote_; }
  TransportProtocol protocol() const override { return protocol_; }

  void OnIoEvent(uint32_t events) override;

 private:
  enum class State { kConnecting, kHandshaking, kOpen, kClosed };

  static ssl_verify_result_t VerifyPin(SSL* ssl, uint8_t* out_alert);
  void OnConnectDone();
  void DoHandshake();
  void Opened();
  void DoRead();
  // Writes queued bytes. Errors close the socket (with on_closed when `callbacks`, else from a timer so no
  // callback runs inside Write()).
  void DoWrite(bool callbacks);
  void Fail(absl::Status status);
  void FailLater(absl::Status status);
  void CloseInternal();
  void UpdateInterest();
  bool Closed() const { return state_ == State::kClosed; }

  EventLoop& loop_;
  const TransportProtocol protocol_;
  const size_t max_queue_;
  StreamCallbacks cb_;
  State state_ = State::kConnecting;
  int fd_ = -1;
  uint64_t registration_ = 0;
  bool registered_ = false;
  uint32_t interest_ = 0;
  SocketAddress local_;
  SocketAddress remote_;
  TimerHandle connect_timer_;
  TimerHandle deferred_timer_;
  absl::Status deferred_error_;
  // Expires when the socket is destroyed: code that ran a user callback checks it before touching `this`.
  std::shared_ptr<bool> token_ = std::make_shared<bool>(true);

  std::vector<uint8_t> wbuf_;
  size_t whead_ = 0;
  bool write_blocked_ = false;     // a Write was refused: call on_writable once below half the limit
  bool want_out_ = false;          // the last write hit EAGAIN / WANT_WRITE
  bool read_wants_write_ = false;  // SSL_read returned WANT_WRITE

  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  TlsVerifyMode verify_ = TlsVerifyMode::kNone;
  std::array<uint8_t, 32> pin_{};
  bool pin_mismatch_ = false;
};

absl::Status StreamSocketImpl::Connect(const SocketAddress& remote, const TcpClientOptions& options) {
  if (!remote.is_set() || remote.port() == 0) {
    return absl::InvalidArgumentError(absl::StrCat("bad TCP destination ", remote.ToString()));
  }
  if (options.bind.is_set() && options.bind.family() != remote.family()) {
    return absl::InvalidArgumentError("TCP bind address and destination differ in family");
  }
  remote_ = remote;
  const IpFamily family = remote.family();
  fd_ = socket(family == IpFamily::kV4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
               IPPROTO_TCP);
  if (fd_ < 0) return ErrnoToStatus("socket(TCP)", errno);
  if (options.no_delay) {
    const int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  sockaddr_storage ss;
  socklen_t len;
  if (options.bind.is_set()) {
    net_internal::ToSockaddr(options.bind, family, &ss, &len);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
      return ErrnoToStatus(absl::StrCat("bind ", options.bind.ToString()), errno);
    }
  }
  net_internal::ToSockaddr(remote, family, &ss, &len);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&ss), len) != 0 && errno != EINPROGRESS) {
    return ErrnoToStatus(absl::StrCat("connect ", remote.ToString()), errno);
  }
  // Connected or in progress: EPOLLOUT reports completion either way, so no callback runs in here.
  interest_ = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
  absl::StatusOr<uint64_t> reg = loop_.impl().Register(fd_, interest_, this);
  if (!reg.ok()) return reg.status();
  registration_ = *reg;
  registered_ = true;
  if (!options.connect_timeout.is_infinite()) {
    connect_timer_ = loop_.RunAfter(options.connect_timeout, [this] {
      connect_timer_ = TimerHandle();
      Fail(absl::DeadlineExceededError(absl::StrCat(protocol_ == TransportProtocol::kTls ? "TLS" : "TCP",
                                                    " connect to ", remote_.ToString(), " timed out")));
    });
  }
  return absl::OkStatus();
}

ssl_verify_result_t StreamSocketImpl::VerifyPin(SSL* ssl, uint8_t* out_alert) {
  auto* self = static_cast<StreamSocketImpl*>(SSL_get_app_data(ssl));
  const STACK_OF(CRYPTO_BUFFER)* chain = SSL_get0_peer_certificates(ssl);
  if (self != nullptr && chain != nullptr && sk_CRYPTO_BUFFER_num(chain) > 0) {
    const CRYPTO_BUFFER* leaf = sk_CRYPTO_BUFFER_value(chain, 0);
    uint8_t digest[SHA256_DIGEST_LENGTH];
    SHA256(CRYPTO_BUFFER_data(leaf), CRYPTO_BUFFER_len(leaf), digest);
    if (memcmp(digest, self->pin_.data(), sizeof(digest)) == 0) return ssl_verify_ok;
  }
  if (self != nullptr) self->pin_mismatch_ = true;
  *out_alert = SSL_AD_BAD_CERTIFICATE;
  return ssl_verify_invalid;
}

absl::Status StreamSocketImpl::SetupTls(const TlsClientOptions& options) {
  ctx_ = SSL_CTX_new(TLS_method());
  if (ctx_ == nullptr) return absl::InternalError("SSL_CTX_new: " + SslErrorString());
  SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
  verify_ = options.verify;
  absl::StatusOr<IpAddress> ip_literal = IpAddress::Parse(options.server_name);
  if (verify_ == TlsVerifyMode::kCaBundle) {
    if (options.server_name.empty()) {
      return absl::InvalidArgumentError("TLS kCaBundle verification needs server_name");
    }
    X509_STORE* store = SSL_CTX_get_cert_store(ctx_);
    BIO* bio = BIO_new_mem_buf(options.ca_pem.data(), static_cast<int>(options.ca_pem.size()));
    int added = 0;
    while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
      if (X509_STORE_add_cert(store, cert) == 1) ++added;
      X509_free(cert);
    }
    BIO_free(bio);
    ERR_clear_error();  // the loop ends on a "no start line" error
    if (added == 0) return absl::InvalidArgumentError("TLS ca_pem holds no certificate");
  }
  ssl_ = SSL_new(ctx_);
  if (ssl_ == nullptr) return absl::InternalError("SSL_new: " + SslErrorString());
  SSL_set_mode(ssl_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_set_connect_state(ssl_);
  SSL_set_app_data(ssl_, this);
  if (!options.server_name.empty() && !ip_literal.ok() &&
      SSL_set_tlsext_host_name(ssl_, options.server_name.c_str()) != 1) {
    return absl::InvalidArgumentError("bad TLS server_name: " + SslErrorString());
  }
  switch (verify_) {
    case TlsVerifyMode::kNone:
      SSL_set_verify(ssl_, SSL_VERIFY_NONE, nullptr);
      break;
    case TlsVerifyMode::kPinnedCertificate:
      pin_ = options.pinned_sha256;
      SSL_set_custom_verify(ssl_, SSL_VERIFY_PEER, &StreamSocketImpl::VerifyPin);
      break;
    case TlsVerifyMode::kCaBundle: {
      SSL_set_verify(ssl_, SSL_VERIFY_PEER, nullptr);
      X509_VERIFY_PARAM* param = SSL_get0_param(ssl_);
      const int ok = ip_literal.ok() ? X509_VERIFY_PARAM_set1_ip_asc(param, options.server_name.c_str())
                                     : X509_VERIFY_PARAM_set1_host(param, options.server_name.data(),
                                                                   options.server_name.size());
      if (ok != 1) return absl::InvalidArgumentError("bad TLS server_name for verification");
      break;
    }
  }
  if (!options.alpn.empty()) {
    std::vector<uint8_t> wire;
    for (const std::string& p : options.alpn) {
      if (p.empty() || p.size() > 255) return absl::InvalidArgumentError("bad ALPN protocol name");
      wire.push_back(static_cast<uint8_t>(p.size()));
      wire.insert(wire.end(), p.begin(), p.end());
    }
    if (SSL_set_alpn_protos(ssl_, wire.data(), wire.size()) != 0) {
      return absl::InternalError("SSL_set_alpn_protos failed");
    }
  }
  return absl::OkStatus();
}

absl::Status StreamSocketImpl::Write(ByteSpan data) {
  if (Closed()) return absl::FailedPreconditionError("stream socket is closed");
  if (data.empty()) return absl::OkStatus();
  if (queued_bytes() + data.size() > max_queue_) {
    write_blocked_ = true;
    return absl::ResourceExhaustedError(
        absl::StrCat("stream write queue full (", queued_bytes(), " of ", max_queue_, " bytes queued)"));
  }
  wbuf_.insert(wbuf_.end(), data.begin(), data.end());
  if (state_ == State::kOpen && !want_out_) DoWrite(/*callbacks=*/false);
  return absl::OkStatus();
}

void StreamSocketImpl::OnIoEvent(uint32_t events) {
  std::weak_ptr<bool> token = token_;
  auto alive = [&] { return !token.expired(); };
  switch (state_) {
    case State::kConnecting:
      if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) OnConnectDone();
      break;
    case State::kHandshaking:
      DoHandshake();
      break;
    case State::kOpen:
      if (events & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP)) DoRead();
      if (!alive() || Closed()) return;
      if ((events & (EPOLLOUT | EPOLLIN)) && queued_bytes() > 0) DoWrite(/*callbacks=*/true);
      if (!alive() || Closed()) return;
      UpdateInterest();
      break;
    case State::kClosed:
      break;
  }
}

void StreamSocketImpl::OnConnectDone() {
  int err = 0;
  socklen_t len = sizeof(err);
  if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  if (err != 0) {
    Fail(ErrnoToStatus(absl::StrCat("connect ", remote_.ToString()), err));
    return;
  }
  sockaddr_storage ss;
  socklen_t ss_len = sizeof(ss);
  if (getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &ss_len) == 0) {
    local_ = net_internal::FromSockaddr(reinterpret_cast<sockaddr*>(&ss), ss_len);
  }
  if (ssl_ != nullptr) {
    state_ = State::kHandshaking;
    SSL_set_fd(ssl_, fd_);
    DoHandshake();
    return;
  }
  Opened();
}

void StreamSocketImpl::DoHandshake() {
  const int r = SSL_do_handshake(ssl_);
  if (r == 1) {
    Opened();
    return;
  }
  const int e = SSL_get_error(ssl_, r);
  if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
    want_out_ = e == SSL_ERROR_WANT_WRITE;
    UpdateInterest();
    return;
  }
  if (pin_mismatch_) {
    ERR_clear_error();
    Fail(absl::UnauthenticatedError("TLS server certificate does not match the pinned SHA-256"));
    return;
  }
  const long verify = SSL_get_verify_result(ssl_);
  if (verify_ == TlsVerifyMode::kCaBundle && SSL_get0_peer_certificates(ssl_) != nullptr &&
      verify != X509_V_OK) {
    ERR_clear_error();
    Fail(absl::UnauthenticatedError(
        absl::StrCat("TLS certificate verification failed: ", X509_verify_cert_error_string(verify))));
    return;
  }
  if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
    Fail(absl::UnavailableError(absl::StrCat("TLS handshake with ", remote_.ToString(), ": ",
                                             r == 0 ? "connection closed" : strerror(errno))));
    return;
  }
  Fail(absl::UnavailableError(
      absl::StrCat("TLS handshake with ", remote_.ToString(), ": ", SslErrorString())));
}

void StreamSocketImpl::Opened() {
  state_ = State::kOpen;
  want_out_ = false;
  loop_.Cancel(connect_timer_);
  connect_timer_ = TimerHandle();
  std::weak_ptr<bool> token = token_;
  if (cb_.on_connected) cb_.on_connected();
  if (token.expired() || Closed()) return;
  if (queued_bytes() > 0) DoWrite(/*callbacks=*/true);
  if (token.expired() || Closed()) return;
  // TLS may already hold application data that arrived with the last handshake flight.
  if (ssl_ != nullptr) DoRead();
  if (token.expired() || Closed()) return;
  UpdateInterest();
}

void StreamSocketImpl::DoRead() {
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
        if (gone()) return;
        break;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == EINTR) continue;
      Fail(ErrnoToStatus(absl::StrCat("recv from ", remote_.ToString()), errno));
      if (gone()) return;
      break;
    }
    const int n = SSL_read(ssl_, buf.data(), static_cast<int>(buf.size()));
    if (n > 0) {
      if (cb_.on_data) cb_.on_data(ByteSpan(buf.data(), static_cast<size_t>(n)));
      if (gone()) return;
      continue;
    }
    const int e = SSL_get_error(ssl_, n);
    if (e == SSL_ERROR_WANT_READ) break;
    if (e == SSL_ERROR_WANT_WRITE) {
      read_wants_write_ = true;
      break;
    }
    if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 && n == 0)) {
      // close_notify, or a TCP close without it: both end the stream.
      Fail(absl::OkStatus());
    } else {
      Fail(absl::UnavailableError(absl::StrCat("TLS read from ", remote_.ToString(), ": ",
                                               e == SSL_ERROR_SYSCALL ? strerror(errno) : SslErrorString())));
    }
    if (gone()) return;
    break;
  }
}

void StreamSocketImpl::DoWrite(bool callbacks) {
  want_out_ = false;
  while (queued_bytes() > 0) {
    const uint8_t* p = wbuf_.data() + whead_;
    const size_t len = queued_bytes();
    if (ssl_ == nullptr) {
      const ssize_t n = send(fd_, p, len, MSG_NOSIGNAL);
      if (n > 0) {
        whead_ += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        want_out_ = true;
        break;
      }
      if (n < 0 && errno == EINTR) continue;
      absl::Status s = ErrnoToStatus(absl::StrCat("send to ", remote_.ToString()), errno);
      if (callbacks) {
        Fail(std::move(s));
      } else {
        FailLater(std::move(s));
      }
      return;
    }
    const int n = SSL_write(ssl_, p, static_cast<int>(std::min(len, kMaxTlsWrite)));
    if (n > 0) {
      whead_ += static_cast<size_t>(n);
      continue;
    }
    const int e = SSL_get_error(ssl_, n);
    if (e == SSL_ERROR_WANT_WRITE) {
      want_out_ = true;
      break;
    }
    if (e == SSL_ERROR_WANT_READ) break;  // retried on the next readable event
    absl::Status s =
        absl::UnavailableError(absl::StrCat("TLS write to ", remote_.ToString(), ": ",
                                            e == SSL_ERROR_SYSCALL ? strerror(errno) : SslErrorString()));
    if (callbacks) {
      Fail(std::move(s));
    } else {
      FailLater(std::move(s));
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
  if (callbacks && write_blocked_ && queued_bytes() <= max_queue_ / 2) {
    write_blocked_ = false;
    if (cb_.on_writable) cb_.on_writable();
  } else if (!callbacks && write_blocked_ && queued_bytes() <= max_queue_ / 2 && !deferred_timer_.valid()) {
    // Report from the loop, not from inside Write().
    deferred_timer_ = loop_.RunAfter(Duration::Zero(), [this] {
      deferred_timer_ = TimerHandle();
      if (Closed() || !write_blocked_ || queued_bytes() > max_queue_ / 2) return;
      write_blocked_ = false;
      if (cb_.on_writable) cb_.on_writable();
    });
  }
}

void StreamSocketImpl::Fail(absl::Status status) {
  if (Closed()) return;
  CloseInternal();
  if (cb_.on_closed) {
    auto cb = std::move(cb_.on_closed);
    cb(std::move(status));
  }
}

void StreamSocketImpl::FailLater(absl::Status status) {
  deferred_error_ = std::move(status);
  loop_.Cancel(deferred_timer_);
  deferred_timer_ = loop_.RunAfter(Duration::Zero(), [this] {
    deferred_timer_ = TimerHandle();
    Fail(std::move(deferred_error_));
  });
  // Stop polling the socket so no other callback runs before the failure is reported.
  if (registered_) {
    loop_.impl().Unregister(registration_, fd_);
    registered_ = false;
  }
}

void StreamSocketImpl::CloseInternal() {
  if (state_ == State::kClosed) {
    loop_.Cancel(deferred_timer_);
    deferred_timer_ = TimerHandle();
    return;
  }
  state_ = State::kClosed;
  loop_.Cancel(connect_timer_);
  connect_timer_ = TimerHandle();
  // A pending FailLater timer is the one calling Fail -> CloseInternal; cancelling it here is harmless.
  loop_.Cancel(deferred_timer_);
  deferred_timer_ = TimerHandle();
  if (fd_ >= 0) {
    if (registered_) loop_.impl().Unregister(registration_, fd_);
    registered_ = false;
    close(fd_);
    fd_ = -1;
  }
  wbuf_.clear();
  whead_ = 0;
}

void StreamSocketImpl::UpdateInterest() {
  if (!registered_ || Closed()) return;
  uint32_t want = EPOLLIN | EPOLLRDHUP;
  if (state_ == State::kConnecting || want_out_ || read_wants_write_) want |= EPOLLOUT;
  if (want == interest_) return;
  interest_ = want;
  absl::Status s = loop_.impl().Modify(registration_, fd_, want);
  if (!s.ok()) TERN_LOG(kError) << "stream socket epoll modify: " << s;
}

}  // namespace

absl::StatusOr<std::unique_ptr<StreamSocket>> ConnectTcp(EventLoop& loop, const SocketAddress& remote,
                                                         const TcpClientOptions& options,
                                                         StreamCallbacks callbacks) {
  auto s = std::make_unique<StreamSocketImpl>(loop, TransportProtocol::kTcp, options.max_write_queue_bytes,
                                              std::move(callbacks));
  if (absl::Status st = s->Connect(remote, options); !st.ok()) return st;
  return std::unique_ptr<StreamSocket>(std::move(s));
}

absl::StatusOr<std::unique_ptr<StreamSocket>> ConnectTls(EventLoop& loop, const SocketAddress& remote,
                                                         const TlsClientOptions& options,
                                                         StreamCallbacks callbacks) {
  auto s = std::make_unique<StreamSocketImpl>(loop, TransportProtocol::kTls,
                                              options.tcp.max_write_queue_bytes, std::move(callbacks));
  if (absl::Status st = s->SetupTls(options); !st.ok()) return st;
  if (absl::Status st = s->Connect(remote, options.tcp); !st.ok()) return st;
  return std::unique_ptr<StreamSocket>(std::move(s));
}

}  // namespace tern
