// The value-length rules of the known STUN attribute types (RFC 8489 §14, RFC 8656 §18, RFC 8445
// §16.1, RFC 5780 §7, RFC 6062 §6.2) as two constexpr tables, so MessageView::Parse checks a length
// with one load instead of an out-of-line call and a jump table. Private to lib/stun; the public
// entry point is IsValidAttributeLength().
#ifndef TERN_LIB_STUN_ATTRIBUTE_LENGTHS_H_
#define TERN_LIB_STUN_ATTRIBUTE_LENGTHS_H_

#include <array>
#include <cstddef>
#include <cstdint>

#include "tern/stun/attributes.h"
#include "tern/stun/constants.h"

namespace tern::stun::internal {

struct LengthRule {
  uint16_t min = 0;
  uint16_t align_mask = 0;  // the length ANDed with this must be 0
  bool ends_only = false;   // min or max only, nothing between (address attributes: 8 or 20)
  size_t max = SIZE_MAX;    // unlisted types: any length
};
// Rules for types 0x0000-0x003F and 0x8000-0x803F; every other type accepts any length.
using LengthRules = std::array<LengthRule, 64>;

constexpr LengthRule ExactLength(uint16_t n) { return {n, 0, false, n}; }
constexpr LengthRule MaxLength(size_t n) { return {0, 0, false, n}; }
constexpr LengthRule MinLength(uint16_t n) { return {n, 0, false, SIZE_MAX}; }
constexpr LengthRule kAddressLength = {8, 0, true, 20};

constexpr LengthRules MakeComprehensionRequiredRules() {
  LengthRules r{};
  for (uint16_t t : {attr::kMappedAddress, attr::kXorMappedAddress, attr::kXorPeerAddress,
                     attr::kXorRelayedAddress}) {
    r[t] = kAddressLength;
  }
  r[attr::kMessageIntegrity] = ExactLength(kMessageIntegritySize);
  r[attr::kMessageIntegritySha256] = {kMessageIntegritySha256MinSize, 3, false,
                                      kMessageIntegritySha256MaxSize};
  for (uint16_t t : {attr::kPriority, attr::kLifetime, attr::kChannelNumber, attr::kRequestedTransport,
                     attr::kRequestedAddressFamily, attr::kChangeRequest, attr::kResponsePort,
                     attr::kConnectionId}) {
    r[t] = ExactLength(4);
  }
  r[attr::kReservationToken] = ExactLength(8);
  r[attr::kUseCandidate] = ExactLength(0);
  r[attr::kDontFragment] = ExactLength(0);
  r[attr::kEvenPort] = ExactLength(1);
  r[attr::kUserhash] = ExactLength(32);
  r[attr::kErrorCode] = {4, 0, false, 4 + kMaxReasonSize};
  r[attr::kUnknownAttributes] = {0, 1, false, SIZE_MAX};
  r[attr::kPasswordAlgorithm] = MinLength(4);
  r[attr::kUsername] = MaxLength(kMaxUsernameSize);
  r[attr::kRealm] = MaxLength(kMaxRealmSize);
  r[attr::kNonce] = MaxLength(kMaxNonceSize);
  return r;
}

constexpr LengthRules MakeComprehensionOptionalRules() {
  LengthRules r{};
  for (uint16_t t : {attr::kAlternateServer, attr::kResponseOrigin, attr::kOtherAddress}) {
    r[t & 0x3F] = kAddressLength;
  }
  r[attr::kFingerprint & 0x3F] = ExactLength(4);
  r[attr::kAdditionalAddressFamily & 0x3F] = ExactLength(4);
  r[attr::kIceControlled & 0x3F] = ExactLength(8);
  r[attr::kIceControlling & 0x3F] = ExactLength(8);
  r[attr::kIcmp & 0x3F] = ExactLength(8);
  r[attr::kAddressErrorCode & 0x3F] = {4, 0, false, 4 + kMaxReasonSize};
  r[attr::kPasswordAlgorithms & 0x3F] = MinLength(4);
  r[attr::kSoftware & 0x3F] = MaxLength(kMaxSoftwareSize);
  r[attr::kAlternateDomain & 0x3F] = MaxLength(kMaxAlternateDomainSize);
  return r;
}

inline constexpr LengthRules kComprehensionRequiredRules = MakeComprehensionRequiredRules();
inline constexpr LengthRules kComprehensionOptionalRules = MakeComprehensionOptionalRules();

// Whether an attribute of `type` may have a value of `n` bytes.
inline bool AttributeLengthAllowed(uint16_t type, size_t n) {
  const LengthRule* r;
  if (type < 64) {
    r = &kComprehensionRequiredRules[type];
  } else if (static_cast<uint16_t>(type - 0x8000) < 64) {
    r = &kComprehensionOptionalRules[type - 0x8000];
  } else {
    return true;
  }
  return n >= r->min && n <= r->max && (n & r->align_mask) == 0 &&
         (!r->ends_only || n == r->min || n == r->max);
}

}  // namespace tern::stun::internal

#endif  // TERN_LIB_STUN_ATTRIBUTE_LENGTHS_H_
