package compat

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/zkgo/zkgo/compat/zkwire"
	"github.com/zkgo/zkgo/jute"
	"github.com/zkgo/zkgo/jute/records"
	"github.com/zkgo/zkgo/wire"
)

// Timeouts of the harness. A reply that does not come within ReplyTimeout is recorded as
// missing (and shows up as a divergence if the oracle answered).
const (
	ReplyTimeout = 5 * time.Second
	dialTimeout  = 5 * time.Second
	// stalledTimeout replaces ReplyTimeout on a connection that already missed a reply, and
	// scenarioBudget bounds a whole scenario, so a target that stops answering costs seconds,
	// not minutes.
	stalledTimeout = time.Second
	scenarioBudget = 60 * time.Second
	// DefaultSessionTimeout is what scenarios ask for unless they test timeouts.
	DefaultSessionTimeout = 30000
)

// S is one run of a scenario against one server.
type S struct {
	addr    string
	profile *Profile
	n       norm
	conns   []*Client
	raws    []*Raw
	// lastNew is the id of the last session created, to show consecutive ids.
	lastNew  int64
	notes    []string
	failed   error // harness trouble (could not dial): recorded and compared like the rest
	deadline time.Time
	// quiet leaves request lines out of transcripts (for long pipelines; replies stay).
	quiet bool
	// others are sessions created without a Client (by raw connections, by a createSession
	// request); finish closes them.
	others []session
}

type session struct {
	id     int64
	passwd []byte
}

// P returns the scenario's path for rel ("" is the scenario's root; rel starts with "/").
func (s *S) P(rel string) string { return s.n.prefix + rel }

// Note adds a scenario-level line to the transcript.
func (s *S) Note(format string, args ...any) {
	s.notes = append(s.notes, fmt.Sprintf(format, args...))
}

// budget caps a wait at what is left of the scenario's time.
func (s *S) budget(d time.Duration) time.Duration {
	return max(0, min(d, time.Until(s.deadline)))
}

// replyWait is how long to wait for a reply on c.
func (c *Client) replyWait() time.Duration {
	if c.stalled {
		return c.s.budget(stalledTimeout)
	}
	return c.s.budget(ReplyTimeout)
}

// HideReplyZxids shows the zxids of replies as Z? until called with false: for stretches in
// which the server may make txns of its own (container and TTL deletion).
func (s *S) HideReplyZxids(hide bool) { s.n.hideReplyZxids = hide }

// Quiet leaves request lines out of the transcript until called with false (replies are
// still recorded), for long pipelines.
func (s *S) Quiet(q bool) { s.quiet = q }

// HideStats makes replies show every Stat as {...} until called with false: for nodes whose
// stat depends on the server's history (the root).
func (s *S) HideStats(hide bool) { s.n.hideStats = hide }

// Profile is the server configuration the scenario runs on.
func (s *S) Profile() *Profile { return s.profile }

// Client is one connection of a scenario, with its transcript.
type Client struct {
	s      *S
	name   string
	c      *zkwire.Conn
	lines  []string
	hs     *zkwire.Handshake
	sid    int64
	passwd []byte
	// dead: the Closed event was seen (or the connection never came up).
	dead bool
	// ended: the session is known closed or expired; cleanup skips it.
	ended bool
	// LastZxid is the highest zxid seen in a reply or notification (what a Java client sends
	// as lastZxidSeen and relativeZxid).
	LastZxid int64
	// outstanding xids of normal requests, in send order, for the FIFO check.
	outstanding  []int32
	maxReplyZxid int64
	// stalled: a reply did not come in time; later waits on this connection are short.
	stalled bool
}

func (c *Client) log(format string, args ...any) {
	c.lines = append(c.lines, fmt.Sprintf(format, args...))
}

// Connect opens a new session named name.
func (s *S) Connect(name string) *Client {
	return s.ConnectWith(name, zkwire.ConnectOptions{TimeoutMs: DefaultSessionTimeout})
}

// ConnectWith opens a connection with explicit ConnectRequest fields. When o.SessionID is a
// session of this scenario the connection resumes it.
func (s *S) ConnectWith(name string, o zkwire.ConnectOptions) *Client {
	c := &Client{s: s, name: name}
	s.conns = append(s.conns, c)
	desc := fmt.Sprintf("-> connect timeout=%d session=%s", o.TimeoutMs, s.n.session(o.SessionID))
	if o.Passwd != nil {
		desc += fmt.Sprintf(" passwd=(%d bytes)", len(o.Passwd))
	}
	if o.LastZxidSeen != 0 {
		desc += " lastZxidSeen=" + s.n.zxid(o.LastZxidSeen)
	}
	if o.ReadOnly {
		desc += " readOnly=true"
	}
	if o.OmitReadOnly {
		desc += " readOnly=absent"
	}
	if o.ProtocolVersion != 0 {
		desc += fmt.Sprintf(" proto=%d", o.ProtocolVersion)
	}
	c.log("%s", desc)
	conn, err := zkwire.Dial(s.addr, dialTimeout)
	if err != nil {
		c.dead, c.ended = true, true
		c.log("!! dial failed")
		s.failed = err
		return c
	}
	c.c = conn
	h, err := conn.Handshake(o, s.budget(ReplyTimeout))
	if err != nil {
		c.dead, c.ended = true, true
		conn.Close()
		if errors.Is(err, zkwire.ErrNoConnectResponse) {
			c.log("<- closed without ConnectResponse")
		} else {
			c.log("!! handshake: %v", err)
		}
		return c
	}
	c.hs = h
	id := h.Response.SessionID
	if _, known := s.n.sessions[id]; !known && id != 0 {
		s.n.sessions[id] = name
		c.log("%s", s.n.handshake(h, s.lastNew))
		s.lastNew = id
	} else {
		c.log("%s", s.n.handshake(h, 0))
	}
	if h.Valid() {
		c.sid, c.passwd = id, h.Response.Passwd
	} else {
		c.ended = true
	}
	return c
}

// Resume opens a new connection for the session of c, with the session's id and password.
func (s *S) Resume(name string, c *Client) *Client {
	return s.ConnectWith(name, zkwire.ConnectOptions{
		TimeoutMs: DefaultSessionTimeout, SessionID: c.sid, Passwd: c.passwd, LastZxidSeen: c.LastZxid,
	})
}

// SessionID is the client's session id (0 if the handshake failed).
func (c *Client) SessionID() int64 { return c.sid }

// Passwd is the session password the server gave.
func (c *Client) Passwd() []byte { return c.passwd }

// Handshake is the server's ConnectResponse, or nil.
func (c *Client) Handshake() *zkwire.Handshake { return c.hs }

// Conn is the raw connection (nil when dialling failed).
func (c *Client) Conn() *zkwire.Conn { return c.c }

// Alive reports whether the connection is still open as far as the client has seen.
func (c *Client) Alive() bool { return !c.dead }

// record logs one event and runs the invariant checks on it.
func (c *Client) record(ev *zkwire.Event) {
	n := &c.s.n
	switch ev.Kind {
	case zkwire.KindClosed:
		c.dead = true
		c.log("%s", n.event(ev))
		return
	case zkwire.KindNotification:
		if ev.Zxid > 0 && ev.Zxid <= c.maxReplyZxid {
			// Ordering rule: a notification is queued before any reply carrying a later zxid.
			c.log("!! order: notification zxid=%s after a reply with zxid=%s", n.zxid(ev.Zxid), n.zxid(c.maxReplyZxid))
		}
	case zkwire.KindReply:
		if ev.Connect != nil {
			c.log("<- [%d] createSession answered with a ConnectResponse:", ev.Xid)
			c.log("   %s", c.s.newSession(c.name+"/created", ev.Connect))
		}
		if ev.Xid > 0 {
			// Per-session FIFO: replies in request order.
			if i := indexOf(c.outstanding, ev.Xid); i > 0 {
				c.log("!! fifo: reply xid=%d before xid=%d", ev.Xid, c.outstanding[0])
				c.outstanding = append(c.outstanding[:i:i], c.outstanding[i+1:]...)
			} else if i == 0 {
				c.outstanding = c.outstanding[1:]
			}
		}
		c.maxReplyZxid = max(c.maxReplyZxid, ev.Zxid)
	}
	c.LastZxid = max(c.LastZxid, ev.Zxid)
	if ev.Connect == nil {
		c.log("%s", n.event(ev))
	}
}

// newSession names a session the server created outside ConnectWith (so transcripts show its
// name and the scenario closes it at the end), and renders its ConnectResponse.
func (s *S) newSession(name string, h *zkwire.Handshake) string {
	id := h.Response.SessionID
	if _, known := s.n.sessions[id]; known || id == 0 {
		return s.n.handshake(h, 0)
	}
	s.n.sessions[id] = name
	line := s.n.handshake(h, s.lastNew)
	s.lastNew = id
	if h.Valid() {
		s.others = append(s.others, session{id, h.Response.Passwd})
	}
	return line
}

func indexOf(l []int32, x int32) int {
	for i, v := range l {
		if v == x {
			return i
		}
	}
	return -1
}

// rawRecord sends bytes as a request body as they are.
type rawRecord []byte

func (r rawRecord) Size() int              { return len(r) }
func (r rawRecord) Append(b []byte) []byte { return append(b, r...) }
func (r rawRecord) Decode(d *jute.Decoder) error {
	return errors.New("compat: rawRecord is encode-only")
}

// RawBody makes a request body out of raw bytes (for malformed-input scenarios).
func RawBody(b []byte) jute.Record { return rawRecord(b) }

// Send writes a request without waiting (for pipelining); Wait collects the replies.
func (c *Client) Send(xid int32, op wire.Op, rec jute.Record) {
	if !c.s.quiet {
		c.log("-> [%d] %s %s", xid, op, c.s.n.request(op, rec))
	}
	if c.c == nil || c.dead {
		c.log("!! not connected")
		return
	}
	c.track(xid, op)
	// A failed write means the server is closing the connection (it may close while a large
	// frame is still being written): not recorded, the close shows when it is read.
	_ = c.c.Send(xid, op, rec)
}

// track notes a request for the FIFO check. Pings and auth packets are answered with their
// fixed xids whatever xid they were sent with, so they are not tracked.
func (c *Client) track(xid int32, op wire.Op) {
	if xid > 0 && op != wire.OpPing && op != wire.OpAuth {
		c.outstanding = append(c.outstanding, xid)
	}
}

// Pipeline sends several requests in one write and waits for all their replies.
func (c *Client) Pipeline(reqs ...zkwire.Request) []zkwire.Event {
	for _, r := range reqs {
		if !c.s.quiet {
			c.log("-> [%d] %s %s", r.Xid, r.Op, c.s.n.request(r.Op, r.Record))
		}
	}
	if c.s.quiet {
		c.log("-> %d requests pipelined", len(reqs))
	}
	if c.c == nil || c.dead {
		c.log("!! not connected")
		return nil
	}
	for _, r := range reqs {
		c.track(r.Xid, r.Op)
	}
	_ = c.c.Pipeline(reqs...) // a failed write shows as the close (see Send)
	var out []zkwire.Event
	for _, r := range reqs {
		ev, ok := c.Wait(r.Xid, r.Op)
		if !ok {
			break
		}
		out = append(out, ev)
	}
	return out
}

// Wait records events until the reply to xid arrives (a ping is answered with xid -2 whatever
// its xid) or the connection closes. ok is false when no reply came.
func (c *Client) Wait(xid int32, op wire.Op) (zkwire.Event, bool) {
	if c.c == nil {
		return zkwire.Event{}, false
	}
	wait := c.replyWait()
	deadline := time.Now().Add(wait)
	for {
		if c.dead {
			return zkwire.Event{}, false
		}
		ev, err := c.c.Next(time.Until(deadline))
		if err != nil {
			if errors.Is(err, zkwire.ErrTimeout) {
				c.log("!! no reply to xid %d", xid)
				c.stalled = true
			} else {
				c.dead = true
			}
			return zkwire.Event{}, false
		}
		c.record(&ev)
		if ev.Kind == zkwire.KindReply && (ev.Xid == xid || op == wire.OpPing && ev.Xid == wire.XidPing) {
			return ev, true
		}
	}
}

// Do sends a request with the given xid and waits for its reply.
func (c *Client) Do(xid int32, op wire.Op, rec jute.Record) (zkwire.Event, bool) {
	c.Send(xid, op, rec)
	if c.c == nil || c.dead {
		return zkwire.Event{}, false
	}
	return c.Wait(xid, op)
}

// Call sends a request with the next xid and waits for its reply.
func (c *Client) Call(op wire.Op, rec jute.Record) (zkwire.Event, bool) {
	if c.c == nil {
		c.log("-> %s %s", op, c.s.n.request(op, rec))
		c.log("!! not connected")
		return zkwire.Event{}, false
	}
	return c.Do(c.c.NextXid(), op, rec)
}

// NextXid takes the next xid of the connection.
func (c *Client) NextXid() int32 {
	if c.c == nil {
		return 0
	}
	return c.c.NextXid()
}

// Events records whatever arrives within d (for events that need no request to show, such as
// notifications caused by another session or by expiry). It returns early once want events
// have been recorded (want <= 0: wait the whole d).
func (c *Client) Events(want int, d time.Duration) {
	if c.c == nil {
		return
	}
	deadline := time.Now().Add(c.s.budget(d))
	for got := 0; !c.dead && (want <= 0 || got < want); got++ {
		ev, err := c.c.Next(time.Until(deadline))
		if err != nil {
			if errors.Is(err, zkwire.ErrTimeout) && want > 0 {
				c.log("!! only %d of %d events within %v", got, want, d)
			}
			return
		}
		c.record(&ev)
	}
}

// Sync records every event that arrived before the reply to a ping (the ping and its reply
// are not recorded). Pings travel the request pipeline, so this flushes the session.
func (c *Client) Sync() {
	if c.c == nil || c.dead {
		return
	}
	if err := c.c.Send(wire.XidPing, wire.OpPing, nil); err != nil {
		return
	}
	deadline := time.Now().Add(c.replyWait())
	for !c.dead {
		ev, err := c.c.Next(time.Until(deadline))
		if err != nil {
			if errors.Is(err, zkwire.ErrTimeout) {
				c.log("!! no reply to a ping")
				c.stalled = true
			}
			return
		}
		if ev.Kind == zkwire.KindReply && ev.Xid == wire.XidPing {
			c.LastZxid = max(c.LastZxid, ev.Zxid)
			return
		}
		c.record(&ev)
	}
}

// Drop closes the socket without closing the session.
func (c *Client) Drop() {
	c.log("-- drop connection")
	if c.c != nil {
		c.c.Close()
	}
	c.dead = true
}

// WriteRaw writes bytes to the connection as they are.
func (c *Client) WriteRaw(b []byte, what string) {
	c.log("-> raw %s (%d bytes)", what, len(b))
	if c.c == nil || c.dead {
		c.log("!! not connected")
		return
	}
	_ = c.c.WriteRaw(b) // a failed write shows as the close (see Send)
}

// Raw is a connection without a handshake: bytes in, bytes out.
type Raw struct {
	s     *S
	name  string
	c     *zkwire.Conn
	lines []string
}

// Dial opens a connection that sends nothing until told.
func (s *S) Dial(name string) *Raw {
	r := &Raw{s: s, name: name}
	s.raws = append(s.raws, r)
	c, err := zkwire.Dial(s.addr, dialTimeout)
	if err != nil {
		r.lines = append(r.lines, "!! dial failed")
		s.failed = err
		return r
	}
	r.c = c
	return r
}

// Write sends bytes.
func (r *Raw) Write(b []byte, what string) {
	r.lines = append(r.lines, fmt.Sprintf("-> %s (%d bytes)", what, len(b)))
	if r.c == nil {
		return
	}
	_ = r.c.WriteRaw(b) // a failed write shows as the close (see Client.Send)
}

// Read records what the server sends until it closes the connection or d passes; shown says
// how long the transcript claims it waited (so that waits cut short by a shared deadline read
// the same).
func (r *Raw) Read(d, shown time.Duration) {
	if r.c == nil {
		return
	}
	b, closed, _ := r.c.ReadRaw(max(d, time.Millisecond))
	// A ConnectResponse (the server took the bytes as a ConnectRequest) is shown normalised.
	if len(b) >= 4+36 {
		n := int(binary.BigEndian.Uint32(b))
		if (n == 36 || n == 37) && len(b) >= 4+n {
			if resp, ro, err := wire.DecodeConnectResponse(b[4 : 4+n]); err == nil {
				h := &zkwire.Handshake{Response: resp, HasReadOnly: ro, Raw: b[4 : 4+n]}
				r.lines = append(r.lines, r.s.newSession(r.name, h))
				b = b[4+n:]
			}
		}
	}
	if len(b) > 0 {
		r.lines = append(r.lines, "<- "+data(b))
	}
	if closed {
		r.lines = append(r.lines, "<- closed")
	} else {
		r.lines = append(r.lines, fmt.Sprintf("<- (open after %v)", shown))
	}
}

// ReadText records the server's text answer (a four-letter word) with the lines given by
// keep kept verbatim, those given by drop left out, and all others reduced to their key (the
// part before ':' or '=' or a tab). nil keeps or drops nothing.
func (r *Raw) ReadText(d time.Duration, keep, drop func(line string) bool) {
	if r.c == nil {
		return
	}
	b, closed, _ := r.c.ReadRaw(d)
	for _, l := range strings.SplitAfter(string(b), "\n") {
		if l == "" || drop != nil && drop(l) {
			continue
		}
		if keep == nil || !keep(l) {
			if i := strings.IndexAny(l, ":=\t"); i >= 0 {
				l = l[:i+1] + " ..."
			} else {
				l = "..."
			}
		}
		r.lines = append(r.lines, "<- "+fmt.Sprintf("%q", l))
	}
	if closed {
		r.lines = append(r.lines, "<- closed")
	} else {
		r.lines = append(r.lines, fmt.Sprintf("<- (open after %v)", d))
	}
}

// Close closes the raw connection.
func (r *Raw) Close() {
	if r.c != nil {
		r.c.Close()
	}
}

// transcript renders the scenario's result: notes, then each connection's lines.
func (s *S) transcript() []string {
	var out []string
	for _, l := range s.notes {
		out = append(out, "# "+l)
	}
	for _, c := range s.conns {
		out = append(out, "== "+c.name)
		for _, l := range c.lines {
			out = append(out, "   "+l)
		}
	}
	for _, r := range s.raws {
		out = append(out, "== "+r.name+" (raw)")
		for _, l := range r.lines {
			out = append(out, "   "+l)
		}
	}
	return out
}

// finish flushes every open connection (recording what arrived), then closes every session the
// scenario left open, without recording, so that no session expires during a later scenario.
func (s *S) finish() {
	for _, c := range s.conns {
		c.Sync()
	}
	for _, c := range s.conns {
		if c.c != nil && !c.dead && !c.ended && c.sid != 0 {
			closeQuietly(c.c)
			c.ended = true
			s.markEnded(c.sid)
		}
	}
	for _, c := range s.conns {
		if c.c != nil {
			c.c.Close()
		}
	}
	for _, c := range s.conns {
		if c.sid == 0 || c.ended {
			continue
		}
		s.markEnded(c.sid)
		closeSession(s.addr, c.sid, c.passwd)
	}
	for _, r := range s.raws {
		r.Close()
	}
	for _, o := range s.others {
		closeSession(s.addr, o.id, o.passwd)
	}
}

// closeSession resumes a session on a new connection and closes it.
func closeSession(addr string, id int64, passwd []byte) {
	conn, h, err := zkwire.Connect(addr, zkwire.ConnectOptions{
		TimeoutMs: DefaultSessionTimeout, SessionID: id, Passwd: passwd,
	}, dialTimeout)
	if err != nil {
		return
	}
	if h.Valid() {
		closeQuietly(conn)
	}
	conn.Close()
}

func (s *S) markEnded(sid int64) {
	for _, c := range s.conns {
		if c.sid == sid {
			c.ended = true
		}
	}
}

// closeQuietly sends closeSession and waits for the server to close the connection.
func closeQuietly(c *zkwire.Conn) {
	if err := c.Send(c.NextXid(), wire.OpCloseSession, nil); err != nil {
		return
	}
	deadline := time.Now().Add(ReplyTimeout)
	for {
		ev, err := c.Next(time.Until(deadline))
		if err != nil || ev.Kind == zkwire.KindClosed {
			return
		}
	}
}

// cleanup deletes the scenario's subtree (best effort, as super when the profile allows), so
// no container or TTL node of it is left for the server to delete during a later scenario.
func cleanup(addr, prefix string, p *Profile) {
	c, h, err := zkwire.Connect(addr, zkwire.ConnectOptions{TimeoutMs: DefaultSessionTimeout}, dialTimeout)
	if err != nil {
		return
	}
	defer c.Close()
	if !h.Valid() {
		return
	}
	call := func(op wire.Op, rec jute.Record) (zkwire.Event, bool) {
		xid := c.NextXid()
		if err := c.Send(xid, op, rec); err != nil {
			return zkwire.Event{}, false
		}
		for {
			ev, err := c.Next(ReplyTimeout)
			if err != nil || ev.Kind == zkwire.KindClosed {
				return zkwire.Event{}, false
			}
			if ev.Kind == zkwire.KindReply && ev.Xid == xid {
				return ev, true
			}
		}
	}
	if p != nil && p.Provides&NeedsSuperDigest != 0 {
		if err := c.Send(wire.XidAuth, wire.OpAuth, &records.AuthPacket{Scheme: "digest", Auth: []byte(SuperAuth)}); err != nil {
			return
		}
	}
	// Collect the subtree, then delete it in one multi (post-order), so that no container is
	// ever left empty for the server's container manager to delete during a later scenario.
	var paths []string
	var walk func(path string, depth int)
	walk = func(path string, depth int) {
		ev, ok := call(wire.OpGetChildren, &records.GetChildrenRequest{Path: path})
		if !ok || ev.Err != wire.OK || depth > 50 {
			return
		}
		for _, ch := range ev.Body.(*records.GetChildrenResponse).Children {
			walk(path+"/"+ch, depth+1)
		}
		paths = append(paths, path)
	}
	walk(prefix, 0)
	ops := make([]wire.MultiOp, len(paths))
	for i, p := range paths {
		ops[i] = wire.MultiOp{Op: wire.OpDelete, Record: &records.DeleteRequest{Path: p, Version: -1}}
	}
	if ev, ok := call(wire.OpMulti, zkwire.MultiRecord(ops)); !ok || ev.Err != wire.OK || multiFailed(ev.Multi) {
		for _, p := range paths { // best effort, one by one (a node may refuse deletion)
			call(wire.OpDelete, &records.DeleteRequest{Path: p, Version: -1})
		}
	}
	closeQuietly(c)
}

func multiFailed(res []wire.MultiResult) bool {
	for _, r := range res {
		if r.Op == wire.OpError {
			return true
		}
	}
	return false
}
