package proxy

import (
	"bufio"
	"encoding/json"
	"io"
	"sync"
	"time"

	"github.com/zkgo/zkgo/wire"
)

// lineWriter writes JSON lines through a buffer flushed within 100 ms of a write, on Flush
// and on Close.
type lineWriter struct {
	mu    sync.Mutex
	w     *bufio.Writer
	timer *time.Timer
}

func newLineWriter(w io.Writer) *lineWriter { return &lineWriter{w: bufio.NewWriterSize(w, 64<<10)} }

func (l *lineWriter) write(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		return
	}
	l.mu.Lock()
	l.w.Write(b)
	l.w.WriteByte('\n')
	if l.timer == nil {
		l.timer = time.AfterFunc(100*time.Millisecond, l.Flush)
	}
	l.mu.Unlock()
}

// Flush writes out buffered lines.
func (l *lineWriter) Flush() {
	if l == nil {
		return
	}
	l.mu.Lock()
	l.w.Flush()
	if l.timer != nil {
		l.timer.Stop()
		l.timer = nil
	}
	l.mu.Unlock()
}

// LogEntry is one line of the request log: a request and its reply, or (Op
// "notification") a watch event.
type LogEntry struct {
	Time      time.Time `json:"time"` // when the request was forwarded (event: when it arrived)
	Session   string    `json:"session"`
	Upstream  string    `json:"upstream"`
	Xid       int32     `json:"xid"`
	Op        string    `json:"op"`
	Path      string    `json:"path,omitempty"`
	Err       string    `json:"err"`
	Zxid      int64     `json:"zxid"`
	LatencyMS float64   `json:"latency_ms"`
	ReqBytes  int       `json:"req_bytes,omitempty"`
	RespBytes int       `json:"resp_bytes"`
	Event     string    `json:"event,omitempty"`
	SubOps    []string  `json:"sub_ops,omitempty"`
}

func (l *lineWriter) pair(start time.Time, session int64, up string, req *request, rep *reply, d time.Duration) {
	e := LogEntry{
		Time: start, Session: hexID(session), Upstream: up, Xid: req.Xid, Op: opLabel(req.Op),
		Path: req.Path, Err: wire.Code(rep.Hdr.Err).String(), Zxid: rep.Hdr.Zxid,
		LatencyMS: float64(d.Microseconds()) / 1000, ReqBytes: req.Size, RespBytes: rep.Size,
	}
	l.write(&e)
}

func (l *lineWriter) event(at time.Time, session int64, up string, rep *reply) {
	e := LogEntry{
		Time: at, Session: hexID(session), Upstream: up, Xid: rep.Hdr.Xid, Op: "notification",
		Err: wire.Code(rep.Hdr.Err).String(), Zxid: rep.Hdr.Zxid, RespBytes: rep.Size,
	}
	if rep.Event != nil {
		e.Event = wire.EventType(rep.Event.Type).String()
		e.Path = rep.Event.Path
	}
	l.write(&e)
}
