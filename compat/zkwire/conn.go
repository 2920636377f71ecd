package zkwire

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/zkgo/zkgo/jute"
	"github.com/zkgo/zkgo/jute/records"
	"github.com/zkgo/zkgo/wire"
)

// DefaultMaxFrame bounds the frames the reader accepts: a reply may carry up to jute.maxbuffer
// of data plus headers, and a server under test may be configured with a larger maxbuffer.
const DefaultMaxFrame = 64 << 20

// ErrTimeout is returned by Next when no event arrived in time.
var ErrTimeout = errors.New("zkwire: timed out waiting for an event")

// ErrClosed is returned by Next after the Closed event has been delivered.
var ErrClosed = errors.New("zkwire: connection closed")

// ConnectOptions choose every field of the ConnectRequest.
type ConnectOptions struct {
	ProtocolVersion int32
	LastZxidSeen    int64
	TimeoutMs       int32  // requested session timeout in milliseconds
	SessionID       int64  // 0 for a new session
	Passwd          []byte // nil sends 16 zero bytes, as the Java client does for a new session
	ReadOnly        bool
	// OmitReadOnly leaves out the trailing readOnly byte (a client older than 3.4): the request
	// is 44 bytes and the server must answer without the byte too.
	OmitReadOnly bool
}

// ConnectRequestFrame returns the framed ConnectRequest for o.
func ConnectRequestFrame(o ConnectOptions) []byte {
	pw := o.Passwd
	if pw == nil {
		pw = make([]byte, 16)
	}
	req := records.ConnectRequest{
		ProtocolVersion: o.ProtocolVersion, LastZxidSeen: o.LastZxidSeen, TimeOut: o.TimeoutMs,
		SessionID: o.SessionID, Passwd: pw, ReadOnly: o.ReadOnly,
	}
	body := req.Append(nil)
	if o.OmitReadOnly {
		body = body[:len(body)-1]
	}
	return append(jute.AppendInt(make([]byte, 0, 4+len(body)), int32(len(body))), body...)
}

// Handshake is the server's answer to the ConnectRequest.
type Handshake struct {
	Response    records.ConnectResponse
	HasReadOnly bool   // the response carried the trailing readOnly byte
	Raw         []byte // the response frame's payload (36 or 37 bytes from Java)
}

// Valid reports whether the server accepted the session (a zeroed response means expired or
// wrong password; the server closes the connection right after it).
func (h *Handshake) Valid() bool { return h.Response.TimeOut > 0 }

// Kind tells what an Event is.
type Kind int

// Event kinds.
const (
	// KindReply is any ReplyHeader frame with xid != -1: normal replies, pings (-2), auth (-4)
	// and setWatches (-8) replies.
	KindReply Kind = iota
	// KindNotification is a watch event (xid -1).
	KindNotification
	// KindClosed is the last event of a connection.
	KindClosed
)

func (k Kind) String() string {
	switch k {
	case KindReply:
		return "reply"
	case KindNotification:
		return "notification"
	case KindClosed:
		return "closed"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Event is one frame from the server (or the end of the connection).
type Event struct {
	Kind Kind
	Xid  int32
	Zxid int64
	Err  wire.Code
	// Op is the opcode of the request this reply answers; Matched says whether it came from a
	// request sent on this Conn (otherwise it is inferred from a special xid, or OpError).
	Op      wire.Op
	Matched bool
	// Body is the decoded response record when Err == OK and Op has one (nil for multi).
	Body jute.Record
	// Multi holds the results of a multi or multiRead reply with Err == OK (empty, not nil,
	// for a response with no results).
	Multi []wire.MultiResult
	// Watch is the notification's WatcherEvent.
	Watch records.WatcherEvent
	// Connect is set for a reply to a createSession (-10) request: Java answers that opcode
	// with a bare ConnectResponse for a brand-new session, not with a ReplyHeader. Xid is then
	// the xid the createSession request was sent with.
	Connect *Handshake
	// Extra holds the bytes after what was decoded: a body the client would not read (Java
	// sends one with some errors) or trailing garbage.
	Extra []byte
	// DecodeErr is set when the body did not decode as Op's response record.
	DecodeErr error
	// Raw is the frame's payload, without the length prefix.
	Raw []byte
	// CloseErr is why the connection ended (io.EOF for an orderly close).
	CloseErr error
	// At is when the frame was read.
	At time.Time
}

// Conn is one raw client connection.
type Conn struct {
	nc net.Conn
	br *bufio.Reader
	// MaxFrame bounds accepted frame lengths; set it before Handshake.
	MaxFrame int

	wmu sync.Mutex // serialises writes

	mu       sync.Mutex
	pending  map[int32][]wire.Op
	queue    []Event
	taken    bool // the Closed event was returned by Next
	notify   chan struct{}
	started  bool
	xid      int32
	readDone chan struct{}
}

// Dial opens a TCP connection without sending anything.
func Dial(addr string, timeout time.Duration) (*Conn, error) {
	nc, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, fmt.Errorf("zkwire: dial %s: %w", addr, err)
	}
	return &Conn{
		nc: nc, br: bufio.NewReaderSize(nc, 64<<10), MaxFrame: DefaultMaxFrame,
		pending: make(map[int32][]wire.Op), notify: make(chan struct{}, 1),
		readDone: make(chan struct{}),
	}, nil
}

// Connect dials addr and performs the handshake. When the server closes the connection
// instead of answering, the error wraps the read error and the Conn is closed.
func Connect(addr string, o ConnectOptions, timeout time.Duration) (*Conn, *Handshake, error) {
	c, err := Dial(addr, timeout)
	if err != nil {
		return nil, nil, err
	}
	h, err := c.Handshake(o, timeout)
	if err != nil {
		c.Close()
		return nil, nil, err
	}
	return c, h, nil
}

// ErrNoConnectResponse wraps the read error when the server closed the connection (or sent
// nothing in time) instead of a ConnectResponse.
var ErrNoConnectResponse = errors.New("zkwire: no ConnectResponse")

// Handshake sends the ConnectRequest, reads the ConnectResponse and starts the reader.
func (c *Conn) Handshake(o ConnectOptions, timeout time.Duration) (*Handshake, error) {
	if err := c.WriteRaw(ConnectRequestFrame(o)); err != nil {
		return nil, err
	}
	if err := c.nc.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return nil, err
	}
	frame, err := wire.ReadFrame(c.br, c.MaxFrame, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoConnectResponse, err)
	}
	if err := c.nc.SetReadDeadline(time.Time{}); err != nil {
		return nil, err
	}
	resp, ro, err := wire.DecodeConnectResponse(frame)
	if err != nil {
		return nil, fmt.Errorf("zkwire: ConnectResponse: %w", err)
	}
	h := &Handshake{Response: resp, HasReadOnly: ro, Raw: append([]byte(nil), frame...)}
	c.Start()
	return h, nil
}

// Start starts the reader goroutine without a handshake (for feeding a server raw frames and
// reading what it answers as reply frames). Handshake calls it.
func (c *Conn) Start() {
	c.mu.Lock()
	if c.started {
		c.mu.Unlock()
		return
	}
	c.started = true
	c.mu.Unlock()
	go c.readLoop()
}

// ReadRaw reads whatever bytes arrive, before Start, until the server closes the connection
// (closed = true) or d passes without the connection ending.
func (c *Conn) ReadRaw(d time.Duration) (data []byte, closed bool, err error) {
	if err := c.nc.SetReadDeadline(time.Now().Add(d)); err != nil {
		return nil, false, err
	}
	defer c.nc.SetReadDeadline(time.Time{})
	data, err = io.ReadAll(c.br)
	if err == nil {
		return data, true, nil
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return data, false, nil
	}
	return data, true, err // reset by peer counts as closed
}

// LocalAddr is the client side of the connection.
func (c *Conn) LocalAddr() net.Addr { return c.nc.LocalAddr() }

// Close closes the socket (it sends no closeSession).
func (c *Conn) Close() error { return c.nc.Close() }

// CloseWrite half-closes the connection: the server sees EOF but can still answer.
func (c *Conn) CloseWrite() error {
	if tc, ok := c.nc.(*net.TCPConn); ok {
		return tc.CloseWrite()
	}
	return c.nc.Close()
}

// NextXid returns the next client xid, counting from 1 as the Java client does.
func (c *Conn) NextXid() int32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.xid++
	return c.xid
}

// Expect registers that the next reply with this xid answers op (for requests written with
// WriteRaw, or to decode a reply to a malformed request).
func (c *Conn) Expect(xid int32, op wire.Op) {
	c.mu.Lock()
	c.pending[xid] = append(c.pending[xid], op)
	c.mu.Unlock()
}

// Request is one request frame: header fields and an optional record.
type Request struct {
	Xid    int32
	Op     wire.Op
	Record jute.Record // nil for ping, closeSession, whoAmI
}

// AppendRequest appends the framed request.
func AppendRequest(b []byte, r Request) []byte {
	h := records.RequestHeader{Xid: r.Xid, Type: int32(r.Op)}
	if r.Record == nil {
		return wire.AppendFrame(b, &h)
	}
	return wire.AppendFrame(b, &h, r.Record)
}

// Send writes one request.
func (c *Conn) Send(xid int32, op wire.Op, rec jute.Record) error {
	return c.Pipeline(Request{Xid: xid, Op: op, Record: rec})
}

// Call sends rec with the next xid and returns that xid.
func (c *Conn) Call(op wire.Op, rec jute.Record) (int32, error) {
	xid := c.NextXid()
	return xid, c.Send(xid, op, rec)
}

// SendMulti writes a multi (14) or multiRead (22) request.
func (c *Conn) SendMulti(xid int32, op wire.Op, ops []wire.MultiOp) error {
	return c.Send(xid, op, MultiRecord(ops))
}

// Pipeline writes several requests in one write, so they reach the server back to back.
func (c *Conn) Pipeline(reqs ...Request) error {
	var b []byte
	for _, r := range reqs {
		b = AppendRequest(b, r)
	}
	c.mu.Lock()
	for _, r := range reqs {
		c.pending[r.Xid] = append(c.pending[r.Xid], r.Op)
	}
	c.mu.Unlock()
	return c.WriteRaw(b)
}

// WriteRaw writes b as is: no framing, no xid registration.
func (c *Conn) WriteRaw(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.nc.SetWriteDeadline(time.Now().Add(10 * time.Second)); err != nil {
		return err
	}
	_, err := c.nc.Write(b)
	if err != nil {
		return fmt.Errorf("zkwire: write: %w", err)
	}
	return nil
}

// MultiRecord adapts a list of multi ops to jute.Record, so a multi is sent like any request.
type MultiRecord []wire.MultiOp

// Size is the encoded size.
func (m MultiRecord) Size() int { return wire.MultiSize(m) }

// Append encodes the MultiOperationRecord.
func (m MultiRecord) Append(b []byte) []byte { return wire.AppendMulti(b, m) }

// Decode is not supported: MultiRecord only sends (use wire.DecodeMulti).
func (m MultiRecord) Decode(d *jute.Decoder) error {
	return errors.New("zkwire: MultiRecord is encode-only; use wire.DecodeMulti")
}

// Next returns the next event, waiting up to d. After the Closed event it returns ErrClosed.
func (c *Conn) Next(d time.Duration) (Event, error) {
	var timer *time.Timer
	for {
		c.mu.Lock()
		if len(c.queue) > 0 {
			ev := c.queue[0]
			c.queue[0] = Event{}
			c.queue = c.queue[1:]
			if ev.Kind == KindClosed {
				c.taken = true
			}
			c.mu.Unlock()
			return ev, nil
		}
		if c.taken {
			c.mu.Unlock()
			return Event{}, ErrClosed
		}
		c.mu.Unlock()
		if timer == nil {
			timer = time.NewTimer(d)
			defer timer.Stop()
		}
		select {
		case <-c.notify:
		case <-timer.C:
			return Event{}, ErrTimeout
		}
	}
}

// Pending is the number of queued events.
func (c *Conn) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.queue)
}

// Done is closed when the reader has stopped (the Closed event is queued).
func (c *Conn) Done() <-chan struct{} { return c.readDone }

func (c *Conn) push(ev Event) {
	c.mu.Lock()
	c.queue = append(c.queue, ev)
	c.mu.Unlock()
	select {
	case c.notify <- struct{}{}:
	default:
	}
}

func (c *Conn) readLoop() {
	defer close(c.readDone)
	for {
		frame, err := wire.ReadFrame(c.br, c.MaxFrame, nil)
		if err != nil {
			c.push(Event{Kind: KindClosed, CloseErr: err, At: time.Now()})
			return
		}
		c.push(c.decode(frame))
	}
}

// popOp removes the oldest outstanding request with opcode op and returns its xid.
func (c *Conn) popOp(op wire.Op) (int32, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for xid, q := range c.pending {
		for i, o := range q {
			if o == op {
				if len(q) == 1 {
					delete(c.pending, xid)
				} else {
					c.pending[xid] = append(q[:i:i], q[i+1:]...)
				}
				return xid, true
			}
		}
	}
	return 0, false
}

// opFor pops the opcode registered for xid, or infers it from a special xid.
func (c *Conn) opFor(xid int32) (wire.Op, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if q := c.pending[xid]; len(q) > 0 {
		op := q[0]
		if len(q) == 1 {
			delete(c.pending, xid)
		} else {
			c.pending[xid] = q[1:]
		}
		return op, true
	}
	switch xid {
	case wire.XidPing:
		return wire.OpPing, false
	case wire.XidAuth:
		return wire.OpAuth, false
	case wire.XidSetWatches:
		return wire.OpSetWatches, false
	}
	return wire.OpError, false
}

func (c *Conn) decode(frame []byte) Event {
	ev := Event{Kind: KindReply, Raw: frame, At: time.Now()}
	if len(frame) == 36 || len(frame) == 37 {
		if xid, ok := c.popOp(wire.OpCreateSession); ok {
			if resp, ro, err := wire.DecodeConnectResponse(frame); err == nil {
				ev.Xid, ev.Op, ev.Matched = xid, wire.OpCreateSession, true
				ev.Connect = &Handshake{Response: resp, HasReadOnly: ro, Raw: frame}
				return ev
			}
		}
	}
	d := jute.NewDecoder(frame)
	d.MaxBuffer = c.MaxFrame
	var h records.ReplyHeader
	if err := h.Decode(d); err != nil {
		ev.DecodeErr = err
		ev.Extra = frame
		return ev
	}
	ev.Xid, ev.Zxid, ev.Err = h.Xid, h.Zxid, wire.Code(h.Err)
	if h.Xid == wire.XidNotification {
		ev.Kind = KindNotification
		ev.Op = wire.OpNotification
		if err := ev.Watch.Decode(d); err != nil {
			ev.DecodeErr = err
		}
		ev.Extra = d.Rest()
		return ev
	}
	ev.Op, ev.Matched = c.opFor(h.Xid)
	if ev.Err != wire.OK {
		ev.Extra = d.Rest()
		return ev
	}
	switch ev.Op {
	case wire.OpMulti, wire.OpMultiRead:
		ev.Multi, ev.DecodeErr = wire.DecodeMultiResponse(d)
		if ev.DecodeErr == nil && ev.Multi == nil {
			ev.Multi = []wire.MultiResult{} // an empty result list, as opposed to none decoded
		}
	default:
		if rec := wire.NewResponse(ev.Op); rec != nil {
			if err := rec.Decode(d); err != nil {
				ev.DecodeErr = err
			} else {
				ev.Body = rec
			}
		}
	}
	ev.Extra = d.Rest()
	return ev
}

// FourLetterWord sends a four-letter word as the first 4 bytes of a fresh connection and
// returns everything the server writes before it closes.
func FourLetterWord(addr, word string, timeout time.Duration) (string, error) {
	c, err := Dial(addr, timeout)
	if err != nil {
		return "", err
	}
	defer c.Close()
	if err := c.WriteRaw([]byte(word)); err != nil {
		return "", err
	}
	data, closed, err := c.ReadRaw(timeout)
	if err != nil {
		return string(data), err
	}
	if !closed {
		return string(data), fmt.Errorf("zkwire: %s: %s did not close the connection within %v", word, addr, timeout)
	}
	return string(data), nil
}
