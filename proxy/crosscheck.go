package proxy

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zkgo/zkgo/jute"
	"github.com/zkgo/zkgo/jute/records"
	"github.com/zkgo/zkgo/wire"
)

// Divergence is one line of the cross-check report.
type Divergence struct {
	Time             time.Time `json:"time"`
	Kind             string    `json:"kind"` // reply, event, connect, connection
	Session          string    `json:"session"`
	CandidateSession string    `json:"candidate_session,omitempty"`
	Seq              int64     `json:"seq,omitempty"` // position of the request in the client's stream (1-based)
	Xid              int32     `json:"xid,omitempty"`
	Op               string    `json:"op"`
	Path             string    `json:"path,omitempty"`
	Request          any       `json:"request,omitempty"`
	Oracle           any       `json:"oracle,omitempty"`
	Candidate        any       `json:"candidate,omitempty"`
	Differences      []string  `json:"differences"`
	Description      string    `json:"description"`
}

// Summary counts what a cross-check run compared and where the backends diverged.
type Summary struct {
	Sessions          int64            `json:"sessions"`
	Compared          int64            `json:"compared"`
	ComparedByOp      map[string]int64 `json:"compared_by_op"`
	EventsCompared    int64            `json:"events_compared"`
	Divergences       int64            `json:"divergences"`
	DivergencesByOp   map[string]int64 `json:"divergences_by_op"`
	DivergencesByKind map[string]int64 `json:"divergences_by_kind"`
	// Uncompared counts requests whose candidate reply never came (candidate connection
	// lost or refused) and so could not be compared.
	Uncompared int64 `json:"uncompared"`
}

func (s Summary) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "cross-check: %d sessions, %d requests compared, %d watch events compared, %d uncompared, %d divergences\n",
		s.Sessions, s.Compared, s.EventsCompared, s.Uncompared, s.Divergences)
	ops := make([]string, 0, len(s.ComparedByOp))
	for op := range s.ComparedByOp {
		ops = append(ops, op)
	}
	for op := range s.DivergencesByOp {
		if _, ok := s.ComparedByOp[op]; !ok {
			ops = append(ops, op)
		}
	}
	sort.Strings(ops)
	if len(ops) > 0 {
		fmt.Fprintf(&b, "  %-22s %10s %12s\n", "op", "compared", "divergences")
		for _, op := range ops {
			fmt.Fprintf(&b, "  %-22s %10d %12d\n", op, s.ComparedByOp[op], s.DivergencesByOp[op])
		}
	}
	kinds := make([]string, 0, len(s.DivergencesByKind))
	for k := range s.DivergencesByKind {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		fmt.Fprintf(&b, "  divergences of kind %s: %d\n", k, s.DivergencesByKind[k])
	}
	return b.String()
}

const (
	drainGrace = 2 * time.Second // wait for outstanding replies before closing a backend
	closeGrace = 1 * time.Second // wait for the other backend to close too
	maxKept    = 10000           // divergences kept in memory for Divergences()
	writeGrace = 5 * time.Second // candidate write deadline
	descKeep   = 4096            // request descriptions kept per connection
	noneAfter  = "the start of the connection"
)

type crossCheck struct {
	p      *Proxy
	report *lineWriter
	oracle *upstream
	cand   *upstream
	zx     *zxidMap

	mu       sync.Mutex
	sessions map[int64]*sessionPair // oracle session id -> candidate session
	rev      map[int64]int64        // candidate session id -> oracle session id
	sum      Summary
	kept     []Divergence
}

// sessionPair is the candidate's side of an oracle session.
type sessionPair struct {
	cand     int64
	passwd   []byte
	lastZxid int64 // highest zxid the candidate has shown this session
}

func newCrossCheck(p *Proxy, report io.Writer) *crossCheck {
	if report == nil {
		report = io.Discard
	}
	x := &crossCheck{
		p:        p,
		report:   newLineWriter(report),
		oracle:   &upstream{addr: p.cfg.Oracle},
		cand:     &upstream{addr: p.cfg.Candidate},
		zx:       newZxidMap(p.cfg.ExactZxid),
		sessions: map[int64]*sessionPair{},
		rev:      map[int64]int64{},
		sum: Summary{
			ComparedByOp: map[string]int64{}, DivergencesByOp: map[string]int64{}, DivergencesByKind: map[string]int64{},
		},
	}
	for _, u := range []*upstream{x.oracle, x.cand} {
		u.up.Store(true)
		p.m.upstreamUp.WithLabelValues(u.addr).Set(1)
		p.m.upstreamConns.WithLabelValues(u.addr).Set(0)
		p.m.upstreamFails.WithLabelValues(u.addr)
	}
	return x
}

// Summary returns the cross-check counts so far (zero outside cross-check mode).
func (p *Proxy) Summary() Summary {
	if p.cross == nil {
		return Summary{}
	}
	x := p.cross
	x.mu.Lock()
	defer x.mu.Unlock()
	s := x.sum
	s.ComparedByOp = copyCounts(s.ComparedByOp)
	s.DivergencesByOp = copyCounts(s.DivergencesByOp)
	s.DivergencesByKind = copyCounts(s.DivergencesByKind)
	return s
}

// Divergences returns the divergences found so far (the first 10000).
func (p *Proxy) Divergences() []Divergence {
	if p.cross == nil {
		return nil
	}
	p.cross.mu.Lock()
	defer p.cross.mu.Unlock()
	return append([]Divergence(nil), p.cross.kept...)
}

func copyCounts(m map[string]int64) map[string]int64 {
	out := make(map[string]int64, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (x *crossCheck) diverge(d Divergence) {
	d.Time = time.Now()
	if d.Description == "" {
		d.Description = strings.Join(d.Differences, "; ")
	}
	x.mu.Lock()
	x.sum.Divergences++
	x.sum.DivergencesByOp[d.Op]++
	x.sum.DivergencesByKind[d.Kind]++
	if len(x.kept) < maxKept {
		x.kept = append(x.kept, d)
	}
	x.mu.Unlock()
	x.p.m.divergences.WithLabelValues(d.Op, d.Kind).Inc()
	x.report.write(&d)
	x.p.log.Info("proxy: cross-check divergence", "kind", d.Kind, "description", d.Description)
}

func (x *crossCheck) compared(op string) {
	x.mu.Lock()
	x.sum.Compared++
	x.sum.ComparedByOp[op]++
	x.mu.Unlock()
	x.p.m.compared.WithLabelValues(op).Inc()
}

func (x *crossCheck) uncompared(n int) {
	if n == 0 {
		return
	}
	x.mu.Lock()
	x.sum.Uncompared += int64(n)
	x.mu.Unlock()
}

// ownerEq compares ephemeralOwner values through the session map.
func (x *crossCheck) ownerEq(o, c int64) (bool, string) {
	if c == 0 {
		return o == 0, "0x0"
	}
	x.mu.Lock()
	mapped, ok := x.rev[c]
	x.mu.Unlock()
	if !ok {
		return false, hexID(c) + "(unmapped)"
	}
	return mapped == o, hexID(c) + "(oracle " + hexID(mapped) + ")"
}

// ccConn is one client connection in cross-check mode.
type ccConn struct {
	x        *crossCheck
	client   net.Conn
	oc, cc   net.Conn
	oSess    int64
	cSess    int64
	sp       *sessionPair // nil when the candidate has no session
	opend    pending
	cpend    pending
	cbw      *bufio.Writer
	candOK   atomic.Bool // candidate connection usable
	closing  atomic.Bool // we are closing the backends
	oClosed  atomic.Bool // the oracle closed on its own...
	oEnd     int64       // ...after answering this request (seq); set before oDone closes
	detached atomic.Bool // the candidate was lost while the client stayed

	wmu sync.Mutex    // held while writing released frames to the client, in order
	cw  *bufio.Writer // client writer (under wmu)

	mu    sync.Mutex
	out   []*outItem // oracle frames not yet written to the client, in arrival order
	seq   int64
	pairs map[int64]*pair
	desc  map[int64]string
	oLast int64 // seq of the last non-ping reply from each backend
	cLast int64
	oEv   []*evRec
	cEv   []*evRec
}

// outItem is an oracle frame waiting to reach the client. A reply waits until the
// candidate has answered the same request too (lockstep): the client only learns that a
// request is done when both backends are done with it, so whatever it does next, on any of
// its sessions, reaches the candidate after that request, as it reaches the oracle. Without
// it a slower candidate would see another session's read before this session's write.
type outItem struct {
	frame []byte
	seq   int64 // the request it answers (0: event, ping, unmatched)
	ready bool
	timer *time.Timer
}

type pair struct {
	seq  int64
	req  request
	o, c *reply
}

type evRec struct {
	rep   *reply
	after int64
}

func (x *crossCheck) serve(c net.Conn) {
	p := x.p
	br := bufio.NewReaderSize(c, 64<<10)
	// Four-letter words go to the oracle only: their text differs between any two servers
	// (versions, counters, latencies) and is not compared.
	frame, creq, hasRO, ok := p.clientHello(c, br, func() []*upstream { return []*upstream{x.oracle} })
	if !ok {
		return
	}
	oc, oresp, err := p.handshake(x.oracle.addr, frame)
	if err != nil {
		p.m.upstreamFails.WithLabelValues(x.oracle.addr).Inc()
		p.m.handshakes.WithLabelValues("failed").Inc()
		p.log.Warn("proxy: oracle did not accept the session", "oracle", x.oracle.addr, "err", err)
		return
	}
	defer oc.Close()
	ocr, oRO, oerr := wire.DecodeConnectResponse(oresp[4:])
	oValid := oerr == nil && ocr.TimeOut > 0 && ocr.SessionID != 0

	cn := &ccConn{x: x, client: c, oc: oc, pairs: map[int64]*pair{}, desc: map[int64]string{}, cw: bufio.NewWriterSize(c, 64<<10)}
	cframe, why := x.candidateConnect(creq, hasRO, frame)
	var cresp []byte
	if cframe != nil {
		cn.cc, cresp, err = p.handshake(x.cand.addr, cframe)
		if err != nil {
			p.m.upstreamFails.WithLabelValues(x.cand.addr).Inc()
			why = "candidate did not answer the ConnectRequest: " + err.Error()
			cn.cc = nil
		}
	}
	if cn.cc != nil {
		defer cn.cc.Close()
	}
	if _, err := c.Write(oresp); err != nil {
		return
	}
	if !oValid {
		p.m.handshakes.WithLabelValues("expired").Inc()
		if cn.cc != nil {
			if ccr, _, err := wire.DecodeConnectResponse(cresp[4:]); err == nil && ccr.TimeOut > 0 && ccr.SessionID != 0 {
				x.diverge(Divergence{Kind: "connect", Session: hexID(creq.SessionID), Op: "connect",
					Differences: []string{"session valid oracle=false candidate=true"},
					Description: fmt.Sprintf("connect (session %s): the oracle refused the session, the candidate accepted it", hexID(creq.SessionID))})
			}
		}
		io.Copy(c, oc)
		return
	}
	if creq.SessionID == 0 {
		p.m.handshakes.WithLabelValues("new").Inc()
	} else {
		p.m.handshakes.WithLabelValues("reconnect").Inc()
	}
	cn.oSess = ocr.SessionID
	if cn.cc != nil {
		cn.compareConnect(&ocr, oRO, cresp)
	} else {
		x.diverge(Divergence{Kind: "connect", Session: hexID(cn.oSess), Op: "connect",
			Differences: []string{why}, Description: "connect: " + why})
	}
	x.mu.Lock()
	x.sum.Sessions++
	x.mu.Unlock()
	p.m.sessionUp(cn.oSess)
	defer p.setSession(cn.oSess, x.oracle.addr, c)()
	defer p.m.sessionDown(cn.oSess)
	for _, u := range []*upstream{x.oracle, x.cand} {
		if u == x.cand && cn.cc == nil {
			continue
		}
		p.m.upstreamConns.WithLabelValues(u.addr).Inc()
		defer p.m.upstreamConns.WithLabelValues(u.addr).Dec()
	}
	cn.run(br)
}

// candidateConnect builds the candidate's ConnectRequest: the client's bytes for a new
// session; for a reconnect, the candidate's own session id, password and last zxid.
func (x *crossCheck) candidateConnect(creq records.ConnectRequest, hasRO bool, frame []byte) ([]byte, string) {
	if creq.SessionID == 0 {
		return frame, ""
	}
	x.mu.Lock()
	sp := x.sessions[creq.SessionID]
	var c records.ConnectRequest
	if sp != nil {
		c = creq
		c.SessionID = sp.cand
		c.Passwd = sp.passwd
		if creq.LastZxidSeen > 0 {
			c.LastZxidSeen = sp.lastZxid
		}
	}
	x.mu.Unlock()
	if sp == nil {
		return nil, fmt.Sprintf("session %s has no candidate session (opened before the proxy started, or the candidate refused it)", hexID(creq.SessionID))
	}
	b := make([]byte, 4, 64)
	b = jute.AppendInt(b, c.ProtocolVersion)
	b = jute.AppendLong(b, c.LastZxidSeen)
	b = jute.AppendInt(b, c.TimeOut)
	b = jute.AppendLong(b, c.SessionID)
	b = jute.AppendBuffer(b, c.Passwd)
	if hasRO {
		b = jute.AppendBool(b, c.ReadOnly)
	}
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	return b, ""
}

func (cn *ccConn) compareConnect(o *records.ConnectResponse, oRO bool, cresp []byte) {
	x := cn.x
	c, cRO, err := wire.DecodeConnectResponse(cresp[4:])
	var diffs []string
	cValid := err == nil && c.TimeOut > 0 && c.SessionID != 0
	switch {
	case err != nil:
		diffs = append(diffs, "candidate ConnectResponse did not decode: "+err.Error())
	case !cValid:
		diffs = append(diffs, "session valid oracle=true candidate=false")
	default:
		if o.TimeOut != c.TimeOut {
			diffs = append(diffs, fmt.Sprintf("timeOut oracle=%d candidate=%d", o.TimeOut, c.TimeOut))
		}
		if o.ProtocolVersion != c.ProtocolVersion {
			diffs = append(diffs, fmt.Sprintf("protocolVersion oracle=%d candidate=%d", o.ProtocolVersion, c.ProtocolVersion))
		}
		if len(o.Passwd) != len(c.Passwd) {
			diffs = append(diffs, fmt.Sprintf("passwd length oracle=%d candidate=%d", len(o.Passwd), len(c.Passwd)))
		}
		if oRO != cRO {
			diffs = append(diffs, fmt.Sprintf("readOnly byte present oracle=%v candidate=%v", oRO, cRO))
		} else if o.ReadOnly != c.ReadOnly {
			diffs = append(diffs, fmt.Sprintf("readOnly oracle=%v candidate=%v", o.ReadOnly, c.ReadOnly))
		}
	}
	if cValid {
		cn.cSess = c.SessionID
		x.mu.Lock()
		sp := x.sessions[o.SessionID]
		if sp == nil || sp.cand != c.SessionID {
			sp = &sessionPair{cand: c.SessionID}
			x.sessions[o.SessionID] = sp
		}
		sp.passwd = append([]byte(nil), c.Passwd...)
		x.rev[c.SessionID] = o.SessionID
		cn.sp = sp
		x.mu.Unlock()
		cn.candOK.Store(true)
		cn.cbw = bufio.NewWriterSize(cn.cc, 64<<10)
	} else {
		cn.cc.Close()
	}
	if len(diffs) > 0 {
		x.diverge(Divergence{Kind: "connect", Session: hexID(o.SessionID), CandidateSession: hexID(c.SessionID), Op: "connect",
			Oracle: connectResponseView(o, oRO), Candidate: connectResponseView(&c, cRO),
			Differences: diffs, Description: "connect: " + strings.Join(diffs, "; ")})
	}
}

func (cn *ccConn) run(br *bufio.Reader) {
	oDone := make(chan struct{})
	cDone := make(chan struct{})
	go func() {
		defer close(oDone)
		cn.oracleLoop()
		if !cn.closing.Load() {
			cn.mu.Lock()
			cn.oEnd = cn.oLast
			cn.mu.Unlock()
			cn.oClosed.Store(true)
		}
		// Let held replies reach the client before closing it (e.g. the reply to a request
		// the oracle answers and then closes on), waiting for the candidate a little.
		deadline := time.Now().Add(drainGrace)
		for cn.held() && time.Now().Before(deadline) && cn.candOK.Load() {
			time.Sleep(5 * time.Millisecond)
		}
		cn.releaseAll()
		cn.client.Close()
	}()
	if cn.candOK.Load() {
		go func() {
			defer close(cDone)
			cn.candidateLoop()
			cn.candOK.Store(false)
			cn.releaseAll()
			if !cn.closing.Load() {
				cn.candidateEnded(oDone)
			}
		}()
	} else {
		close(cDone)
	}
	cn.clientLoop(br)
	select {
	case <-oDone:
	default:
		waitDrain(&cn.opend, oDone, drainGrace)
		cn.closing.Store(true)
		cn.oc.Close()
		<-oDone
	}
	select {
	case <-cDone:
	default:
		waitDrain(&cn.cpend, cDone, drainGrace)
		if cn.oClosed.Load() {
			select {
			case <-cDone: // candidateEnded compared where each side closed
			case <-time.After(closeGrace):
				cn.mu.Lock()
				end := cn.oEnd
				cn.mu.Unlock()
				op, path := cn.request(end)
				cn.x.diverge(Divergence{Kind: "connection", Session: hexID(cn.oSess), CandidateSession: hexID(cn.cSess), Seq: end, Op: op, Path: path,
					Differences: []string{"connection closed oracle=true candidate=false"},
					Description: fmt.Sprintf("%s: the oracle closed the connection after answering it, the candidate kept it open", describe(op, path))})
			}
		}
		cn.closing.Store(true)
		if cn.cc != nil {
			cn.cc.Close()
		}
		<-cDone
	}
	cn.finish()
}

func waitDrain(q *pending, done <-chan struct{}, d time.Duration) {
	deadline := time.Now().Add(d)
	for q.len() > 0 && time.Now().Before(deadline) {
		select {
		case <-done:
			return
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func describe(op, path string) string {
	if path == "" {
		return op
	}
	return op + " " + path
}

// request names the request with sequence number seq ("connection" for 0).
func (cn *ccConn) request(seq int64) (string, string) {
	cn.mu.Lock()
	d, ok := cn.desc[seq]
	cn.mu.Unlock()
	if !ok {
		return "connection", ""
	}
	op, path, _ := strings.Cut(d, " ")
	return op, path
}

// candidateEnded runs when the candidate closed its connection on its own, after answering
// request cEnd. It agrees with the oracle when the oracle too closed on its own after the
// same request (closeSession, a standalone check in both), or answered nothing after it
// before the client left. The oracle answering a later request, closing after a different
// one, or still serving the client closeGrace later is a divergence, and the rest of this
// connection goes uncompared.
func (cn *ccConn) candidateEnded(oDone <-chan struct{}) {
	cn.mu.Lock()
	cEnd := cn.cLast
	cn.mu.Unlock()
	open := false
	select {
	case <-oDone:
	case <-time.After(closeGrace):
		open = true
	}
	cn.mu.Lock()
	oEnd, oLast := cn.oEnd, cn.oLast
	cn.mu.Unlock()
	oClosed := cn.oClosed.Load()
	if !open && ((oClosed && oEnd == cEnd) || (!oClosed && oLast <= cEnd)) {
		return
	}
	cn.detached.Store(true)
	unanswered := cn.cpend.drain()
	op, path := cn.request(cEnd)
	var ops []string
	for _, f := range unanswered {
		if f.req.Op != wire.OpPing {
			ops = append(ops, describe(opLabel(f.req.Op), f.req.Path))
		}
	}
	desc := fmt.Sprintf("%s: the candidate closed the connection after answering it, the oracle kept it open", describe(op, path))
	if !open && oLast > cEnd {
		lop, lpath := cn.request(oLast)
		desc = fmt.Sprintf("%s: the candidate closed the connection after answering it, the oracle kept it open (it answered %s later)", describe(op, path), describe(lop, lpath))
	} else if oClosed && !open {
		oop, opath := cn.request(oEnd)
		desc = fmt.Sprintf("%s: the candidate closed the connection after answering it, the oracle only after %s", describe(op, path), describe(oop, opath))
	}
	if len(ops) > 0 {
		desc += fmt.Sprintf("; %d requests unanswered by the candidate (%s)", len(ops), strings.Join(ops, ", "))
	}
	cn.x.diverge(Divergence{Kind: "connection", Session: hexID(cn.oSess), CandidateSession: hexID(cn.cSess), Seq: cEnd, Op: op, Path: path,
		Differences: []string{"connection closed oracle=false candidate=true"}, Description: desc})
}

func (cn *ccConn) clientLoop(br *bufio.Reader) {
	x := cn.x
	p := x.p
	obw := bufio.NewWriterSize(cn.oc, 64<<10)
	for {
		// A fresh buffer per frame: decoded records alias it and live until compared.
		frame, err := readFrame(br, p.cfg.MaxBuffer, nil)
		if err != nil {
			p.clientError(cn.client, "request", err)
			return
		}
		req, err := decodeRequest(frame[4:], p.cfg.MaxBuffer)
		if err != nil {
			p.clientError(cn.client, "request", err)
			return
		}
		if cn.oClosed.Load() {
			// The oracle is gone and the client is being closed; a request sent in the
			// meantime must not reach the candidate alone.
			return
		}
		p.m.request(&req)
		if ap, ok := req.Rec.(*records.AuthPacket); ok {
			p.m.auth(ap.Scheme)
		}
		now := time.Now()
		ping := req.Op == wire.OpPing
		cn.mu.Lock()
		cn.seq++
		seq := cn.seq
		if !ping {
			cn.pairs[seq] = &pair{seq: seq, req: req}
			cn.desc[seq] = describe(opLabel(req.Op), req.Path)
			delete(cn.desc, seq-descKeep)
		}
		cn.mu.Unlock()
		p.m.inflight.Inc()
		cn.opend.push(&inflight{req: req, start: now, seq: seq})
		if _, err := obw.Write(frame); err != nil {
			return
		}
		if !moreFramed(br) {
			if err := obw.Flush(); err != nil {
				return
			}
		}
		if cn.candOK.Load() {
			cframe := cn.candidateFrame(&req, frame)
			cn.cpend.push(&inflight{req: req, start: now, seq: seq})
			cn.cc.SetWriteDeadline(time.Now().Add(writeGrace))
			_, err := cn.cbw.Write(cframe)
			if err == nil && !moreFramed(br) {
				err = cn.cbw.Flush()
			}
			if err != nil {
				cn.candOK.Store(false)
				cn.cc.Close()
			}
		}
	}
}

// candidateFrame is the request as the candidate gets it: byte for byte the client's,
// except setWatches/setWatches2, whose relativeZxid becomes the candidate's own last zxid.
func (cn *ccConn) candidateFrame(req *request, frame []byte) []byte {
	if cn.sp == nil {
		return frame
	}
	cn.x.mu.Lock()
	last := cn.sp.lastZxid
	cn.x.mu.Unlock()
	hdr := &records.RequestHeader{Xid: req.Xid, Type: int32(req.Op)}
	switch r := req.Rec.(type) {
	case *records.SetWatches:
		c := *r
		c.RelativeZxid = last
		return wire.AppendFrame(nil, hdr, &c)
	case *records.SetWatches2:
		c := *r
		c.RelativeZxid = last
		return wire.AppendFrame(nil, hdr, &c)
	}
	return frame
}

func (cn *ccConn) oracleLoop() {
	p := cn.x.p
	br := bufio.NewReaderSize(cn.oc, 64<<10)
	for {
		frame, err := readFrame(br, p.cfg.MaxReplyBuffer, nil)
		if err != nil {
			return
		}
		cn.observe(true, frame)
		cn.flush()
	}
}

// hold queues an oracle frame for the client (under cn.mu).
func (cn *ccConn) holdLocked(frame []byte, seq int64, ready bool) {
	it := &outItem{frame: frame, seq: seq, ready: ready}
	if !ready {
		it.timer = time.AfterFunc(cn.x.p.cfg.CandidateTimeout, func() { cn.candidateLate(seq) })
	}
	cn.out = append(cn.out, it)
}

// releaseLocked marks the held reply to request seq ready (under cn.mu).
func (cn *ccConn) releaseLocked(seq int64) {
	for _, it := range cn.out {
		if it.seq == seq && !it.ready {
			it.ready = true
			if it.timer != nil {
				it.timer.Stop()
			}
			return
		}
	}
}

// releaseAll stops holding anything (the candidate is gone) and writes it all out.
func (cn *ccConn) releaseAll() {
	cn.mu.Lock()
	for _, it := range cn.out {
		if !it.ready {
			it.ready = true
			if it.timer != nil {
				it.timer.Stop()
			}
		}
	}
	cn.mu.Unlock()
	cn.flush()
}

func (cn *ccConn) held() bool {
	cn.mu.Lock()
	defer cn.mu.Unlock()
	return len(cn.out) > 0
}

// flush writes the ready frames at the head of the queue to the client, in order.
func (cn *ccConn) flush() {
	cn.wmu.Lock()
	defer cn.wmu.Unlock()
	for {
		cn.mu.Lock()
		n := 0
		for n < len(cn.out) && cn.out[n].ready {
			n++
		}
		items := cn.out[:n:n]
		cn.out = cn.out[n:]
		cn.mu.Unlock()
		if n == 0 {
			return
		}
		for _, it := range items {
			cn.cw.Write(it.frame)
		}
		cn.cw.Flush()
	}
}

// candidateLate releases a reply the candidate has not answered within CandidateTimeout.
func (cn *ccConn) candidateLate(seq int64) {
	cn.mu.Lock()
	found := false
	for _, it := range cn.out {
		if it.seq == seq && !it.ready {
			it.ready, found = true, true
		}
	}
	cn.mu.Unlock()
	if !found {
		return
	}
	op, path := cn.request(seq)
	cn.x.diverge(Divergence{Kind: "timeout", Session: hexID(cn.oSess), CandidateSession: hexID(cn.cSess), Seq: seq, Op: op, Path: path,
		Differences: []string{fmt.Sprintf("candidate reply later than %v", cn.x.p.cfg.CandidateTimeout)},
		Description: fmt.Sprintf("%s: the candidate did not answer within %v; the oracle's reply was released without it", describe(op, path), cn.x.p.cfg.CandidateTimeout)})
	cn.flush()
}

func (cn *ccConn) candidateLoop() {
	p := cn.x.p
	br := bufio.NewReaderSize(cn.cc, 64<<10)
	for {
		frame, err := readFrame(br, p.cfg.MaxReplyBuffer, nil)
		if err != nil {
			return
		}
		cn.observe(false, frame)
	}
}

// observe handles one reply frame from the oracle (oracle=true) or the candidate. Oracle
// frames are queued for the client (see outItem); the caller flushes.
func (cn *ccConn) observe(oracle bool, frame []byte) {
	x := cn.x
	p := x.p
	now := time.Now()
	xid, ok := p.replyXid(frame)
	if !ok {
		if oracle {
			cn.hold(frame)
		}
		return
	}
	if xid == wire.XidNotification {
		var rep *reply
		if oracle {
			cn.hold(frame)
			rep = p.notification(frame, now, cn.oSess, x.oracle.addr)
		} else {
			r, _ := decodeReply(frame[4:], wire.OpNotification, p.cfg.MaxReplyBuffer)
			rep = &r
		}
		cn.addEvent(oracle, rep)
		return
	}
	q := &cn.cpend
	if oracle {
		q = &cn.opend
	}
	f := q.pop(xid)
	if f == nil {
		if oracle {
			cn.hold(frame)
			p.m.unmatched.Inc()
		}
		return
	}
	rep, _ := decodeReply(frame[4:], f.req.Op, p.cfg.MaxReplyBuffer)
	d := now.Sub(f.start)
	if oracle {
		p.m.inflight.Dec()
		p.m.reply(&f.req, &rep, d)
		if p.rlog != nil {
			p.rlog.pair(f.start, cn.oSess, x.oracle.addr, &f.req, &rep, d)
		}
	} else {
		p.m.candLatency.WithLabelValues(opLabel(f.req.Op)).Observe(d.Seconds())
		if cn.sp != nil && rep.Hdr.Zxid > 0 {
			x.mu.Lock()
			if rep.Hdr.Zxid > cn.sp.lastZxid {
				cn.sp.lastZxid = rep.Hdr.Zxid
			}
			x.mu.Unlock()
		}
	}
	cn.mu.Lock()
	if f.req.Op == wire.OpPing {
		if oracle {
			cn.holdLocked(frame, 0, true)
		}
		cn.mu.Unlock()
		return
	}
	if oracle {
		cn.oLast = f.seq
	} else {
		cn.cLast = f.seq
	}
	pr := cn.pairs[f.seq]
	var done *pair
	if pr != nil {
		if oracle {
			pr.o = &rep
		} else {
			pr.c = &rep
		}
		switch {
		case pr.o != nil && pr.c != nil:
			done = pr
			delete(cn.pairs, f.seq)
		case pr.c == nil && !cn.candOK.Load():
			delete(cn.pairs, f.seq)
			x.uncompared(1)
		}
	}
	if oracle {
		cn.holdLocked(frame, f.seq, pr == nil || done != nil || !cn.candOK.Load())
	} else if done != nil {
		cn.releaseLocked(f.seq)
	}
	cn.mu.Unlock()
	if !oracle && done != nil {
		cn.flush()
	}
	if done != nil {
		cn.comparePair(done)
	}
}

func (cn *ccConn) hold(frame []byte) {
	cn.mu.Lock()
	cn.holdLocked(frame, 0, true)
	cn.mu.Unlock()
}

func (cn *ccConn) addEvent(oracle bool, rep *reply) {
	cn.mu.Lock()
	var os, cs []*evRec
	if oracle {
		cn.oEv = append(cn.oEv, &evRec{rep: rep, after: cn.oLast})
	} else {
		cn.cEv = append(cn.cEv, &evRec{rep: rep, after: cn.cLast})
	}
	for len(cn.oEv) > 0 && len(cn.cEv) > 0 {
		os = append(os, cn.oEv[0])
		cs = append(cs, cn.cEv[0])
		cn.oEv, cn.cEv = cn.oEv[1:], cn.cEv[1:]
	}
	cn.mu.Unlock()
	for i := range os {
		cn.compareEvents(os[i], cs[i])
	}
}

func (cn *ccConn) afterDesc(seq int64) string {
	if seq == 0 {
		return noneAfter
	}
	cn.mu.Lock()
	d, ok := cn.desc[seq]
	cn.mu.Unlock()
	if !ok {
		return fmt.Sprintf("request #%d", seq)
	}
	return fmt.Sprintf("request #%d (%s)", seq, d)
}

func eventName(r *reply) (string, string) {
	if r.Event == nil {
		return "notification", ""
	}
	return wire.EventType(r.Event.Type).String(), r.Event.Path
}

func (cn *ccConn) compareEvents(o, c *evRec) {
	x := cn.x
	x.mu.Lock()
	x.sum.EventsCompared++
	x.mu.Unlock()
	d := differ{zx: x.zx, owner: x.ownerEq}
	if o.rep.Event == nil || c.rep.Event == nil {
		d.diff("event", recordView(o.rep.Event), recordView(c.rep.Event))
	} else {
		d.diff("", recordView(o.rep.Event), recordView(c.rep.Event))
	}
	d.diff("zxid", zxidV(o.rep.Hdr.Zxid), zxidV(c.rep.Hdr.Zxid))
	if o.rep.Hdr.Err != c.rep.Hdr.Err {
		d.add("err", wire.Code(o.rep.Hdr.Err).String(), wire.Code(c.rep.Hdr.Err).String())
	}
	if o.after != c.after {
		d.out = append(d.out, fmt.Sprintf("order oracle=after %s candidate=after %s", cn.afterDesc(o.after), cn.afterDesc(c.after)))
	}
	if len(d.out) == 0 {
		return
	}
	typ, path := eventName(o.rep)
	x.diverge(Divergence{Kind: "event", Session: hexID(cn.oSess), CandidateSession: hexID(cn.cSess), Op: "notification", Path: path,
		Oracle: replyView(o.rep), Candidate: replyView(c.rep), Differences: d.out,
		Description: fmt.Sprintf("notification %s %s: %s", typ, path, strings.Join(d.out, "; "))})
}

func bodyView(r *reply) any {
	switch {
	case r.Multi != nil:
		return obj{{"results", multiView(r.Multi)}}
	case r.Rec != nil:
		return recordView(r.Rec)
	case r.BodyErr != nil:
		return obj{{"decodeError", r.BodyErr.Error()}}
	}
	return nil
}

func (cn *ccConn) comparePair(pr *pair) {
	x := cn.x
	op := opLabel(pr.req.Op)
	x.compared(op)
	d := differ{zx: x.zx, owner: x.ownerEq}
	o, c := pr.o, pr.c
	if o.Hdr.Err != c.Hdr.Err {
		d.add("err", wire.Code(o.Hdr.Err).String(), wire.Code(c.Hdr.Err).String())
	}
	d.diff("zxid", zxidV(o.Hdr.Zxid), zxidV(c.Hdr.Zxid))
	if o.Hdr.Err == 0 && c.Hdr.Err == 0 {
		ob, cb := bodyView(o), bodyView(c)
		if _, isObj := ob.(obj); isObj {
			if _, isObj := cb.(obj); isObj {
				d.diff("", ob, cb)
			} else {
				d.add("body", render(ob), render(cb))
			}
		} else if ob != nil || cb != nil {
			d.add("body", render(ob), render(cb))
		}
	}
	if pr.req.Op == wire.OpCloseSession && o.Hdr.Err == 0 {
		x.mu.Lock()
		delete(x.sessions, cn.oSess)
		x.mu.Unlock()
	}
	if len(d.out) == 0 {
		return
	}
	x.diverge(Divergence{Kind: "reply", Session: hexID(cn.oSess), CandidateSession: hexID(cn.cSess), Seq: pr.seq, Xid: pr.req.Xid,
		Op: op, Path: pr.req.Path, Request: requestView(&pr.req), Oracle: replyView(o), Candidate: replyView(c), Differences: d.out,
		Description: fmt.Sprintf("%s: %s", describe(op, pr.req.Path), strings.Join(d.out, "; "))})
}

// finish reports what never got its counterpart.
func (cn *ccConn) finish() {
	x := cn.x
	for range cn.opend.drain() {
		x.p.m.inflight.Dec()
	}
	cn.cpend.drain()
	cn.mu.Lock()
	left := make([]*pair, 0, len(cn.pairs))
	for _, pr := range cn.pairs {
		left = append(left, pr)
	}
	cn.pairs = nil
	oEv, cEv := cn.oEv, cn.cEv
	cn.oEv, cn.cEv = nil, nil
	cn.mu.Unlock()
	n := 0
	for _, pr := range left {
		if pr.o != nil || pr.c != nil {
			n++ // answered by one side only; a request neither answered has nothing to compare
		}
	}
	x.uncompared(n)
	if cn.detached.Load() || cn.cSess == 0 {
		return
	}
	sort.Slice(left, func(i, j int) bool { return left[i].seq < left[j].seq })
	for _, pr := range left {
		if pr.o == nil || pr.c != nil {
			continue
		}
		op := opLabel(pr.req.Op)
		x.diverge(Divergence{Kind: "reply", Session: hexID(cn.oSess), CandidateSession: hexID(cn.cSess), Seq: pr.seq, Xid: pr.req.Xid,
			Op: op, Path: pr.req.Path, Request: requestView(&pr.req), Oracle: replyView(pr.o),
			Differences: []string{"candidate reply missing"},
			Description: fmt.Sprintf("%s: the candidate never answered (the oracle answered %s)", describe(op, pr.req.Path), wire.Code(pr.o.Hdr.Err).String())})
	}
	for _, side := range []struct {
		evs  []*evRec
		name string
	}{{oEv, "oracle"}, {cEv, "candidate"}} {
		for _, e := range side.evs {
			typ, path := eventName(e.rep)
			div := Divergence{Kind: "event", Session: hexID(cn.oSess), CandidateSession: hexID(cn.cSess), Op: "notification", Path: path,
				Differences: []string{"event only on the " + side.name},
				Description: fmt.Sprintf("notification %s %s: delivered only by the %s (after %s)", typ, path, side.name, cn.afterDesc(e.after))}
			if side.name == "oracle" {
				div.Oracle = replyView(e.rep)
			} else {
				div.Candidate = replyView(e.rep)
			}
			x.diverge(div)
		}
	}
}
