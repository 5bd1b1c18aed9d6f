#include "sim/stun_endpoints.h"

#include <array>
#include <utility>

#include "tern/stun/message.h"
#include "tern/stun/message_builder.h"

namespace tern::testing {
namespace {

constexpr size_t kBufferSize = 128;  // header + XOR-MAPPED-ADDRESS (v6) + FINGERPRINT fit easily

}  // namespace

void StunBindingClient::Start(const SocketAddress& server, Timestamp now) {
  server_ = server;
  transaction_ = stun::TransactionId::Generate(random_);
  std::array<uint8_t, kBufferSize> buffer;
  stun::MessageBuilder builder(buffer, {stun::MessageClass::kRequest, stun::method::kBinding}, transaction_);
  absl::StatusOr<ByteSpan> wire = builder.Finish({.fingerprint = true});
  ++started_;
  if (!wire.ok()) {
    state_ = State::kFailed;
    return;
  }
  request_.assign(wire->begin(), wire->end());
  state_ = State::kPending;
  attempts_ = 0;
  interval_ = kStunInitialRto;
  SendRequest(now);
}

void StunBindingClient::SendRequest(Timestamp now) {
  outbox_.push_back(Transmit{local_, server_, request_});
  ++requests_sent_;
  ++attempts_;
  if (attempts_ < kStunMaxRequests) {
    deadline_ = now + interval_;
    interval_ = interval_ * 2;
  } else {
    deadline_ = now + kStunInitialRto * kStunFinalWaitRtos;
  }
}

void StunBindingClient::HandleInput(Datagram datagram, Timestamp now) {
  absl::StatusOr<stun::MessageView> message = stun::MessageView::Parse(datagram.payload);
  if (state_ != State::kPending || !message.ok() || message->method() != stun::method::kBinding ||
      message->transaction_id() != transaction_ ||
      (message->message_class() != stun::MessageClass::kSuccessResponse &&
       message->message_class() != stun::MessageClass::kErrorResponse) ||
      !message->has_fingerprint() || !message->VerifyFingerprint().ok()) {
    other_.push_back(std::move(datagram));
    return;
  }
  if (message->message_class() == stun::MessageClass::kErrorResponse) {
    state_ = State::kFailed;
    return;
  }
  absl::StatusOr<SocketAddress> mapped = message->GetXorMappedAddress();
  if (!mapped.ok()) {
    state_ = State::kFailed;
    return;
  }
  mapped_ = *mapped;
  state_ = State::kSucceeded;
  ++succeeded_;
}

void StunBindingClient::HandleTimeout(Timestamp now) {
  if (state_ != State::kPending || now < deadline_) return;
  if (attempts_ < kStunMaxRequests) {
    SendRequest(now);
  } else {
    state_ = State::kTimedOut;
  }
}

std::optional<Transmit> StunBindingClient::PollTransmit() {
  if (outbox_.empty()) return std::nullopt;
  Transmit t = std::move(outbox_.front());
  outbox_.pop_front();
  return t;
}

std::optional<Timestamp> StunBindingClient::NextTimeout() const {
  if (state_ != State::kPending) return std::nullopt;
  return deadline_;
}

void StunBindingServer::HandleInput(Datagram datagram, Timestamp now) {
  absl::StatusOr<stun::MessageView> request = stun::MessageView::Parse(datagram.payload);
  if (!request.ok() || request->message_class() != stun::MessageClass::kRequest ||
      request->method() != stun::method::kBinding ||
      (request->has_fingerprint() && !request->VerifyFingerprint().ok())) {
    ++ignored_;
    return;
  }
  ++requests_;
  sources_.push_back(datagram.source);
  std::array<uint8_t, kBufferSize> buffer;
  stun::MessageBuilder builder(buffer, {stun::MessageClass::kSuccessResponse, stun::method::kBinding},
                               request->transaction_id());
  builder.AddXorAddress(stun::attr::kXorMappedAddress, datagram.source);
  absl::StatusOr<ByteSpan> wire = builder.Finish({.fingerprint = true});
  if (!wire.ok()) {
    ++ignored_;
    return;
  }
  outbox_.push_back(
      Transmit{datagram.destination, datagram.source, std::vector<uint8_t>(wire->begin(), wire->end())});
}

std::optional<Transmit> StunBindingServer::PollTransmit() {
  if (outbox_.empty()) return std::nullopt;
  Transmit t = std::move(outbox_.front());
  outbox_.pop_front();
  return t;
}

}  // namespace tern::testing
