// TCP and TLS client sockets on an EventLoop: non-blocking connect, reads delivered by callback, writes
// through a bounded queue with backpressure. TLS is BoringSSL over the TCP socket (SNI, and verification
// by CA bundle, by a pinned certificate digest, or none for tests); no BoringSSL type appears here. The TURN
// client uses these for TURN over TCP/TLS (RFC 8656 section 3.1, RFC 6062).
#ifndef TERN_NET_STREAM_SOCKET_H_
#define TERN_NET_STREAM_SOCKET_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tern/base/byte_io.h"
#include "tern/base/datagram.h"
#include "tern/base/ip_address.h"
#include "tern/base/time.h"
#include "tern/net/runtime.h"

namespace tern {

// Callbacks run on the loop thread. A callback may Close() or Write() but must not destroy the socket
// (Post the destruction instead).
struct StreamCallbacks {
  // The connection (and for TLS the handshake) completed.
  absl::AnyInvocable<void()> on_connected;
  // Bytes arrived: a chunk of the byte stream, not a message; valid only during the call.
  absl::AnyInvocable<void(ByteSpan)> on_data;
  // The connection ended: OkStatus for an orderly close by the peer, an error otherwise (connect refused,
  // timeout, reset, TLS failure). Called at most once, and never after a local Close().
  absl::AnyInvocable<void(absl::Status)> on_closed;
  // The write queue drained below half of its limit after a Write was refused (backpressure released).
  absl::AnyInvocable<void()> on_writable;
};

struct TcpClientOptions {
  // Optional local address to bind before connecting (unset: the kernel chooses).
  SocketAddress bind;
  // Write() refuses data beyond this many queued bytes (ResourceExhausted).
  size_t max_write_queue_bytes = 1 << 20;
  // Fails the connection (on_closed with DeadlineExceeded) when not connected in time. Infinite: none.
  Duration connect_timeout = Duration::Seconds(10);
  // TCP_NODELAY: STUN/TURN messages are small and latency-sensitive.
  bool no_delay = true;
};

enum class TlsVerifyMode : uint8_t {
  kCaBundle,           // verify the chain against `ca_pem` and the name against `server_name`
  kPinnedCertificate,  // accept exactly the leaf certificate whose DER SHA-256 is `pinned_sha256`
  kNone,               // accept anything (tests against a self-signed server only)
};

struct TlsClientOptions {
  TcpClientOptions tcp;
  // SNI and the name verified in kCaBundle mode. Empty: no SNI (and kCaBundle then fails).
  std::string server_name;
  TlsVerifyMode verify = TlsVerifyMode::kCaBundle;
  // PEM text of trusted CA certificates (kCaBundle).
  std::string ca_pem;
  // SHA-256 of the server's DER leaf certificate (kPinnedCertificate).
  std::array<uint8_t, 32> pinned_sha256{};
  // ALPN protocol names offered, e.g. {"stun.turn"}; empty: none.
  std::vector<std::string> alpn;
};

// A connected byte stream (TCP or TLS). Loop thread only; destroy before its Runtime.
class StreamSocket {
 public:
  virtual ~StreamSocket() = default;
  // Queues bytes (copied). ResourceExhausted when they would exceed max_write_queue_bytes (nothing is
  // queued; wait for on_writable); FailedPrecondition once closed. Bytes written before on_connected are
  // queued and sent after the handshake.
  virtual absl::Status Write(ByteSpan data) = 0;
  // Closes now; queued bytes that were not yet sent are dropped. No callback follows. Idempotent.
  virtual void Close() = 0;
  virtual bool connected() const = 0;
  virtual size_t queued_bytes() const = 0;
  virtual SocketAddress local_address() const = 0;
  virtual SocketAddress remote_address() const = 0;
  virtual TransportProtocol protocol() const = 0;
};

// Starts a non-blocking TCP connect to `remote`. Errors found before connecting (bad address, socket
// failure) are returned; later ones arrive through on_closed.
absl::StatusOr<std::unique_ptr<StreamSocket>> ConnectTcp(EventLoop& loop, const SocketAddress& remote,
                                                         const TcpClientOptions& options,
                                                         StreamCallbacks callbacks);

// TCP connect, then a TLS 1.2/1.3 client handshake; on_connected fires after the handshake.
absl::StatusOr<std::unique_ptr<StreamSocket>> ConnectTls(EventLoop& loop, const SocketAddress& remote,
                                                         const TlsClientOptions& options,
                                                         StreamCallbacks callbacks);

}  // namespace tern

#endif  // TERN_NET_STREAM_SOCKET_H_
