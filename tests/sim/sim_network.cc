#include "sim/sim_network.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace tern::testing {
namespace {

// Events at one instant beyond which the run is assumed to be a livelock (an endpoint asking to be woken
// at or before "now" forever).
constexpr uint64_t kMaxEventsPerInstant = 1'000'000;

uint64_t Mix64(uint64_t x) {
  // The SplitMix64 finaliser: spreads a seed and a stream number into an unrelated 64-bit seed.
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ull;
constexpr uint64_t kFnvPrime = 0x100000001b3ull;

void FnvBytes(uint64_t& h, const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= kFnvPrime;
  }
}

void FnvU64(uint64_t& h, uint64_t v) {
  uint8_t b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<uint8_t>(v >> (8 * i));
  FnvBytes(h, b, 8);
}

void FnvAddress(uint64_t& h, const SocketAddress& a) {
  FnvU64(h, static_cast<uint64_t>(a.family()));
  auto bytes = a.ip().bytes();
  FnvBytes(h, bytes.data(), bytes.size());
  FnvU64(h, a.port());
}

}  // namespace

// ----- RecordingEndpoint -----------------------------------------------------------------------------

void RecordingEndpoint::HandleInput(Datagram datagram, Timestamp now) {
  if (echo_) {
    outbox_.push_back(Transmit{datagram.destination, datagram.source, datagram.payload});
  }
  received_.push_back(Received{now, std::move(datagram)});
}

std::optional<Transmit> RecordingEndpoint::PollTransmit() {
  if (outbox_.empty()) return std::nullopt;
  Transmit t = std::move(outbox_.front());
  outbox_.pop_front();
  return t;
}

// ----- Hosts and NATs --------------------------------------------------------------------------------

IpAddress SimHost::address(IpFamily family) const {
  for (const IpAddress& ip : addresses_) {
    if (ip.family() == family) return ip;
  }
  return IpAddress();
}

bool SimHost::HasAddress(const IpAddress& ip) const {
  return std::find(addresses_.begin(), addresses_.end(), ip) != addresses_.end();
}

NatBehavior NatBehavior::FullCone() {
  NatBehavior b;
  b.mapping = NatMapping::kEndpointIndependent;
  b.filtering = NatFiltering::kEndpointIndependent;
  return b;
}

NatBehavior NatBehavior::RestrictedCone() {
  NatBehavior b;
  b.mapping = NatMapping::kEndpointIndependent;
  b.filtering = NatFiltering::kAddressDependent;
  return b;
}

NatBehavior NatBehavior::PortRestrictedCone() {
  NatBehavior b;
  b.mapping = NatMapping::kEndpointIndependent;
  b.filtering = NatFiltering::kAddressAndPortDependent;
  return b;
}

NatBehavior NatBehavior::Symmetric() {
  NatBehavior b;
  b.mapping = NatMapping::kAddressAndPortDependent;
  b.filtering = NatFiltering::kAddressAndPortDependent;
  b.port_assignment = NatPortAssignment::kSequential;
  return b;
}

IpAddress SimNat::external_address(IpFamily family) const {
  for (const IpAddress& ip : external_addresses_) {
    if (ip.family() == family) return ip;
  }
  return IpAddress();
}

SimNat::MappingKey SimNat::KeyFor(const SocketAddress& internal, const SocketAddress& remote) const {
  switch (behavior_.mapping) {
    case NatMapping::kEndpointIndependent:
      return {internal, SocketAddress()};
    case NatMapping::kAddressDependent:
      return {internal, SocketAddress(remote.ip(), 0)};
    case NatMapping::kAddressAndPortDependent:
      return {internal, remote};
  }
  return {internal, remote};
}

std::optional<SocketAddress> SimNat::FindMapping(const SocketAddress& internal,
                                                 const SocketAddress& remote) const {
  auto it = mappings_.find(KeyFor(internal, remote));
  if (it == mappings_.end() || clock_->Now() >= it->second.expires) return std::nullopt;
  return it->second.external;
}

size_t SimNat::ActiveMappings() const {
  Timestamp now = clock_->Now();
  size_t n = 0;
  for (const auto& [key, mapping] : mappings_) {
    if (now < mapping.expires) ++n;
  }
  return n;
}

std::string_view NatMappingName(NatMapping mapping) {
  switch (mapping) {
    case NatMapping::kEndpointIndependent:
      return "EIM";
    case NatMapping::kAddressDependent:
      return "ADM";
    case NatMapping::kAddressAndPortDependent:
      return "APDM";
  }
  return "unknown";
}

std::string_view NatFilteringName(NatFiltering filtering) {
  switch (filtering) {
    case NatFiltering::kEndpointIndependent:
      return "EIF";
    case NatFiltering::kAddressDependent:
      return "ADF";
    case NatFiltering::kAddressAndPortDependent:
      return "APDF";
  }
  return "unknown";
}

std::string_view NatPortAssignmentName(NatPortAssignment ports) {
  switch (ports) {
    case NatPortAssignment::kPreserve:
      return "Preserve";
    case NatPortAssignment::kSequential:
      return "Sequential";
    case NatPortAssignment::kRandom:
      return "Random";
  }
  return "unknown";
}

std::string_view TraceKindName(TraceKind kind) {
  switch (kind) {
    case TraceKind::kSend:
      return "send";
    case TraceKind::kDeliver:
      return "deliver";
    case TraceKind::kLoss:
      return "loss";
    case TraceKind::kQueueDrop:
      return "queue-drop";
    case TraceKind::kDuplicate:
      return "duplicate";
    case TraceKind::kNoRoute:
      return "no-route";
    case TraceKind::kNatDrop:
      return "nat-drop";
    case TraceKind::kBadSource:
      return "bad-source";
  }
  return "unknown";
}

// ----- SimNetwork: set-up ----------------------------------------------------------------------------

SimNetwork::SimNetwork(uint64_t seed, Timestamp start)
    : seed_(seed), clock_(start), digest_(kFnvOffset), guard_time_(start) {
  networks_.emplace_back();  // 0: the public network
}

SimNetwork::~SimNetwork() = default;

SeededRandom SimNetwork::ForkRandom(std::string_view label) const {
  uint64_t h = kFnvOffset;
  FnvBytes(h, reinterpret_cast<const uint8_t*>(label.data()), label.size());
  return SeededRandom(Mix64(seed_ ^ Mix64(h)));
}

void SimNetwork::Fail(const std::string& message) const {
  std::fprintf(stderr, "SimNetwork (seed %llu = 0x%llx, t=%s): %s\n", static_cast<unsigned long long>(seed_),
               static_cast<unsigned long long>(seed_), clock_.Now().ToString().c_str(), message.c_str());
  std::abort();
}

std::unique_ptr<SimLink> SimNetwork::MakeLink(std::string name, const LinkConfig& config, SimLink::Sink sink,
                                              int sink_index) {
  uint64_t stream_seed = Mix64(seed_ ^ Mix64(0x4c494e4b00000000ull + next_stream_++));
  auto link = std::unique_ptr<SimLink>(new SimLink(std::move(name), config, stream_seed, sink, sink_index));
  link->busy_until_ = clock_.Now();
  link->last_arrival_ = clock_.Now();
  return link;
}

void SimNetwork::Register(int network, const IpAddress& ip, SimHost* host, SimNat* nat,
                          const std::string& name) {
  if (!ip.is_set()) Fail(name + ": unset address");
  auto [it, inserted] = networks_[network].routes.emplace(ip, std::make_pair(host, nat));
  if (!inserted) Fail(name + ": address " + ip.ToString() + " already in use in its network");
}

SimHost& SimNetwork::AddHost(std::string name, HostOptions options, Endpoint* endpoint) {
  auto host = std::unique_ptr<SimHost>(new SimHost());
  host->index_ = static_cast<int>(hosts_.size());
  host->name_ = std::move(name);
  host->addresses_ = std::move(options.addresses);
  host->behind_ = options.behind;
  host->network_ = options.behind == nullptr ? 0 : options.behind->inside_network_;
  if (host->addresses_.empty()) Fail(host->name_ + ": a host needs an address");
  for (const IpAddress& ip : host->addresses_) Register(host->network_, ip, host.get(), nullptr, host->name_);
  host->uplink_ = MakeLink(host->name_ + ".up", options.uplink, SimLink::Sink::kNetwork, host->network_);
  host->downlink_ = MakeLink(host->name_ + ".down", options.downlink, SimLink::Sink::kHost, host->index_);
  SimHost& ref = *host;
  hosts_.push_back(std::move(host));
  if (endpoint != nullptr) SetEndpoint(ref, endpoint);
  return ref;
}

SimNat& SimNetwork::AddNat(std::string name, NatOptions options) {
  auto nat = std::unique_ptr<SimNat>(
      new SimNat(&clock_, Mix64(seed_ ^ Mix64(0x4e41540000000000ull + next_stream_++))));
  nat->index_ = static_cast<int>(nats_.size());
  nat->name_ = std::move(name);
  nat->external_addresses_ = std::move(options.external_addresses);
  nat->behavior_ = options.behavior;
  nat->behind_ = options.behind;
  nat->network_ = options.behind == nullptr ? 0 : options.behind->inside_network_;
  if (nat->external_addresses_.empty()) Fail(nat->name_ + ": a NAT needs an external address");
  if (nat->behavior_.port_min == 0 || nat->behavior_.port_min > nat->behavior_.port_max) {
    Fail(nat->name_ + ": bad port range");
  }
  std::set<IpFamily> families;
  for (const IpAddress& ip : nat->external_addresses_) {
    if (!families.insert(ip.family()).second) Fail(nat->name_ + ": two external addresses of one family");
    Register(nat->network_, ip, nullptr, nat.get(), nat->name_);
  }
  nat->inside_network_ = static_cast<int>(networks_.size());
  networks_.push_back(Network{nat.get(), {}});
  nat->uplink_ = MakeLink(nat->name_ + ".up", options.uplink, SimLink::Sink::kNetwork, nat->network_);
  nat->downlink_ = MakeLink(nat->name_ + ".down", options.downlink, SimLink::Sink::kNat, nat->index_);
  SimNat& ref = *nat;
  nats_.push_back(std::move(nat));
  return ref;
}

void SimNetwork::SetEndpoint(SimHost& host, Endpoint* endpoint) {
  host.endpoint_ = endpoint;
  host.timer_.reset();
  ++host.timer_generation_;
  if (endpoint != nullptr) Wake(host);
}

// ----- SimNetwork: events ----------------------------------------------------------------------------

void SimNetwork::Push(Event event) {
  if (event.time < clock_.Now()) event.time = clock_.Now();
  event.sequence = next_sequence_++;
  events_.push_back(std::move(event));
  std::push_heap(events_.begin(), events_.end(), EventLater());
}

void SimNetwork::Schedule(Timestamp at, std::function<void()> action) {
  Event e;
  e.time = at;
  e.kind = EventKind::kAction;
  e.action = std::move(action);
  Push(std::move(e));
}

std::optional<Timestamp> SimNetwork::NextEventTime() const {
  if (events_.empty()) return std::nullopt;
  return events_.front().time;
}

bool SimNetwork::Step() {
  if (events_.empty()) return false;
  std::pop_heap(events_.begin(), events_.end(), EventLater());
  Event e = std::move(events_.back());
  events_.pop_back();

  clock_.AdvanceTo(e.time);
  if (e.time == guard_time_) {
    if (++guard_count_ > kMaxEventsPerInstant) {
      Fail("more than a million events at one instant: an endpoint keeps asking for a timeout now?");
    }
  } else {
    guard_time_ = e.time;
    guard_count_ = 1;
  }

  switch (e.kind) {
    case EventKind::kArrival:
      ++e.link->stats_.delivered;
      e.link->stats_.bytes_delivered += e.datagram.payload.size();
      Forward(*e.link, std::move(e.datagram));
      break;
    case EventKind::kTimer: {
      SimHost& host = *e.host;
      if (e.generation != host.timer_generation_ || host.endpoint_ == nullptr) break;
      host.timer_.reset();
      host.endpoint_->HandleTimeout(clock_.Now());
      Drain(host);
      break;
    }
    case EventKind::kAction:
      e.action();
      break;
  }
  return true;
}

void SimNetwork::RunUntil(Timestamp deadline) {
  while (!events_.empty() && events_.front().time <= deadline) Step();
  if (!deadline.is_infinite()) clock_.AdvanceTo(deadline);
}

bool SimNetwork::RunUntil(const std::function<bool()>& done, Timestamp deadline) {
  if (done()) return true;
  while (!events_.empty() && events_.front().time <= deadline) {
    Step();
    if (done()) return true;
  }
  if (!deadline.is_infinite()) clock_.AdvanceTo(deadline);
  return done();
}

void SimNetwork::Trace(TraceKind kind, std::string_view where, const Datagram& datagram) {
  Timestamp now = clock_.Now();
  FnvU64(digest_, static_cast<uint64_t>(kind));
  FnvU64(digest_, static_cast<uint64_t>(now.us()));
  FnvBytes(digest_, reinterpret_cast<const uint8_t*>(where.data()), where.size());
  FnvAddress(digest_, datagram.source);
  FnvAddress(digest_, datagram.destination);
  FnvU64(digest_, datagram.payload.size());
  FnvBytes(digest_, datagram.payload.data(), datagram.payload.size());
  if (trace_hook_) trace_hook_(TraceEvent{now, kind, where, datagram});
}

// ----- SimNetwork: hosts -----------------------------------------------------------------------------

void SimNetwork::Wake(SimHost& host) {
  if (host.endpoint_ != nullptr) Drain(host);
}

void SimNetwork::Drain(SimHost& host) {
  Endpoint* endpoint = host.endpoint_;
  while (std::optional<Transmit> t = endpoint->PollTransmit()) HostSend(host, std::move(*t));
  std::optional<Timestamp> next = endpoint->NextTimeout();
  if (next == host.timer_) return;  // already scheduled (or nothing either way)
  ++host.timer_generation_;
  host.timer_ = next;
  if (next.has_value()) {
    Event e;
    e.time = *next;
    e.kind = EventKind::kTimer;
    e.host = &host;
    e.generation = host.timer_generation_;
    Push(std::move(e));
  }
}

void SimNetwork::SendFrom(SimHost& host, Transmit transmit) { HostSend(host, std::move(transmit)); }

void SimNetwork::HostSend(SimHost& host, Transmit transmit) {
  Datagram d{transmit.source, transmit.destination, std::move(transmit.payload)};
  if (!d.source.ip().is_set())
    d.source = SocketAddress(host.address(d.destination.family()), d.source.port());
  if (!d.source.ip().is_set() || !host.HasAddress(d.source.ip()) || d.source.port() == 0 ||
      d.source.family() != d.destination.family()) {
    ++host.stats_.dropped_bad_source;
    Trace(TraceKind::kBadSource, host.name_, d);
    return;
  }
  ++host.stats_.sent;
  Trace(TraceKind::kSend, host.name_, d);
  EnterLink(*host.uplink_, std::move(d));
}

void SimNetwork::DeliverToHost(SimHost& host, Datagram datagram) {
  ++host.stats_.received;
  Trace(TraceKind::kDeliver, host.name_, datagram);
  if (host.endpoint_ == nullptr) return;
  host.endpoint_->HandleInput(std::move(datagram), clock_.Now());
  Drain(host);
}

// ----- SimNetwork: links -----------------------------------------------------------------------------

void SimNetwork::EnterLink(SimLink& link, Datagram datagram) {
  const LinkConfig& c = link.config_;
  Timestamp now = clock_.Now();
  ++link.stats_.sent;
  link.stats_.bytes_sent += datagram.payload.size();
  if (c.loss > 0 && link.random_.Bernoulli(c.loss)) {
    ++link.stats_.dropped_loss;
    Trace(TraceKind::kLoss, link.name_, datagram);
    return;
  }
  int copies = 1;
  if (c.duplicate > 0 && link.random_.Bernoulli(c.duplicate)) {
    ++link.stats_.duplicated;
    Trace(TraceKind::kDuplicate, link.name_, datagram);
    copies = 2;
  }
  for (int i = 0; i < copies; ++i) {
    Timestamp departure = now;
    size_t size = datagram.payload.size();
    if (c.bandwidth_bps > 0) {
      while (!link.queue_.empty() && link.queue_.front().first <= now) {
        link.backlog_bytes_ -= link.queue_.front().second;
        link.queue_.pop_front();
      }
      if (link.backlog_bytes_ + size > c.queue_bytes) {
        ++link.stats_.dropped_queue;
        Trace(TraceKind::kQueueDrop, link.name_, datagram);
        continue;
      }
      if (link.busy_until_ <= now) {
        link.busy_until_ = now;
        link.carry_ = 0;
      }
      // Serialization time in microseconds, carrying the remainder so long runs keep the exact rate.
      uint64_t bit_us = static_cast<uint64_t>(size) * 8 * 1'000'000 + link.carry_;
      uint64_t bps = static_cast<uint64_t>(c.bandwidth_bps);
      link.carry_ = bit_us % bps;
      link.busy_until_ += Duration::Micros(static_cast<int64_t>(bit_us / bps));
      departure = link.busy_until_;
      link.queue_.emplace_back(departure, size);
      link.backlog_bytes_ += size;
      link.stats_.max_backlog_bytes = std::max(link.stats_.max_backlog_bytes, link.backlog_bytes_);
    }
    Timestamp arrival = departure + c.delay;
    if (c.jitter > Duration::Zero()) {
      arrival += Duration::Micros(static_cast<int64_t>(link.random_.Uniform(c.jitter.us() + 1)));
    }
    if (!c.jitter_reorders && arrival < link.last_arrival_) arrival = link.last_arrival_;
    if (arrival > link.last_arrival_) link.last_arrival_ = arrival;
    if (c.reorder > 0 && link.random_.Bernoulli(c.reorder)) arrival += c.reorder_delay;

    Event e;
    e.time = arrival;
    e.kind = EventKind::kArrival;
    e.link = &link;
    e.datagram = (i + 1 < copies) ? datagram : std::move(datagram);
    Push(std::move(e));
  }
}

void SimNetwork::Forward(SimLink& link, Datagram datagram) {
  switch (link.sink_) {
    case SimLink::Sink::kNetwork:
      Route(link.sink_index_, std::move(datagram));
      break;
    case SimLink::Sink::kHost:
      DeliverToHost(*hosts_[link.sink_index_], std::move(datagram));
      break;
    case SimLink::Sink::kNat:
      NatInbound(*nats_[link.sink_index_], std::move(datagram));
      break;
  }
}

void SimNetwork::Route(int network, Datagram datagram) {
  Network& net = networks_[network];
  auto it = net.routes.find(datagram.destination.ip());
  if (it != net.routes.end()) {
    auto [host, nat] = it->second;
    EnterLink(host != nullptr ? *host->downlink_ : *nat->downlink_, std::move(datagram));
    return;
  }
  if (net.owner != nullptr) {
    NatOutbound(*net.owner, std::move(datagram));
    return;
  }
  ++dropped_no_route_;
  Trace(TraceKind::kNoRoute, "internet", datagram);
}

// ----- SimNetwork: NATs ------------------------------------------------------------------------------

void SimNetwork::NatExpire(SimNat& nat, std::map<SimNat::MappingKey, SimNat::Mapping>::iterator it) {
  ++nat.stats_.mappings_expired;
  nat.by_external_.erase(it->second.external);
  nat.mappings_.erase(it);
}

bool SimNetwork::NatPortInUse(SimNat& nat, const SocketAddress& external) {
  auto it = nat.by_external_.find(external);
  if (it == nat.by_external_.end()) return false;
  auto m = nat.mappings_.find(it->second);
  if (clock_.Now() < m->second.expires) return true;
  NatExpire(nat, m);  // idle past the timeout: the port is free again
  return false;
}

std::optional<uint16_t> SimNetwork::NatAllocatePort(SimNat& nat, const IpAddress& external_ip,
                                                    uint16_t internal_port) {
  const NatBehavior& b = nat.behavior_;
  if (b.port_assignment == NatPortAssignment::kPreserve &&
      !NatPortInUse(nat, SocketAddress(external_ip, internal_port))) {
    return internal_port;
  }
  uint32_t range = uint32_t{b.port_max} - b.port_min + 1;
  if (b.port_assignment == NatPortAssignment::kRandom) {
    for (int attempt = 0; attempt < 64; ++attempt) {
      auto port = static_cast<uint16_t>(b.port_min + nat.random_.Uniform(range));
      if (!NatPortInUse(nat, SocketAddress(external_ip, port))) return port;
    }
  }
  // Sequential (also the fallback of the other two): the next free port after the previous one.
  for (uint32_t i = 0; i < range; ++i) {
    auto port = static_cast<uint16_t>(b.port_min + nat.next_port_);
    nat.next_port_ = (nat.next_port_ + 1) % range;
    if (!NatPortInUse(nat, SocketAddress(external_ip, port))) return port;
  }
  return std::nullopt;
}

SimNat::Mapping* SimNetwork::NatMapOutbound(SimNat& nat, const SocketAddress& internal,
                                            const SocketAddress& remote) {
  Timestamp now = clock_.Now();
  SimNat::MappingKey key = nat.KeyFor(internal, remote);
  auto it = nat.mappings_.find(key);
  if (it != nat.mappings_.end() && now >= it->second.expires) {
    NatExpire(nat, it);
    it = nat.mappings_.end();
  }
  if (it == nat.mappings_.end()) {
    IpAddress external_ip = nat.external_address(internal.family());
    if (!external_ip.is_set()) {
      ++nat.stats_.dropped_no_address;
      return nullptr;
    }
    std::optional<uint16_t> port = NatAllocatePort(nat, external_ip, internal.port());
    if (!port.has_value()) {
      ++nat.stats_.dropped_no_port;
      return nullptr;
    }
    SimNat::Mapping m;
    m.internal = internal;
    m.external = SocketAddress(external_ip, *port);
    it = nat.mappings_.emplace(key, std::move(m)).first;
    nat.by_external_.emplace(it->second.external, key);
    ++nat.stats_.mappings_created;
  }
  SimNat::Mapping& m = it->second;
  m.expires = now + nat.behavior_.mapping_timeout;
  m.permitted_ips.insert(remote.ip());
  m.permitted_remotes.insert(remote);
  return &m;
}

void SimNetwork::NatOutbound(SimNat& nat, Datagram datagram) {
  bool hairpin = datagram.destination.ip() == nat.external_address(datagram.destination.family());
  if (hairpin && !nat.behavior_.hairpinning) {
    ++nat.stats_.dropped_hairpin;
    Trace(TraceKind::kNatDrop, nat.name_, datagram);
    return;
  }
  SimNat::Mapping* m = NatMapOutbound(nat, datagram.source, datagram.destination);
  if (m == nullptr) {
    Trace(TraceKind::kNatDrop, nat.name_, datagram);
    return;
  }
  ++nat.stats_.outbound;
  datagram.source = m->external;
  if (hairpin) {
    ++nat.stats_.hairpinned;
    NatInbound(nat, std::move(datagram));  // filtered like any inbound datagram
    return;
  }
  EnterLink(*nat.uplink_, std::move(datagram));
}

void SimNetwork::NatInbound(SimNat& nat, Datagram datagram) {
  auto by = nat.by_external_.find(datagram.destination);
  if (by == nat.by_external_.end()) {
    ++nat.stats_.dropped_no_mapping;
    Trace(TraceKind::kNatDrop, nat.name_, datagram);
    return;
  }
  auto it = nat.mappings_.find(by->second);
  if (clock_.Now() >= it->second.expires) {
    NatExpire(nat, it);
    ++nat.stats_.dropped_no_mapping;
    Trace(TraceKind::kNatDrop, nat.name_, datagram);
    return;
  }
  SimNat::Mapping& m = it->second;
  bool allowed = true;
  switch (nat.behavior_.filtering) {
    case NatFiltering::kEndpointIndependent:
      break;
    case NatFiltering::kAddressDependent:
      allowed = m.permitted_ips.count(datagram.source.ip()) > 0;
      break;
    case NatFiltering::kAddressAndPortDependent:
      allowed = m.permitted_remotes.count(datagram.source) > 0;
      break;
  }
  if (!allowed) {
    ++nat.stats_.dropped_filtered;
    Trace(TraceKind::kNatDrop, nat.name_, datagram);
    return;
  }
  ++nat.stats_.inbound;
  if (nat.behavior_.inbound_refresh) m.expires = clock_.Now() + nat.behavior_.mapping_timeout;
  datagram.destination = m.internal;
  Route(nat.inside_network_, std::move(datagram));
}

// ----- Seeds -----------------------------------------------------------------------------------------

uint64_t TestSeed(uint64_t fallback) {
  const char* text = std::getenv("TERN_SIM_SEED");
  if (text == nullptr || *text == '\0') return fallback;
  char* end = nullptr;
  unsigned long long v = std::strtoull(text, &end, 0);
  if (end == nullptr || *end != '\0') {
    std::fprintf(stderr, "TERN_SIM_SEED=%s is not a number; using %llu\n", text,
                 static_cast<unsigned long long>(fallback));
    return fallback;
  }
  return static_cast<uint64_t>(v);
}

}  // namespace tern::testing
