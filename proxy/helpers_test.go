package proxy

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/zkgo/zkgo/jute"
	"github.com/zkgo/zkgo/jute/records"
	"github.com/zkgo/zkgo/oracle"
	"github.com/zkgo/zkgo/wire"
)

// Test helpers: Java servers through oracle, a proxy per test, go-zookeeper clients, a
// small raw client for byte-level checks, and a metrics scraper.

func startJava(t testing.TB, version string, opts oracle.Options) *oracle.Server {
	t.Helper()
	s, err := oracle.StartStandalone(t, version, opts)
	if err != nil {
		t.Fatalf("start Java ZooKeeper %s: %v", version, err)
	}
	return s
}

// syncBuffer is a goroutine-safe bytes.Buffer for logs and reports.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func startProxy(t testing.TB, cfg Config) *Proxy {
	t.Helper()
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	p, err := Start(cfg)
	if err != nil {
		t.Fatalf("start proxy: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

type zkLogger struct{ t testing.TB }

func (l zkLogger) Printf(format string, args ...any) { l.t.Logf("zk: "+format, args...) }

// connectZK opens a go-zookeeper session through addr and waits until it has a session.
func connectZK(t testing.TB, addr string, timeout time.Duration) (*zk.Conn, <-chan zk.Event) {
	t.Helper()
	c, ev, err := zk.Connect([]string{addr}, timeout, zk.WithLogger(zkLogger{t}))
	if err != nil {
		t.Fatalf("zk.Connect %s: %v", addr, err)
	}
	t.Cleanup(c.Close)
	deadline := time.After(20 * time.Second)
	for c.State() != zk.StateHasSession {
		select {
		case <-ev:
		case <-deadline:
			t.Fatalf("zk session through %s not established (state %v)", addr, c.State())
		}
	}
	return c, ev
}

func must[T any](t testing.TB, what string) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
}

func check(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func waitEvent(t testing.TB, ch <-chan zk.Event, what string) zk.Event {
	t.Helper()
	select {
	case e := <-ch:
		return e
	case <-time.After(10 * time.Second):
		t.Fatalf("no watch event for %s", what)
	}
	return zk.Event{}
}

// eventually polls cond until it holds or 20 s pass.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Metrics ---------------------------------------------------------------------------------

type scraped map[string]*dto.MetricFamily

func scrape(t testing.TB, p *Proxy) scraped {
	t.Helper()
	resp, err := http.Get("http://" + p.MetricsAddr().String() + "/metrics")
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse metrics: %v", err)
	}
	return fams
}

// gathered reads the registry directly (also after Close).
func gathered(t testing.TB, p *Proxy) scraped {
	t.Helper()
	fams, err := p.Registry().Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	out := scraped{}
	for _, f := range fams {
		out[f.GetName()] = f
	}
	return out
}

// value returns the value of the series name{labels} (counter, gauge, or a histogram's
// sample count), 0 when absent. labels is "k=v,k=v"; unnamed labels are not constrained.
func (s scraped) value(name, labels string) float64 {
	f := s[name]
	if f == nil {
		return 0
	}
	want := map[string]string{}
	for _, kv := range strings.Split(labels, ",") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			want[k] = v
		}
	}
	total := 0.0
	for _, m := range f.Metric {
		ok := true
		for k, v := range want {
			found := false
			for _, lp := range m.Label {
				if lp.GetName() == k && lp.GetValue() == v {
					found = true
				}
			}
			if !found {
				ok = false
			}
		}
		if !ok {
			continue
		}
		switch {
		case m.Counter != nil:
			total += m.Counter.GetValue()
		case m.Gauge != nil:
			total += m.Gauge.GetValue()
		case m.Histogram != nil:
			total += float64(m.Histogram.GetSampleCount())
		}
	}
	return total
}

// Raw client --------------------------------------------------------------------------------

// rawConn is a minimal client-protocol connection for byte-level tests.
type rawConn struct {
	t   testing.TB
	c   net.Conn
	xid int32
}

func dialRaw(t testing.TB, addr string) *rawConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawConn{t: t, c: c}
}

func connectFrame(sessionID int64, passwd []byte, lastZxid int64, withRO bool) []byte {
	if passwd == nil {
		passwd = make([]byte, 16)
	}
	b := make([]byte, 4, 64)
	b = jute.AppendInt(b, 0)
	b = jute.AppendLong(b, lastZxid)
	b = jute.AppendInt(b, 30000)
	b = jute.AppendLong(b, sessionID)
	b = jute.AppendBuffer(b, passwd)
	if withRO {
		b = jute.AppendBool(b, false)
	}
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	return b
}

// handshake sends a ConnectRequest for a new session and returns the raw response frame
// (length prefix included) and the decoded response.
func (r *rawConn) handshake(withRO bool) ([]byte, records.ConnectResponse) {
	r.t.Helper()
	r.write(connectFrame(0, nil, 0, withRO))
	frame := r.readFrame()
	resp, _, err := wire.DecodeConnectResponse(frame[4:])
	if err != nil {
		r.t.Fatalf("ConnectResponse: %v", err)
	}
	if resp.TimeOut <= 0 {
		r.t.Fatalf("server refused the session: %+v", resp)
	}
	return frame, resp
}

func (r *rawConn) write(b []byte) {
	r.t.Helper()
	r.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := r.c.Write(b); err != nil {
		r.t.Fatalf("write: %v", err)
	}
}

func (r *rawConn) readFrame() []byte {
	r.t.Helper()
	r.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	f, err := readFrame(r.c, 64<<20, nil)
	if err != nil {
		r.t.Fatalf("read frame: %v", err)
	}
	return f
}

// request frames one request (rec may be nil) with the next xid.
func (r *rawConn) request(op wire.Op, rec jute.Record) (int32, []byte) {
	r.xid++
	h := &records.RequestHeader{Xid: r.xid, Type: int32(op)}
	if rec == nil {
		return r.xid, wire.AppendFrame(nil, h)
	}
	return r.xid, wire.AppendFrame(nil, h, rec)
}

// call sends a request and reads frames until its reply (notifications are skipped).
func (r *rawConn) call(op wire.Op, rec jute.Record) (records.ReplyHeader, []byte) {
	r.t.Helper()
	xid, f := r.request(op, rec)
	r.write(f)
	for {
		frame := r.readFrame()
		var h records.ReplyHeader
		if err := jute.Unmarshal(frame[4:], &h); err != nil {
			r.t.Fatalf("reply header: %v", err)
		}
		if h.Xid == xid {
			return h, frame
		}
	}
}

type multiRec []wire.MultiOp

func (m multiRec) Size() int                    { return wire.MultiSize(m) }
func (m multiRec) Append(b []byte) []byte       { return wire.AppendMulti(b, m) }
func (m multiRec) Decode(d *jute.Decoder) error { return errors.New("not decodable") }

// expectClosed waits for the peer to close the connection (EOF or reset).
func (r *rawConn) expectClosed(what string) {
	r.t.Helper()
	r.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 4096)
	for {
		_, err := r.c.Read(buf)
		if err == nil {
			continue
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			r.t.Fatalf("%s: connection still open after 10 s", what)
		}
		if err != io.EOF && !strings.Contains(err.Error(), "reset") {
			r.t.Logf("%s: closed with %v", what, err)
		}
		return
	}
}

func fourLetter(t testing.TB, addr, word string) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte(word)); err != nil {
		t.Fatalf("write %s: %v", word, err)
	}
	out, err := io.ReadAll(c)
	if err != nil && len(out) == 0 {
		t.Fatalf("read %s answer: %v", word, err)
	}
	return string(out)
}

func hex(id int64) string { return fmt.Sprintf("0x%x", uint64(id)) }
