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

// LearnerPeer is a learner connection as the leader's node loop sees it.
type LearnerPeer interface {
	ID() int64
	Observer() bool
	Send(pkt *records.QuorumPacket)
}

// commitLogSize is zookeeper.commitLogCount: committed proposals kept for DIFF syncs.
const commitLogSize = 500

type pendingSync struct {
	peer LearnerPeer
	zxid int64
}

// leaderState is the leader's broadcast bookkeeping, owned by the node loop. The ack
// counting and in-order commit rule are the zab core's Tracker: its outstanding proposals
// are n.pending, in the same order.
type leaderState struct {
	n          *Node
	acks       *zab.Tracker
	forwarding map[int64]LearnerPeer
	syncs      []pendingSync
}

// BecomeLeader switches the node to leader: new txns get zxids from newEpoch<<32 + 1.
// voters are the participant sids (self included). Call inside Do.
func (n *Node) BecomeLeader(newEpoch int64, voters []int64) {
	n.ApplyAllPending()
	n.SetRole(RoleLeader, nil)
	n.lead = &leaderState{n: n, acks: zab.NewTracker(zab.NewVerifier(voters)), forwarding: map[int64]LearnerPeer{}}
	n.nextZxid = newEpoch << 32
	n.prep = newPrepFor(n)
	// Sessions from the tree's history get a fresh timeout from now, as Java's leader's
	// session tracker does when it starts.
	now := nowMs()
	for _, s := range n.sessions.All() {
		n.sessions.Add(s.ID, s.Timeout, now)
	}
}

func (l *leaderState) broadcast(p *pending) {
	pkt := &records.QuorumPacket{Type: PktProposal, Zxid: p.txn.Header.Zxid, Data: p.payload}
	for _, lp := range l.forwarding {
		if !lp.Observer() {
			lp.Send(pkt)
		}
	}
}

// tryCommit commits, in order, every head proposal a quorum has acked.
func (l *leaderState) tryCommit() {
	n := l.n
	commit := min(l.acks.Committable(), len(n.pending))
	done := 0
	for ; done < commit; done++ {
		p := n.pending[done]
		commit, inform := n.commitPackets(p)
		for _, lp := range l.forwarding {
			if lp.Observer() {
				lp.Send(inform)
			} else {
				lp.Send(commit)
			}
		}
		n.committedReconfig(p)
		n.apply(p)
		n.pending[done] = nil
	}
	if done == 0 {
		return
	}
	n.pending = n.pending[done:]
	if len(n.pending) == 0 {
		n.pending = nil
	}
	l.flushSyncs()
	n.afterApply()
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

func (l *leaderState) flushSyncs() {
	i := 0
	for ; i < len(l.syncs) && l.syncs[i].zxid <= l.n.tree.LastZxid; i++ {
		l.syncs[i].peer.Send(&records.QuorumPacket{Type: PktSync})
	}
	l.syncs = l.syncs[i:]
}

// LeaderAck records a follower's ACK. Call inside Do.
func (n *Node) LeaderAck(sid, zxid int64) {
	if n.lead == nil || zxid&0xffffffff == 0 {
		return
	}
	n.leaderAck(sid, zxid)
	n.lead.tryCommit()
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

// SyncPlan is how the leader brings a learner up to date.
type SyncPlan struct {
	Packets []*records.QuorumPacket // DIFF/TRUNC/SNAP first, then proposals/commits, then NEWLEADER
	Snap    []byte                  // the SNAP stream, written right after the SNAP packet
}

// LeaderSyncLearner decides DIFF, TRUNC or SNAP for a learner whose last zxid is peerLast
// (zab.ChooseSync: LearnerHandler.syncFollower), queues the outstanding proposals, appends NEWLEADER, and
// registers the learner for broadcasts — all at one instant of the node loop, so nothing is
// missed or sent twice. queue puts the plan on the learner's connection before the learner
// is registered, so no broadcast PROPOSAL can overtake the DIFF/TRUNC/SNAP packet (a Java
// learner exits on a PROPOSAL before it). Call inside Do.
func (n *Node) LeaderSyncLearner(peer LearnerPeer, peerLast, newEpoch int64, config []byte, queue func(*SyncPlan)) (*SyncPlan, error) {
	l := n.lead
	if l == nil {
		return nil, nil // no longer leading
	}
	log := n.recent()
	plan := &SyncPlan{}
	window := make([]int64, len(log))
	for i, p := range log {
		window[i] = p.txn.Header.Zxid
	}
	choice := zab.ChooseSync(peerLast, n.tree.LastZxid, window)
	if choice.Mode != zab.ModeSnap {
		plan.Packets = append(plan.Packets, &records.QuorumPacket{Type: int32(choice.Mode.Type()), Zxid: choice.Zxid})
		for _, p := range log[choice.From:] {
			if peer.Observer() {
				plan.Packets = append(plan.Packets, &records.QuorumPacket{Type: PktInform, Zxid: p.txn.Header.Zxid, Data: p.payload})
				continue
			}
			plan.Packets = append(plan.Packets,
				&records.QuorumPacket{Type: PktProposal, Zxid: p.txn.Header.Zxid, Data: p.payload},
				&records.QuorumPacket{Type: PktCommit, Zxid: p.txn.Header.Zxid})
		}
	} else {
		plan.Packets = []*records.QuorumPacket{{Type: PktSnap, Zxid: choice.Zxid}}
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
		plan.Snap = buf.Bytes()
	}
	// Outstanding proposals (not yet committed) follow, for participants.
	if !peer.Observer() {
		for _, p := range n.pending {
			plan.Packets = append(plan.Packets, &records.QuorumPacket{Type: PktProposal, Zxid: p.txn.Header.Zxid, Data: p.payload})
		}
	}
	plan.Packets = append(plan.Packets, &records.QuorumPacket{Type: PktNewLeader, Zxid: newEpoch << 32, Data: config})
	queue(plan)
	l.forwarding[peer.ID()] = peer
	return plan, nil
}

// LeaderDropLearner stops broadcasting to a learner. Call inside Do.
func (n *Node) LeaderDropLearner(peer LearnerPeer) {
	if n.lead != nil && n.lead.forwarding[peer.ID()] == peer {
		delete(n.lead.forwarding, peer.ID())
	}
}

func newTrackerFor(n *Node) *session.Tracker {
	return session.NewTracker(n.opts.MyID, nowMs(), n.opts.TickTime.Milliseconds())
}
