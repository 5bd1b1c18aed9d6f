// The fake TURN server of the TurnClient tests (see fake_turn_server.h).
#include "unit/turn_client/fake_turn_server.h"

#include <algorithm>
#include <utility>

namespace tern::testing {
namespace {

using stun::MessageClass;
namespace attr = stun::attr;

constexpr Duration kPermissionLifetime = Duration::Seconds(300);  // RFC 8656 §9
constexpr Duration kChannelLifetime = Duration::Seconds(600);     // RFC 8656 §11

}  // namespace

FakeTurnServer::FakeTurnServer(FakeTurnServerConfig config) : config_(std::move(config)) { NewNonce(); }

void FakeTurnServer::NewNonce() {
  std::string opaque = "nonce" + std::to_string(++nonce_serial_);
  nonce_ = config_.announce_password_algorithms
               ? stun::MakeNonceWithCookie({.password_algorithms = true}, opaque)
               : opaque;
}

bool FakeTurnServer::HasPermission(const IpAddress& ip, Timestamp now) const {
  auto it = permissions_.find(ip);
  return allocated_ && it != permissions_.end() && it->second > now;
}

std::optional<uint16_t> FakeTurnServer::ChannelOf(const SocketAddress& peer, Timestamp now) const {
  for (const auto& [number, p] : channels_) {
    if (p == peer && channel_expiry_.at(number) > now) return number;
  }
  return std::nullopt;
}

std::vector<std::vector<uint8_t>> FakeTurnServer::Receive(ByteSpan bytes, Timestamp now) {
  std::vector<std::vector<uint8_t>> out;
  if (allocated_ && now >= expiry_) {
    allocated_ = false;
    permissions_.clear();
    channels_.clear();
    channel_expiry_.clear();
  }
  if (stun::LooksLikeChannelData(bytes)) {
    absl::StatusOr<stun::ChannelDataView> cd =
        stun::ParseChannelData(bytes, config_.stream ? stun::Framing::kStream : stun::Framing::kDatagram);
    if (!cd.ok() || !allocated_) return out;
    auto it = channels_.find(cd->channel);
    if (it == channels_.end() || channel_expiry_[cd->channel] <= now ||
        !HasPermission(it->second.ip(), now)) {
      ++dropped_sends;
      return out;
    }
    relayed.push_back({it->second, std::vector<uint8_t>(cd->payload.begin(), cd->payload.end()), true});
    return out;
  }
  absl::StatusOr<stun::MessageView> msg = stun::MessageView::Parse(bytes);
  if (!msg.ok()) return out;
  if (msg->message_class() == MessageClass::kIndication) {
    if (msg->method() != stun::method::kSend || !allocated_) return out;
    absl::StatusOr<SocketAddress> peer = msg->GetXorAddress(attr::kXorPeerAddress);
    absl::StatusOr<ByteSpan> data = msg->GetData();
    if (!peer.ok() || !data.ok() || !HasPermission(peer->ip(), now)) {
      ++dropped_sends;
      return out;
    }
    relayed.push_back({*peer, std::vector<uint8_t>(data->begin(), data->end()), false});
    return out;
  }
  if (msg->message_class() != MessageClass::kRequest) return out;
  ++requests[msg->method()];
  out.push_back(Answer(*msg, now));
  return out;
}

std::vector<uint8_t> FakeTurnServer::Error(const stun::MessageView& request, int code, bool with_integrity,
                                           bool challenge) {
  std::vector<uint8_t> buffer(2048);
  stun::MessageBuilder b(buffer, {MessageClass::kErrorResponse, request.method()}, request.transaction_id());
  b.AddErrorCode(code);
  if (challenge) {
    b.AddText(attr::kRealm, config_.realm);
    b.AddText(attr::kNonce, nonce_);
    if (config_.announce_password_algorithms && !config_.omit_password_algorithms) {
      b.AddPasswordAlgorithms(config_.offered);
    }
  }
  if (code == stun::error::kTryAlternate && alternate_server.has_value()) {
    b.AddAddress(attr::kAlternateServer, *alternate_server);
  }
  stun::FinishOptions options;
  options.fingerprint = true;
  stun::IntegrityKey wrong = stun::IntegrityKey::ShortTerm("not the key");
  if (with_integrity && key_.has_value()) {
    (sha256_ ? options.integrity_sha256 : options.integrity) = corrupt_integrity ? &wrong : &*key_;
  }
  absl::StatusOr<ByteSpan> wire = b.Finish(options);
  buffer.resize(wire.ok() ? wire->size() : 0);
  return buffer;
}

std::vector<uint8_t> FakeTurnServer::Success(const stun::MessageView& request,
                                             const std::function<void(stun::MessageBuilder&)>& add) {
  std::vector<uint8_t> buffer(2048);
  stun::MessageBuilder b(buffer, {MessageClass::kSuccessResponse, request.method()},
                         request.transaction_id());
  add(b);
  stun::FinishOptions options;
  options.fingerprint = true;
  std::optional<stun::IntegrityKey> wrong;
  if (!omit_integrity && key_.has_value()) {
    const stun::IntegrityKey* key = &*key_;
    if (corrupt_integrity) {
      wrong = stun::IntegrityKey::ShortTerm("not the key");
      key = &*wrong;
    }
    (sha256_ ? options.integrity_sha256 : options.integrity) = key;
  }
  absl::StatusOr<ByteSpan> wire = b.Finish(options);
  buffer.resize(wire.ok() ? wire->size() : 0);
  return buffer;
}

std::vector<uint8_t> FakeTurnServer::Answer(const stun::MessageView& request, Timestamp now) {
  key_.reset();
  sha256_ = false;
  // Long-term credential checks in the order of RFC 8489 §9.2.4.
  if (!request.has_message_integrity() && !request.has_message_integrity_sha256()) {
    return Error(request, stun::error::kUnauthenticated, false, true);
  }
  absl::StatusOr<std::string_view> username = request.GetUsername();
  absl::StatusOr<std::string_view> realm = request.GetRealm();
  absl::StatusOr<std::string_view> nonce = request.GetNonce();
  if (!username.ok() || !realm.ok() || !nonce.ok()) {
    return Error(request, stun::error::kBadRequest, false, false);
  }
  if (*nonce != nonce_ || stale_nonce_count > 0) {
    if (stale_nonce_count > 0) {
      --stale_nonce_count;
      NewNonce();
    }
    return Error(request, stun::error::kStaleNonce, false, true);
  }
  if (*username != config_.username || *realm != config_.realm) {
    return Error(request, stun::error::kUnauthenticated, false, true);
  }
  stun::PasswordAlgorithm algorithm = stun::PasswordAlgorithm::kMd5;
  if (config_.announce_password_algorithms) {
    std::optional<stun::Attribute> list = request.Find(attr::kPasswordAlgorithms);
    std::optional<stun::Attribute> chosen = request.Find(attr::kPasswordAlgorithm);
    if (!list.has_value() || !chosen.has_value()) {
      return Error(request, stun::error::kBadRequest, false, false);
    }
    // The echoed list must be exactly what the server offered.
    std::vector<uint8_t> expected(64);
    stun::MessageBuilder probe(expected, {MessageClass::kRequest, 1}, request.transaction_id());
    probe.AddPasswordAlgorithms(config_.offered);
    absl::StatusOr<ByteSpan> probe_wire = probe.Finish();
    ByteSpan offered = probe_wire->subspan(stun::kHeaderSize + stun::kAttributeHeaderSize);
    if (!std::equal(offered.begin(), offered.end(), list->value.begin(), list->value.end())) {
      return Error(request, stun::error::kBadRequest, false, false);
    }
    absl::StatusOr<stun::PasswordAlgorithmValue> a = stun::DecodePasswordAlgorithm(chosen->value);
    if (!a.ok()) return Error(request, stun::error::kBadRequest, false, false);
    algorithm = static_cast<stun::PasswordAlgorithm>(a->algorithm);
  }
  stun::IntegrityKey key =
      stun::IntegrityKey::LongTerm(config_.username, config_.realm, config_.password, algorithm);
  if (!request.VerifyIntegrity(key).ok()) {
    return Error(request, stun::error::kUnauthenticated, false, true);
  }
  key_ = key;
  sha256_ = request.has_message_integrity_sha256();

  auto forced = fail_method.find(request.method());
  if (forced != fail_method.end()) {
    return Error(request, forced->second, errors_with_integrity, false);
  }
  if (forget_allocation) {
    forget_allocation = false;
    allocated_ = false;
    permissions_.clear();
    channels_.clear();
    channel_expiry_.clear();
  }

  switch (request.method()) {
    case stun::method::kAllocate: {
      if (allocated_ && !(request.transaction_id() == allocate_id_)) {
        return Error(request, stun::error::kAllocationMismatch, true, false);
      }
      allocate_id_ = request.transaction_id();
      uint32_t lifetime = config_.default_lifetime;
      absl::StatusOr<uint32_t> asked = request.GetLifetime();
      if (asked.ok()) lifetime = std::min(*asked, config_.max_lifetime);
      std::vector<SocketAddress> relayed_addresses;
      bool v6_only = false;
      if (std::optional<stun::Attribute> f = request.Find(attr::kRequestedAddressFamily)) {
        v6_only = stun::DecodeAddressFamily(f->value).value_or(IpFamily::kV4) == IpFamily::kV6;
      }
      bool dual = request.Has(attr::kAdditionalAddressFamily);
      if (!v6_only) relayed_addresses.push_back(config_.relayed_v4);
      if ((v6_only || dual) && config_.relayed_v6.is_set()) relayed_addresses.push_back(config_.relayed_v6);
      if (relayed_addresses.empty()) {
        return Error(request, stun::error::kAddressFamilyNotSupported, true, false);
      }
      allocated_ = true;
      expiry_ = now + Duration::Seconds(lifetime);
      return Success(request, [&](stun::MessageBuilder& b) {
        for (const SocketAddress& r : relayed_addresses) b.AddXorAddress(attr::kXorRelayedAddress, r);
        if (dual && !config_.relayed_v6.is_set()) {
          b.AddAddressErrorCode(IpFamily::kV6, stun::error::kAddressFamilyNotSupported,
                                "Address Family not Supported");
        }
        b.AddXorAddress(attr::kXorMappedAddress, config_.mapped);
        b.AddU32(attr::kLifetime, lifetime);
      });
    }
    case stun::method::kRefresh: {
      if (!allocated_) return Error(request, stun::error::kAllocationMismatch, true, false);
      uint32_t lifetime = config_.default_lifetime;
      absl::StatusOr<uint32_t> asked = request.GetLifetime();
      if (asked.ok()) lifetime = std::min(*asked, config_.max_lifetime);
      if (lifetime == 0) {
        allocated_ = false;
        permissions_.clear();
        channels_.clear();
        channel_expiry_.clear();
      } else {
        expiry_ = now + Duration::Seconds(lifetime);
      }
      return Success(request, [&](stun::MessageBuilder& b) { b.AddU32(attr::kLifetime, lifetime); });
    }
    case stun::method::kCreatePermission: {
      if (!allocated_) return Error(request, stun::error::kAllocationMismatch, true, false);
      bool any = false;
      for (const stun::Attribute& a : request) {
        if (a.type != attr::kXorPeerAddress) continue;
        absl::StatusOr<SocketAddress> peer = stun::DecodeXorAddress(a.value, request.transaction_id());
        if (!peer.ok()) return Error(request, stun::error::kBadRequest, true, false);
        permissions_[peer->ip()] = now + kPermissionLifetime;
        any = true;
      }
      if (!any) return Error(request, stun::error::kBadRequest, true, false);
      return Success(request, [](stun::MessageBuilder&) {});
    }
    case stun::method::kChannelBind: {
      if (!allocated_) return Error(request, stun::error::kAllocationMismatch, true, false);
      absl::StatusOr<uint16_t> number = request.GetChannelNumber();
      absl::StatusOr<SocketAddress> peer = request.GetXorAddress(attr::kXorPeerAddress);
      if (!number.ok() || !peer.ok()) return Error(request, stun::error::kBadRequest, true, false);
      // RFC 8656 §11.2: a channel is bound to one peer and a peer to one channel.
      auto existing = channels_.find(*number);
      if (existing != channels_.end() && existing->second != *peer) {
        return Error(request, stun::error::kBadRequest, true, false);
      }
      for (const auto& [n, p] : channels_) {
        if (p == *peer && n != *number) return Error(request, stun::error::kBadRequest, true, false);
      }
      channels_[*number] = *peer;
      channel_expiry_[*number] = now + kChannelLifetime;
      permissions_[peer->ip()] = now + kPermissionLifetime;
      return Success(request, [](stun::MessageBuilder&) {});
    }
    default:
      return Error(request, stun::error::kBadRequest, true, false);
  }
}

std::optional<std::vector<uint8_t>> FakeTurnServer::FromPeer(const SocketAddress& peer, ByteSpan payload,
                                                             Timestamp now) {
  if (!HasPermission(peer.ip(), now)) return std::nullopt;
  if (std::optional<uint16_t> channel = ChannelOf(peer, now)) {
    std::vector<uint8_t> out(payload.size() + 8);
    absl::StatusOr<size_t> n = stun::WriteChannelData(
        out, *channel, payload, config_.stream ? stun::Framing::kStream : stun::Framing::kDatagram);
    out.resize(n.ok() ? *n : 0);
    return out;
  }
  std::vector<uint8_t> out(payload.size() + 128);
  stun::MessageBuilder b(out, {MessageClass::kIndication, stun::method::kData},
                         stun::TransactionId::Generate(random_));
  b.AddXorAddress(attr::kXorPeerAddress, peer);
  b.Add(attr::kData, payload);
  absl::StatusOr<ByteSpan> wire = b.Finish({.fingerprint = true});
  out.resize(wire.ok() ? wire->size() : 0);
  return out;
}

}  // namespace tern::testing
