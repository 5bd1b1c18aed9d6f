// STUN message types, methods, attribute types and error codes: RFC 8489 §5-§6 and §18, RFC 8656 (TURN)
// §17-§18, RFC 6062 (TURN-TCP), RFC 8445 §16 (ICE), RFC 5780 (NAT behaviour discovery).
#ifndef TERN_STUN_CONSTANTS_H_
#define TERN_STUN_CONSTANTS_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tern/base/random.h"

namespace tern::stun {

inline constexpr uint32_t kMagicCookie = 0x2112A442;
inline constexpr size_t kHeaderSize = 20;
inline constexpr size_t kAttributeHeaderSize = 4;
inline constexpr uint32_t kFingerprintXor = 0x5354554E;  // "STUN"
inline constexpr size_t kMessageIntegritySize = 20;
inline constexpr size_t kMessageIntegritySha256MinSize = 16;
inline constexpr size_t kMessageIntegritySha256MaxSize = 32;
// Most attributes tern accepts in one message; a legitimate message has far fewer (about 10).
inline constexpr size_t kMaxAttributes = 64;

enum class MessageClass : uint8_t {
  kRequest = 0,
  kIndication = 1,
  kSuccessResponse = 2,
  kErrorResponse = 3,
};

// 12-bit method numbers.
namespace method {
inline constexpr uint16_t kBinding = 0x001;
inline constexpr uint16_t kAllocate = 0x003;           // RFC 8656
inline constexpr uint16_t kRefresh = 0x004;
inline constexpr uint16_t kSend = 0x006;
inline constexpr uint16_t kData = 0x007;
inline constexpr uint16_t kCreatePermission = 0x008;
inline constexpr uint16_t kChannelBind = 0x009;
inline constexpr uint16_t kConnect = 0x00A;            // RFC 6062
inline constexpr uint16_t kConnectionBind = 0x00B;
inline constexpr uint16_t kConnectionAttempt = 0x00C;
}  // namespace method

// The 16-bit message type: class bits C1 C0 interleaved with the method bits (RFC 8489 §5).
struct MessageType {
  MessageClass cls = MessageClass::kRequest;
  uint16_t method = method::kBinding;

  constexpr uint16_t Encode() const {
    uint16_t m = method & 0x0FFF;
    uint16_t c = static_cast<uint16_t>(cls);
    return static_cast<uint16_t>((m & 0x000F) | ((m & 0x0070) << 1) | ((m & 0x0F80) << 2) |
                                 ((c & 1) << 4) | ((c & 2) << 7));
  }
  static constexpr MessageType Decode(uint16_t t) {
    uint16_t m = static_cast<uint16_t>((t & 0x000F) | ((t & 0x00E0) >> 1) | ((t & 0x3E00) >> 2));
    uint16_t c = static_cast<uint16_t>(((t >> 4) & 1) | ((t >> 7) & 2));
    return MessageType{static_cast<MessageClass>(c), m};
  }
  friend constexpr bool operator==(const MessageType&, const MessageType&) = default;
};

std::string_view MethodName(uint16_t method);        // "Binding", "Allocate", … or "Unknown"
std::string_view ClassName(MessageClass cls);        // "request", "indication", …

namespace attr {
// Comprehension-required (0x0000-0x7FFF).
inline constexpr uint16_t kMappedAddress = 0x0001;
inline constexpr uint16_t kChangeRequest = 0x0003;            // RFC 5780
inline constexpr uint16_t kUsername = 0x0006;
inline constexpr uint16_t kMessageIntegrity = 0x0008;
inline constexpr uint16_t kErrorCode = 0x0009;
inline constexpr uint16_t kUnknownAttributes = 0x000A;
inline constexpr uint16_t kChannelNumber = 0x000C;            // RFC 8656
inline constexpr uint16_t kLifetime = 0x000D;
inline constexpr uint16_t kXorPeerAddress = 0x0012;
inline constexpr uint16_t kData = 0x0013;
inline constexpr uint16_t kRealm = 0x0014;
inline constexpr uint16_t kNonce = 0x0015;
inline constexpr uint16_t kXorRelayedAddress = 0x0016;
inline constexpr uint16_t kRequestedAddressFamily = 0x0017;
inline constexpr uint16_t kEvenPort = 0x0018;
inline constexpr uint16_t kRequestedTransport = 0x0019;
inline constexpr uint16_t kDontFragment = 0x001A;
inline constexpr uint16_t kMessageIntegritySha256 = 0x001C;
inline constexpr uint16_t kPasswordAlgorithm = 0x001D;
inline constexpr uint16_t kUserhash = 0x001E;
inline constexpr uint16_t kXorMappedAddress = 0x0020;
inline constexpr uint16_t kReservationToken = 0x0022;
inline constexpr uint16_t kPriority = 0x0024;                 // RFC 8445
inline constexpr uint16_t kUseCandidate = 0x0025;
inline constexpr uint16_t kPadding = 0x0026;                  // RFC 5780
inline constexpr uint16_t kResponsePort = 0x0027;
inline constexpr uint16_t kConnectionId = 0x002A;             // RFC 6062
// Comprehension-optional (0x8000-0xFFFF).
inline constexpr uint16_t kAdditionalAddressFamily = 0x8000;  // RFC 8656
inline constexpr uint16_t kAddressErrorCode = 0x8001;
inline constexpr uint16_t kPasswordAlgorithms = 0x8002;
inline constexpr uint16_t kAlternateDomain = 0x8003;
inline constexpr uint16_t kIcmp = 0x8004;
inline constexpr uint16_t kSoftware = 0x8022;
inline constexpr uint16_t kAlternateServer = 0x8023;
inline constexpr uint16_t kFingerprint = 0x8028;
inline constexpr uint16_t kIceControlled = 0x8029;
inline constexpr uint16_t kIceControlling = 0x802A;
inline constexpr uint16_t kResponseOrigin = 0x802B;           // RFC 5780
inline constexpr uint16_t kOtherAddress = 0x802C;

constexpr bool IsComprehensionRequired(uint16_t type) { return type < 0x8000; }
}  // namespace attr

// Whether tern's codec knows the attribute type (so a server can build UNKNOWN-ATTRIBUTES).
bool IsKnownAttribute(uint16_t type);
std::string_view AttributeName(uint16_t type);  // "XOR-MAPPED-ADDRESS", … or "unknown"

// Error codes: RFC 8489 §14.8, RFC 8656 §19, RFC 6062 §6.3, RFC 8445 §7.3.1.1.
namespace error {
inline constexpr int kTryAlternate = 300;
inline constexpr int kBadRequest = 400;
inline constexpr int kUnauthenticated = 401;
inline constexpr int kForbidden = 403;
inline constexpr int kUnknownAttribute = 420;
inline constexpr int kAllocationMismatch = 437;
inline constexpr int kStaleNonce = 438;
inline constexpr int kAddressFamilyNotSupported = 440;
inline constexpr int kWrongCredentials = 441;
inline constexpr int kUnsupportedTransportProtocol = 442;
inline constexpr int kPeerAddressFamilyMismatch = 443;
inline constexpr int kConnectionAlreadyExists = 446;
inline constexpr int kConnectionTimeoutOrFailure = 447;
inline constexpr int kAllocationQuotaReached = 486;
inline constexpr int kRoleConflict = 487;
inline constexpr int kServerError = 500;
inline constexpr int kInsufficientCapacity = 508;
}  // namespace error
std::string_view DefaultReasonPhrase(int code);  // the RFC's reason phrase, or "" if unknown

// TURN channel numbers (CHANNEL-NUMBER, ChannelData). RFC 8656 §12 allows 0x4000-0x4FFF, so that the first
// byte of a ChannelData message is 64-79 and RFC 7983 can tell it from DTLS (20-63) and RTP (128-191) on a
// shared port. RFC 5766 §11, which it obsoletes, allowed 0x4000-0x7FFF (first byte 64-127); coturn and its
// turnutils_uclient still bind numbers up there. A TURN server's port carries no DTLS, so a server may
// accept the wider range; everything else (clients, ICE, the codec's defaults) uses RFC 8656's.
enum class ChannelNumberRange : uint8_t {
  kRfc8656,  // 0x4000-0x4FFF: the default
  kRfc5766,  // 0x4000-0x7FFF: for a TURN server that serves RFC 5766 clients
};
inline constexpr uint16_t kMinChannelNumber = 0x4000;
inline constexpr uint16_t kMaxChannelNumber = 0x4FFF;         // RFC 8656
inline constexpr uint16_t kMaxRfc5766ChannelNumber = 0x7FFF;  // RFC 5766

constexpr uint16_t MaxChannelNumber(ChannelNumberRange range) {
  return range == ChannelNumberRange::kRfc5766 ? kMaxRfc5766ChannelNumber : kMaxChannelNumber;
}
constexpr bool IsValidChannelNumber(uint16_t n, ChannelNumberRange range = ChannelNumberRange::kRfc8656) {
  return n >= kMinChannelNumber && n <= MaxChannelNumber(range);
}

// Password algorithms (RFC 8489 §18.5.1.1).
enum class PasswordAlgorithm : uint16_t { kMd5 = 0x0001, kSha256 = 0x0002 };

// REQUESTED-TRANSPORT protocol numbers.
inline constexpr uint8_t kProtocolUdp = 17;
inline constexpr uint8_t kProtocolTcp = 6;

// Address family codes inside address attributes and REQUESTED-ADDRESS-FAMILY.
inline constexpr uint8_t kFamilyV4 = 0x01;
inline constexpr uint8_t kFamilyV6 = 0x02;

// 96-bit transaction id (RFC 8489 §5).
struct TransactionId {
  std::array<uint8_t, 12> bytes{};

  static TransactionId Generate(Random& random) {
    TransactionId id;
    random.Fill(id.bytes);
    return id;
  }
  friend bool operator==(const TransactionId&, const TransactionId&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const TransactionId& id) {
    return H::combine(std::move(h), id.bytes);
  }
};

}  // namespace tern::stun

#endif  // TERN_STUN_CONSTANTS_H_
