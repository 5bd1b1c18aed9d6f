// Test access to an Association's wire: send a message with any PPID on any stream, bypassing the data
// channel layer, so tests can exercise the receive side (deprecated PPIDs, malformed DCEP). Not
// installed; production code has no use for it.
#ifndef TERN_LIB_SCTP_ASSOCIATION_TEST_PEER_H_
#define TERN_LIB_SCTP_ASSOCIATION_TEST_PEER_H_

#include <cstdint>

#include "absl/status/status.h"
#include "tern/base/byte_io.h"
#include "tern/sctp/association.h"

namespace tern::sctp {

class AssociationTestPeer {
 public:
  // One ordered, reliable message on stream `sid` with payload protocol identifier `ppid`.
  static absl::Status SendRaw(Association& association, uint16_t sid, uint32_t ppid, ByteSpan data);
};

}  // namespace tern::sctp

#endif  // TERN_LIB_SCTP_ASSOCIATION_TEST_PEER_H_
