// The libsrtp2 SrtpSession: one srtp_t with an ssrc_any_inbound / ssrc_any_outbound template policy
// (libsrtp clones a stream per SSRC on first use). The shared checks of packet_checks.h run first, so
// malformed input is refused exactly as the native backend refuses it; libsrtp's own error codes are
// mapped onto the same statuses.
#include <arpa/inet.h>
#include <openssl/mem.h>
#include <srtp2/srtp.h>

#include <cstring>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "srtp/backends.h"
#include "srtp/packet_checks.h"

namespace tern::srtp {

namespace {

// srtp_init() once per process; a function-local static is thread-safe (the only synchronisation
// lib/srtp has).
srtp_err_status_t LibSrtpInit() {
  static const srtp_err_status_t status = srtp_init();
  return status;
}

enum class Operation { kProtectRtp, kUnprotectRtp, kProtectRtcp, kUnprotectRtcp };

absl::Status FromLibSrtp(srtp_err_status_t status, Operation op) {
  switch (status) {
    case srtp_err_status_ok:
      return absl::OkStatus();
    case srtp_err_status_auth_fail:
      return AuthenticationFailed();
    case srtp_err_status_replay_fail:
      return ReplayDuplicate();
    case srtp_err_status_replay_old:
      return ReplayTooOld();
    case srtp_err_status_cipher_fail:
      // Debian's libsrtp (NSS) reports a failed AES-GCM tag check as cipher_fail on some paths.
      if (op == Operation::kUnprotectRtp || op == Operation::kUnprotectRtcp) return AuthenticationFailed();
      break;
    case srtp_err_status_bad_param:
    case srtp_err_status_parse_err:
      return absl::InvalidArgumentError(
          absl::StrCat("srtp: libsrtp refused the packet (error ", status, ")"));
    case srtp_err_status_cant_check:
      return UnencryptedSrtcp();
    case srtp_err_status_key_expired:
      if (op == Operation::kProtectRtcp) return SrtcpIndexExhausted();
      return absl::ResourceExhaustedError("srtp: key usage limit reached; rekey");
    case srtp_err_status_alloc_fail:
      return absl::ResourceExhaustedError("srtp: libsrtp could not allocate a stream");
    default:
      break;
  }
  return absl::InternalError(absl::StrCat("srtp: libsrtp error ", status));
}

bool SetCryptoPolicies(SrtpProfile profile, srtp_policy_t* policy) {
  switch (profile) {
    case SrtpProfile::kAes128CmSha1_80:
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy->rtp);
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy->rtcp);
      return true;
    case SrtpProfile::kAes128CmSha1_32:
      // RFC 5764 §4.1.2: SRTCP keeps the 80-bit tag.
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&policy->rtp);
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy->rtcp);
      return true;
    case SrtpProfile::kAeadAes128Gcm:
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy->rtp);
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy->rtcp);
      return true;
    case SrtpProfile::kAeadAes256Gcm:
      srtp_crypto_policy_set_aes_gcm_256_16_auth(&policy->rtp);
      srtp_crypto_policy_set_aes_gcm_256_16_auth(&policy->rtcp);
      return true;
  }
  return false;
}

class LibSrtpSession final : public SrtpSession {
 public:
  LibSrtpSession(SrtpProfile profile, SrtpDirection direction, srtp_t session, size_t max_streams)
      : SrtpSession(SrtpBackend::kLibSrtp, profile, direction),
        session_(session),
        max_streams_(max_streams),
        rtp_tag_size_(GetSrtpProfileInfo(profile).srtp_auth_tag),
        rtcp_tag_size_(GetSrtpProfileInfo(profile).srtcp_auth_tag),
        aead_(profile == SrtpProfile::kAeadAes128Gcm || profile == SrtpProfile::kAeadAes256Gcm) {}

  ~LibSrtpSession() override { srtp_dealloc(session_); }

  absl::StatusOr<size_t> ProtectRtp(MutableByteSpan buffer, size_t packet_size) override {
    if (absl::Status s =
            CheckProtectArguments(direction(), buffer, packet_size, kRtpFixedHeaderSize, rtp_tag_size_);
        !s.ok()) {
      return s;
    }
    uint8_t* packet = buffer.data();
    if (RtpHeaderSize(packet, packet_size) == 0) return MalformedRtp();
    // srtp_protect() creates the stream of a new SSRC before anything can fail.
    if (!Admit(RtpSsrc(packet))) return TooManyStreams();
    int size = static_cast<int>(packet_size);
    if (absl::Status s = FromLibSrtp(srtp_protect(session_, packet, &size), Operation::kProtectRtp);
        !s.ok()) {
      return s;
    }
    return static_cast<size_t>(size);
  }

  absl::StatusOr<size_t> UnprotectRtp(MutableByteSpan packet) override {
    if (absl::Status s = CheckUnprotectArguments(direction(), packet); !s.ok()) return s;
    const size_t header_size = RtpHeaderSize(packet.data(), packet.size());
    if (header_size == 0) return MalformedRtp();
    if (packet.size() - header_size < rtp_tag_size_) return ShortSrtp();
    const uint32_t ssrc = RtpSsrc(packet.data());
    if (!ssrcs_.contains(ssrc) && ssrcs_.size() >= max_streams_) return TooManyStreams();
    int size = static_cast<int>(packet.size());
    if (absl::Status s =
            FromLibSrtp(srtp_unprotect(session_, packet.data(), &size), Operation::kUnprotectRtp);
        !s.ok()) {
      return s;
    }
    ssrcs_.insert(ssrc);  // libsrtp keeps a new SSRC's stream once a packet authenticated
    return static_cast<size_t>(size);
  }

  absl::StatusOr<size_t> ProtectRtcp(MutableByteSpan buffer, size_t packet_size) override {
    if (absl::Status s = CheckProtectArguments(direction(), buffer, packet_size, kRtcpHeaderSize,
                                               kSrtcpIndexSize + rtcp_tag_size_);
        !s.ok()) {
      return s;
    }
    if (!Admit(RtcpSenderSsrc(buffer.data()))) return TooManyStreams();
    int size = static_cast<int>(packet_size);
    if (absl::Status s =
            FromLibSrtp(srtp_protect_rtcp(session_, buffer.data(), &size), Operation::kProtectRtcp);
        !s.ok()) {
      return s;
    }
    return static_cast<size_t>(size);
  }

  absl::StatusOr<size_t> UnprotectRtcp(MutableByteSpan packet) override {
    if (absl::Status s = CheckUnprotectArguments(direction(), packet); !s.ok()) return s;
    if (packet.size() < kRtcpHeaderSize + kSrtcpIndexSize + rtcp_tag_size_) return ShortSrtcp();
    const size_t index_offset =
        aead_ ? packet.size() - kSrtcpIndexSize : packet.size() - rtcp_tag_size_ - kSrtcpIndexSize;
    if (!aead_ && (packet[index_offset] & 0x80) == 0) return UnencryptedSrtcp();
    const uint32_t ssrc = RtcpSenderSsrc(packet.data());
    if (!ssrcs_.contains(ssrc) && ssrcs_.size() >= max_streams_) return TooManyStreams();
    int size = static_cast<int>(packet.size());
    if (absl::Status s =
            FromLibSrtp(srtp_unprotect_rtcp(session_, packet.data(), &size), Operation::kUnprotectRtcp);
        !s.ok()) {
      return s;
    }
    ssrcs_.insert(ssrc);
    return static_cast<size_t>(size);
  }

  bool RemoveStream(uint32_t ssrc) override {
    if (ssrcs_.erase(ssrc) == 0) return false;
    srtp_remove_stream(session_, htonl(ssrc));
    return true;
  }

  size_t stream_count() const override { return ssrcs_.size(); }

 private:
  // Whether a packet of `ssrc` may be protected: known, or room for one more stream (then recorded).
  bool Admit(uint32_t ssrc) {
    if (ssrcs_.contains(ssrc)) return true;
    if (ssrcs_.size() >= max_streams_) return false;
    ssrcs_.insert(ssrc);
    return true;
  }

  srtp_t session_;
  const size_t max_streams_;
  const size_t rtp_tag_size_;
  const size_t rtcp_tag_size_;
  const bool aead_;
  absl::flat_hash_set<uint32_t> ssrcs_;  // the SSRCs libsrtp holds a stream for
};

}  // namespace

absl::StatusOr<std::unique_ptr<SrtpSession>> CreateLibSrtpSession(SrtpProfile profile,
                                                                  SrtpDirection direction,
                                                                  ByteSpan master_key, ByteSpan master_salt,
                                                                  const SrtpSessionOptions& options) {
  if (srtp_err_status_t s = LibSrtpInit(); s != srtp_err_status_ok) {
    return absl::InternalError(absl::StrCat("srtp: srtp_init failed (error ", s, ")"));
  }
  srtp_policy_t policy;
  std::memset(&policy, 0, sizeof(policy));
  if (!SetCryptoPolicies(profile, &policy)) {
    return absl::InvalidArgumentError("srtp: unknown protection profile");
  }
  // libsrtp takes the master key and salt as one buffer: key || salt.
  uint8_t key[64];
  std::memcpy(key, master_key.data(), master_key.size());
  std::memcpy(key + master_key.size(), master_salt.data(), master_salt.size());
  policy.ssrc.type = direction == SrtpDirection::kInbound ? ssrc_any_inbound : ssrc_any_outbound;
  policy.key = key;
  policy.window_size = options.replay_window;
  policy.allow_repeat_tx = 0;
  policy.next = nullptr;
  srtp_t session = nullptr;
  const srtp_err_status_t status = srtp_create(&session, &policy);
  OPENSSL_cleanse(key, sizeof(key));
  if (status != srtp_err_status_ok) {
    return absl::InvalidArgumentError(absl::StrCat("srtp: srtp_create failed (error ", status, ")"));
  }
  return std::unique_ptr<SrtpSession>(new LibSrtpSession(profile, direction, session, options.max_streams));
}

}  // namespace tern::srtp
