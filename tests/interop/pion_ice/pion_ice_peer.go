// pion_ice_peer: one Pion ICE agent (github.com/pion/ice/v2, Debian golang-github-pion-ice.v2-dev)
// for tern's interop test (pion_ice_interop_test.cc), signaled over stdin/stdout, one item per line:
//
//	out: "ufrag <u>", "pwd <p>", "candidate candidate:<RFC 8839 attribute>", "eoc",
//	     "state <state>", "selected <local type> <local addr> <remote type> <remote addr>",
//	     "connected", "error <text>"
//	in:  "ufrag <u>", "pwd <p>", "candidate candidate:<...>", "eoc", "quit"
//
// The agent gathers host candidates on the loopback interface only (interface filter "lo",
// IncludeLoopback, UDP4, IP filter 127.0.0.1, mDNS off, no STUN/TURN servers). With -role controlling
// it Dials, otherwise it Accepts; once connected it echoes every datagram it receives on the
// connection. It exits when stdin closes, on "quit", or after -lifetime.
//
// With -selfbench N it instead connects two Pion agents to each other in this process N times
// (NewAgent, host gathering on 127.0.0.1, candidates passed directly, Dial/Accept) and prints the
// time-to-connected median, p99 and min: the Pion figure for bench/RESULTS.md next to
// tern_ice_connect_bench.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pion/ice/v2"
)

var outMu sync.Mutex

func emit(format string, args ...interface{}) {
	outMu.Lock()
	defer outMu.Unlock()
	fmt.Fprintf(os.Stdout, format+"\n", args...)
}

// A Pion agent that gathers host candidates on 127.0.0.1 only.
func newLoopbackAgent() (*ice.Agent, error) {
	loopback := net.IPv4(127, 0, 0, 1)
	return ice.NewAgent(&ice.AgentConfig{
		NetworkTypes:     []ice.NetworkType{ice.NetworkTypeUDP4},
		CandidateTypes:   []ice.CandidateType{ice.CandidateTypeHost},
		InterfaceFilter:  func(name string) bool { return name == "lo" },
		IPFilter:         func(ip net.IP) bool { return ip.Equal(loopback) },
		IncludeLoopback:  true,
		MulticastDNSMode: ice.MulticastDNSModeDisabled,
	})
}

// Passes every candidate `from` gathers to `to` (as a copy, the way signaling would).
func wire(from, to *ice.Agent, failures chan<- error) error {
	return from.OnCandidate(func(c ice.Candidate) {
		if c == nil {
			return
		}
		if c.Address() != "127.0.0.1" {
			failures <- fmt.Errorf("candidate not on 127.0.0.1: %s", c.Marshal())
			return
		}
		copied, err := ice.UnmarshalCandidate(c.Marshal())
		if err == nil {
			err = to.AddRemoteCandidate(copied)
		}
		if err != nil {
			failures <- err
		}
	})
}

func connectOnce() (time.Duration, error) {
	start := time.Now()
	a, err := newLoopbackAgent()
	if err != nil {
		return 0, err
	}
	defer a.Close()
	b, err := newLoopbackAgent()
	if err != nil {
		return 0, err
	}
	defer b.Close()
	failures := make(chan error, 16)
	if err := wire(a, b, failures); err != nil {
		return 0, err
	}
	if err := wire(b, a, failures); err != nil {
		return 0, err
	}
	if err := a.GatherCandidates(); err != nil {
		return 0, err
	}
	if err := b.GatherCandidates(); err != nil {
		return 0, err
	}
	au, ap, _ := a.GetLocalUserCredentials()
	bu, bp, _ := b.GetLocalUserCredentials()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	accepted := make(chan error, 1)
	go func() {
		_, err := b.Accept(ctx, au, ap)
		accepted <- err
	}()
	if _, err := a.Dial(ctx, bu, bp); err != nil {
		return 0, err
	}
	if err := <-accepted; err != nil {
		return 0, err
	}
	elapsed := time.Since(start)
	select {
	case err := <-failures:
		return 0, err
	default:
	}
	return elapsed, nil
}

func selfBench(n int) {
	var samples []time.Duration
	for i := 0; i < n; i++ {
		d, err := connectOnce()
		if err != nil {
			fmt.Printf("error %v\n", err)
			os.Exit(1)
		}
		samples = append(samples, d)
	}
	sort.Slice(samples, func(i, j int) bool { return samples[i] < samples[j] })
	rank := (99*len(samples) + 99) / 100 // nearest rank
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	fmt.Printf("pion/ice time-to-connected over %d runs: median %.2f ms, p99 %.2f ms, min %.2f ms\n", n,
		ms(samples[len(samples)/2]), ms(samples[rank-1]), ms(samples[0]))
}

func main() {
	role := flag.String("role", "controlled", "controlling (Dial) or controlled (Accept)")
	lifetime := flag.Duration("lifetime", 60*time.Second, "exit after this long whatever happens")
	bench := flag.Int("selfbench", 0, "connect two Pion agents this many times and print the timings")
	flag.Parse()
	if *bench > 0 {
		selfBench(*bench)
		return
	}
	controlling := *role == "controlling"
	time.AfterFunc(*lifetime, func() {
		emit("error lifetime exceeded")
		os.Exit(3)
	})

	agent, err := newLoopbackAgent()
	if err != nil {
		emit("error NewAgent: %v", err)
		os.Exit(1)
	}
	if err := agent.OnCandidate(func(c ice.Candidate) {
		if c == nil {
			emit("eoc")
			return
		}
		emit("candidate candidate:%s", c.Marshal())
	}); err != nil {
		emit("error OnCandidate: %v", err)
		os.Exit(1)
	}
	_ = agent.OnConnectionStateChange(func(s ice.ConnectionState) { emit("state %s", s.String()) })
	_ = agent.OnSelectedCandidatePairChange(func(local, remote ice.Candidate) {
		emit("selected %s %s:%d %s %s:%d", local.Type().String(), local.Address(), local.Port(),
			remote.Type().String(), remote.Address(), remote.Port())
	})

	ufrag, pwd, err := agent.GetLocalUserCredentials()
	if err != nil {
		emit("error credentials: %v", err)
		os.Exit(1)
	}
	emit("ufrag %s", ufrag)
	emit("pwd %s", pwd)
	if err := agent.GatherCandidates(); err != nil {
		emit("error GatherCandidates: %v", err)
		os.Exit(1)
	}

	remote := make(chan [2]string, 1)
	go func() {
		scanner := bufio.NewScanner(os.Stdin)
		scanner.Buffer(make([]byte, 4096), 65536)
		var remoteUfrag, remotePwd string
		sent := false
		for scanner.Scan() {
			line := scanner.Text()
			switch {
			case strings.HasPrefix(line, "ufrag "):
				remoteUfrag = strings.TrimPrefix(line, "ufrag ")
			case strings.HasPrefix(line, "pwd "):
				remotePwd = strings.TrimPrefix(line, "pwd ")
			case strings.HasPrefix(line, "candidate "):
				attr := strings.TrimPrefix(line, "candidate ")
				attr = strings.TrimPrefix(attr, "a=")
				attr = strings.TrimPrefix(attr, "candidate:")
				c, err := ice.UnmarshalCandidate(attr)
				if err != nil {
					emit("error UnmarshalCandidate %q: %v", attr, err)
					continue
				}
				if err := agent.AddRemoteCandidate(c); err != nil {
					emit("error AddRemoteCandidate: %v", err)
				}
			case line == "eoc":
				// Pion has no end-of-candidates signal; nothing to do.
			case line == "quit":
				_ = agent.Close()
				os.Exit(0)
			default:
				emit("error unknown line %q", line)
			}
			if !sent && remoteUfrag != "" && remotePwd != "" {
				remote <- [2]string{remoteUfrag, remotePwd}
				sent = true
			}
		}
		_ = agent.Close()
		os.Exit(0)
	}()

	credentials := <-remote
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var conn *ice.Conn
	if controlling {
		conn, err = agent.Dial(ctx, credentials[0], credentials[1])
	} else {
		conn, err = agent.Accept(ctx, credentials[0], credentials[1])
	}
	if err != nil {
		emit("error connect: %v", err)
		os.Exit(1)
	}
	emit("connected")
	buf := make([]byte, 65536)
	for {
		n, err := conn.Read(buf)
		if err != nil {
			emit("error read: %v", err)
			return
		}
		if _, err := conn.Write(buf[:n]); err != nil {
			emit("error write: %v", err)
			return
		}
	}
}
