#include "unit/dtls/dtls_test_util.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <utility>

#include "gtest/gtest.h"

namespace tern::testing {

const DtlsCertificate& TestCertificate(DtlsKeyType type, int index) {
  static auto* cache = new std::map<std::pair<DtlsKeyType, int>, DtlsCertificate>();
  auto key = std::make_pair(type, index);
  auto it = cache->find(key);
  if (it == cache->end()) {
    SeededRandom random(1000 + index * 2 + (type == DtlsKeyType::kRsa2048 ? 1 : 0));
    DtlsCertificateOptions options;
    options.key_type = type;
    options.common_name = "tern-test";
    absl::StatusOr<DtlsCertificate> cert = DtlsCertificate::Generate(random, options);
    if (!cert.ok()) {
      ADD_FAILURE() << cert.status();
      std::abort();
    }
    it = cache->emplace(key, *std::move(cert)).first;
  }
  return it->second;
}

DtlsPair::DtlsPair(DtlsConfig client, DtlsConfig server, bool exchange_fingerprints, Timestamp start)
    : clock_(start) {
  client.role = DtlsRole::kClient;
  server.role = DtlsRole::kServer;
  if (client.certificate.empty()) client.certificate = TestCertificate(DtlsKeyType::kEcdsaP256, 0);
  if (server.certificate.empty()) server.certificate = TestCertificate(DtlsKeyType::kEcdsaP256, 1);
  if (exchange_fingerprints) {
    if (client.remote_fingerprints.empty()) {
      client.remote_fingerprints.push_back(server.certificate.Fingerprint());
    }
    if (server.remote_fingerprints.empty()) {
      server.remote_fingerprints.push_back(client.certificate.Fingerprint());
    }
  }
  absl::StatusOr<DtlsEndpoint> c = DtlsEndpoint::Create(std::move(client));
  absl::StatusOr<DtlsEndpoint> s = DtlsEndpoint::Create(std::move(server));
  if (!c.ok() || !s.ok()) {
    ADD_FAILURE() << c.status() << " / " << s.status();
    std::abort();
  }
  client_.emplace(*std::move(c));
  server_.emplace(*std::move(s));
}

void DtlsPair::Start() {
  server_->Start(now());
  client_->Start(now());
  Pump();
}

void DtlsPair::Collect(DtlsEndpoint& from, Direction direction, std::vector<Datagram>& sent, int& count,
                       std::vector<Datagram>& in_flight, std::vector<DtlsEvent>& events) {
  while (std::optional<Datagram> d = from.PollTransmit()) {
    sent.push_back(*d);
    const int index = count++;
    if (filter_) {
      for (Datagram& out : filter_(direction, index, std::move(*d))) in_flight.push_back(std::move(out));
    } else {
      in_flight.push_back(std::move(*d));
    }
  }
  while (std::optional<DtlsEvent> e = from.PollEvent()) events.push_back(std::move(*e));
}

void DtlsPair::Pump() {
  for (int round = 0; round < 10000; ++round) {
    Collect(*client_, Direction::kClientToServer, client_sent_, client_count_, to_server_, client_events_);
    Collect(*server_, Direction::kServerToClient, server_sent_, server_count_, to_client_, server_events_);
    if (to_server_.empty() && to_client_.empty()) return;
    std::vector<Datagram> to_server = std::move(to_server_);
    std::vector<Datagram> to_client = std::move(to_client_);
    to_server_.clear();
    to_client_.clear();
    if (reverse_delivery_) {
      std::reverse(to_server.begin(), to_server.end());
      std::reverse(to_client.begin(), to_client.end());
    }
    for (const Datagram& d : to_server) server_->HandleInput(d, now());
    for (const Datagram& d : to_client) client_->HandleInput(d, now());
  }
  ADD_FAILURE() << "DtlsPair::Pump did not settle";
}

bool DtlsPair::RunUntil(const std::function<bool()>& done, Duration limit) {
  const Timestamp end = now() + limit;
  for (;;) {
    Pump();
    if (done()) return true;
    std::optional<Timestamp> next;
    for (DtlsEndpoint* e : {&*client_, &*server_}) {
      std::optional<Timestamp> t = e->NextTimeout();
      if (t.has_value() && (!next.has_value() || *t < *next)) next = t;
    }
    if (!next.has_value() || *next > end) return done();
    clock_.AdvanceTo(*next);
    client_->HandleTimeout(now());
    server_->HandleTimeout(now());
  }
}

bool DtlsPair::Handshake() {
  Start();
  return RunUntil([&] {
    auto settled = [](DtlsEndpoint& e) {
      return e.state() == DtlsState::kConnected || e.state() == DtlsState::kFailed;
    };
    return (settled(*client_) && settled(*server_)) || client_->state() == DtlsState::kFailed ||
           server_->state() == DtlsState::kFailed;
  });
}

std::vector<Datagram> DtlsPair::Received(const std::vector<DtlsEvent>& events) {
  std::vector<Datagram> out;
  for (const DtlsEvent& e : events) {
    if (const auto* d = std::get_if<DtlsApplicationData>(&e)) out.push_back(d->data);
  }
  return out;
}

}  // namespace tern::testing
