package conn_test

import (
	"bufio"
	"encoding/binary"
	"net"
	"testing"

	"github.com/zkgo/zkgo/jute"
	"github.com/zkgo/zkgo/jute/records"
	"github.com/zkgo/zkgo/wire"
	"github.com/zkgo/zkgo/zkgotest"
)

// BenchmarkRequests measures a whole server per request over a loopback connection: a raw
// client keeps depth requests outstanding on one session (prebuilt frames, reused buffers,
// so the allocations reported are the server's plus a constant few of the client's). Writes
// run with forceSync=no, so the figure is CPU, not the disk. zkgo bench has the load tests.
func BenchmarkRequests(b *testing.B) {
	value := make([]byte, 100)
	for _, bc := range []struct {
		name  string
		op    wire.Op
		body  jute.Record
		depth int
	}{
		{"get/depth1", wire.OpGetData, &records.GetDataRequest{Path: "/k"}, 1},
		{"get/depth32", wire.OpGetData, &records.GetDataRequest{Path: "/k"}, 32},
		{"exists/depth32", wire.OpExists, &records.ExistsRequest{Path: "/k"}, 32},
		{"set/depth32", wire.OpSetData, &records.SetDataRequest{Path: "/k", Data: value, Version: -1}, 32},
	} {
		b.Run(bc.name, func(b *testing.B) {
			srv, err := zkgotest.StartServer(b.TempDir(), zkgotest.WithConfig("forceSync", "no"))
			if err != nil {
				b.Fatal(err)
			}
			defer srv.Stop()
			c := dialSession(b, srv.Addr())
			defer c.Close()
			c.call(b, wire.OpCreate, &records.CreateRequest{Path: "/k", Data: value, ACL: []records.ACL{{Perms: 31, ID: records.ID{Scheme: "world", ID: "anyone"}}}})
			frame := wire.AppendFrame(nil, &records.RequestHeader{Type: int32(bc.op)}, bc.body)
			b.ReportAllocs()
			b.ResetTimer()
			c.pipeline(b, frame, b.N, bc.depth)
		})
	}
}

type rawClient struct {
	nc  net.Conn
	r   *bufio.Reader
	buf []byte
	xid int32
}

func dialSession(tb testing.TB, addr string) *rawClient {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	c := &rawClient{nc: nc, r: bufio.NewReaderSize(nc, 64<<10)}
	if _, err := nc.Write(wire.AppendFrame(nil, &records.ConnectRequest{TimeOut: 30000, Passwd: make([]byte, 16)})); err != nil {
		tb.Fatal(err)
	}
	if _, err := c.read(); err != nil {
		tb.Fatal(err)
	}
	return c
}

func (c *rawClient) Close() { c.nc.Close() }

func (c *rawClient) read() ([]byte, error) {
	f, err := wire.ReadFrame(c.r, jute.DefaultMaxBuffer, c.buf)
	if err == nil && cap(f) > cap(c.buf) {
		c.buf = f
	}
	return f, err
}

// call sends one request and waits for its reply.
func (c *rawClient) call(tb testing.TB, op wire.Op, body jute.Record) {
	c.xid++
	if _, err := c.nc.Write(wire.AppendFrame(nil, &records.RequestHeader{Xid: c.xid, Type: int32(op)}, body)); err != nil {
		tb.Fatal(err)
	}
	for {
		f, err := c.read()
		if err != nil {
			tb.Fatal(err)
		}
		if xid := int32(binary.BigEndian.Uint32(f)); xid == c.xid {
			if code := int32(binary.BigEndian.Uint32(f[12:])); code != 0 {
				tb.Fatalf("%v: error %d", op, code)
			}
			return
		}
	}
}

// pipeline sends n copies of frame (xid patched in place) keeping depth outstanding, and
// reads every reply.
func (c *rawClient) pipeline(b *testing.B, frame []byte, n, depth int) {
	slots := make(chan struct{}, depth)
	errc := make(chan error, 1)
	go func() {
		for i := 0; i < n; i++ {
			f, err := c.read()
			if err != nil {
				errc <- err
				return
			}
			if code := int32(binary.BigEndian.Uint32(f[12:])); code != 0 {
				b.Errorf("reply error %d", code)
			}
			<-slots
		}
		errc <- nil
	}()
	w := bufio.NewWriterSize(c.nc, 64<<10)
	for i := 0; i < n; i++ {
		c.xid++
		binary.BigEndian.PutUint32(frame[4:], uint32(c.xid))
		select {
		case slots <- struct{}{}:
		default:
			// Full: flush what is buffered, then wait for a reply.
			if err := w.Flush(); err != nil {
				b.Fatal(err)
			}
			slots <- struct{}{}
		}
		w.Write(frame)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := <-errc; err != nil {
		b.Fatal(err)
	}
}
