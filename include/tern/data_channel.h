// A WebRTC data channel (RFC 8831), shaped like the W3C RTCDataChannel: one SCTP stream of the
// connection's association, opened with DCEP (RFC 8832) or negotiated out of band with a fixed id.
//
// Threading. A DataChannel belongs to the PeerConnection that made it and to that connection's loop
// thread (see peer_connection.h). Every method may be called from any thread: on the loop thread it
// runs inline; from another thread, Send is posted (the bytes are copied, and buffered_amount() grows at
// once, as W3C asks) and the others wait for the loop (EventLoop::RunSync). Every callback runs on the
// loop thread, never concurrently with another callback of the same connection; a callback may call any
// method of any channel or of the connection. A handle outlives its connection safely: once the
// connection is closed or destroyed, the channel reads kClosed and Send fails.
#ifndef TERN_DATA_CHANNEL_H_
#define TERN_DATA_CHANNEL_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"

namespace tern {

// W3C RTCDataChannelState.
enum class DataChannelState : uint8_t { kConnecting, kOpen, kClosing, kClosed };
std::string_view DataChannelStateName(DataChannelState state);  // "connecting", "open", ...

// W3C RTCPriorityType, mapped to the DCEP priority values of RFC 8832 §5.1.
enum class DataChannelPriority : uint8_t { kVeryLow, kLow, kMedium, kHigh };

// W3C RTCDataChannelInit. max_retransmits and max_packet_life_time are mutually exclusive (setting
// both is InvalidArgument); neither means a reliable channel.
struct DataChannelInit {
  bool ordered = true;
  std::optional<uint16_t> max_retransmits;
  std::optional<uint16_t> max_packet_life_time_ms;
  std::string protocol;
  // Negotiated out of band (RFC 8832 §1): no DCEP; both sides create the channel with the same `id`.
  bool negotiated = false;
  // The SCTP stream id. Required when negotiated; otherwise picked by the connection (even for the
  // DTLS client, odd for the server, RFC 8832 §6) unless set.
  std::optional<uint16_t> id;
  DataChannelPriority priority = DataChannelPriority::kLow;
};

// One received message. An empty message is delivered as such (RFC 8831 §6.6 PPIDs 56/57).
struct DataChannelMessage {
  bool binary = false;
  std::vector<uint8_t> data;
  std::string_view text() const {
    return std::string_view(reinterpret_cast<const char*>(data.data()), data.size());
  }
};

class DataChannel {
 public:
  struct Impl;  // lib/pc/peer
  explicit DataChannel(std::shared_ptr<Impl> impl);
  ~DataChannel();
  DataChannel(const DataChannel&) = delete;
  DataChannel& operator=(const DataChannel&) = delete;

  const std::string& label() const;
  const std::string& protocol() const;
  bool ordered() const;
  std::optional<uint16_t> max_retransmits() const;
  std::optional<uint16_t> max_packet_life_time_ms() const;
  bool negotiated() const;
  // The SCTP stream id; nullopt only while a locally created channel waits for the DTLS role to pick
  // its parity.
  std::optional<uint16_t> id() const;
  DataChannelState ready_state() const;

  // Queues one message. FailedPrecondition unless the channel is open; InvalidArgument when it is
  // larger than the peer's a=max-message-size. An empty string or span sends an empty message.
  absl::Status Send(std::string_view text);
  absl::Status Send(std::span<const uint8_t> binary);

  // Bytes handed to Send that the association has not yet passed to the network (W3C bufferedAmount).
  uint64_t buffered_amount() const;
  uint64_t buffered_amount_low_threshold() const;
  // OnBufferedAmountLow fires when buffered_amount() falls from above this value to at or below it.
  void SetBufferedAmountLowThreshold(uint64_t bytes);

  // Starts the closing procedure (an SCTP stream reset, RFC 8831 §6.7). Idempotent.
  void Close();

  // Callbacks (loop thread). Setting one replaces the previous one. Events that happen while no
  // callback is set are not replayed, except OnOpen: setting it on a channel that is already open
  // calls it at once (so a handle from OnDataChannel, which arrives open, never misses it).
  void OnOpen(absl::AnyInvocable<void()> callback);
  void OnMessage(absl::AnyInvocable<void(DataChannelMessage)> callback);
  void OnClose(absl::AnyInvocable<void()> callback);
  void OnError(absl::AnyInvocable<void(absl::Status)> callback);
  void OnBufferedAmountLow(absl::AnyInvocable<void()> callback);

  Impl& impl() { return *impl_; }

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace tern

#endif  // TERN_DATA_CHANNEL_H_
