#include "tern/stun/attributes.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tern/base/strings.h"
#include "tern/stun/constants.h"
#include "stun/attribute_lengths.h"

namespace tern::stun {
namespace {

absl::Status Malformed(uint16_t type, std::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat(ToAbsl(AttributeName(type)), ": ", ToAbsl(what)));
}

}  // namespace

std::string_view MethodName(uint16_t m) {
  switch (m) {
    case method::kBinding: return "Binding";
    case method::kAllocate: return "Allocate";
    case method::kRefresh: return "Refresh";
    case method::kSend: return "Send";
    case method::kData: return "Data";
    case method::kCreatePermission: return "CreatePermission";
    case method::kChannelBind: return "ChannelBind";
    case method::kConnect: return "Connect";
    case method::kConnectionBind: return "ConnectionBind";
    case method::kConnectionAttempt: return "ConnectionAttempt";
  }
  return "Unknown";
}

std::string_view ClassName(MessageClass cls) {
  switch (cls) {
    case MessageClass::kRequest: return "request";
    case MessageClass::kIndication: return "indication";
    case MessageClass::kSuccessResponse: return "success response";
    case MessageClass::kErrorResponse: return "error response";
  }
  return "unknown";
}

std::string_view AttributeName(uint16_t type) {
  switch (type) {
    case attr::kMappedAddress: return "MAPPED-ADDRESS";
    case attr::kChangeRequest: return "CHANGE-REQUEST";
    case attr::kUsername: return "USERNAME";
    case attr::kMessageIntegrity: return "MESSAGE-INTEGRITY";
    case attr::kErrorCode: return "ERROR-CODE";
    case attr::kUnknownAttributes: return "UNKNOWN-ATTRIBUTES";
    case attr::kChannelNumber: return "CHANNEL-NUMBER";
    case attr::kLifetime: return "LIFETIME";
    case attr::kXorPeerAddress: return "XOR-PEER-ADDRESS";
    case attr::kData: return "DATA";
    case attr::kRealm: return "REALM";
    case attr::kNonce: return "NONCE";
    case attr::kXorRelayedAddress: return "XOR-RELAYED-ADDRESS";
    case attr::kRequestedAddressFamily: return "REQUESTED-ADDRESS-FAMILY";
    case attr::kEvenPort: return "EVEN-PORT";
    case attr::kRequestedTransport: return "REQUESTED-TRANSPORT";
    case attr::kDontFragment: return "DONT-FRAGMENT";
    case attr::kMessageIntegritySha256: return "MESSAGE-INTEGRITY-SHA256";
    case attr::kPasswordAlgorithm: return "PASSWORD-ALGORITHM";
    case attr::kUserhash: return "USERHASH";
    case attr::kXorMappedAddress: return "XOR-MAPPED-ADDRESS";
    case attr::kReservationToken: return "RESERVATION-TOKEN";
    case attr::kPriority: return "PRIORITY";
    case attr::kUseCandidate: return "USE-CANDIDATE";
    case attr::kPadding: return "PADDING";
    case attr::kResponsePort: return "RESPONSE-PORT";
    case attr::kConnectionId: return "CONNECTION-ID";
    case attr::kAdditionalAddressFamily: return "ADDITIONAL-ADDRESS-FAMILY";
    case attr::kAddressErrorCode: return "ADDRESS-ERROR-CODE";
    case attr::kPasswordAlgorithms: return "PASSWORD-ALGORITHMS";
    case attr::kAlternateDomain: return "ALTERNATE-DOMAIN";
    case attr::kIcmp: return "ICMP";
    case attr::kSoftware: return "SOFTWARE";
    case attr::kAlternateServer: return "ALTERNATE-SERVER";
    case attr::kFingerprint: return "FINGERPRINT";
    case attr::kIceControlled: return "ICE-CONTROLLED";
    case attr::kIceControlling: return "ICE-CONTROLLING";
    case attr::kResponseOrigin: return "RESPONSE-ORIGIN";
    case attr::kOtherAddress: return "OTHER-ADDRESS";
  }
  return "unknown attribute";
}

bool IsKnownAttribute(uint16_t type) { return AttributeName(type) != "unknown attribute"; }

std::string_view DefaultReasonPhrase(int code) {
  switch (code) {
    case error::kTryAlternate: return "Try Alternate";
    case error::kBadRequest: return "Bad Request";
    case error::kUnauthenticated: return "Unauthenticated";
    case error::kForbidden: return "Forbidden";
    case error::kUnknownAttribute: return "Unknown Attribute";
    case error::kAllocationMismatch: return "Allocation Mismatch";
    case error::kStaleNonce: return "Stale Nonce";
    case error::kAddressFamilyNotSupported: return "Address Family not Supported";
    case error::kWrongCredentials: return "Wrong Credentials";
    case error::kUnsupportedTransportProtocol: return "Unsupported Transport Protocol";
    case error::kPeerAddressFamilyMismatch: return "Peer Address Family Mismatch";
    case error::kConnectionAlreadyExists: return "Connection Already Exists";
    case error::kConnectionTimeoutOrFailure: return "Connection Timeout or Failure";
    case error::kAllocationQuotaReached: return "Allocation Quota Reached";
    case error::kRoleConflict: return "Role Conflict";
    case error::kServerError: return "Server Error";
    case error::kInsufficientCapacity: return "Insufficient Capacity";
  }
  return "";
}

bool IsValidAttributeLength(uint16_t type, size_t n) {
  return internal::AttributeLengthAllowed(type, n);
}

absl::StatusOr<SocketAddress> DecodeAddress(ByteSpan v) {
  if (v.size() != 8 && v.size() != 20) {
    return absl::InvalidArgumentError(absl::StrCat("address attribute has length ", v.size(),
                                                   ", want 8 (IPv4) or 20 (IPv6)"));
  }
  uint8_t family = v[1];
  uint16_t port = LoadBigEndian16(v.data() + 2);
  if (family == kFamilyV4 && v.size() == 8) {
    return SocketAddress(IpAddress::V4(std::span<const uint8_t, 4>(v.data() + 4, 4)), port);
  }
  if (family == kFamilyV6 && v.size() == 20) {
    return SocketAddress(IpAddress::V6(std::span<const uint8_t, 16>(v.data() + 4, 16)), port);
  }
  return absl::InvalidArgumentError(
      absl::StrFormat("address attribute: family 0x%02x does not match length %d", family, v.size()));
}

absl::StatusOr<SocketAddress> DecodeXorAddress(ByteSpan v, const TransactionId& id) {
  absl::StatusOr<SocketAddress> plain = DecodeAddress(v);
  if (!plain.ok()) return plain.status();
  uint16_t port = plain->port() ^ static_cast<uint16_t>(kMagicCookie >> 16);
  uint8_t mask[16];
  StoreBigEndian32(mask, kMagicCookie);
  std::memcpy(mask + 4, id.bytes.data(), 12);
  std::span<const uint8_t> raw = plain->ip().bytes();
  uint8_t out[16];
  for (size_t i = 0; i < raw.size(); ++i) out[i] = raw[i] ^ mask[i];
  if (plain->ip().is_v4()) {
    return SocketAddress(IpAddress::V4(std::span<const uint8_t, 4>(out, 4)), port);
  }
  return SocketAddress(IpAddress::V6(std::span<const uint8_t, 16>(out, 16)), port);
}

namespace {
absl::StatusOr<int> DecodeClassNumber(uint16_t type, uint8_t cls_byte, uint8_t number) {
  int cls = cls_byte & 0x07;
  if (cls < 3 || cls > 6) {
    return Malformed(type, absl::StrCat("error class ", cls, " outside 3..6"));
  }
  if (number > 99) {
    return Malformed(type, absl::StrCat("error number ", number, " outside 0..99"));
  }
  return cls * 100 + number;
}
}  // namespace

absl::StatusOr<ErrorCodeValue> DecodeErrorCode(ByteSpan v) {
  if (!IsValidAttributeLength(attr::kErrorCode, v.size())) {
    return Malformed(attr::kErrorCode, absl::StrCat("length ", v.size(), " outside 4..767"));
  }
  absl::StatusOr<int> code = DecodeClassNumber(attr::kErrorCode, v[2], v[3]);
  if (!code.ok()) return code.status();
  std::string_view reason = AsString(v.subspan(4));
  if (!IsValidUtf8(reason)) return Malformed(attr::kErrorCode, "reason phrase is not UTF-8");
  return ErrorCodeValue{*code, reason};
}

absl::StatusOr<AddressErrorCodeValue> DecodeAddressErrorCode(ByteSpan v) {
  if (!IsValidAttributeLength(attr::kAddressErrorCode, v.size())) {
    return Malformed(attr::kAddressErrorCode, absl::StrCat("length ", v.size(), " outside 4..767"));
  }
  IpFamily family;
  if (v[0] == kFamilyV4) {
    family = IpFamily::kV4;
  } else if (v[0] == kFamilyV6) {
    family = IpFamily::kV6;
  } else {
    return Malformed(attr::kAddressErrorCode, absl::StrCat("unknown family ", v[0]));
  }
  absl::StatusOr<int> code = DecodeClassNumber(attr::kAddressErrorCode, v[2], v[3]);
  if (!code.ok()) return code.status();
  std::string_view reason = AsString(v.subspan(4));
  if (!IsValidUtf8(reason)) return Malformed(attr::kAddressErrorCode, "reason phrase is not UTF-8");
  return AddressErrorCodeValue{family, *code, reason};
}

absl::StatusOr<std::vector<uint16_t>> DecodeUnknownAttributes(ByteSpan v) {
  if (v.size() % 2 != 0) return Malformed(attr::kUnknownAttributes, "odd length");
  std::vector<uint16_t> out;
  out.reserve(v.size() / 2);
  for (size_t i = 0; i < v.size(); i += 2) out.push_back(LoadBigEndian16(v.data() + i));
  return out;
}

namespace {
// One PASSWORD-ALGORITHM entry at the reader; parameters are padded to 4 bytes.
absl::StatusOr<PasswordAlgorithmValue> ReadPasswordAlgorithm(uint16_t type, ByteReader& r) {
  uint16_t alg, len;
  if (!r.ReadU16(&alg) || !r.ReadU16(&len)) return Malformed(type, "truncated entry");
  ByteSpan params;
  if (!r.ReadBytes(len, &params)) return Malformed(type, "parameters run past the attribute");
  size_t pad = (4 - len % 4) % 4;
  if (pad != 0 && !r.Skip(pad)) return Malformed(type, "parameters padding runs past the attribute");
  if ((alg == static_cast<uint16_t>(PasswordAlgorithm::kMd5) ||
       alg == static_cast<uint16_t>(PasswordAlgorithm::kSha256)) &&
      len != 0) {
    return Malformed(type, "MD5 and SHA-256 take no parameters");
  }
  return PasswordAlgorithmValue{alg, params};
}
}  // namespace

absl::StatusOr<std::vector<PasswordAlgorithmValue>> DecodePasswordAlgorithms(ByteSpan v) {
  ByteReader r(v);
  std::vector<PasswordAlgorithmValue> out;
  if (r.empty()) return Malformed(attr::kPasswordAlgorithms, "empty list");
  while (!r.empty()) {
    absl::StatusOr<PasswordAlgorithmValue> e = ReadPasswordAlgorithm(attr::kPasswordAlgorithms, r);
    if (!e.ok()) return e.status();
    out.push_back(*e);
  }
  return out;
}

absl::StatusOr<PasswordAlgorithmValue> DecodePasswordAlgorithm(ByteSpan v) {
  ByteReader r(v);
  absl::StatusOr<PasswordAlgorithmValue> e = ReadPasswordAlgorithm(attr::kPasswordAlgorithm, r);
  if (!e.ok()) return e.status();
  if (!r.empty()) return Malformed(attr::kPasswordAlgorithm, "trailing bytes after the entry");
  return e;
}

absl::StatusOr<IpFamily> DecodeAddressFamily(ByteSpan v) {
  if (v.size() != 4) return absl::InvalidArgumentError("address family attribute: length must be 4");
  if (v[0] == kFamilyV4) return IpFamily::kV4;
  if (v[0] == kFamilyV6) return IpFamily::kV6;
  return absl::InvalidArgumentError(absl::StrCat("address family attribute: unknown family ", v[0]));
}

absl::StatusOr<uint16_t> DecodeChannelNumber(ByteSpan v, ChannelNumberRange range) {
  if (v.size() != 4) return Malformed(attr::kChannelNumber, "length must be 4");
  uint16_t n = LoadBigEndian16(v.data());
  if (!IsValidChannelNumber(n, range)) {
    return Malformed(attr::kChannelNumber, absl::StrFormat("0x%04x outside 0x%04X..0x%04X", n,
                                                           kMinChannelNumber, MaxChannelNumber(range)));
  }
  return n;
}

absl::StatusOr<uint8_t> DecodeRequestedTransport(ByteSpan v) {
  if (v.size() != 4) return Malformed(attr::kRequestedTransport, "length must be 4");
  return v[0];
}

absl::StatusOr<bool> DecodeEvenPort(ByteSpan v) {
  if (v.size() != 1) return Malformed(attr::kEvenPort, "length must be 1");
  return (v[0] & 0x80) != 0;
}

absl::StatusOr<IcmpValue> DecodeIcmp(ByteSpan v) {
  if (v.size() != 8) return Malformed(attr::kIcmp, "length must be 8");
  return IcmpValue{v[2], v[3], LoadBigEndian32(v.data() + 4)};
}

absl::StatusOr<ChangeRequestValue> DecodeChangeRequest(ByteSpan v) {
  if (v.size() != 4) return Malformed(attr::kChangeRequest, "length must be 4");
  uint32_t flags = LoadBigEndian32(v.data());
  return ChangeRequestValue{(flags & 0x4) != 0, (flags & 0x2) != 0};
}

absl::StatusOr<uint16_t> DecodeResponsePort(ByteSpan v) {
  if (v.size() != 4) return Malformed(attr::kResponsePort, "length must be 4");
  return LoadBigEndian16(v.data());
}

absl::StatusOr<uint32_t> DecodeU32(ByteSpan v) {
  if (v.size() != 4) return absl::InvalidArgumentError(absl::StrCat("32-bit attribute has length ", v.size()));
  return LoadBigEndian32(v.data());
}

absl::StatusOr<uint64_t> DecodeU64(ByteSpan v) {
  if (v.size() != 8) return absl::InvalidArgumentError(absl::StrCat("64-bit attribute has length ", v.size()));
  return LoadBigEndian64(v.data());
}

absl::StatusOr<std::string_view> DecodeText(uint16_t type, ByteSpan v) {
  if (!IsValidAttributeLength(type, v.size())) {
    return Malformed(type, absl::StrCat("length ", v.size(), " exceeds the RFC limit"));
  }
  std::string_view s = AsString(v);
  if (!IsValidUtf8(s)) return Malformed(type, "not valid UTF-8");
  return s;
}

bool IsValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    uint8_t c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (n - i < len) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    // Overlong forms, surrogates and values beyond U+10FFFF.
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += len;
  }
  return true;
}

}  // namespace tern::stun
