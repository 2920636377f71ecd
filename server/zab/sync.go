package zab

import "fmt"

// SyncMode is how the leader brings a learner up to date.
type SyncMode int

// Sync modes.
const (
	ModeDiff SyncMode = iota
	ModeTrunc
	ModeSnap
)

func (m SyncMode) String() string { return [...]string{"DIFF", "TRUNC", "SNAP"}[m] }

// Type is the packet that opens a sync of this mode.
func (m SyncMode) Type() MsgType { return [...]MsgType{Diff, Trunc, Snap}[m] }

// SyncChoice is the leader's plan for one learner: the DIFF/TRUNC/SNAP packet's mode and
// zxid, then the committed txns window[From:] as PROPOSAL+COMMIT (DIFF and TRUNC only).
type SyncChoice struct {
	Mode SyncMode
	Zxid int64
	From int
}

func (c SyncChoice) String() string { return fmt.Sprintf("%s %s from=%d", c.Mode, Hex(c.Zxid), c.From) }

// ChooseSync is LearnerHandler.syncFollower of Java 3.9 (without the txn-log sync, which
// zkgo does not keep: a learner behind the committed-log window gets a SNAP). peerLast is the
// learner's last logged zxid (from ACKEPOCH), lastProcessed the leader's last applied zxid and
// window the zxids of the committed log (committedLog, oldest first).
//
//   - peerLast == lastProcessed: DIFF peerLast, nothing to send.
//   - peerLast > maxCommitted and not the first zxid of an epoch: TRUNC maxCommitted.
//   - minCommitted <= peerLast <= maxCommitted (queueCommittedProposals): the first committed
//     txn >= peerLast decides: == peerLast gives DIFF maxCommitted from the txn after it; a
//     peerLast of an epoch's first zxid gives DIFF maxCommitted from that txn; a txn of
//     peerLast's epoch gives TRUNC to the txn before it (the learner logged txns nobody
//     committed), a txn of another epoch gives SNAP.
//   - otherwise SNAP at lastProcessed.
//
// With an empty window, minCommitted = maxCommitted = lastProcessed.
func ChooseSync(peerLast, lastProcessed int64, window []int64) SyncChoice {
	minC, maxC := lastProcessed, lastProcessed
	if len(window) > 0 {
		minC, maxC = window[0], window[len(window)-1]
	}
	newEpochZxid := Counter(peerLast) == 0
	snap := SyncChoice{Mode: ModeSnap, Zxid: lastProcessed, From: len(window)}
	switch {
	case peerLast == lastProcessed:
		return SyncChoice{Mode: ModeDiff, Zxid: peerLast, From: len(window)}
	case peerLast > maxC && !newEpochZxid:
		return SyncChoice{Mode: ModeTrunc, Zxid: maxC, From: len(window)}
	case minC <= peerLast && peerLast <= maxC:
		prev := int64(-1)
		for i, z := range window {
			switch {
			case z < peerLast:
				prev = z
				continue
			case z == peerLast:
				return SyncChoice{Mode: ModeDiff, Zxid: maxC, From: i + 1}
			case newEpochZxid:
				return SyncChoice{Mode: ModeDiff, Zxid: maxC, From: i}
			case Epoch(z) != Epoch(peerLast):
				return snap
			default:
				return SyncChoice{Mode: ModeTrunc, Zxid: prev, From: i}
			}
		}
		if newEpochZxid {
			return SyncChoice{Mode: ModeDiff, Zxid: maxC, From: len(window)}
		}
	}
	return snap
}
