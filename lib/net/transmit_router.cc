// TransmitRouter: picks the socket for a core's Transmit (see sans_io_driver.h for the rules).
#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "tern/base/log.h"
#include "tern/net/sans_io_driver.h"

namespace tern {

void TransmitRouter::AddSocket(UdpSocket* socket) {
  if (socket != nullptr && std::find(sockets_.begin(), sockets_.end(), socket) == sockets_.end()) {
    sockets_.push_back(socket);
  }
}

void TransmitRouter::RemoveSocket(UdpSocket* socket) {
  sockets_.erase(std::remove(sockets_.begin(), sockets_.end(), socket), sockets_.end());
}

void TransmitRouter::AddStream(StreamSocket* stream) {
  if (stream != nullptr && std::find(streams_.begin(), streams_.end(), stream) == streams_.end()) {
    streams_.push_back(stream);
  }
}

void TransmitRouter::RemoveStream(StreamSocket* stream) {
  streams_.erase(std::remove(streams_.begin(), streams_.end(), stream), streams_.end());
}

UdpSocket* TransmitRouter::FindUdpSocket(const SocketAddress& local, const SocketAddress& remote) const {
  if (!local.is_set()) {
    for (UdpSocket* s : sockets_) {
      if (s->CanSendTo(remote)) return s;
    }
    return nullptr;
  }
  // Exact bound address first, then a wildcard socket on the same port that can reach the remote.
  for (UdpSocket* s : sockets_) {
    if (s->local_address() == local && s->CanSendTo(remote)) return s;
  }
  for (UdpSocket* s : sockets_) {
    const SocketAddress bound = s->local_address();
    if (bound.port() == local.port() && bound.ip().IsUnspecified() && s->CanSendTo(remote) &&
        s->CanSendTo(SocketAddress(local.ip(), 0))) {
      return s;
    }
  }
  return nullptr;
}

absl::Status TransmitRouter::Route(Transmit transmit) {
  if (transmit.protocol == TransportProtocol::kUdp) {
    if (UdpSocket* s = FindUdpSocket(transmit.local, transmit.remote)) {
      const IpAddress source = s->local_address().ip().IsUnspecified() ? transmit.local.ip() : IpAddress();
      return s->Send(transmit.remote, transmit.payload, source);
    }
  } else {
    for (StreamSocket* s : streams_) {
      if (s->protocol() == transmit.protocol && s->remote_address() == transmit.remote) {
        return s->Write(transmit.payload);
      }
    }
  }
  if (fallback_) {
    fallback_(std::move(transmit));
    return absl::OkStatus();
  }
  ++unroutable_;
  TERN_LOG(kVerbose) << "no socket for transmit " << transmit.local.ToString() << " -> "
                     << transmit.remote.ToString();
  return absl::NotFoundError(absl::StrCat("no socket for transmit to ", transmit.remote.ToString()));
}

}  // namespace tern
