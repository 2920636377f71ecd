package records_test

import (
	"bytes"
	"testing"

	"github.com/zkgo/zkgo/jute"
	"github.com/zkgo/zkgo/jute/records"
	"github.com/zkgo/zkgo/wire"
)

func benchStat() records.Stat {
	return records.Stat{Czxid: 0x100000002, Mzxid: 0x100000005, Ctime: 1700000000123, Mtime: 1700000000456,
		Version: 3, Cversion: 2, Aversion: 1, DataLength: 100, NumChildren: 2, Pzxid: 0x100000007}
}

// benchRecords are the records on the hot paths: every request and reply header, the most
// common read, watch notifications and quorum packets.
func benchRecords() []struct {
	name string
	rec  jute.Record
} {
	return []struct {
		name string
		rec  jute.Record
	}{
		{"RequestHeader", &records.RequestHeader{Xid: 7, Type: 4}},
		{"ReplyHeader", &records.ReplyHeader{Xid: 7, Zxid: 0x500000003, Err: 0}},
		{"GetDataRequest", &records.GetDataRequest{Path: "/zk/app/node-0000000001", Watch: true}},
		{"GetDataResponse", &records.GetDataResponse{Data: bytes.Repeat([]byte{'x'}, 100), Stat: benchStat()}},
		{"WatcherEvent", &records.WatcherEvent{Type: 3, State: 3, Path: "/zk/app/node-0000000001"}},
		{"QuorumPacket", &records.QuorumPacket{Type: 2, Zxid: 0x500000003, Data: bytes.Repeat([]byte{'p'}, 200),
			Authinfo: []records.ID{{Scheme: "ip", ID: "127.0.0.1"}}}},
	}
}

func BenchmarkEncode(b *testing.B) {
	for _, br := range benchRecords() {
		b.Run(br.name, func(b *testing.B) {
			buf := make([]byte, 0, 512)
			b.ReportAllocs()
			b.SetBytes(int64(br.rec.Size()))
			for b.Loop() {
				buf = br.rec.Append(buf[:0])
			}
		})
	}
}

func BenchmarkDecode(b *testing.B) {
	for _, br := range benchRecords() {
		b.Run(br.name, func(b *testing.B) {
			frame := jute.Marshal(br.rec)
			info, _ := records.Lookup(br.name)
			r := info.New()
			d := jute.NewDecoder(nil)
			b.ReportAllocs()
			b.SetBytes(int64(len(frame)))
			for b.Loop() {
				d.Reset(frame)
				if err := r.Decode(d); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFrameDecode reads one whole client request frame, as a connection does: the
// length prefix, then RequestHeader and GetDataRequest from the payload.
func BenchmarkFrameDecode(b *testing.B) {
	stream := wire.AppendFrame(nil, &records.RequestHeader{Xid: 7, Type: 4},
		&records.GetDataRequest{Path: "/zk/app/node-0000000001", Watch: true})
	rd := bytes.NewReader(stream)
	buf := make([]byte, 0, 512)
	d := jute.NewDecoder(nil)
	var (
		h   records.RequestHeader
		req records.GetDataRequest
	)
	b.ReportAllocs()
	b.SetBytes(int64(len(stream)))
	for b.Loop() {
		rd.Reset(stream)
		frame, err := wire.ReadFrame(rd, jute.DefaultMaxBuffer, buf)
		if err != nil {
			b.Fatal(err)
		}
		d.Reset(frame)
		if err := h.Decode(d); err != nil {
			b.Fatal(err)
		}
		if err := req.Decode(d); err != nil {
			b.Fatal(err)
		}
	}
}
