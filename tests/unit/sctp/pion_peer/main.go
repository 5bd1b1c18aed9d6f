// A Pion SCTP + DCEP peer for tern's lib/sctp interop test (pion_interop_test.cc). It binds UDP on
// 127.0.0.1, prints its port, reads the test's port from stdin, and runs an SCTP association over that
// UDP pair (no DTLS), as the DTLS "client" or "server" named by argv[1] (the client sends INIT, the
// server waits for it, as Pion's webrtc does). It accepts every data channel the test opens and echoes
// each message back with its kind; when the test closes a channel (stream reset) it closes it too. It
// opens one channel of its own, "from-pion", and sends "hello from pion" on it. It exits when stdin
// closes.
package main

import (
	"bufio"
	"fmt"
	"net"
	"os"

	"github.com/pion/datachannel"
	"github.com/pion/logging"
	"github.com/pion/sctp"
)

type udpConn struct {
	*net.UDPConn
	remote *net.UDPAddr
}

func (c udpConn) Read(b []byte) (int, error) {
	for {
		n, from, err := c.UDPConn.ReadFromUDP(b)
		if err != nil {
			return n, err
		}
		if from.IP.Equal(c.remote.IP) && from.Port == c.remote.Port {
			return n, nil
		}
	}
}

func (c udpConn) Write(b []byte) (int, error) { return c.UDPConn.WriteToUDP(b, c.remote) }
func (c udpConn) RemoteAddr() net.Addr       { return c.remote }

func echo(dc *datachannel.DataChannel) {
	buf := make([]byte, 1<<20)
	for {
		n, isString, err := dc.ReadDataChannel(buf)
		if err != nil {
			dc.Close()
			return
		}
		if _, err := dc.WriteDataChannel(buf[:n], isString); err != nil {
			return
		}
	}
}

func main() {
	role := os.Args[1]
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 0})
	if err != nil {
		panic(err)
	}
	fmt.Println(conn.LocalAddr().(*net.UDPAddr).Port)
	stdin := bufio.NewReader(os.Stdin)
	var port int
	if _, err := fmt.Fscan(stdin, &port); err != nil {
		panic(err)
	}
	go func() { // exit when the test closes our stdin
		buf := make([]byte, 64)
		for {
			if _, err := stdin.Read(buf); err != nil {
				os.Exit(0)
			}
		}
	}()
	lf := logging.NewDefaultLoggerFactory()
	lf.DefaultLogLevel = logging.LogLevelWarn
	cfg := sctp.Config{
		NetConn:              udpConn{conn, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port}},
		LoggerFactory:        lf,
		MaxReceiveBufferSize: 4 << 20,
		MaxMessageSize:       1 << 20,
	}
	var a *sctp.Association
	var ownID uint16
	if role == "client" {
		a, err = sctp.Client(cfg)
		ownID = 100
	} else {
		a, err = sctp.Server(cfg)
		ownID = 101
	}
	if err != nil {
		panic(err)
	}
	go func() {
		dc, err := datachannel.Dial(a, ownID, &datachannel.Config{
			ChannelType: datachannel.ChannelTypeReliable, Label: "from-pion", LoggerFactory: lf})
		if err != nil {
			panic(err)
		}
		if _, err := dc.WriteDataChannel([]byte("hello from pion"), true); err != nil {
			panic(err)
		}
		echo(dc)
	}()
	for {
		dc, err := datachannel.Accept(a, &datachannel.Config{LoggerFactory: lf})
		if err != nil {
			select {} // association gone: wait for stdin to close
		}
		go echo(dc)
	}
}
