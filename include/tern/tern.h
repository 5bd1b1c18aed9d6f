// Everything an application needs to talk WebRTC data channels with tern: the Runtime (event-loop
// threads and sockets), Configuration, PeerConnection, DataChannel, the signalling values and Stats.
#ifndef TERN_TERN_H_
#define TERN_TERN_H_

#include "tern/configuration.h"
#include "tern/data_channel.h"
#include "tern/net/runtime.h"
#include "tern/peer_connection.h"
#include "tern/session_description.h"
#include "tern/stats.h"

#endif  // TERN_TERN_H_
