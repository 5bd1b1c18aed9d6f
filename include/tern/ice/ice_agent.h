// The sans-IO ICE agent for one component (RFC 8445 full and lite, RFC 8838 trickle ICE, RFC 7675
// consent freshness, RFC 6544 passive TCP host candidates, RFC 8421 dual-stack preferences).
//
// Contract (DESIGN.md): feed it datagrams (HandleInput) and time (HandleTimeout); after every call,
// drain PollTransmit() and PollEvent() until they return nothing, then ask NextTimeout() and call
// HandleTimeout at that time. The agent never opens sockets, never reads a clock and never enumerates
// interfaces: the owner (lib/net's runtime, a test) binds the sockets and passes their addresses in.
//
// Routing of transmits:
//  - host, server- and peer-reflexive candidates: Transmit::local is the candidate's base, the bound
//    socket to send from; Transmit::remote is the peer.
//  - relay candidates (RFC 8445 §5.1.1.2, fed by a TURN client through AddLocalRelayCandidate):
//    Transmit::local is the *relayed* address. RouteOf(transmit.local) then returns the TURN server
//    the owner must send through: it wraps the payload for transmit.remote in a ChannelData message or
//    a Send indication on its allocation. Data the TURN client unwraps comes back in as a Datagram with
//    local = the relayed address and remote = the peer.
//  - TCP (protocol kTcp): every Datagram and Transmit payload is exactly one RFC 4571 frame (the 2-byte
//    length included): the owner splits its stream with Rfc4571FrameSize() and writes transmits as-is.
//
// Datagram::local must be one of the agent's sockets (a configured host or TCP address, a relayed
// address, or the pre-restart path's socket) or unset when the runtime cannot tell (replies then leave
// Transmit::local unset too); datagrams on any other local address are dropped.
//
// Demultiplexing: STUN messages (RFC 7983 first byte 0-3 and a magic cookie) are the agent's; any
// other datagram from a known remote candidate is handed up as IceDataReceived with its 5-tuple.
//
// Liveness: on the selected pair a full agent sends a consent check (RFC 7675 §5.1) every 5 s ±20%, and
// sooner once the pair has been silent for half the disconnected timeout; these also serve as the
// RFC 8445 §11 keepalives. Silence for `disconnected_timeout` makes the state disconnected and re-checks
// the other pairs (the controlling agent then nominates a live one); no authenticated response for
// `consent_timeout` (30 s) loses consent: Send() is refused and the state becomes failed unless another
// pair takes over. A lite agent sends nothing and goes by the peer's checks.
//
// Security (RFC 8445 §7.3, RFC 7675 §5): a check allocates nothing before USERNAME and
// MESSAGE-INTEGRITY verify; responses are accepted only for outstanding transaction ids, from the
// address the request went to, with integrity; requests from unknown sources pass a token bucket before
// any HMAC is computed; remote candidates and pairs are capped; error responses are never larger than
// the request they answer.
#ifndef TERN_ICE_ICE_AGENT_H_
#define TERN_ICE_ICE_AGENT_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "tern/base/byte_io.h"
#include "tern/base/datagram.h"
#include "tern/base/ip_address.h"
#include "tern/base/random.h"
#include "tern/base/time.h"
#include "tern/ice/candidate.h"

namespace tern::ice {

enum class IceRole : uint8_t { kControlling, kControlled };
enum class IceMode : uint8_t { kFull, kLite };
// W3C RTCIceConnectionState.
enum class IceConnectionState : uint8_t {
  kNew,
  kChecking,
  kConnected,
  kCompleted,
  kFailed,
  kDisconnected,
  kClosed
};
enum class IceGatheringState : uint8_t { kNew, kGathering, kComplete };
std::string_view IceRoleName(IceRole role);
std::string_view IceConnectionStateName(IceConnectionState state);

// RFC 8445 §5.3: ufrag of at least 4 and pwd of at least 22 ice-chars (tern makes 8 and 24, i.e. 48
// and 144 bits of entropy).
struct IceCredentials {
  std::string ufrag;
  std::string pwd;
  static IceCredentials Generate(Random& random);
  // Valid ice-chars and lengths (ufrag 4..256, pwd 22..256).
  bool IsValid() const;
  friend bool operator==(const IceCredentials&, const IceCredentials&) = default;
};

// Resolves remote ".local" host names (mDNS, draft-ietf-mmusic-mdns-ice-candidates). Resolve() starts
// a query and returns at once; the owner later calls IceAgent::HandleMdnsResult with the answer. The
// agent keeps at most a few unresolved candidates; without a resolver it drops them with an
// IceCandidateDropped event.
class MdnsResolver {
 public:
  virtual ~MdnsResolver() = default;
  virtual void Resolve(std::string_view hostname) = 0;
};

struct IceAgentConfig {
  IceRole role = IceRole::kControlling;  // a lite agent is always controlled (RFC 8445 §6.1.1)
  IceMode mode = IceMode::kFull;
  std::optional<IceCredentials> local_credentials;  // generated from the Random when unset
  // UDP sockets the owner has bound, one host candidate each (unspecified IPs are refused).
  std::vector<SocketAddress> host_addresses;
  // Listening TCP sockets: one passive TCP host candidate each (RFC 6544 §4.1).
  std::vector<SocketAddress> tcp_passive_addresses;
  // STUN servers for server-reflexive candidates (Binding requests from each host address of the
  // server's family). Not used in lite mode.
  std::vector<SocketAddress> stun_servers;
  // TURN allocations the owner makes for this agent (its relay candidates arrive later through
  // AddLocalRelayCandidate). Gathering is complete, and the agent may declare failure after the
  // peer's end-of-candidates, only once RelayAllocationDone() was called that many times: without
  // this, a relay-only agent would finish gathering with no candidate at all and fail before its
  // allocation comes back.
  int pending_relay_allocations = 0;

  Duration ta = Duration::Millis(50);        // pacing: one new check per Ta (§14.1)
  Duration min_rto = Duration::Millis(500);  // §14.3 RTO floor
  Duration max_rto = Duration::Seconds(2);   // cap of the doubling RTO
  int max_transmissions = 7;                 // per check or Binding request (Rc)
  // Regular nomination: the controlling agent nominates the best valid pair once no better pair is
  // still being checked, or at the latest this long after the first pair became valid.
  Duration nomination_delay = Duration::Millis(1500);
  // RFC 8445 §8.1.1 puts the nominating check (USE-CANDIDATE) in the triggered-check queue, which
  // §6.1.4.2 serves one check per Ta; taken literally, every connection waits up to one Ta (50 ms)
  // after its first pair is valid. By default tern sends the nomination at once instead (as Pion and
  // browsers effectively do): it is a single check on a pair that has just proven to work, so it
  // adds no load on unverified paths, and it takes no Ta slot. true: the literal paced behaviour.
  bool pace_nomination = false;
  // After nominating, keep checking and re-nominate a strictly better pair that becomes valid later
  // (a late trickled candidate). A tern controlled agent follows the better nomination.
  bool renominate_better_pairs = true;
  Duration consent_interval = Duration::Seconds(5);      // RFC 7675 §5.1, randomized ±20%
  Duration consent_timeout = Duration::Seconds(30);      // RFC 7675 §5.1
  Duration disconnected_timeout = Duration::Seconds(5);  // silence on the selected pair
  // Lite agents send nothing: they watch for the peer's checks, which come every ~5 s.
  Duration lite_disconnected_timeout = Duration::Seconds(8);

  size_t max_remote_candidates = 64;  // including peer-reflexive ones
  size_t max_pairs = 100;             // §6.1.2.5
  size_t max_pending_mdns = 8;
  // Token bucket for requests from addresses that are not a known remote candidate (checked before the
  // HMAC): burst and refill per second.
  double unknown_source_burst = 100;
  double unknown_source_rate = 100;
  MdnsResolver* mdns_resolver = nullptr;  // not owned
  std::string software;                   // SOFTWARE attribute in requests; empty: none
};

// A candidate pair as the agent reports it.
struct IceCandidatePair {
  Candidate local;
  Candidate remote;
  uint64_t priority = 0;
  // Where the bytes go: the socket (base, or relayed address for a relay candidate) and the peer.
  SocketAddress local_base;
  friend bool operator==(const IceCandidatePair&, const IceCandidatePair&) = default;
};

// RFC 8445 §6.1.2.6 check-list states.
enum class IceCandidatePairState : uint8_t { kFrozen, kWaiting, kInProgress, kSucceeded, kFailed };
std::string_view IceCandidatePairStateName(IceCandidatePairState state);

// One entry of the check list or valid list, for stats and tests.
struct IceCandidatePairStats {
  IceCandidatePair pair;
  IceCandidatePairState state = IceCandidatePairState::kFrozen;
  bool in_check_list = true;  // false: a valid pair built from a mapped address (§7.2.5.3.2)
  bool valid = false;
  bool nominated = false;
  bool selected = false;
};

struct IceCandidateGathered {
  Candidate candidate;  // signal it to the peer (trickle ICE)
};
struct IceGatheringComplete {};  // signal end-of-candidates
struct IceStateChanged {
  IceConnectionState state;
};
struct IceSelectedPairChanged {
  IceCandidatePair pair;
};
struct IceRoleChanged {
  IceRole role;  // the new role after a role conflict (RFC 8445 §7.2.5.1, §7.3.1.1)
};
struct IceDataReceived {
  SocketAddress local;  // the socket (or relayed address) it arrived on
  SocketAddress remote;
  TransportProtocol protocol = TransportProtocol::kUdp;
  std::vector<uint8_t> payload;
  bool on_selected_pair = false;
};
struct IceCandidateDropped {
  Candidate candidate;
  std::string reason;
};
using IceEvent = std::variant<IceCandidateGathered, IceGatheringComplete, IceStateChanged,
                              IceSelectedPairChanged, IceRoleChanged, IceDataReceived, IceCandidateDropped>;

// Counters for tests, stats and the fuzzer.
struct IceAgentStats {
  uint64_t checks_sent = 0;  // first transmissions of connectivity checks
  uint64_t retransmissions = 0;
  uint64_t requests_received = 0;
  uint64_t responses_sent = 0;
  uint64_t error_responses_sent = 0;
  uint64_t dropped_not_stun = 0;         // non-STUN from an unknown source
  uint64_t dropped_bad_stun = 0;         // unparsable / bad FINGERPRINT
  uint64_t dropped_rate_limited = 0;     // unknown-source requests over the token bucket
  uint64_t dropped_unauthenticated = 0;  // wrong USERNAME or MESSAGE-INTEGRITY
  uint64_t dropped_unknown_transaction = 0;
  uint64_t dropped_unknown_local = 0;  // Datagram::local is set but none of the agent's sockets
  uint64_t role_conflicts = 0;
  uint64_t consent_checks_sent = 0;
};

class IceAgent {
 public:
  // `random` must outlive the agent. The config is validated by Start().
  IceAgent(IceAgentConfig config, Random& random);
  ~IceAgent();
  IceAgent(const IceAgent&) = delete;
  IceAgent& operator=(const IceAgent&) = delete;

  // Gathers: emits the host candidates at once and starts the STUN Binding transactions for
  // server-reflexive ones. InvalidArgument for a bad config (unset or duplicate addresses, bad
  // credentials); FailedPrecondition when already started.
  absl::Status Start(Timestamp now);

  const IceCredentials& local_credentials() const;
  IceRole role() const;
  IceMode mode() const;
  uint64_t tie_breaker() const;
  IceConnectionState state() const;
  IceGatheringState gathering_state() const;

  // The peer's ufrag/pwd (from its SDP). Setting different ones on an agent that already has remote
  // credentials is a remote ICE restart: the agent restarts itself too if RestartIce() was not called
  // since (read the new local_credentials() to answer).
  absl::Status SetRemoteCredentials(const IceCredentials& credentials, Timestamp now);
  // The peer is an ICE-lite agent (a=ice-lite): this full agent takes the controlling role.
  void SetRemoteLite(bool lite);
  // A trickled or SDP candidate of the peer. Candidates of another component or an unusable transport
  // are refused (InvalidArgument); a ".local" name goes to the MdnsResolver (or is dropped with an
  // event); beyond max_remote_candidates: ResourceExhausted.
  absl::Status AddRemoteCandidate(const Candidate& candidate, Timestamp now);
  // The peer's end-of-candidates (RFC 8838 §8.2): lets the agent declare failure.
  void SetRemoteEndOfCandidates(Timestamp now);
  // The answer to MdnsResolver::Resolve(hostname); nullopt when the name did not resolve.
  void HandleMdnsResult(std::string_view hostname, std::optional<IpAddress> address, Timestamp now);

  // A relay candidate allocated by a TURN client: `relayed` is the XOR-RELAYED-ADDRESS, `server` the
  // TURN server it is reached through (what RouteOf returns), `mapped` the allocation's
  // XOR-MAPPED-ADDRESS (signaled as raddr; unset: 0.0.0.0:0 as browsers do). Emitted as
  // IceCandidateGathered. Relay candidates survive an ICE restart.
  absl::Status AddLocalRelayCandidate(const SocketAddress& relayed, const SocketAddress& server,
                                      Timestamp now, const SocketAddress& mapped = {});
  // One of config.pending_relay_allocations finished: after its AddLocalRelayCandidate calls, or
  // without any when the allocation failed. Completes gathering when it was the last thing pending.
  // Extra calls are ignored.
  void RelayAllocationDone(Timestamp now);
  // For a Transmit::local: the TURN server to relay through, or nullopt for a direct send.
  std::optional<SocketAddress> RouteOf(const SocketAddress& local) const;

  // ICE restart (RFC 8445 §9): new local ufrag/pwd, fresh candidates and checks; the current selected
  // pair keeps carrying Send() and answering consent with the old credentials until a pair of the new
  // generation is selected. Host addresses may change first with SetHostAddresses (an address change).
  absl::Status RestartIce(Timestamp now);
  // Replaces config.host_addresses for the next RestartIce (the old sockets keep working until then).
  void SetHostAddresses(std::vector<SocketAddress> addresses);

  // Sans-IO contract.
  void HandleInput(const Datagram& datagram, Timestamp now);
  void HandleTimeout(Timestamp now);
  std::optional<Transmit> PollTransmit();
  std::optional<IceEvent> PollEvent();
  std::optional<Timestamp> NextTimeout() const;

  // Sends application data on the selected pair. FailedPrecondition when there is none (or consent
  // was lost: RFC 7675 §5.1 forbids sending then).
  absl::Status Send(ByteSpan payload, Timestamp now);
  // The same, taking the buffer: over UDP it becomes the Transmit's payload without a copy.
  absl::Status Send(std::vector<uint8_t>&& payload, Timestamp now);
  // Stops everything: state closed; no more transmits or timeouts.
  void Close();

  std::optional<IceCandidatePair> selected_pair() const;
  // selected_pair().has_value(), without copying the two candidates (cheap enough for every packet).
  bool has_selected_pair() const;
  std::vector<Candidate> local_candidates() const;
  std::vector<Candidate> remote_candidates() const;
  std::vector<IceCandidatePairStats> candidate_pairs() const;
  size_t pair_count() const;
  size_t remote_candidate_count() const;
  size_t pending_transaction_count() const;
  const IceAgentStats& stats() const;

  // Whether a datagram's payload is a STUN message (RFC 7983: first byte 0..3 and the magic cookie).
  static bool IsStun(ByteSpan payload);
  // For single-port servers (DESIGN.md): the local ufrag a Binding request is addressed to, i.e. the
  // USERNAME before the ':' (not authenticated: for routing only, the agent verifies). nullopt when the
  // payload is not a Binding request with a USERNAME. The view points into `payload`.
  static std::optional<std::string_view> LocalUfragOf(ByteSpan payload);
  // Cheap "does this datagram belong to this agent?": from a known remote candidate, a Binding request
  // for one of its ufrags (current or pre-restart), or a response to one of its transactions.
  bool Owns(const Datagram& datagram) const;

  class Impl;  // the check list, transactions and timers (lib/ice/ice_agent.cc)

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace tern::ice

#endif  // TERN_ICE_ICE_AGENT_H_
