// The unit of the sans-IO contract (DESIGN.md): bytes with their 5-tuple. A core receives a Datagram
// (borrowed bytes, valid for the duration of the call) and emits Transmits (owned bytes).
#ifndef TERN_BASE_DATAGRAM_H_
#define TERN_BASE_DATAGRAM_H_

#include <cstdint>
#include <vector>

#include "tern/base/byte_io.h"
#include "tern/base/ip_address.h"

namespace tern {

enum class TransportProtocol : uint8_t { kUdp, kTcp, kTls };

// Bytes that arrived: `local` is the address they arrived on, `remote` where they came from.
struct Datagram {
  SocketAddress local;
  SocketAddress remote;
  TransportProtocol protocol = TransportProtocol::kUdp;
  ByteSpan payload;
};

// Bytes to send from `local` to `remote`. An unset `local` lets the runtime pick the socket.
struct Transmit {
  SocketAddress local;
  SocketAddress remote;
  TransportProtocol protocol = TransportProtocol::kUdp;
  std::vector<uint8_t> payload;
};

}  // namespace tern

#endif  // TERN_BASE_DATAGRAM_H_
