// RFC 7983 §7 packet kinds.
#include "tern/dtls/demux.h"

namespace tern {

std::string_view PacketKindName(PacketKind kind) {
  switch (kind) {
    case PacketKind::kStun:
      return "stun";
    case PacketKind::kZrtp:
      return "zrtp";
    case PacketKind::kDtls:
      return "dtls";
    case PacketKind::kTurnChannel:
      return "turn-channel";
    case PacketKind::kRtpRtcp:
      return "rtp-rtcp";
    case PacketKind::kUnknown:
      return "unknown";
  }
  return "unknown";
}

}  // namespace tern
