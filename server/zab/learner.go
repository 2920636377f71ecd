package zab

import "fmt"

// LearnerConfig configures a learner core (follower or observer).
type LearnerConfig struct {
	ID, Leader int64
	Observer   bool
	// InitLimit: ticks the leader may be silent until the learner is up to date; SyncLimit:
	// after that.
	InitLimit, SyncLimit int
}

// LearnerState is what the learner starts from: its epoch files and its last logged zxid
// (every logged txn is applied before following).
type LearnerState struct {
	AcceptedEpoch, CurrentEpoch int64
	LastZxid                    int64
}

type learnerStage int

const (
	lsInfo      learnerStage = iota // FOLLOWERINFO out, waiting for LEADERINFO
	lsEpoch                         // ACKEPOCH out, waiting for DIFF/TRUNC/SNAP
	lsSync                          // syncing, waiting for NEWLEADER
	lsNewLeader                     // NEWLEADER acked, waiting for UPTODATE
	lsBroadcast                     // UPTODATE in
)

// Learner is a follower's or observer's ZAB state machine.
type Learner struct {
	cfg                         LearnerConfig
	acceptedEpoch, currentEpoch int64
	newEpoch                    int64
	stage                       learnerStage
	lastLogged, lastCommitted   int64
	pending                     []Entry // logged, not committed
	tick, heard                 int
	rd                          Ready
	done                        error
}

// NewLearner starts following cfg.Leader: the first Ready carries FOLLOWERINFO (or
// OBSERVERINFO) with acceptedEpoch.
func NewLearner(cfg LearnerConfig, st LearnerState) *Learner {
	l := &Learner{cfg: cfg, acceptedEpoch: st.AcceptedEpoch, currentEpoch: st.CurrentEpoch, newEpoch: -1,
		lastLogged: st.LastZxid, lastCommitted: st.LastZxid, rd: emptyReady()}
	t := FollowerInfo
	if cfg.Observer {
		t = ObserverInfo
	}
	l.send(Message{Type: t, Zxid: MakeZxid(st.AcceptedEpoch, 0)}, false)
	return l
}

// Synced reports whether UPTODATE arrived.
func (l *Learner) Synced() bool { return l.stage == lsBroadcast }

// NewEpoch is the leader's epoch, or -1 before LEADERINFO.
func (l *Learner) NewEpoch() int64 { return l.newEpoch }

// LastLogged is the last zxid in the learner's log.
func (l *Learner) LastLogged() int64 { return l.lastLogged }

// LastCommitted is the last zxid the learner applied.
func (l *Learner) LastCommitted() int64 { return l.lastCommitted }

// Done is why following ended, or nil.
func (l *Learner) Done() error { return l.done }

// Step takes one packet from the leader. Packets from anyone else, duplicates (a PROPOSAL
// or COMMIT at or below what is logged or applied) and packets out of their phase are
// ignored; a packet that breaks the protocol (an older epoch, a COMMIT of a txn never
// proposed, a PROPOSAL before the sync mode) ends the role.
func (l *Learner) Step(m Message) {
	if l.done != nil || m.From != l.cfg.Leader {
		return
	}
	l.heard = l.tick
	switch m.Type {
	case LeaderInfo:
		if l.stage != lsInfo {
			return
		}
		accept, ack, err := AcceptLeaderInfo(Epoch(m.Zxid), l.acceptedEpoch, l.currentEpoch)
		if err != nil {
			l.quit(err)
			return
		}
		l.newEpoch = Epoch(m.Zxid)
		if accept {
			l.acceptedEpoch = l.newEpoch
			l.rd.AcceptedEpoch = l.newEpoch
		}
		l.send(Message{Type: AckEpoch, Zxid: l.lastLogged, Epoch: ack}, accept)
		l.stage = lsEpoch
	case Diff, Trunc, Snap:
		if l.stage != lsEpoch {
			return
		}
		l.stage = lsSync
		switch m.Type {
		case Trunc:
			l.rd.Truncate = m.Zxid
			l.lastLogged = m.Zxid
			l.lastCommitted = min(l.lastCommitted, m.Zxid)
		case Snap:
			l.rd.Snap = m.Zxid
			l.lastLogged, l.lastCommitted = m.Zxid, m.Zxid
		}
	case Proposal, Inform:
		if l.stage < lsSync {
			l.quit(fmt.Errorf("zab: learner: %s before the sync mode", m.Type))
			return
		}
		if m.Zxid <= l.lastLogged {
			return // duplicate
		}
		if Epoch(m.Zxid) > l.newEpoch {
			l.quit(fmt.Errorf("zab: learner: %s %s of a later epoch than %d", m.Type, Hex(m.Zxid), l.newEpoch))
			return
		}
		e := Entry{Zxid: m.Zxid, Data: m.Data}
		l.lastLogged = e.Zxid
		l.rd.Append = append(l.rd.Append, e)
		l.pending = append(l.pending, e)
		if m.Type == Inform {
			l.commit(e.Zxid)
		} else if !l.cfg.Observer {
			l.send(Message{Type: Ack, Zxid: e.Zxid}, true)
		}
	case Commit:
		if l.stage < lsSync {
			l.quit(fmt.Errorf("zab: learner: COMMIT before the sync mode"))
			return
		}
		if m.Zxid <= l.lastCommitted {
			return
		}
		if m.Zxid > l.lastLogged {
			l.quit(fmt.Errorf("zab: learner: COMMIT %s of a txn not logged (last logged %s)", Hex(m.Zxid), Hex(l.lastLogged)))
			return
		}
		l.commit(m.Zxid)
	case NewLeaderMsg:
		if l.stage != lsSync {
			return
		}
		if Epoch(m.Zxid) != l.newEpoch {
			l.quit(fmt.Errorf("zab: learner: NEWLEADER of epoch %d, expected %d", Epoch(m.Zxid), l.newEpoch))
			return
		}
		l.currentEpoch = l.newEpoch
		l.rd.CurrentEpoch = l.newEpoch
		l.send(Message{Type: Ack, Zxid: m.Zxid}, true)
		l.stage = lsNewLeader
	case UpToDate:
		if l.stage != lsNewLeader {
			return
		}
		l.stage = lsBroadcast
		l.rd.Serving = true
		l.send(Message{Type: Ack, Zxid: MakeZxid(l.newEpoch, 0)}, false)
	case Ping:
		if l.stage == lsBroadcast {
			l.send(Message{Type: Ping, Zxid: m.Zxid}, false)
		}
	}
}

// Tick advances the learner's clock: a leader silent for InitLimit ticks (before UPTODATE)
// or SyncLimit ticks (after) ends the role.
func (l *Learner) Tick() {
	if l.done != nil {
		return
	}
	l.tick++
	limit := l.cfg.InitLimit
	if l.stage == lsBroadcast {
		limit = l.cfg.SyncLimit
	}
	if l.tick-l.heard > limit {
		l.quit(fmt.Errorf("zab: learner: leader %d silent for %d ticks", l.cfg.Leader, l.tick-l.heard))
	}
}

// HasReady reports whether Ready has anything.
func (l *Learner) HasReady() bool { return !l.rd.Empty() }

// Ready returns what to do (see Ready); call Advance once it is done.
func (l *Learner) Ready() Ready {
	rd := l.rd
	l.rd = emptyReady()
	return rd
}

// Advance tells the core the last Ready was done. The learner needs nothing more: every
// message that waited for durability was in AfterSync.
func (l *Learner) Advance() {}

func (l *Learner) quit(err error) {
	l.done = err
	l.rd.Done = err
}

func (l *Learner) send(m Message, afterSync bool) {
	m.From, m.To = l.cfg.ID, l.cfg.Leader
	if afterSync {
		l.rd.AfterSync = append(l.rd.AfterSync, m)
		l.rd.MustSync = true
		return
	}
	l.rd.Messages = append(l.rd.Messages, m)
}

// commit applies the logged txns up to zxid, in order.
func (l *Learner) commit(zxid int64) {
	i := 0
	for ; i < len(l.pending) && l.pending[i].Zxid <= zxid; i++ {
		l.rd.Commit = append(l.rd.Commit, l.pending[i])
	}
	l.pending = l.pending[i:]
	l.lastCommitted = zxid
}
