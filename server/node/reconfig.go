package node

import (
	"github.com/zkgo/zkgo/jute"
	"github.com/zkgo/zkgo/jute/records"
	"github.com/zkgo/zkgo/server/config"
	"github.com/zkgo/zkgo/wire"
)

// PktInformAndActivate is the observers' INFORM of a reconfig txn: the designated leader's
// sid (long), then the txn (Leader.INFORMANDACTIVATE). PktCommitAndActivate (9) is a
// follower's COMMIT of it, whose data is the designated leader's sid.
const PktInformAndActivate int32 = 19

// reconfigState is the node's view of the ensemble configuration (QuorumPeer's
// quorumVerifier and lastSeenQuorumVerifier). A leader's reconfig in flight (its commit rule
// and designated leader) is the zab core's.
type reconfigState struct {
	committed, lastSeen *config.Verifier
}

// ActivateFunc is called on the node loop when a config becomes active (a committed reconfig,
// or a newer config learned at NEWLEADER/UPTODATE or stamped by a new leader). It must not
// block on the node.
type ActivateFunc func(v *config.Verifier)

// Config returns the active config and the last one seen (proposed). Call inside Do.
func (n *Node) Config() (committed, lastSeen *config.Verifier) { return n.rc.committed, n.rc.lastSeen }

// InitConfig installs the config read at start-up and writes it into /zookeeper/config, as
// QuorumPeerMain does (initConfigInZKDatabase) whether or not reconfig is enabled. Call
// inside Do.
func (n *Node) InitConfig(v *config.Verifier) {
	n.rc.committed, n.rc.lastSeen = v, v
	n.writeConfigNode()
}

func (n *Node) writeConfigNode() {
	v := n.rc.committed
	n.fire(n.tree.SetConfigNode([]byte(v.Text()), v.Version, nowMs()), n.tree.LastZxid)
}

// SetLastSeenConfig records a config proposed or announced but not active yet (a leader's
// version stamp on a version-0 config, a NEWLEADER's config). Without reconfigEnabled Java
// keeps no last seen config. Call inside Do.
func (n *Node) SetLastSeenConfig(v *config.Verifier) {
	if !n.opts.ReconfigEnabled || v == nil || (n.rc.lastSeen != nil && v.Version <= n.rc.lastSeen.Version) {
		return
	}
	n.rc.lastSeen = v
}

// ActivateConfig makes v the active config when it is newer (QuorumPeer.processReconfig),
// writes it into /zookeeper/config and tells the quorum peer. It reports whether the config
// changed and whether this server's learner type changed. Call inside Do.
func (n *Node) ActivateConfig(v *config.Verifier) (changed, roleChange bool) {
	if !n.opts.ReconfigEnabled || v == nil {
		return false, false
	}
	prev := n.rc.committed
	if prev != nil && prev.Version >= v.Version {
		n.writeConfigNode()
		return false, false
	}
	n.rc.committed = v
	if n.rc.lastSeen == nil || v.Version > n.rc.lastSeen.Version {
		n.rc.lastSeen = v
	}
	n.writeConfigNode()
	if n.opts.OnActivate != nil {
		n.opts.OnActivate(v)
	}
	if prev == nil || prev.Equal(v) {
		return false, false
	}
	was, _ := prev.Member(n.opts.MyID)
	now, in := v.Member(n.opts.MyID)
	// updateLearnerType: a server not in the view becomes a non-voting participant.
	return true, in && now.Observer != was.Observer || !in && was.Observer
}

// reconfigTxnConfig parses the config a reconfig txn carries (nil for any other txn): as
// Java's configFromString, or keeping the text's member order for the leader's own proposal.
func reconfigTxnConfig(t *records.TxnHeader, rec jute.Record, asWritten bool) *config.Verifier {
	sd, ok := rec.(*records.SetDataTxn)
	if !ok || wire.Op(t.Type) != wire.OpReconfig {
		return nil
	}
	parse := config.ParseVerifier
	if asWritten {
		parse = config.ParseVerifierAsWritten
	}
	v, err := parse(string(sd.Data))
	if err != nil {
		return nil
	}
	return v
}

// --- leader ---------------------------------------------------------------------------------

// leaderEnsemble is prep's view of the ensemble on a leader.
type leaderEnsemble struct{ n *Node }

func (e leaderEnsemble) Committed() *config.Verifier { return e.n.rc.committed }
func (e leaderEnsemble) LastSeen() *config.Verifier  { return e.n.rc.lastSeen }

// QuorumSynced is Leader.isQuorumSynced: the leader (when it votes in v) and the followers
// registered for broadcasts that vote in v.
func (e leaderEnsemble) QuorumSynced(v *config.Verifier) bool {
	n := e.n
	set := map[int64]bool{}
	if v.IsVoter(n.opts.MyID) {
		set[n.opts.MyID] = true
	}
	if n.lead != nil {
		followers, _ := n.lead.core.Forwarding()
		for _, sid := range followers {
			if v.IsVoter(sid) {
				set[sid] = true
			}
		}
	}
	return v.HasQuorum(set)
}

// --- learner --------------------------------------------------------------------------------

// LearnerCommitAndActivate handles COMMITANDACTIVATE (follower) or INFORMANDACTIVATE
// (observer, with inform): the reconfig txn commits and its config activates. It reports
// whether the learner must leave the leader (Follower.processPacket: processReconfig says
// the learner type or the leader changed). Call inside Do.
func (n *Node) LearnerCommitAndActivate(zxid int64, data []byte, inform bool) (leave bool, err error) {
	d := jute.NewDecoder(data)
	designated, err := d.Long()
	if err != nil {
		return false, err
	}
	if inform {
		if err := n.LearnerProposal(d.Rest(), false); err != nil {
			return false, err
		}
	}
	var v *config.Verifier
	for _, p := range n.pending {
		if p.txn.Header.Zxid == zxid {
			v = reconfigTxnConfig(&p.txn.Header, p.txn.Record, false)
		}
	}
	// processReconfig, then commit: the reply of the reconfig carries the new config.
	changed, roleChange := n.ActivateConfig(v)
	n.applyUpTo(zxid)
	return changed && (roleChange || designated != n.leaderID), nil
}

// SetLeaderID records the leader this learner follows (the current vote's id).
func (n *Node) SetLeaderID(id int64) { n.leaderID = id }
