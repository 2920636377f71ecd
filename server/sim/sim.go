package sim

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/cespare/xxhash/v2"

	"github.com/zkgo/zkgo/server/election"
	"github.com/zkgo/zkgo/server/zab"
	"github.com/zkgo/zkgo/wire"
)

// Options configure one simulated run.
type Options struct {
	Size      int    // voters: 3 or 5
	Observers int    // and this many observers (ids after the voters)
	Seed      uint64 // everything random comes from it

	ChaosTicks  int // ticks of faults and writes; then everything heals
	SettleTicks int // ticks the healed ensemble has to settle in

	// Mutation deliberately breaks the model, to show the checks can fail:
	//   "ack-before-fsync": a core's after-sync packets leave before its fsync, so a crash
	//                       can lose what a quorum acknowledged;
	//   "corrupt-apply":    one node applies a corrupted copy of one committed txn;
	//   "forget-epochs":    a crash loses the epoch files.
	Mutation string
	// Trace keeps the event log (Result.Trace).
	Trace bool
	// FsyncTicks is the longest an fsync takes (default 3); CrashPerMille the chance per tick
	// of a crash or restart during the chaos (default 3).
	FsyncTicks, CrashPerMille int
}

// Result is the outcome of a run.
type Result struct {
	Err    error  // the first broken invariant, or nil
	Trace  string // with Options.Trace
	Acked  int    // writes the leaders committed
	Events int
	Faults map[string]int
}

// Timing, in ticks (a tick stands for 10 ms of the election core's clock).
const (
	initLimit  = 100
	syncLimit  = 60
	commitLog  = 8 // the leaders' committed-log window: small, so SNAP happens
	stableFor  = 200
	maxDelay   = 8
	fsyncDelay = 3
	// postHealWrites: writes the healed ensemble must acknowledge before it may settle.
	postHealWrites = 20
)

type roleKind int

const (
	looking roleKind = iota
	leading
	following
)

// node is one simulated server: durable state (the log up to durableLen and the epoch files),
// what is lost in a crash (the unsynced log tail, epoch values not yet fsynced) and the cores.
type node struct {
	id         int64
	observer   bool
	up         bool
	log        []zab.Entry // logged txns; log[:durableLen] is on disk
	durableLen int
	accepted   int64 // acceptedEpoch / currentEpoch as written
	current    int64
	dAccepted  int64 // ... and as on disk
	dCurrent   int64
	maxOnDisk  [2]int64 // the highest acceptedEpoch / currentEpoch ever on disk

	// applied: the txns the node's tree holds, in order, with the digest after each.
	applied []zab.Entry
	digests []uint64

	el       *election.Election
	role     roleKind
	leaderID int64
	lead     *zab.Leader
	learn    *zab.Learner
	conn     *qconn           // learner: its connection to the leader
	lconns   map[int64]*qconn // leader: each learner's connection, as of its FOLLOWERINFO

	// A Ready whose fsync is under way: the core is not asked for the next one until then.
	inflight *zab.Ready
	syncAt   int
}

// qconn is a quorum-port TCP connection from a learner to a leader: FIFO, no loss; it breaks
// as a whole (both ends see it).
type qconn struct {
	id      int
	learner int64
	leader  int64
	opened  int
	broken  bool
	lastDue [2]int // per direction, to keep FIFO under random delays
}

type envelope struct {
	due  int
	seq  int
	from int64
	to   int64
	// election notification or ZAB message (with its connection)
	note *wire.Notification
	msg  *zab.Message
	conn *qconn
	snap []zab.Entry // the snapshot stream that follows a SNAP
}

type simulation struct {
	o      Options
	rng    *rand.Rand
	now    int
	seq    int
	nodes  map[int64]*node
	ids    []int64
	voters []int64
	net    []envelope
	cut    map[[2]int64]bool // partitioned pairs (both directions)
	conns  int
	writes int
	acked  map[int64][]byte // zxid -> data of every committed write
	ackMax int64
	// healedAcks counts the writes acknowledged after healing (postHealWrites are made).
	healedAcks int
	leader     map[int64]int64 // epoch -> the leader established in it
	faults     map[string]int
	events     int
	trace      strings.Builder
	err        error
	mutated    bool
}

// Run simulates one ensemble from o.Seed and checks the invariants after every event.
func Run(o Options) Result {
	if o.Size == 0 {
		o.Size = 3
	}
	if o.ChaosTicks == 0 {
		o.ChaosTicks = 3000
	}
	if o.SettleTicks == 0 {
		o.SettleTicks = 20000
	}
	if o.FsyncTicks == 0 {
		o.FsyncTicks = fsyncDelay
	}
	if o.CrashPerMille == 0 {
		o.CrashPerMille = 3
	}
	s := &simulation{o: o, rng: rand.New(rand.NewPCG(o.Seed, uint64(o.Size))), nodes: map[int64]*node{},
		cut: map[[2]int64]bool{}, acked: map[int64][]byte{}, leader: map[int64]int64{}, faults: map[string]int{}}
	for id := int64(1); id <= int64(o.Size+o.Observers); id++ {
		s.ids = append(s.ids, id)
		s.nodes[id] = &node{id: id, observer: id > int64(o.Size)}
		if id <= int64(o.Size) {
			s.voters = append(s.voters, id)
		}
	}
	for _, id := range s.ids {
		s.boot(s.nodes[id])
	}
	s.run()
	r := Result{Err: s.err, Acked: len(s.acked), Events: s.events, Faults: s.faults}
	if o.Trace {
		r.Trace = s.trace.String()
	}
	return r
}

func (s *simulation) logf(format string, args ...any) {
	if s.o.Trace {
		fmt.Fprintf(&s.trace, "%6d ", s.now)
		fmt.Fprintf(&s.trace, format, args...)
		s.trace.WriteByte('\n')
	}
}

func (s *simulation) failf(format string, args ...any) {
	if s.err == nil {
		s.err = fmt.Errorf("tick %d: %s", s.now, fmt.Sprintf(format, args...))
		s.logf("FAIL %v", s.err)
	}
}

func (s *simulation) run() {
	stable := 0
	for ; s.now < s.o.ChaosTicks+s.o.SettleTicks && s.err == nil; s.now++ {
		if s.now == s.o.ChaosTicks {
			s.heal()
		}
		if s.now < s.o.ChaosTicks {
			s.chaos()
		} else if s.healedAcks < postHealWrites && s.rng.IntN(20) == 0 {
			s.write() // the healed ensemble must still take writes
		}
		s.deliverDue()
		for _, id := range s.ids {
			s.tick(s.nodes[id])
		}
		s.check()
		if s.now > s.o.ChaosTicks {
			if s.settled() {
				if stable++; stable >= stableFor {
					s.final()
					return
				}
			} else {
				stable = 0
			}
		}
	}
	if s.err == nil {
		s.failf("the healed ensemble did not settle: %s", s.status())
	}
}

// --- faults -------------------------------------------------------------------------------

func (s *simulation) chaos() {
	r := s.rng.IntN(1000)
	switch c := s.o.CrashPerMille; {
	case r < c: // crash or restart a node
		n := s.nodes[s.ids[s.rng.IntN(len(s.ids))]]
		if n.up {
			s.crash(n)
		} else {
			s.boot(n)
		}
	case r < c+2: // partition one node from the others, or heal
		if len(s.cut) > 0 {
			s.faults["heal"]++
			s.cut = map[[2]int64]bool{}
			s.logf("partition healed")
		} else {
			// One node cut off from the others: both ways, or only what it sends, or only
			// what it receives (a one-way cut still breaks a TCP connection across it).
			victim := s.ids[s.rng.IntN(len(s.ids))]
			way := s.rng.IntN(3)
			s.faults[[...]string{"partition", "partition-out", "partition-in"}[way]]++
			for _, o := range s.ids {
				if o != victim {
					s.cut[[2]int64{victim, o}] = way != 2
					s.cut[[2]int64{o, victim}] = way != 1
				}
			}
			s.logf("partition: %d cut off (%s)", victim, [...]string{"both ways", "outbound", "inbound"}[way])
			for _, c := range s.liveConns() {
				if s.cut[[2]int64{c.learner, c.leader}] || s.cut[[2]int64{c.leader, c.learner}] {
					s.breakConn(c, "partition")
				}
			}
		}
	case r < c+4: // a quorum connection breaks
		if cs := s.liveConns(); len(cs) > 0 {
			s.breakConn(cs[s.rng.IntN(len(cs))], "fault")
		}
	case r < c+57:
		s.write()
	}
}

// write is a client's write at whoever leads (more than one node may think it leads).
func (s *simulation) write() {
	for _, id := range s.ids {
		n := s.nodes[id]
		if n.up && n.role == leading && n.lead.Established() {
			s.writes++
			data := fmt.Appendf(nil, "w%d", s.writes)
			if z, err := n.lead.Propose(data); err == nil {
				s.logf("%d proposes %s %s", id, zab.Hex(z), data)
				s.advance(n)
			}
		}
	}
}

func (s *simulation) heal() {
	s.cut = map[[2]int64]bool{}
	for _, id := range s.ids {
		if !s.nodes[id].up {
			s.boot(s.nodes[id])
		}
	}
	s.logf("--- healed")
}

func (s *simulation) liveConns() []*qconn {
	var out []*qconn
	seen := map[*qconn]bool{}
	for _, id := range s.ids {
		if c := s.nodes[id].conn; c != nil && !c.broken && !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out
}

// crash stops a node: what was not fsynced is lost.
func (s *simulation) crash(n *node) {
	s.faults["crash"]++
	s.events++
	s.logf("%d crashes (log %d, on disk %d)", n.id, len(n.log), n.durableLen)
	n.up = false
	n.log = n.log[:n.durableLen]
	if s.o.Mutation == "forget-epochs" {
		n.dAccepted, n.dCurrent = 0, 0
	}
	n.accepted, n.current = n.dAccepted, n.dCurrent
	n.el, n.lead, n.learn, n.inflight = nil, nil, nil, nil
	n.role = looking
	if n.conn != nil {
		s.breakConn(n.conn, "crash")
	}
	for _, c := range s.liveConns() {
		if c.leader == n.id {
			s.breakConn(c, "crash")
		}
	}
	n.applied, n.digests = nil, nil
}

// boot starts a node from its disk: the tree is the replay of its whole log (as ZooKeeper
// loads every logged txn), then it looks for a leader.
func (s *simulation) boot(n *node) {
	if n.el != nil {
		return
	}
	s.events++
	n.up = true
	n.applied, n.digests = nil, nil
	for _, e := range n.log {
		s.apply(n, e)
	}
	n.el = election.New(election.Config{ID: n.id, Voters: s.voters, Observer: n.observer, FinalizeWait: 20, MinNotificationInterval: 20, MaxNotificationInterval: 320})
	s.logf("%d boots: last zxid %s, epochs %d/%d", n.id, zab.Hex(n.last()), n.accepted, n.current)
	s.look(n)
}

func (n *node) last() int64 {
	if len(n.log) == 0 {
		return 0
	}
	return n.log[len(n.log)-1].Zxid
}

func (s *simulation) breakConn(c *qconn, why string) {
	if c.broken {
		return
	}
	c.broken = true
	s.faults["conn-"+why]++
	s.logf("connection %d (%d->%d) breaks: %s", c.id, c.learner, c.leader, why)
	// The learner's role ends on the spot (its read fails); the leader just stops hearing.
	if l := s.nodes[c.learner]; l.up && l.conn == c {
		s.endRole(l, "leader connection broke")
	}
}

// --- roles --------------------------------------------------------------------------------

func (s *simulation) look(n *node) {
	n.role, n.lead, n.learn, n.conn, n.lconns, n.inflight = looking, nil, nil, nil, nil, nil
	// Every role ends with the logged txns applied (the node's ApplyAllPending).
	for _, e := range n.log {
		if k := len(n.applied); k == 0 || e.Zxid > n.applied[k-1].Zxid {
			s.apply(n, e)
		}
	}
	n.el.Start(election.Proposal{LastZxid: n.last(), CurrentEpoch: n.current})
	s.electionReady(n)
}

func (s *simulation) endRole(n *node, why string) {
	s.logf("%d leaves its role: %s", n.id, why)
	if n.conn != nil && !n.conn.broken {
		c := n.conn
		n.conn = nil
		s.breakConn(c, "role ended")
	}
	if n.role == leading {
		for _, c := range s.liveConns() {
			if c.leader == n.id {
				s.breakConn(c, "leader left")
			}
		}
	}
	s.look(n)
}

func (s *simulation) electionReady(n *node) {
	for n.el.HasReady() {
		rd := n.el.Ready()
		for _, m := range rd.Messages {
			nt := m.Notification
			if m.To == n.id {
				n.el.Step(n.id, nt)
				continue
			}
			s.sendNote(n.id, m.To, &nt)
		}
		if d := rd.Decided; d != nil {
			s.decided(n, d)
		}
	}
}

func (s *simulation) decided(n *node, d *election.Decision) {
	s.logf("%d decides %v: leader %d", n.id, d.State, d.Vote.Leader)
	st := zab.LeaderState{AcceptedEpoch: n.accepted, CurrentEpoch: n.current, LastZxid: n.last()}
	if d.State == wire.Leading {
		tail := n.applied
		if len(tail) > commitLog {
			tail = tail[len(tail)-commitLog:]
		}
		st.Committed = slices.Clone(tail)
		n.role, n.leaderID, n.lconns = leading, n.id, map[int64]*qconn{}
		// AsyncLog as in production (server/node): the leader's own ACKs follow LogDurable.
		n.lead = zab.NewLeader(zab.LeaderConfig{ID: n.id, Voters: s.voters, InitLimit: initLimit, SyncLimit: syncLimit, CommitLogSize: commitLog, AsyncLog: true}, st)
	} else {
		n.role, n.leaderID = following, d.Vote.Leader
		s.conns++
		n.conn = &qconn{id: s.conns, learner: n.id, leader: d.Vote.Leader, opened: s.now}
		n.learn = zab.NewLearner(zab.LearnerConfig{ID: n.id, Leader: d.Vote.Leader, Observer: n.observer, InitLimit: initLimit, SyncLimit: syncLimit},
			zab.LearnerState{AcceptedEpoch: n.accepted, CurrentEpoch: n.current, LastZxid: n.last()})
		if s.cut[[2]int64{n.id, d.Vote.Leader}] || s.cut[[2]int64{d.Vote.Leader, n.id}] || !s.nodes[d.Vote.Leader].up {
			s.breakConn(n.conn, "connect refused")
			return
		}
	}
	s.advance(n)
}

// --- network ------------------------------------------------------------------------------

func (s *simulation) sendNote(from, to int64, nt *wire.Notification) {
	if s.cut[[2]int64{from, to}] || (s.now < s.o.ChaosTicks && s.rng.Float64() < 0.1) {
		return // lost
	}
	copies := 1
	if s.now < s.o.ChaosTicks && s.rng.Float64() < 0.05 {
		copies = 2 // duplicated
	}
	for range copies {
		s.seq++
		s.net = append(s.net, envelope{due: s.now + 1 + s.rng.IntN(maxDelay), seq: s.seq, from: from, to: to, note: nt})
	}
}

func (s *simulation) sendMsg(n *node, m zab.Message, snap []zab.Entry) {
	var c *qconn
	dir := 0
	if n.role == following {
		c = n.conn
	} else {
		dir = 1
		c = n.lconns[m.To]
	}
	if c == nil || c.broken {
		return
	}
	due := max(s.now+1+s.rng.IntN(maxDelay), c.lastDue[dir])
	c.lastDue[dir] = due
	s.seq++
	s.net = append(s.net, envelope{due: due, seq: s.seq, from: n.id, to: m.To, msg: &m, conn: c, snap: snap})
}

func (s *simulation) deliverDue() {
	var due, later []envelope
	for _, e := range s.net {
		if e.due <= s.now {
			due = append(due, e)
		} else {
			later = append(later, e)
		}
	}
	s.net = later
	// Election messages arrive in any order; a connection's messages in order.
	slices.SortStableFunc(due, func(a, b envelope) int { return a.seq - b.seq })
	s.rng.Shuffle(len(due), func(i, j int) {
		if due[i].note != nil && due[j].note != nil {
			due[i], due[j] = due[j], due[i]
		}
	})
	for _, e := range due {
		if s.err != nil {
			return
		}
		s.deliver(e)
		s.events++
		s.check()
	}
}

func (s *simulation) deliver(e envelope) {
	n := s.nodes[e.to]
	if !n.up {
		return
	}
	if e.note != nil {
		if s.cut[[2]int64{e.from, e.to}] {
			return
		}
		n.el.Step(e.from, *e.note)
		s.electionReady(n)
		return
	}
	if e.conn.broken {
		return
	}
	m := *e.msg
	switch {
	case n.role == looking && e.conn.leader == n.id && s.now-e.conn.opened < initLimit:
		// The learner's connect is retried until the leader listens (Learner.connectToLeader).
		e.due = s.now + 5
		s.net = append(s.net, e)
		return
	case n.role == leading && e.conn.leader == n.id:
		if m.Type == zab.FollowerInfo || m.Type == zab.ObserverInfo {
			n.lconns[m.From] = e.conn
		}
		n.lead.Step(m)
	case n.role == following && n.conn == e.conn:
		if m.Type == zab.Snap {
			s.installSnap(n, e.snap, m.Zxid)
		}
		n.learn.Step(m)
	default:
		s.breakConn(e.conn, "peer not in that role")
		return
	}
	s.advance(n)
}

func (s *simulation) installSnap(n *node, snap []zab.Entry, zxid int64) {
	s.logf("%d installs a snapshot at %s (%d txns)", n.id, zab.Hex(zxid), len(snap))
	n.log = slices.Clone(snap)
	n.durableLen = len(n.log) // a snapshot is written and synced before the sync goes on
	n.applied, n.digests = nil, nil
	for _, e := range snap {
		s.apply(n, e)
	}
}

// --- driving the cores --------------------------------------------------------------------

func (s *simulation) tick(n *node) {
	if !n.up {
		return
	}
	n.el.Tick()
	s.electionReady(n)
	if n.inflight != nil && s.now >= n.syncAt {
		s.fsynced(n)
	}
	switch n.role {
	case leading:
		n.lead.Tick()
	case following:
		n.learn.Tick()
	}
	s.advance(n)
}

// advance carries out the cores' Ready, one at a time: a Ready that must fsync waits for
// the fsync (a few ticks) before the next one is taken.
func (s *simulation) advance(n *node) {
	for n.up && n.inflight == nil && n.role != looking {
		var rd zab.Ready
		if n.role == leading {
			if !n.lead.HasReady() {
				return
			}
			rd = n.lead.Ready()
		} else {
			if !n.learn.HasReady() {
				return
			}
			rd = n.learn.Ready()
		}
		if rd.Truncate >= 0 {
			s.truncate(n, rd.Truncate)
		}
		for _, e := range rd.Append {
			if l := n.last(); e.Zxid <= l {
				s.failf("%d appends %s after %s", n.id, zab.Hex(e.Zxid), zab.Hex(l))
				return
			}
			n.log = append(n.log, e)
		}
		if rd.AcceptedEpoch >= 0 {
			if rd.AcceptedEpoch < n.accepted {
				s.failf("%d's acceptedEpoch goes back from %d to %d", n.id, n.accepted, rd.AcceptedEpoch)
			}
			n.accepted = rd.AcceptedEpoch
		}
		if rd.CurrentEpoch >= 0 {
			n.current = rd.CurrentEpoch
		}
		for _, e := range rd.Commit {
			s.commit(n, e)
		}
		for _, m := range rd.Messages {
			s.sendCore(n, m)
		}
		for _, sid := range rd.Disconnect {
			if c := n.lconns[sid]; c != nil {
				s.breakConn(c, "leader dropped it")
			}
		}
		if rd.Serving && n.role == leading {
			epoch := n.lead.NewEpoch()
			if prev, ok := s.leader[epoch]; ok && prev != n.id {
				s.failf("two leaders established in epoch %d: %d and %d", epoch, prev, n.id)
			}
			s.leader[epoch] = n.id
			s.logf("%d leads epoch %d", n.id, epoch)
			s.settle(n, epoch)
		} else if rd.Serving {
			s.logf("%d is synced with %d in epoch %d", n.id, n.leaderID, n.learn.NewEpoch())
			s.settle(n, n.learn.NewEpoch())
		}
		if rd.Done != nil {
			s.endRole(n, rd.Done.Error())
			return
		}
		if rd.MustSync || len(rd.AfterSync) > 0 {
			if s.o.Mutation == "ack-before-fsync" {
				for _, m := range rd.AfterSync {
					s.sendCore(n, m)
				}
				rd.AfterSync = nil
			}
			n.inflight, n.syncAt = &rd, s.now+1+s.rng.IntN(s.o.FsyncTicks)
			return
		}
		s.coreAdvance(n)
	}
}

// settle answers LOOKING peers from now on with the leader and its new epoch, as the quorum
// peer does once its role works (QuorumPeer.updateElectionVote).
func (s *simulation) settle(n *node, epoch int64) {
	state := wire.Following
	switch {
	case n.role == leading:
		state = wire.Leading
	case n.observer:
		state = wire.Observing
	}
	v := n.el.CurrentVote()
	if v.Leader != n.leaderID {
		v = election.Vote{Leader: n.leaderID, Zxid: n.last(), ElectionEpoch: n.el.LogicalClock()}
	}
	v.PeerEpoch = epoch
	if err := n.el.SetVote(state, v); err != nil {
		s.failf("%d: %v", n.id, err)
	}
}

func (s *simulation) fsynced(n *node) {
	rd := n.inflight
	n.inflight = nil
	n.durableLen = len(n.log)
	n.dAccepted, n.dCurrent = n.accepted, n.current
	for _, m := range rd.AfterSync {
		s.sendCore(n, m)
	}
	s.coreAdvance(n)
	s.advance(n)
}

func (s *simulation) coreAdvance(n *node) {
	if n.role == leading {
		if n.durableLen > 0 {
			n.lead.LogDurable(n.log[n.durableLen-1].Zxid)
		}
		n.lead.Advance()
	} else if n.role == following {
		n.learn.Advance()
	}
}

func (s *simulation) sendCore(n *node, m zab.Message) {
	var snap []zab.Entry
	if m.Type == zab.Snap {
		for _, e := range n.applied {
			if e.Zxid <= m.Zxid {
				snap = append(snap, e)
			}
		}
	}
	s.sendMsg(n, m, snap)
}

func (s *simulation) truncate(n *node, z int64) {
	s.logf("%d truncates after %s", n.id, zab.Hex(z))
	i := 0
	for i < len(n.log) && n.log[i].Zxid <= z {
		i++
	}
	n.log = n.log[:i]
	n.durableLen = min(n.durableLen, i) // the cut is on disk at once
	n.applied, n.digests = nil, nil
	for _, e := range n.log {
		s.apply(n, e)
	}
}

// commit applies a txn the core commits; a leader's commit acknowledges a client's write.
func (s *simulation) commit(n *node, e zab.Entry) {
	if k := len(n.applied); k > 0 && n.applied[k-1].Zxid >= e.Zxid {
		// Applied already (loaded from the log at boot): it must be the same txn.
		for _, a := range n.applied {
			if a.Zxid == e.Zxid && string(a.Data) != string(e.Data) {
				s.failf("%d commits %s %s but applied %s at that zxid", n.id, zab.Hex(e.Zxid), e.Data, a.Data)
			}
		}
		return
	}
	if s.o.Mutation == "corrupt-apply" && !s.mutated && n.role == following {
		s.mutated = true
		e.Data = append(slices.Clone(e.Data), '!')
	}
	s.apply(n, e)
	if n.role == leading {
		if prev, ok := s.acked[e.Zxid]; ok && string(prev) != string(e.Data) {
			s.failf("zxid %s committed twice with different txns", zab.Hex(e.Zxid))
		}
		s.acked[e.Zxid] = e.Data
		s.ackMax = max(s.ackMax, e.Zxid)
		if s.now >= s.o.ChaosTicks {
			s.healedAcks++
		}
		s.logf("%d commits %s %s", n.id, zab.Hex(e.Zxid), e.Data)
	}
}

func (s *simulation) apply(n *node, e zab.Entry) {
	var d uint64
	if k := len(n.digests); k > 0 {
		d = n.digests[k-1]
	}
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], d)
	binary.BigEndian.PutUint64(b[8:], uint64(e.Zxid))
	h := xxhash.New()
	h.Write(b[:])
	h.Write(e.Data)
	n.applied = append(n.applied, e)
	n.digests = append(n.digests, h.Sum64())
}

// --- invariants ---------------------------------------------------------------------------

// synced: an established leader, or a learner its leader brought up to date.
func (n *node) synced() bool {
	switch {
	case !n.up:
		return false
	case n.role == leading:
		return n.lead.Established()
	case n.role == following:
		return n.learn.Synced()
	}
	return false
}

// check runs after every event.
func (s *simulation) check() {
	if s.err != nil {
		return
	}
	for _, id := range s.ids {
		n := s.nodes[id]
		if n.dAccepted < n.dCurrent {
			s.failf("%d: acceptedEpoch %d < currentEpoch %d on disk", id, n.dAccepted, n.dCurrent)
		}
		if n.dAccepted < n.maxOnDisk[0] || n.dCurrent < n.maxOnDisk[1] {
			s.failf("%d: epochs on disk went down to %d/%d from %d/%d", id, n.dAccepted, n.dCurrent, n.maxOnDisk[0], n.maxOnDisk[1])
		}
		n.maxOnDisk = [2]int64{max(n.maxOnDisk[0], n.dAccepted), max(n.maxOnDisk[1], n.dCurrent)}
		for i := 1; i < len(n.log); i++ {
			if n.log[i].Zxid <= n.log[i-1].Zxid {
				s.failf("%d: log not in zxid order at %s", id, zab.Hex(n.log[i].Zxid))
			}
		}
		if !n.synced() {
			continue
		}
		// Every acknowledged write up to what the node applied is there, unchanged.
		last := int64(0)
		if k := len(n.applied); k > 0 {
			last = n.applied[k-1].Zxid
		}
		have := map[int64][]byte{}
		for _, e := range n.applied {
			have[e.Zxid] = e.Data
		}
		for z, data := range s.acked {
			if z <= last && string(have[z]) != string(data) {
				s.failf("%d (synced, applied up to %s) lacks the acknowledged write %s %s", id, zab.Hex(last), zab.Hex(z), data)
				return
			}
		}
	}
	// Applied histories of synced nodes agree: one is a prefix of the other, with equal
	// digests at equal zxids.
	for i, a := range s.ids {
		for _, b := range s.ids[i+1:] {
			na, nb := s.nodes[a], s.nodes[b]
			if !na.synced() || !nb.synced() {
				continue
			}
			k := min(len(na.applied), len(nb.applied))
			if k == 0 {
				continue
			}
			if na.applied[k-1].Zxid != nb.applied[k-1].Zxid || na.digests[k-1] != nb.digests[k-1] {
				for j := 0; j < k; j++ {
					if na.applied[j].Zxid != nb.applied[j].Zxid || string(na.applied[j].Data) != string(nb.applied[j].Data) {
						s.failf("%d and %d diverge at their txn %d: %s %s vs %s %s", a, b, j,
							zab.Hex(na.applied[j].Zxid), na.applied[j].Data, zab.Hex(nb.applied[j].Zxid), nb.applied[j].Data)
						return
					}
				}
				s.failf("%d and %d: different digests at %s", a, b, zab.Hex(na.applied[k-1].Zxid))
				return
			}
		}
	}
}

// settled: one established leader, every other node its synced learner, all at the same
// applied zxid, no Ready under way.
func (s *simulation) settled() bool {
	var lead *node
	for _, id := range s.ids {
		n := s.nodes[id]
		if !n.synced() || n.inflight != nil {
			return false
		}
		if n.role == leading {
			if lead != nil {
				return false
			}
			lead = n
		}
	}
	if lead == nil || s.healedAcks < postHealWrites {
		return false
	}
	for _, id := range s.ids {
		if n := s.nodes[id]; n.leaderID != lead.id || len(n.applied) != len(lead.applied) {
			return false
		}
	}
	return true
}

func (s *simulation) final() {
	s.check()
	for _, id := range s.ids {
		n := s.nodes[id]
		have := map[int64][]byte{}
		for _, e := range n.applied {
			have[e.Zxid] = e.Data
		}
		for z, data := range s.acked {
			if string(have[z]) != string(data) {
				s.failf("after healing, %d lacks the acknowledged write %s %s", id, zab.Hex(z), data)
				return
			}
		}
	}
	s.logf("settled: %s", s.status())
}

func (s *simulation) status() string {
	var b strings.Builder
	for _, id := range s.ids {
		n := s.nodes[id]
		role := [...]string{"looking", "leading", "following"}[n.role]
		if !n.up {
			role = "down"
		}
		last := int64(0)
		if k := len(n.applied); k > 0 {
			last = n.applied[k-1].Zxid
		}
		fmt.Fprintf(&b, "[%d %s leader=%d synced=%v applied=%s log=%d] ", id, role, n.leaderID, n.synced(), zab.Hex(last), len(n.log))
	}
	return b.String()
}
