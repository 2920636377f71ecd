package zab

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
)

// LeaderConfig configures a leader core.
type LeaderConfig struct {
	ID     int64
	Voters []int64 // participants, the leader included; every other learner is an observer
	// InitLimit bounds each phase before the leader is established (discovery, ACKEPOCH
	// quorum, NEWLEADER quorum) and a learner's sync; SyncLimit is how long a learner may be
	// silent once synced. Both in ticks.
	InitLimit, SyncLimit int
	// CommitLogSize is how many committed txns the leader keeps for DIFF syncs
	// (zookeeper.commitLogCount, 500 by default).
	CommitLogSize int
	// Observers are the servers configured as observers: they are served as observers even
	// when they send FOLLOWERINFO. Any other learner is what its first packet says.
	Observers []int64
	// AsyncLog: the driver reports the log's durability with LogDurable (the leader's own
	// ACKs follow it) instead of completing appends before Advance.
	AsyncLog bool
}

// LeaderState is what the leader starts from: its epoch files, its last zxid (every logged
// txn is applied before leading) and the tail of its committed log.
type LeaderState struct {
	AcceptedEpoch, CurrentEpoch int64
	LastZxid                    int64
	Committed                   []Entry
}

type peerStage int

const (
	stInfo       peerStage = iota // FOLLOWERINFO in, waiting for the epoch
	stEpoch                       // LEADERINFO out, waiting for ACKEPOCH
	stAckedEpoch                  // ACKEPOCH in, waiting for the epoch quorum
	stSyncing                     // sync packets and NEWLEADER out: forwarded from now on
	stNewLeader                   // NEWLEADER acked, waiting for the leader to be established
	stUpToDate                    // UPTODATE out
)

type learnerPeer struct {
	sid      int64
	observer bool
	stage    peerStage
	lastZxid int64 // from ACKEPOCH
	heard    int   // tick of the last packet from it
}

// Leader is the leader's ZAB state machine: discovery, synchronisation and broadcast.
type Leader struct {
	cfg   LeaderConfig
	v     Verifier
	neg   *Negotiation
	tr    *Tracker
	peers map[int64]*learnerPeer
	order []*learnerPeer // peers sorted by sid; nil when they changed

	tick, phaseStart int
	acceptedEpoch    int64
	currentEpoch     int64
	newEpoch         int64
	// Epoch files written in a Ready not yet Advanced are not durable: what depends on them
	// goes to AfterSync.
	acceptedDurable, currentDurable bool
	selfNewLeaderAck                bool

	// reconfig is the outstanding reconfig proposal, if any; noCommit is set once a
	// committed reconfig designated another leader (Leader.allowedToCommit = false).
	reconfig *pendingReconfig
	noCommit bool

	lastCommitted int64
	committed     []Entry // committed log window, oldest first
	outstanding   []Entry // proposed, not committed
	nextZxid      int64   // last zxid handed out
	appended      int64   // highest zxid appended in the pending Ready
	established   bool

	rd             Ready
	pendingAdvance func()
	done           error
}

// pendingReconfig is a reconfig proposal: its zxid, the voters it activates and whether this
// leader stays leader in them (a voter of the new config at the same quorum address).
type pendingReconfig struct {
	zxid  int64
	next  Verifier
	stays bool
}

// ErrNotEstablished is returned by Propose before a quorum acked NEWLEADER.
var ErrNotEstablished = errors.New("zab: leader not established")

// ErrReconfigInProgress is returned by ProposeReconfig while another reconfig is outstanding.
var ErrReconfigInProgress = errors.New("zab: a reconfig is in progress")

// NewLeader starts a leadership: the driver accepts learner connections and Steps their
// packets in.
func NewLeader(cfg LeaderConfig, st LeaderState) *Leader {
	if cfg.CommitLogSize <= 0 {
		cfg.CommitLogSize = 500
	}
	v := NewVerifier(cfg.Voters)
	l := &Leader{cfg: cfg, v: v, neg: NewNegotiation(cfg.ID, v, st.AcceptedEpoch, st.CurrentEpoch, st.LastZxid),
		tr: NewTracker(v), peers: map[int64]*learnerPeer{}, acceptedEpoch: st.AcceptedEpoch,
		currentEpoch: st.CurrentEpoch, newEpoch: -1, acceptedDurable: true, currentDurable: true,
		lastCommitted: st.LastZxid, appended: -1, rd: emptyReady()}
	l.committed = append(l.committed, st.Committed...)
	l.trim()
	if l.neg.Connect(cfg.ID, st.AcceptedEpoch) { // a quorum of one
		l.epochDecided()
	}
	return l
}

// NewEpoch is the epoch being established, or -1 before it is decided.
func (l *Leader) NewEpoch() int64 { return l.newEpoch }

// Established reports whether a quorum acked NEWLEADER.
func (l *Leader) Established() bool { return l.established }

// LastCommitted is the last committed zxid (lastProcessedZxid).
func (l *Leader) LastCommitted() int64 { return l.lastCommitted }

// Done is why the leadership ended, or nil.
func (l *Leader) Done() error { return l.done }

// Step takes one packet from a learner.
func (l *Leader) Step(m Message) {
	if l.done != nil {
		return
	}
	sid := m.From
	p := l.peers[sid]
	if m.Type == FollowerInfo || m.Type == ObserverInfo {
		// A new connection from sid replaces any older one.
		p = &learnerPeer{sid: sid, observer: m.Type == ObserverInfo || slices.Contains(l.cfg.Observers, sid), heard: l.tick}
		l.peers[sid] = p
		l.order = nil
		if !p.observer && l.neg.Connect(sid, Epoch(m.Zxid)) {
			l.epochDecided()
		} else if l.newEpoch >= 0 {
			l.sendLeaderInfo(p)
		}
		return
	}
	if p == nil {
		return // no connection: stale
	}
	p.heard = l.tick
	switch m.Type {
	case AckEpoch:
		if p.stage != stEpoch {
			return
		}
		p.lastZxid = m.Zxid
		quorum, err := l.neg.AckEpoch(sid, m.Epoch, m.Zxid)
		if err != nil {
			l.drop(p)
			return
		}
		p.stage = stAckedEpoch
		if quorum {
			l.epochAcked()
		} else if l.neg.EpochAcked() {
			l.syncPeer(p)
		}
	case Ack:
		if Counter(m.Zxid) == 0 {
			if p.stage == stSyncing && m.Zxid == MakeZxid(l.newEpoch, 0) {
				l.newLeaderAcked(p)
			}
			return
		}
		if !p.observer && p.stage >= stSyncing {
			l.tr.Ack(sid, m.Zxid)
			l.tryCommit()
		}
	}
}

// Tick advances the leader's clock by one tick: before it is established each phase must
// finish within InitLimit ticks; once established it PINGs its learners and steps down when
// the voters heard from within SyncLimit ticks (itself included) are no longer a quorum
// (Leader.lead's syncedAckSet check).
func (l *Leader) Tick() {
	if l.done != nil {
		return
	}
	l.tick++
	if l.noCommit {
		l.stepDown(errors.New("zab: leader: a committed reconfig designated another leader"))
		return
	}
	for _, p := range l.sortedPeers() {
		limit := l.cfg.InitLimit
		if p.stage == stUpToDate {
			limit = l.cfg.SyncLimit
		}
		if l.tick-p.heard > limit {
			l.drop(p)
		}
	}
	if !l.established {
		if l.tick-l.phaseStart > l.cfg.InitLimit {
			l.stepDown(fmt.Errorf("zab: leader: %s not reached within initLimit", l.phase()))
		}
		return
	}
	for _, p := range l.sortedPeers() {
		if p.stage == stUpToDate {
			l.send(Message{To: p.sid, Type: Ping, Zxid: l.nextZxid}, false)
		}
	}
	alive := l.v.HasQuorum(func(sid int64) bool {
		if sid == l.cfg.ID {
			return true
		}
		p := l.peers[sid]
		return p != nil && p.stage >= stSyncing && l.tick-p.heard <= l.cfg.SyncLimit
	})
	if !alive {
		l.stepDown(errors.New("zab: leader: lost the quorum of synced followers"))
	}
}

// Propose appends a txn as the next zxid of the new epoch and sends it to the voters.
func (l *Leader) Propose(data []byte) (int64, error) { return l.propose(data, nil) }

// ProposeReconfig proposes a txn whose commit activates next as the voters. It and every
// proposal made while it is outstanding need a quorum of next as well as of the current
// voters. When it commits the learners get COMMITANDACTIVATE (INFORMANDACTIVATE) naming the
// designated leader: this leader when stays, else the lowest other voter of next that acked
// it; a leader that is not designated commits nothing more and steps down at the next tick.
func (l *Leader) ProposeReconfig(data []byte, next []int64, stays bool) (int64, error) {
	if l.reconfig != nil {
		return 0, ErrReconfigInProgress
	}
	return l.propose(data, &pendingReconfig{next: NewVerifier(next), stays: stays})
}

// NextZxid is the zxid the next proposal gets.
func (l *Leader) NextZxid() int64 { return l.nextZxid + 1 }

func (l *Leader) propose(data []byte, rc *pendingReconfig) (int64, error) {
	if l.done != nil {
		return 0, l.done
	}
	if !l.established {
		return 0, ErrNotEstablished
	}
	l.nextZxid++
	e := Entry{Zxid: l.nextZxid, Data: data}
	l.outstanding = append(l.outstanding, e)
	if rc != nil {
		rc.zxid = e.Zxid
		l.reconfig = rc
	}
	if l.reconfig != nil {
		l.tr.AddWith(e.Zxid, l.v, l.reconfig.next)
	} else {
		l.tr.Add(e.Zxid)
	}
	l.rd.Append = append(l.rd.Append, e)
	l.rd.MustSync = true
	l.appended = e.Zxid
	for _, p := range l.sortedPeers() {
		if !p.observer && p.stage >= stSyncing {
			l.send(Message{To: p.sid, Type: Proposal, Zxid: e.Zxid, Data: data}, false)
		}
	}
	return e.Zxid, nil
}

// HasReady reports whether Ready has anything.
func (l *Leader) HasReady() bool { return !l.rd.Empty() }

// Ready returns what to do (see Ready); call Advance once it is done.
func (l *Leader) Ready() Ready {
	rd := l.rd
	l.rd = emptyReady()
	pendingAppend, pendingAccepted, pendingCurrent := l.appended, rd.AcceptedEpoch, rd.CurrentEpoch
	l.pendingAdvance = func() {
		if pendingAccepted >= 0 {
			l.acceptedDurable = true
		}
		if pendingCurrent >= 0 {
			l.currentDurable = true
			if !l.selfNewLeaderAck {
				l.selfNewLeaderAck = true
				l.newLeaderAcked(nil)
			}
		}
		if pendingAppend >= 0 && !l.cfg.AsyncLog {
			l.LogDurable(pendingAppend)
		}
	}
	l.appended = -1
	return rd
}

// LogDurable tells the core its log is durable up to zxid: the leader acks its own proposals
// (with AsyncLog; otherwise Advance does it).
func (l *Leader) LogDurable(zxid int64) {
	if l.done != nil {
		return
	}
	l.tr.AckUpTo(l.cfg.ID, zxid)
	l.tryCommit()
}

// Remove forgets a learner whose connection ended.
func (l *Leader) Remove(sid int64) {
	delete(l.peers, sid)
	l.order = nil
}

// Forwarding lists the learners that get broadcasts (sync sent), participants and observers,
// sorted.
func (l *Leader) Forwarding() (followers, observers []int64) {
	for _, p := range l.sortedPeers() {
		switch {
		case p.stage < stSyncing:
		case p.observer:
			observers = append(observers, p.sid)
		default:
			followers = append(followers, p.sid)
		}
	}
	return followers, observers
}

// Advance tells the core the last Ready was done (appends and epoch files durable): the
// leader acks its own proposals (unless AsyncLog) and NEWLEADER.
func (l *Leader) Advance() {
	if f := l.pendingAdvance; f != nil {
		l.pendingAdvance = nil
		if l.done == nil {
			f()
		}
	}
}

func (l *Leader) phase() string {
	switch {
	case l.newEpoch < 0:
		return "a quorum of connected followers"
	case !l.neg.EpochAcked():
		return "a quorum of ACKEPOCH"
	}
	return "a quorum of NEWLEADER acks"
}

func (l *Leader) stepDown(err error) {
	l.done = err
	l.rd.Done = err
}

func (l *Leader) drop(p *learnerPeer) {
	delete(l.peers, p.sid)
	l.order = nil
	l.rd.Disconnect = append(l.rd.Disconnect, p.sid)
}

// sortedPeers lists the learners by sid. The list is kept until the learners change (a new
// list then: one being iterated stays as it was).
func (l *Leader) sortedPeers() []*learnerPeer {
	if l.order == nil {
		ps := make([]*learnerPeer, 0, len(l.peers))
		for _, p := range l.peers {
			ps = append(ps, p)
		}
		slices.SortFunc(ps, func(a, b *learnerPeer) int { return cmp.Compare(a.sid, b.sid) })
		l.order = ps
	}
	return l.order
}

// send queues m; after durable state (afterSync) when it depends on something not yet
// durable.
func (l *Leader) send(m Message, afterSync bool) {
	m.From = l.cfg.ID
	if afterSync {
		l.rd.AfterSync = append(l.rd.AfterSync, m)
		l.rd.MustSync = true
		return
	}
	l.rd.Messages = append(l.rd.Messages, m)
}

func (l *Leader) epochDecided() {
	l.newEpoch = l.neg.NewEpoch()
	l.acceptedEpoch = l.newEpoch
	l.acceptedDurable = false
	l.rd.AcceptedEpoch = l.newEpoch
	l.enterPhase(stInfo, l.sendLeaderInfo)
	if l.neg.EpochAcked() { // a quorum of one
		l.epochAcked()
	}
}

func (l *Leader) sendLeaderInfo(p *learnerPeer) {
	l.send(Message{To: p.sid, Type: LeaderInfo, Zxid: MakeZxid(l.newEpoch, 0)}, !l.acceptedDurable)
	p.stage = stEpoch
}

func (l *Leader) epochAcked() {
	l.currentEpoch = l.newEpoch
	l.currentDurable = false
	l.rd.CurrentEpoch = l.newEpoch
	l.enterPhase(stAckedEpoch, l.syncPeer)
}

// enterPhase starts the next phase (its initLimit clock; its epoch file must be durable)
// and applies f to the learners waiting in stage.
func (l *Leader) enterPhase(stage peerStage, f func(*learnerPeer)) {
	l.rd.MustSync = true
	l.phaseStart = l.tick
	for _, p := range l.sortedPeers() {
		if p.stage == stage {
			f(p)
		}
	}
}

// syncPeer sends a learner its sync plan, the outstanding proposals and NEWLEADER, and
// forwards it every proposal from then on.
func (l *Leader) syncPeer(p *learnerPeer) {
	after := !l.currentDurable
	log := l.window()
	window := make([]int64, len(log))
	for i, e := range log {
		window[i] = e.Zxid
	}
	c := ChooseSync(p.lastZxid, l.lastCommitted, window)
	l.send(Message{To: p.sid, Type: c.Mode.Type(), Zxid: c.Zxid}, after)
	if c.Mode != ModeSnap {
		for _, e := range log[c.From:] {
			if p.observer {
				l.send(Message{To: p.sid, Type: Inform, Zxid: e.Zxid, Data: e.Data}, after)
				continue
			}
			l.send(Message{To: p.sid, Type: Proposal, Zxid: e.Zxid, Data: e.Data}, after)
			l.send(Message{To: p.sid, Type: Commit, Zxid: e.Zxid}, after)
		}
	}
	if !p.observer {
		for _, e := range l.outstanding {
			l.send(Message{To: p.sid, Type: Proposal, Zxid: e.Zxid, Data: e.Data}, after)
		}
	}
	l.send(Message{To: p.sid, Type: NewLeaderMsg, Zxid: MakeZxid(l.newEpoch, 0)}, after)
	p.stage = stSyncing
}

// newLeaderAcked counts a NEWLEADER ack (p nil: the leader's own).
func (l *Leader) newLeaderAcked(p *learnerPeer) {
	sid := l.cfg.ID
	if p != nil {
		sid = p.sid
		p.stage = stNewLeader
	}
	if l.established {
		if p != nil {
			l.upToDate(p)
		}
		return
	}
	if l.neg.AckNewLeader(sid) {
		l.established = true
		l.rd.Serving = true
		l.nextZxid = MakeZxid(l.newEpoch, 0)
		// An established leader's lastProcessedZxid is newEpoch<<32 (Leader.lead).
		l.lastCommitted = max(l.lastCommitted, l.nextZxid)
		for _, q := range l.sortedPeers() {
			if q.stage == stNewLeader {
				l.upToDate(q)
			}
		}
	}
}

func (l *Leader) upToDate(p *learnerPeer) {
	l.send(Message{To: p.sid, Type: UpToDate}, false)
	p.stage = stUpToDate
}

// tryCommit commits, in zxid order, the head proposals a quorum acked: applied here,
// COMMIT to the voters, INFORM to the observers. A reconfig commits alone at the end of a
// round: the proposals after it are counted against its voters.
func (l *Leader) tryCommit() {
	for !l.noCommit {
		limit, designated := -1, int64(-1)
		if rc := l.reconfig; rc != nil {
			limit = slices.IndexFunc(l.outstanding, func(e Entry) bool { return e.Zxid == rc.zxid }) + 1
			designated = l.designatedLeader(l.tr.Acked(rc.zxid))
		}
		n := l.tr.CommittableUpTo(limit)
		if n == 0 {
			return
		}
		for _, e := range l.outstanding[:n] {
			l.commit(e, designated)
		}
		l.outstanding = l.outstanding[n:]
		l.trim()
	}
}

// designatedLeader is Leader.getDesignatedLeader for the outstanding reconfig acked by acked.
func (l *Leader) designatedLeader(acked map[int64]bool) int64 {
	rc := l.reconfig
	if rc.stays {
		return l.cfg.ID
	}
	best := int64(-1)
	for sid := range acked {
		if sid != l.cfg.ID && rc.next.IsVoter(sid) && (best < 0 || sid < best) {
			best = sid
		}
	}
	return best
}

func (l *Leader) commit(e Entry, designated int64) {
	activate := l.reconfig != nil && e.Zxid == l.reconfig.zxid
	l.rd.Commit = append(l.rd.Commit, e)
	for _, p := range l.sortedPeers() {
		switch {
		case p.stage < stSyncing:
		case activate && p.observer:
			l.send(Message{To: p.sid, Type: InformAndActivate, Zxid: e.Zxid, Leader: designated, Data: e.Data}, false)
		case activate:
			l.send(Message{To: p.sid, Type: CommitAndActivate, Zxid: e.Zxid, Leader: designated}, false)
		case p.observer:
			l.send(Message{To: p.sid, Type: Inform, Zxid: e.Zxid, Data: e.Data}, false)
		default:
			l.send(Message{To: p.sid, Type: Commit, Zxid: e.Zxid}, false)
		}
	}
	l.lastCommitted = e.Zxid
	l.committed = append(l.committed, e)
	if activate {
		l.v = l.reconfig.next
		l.tr.SetVerifier(l.v)
		l.reconfig = nil
		l.noCommit = designated != l.cfg.ID
	}
}

// trim keeps the committed window bounded: it copies the newest CommitLogSize entries once
// a quarter more has piled up (not on every commit).
func (l *Leader) trim() {
	if len(l.committed) > l.cfg.CommitLogSize+l.cfg.CommitLogSize/4 {
		l.committed = append([]Entry(nil), l.window()...)
	}
}

// window is the committed log a sync is chosen from: the newest CommitLogSize txns.
func (l *Leader) window() []Entry {
	if n := len(l.committed); n > l.cfg.CommitLogSize {
		return l.committed[n-l.cfg.CommitLogSize:]
	}
	return l.committed
}
