// UdpSocket: non-blocking datagram socket with batched receive/send, GSO/GRO and PKTINFO.
#include "tern/net/udp_socket.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "net/loop_impl.h"
#include "net/sockaddr_util.h"
#include "tern/base/log.h"

#ifndef SOL_UDP
#define SOL_UDP 17
#endif
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif

namespace tern {
namespace {

using net_internal::ErrnoToStatus;
using net_internal::FromSockaddr;
using net_internal::ToSockaddr;

constexpr size_t kMaxUdpPayload = 65507;
// Linux accepts up to 64 segments per GSO send (UDP_MAX_SEGMENTS on older kernels) and a total that fits
// in one IP datagram.
constexpr size_t kMaxGsoSegments = 64;
constexpr size_t kMaxGsoBytes = 65000;
// recvmmsg rounds per readiness event before yielding to other sockets (level-triggered epoll calls back).
constexpr int kMaxReceiveRounds = 8;
constexpr size_t kSendControlBytes = 64;
constexpr int kMaxSendMessages = 64;

int SetInt(int fd, int level, int name, int value) {
  return setsockopt(fd, level, name, &value, sizeof(value));
}

}  // namespace

class UdpSocket::Impl final : public net_internal::IoHandler, public net_internal::Flushable {
 public:
  Impl(EventLoop& loop, const UdpSocketOptions& options, ReceiveCallback on_receive)
      : li_(loop.impl()), options_(options), on_receive_(std::move(on_receive)) {}

  ~Impl() override {
    if (alive_flag_ != nullptr) *alive_flag_ = false;
    li_.CancelFlush(this);  // may be listed even after an early flush
    if (fd_ >= 0) {
      if (registered_) li_.Unregister(registration_, fd_);
      close(fd_);
    }
  }

  absl::Status Init(Random& random);
  void OnIoEvent(uint32_t events) override;
  void FlushQueued() override;
  absl::Status Enqueue(const SocketAddress& remote, ByteSpan payload, const IpAddress& source,
                       size_t segment_size);

  SocketAddress local_;
  IpFamily family_ = IpFamily::kUnspecified;
  bool dual_stack_ = false;
  bool wildcard_ = false;
  bool gso_ = false;
  bool gro_ = false;
  Stats stats_;

  bool CanSendTo(const SocketAddress& remote) const {
    if (!remote.is_set()) return false;
    return remote.family() == family_ || (dual_stack_ && remote.ip().is_v4());
  }

 private:
  struct Pending {
    sockaddr_storage addr;
    socklen_t addr_len;
    IpAddress source;
    size_t offset;
    size_t len;
    size_t segment_size;  // 0: one datagram
  };
  // One outgoing message built from pending_[first, first + entries).
  struct Built {
    size_t first;
    size_t entries;
    size_t datagrams;
    size_t bytes;
    bool gso;
  };

  absl::Status Bind(Random& random);
  void Receive();
  void Deliver(net_internal::RecvPool& pool, int i, const bool& alive);
  bool GsoAllowed(size_t entry) const { return gso_ && entry >= gso_off_until_; }
  size_t DatagramCount(const Pending& p) const {
    return p.segment_size == 0 ? 1 : (p.len + p.segment_size - 1) / p.segment_size;
  }
  // Fills message slot m from pending entries starting at `first`; returns the description.
  Built BuildMessage(int m, size_t first);
  void SetWritableInterest(bool want);
  void Compact();

  net_internal::LoopImpl& li_;
  UdpSocketOptions options_;
  ReceiveCallback on_receive_;
  int fd_ = -1;
  uint64_t registration_ = 0;
  bool registered_ = false;
  bool* alive_flag_ = nullptr;

  std::vector<Pending> pending_;
  size_t pending_head_ = 0;
  size_t gso_off_until_ = 0;  // entries before this index go out without GSO
  std::vector<uint8_t> send_arena_;
  size_t arena_consumed_ = 0;
  bool flush_requested_ = false;
  bool waiting_writable_ = false;
  // The message arrays FlushQueued builds and hands to sendmmsg: filled and used within one call, so
  // one set per thread serves every socket (a server holds thousands of sockets).
  struct SendScratch {
    std::vector<struct mmsghdr> msgs;
    std::vector<struct iovec> iovs;
    std::vector<uint8_t> control;
    std::vector<Built> built;
  };
  static SendScratch& Scratch();
};

UdpSocket::Impl::SendScratch& UdpSocket::Impl::Scratch() {
  thread_local SendScratch scratch;
  if (scratch.msgs.empty()) {
    scratch.msgs.resize(kMaxSendMessages);
    scratch.iovs.resize(kMaxSendMessages);
    scratch.control.resize(kMaxSendMessages * kSendControlBytes);
    scratch.built.reserve(kMaxSendMessages);
  }
  return scratch;
}

absl::Status UdpSocket::Impl::Init(Random& random) {
  const UdpSocketOptions& o = options_;
  if (!o.bind.is_set()) return absl::InvalidArgumentError("UdpSocketOptions.bind must be an IP address");
  if (o.max_port != 0) {
    if (o.min_port == 0 || o.min_port > o.max_port) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad UDP port range [", o.min_port, ", ", o.max_port, "]"));
    }
    if (o.bind.port() != 0) {
      return absl::InvalidArgumentError("UdpSocketOptions: set either bind.port() or a port range");
    }
  }
  if (o.max_send_batch < 1 || o.max_send_batch > 1024) {
    return absl::InvalidArgumentError("UdpSocketOptions.max_send_batch must be in [1, 1024]");
  }
  if (o.recv_buffer_size < 0 || o.send_buffer_size < 0) {
    return absl::InvalidArgumentError("UdpSocketOptions buffer sizes must be >= 0");
  }
  family_ = o.bind.family();
  wildcard_ = o.bind.ip().IsUnspecified();
  const int domain = family_ == IpFamily::kV4 ? AF_INET : AF_INET6;
  fd_ = socket(domain, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
  if (fd_ < 0) return ErrnoToStatus("socket(UDP)", errno);

  if (family_ == IpFamily::kV6) {
    if (SetInt(fd_, IPPROTO_IPV6, IPV6_V6ONLY, o.v6_only ? 1 : 0) != 0) {
      return ErrnoToStatus("setsockopt(IPV6_V6ONLY)", errno);
    }
    dual_stack_ = !o.v6_only;
    if (SetInt(fd_, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1) != 0) {
      return ErrnoToStatus("setsockopt(IPV6_RECVPKTINFO)", errno);
    }
    // IPv4 traffic on a dual-stack socket reports its destination through IP_PKTINFO.
    if (dual_stack_) (void)SetInt(fd_, IPPROTO_IP, IP_PKTINFO, 1);
  } else {
    if (SetInt(fd_, IPPROTO_IP, IP_PKTINFO, 1) != 0) return ErrnoToStatus("setsockopt(IP_PKTINFO)", errno);
  }
  if (o.reuse_address && SetInt(fd_, SOL_SOCKET, SO_REUSEADDR, 1) != 0) {
    return ErrnoToStatus("setsockopt(SO_REUSEADDR)", errno);
  }
  if (o.recv_buffer_size > 0 && SetInt(fd_, SOL_SOCKET, SO_RCVBUF, o.recv_buffer_size) != 0) {
    return ErrnoToStatus("setsockopt(SO_RCVBUF)", errno);
  }
  if (o.send_buffer_size > 0 && SetInt(fd_, SOL_SOCKET, SO_SNDBUF, o.send_buffer_size) != 0) {
    return ErrnoToStatus("setsockopt(SO_SNDBUF)", errno);
  }
  if (o.gso) {
    // Probe: kernels with UDP GSO (4.18+) know the option.
    int value = 0;
    socklen_t len = sizeof(value);
    gso_ = getsockopt(fd_, SOL_UDP, UDP_SEGMENT, &value, &len) == 0;
  }
  if (o.gro) gro_ = SetInt(fd_, SOL_UDP, UDP_GRO, 1) == 0;

  if (absl::Status s = Bind(random); !s.ok()) return s;

  sockaddr_storage ss;
  socklen_t ss_len = sizeof(ss);
  if (getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &ss_len) != 0) {
    return ErrnoToStatus("getsockname", errno);
  }
  // Keep the bound IP as given (a dual-stack "::" stays "::"); take the port from the kernel.
  local_ = SocketAddress(o.bind.ip(), FromSockaddr(reinterpret_cast<sockaddr*>(&ss), ss_len).port());

  absl::StatusOr<uint64_t> reg = li_.Register(fd_, EPOLLIN, this);
  if (!reg.ok()) return reg.status();
  registration_ = *reg;
  registered_ = true;
  return absl::OkStatus();
}

absl::Status UdpSocket::Impl::Bind(Random& random) {
  const UdpSocketOptions& o = options_;
  sockaddr_storage ss;
  socklen_t len;
  auto try_port = [&](uint16_t port) -> int {
    if (!ToSockaddr(SocketAddress(o.bind.ip(), port), family_, &ss, &len)) return EINVAL;
    return bind(fd_, reinterpret_cast<sockaddr*>(&ss), len) == 0 ? 0 : errno;
  };
  if (o.max_port == 0) {
    const int err = try_port(o.bind.port());
    if (err != 0) return ErrnoToStatus(absl::StrCat("bind ", o.bind.ToString()), err);
    return absl::OkStatus();
  }
  const uint32_t count = uint32_t{o.max_port} - o.min_port + 1;
  const uint32_t start = static_cast<uint32_t>(random.Uniform(count));
  for (uint32_t i = 0; i < count; ++i) {
    const uint16_t port = static_cast<uint16_t>(o.min_port + (start + i) % count);
    const int err = try_port(port);
    if (err == 0) return absl::OkStatus();
    if (err != EADDRINUSE && err != EACCES) {
      return ErrnoToStatus(absl::StrCat("bind ", SocketAddress(o.bind.ip(), port).ToString()), err);
    }
  }
  return absl::ResourceExhaustedError(
      absl::StrCat("no free UDP port in [", o.min_port, ", ", o.max_port, "] on ", o.bind.ip().ToString()));
}

void UdpSocket::Impl::OnIoEvent(uint32_t events) {
  if (events & EPOLLOUT) {
    SetWritableInterest(false);
    FlushQueued();
  }
  if (events & (EPOLLIN | EPOLLERR)) Receive();
}

void UdpSocket::Impl::Receive() {
  net_internal::RecvPool& pool = gro_ ? li_.gro_pool() : li_.recv_pool();
  bool alive = true;
  alive_flag_ = &alive;
  for (int round = 0; round < kMaxReceiveRounds; ++round) {
    const int batch = options_.batching ? pool.batch : 1;
    for (int i = 0; i < batch; ++i) pool.Reset(i);
    int n;
    if (options_.batching) {
      n = recvmmsg(fd_, pool.msgs.data(), static_cast<unsigned>(batch), MSG_DONTWAIT, nullptr);
    } else {
      const ssize_t r = recvmsg(fd_, &pool.msgs[0].msg_hdr, MSG_DONTWAIT);
      if (r >= 0) pool.msgs[0].msg_len = static_cast<unsigned>(r);
      n = r >= 0 ? 1 : -1;
    }
    if (n < 0) {
      const int err = errno;
      if (err == EAGAIN || err == EWOULDBLOCK) break;
      if (err == EINTR) continue;
      // A queued ICMP error (ECONNREFUSED...) is consumed by this call; keep reading.
      TERN_LOG(kVerbose) << "udp receive on " << local_.ToString() << ": " << strerror(err);
      continue;
    }
    ++stats_.recv_syscalls;
    for (int i = 0; i < n; ++i) {
      Deliver(pool, i, alive);
      if (!alive) return;  // the callback destroyed the socket
    }
    if (n < batch) break;
  }
  alive_flag_ = nullptr;
}

void UdpSocket::Impl::Deliver(net_internal::RecvPool& pool, int i, const bool& alive) {
  msghdr& h = pool.msgs[i].msg_hdr;
  const size_t len = pool.msgs[i].msg_len;
  if (h.msg_flags & MSG_TRUNC) {
    ++stats_.truncated;
    return;
  }
  Datagram d;
  d.protocol = TransportProtocol::kUdp;
  d.remote = FromSockaddr(static_cast<const sockaddr*>(h.msg_name), h.msg_namelen);
  d.local = local_;
  size_t gso_size = 0;
  for (cmsghdr* c = CMSG_FIRSTHDR(&h); c != nullptr; c = CMSG_NXTHDR(&h, c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      in_pktinfo info;
      memcpy(&info, CMSG_DATA(c), sizeof(info));
      const auto* b = reinterpret_cast<const uint8_t*>(&info.ipi_addr);
      d.local = SocketAddress(IpAddress::V4(std::span<const uint8_t, 4>(b, 4)), local_.port());
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
      in6_pktinfo info;
      memcpy(&info, CMSG_DATA(c), sizeof(info));
      const auto* b = reinterpret_cast<const uint8_t*>(&info.ipi6_addr);
      d.local = SocketAddress(IpAddress::V6(std::span<const uint8_t, 16>(b, 16)).Unmapped(), local_.port());
    } else if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
      int size;
      memcpy(&size, CMSG_DATA(c), sizeof(size));
      if (size > 0) gso_size = static_cast<size_t>(size);
    }
  }
  const uint8_t* data = static_cast<const uint8_t*>(h.msg_iov[0].iov_base);
  if (gso_size == 0 || len <= gso_size) {
    ++stats_.datagrams_received;
    stats_.bytes_received += len;
    d.payload = ByteSpan(data, len);
    if (on_receive_) on_receive_(d);
    return;
  }
  ++stats_.gro_batches;
  for (size_t off = 0; off < len; off += gso_size) {
    const size_t n = std::min(gso_size, len - off);
    ++stats_.datagrams_received;
    stats_.bytes_received += n;
    d.payload = ByteSpan(data + off, n);
    if (on_receive_) on_receive_(d);
    if (!alive) return;
  }
}

absl::Status UdpSocket::Impl::Enqueue(const SocketAddress& remote, ByteSpan payload, const IpAddress& source,
                                      size_t segment_size) {
  Pending p;
  if (!CanSendTo(remote) || !ToSockaddr(remote, family_, &p.addr, &p.addr_len)) {
    return absl::InvalidArgumentError(
        absl::StrCat("UDP socket ", local_.ToString(), " cannot send to ", remote.ToString()));
  }
  if (payload.empty()) return absl::InvalidArgumentError("empty UDP payload");
  if (segment_size == 0 && payload.size() > kMaxUdpPayload) {
    return absl::InvalidArgumentError("UDP payload larger than 65507 bytes");
  }
  if (send_arena_.size() - arena_consumed_ + payload.size() > options_.max_send_queue_bytes) {
    stats_.send_errors += segment_size == 0 ? 1 : (payload.size() + segment_size - 1) / segment_size;
    return absl::OkStatus();  // dropped: the send queue is full (counted, like a kernel drop)
  }
  // A source address only matters on a wildcard socket, and only one of the destination's family.
  if (wildcard_ && source.is_set() && !source.IsUnspecified() &&
      source.Unmapped().family() == remote.family()) {
    p.source = source.Unmapped();
  }
  p.offset = send_arena_.size();
  p.len = payload.size();
  p.segment_size = segment_size;
  send_arena_.insert(send_arena_.end(), payload.begin(), payload.end());
  pending_.push_back(p);
  if (waiting_writable_) return absl::OkStatus();
  if (!options_.batching || pending_.size() - pending_head_ >= static_cast<size_t>(options_.max_send_batch)) {
    FlushQueued();
  } else if (!flush_requested_) {
    flush_requested_ = true;
    li_.RequestFlush(this);
  }
  return absl::OkStatus();
}

UdpSocket::Impl::Built UdpSocket::Impl::BuildMessage(int m, size_t first) {
  const Pending& p0 = pending_[first];
  Built b{first, 1, DatagramCount(p0), p0.len, p0.segment_size != 0 && p0.len > p0.segment_size};
  size_t segment = p0.segment_size;
  // Coalesce consecutive single datagrams of equal size (the last may be shorter) to the same destination
  // and source into one GSO send. Their bytes are adjacent in the arena.
  if (GsoAllowed(first) && p0.segment_size == 0) {
    size_t j = first + 1;
    while (j < pending_.size() && b.entries < kMaxGsoSegments) {
      const Pending& q = pending_[j];
      if (q.segment_size != 0 || q.len > p0.len || b.bytes + q.len > kMaxGsoBytes) break;
      if (q.addr_len != p0.addr_len || memcmp(&q.addr, &p0.addr, p0.addr_len) != 0 || q.source != p0.source)
        break;
      ++b.entries;
      ++b.datagrams;
      b.bytes += q.len;
      ++j;
      if (q.len < p0.len) break;  // a shorter segment can only be the last
    }
    if (b.entries > 1) {
      b.gso = true;
      segment = p0.len;
    }
  }
  SendScratch& scratch = Scratch();
  iovec& iov = scratch.iovs[m];
  iov.iov_base = send_arena_.data() + p0.offset;
  iov.iov_len = b.bytes;
  msghdr& h = scratch.msgs[m].msg_hdr;
  memset(&h, 0, sizeof(h));
  h.msg_name = const_cast<sockaddr_storage*>(&p0.addr);
  h.msg_namelen = p0.addr_len;
  h.msg_iov = &iov;
  h.msg_iovlen = 1;
  uint8_t* control = scratch.control.data() + static_cast<size_t>(m) * kSendControlBytes;
  memset(control, 0, kSendControlBytes);
  h.msg_control = control;
  h.msg_controllen = kSendControlBytes;
  size_t used = 0;
  cmsghdr* c = CMSG_FIRSTHDR(&h);
  if (p0.source.is_set()) {
    if (p0.source.is_v4()) {
      c->cmsg_level = IPPROTO_IP;
      c->cmsg_type = IP_PKTINFO;
      c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
      in_pktinfo info{};
      memcpy(&info.ipi_spec_dst, p0.source.bytes().data(), 4);
      memcpy(CMSG_DATA(c), &info, sizeof(info));
      used += CMSG_SPACE(sizeof(in_pktinfo));
    } else {
      c->cmsg_level = IPPROTO_IPV6;
      c->cmsg_type = IPV6_PKTINFO;
      c->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
      in6_pktinfo info{};
      memcpy(&info.ipi6_addr, p0.source.bytes().data(), 16);
      memcpy(CMSG_DATA(c), &info, sizeof(info));
      used += CMSG_SPACE(sizeof(in6_pktinfo));
    }
    c = CMSG_NXTHDR(&h, c);
  }
  if (b.gso) {
    c->cmsg_level = SOL_UDP;
    c->cmsg_type = UDP_SEGMENT;
    c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
    const uint16_t size = static_cast<uint16_t>(segment);
    memcpy(CMSG_DATA(c), &size, sizeof(size));
    used += CMSG_SPACE(sizeof(uint16_t));
  }
  h.msg_controllen = used;
  if (used == 0) h.msg_control = nullptr;
  return b;
}

void UdpSocket::Impl::FlushQueued() {
  flush_requested_ = false;
  if (waiting_writable_) return;
  SendScratch& scratch = Scratch();
  std::vector<Built>& built = scratch.built;
  while (pending_head_ < pending_.size()) {
    // A GSO entry queued by SendSegments that cannot go out as one (GSO found unusable, or refused for this
    // message) goes out one datagram at a time.
    const Pending& head = pending_[pending_head_];
    if (!GsoAllowed(pending_head_) && head.segment_size != 0 && head.len > head.segment_size) {
      Pending p = head;
      pending_.erase(pending_.begin() + static_cast<ptrdiff_t>(pending_head_));
      std::vector<Pending> pieces;
      for (size_t off = 0; off < p.len; off += p.segment_size) {
        Pending q = p;
        q.offset = p.offset + off;
        q.len = std::min(p.segment_size, p.len - off);
        q.segment_size = 0;
        pieces.push_back(q);
      }
      pending_.insert(pending_.begin() + static_cast<ptrdiff_t>(pending_head_), pieces.begin(), pieces.end());
      if (gso_off_until_ > pending_head_) gso_off_until_ += pieces.size() - 1;
      continue;
    }
    built.clear();
    int m = 0;
    for (size_t next = pending_head_; next < pending_.size() && m < kMaxSendMessages; ++m) {
      const Pending& p = pending_[next];
      if (!GsoAllowed(next) && p.segment_size != 0 && p.len > p.segment_size) break;
      built.push_back(BuildMessage(m, next));
      next += built.back().entries;
    }
    int sent;
    if (options_.batching) {
      sent = sendmmsg(fd_, scratch.msgs.data(), static_cast<unsigned>(m), MSG_DONTWAIT);
      ++stats_.send_syscalls;
    } else {
      sent = 0;
      for (int i = 0; i < m; ++i) {
        ++stats_.send_syscalls;
        if (sendmsg(fd_, &scratch.msgs[i].msg_hdr, MSG_DONTWAIT) < 0) break;
        ++sent;
      }
      if (sent == 0) sent = -1;
    }
    const int err = errno;
    for (int i = 0; i < std::max(sent, 0); ++i) {
      const Built& b = built[static_cast<size_t>(i)];
      stats_.datagrams_sent += b.datagrams;
      stats_.bytes_sent += b.bytes;
      if (b.gso) ++stats_.gso_sends;
      pending_head_ += b.entries;
    }
    if (sent > 0) continue;  // a later message's error shows up on the next call
    if (err == EINTR) continue;
    if (err == EAGAIN || err == EWOULDBLOCK) {
      SetWritableInterest(true);
      break;
    }
    const Built& b = built[0];
    if (b.gso && (err == EIO || err == ENOPROTOOPT || err == EOPNOTSUPP)) {
      // The device cannot segment (no checksum offload) or the kernel lacks GSO: fall back for good.
      TERN_LOG(kInfo) << "UDP GSO unavailable on " << local_.ToString() << " (" << strerror(err)
                      << "); sending datagrams one by one";
      gso_ = false;
      continue;
    }
    if (b.gso && (err == EINVAL || err == EMSGSIZE)) {
      // This message cannot be segmented (e.g. segments larger than the route's MTU): send its datagrams
      // one by one, where each fails or succeeds on its own.
      gso_off_until_ = b.first + b.entries;
      continue;
    }
    TERN_LOG(kVerbose) << "udp send from " << local_.ToString() << ": " << strerror(err);
    stats_.send_errors += b.datagrams;
    pending_head_ += b.entries;
  }
  Compact();
}

void UdpSocket::Impl::Compact() {
  if (pending_head_ >= pending_.size()) {
    pending_.clear();
    pending_head_ = 0;
    gso_off_until_ = 0;
    send_arena_.clear();
    arena_consumed_ = 0;
    return;
  }
  arena_consumed_ = pending_[pending_head_].offset;
}

void UdpSocket::Impl::SetWritableInterest(bool want) {
  if (want == waiting_writable_) return;
  waiting_writable_ = want;
  absl::Status s = li_.Modify(registration_, fd_, want ? (EPOLLIN | EPOLLOUT) : EPOLLIN);
  if (!s.ok()) TERN_LOG(kError) << "udp socket epoll modify: " << s;
}

// ---- UdpSocket ----

UdpSocket::UdpSocket(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
UdpSocket::~UdpSocket() = default;

absl::StatusOr<std::unique_ptr<UdpSocket>> UdpSocket::Open(EventLoop& loop, const UdpSocketOptions& options,
                                                           Random& random, ReceiveCallback on_receive) {
  auto impl = std::make_unique<Impl>(loop, options, std::move(on_receive));
  if (absl::Status s = impl->Init(random); !s.ok()) return s;
  return std::unique_ptr<UdpSocket>(new UdpSocket(std::move(impl)));
}

SocketAddress UdpSocket::local_address() const { return impl_->local_; }
IpFamily UdpSocket::family() const { return impl_->family_; }
bool UdpSocket::dual_stack() const { return impl_->dual_stack_; }
bool UdpSocket::CanSendTo(const SocketAddress& remote) const { return impl_->CanSendTo(remote); }

absl::Status UdpSocket::Send(const SocketAddress& remote, ByteSpan payload, const IpAddress& source) {
  return impl_->Enqueue(remote, payload, source, 0);
}

absl::Status UdpSocket::SendSegments(const SocketAddress& remote, ByteSpan data, size_t segment_size,
                                     const IpAddress& source) {
  if (segment_size == 0 || segment_size > kMaxUdpPayload) {
    return absl::InvalidArgumentError("segment_size must be in [1, 65507]");
  }
  if (data.empty()) return absl::InvalidArgumentError("empty UDP payload");
  if (!impl_->gso_) {
    for (size_t off = 0; off < data.size(); off += segment_size) {
      const size_t n = std::min(segment_size, data.size() - off);
      if (absl::Status s = impl_->Enqueue(remote, data.subspan(off, n), source, 0); !s.ok()) return s;
    }
    return absl::OkStatus();
  }
  // One GSO message carries at most kMaxGsoSegments segments and kMaxGsoBytes bytes.
  const size_t per_message =
      std::max<size_t>(1, std::min(kMaxGsoSegments, kMaxGsoBytes / segment_size)) * segment_size;
  for (size_t off = 0; off < data.size(); off += per_message) {
    const size_t n = std::min(per_message, data.size() - off);
    if (absl::Status s =
            impl_->Enqueue(remote, data.subspan(off, n), source, n > segment_size ? segment_size : 0);
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

void UdpSocket::Flush() { impl_->FlushQueued(); }
bool UdpSocket::gso_enabled() const { return impl_->gso_; }
bool UdpSocket::gro_enabled() const { return impl_->gro_; }
const UdpSocket::Stats& UdpSocket::stats() const { return impl_->stats_; }

}  // namespace tern
