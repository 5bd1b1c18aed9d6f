// The accepting side of TCP and TLS: a listening socket on an EventLoop that hands each accepted
// connection to the application as a StreamSocket (stream_socket.h), with BoringSSL for the TLS server
// handshake. Servers use it for STUN/TURN over TCP and TLS (RFC 8489 §6.2.2-§6.2.3, RFC 8656 §3.1). The
// TLS certificate can be replaced while running (certificate renewal); connections already open keep the
// one they started with. No BoringSSL type appears here.
#ifndef TERN_NET_STREAM_LISTENER_H_
#define TERN_NET_STREAM_LISTENER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tern/base/ip_address.h"
#include "tern/base/time.h"
#include "tern/net/runtime.h"
#include "tern/net/stream_socket.h"

namespace tern {

enum class TlsVersion : uint8_t { kTls1_0, kTls1_1, kTls1_2, kTls1_3 };

// A server certificate and how the server speaks TLS.
struct TlsServerCredentials {
  // PEM text: the leaf certificate first, then any intermediates; and its private key (RSA or EC).
  std::string certificate_chain_pem;
  std::string private_key_pem;
  // OpenSSL cipher string for TLS <= 1.2 (empty: BoringSSL's default); unknown names are skipped, a
  // string that selects no cipher is an error. TLS 1.3 suites are fixed.
  std::string cipher_list;
  // Oldest version accepted (coturn: no-tlsv1, no-tlsv1_1 raise it). Default TLS 1.2.
  TlsVersion min_version = TlsVersion::kTls1_2;
  // ALPN protocols the server accepts (e.g. "stun.turn", "stun.nat-discovery"); a client that offers
  // only others is refused. Empty: ALPN ignored.
  std::vector<std::string> alpn;
};

struct StreamListenerOptions {
  // Address and port to listen on (port 0: the kernel picks one; see local_address()).
  SocketAddress bind;
  int backlog = 1024;
  // SO_REUSEADDR: restart without waiting out TIME_WAIT.
  bool reuse_address = true;
  // For a v6 bind: false also accepts IPv4 (reported as plain IPv4 addresses).
  bool v6_only = true;
  // Each accepted connection's write queue limit (StreamSocket::Write refuses beyond it).
  size_t max_write_queue_bytes = 1 << 20;
  bool no_delay = true;
  // Connections beyond this many open at once are closed right after accept. 0: no limit.
  size_t max_connections = 0;
  // TLS: a connection that has not finished its handshake in this time is closed (slow-client defence).
  Duration tls_handshake_timeout = Duration::Seconds(10);
  // Set for a TLS listener.
  std::optional<TlsServerCredentials> tls;
};

// An accepted connection. Nothing happens on it until Start(): the application decides first whether to
// keep it (destroying it closes it) and which callbacks it gets.
class AcceptedStream : public StreamSocket {
 public:
  // Loop thread. Begins reading (and for TLS the server handshake). on_connected runs from the loop (never
  // inside Start) when the stream is ready: at once for TCP, after the handshake for TLS. A failed or timed
  // out handshake reports on_closed. Calling Start twice does nothing.
  virtual void Start(StreamCallbacks callbacks) = 0;
  // For TLS after the handshake: the ALPN protocol chosen ("" if none) and the negotiated version.
  virtual std::string alpn_protocol() const = 0;
  virtual std::optional<TlsVersion> tls_version() const = 0;
};

// A listening TCP socket (plain or TLS). Loop thread only; destroy it (and the streams it accepted)
// before the Runtime. Accepted streams are independent of the listener and may outlive it.
class StreamListener {
 public:
  // Called on the loop thread for each accepted connection. The callee owns the stream.
  using AcceptCallback = absl::AnyInvocable<void(std::unique_ptr<AcceptedStream>)>;

  struct Stats {
    uint64_t accepted = 0;
    uint64_t refused_limit = 0;   // closed at once: max_connections open
    uint64_t accept_errors = 0;   // accept() failures other than EAGAIN (EMFILE pauses accepting briefly)
    uint64_t handshakes_ok = 0;
    uint64_t handshakes_failed = 0;  // includes timeouts
    uint64_t open = 0;            // gauge: accepted streams not yet closed or destroyed
  };

  // Validates the credentials, binds and listens. InvalidArgument for bad PEM or a key that does not
  // match the certificate.
  static absl::StatusOr<std::unique_ptr<StreamListener>> Listen(EventLoop& loop, StreamListenerOptions options,
                                                                AcceptCallback on_accept);
  ~StreamListener();
  StreamListener(const StreamListener&) = delete;
  StreamListener& operator=(const StreamListener&) = delete;

  SocketAddress local_address() const;
  TransportProtocol protocol() const;  // kTcp or kTls
  // Replaces the TLS certificate and settings for connections accepted from now on (SIGUSR2 in
  // tern-turnserver). On error the old credentials stay. FailedPrecondition on a TCP listener.
  absl::Status ReloadCredentials(const TlsServerCredentials& credentials);
  const Stats& stats() const;

  class Impl;

 private:
  explicit StreamListener(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tern

#endif  // TERN_NET_STREAM_LISTENER_H_
