// The log sink can be redirected and filtered by a minimum severity; a filtered-out TERN_LOG does not
// even evaluate its stream operands.
#include "tern/base/log.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace tern {
namespace {

struct Line {
  LogSeverity severity;
  std::string file;
  int line;
  std::string message;
};

class CapturingSink final : public LogSink {
 public:
  void Write(LogSeverity severity, std::string_view file, int line, std::string_view message) override {
    lines.push_back(Line{severity, std::string(file), line, std::string(message)});
  }
  std::vector<Line> lines;
};

// Installs a capturing sink for one test and restores the previous sink and severity afterwards.
class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    saved_severity_ = MinLogSeverity();
    previous_ = SetLogSink(&sink_);
  }
  void TearDown() override {
    EXPECT_EQ(SetLogSink(previous_), &sink_);
    SetMinLogSeverity(saved_severity_);
  }

  CapturingSink sink_;

 private:
  LogSink* previous_ = nullptr;
  LogSeverity saved_severity_ = LogSeverity::kWarning;
};

TEST_F(LogTest, RedirectedSinkReceivesOneLinePerMessage) {
  SetMinLogSeverity(LogSeverity::kVerbose);
  const int line = __LINE__ + 1;
  TERN_LOG(kWarning) << "stale nonce from "
                     << "192.0.2.1:" << 3478;
  TERN_LOG(kError) << "second";
  ASSERT_EQ(sink_.lines.size(), 2u);
  EXPECT_EQ(sink_.lines[0].severity, LogSeverity::kWarning);
  EXPECT_EQ(sink_.lines[0].file, "log_test.cc") << "the sink gets the base name only";
  EXPECT_EQ(sink_.lines[0].line, line);
  EXPECT_EQ(sink_.lines[0].message, "stale nonce from 192.0.2.1:3478") << "no trailing newline";
  EXPECT_EQ(sink_.lines[1].severity, LogSeverity::kError);
  EXPECT_EQ(sink_.lines[1].message, "second");
}

TEST_F(LogTest, MinSeverityFiltersAndSkipsEvaluation) {
  int evaluated = 0;
  auto side_effect = [&evaluated] {
    ++evaluated;
    return "x";
  };
  SetMinLogSeverity(LogSeverity::kError);
  EXPECT_EQ(MinLogSeverity(), LogSeverity::kError);
  EXPECT_FALSE(LogEnabled(LogSeverity::kWarning));
  EXPECT_TRUE(LogEnabled(LogSeverity::kError));
  TERN_LOG(kVerbose) << side_effect();
  TERN_LOG(kInfo) << side_effect();
  TERN_LOG(kWarning) << side_effect();
  EXPECT_TRUE(sink_.lines.empty());
  EXPECT_EQ(evaluated, 0) << "a disabled log statement must not evaluate its operands";
  TERN_LOG(kError) << side_effect();
  ASSERT_EQ(sink_.lines.size(), 1u);
  EXPECT_EQ(evaluated, 1);

  SetMinLogSeverity(LogSeverity::kVerbose);
  TERN_LOG(kVerbose) << "now visible";
  ASSERT_EQ(sink_.lines.size(), 2u);
  EXPECT_EQ(sink_.lines[1].severity, LogSeverity::kVerbose);
}

TEST_F(LogTest, SeverityNoneSilencesEverything) {
  SetMinLogSeverity(LogSeverity::kNone);
  TERN_LOG(kError) << "dropped";
  EXPECT_TRUE(sink_.lines.empty());
  EXPECT_FALSE(LogEnabled(LogSeverity::kNone));
  SetMinLogSeverity(LogSeverity::kVerbose);
  EXPECT_FALSE(LogEnabled(LogSeverity::kNone)) << "kNone is not a severity one can log at";
}

TEST_F(LogTest, UsableAsAStatementInIfElse) {
  SetMinLogSeverity(LogSeverity::kInfo);
  bool flag = false;
  if (flag)
    TERN_LOG(kInfo) << "then";
  else
    TERN_LOG(kInfo) << "else";
  ASSERT_EQ(sink_.lines.size(), 1u);
  EXPECT_EQ(sink_.lines[0].message, "else");
}

TEST(LogSink, SetLogSinkReturnsThePreviousSink) {
  CapturingSink a;
  CapturingSink b;
  LogSink* original = SetLogSink(&a);
  EXPECT_EQ(SetLogSink(&b), &a);
  EXPECT_EQ(SetLogSink(nullptr), &b);
  EXPECT_EQ(SetLogSink(original), nullptr) << "nullptr stands for the default stderr sink";
}

TEST(LogSeverityName, OneLetterNames) {
  EXPECT_EQ(LogSeverityName(LogSeverity::kVerbose), "V");
  EXPECT_EQ(LogSeverityName(LogSeverity::kInfo), "I");
  EXPECT_EQ(LogSeverityName(LogSeverity::kWarning), "W");
  EXPECT_EQ(LogSeverityName(LogSeverity::kError), "E");
}

}  // namespace
}  // namespace tern
