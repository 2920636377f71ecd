package node

import (
	"github.com/zkgo/zkgo/jute"
	"github.com/zkgo/zkgo/jute/records"
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
	n.rc.acks = map[int64]map[int64]bool{}
}

// reconfigAck records an ACK while a reconfig is outstanding: the acks of its proposal and
// of every later one, for the new config's quorum and the designated leader.
func (n *Node) reconfigAck(sid, zxid int64) {
	if n.rc.next == nil || zxid < n.rc.inFlight {
		return
	}
	set := n.rc.acks[zxid]
	if set == nil {
		set = map[int64]bool{}
		n.rc.acks[zxid] = set
	}
	set[sid] = true
}

// reconfigMayCommit is the reconfig part of the commit rule (Proposal.qvAcksetPairs) for a
// head proposal the old config's quorum acked: an outstanding reconfig also needs the new
// config's quorum; proposals after it wait for it, and then count the new config's voters.
// A leader that committed a config designating another leader commits nothing more
// (Leader.allowedToCommit).
func (n *Node) reconfigMayCommit(p *pending) bool {
	z := p.txn.Header.Zxid
	switch {
	case n.rc.stepDown:
		return false
	case n.rc.next == nil || z < n.rc.inFlight:
		return true
	case z == n.rc.inFlight:
		return n.rc.next.HasQuorum(n.rc.acks[z])
	}
	return false
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
// its config, and from then on proposals count the new config's voters. When the designated
// leader is another server, this leader stops committing and steps down.
func (n *Node) committedReconfig(p *pending) {
	if n.rc.next == nil || p.txn.Header.Zxid != n.rc.inFlight {
		return
	}
	designated := n.designatedLeader()
	next := n.rc.next
	n.rc.next, n.rc.acks, n.rc.inFlight = nil, nil, 0
	n.ActivateConfig(next)
	n.lead.voters = map[int64]bool{}
	for _, v := range next.Voters() {
		n.lead.voters[v] = true
	}
	if designated != n.opts.MyID {
		n.rc.stepDown = true
		n.log.Info("reconfig committed; this server is not the designated leader", "designated", designated)
	}
}

// ReconfigStepDown reports whether this leader committed a config that designates another
// leader. Call inside Do.
func (n *Node) ReconfigStepDown() bool { return n.rc.stepDown }
