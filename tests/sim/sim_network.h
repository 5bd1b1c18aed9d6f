// A deterministic network simulator that drives sans-IO cores (DESIGN.md §Testing): virtual time, one
// seed for every random choice, links with delay, jitter, loss, reordering, duplication and a rate-limited
// tail-drop queue, and NAT boxes with the RFC 4787 mapping (§4.1), filtering (§5), mapping-refresh (§4.3),
// port-assignment (§4.2) and hairpinning (§6) behaviours.
//
// Topology. The public network (the "Internet") is one flat address space. Every host and NAT attaches to
// exactly one network through an access link with two directions: `uplink` (node -> network) and
// `downlink` (network -> node). A NAT owns a private network behind it; hosts and other NATs (nesting)
// attach there. A datagram from A to B crosses A's uplink, then the routers of the networks on the way
// (NATs translate as it leaves or enters their private network, with no delay of their own), then every
// further NAT's access link, then B's downlink.
//
// Driving cores. A host has at most one Endpoint, which receives every datagram sent to any port of any
// of the host's addresses. The simulator follows the sans-IO drain rule: after every HandleInput and
// HandleTimeout it calls PollTransmit until it returns nothing, then asks NextTimeout and schedules a
// HandleTimeout at that time (only the latest answer counts). Code outside the simulator that changes an
// endpoint (e.g. a test starting a transaction) calls Wake() so the simulator drains it again.
//
// Determinism. Time is virtual (nothing reads the wall clock) and events run in (time, sequence number)
// order, so simultaneous events run in the order they were scheduled. Each link and NAT draws from its own
// SeededRandom derived from the network seed, so a run replays bit for bit from its seed, and changing one
// link's settings does not perturb the random choices of the others. trace_digest() summarises a run.
//
//   tern::testing::SimNetwork sim(seed);
//   SimNat& nat = sim.AddNat("nat", {.external_addresses = {ip("203.0.113.1")},
//                                    .behavior = NatBehavior::PortRestrictedCone()});
//   SimHost& client = sim.AddHost("client", {.addresses = {ip("192.168.1.2")}, .behind = &nat});
//   SimHost& server = sim.AddHost("server", {.addresses = {ip("198.51.100.1")}}, &stun_server);
//   sim.SetEndpoint(client, &stun_client);
//   sim.RunUntil([&] { return stun_client.done(); }, sim.Now() + Duration::Seconds(40));
#ifndef TERN_TESTS_SIM_SIM_NETWORK_H_
#define TERN_TESTS_SIM_SIM_NETWORK_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tern/base/ip_address.h"
#include "tern/base/random.h"
#include "tern/base/time.h"

namespace tern::testing {

// A datagram that arrived, with its 5-tuple (the transport is always UDP here).
struct Datagram {
  SocketAddress source;
  SocketAddress destination;
  std::vector<uint8_t> payload;
};

// A datagram an endpoint wants sent. `source` must be one of the host's addresses with a non-zero port;
// an unset source IP means the host's first address of the destination's family.
struct Transmit {
  SocketAddress source;
  SocketAddress destination;
  std::vector<uint8_t> payload;
};

// The sans-IO contract (DESIGN.md §Sans-IO cores) as the simulator calls it.
class Endpoint {
 public:
  virtual ~Endpoint() = default;
  virtual void HandleInput(Datagram datagram, Timestamp now) = 0;
  virtual void HandleTimeout(Timestamp /*now*/) = 0;
  virtual std::optional<Transmit> PollTransmit() = 0;
  virtual std::optional<Timestamp> NextTimeout() const = 0;
};

// An endpoint for tests: records what it receives; sends what it is given (call SimNetwork::Wake after
// Send); optionally echoes every datagram back to its sender.
class RecordingEndpoint final : public Endpoint {
 public:
  struct Received {
    Timestamp time;
    Datagram datagram;
  };

  void Send(Transmit transmit) { outbox_.push_back(std::move(transmit)); }
  void set_echo(bool echo) { echo_ = echo; }
  const std::vector<Received>& received() const { return received_; }
  void clear() { received_.clear(); }

  void HandleInput(Datagram datagram, Timestamp now) override;
  void HandleTimeout(Timestamp /*now*/) override {}
  std::optional<Transmit> PollTransmit() override;
  std::optional<Timestamp> NextTimeout() const override { return std::nullopt; }

 private:
  std::vector<Received> received_;
  std::deque<Transmit> outbox_;
  bool echo_ = false;
};

// One direction of an access link. A datagram entering it goes through, in order: loss, duplication (the
// copy then travels independently), the rate limiter's queue, then propagation delay plus jitter plus an
// optional reordering hold-back.
struct LinkConfig {
  Duration delay = Duration::Zero();   // one-way propagation delay
  Duration jitter = Duration::Zero();  // extra delay, uniform in [0, jitter]
  // True: each datagram's jitter is independent, so datagrams may overtake each other (like netem).
  // False: a datagram never arrives before one that entered the link earlier.
  bool jitter_reorders = true;
  double loss = 0;       // probability a datagram is dropped
  double duplicate = 0;  // probability a datagram is sent twice
  double reorder = 0;    // probability a datagram is held back by reorder_delay
  Duration reorder_delay = Duration::Millis(10);
  int64_t bandwidth_bps = 0;       // serialization rate in bits/s; 0 = unlimited (no queue)
  size_t queue_bytes = 64 * 1024;  // with a bandwidth: most bytes waiting or in service; tail drop
};

struct LinkStats {
  uint64_t sent = 0;       // datagrams that entered the link (copies not counted)
  uint64_t delivered = 0;  // datagrams (copies included) that came out of the far end
  uint64_t dropped_loss = 0;
  uint64_t dropped_queue = 0;  // tail drops of the rate limiter
  uint64_t duplicated = 0;     // extra copies made
  uint64_t bytes_sent = 0;
  uint64_t bytes_delivered = 0;
  size_t max_backlog_bytes = 0;  // the rate limiter's largest backlog, including the arriving datagram
};

class SimLink {
 public:
  const std::string& name() const { return name_; }  // "<node>.up" or "<node>.down"
  const LinkConfig& config() const { return config_; }
  // Applies to datagrams entering from now on; those in flight keep their schedule.
  void set_config(const LinkConfig& config) { config_ = config; }
  const LinkStats& stats() const { return stats_; }
  // sent + duplicated - delivered - dropped: datagrams queued or propagating now.
  uint64_t in_flight() const {
    return stats_.sent + stats_.duplicated - stats_.delivered - stats_.dropped_loss - stats_.dropped_queue;
  }

 private:
  friend class SimNetwork;
  enum class Sink { kNetwork, kHost, kNat };
  SimLink(std::string name, LinkConfig config, uint64_t seed, Sink sink, int sink_index)
      : name_(std::move(name)), config_(config), random_(seed), sink_(sink), sink_index_(sink_index) {}

  std::string name_;
  LinkConfig config_;
  LinkStats stats_;
  SeededRandom random_;
  Sink sink_;
  int sink_index_;  // a network, host or NAT index
  // Rate limiter: when the transmitter is free again, the sub-microsecond remainder carried over
  // (in bit-microseconds), and the departure time and size of every datagram not yet serialized.
  Timestamp busy_until_;
  uint64_t carry_ = 0;
  std::deque<std::pair<Timestamp, size_t>> queue_;
  size_t backlog_bytes_ = 0;
  Timestamp last_arrival_;  // for jitter_reorders == false
};

class SimNat;

struct HostOptions {
  std::vector<IpAddress> addresses;  // v4 and/or v6; unique within the network the host attaches to
  SimNat* behind = nullptr;          // nullptr: on the public network
  LinkConfig uplink;                 // host -> network
  LinkConfig downlink;               // network -> host
};

struct HostStats {
  uint64_t sent = 0;                // transmits accepted from the endpoint (or SendFrom)
  uint64_t received = 0;            // datagrams that reached the host
  uint64_t dropped_bad_source = 0;  // transmits whose source is not one of the host's addresses
};

class SimHost {
 public:
  const std::string& name() const { return name_; }
  const std::vector<IpAddress>& addresses() const { return addresses_; }
  // The first address of `family`, or an unset one.
  IpAddress address(IpFamily family = IpFamily::kV4) const;
  // address(family) with a port.
  SocketAddress At(uint16_t port, IpFamily family = IpFamily::kV4) const {
    return SocketAddress(address(family), port);
  }
  bool HasAddress(const IpAddress& ip) const;
  Endpoint* endpoint() const { return endpoint_; }
  SimNat* behind() const { return behind_; }
  SimLink& uplink() { return *uplink_; }
  SimLink& downlink() { return *downlink_; }
  const HostStats& stats() const { return stats_; }

 private:
  friend class SimNetwork;
  SimHost() = default;

  int index_ = 0;
  std::string name_;
  std::vector<IpAddress> addresses_;
  SimNat* behind_ = nullptr;
  int network_ = 0;
  Endpoint* endpoint_ = nullptr;
  std::unique_ptr<SimLink> uplink_;
  std::unique_ptr<SimLink> downlink_;
  HostStats stats_;
  // The pending HandleTimeout: its time and the generation that invalidates older timer events.
  std::optional<Timestamp> timer_;
  uint64_t timer_generation_ = 0;
};

// RFC 4787 §4.1: what a mapping (internal address:port -> external address:port) is reused for.
enum class NatMapping {
  kEndpointIndependent,      // any remote
  kAddressDependent,         // remotes with the same IP address
  kAddressAndPortDependent,  // the same remote address and port ("symmetric")
};

// RFC 4787 §5: which inbound datagrams a mapping lets through.
enum class NatFiltering {
  kEndpointIndependent,      // from anyone
  kAddressDependent,         // from an IP address the internal endpoint has sent to
  kAddressAndPortDependent,  // from an address:port the internal endpoint has sent to
};

// RFC 4787 §4.2.1: how a new mapping's external port is chosen.
enum class NatPortAssignment {
  kPreserve,    // the internal port when it is free on the external address, else kSequential
  kSequential,  // the next free port after the previous assignment, in [port_min, port_max]
  kRandom,      // a random free port in [port_min, port_max], from the NAT's seeded stream
};

std::string_view NatMappingName(NatMapping mapping);              // "EIM", "ADM", "APDM"
std::string_view NatFilteringName(NatFiltering filtering);        // "EIF", "ADF", "APDF"
std::string_view NatPortAssignmentName(NatPortAssignment ports);  // "Preserve", …

struct NatBehavior {
  NatMapping mapping = NatMapping::kEndpointIndependent;
  NatFiltering filtering = NatFiltering::kAddressAndPortDependent;
  NatPortAssignment port_assignment = NatPortAssignment::kPreserve;
  // RFC 4787 §4.3: a mapping idle this long (no refreshing traffic) is gone. REQ-5 asks for >= 2 min.
  Duration mapping_timeout = Duration::Seconds(120);
  // Outbound traffic always refreshes a mapping (REQ-6); inbound traffic only when this is set.
  bool inbound_refresh = false;
  // RFC 4787 §6 REQ-9: an internal host can reach another internal host through its mapped address;
  // the datagram arrives with the sender's mapped address as its source and is filtered like inbound.
  bool hairpinning = false;
  uint16_t port_min = 1024;
  uint16_t port_max = 65535;

  // The classic (RFC 3489) names.
  static NatBehavior FullCone();            // EIM + EIF
  static NatBehavior RestrictedCone();      // EIM + ADF
  static NatBehavior PortRestrictedCone();  // EIM + APDF
  static NatBehavior Symmetric();           // APDM + APDF, sequential ports
};

struct NatOptions {
  std::vector<IpAddress> external_addresses;  // at most one per family
  NatBehavior behavior;
  SimNat* behind = nullptr;  // nullptr: on the public network; else nested behind another NAT
  LinkConfig uplink;         // NAT -> outer network
  LinkConfig downlink;       // outer network -> NAT
};

struct NatStats {
  uint64_t outbound = 0;  // datagrams translated on the way out (hairpinned ones too)
  uint64_t inbound = 0;   // datagrams translated on the way in (hairpinned ones too)
  uint64_t mappings_created = 0;
  uint64_t mappings_expired = 0;    // found idle past the timeout (expiry is noticed lazily)
  uint64_t dropped_no_mapping = 0;  // inbound to an external port with no live mapping
  uint64_t dropped_filtered = 0;    // inbound refused by the filtering behaviour
  uint64_t hairpinned = 0;
  uint64_t dropped_hairpin = 0;     // internal -> own external address with hairpinning off
  uint64_t dropped_no_address = 0;  // no external address of the datagram's family
  uint64_t dropped_no_port = 0;     // every port in [port_min, port_max] is taken
};

class SimNat {
 public:
  const std::string& name() const { return name_; }
  const std::vector<IpAddress>& external_addresses() const { return external_addresses_; }
  IpAddress external_address(IpFamily family = IpFamily::kV4) const;
  const NatBehavior& behavior() const { return behavior_; }
  SimNat* behind() const { return behind_; }
  SimLink& uplink() { return *uplink_; }
  SimLink& downlink() { return *downlink_; }
  const NatStats& stats() const { return stats_; }

  // The external address of the live mapping that traffic from `internal` to `remote` would use now, if
  // there is one. Does not refresh or create anything.
  std::optional<SocketAddress> FindMapping(const SocketAddress& internal, const SocketAddress& remote) const;
  // Mappings not yet idle past the timeout.
  size_t ActiveMappings() const;

 private:
  friend class SimNetwork;
  struct Mapping {
    SocketAddress internal;
    SocketAddress external;
    Timestamp expires;
    std::set<IpAddress> permitted_ips;          // remote IPs the internal endpoint sent to
    std::set<SocketAddress> permitted_remotes;  // remote address:ports the internal endpoint sent to
  };
  // (internal address, the part of the remote address the mapping behaviour keys on).
  using MappingKey = std::pair<SocketAddress, SocketAddress>;

  SimNat(const Clock* clock, uint64_t seed) : clock_(clock), random_(seed) {}
  MappingKey KeyFor(const SocketAddress& internal, const SocketAddress& remote) const;

  const Clock* clock_;
  int index_ = 0;
  std::string name_;
  std::vector<IpAddress> external_addresses_;
  NatBehavior behavior_;
  SimNat* behind_ = nullptr;
  int network_ = 0;         // where the external side attaches
  int inside_network_ = 0;  // the private network it owns
  std::unique_ptr<SimLink> uplink_;
  std::unique_ptr<SimLink> downlink_;
  NatStats stats_;
  SeededRandom random_;
  std::map<MappingKey, Mapping> mappings_;
  std::map<SocketAddress, MappingKey> by_external_;
  uint32_t next_port_ = 0;  // for kSequential; 0 = port_min
};

enum class TraceKind {
  kSend,       // a host put a datagram on its uplink (where = host)
  kDeliver,    // a datagram reached a host (where = host)
  kLoss,       // a link dropped it (where = link)
  kQueueDrop,  // a link's queue was full (where = link)
  kDuplicate,  // a link made a copy (where = link)
  kNoRoute,    // nothing owns the destination address (where = network owner or "internet")
  kNatDrop,    // a NAT refused it: no mapping, filtered, hairpin off, no address or port (where = NAT)
  kBadSource,  // a transmit's source is not the host's (where = host)
};
std::string_view TraceKindName(TraceKind kind);

struct TraceEvent {
  Timestamp time;
  TraceKind kind;
  std::string_view where;
  const Datagram& datagram;  // as it is at that point (addresses already translated by NATs on the way)
};
using TraceHook = std::function<void(const TraceEvent&)>;

class SimNetwork {
 public:
  explicit SimNetwork(uint64_t seed, Timestamp start = Timestamp::Seconds(1));
  ~SimNetwork();
  SimNetwork(const SimNetwork&) = delete;
  SimNetwork& operator=(const SimNetwork&) = delete;

  uint64_t seed() const { return seed_; }
  Timestamp Now() const { return clock_.Now(); }
  const Clock& clock() const { return clock_; }
  // An independent deterministic stream for an endpoint, derived from the seed and a label.
  SeededRandom ForkRandom(std::string_view label) const;

  // Topology. Names are for traces and messages. Aborts (with the seed) on a duplicate address.
  // The endpoint, if any, is not owned and must outlive the network or be detached with
  // SetEndpoint(host, nullptr). References stay valid for the network's lifetime.
  SimHost& AddHost(std::string name, HostOptions options, Endpoint* endpoint = nullptr);
  SimNat& AddNat(std::string name, NatOptions options);
  // Attaches (or replaces) a host's endpoint and drains it (Wake).
  void SetEndpoint(SimHost& host, Endpoint* endpoint);

  // Drains the host's endpoint now: PollTransmit until empty, then reschedules its NextTimeout.
  void Wake(SimHost& host);
  // Sends a datagram from the host as if its endpoint had (for hosts without one, or extra traffic).
  void SendFrom(SimHost& host, Transmit transmit);
  // Runs `action` at time `at` (now if earlier), ordered with the other events.
  void Schedule(Timestamp at, std::function<void()> action);

  // Running. Each processes events in (time, sequence) order.
  // Every event up to and including `deadline`; then the clock reads `deadline`.
  void RunUntil(Timestamp deadline);
  void RunFor(Duration duration) { RunUntil(Now() + duration); }
  // Until `done()` holds (checked first and after every event) or the deadline passes. Returns done();
  // on success the clock reads the time of the event that made it true.
  bool RunUntil(const std::function<bool()>& done, Timestamp deadline);
  // One event; false when none is pending.
  bool Step();
  std::optional<Timestamp> NextEventTime() const;
  size_t pending_events() const { return events_.size(); }

  // Tracing. The hook sees every event as it happens; the digest is an FNV-1a hash of all of them (kind,
  // time, place, addresses, payload), so two runs are identical exactly when their digests match.
  void SetTraceHook(TraceHook hook) { trace_hook_ = std::move(hook); }
  uint64_t trace_digest() const { return digest_; }
  uint64_t dropped_no_route() const { return dropped_no_route_; }

 private:
  struct Network {
    SimNat* owner = nullptr;  // nullptr: the public network
    // Who owns each address: a host or (on its external side) a NAT.
    std::map<IpAddress, std::pair<SimHost*, SimNat*>> routes;
  };
  enum class EventKind { kArrival, kTimer, kAction };
  struct Event {
    Timestamp time;
    uint64_t sequence = 0;
    EventKind kind = EventKind::kAction;
    SimLink* link = nullptr;       // kArrival
    Datagram datagram;             // kArrival
    SimHost* host = nullptr;       // kTimer
    uint64_t generation = 0;       // kTimer
    std::function<void()> action;  // kAction
  };
  struct EventLater {
    bool operator()(const Event& a, const Event& b) const {
      return a.time != b.time ? a.time > b.time : a.sequence > b.sequence;
    }
  };

  void Push(Event event);
  [[noreturn]] void Fail(const std::string& message) const;
  void Trace(TraceKind kind, std::string_view where, const Datagram& datagram);
  void Register(int network, const IpAddress& ip, SimHost* host, SimNat* nat, const std::string& name);
  std::unique_ptr<SimLink> MakeLink(std::string name, const LinkConfig& config, SimLink::Sink sink,
                                    int sink_index);

  void Drain(SimHost& host);
  void HostSend(SimHost& host, Transmit transmit);
  void EnterLink(SimLink& link, Datagram datagram);
  void Forward(SimLink& link, Datagram datagram);  // a datagram came out of a link
  void Route(int network, Datagram datagram);
  void DeliverToHost(SimHost& host, Datagram datagram);
  void NatOutbound(SimNat& nat, Datagram datagram);
  void NatInbound(SimNat& nat, Datagram datagram);
  // The live mapping for internal -> remote, created if needed and refreshed; nullptr when out of
  // addresses or ports.
  SimNat::Mapping* NatMapOutbound(SimNat& nat, const SocketAddress& internal, const SocketAddress& remote);
  std::optional<uint16_t> NatAllocatePort(SimNat& nat, const IpAddress& external_ip, uint16_t internal_port);
  bool NatPortInUse(SimNat& nat, const SocketAddress& external);
  void NatExpire(SimNat& nat, std::map<SimNat::MappingKey, SimNat::Mapping>::iterator it);

  uint64_t seed_;
  ManualClock clock_;
  uint64_t next_sequence_ = 0;
  uint64_t next_stream_ = 0;
  std::vector<Event> events_;  // a heap under EventLater
  std::vector<Network> networks_;
  std::vector<std::unique_ptr<SimHost>> hosts_;
  std::vector<std::unique_ptr<SimNat>> nats_;
  TraceHook trace_hook_;
  uint64_t digest_;
  uint64_t dropped_no_route_ = 0;
  // Livelock guard: events processed at the current instant.
  Timestamp guard_time_;
  uint64_t guard_count_ = 0;
};

// The seed a test should use: the TERN_SIM_SEED environment variable (decimal or 0x-hex) when set, so a
// failing run can be replayed from the seed it printed, else `fallback`.
uint64_t TestSeed(uint64_t fallback);

}  // namespace tern::testing

#endif  // TERN_TESTS_SIM_SIM_NETWORK_H_
