// pion/stun benchmarks on the exact messages of tern's bench/stun_bench.cc (RFC 8489 / RFC 8445 ICE
// Binding request and response), so that bench/anchors/pion_stun.sh can put both in one table.
//
// This file is tern's, not Pion's: pion_stun.sh copies it into a temporary copy of the pion/stun
// package (package stun, so it runs next to Pion's own benchmarks) and never into Debian's tree.
// TestTernEquivalentMessages checks that pion/stun builds and accepts the very bytes tern builds.

package stun

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"hash/crc32"
	"net"
	"strconv"
	"testing"
)

// Same values and bytes as bench/stun_bench.cc.
const (
	ternUsername   = "abcd1234:efgh5678"
	ternPassword   = "pLyQklB9rJ2pXUXbCDuoEWKd"
	ternPriority   = uint32(0x6E7F1EFF)
	ternTieBreaker = uint64(0x0123456789ABCDEF)
	ternMappedPort = 54321

	ternBindingRequestHex = "000100502112a442b7e7a701bc34d686fa87dfae" +
		"0006001161626364313233343a6566676835363738000000" + // USERNAME
		"002400046e7f1eff" + // PRIORITY
		"802a00080123456789abcdef" + // ICE-CONTROLLING
		"00250000" + // USE-CANDIDATE
		"00080014564e1576e7f3a7d739ec1fbd96bf043285d93b44" + // MESSAGE-INTEGRITY
		"80280004f50b7823" // FINGERPRINT
	ternBindingResponseHex = "0101002c2112a442b7e7a701bc34d686fa87dfae" +
		"002000080001f523ea12d545" + // XOR-MAPPED-ADDRESS 203.0.113.7:54321
		"000800142e210828e0c58d79778af693b7730ff54f690c24" + // MESSAGE-INTEGRITY
		"80280004fedd4922" // FINGERPRINT
)

var ternTransactionID = [TransactionIDSize]byte{
	0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
}

// The ICE attribute setters of pion/ice v2 (PriorityAttr, AttrControlling, UseCandidateAttr),
// written the way pion/ice writes them: each allocates its value and calls m.Add. pion/ice is not
// packaged in Debian, so they are restated here.
type ternPriorityAttr uint32

func (p ternPriorityAttr) AddTo(m *Message) error {
	v := make([]byte, 4)
	binary.BigEndian.PutUint32(v, uint32(p))
	m.Add(AttrPriority, v)
	return nil
}

type ternControllingAttr uint64

func (c ternControllingAttr) AddTo(m *Message) error {
	v := make([]byte, 8)
	binary.BigEndian.PutUint64(v, uint64(c))
	m.Add(AttrICEControlling, v)
	return nil
}

type ternUseCandidateAttr struct{}

func (ternUseCandidateAttr) AddTo(m *Message) error {
	m.Add(AttrUseCandidate, nil)
	return nil
}

// A fixed transaction id (tern's benchmark uses the same fixed id; stun.TransactionID would draw
// one from crypto/rand, about 0.3 µs more).
type ternFixedTransactionID struct{}

func (ternFixedTransactionID) AddTo(m *Message) error {
	m.TransactionID = ternTransactionID
	m.WriteTransactionID()
	return nil
}

func ternMustHex(tb testing.TB, s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

var (
	ternIntegrity    = NewShortTermIntegrity(ternPassword)
	ternUsernameAttr = NewUsername(ternUsername)
	ternMappedIP     = net.IPv4(203, 0, 113, 7)
)

// USERNAME, PRIORITY, ICE-CONTROLLING, USE-CANDIDATE, MESSAGE-INTEGRITY, FINGERPRINT, as pion/ice's
// Agent builds a nominating check (credentials prepared once, outside the loop).
func ternBuildRequest(m *Message) error {
	return m.Build(BindingRequest, ternFixedTransactionID{}, ternUsernameAttr,
		ternPriorityAttr(ternPriority), ternControllingAttr(ternTieBreaker), ternUseCandidateAttr{},
		ternIntegrity, Fingerprint)
}

// XOR-MAPPED-ADDRESS, MESSAGE-INTEGRITY, FINGERPRINT with the request's transaction id, as pion/ice's
// Agent answers a check (sendBindingSuccess).
func ternBuildResponse(out, request *Message) error {
	return out.Build(request, BindingSuccess, &XORMappedAddress{IP: ternMappedIP, Port: ternMappedPort},
		ternIntegrity, Fingerprint)
}

// The decoded request, checked: 6 attributes, FINGERPRINT and MESSAGE-INTEGRITY valid.
func ternDecodedRequest(tb testing.TB) *Message {
	m := New()
	if err := Decode(ternMustHex(tb, ternBindingRequestHex), m); err != nil {
		tb.Fatal("decode:", err)
	}
	if len(m.Attributes) != 6 {
		tb.Fatalf("decoded %d attributes, want 6", len(m.Attributes))
	}
	if err := Fingerprint.Check(m); err != nil {
		tb.Fatal("FINGERPRINT:", err)
	}
	if err := ternIntegrity.Check(m); err != nil {
		tb.Fatal("MESSAGE-INTEGRITY:", err)
	}
	var u Username
	if err := u.GetFrom(m); err != nil || u.String() != ternUsername {
		tb.Fatal("USERNAME:", u, err)
	}
	return m
}

func TestTernEquivalentMessages(t *testing.T) {
	request := ternDecodedRequest(t)
	built := New()
	if err := ternBuildRequest(built); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(built.Raw, ternMustHex(t, ternBindingRequestHex)) {
		t.Fatalf("pion/stun built request\n%x\nwant (tern's)\n%s", built.Raw, ternBindingRequestHex)
	}
	response := New()
	if err := ternBuildResponse(response, request); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(response.Raw, ternMustHex(t, ternBindingResponseHex)) {
		t.Fatalf("pion/stun built response\n%x\nwant (tern's)\n%s", response.Raw, ternBindingResponseHex)
	}
}

// Decode in place: m.Raw points at the datagram, no copy (the least work pion/stun can do).
func BenchmarkTern_DecodeInPlace(b *testing.B) {
	ternDecodedRequest(b)
	raw := ternMustHex(b, ternBindingRequestHex)
	m := New()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Raw = raw
		if err := m.Decode(); err != nil {
			b.Fatal(err)
		}
	}
}

// stun.Decode: copies the datagram into m.Raw, then decodes (what Pion's BenchmarkDecode measures).
func BenchmarkTern_DecodeCopy(b *testing.B) {
	ternDecodedRequest(b)
	raw := ternMustHex(b, ternBindingRequestHex)
	m := New()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := Decode(raw, m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTern_IntegrityCheck(b *testing.B) {
	m := ternDecodedRequest(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := ternIntegrity.Check(m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTern_FingerprintCheck(b *testing.B) {
	m := ternDecodedRequest(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := Fingerprint.Check(m); err != nil {
			b.Fatal(err)
		}
	}
}

// What pion/ice does with each incoming check: decode, FINGERPRINT, MESSAGE-INTEGRITY, USERNAME
// (here without pion/ice's copy of the datagram).
func BenchmarkTern_ReceiveBindingRequest(b *testing.B) {
	ternDecodedRequest(b)
	raw := ternMustHex(b, ternBindingRequestHex)
	m := New()
	var u Username
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Raw = raw
		if err := m.Decode(); err != nil {
			b.Fatal(err)
		}
		if err := Fingerprint.Check(m); err != nil {
			b.Fatal(err)
		}
		if err := ternIntegrity.Check(m); err != nil {
			b.Fatal(err)
		}
		if err := u.GetFrom(m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTern_BuildBindingRequest(b *testing.B) {
	m := New()
	if err := ternBuildRequest(m); err != nil || !bytes.Equal(m.Raw, ternMustHex(b, ternBindingRequestHex)) {
		b.Fatal("request differs from tern's", err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := ternBuildRequest(m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTern_BuildBindingResponse(b *testing.B) {
	request := ternDecodedRequest(b)
	out := New()
	if err := ternBuildResponse(out, request); err != nil ||
		!bytes.Equal(out.Raw, ternMustHex(b, ternBindingResponseHex)) {
		b.Fatal("response differs from tern's", err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := ternBuildResponse(out, request); err != nil {
			b.Fatal(err)
		}
	}
}

var ternCrcSink uint32

// hash/crc32 IEEE, as pion/stun's FINGERPRINT uses it (SSE4.2/PCLMULQDQ on amd64).
func BenchmarkTern_Crc32(b *testing.B) {
	for _, n := range []int{64, 512, 1200} {
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(i*31 + 1)
		}
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			b.SetBytes(int64(n))
			for i := 0; i < b.N; i++ {
				ternCrcSink = crc32.ChecksumIEEE(data)
			}
		})
	}
}
