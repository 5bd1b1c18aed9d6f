// The native SrtpSession: per-SSRC replay state (replay_window.h) around the BoringSSL transforms
// (native_cipher.h).
#include <openssl/mem.h>

#include <utility>

#include "absl/container/flat_hash_map.h"
#include "srtp/backends.h"
#include "srtp/native_cipher.h"
#include "srtp/packet_checks.h"
#include "srtp/replay_window.h"

namespace tern::srtp {

namespace {

// State of one SSRC. An outbound stream uses rtp (to estimate the ROC from the sequence numbers it is
// given and to refuse protecting one twice) and next_rtcp_index; an inbound one uses rtp and rtcp.
struct Stream {
  explicit Stream(size_t window) : rtp(window) {}
  RtpReplayWindow rtp;
  RtcpReplayWindow rtcp;
  uint32_t last_rtcp_index = 0;  // outbound: the SRTCP index of the last packet sent (first is 1)
};

class NativeSrtpSession final : public SrtpSession {
 public:
  NativeSrtpSession(SrtpProfile profile, SrtpDirection direction, std::unique_ptr<NativeCipher> cipher,
                    const SrtpSessionOptions& options)
      : SrtpSession(SrtpBackend::kNative, profile, direction),
        cipher_(std::move(cipher)),
        window_((options.replay_window + 31) / 32 * 32),
        max_streams_(options.max_streams) {}

  absl::StatusOr<size_t> ProtectRtp(MutableByteSpan buffer, size_t packet_size) override {
    const size_t tag_size = cipher_->rtp_tag_size();
    if (absl::Status s =
            CheckProtectArguments(direction(), buffer, packet_size, kRtpFixedHeaderSize, tag_size);
        !s.ok()) {
      return s;
    }
    uint8_t* packet = buffer.data();
    const size_t header_size = RtpHeaderSize(packet, packet_size);
    if (header_size == 0) return MalformedRtp();
    Stream* stream = FindOrCreate(RtpSsrc(packet));
    if (stream == nullptr) return TooManyStreams();
    const RtpReplayWindow::Estimate estimate = stream->rtp.EstimateIndex(RtpSequenceNumber(packet));
    if (absl::Status s = Verdict(stream->rtp.Check(estimate.delta)); !s.ok()) return s;
    stream->rtp.Add(estimate.delta);
    if (!cipher_->ProtectRtp(packet, header_size, packet_size, RtpSsrc(packet), estimate.index)) {
      return absl::InternalError("srtp: encryption failed");
    }
    return packet_size + tag_size;
  }

  absl::StatusOr<size_t> UnprotectRtp(MutableByteSpan packet) override {
    if (absl::Status s = CheckUnprotectArguments(direction(), packet); !s.ok()) return s;
    uint8_t* data = packet.data();
    const size_t size = packet.size();
    const size_t header_size = RtpHeaderSize(data, size);
    if (header_size == 0) return MalformedRtp();
    const size_t tag_size = cipher_->rtp_tag_size();
    if (size - header_size < tag_size) return ShortSrtp();
    const uint32_t ssrc = RtpSsrc(data);
    // A new SSRC gets its state only once a packet authenticates; until then a fresh window stands in.
    Stream* stream = Find(ssrc);
    if (stream == nullptr && streams_.size() >= max_streams_) return TooManyStreams();
    RtpReplayWindow::Estimate estimate{RtpSequenceNumber(data), RtpSequenceNumber(data)};
    if (stream != nullptr) {
      estimate = stream->rtp.EstimateIndex(RtpSequenceNumber(data));
      if (absl::Status s = Verdict(stream->rtp.Check(estimate.delta)); !s.ok()) return s;
    }
    if (!cipher_->UnprotectRtp(data, header_size, size, ssrc, estimate.index)) {
      return AuthenticationFailed();
    }
    if (stream == nullptr) stream = Create(ssrc);
    stream->rtp.Add(estimate.delta);
    return size - tag_size;
  }

  absl::StatusOr<size_t> ProtectRtcp(MutableByteSpan buffer, size_t packet_size) override {
    const size_t overhead = kSrtcpIndexSize + cipher_->rtcp_tag_size();
    if (absl::Status s = CheckProtectArguments(direction(), buffer, packet_size, kRtcpHeaderSize, overhead);
        !s.ok()) {
      return s;
    }
    uint8_t* packet = buffer.data();
    const uint32_t ssrc = RtcpSenderSsrc(packet);
    Stream* stream = FindOrCreate(ssrc);
    if (stream == nullptr) return TooManyStreams();
    if (stream->last_rtcp_index >= kSrtcpMaxIndex) return SrtcpIndexExhausted();
    const uint32_t index = ++stream->last_rtcp_index;
    if (!cipher_->ProtectRtcp(packet, packet_size, ssrc, index)) {
      return absl::InternalError("srtcp: encryption failed");
    }
    return packet_size + overhead;
  }

  absl::StatusOr<size_t> UnprotectRtcp(MutableByteSpan packet) override {
    if (absl::Status s = CheckUnprotectArguments(direction(), packet); !s.ok()) return s;
    uint8_t* data = packet.data();
    const size_t size = packet.size();
    const size_t tag_size = cipher_->rtcp_tag_size();
    if (size < kRtcpHeaderSize + kSrtcpIndexSize + tag_size) return ShortSrtcp();
    const size_t index_offset =
        cipher_->rtcp_index_after_tag() ? size - kSrtcpIndexSize : size - tag_size - kSrtcpIndexSize;
    const uint32_t word = LoadBigEndian32(data + index_offset);
    const bool encrypted = (word & kSrtcpEncryptedFlag) != 0;
    if (!encrypted && !cipher_->rtcp_index_after_tag()) return UnencryptedSrtcp();
    const uint32_t index = word & kSrtcpIndexMask;
    const uint32_t ssrc = RtcpSenderSsrc(data);
    Stream* stream = Find(ssrc);
    if (stream == nullptr && streams_.size() >= max_streams_) return TooManyStreams();
    if (stream != nullptr) {
      if (absl::Status s = Verdict(stream->rtcp.Check(index)); !s.ok()) return s;
    }
    if (!cipher_->UnprotectRtcp(data, size, ssrc, index, encrypted)) return AuthenticationFailed();
    if (stream == nullptr) stream = Create(ssrc);
    stream->rtcp.Add(index);
    return size - kSrtcpIndexSize - tag_size;
  }

  bool RemoveStream(uint32_t ssrc) override {
    if (cached_stream_ != nullptr && cached_ssrc_ == ssrc) cached_stream_ = nullptr;
    return streams_.erase(ssrc) > 0;
  }

  size_t stream_count() const override { return streams_.size(); }

 private:
  static absl::Status Verdict(ReplayVerdict v) {
    switch (v) {
      case ReplayVerdict::kNew:
        return absl::OkStatus();
      case ReplayVerdict::kDuplicate:
        return ReplayDuplicate();
      case ReplayVerdict::kTooOld:
        return ReplayTooOld();
    }
    return absl::InternalError("srtp: bad replay verdict");
  }

  // A one-entry cache in front of the map: consecutive packets are usually of the same SSRC.
  Stream* Find(uint32_t ssrc) {
    if (cached_stream_ != nullptr && cached_ssrc_ == ssrc) return cached_stream_;
    auto it = streams_.find(ssrc);
    if (it == streams_.end()) return nullptr;
    cached_ssrc_ = ssrc;
    cached_stream_ = it->second.get();
    return cached_stream_;
  }

  Stream* Create(uint32_t ssrc) {
    auto [it, inserted] = streams_.emplace(ssrc, std::make_unique<Stream>(window_));
    cached_ssrc_ = ssrc;
    cached_stream_ = it->second.get();
    return cached_stream_;
  }

  Stream* FindOrCreate(uint32_t ssrc) {
    if (Stream* s = Find(ssrc)) return s;
    if (streams_.size() >= max_streams_) return nullptr;
    return Create(ssrc);
  }

  std::unique_ptr<NativeCipher> cipher_;
  const size_t window_;
  const size_t max_streams_;
  absl::flat_hash_map<uint32_t, std::unique_ptr<Stream>> streams_;
  uint32_t cached_ssrc_ = 0;
  Stream* cached_stream_ = nullptr;
};

}  // namespace

absl::StatusOr<std::unique_ptr<SrtpSession>> CreateNativeSrtpSession(SrtpProfile profile,
                                                                     SrtpDirection direction,
                                                                     ByteSpan master_key,
                                                                     ByteSpan master_salt,
                                                                     const SrtpSessionOptions& options) {
  absl::StatusOr<SessionKeys> keys = DeriveSessionKeys(profile, master_key, master_salt);
  if (!keys.ok()) return keys.status();
  absl::StatusOr<std::unique_ptr<NativeCipher>> cipher = NativeCipher::Create(profile, *keys);
  OPENSSL_cleanse(&*keys, sizeof(SessionKeys));
  if (!cipher.ok()) return cipher.status();
  return std::unique_ptr<SrtpSession>(new NativeSrtpSession(profile, direction, *std::move(cipher), options));
}

}  // namespace tern::srtp
