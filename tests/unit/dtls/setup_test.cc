// a=setup → DTLS role (RFC 5763 §5, RFC 8842 §5.2-§5.3, RFC 4145 §4).
#include "tern/dtls/setup.h"

#include "gtest/gtest.h"

namespace tern {
namespace {

TEST(Rfc8842Setup, OffererRoleFromTheAnswer) {
  EXPECT_EQ(*DtlsRoleFromSetup(true, DtlsSetup::kActive), DtlsRole::kServer);
  EXPECT_EQ(*DtlsRoleFromSetup(true, DtlsSetup::kPassive), DtlsRole::kClient);
  absl::StatusOr<DtlsRole> bad = DtlsRoleFromSetup(true, DtlsSetup::kActpass);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("actpass"), absl::string_view::npos);
}

TEST(Rfc8842Setup, AnswererRoleFromTheOffer) {
  EXPECT_EQ(*DtlsRoleFromSetup(false, DtlsSetup::kActpass), DtlsRole::kClient);  // RFC 5763 §5
  EXPECT_EQ(*DtlsRoleFromSetup(false, DtlsSetup::kActive), DtlsRole::kServer);
  EXPECT_EQ(*DtlsRoleFromSetup(false, DtlsSetup::kPassive), DtlsRole::kClient);
}

TEST(Rfc8842Setup, BothSidesAgree) {
  // Whatever the answerer picks, the offerer derives the opposite role from the answer.
  for (DtlsSetup offer : {DtlsSetup::kActpass, DtlsSetup::kActive, DtlsSetup::kPassive}) {
    DtlsRole answerer = *DtlsRoleFromSetup(false, offer);
    DtlsSetup answer = AnswerSetupForRole(answerer);
    DtlsRole offerer = *DtlsRoleFromSetup(true, answer);
    EXPECT_NE(offerer, answerer) << DtlsSetupName(offer);
  }
}

TEST(Rfc4145Setup, ParseAndNames) {
  EXPECT_EQ(*ParseDtlsSetup("actpass"), DtlsSetup::kActpass);
  EXPECT_EQ(*ParseDtlsSetup("active"), DtlsSetup::kActive);
  EXPECT_EQ(*ParseDtlsSetup("passive"), DtlsSetup::kPassive);
  EXPECT_EQ(ParseDtlsSetup("holdconn").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseDtlsSetup("ACTIVE").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseDtlsSetup("").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseDtlsSetup("active ").status().code(), absl::StatusCode::kInvalidArgument);
  for (DtlsSetup s : {DtlsSetup::kActpass, DtlsSetup::kActive, DtlsSetup::kPassive}) {
    EXPECT_EQ(*ParseDtlsSetup(DtlsSetupName(s)), s);
  }
  EXPECT_EQ(DtlsRoleName(DtlsRole::kClient), "client");
  EXPECT_EQ(DtlsRoleName(DtlsRole::kServer), "server");
  EXPECT_EQ(AnswerSetupForRole(DtlsRole::kClient), DtlsSetup::kActive);
  EXPECT_EQ(AnswerSetupForRole(DtlsRole::kServer), DtlsSetup::kPassive);
}

}  // namespace
}  // namespace tern
