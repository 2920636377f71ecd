package proxy

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/zkgo/zkgo/jute/records"
	"github.com/zkgo/zkgo/wire"
)

// Proxy is a running ZooKeeper client-protocol proxy.
type Proxy struct {
	cfg  Config
	m    *metrics
	log  *slog.Logger
	rlog *lineWriter // request log, nil when off
	ups  []*upstream
	rr   atomic.Uint64

	ln        net.Listener
	metricsLn net.Listener
	httpSrv   *http.Server

	cross *crossCheck // nil in forwarding mode

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	sess   map[int64]sessionEntry // for Sessions()
	closed bool
	done   chan struct{}
	wg     sync.WaitGroup
	files  []*os.File
}

// sessionEntry records which connection currently carries a session.
type sessionEntry struct {
	upstream string
	conn     net.Conn
}

type upstream struct {
	addr string
	up   atomic.Bool
}

// New checks cfg and builds a Proxy; Start or Serve runs it.
func New(cfg Config) (*Proxy, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	p := &Proxy{
		cfg:   cfg,
		log:   cfg.Logger,
		conns: make(map[net.Conn]struct{}),
		sess:  make(map[int64]sessionEntry),
		done:  make(chan struct{}),
	}
	p.m = newMetrics(&p.cfg)
	for _, a := range cfg.Upstreams {
		u := &upstream{addr: a}
		u.up.Store(true) // optimistic until a probe or connect says otherwise
		p.m.upstreamUp.WithLabelValues(a).Set(1)
		p.m.upstreamConns.WithLabelValues(a).Set(0)
		p.m.upstreamFails.WithLabelValues(a)
		p.ups = append(p.ups, u)
	}
	w, err := p.openSink(cfg.Log, cfg.LogFile)
	if err != nil {
		return nil, err
	}
	if w != nil {
		p.rlog = newLineWriter(w)
	}
	if cfg.Oracle != "" {
		rw, err := p.openSink(cfg.Report, cfg.ReportFile)
		if err != nil {
			p.closeFiles()
			return nil, err
		}
		p.cross = newCrossCheck(p, rw)
	}
	return p, nil
}

func (p *Proxy) openSink(w io.Writer, file string) (io.Writer, error) {
	if w != nil {
		return w, nil
	}
	if file == "" {
		return nil, nil
	}
	f, err := os.OpenFile(file, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("proxy: %w", err)
	}
	p.files = append(p.files, f)
	return f, nil
}

func (p *Proxy) closeFiles() {
	for _, f := range p.files {
		f.Close()
	}
}

// Start listens on cfg.Listen (and cfg.MetricsAddr) and serves in the background.
func Start(cfg Config) (*Proxy, error) {
	p, err := New(cfg)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", p.cfg.Listen)
	if err != nil {
		p.closeFiles()
		return nil, fmt.Errorf("proxy: listen %s: %w", p.cfg.Listen, err)
	}
	if err := p.startMetrics(); err != nil {
		ln.Close()
		p.closeFiles()
		return nil, err
	}
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		p.Serve(ln)
	}()
	return p, nil
}

func (p *Proxy) startMetrics() error {
	if p.cfg.MetricsAddr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", p.cfg.MetricsAddr)
	if err != nil {
		return fmt.Errorf("proxy: metrics listen %s: %w", p.cfg.MetricsAddr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", p.MetricsHandler())
	p.metricsLn = ln
	p.httpSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		p.httpSrv.Serve(ln)
	}()
	return nil
}

// Serve accepts client connections on ln until Close.
func (p *Proxy) Serve(ln net.Listener) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		ln.Close()
		return net.ErrClosed
	}
	p.ln = ln
	p.mu.Unlock()
	if p.cross == nil && p.cfg.HealthInterval > 0 {
		for _, u := range p.ups {
			p.wg.Add(1)
			go p.probe(u)
		}
	}
	for {
		c, err := ln.Accept()
		if err != nil {
			select {
			case <-p.done:
				return nil
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return err
		}
		if !p.track(c) {
			c.Close()
			return nil
		}
		p.m.connsTotal.Inc()
		p.m.connsOpen.Inc()
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			defer p.m.connsOpen.Dec()
			defer p.untrack(c)
			defer c.Close()
			if p.cross != nil {
				p.cross.serve(c)
			} else {
				p.serveClient(c)
			}
		}()
	}
}

func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

// Addr is the client listener's address (valid after Start).
func (p *Proxy) Addr() net.Addr {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln == nil {
		return nil
	}
	return p.ln.Addr()
}

// MetricsAddr is the metrics listener's address, or nil when metrics are not served.
func (p *Proxy) MetricsAddr() net.Addr {
	if p.metricsLn == nil {
		return nil
	}
	return p.metricsLn.Addr()
}

// Registry is the proxy's own Prometheus registry (every zkproxy_* series plus Go and
// process collectors).
func (p *Proxy) Registry() *prometheus.Registry { return p.m.reg }

// MetricsHandler serves the registry in the Prometheus text format.
func (p *Proxy) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(p.m.reg, promhttp.HandlerOpts{})
}

// Sessions returns the sessions currently connected through the proxy and the upstream
// each is on (the oracle's address in cross-check mode).
func (p *Proxy) Sessions() map[int64]string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[int64]string, len(p.sess))
	for k, v := range p.sess {
		out[k] = v.upstream
	}
	return out
}

// setSession records that client connection c now carries session id on upstream addr; it
// returns the function that forgets it again (unless a newer connection took the session).
func (p *Proxy) setSession(id int64, addr string, c net.Conn) func() {
	p.mu.Lock()
	p.sess[id] = sessionEntry{addr, c}
	p.mu.Unlock()
	return func() {
		p.mu.Lock()
		if p.sess[id].conn == c {
			delete(p.sess, id)
		}
		p.mu.Unlock()
	}
}

// Close stops accepting, closes every client and upstream connection, and flushes the
// request log and the divergence report. In cross-check mode it waits briefly for
// outstanding candidate replies first.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	close(p.done)
	if p.ln != nil {
		p.ln.Close()
	}
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	if p.httpSrv != nil {
		p.httpSrv.Close()
	}
	p.wg.Wait()
	if p.rlog != nil {
		p.rlog.Flush()
	}
	if p.cross != nil {
		p.cross.report.Flush()
	}
	p.closeFiles()
	return nil
}

// Done is closed when Close starts.
func (p *Proxy) Done() <-chan struct{} { return p.done }

// probe checks one upstream with a srvr four-letter word every HealthInterval: up unless
// the connect fails or the server says it is not serving.
func (p *Proxy) probe(u *upstream) {
	defer p.wg.Done()
	t := time.NewTicker(p.cfg.HealthInterval)
	defer t.Stop()
	for {
		p.setUp(u, p.probeOnce(u.addr))
		select {
		case <-p.done:
			return
		case <-t.C:
		}
	}
}

func (p *Proxy) probeOnce(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, p.cfg.DialTimeout)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(p.cfg.DialTimeout))
	if _, err := c.Write([]byte("srvr")); err != nil {
		return false
	}
	out, _ := io.ReadAll(io.LimitReader(c, 64<<10))
	if len(out) == 0 {
		return false
	}
	return !bytes.Contains(out, []byte("not currently serving"))
}

func (p *Proxy) setUp(u *upstream, up bool) {
	if u.up.Swap(up) != up {
		if up {
			p.log.Info("proxy: upstream up", "upstream", u.addr)
		} else {
			p.log.Warn("proxy: upstream down", "upstream", u.addr)
		}
	}
	v := 0.0
	if up {
		v = 1
	}
	p.m.upstreamUp.WithLabelValues(u.addr).Set(v)
}

// order returns the upstreams to try for a new connection: round robin over the live ones,
// then the ones marked down (a probe may be stale).
func (p *Proxy) order() []*upstream {
	n := len(p.ups)
	start := int(p.rr.Add(1)-1) % n
	live := make([]*upstream, 0, n)
	var down []*upstream
	for i := 0; i < n; i++ {
		u := p.ups[(start+i)%n]
		if u.up.Load() {
			live = append(live, u)
		} else {
			down = append(down, u)
		}
	}
	return append(live, down...)
}

// Frame I/O -------------------------------------------------------------------------------

// readLen reads a frame's 4-byte length prefix into buf[:4].
func readLen(r io.Reader, buf []byte) (int32, error) {
	if _, err := io.ReadFull(r, buf[:4]); err != nil {
		return 0, err
	}
	return int32(binary.BigEndian.Uint32(buf)), nil
}

// readBody reads the n-byte payload after the prefix already in buf[:4] and returns the
// whole frame (prefix included), growing buf as needed.
func readBody(r io.Reader, n int32, max int, buf []byte) ([]byte, error) {
	if n < 0 {
		return nil, &protocolError{"negative_length", fmt.Errorf("negative frame length %d", n)}
	}
	if int(n) > max {
		return nil, &protocolError{"oversize", fmt.Errorf("frame length %d exceeds jute.maxbuffer %d", n, max)}
	}
	need := 4 + int(n)
	if cap(buf) < need {
		nb := make([]byte, need)
		copy(nb, buf[:4])
		buf = nb
	}
	buf = buf[:need]
	if _, err := io.ReadFull(r, buf[4:]); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return buf, nil
}

// readFrame reads a whole frame, prefix included.
func readFrame(r io.Reader, max int, buf []byte) ([]byte, error) {
	if cap(buf) < 4 {
		buf = make([]byte, 4, 512)
	}
	n, err := readLen(r, buf[:4])
	if err != nil {
		return nil, err
	}
	return readBody(r, n, max, buf[:4])
}

// moreFramed reports whether br already holds a complete next frame; writers flush only
// when it does not, so pipelined frames share a write and a lone frame leaves at once.
func moreFramed(br *bufio.Reader) bool {
	if br.Buffered() < 4 {
		return false
	}
	h, err := br.Peek(4)
	if err != nil {
		return false
	}
	n := int(int32(binary.BigEndian.Uint32(h)))
	return n >= 0 && br.Buffered() >= 4+n
}

// pending is the queue of requests forwarded upstream and not yet answered. Replies come
// in request order; pings (-2), auth (-4) and setWatches (-8) share their xids, so a reply
// takes the oldest entry with its xid.
type pending struct {
	mu sync.Mutex
	q  []*inflight
}

type inflight struct {
	req   request
	start time.Time
	seq   int64 // cross-check: position in the client's request stream
}

func (q *pending) push(f *inflight) {
	q.mu.Lock()
	q.q = append(q.q, f)
	q.mu.Unlock()
}

func (q *pending) pop(xid int32) *inflight {
	q.mu.Lock()
	defer q.mu.Unlock()
	i := q.find(func(f *inflight) bool { return f.req.Xid == xid })
	if i < 0 {
		// The server answers ping with xid -2, auth with -4 and setWatches with -8 whatever
		// xid the request carried, and a createSession request (-10) sent after the
		// handshake with a bare ConnectResponse, whose protocolVersion 0 reads as xid 0.
		var op wire.Op
		switch xid {
		case wire.XidPing:
			op = wire.OpPing
		case wire.XidAuth:
			op = wire.OpAuth
		case wire.XidSetWatches:
			op = wire.OpSetWatches
		case 0:
			op = wire.OpCreateSession
		}
		if op != 0 {
			i = q.find(func(f *inflight) bool {
				return f.req.Op == op || op == wire.OpSetWatches && f.req.Op == wire.OpSetWatches2
			})
		}
	}
	if i < 0 {
		return nil
	}
	f := q.q[i]
	copy(q.q[i:], q.q[i+1:])
	q.q[len(q.q)-1] = nil
	q.q = q.q[:len(q.q)-1]
	return f
}

func (q *pending) describe() string {
	q.mu.Lock()
	defer q.mu.Unlock()
	var b strings.Builder
	for _, f := range q.q {
		fmt.Fprintf(&b, "%d:%s ", f.req.Xid, f.req.Op)
	}
	return b.String()
}

func (q *pending) find(match func(*inflight) bool) int {
	for i, f := range q.q {
		if match(f) {
			return i
		}
	}
	return -1
}

func (q *pending) drain() []*inflight {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := q.q
	q.q = nil
	return out
}

func (q *pending) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.q)
}

// Forwarding mode -------------------------------------------------------------------------

// conn is one proxied client connection in forwarding mode.
type conn struct {
	p        *Proxy
	client   net.Conn
	up       net.Conn
	upstream *upstream
	session  int64
	pend     pending
	closing  atomic.Bool // the client sent closeSession: the upstream will close
}

// clientHello reads a client's first frame. A four-letter word is passed to the first of
// fourLW that accepts a connection and answered (ok=false); a framing violation or an
// undecodable ConnectRequest closes the client (ok=false); otherwise it returns the whole
// ConnectRequest frame and its decoding.
func (p *Proxy) clientHello(c net.Conn, br *bufio.Reader, fourLW func() []*upstream) (frame []byte, creq records.ConnectRequest, hasRO, ok bool) {
	c.SetReadDeadline(time.Now().Add(p.cfg.HandshakeTimeout))
	first := make([]byte, 4, 512)
	n, err := readLen(br, first)
	if err != nil {
		return nil, creq, false, false
	}
	if w, isWord := wire.FourLetterWord(n); isWord || n == wire.TelnetClose {
		if !isWord {
			w = "telnet-close"
		}
		p.fourLetter(c, br, first[:4], w, fourLW())
		return nil, creq, false, false
	}
	frame, err = readBody(br, n, p.cfg.MaxBuffer, first)
	if err != nil {
		p.clientError(c, "connect", err)
		return nil, creq, false, false
	}
	creq, hasRO, err = wire.DecodeConnectRequest(frame[4:], p.cfg.MaxBuffer)
	if err != nil && hasRO {
		// Every field decoded and bytes follow the readOnly byte: Java ignores them, and
		// so does the proxy (the frame is forwarded as it came).
		err = nil
	}
	if err != nil {
		p.clientError(c, "connect", &protocolError{"bad_connect", err})
		return nil, creq, false, false
	}
	p.m.connectReqs.WithLabelValues(fmt.Sprint(creq.ReadOnly), fmt.Sprint(hasRO)).Inc()
	c.SetReadDeadline(time.Time{})
	return frame, creq, hasRO, true
}

func (p *Proxy) serveClient(c net.Conn) {
	br := bufio.NewReaderSize(c, 64<<10)
	frame, creq, _, ok := p.clientHello(c, br, p.order)
	if !ok {
		return
	}
	u, upc, resp, err := p.dialSession(frame, p.order())
	if err != nil {
		p.m.handshakes.WithLabelValues("failed").Inc()
		p.log.Warn("proxy: no upstream accepted the session", "client", c.RemoteAddr().String(), "session", hexID(creq.SessionID), "err", err)
		return
	}
	defer upc.Close()
	p.m.upstreamConns.WithLabelValues(u.addr).Inc()
	defer p.m.upstreamConns.WithLabelValues(u.addr).Dec()
	cresp, _, derr := wire.DecodeConnectResponse(resp[4:])
	if _, err := c.Write(resp); err != nil {
		return
	}
	if derr != nil || cresp.TimeOut <= 0 || cresp.SessionID == 0 {
		// An invalid (expired) session: the server closes next; so do we.
		p.m.handshakes.WithLabelValues("expired").Inc()
		io.Copy(c, upc)
		return
	}
	if creq.SessionID == 0 {
		p.m.handshakes.WithLabelValues("new").Inc()
	} else {
		p.m.handshakes.WithLabelValues("reconnect").Inc()
	}
	cn := &conn{p: p, client: c, up: upc, upstream: u, session: cresp.SessionID}
	p.m.sessionUp(cn.session)
	defer p.setSession(cn.session, u.addr, c)()
	defer p.m.sessionDown(cn.session)

	var clientGone atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		cn.upstreamLoop()
		if !clientGone.Load() && !cn.closing.Load() {
			select {
			case <-p.done:
			default:
				p.m.upstreamLost.WithLabelValues(u.addr).Inc()
				p.log.Info("proxy: upstream closed the connection; closing the client", "upstream", u.addr, "session", hexID(cn.session))
			}
		}
		c.Close()
	}()
	cn.clientLoop(br)
	clientGone.Store(true)
	upc.Close()
	<-done
	for range cn.pend.drain() {
		p.m.inflight.Dec()
	}
}

// clientError logs a framing violation and counts it; the caller closes that client.
func (p *Proxy) clientError(c net.Conn, where string, err error) {
	var pe *protocolError
	if errors.As(err, &pe) {
		p.m.protoErrors.WithLabelValues(pe.Reason).Inc()
		p.log.Warn("proxy: closing client after a malformed frame", "client", c.RemoteAddr().String(), "where", where, "err", err)
		return
	}
	if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
		p.m.protoErrors.WithLabelValues("truncated").Inc()
		p.log.Info("proxy: client connection ended mid-frame", "client", c.RemoteAddr().String(), "where", where, "err", err)
	}
}

// dialSession sends the client's ConnectRequest frame to each upstream in order until one
// answers with a ConnectResponse. An upstream that refuses to connect, closes without
// answering (not serving, client zxid ahead) or times out is skipped, as a client would.
func (p *Proxy) dialSession(creq []byte, order []*upstream) (*upstream, net.Conn, []byte, error) {
	var errs []error
	for _, u := range order {
		c, resp, err := p.handshake(u.addr, creq)
		if err != nil {
			p.m.upstreamFails.WithLabelValues(u.addr).Inc()
			var ne net.Error
			var oe *net.OpError
			if errors.As(err, &oe) && oe.Op == "dial" || errors.As(err, &ne) && ne.Timeout() {
				p.setUp(u, false)
			}
			errs = append(errs, fmt.Errorf("%s: %w", u.addr, err))
			continue
		}
		p.setUp(u, true)
		return u, c, resp, nil
	}
	return nil, nil, nil, errors.Join(errs...)
}

func (p *Proxy) handshake(addr string, creq []byte) (net.Conn, []byte, error) {
	c, err := net.DialTimeout("tcp", addr, p.cfg.DialTimeout)
	if err != nil {
		return nil, nil, err
	}
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	c.SetDeadline(time.Now().Add(p.cfg.HandshakeTimeout))
	if _, err := c.Write(creq); err != nil {
		c.Close()
		return nil, nil, err
	}
	resp, err := readFrame(c, p.cfg.MaxReplyBuffer, nil)
	if err != nil {
		c.Close()
		if errors.Is(err, io.EOF) {
			err = errors.New("closed the connection before a ConnectResponse")
		}
		return nil, nil, err
	}
	c.SetDeadline(time.Time{})
	return c, resp, nil
}

// fourLetter passes a four-letter word (and whatever follows, e.g. stmk's mask) to the
// first upstream that accepts a connection and copies the answer back.
func (p *Proxy) fourLetter(c net.Conn, br *bufio.Reader, first []byte, word string, order []*upstream) {
	p.m.fourLetter.WithLabelValues(word).Inc()
	c.SetReadDeadline(time.Time{})
	for _, u := range order {
		upc, err := net.DialTimeout("tcp", u.addr, p.cfg.DialTimeout)
		if err != nil {
			p.m.upstreamFails.WithLabelValues(u.addr).Inc()
			p.setUp(u, false)
			continue
		}
		defer upc.Close()
		if _, err := upc.Write(first); err != nil {
			return
		}
		go func() {
			io.Copy(upc, br)
			if tc, ok := upc.(*net.TCPConn); ok {
				tc.CloseWrite()
			}
		}()
		io.Copy(c, upc)
		return
	}
}

// clientLoop forwards client frames upstream until either side closes.
func (cn *conn) clientLoop(br *bufio.Reader) {
	p := cn.p
	bw := bufio.NewWriterSize(cn.up, 64<<10)
	buf := make([]byte, 4, 4096)
	for {
		frame, err := readFrame(br, p.cfg.MaxBuffer, buf)
		if err != nil {
			p.clientError(cn.client, "request", err)
			return
		}
		if cap(frame) > cap(buf) {
			buf = frame[:4]
		}
		req, err := decodeRequest(frame[4:], p.cfg.MaxBuffer)
		if err != nil {
			p.clientError(cn.client, "request", err)
			return
		}
		if req.BodyErr != nil {
			p.log.Debug("proxy: request body did not decode; forwarding", "session", hexID(cn.session), "op", req.Op.String(), "err", req.BodyErr)
		}
		p.m.request(&req)
		if ap, ok := req.Rec.(*records.AuthPacket); ok {
			p.m.auth(ap.Scheme)
		}
		if req.Op == wire.OpCloseSession {
			cn.closing.Store(true)
		}
		req.Rec = nil // may alias buf
		req.Multi = nil
		p.m.inflight.Inc()
		cn.pend.push(&inflight{req: req, start: time.Now()})
		if _, err := bw.Write(frame); err != nil {
			return
		}
		if !moreFramed(br) {
			if err := bw.Flush(); err != nil {
				return
			}
		}
	}
}

// upstreamLoop forwards server frames to the client until either side closes.
func (cn *conn) upstreamLoop() {
	p := cn.p
	br := bufio.NewReaderSize(cn.up, 64<<10)
	bw := bufio.NewWriterSize(cn.client, 64<<10)
	buf := make([]byte, 4, 4096)
	for {
		frame, err := readFrame(br, p.cfg.MaxReplyBuffer, buf)
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				p.log.Debug("proxy: upstream read", "upstream", cn.upstream.addr, "err", err)
			}
			return
		}
		if cap(frame) > cap(buf) {
			buf = frame[:4]
		}
		cn.observeReply(frame)
		if _, err := bw.Write(frame); err != nil {
			return
		}
		if !moreFramed(br) {
			if err := bw.Flush(); err != nil {
				return
			}
		}
	}
}

func (cn *conn) observeReply(frame []byte) {
	p := cn.p
	now := time.Now()
	xid, ok := p.replyXid(frame)
	if !ok {
		return
	}
	if xid == wire.XidNotification {
		p.notification(frame, now, cn.session, cn.upstream.addr)
		return
	}
	f := cn.pend.pop(xid)
	if f == nil {
		p.m.unmatched.Inc()
		p.log.Debug("proxy: reply matches no pending request", "session", hexID(cn.session), "xid", xid, "pending", cn.pend.describe())
		return
	}
	p.m.inflight.Dec()
	rep, _ := decodeReply(frame[4:], f.req.Op, p.cfg.MaxReplyBuffer)
	d := now.Sub(f.start)
	p.m.reply(&f.req, &rep, d)
	if p.rlog != nil {
		p.rlog.pair(f.start, cn.session, cn.upstream.addr, &f.req, &rep, d)
	}
}

// replyXid reads a reply frame's xid; a frame too short for a ReplyHeader is counted as a
// decode error (and still forwarded).
func (p *Proxy) replyXid(frame []byte) (int32, bool) {
	if len(frame) < 20 {
		p.m.decodeErrors.WithLabelValues("reply").Inc()
		return 0, false
	}
	return int32(binary.BigEndian.Uint32(frame[4:])), true
}

// notification decodes a watch event frame, counts it and logs it.
func (p *Proxy) notification(frame []byte, at time.Time, session int64, up string) *reply {
	rep, _ := decodeReply(frame[4:], wire.OpNotification, p.cfg.MaxReplyBuffer)
	p.m.event(&rep)
	if p.rlog != nil {
		p.rlog.event(at, session, up, &rep)
	}
	return &rep
}

func hexID(id int64) string { return fmt.Sprintf("0x%x", uint64(id)) }
