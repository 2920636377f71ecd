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

// Serve accepts connections on ln until Close.
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
	s.perIP = map[string]int{}
	s.conns = map[*Conn]struct{}{}
	s.mu.Unlock()
	for {
		nc, err := ln.Accept()
		if err != nil {
			s.mu.Lock()
			closing := s.closing
			s.mu.Unlock()
			if closing {
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

// Close stops accepting and closes every connection.
func (s *Server) Close() {
	s.mu.Lock()
	s.closing = true
	if s.ln != nil {
		s.ln.Close()
	}
	for c := range s.conns {
		c.nc.Close()
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
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Close closes the connection once queued frames are written.
func (c *Conn) Close() {
	c.mu.Lock()
	c.closing = true
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
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
	// Two queue arrays take turns: while the writer writes one, Send appends to the other,
	// so a burst of replies costs no allocation for the queue itself.
	var free [][]byte
	for {
		select {
		case <-c.wake:
		case <-c.done:
			return
		}
		c.mu.Lock()
		bufs := c.out
		c.out = free
		closing := c.closing
		c.mu.Unlock()
		if len(bufs) > 0 {
			nb := net.Buffers(bufs)
			if _, err := nb.WriteTo(c.nc); err != nil {
				return
			}
		}
		clear(bufs) // the frames can go
		free = bufs[:0]
		if cap(free) > maxKeptQueue {
			free = nil
		}
		if closing {
			c.mu.Lock()
			empty := len(c.out) == 0
			c.mu.Unlock()
			if empty {
				if tc, ok := c.nc.(*net.TCPConn); ok {
					tc.CloseWrite()
				}
				return
			}
			select {
			case c.wake <- struct{}{}:
			default:
			}
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
		c.s.Node.Request(c, h, body, multi, derr)
	}
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
