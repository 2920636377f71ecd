package zab

// Tracker counts ACKs of outstanding proposals and commits them strictly in zxid order
// (Leader.processAck/tryToCommit): a proposal commits once a quorum of every verifier it was
// proposed under acked it (Proposal.qvAcksetPairs: the current config, and while a reconfig
// is outstanding the config it proposes too) and every proposal before it committed. Acks of
// unknown or already committed zxids, and of servers voting in none of a proposal's
// verifiers, are ignored.
type Tracker struct {
	v    Verifier
	outs []outstanding
}

type outstanding struct {
	zxid int64
	vs   []Verifier
	acks map[int64]bool
}

// NewTracker returns an empty tracker whose proposals are counted against v.
func NewTracker(v Verifier) *Tracker { return &Tracker{v: v} }

// Add registers a new proposal counted against the tracker's verifier; zxids must grow.
func (t *Tracker) Add(zxid int64) { t.AddWith(zxid, t.v) }

// AddWith registers a new proposal that needs a quorum of each of vs.
func (t *Tracker) AddWith(zxid int64, vs ...Verifier) {
	t.outs = append(t.outs, outstanding{zxid: zxid, vs: vs, acks: map[int64]bool{}})
}

// SetVerifier makes v the verifier of proposals added from now on (an activated config).
func (t *Tracker) SetVerifier(v Verifier) { t.v = v }

func (o *outstanding) ack(sid int64) {
	for _, v := range o.vs {
		if v.IsVoter(sid) {
			o.acks[sid] = true
			return
		}
	}
}

func (o *outstanding) quorum() bool {
	for _, v := range o.vs {
		if !v.HasQuorumSet(o.acks) {
			return false
		}
	}
	return true
}

// Ack records sid's ACK of zxid.
func (t *Tracker) Ack(sid, zxid int64) {
	for i := range t.outs {
		if t.outs[i].zxid == zxid {
			t.outs[i].ack(sid)
			return
		}
	}
}

// AckUpTo records sid's ACK of every outstanding zxid <= zxid (the leader's own log).
func (t *Tracker) AckUpTo(sid, zxid int64) {
	for i := range t.outs {
		if t.outs[i].zxid > zxid {
			break
		}
		t.outs[i].ack(sid)
	}
}

// Acked reports the servers that acked zxid (nil when it is not outstanding).
func (t *Tracker) Acked(zxid int64) map[int64]bool {
	for i := range t.outs {
		if t.outs[i].zxid == zxid {
			return t.outs[i].acks
		}
	}
	return nil
}

// CommittableUpTo reports how many head proposals a quorum acked (at most limit when
// limit >= 0) and removes them: they commit, in order.
func (t *Tracker) CommittableUpTo(limit int) int {
	n := 0
	for n < len(t.outs) && (limit < 0 || n < limit) && t.outs[n].quorum() {
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
