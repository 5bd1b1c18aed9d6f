// pion-dc-bench: the Pion (Debian's pion/webrtc 3.1.56) anchor for bench/datachannel_bench.cc. Two Pion
// PeerConnections in this process talk over 127.0.0.1 (interface lo, UDP4, no mDNS, no ICE servers)
// and we measure what issue 5 §6 asks, printing one JSON object per line:
//
//	{"metric":"setup_ms","pairs_open":N,"median":..,"p99":..,"samples":50}
//	  CreateOffer -> the channel open on both sides (offer/answer and candidates passed in process)
//	{"metric":"rss_per_pc_kib","pairs":N,...}
//	  RSS growth per connected PeerConnection with one open channel, holding N pairs, and the CPU
//	  the idle pairs use (cores, over 2 s)
//	{"metric":"throughput","size":S,"messages_per_s":..,"mb_per_s":..,"cpu_s_per_gb":..}
//	  one reliable ordered channel, S-byte binary messages for -seconds; the sender keeps at most
//	  -high-water-kib buffered (default 1024) and waits for OnBufferedAmountLow at half of it
//
// Data channels are detached (SettingEngine.DetachDataChannels) so that the receiver reads 65536-byte
// messages with its own buffer: Pion's OnMessage cannot receive 65536 bytes (65535-byte buffer), and Pion
// cannot send more than 65536 bytes in one message. The "64 KiB" figure therefore uses 65536-byte
// messages, like tern's.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pion/datachannel"
	"github.com/pion/ice/v2"
	"github.com/pion/webrtc/v3"
)

var api *webrtc.API
var dtlsRetransmit time.Duration // -dtls-retransmit-ms; 0 keeps Pion's default (1 s)

func newAPI() *webrtc.API {
	var se webrtc.SettingEngine
	if dtlsRetransmit > 0 {
		se.SetDTLSRetransmissionInterval(dtlsRetransmit)
	}
	se.DetachDataChannels()
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetInterfaceFilter(func(name string) bool { return name == "lo" })
	se.SetIncludeLoopbackCandidate(true)
	se.SetIPFilter(func(ip net.IP) bool { return ip.Equal(net.IPv4(127, 0, 0, 1)) })
	return webrtc.NewAPI(webrtc.WithSettingEngine(se))
}

func emit(m map[string]interface{}) {
	b, err := json.Marshal(m)
	if err != nil {
		fatal("json: %v (%v)", err, m)
	}
	fmt.Println(string(b))
}

func fatal(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "pion-dc-bench: "+format+"\n", args...)
	os.Exit(1)
}

// A connected pair with one open (detached) channel on each side.
type pair struct {
	a, b   *webrtc.PeerConnection
	ra, rb datachannel.ReadWriteCloser
	da     *webrtc.DataChannel
}

func (p *pair) close() {
	p.a.Close()
	p.b.Close()
}

// connect builds a pair and returns it once the channel is open on both sides, with the time from
// CreateOffer to that moment.
func connect() (*pair, time.Duration) {
	a, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		fatal("NewPeerConnection: %v", err)
	}
	b, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		fatal("NewPeerConnection: %v", err)
	}
	p := &pair{a: a, b: b}
	var wg sync.WaitGroup
	wg.Add(2)
	// Trickle: candidates go straight to the other side (queued until its remote description is set).
	var mu sync.Mutex
	var pendA, pendB []webrtc.ICECandidateInit
	remoteA, remoteB := false, false
	a.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c == nil {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if !remoteB {
			pendB = append(pendB, c.ToJSON())
			return
		}
		go b.AddICECandidate(c.ToJSON())
	})
	b.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c == nil {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if !remoteA {
			pendA = append(pendA, c.ToJSON())
			return
		}
		go a.AddICECandidate(c.ToJSON())
	})
	b.OnDataChannel(func(dc *webrtc.DataChannel) {
		dc.OnOpen(func() {
			rw, err := dc.Detach()
			if err != nil {
				fatal("Detach: %v", err)
			}
			p.rb = rw
			wg.Done()
		})
	})

	start := time.Now()
	dc, err := a.CreateDataChannel("bench", nil)
	if err != nil {
		fatal("CreateDataChannel: %v", err)
	}
	p.da = dc
	dc.OnOpen(func() {
		rw, err := dc.Detach()
		if err != nil {
			fatal("Detach: %v", err)
		}
		p.ra = rw
		wg.Done()
	})
	offer, err := a.CreateOffer(nil)
	if err != nil {
		fatal("CreateOffer: %v", err)
	}
	if err := a.SetLocalDescription(offer); err != nil {
		fatal("SetLocalDescription: %v", err)
	}
	if err := b.SetRemoteDescription(offer); err != nil {
		fatal("SetRemoteDescription(offer): %v", err)
	}
	answer, err := b.CreateAnswer(nil)
	if err != nil {
		fatal("CreateAnswer: %v", err)
	}
	if err := b.SetLocalDescription(answer); err != nil {
		fatal("SetLocalDescription(answer): %v", err)
	}
	mu.Lock()
	remoteB = true
	for _, c := range pendB {
		go b.AddICECandidate(c)
	}
	pendB = nil
	mu.Unlock()
	if err := a.SetRemoteDescription(answer); err != nil {
		fatal("SetRemoteDescription(answer): %v", err)
	}
	mu.Lock()
	remoteA = true
	for _, c := range pendA {
		go a.AddICECandidate(c)
	}
	pendA = nil
	mu.Unlock()

	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		fatal("a pair did not connect within 20 s")
	}
	return p, time.Since(start)
}

func quantiles(d []time.Duration) (median, p99 float64) {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	ms := func(x time.Duration) float64 { return float64(x.Microseconds()) / 1000 }
	median = ms(d[len(d)/2])
	if len(d)%2 == 0 {
		median = (ms(d[len(d)/2-1]) + ms(d[len(d)/2])) / 2
	}
	idx := int(float64(len(d))*0.99+0.999999) - 1 // nearest rank
	if idx >= len(d) {
		idx = len(d) - 1
	}
	return median, ms(d[idx])
}

func measureSetup(samples, pairsOpen int) {
	d := make([]time.Duration, 0, samples)
	for i := 0; i < samples; i++ {
		p, t := connect()
		d = append(d, t)
		p.close()
	}
	med, p99 := quantiles(d)
	emit(map[string]interface{}{"metric": "setup_ms", "pairs_open": pairsOpen, "median": med, "p99": p99,
		"samples": samples})
}

func rssKiB() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		fatal("statm: %v", err)
	}
	f := strings.Fields(string(b))
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize()) / 1024
}

func settledRSS() int64 {
	runtime.GC()
	debug.FreeOSMemory()
	time.Sleep(200 * time.Millisecond)
	runtime.GC()
	debug.FreeOSMemory()
	return rssKiB()
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}

var highWater uint64 = 1 << 20 // -high-water-kib

func measureThroughput(size int, seconds float64) {
	p, _ := connect()
	defer p.close()
	p.da.SetBufferedAmountLowThreshold(highWater / 2)
	low := make(chan struct{}, 1)
	p.da.OnBufferedAmountLow(func() {
		select {
		case low <- struct{}{}:
		default:
		}
	})
	var received int64
	var messages int64
	readDone := make(chan struct{})
	go func() {
		buf := make([]byte, 1<<20)
		for {
			n, err := p.rb.Read(buf)
			if err != nil {
				break
			}
			received += int64(n)
			messages++
		}
		close(readDone)
	}()
	msg := make([]byte, size)
	for i := range msg {
		msg[i] = byte(i)
	}
	cpu0 := cpuSeconds()
	start := time.Now()
	deadline := start.Add(time.Duration(seconds * float64(time.Second)))
	sent := int64(0)
	timeouts := 0
	for time.Now().Before(deadline) {
		for i := 0; i < 64; i++ {
			if p.da.BufferedAmount() > highWater {
				select {
				case <-low:
				case <-time.After(100 * time.Millisecond):
					timeouts++
				}
			}
			if _, err := p.ra.Write(msg); err != nil {
				fatal("Write: %v", err)
			}
			sent++
		}
	}
	// Wait until everything sent has been read.
	for time.Since(deadline) < 10*time.Second {
		if messages >= sent {
			break
		}
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start).Seconds()
	cpu := cpuSeconds() - cpu0
	if messages < sent {
		fatal("only %d of %d messages arrived", messages, sent)
	}
	if received == 0 || elapsed <= 0 {
		fatal("no data moved in %.3f s", elapsed)
	}
	bytes := float64(received)
	emit(map[string]interface{}{"metric": "throughput", "size": size, "messages": messages, "seconds": elapsed,
		"messages_per_s": float64(messages) / elapsed, "mb_per_s": bytes / elapsed / 1e6,
		"cpu_s_per_gb": cpu / (bytes / 1e9), "cpu_cores": cpu / elapsed, "low_timeouts": timeouts})
}

func main() {
	samples := flag.Int("samples", 50, "setup samples")
	pairs := flag.Int("pairs", 1000, "pairs held open for the RSS and loaded-setup figures (0: skip)")
	seconds := flag.Float64("seconds", 3, "seconds per throughput run")
	only := flag.String("only", "", "comma-separated subset: setup,throughput,pairs")
	hwKiB := flag.Uint64("high-water-kib", 1024, "sender keeps at most this much buffered (KiB)")
	dtlsMs := flag.Int("dtls-retransmit-ms", 0, "DTLS retransmission interval (0: Pion's default, 1 s)")
	flag.Parse()
	dtlsRetransmit = time.Duration(*dtlsMs) * time.Millisecond
	highWater = *hwKiB * 1024
	api = newAPI()
	want := func(s string) bool { return *only == "" || strings.Contains(*only, s) }
	emit(map[string]interface{}{"metric": "info", "impl": "pion", "version": "3.1.56 (Debian)",
		"gomaxprocs": runtime.GOMAXPROCS(0), "go": runtime.Version()})

	if want("setup") {
		connect() // warm up (first certificate, first sockets)
		measureSetup(*samples, 0)
	}
	if want("throughput") {
		measureThroughput(65536, *seconds)
		measureThroughput(1024, *seconds)
	}
	if want("pairs") && *pairs > 0 {
		before := settledRSS()
		held := make([]*pair, 0, *pairs)
		for i := 0; i < *pairs; i++ {
			p, _ := connect()
			held = append(held, p)
		}
		after := settledRSS()
		cpu0 := cpuSeconds()
		time.Sleep(2 * time.Second)
		idle := (cpuSeconds() - cpu0) / 2
		emit(map[string]interface{}{"metric": "rss_per_pc_kib", "pairs": *pairs,
			"per_pc": float64(after-before) / float64(2**pairs), "rss_before_kib": before, "rss_after_kib": after,
			"goroutines": runtime.NumGoroutine(), "idle_cpu_cores": idle})
		measureSetup(*samples, *pairs)
		for _, p := range held {
			p.close()
		}
	}
}
