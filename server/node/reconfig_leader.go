package node

import (
	"github.com/zkgo/zkgo/server/config"
)

// The leader's side of a reconfig. The commit rule (the old and the new config's quorums),
// COMMITANDACTIVATE/INFORMANDACTIVATE and the designated leader are the zab core's; the node
// tells it which proposal is a reconfig and activates the config when it commits.

// proposedReconfig notes a reconfig proposal: its config is the last seen one. It returns
// that config (nil for any other txn). Call after the txn is prepared.
func (n *Node) proposedReconfig(p *pending) *config.Verifier {
	v := reconfigTxnConfig(&p.txn.Header, p.txn.Record, true)
	if v != nil {
		n.rc.lastSeen = v
	}
	return v
}

// propose hands a logged proposal to the core, which sends it to the voters; next is the
// config a reconfig proposes.
func (l *leaderState) propose(p *pending, next *config.Verifier) {
	if l.ended {
		return
	}
	var z int64
	var err error
	if next != nil {
		z, err = l.core.ProposeReconfig(p.payload, next.Voters(), l.n.staysLeader(next))
	} else {
		z, err = l.core.Propose(p.payload)
	}
	if err == nil && z != p.txn.Header.Zxid {
		l.n.log.Error("leader: the core numbered a proposal differently", "zxid", hexID(p.txn.Header.Zxid), "core", hexID(z))
	}
	if err != nil {
		l.n.log.Warn("leader: proposal not broadcast", "zxid", hexID(p.txn.Header.Zxid), "err", err)
	}
	l.advance()
}

// staysLeader is the first test of Leader.getDesignatedLeader: this leader votes in the new
// config with the same quorum address.
func (n *Node) staysLeader(next *config.Verifier) bool {
	if n.rc.committed == nil {
		return false
	}
	self, _ := n.rc.committed.Member(n.opts.MyID)
	s, ok := next.Member(n.opts.MyID)
	return ok && !s.Observer && s.Host == self.Host && s.QuorumPort == self.QuorumPort
}

// committedReconfig runs before a committed proposal is applied on the leader (tryToCommit:
// processReconfig, then commit, so its reply carries the new config): a reconfig activates
// its config.
func (n *Node) committedReconfig(p *pending) {
	if v := reconfigTxnConfig(&p.txn.Header, p.txn.Record, true); v != nil {
		n.ActivateConfig(v)
	}
}
