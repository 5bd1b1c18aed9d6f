// Helpers for the lib/sdp tests: reading the samples in samples/ and matching error messages.
#ifndef TERN_TESTS_UNIT_SDP_SDP_TEST_UTIL_H_
#define TERN_TESTS_UNIT_SDP_SDP_TEST_UTIL_H_

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tern::sdp::testing {

// Every sample file, without the extension.
inline std::vector<std::string> SampleNames() {
  return {"chrome_datachannel_offer",  "chrome_datachannel_answer",  "chrome_av_simulcast_offer",
          "firefox_datachannel_offer", "firefox_datachannel_answer", "firefox_av_simulcast_offer",
          "safari_av_offer",           "pion_datachannel_offer",     "pion_datachannel_answer",
          "aiortc_datachannel_offer_legacy", "aiortc_datachannel_answer", "sfu_ice_lite_offer",
          "pion_av_simulcast_offer",   "aiortc_av_offer"};
}

// The sample's bytes; fails the test (loudly) when the file is missing.
inline std::string ReadSample(std::string_view name) {
  std::string path = std::string(TERN_SDP_SAMPLES_DIR) + "/" + std::string(name) + ".sdp";
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline std::string WithLf(std::string text) {
  std::string out;
  for (char c : text) {
    if (c != '\r') out.push_back(c);
  }
  return out;
}

MATCHER_P2(StatusIs, code, substring, "") {
  const absl::Status& s = arg;
  if (s.code() != code) {
    *result_listener << "status is " << s.ToString();
    return false;
  }
  if (std::string(s.message()).find(substring) == std::string::npos) {
    *result_listener << "message \"" << s.message() << "\" lacks \"" << substring << "\"";
    return false;
  }
  return true;
}

}  // namespace tern::sdp::testing

#endif  // TERN_TESTS_UNIT_SDP_SDP_TEST_UTIL_H_
