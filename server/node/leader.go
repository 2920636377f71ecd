package node

import (
	"bytes"

	"github.com/zkgo/zkgo/server/prep"

	"github.com/zkgo/zkgo/jute"
	"github.com/zkgo/zkgo/jute/records"
	"github.com/zkgo/zkgo/server/session"
	"github.com/zkgo/zkgo/server/zab"
	"github.com/zkgo/zkgo/wire"
)

// LearnerPeer is a learner's connection on the leader.
type LearnerPeer interface {
	Send(pkt *records.QuorumPacket)
	// SendSnap queues a SNAP packet followed by the snapshot stream.
	SendSnap(pkt *records.QuorumPacket, stream []byte)
	// Close ends the connection (the leader dropped the learner).
	Close()
}

// LeaderHooks is what a leadership needs from the quorum peer. Every method is called inside
// a node step; Established and Done must not block.
type LeaderHooks interface {
	// AcceptedEpoch and CurrentEpoch write (and fsync) the epoch files.
	AcceptedEpoch(epoch int64) error
	CurrentEpoch(epoch int64) error
	// NewLeaderConfig is the NEWLEADER packet's data.
	NewLeaderConfig() []byte
	// Established: a quorum acked NEWLEADER; the node serves.
	Established(epoch int64)
	// Done: the leadership ended (the core stepped down, or an epoch file failed).
	Done(err error)
}

// LeadOptions configure a leadership.
type LeadOptions struct {
	Voters, Observers []int64
	// Tick is how many calls of LeaderTick make one tickTime; InitLimit and SyncLimit are in
	// tickTimes.
	TicksPerTick         int
	InitLimit, SyncLimit int
	// ProtocolVersion is LEADERINFO's data (Leader.PROTOCOL_VERSION).
	ProtocolVersion int32
	// AcceptedEpoch and CurrentEpoch are the epoch files' values.
	AcceptedEpoch, CurrentEpoch int64
	Hooks                       LeaderHooks
}

// commitLogSize is zookeeper.commitLogCount: committed proposals kept for DIFF syncs.
const commitLogSize = 500

type pendingSync struct {
	peer LearnerPeer
	zxid int64
}

// leaderState is a leadership: the zab core's Leader (discovery, sync choice, broadcast, ack
// counting and the reconfig commit rule), driven from node steps, and what the core leaves
// to the node: the learners' connections, SYNC requests, and the data of the packets.
type leaderState struct {
	n      *Node
	core   *zab.Leader
	o      LeadOptions
	peers  map[int64]LearnerPeer // sid -> its current connection
	syncs  []pendingSync
	ended  bool
	commit bool // a Ready committed something: SYNCs and sync waiters may proceed
}

// StartLeading makes the node the leader of a new leadership (not serving until a quorum
// acked NEWLEADER): what it logged is applied and the core starts discovery. Learners'
// packets come in through LeaderStep. Call inside Do.
func (n *Node) StartLeading(o LeadOptions) {
	n.ApplyAllPending()
	n.SetRole(RoleLeader, nil)
	n.serving = false
	if o.TicksPerTick <= 0 {
		o.TicksPerTick = 1
	}
	var committed []zab.Entry
	for _, p := range n.recent() {
		committed = append(committed, zab.Entry{Zxid: p.txn.Header.Zxid, Data: p.payload})
	}
	n.lead = &leaderState{n: n, o: o, peers: map[int64]LearnerPeer{},
		core: zab.NewLeader(zab.LeaderConfig{ID: n.opts.MyID, Voters: o.Voters, Observers: o.Observers,
			InitLimit: o.InitLimit * o.TicksPerTick, SyncLimit: o.SyncLimit * o.TicksPerTick,
			CommitLogSize: commitLogSize, AsyncLog: true},
			zab.LeaderState{AcceptedEpoch: o.AcceptedEpoch, CurrentEpoch: o.CurrentEpoch, LastZxid: n.tree.LastZxid, Committed: committed})}
	n.lead.advance()
}

// remember keeps the last commitLogSize applied txns (ZKDatabase's committedLog), in every
// role, so a node that becomes leader can DIFF or TRUNC learners from its own history.
//
// Only the header and the payload serve later (DIFF and TRUNC planning): a large txn is kept
// as those two alone, so its decoded record (a copy of its data) does not stay alive with
// it. The window holds commitLogSize txns plus at most a quarter more between trims.
func (n *Node) remember(p *pending) {
	if p.payload == nil {
		return
	}
	if len(p.payload) > slimAbove && p.txn.Record != nil {
		s := &slimPending{txn: prep.Txn{Header: p.txn.Header, Digest: p.txn.Digest}}
		s.p = pending{txn: &s.txn, payload: p.payload, digest: p.digest, durable: true}
		p = &s.p
	}
	n.commitLog = append(n.commitLog, p)
	if len(n.commitLog) > commitLogSize+commitLogSize/4 {
		n.commitLog = append(n.commitLog[:0:0], n.commitLog[len(n.commitLog)-commitLogSize:]...)
	}
}

// slimAbove is the payload size above which remember keeps a txn without its record.
const slimAbove = 4096

// slimPending is a remembered txn reduced to header and payload, in one allocation.
type slimPending struct {
	p   pending
	txn prep.Txn
}

// recent is the committed log window used for sync decisions.
func (n *Node) recent() []*pending {
	if len(n.commitLog) > commitLogSize {
		return n.commitLog[len(n.commitLog)-commitLogSize:]
	}
	return n.commitLog
}

// SeedCommitLog installs txns replayed from the log at start-up (raw entries, oldest first).
func (n *Node) SeedCommitLog(entries [][]byte) {
	n.commitLog = nil
	for _, raw := range entries {
		e, err := wire.DecodeTxn(raw)
		if err != nil {
			continue
		}
		n.remember(&pending{txn: &prep.Txn{Header: e.Header, Record: e.Record}, payload: raw})
	}
}

// advance carries out the core's Ready: epoch files (written and synced at once, so what
// waits for them leaves in the same step), commits, packets, dropped learners, serving; the
// node logged each proposal when it made it, and the log's durability comes in through
// LogDurable.
func (l *leaderState) advance() {
	n := l.n
	for !l.ended && l.core.HasReady() {
		rd := l.core.Ready()
		if rd.AcceptedEpoch >= 0 {
			if err := l.o.Hooks.AcceptedEpoch(rd.AcceptedEpoch); err != nil {
				l.end(err)
				return
			}
		}
		if rd.CurrentEpoch >= 0 {
			n.becomeLeader(rd.CurrentEpoch)
			if err := l.o.Hooks.CurrentEpoch(rd.CurrentEpoch); err != nil {
				l.end(err)
				return
			}
		}
		for _, e := range rd.Commit {
			n.commitHead(e.Zxid)
			l.commit = true
		}
		l.send(rd.Messages)
		l.send(rd.AfterSync)
		for _, sid := range rd.Disconnect {
			if p := l.peers[sid]; p != nil {
				delete(l.peers, sid)
				p.Close()
			}
		}
		if rd.Serving {
			_, last := n.Config()
			n.ActivateConfig(last) // Leader.lead: processReconfig of the NEWLEADER config
			n.SetServing(true)
			l.o.Hooks.Established(l.core.NewEpoch())
		}
		l.core.Advance()
		if rd.Done != nil {
			l.end(rd.Done)
			return
		}
	}
	if l.commit {
		l.commit = false
		l.flushSyncs()
		n.afterApply()
	}
}

// end closes the leadership: the quorum peer goes back to election.
func (l *leaderState) end(err error) {
	if !l.ended {
		l.ended = true
		l.o.Hooks.Done(err)
	}
}

// becomeLeader is the new epoch made current: txns get zxids from newEpoch<<32 + 1.
func (n *Node) becomeLeader(newEpoch int64) {
	n.nextZxid = newEpoch << 32
	n.prep = newPrepFor(n)
	// Sessions from the tree's history get a fresh timeout from now, as Java's leader's
	// session tracker does when it starts.
	now := nowMs()
	for _, s := range n.sessions.All() {
		n.sessions.Add(s.ID, s.Timeout, now)
	}
}

// commitHead applies the oldest pending proposal, which the core committed as zxid.
func (n *Node) commitHead(zxid int64) {
	if len(n.pending) == 0 || n.pending[0].txn.Header.Zxid != zxid {
		n.log.Error("leader: committed zxid is not the oldest pending proposal", "zxid", hexID(zxid))
		return
	}
	p := n.pending[0]
	n.pending[0] = nil
	n.pending = n.pending[1:]
	if len(n.pending) == 0 {
		n.pending = nil
	}
	n.committedReconfig(p)
	n.apply(p)
}

// send writes the core's messages to the learners' connections, with the data the core
// leaves to the node: LEADERINFO's protocol version, NEWLEADER's config, the SNAP stream, a
// reconfig commit's designated leader.
func (l *leaderState) send(msgs []zab.Message) {
	for _, m := range msgs {
		p := l.peers[m.To]
		if p == nil {
			continue
		}
		pkt := &records.QuorumPacket{Type: int32(m.Type), Zxid: m.Zxid}
		switch m.Type {
		case zab.Diff, zab.Trunc, zab.Snap:
			l.n.log.Info("syncing learner", "sid", m.To, "mode", m.Type.String(), "zxid", hexID(m.Zxid))
		}
		switch m.Type {
		case zab.LeaderInfo:
			pkt.Data = jute.AppendInt(nil, l.o.ProtocolVersion)
		case zab.NewLeaderMsg:
			pkt.Data = l.o.Hooks.NewLeaderConfig()
		case zab.UpToDate:
			pkt.Zxid = -1
		case zab.Proposal, zab.Inform:
			pkt.Data = m.Data
		case zab.CommitAndActivate:
			pkt.Data = jute.AppendLong(nil, m.Leader)
		case zab.InformAndActivate:
			pkt.Data = append(jute.AppendLong(nil, m.Leader), m.Data...)
		case zab.Snap:
			stream, err := l.n.snapStream()
			if err != nil {
				l.n.log.Error("leader: SNAP stream", "err", err)
				delete(l.peers, m.To)
				l.core.Remove(m.To)
				p.Close()
				continue
			}
			p.SendSnap(pkt, stream)
			continue
		}
		p.Send(pkt)
	}
}

// snapStream is the tree and sessions as a SNAP stream.
func (n *Node) snapStream() ([]byte, error) {
	var buf bytes.Buffer
	w := wire.NewSnapStreamWriter(&buf)
	ss := n.sessions.All()
	snapSessions := make([]wire.SnapSession, len(ss))
	for i, s := range ss {
		snapSessions[i] = wire.SnapSession{ID: s.ID, Timeout: s.Timeout}
	}
	if err := w.Sessions(snapSessions); err != nil {
		return nil, err
	}
	if err := n.tree.WriteSnapshot(w); err != nil {
		return nil, err
	}
	if err := w.Finish(wire.SnapshotTrailer{}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (l *leaderState) flushSyncs() {
	i := 0
	for ; i < len(l.syncs) && l.syncs[i].zxid <= l.n.tree.LastZxid; i++ {
		l.syncs[i].peer.Send(&records.QuorumPacket{Type: PktSync})
	}
	l.syncs = l.syncs[i:]
}

// LeaderStep hands a learner's packet to the leader's core (m.From is the learner's sid). A
// FOLLOWERINFO or OBSERVERINFO makes peer the learner's connection. Call inside Do.
func (n *Node) LeaderStep(peer LearnerPeer, m zab.Message) {
	l := n.lead
	if l == nil || l.ended {
		return
	}
	if m.Type == zab.FollowerInfo || m.Type == zab.ObserverInfo {
		if old := l.peers[m.From]; old != nil && old != peer {
			old.Close()
		}
		l.peers[m.From] = peer
	} else if l.peers[m.From] != peer {
		return // a replaced connection
	}
	l.core.Step(m)
	l.advance()
}

// LeaderRemove forgets a learner whose connection ended. Call inside Do.
func (n *Node) LeaderRemove(peer LearnerPeer, sid int64) {
	if l := n.lead; l != nil && l.peers[sid] == peer {
		delete(l.peers, sid)
		l.core.Remove(sid)
	}
}

// LeaderTick advances the leader's clock (PINGs, learners' and the quorum's liveness). Call
// inside Do.
func (n *Node) LeaderTick() {
	if l := n.lead; l != nil && !l.ended {
		l.core.Tick()
		l.advance()
	}
}

// LeaderRequest handles a learner's forwarded REQUEST. Call inside Do.
func (n *Node) LeaderRequest(peer LearnerPeer, data []byte, auth []records.ID) error {
	if n.lead == nil {
		return nil
	}
	r, err := DecodeForwarded(data, auth)
	if err != nil {
		return err
	}
	if r.Op == wire.OpSync {
		if len(n.pending) == 0 {
			peer.Send(&records.QuorumPacket{Type: PktSync})
		} else {
			n.lead.syncs = append(n.lead.syncs, pendingSync{peer, n.nextZxid})
		}
		return nil
	}
	n.submitWrite(r)
	return nil
}

// LeaderRevalidate answers a learner's REVALIDATE (long session, int timeout). Call inside Do.
func (n *Node) LeaderRevalidate(peer LearnerPeer, data []byte) {
	d := jute.NewDecoder(data)
	sid, err1 := d.Long()
	to, err2 := d.Int()
	if err1 != nil || err2 != nil {
		return
	}
	valid := false
	if s := n.sessions.Get(sid); s != nil && !s.Closing {
		if to > 0 {
			s.Timeout = to
		}
		valid = n.sessions.Touch(sid, nowMs())
	}
	b := jute.AppendLong(nil, sid)
	b = jute.AppendBool(b, valid)
	peer.Send(&records.QuorumPacket{Type: PktRevalidate, Zxid: -1, Data: b})
}

// LeaderTouch handles a PING reply's session touches. Call inside Do.
func (n *Node) LeaderTouch(data []byte) {
	d := jute.NewDecoder(data)
	for d.Remaining() >= 12 {
		sid, _ := d.Long()
		to, _ := d.Int()
		if s := n.sessions.Get(sid); s == nil {
			// A session the leader does not know (e.g. created before it led): track it.
			if to > 0 {
				n.sessions.Add(sid, to, nowMs())
			}
		} else {
			n.sessions.Touch(sid, nowMs())
		}
	}
}

// LastProposed is the zxid of the last proposal (for PING). Call inside Do.
func (n *Node) LastProposed() int64 { return n.nextZxid }

func newTrackerFor(n *Node) *session.Tracker {
	return session.NewTracker(n.opts.MyID, nowMs(), n.opts.TickTime.Milliseconds())
}
