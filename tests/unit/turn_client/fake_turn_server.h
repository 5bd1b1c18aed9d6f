// A small sans-IO TURN server for testing tern::ice::TurnClient deterministically (RFC 8656 §7-§12,
// RFC 8489 §9.2 long-term credentials): 401 challenges with REALM/NONCE (optionally under an RFC 8489
// nonce cookie with PASSWORD-ALGORITHMS), stale nonces on demand, one allocation, permissions and
// channels with their RFC lifetimes, and relaying in both directions. Knobs let a test make it
// misbehave (forced error codes, bad or missing integrity). It is not a TURN server for anything else.
#ifndef TERN_TESTS_UNIT_TURN_CLIENT_FAKE_TURN_SERVER_H_
#define TERN_TESTS_UNIT_TURN_CLIENT_FAKE_TURN_SERVER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tern/base/byte_io.h"
#include "tern/base/ip_address.h"
#include "tern/base/random.h"
#include "tern/base/time.h"
#include "tern/stun/stun.h"

namespace tern::testing {

struct FakeTurnServerConfig {
  std::string realm = "example.org";
  std::string username = "alice";
  std::string password = "secret";
  bool stream = false;  // TCP/TLS: ChannelData padded to 4
  // RFC 8489: NONCE carries the cookie with the password-algorithms bit and 401s carry
  // PASSWORD-ALGORITHMS with `offered`.
  bool announce_password_algorithms = false;
  std::vector<stun::PasswordAlgorithm> offered = {stun::PasswordAlgorithm::kMd5,
                                                  stun::PasswordAlgorithm::kSha256};
  bool omit_password_algorithms = false;  // the cookie announces them but the 401 leaves them out
  SocketAddress relayed_v4 = SocketAddress(IpAddress::V4(198, 51, 100, 7), 50000);
  SocketAddress relayed_v6;  // set: dual allocations and v6 allocations get it
  SocketAddress mapped = SocketAddress(IpAddress::V4(203, 0, 113, 9), 41000);
  uint32_t max_lifetime = 3600;
  uint32_t default_lifetime = 600;
};

class FakeTurnServer {
 public:
  explicit FakeTurnServer(FakeTurnServerConfig config);

  // One message from the client (a datagram, or one frame of the stream). Returns what the server
  // answers (zero or one frame).
  std::vector<std::vector<uint8_t>> Receive(ByteSpan bytes, Timestamp now);
  // A datagram that `peer` sent to the relayed address: the ChannelData or Data indication for the
  // client, or nullopt when the peer has no (unexpired) permission.
  std::optional<std::vector<uint8_t>> FromPeer(const SocketAddress& peer, ByteSpan payload, Timestamp now);

  // Misbehaviour knobs.
  int stale_nonce_count = 0;                      // answer the next N authenticated requests with 438
  std::map<uint16_t, int> fail_method;            // method -> error code for authenticated requests
  bool corrupt_integrity = false;                 // sign responses with the wrong key
  bool omit_integrity = false;                    // no integrity on successes
  bool errors_with_integrity = true;              // integrity on non-401/438 errors to authenticated requests
  std::optional<SocketAddress> alternate_server;  // with fail_method = 300
  bool forget_allocation = false;                 // the next request sees no allocation (437)

  // What happened.
  struct Relayed {
    SocketAddress peer;
    std::vector<uint8_t> payload;
    bool via_channel = false;
  };
  std::vector<Relayed> relayed;      // client -> peer data the server relayed
  std::map<uint16_t, int> requests;  // method -> requests received (any outcome)
  int dropped_sends = 0;             // Send indications / ChannelData without permission or channel
  bool allocated() const { return allocated_; }
  bool HasPermission(const IpAddress& ip, Timestamp now) const;
  std::optional<uint16_t> ChannelOf(const SocketAddress& peer, Timestamp now) const;
  Timestamp allocation_expiry() const { return expiry_; }
  const std::string& nonce() const { return nonce_; }
  const FakeTurnServerConfig& config() const { return config_; }

 private:
  std::vector<uint8_t> Answer(const stun::MessageView& request, Timestamp now);
  std::vector<uint8_t> Error(const stun::MessageView& request, int code, bool with_integrity, bool challenge);
  std::vector<uint8_t> Success(const stun::MessageView& request,
                               const std::function<void(stun::MessageBuilder&)>& add);
  void NewNonce();

  FakeTurnServerConfig config_;
  SeededRandom random_{99};
  std::string nonce_;
  int nonce_serial_ = 0;
  // The key and integrity flavour of the request being answered.
  std::optional<stun::IntegrityKey> key_;
  bool sha256_ = false;

  bool allocated_ = false;
  stun::TransactionId allocate_id_;  // a retransmitted Allocate gets the success again
  Timestamp expiry_;
  std::map<IpAddress, Timestamp> permissions_;  // ip -> expiry
  std::map<uint16_t, SocketAddress> channels_;  // number -> peer
  std::map<uint16_t, Timestamp> channel_expiry_;
};

}  // namespace tern::testing

#endif  // TERN_TESTS_UNIT_TURN_CLIENT_FAKE_TURN_SERVER_H_
