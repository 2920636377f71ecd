package wire

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The worked layouts of the protocol reference, Appendix A.3.
func TestInitialMessageLayout(t *testing.T) {
	want := unhex(t, "ffffffffffff0000 0000000000000003 0000000d")
	want = append(want, "10.0.0.3:3888"...)
	got := AppendInitialMessage(nil, 3, "10.0.0.3:3888")
	if !bytes.Equal(got, want) {
		t.Fatalf("initial message\n got %x\nwant %x", got, want)
	}
	m, err := ReadInitialMessage(bytes.NewReader(got))
	if err != nil {
		t.Fatal(err)
	}
	if m.ProtocolVersion != ElectionProtocolV1 || m.Sid != 3 || len(m.Addrs) != 1 || m.Addrs[0] != "10.0.0.3:3888" {
		t.Fatalf("decoded %+v", m)
	}
}

func TestNotificationLayout(t *testing.T) {
	cfg := []byte("server.1=127.0.0.1:2888:3888:participant\nversion=0")
	n := Notification{State: Looking, Leader: 3, Zxid: 0x200000005, ElectionEpoch: 7, PeerEpoch: 2, Version: 2, Config: cfg}
	want := unhex(t, "00000000 0000000000000003 0000000200000005 0000000000000007 0000000000000002 00000002")
	want = binary.BigEndian.AppendUint32(want, uint32(len(cfg)))
	want = append(want, cfg...)
	got := AppendNotification(nil, &n)
	if !bytes.Equal(got, want) {
		t.Fatalf("notification\n got %x\nwant %x", got, want)
	}
	if len(got) != 44+len(cfg) || NotificationSize(&n) != len(got) {
		t.Fatalf("size %d, NotificationSize %d, want %d", len(got), NotificationSize(&n), 44+len(cfg))
	}
	frame := AppendNotificationFrame(nil, &n)
	if !bytes.Equal(frame[4:], want) || binary.BigEndian.Uint32(frame) != uint32(len(want)) {
		t.Fatalf("frame %x", frame)
	}
	back, err := DecodeNotification(got)
	if err != nil {
		t.Fatal(err)
	}
	if back.State != n.State || back.Leader != 3 || back.Zxid != n.Zxid || back.ElectionEpoch != 7 ||
		back.PeerEpoch != 2 || back.Version != 2 || string(back.Config) != string(cfg) {
		t.Fatalf("decoded %+v", back)
	}
}

// Every format Java 3.4.6+ receivers accept or refuse.
func TestDecodeNotificationFormats(t *testing.T) {
	base := unhex(t, "00000001 0000000000000002 0000000500000009 0000000000000004") // FOLLOWING, leader 2, zxid 5<<32|9, round 4
	peer := unhex(t, "0000000000000006")
	with := func(parts ...[]byte) []byte { return bytes.Join(append([][]byte{base}, parts...), nil) }
	i32 := func(v int32) []byte { return binary.BigEndian.AppendUint32(nil, uint32(v)) }
	cases := []struct {
		name      string
		payload   []byte
		err       string
		peerEpoch int64
		version   int32
		config    string
	}{
		{name: "short", payload: base[:27], err: "at least 28"},
		{name: "28-byte (3.3)", payload: base, peerEpoch: 5},
		{name: "32 bytes", payload: with(peer[:4]), err: "peerEpoch truncated"},
		{name: "36-byte (3.4.0-3.4.5)", payload: with(peer), err: "version truncated"},
		{name: "40-byte (3.4.6+): version not read", payload: with(peer, i32(1)), peerEpoch: 6},
		{name: "40-byte with odd version field", payload: with(peer, i32(7)), peerEpoch: 6},
		{name: "41 bytes version 1", payload: with(peer, i32(1), []byte{0}), peerEpoch: 6, version: 1},
		{name: "44 bytes version 1, no config", payload: with(peer, i32(1), i32(99)), peerEpoch: 6, version: 1},
		{name: "42 bytes version 2", payload: with(peer, i32(2), []byte{0, 0}), err: "configLen truncated"},
		{name: "v2 empty config", payload: with(peer, i32(2), i32(0)), peerEpoch: 6, version: 2, config: ""},
		{name: "v2 config", payload: with(peer, i32(2), i32(3), []byte("abc")), peerEpoch: 6, version: 2, config: "abc"},
		{name: "v2 config + trailing bytes", payload: with(peer, i32(2), i32(3), []byte("abcdef")), peerEpoch: 6, version: 2, config: "abc"},
		{name: "v2 negative configLen", payload: with(peer, i32(2), i32(-1)), err: "configLen -1"},
		{name: "v2 configLen > message", payload: with(peer, i32(2), i32(48), []byte("abc")), err: "configLen 48 outside"},
		{name: "v2 configLen past end", payload: with(peer, i32(2), i32(47), []byte("abc")), err: "3 bytes follow"},
		{name: "v3 (future) config", payload: with(peer, i32(3), i32(1), []byte("x")), peerEpoch: 6, version: 3, config: "x"},
	}
	for _, c := range cases {
		n, err := DecodeNotification(c.payload)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: err %v, want %q", c.name, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if n.State != Following || n.Leader != 2 || n.Zxid != 5<<32|9 || n.ElectionEpoch != 4 {
			t.Errorf("%s: header %+v", c.name, n)
		}
		if n.PeerEpoch != c.peerEpoch || n.Version != c.version || string(n.Config) != c.config || (c.version <= 1) != (n.Config == nil) {
			t.Errorf("%s: got peerEpoch %d version %d config %q (nil %v)", c.name, n.PeerEpoch, n.Version, n.Config, n.Config == nil)
		}
	}
	// A 28-byte message with a negative zxid: the epoch is an arithmetic shift, as in Java.
	m28 := unhex(t, "00000000 0000000000000001 ffffffffffffffff 0000000000000001")
	if n, err := DecodeNotification(m28); err != nil || n.PeerEpoch != -1 {
		t.Fatalf("28-byte zxid -1: %+v %v", n, err)
	}
	// Unknown states decode (the receiver decides), and String names them.
	if n, err := DecodeNotification(append(unhex(t, "00000009"), base[4:]...)); err != nil || n.State.Valid() || n.State.String() != "STATE(9)" {
		t.Fatalf("state 9: %+v %v", n, err)
	}
}

func TestInitialMessageVariants(t *testing.T) {
	long := func(v int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(v)) }
	i32 := func(v int32) []byte { return binary.BigEndian.AppendUint32(nil, uint32(v)) }
	msg := func(proto, sid int64, addr string) []byte {
		return bytes.Join([][]byte{long(proto), long(sid), i32(int32(len(addr))), []byte(addr)}, nil)
	}
	cases := []struct {
		name  string
		in    []byte
		err   string
		proto int64
		sid   int64
		addrs []string
	}{
		{name: "3.4 bare sid", in: AppendLegacyInitialMessage(nil, 7), sid: 7},
		{name: "3.4 bare sid 0", in: long(0), sid: 0},
		{name: "V1", in: msg(ElectionProtocolV1, 2, "127.0.0.1:3888"), proto: ElectionProtocolV1, sid: 2, addrs: []string{"127.0.0.1:3888"}},
		{name: "V2 two addresses", in: msg(ElectionProtocolV2, 2, "127.0.0.1:3888|[::1]:3889"), proto: ElectionProtocolV2, sid: 2, addrs: []string{"127.0.0.1:3888", "[::1]:3889"}},
		{name: "V1 wildcard dropped", in: msg(ElectionProtocolV1, 4, "0.0.0.0:3888"), proto: ElectionProtocolV1, sid: 4},
		{name: "V2 wildcard v6 dropped", in: msg(ElectionProtocolV2, 4, "[::]:3888|localhost:1"), proto: ElectionProtocolV2, sid: 4, addrs: []string{"localhost:1"}},
		{name: "unknown protocol", in: msg(-65534, 2, "127.0.0.1:1"), err: "unrecognized protocol version -65534"},
		{name: "zero address length", in: msg(ElectionProtocolV1, 2, ""), err: "address length 0"},
		{name: "address too long", in: bytes.Join([][]byte{long(ElectionProtocolV1), long(2), i32(2049)}, nil), err: "address length 2049"},
		{name: "negative address length", in: bytes.Join([][]byte{long(ElectionProtocolV1), long(2), i32(-5)}, nil), err: "address length -5"},
		{name: "no port", in: msg(ElectionProtocolV1, 2, "127.0.0.1"), err: "badly formed"},
		{name: "empty port", in: msg(ElectionProtocolV1, 2, "127.0.0.1:"), err: "badly formed"},
		{name: "three parts", in: msg(ElectionProtocolV1, 2, "a:1:2"), err: "badly formed"},
		{name: "bad port", in: msg(ElectionProtocolV1, 2, "a:x"), err: "bad port"},
		{name: "v6 without bracket end", in: msg(ElectionProtocolV1, 2, "[::1:5"), err: "without ']'"},
		{name: "truncated address", in: msg(ElectionProtocolV1, 2, "127.0.0.1:3888")[:25], err: io.ErrUnexpectedEOF.Error()},
		{name: "truncated sid", in: long(ElectionProtocolV1), err: io.ErrUnexpectedEOF.Error()},
		{name: "empty", in: nil, err: "EOF"},
	}
	for _, c := range cases {
		m, err := ReadInitialMessage(bytes.NewReader(c.in))
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: err %v, want %q", c.name, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if m.ProtocolVersion != c.proto || m.Sid != c.sid || strings.Join(m.Addrs, ",") != strings.Join(c.addrs, ",") {
			t.Errorf("%s: got %+v", c.name, m)
		}
	}
	// A bare sid is read as 8 bytes and nothing more: the next bytes stay for the frames.
	r := bytes.NewReader(append(long(5), 1, 2, 3))
	if m, err := ReadInitialMessage(r); err != nil || m.Sid != 5 || r.Len() != 3 {
		t.Fatalf("bare sid: %+v %v, %d left", m, err, r.Len())
	}
}

func TestElectionFrame(t *testing.T) {
	var buf bytes.Buffer
	buf.Write(AppendElectionFrame(nil, []byte("hello")))
	got, err := ReadElectionFrame(&buf, nil)
	if err != nil || string(got) != "hello" {
		t.Fatalf("%q %v", got, err)
	}
	for _, n := range []int32{0, -1, ElectionMaxFrame + 1} {
		var fe *FrameError
		_, err := ReadElectionFrame(bytes.NewReader(binary.BigEndian.AppendUint32(nil, uint32(n))), nil)
		if !errors.As(err, &fe) {
			t.Errorf("length %d: %v, want a FrameError", n, err)
		}
	}
	max := make([]byte, ElectionMaxFrame)
	if got, err := ReadElectionFrame(bytes.NewReader(AppendElectionFrame(nil, max)), nil); err != nil || len(got) != ElectionMaxFrame {
		t.Fatalf("max frame: %d %v", len(got), err)
	}
	if _, err := ReadElectionFrame(bytes.NewReader(AppendElectionFrame(nil, []byte("abc"))[:5]), nil); err != io.ErrUnexpectedEOF {
		t.Fatalf("truncated: %v", err)
	}
}

func FuzzDecodeNotification(f *testing.F) {
	f.Add(AppendNotification(nil, &Notification{Leader: 1, Zxid: 2, ElectionEpoch: 3, PeerEpoch: 4, Config: []byte("version=0")}))
	f.Add(make([]byte, 28))
	f.Add(make([]byte, 40))
	f.Add(make([]byte, 36))
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := DecodeNotification(b)
		if err != nil {
			return
		}
		if len(n.Config) > len(b) {
			t.Fatalf("config %d bytes from a %d-byte message", len(n.Config), len(b))
		}
		if n.Version > 1 {
			// A v2+ message re-encodes to its first 44+N bytes when the version is 2.
			re := AppendNotification(nil, &n)
			if n.Version == NotificationVersion && !bytes.Equal(re, b[:len(re)]) {
				t.Fatalf("re-encode\n got %x\nwant %x", re, b[:len(re)])
			}
		}
	})
}

func FuzzReadInitialMessage(f *testing.F) {
	f.Add(AppendInitialMessage(nil, 3, "127.0.0.1:3888"))
	f.Add(AppendLegacyInitialMessage(nil, 3))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ReadInitialMessage(bytes.NewReader(b))
		if err != nil {
			return
		}
		if m.ProtocolVersion != 0 && len(m.Addrs) == 1 {
			back, err := ReadInitialMessage(bytes.NewReader(AppendInitialMessage(nil, m.Sid, m.Addrs[0])))
			if err != nil || back.Sid != m.Sid || len(back.Addrs) != 1 || back.Addrs[0] != m.Addrs[0] {
				t.Fatalf("re-encoded %+v reads back as %+v, %v", m, back, err)
			}
		}
	})
}
