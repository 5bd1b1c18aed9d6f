// The same client->peer relay paths as bench/turn_bench.cc (ChannelData and Send indication, 160 and
// 1200 bytes), through pion/turn v2's server request handler (Debian golang-github-pion-turn-dev), for
// tests/unit/turn/pion_anchor/run.sh. It is compiled inside a temporary copy of
// github.com/pion/turn/v2/internal/server (package server), so it can call HandleRequest the way
// Server's read loop does for one datagram. Sockets are fakes: the relay socket's WriteTo copies the
// payload into a reused buffer (as a kernel send would copy it) and the listening socket is never
// written on these paths. Debug logging is disabled, as in a production server.
package server

import (
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/pion/logging"
	"github.com/pion/stun"
	"github.com/pion/turn/v2/internal/allocation"
	"github.com/pion/turn/v2/internal/proto"
)

type fakeConn struct {
	local   net.Addr
	buf     []byte
	writes  int
	blocked chan struct{}
}

func (c *fakeConn) ReadFrom(p []byte) (int, net.Addr, error) {
	<-c.blocked
	return 0, nil, errors.New("closed")
}
func (c *fakeConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	c.buf = append(c.buf[:0], p...)
	c.writes++
	return len(p), nil
}
func (c *fakeConn) Close() error                       { return nil }
func (c *fakeConn) LocalAddr() net.Addr                { return c.local }
func (c *fakeConn) SetDeadline(t time.Time) error      { return nil }
func (c *fakeConn) SetReadDeadline(t time.Time) error  { return nil }
func (c *fakeConn) SetWriteDeadline(t time.Time) error { return nil }

var (
	listenAddr = &net.UDPAddr{IP: net.IPv4(198, 51, 100, 1), Port: 3478}
	clientAddr = &net.UDPAddr{IP: net.IPv4(203, 0, 113, 5), Port: 40000}
	peerAddr   = &net.UDPAddr{IP: net.IPv4(93, 184, 216, 34), Port: 7000}
	peer2Addr  = &net.UDPAddr{IP: net.IPv4(93, 184, 216, 35), Port: 7001}
)

func setup(b *testing.B) (Request, *fakeConn) {
	log := logging.NewDefaultLoggerFactory()
	log.DefaultLogLevel = logging.LogLevelWarn
	logger := log.NewLogger("turn")
	relay := &fakeConn{local: &net.UDPAddr{IP: net.IPv4(198, 51, 100, 2), Port: 50000}, blocked: make(chan struct{})}
	listen := &fakeConn{local: listenAddr, blocked: make(chan struct{})}
	m, err := allocation.NewManager(allocation.ManagerConfig{
		LeveledLogger: logger,
		AllocatePacketConn: func(network string, port int) (net.PacketConn, net.Addr, error) {
			return relay, relay.local, nil
		},
		AllocateConn: func(network string, port int) (net.Conn, net.Addr, error) { return nil, nil, errors.New("no") },
	})
	if err != nil {
		b.Fatal(err)
	}
	ft := &allocation.FiveTuple{SrcAddr: clientAddr, DstAddr: listenAddr, Protocol: allocation.UDP}
	a, err := m.CreateAllocation(ft, listen, 0, 10*time.Minute)
	if err != nil {
		b.Fatal(err)
	}
	a.AddPermission(allocation.NewPermission(peerAddr, logger))
	a.AddPermission(allocation.NewPermission(peer2Addr, logger))
	if err := a.AddChannelBind(allocation.NewChannelBind(proto.MinChannelNumber, peerAddr, logger), 10*time.Minute); err != nil {
		b.Fatal(err)
	}
	return Request{
		Conn: listen, SrcAddr: clientAddr, AllocationManager: m, Nonces: &sync.Map{}, Log: logger,
		Realm: "example.org", ChannelBindTimeout: 10 * time.Minute,
	}, relay
}

func payload(n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(i * 7)
	}
	return p
}

func run(b *testing.B, r Request, relay *fakeConn, want []byte) {
	if err := HandleRequest(r); err != nil || string(relay.buf) != string(want) {
		b.Fatalf("relay path does not relay: %v", err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(want)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = HandleRequest(r)
	}
}

func benchChannelData(b *testing.B, n int) {
	r, relay := setup(b)
	p := payload(n)
	cd := proto.ChannelData{Number: proto.MinChannelNumber, Data: p}
	cd.Encode()
	r.Buff = cd.Raw
	run(b, r, relay, p)
}

func benchSend(b *testing.B, n int) {
	r, relay := setup(b)
	p := payload(n)
	msg, err := stun.Build(stun.TransactionID, stun.NewType(stun.MethodSend, stun.ClassIndication),
		proto.PeerAddress{IP: peer2Addr.IP, Port: peer2Addr.Port}, proto.Data(p), stun.Fingerprint)
	if err != nil {
		b.Fatal(err)
	}
	r.Buff = msg.Raw
	run(b, r, relay, p)
}

func BenchmarkPionChannelDataClientToPeer160(b *testing.B)    { benchChannelData(b, 160) }
func BenchmarkPionChannelDataClientToPeer1200(b *testing.B)   { benchChannelData(b, 1200) }
func BenchmarkPionSendIndicationClientToPeer160(b *testing.B)  { benchSend(b, 160) }
func BenchmarkPionSendIndicationClientToPeer1200(b *testing.B) { benchSend(b, 1200) }
