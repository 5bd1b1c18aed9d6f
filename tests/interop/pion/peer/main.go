// tern-pion-peer: a Pion (Debian's pion/webrtc v3) WebRTC peer driven by JSON lines on stdin/stdout,
// speaking tests/interop/PROTOCOL.md, for tern's interop tests.
//
// Binds only to one address: 127.0.0.1 by default (interface `lo`, loopback candidates allowed), or the
// address given with -address (inside a test namespace). UDP4 only, no mDNS, no ICE servers.
//
// Data channels are detached (SettingEngine.DetachDataChannels) and read with a 1 MiB buffer, because
// Pion's OnMessage path cannot receive a message of 65536 bytes or more (65535-byte read buffer). Pion
// itself cannot send a message larger than 65536 bytes (see PROTOCOL.md).
package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"hash"
	"net"
	"os"
	"sync"

	"github.com/pion/datachannel"
	"github.com/pion/ice/v2"
	psdp "github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v3"
)

const (
	readBufferSize = 1 << 20
	pionMaxSend    = 65536
)

type command struct {
	Type              string   `json:"type"`
	Role              string   `json:"role"`
	Echo              bool     `json:"echo"`
	Channels          []openOp `json:"channels"`
	SDP               string   `json:"sdp"`
	Candidate         string   `json:"candidate"`
	SDPMid            *string  `json:"sdpMid"`
	SDPMLineIndex     *uint16  `json:"sdpMLineIndex"`
	Label             string   `json:"label"`
	Ordered           *bool    `json:"ordered"`
	MaxRetransmits    *uint16  `json:"maxRetransmits"`
	MaxPacketLifeTime *uint16  `json:"maxPacketLifeTime"`
	Negotiated        *bool    `json:"negotiated"`
	ID                *uint16  `json:"id"`
	Protocol          *string  `json:"protocol"`
	Count             int      `json:"count"`
	Size              int      `json:"size"`
	Binary            *bool    `json:"binary"`
	Bytes             int64    `json:"bytes"`
}

type openOp struct {
	Label             string  `json:"label"`
	Ordered           *bool   `json:"ordered"`
	MaxRetransmits    *uint16 `json:"maxRetransmits"`
	MaxPacketLifeTime *uint16 `json:"maxPacketLifeTime"`
	Negotiated        *bool   `json:"negotiated"`
	ID                *uint16 `json:"id"`
	Protocol          *string `json:"protocol"`
}

type channel struct {
	label  string
	origin string
	dc     *webrtc.DataChannel
	opened chan struct{} // closed once rw is set

	mu       sync.Mutex
	rw       datachannel.ReadWriteCloser
	bytes    int64
	messages int64
	strings  int64
	binaries int64
	minSize  int
	maxSize  int
	digest   hash.Hash
	expect   int64 // -1: nothing awaited
}

type peer struct {
	address string
	outMu   sync.Mutex
	out     *bufio.Writer

	mu        sync.Mutex
	pc        *webrtc.PeerConnection
	echo      bool
	channels  map[string]*channel
	pending   []webrtc.ICECandidateInit
	remoteSet bool
	localMid  string
}

func (p *peer) emit(m map[string]interface{}) {
	b, err := json.Marshal(m)
	if err != nil {
		fmt.Fprintf(os.Stderr, "pion-peer: marshal: %v\n", err)
		return
	}
	p.outMu.Lock()
	defer p.outMu.Unlock()
	p.out.Write(b)
	p.out.WriteByte('\n')
	p.out.Flush()
}

func (p *peer) fail(format string, args ...interface{}) {
	msg := fmt.Sprintf(format, args...)
	fmt.Fprintf(os.Stderr, "pion-peer: %s\n", msg)
	p.emit(map[string]interface{}{"type": "error", "message": msg})
}

// patternMessage fills message j of a send command (PROTOCOL.md "The pattern").
func patternMessage(j, size int, binary bool) []byte {
	b := make([]byte, size)
	for k := range b {
		if binary {
			b[k] = byte((j*251 + k*31 + 7) & 0xff)
		} else {
			b[k] = byte('a' + (j*7+k)%26)
		}
	}
	return b
}

func (p *peer) newAPI() *webrtc.API {
	var se webrtc.SettingEngine
	se.DetachDataChannels()
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	want := net.ParseIP(p.address)
	if want.IsLoopback() {
		se.SetInterfaceFilter(func(name string) bool { return name == "lo" })
		se.SetIncludeLoopbackCandidate(true)
	}
	se.SetIPFilter(func(ip net.IP) bool { return ip.Equal(want) })
	return webrtc.NewAPI(webrtc.WithSettingEngine(se))
}

func (p *peer) start(c *command) {
	p.mu.Lock()
	if p.pc != nil {
		p.mu.Unlock()
		p.fail("start: already started")
		return
	}
	pc, err := p.newAPI().NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		p.mu.Unlock()
		p.fail("NewPeerConnection: %v", err)
		return
	}
	p.pc = pc
	p.echo = c.Echo
	p.mu.Unlock()

	pc.OnICECandidate(func(cand *webrtc.ICECandidate) {
		if cand == nil {
			p.emit(map[string]interface{}{"type": "candidate", "candidate": "", "sdpMid": p.mid(), "sdpMLineIndex": 0})
			return
		}
		init := cand.ToJSON()
		p.emit(map[string]interface{}{"type": "candidate", "candidate": init.Candidate, "sdpMid": p.mid(), "sdpMLineIndex": 0})
	})
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		p.emit(map[string]interface{}{"type": "state", "state": s.String()})
	})
	pc.OnDataChannel(func(dc *webrtc.DataChannel) { p.track(dc, "remote") })

	for i := range c.Channels {
		p.open(&c.Channels[i])
	}
	if c.Role == "offerer" {
		offer, err := pc.CreateOffer(nil)
		if err != nil {
			p.fail("CreateOffer: %v", err)
			return
		}
		p.setMid(offer.SDP)
		if err := pc.SetLocalDescription(offer); err != nil {
			p.fail("SetLocalDescription(offer): %v", err)
			return
		}
		p.emit(map[string]interface{}{"type": "offer", "sdp": offer.SDP})
	} else if c.Role != "answerer" {
		p.fail("start: role must be offerer or answerer, not %q", c.Role)
	}
}

// setMid remembers the first media section's mid of a local description before it is applied, so
// that candidate callbacks (which must not call back into the PeerConnection: LocalDescription() blocks
// while gathering) can label candidates with it. Pion bundles everything on that section.
func (p *peer) setMid(sdp string) {
	parsed := &psdp.SessionDescription{}
	if err := parsed.Unmarshal([]byte(sdp)); err != nil || len(parsed.MediaDescriptions) == 0 {
		return
	}
	if v, ok := parsed.MediaDescriptions[0].Attribute("mid"); ok {
		p.mu.Lock()
		p.localMid = v
		p.mu.Unlock()
	}
}

func (p *peer) mid() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.localMid
}

func (p *peer) open(o *openOp) {
	p.mu.Lock()
	pc := p.pc
	p.mu.Unlock()
	if pc == nil {
		p.fail("open %q before start", o.Label)
		return
	}
	init := &webrtc.DataChannelInit{Ordered: o.Ordered, MaxRetransmits: o.MaxRetransmits,
		MaxPacketLifeTime: o.MaxPacketLifeTime, Negotiated: o.Negotiated, ID: o.ID, Protocol: o.Protocol}
	dc, err := pc.CreateDataChannel(o.Label, init)
	if err != nil {
		p.fail("CreateDataChannel(%q): %v", o.Label, err)
		return
	}
	p.track(dc, "local")
}

func optional16(v *uint16) interface{} {
	if v == nil {
		return nil
	}
	return *v
}

func (p *peer) track(dc *webrtc.DataChannel, origin string) {
	ch := &channel{label: dc.Label(), origin: origin, dc: dc, opened: make(chan struct{}), digest: sha256.New(), expect: -1}
	p.mu.Lock()
	if _, dup := p.channels[ch.label]; dup {
		p.mu.Unlock()
		p.fail("two channels labelled %q", ch.label)
		return
	}
	p.channels[ch.label] = ch
	p.mu.Unlock()
	dc.OnOpen(func() {
		rw, err := dc.Detach()
		if err != nil {
			p.fail("Detach(%q): %v", ch.label, err)
			return
		}
		ch.mu.Lock()
		ch.rw = rw
		ch.mu.Unlock()
		close(ch.opened)
		id := interface{}(nil)
		if dc.ID() != nil {
			id = *dc.ID()
		}
		p.emit(map[string]interface{}{"type": "channel", "label": ch.label, "id": id, "protocol": dc.Protocol(),
			"ordered": dc.Ordered(), "maxRetransmits": optional16(dc.MaxRetransmits()),
			"maxPacketLifeTime": optional16(dc.MaxPacketLifeTime()), "negotiated": dc.Negotiated(), "origin": ch.origin})
		go p.readLoop(ch, rw)
	})
}

func (p *peer) readLoop(ch *channel, rw datachannel.ReadWriteCloser) {
	buf := make([]byte, readBufferSize)
	for {
		n, isString, err := rw.ReadDataChannel(buf)
		if err != nil {
			p.emit(map[string]interface{}{"type": "closed", "label": ch.label})
			return
		}
		ch.mu.Lock()
		ch.bytes += int64(n)
		ch.messages++
		if isString {
			ch.strings++
		} else {
			ch.binaries++
		}
		if ch.messages == 1 || n < ch.minSize {
			ch.minSize = n
		}
		if n > ch.maxSize {
			ch.maxSize = n
		}
		ch.digest.Write(buf[:n])
		report := ch.expect >= 0 && ch.bytes >= ch.expect
		if report {
			ch.expect = -1
		}
		ch.mu.Unlock()
		if report {
			p.report(ch)
		}
		p.mu.Lock()
		echo := p.echo
		p.mu.Unlock()
		if echo {
			if n > pionMaxSend {
				// Not an error: PROTOCOL.md says Pion echoes only up to its send limit.
				fmt.Fprintf(os.Stderr, "pion-peer: not echoing a %d-byte message on %q (Pion sends at most %d)\n",
					n, ch.label, pionMaxSend)
				continue
			}
			if _, err := rw.WriteDataChannel(append([]byte(nil), buf[:n]...), isString); err != nil {
				p.fail("echo on %q: %v", ch.label, err)
			}
		}
	}
}

func (p *peer) report(ch *channel) {
	ch.mu.Lock()
	sum := hex.EncodeToString(ch.digest.Sum(nil))
	m := map[string]interface{}{"type": "received", "label": ch.label, "bytes": ch.bytes, "messages": ch.messages,
		"strings": ch.strings, "binaries": ch.binaries, "minSize": ch.minSize, "maxSize": ch.maxSize, "sha256": sum}
	ch.mu.Unlock()
	p.emit(m)
}

func (p *peer) channel(label string) *channel {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.channels[label]
}

func (p *peer) send(c *command) {
	ch := p.channel(c.Label)
	if ch == nil {
		p.fail("send: no channel %q", c.Label)
		return
	}
	binary := c.Binary == nil || *c.Binary
	if c.Size > pionMaxSend {
		p.fail("send on %q: Pion cannot send a %d-byte message (limit %d)", c.Label, c.Size, pionMaxSend)
		return
	}
	go func() {
		<-ch.opened
		ch.mu.Lock()
		rw := ch.rw
		ch.mu.Unlock()
		digest := sha256.New()
		total := int64(0)
		for j := 0; j < c.Count; j++ {
			msg := patternMessage(j, c.Size, binary)
			digest.Write(msg)
			total += int64(len(msg))
			if _, err := rw.WriteDataChannel(msg, !binary); err != nil {
				p.fail("send on %q, message %d: %v", c.Label, j, err)
				return
			}
		}
		p.emit(map[string]interface{}{"type": "sent", "label": c.Label, "bytes": total, "messages": c.Count,
			"sha256": hex.EncodeToString(digest.Sum(nil))})
	}()
}

func (p *peer) handle(c *command) {
	switch c.Type {
	case "start":
		p.start(c)
	case "offer", "answer":
		p.mu.Lock()
		pc := p.pc
		p.mu.Unlock()
		if pc == nil {
			p.fail("%s before start", c.Type)
			return
		}
		kind := webrtc.SDPTypeOffer
		if c.Type == "answer" {
			kind = webrtc.SDPTypeAnswer
		}
		if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: kind, SDP: c.SDP}); err != nil {
			p.fail("SetRemoteDescription(%s): %v", c.Type, err)
			return
		}
		if kind == webrtc.SDPTypeOffer {
			answer, err := pc.CreateAnswer(nil)
			if err != nil {
				p.fail("CreateAnswer: %v", err)
				return
			}
			p.setMid(answer.SDP)
			if err := pc.SetLocalDescription(answer); err != nil {
				p.fail("SetLocalDescription(answer): %v", err)
				return
			}
			p.emit(map[string]interface{}{"type": "answer", "sdp": answer.SDP})
		}
		p.mu.Lock()
		p.remoteSet = true
		pending := p.pending
		p.pending = nil
		p.mu.Unlock()
		for _, init := range pending {
			if err := pc.AddICECandidate(init); err != nil {
				p.fail("AddICECandidate(%q): %v", init.Candidate, err)
			}
		}
	case "candidate":
		if c.Candidate == "" {
			return // end of candidates: Pion needs no signal
		}
		init := webrtc.ICECandidateInit{Candidate: c.Candidate, SDPMid: c.SDPMid, SDPMLineIndex: c.SDPMLineIndex}
		p.mu.Lock()
		pc := p.pc
		if pc == nil || !p.remoteSet {
			p.pending = append(p.pending, init)
			p.mu.Unlock()
			return
		}
		p.mu.Unlock()
		if err := pc.AddICECandidate(init); err != nil {
			p.fail("AddICECandidate(%q): %v", c.Candidate, err)
		}
	case "open":
		p.open(&openOp{Label: c.Label, Ordered: c.Ordered, MaxRetransmits: c.MaxRetransmits,
			MaxPacketLifeTime: c.MaxPacketLifeTime, Negotiated: c.Negotiated, ID: c.ID, Protocol: c.Protocol})
	case "send":
		p.send(c)
	case "expect":
		ch := p.channel(c.Label)
		if ch == nil {
			p.fail("expect: no channel %q", c.Label)
			return
		}
		ch.mu.Lock()
		now := ch.bytes >= c.Bytes
		if !now {
			ch.expect = c.Bytes
		}
		ch.mu.Unlock()
		if now {
			p.report(ch)
		}
	case "report":
		ch := p.channel(c.Label)
		if ch == nil {
			p.fail("report: no channel %q", c.Label)
			return
		}
		p.report(ch)
	case "close":
		ch := p.channel(c.Label)
		if ch == nil {
			p.fail("close: no channel %q", c.Label)
			return
		}
		if err := ch.dc.Close(); err != nil {
			p.fail("close %q: %v", c.Label, err)
		}
	case "quit":
		p.quit(0)
	default:
		p.fail("unknown command %q", c.Type)
	}
}

func (p *peer) quit(code int) {
	p.mu.Lock()
	pc := p.pc
	p.mu.Unlock()
	if pc != nil {
		pc.Close()
	}
	os.Exit(code)
}

func main() {
	address := flag.String("address", "127.0.0.1", "the only local IPv4 address to gather candidates on")
	flag.Parse()
	if ip := net.ParseIP(*address); ip == nil || ip.To4() == nil {
		fmt.Fprintf(os.Stderr, "pion-peer: -address %q is not an IPv4 address\n", *address)
		os.Exit(2)
	}
	p := &peer{address: *address, out: bufio.NewWriter(os.Stdout), channels: map[string]*channel{}, localMid: "0"}
	p.emit(map[string]interface{}{"type": "ready", "peer": "pion"})
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<16), 1<<24)
	for in.Scan() {
		line := in.Bytes()
		if len(line) == 0 {
			continue
		}
		var c command
		if err := json.Unmarshal(line, &c); err != nil {
			p.fail("bad JSON command: %v", err)
			continue
		}
		p.handle(&c)
	}
	p.quit(0)
}
