package jute_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/zkgo/zkgo/jute"
	"github.com/zkgo/zkgo/jute/records"
)

func hexBytes(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func be32(v int32) []byte { return jute.AppendInt(nil, v) }

func TestMaxBufferRejection(t *testing.T) {
	// A GetDataResponse whose data claims 2000000 bytes: rejected before anything is read or
	// allocated, whether or not the frame really holds that much.
	short := be32(2000000)
	long := append(be32(2000000), make([]byte, 2000000+68)...)
	for _, frame := range [][]byte{short, long} {
		err := jute.Unmarshal(frame, new(records.GetDataResponse))
		const want = "jute: GetDataResponse.data: length 2000000 exceeds jute.maxbuffer 1048575"
		if err == nil || err.Error() != want {
			t.Errorf("%d-byte frame: err = %v, want %q", len(frame), err, want)
		}
		var fe *jute.FieldError
		if !errors.As(err, &fe) || fe.Record != "GetDataResponse" || fe.Field != "data" {
			t.Errorf("err %v is not a FieldError for GetDataResponse.data", err)
		}
	}

	// A smaller limit applies to strings and vectors too, and the error names the whole path.
	d := jute.NewDecoder(append(hexBytes(t, "00000001 0000001f 00000064"), make([]byte, 16)...))
	d.MaxBuffer = 64
	err := new(records.GetACLResponse).Decode(d)
	const want = "jute: GetACLResponse.acl: ACL.id: Id.scheme: length 100 exceeds jute.maxbuffer 64"
	if err == nil || err.Error() != want {
		t.Errorf("nested: err = %v, want %q", err, want)
	}
	d = jute.NewDecoder(be32(65))
	d.MaxBuffer = 64
	if _, err := d.Strings(); err == nil || !strings.Contains(err.Error(), "exceeds jute.maxbuffer 64") {
		t.Errorf("vector count over the limit: err = %v", err)
	}
	// Exactly the limit is fine.
	d = jute.NewDecoder(append(be32(64), make([]byte, 64)...))
	d.MaxBuffer = 64
	if b, err := d.Buffer(); err != nil || len(b) != 64 {
		t.Errorf("buffer of exactly MaxBuffer: %d bytes, %v", len(b), err)
	}
}

func TestNegativeLengths(t *testing.T) {
	for _, n := range []int32{-2, -1000, -2147483648} {
		frame := append(be32(n), make([]byte, 16)...)
		for name, read := range map[string]func(*jute.Decoder) error{
			"buffer":  func(d *jute.Decoder) error { _, err := d.Buffer(); return err },
			"string":  func(d *jute.Decoder) error { _, err := d.String(); return err },
			"vector":  func(d *jute.Decoder) error { _, err := d.VectorLen(4); return err },
			"strings": func(d *jute.Decoder) error { _, err := d.Strings(); return err },
		} {
			err := read(jute.NewDecoder(frame))
			if err == nil || !strings.Contains(err.Error(), "negative length") {
				t.Errorf("%s with length %d: err = %v, want a negative-length error", name, n, err)
			}
		}
	}
	err := jute.Unmarshal(be32(-5), new(records.SyncRequest))
	if err == nil || err.Error() != "jute: SyncRequest.path: negative length -5" {
		t.Errorf("SyncRequest with path length -5: %v", err)
	}
}

func TestTruncatedInput(t *testing.T) {
	recs := []jute.Record{
		&records.GetDataResponse{Data: []byte("hello"), Stat: records.Stat{Czxid: 1, Pzxid: 2}},
		&records.CreateRequest{Path: "/a", Data: []byte{}, ACL: []records.ACL{{Perms: 31, ID: records.ID{Scheme: "world", ID: "anyone"}}}, Flags: 1},
		&records.QuorumPacket{Type: 2, Zxid: 7, Data: []byte{1, 2, 3}, Authinfo: []records.ID{{Scheme: "ip", ID: "127.0.0.1"}}},
		&records.SetWatches{RelativeZxid: 9, DataWatches: []string{"/a", "/b"}, ExistWatches: []string{}, ChildWatches: nil},
		&records.ConnectRequest{Passwd: make([]byte, 16), ReadOnly: true},
	}
	for _, r := range recs {
		full := jute.Marshal(r)
		for n := 0; n < len(full); n++ {
			got := newLike(r)
			err := got.Decode(jute.NewDecoder(full[:n]))
			var fe *jute.FieldError
			if !errors.Is(err, jute.ErrShort) || !errors.As(err, &fe) {
				t.Errorf("%T cut to %d of %d bytes: err = %v, want a short-data FieldError", r, n, len(full), err)
			}
		}
		got := newLike(r)
		if err := jute.Unmarshal(full, got); err != nil {
			t.Errorf("%T: whole frame: %v", r, err)
		}
	}
}

// newLike returns a new zero record of r's type.
func newLike(r jute.Record) jute.Record {
	return reflect.New(reflect.TypeOf(r).Elem()).Interface().(jute.Record)
}

func TestNullAndEmptyRoundTrip(t *testing.T) {
	cases := []struct {
		name string
		rec  jute.Record
		hex  string
	}{
		{"null buffer, null vector", &records.QuorumPacket{Type: 5}, "00000005 0000000000000000 ffffffff ffffffff"},
		{"empty buffer, empty vector", &records.QuorumPacket{Type: 5, Data: []byte{}, Authinfo: []records.ID{}}, "00000005 0000000000000000 00000000 00000000"},
		{"null string vector", &records.GetChildrenResponse{}, "ffffffff"},
		{"empty string vector", &records.GetChildrenResponse{Children: []string{}}, "00000000"},
		{"empty string", &records.GetChildrenResponse{Children: []string{""}}, "00000001 00000000"},
	}
	for _, tc := range cases {
		want := hexBytes(t, tc.hex)
		if got := jute.Marshal(tc.rec); !bytes.Equal(got, want) {
			t.Errorf("%s: Marshal = %x, want %x", tc.name, got, want)
		}
		if tc.rec.Size() != len(want) {
			t.Errorf("%s: Size = %d, want %d", tc.name, tc.rec.Size(), len(want))
		}
		back := newLike(tc.rec)
		if err := jute.Unmarshal(want, back); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := jute.Marshal(back); !bytes.Equal(got, want) {
			t.Errorf("%s: round trip = %x, want %x", tc.name, got, want)
		}
	}
	var q records.QuorumPacket
	if err := jute.Unmarshal(hexBytes(t, "00000005 0000000000000000 ffffffff ffffffff"), &q); err != nil || q.Data != nil || q.Authinfo != nil {
		t.Errorf("null: Data %#v, Authinfo %#v, err %v; want nil slices", q.Data, q.Authinfo, err)
	}
	if err := jute.Unmarshal(hexBytes(t, "00000005 0000000000000000 00000000 00000000"), &q); err != nil || q.Data == nil || q.Authinfo == nil {
		t.Errorf("empty: Data %#v, Authinfo %#v, err %v; want non-nil empty slices", q.Data, q.Authinfo, err)
	}
	var c records.GetChildrenResponse
	if err := jute.Unmarshal(hexBytes(t, "00000000"), &c); err != nil || c.Children == nil {
		t.Errorf("empty string vector decoded as %#v, %v", c.Children, err)
	}
}

func TestNullString(t *testing.T) {
	// Java may write a null ustring (-1); Go reads "" and counts it, and writes "" back.
	d := jute.NewDecoder(hexBytes(t, "00000001 00000002 ffffffff"))
	var e records.WatcherEvent
	if err := e.Decode(d); err != nil || e.Path != "" || d.NullStrings != 1 {
		t.Fatalf("WatcherEvent with null path: %+v, NullStrings %d, %v", e, d.NullStrings, err)
	}
	if got := jute.Marshal(&e); !bytes.Equal(got, hexBytes(t, "00000001 00000002 00000000")) {
		t.Errorf("re-encoded as %x; want the empty string", got)
	}
	d.Reset(nil)
	if d.NullStrings != 0 || d.Offset() != 0 || d.Remaining() != 0 {
		t.Errorf("Reset left NullStrings %d, offset %d", d.NullStrings, d.Offset())
	}
}

func TestVectorCountLargerThanFrame(t *testing.T) {
	// Counts within jute.maxbuffer but beyond what the frame holds must fail before the
	// slice is made: each element needs at least minElem bytes.
	frames := map[string][]byte{
		"strings":     append(be32(1000000), 0, 0, 0, 1, 'a'),
		"acl":         append(be32(1048575), make([]byte, 64)...),
		"quorum auth": append(hexBytes(t, "00000001 0000000000000000 ffffffff"), be32(900000)...),
		"multi txn":   be32(1000000),
	}
	decode := map[string]jute.Record{
		"strings":     new(records.GetChildrenResponse),
		"acl":         new(records.GetACLResponse),
		"quorum auth": new(records.QuorumPacket),
		"multi txn":   new(records.MultiTxn),
	}
	for name, frame := range frames {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		err := jute.Unmarshal(frame, decode[name])
		runtime.ReadMemStats(&after)
		if !errors.Is(err, jute.ErrShort) {
			t.Errorf("%s: err = %v, want ErrShort", name, err)
		}
		if n := after.TotalAlloc - before.TotalAlloc; n > 64<<10 {
			t.Errorf("%s: decoding a %d-byte frame allocated %d bytes", name, len(frame), n)
		}
	}
	// With the limit switched off, the frame still bounds the count.
	d := jute.NewDecoder(append(be32(0x7fffffff), make([]byte, 40)...))
	d.MaxBuffer = 0
	if _, err := d.Strings(); !errors.Is(err, jute.ErrShort) {
		t.Errorf("count 2^31-1 without a limit: %v", err)
	}
}

func TestPrimitives(t *testing.T) {
	var b []byte
	b = jute.AppendByte(b, 0x80)
	b = jute.AppendBool(b, true)
	b = jute.AppendBool(b, false)
	b = jute.AppendInt(b, -2)
	b = jute.AppendLong(b, -9223372036854775808)
	b = jute.AppendBuffer(b, nil)
	b = jute.AppendBuffer(b, []byte{})
	b = jute.AppendString(b, "ü")
	b = append(b, 2) // a loose boolean: Java reads any non-zero byte as true
	want := hexBytes(t, "80 01 00 fffffffe 8000000000000000 ffffffff 00000000 00000002c3bc 02")
	if !bytes.Equal(b, want) {
		t.Fatalf("appended %x, want %x", b, want)
	}
	d := jute.NewDecoder(b)
	by, _ := d.Byte()
	t1, _ := d.Bool()
	f, _ := d.Bool()
	i, _ := d.Int()
	l, _ := d.Long()
	nb, _ := d.Buffer()
	eb, _ := d.Buffer()
	s, _ := d.String()
	loose, err := d.Bool()
	if err != nil || by != 0x80 || !t1 || f || i != -2 || l != -9223372036854775808 || nb != nil || eb == nil || len(eb) != 0 || s != "ü" || !loose {
		t.Errorf("decoded %x %v %v %d %d %#v %#v %q %v, %v", by, t1, f, i, l, nb, eb, s, loose, err)
	}
	if d.Remaining() != 0 || d.Offset() != len(b) {
		t.Errorf("remaining %d, offset %d", d.Remaining(), d.Offset())
	}
	if _, err := d.Byte(); !errors.Is(err, jute.ErrShort) {
		t.Errorf("reading past the end: %v", err)
	}
}

func TestDecodedBufferAliasesFrame(t *testing.T) {
	frame := hexBytes(t, "00000002 abcd ee")
	d := jute.NewDecoder(frame)
	b, err := d.Buffer()
	if err != nil || cap(b) != 2 {
		t.Fatalf("buffer %x cap %d, %v: want a capped slice of the frame", b, cap(b), err)
	}
	if rest := d.Rest(); !bytes.Equal(rest, []byte{0xee}) || d.Remaining() != 0 {
		t.Errorf("Rest = %x", rest)
	}
	// Appending to a decoded buffer must not overwrite the rest of the frame.
	_ = append(b, 0xff)
	if frame[6] != 0xee {
		t.Error("append to a decoded buffer overwrote the frame")
	}
}

func TestCopyBuffersDoesNotAliasFrame(t *testing.T) {
	frame := hexBytes(t, "00000002 abcd 00000000 ffffffff")
	d := jute.NewDecoder(frame)
	d.CopyBuffers = true
	b, err := d.Buffer()
	if err != nil || !bytes.Equal(b, []byte{0xab, 0xcd}) || cap(b) != 2 {
		t.Fatalf("buffer %x cap %d, %v", b, cap(b), err)
	}
	frame[4] = 0 // the caller reuses its frame buffer
	if b[0] != 0xab {
		t.Error("decoded buffer changed with the frame")
	}
	// Empty stays non-nil and null stays nil, as without copies.
	if e, err := d.Buffer(); err != nil || e == nil || len(e) != 0 {
		t.Errorf("empty: %#v, %v", e, err)
	}
	if n, err := d.Buffer(); err != nil || n != nil {
		t.Errorf("null: %#v, %v", n, err)
	}
}

func TestStringsElementError(t *testing.T) {
	err := jute.Unmarshal(hexBytes(t, "00000002 00000001 61 fffffffe"), new(records.GetChildrenResponse))
	const want = "jute: GetChildrenResponse.children: element 1: negative length -2"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
}

func TestUnmarshalLeavesTrailingBytes(t *testing.T) {
	// Records followed by optional parts (TxnDigest after a txn) decode from a longer frame.
	frame := append(jute.Marshal(&records.ErrorTxn{Err: -101}), 0, 0, 0, 2)
	var e records.ErrorTxn
	if err := jute.Unmarshal(frame, &e); err != nil || e.Err != -101 {
		t.Errorf("ErrorTxn from a longer frame: %+v, %v", e, err)
	}
}
