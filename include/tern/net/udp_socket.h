// Non-blocking UDP sockets on an EventLoop: v4, v6 and dual-stack; a fixed port or a port from a range;
// batched recvmmsg/sendmmsg; UDP GSO (UDP_SEGMENT) and GRO (UDP_GRO) where the kernel has them, detected at
// runtime with a fallback; IP_PKTINFO/IPV6_RECVPKTINFO so a wildcard-bound socket reports the local address
// of every datagram and can choose the source address of a send.
#ifndef TERN_NET_UDP_SOCKET_H_
#define TERN_NET_UDP_SOCKET_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tern/base/byte_io.h"
#include "tern/base/datagram.h"
#include "tern/base/ip_address.h"
#include "tern/base/random.h"
#include "tern/net/runtime.h"

namespace tern {

struct UdpSocketOptions {
  // Address to bind: 0.0.0.0 / :: for every interface, or one address. Port 0 with no range: the kernel
  // picks an ephemeral port.
  SocketAddress bind;
  // When max_port != 0: bind to a port in [min_port, max_port], trying every port of the range once,
  // starting at a random offset drawn from the Random& given to Open(). All taken: ResourceExhausted.
  // (BigBlueButton configures 16384-32768, coturn 49152-65535.) `bind.port()` must then be 0.
  uint16_t min_port = 0;
  uint16_t max_port = 0;
  // For a v6 bind: false sets IPV6_V6ONLY=0 so the socket also takes IPv4 traffic (dual-stack). Received
  // v4-mapped addresses (::ffff:a.b.c.d) are reported as plain IPv4 in Datagram.local/remote, and IPv4
  // destinations are mapped on send, so cores only ever see IPv4 for IPv4 peers.
  bool v6_only = true;
  // SO_REUSEADDR (off by default: two sockets never share a port by accident).
  bool reuse_address = false;
  // SO_RCVBUF / SO_SNDBUF in bytes; 0 keeps the kernel default.
  int recv_buffer_size = 0;
  int send_buffer_size = 0;
  // recvmmsg/sendmmsg batches; false uses one recvmsg/sendmsg per datagram (the fallback path).
  bool batching = true;
  // UDP GSO on send / GRO on receive when the kernel supports them; false forces the fallback.
  bool gso = true;
  bool gro = true;
  // Queued outgoing datagrams are flushed when the loop finishes its current iteration, or earlier once
  // this many are queued. With batching off every Send goes out immediately.
  int max_send_batch = 64;
  // When the kernel's send buffer is full, queued datagrams wait for EPOLLOUT; beyond this many queued bytes
  // new datagrams are dropped (counted in Stats::send_errors).
  size_t max_send_queue_bytes = 1 << 20;
};

// A bound UDP socket. Loop thread only (see runtime.h); destroy it before its Runtime.
class UdpSocket {
 public:
  // Called on the loop thread for every received datagram. Datagram.payload points into the loop's receive
  // pool and is valid only during the call. Datagram.local is the address the datagram arrived on (from
  // IP_PKTINFO: the real local address even when bound to a wildcard), Datagram.remote the sender.
  using ReceiveCallback = absl::AnyInvocable<void(const Datagram&)>;

  struct Stats {
    uint64_t datagrams_received = 0;
    uint64_t bytes_received = 0;
    uint64_t datagrams_sent = 0;
    uint64_t bytes_sent = 0;
    uint64_t recv_syscalls = 0;  // recvmmsg/recvmsg calls that returned data
    uint64_t send_syscalls = 0;  // sendmmsg/sendmsg calls
    uint64_t gro_batches = 0;    // receive buffers that held more than one coalesced datagram
    uint64_t gso_sends = 0;      // sends that carried more than one segment
    uint64_t truncated = 0;      // received datagrams dropped: larger than a pool slot
    uint64_t send_errors = 0;    // datagrams dropped by a failed send (EAGAIN counts here)
  };

  // Opens, configures and binds a socket on `loop` (loop thread). `random` picks the start of a port range.
  static absl::StatusOr<std::unique_ptr<UdpSocket>> Open(EventLoop& loop, const UdpSocketOptions& options,
                                                         Random& random, ReceiveCallback on_receive);
  ~UdpSocket();
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;

  // The bound address (the wildcard when bound to one) and port.
  SocketAddress local_address() const;
  IpFamily family() const;
  bool dual_stack() const;
  // Can this socket send to `remote` (family match, or a v4 remote on a dual-stack socket)?
  bool CanSendTo(const SocketAddress& remote) const;

  // Queues one datagram (copied) for `remote`; it leaves with the next flush (see max_send_batch).
  // `source`, when set, of the destination's family, and the socket is bound to a wildcard, selects the
  // source address (IP_PKTINFO / IPV6_PKTINFO); otherwise it is ignored.
  // InvalidArgument for a family mismatch or an empty/oversized (> 65507 B) payload. Send errors are
  // counted in stats(), not returned (UDP is lossy anyway).
  absl::Status Send(const SocketAddress& remote, ByteSpan payload, const IpAddress& source = {});
  // Sends `data` as consecutive datagrams of `segment_size` bytes (the last may be shorter) to one
  // destination: one GSO send when available, otherwise one datagram each.
  absl::Status SendSegments(const SocketAddress& remote, ByteSpan data, size_t segment_size,
                            const IpAddress& source = {});
  // Sends whatever is queued now.
  void Flush();

  bool gso_enabled() const;
  bool gro_enabled() const;
  const Stats& stats() const;

  class Impl;

 private:
  explicit UdpSocket(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tern

#endif  // TERN_NET_UDP_SOCKET_H_
