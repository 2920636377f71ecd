package node

import (
	"github.com/zkgo/zkgo/jute"
	"github.com/zkgo/zkgo/jute/records"
	"github.com/zkgo/zkgo/server/zab"
)

// The leader's side of a reconfig: the commit rule with the old and the new config's
// quorums, COMMITANDACTIVATE/INFORMANDACTIVATE, activation and the designated leader.

// proposedReconfig notes a reconfig proposal: its config is the last seen one, and from
// its zxid on proposals need the new config's quorum too. Call after the txn is prepared.
func (n *Node) proposedReconfig(p *pending) {
	v := reconfigTxnConfig(&p.txn.Header, p.txn.Record, true)
	if v == nil {
		return
	}
	n.rc.lastSeen = v
	if n.role != RoleLeader {
		return
	}
	n.rc.inFlight, n.rc.next = p.txn.Header.Zxid, v
	n.rc.acks, n.rc.released = map[int64]map[int64]bool{}, false
}

// leaderAck passes an ACK to the commit tracker. While a reconfig is outstanding, the acks
// of its proposal reach the tracker (which counts the old config's voters) once the new
// config's voters made a quorum of them, so it commits with both quorums; the acks of later
// proposals are kept until it commits, then counted against the new config.
func (n *Node) leaderAck(sid, zxid int64) {
	if n.rc.stepDown {
		return
	}
	if n.rc.next == nil || zxid < n.rc.inFlight {
		n.lead.acks.Ack(sid, zxid)
		return
	}
	set := n.rc.acks[zxid]
	if set == nil {
		set = map[int64]bool{}
		n.rc.acks[zxid] = set
	}
	set[sid] = true
	switch {
	case zxid != n.rc.inFlight:
	case n.rc.released:
		n.lead.acks.Ack(sid, zxid)
	case n.rc.next.HasQuorum(set):
		n.rc.released = true
		for s := range set {
			n.lead.acks.Ack(s, zxid)
		}
	}
}

// leaderAckUpTo is the leader's own ACK of every logged proposal up to zxid.
func (n *Node) leaderAckUpTo(sid, zxid int64) {
	if n.rc.next == nil && !n.rc.stepDown {
		n.lead.acks.AckUpTo(sid, zxid)
		return
	}
	for _, p := range n.pending {
		if z := p.txn.Header.Zxid; z <= zxid {
			n.leaderAck(sid, z)
		}
	}
}

// commitPackets returns what followers and observers get for a committed proposal: COMMIT
// and INFORM, or for a reconfig COMMITANDACTIVATE and INFORMANDACTIVATE naming the
// designated leader.
func (n *Node) commitPackets(p *pending) (commit, inform *records.QuorumPacket) {
	z := p.txn.Header.Zxid
	if n.rc.next == nil || z != n.rc.inFlight {
		return &records.QuorumPacket{Type: PktCommit, Zxid: z}, &records.QuorumPacket{Type: PktInform, Zxid: z, Data: p.payload}
	}
	d := jute.AppendLong(nil, n.designatedLeader())
	return &records.QuorumPacket{Type: PktCommitAndActivate, Zxid: z, Data: d},
		&records.QuorumPacket{Type: PktInformAndActivate, Zxid: z, Data: append(d, p.payload...)}
}

// designatedLeader is Leader.getDesignatedLeader: this leader when it votes in the new
// config with the same quorum address, else the lowest voter of the new config that acked
// the reconfig.
func (n *Node) designatedLeader() int64 {
	v := n.rc.next
	self, _ := n.rc.committed.Member(n.opts.MyID)
	if s, ok := v.Member(n.opts.MyID); ok && !s.Observer && s.Host == self.Host && s.QuorumPort == self.QuorumPort {
		return n.opts.MyID
	}
	best := int64(-1)
	for sid := range n.rc.acks[n.rc.inFlight] {
		if sid != n.opts.MyID && v.IsVoter(sid) && (best < 0 || sid < best) {
			best = sid
		}
	}
	return best
}

// committedReconfig runs before a committed proposal is applied on the leader (tryToCommit:
// processReconfig, then commit, so its reply carries the new config): a reconfig activates
// its config; the commit tracker then counts the new voters, and acks held back
// for later proposals are released. Reports the designated leader when it is not this
// server (the leader then stops committing and steps down).
func (n *Node) committedReconfig(p *pending) {
	if n.rc.next == nil || p.txn.Header.Zxid != n.rc.inFlight {
		return
	}
	designated := n.designatedLeader()
	next, acks := n.rc.next, n.rc.acks
	n.rc.next, n.rc.acks, n.rc.released, n.rc.inFlight = nil, nil, false, 0
	n.ActivateConfig(next)
	tr := zab.NewTracker(zab.NewVerifier(next.Voters()))
	for _, q := range n.pending {
		if q == nil || q.txn.Header.Zxid <= p.txn.Header.Zxid {
			continue
		}
		z := q.txn.Header.Zxid
		tr.Add(z)
		for sid := range acks[z] {
			tr.Ack(sid, z)
		}
	}
	n.lead.acks = tr
	if designated != n.opts.MyID {
		n.rc.stepDown = true
		n.log.Info("reconfig committed; this server is not the designated leader", "designated", designated)
	}
}

// ReconfigStepDown reports whether this leader committed a config that designates another
// leader. Call inside Do.
func (n *Node) ReconfigStepDown() bool { return n.rc.stepDown }
