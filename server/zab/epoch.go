package zab

import "fmt"

// Negotiation is the leader's side of discovery and synchronisation: which voters connected
// with which acceptedEpoch, the new epoch, the ACKEPOCH quorum and the NEWLEADER ack quorum
// (Leader.getEpochToPropose, waitForEpochAck, waitForNewLeaderAck). Not safe for concurrent
// use; the production leader holds its lock around it.
type Negotiation struct {
	self      int64
	v         Verifier
	connected map[int64]int64 // voter -> acceptedEpoch
	newEpoch  int64           // -1 until decided
	epochAcks map[int64]bool
	nlAcks    map[int64]bool
	// The leader's state summary (currentEpoch, last zxid) that ACKEPOCHs are checked against.
	startEpoch, lastZxid int64
}

// NewNegotiation starts discovery for leader self with its acceptedEpoch, currentEpoch and
// last logged zxid.
func NewNegotiation(self int64, v Verifier, acceptedEpoch, currentEpoch, lastZxid int64) *Negotiation {
	n := &Negotiation{self: self, v: v, connected: map[int64]int64{self: acceptedEpoch}, newEpoch: -1,
		epochAcks: map[int64]bool{}, nlAcks: map[int64]bool{}, startEpoch: currentEpoch, lastZxid: lastZxid}
	return n
}

// Connect records a voter's FOLLOWERINFO (observers do not take part) and reports whether
// that decided the new epoch: max(acceptedEpoch)+1 once a quorum, the leader included, has
// connected. A voter connecting after the decision changes nothing.
func (n *Negotiation) Connect(sid, acceptedEpoch int64) (decided bool) {
	if n.newEpoch >= 0 || !n.v.IsVoter(sid) {
		return false
	}
	n.connected[sid] = acceptedEpoch
	if !n.v.HasQuorum(func(s int64) bool { _, ok := n.connected[s]; return ok }) {
		return false
	}
	e := int64(0)
	for _, a := range n.connected {
		e = max(e, a)
	}
	n.newEpoch = e + 1
	n.epochAcks[n.self] = true
	return true
}

// NewEpoch is the decided epoch, or -1.
func (n *Negotiation) NewEpoch() int64 { return n.newEpoch }

// AckEpoch records an ACKEPOCH (currentEpoch, last logged zxid) and reports whether it
// completed the quorum. A learner more recent than the leader is an error (the learner is
// dropped); currentEpoch -1 (the learner had already accepted the epoch) does not count, as
// in Java.
func (n *Negotiation) AckEpoch(sid, currentEpoch, lastZxid int64) (quorum bool, err error) {
	if currentEpoch > n.startEpoch || (currentEpoch == n.startEpoch && lastZxid > n.lastZxid) {
		return false, fmt.Errorf("zab: learner %d is more recent than the leader (epoch %d, zxid %s)", sid, currentEpoch, Hex(lastZxid))
	}
	if currentEpoch == -1 || lastZxid == -1 || !n.v.IsVoter(sid) || n.EpochAcked() {
		return false, nil
	}
	n.epochAcks[sid] = true
	return n.EpochAcked(), nil
}

// EpochAcked reports whether a quorum acked the new epoch.
func (n *Negotiation) EpochAcked() bool { return n.newEpoch >= 0 && n.v.HasQuorumSet(n.epochAcks) }

// AckNewLeader records an ACK of NEWLEADER (the leader acks itself once it has written
// currentEpoch) and reports whether it completed the quorum.
func (n *Negotiation) AckNewLeader(sid int64) (quorum bool) {
	if !n.v.IsVoter(sid) || n.Established() {
		return false
	}
	n.nlAcks[sid] = true
	return n.Established()
}

// Established reports whether a quorum acked NEWLEADER.
func (n *Negotiation) Established() bool { return n.v.HasQuorumSet(n.nlAcks) }

// AcceptLeaderInfo is the learner's answer to LEADERINFO (Learner.registerWithLeader):
// a new epoch above acceptedEpoch is accepted (the acceptedEpoch file is written before
// ACKEPOCH leaves) and ACKEPOCH carries currentEpoch; the same epoch carries -1; a lower
// epoch is an error.
func AcceptLeaderInfo(newEpoch, acceptedEpoch, currentEpoch int64) (accept bool, ackEpoch int64, err error) {
	switch {
	case newEpoch > acceptedEpoch:
		return true, currentEpoch, nil
	case newEpoch == acceptedEpoch:
		return false, -1, nil
	}
	return false, 0, fmt.Errorf("zab: leader's epoch %d is less than our accepted epoch %d", newEpoch, acceptedEpoch)
}
