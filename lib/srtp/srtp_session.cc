#include "tern/srtp/srtp_session.h"

#include "srtp/backends.h"
#include "srtp/packet_checks.h"

namespace tern::srtp {

namespace {

bool IsKnownProfile(SrtpProfile p) {
  switch (p) {
    case SrtpProfile::kAes128CmSha1_80:
    case SrtpProfile::kAes128CmSha1_32:
    case SrtpProfile::kAeadAes128Gcm:
    case SrtpProfile::kAeadAes256Gcm:
      return true;
  }
  return false;
}

}  // namespace

std::string_view SrtpBackendName(SrtpBackend backend) {
  switch (backend) {
    case SrtpBackend::kNative:
      return "native";
    case SrtpBackend::kLibSrtp:
      return "libsrtp";
  }
  return "unknown";
}

std::string_view SrtpProfileShortName(SrtpProfile profile) {
  switch (profile) {
    case SrtpProfile::kAes128CmSha1_80:
      return "cm80";
    case SrtpProfile::kAes128CmSha1_32:
      return "cm32";
    case SrtpProfile::kAeadAes128Gcm:
      return "aes128gcm";
    case SrtpProfile::kAeadAes256Gcm:
      return "aes256gcm";
  }
  return "unknown";
}

size_t SrtpOverhead(SrtpProfile profile) { return GetSrtpProfileInfo(profile).srtp_auth_tag; }

size_t SrtcpOverhead(SrtpProfile profile) {
  return kSrtcpIndexSize + GetSrtpProfileInfo(profile).srtcp_auth_tag;
}

absl::StatusOr<std::unique_ptr<SrtpSession>> SrtpSession::Create(SrtpBackend backend, SrtpProfile profile,
                                                                 SrtpDirection direction, ByteSpan master_key,
                                                                 ByteSpan master_salt,
                                                                 const SrtpSessionOptions& options) {
  if (!IsKnownProfile(profile)) return absl::InvalidArgumentError("srtp: unknown protection profile");
  const SrtpProfileInfo info = GetSrtpProfileInfo(profile);
  if (master_key.size() != info.key_size) {
    return absl::InvalidArgumentError("srtp: master key has the wrong size for the profile");
  }
  if (master_salt.size() != info.salt_size) {
    return absl::InvalidArgumentError("srtp: master salt has the wrong size for the profile");
  }
  if (options.replay_window < 64 || options.replay_window >= 0x8000) {
    return absl::InvalidArgumentError("srtp: replay_window must be in [64, 32768)");
  }
  if (options.max_streams == 0) return absl::InvalidArgumentError("srtp: max_streams must be >= 1");
  if (direction != SrtpDirection::kInbound && direction != SrtpDirection::kOutbound) {
    return absl::InvalidArgumentError("srtp: unknown direction");
  }
  switch (backend) {
    case SrtpBackend::kNative:
      return CreateNativeSrtpSession(profile, direction, master_key, master_salt, options);
    case SrtpBackend::kLibSrtp:
      return CreateLibSrtpSession(profile, direction, master_key, master_salt, options);
  }
  return absl::InvalidArgumentError("srtp: unknown backend");
}

absl::StatusOr<SrtpSessionPair> CreateDtlsSrtpSessions(SrtpBackend backend,
                                                       const SrtpKeyingMaterial& material, DtlsSrtpRole role,
                                                       const SrtpSessionOptions& options) {
  const bool client = role == DtlsSrtpRole::kClient;
  const std::vector<uint8_t>& send_key = client ? material.client_key : material.server_key;
  const std::vector<uint8_t>& send_salt = client ? material.client_salt : material.server_salt;
  const std::vector<uint8_t>& receive_key = client ? material.server_key : material.client_key;
  const std::vector<uint8_t>& receive_salt = client ? material.server_salt : material.client_salt;
  SrtpSessionPair pair;
  absl::StatusOr<std::unique_ptr<SrtpSession>> outbound =
      SrtpSession::Create(backend, material.profile, SrtpDirection::kOutbound, send_key, send_salt, options);
  if (!outbound.ok()) return outbound.status();
  absl::StatusOr<std::unique_ptr<SrtpSession>> inbound = SrtpSession::Create(
      backend, material.profile, SrtpDirection::kInbound, receive_key, receive_salt, options);
  if (!inbound.ok()) return inbound.status();
  pair.outbound = *std::move(outbound);
  pair.inbound = *std::move(inbound);
  return pair;
}

}  // namespace tern::srtp
