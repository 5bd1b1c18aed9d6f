// The interop tests' JSON value: what the peers write must parse, what we write must round-trip, and
// bad input is an error rather than a crash.
#include "interop/common/json.h"

#include <gtest/gtest.h>

namespace tern::interop {
namespace {

TEST(InteropJson, ParsesAProtocolLine) {
  auto j = Json::Parse(
      R"({"type":"received","label":"b\u00e9","bytes":1048576,"sha256":"ab","ordered":false,)"
      R"("maxRetransmits":null,"id":3,"sizes":[1,2.5,-3e2],"sdp":"v=0\r\n"})");
  ASSERT_TRUE(j.ok()) << j.status();
  EXPECT_EQ(j->GetString("type"), "received");
  EXPECT_EQ(j->GetString("label"), "b\xc3\xa9");
  EXPECT_EQ(j->GetInt("bytes"), 1048576);
  EXPECT_FALSE(j->GetBool("ordered", true));
  EXPECT_TRUE((*j)["maxRetransmits"].is_null());
  EXPECT_FALSE(j->GetOptionalInt("maxRetransmits").has_value());
  EXPECT_EQ(j->GetOptionalInt("id"), 3);
  ASSERT_EQ((*j)["sizes"].items().size(), 3u);
  EXPECT_DOUBLE_EQ((*j)["sizes"].items()[1].number(), 2.5);
  EXPECT_DOUBLE_EQ((*j)["sizes"].items()[2].number(), -300);
  EXPECT_EQ(j->GetString("sdp"), "v=0\r\n");
  EXPECT_TRUE((*j)["missing"].is_null());
}

TEST(InteropJson, RoundTrips) {
  Json j = Json::Object({{"type", "offer"},
                         {"sdp", "v=0\r\na=x:\"q\"\\\t\x01"},
                         {"n", int64_t{1} << 40},
                         {"f", 0.25},
                         {"list", Json::Array({true, nullptr, "s"})}});
  std::string line = j.Dump();
  EXPECT_EQ(line.find('\n'), std::string::npos);
  auto back = Json::Parse(line);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(*back == j) << back->Dump();
  EXPECT_EQ(back->GetInt("n"), int64_t{1} << 40);
}

TEST(InteropJson, SurrogatePairs) {
  auto j = Json::Parse(R"("\ud83d\ude00")");
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(j->string(), "\xf0\x9f\x98\x80");
  EXPECT_FALSE(Json::Parse(R"("\ud83d")").ok());
  EXPECT_FALSE(Json::Parse(R"("\ude00")").ok());
}

TEST(InteropJson, RejectsBadInput) {
  for (const char* bad : {"", "{", "{\"a\"}", "{\"a\":}", "[1,]", "01", "1.", "-", "tru", "\"abc", "\"\\x\"",
                          "{} x", "\"a\nb\"", "1e999", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
                                                       "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]"}) {
    EXPECT_FALSE(Json::Parse(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace tern::interop
