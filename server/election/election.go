package election

import (
	"fmt"
	"maps"
	"slices"

	"github.com/zkgo/zkgo/wire"
)

// Default timing, in ticks of DefaultTick (10 ms): FastLeaderElection's finalizeWait and
// min/max notification intervals (200 ms, 200 ms, 60 s).
const (
	DefaultFinalizeWait            = 20
	DefaultMinNotificationInterval = 20
	DefaultMaxNotificationInterval = 6000
	// PendingLimit bounds the notifications kept while LOOKING before Start (the
	// QuorumCnxManager receive queue holds 100; the oldest is dropped).
	PendingLimit = 100
)

// Config is the static setup of one peer's election.
type Config struct {
	ID int64
	// Voters are the participants (server.N lines without :observer). A peer not in Voters
	// proposes Long.MIN_VALUE as its leader and is answered, not counted.
	Voters []int64
	// Observer is the peer's learner type: an observer proposes Long.MIN_VALUE as zxid and
	// epoch too, and takes OBSERVING instead of FOLLOWING when the election ends.
	Observer bool
	// Weights gives each sid's weight in totalOrderPredicate (a weight-0 sid never wins).
	// Nil means QuorumMaj: every sid weighs 1. Quorums are always majorities of Voters.
	Weights map[int64]int64
	// ConfigText is the QuorumVerifier text sent in every notification. It must not carry a
	// version higher than the ensemble's: Java LOOKING peers restart their election on one.
	ConfigText []byte
	// Timing in ticks; zero means the Default values.
	FinalizeWait            int
	MinNotificationInterval int
	MaxNotificationInterval int
}

// Message is a notification to send. To may be this peer's own sid: Java loops those back
// through the receive path, and so must the caller (deliver it with Step).
type Message struct {
	To           int64
	Notification wire.Notification
}

// Decision is how an election ended.
type Decision struct {
	Vote  Vote             // the elected leader; ElectionEpoch is the round it was decided in
	State wire.ServerState // LEADING, FOLLOWING or OBSERVING
}

// Ready is the output accumulated since the last call to Ready.
type Ready struct {
	Messages []Message
	Decided  *Decision // set once, when an election ends
}

// Election is the FastLeaderElection state machine of one peer: lookForLeader while LOOKING,
// the WorkerReceiver's answers always. It is not safe for concurrent use.
type Election struct {
	cfg    Config
	voters map[int64]bool
	half   int // a quorum is more than half the voters

	state      wire.ServerState // QuorumPeer.getPeerState
	current    Vote             // QuorumPeer.getCurrentVote: what a non-LOOKING peer answers with
	hasCurrent bool
	running    bool // lookForLeader is running (between Start and the decision)
	init       Proposal

	logicalClock int64
	propLeader   int64
	propZxid     int64
	propEpoch    int64

	recvset       map[int64]Vote
	outOfElection map[int64]Vote

	notTimeout int // ticks to wait for a notification before re-sending
	quiet      int // ticks since the last notification was taken
	finalizing bool

	pending []pendingMsg

	msgs    []Message
	decided *Decision
}

type pendingMsg struct {
	from int64
	n    wire.Notification
}

// New returns a peer in state LOOKING that has not started an election yet: until Start it
// keeps what voters send (up to PendingLimit) and answers nobody.
func New(cfg Config) *Election {
	if cfg.FinalizeWait <= 0 {
		cfg.FinalizeWait = DefaultFinalizeWait
	}
	if cfg.MinNotificationInterval <= 0 {
		cfg.MinNotificationInterval = DefaultMinNotificationInterval
	}
	if cfg.MaxNotificationInterval <= 0 {
		cfg.MaxNotificationInterval = DefaultMaxNotificationInterval
	}
	e := &Election{cfg: cfg, state: wire.Looking, propLeader: -1, propZxid: -1}
	e.SetVoters(cfg.Voters, cfg.Observer)
	return e
}

// SetVoters replaces the participants and this peer's learner type (a reconfig activated):
// from the next election on, quorums are majorities of these voters and only their votes
// count.
func (e *Election) SetVoters(voters []int64, observer bool) {
	e.voters = map[int64]bool{}
	for _, v := range voters {
		e.voters[v] = true
	}
	e.cfg.Voters = slices.Sorted(maps.Keys(e.voters))
	e.cfg.Observer = observer
	e.half = len(e.voters) / 2
}

// ID is this peer's sid.
func (e *Election) ID() int64 { return e.cfg.ID }

// State is the peer state: LOOKING, or what the last election (or SetVote) decided.
func (e *Election) State() wire.ServerState { return e.state }

// LogicalClock is the current round.
func (e *Election) LogicalClock() int64 { return e.logicalClock }

// Looking reports whether an election is running.
func (e *Election) Looking() bool { return e.running }

// CurrentVote is the vote a non-LOOKING peer answers with.
func (e *Election) CurrentVote() Vote { return e.current }

// Proposal is the vote this peer currently proposes while looking.
func (e *Election) Proposal() Vote {
	return Vote{Leader: e.propLeader, Zxid: e.propZxid, ElectionEpoch: e.logicalClock, PeerEpoch: e.propEpoch, State: wire.Looking}
}

// SetConfigText replaces the QuorumVerifier text sent from now on.
func (e *Election) SetConfigText(text []byte) { e.cfg.ConfigText = text }

// SetVote sets the state and the current vote without an election: a leader that has
// established a new epoch puts it in PeerEpoch (QuorumPeer.updateElectionVote), and LOOKING
// peers are answered with this vote and state from then on. A running election is abandoned.
// state must not be LOOKING (use Start).
func (e *Election) SetVote(state wire.ServerState, v Vote) error {
	if state == wire.Looking || !state.Valid() {
		return fmt.Errorf("election: SetVote: state %v (use Start to look for a leader)", state)
	}
	e.state, e.current, e.hasCurrent = state, v, true
	e.running, e.finalizing, e.pending = false, false, nil
	return nil
}

// Start begins lookForLeader with this peer's proposal: the logical clock moves to the next
// round, the peer proposes itself (or Long.MIN_VALUE values if it does not vote) and tells
// every voter, itself included. Notifications kept since New are then taken in order.
func (e *Election) Start(p Proposal) {
	e.state = wire.Looking
	e.init = p
	if !e.hasCurrent {
		// QuorumPeer.startLeaderElection, once at start-up.
		e.current = Vote{Leader: e.cfg.ID, Zxid: p.LastZxid, ElectionEpoch: -1, PeerEpoch: p.CurrentEpoch, State: wire.Looking}
		e.hasCurrent = true
	}
	e.running, e.finalizing, e.decided = true, false, nil
	e.recvset = map[int64]Vote{}
	e.outOfElection = map[int64]Vote{}
	e.notTimeout = e.cfg.MinNotificationInterval
	e.quiet = 0
	e.logicalClock++
	e.propLeader, e.propZxid, e.propEpoch = e.initID(), e.initZxid(), e.initEpoch()
	e.sendNotifications()
	pending := e.pending
	e.pending = nil
	for _, m := range pending {
		if !e.running {
			break
		}
		e.take(m.from, m.n)
	}
}

// Step handles a notification received from sid from, as the WorkerReceiver and then
// lookForLeader do.
func (e *Election) Step(from int64, n wire.Notification) {
	cfg := e.cfg.ConfigText
	if !e.voters[from] {
		// A non-voter (observer or unknown sid) is answered at once with the current vote,
		// the logical clock and the peer state, whatever it sent.
		if e.hasCurrent {
			e.send(from, wire.Notification{State: e.state, Leader: e.current.Leader, Zxid: e.current.Zxid,
				ElectionEpoch: e.logicalClock, PeerEpoch: e.current.PeerEpoch, Config: cfg})
		}
		return
	}
	if !n.State.Valid() {
		return
	}
	if e.state == wire.Looking {
		// Answer a LOOKING peer whose round lags behind with our proposal.
		if n.State == wire.Looking && n.ElectionEpoch < e.logicalClock {
			e.send(from, wire.Notification{State: wire.Looking, Leader: e.propLeader, Zxid: e.propZxid,
				ElectionEpoch: e.logicalClock, PeerEpoch: e.propEpoch, Config: cfg})
		}
		if !e.running {
			if len(e.pending) == PendingLimit {
				e.pending = e.pending[1:]
			}
			e.pending = append(e.pending, pendingMsg{from, n})
			return
		}
		e.take(from, n)
		return
	}
	if n.State == wire.Looking {
		// Not looking: tell a LOOKING voter who we think leads, in that vote's round.
		e.send(from, wire.Notification{State: e.state, Leader: e.current.Leader, Zxid: e.current.Zxid,
			ElectionEpoch: e.current.ElectionEpoch, PeerEpoch: e.current.PeerEpoch, Config: cfg})
	}
}

// Tick advances time by one tick. While looking: after notTimeout ticks without a
// notification the proposal is sent again and the interval doubles (up to the maximum);
// once a quorum agrees, FinalizeWait ticks without a better notification end the election.
func (e *Election) Tick() {
	if !e.running {
		return
	}
	e.quiet++
	if e.finalizing {
		if e.quiet >= e.cfg.FinalizeWait {
			e.decide(Vote{Leader: e.propLeader, Zxid: e.propZxid, ElectionEpoch: e.logicalClock, PeerEpoch: e.propEpoch}, e.propLeader)
		}
		return
	}
	if e.quiet >= e.notTimeout {
		// Java re-sends only when some peer's send queue is empty and otherwise only
		// reconnects; re-sending replaces an undelivered message with the same proposal, and
		// the transport reconnects on send, so the outcome is the same.
		e.sendNotifications()
		e.notTimeout = min(e.notTimeout*2, e.cfg.MaxNotificationInterval)
		e.quiet = 0
	}
}

// HasReady reports whether Ready has anything.
func (e *Election) HasReady() bool { return len(e.msgs) > 0 || e.decided != nil }

// Ready returns the messages to send and the decision, if any, since the last call.
func (e *Election) Ready() Ready {
	r := Ready{Messages: e.msgs, Decided: e.decided}
	e.msgs, e.decided = nil, nil
	return r
}

// take is lookForLeader's handling of one notification polled from the receive queue.
func (e *Election) take(from int64, n wire.Notification) {
	e.quiet = 0
	if e.finalizing {
		// The finalizeWait loop: a better vote goes back to the main loop; anything else is
		// dropped.
		if !e.beats(n.Leader, n.Zxid, n.PeerEpoch, e.propLeader, e.propZxid, e.propEpoch) {
			return
		}
		e.finalizing = false
	}
	if !e.voters[from] || !e.voters[n.Leader] {
		return
	}
	switch n.State {
	case wire.Looking:
		e.lookingNotification(from, n)
	case wire.Following, wire.Leading:
		// The Oracle of two-node QuorumOracleMaj setups (3.8+) is not supported, so LEADING
		// is handled as FOLLOWING.
		e.followingNotification(from, n)
	}
}

func (e *Election) lookingNotification(from int64, n wire.Notification) {
	if e.initZxid() == -1 || n.Zxid == -1 {
		// 3.6+: a peer whose database is not loaded neither takes nor counts votes.
		return
	}
	switch {
	case n.ElectionEpoch > e.logicalClock:
		e.logicalClock = n.ElectionEpoch
		clear(e.recvset)
		if e.beats(n.Leader, n.Zxid, n.PeerEpoch, e.initID(), e.initZxid(), e.initEpoch()) {
			e.propLeader, e.propZxid, e.propEpoch = n.Leader, n.Zxid, n.PeerEpoch
		} else {
			e.propLeader, e.propZxid, e.propEpoch = e.initID(), e.initZxid(), e.initEpoch()
		}
		e.sendNotifications()
	case n.ElectionEpoch < e.logicalClock:
		return
	case e.beats(n.Leader, n.Zxid, n.PeerEpoch, e.propLeader, e.propZxid, e.propEpoch):
		e.propLeader, e.propZxid, e.propEpoch = n.Leader, n.Zxid, n.PeerEpoch
		e.sendNotifications()
	}
	e.recvset[from] = Vote{Leader: n.Leader, Zxid: n.Zxid, ElectionEpoch: n.ElectionEpoch, PeerEpoch: n.PeerEpoch, State: wire.Looking}
	if e.hasQuorum(e.recvset, e.Proposal()) {
		e.finalizing = true
		e.quiet = 0
	}
}

// followingNotification is receivedFollowingNotification: join a leader that a quorum
// follows, in this round or, through outOfElection, in any.
func (e *Election) followingNotification(from int64, n wire.Notification) {
	nv := Vote{Version: n.Version, Leader: n.Leader, Zxid: n.Zxid, ElectionEpoch: n.ElectionEpoch, PeerEpoch: n.PeerEpoch, State: n.State}
	end := Vote{Leader: n.Leader, Zxid: n.Zxid, ElectionEpoch: n.ElectionEpoch, PeerEpoch: n.PeerEpoch}
	if n.ElectionEpoch == e.logicalClock {
		// Stored without the version: counted against nv (which has one) by leader only.
		e.recvset[from] = Vote{Leader: n.Leader, Zxid: n.Zxid, ElectionEpoch: n.ElectionEpoch, PeerEpoch: n.PeerEpoch, State: n.State}
		if e.hasQuorum(e.recvset, nv) && e.checkLeader(e.recvset, n.Leader, n.ElectionEpoch) {
			e.decide(end, n.Leader)
			return
		}
	}
	e.outOfElection[from] = nv
	if e.hasQuorum(e.outOfElection, nv) && e.checkLeader(e.outOfElection, n.Leader, n.ElectionEpoch) {
		e.logicalClock = n.ElectionEpoch
		e.decide(end, n.Leader)
	}
}

// checkLeader: a leader other than me must have told us itself that it is LEADING; if the
// others elect me, it must be in my current round.
func (e *Election) checkLeader(votes map[int64]Vote, leader, electionEpoch int64) bool {
	if leader != e.cfg.ID {
		v, ok := votes[leader]
		return ok && v.State == wire.Leading
	}
	return e.logicalClock == electionEpoch
}

// hasQuorum reports whether the voters whose vote Equals v are more than half the voters.
func (e *Election) hasQuorum(votes map[int64]Vote, v Vote) bool {
	n := 0
	for s, w := range votes {
		if e.voters[s] && v.Equal(w) {
			n++
		}
	}
	return n > e.half
}

func (e *Election) decide(v Vote, leader int64) {
	state := wire.Following
	switch {
	case leader == e.cfg.ID:
		state = wire.Leading
	case e.cfg.Observer:
		state = wire.Observing
	}
	e.state, e.current, e.hasCurrent = state, v, true
	e.running, e.finalizing = false, false
	e.decided = &Decision{Vote: v, State: state}
}

// beats is totalOrderPredicate, with the weight check.
func (e *Election) beats(newID, newZxid, newEpoch, curID, curZxid, curEpoch int64) bool {
	if e.cfg.Weights != nil && e.cfg.Weights[newID] == 0 {
		return false
	}
	return better(newID, newZxid, newEpoch, curID, curZxid, curEpoch)
}

func (e *Election) sendNotifications() {
	for _, v := range e.cfg.Voters {
		e.send(v, wire.Notification{State: wire.Looking, Leader: e.propLeader, Zxid: e.propZxid,
			ElectionEpoch: e.logicalClock, PeerEpoch: e.propEpoch, Config: e.cfg.ConfigText})
	}
}

func (e *Election) send(to int64, n wire.Notification) {
	n.Version = wire.NotificationVersion
	e.msgs = append(e.msgs, Message{To: to, Notification: n})
}

func (e *Election) initID() int64 {
	if e.voters[e.cfg.ID] {
		return e.cfg.ID
	}
	return minLong
}

func (e *Election) initZxid() int64 {
	if e.cfg.Observer {
		return minLong
	}
	return e.init.LastZxid
}

func (e *Election) initEpoch() int64 {
	if e.cfg.Observer {
		return minLong
	}
	return e.init.CurrentEpoch
}
