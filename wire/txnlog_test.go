package wire

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/zkgo/zkgo/jute"
	"github.com/zkgo/zkgo/jute/records"
)

var testACL = []records.ACL{{Perms: 31, ID: records.ID{Scheme: "world", ID: "anyone"}}}

// sampleTxns is one txn of each type, with and without digests.
func sampleTxns() []TxnEntry {
	dig := func(v int64) *records.TxnDigest { return &records.TxnDigest{Version: 2, TreeDigest: v} }
	sub := func(op Op, r jute.Record) records.Txn { return records.Txn{Type: int32(op), Data: jute.Marshal(r)} }
	hdr := func(i int, op Op) records.TxnHeader {
		return records.TxnHeader{ClientID: 0x100000001, Cxid: int32(i), Zxid: 0x100000000 + int64(i), Time: 1700000000000 + int64(i), Type: int32(op)}
	}
	return []TxnEntry{
		{hdr(1, OpCreateSession), &records.CreateSessionTxn{TimeOut: 30000}, dig(11)},
		{hdr(2, OpCreate), &records.CreateTxn{Path: "/a", Data: []byte("x"), ACL: testACL, ParentCVersion: 1}, dig(12)},
		{hdr(3, OpCreate2), &records.CreateTxn{Path: "/a/b", Data: nil, ACL: testACL, Ephemeral: true, ParentCVersion: 1}, nil},
		{hdr(4, OpCreateTTL), &records.CreateTTLTxn{Path: "/t", Data: []byte{}, ACL: testACL, ParentCVersion: 2, Ttl: 5000}, dig(-4)},
		{hdr(5, OpCreateContainer), &records.CreateContainerTxn{Path: "/c", ACL: testACL, ParentCVersion: 3}, dig(5)},
		{hdr(6, OpSetData), &records.SetDataTxn{Path: "/a", Data: []byte("yy"), Version: 1}, dig(6)},
		{hdr(7, OpSetACL), &records.SetACLTxn{Path: "/a", ACL: testACL, Version: 1}, dig(7)},
		{hdr(8, OpDelete), &records.DeleteTxn{Path: "/a/b"}, dig(8)},
		{hdr(9, OpDeleteContainer), &records.DeleteTxn{Path: "/c"}, dig(9)},
		{hdr(10, OpError), &records.ErrorTxn{Err: int32(-110)}, dig(10)},
		{hdr(11, OpReconfig), &records.SetDataTxn{Path: "/zookeeper/config", Data: []byte("server.1=x"), Version: -1}, dig(11)},
		{hdr(12, OpMulti), &records.MultiTxn{Txns: []records.Txn{
			sub(OpCreate, &records.CreateTxn{Path: "/m", ACL: testACL, ParentCVersion: 4}),
			sub(OpCheck, &records.CheckVersionTxn{Path: "/m", Version: 0}),
			sub(OpSetData, &records.SetDataTxn{Path: "/m", Data: []byte("1"), Version: 1}),
			sub(OpDelete, &records.DeleteTxn{Path: "/m"}),
		}}, dig(12)},
		{hdr(13, OpCloseSession), &records.CloseSessionTxn{Paths2Delete: []string{"/e1", "/e2"}}, dig(13)},
		{hdr(14, OpCloseSession), nil, nil},
		{hdr(15, OpCloseSession), nil, dig(15)},
	}
}

func writeLog(t testing.TB, payloads [][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewTxnLogWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range payloads {
		if err := w.Append(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if int64(buf.Len()) != w.Offset() {
		t.Fatalf("Offset %d, file %d bytes", w.Offset(), buf.Len())
	}
	return buf.Bytes()
}

func readLog(t testing.TB, b []byte) ([]LogEntry, error) {
	t.Helper()
	r, err := NewTxnLogReader(bytes.NewReader(b), "log.100000001")
	if err != nil {
		return nil, err
	}
	var out []LogEntry
	for {
		e, err := r.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, e)
	}
}

func TestTxnLogRoundTrip(t *testing.T) {
	txns := sampleTxns()
	var payloads [][]byte
	for i := range txns {
		payloads = append(payloads, txns[i].Marshal())
	}
	file := writeLog(t, payloads)
	if !bytes.Equal(file[:16], []byte{'Z', 'K', 'L', 'G', 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0}) {
		t.Fatalf("header % x", file[:16])
	}
	// with preallocation padding after the entries
	padded := append(append([]byte{}, file...), make([]byte, 4096)...)
	for _, f := range [][]byte{file, padded} {
		entries, err := readLog(t, f)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != len(txns) {
			t.Fatalf("%d entries, want %d", len(entries), len(txns))
		}
		off := int64(16)
		for i, e := range entries {
			if e.Offset != off || !bytes.Equal(e.Payload, payloads[i]) || e.Header != txns[i].Header {
				t.Fatalf("entry %d: offset %d (want %d), header %+v", i, e.Offset, off, e.Header)
			}
			off += e.Size()
			got, err := DecodeTxn(e.Payload)
			if err != nil {
				t.Fatalf("entry %d: %v", i, err)
			}
			if !reflect.DeepEqual(got, txns[i]) {
				t.Fatalf("entry %d: decoded %+v, want %+v", i, got, txns[i])
			}
			if !bytes.Equal(got.Marshal(), payloads[i]) {
				t.Fatalf("entry %d: re-encoding differs", i)
			}
		}
	}
	// AppendLogEntry produces the same bytes as the writer.
	b := AppendTxnLogHeader(nil)
	for _, p := range payloads {
		b = AppendLogEntry(b, p)
	}
	if !bytes.Equal(b, file) {
		t.Fatal("AppendLogEntry differs from TxnLogWriter")
	}
}

func TestDecodeTxnQuirks(t *testing.T) {
	hdr := records.TxnHeader{ClientID: 1, Cxid: 2, Zxid: 3, Time: 4, Type: int32(OpCreate)}
	v0 := records.CreateTxnV0{Path: "/old", Data: []byte("d"), ACL: testACL, Ephemeral: true}
	got, err := DecodeTxn(MarshalTxn(&hdr, &v0, nil))
	if err != nil {
		t.Fatal(err)
	}
	want := &records.CreateTxn{Path: "/old", Data: []byte("d"), ACL: testACL, Ephemeral: true, ParentCVersion: -1}
	if !reflect.DeepEqual(got.Record, want) || got.Digest != nil {
		t.Fatalf("V0 create: %+v", got)
	}
	// a multi's sub-txns
	m := sampleTxns()[11]
	got, err = DecodeTxn(m.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	var subs []jute.Record
	for i := range got.Record.(*records.MultiTxn).Txns {
		r, err := DecodeSubTxn(&got.Record.(*records.MultiTxn).Txns[i])
		if err != nil {
			t.Fatal(err)
		}
		subs = append(subs, r)
	}
	if p := subs[1].(*records.CheckVersionTxn).Path; p != "/m" || len(subs) != 4 {
		t.Fatalf("sub-txns %+v", subs)
	}
	hdr.Type = 99
	if _, err := DecodeTxn(MarshalTxn(&hdr, nil, nil)); err == nil || !strings.Contains(err.Error(), "unsupported txn type 99") {
		t.Fatalf("unknown type: %v", err)
	}
	if _, err := DecodeTxn(make([]byte, 20)); err == nil {
		t.Fatal("short header decoded")
	}
}

func TestTxnLogTornTails(t *testing.T) {
	txns := sampleTxns()[:4]
	var payloads [][]byte
	for i := range txns {
		payloads = append(payloads, txns[i].Marshal())
	}
	file := writeLog(t, payloads)
	lastStart := len(file) - len(payloads[3]) - logEntryOverhead
	// Every cut inside the last entry is a torn tail at its start, with or without zero padding.
	for cut := lastStart + 1; cut < len(file); cut++ {
		for _, pad := range []int{0, 100} {
			f := append(append([]byte{}, file[:cut]...), make([]byte, pad)...)
			entries, err := readLog(t, f)
			if pad > 0 && !bytes.ContainsFunc(file[lastStart:cut], func(r rune) bool { return r != 0 }) {
				// only the checksum's zero upper half was written: looks like padding
				if err != nil || len(entries) != 3 {
					t.Fatalf("cut %d pad %d: %d entries, err %v", cut, pad, len(entries), err)
				}
				continue
			}
			var le *TxnLogError
			if !errors.Is(err, ErrTornTail) || !errors.As(err, &le) || le.Offset != int64(lastStart) || len(entries) != 3 {
				t.Fatalf("cut %d pad %d: %d entries, err %v", cut, pad, len(entries), err)
			}
		}
	}
	// A cut at an entry boundary is a clean end.
	if entries, err := readLog(t, file[:lastStart]); err != nil || len(entries) != 3 {
		t.Fatalf("boundary: %d entries, %v", len(entries), err)
	}
	// A file shorter than its header.
	if _, err := NewTxnLogReader(bytes.NewReader(file[:9]), "log.1"); !errors.Is(err, ErrTornTail) {
		t.Fatalf("short header: %v", err)
	}
	if _, err := NewTxnLogReader(bytes.NewReader(make([]byte, 16)), "log.1"); err == nil || !strings.Contains(err.Error(), "bad magic") {
		t.Fatalf("bad magic: %v", err)
	}

	// A checksum mismatch in a complete last entry, even with only zeros after it: corruption
	// (Java refuses to start on it: "CRC check failed"), naming the entry's offset.
	f := append(append([]byte{}, file...), make([]byte, 64)...)
	f[lastStart+20] ^= 0xff
	var le *TxnLogError
	if _, err := readLog(t, f); err == nil || errors.Is(err, ErrTornTail) || !errors.As(err, &le) || le.Offset != int64(lastStart) {
		t.Fatalf("bad last checksum: %v", err)
	}
	// A garbled entry header after the last entry: torn if zeros follow it, corruption if
	// more data does.
	f = append(append([]byte{}, file...), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)
	if _, err := readLog(t, append(f, make([]byte, 50)...)); !errors.Is(err, ErrTornTail) {
		t.Fatalf("garbage tail: %v", err)
	}
	if _, err := readLog(t, append(f, 1)); err == nil || errors.Is(err, ErrTornTail) {
		t.Fatalf("garbage then data: %v", err)
	}
}

func TestTxnLogMidCorruption(t *testing.T) {
	txns := sampleTxns()
	var payloads [][]byte
	for i := range txns {
		payloads = append(payloads, txns[i].Marshal())
	}
	file := writeLog(t, payloads)
	secondStart := 16 + len(payloads[0]) + logEntryOverhead
	cases := map[string]func(f []byte){
		"checksum":      func(f []byte) { f[secondStart+12+5] ^= 0x01 },
		"end-of-record": func(f []byte) { f[secondStart+12+len(payloads[1])] = 'C' },
		"length":        func(f []byte) { f[secondStart+8] = 0x7f },
	}
	for name, corrupt := range cases {
		f := append([]byte{}, file...)
		corrupt(f)
		entries, err := readLog(t, f)
		var le *TxnLogError
		if err == nil || errors.Is(err, ErrTornTail) || !errors.As(err, &le) {
			t.Fatalf("%s: %v", name, err)
		}
		if le.Offset != int64(secondStart) || len(entries) != 1 || !strings.Contains(err.Error(), "log.100000001: offset "+strconv.Itoa(secondStart)) {
			t.Fatalf("%s: %d entries, %v", name, len(entries), err)
		}
	}
}

func BenchmarkTxnLogAppend(b *testing.B) {
	hdr := records.TxnHeader{ClientID: 1, Cxid: 1, Zxid: 1, Time: 1, Type: int32(OpSetData)}
	p := MarshalTxn(&hdr, &records.SetDataTxn{Path: "/bench/node", Data: make([]byte, 50)}, &records.TxnDigest{Version: 2})
	w, _ := NewTxnLogWriter(io.Discard)
	b.SetBytes(int64(len(p)) + logEntryOverhead)
	b.ReportAllocs()
	for b.Loop() {
		if err := w.Append(p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTxnLogRead(b *testing.B) {
	hdr := records.TxnHeader{ClientID: 1, Cxid: 1, Zxid: 1, Time: 1, Type: int32(OpSetData)}
	p := MarshalTxn(&hdr, &records.SetDataTxn{Path: "/bench/node", Data: make([]byte, 50)}, &records.TxnDigest{Version: 2})
	var payloads [][]byte
	for range 10000 {
		payloads = append(payloads, p)
	}
	file := writeLog(b, payloads)
	b.SetBytes(int64(len(file)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := readLog(b, file); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzDecodeTxn: no panic; what decodes re-encodes to bytes that decode to the same txn.
func FuzzDecodeTxn(f *testing.F) {
	for _, t := range sampleTxns() {
		f.Add(t.Marshal())
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tx, err := DecodeTxn(b)
		if err != nil {
			return
		}
		again, err := DecodeTxn(tx.Marshal())
		if err != nil {
			t.Fatalf("re-encoded txn does not decode: %v", err)
		}
		if !reflect.DeepEqual(normalize(again), normalize(tx)) {
			t.Fatalf("decode(encode(x)) = %+v, want %+v", again, tx)
		}
	})
}

// normalize maps what re-encoding legitimately changes (null vs empty) to one form.
func normalize(t TxnEntry) string {
	return fmt.Sprintf("%v %v %v", t.Header, jute.Marshal(orEmpty(t.Record)), t.Digest)
}

func orEmpty(r jute.Record) jute.Record {
	if r == nil {
		return &records.ErrorTxn{}
	}
	return r
}

// FuzzTxnLogReader: no panic on any file; entries come in file order and errors carry the
// offset where the good entries end.
func FuzzTxnLogReader(f *testing.F) {
	var payloads [][]byte
	for _, t := range sampleTxns()[:3] {
		payloads = append(payloads, t.Marshal())
	}
	f.Add(writeLog(f, payloads))
	f.Add(append(writeLog(f, payloads[:1]), 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 5, 'x'))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := NewTxnLogReader(bytes.NewReader(b), "log.fuzz")
		if err != nil {
			return
		}
		off := int64(TxnLogHeaderSize)
		for {
			e, err := r.Next()
			if err != nil {
				var le *TxnLogError
				if errors.As(err, &le) && le.Offset != off {
					t.Fatalf("error at offset %d, good entries end at %d", le.Offset, off)
				}
				return
			}
			if e.Offset != off {
				t.Fatalf("entry at %d, want %d", e.Offset, off)
			}
			off += e.Size()
		}
	})
}
