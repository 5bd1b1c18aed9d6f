// Long random streams through both backends, for all four profiles: several SSRCs, sequence numbers
// that roll over (RFC 3711 §3.3.1), SRTCP mixed in, and a channel with loss, reordering inside the
// window, duplicates and a few packets held back past the window. Every packet is protected by both
// backends (the bytes must match); the native receiver gets libsrtp's copy and the libsrtp receiver
// the native copy, and both must give the verdict of an independent replay model (RFC 3711 §3.3.2:
// duplicates are replays, packets behind the window are too old) and the original plaintext.
#include <algorithm>
#include <map>
#include <set>
#include <vector>

#include "gtest/gtest.h"
#include "srtp_test_util.h"
#include "tern/base/random.h"

namespace tern::srtp {
namespace {

using testing::MakeRtcp;
using testing::MakeRtp;
using testing::MakeSession;
using testing::Protect;
using testing::Unprotect;

struct Sent {
  std::vector<uint8_t> plain;
  std::vector<uint8_t> wire[2];  // by SrtpBackend
  bool rtcp = false;
  uint32_t ssrc = 0;
  uint64_t index = 0;  // RTP: 2^16 * ROC + SEQ as the sender counts it; SRTCP: the index
  int ordinal = 0;     // how many packets of this SSRC (RTP or RTCP) came before
};

// The receiver verdicts of RFC 3711 §3.3.2 with libsrtp's window placement, written independently of
// lib/srtp: RTP keeps the last `window` indices up to the highest; SRTCP a 128-index window that starts
// at 0 and slides once an index passes 127.
class ReplayModel {
 public:
  explicit ReplayModel(size_t window) : window_(window) {}

  absl::StatusCode Receive(const Sent& p) {
    Stream& s = streams_[p.ssrc];
    if (p.rtcp) {
      const uint64_t start = s.rtcp_highest >= 127 ? s.rtcp_highest - 127 : 0;
      if (p.index < start) return absl::StatusCode::kOutOfRange;
      if (s.rtcp_seen.count(p.index)) return absl::StatusCode::kAlreadyExists;
      s.rtcp_seen.insert(p.index);
      s.rtcp_highest = std::max(s.rtcp_highest, p.index);
      return absl::StatusCode::kOk;
    }
    if (s.rtp_any && p.index + window_ <= s.rtp_highest) return absl::StatusCode::kOutOfRange;
    if (s.rtp_seen.count(p.index)) return absl::StatusCode::kAlreadyExists;
    s.rtp_seen.insert(p.index);
    s.rtp_highest = s.rtp_any ? std::max(s.rtp_highest, p.index) : p.index;
    s.rtp_any = true;
    return absl::StatusCode::kOk;
  }

 private:
  struct Stream {
    bool rtp_any = false;
    uint64_t rtp_highest = 0;
    std::set<uint64_t> rtp_seen;
    uint64_t rtcp_highest = 0;
    std::set<uint64_t> rtcp_seen;
  };
  size_t window_;
  std::map<uint32_t, Stream> streams_;
};

struct StreamSpec {
  uint32_t ssrc;
  uint16_t first_seq;
};

void RunStream(SrtpProfile profile, uint64_t seed, size_t packets) {
  SeededRandom random(seed);
  const testing::MasterKey key = testing::RandomMasterKey(profile, random);
  const SrtpSessionOptions options;  // window 1024
  std::unique_ptr<SrtpSession> out[2], in[2];
  for (SrtpBackend b : testing::kAllBackends) {
    out[static_cast<int>(b)] = MakeSession(b, profile, SrtpDirection::kOutbound, key, options);
    in[static_cast<int>(b)] = MakeSession(b, profile, SrtpDirection::kInbound, key, options);
  }
  // Two streams roll over early, one crosses 2^15 (where libsrtp's estimate changes mode).
  const StreamSpec specs[] = {{0x1000, 65000}, {0x2000, 65530}, {0x3000, 100}, {0x4000, 32000}};
  std::map<uint32_t, uint64_t> next_index;
  std::map<uint32_t, uint32_t> next_rtcp;
  std::map<uint32_t, int> ordinal;
  for (const StreamSpec& s : specs) {
    next_index[s.ssrc] = s.first_seq;
    next_rtcp[s.ssrc] = 1;
  }

  std::vector<Sent> sent;
  sent.reserve(packets);
  for (size_t i = 0; i < packets; ++i) {
    const StreamSpec& spec = specs[random.Uniform(4)];
    Sent p;
    p.ssrc = spec.ssrc;
    p.ordinal = ordinal[spec.ssrc]++;
    p.rtcp = random.Bernoulli(0.05);
    if (p.rtcp) {
      p.index = next_rtcp[spec.ssrc]++;
      p.plain = MakeRtcp(spec.ssrc, 4 * random.Uniform(40), random);
    } else {
      p.index = next_index[spec.ssrc]++;
      testing::RtpSpec r{
          .seq = static_cast<uint16_t>(p.index),
          .timestamp = static_cast<uint32_t>(p.index * 3000),
          .ssrc = spec.ssrc,
          .payload_type = 111,
          .csrc_count = static_cast<uint8_t>(random.Bernoulli(0.1) ? random.Uniform(4) : 0),
          .extension_words = random.Bernoulli(0.3) ? 1 + random.Uniform(3) : 0,
          .payload_size = random.Bernoulli(0.1) ? 1000 + random.Uniform(200) : random.Uniform(200)};
      p.plain = MakeRtp(r, random);
    }
    for (SrtpBackend b : testing::kAllBackends) {
      absl::StatusOr<std::vector<uint8_t>> w = Protect(*out[static_cast<int>(b)], p.plain, p.rtcp);
      ASSERT_TRUE(w.ok()) << SrtpBackendName(b) << " packet " << i << ": " << w.status();
      p.wire[static_cast<int>(b)] = *std::move(w);
    }
    ASSERT_EQ(p.wire[0], p.wire[1]) << "packet " << i << " protected differently";
    sent.push_back(std::move(p));
  }

  // The channel. The first 10 packets of each SSRC arrive in order (a receiver learns the ROC from
  // them); later ones may be lost (4%), delayed by up to 40 places (10%), duplicated up to 30 places
  // later (3%), or held back 6000 places (0.2%, past the RTP window).
  std::vector<std::pair<double, size_t>> schedule;
  for (size_t k = 0; k < sent.size(); ++k) {
    const bool settled = sent[k].ordinal >= 10;
    if (settled && random.Bernoulli(0.04)) continue;
    double at = static_cast<double>(k);
    if (settled && random.Bernoulli(0.10)) at += 1 + static_cast<double>(random.Uniform(40)) + 0.25;
    if (settled && random.Bernoulli(0.002)) at += 6000.5;
    schedule.emplace_back(at, k);
    if (settled && random.Bernoulli(0.03)) {
      schedule.emplace_back(at + 1 + static_cast<double>(random.Uniform(30)) + 0.5, k);
    }
  }
  std::stable_sort(schedule.begin(), schedule.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });

  ReplayModel model(1024);
  std::map<absl::StatusCode, int> tally;
  for (const auto& [at, k] : schedule) {
    const Sent& p = sent[k];
    const absl::StatusCode expected = model.Receive(p);
    ++tally[expected];
    for (SrtpBackend b : testing::kAllBackends) {
      // Each receiver gets the other backend's copy.
      const std::vector<uint8_t>& wire = p.wire[b == SrtpBackend::kNative ? 1 : 0];
      absl::StatusOr<std::vector<uint8_t>> r = Unprotect(*in[static_cast<int>(b)], wire, p.rtcp);
      ASSERT_EQ(r.status().code(), expected)
          << SrtpBackendName(b) << " packet " << k << (p.rtcp ? " (rtcp)" : " (rtp)") << " ssrc " << p.ssrc
          << " index " << p.index << ": " << r.status();
      if (r.ok()) {
        ASSERT_EQ(*r, p.plain) << SrtpBackendName(b) << " packet " << k;
      }
    }
  }
  // The run exercised every verdict.
  EXPECT_GT(tally[absl::StatusCode::kOk], static_cast<int>(packets * 8 / 10));
  EXPECT_GT(tally[absl::StatusCode::kAlreadyExists], 0);
  EXPECT_GT(tally[absl::StatusCode::kOutOfRange], 0);
  for (SrtpBackend b : testing::kAllBackends) EXPECT_EQ(in[static_cast<int>(b)]->stream_count(), 4u);
  // Every stream went past its rollover or 2^15.
  EXPECT_GT(next_index[0x1000], 65536u);
  EXPECT_GT(next_index[0x2000], 65536u);
  EXPECT_GT(next_index[0x4000], 32768u);
}

TEST(SrtpCrossBackend, Aes128CmSha1_80LongStream) { RunStream(SrtpProfile::kAes128CmSha1_80, 101, 20000); }
TEST(SrtpCrossBackend, Aes128CmSha1_32LongStream) { RunStream(SrtpProfile::kAes128CmSha1_32, 102, 20000); }
TEST(SrtpCrossBackend, AeadAes128GcmLongStream) { RunStream(SrtpProfile::kAeadAes128Gcm, 103, 20000); }
TEST(SrtpCrossBackend, AeadAes256GcmLongStream) { RunStream(SrtpProfile::kAeadAes256Gcm, 104, 20000); }

}  // namespace
}  // namespace tern::srtp
