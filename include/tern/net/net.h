// lib/net umbrella header: the runtime, UDP/TCP/TLS sockets, the sans-IO driver, interface enumeration.
#ifndef TERN_NET_NET_H_
#define TERN_NET_NET_H_

#include "tern/net/interfaces.h"
#include "tern/net/runtime.h"
#include "tern/net/sans_io_driver.h"
#include "tern/net/stream_socket.h"
#include "tern/net/udp_socket.h"

#endif  // TERN_NET_NET_H_
