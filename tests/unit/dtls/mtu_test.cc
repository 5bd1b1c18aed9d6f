// No datagram larger than the configured MTU, during the handshake (BoringSSL fragments handshake
// messages, RFC 6347 §4.2.3) and after it, with ECDSA and RSA-2048 certificates.
#include <vector>

#include "gtest/gtest.h"
#include "tern/dtls/dtls.h"
#include "unit/dtls/dtls_test_util.h"

namespace tern {
namespace {

using ::tern::testing::Datagram;
using ::tern::testing::Direction;
using ::tern::testing::DtlsPair;
using ::tern::testing::TestCertificate;

struct MtuCase {
  size_t mtu;
  DtlsKeyType client_key;
  DtlsKeyType server_key;
};

size_t Largest(const std::vector<Datagram>& ds) {
  size_t m = 0;
  for (const Datagram& d : ds) m = std::max(m, d.size());
  return m;
}

// True when some handshake record in `ds` carries a fragment shorter than its message.
bool HasFragmentedMessage(const std::vector<Datagram>& ds) {
  for (const Datagram& d : ds) {
    size_t at = 0;
    while (at + 13 + 12 <= d.size()) {
      const size_t len = size_t{d[at + 11]} << 8 | d[at + 12];
      if (d[at] == 22 && d[at + 3] == 0 && d[at + 4] == 0) {  // epoch-0 handshake record
        const uint8_t* h = d.data() + at + 13;
        const uint32_t msg_len = uint32_t{h[1]} << 16 | uint32_t{h[2]} << 8 | h[3];
        const uint32_t frag_len = uint32_t{h[9]} << 16 | uint32_t{h[10]} << 8 | h[11];
        if (frag_len < msg_len) return true;
      }
      at += 13 + len;
    }
  }
  return false;
}

class DtlsMtuTest : public ::testing::TestWithParam<MtuCase> {};

TEST_P(DtlsMtuTest, NoDatagramExceedsTheMtu) {
  const MtuCase c = GetParam();
  DtlsConfig client, server;
  client.mtu = server.mtu = c.mtu;
  client.certificate = TestCertificate(c.client_key, 0);
  server.certificate = TestCertificate(c.server_key, 1);
  DtlsPair pair(client, server);
  // Lose the first datagram each way so retransmitted flights are checked too.
  pair.set_filter([](Direction, int index, Datagram d) {
    if (index == 0) return std::vector<Datagram>{};
    return std::vector<Datagram>{std::move(d)};
  });
  ASSERT_TRUE(pair.Handshake());
  ASSERT_EQ(pair.client().state(), DtlsState::kConnected);
  ASSERT_EQ(pair.server().state(), DtlsState::kConnected);
  EXPECT_GE(pair.client().retransmissions() + pair.server().retransmissions(), 1u);
  EXPECT_LE(Largest(pair.client_sent()), c.mtu);
  EXPECT_LE(Largest(pair.server_sent()), c.mtu);
  if (c.mtu <= 400 || (c.server_key == DtlsKeyType::kRsa2048 && c.mtu < 1000)) {
    EXPECT_TRUE(HasFragmentedMessage(pair.server_sent()));
  }
  // The largest application record fits too.
  const size_t max = pair.server().MaxApplicationDataSize();
  ASSERT_GT(max, 0u);
  ASSERT_TRUE(pair.server().Send(std::vector<uint8_t>(max, 7), pair.now()).ok());
  pair.Pump();
  EXPECT_LE(pair.server_sent().back().size(), c.mtu);
  EXPECT_EQ(pair.server_sent().back().size(), c.mtu);
  EXPECT_EQ(testing::DtlsPair::Received(pair.client_events()).size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Sizes, DtlsMtuTest,
                         ::testing::Values(MtuCase{1200, DtlsKeyType::kEcdsaP256, DtlsKeyType::kEcdsaP256},
                                           MtuCase{1200, DtlsKeyType::kRsa2048, DtlsKeyType::kRsa2048},
                                           MtuCase{576, DtlsKeyType::kRsa2048, DtlsKeyType::kRsa2048},
                                           MtuCase{400, DtlsKeyType::kEcdsaP256, DtlsKeyType::kRsa2048},
                                           MtuCase{256, DtlsKeyType::kRsa2048, DtlsKeyType::kRsa2048},
                                           MtuCase{256, DtlsKeyType::kEcdsaP256, DtlsKeyType::kEcdsaP256},
                                           MtuCase{1500, DtlsKeyType::kEcdsaP256, DtlsKeyType::kEcdsaP256}),
                         [](const auto& info) {
                           auto k = [](DtlsKeyType t) {
                             return t == DtlsKeyType::kRsa2048 ? "Rsa" : "Ecdsa";
                           };
                           return "Mtu" + std::to_string(info.param.mtu) + k(info.param.client_key) +
                                  k(info.param.server_key);
                         });

}  // namespace
}  // namespace tern
