package node

import (
	"strconv"
	"strings"
	"time"

	"github.com/zkgo/zkgo/jute"
	"github.com/zkgo/zkgo/jute/records"
	"github.com/zkgo/zkgo/server/datatree"
	"github.com/zkgo/zkgo/server/prep"
	"github.com/zkgo/zkgo/server/session"
	"github.com/zkgo/zkgo/server/watch"
	"github.com/zkgo/zkgo/wire"
)

// Conn is the transport side of a client connection.
type Conn interface {
	// Send queues a frame; frames leave in queue order.
	Send(frame []byte)
	// Close closes after the queued frames are written.
	Close()
	// RemoteIP is the client's address (for the ip auth scheme).
	RemoteIP() string
	// Resume lets the reader go on after the handshake (ok) or stop (not ok).
	Resume(ok bool)
}

// Client is a connection as the node sees it. Its fields belong to the node loop.
type Client struct {
	conn        Conn
	session     int64
	timeout     int32
	auth        []records.ID
	watcher     watch.Watcher
	hasReadOnly bool
	closed      bool
	// Stats per connection (cons).
	Received, Sent int64
	LastZxid       int64
	Established    time.Time
	LastOp         string
	LastLatency    int64
	Remote         string
	LastCxid       int64 // -1 until a request with a non-negative xid is answered
	LastResponse   int64 // ms since the epoch of the last reply
	MinLatency     int64 // ms, over Count replies
	MaxLatency     int64
	TotalLatency   int64
	Count          int64
}

// SessionID of the client (0 before the handshake).
func (c *Client) SessionID() int64 { return c.session }

// Timeout is the negotiated session timeout in ms.
func (c *Client) Timeout() int32 { return c.timeout }

// Conn is the transport.
func (c *Client) Conn() Conn { return c.conn }

func hexID(id int64) string { return "0x" + strconv.FormatUint(uint64(id), 16) }

func (c *Client) send(b []byte) {
	c.Sent++
	c.conn.Send(b)
}

// reply sends ReplyHeader + body as one frame. The header is appended through its concrete
// type, not as a jute.Record, so it stays on the stack: one allocation per reply, the frame.
func (c *Client) reply(xid int32, zxid int64, err wire.Code, body jute.Record) {
	h := records.ReplyHeader{Xid: xid, Zxid: zxid, Err: int32(err)}
	n := h.Size()
	if body != nil {
		n += body.Size()
	}
	b := jute.AppendInt(make([]byte, 0, 4+n), int32(n))
	b = h.Append(b)
	if body != nil {
		b = body.Append(b)
	}
	c.send(b)
}

func (c *Client) notify(ev wire.EventType, path string, zxid int64) {
	h := records.ReplyHeader{Xid: wire.XidNotification, Zxid: zxid}
	e := records.WatcherEvent{Type: int32(ev), State: wire.StateSyncConnected, Path: path}
	n := h.Size() + e.Size()
	b := jute.AppendInt(make([]byte, 0, 4+n), int32(n))
	c.send(e.Append(h.Append(b)))
}

// Connect is called by the transport with the decoded ConnectRequest.
func (n *Node) Connect(conn Conn, req records.ConnectRequest, hasReadOnly bool) {
	n.post(func() { n.connect(conn, req, hasReadOnly) })
}

func (n *Node) connect(conn Conn, req records.ConnectRequest, hasReadOnly bool) {
	c := &Client{conn: conn, hasReadOnly: hasReadOnly, Established: time.Now(), Remote: conn.RemoteIP(), LastCxid: -1}
	n.nextWatch++
	c.watcher = n.nextWatch
	c.auth = []records.ID{{Scheme: "ip", ID: conn.RemoteIP()}}
	if !n.serving {
		// Not serving (election or sync under way): the client tries elsewhere.
		conn.Resume(false)
		conn.Close()
		return
	}
	if req.LastZxidSeen > n.tree.LastZxid {
		n.log.Info("refusing session: client has seen a later zxid", "clientZxid", hexID(req.LastZxidSeen), "ourZxid", hexID(n.tree.LastZxid))
		conn.Resume(false)
		conn.Close()
		return
	}
	to := req.TimeOut
	if min := int32(n.opts.MinSessionTimeout.Milliseconds()); to < min {
		to = min
	}
	if max := int32(n.opts.MaxSessionTimeout.Milliseconds()); to > max {
		to = max
	}
	c.timeout = to
	if req.SessionID == 0 {
		id := n.sessions.NextID()
		c.session = id
		n.connecting[id] = c
		n.submitWrite(&prep.Request{SessionID: id, Op: wire.OpCreateSession, Timeout: to})
		return
	}
	c.session = req.SessionID
	if old := n.clients[req.SessionID]; old != nil {
		n.detach(old)
		old.conn.Close()
	}
	if (n.role == RoleFollower || n.role == RoleObserver) && session.CheckPassword(req.SessionID, req.Passwd) {
		// Only the leader knows whether a global session lives: ask it (REVALIDATE).
		n.revalidating[req.SessionID] = c
		b := jute.AppendLong(nil, req.SessionID)
		b = jute.AppendInt(b, to)
		n.learner.Send(&records.QuorumPacket{Type: PktRevalidate, Zxid: -1, Data: b})
		return
	}
	valid := session.CheckPassword(req.SessionID, req.Passwd) && n.sessions.Touch(req.SessionID, nowMs())
	if valid {
		if s := n.sessions.Get(req.SessionID); s != nil {
			s.Timeout = to
			n.sessions.Touch(req.SessionID, nowMs())
		}
	}
	n.finishConnect(c, req.SessionID, valid)
}

func (n *Node) finishConnect(c *Client, id int64, valid bool) {
	resp := records.ConnectResponse{Passwd: make([]byte, 16)}
	if valid {
		resp.TimeOut = c.timeout
		resp.SessionID = id
		resp.Passwd = session.Password(id)
	}
	c.Sent++
	c.conn.Send(wire.AppendConnectResponse(nil, &resp, c.hasReadOnly))
	if !valid {
		n.log.Info("invalid session on reconnect", "session", hexID(id))
		c.conn.Resume(false)
		c.conn.Close()
		return
	}
	n.clients[id] = c
	n.byConn[c.conn] = c
	n.watchers[c.watcher] = c
	c.conn.Resume(true)
}

// detach forgets a client: its watches go, its session stays until it expires.
func (n *Node) detach(c *Client) {
	if c.closed {
		return
	}
	c.closed = true
	n.watches.RemoveWatcher(c.watcher)
	delete(n.watchers, c.watcher)
	if n.clients[c.session] == c {
		delete(n.clients, c.session)
	}
	if n.byConn[c.conn] == c {
		delete(n.byConn, c.conn)
	}
}

// Disconnected is called by the transport when a connection is gone.
func (n *Node) Disconnected(c *Client) {
	n.post(func() { n.detach(c) })
}

// ClientFor finds the attached client of a connection (transport use, from the node loop).
func (n *Node) clientOf(conn Conn) *Client { return n.byConn[conn] }

// Request is called by the transport with a decoded request.
func (n *Node) Request(conn Conn, hdr records.RequestHeader, body jute.Record, multi []wire.MultiOp, decodeErr error) {
	start := time.Now()
	n.post(func() {
		c := n.clientOf(conn)
		if c == nil {
			return
		}
		n.handle(c, &request{client: c, xid: hdr.Xid, op: wire.Op(hdr.Type), body: body, multi: multi, start: start}, decodeErr)
	})
}

// Disconnect is called by the transport when a connection closes.
func (n *Node) Disconnect(conn Conn) {
	n.post(func() {
		if c := n.clientOf(conn); c != nil {
			n.detach(c)
		}
	})
}

func isValidOp(op wire.Op) bool {
	switch op {
	case wire.OpNotification, wire.OpCheck:
		return false
	case wire.OpCloseSession, wire.OpCreate, wire.OpCreate2, wire.OpCreateTTL, wire.OpCreateContainer,
		wire.OpDelete, wire.OpDeleteContainer, wire.OpExists, wire.OpGetACL, wire.OpGetChildren,
		wire.OpGetAllChildrenNumber, wire.OpGetChildren2, wire.OpGetData, wire.OpGetEphemerals,
		wire.OpMulti, wire.OpMultiRead, wire.OpPing, wire.OpReconfig, wire.OpSetACL, wire.OpSetData,
		wire.OpSetWatches, wire.OpSetWatches2, wire.OpSync, wire.OpCheckWatches, wire.OpRemoveWatches,
		wire.OpAddWatch, wire.OpWhoAmI, wire.OpCreateSession:
		return true
	}
	return false
}

func (n *Node) handle(c *Client, r *request, decodeErr error) {
	c.Received++
	n.Stats.Received.Add(1)
	n.sessions.Touch(c.session, nowMs())
	if n.role == RoleFollower || n.role == RoleObserver {
		n.touched[c.session] = struct{}{}
	}
	switch r.op {
	case wire.OpAuth, wire.OpSASL:
		if decodeErr != nil {
			// ZooKeeper drops a connection whose auth or sasl packet does not decode.
			n.detach(c)
			c.conn.Close()
			return
		}
		if r.op == wire.OpAuth {
			n.handleAuth(c, r)
			return
		}
		if req, _ := r.body.(*records.GetSASLRequest); req == nil || req.Token == nil {
			// Java fails on a null token and drops the connection.
			n.detach(c)
			c.conn.Close()
			return
		}
		// No SASL server: ZooKeeper answers OK with a null token.
		c.reply(r.xid, 0, wire.OK, &records.SetSASLResponse{})
		return
	}
	if !isValidOp(r.op) {
		// Unknown opcodes and a standalone check: UNIMPLEMENTED, then the connection closes
		// (3.9.3, ZOOKEEPER-2623).
		c.reply(r.xid, -1, wire.ErrUnimplemented, nil)
		n.detach(c)
		c.conn.Close()
		return
	}
	q := n.queues[c.session]
	if q == nil {
		q = &sessionQueue{}
		n.queues[c.session] = q
	}
	q.push(r)
	if decodeErr != nil && r.op == wire.OpMulti {
		// A multi that does not decode still becomes a txn (an ErrorTxn), as in Java.
		n.submitWrite(&prep.Request{SessionID: c.session, Cxid: r.xid, Op: r.op, DecodeErr: true, Auth: c.auth})
		return
	} else if decodeErr != nil {
		r.done = true
		r.op = wire.OpError
	} else if r.op == wire.OpCreateSession {
		// A createSession sent as a request: Java runs it as a txn and answers with a
		// ConnectResponse.
		to := c.timeout
		if cs, ok := r.body.(*records.CreateSessionTxn); ok {
			to = cs.TimeOut
		}
		n.submitWrite(&prep.Request{SessionID: c.session, Cxid: r.xid, Op: r.op, Timeout: to, Auth: c.auth})
		return
	} else if r.op.IsWrite() {
		n.submitWrite(&prep.Request{SessionID: c.session, Cxid: r.xid, Op: r.op, Record: r.body, Multi: r.multi, Auth: c.auth})
		return
	} else if r.op == wire.OpSync {
		r.barrier = n.nextZxid
		if n.role == RoleFollower || n.role == RoleObserver {
			n.syncFIFO = append(n.syncFIFO, r)
			n.submitWrite(&prep.Request{SessionID: c.session, Cxid: r.xid, Op: wire.OpSync, Record: r.body, Auth: c.auth})
		}
	}
	n.drain(c.session)
}

// drain answers the reads (and syncs whose barrier is reached) at the head of a session's
// queue, stopping at the first unapplied write.
func (n *Node) drain(sid int64) {
	q := n.queues[sid]
	delete(n.syncWait, sid)
	if q == nil {
		return
	}
	for len(q.items) > 0 {
		r := q.items[0]
		switch {
		case r.op == wire.OpError: // undecodable body
			r.client.reply(r.xid, n.tree.LastZxid, wire.ErrMarshallingError, nil)
		case r.op.IsWrite():
			if !r.done {
				return
			}
		case r.op == wire.OpSync:
			if (n.role == RoleFollower || n.role == RoleObserver) && !r.synced || n.tree.LastZxid < r.barrier {
				n.syncWait[sid] = true
				return
			}
			n.read(r)
		default:
			n.read(r)
		}
		q.items[0] = nil
		q.items = q.items[1:]
	}
}

func (n *Node) handleAuth(c *Client, r *request) {
	ap, _ := r.body.(*records.AuthPacket)
	var ids []records.ID
	ok := false
	if ap != nil {
		ids, ok = n.auth.Authenticate(ap.Scheme, ap.Auth, c.conn.RemoteIP())
	}
	if !ok {
		c.reply(r.xid, 0, wire.ErrAuthFailed, nil)
		n.detach(c)
		c.conn.Close()
		return
	}
	for _, id := range ids {
		dup := false
		for _, have := range c.auth {
			if have == id {
				dup = true
			}
		}
		if !dup {
			c.auth = append(c.auth, id)
		}
	}
	c.reply(r.xid, 0, wire.OK, nil)
}

// replyWrite answers a write once its txn is applied.
func (n *Node) replyWrite(r *request, t *prep.Txn, res *datatree.Result) {
	r.done = true
	c := r.client
	n.noteLatency(c, r)
	n.observe(r, true, res.Err == wire.OK && wire.Op(t.Header.Type) != wire.OpError, nil)
	if !c.closed || r.op == wire.OpCloseSession {
		zxid := n.tree.LastZxid
		switch {
		case r.op == wire.OpCreateSession:
			resp := records.ConnectResponse{TimeOut: c.timeout, SessionID: c.session, Passwd: session.Password(c.session)}
			c.Sent++
			c.conn.Send(wire.AppendConnectResponse(nil, &resp, c.hasReadOnly))
		case wire.Op(t.Header.Type) == wire.OpError:
			code := t.Err
			if e, ok := t.Record.(*records.ErrorTxn); ok {
				code = wire.Code(e.Err)
			}
			c.reply(r.xid, zxid, code, nil)
		case r.op == wire.OpMulti:
			c.reply(r.xid, zxid, wire.OK, multiResponse(res))
		case r.op == wire.OpReconfig && res.Err == wire.OK:
			// FinalRequestProcessor: the config now active (as text) and the node's stat.
			c.reply(r.xid, zxid, wire.OK, &records.GetDataResponse{Data: []byte(n.rc.committed.Text()), Stat: res.Stat})
		default:
			c.reply(r.xid, zxid, wire.Code(res.Err), writeResponse(r.op, res))
		}
		c.LastZxid = zxid
	}
	if r.op == wire.OpCloseSession {
		n.detach(c)
		c.conn.Close()
		return
	}
	n.drain(c.session)
}

func (n *Node) noteLatency(c *Client, r *request) {
	ms := time.Since(r.start).Milliseconds()
	c.LastLatency = ms
	c.LastOp = r.op.String()
	c.noteResponse(r.xid, ms)
	n.Stats.Count.Add(1)
	n.Stats.TotalLatency.Add(ms)
	n.Stats.Sent.Add(1)
	if mx := n.Stats.MaxLatency.Load(); ms > mx {
		n.Stats.MaxLatency.Store(ms)
	}
	if mn := n.Stats.MinLatency.Load(); n.Stats.Count.Load() == 1 || ms < mn {
		n.Stats.MinLatency.Store(ms)
	}
}

// trimSpace mirrors Java's String.trim for getEphemerals' prefix.
func trimSpace(s string) string { return strings.TrimFunc(s, func(r rune) bool { return r <= ' ' }) }
