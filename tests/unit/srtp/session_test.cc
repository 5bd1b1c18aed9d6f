// SrtpSession on both backends: creation, DTLS-SRTP roles, byte-identical protection, and every
// bad-input path (replay, too old, tampered, truncated, wrong key, malformed, no room, too many SSRCs,
// wrong direction, unencrypted SRTCP), each with the same status from both backends.
#include <openssl/aead.h>
#include <openssl/hmac.h>

#include <cstring>
#include <vector>

#include "gtest/gtest.h"
#include "srtp/native_cipher.h"
#include "srtp_test_util.h"
#include "tern/base/random.h"

namespace tern::srtp {
namespace {

using testing::kAllBackends;
using testing::kAllProfiles;
using testing::MakeRtcp;
using testing::MakeRtp;
using testing::MakeSession;
using testing::MasterKey;
using testing::Protect;
using testing::RtpSpec;
using testing::Unprotect;

// One master key, the outbound and inbound session of each backend on it.
struct Rig {
  Rig(SrtpProfile profile, uint64_t seed, const SrtpSessionOptions& options = {}) : random(seed) {
    key = testing::RandomMasterKey(profile, random);
    for (SrtpBackend b : kAllBackends) {
      out[static_cast<int>(b)] = MakeSession(b, profile, SrtpDirection::kOutbound, key, options);
      in[static_cast<int>(b)] = MakeSession(b, profile, SrtpDirection::kInbound, key, options);
    }
  }
  SrtpSession& Out(SrtpBackend b) { return *out[static_cast<int>(b)]; }
  SrtpSession& In(SrtpBackend b) { return *in[static_cast<int>(b)]; }

  SeededRandom random;
  MasterKey key;
  std::unique_ptr<SrtpSession> out[2];
  std::unique_ptr<SrtpSession> in[2];
};

// Both backends' outbound sessions protect `plain`; they must agree byte for byte.
std::vector<uint8_t> ProtectBoth(Rig& rig, const std::vector<uint8_t>& plain, bool rtcp) {
  absl::StatusOr<std::vector<uint8_t>> a = Protect(rig.Out(SrtpBackend::kNative), plain, rtcp);
  absl::StatusOr<std::vector<uint8_t>> b = Protect(rig.Out(SrtpBackend::kLibSrtp), plain, rtcp);
  EXPECT_TRUE(a.ok()) << a.status();
  EXPECT_TRUE(b.ok()) << b.status();
  if (!a.ok() || !b.ok()) return {};
  EXPECT_EQ(testing::ToHex(*a), testing::ToHex(*b));
  return *a;
}

// Both inbound sessions unprotect `wire`; they must agree on the status and the plaintext.
absl::StatusOr<std::vector<uint8_t>> UnprotectBoth(Rig& rig, const std::vector<uint8_t>& wire, bool rtcp) {
  absl::StatusOr<std::vector<uint8_t>> a = Unprotect(rig.In(SrtpBackend::kNative), wire, rtcp);
  absl::StatusOr<std::vector<uint8_t>> b = Unprotect(rig.In(SrtpBackend::kLibSrtp), wire, rtcp);
  EXPECT_EQ(a.status().code(), b.status().code()) << "native: " << a.status() << " libsrtp: " << b.status();
  if (a.ok() && b.ok()) {
    EXPECT_EQ(*a, *b);
  }
  return a;
}

TEST(SrtpSession, CreateRejectsBadArguments) {
  const std::vector<uint8_t> k16(16), k32(32), s12(12), s14(14);
  for (SrtpBackend b : kAllBackends) {
    SCOPED_TRACE(SrtpBackendName(b));
    const SrtpDirection d = SrtpDirection::kInbound;
    EXPECT_TRUE(SrtpSession::Create(b, SrtpProfile::kAeadAes128Gcm, d, k16, s12).ok());
    EXPECT_TRUE(SrtpSession::Create(b, SrtpProfile::kAeadAes256Gcm, d, k32, s12).ok());
    EXPECT_TRUE(SrtpSession::Create(b, SrtpProfile::kAes128CmSha1_80, d, k16, s14).ok());
    EXPECT_TRUE(SrtpSession::Create(b, SrtpProfile::kAes128CmSha1_32, d, k16, s14).ok());
    auto code = [&](SrtpProfile p, const std::vector<uint8_t>& k, const std::vector<uint8_t>& s,
                    SrtpSessionOptions o = {}) {
      return SrtpSession::Create(b, p, d, k, s, o).status().code();
    };
    EXPECT_EQ(code(SrtpProfile::kAeadAes128Gcm, k32, s12), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(code(SrtpProfile::kAeadAes128Gcm, k16, s14), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(code(SrtpProfile::kAeadAes256Gcm, k16, s12), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(code(SrtpProfile::kAes128CmSha1_80, k16, s12), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(code(static_cast<SrtpProfile>(3), k16, s14), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(code(SrtpProfile::kAeadAes128Gcm, k16, s12, {.replay_window = 63}),
              absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(code(SrtpProfile::kAeadAes128Gcm, k16, s12, {.replay_window = 0x8000}),
              absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(code(SrtpProfile::kAeadAes128Gcm, k16, s12, {.max_streams = 0}),
              absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(
        SrtpSession::Create(b, SrtpProfile::kAeadAes128Gcm, d, k16, s12, {.replay_window = 0x7fff}).ok());
  }
}

TEST(SrtpSession, Rfc5764Section42DtlsRolesPairUp) {
  for (SrtpBackend backend : kAllBackends) {
    for (SrtpProfile profile : kAllProfiles) {
      SCOPED_TRACE(testing::Describe(backend, profile));
      SeededRandom random(7);
      SrtpKeyingMaterial material;
      material.profile = profile;
      MasterKey c = testing::RandomMasterKey(profile, random), s = testing::RandomMasterKey(profile, random);
      material.client_key = c.key;
      material.client_salt = c.salt;
      material.server_key = s.key;
      material.server_salt = s.salt;
      absl::StatusOr<SrtpSessionPair> client =
          CreateDtlsSrtpSessions(backend, material, DtlsSrtpRole::kClient);
      absl::StatusOr<SrtpSessionPair> server =
          CreateDtlsSrtpSessions(backend, material, DtlsSrtpRole::kServer);
      ASSERT_TRUE(client.ok() && server.ok());
      EXPECT_EQ(client->outbound->direction(), SrtpDirection::kOutbound);
      EXPECT_EQ(client->inbound->direction(), SrtpDirection::kInbound);
      EXPECT_EQ(client->inbound->profile(), profile);
      EXPECT_EQ(client->inbound->backend(), backend);
      const std::vector<uint8_t> rtp = MakeRtp({.seq = 1}, random);
      auto to_server = Protect(*client->outbound, rtp, false);
      auto to_client = Protect(*server->outbound, rtp, false);
      ASSERT_TRUE(to_server.ok() && to_client.ok());
      EXPECT_NE(*to_server, *to_client);  // different keys per direction
      auto a = Unprotect(*server->inbound, *to_server, false);
      auto b = Unprotect(*client->inbound, *to_client, false);
      ASSERT_TRUE(a.ok()) << a.status();
      ASSERT_TRUE(b.ok()) << b.status();
      EXPECT_EQ(*a, rtp);
      EXPECT_EQ(*b, rtp);
      // Our own packets do not verify with the peer's key.
      auto own = Protect(*client->outbound, MakeRtp({.seq = 2}, random), false);
      ASSERT_TRUE(own.ok());
      EXPECT_EQ(Unprotect(*client->inbound, *own, false).status().code(), absl::StatusCode::kUnauthenticated);
      // Bad material is refused.
      material.server_salt.pop_back();
      EXPECT_EQ(CreateDtlsSrtpSessions(backend, material, DtlsSrtpRole::kClient).status().code(),
                absl::StatusCode::kInvalidArgument);
    }
  }
}

TEST(SrtpSession, DirectionIsEnforced) {
  for (SrtpProfile profile : kAllProfiles) {
    Rig rig(profile, 1);
    for (SrtpBackend b : kAllBackends) {
      SCOPED_TRACE(testing::Describe(b, profile));
      const std::vector<uint8_t> rtp = MakeRtp({}, rig.random);
      const std::vector<uint8_t> rtcp = MakeRtcp(1, 20, rig.random);
      EXPECT_EQ(Protect(rig.In(b), rtp, false).status().code(), absl::StatusCode::kFailedPrecondition);
      EXPECT_EQ(Protect(rig.In(b), rtcp, true).status().code(), absl::StatusCode::kFailedPrecondition);
      auto wire = Protect(rig.Out(b), rtp, false);
      ASSERT_TRUE(wire.ok());
      EXPECT_EQ(Unprotect(rig.Out(b), *wire, false).status().code(), absl::StatusCode::kFailedPrecondition);
      EXPECT_EQ(Unprotect(rig.Out(b), *wire, true).status().code(), absl::StatusCode::kFailedPrecondition);
    }
  }
}

// The same packet protected by both backends gives the same bytes, for every header shape, and
// each backend unprotects it.
TEST(SrtpSession, ProtectIsByteIdenticalAcrossBackends) {
  for (SrtpProfile profile : kAllProfiles) {
    SCOPED_TRACE(SrtpProfileShortName(profile));
    Rig rig(profile, 2);
    uint16_t seq = 65500;
    for (uint8_t csrcs : {0, 1, 15}) {
      for (size_t ext : {0, 1, 3}) {
        for (size_t payload : {0, 1, 15, 16, 17, 160, 1200}) {
          RtpSpec spec{.seq = seq++,
                       .timestamp = 1234u * seq,
                       .ssrc = 0xabcdef01,
                       .csrc_count = csrcs,
                       .extension_words = ext,
                       .payload_size = payload};
          const std::vector<uint8_t> plain = MakeRtp(spec, rig.random);
          const std::vector<uint8_t> wire = ProtectBoth(rig, plain, false);
          ASSERT_EQ(wire.size(), plain.size() + SrtpOverhead(profile));
          // The header stays in the clear; a non-empty payload does not.
          EXPECT_TRUE(std::equal(plain.begin(), plain.end() - payload, wire.begin()));
          if (payload >= 4) {
            EXPECT_NE(std::vector<uint8_t>(plain.end() - payload, plain.end()),
                      std::vector<uint8_t>(wire.end() - payload - SrtpOverhead(profile),
                                           wire.end() - SrtpOverhead(profile)));
          }
          absl::StatusOr<std::vector<uint8_t>> opened = UnprotectBoth(rig, wire, false);
          ASSERT_TRUE(opened.ok()) << opened.status();
          EXPECT_EQ(*opened, plain);
        }
      }
    }
    for (size_t body : {0, 4, 20, 100, 1000}) {
      const std::vector<uint8_t> plain = MakeRtcp(0xabcdef01, body, rig.random);
      const std::vector<uint8_t> wire = ProtectBoth(rig, plain, true);
      ASSERT_EQ(wire.size(), plain.size() + SrtcpOverhead(profile));
      absl::StatusOr<std::vector<uint8_t>> opened = UnprotectBoth(rig, wire, true);
      ASSERT_TRUE(opened.ok()) << opened.status();
      EXPECT_EQ(*opened, plain);
    }
  }
}

// The first SRTCP index a session sends is 1 (as libsrtp), then 2, ..., with E = 1.
TEST(SrtpSession, Rfc3711Section34SrtcpIndexAndEFlag) {
  for (SrtpProfile profile : kAllProfiles) {
    Rig rig(profile, 3);
    for (SrtpBackend b : kAllBackends) {
      SCOPED_TRACE(testing::Describe(b, profile));
      for (uint32_t expected = 1; expected <= 3; ++expected) {
        auto wire = Protect(rig.Out(b), MakeRtcp(42, 24, rig.random), true);
        ASSERT_TRUE(wire.ok());
        const size_t tag = GetSrtpProfileInfo(profile).srtcp_auth_tag;
        const bool aead = tag == 16;
        const uint8_t* word = wire->data() + wire->size() - 4 - (aead ? 0 : tag);
        EXPECT_EQ(LoadBigEndian32(word), 0x80000000u | expected);
      }
    }
  }
}

TEST(SrtpSession, ReplayedPacketsRejected) {
  for (SrtpProfile profile : kAllProfiles) {
    SCOPED_TRACE(SrtpProfileShortName(profile));
    Rig rig(profile, 4);
    for (bool rtcp : {false, true}) {
      const std::vector<uint8_t> plain =
          rtcp ? MakeRtcp(9, 40, rig.random) : MakeRtp({.seq = 77}, rig.random);
      const std::vector<uint8_t> wire = ProtectBoth(rig, plain, rtcp);
      ASSERT_TRUE(UnprotectBoth(rig, wire, rtcp).ok());
      EXPECT_EQ(UnprotectBoth(rig, wire, rtcp).status().code(), absl::StatusCode::kAlreadyExists);
      EXPECT_EQ(UnprotectBoth(rig, wire, rtcp).status().code(), absl::StatusCode::kAlreadyExists);
    }
    // The sender refuses to protect a sequence number twice (no repeated keystream).
    const std::vector<uint8_t> again = MakeRtp({.seq = 77}, rig.random);
    for (SrtpBackend b : kAllBackends) {
      EXPECT_EQ(Protect(rig.Out(b), again, false).status().code(), absl::StatusCode::kAlreadyExists);
    }
  }
}

// Packets older than the window are refused as too old; the oldest index inside it is accepted.
TEST(SrtpSession, Rfc3711Section332TooOldForWindow) {
  for (size_t window : {64u, 100u, 1024u, 2000u}) {
    const size_t effective = (window + 31) / 32 * 32;
    for (SrtpProfile profile : kAllProfiles) {
      SCOPED_TRACE(testing::Describe(SrtpBackend::kNative, profile) + " window " + std::to_string(window));
      Rig rig(profile, 5, {.replay_window = window});
      const uint16_t first = 65000;  // the window crosses the rollover
      const size_t count = effective + 10;
      std::vector<std::vector<uint8_t>> wires;
      for (size_t i = 0; i < count; ++i) {
        wires.push_back(
            ProtectBoth(rig, MakeRtp({.seq = static_cast<uint16_t>(first + i)}, rig.random), false));
      }
      // Deliver the first packet and the last one; everything in between is "late".
      ASSERT_TRUE(UnprotectBoth(rig, wires[0], false).ok());
      ASSERT_TRUE(UnprotectBoth(rig, wires[count - 1], false).ok());
      const size_t oldest_inside = count - effective;  // highest - (effective - 1)
      EXPECT_EQ(UnprotectBoth(rig, wires[oldest_inside - 1], false).status().code(),
                absl::StatusCode::kOutOfRange);
      EXPECT_EQ(UnprotectBoth(rig, wires[0], false).status().code(), absl::StatusCode::kOutOfRange);
      EXPECT_TRUE(UnprotectBoth(rig, wires[oldest_inside], false).ok());
      EXPECT_EQ(UnprotectBoth(rig, wires[oldest_inside], false).status().code(),
                absl::StatusCode::kAlreadyExists);
      EXPECT_TRUE(UnprotectBoth(rig, wires[count - 2], false).ok());
    }
  }
}

TEST(SrtpSession, SrtcpTooOldForWindow) {
  for (SrtpProfile profile : kAllProfiles) {
    SCOPED_TRACE(SrtpProfileShortName(profile));
    Rig rig(profile, 6);
    std::vector<std::vector<uint8_t>> wires;
    for (int i = 0; i < 200; ++i) wires.push_back(ProtectBoth(rig, MakeRtcp(5, 16, rig.random), true));
    // Indices are 1..200; after 200 the window is [73, 200].
    ASSERT_TRUE(UnprotectBoth(rig, wires[199], true).ok());
    EXPECT_EQ(UnprotectBoth(rig, wires[71], true).status().code(), absl::StatusCode::kOutOfRange);  // 72
    EXPECT_TRUE(UnprotectBoth(rig, wires[72], true).ok());                                          // 73
    EXPECT_EQ(UnprotectBoth(rig, wires[72], true).status().code(), absl::StatusCode::kAlreadyExists);
    EXPECT_TRUE(UnprotectBoth(rig, wires[150], true).ok());
  }
}

// Flipping any one byte of a protected packet makes it fail, with the same status on both backends,
// and leaves the receiver able to accept the genuine packet.
TEST(SrtpSession, TamperedPacketsRejected) {
  for (SrtpProfile profile : kAllProfiles) {
    SCOPED_TRACE(SrtpProfileShortName(profile));
    Rig rig(profile, 8);
    for (bool rtcp : {false, true}) {
      const std::vector<uint8_t> plain =
          rtcp
              ? MakeRtcp(0x10203040, 60, rig.random)
              : MakeRtp({.seq = 1000, .csrc_count = 2, .extension_words = 2, .payload_size = 64}, rig.random);
      const std::vector<uint8_t> wire = ProtectBoth(rig, plain, rtcp);
      for (size_t i = 0; i < wire.size(); ++i) {
        for (uint8_t flip : {0x01, 0x80}) {
          std::vector<uint8_t> bad = wire;
          bad[i] ^= flip;
          absl::StatusOr<std::vector<uint8_t>> r = UnprotectBoth(rig, bad, rtcp);
          ASSERT_FALSE(r.ok()) << "byte " << i << " flip " << int{flip};
          const absl::StatusCode c = r.status().code();
          EXPECT_TRUE(c == absl::StatusCode::kUnauthenticated || c == absl::StatusCode::kInvalidArgument)
              << "byte " << i << ": " << r.status();
        }
      }
      absl::StatusOr<std::vector<uint8_t>> good = UnprotectBoth(rig, wire, rtcp);
      ASSERT_TRUE(good.ok()) << good.status();
      EXPECT_EQ(*good, plain);
      EXPECT_EQ(rig.In(SrtpBackend::kNative).stream_count(), 1u);
      EXPECT_EQ(rig.In(SrtpBackend::kLibSrtp).stream_count(), 1u);
      rig.In(SrtpBackend::kNative).RemoveStream(rtcp ? 0x10203040 : 0x11223344);
      rig.In(SrtpBackend::kLibSrtp).RemoveStream(rtcp ? 0x10203040 : 0x11223344);
    }
  }
}

TEST(SrtpSession, TruncatedPacketsRejected) {
  for (SrtpProfile profile : kAllProfiles) {
    SCOPED_TRACE(SrtpProfileShortName(profile));
    Rig rig(profile, 9);
    for (bool rtcp : {false, true}) {
      const std::vector<uint8_t> plain =
          rtcp ? MakeRtcp(3, 28, rig.random)
               : MakeRtp({.seq = 5, .extension_words = 1, .payload_size = 30}, rig.random);
      const std::vector<uint8_t> wire = ProtectBoth(rig, plain, rtcp);
      const size_t minimum = rtcp ? 8 + SrtcpOverhead(profile) : 12 + 8 + SrtpOverhead(profile);
      for (size_t n = 0; n < wire.size(); ++n) {
        absl::StatusOr<std::vector<uint8_t>> r =
            UnprotectBoth(rig, std::vector<uint8_t>(wire.begin(), wire.begin() + n), rtcp);
        ASSERT_FALSE(r.ok()) << n;
        if (n < minimum) {
          EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << n << ": " << r.status();
        } else if (rtcp && SrtcpOverhead(profile) == 14) {
          // AES-CM: the word read as E+index is ciphertext now; E = 0 is refused before the tag check.
          EXPECT_TRUE(r.status().code() == absl::StatusCode::kUnauthenticated ||
                      r.status().code() == absl::StatusCode::kInvalidArgument)
              << n << ": " << r.status();
        } else {
          EXPECT_EQ(r.status().code(), absl::StatusCode::kUnauthenticated) << n << ": " << r.status();
        }
      }
      EXPECT_TRUE(UnprotectBoth(rig, wire, rtcp).ok());
    }
  }
}

TEST(SrtpSession, WrongKeyRejected) {
  for (SrtpProfile profile : kAllProfiles) {
    SCOPED_TRACE(SrtpProfileShortName(profile));
    Rig rig(profile, 10);
    Rig other(profile, 11);
    for (bool rtcp : {false, true}) {
      const std::vector<uint8_t> plain = rtcp ? MakeRtcp(3, 28, rig.random) : MakeRtp({.seq = 5}, rig.random);
      const std::vector<uint8_t> wire = ProtectBoth(rig, plain, rtcp);
      EXPECT_EQ(UnprotectBoth(other, wire, rtcp).status().code(), absl::StatusCode::kUnauthenticated);
      // Same key, different salt.
      MasterKey salted = rig.key;
      salted.salt[0] ^= 1;
      for (SrtpBackend b : kAllBackends) {
        auto in = MakeSession(b, profile, SrtpDirection::kInbound, salted);
        EXPECT_EQ(Unprotect(*in, wire, rtcp).status().code(), absl::StatusCode::kUnauthenticated);
      }
      EXPECT_EQ(other.In(SrtpBackend::kNative).stream_count(), 0u);  // nothing learned from forgeries
      EXPECT_EQ(other.In(SrtpBackend::kLibSrtp).stream_count(), 0u);
    }
  }
}

TEST(SrtpSession, MalformedRtpRejected) {
  for (SrtpProfile profile : kAllProfiles) {
    SCOPED_TRACE(SrtpProfileShortName(profile));
    Rig rig(profile, 12);
    std::vector<uint8_t> p = MakeRtp({.payload_size = 8}, rig.random);
    p[0] = 0x8f;  // 15 CSRCs in a 20-byte packet
    for (SrtpBackend b : kAllBackends) {
      EXPECT_EQ(Protect(rig.Out(b), p, false).status().code(), absl::StatusCode::kInvalidArgument);
    }
    EXPECT_EQ(UnprotectBoth(rig, p, false).status().code(), absl::StatusCode::kInvalidArgument);
    p[0] = 0x90;  // extension header whose length runs past the end
    p[14] = 0x10;
    for (SrtpBackend b : kAllBackends) {
      EXPECT_EQ(Protect(rig.Out(b), p, false).status().code(), absl::StatusCode::kInvalidArgument);
    }
    EXPECT_EQ(UnprotectBoth(rig, p, false).status().code(), absl::StatusCode::kInvalidArgument);
    const std::vector<uint8_t> tiny(11, 0x80);
    for (SrtpBackend b : kAllBackends) {
      EXPECT_EQ(Protect(rig.Out(b), tiny, false).status().code(), absl::StatusCode::kInvalidArgument);
      EXPECT_EQ(Protect(rig.Out(b), std::vector<uint8_t>(7, 0x80), true).status().code(),
                absl::StatusCode::kInvalidArgument);
    }
    EXPECT_EQ(UnprotectBoth(rig, tiny, false).status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(UnprotectBoth(rig, {}, false).status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(UnprotectBoth(rig, {}, true).status().code(), absl::StatusCode::kInvalidArgument);
    // Larger than any datagram.
    std::vector<uint8_t> huge = MakeRtp({.payload_size = kMaxSrtpPacketSize}, rig.random);
    for (SrtpBackend b : kAllBackends) {
      EXPECT_EQ(Protect(rig.Out(b), huge, false).status().code(), absl::StatusCode::kInvalidArgument);
    }
    EXPECT_EQ(UnprotectBoth(rig, huge, false).status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(UnprotectBoth(rig, huge, true).status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(SrtpSession, BufferWithoutRoomForTagRejected) {
  for (SrtpProfile profile : kAllProfiles) {
    Rig rig(profile, 13);
    for (SrtpBackend b : kAllBackends) {
      SCOPED_TRACE(testing::Describe(b, profile));
      std::vector<uint8_t> rtp = MakeRtp({.seq = 9}, rig.random);
      const size_t n = rtp.size();
      rtp.resize(n + SrtpOverhead(profile) - 1);
      EXPECT_EQ(rig.Out(b).ProtectRtp(rtp, n).status().code(), absl::StatusCode::kInvalidArgument);
      EXPECT_EQ(rig.Out(b).ProtectRtp(rtp, rtp.size() + 1).status().code(),
                absl::StatusCode::kInvalidArgument);
      rtp.push_back(0);
      EXPECT_TRUE(rig.Out(b).ProtectRtp(rtp, n).ok());
      std::vector<uint8_t> rtcp = MakeRtcp(1, 8, rig.random);
      const size_t m = rtcp.size();
      rtcp.resize(m + SrtcpOverhead(profile) - 1);
      EXPECT_EQ(rig.Out(b).ProtectRtcp(rtcp, m).status().code(), absl::StatusCode::kInvalidArgument);
      rtcp.push_back(0);
      EXPECT_TRUE(rig.Out(b).ProtectRtcp(rtcp, m).ok());
    }
  }
}

TEST(SrtpSession, MaxStreamsEnforcedAndRemoveStreamFreesOne) {
  for (SrtpProfile profile : kAllProfiles) {
    SCOPED_TRACE(SrtpProfileShortName(profile));
    Rig rig(profile, 14, {.max_streams = 2});
    std::vector<uint8_t> a = ProtectBoth(rig, MakeRtp({.seq = 1, .ssrc = 1}, rig.random), false);
    std::vector<uint8_t> b = ProtectBoth(rig, MakeRtp({.seq = 1, .ssrc = 2}, rig.random), false);
    const std::vector<uint8_t> c_plain = MakeRtp({.seq = 1, .ssrc = 3}, rig.random);
    for (SrtpBackend bk : kAllBackends) {
      EXPECT_EQ(Protect(rig.Out(bk), c_plain, false).status().code(), absl::StatusCode::kResourceExhausted);
      EXPECT_EQ(Protect(rig.Out(bk), MakeRtcp(3, 8, rig.random), true).status().code(),
                absl::StatusCode::kResourceExhausted);
      EXPECT_EQ(rig.Out(bk).stream_count(), 2u);
      EXPECT_TRUE(rig.Out(bk).RemoveStream(2));
      EXPECT_FALSE(rig.Out(bk).RemoveStream(2));
    }
    std::vector<uint8_t> c = ProtectBoth(rig, c_plain, false);
    ASSERT_TRUE(UnprotectBoth(rig, a, false).ok());
    ASSERT_TRUE(UnprotectBoth(rig, b, false).ok());
    EXPECT_EQ(UnprotectBoth(rig, c, false).status().code(), absl::StatusCode::kResourceExhausted);
    EXPECT_EQ(UnprotectBoth(rig, ProtectBoth(rig, MakeRtcp(3, 8, rig.random), true), true).status().code(),
              absl::StatusCode::kResourceExhausted);
    // Known SSRCs keep working; a removed stream starts afresh (so its old packet is new again).
    EXPECT_EQ(UnprotectBoth(rig, a, false).status().code(), absl::StatusCode::kAlreadyExists);
    for (SrtpBackend bk : kAllBackends) EXPECT_TRUE(rig.In(bk).RemoveStream(1));
    ASSERT_TRUE(UnprotectBoth(rig, c, false).ok());
    for (SrtpBackend bk : kAllBackends) EXPECT_EQ(rig.In(bk).stream_count(), 2u);
    EXPECT_EQ(UnprotectBoth(rig, a, false).status().code(), absl::StatusCode::kResourceExhausted);
    for (SrtpBackend bk : kAllBackends) EXPECT_TRUE(rig.In(bk).RemoveStream(2));
    EXPECT_TRUE(UnprotectBoth(rig, a, false).ok());
  }
}

// SRTCP with E = 0 (authenticated only): accepted for AEAD (RFC 7714 §9.3), refused for AES-CM, by
// both backends. The packets are built here from the derived session keys.
TEST(SrtpSession, Rfc7714Section93UnencryptedSrtcp) {
  for (SrtpProfile profile : kAllProfiles) {
    SCOPED_TRACE(SrtpProfileShortName(profile));
    Rig rig(profile, 15);
    absl::StatusOr<SessionKeys> keys = DeriveSessionKeys(profile, rig.key.key, rig.key.salt);
    ASSERT_TRUE(keys.ok());
    const std::vector<uint8_t> plain = MakeRtcp(0x0a0b0c0d, 36, rig.random);
    const uint32_t index = 17;
    std::vector<uint8_t> wire = plain;
    uint8_t trailer[4];
    StoreBigEndian32(trailer, index);  // E = 0
    const bool aead = profile == SrtpProfile::kAeadAes128Gcm || profile == SrtpProfile::kAeadAes256Gcm;
    if (aead) {
      const size_t key_size = profile == SrtpProfile::kAeadAes256Gcm ? 32 : 16;
      EVP_AEAD_CTX ctx;
      ASSERT_TRUE(EVP_AEAD_CTX_init(&ctx, key_size == 32 ? EVP_aead_aes_256_gcm() : EVP_aead_aes_128_gcm(),
                                    keys->rtcp_key, key_size, 16, nullptr));
      uint8_t nonce[12] = {0};
      StoreBigEndian32(nonce + 2, 0x0a0b0c0d);
      StoreBigEndian32(nonce + 8, index);
      for (int i = 0; i < 12; ++i) nonce[i] ^= keys->rtcp_salt[i];
      std::vector<uint8_t> aad = plain;
      aad.insert(aad.end(), trailer, trailer + 4);
      uint8_t tag[16];
      size_t tag_len = 0;
      ASSERT_TRUE(EVP_AEAD_CTX_seal_scatter(&ctx, nullptr, tag, &tag_len, sizeof(tag), nonce, 12, nullptr, 0,
                                            nullptr, 0, aad.data(), aad.size()));
      EVP_AEAD_CTX_cleanup(&ctx);
      wire.insert(wire.end(), tag, tag + 16);
      wire.insert(wire.end(), trailer, trailer + 4);
    } else {
      wire.insert(wire.end(), trailer, trailer + 4);
      uint8_t mac[20];
      unsigned mac_len = 0;
      HMAC(EVP_sha1(), keys->rtcp_auth, 20, wire.data(), wire.size(), mac, &mac_len);
      wire.insert(wire.end(), mac, mac + 10);
    }
    absl::StatusOr<std::vector<uint8_t>> r = UnprotectBoth(rig, wire, true);
    if (aead) {
      ASSERT_TRUE(r.ok()) << r.status();
      EXPECT_EQ(*r, plain);
      EXPECT_EQ(UnprotectBoth(rig, wire, true).status().code(), absl::StatusCode::kAlreadyExists);
    } else {
      EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    }
  }
}

}  // namespace
}  // namespace tern::srtp
