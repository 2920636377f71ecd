package transport

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"sync"
	"time"

	"github.com/zkgo/zkgo/wire"
)

// Queue sizes and defaults of QuorumCnxManager.
const (
	RecvCapacity          = 100             // RECV_CAPACITY: the oldest message is dropped when full
	DefaultConnectTimeout = 5 * time.Second // zookeeper.cnxTimeout
	DefaultBindRetry      = 3               // zookeeper.electionPortBindRetry
	bindRetryDelay        = time.Second
)

// observerID is QuorumPeer.OBSERVER_ID (Long.MAX_VALUE), the sid of legacy observers; each
// connection using it gets its own negative sid.
const observerID = math.MaxInt64

// Config sets up a Transport.
type Config struct {
	MyID int64
	// Addr is this server's election address, "host:port": where it listens and what its
	// initial message announces.
	Addr string
	// Peers maps every other server (voters and observers) to its election address.
	Peers map[int64]string
	// ConnectTimeout bounds a TCP connect (default 5 s); HandshakeTimeout bounds reading a
	// peer's initial message (Java: tickTime*syncLimit, or zookeeper.quorumCnxnTimeoutMs).
	ConnectTimeout   time.Duration
	HandshakeTimeout time.Duration
	// BindRetry is how many times binding Addr is tried, a second apart (default 3).
	BindRetry int
	Logger    *slog.Logger
}

// Message is one election frame's payload and the sid it came from.
type Message struct {
	From    int64
	Payload []byte
}

// Transport is the election-port connection manager (QuorumCnxManager): one TCP connection
// per pair of servers, initiated by the higher sid; a send slot of one message per peer; a
// shared receive queue.
type Transport struct {
	cfg Config
	log *slog.Logger

	mu         sync.Mutex
	ln         net.Listener
	peers      map[int64]*peer
	connecting map[int64]bool
	recv       []Message
	closed     bool
	nextObs    int64
	recvReady  chan struct{}   // signalled (buffer 1) when recv becomes non-empty
	ctx        context.Context // cancelled by Close: ends the bind retries and dials in progress
	cancel     context.CancelFunc
	wg         sync.WaitGroup
	// dropped counts received messages dropped because the queue was full.
	dropped int
}

type peer struct {
	sid     int64
	addr    string // "" if unknown (not in Peers and never announced)
	pending []byte // the send slot (capacity 1): a newer message replaces an unsent one
	has     bool
	last    []byte // the last message written, sent again when a new connection starts
	wake    chan struct{}
	conn    *conn
}

type conn struct {
	sid  int64
	c    net.Conn
	once sync.Once
	done chan struct{}
}

func (c *conn) close() {
	c.once.Do(func() {
		close(c.done)
		c.c.Close()
	})
}

// New returns a Transport; Start listens.
func New(cfg Config) *Transport {
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = DefaultConnectTimeout
	}
	if cfg.HandshakeTimeout <= 0 {
		cfg.HandshakeTimeout = 10 * time.Second
	}
	if cfg.BindRetry <= 0 {
		cfg.BindRetry = DefaultBindRetry
	}
	lg := cfg.Logger
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	t := &Transport{cfg: cfg, log: lg.With("myid", cfg.MyID), peers: map[int64]*peer{}, connecting: map[int64]bool{},
		recvReady: make(chan struct{}, 1), nextObs: -1}
	t.ctx, t.cancel = context.WithCancel(context.Background())
	for sid, addr := range cfg.Peers {
		t.peerLocked(sid).addr = addr
	}
	return t
}

// Start binds the election address, retrying BindRetry times a second apart, and accepts
// connections in the background.
func (t *Transport) Start() error {
	var ln net.Listener
	var err error
	for i := 0; i < t.cfg.BindRetry; i++ {
		if i > 0 {
			select {
			case <-time.After(bindRetryDelay):
			case <-t.ctx.Done():
				return errors.New("transport: closed")
			}
		}
		if ln, err = net.Listen("tcp", t.cfg.Addr); err == nil {
			break
		}
		t.log.Warn("election port bind failed", "addr", t.cfg.Addr, "try", i+1, "err", err)
	}
	if err != nil {
		return fmt.Errorf("transport: listening on election address %s after %d tries: %w", t.cfg.Addr, t.cfg.BindRetry, err)
	}
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		ln.Close()
		return errors.New("transport: closed")
	}
	t.ln = ln
	t.mu.Unlock()
	t.wg.Add(1)
	go t.accept(ln)
	return nil
}

// Addr is the bound listen address (useful with port 0).
func (t *Transport) Addr() net.Addr {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ln == nil {
		return nil
	}
	return t.ln.Addr()
}

// Close stops listening, closes every connection and waits for the goroutines.
func (t *Transport) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	t.cancel()
	if t.ln != nil {
		t.ln.Close()
	}
	for _, p := range t.peers {
		if p.conn != nil {
			p.conn.close()
		}
	}
	t.mu.Unlock()
	t.wg.Wait()
	return nil
}

// Send queues payload (an election frame's payload) for sid: to itself it is looped back to
// the receive queue; otherwise it replaces whatever unsent message the peer's slot held, and
// a connection is opened if there is none.
func (t *Transport) Send(sid int64, payload []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return
	}
	if sid == t.cfg.MyID {
		t.pushLocked(Message{From: sid, Payload: payload})
		return
	}
	p := t.peerLocked(sid)
	p.pending, p.has = payload, true
	select {
	case p.wake <- struct{}{}:
	default:
	}
	t.connectLocked(p)
}

// ConnectAll opens a connection to every peer that has a send slot and none (connectAll).
func (t *Transport) ConnectAll() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, p := range t.peers {
		t.connectLocked(p)
	}
}

// SetPeerAddr sets (or adds) a peer's election address, for a server a reconfig added.
func (t *Transport) SetPeerAddr(sid int64, addr string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.peerLocked(sid).addr = addr
}

// Connected reports whether a connection to sid is up.
func (t *Transport) Connected(sid int64) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.peers[sid]
	return p != nil && p.conn != nil
}

// Ready is signalled when received messages wait; Poll takes them.
func (t *Transport) Ready() <-chan struct{} { return t.recvReady }

// Poll takes the oldest received message.
func (t *Transport) Poll() (Message, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.recv) == 0 {
		return Message{}, false
	}
	m := t.recv[0]
	t.recv = t.recv[1:]
	if len(t.recv) > 0 {
		t.signalLocked()
	}
	return m, true
}

func (t *Transport) pushLocked(m Message) {
	if len(t.recv) >= RecvCapacity {
		t.recv = t.recv[1:]
		t.dropped++
	}
	t.recv = append(t.recv, m)
	t.signalLocked()
}

func (t *Transport) signalLocked() {
	select {
	case t.recvReady <- struct{}{}:
	default:
	}
}

func (t *Transport) peerLocked(sid int64) *peer {
	p := t.peers[sid]
	if p == nil {
		p = &peer{sid: sid, wake: make(chan struct{}, 1)}
		t.peers[sid] = p
	}
	return p
}

// connectLocked dials p in the background unless a connection is up or being made.
func (t *Transport) connectLocked(p *peer) {
	if p.conn != nil || t.connecting[p.sid] || t.closed {
		return
	}
	if p.addr == "" {
		t.log.Warn("invalid server id: no election address", "sid", p.sid)
		return
	}
	t.connecting[p.sid] = true
	t.wg.Add(1)
	go t.dial(p.sid, p.addr)
}

// dial is initiateConnection: connect, send the initial message, then keep the connection
// only if the remote sid is lower than ours; a higher sid dials back.
func (t *Transport) dial(sid int64, addr string) {
	defer t.wg.Done()
	defer func() {
		t.mu.Lock()
		delete(t.connecting, sid)
		t.mu.Unlock()
	}()
	ctx, cancel := context.WithCancel(context.Background())
	stop := context.AfterFunc(t.ctx, cancel)
	d := net.Dialer{Timeout: t.cfg.ConnectTimeout}
	c, err := d.DialContext(ctx, "tcp", addr)
	stop()
	cancel()
	if err != nil {
		t.log.Debug("cannot open channel", "sid", sid, "addr", addr, "err", err)
		return
	}
	c.SetWriteDeadline(time.Now().Add(t.cfg.HandshakeTimeout))
	if _, err := c.Write(wire.AppendInitialMessage(nil, t.cfg.MyID, t.cfg.Addr)); err != nil {
		t.log.Debug("sending initial message", "sid", sid, "err", err)
		c.Close()
		return
	}
	c.SetWriteDeadline(time.Time{})
	if sid > t.cfg.MyID {
		// "Have smaller server identifier, so dropping the connection": the remote dials us.
		c.Close()
		return
	}
	t.startConn(sid, c, bufio.NewReader(c))
}

func (t *Transport) accept(ln net.Listener) {
	defer t.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			select {
			case <-t.ctx.Done():
				return
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			t.log.Error("election listener failed", "err", err)
			return
		}
		t.wg.Add(1)
		go t.handleConn(c)
	}
}

// handleConn is receiveConnection/handleConnection: read the initial message; a lower sid is
// closed and dialled back (only the higher sid's connection survives); our own sid is refused.
func (t *Transport) handleConn(c net.Conn) {
	defer t.wg.Done()
	r := bufio.NewReader(c)
	c.SetReadDeadline(time.Now().Add(t.cfg.HandshakeTimeout))
	m, err := wire.ReadInitialMessage(r)
	c.SetReadDeadline(time.Time{})
	if err != nil {
		t.log.Warn("election connection refused", "remote", c.RemoteAddr().String(), "err", err)
		c.Close()
		return
	}
	sid := m.Sid
	t.mu.Lock()
	if sid == observerID {
		sid = t.nextObs
		t.nextObs--
	}
	t.mu.Unlock()
	switch {
	case sid < t.cfg.MyID:
		c.Close()
		t.mu.Lock()
		p := t.peerLocked(sid)
		if p.conn != nil {
			p.conn.close()
			p.conn = nil
		}
		if p.addr == "" && len(m.Addrs) > 0 {
			p.addr = m.Addrs[0]
		}
		t.connectLocked(p)
		t.mu.Unlock()
	case sid == t.cfg.MyID:
		t.log.Warn("connection request from a server with our own id: a configuration error or a bug (ZOOKEEPER-2164)", "remote", c.RemoteAddr().String())
		c.Close()
	default:
		t.startConn(sid, c, r)
	}
}

// startConn makes c the connection for sid, finishing any older one, and starts its sender
// and receiver.
func (t *Transport) startConn(sid int64, c net.Conn, r *bufio.Reader) {
	cn := &conn{sid: sid, c: c, done: make(chan struct{})}
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		c.Close()
		return
	}
	p := t.peerLocked(sid)
	if p.conn != nil {
		p.conn.close()
	}
	p.conn = cn
	t.wg.Add(2)
	t.mu.Unlock()
	go t.sender(p, cn)
	go t.receiver(p, cn, r)
}

func (t *Transport) finish(p *peer, cn *conn) {
	cn.close()
	t.mu.Lock()
	if p.conn == cn {
		p.conn = nil
	}
	t.mu.Unlock()
}

// sender is SendWorker: when the connection starts with nothing queued it sends the last
// message again; then it writes whatever lands in the peer's slot.
func (t *Transport) sender(p *peer, cn *conn) {
	defer t.wg.Done()
	defer t.finish(p, cn)
	t.mu.Lock()
	resend := p.last
	if p.has {
		resend = nil
	}
	t.mu.Unlock()
	var buf []byte
	write := func(payload []byte) bool {
		buf = wire.AppendElectionFrame(buf[:0], payload)
		if _, err := cn.c.Write(buf); err != nil {
			t.log.Debug("send failed", "sid", p.sid, "err", err)
			return false
		}
		return true
	}
	if resend != nil && !write(resend) {
		return
	}
	for {
		t.mu.Lock()
		if p.conn != cn {
			if p.has {
				// This sender may have taken the wake-up meant for its successor.
				select {
				case p.wake <- struct{}{}:
				default:
				}
			}
			t.mu.Unlock()
			return
		}
		msg, ok := p.pending, p.has
		if ok {
			p.pending, p.has = nil, false
			p.last = msg
		}
		t.mu.Unlock()
		if ok {
			if !write(msg) {
				return
			}
			continue
		}
		select {
		case <-p.wake:
		case <-cn.done:
			return
		}
	}
}

// receiver is RecvWorker: frames of 1..512 KiB into the receive queue; anything else ends the
// connection.
func (t *Transport) receiver(p *peer, cn *conn, r *bufio.Reader) {
	defer t.wg.Done()
	defer t.finish(p, cn)
	for {
		frame, err := wire.ReadElectionFrame(r, nil)
		if err != nil {
			select {
			case <-cn.done:
			default:
				t.log.Debug("connection broken", "sid", p.sid, "err", err)
			}
			return
		}
		t.mu.Lock()
		t.pushLocked(Message{From: p.sid, Payload: frame})
		t.mu.Unlock()
	}
}
