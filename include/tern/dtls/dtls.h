// Umbrella header for tern::dtls: DTLS 1.2 for WebRTC (RFC 6347, 5764, 8827, 8842) and the RFC 7983
// demultiplexer.
#ifndef TERN_DTLS_DTLS_H_
#define TERN_DTLS_DTLS_H_

#include "tern/dtls/certificate.h"
#include "tern/dtls/demux.h"
#include "tern/dtls/dtls_endpoint.h"
#include "tern/dtls/fingerprint.h"
#include "tern/dtls/setup.h"
#include "tern/dtls/srtp_profile.h"

#endif  // TERN_DTLS_DTLS_H_
