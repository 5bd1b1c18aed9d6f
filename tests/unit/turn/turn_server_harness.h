// Test wiring for the sans-IO TURN server core: a server on a virtual clock plus a hand-rolled TURN client
// (MessageBuilder-made requests) so each test can send exactly the bytes an RFC section talks about.
// Addresses are plain values: nothing here opens a socket.
#ifndef TERN_TESTS_UNIT_TURN_TURN_SERVER_HARNESS_H_
#define TERN_TESTS_UNIT_TURN_TURN_SERVER_HARNESS_H_

#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "gtest/gtest.h"
#include "tern/base/datagram.h"
#include "tern/base/random.h"
#include "tern/base/time.h"
#include "tern/stun/stun.h"
#include "tern/turn/rest_credentials.h"
#include "tern/turn/turn_server.h"

namespace tern::turn::testing {

inline const SocketAddress kListen(IpAddress::V4(198, 51, 100, 1), 3478);
inline const IpAddress kRelayIp = IpAddress::V4(198, 51, 100, 2);
inline const IpAddress kRelayIpV6 = *IpAddress::Parse("2001:db8::2");
inline const SocketAddress kClient(IpAddress::V4(203, 0, 113, 5), 40000);
inline const SocketAddress kPeer(IpAddress::V4(93, 184, 216, 34), 7000);
inline const SocketAddress kPeer2(IpAddress::V4(93, 184, 216, 35), 7001);
inline const SocketAddress kPeerV6(*IpAddress::Parse("2606:4700::1111"), 7002);
inline constexpr std::string_view kRealm = "example.org";
inline constexpr std::string_view kUser = "alice";
inline constexpr std::string_view kPassword = "wonderland";

inline TurnServerConfig DefaultConfig() {
  TurnServerConfig c;
  c.realm = std::string(kRealm);
  c.software = "tern-test";
  c.listening = {kListen};
  c.relay_addresses = {{kRelayIp, {}}};
  c.min_port = 50000;
  c.max_port = 50999;
  c.users = {{std::string(kUser), std::string(kPassword)}};
  c.confirm_relay_binds = false;
  return c;
}

// A parsed copy of a server message (owns its bytes).
struct Message {
  std::vector<uint8_t> bytes;
  // Parsed on demand, so copies of a Message never point at another copy's bytes.
  stun::MessageView view() const {
    auto v = stun::MessageView::Parse(bytes);
    return v.ok() ? *v : stun::MessageView();
  }
  int error_code() const {
    auto e = view().GetErrorCode();
    return e.ok() ? e->code : 0;
  }
  bool is_success() const {
    return !bytes.empty() && view().message_class() == stun::MessageClass::kSuccessResponse;
  }
};

class ServerHarness {
 public:
  explicit ServerHarness(TurnServerConfig config = DefaultConfig(), TurnServerHooks hooks = {})
      : random_(42) {
    auto s = TurnServer::Create(std::move(config), random_, std::move(hooks));
    EXPECT_TRUE(s.ok()) << s.status();
    server = std::move(*s);
  }

  Timestamp now = Timestamp::Seconds(1000);
  std::unique_ptr<TurnServer> server;
  std::vector<TurnServerEvent> events;

  void Advance(Duration d) {
    now += d;
    for (int i = 0; i < 100; ++i) {
      std::optional<Timestamp> t = server->NextTimeout();
      if (!t.has_value() || *t > now) break;
      server->HandleTimeout(*t);
    }
    server->HandleTimeout(now);
    DrainEvents();
  }

  void DrainEvents() {
    while (auto e = server->PollEvent()) events.push_back(std::move(*e));
  }
  template <typename T>
  std::vector<T> EventsOf() const {
    std::vector<T> out;
    for (const TurnServerEvent& e : events) {
      if (const T* t = std::get_if<T>(&e)) out.push_back(*t);
    }
    return out;
  }

  std::vector<Transmit> Drain() {
    std::vector<Transmit> out;
    while (auto t = server->PollTransmit()) out.push_back(std::move(*t));
    DrainEvents();
    return out;
  }

  // Client -> server datagram on the listening address; returns everything the server sent.
  std::vector<Transmit> FromClient(ByteSpan bytes, const SocketAddress& client = kClient,
                                   TransportProtocol protocol = TransportProtocol::kUdp) {
    Datagram d;
    d.local = kListen;
    d.remote = client;
    d.protocol = protocol;
    d.payload = bytes;
    server->HandleInput(d, now);
    return Drain();
  }
  // Peer -> relayed address.
  std::vector<Transmit> FromPeer(const SocketAddress& relay, const SocketAddress& peer, ByteSpan bytes) {
    Datagram d;
    d.local = relay;
    d.remote = peer;
    d.payload = bytes;
    server->HandleInput(d, now);
    return Drain();
  }

 private:
  SeededRandom random_;
};

inline std::optional<Message> ParseOne(const std::vector<uint8_t>& bytes) {
  Message m;
  m.bytes = bytes;
  if (!stun::MessageView::Parse(m.bytes).ok()) return std::nullopt;
  return m;
}

// Expects exactly one transmit back to `client` carrying a STUN message, and returns it parsed.
inline Message OnlyResponse(const std::vector<Transmit>& out, const SocketAddress& client = kClient) {
  EXPECT_EQ(out.size(), 1u);
  if (out.empty()) return {};
  EXPECT_EQ(out[0].remote, client);
  EXPECT_EQ(out[0].local, kListen);
  std::optional<Message> m = ParseOne(out[0].payload);
  EXPECT_TRUE(m.has_value());
  return m.value_or(Message{});
}

// A hand-rolled long-term-credential TURN client (RFC 8656 §7-§12) for one 5-tuple.
class RawClient {
 public:
  RawClient(ServerHarness& h, SocketAddress address = kClient, std::string username = std::string(kUser),
            std::string password = std::string(kPassword))
      : h_(h), address_(address), username_(std::move(username)), password_(std::move(password)), random_(7) {}

  using AddFn = std::function<void(stun::MessageBuilder&)>;

  // Builds a request; authenticated once a nonce is known (unless `authenticate` is false).
  std::vector<uint8_t> Build(uint16_t method, const AddFn& add, bool authenticate = true,
                             stun::MessageClass cls = stun::MessageClass::kRequest) {
    last_id_ = stun::TransactionId::Generate(random_);
    std::vector<uint8_t> buf(4096);
    stun::MessageBuilder b(buf, {cls, method}, last_id_);
    if (add) add(b);
    stun::FinishOptions options;
    options.fingerprint = true;
    std::optional<stun::IntegrityKey> key;
    if (authenticate && !nonce.empty()) {
      b.AddText(stun::attr::kUsername, username_);
      b.AddText(stun::attr::kRealm, realm);
      b.AddText(stun::attr::kNonce, nonce);
      if (use_sha256) {
        b.Add(stun::attr::kPasswordAlgorithms, password_algorithms);
        b.AddPasswordAlgorithm(stun::PasswordAlgorithm::kSha256);
      }
      key = stun::IntegrityKey::LongTerm(username_, realm, password_,
                                         use_sha256 ? stun::PasswordAlgorithm::kSha256 : stun::PasswordAlgorithm::kMd5);
      if (use_sha256) {
        options.integrity_sha256 = &*key;
      } else {
        options.integrity = &*key;
      }
    }
    auto wire = b.Finish(options);
    EXPECT_TRUE(wire.ok()) << wire.status();
    buf.resize(wire.ok() ? wire->size() : 0);
    return buf;
  }

  std::vector<Transmit> Send(const std::vector<uint8_t>& bytes) {
    return h_.FromClient(bytes, address_, protocol);
  }

  // Sends a request and returns the single response (learning REALM/NONCE from 401/438). A 438 is
  // retried once with the new nonce, as clients do, unless retry_stale is off.
  Message Request(uint16_t method, const AddFn& add, bool authenticate = true) {
    std::vector<uint8_t> req = Build(method, add, authenticate);
    Message m = OnlyResponse(Send(req), address_);
    Learn(m);
    if (retry_stale && authenticate && m.error_code() == 438) {
      m = OnlyResponse(Send(Build(method, add, authenticate)), address_);
      Learn(m);
    }
    return m;
  }
  void Learn(const Message& m) {
    if (m.error_code() == 401 || m.error_code() == 438) {
      stun::MessageView v = m.view();
      if (auto r = v.GetRealm(); r.ok()) realm = std::string(*r);
      if (auto n = v.GetNonce(); n.ok()) nonce = std::string(*n);
      if (auto pa = v.Find(stun::attr::kPasswordAlgorithms)) {
        password_algorithms.assign(pa->value.begin(), pa->value.end());
      }
    }
  }

  static void AddUdp(stun::MessageBuilder& b) { b.AddRequestedTransport(stun::kProtocolUdp); }

  // 401 round trip, then the authenticated Allocate; returns the final response.
  Message Allocate(const AddFn& extra = nullptr) {
    AddFn add = [&](stun::MessageBuilder& b) {
      AddUdp(b);
      if (extra) extra(b);
    };
    if (nonce.empty()) {
      Message challenge = Request(stun::method::kAllocate, add, false);
      EXPECT_EQ(challenge.error_code(), 401);
    }
    Message m = Request(stun::method::kAllocate, add);
    if (m.is_success()) {
      relayed.clear();
      stun::MessageView v = m.view();
      for (const stun::Attribute& a : v) {
        if (a.type == stun::attr::kXorRelayedAddress) {
          relayed.push_back(*stun::DecodeXorAddress(a.value, v.transaction_id()));
        }
      }
    }
    return m;
  }
  Message CreatePermission(std::vector<SocketAddress> peers) {
    return Request(stun::method::kCreatePermission, [&](stun::MessageBuilder& b) {
      for (const SocketAddress& p : peers) b.AddXorAddress(stun::attr::kXorPeerAddress, p);
    });
  }
  // Any 16-bit number, in range or not (the attribute is written raw).
  Message ChannelBind(uint16_t channel, const SocketAddress& peer) {
    return Request(stun::method::kChannelBind, [&](stun::MessageBuilder& b) {
      b.AddU32(stun::attr::kChannelNumber, uint32_t{channel} << 16);
      b.AddXorAddress(stun::attr::kXorPeerAddress, peer);
    });
  }
  Message Refresh(std::optional<uint32_t> lifetime) {
    return Request(stun::method::kRefresh, [&](stun::MessageBuilder& b) {
      if (lifetime.has_value()) b.AddU32(stun::attr::kLifetime, *lifetime);
    });
  }
  std::vector<uint8_t> SendIndication(const SocketAddress& peer, ByteSpan data) {
    return Build(
        stun::method::kSend,
        [&](stun::MessageBuilder& b) {
          b.AddXorAddress(stun::attr::kXorPeerAddress, peer);
          b.Add(stun::attr::kData, data);
        },
        false, stun::MessageClass::kIndication);
  }
  // A ChannelData message on any 16-bit number (written by hand, so out-of-range numbers can be sent);
  // padded to 4 with `stream`.
  static std::vector<uint8_t> ChannelData(uint16_t channel, ByteSpan data, bool stream = false) {
    std::vector<uint8_t> buf(stun::kChannelDataHeaderSize + data.size());
    StoreBigEndian16(buf.data(), channel);
    StoreBigEndian16(buf.data() + 2, static_cast<uint16_t>(data.size()));
    std::copy(data.begin(), data.end(), buf.begin() + stun::kChannelDataHeaderSize);
    if (stream) buf.resize((buf.size() + 3) & ~size_t{3}, 0);
    return buf;
  }

  const stun::TransactionId& last_id() const { return last_id_; }
  const SocketAddress& address() const { return address_; }

  std::string realm;
  std::string nonce;
  std::vector<uint8_t> password_algorithms;
  bool use_sha256 = false;
  bool retry_stale = true;
  // The client's transport: with kTcp every Send is a chunk of one TCP connection's byte stream.
  TransportProtocol protocol = TransportProtocol::kUdp;
  std::vector<SocketAddress> relayed;

 private:
  ServerHarness& h_;
  SocketAddress address_;
  std::string username_;
  std::string password_;
  SeededRandom random_;
  stun::TransactionId last_id_;
};

inline std::vector<uint8_t> Bytes(std::string_view s) { return std::vector<uint8_t>(s.begin(), s.end()); }

}  // namespace tern::turn::testing

#endif  // TERN_TESTS_UNIT_TURN_TURN_SERVER_HARNESS_H_
