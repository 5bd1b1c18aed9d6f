// Umbrella header for tern::rtp: RTP packets and RFC 8285 header extensions (RFC 3550 §5, RFC 8285),
// RTCP compound packets, reports and feedback (RFC 3550 §6, RFC 3611, RFC 4585, RFC 5104, RFC 5506,
// transport-wide CC, REMB) and sequence number / timestamp unwrapping.
#ifndef TERN_RTP_RTP_H_
#define TERN_RTP_RTP_H_

#include "tern/rtp/header_extension.h"
#include "tern/rtp/rtcp_feedback.h"
#include "tern/rtp/rtcp_packet.h"
#include "tern/rtp/rtcp_reports.h"
#include "tern/rtp/rtp_extensions.h"
#include "tern/rtp/rtp_packet.h"
#include "tern/rtp/sequence_unwrapper.h"
#include "tern/rtp/transport_feedback.h"

#endif  // TERN_RTP_RTP_H_
