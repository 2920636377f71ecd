// Package conn is the client-port transport: it accepts connections, sniffs four-letter
// words, reads length-prefixed frames (rejecting lengths over jute.maxbuffer before
// allocating), decodes requests and hands them to the node loop; one writer goroutine per
// connection drains its ordered outbound queue with vectored writes, so a burst of replies and
// events costs one syscall.
package conn

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zkgo/zkgo/jute"
	"github.com/zkgo/zkgo/jute/records"
	"github.com/zkgo/zkgo/server/node"
	"github.com/zkgo/zkgo/wire"
)

// FourLetterFunc answers a four-letter word; ok=false means "not whitelisted / unknown" and the
// text is what to print anyway.
type FourLetterFunc func(word string, extra int64) string

// Server serves the client port.
type Server struct {
	Node           *node.Node
	MaxBuffer      int
	MaxClientCnxns int // per client IP; 0 = unlimited
	FourLetter     FourLetterFunc
	// FourLetterEnabled, when set, tells whether a word is whitelisted: stmk's 8-byte mask is
	// read only when it is (Java answers a word off the whitelist at once).
	FourLetterEnabled func(word string) bool
	Logger            *slog.Logger

	mu      sync.Mutex
	ln      net.Listener
	perIP   map[string]int
	conns   map[*Conn]struct{}
	closing bool
	wg      sync.WaitGroup
}

// Serve accepts connections on ln until Close, or until Rebind replaces ln.
func (s *Server) Serve(ln net.Listener) error {
	if s.Logger == nil {
		s.Logger = slog.Default()
	}
	if s.MaxBuffer <= 0 {
		s.MaxBuffer = jute.DefaultMaxBuffer
	}
	s.mu.Lock()
	if s.closing {
		// Close ran before Serve got going: nothing to serve.
		s.mu.Unlock()
		ln.Close()
		return nil
	}
	s.ln = ln
	if s.conns == nil {
		s.perIP = map[string]int{}
		s.conns = map[*Conn]struct{}{}
	}
	s.mu.Unlock()
	for {
		nc, err := ln.Accept()
		if err != nil {
			s.mu.Lock()
			done := s.closing || s.ln != ln
			s.mu.Unlock()
			if done {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(5 * time.Millisecond)
				continue
			}
			return err
		}
		ip := remoteIP(nc)
		s.mu.Lock()
		if s.MaxClientCnxns > 0 && s.perIP[ip] >= s.MaxClientCnxns {
			s.mu.Unlock()
			s.Logger.Warn("too many connections", "ip", ip, "max", s.MaxClientCnxns)
			nc.Close()
			continue
		}
		s.perIP[ip]++
		c := newConn(s, nc, ip)
		s.conns[c] = struct{}{}
		s.wg.Add(2)
		s.mu.Unlock()
		go c.readLoop()
		go c.writeLoop()
	}
}

// Rebind moves the client port to ln, as a reconfig of this server's client address does
// (NIOServerCnxnFactory.reconfigure): the old listener closes, the connections it accepted
// stay open.
func (s *Server) Rebind(ln net.Listener) {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		ln.Close()
		return
	}
	old := s.ln
	s.ln = ln
	s.wg.Add(1)
	s.mu.Unlock()
	if old != nil {
		old.Close()
	}
	go func() {
		defer s.wg.Done()
		if err := s.Serve(ln); err != nil {
			s.Logger.Error("client port", "addr", ln.Addr().String(), "err", err)
		}
	}()
}

// Addr is the address the client port listens on (nil before Serve).
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// Close stops accepting and closes every connection.
func (s *Server) Close() {
	s.mu.Lock()
	s.closing = true
	if s.ln != nil {
		s.ln.Close()
	}
	for c := range s.conns {
		// finish, not only the socket: a reader waiting for its handshake to be resumed (a
		// session the node never answers, e.g. one pending at a leader that went away) waits
		// on done, not on the socket.
		c.finish()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// Connections is the number of open client connections.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// List returns the open connections, oldest first (cons, stat).
func (s *Server) List() []*Conn {
	s.mu.Lock()
	out := make([]*Conn, 0, len(s.conns))
	for c := range s.conns {
		out = append(out, c)
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].opened.Before(out[j].opened) })
	return out
}

// RemoteAddr is the client's "ip:port".
func (c *Conn) RemoteAddr() string { return c.nc.RemoteAddr().String() }

// Opened is when the connection was accepted.
func (c *Conn) Opened() time.Time { return c.opened }

// FramesRead counts the frames (or the four-letter word) read so far.
func (c *Conn) FramesRead() int64 { return c.frames.Load() }

func (s *Server) forget(c *Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.perIP[c.ip]--
	if s.perIP[c.ip] <= 0 {
		delete(s.perIP, c.ip)
	}
	s.mu.Unlock()
}

func remoteIP(nc net.Conn) string {
	if a, ok := nc.RemoteAddr().(*net.TCPAddr); ok {
		if v4 := a.IP.To4(); v4 != nil {
			return v4.String()
		}
		return a.IP.String()
	}
	h, _, _ := net.SplitHostPort(nc.RemoteAddr().String())
	return h
}

// Conn is one client connection.
type Conn struct {
	s  *Server
	nc net.Conn
	ip string

	mu       sync.Mutex
	out      [][]byte
	spare    [][]byte // the other queue array: while one is written, frames go to the other
	writing  bool     // a goroutine (the writer or the reader, see flushInline) is writing
	inline   bool     // the reader is in a request and writes its replies itself afterwards
	closing  bool
	wake     chan struct{}
	resume   chan bool
	done     chan struct{}
	doneOnce sync.Once
	opened   time.Time
	frames   atomic.Int64 // frames and four-letter words read (cons, for a connection without a session)
}

func newConn(s *Server, nc net.Conn, ip string) *Conn {
	if tc, ok := nc.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	return &Conn{s: s, nc: nc, ip: ip, wake: make(chan struct{}, 1), resume: make(chan bool, 1), done: make(chan struct{}), opened: time.Now()}
}

// Send queues a frame.
func (c *Conn) Send(frame []byte) {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return
	}
	c.out = append(c.out, frame)
	inline := c.inline
	c.mu.Unlock()
	if !inline {
		c.wakeWriter()
	}
}

func (c *Conn) wakeWriter() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// take hands the queued frames to the calling goroutine to write, unless another goroutine is
// writing or nothing is queued.
func (c *Conn) take() (bufs [][]byte, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.writing || len(c.out) == 0 {
		return nil, false
	}
	bufs, c.out, c.spare = c.out, c.spare, nil
	c.writing = true
	return bufs, true
}

// write writes frames taken with take, gives their array back for reuse and reports whether
// the writer has work left (frames queued meanwhile, or a close to finish).
func (c *Conn) write(bufs [][]byte) (more bool, err error) {
	nb := net.Buffers(bufs)
	_, err = nb.WriteTo(c.nc)
	clear(bufs) // the frames can go
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writing = false
	if cap(bufs) <= maxKeptQueue && c.spare == nil {
		c.spare = bufs[:0]
	}
	return len(c.out) > 0 || c.closing, err
}

// flushInline ends a request the reader handed to the node: the replies it queued are written
// by the reader itself (no hand-off to the writer goroutine) unless the writer is busy, which
// then gets them.
func (c *Conn) flushInline() {
	c.mu.Lock()
	c.inline = false
	closing := c.closing
	c.mu.Unlock()
	if closing {
		c.wakeWriter()
		return
	}
	bufs, ok := c.take()
	if !ok {
		c.wakeWriter() // the writer may have passed over frames queued while inline was set
		return
	}
	more, err := c.write(bufs)
	if err != nil {
		c.finish()
		return
	}
	if more {
		c.wakeWriter()
	}
}

// Close closes the connection once queued frames are written.
func (c *Conn) Close() {
	c.mu.Lock()
	c.closing = true
	c.mu.Unlock()
	c.wakeWriter()
}

// RemoteIP is the client's address.
func (c *Conn) RemoteIP() string { return c.ip }

// Resume lets the reader continue after the handshake.
func (c *Conn) Resume(ok bool) {
	select {
	case c.resume <- ok:
	default:
	}
}

func (c *Conn) finish() {
	c.doneOnce.Do(func() {
		close(c.done)
		c.nc.Close()
	})
}

func (c *Conn) writeLoop() {
	defer c.s.wg.Done()
	defer c.finish()
	for {
		select {
		case <-c.wake:
		case <-c.done:
			return
		}
		for {
			bufs, ok := c.take()
			if !ok {
				break
			}
			if _, err := c.write(bufs); err != nil {
				return
			}
		}
		c.mu.Lock()
		finished := c.closing && len(c.out) == 0 && !c.writing
		c.mu.Unlock()
		if finished {
			if tc, ok := c.nc.(*net.TCPConn); ok {
				tc.CloseWrite()
			}
			return
		}
	}
}

func (c *Conn) readLoop() {
	defer c.s.wg.Done()
	defer c.s.forget(c)
	defer func() {
		c.s.Node.Disconnect(c)
		c.Close()
	}()
	r := bufio.NewReaderSize(c.nc, 64*1024)
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return
	}
	n := int32(binary.BigEndian.Uint32(hdr[:]))
	c.frames.Add(1)
	if w, ok := wire.FourLetterWord(n); ok {
		c.fourLetter(r, w)
		return
	}
	if n == wire.TelnetClose {
		return
	}
	frame, err := wire.ReadFrameBody(r, n, c.s.MaxBuffer, nil)
	if err != nil {
		c.s.Logger.Info("closing connection before handshake", "ip", c.ip, "err", err)
		return
	}
	req, hasRO, err := wire.DecodeConnectRequest(frame, c.s.MaxBuffer)
	if err != nil {
		c.s.Logger.Info("bad connect request", "ip", c.ip, "err", err)
		return
	}
	c.s.Node.Connect(c, req, hasRO)
	select {
	case ok := <-c.resume:
		if !ok {
			c.waitFlushed()
			return
		}
	case <-c.done:
		return
	}
	// One frame buffer and one decoder serve every request of the connection: the decoder
	// copies buffers (CopyBuffers), so nothing the node keeps aliases the frame. A frame
	// larger than maxKeptFrame is not kept for the next one.
	var buf []byte
	d := &jute.Decoder{MaxBuffer: c.s.MaxBuffer, CopyBuffers: true}
	for {
		frame, err := wire.ReadFrame(r, c.s.MaxBuffer, buf)
		if err != nil {
			var fe *wire.FrameError
			if errors.As(err, &fe) {
				c.s.Logger.Warn("closing connection", "ip", c.ip, "err", err)
			}
			return
		}
		c.frames.Add(1)
		if cap(frame) <= maxKeptFrame {
			buf = frame[:0]
		} else {
			buf = nil
		}
		d.Reset(frame)
		var h records.RequestHeader
		if err := h.Decode(d); err != nil {
			c.s.Logger.Warn("closing connection: bad request header", "ip", c.ip, "err", err)
			return
		}
		op := wire.Op(h.Type)
		var body jute.Record
		var multi []wire.MultiOp
		var derr error
		switch op {
		case wire.OpMulti, wire.OpMultiRead:
			multi, derr = wire.DecodeMulti(d)
			if derr == nil && op == wire.OpMultiRead {
				for _, o := range multi {
					if o.Op != wire.OpGetData && o.Op != wire.OpGetChildren {
						derr = errors.New("multiRead holds a write")
					}
				}
			} else if derr == nil {
				for _, o := range multi {
					if o.Op == wire.OpGetData || o.Op == wire.OpGetChildren {
						derr = errors.New("multi holds a read")
					}
				}
			}
		default:
			if body = wire.NewRequest(op); body != nil {
				derr = body.Decode(d)
			}
		}
		if derr != nil {
			c.s.Logger.Info("undecodable request", "ip", c.ip, "op", op.String(), "err", derr)
		}
		// The node handles the request on this goroutine; its replies are written below,
		// after the next requests already read (a pipelining client's replies share a write).
		c.mu.Lock()
		c.inline = true
		c.mu.Unlock()
		c.s.Node.Request(c, h, body, multi, derr)
		if !frameBuffered(r) {
			c.flushInline()
		}
	}
}

// frameBuffered reports whether a whole frame is already in r, so reading it cannot block.
func frameBuffered(r *bufio.Reader) bool {
	if r.Buffered() < 4 {
		return false
	}
	h, _ := r.Peek(4)
	n := int(binary.BigEndian.Uint32(h))
	return n >= 0 && r.Buffered()-4 >= n
}

// maxKeptFrame is the largest frame buffer a connection keeps for reuse, maxKeptQueue the
// longest outbound queue array.
const (
	maxKeptFrame = 64 << 10
	maxKeptQueue = 4096
)

// waitFlushed waits (briefly) for the writer to send what is queued before the reader exits.
func (c *Conn) waitFlushed() {
	select {
	case <-c.done:
	case <-time.After(5 * time.Second):
	}
}

func (c *Conn) fourLetter(r *bufio.Reader, w string) {
	var extra int64
	if w == "stmk" && (c.s.FourLetterEnabled == nil || c.s.FourLetterEnabled(w)) {
		var b [8]byte
		if _, err := io.ReadFull(r, b[:]); err == nil {
			extra = int64(binary.BigEndian.Uint64(b[:]))
		}
	}
	text := "imok"
	if c.s.FourLetter != nil {
		text = c.s.FourLetter(w, extra)
	}
	c.Send([]byte(text))
	c.Close()
	c.waitFlushed()
}
