package node

import (
	"fmt"

	"github.com/zkgo/zkgo/jute"
	"github.com/zkgo/zkgo/jute/records"
	"github.com/zkgo/zkgo/server/datatree"
	"github.com/zkgo/zkgo/server/prep"
	"github.com/zkgo/zkgo/wire"
)

// Role is what the node does with writes.
type Role int

// Roles.
const (
	RoleStandalone Role = iota
	RoleLooking         // not serving: election or sync under way
	RoleLeader
	RoleFollower
	RoleObserver
)

func (r Role) String() string {
	return [...]string{"standalone", "looking", "leader", "follower", "observer"}[r]
}

// Quorum packet types (Leader.java constants).
const (
	PktRequest           int32 = 1
	PktProposal          int32 = 2
	PktAck               int32 = 3
	PktCommit            int32 = 4
	PktPing              int32 = 5
	PktRevalidate        int32 = 6
	PktSync              int32 = 7
	PktInform            int32 = 8
	PktCommitAndActivate int32 = 9
	PktNewLeader         int32 = 10
	PktFollowerInfo      int32 = 11
	PktUpToDate          int32 = 12
	PktDiff              int32 = 13
	PktTrunc             int32 = 14
	PktSnap              int32 = 15
	PktObserverInfo      int32 = 16
	PktLeaderInfo        int32 = 17
	PktAckEpoch          int32 = 18
)

// LeaderLink sends packets to the leader (a follower's or observer's connection).
type LeaderLink interface {
	Send(pkt *records.QuorumPacket)
}

// DurableLink is a LeaderLink told, inside a node step, how far the learner's log is durable
// (server/quorum's driver: its ZAB core's ACKs wait for that).
type DurableLink interface {
	LeaderLink
	Durable(zxid int64)
}

// Role reports the node's role; only from inside Do.
func (n *Node) Role() Role { return n.role }

// submitWrite routes a write: prepared here (standalone, leader) or forwarded to the leader.
func (n *Node) submitWrite(r *prep.Request) {
	switch n.role {
	case RoleFollower, RoleObserver:
		n.learner.Send(&records.QuorumPacket{Type: PktRequest, Zxid: -1, Data: forwardData(r), Authinfo: authOrEmpty(r.Auth)})
	default:
		if r.Op == wire.OpCreateSession {
			n.sessions.Add(r.SessionID, r.Timeout, nowMs())
		}
		n.propose(r)
	}
}

func authOrEmpty(a []records.ID) []records.ID {
	if a == nil {
		return []records.ID{}
	}
	return a
}

// forwardData is a REQUEST packet's data: long sessionId, int cxid, int type, request bytes.
func forwardData(r *prep.Request) []byte {
	b := jute.AppendLong(nil, r.SessionID)
	b = jute.AppendInt(b, r.Cxid)
	b = jute.AppendInt(b, int32(r.Op))
	switch {
	case r.Op == wire.OpCreateSession:
		cs := records.CreateSessionTxn{TimeOut: r.Timeout}
		b = cs.Append(b)
	case r.Op == wire.OpMulti:
		b = wire.AppendMulti(b, r.Multi)
	case r.Record != nil:
		b = r.Record.Append(b)
	}
	return b
}

// DecodeForwarded parses a REQUEST packet's data into a prep request.
func DecodeForwarded(data []byte, auth []records.ID) (*prep.Request, error) {
	d := jute.NewDecoder(data)
	sid, err := d.Long()
	if err != nil {
		return nil, err
	}
	cxid, err := d.Int()
	if err != nil {
		return nil, err
	}
	typ, err := d.Int()
	if err != nil {
		return nil, err
	}
	r := &prep.Request{SessionID: sid, Cxid: cxid, Op: wire.Op(typ), Auth: auth}
	switch r.Op {
	case wire.OpCreateSession:
		var cs records.CreateSessionTxn
		if err := cs.Decode(d); err != nil {
			return nil, err
		}
		r.Timeout = cs.TimeOut
	case wire.OpCloseSession:
	case wire.OpMulti:
		if r.Multi, err = wire.DecodeMulti(d); err != nil {
			return nil, err
		}
	default:
		rec := wire.NewRequest(r.Op)
		if rec != nil {
			if err := rec.Decode(d); err != nil {
				return nil, err
			}
		}
		r.Record = rec
	}
	return r, nil
}

// SetRole switches the node's role (from the quorum peer, inside Do). Every client
// connection is closed (clients reconnect when the node serves again) and unfinished work
// is dropped. A follower or observer gets its link to the leader.
func (n *Node) SetRole(role Role, link LeaderLink) {
	n.dropClients()
	n.role = role
	n.serving = role == RoleStandalone
	n.learner = link
	n.lead = nil
}

// dropClients closes every client connection and forgets their queued requests, so nothing
// that happens to the tree next is reported to them.
func (n *Node) dropClients() {
	for _, c := range n.clients {
		n.detach(c)
		c.conn.Close()
	}
	for id, c := range n.connecting {
		c.conn.Close()
		delete(n.connecting, id)
	}
	// Reconnects still waiting for the old leader's REVALIDATE answer would wait forever: a
	// new leader never answers a request the old one got (Java's Learner.shutdown closes every
	// connection of the factory, these included).
	for id, c := range n.revalidating {
		c.conn.Resume(false)
		c.conn.Close()
		delete(n.revalidating, id)
	}
	n.queues = map[int64]*sessionQueue{}
	n.syncWait = map[int64]bool{}
	n.syncFIFO = nil
}

// Serving reports whether the node accepts clients; only from inside Do.
func (n *Node) Serving() bool { return n.serving }

// SetServing opens (after UPTODATE, or a leader's quorum of NEWLEADER acks) or closes the
// node to clients. Call inside Do.
func (n *Node) SetServing(on bool) {
	n.serving = on
	if on && n.role == RoleLeader && n.tree.LastZxid < n.nextZxid {
		// An established leader's lastProcessedZxid is newEpoch<<32 (Leader.lead).
		n.tree.LastZxid = n.nextZxid
	}
}

// Truncate drops logged txns after zxid (TRUNC). Without storage only txns not yet applied
// can go; storage-backed nodes reload the tree from disk.
func (n *Node) Truncate(zxid int64) error {
	if zxid < n.tree.LastZxid {
		if n.reload == nil {
			return fmt.Errorf("node: cannot truncate below applied zxid 0x%x without storage", n.tree.LastZxid)
		}
		t, sessions, err := n.reload(zxid)
		if err != nil {
			return err
		}
		n.ReplaceTree(t, sessions)
		return nil
	}
	i := 0
	for ; i < len(n.pending) && n.pending[i].txn.Header.Zxid <= zxid; i++ {
	}
	n.pending = n.pending[:i]
	return nil
}

// LastZxid is the zxid of the last txn in the tree plus logged-but-unapplied txns (the
// "last logged zxid" of elections); only from inside Do.
func (n *Node) LastZxid() int64 {
	if len(n.pending) > 0 {
		return n.pending[len(n.pending)-1].txn.Header.Zxid
	}
	return n.tree.LastZxid
}

// ApplyAllPending applies every logged txn (a learner or leader leaving its role: what it
// logged is part of its history, as Java's reload from disk makes it). None of these txns is
// known to be committed, so no client may hear of them: every client is dropped first.
func (n *Node) ApplyAllPending() {
	n.dropClients()
	for _, p := range n.pending {
		n.apply(p)
	}
	n.pending = nil
}

// --- follower / observer side -------------------------------------------------------------

// LearnerProposal handles a PROPOSAL (follower: log, ACK when durable) or, with inform, an
// INFORM (observer: log and apply at once). Call inside Do.
func (n *Node) LearnerProposal(payload []byte, inform bool) error {
	e, err := wire.DecodeTxn(payload)
	if err != nil {
		return err
	}
	t := &prep.Txn{Header: e.Header, Record: e.Record}
	if e.Digest != nil {
		t.Digest = e.Digest.TreeDigest
	}
	p := &pending{txn: t, payload: payload, digest: e.Digest != nil}
	if v := reconfigTxnConfig(&t.Header, t.Record, false); v != nil {
		n.SetLastSeenConfig(v) // Follower.processPacket: a reconfig proposal is last seen
	}
	n.pending = append(n.pending, p)
	n.wal.Append(t.Header.Zxid, payload)
	if inform {
		n.applyUpTo(t.Header.Zxid)
	}
	return nil
}

// LearnerCommit applies logged txns up to zxid. Call inside Do.
func (n *Node) LearnerCommit(zxid int64) {
	n.applyUpTo(zxid)
}

// LearnerSync completes the oldest sync waiting for the leader's SYNC. Call inside Do.
func (n *Node) LearnerSync() {
	if len(n.syncFIFO) == 0 {
		return
	}
	r := n.syncFIFO[0]
	n.syncFIFO = n.syncFIFO[1:]
	r.barrier = n.tree.LastZxid
	r.synced = true
	n.drain(r.client.session)
}

// LearnerRevalidate finishes a reconnect that waited for the leader's REVALIDATE answer.
func (n *Node) LearnerRevalidate(session int64, valid bool) {
	c := n.revalidating[session]
	if c == nil {
		return
	}
	delete(n.revalidating, session)
	if valid {
		n.sessions.Add(session, c.timeout, nowMs())
	}
	n.finishConnect(c, session, valid)
}

// TouchedSessions returns (and resets) the sessions touched since the last call, for a
// follower's PING reply: pairs of long session id, int timeout.
func (n *Node) TouchedSessions() []byte {
	b := []byte{}
	for id := range n.touched {
		to := int32(0)
		if s := n.sessions.Get(id); s != nil {
			to = s.Timeout
		}
		b = jute.AppendLong(b, id)
		b = jute.AppendInt(b, to)
	}
	clear(n.touched)
	return b
}

// ReplaceTree installs a tree received by SNAP. Call inside Do.
func (n *Node) ReplaceTree(t *datatree.Tree, sessions map[int64]int32) {
	n.tree = t
	n.prep.Tree = t
	n.pending = nil
	n.commitLog = nil
	n.nextZxid = t.LastZxid
	n.sessions = newTrackerFor(n)
	n.prep.Sessions = sessionView{n.sessions}
	n.RestoreSessions(sessions)
}

func newPrepFor(n *Node) *prep.Prep {
	p := prep.New(n.tree, n.auth, sessionView{n.sessions})
	p.ExtendedTypes = n.opts.ExtendedTypes
	p.ReconfigEnable, p.StandaloneEnabled = n.opts.ReconfigEnabled, n.opts.StandaloneEnabled
	if n.role == RoleLeader && n.rc.committed != nil {
		p.Ensemble = leaderEnsemble{n}
	}
	return p
}
