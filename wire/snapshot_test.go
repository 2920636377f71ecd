package wire

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/adler32"
	"io"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/zkgo/zkgo/jute"
	"github.com/zkgo/zkgo/jute/records"
)

type testSnap struct {
	sessions []SnapSession
	acls     []ACLEntry
	nodes    []SnapNode
	trailer  SnapshotTrailer
}

func sampleSnap(nodes int) testSnap {
	last := int64(0x100000007)
	s := testSnap{
		sessions: []SnapSession{{ID: 0x100000001, Timeout: 30000}, {ID: 0x100000002, Timeout: 4000}},
		acls: []ACLEntry{
			{Index: 1, ACL: []records.ACL{{Perms: 31, ID: records.ID{Scheme: "digest", ID: "u:hash="}}}},
			{Index: 2, ACL: []records.ACL{{Perms: 1, ID: records.ID{Scheme: "world", ID: "anyone"}}, {Perms: 31, ID: records.ID{Scheme: "ip", ID: "127.0.0.1"}}}},
		},
		nodes: []SnapNode{
			{Path: "", ACL: -1, Data: []byte{}},
			{Path: "/zookeeper", ACL: -1, Data: []byte{}},
			{Path: "/zookeeper/quota", ACL: -1, Data: []byte{}},
			{Path: "/a", ACL: 1, Data: []byte("hello"), Stat: records.StatPersisted{Czxid: 5, Mzxid: 6, Ctime: 7, Mtime: 8, Version: 1, Cversion: 2, Aversion: 3, EphemeralOwner: 0x100000001, Pzxid: 9}},
			{Path: "/a/null", ACL: 2, Data: nil},
		},
		trailer: SnapshotTrailer{Digest: &ZxidDigest{Zxid: 0x100000007, Version: 2, Digest: -12345}, LastZxid: &last},
	}
	for i := range nodes {
		s.nodes = append(s.nodes, SnapNode{Path: fmt.Sprintf("/a/n%06d", i), ACL: -1, Data: bytes.Repeat([]byte{byte(i)}, i%300), Stat: records.StatPersisted{Czxid: int64(i)}})
	}
	return s
}

func (s testSnap) write(t testing.TB, w *SnapshotWriter) {
	t.Helper()
	if err := WriteSnapshot(w, s.sessions, s.acls, s.nodes, s.trailer); err != nil {
		t.Fatal(err)
	}
}

func readSnap(r *SnapshotReader) (testSnap, error) {
	var s testSnap
	var err error
	s.sessions, s.acls, s.trailer, err = ReadSnapshot(r, func(n *SnapNode) error {
		s.nodes = append(s.nodes, *n)
		return nil
	})
	return s, err
}

func TestSnapshotRoundTrip(t *testing.T) {
	last := int64(77)
	trailers := map[string]SnapshotTrailer{
		"none":       {},
		"digest":     {Digest: &ZxidDigest{Zxid: 5, Version: 2, Digest: 99}},
		"lastZxid":   {LastZxid: &last},
		"both":       {Digest: &ZxidDigest{Zxid: 5, Version: 2, Digest: -1}, LastZxid: &last},
		"hex digest": {Digest: &ZxidDigest{Zxid: 5, Version: 1, Digest: 0x7abc}},
	}
	for _, c := range []Compression{CompressNone, CompressGzip, CompressSnappy} {
		for tname, tr := range trailers {
			want := sampleSnap(3000)
			want.trailer = tr
			var buf bytes.Buffer
			w, err := NewSnapshotWriter(&buf, c)
			if err != nil {
				t.Fatal(err)
			}
			want.write(t, w)
			name := "snapshot.100000007" + c.Ext()
			r, err := NewSnapshotReader(bytes.NewReader(buf.Bytes()), name)
			if err != nil {
				t.Fatalf("%s %s: %v", c, tname, err)
			}
			if h := r.Header(); h.Magic != SnapshotMagic || h.Version != 2 || h.DBID != -1 {
				t.Fatalf("header %+v", h)
			}
			got, err := readSnap(r)
			if err != nil {
				t.Fatalf("%q %s: %v", c, tname, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%q %s: round trip differs:\n got %+v\nwant %+v", c, tname, got.trailer, want.trailer)
			}
			if c == CompressNone {
				// Java's cheap validity check: the file ends with int 1 and '/'.
				b := buf.Bytes()
				if !bytes.Equal(b[len(b)-5:], []byte{0, 0, 0, 1, '/'}) || w.Written() != int64(len(b)) {
					t.Fatalf("tail % x, written %d of %d", b[len(b)-5:], w.Written(), len(b))
				}
			}
		}
	}
}

// TestSnapshotLayout checks the bytes of a minimal snapshot against the documented layout.
func TestSnapshotLayout(t *testing.T) {
	var buf bytes.Buffer
	w, _ := NewSnapshotWriter(&buf, CompressNone)
	if err := w.Header(); err != nil {
		t.Fatal(err)
	}
	s := testSnap{nodes: []SnapNode{{Path: "", ACL: -1, Data: []byte{}}}}
	s.write(t, w)
	var want []byte
	want = append(want, "ZKSN"...)
	want = jute.AppendInt(want, 2)
	want = jute.AppendLong(want, -1)
	want = jute.AppendInt(want, 0) // sessions
	want = jute.AppendInt(want, 0) // ACLs
	want = jute.AppendString(want, "")
	want = jute.AppendBuffer(want, []byte{})
	want = jute.AppendLong(want, -1)
	want = append(want, make([]byte, 60)...)
	want = jute.AppendString(want, "/")
	want = jute.AppendLong(want, int64(adler32.Checksum(want)))
	want = jute.AppendString(want, "/")
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("got  % x\nwant % x", buf.Bytes(), want)
	}
}

func TestSnapshotCorruption(t *testing.T) {
	var buf bytes.Buffer
	w, _ := NewSnapshotWriter(&buf, CompressNone)
	sampleSnap(10).write(t, w)
	good := buf.Bytes()
	// Flip a byte inside node data: seal #1 fails and names its offset.
	bad := append([]byte{}, good...)
	i := bytes.Index(bad, []byte("hello"))
	bad[i] = 'j'
	r, err := NewSnapshotReader(bytes.NewReader(bad), "snapshot.5")
	if err != nil {
		t.Fatal(err)
	}
	_, err = readSnap(r)
	if err == nil || !strings.Contains(err.Error(), "snapshot.5: offset") || !strings.Contains(err.Error(), "seal #1: checksum mismatch") {
		t.Fatalf("corrupt data: %v", err)
	}
	// Corrupting the digest trailer fails seal #2.
	bad = append([]byte{}, good...)
	bad[len(bad)-21-20] ^= 1
	r, _ = NewSnapshotReader(bytes.NewReader(bad), "snapshot.5")
	if _, err = readSnap(r); err == nil || !strings.Contains(err.Error(), "seal #2") {
		t.Fatalf("corrupt digest: %v", err)
	}
	// Truncation anywhere fails with an offset.
	for _, cut := range []int{3, 20, len(good) / 2, len(good) - 30, len(good) - 1} {
		r, err := NewSnapshotReader(bytes.NewReader(good[:cut]), "snapshot.5")
		if err == nil {
			_, err = readSnap(r)
		}
		if err == nil || !strings.Contains(err.Error(), "offset") {
			t.Fatalf("cut %d: %v", cut, err)
		}
	}
	// A null ACL vector is rejected as Java does.
	var b []byte
	b = (&records.FileHeader{Magic: SnapshotMagic, Version: 2, DBID: -1}).Append(b)
	b = jute.AppendInt(b, 0)
	b = jute.AppendInt(b, 1)
	b = jute.AppendLong(b, 1)
	b = jute.AppendInt(b, -1)
	r, _ = NewSnapshotReader(bytes.NewReader(b), "snapshot.6")
	r.Sessions()
	if _, err := r.ACLs(); err == nil || !strings.Contains(err.Error(), "null") {
		t.Fatalf("null ACL vector: %v", err)
	}
	// Calls out of order are refused.
	r, _ = NewSnapshotReader(bytes.NewReader(good), "snapshot.5")
	if _, err := r.Next(); err == nil {
		t.Fatal("Next before Sessions")
	}
	w, _ = NewSnapshotWriter(io.Discard, CompressNone)
	if err := w.Node(&SnapNode{}); err == nil {
		t.Fatal("Node before Sessions")
	}
}

func TestSnapStream(t *testing.T) {
	want := sampleSnap(500)
	want.trailer = SnapshotTrailer{}
	var buf bytes.Buffer
	bw := bufio.NewWriter(&buf)
	w := NewSnapStreamWriter(bw)
	want.write(t, w)
	bw.WriteString("next packet")
	bw.Flush()
	b := buf.Bytes()
	if !bytes.HasPrefix(b, jute.AppendInt(nil, 2)) { // no FileHeader: the session count first
		t.Fatalf("starts % x", b[:8])
	}
	br := bufio.NewReader(bytes.NewReader(b))
	got, err := readSnap(NewSnapStreamReader(br))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatal("SNAP stream round trip differs")
	}
	rest, _ := io.ReadAll(br)
	if string(rest) != "next packet" {
		t.Fatalf("the reader took bytes past the signature: rest %q", rest)
	}
	bad := bytes.Replace(b, []byte("BenWasHere"), []byte("BenWasThere"[:10]), 1)
	if _, err := readSnap(NewSnapStreamReader(bytes.NewReader(bad))); err == nil || !strings.Contains(err.Error(), "signature") {
		t.Fatalf("bad signature: %v", err)
	}
}

func TestXerialFraming(t *testing.T) {
	data := bytes.Repeat([]byte("zookeeper snapshot "), 10000) // several 32 KiB chunks
	var buf bytes.Buffer
	x := newXerialWriter(&buf)
	x.Write(data[:100])
	x.Write(data[100:])
	x.Close()
	b := buf.Bytes()
	if !bytes.Equal(b[:16], []byte{0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1}) {
		t.Fatalf("header % x", b[:16])
	}
	if n := binary.BigEndian.Uint32(b[16:]); n == 0 || int(n) > len(b) {
		t.Fatalf("first chunk length %d", n)
	}
	read := func(b []byte) []byte {
		t.Helper()
		r, err := newXerialReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		out, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if !bytes.Equal(read(b), data) {
		t.Fatal("round trip differs")
	}
	// concatenated streams
	if got := read(append(append([]byte{}, b...), b...)); !bytes.Equal(got, append(append([]byte{}, data...), data...)) {
		t.Fatal("concatenated streams differ")
	}
	// an empty stream: header only
	buf.Reset()
	newXerialWriter(&buf).Close()
	if buf.Len() != 16 || len(read(buf.Bytes())) != 0 {
		t.Fatalf("empty stream: %d bytes", buf.Len())
	}
	// a truncated chunk is an error
	r, _ := newXerialReader(bytes.NewReader(b[:len(b)-3]))
	if _, err := io.ReadAll(r); err == nil {
		t.Fatal("truncated chunk read")
	}
}

func TestCompressionOf(t *testing.T) {
	for name, want := range map[string]Compression{
		"snapshot.1f": CompressNone, "snapshot.1f.gz": CompressGzip, "snapshot.1f.SNAPPY": CompressSnappy,
		"snapshot.1f.tmp": CompressNone, filepath.Join("a.gz", "snapshot"): CompressNone,
	} {
		if got := CompressionOf(name); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
}

func BenchmarkSnapshotWrite(b *testing.B) {
	s := sampleSnap(10000)
	var n int64
	b.ReportAllocs()
	for b.Loop() {
		w, _ := NewSnapshotWriter(io.Discard, CompressNone)
		s.write(b, w)
		n = w.Written()
	}
	b.SetBytes(n)
}

func BenchmarkSnapshotRead(b *testing.B) {
	s := sampleSnap(10000)
	var buf bytes.Buffer
	w, _ := NewSnapshotWriter(&buf, CompressNone)
	s.write(b, w)
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	for b.Loop() {
		r, err := NewSnapshotReader(bytes.NewReader(buf.Bytes()), "snapshot.1")
		if err != nil {
			b.Fatal(err)
		}
		if _, _, _, err := ReadSnapshot(r, func(*SnapNode) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzSnapshotReader: no panic and no oversized allocation on any file.
func FuzzSnapshotReader(f *testing.F) {
	var buf bytes.Buffer
	w, _ := NewSnapshotWriter(&buf, CompressNone)
	sampleSnap(3).write(f, w)
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := NewSnapshotReader(bytes.NewReader(b), "snapshot.fuzz")
		if err != nil {
			return
		}
		r.MaxBuffer = 1 << 16
		ReadSnapshot(r, func(*SnapNode) error { return nil })
	})
}
