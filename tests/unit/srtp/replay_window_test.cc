// RTP index estimation (RFC 3711 §3.3.1, Appendix A) and the RTP/SRTCP replay windows (§3.3.2).
#include "srtp/replay_window.h"

#include "gtest/gtest.h"

namespace tern::srtp {
namespace {

// Estimates, checks and (when new) records `seq`; returns the verdict and the estimated index.
ReplayVerdict Receive(RtpReplayWindow& w, uint16_t seq, uint64_t* index = nullptr) {
  RtpReplayWindow::Estimate e = w.EstimateIndex(seq);
  if (index != nullptr) *index = e.index;
  ReplayVerdict v = w.Check(e.delta);
  if (v == ReplayVerdict::kNew) w.Add(e.delta);
  return v;
}

TEST(SrtpReplayWindow, Rfc3711Section332FreshStreamAndDuplicates) {
  RtpReplayWindow w(64);
  EXPECT_EQ(Receive(w, 0), ReplayVerdict::kNew);
  EXPECT_EQ(Receive(w, 0), ReplayVerdict::kDuplicate);
  EXPECT_EQ(Receive(w, 5), ReplayVerdict::kNew);
  EXPECT_EQ(Receive(w, 3), ReplayVerdict::kNew);  // late but inside the window
  EXPECT_EQ(Receive(w, 3), ReplayVerdict::kDuplicate);
  EXPECT_EQ(Receive(w, 5), ReplayVerdict::kDuplicate);
  EXPECT_EQ(w.highest_index(), 5u);
}

TEST(SrtpReplayWindow, Rfc3711Section332WindowEdge) {
  for (size_t window : {64u, 128u, 1024u, 4096u}) {
    SCOPED_TRACE(window);
    RtpReplayWindow w(window);
    const uint16_t top = 10000;
    EXPECT_EQ(Receive(w, top), ReplayVerdict::kNew);
    // The window holds `window` indices ending at the highest one.
    EXPECT_EQ(Receive(w, static_cast<uint16_t>(top - window)), ReplayVerdict::kTooOld);
    EXPECT_EQ(Receive(w, static_cast<uint16_t>(top - window + 1)), ReplayVerdict::kNew);
    EXPECT_EQ(Receive(w, static_cast<uint16_t>(top - window + 1)), ReplayVerdict::kDuplicate);
    // Moving the top by one pushes that index out.
    EXPECT_EQ(Receive(w, top + 1), ReplayVerdict::kNew);
    EXPECT_EQ(Receive(w, static_cast<uint16_t>(top - window + 1)), ReplayVerdict::kTooOld);
  }
}

TEST(SrtpReplayWindow, JumpsClearTheRing) {
  RtpReplayWindow w(128);
  for (uint16_t s = 1; s <= 200; ++s) ASSERT_EQ(Receive(w, s), ReplayVerdict::kNew);
  // A jump of exactly one ring, then of more than one: nothing old may look seen.
  ASSERT_EQ(Receive(w, 200 + 128), ReplayVerdict::kNew);
  for (uint16_t s = 201; s < 328; ++s) ASSERT_EQ(Receive(w, s), ReplayVerdict::kNew) << s;
  ASSERT_EQ(Receive(w, 1000), ReplayVerdict::kNew);
  for (uint16_t s = 1000 - 127; s < 1000; ++s) ASSERT_EQ(Receive(w, s), ReplayVerdict::kNew) << s;
  for (uint16_t s = 1000 - 127; s <= 1000; ++s) ASSERT_EQ(Receive(w, s), ReplayVerdict::kDuplicate) << s;
}

TEST(SrtpRocEstimation, Rfc3711AppendixARollover) {
  RtpReplayWindow w(1024);
  uint64_t index = 0;
  ASSERT_EQ(Receive(w, 65530, &index), ReplayVerdict::kNew);
  EXPECT_EQ(index, 65530u);
  for (uint16_t s = 65531; s != 3; ++s) ASSERT_EQ(Receive(w, s, &index), ReplayVerdict::kNew);
  EXPECT_EQ(index, 0x10002u);  // ROC 1, SEQ 2
  // A late packet from before the wrap is placed in ROC 0.
  ASSERT_EQ(Receive(w, 65529, &index), ReplayVerdict::kNew);
  EXPECT_EQ(index, 65529u);
  EXPECT_EQ(Receive(w, 65535, &index), ReplayVerdict::kDuplicate);
  EXPECT_EQ(index, 65535u);
  EXPECT_EQ(w.highest_index(), 0x10002u);
  // Halfway round: 0x8000 + 2 ahead is still ROC 1; beyond that the guess is ROC 0 (too old).
  RtpReplayWindow::Estimate e = w.EstimateIndex(0x8002);
  EXPECT_EQ(e.index, 0x18002u);
  EXPECT_EQ(e.delta, 0x8000);
  e = w.EstimateIndex(0x8003);
  EXPECT_EQ(e.index, 0x08003u);
  EXPECT_EQ(w.Check(e.delta), ReplayVerdict::kTooOld);
}

TEST(SrtpRocEstimation, SteadyStreamAcrossTwoWraps) {
  RtpReplayWindow w(1024);
  uint64_t index = 0;
  uint16_t s = 1;
  for (int i = 0; i < 3 * 65536; i += 1000, s = static_cast<uint16_t>(s + 1000)) {
    ASSERT_EQ(Receive(w, s, &index), ReplayVerdict::kNew) << i;
  }
  EXPECT_EQ(index >> 16, 2u);
  EXPECT_EQ(index, 1u + 196 * 1000u);
}

// libsrtp takes ROC 0 while the highest index is <= 2^15 (it never guesses ROC -1).
TEST(SrtpRocEstimation, NoRocUnderflowEarlyInTheStream) {
  RtpReplayWindow w(1024);
  uint64_t index = 0;
  ASSERT_EQ(Receive(w, 100, &index), ReplayVerdict::kNew);
  ASSERT_EQ(Receive(w, 65000, &index), ReplayVerdict::kNew);
  EXPECT_EQ(index, 65000u);
  // Now past 2^15: 100 is ROC 1 (closest to 65000), not ROC 0.
  ASSERT_EQ(Receive(w, 100, &index), ReplayVerdict::kNew);
  EXPECT_EQ(index, 0x10064u);
}

TEST(SrtcpReplayWindow, Rfc3711Section332Srtcp) {
  RtcpReplayWindow w;
  EXPECT_EQ(w.Check(0), ReplayVerdict::kNew);
  w.Add(5);
  EXPECT_EQ(w.Check(5), ReplayVerdict::kDuplicate);
  EXPECT_EQ(w.Check(0), ReplayVerdict::kNew);
  w.Add(200);  // the window is now [73, 200]
  EXPECT_EQ(w.Check(72), ReplayVerdict::kTooOld);
  EXPECT_EQ(w.Check(73), ReplayVerdict::kNew);
  EXPECT_EQ(w.Check(200), ReplayVerdict::kDuplicate);
  EXPECT_EQ(w.Check(5), ReplayVerdict::kTooOld);
  w.Add(150);
  EXPECT_EQ(w.Check(150), ReplayVerdict::kDuplicate);
  w.Add(201);  // slides by one: 150 and 200 stay marked
  EXPECT_EQ(w.Check(150), ReplayVerdict::kDuplicate);
  EXPECT_EQ(w.Check(200), ReplayVerdict::kDuplicate);
  EXPECT_EQ(w.Check(73), ReplayVerdict::kTooOld);
  w.Add(201 + 64);  // slides by 64
  EXPECT_EQ(w.Check(200), ReplayVerdict::kDuplicate);
  EXPECT_EQ(w.Check(201), ReplayVerdict::kDuplicate);
  EXPECT_EQ(w.Check(202), ReplayVerdict::kNew);
  w.Add(0x7fffffff);  // far jump
  EXPECT_EQ(w.Check(0x7fffffff), ReplayVerdict::kDuplicate);
  EXPECT_EQ(w.Check(0x7fffffff - 127), ReplayVerdict::kNew);
  EXPECT_EQ(w.Check(0x7fffffff - 128), ReplayVerdict::kTooOld);
}

}  // namespace
}  // namespace tern::srtp
