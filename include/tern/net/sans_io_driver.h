// Connects any sans-IO core (DESIGN.md "Sans-IO cores") to an EventLoop: after each input or timeout it
// drains PollTransmit() onto the right socket, drains PollEvent() to a callback, then re-arms one timer at
// NextTimeout(). lib/net knows cores only through the SansIoCore concept, so it never includes them.
//
//   tern::SansIoDriver<ice::Agent> driver(loop, agent, [](ice::Event e) { ... });
//   auto sock = tern::UdpSocket::Open(loop, opts, random,
//                                     [&](const tern::Datagram& d) { driver.HandleInput(d); });
//   driver.AddSocket(sock->get());
//   agent.StartGathering(...);   // any direct call on the core...
//   driver.Drain();              // ...is followed by a Drain()
#ifndef TERN_NET_SANS_IO_DRIVER_H_
#define TERN_NET_SANS_IO_DRIVER_H_

#include <concepts>
#include <cstdint>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "tern/base/datagram.h"
#include "tern/base/time.h"
#include "tern/net/runtime.h"
#include "tern/net/stream_socket.h"
#include "tern/net/udp_socket.h"

namespace tern {

// The five-call contract. PollEvent() returns std::optional<E> for the core's own event type E.
template <typename C>
concept SansIoCore = requires(C& c, const C& cc, Datagram d, Timestamp t) {
  c.HandleInput(d, t);
  c.HandleTimeout(t);
  { c.PollTransmit() } -> std::same_as<std::optional<Transmit>>;
  { c.PollEvent().has_value() } -> std::convertible_to<bool>;
  { cc.NextTimeout() } -> std::convertible_to<std::optional<Timestamp>>;
};

// Routes a Transmit to a socket (the non-template half of the driver; usable on its own).
//  * UDP: Transmit.local set -> the socket bound to exactly that address, or a wildcard-bound socket of the
//    same port that can reach `remote` (the local IP then selects the source address via IP_PKTINFO);
//    local unset -> the first added socket that can reach `remote` (same family, or dual-stack).
//  * TCP/TLS: the added stream with that protocol whose remote address is Transmit.remote (local ignored).
//  * Anything else goes to the fallback (if set) or is dropped and counted.
// Sockets are not owned: remove them (or destroy the router) before destroying them. Loop thread only.
class TransmitRouter {
 public:
  void AddSocket(UdpSocket* socket);
  void RemoveSocket(UdpSocket* socket);
  void AddStream(StreamSocket* stream);
  void RemoveStream(StreamSocket* stream);
  void SetFallback(absl::AnyInvocable<void(Transmit)> fallback) { fallback_ = std::move(fallback); }

  // OkStatus when handed to a socket or the fallback; NotFound when dropped; a socket's error otherwise.
  absl::Status Route(Transmit transmit);
  UdpSocket* FindUdpSocket(const SocketAddress& local, const SocketAddress& remote) const;
  uint64_t unroutable() const { return unroutable_; }

 private:
  std::vector<UdpSocket*> sockets_;
  std::vector<StreamSocket*> streams_;
  absl::AnyInvocable<void(Transmit)> fallback_;
  uint64_t unroutable_ = 0;
};

// Drives one core on one loop. Loop thread only. The core must outlive the driver. on_event runs on the
// loop thread and may call into the core (the driver keeps draining) but must not destroy the driver.
template <SansIoCore Core>
class SansIoDriver {
 public:
  using Event = typename std::remove_cvref_t<decltype(std::declval<Core&>().PollEvent())>::value_type;

  SansIoDriver(EventLoop& loop, Core& core, absl::AnyInvocable<void(Event)> on_event)
      : loop_(loop), core_(core), on_event_(std::move(on_event)) {}
  ~SansIoDriver() { loop_.Cancel(timer_); }
  SansIoDriver(const SansIoDriver&) = delete;
  SansIoDriver& operator=(const SansIoDriver&) = delete;

  void AddSocket(UdpSocket* socket) { router_.AddSocket(socket); }
  void RemoveSocket(UdpSocket* socket) { router_.RemoveSocket(socket); }
  void AddStream(StreamSocket* stream) { router_.AddStream(stream); }
  void RemoveStream(StreamSocket* stream) { router_.RemoveStream(stream); }
  TransmitRouter& router() { return router_; }

  // Feeds a received datagram (call it from the UdpSocket receive callback), then drains.
  void HandleInput(const Datagram& in) {
    core_.HandleInput(in, loop_.Now());
    Drain();
  }
  // Feeds a chunk of a byte stream (call it from a stream's on_data), then drains.
  void HandleStreamInput(const StreamSocket& stream, ByteSpan bytes) {
    Datagram d;
    d.local = stream.local_address();
    d.remote = stream.remote_address();
    d.protocol = stream.protocol();
    d.payload = bytes;
    HandleInput(d);
  }
  // Drains transmits and events until both are empty, then re-arms the timer. Call it after any direct
  // call on the core. Re-entrant calls (from on_event) are folded into the running drain.
  void Drain() {
    if (draining_) {
      redrain_ = true;
      return;
    }
    draining_ = true;
    do {
      redrain_ = false;
      while (std::optional<Transmit> t = core_.PollTransmit()) {
        (void)router_.Route(std::move(*t));
      }
      while (auto e = core_.PollEvent()) {
        redrain_ = true;  // an event handler may have called into the core
        if (on_event_) on_event_(std::move(*e));
      }
    } while (redrain_);
    draining_ = false;
    Rearm();
  }

  Core& core() { return core_; }
  // The time the timer is armed for, if any.
  std::optional<Timestamp> armed_at() const {
    return timer_.valid() ? std::optional<Timestamp>(armed_at_) : std::nullopt;
  }

 private:
  void Rearm() {
    std::optional<Timestamp> next = core_.NextTimeout();
    if (next.has_value() && timer_.valid() && *next == armed_at_) return;
    loop_.Cancel(timer_);
    timer_ = TimerHandle();
    if (!next.has_value() || next->is_infinite()) return;
    armed_at_ = *next;
    timer_ = loop_.RunAt(*next, [this] {
      timer_ = TimerHandle();
      core_.HandleTimeout(loop_.Now());
      Drain();
    });
  }

  EventLoop& loop_;
  Core& core_;
  absl::AnyInvocable<void(Event)> on_event_;
  TransmitRouter router_;
  TimerHandle timer_;
  Timestamp armed_at_;
  bool draining_ = false;
  bool redrain_ = false;
};

}  // namespace tern

#endif  // TERN_NET_SANS_IO_DRIVER_H_
