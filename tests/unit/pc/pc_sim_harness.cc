#include "pc_sim_harness.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "tern/dtls/certificate.h"
#include "tern/sctp/association.h"

namespace tern::pc::testing {

Timestamp SimStartTime() {
  Timestamp t = sctp::UsrsctpStackTime() + Duration::Seconds(1);
  return std::max(t, Timestamp::Seconds(1));
}

SimPeer::SimPeer(sim::SimNetwork& net, std::string name, IpAddress ip, uint16_t port,
                 std::function<void(ConnectionConfig&)> tweak)
    : net_(net), name_(std::move(name)), address_(ip, port), random_(net.ForkRandom(name_)) {
  host_ = &net.AddHost(name_, {.addresses = {ip}});
  ConnectionConfig config;
  config.host_addresses = {address_};
  absl::StatusOr<DtlsCertificate> cert = DtlsCertificate::Generate(random_);
  if (!cert.ok()) {
    std::fprintf(stderr, "certificate: %s\n", std::string(cert.status().message()).c_str());
    std::abort();
  }
  config.certificate = *cert;
  if (tweak) tweak(config);
  absl::StatusOr<std::unique_ptr<Connection>> conn = Connection::Create(std::move(config), random_);
  if (!conn.ok()) {
    std::fprintf(stderr, "Connection::Create: %s\n", std::string(conn.status().message()).c_str());
    std::abort();
  }
  conn_ = std::move(*conn);
  net.SetEndpoint(*host_, this);
}

SimPeer::~SimPeer() { net_.SetEndpoint(*host_, nullptr); }

std::optional<ChannelHandle> SimPeer::FindChannel(const std::string& label) const {
  for (const auto& [h, rec] : channels) {
    std::optional<DataChannelInfo> info = conn_->DataChannel(h);
    if (info && info->label == label) return h;
  }
  return std::nullopt;
}

void SimPeer::Wake() {
  DrainEvents();
  net_.Wake(*host_);
}

void SimPeer::HandleInput(sim::Datagram datagram, Timestamp now) {
  Datagram d;
  d.local = datagram.destination;
  d.remote = datagram.source;
  d.payload = ByteSpan(datagram.payload.data(), datagram.payload.size());
  conn_->HandleInput(d, now);
  DrainEvents();
}

void SimPeer::HandleTimeout(Timestamp now) {
  conn_->HandleTimeout(now);
  DrainEvents();
}

std::optional<sim::Transmit> SimPeer::PollTransmit() {
  std::optional<Transmit> t = conn_->PollTransmit();
  if (!t) return std::nullopt;
  sim::Transmit out;
  out.source = t->local.is_set() ? t->local : address_;
  out.destination = t->remote;
  out.payload = std::move(t->payload);
  return out;
}

std::optional<Timestamp> SimPeer::NextTimeout() const { return conn_->NextTimeout(); }

void SimPeer::DrainEvents() {
  if (draining_) return;
  draining_ = true;
  while (std::optional<ConnectionEvent> e = conn_->PollEvent()) {
    if (auto* c = std::get_if<LocalCandidateEvent>(&*e)) {
      local_candidates.push_back(c->candidate);
      if (on_candidate) on_candidate(c->candidate);
    } else if (auto* s = std::get_if<ConnectionStateEvent>(&*e)) {
      states.push_back(s->state);
    } else if (auto* s = std::get_if<IceConnectionStateEvent>(&*e)) {
      ice_states.push_back(s->state);
    } else if (auto* s = std::get_if<SignalingStateEvent>(&*e)) {
      signaling_states.push_back(s->state);
    } else if (auto* o = std::get_if<ChannelOpenEvent>(&*e)) {
      channels[o->channel].opened = true;
      channels[o->channel].remote = o->remote;
    } else if (auto* m = std::get_if<ChannelMessageEvent>(&*e)) {
      ChannelRecord& r = channels[m->channel];
      r.bytes += m->data.size();
      r.messages.push_back(m->data);
      r.binary.push_back(m->binary);
    } else if (auto* c = std::get_if<ChannelClosingEvent>(&*e)) {
      channels[c->channel].closing = true;
    } else if (auto* c = std::get_if<ChannelClosedEvent>(&*e)) {
      channels[c->channel].closed = true;
    } else if (auto* b = std::get_if<ChannelBufferedAmountLowEvent>(&*e)) {
      channels[b->channel].buffered_low++;
    } else if (auto* err = std::get_if<ChannelErrorEvent>(&*e)) {
      channels[err->channel].errors.push_back(err->status);
    }
    if (on_event) on_event(*e);
  }
  draining_ = false;
}

namespace {

void Fail(const char* what, const absl::Status& s) {
  std::fprintf(stderr, "Signal: %s: %s\n", what, std::string(s.message()).c_str());
  std::abort();
}

void Trickle(sim::SimNetwork& net, SimPeer& from, SimPeer& to, Duration delay) {
  from.on_candidate = [&net, &to, delay](const IceCandidate& c) {
    net.Schedule(net.Now() + delay, [&net, &to, c] {
      absl::Status s = to.conn().AddRemoteCandidate(c, net.Now());
      if (!s.ok()) std::fprintf(stderr, "trickle to %s: %s\n", to.name().c_str(), std::string(s.message()).c_str());
      to.Wake();
    });
  };
}

}  // namespace

void Signal(sim::SimNetwork& net, SimPeer& offerer, SimPeer& answerer, Duration delay) {
  Trickle(net, offerer, answerer, delay);
  Trickle(net, answerer, offerer, delay);
  absl::StatusOr<SessionDescription> offer = offerer.conn().CreateOffer(net.Now());
  if (!offer.ok()) Fail("CreateOffer", offer.status());
  if (absl::Status s = offerer.conn().SetLocalDescription(*offer, net.Now()); !s.ok()) Fail("SLD(offer)", s);
  SessionDescription o = *offer;
  net.Schedule(net.Now() + delay, [&net, &offerer, &answerer, o, delay] {
    if (absl::Status s = answerer.conn().SetRemoteDescription(o, net.Now()); !s.ok()) Fail("SRD(offer)", s);
    absl::StatusOr<SessionDescription> answer = answerer.conn().CreateAnswer(net.Now());
    if (!answer.ok()) Fail("CreateAnswer", answer.status());
    if (absl::Status s = answerer.conn().SetLocalDescription(*answer, net.Now()); !s.ok()) Fail("SLD(answer)", s);
    SessionDescription a = *answer;
    // The answer goes first; the answerer's candidates (drained by Wake) follow it.
    net.Schedule(net.Now() + delay, [&net, &offerer, a] {
      if (absl::Status s = offerer.conn().SetRemoteDescription(a, net.Now()); !s.ok()) Fail("SRD(answer)", s);
      offerer.Wake();
    });
    answerer.Wake();
  });
  offerer.Wake();
}

bool RunUntilConnected(sim::SimNetwork& net, SimPeer& a, SimPeer& b, Duration timeout) {
  return net.RunUntil([&] { return a.connected() && b.connected(); }, net.Now() + timeout);
}

}  // namespace tern::pc::testing
