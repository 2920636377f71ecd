package zab

// Tracker counts ACKs of outstanding proposals and commits them strictly in zxid order
// (Leader.processAck/tryToCommit): a proposal commits once a quorum of voters acked it and
// every proposal before it committed. Acks of unknown or already committed zxids are ignored.
type Tracker struct {
	v    Verifier
	outs []outstanding
}

type outstanding struct {
	zxid int64
	acks map[int64]bool
}

// NewTracker returns an empty tracker for v.
func NewTracker(v Verifier) *Tracker { return &Tracker{v: v} }

// Add registers a new proposal; zxids must grow.
func (t *Tracker) Add(zxid int64) {
	t.outs = append(t.outs, outstanding{zxid: zxid, acks: map[int64]bool{}})
}

// Ack records sid's ACK of zxid.
func (t *Tracker) Ack(sid, zxid int64) {
	if !t.v.IsVoter(sid) {
		return
	}
	for i := range t.outs {
		if t.outs[i].zxid == zxid {
			t.outs[i].acks[sid] = true
			return
		}
	}
}

// AckUpTo records sid's ACK of every outstanding zxid <= zxid (the leader's own log).
func (t *Tracker) AckUpTo(sid, zxid int64) {
	if !t.v.IsVoter(sid) {
		return
	}
	for i := range t.outs {
		if t.outs[i].zxid > zxid {
			break
		}
		t.outs[i].acks[sid] = true
	}
}

// Committable removes and returns the number of head proposals that a quorum acked: they
// commit, in order.
func (t *Tracker) Committable() int {
	n := 0
	for n < len(t.outs) && t.v.HasQuorumSet(t.outs[n].acks) {
		n++
	}
	t.outs = t.outs[n:]
	if len(t.outs) == 0 {
		t.outs = nil
	}
	return n
}

// Len is the number of outstanding proposals.
func (t *Tracker) Len() int { return len(t.outs) }
