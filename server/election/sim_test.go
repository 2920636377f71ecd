package election

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/zkgo/zkgo/internal/simtest"
	"github.com/zkgo/zkgo/wire"
)

// TestSimulation runs whole ensembles of the core over a network that loses, delays,
// duplicates and reorders messages, with crashes and restarts, then heals everything and runs
// until the ensemble settles. A small stand-in for ZAB sends a server back to LOOKING when its
// role cannot work: a leader that does not gather a quorum of followers within initLimit, a
// follower whose leader does not lead for syncLimit. When it ends, every running server must
// have decided, one leader per election round, and that leader must be at least as good, by
// (epoch, zxid, sid), as a quorum of the voters. A failure prints its seed.
func TestSimulation(t *testing.T) {
	for _, size := range []int{3, 5} {
		t.Run(fmt.Sprintf("%d-voters", size), func(t *testing.T) {
			for _, seed := range simtest.Seeds(300) {
				if !runSim(t, size, seed, simtest.Trace()) {
					return
				}
			}
		})
	}
}

const (
	simInitLimit = 100 // ticks a leader waits for a quorum of followers
	simSyncLimit = 60  // ticks a follower waits for its leader to lead
	simChaos     = 3000
	simSettle    = 40000
	simStable    = 400 // ticks the healed ensemble must stay settled
)

type simRole struct {
	since   int   // when the current role (or the wait for it to work) began
	leader  int64 // whom it follows, or itself
	healthy bool
}

type simulation struct {
	t      *testing.T
	seed   uint64
	size   int
	rng    *rand.Rand
	c      *cluster
	now    int
	loss   float64
	dup    float64
	delay  int
	roles  map[int64]*simRole
	stable int
	log    strings.Builder
}

// runSim runs one seed; it reports false after a failure.
func runSim(t *testing.T, size int, seed uint64, verbose bool) bool {
	s := &simulation{t: t, seed: seed, size: size, rng: rand.New(rand.NewPCG(seed, uint64(size))),
		c: newCluster(), loss: 0.2, dup: 0.05, delay: 40, roles: map[int64]*simRole{}}
	s.c.timing = Config{FinalizeWait: 20, MinNotificationInterval: 20, MaxNotificationInterval: 320}
	s.c.trace = &s.log
	s.c.route = s.route
	for id := int64(1); id <= int64(size); id++ {
		epoch := int64(1 + s.rng.IntN(2))
		p := Proposal{LastZxid: epoch<<32 | int64(s.rng.IntN(3)), CurrentEpoch: epoch}
		s.c.add(id, false, p)
		s.c.logf("%d proposes %s", id, Vote{Leader: id, Zxid: p.LastZxid, PeerEpoch: p.CurrentEpoch})
	}
	for _, id := range s.c.ids() {
		s.boot(id)
	}
	ok := s.run()
	if !ok || verbose {
		t.Logf("seed %d trace:\n%s", seed, s.log.String())
	}
	return ok
}

func (s *simulation) failf(format string, args ...any) bool {
	s.t.Errorf("seed %d (%d voters), at tick %d: %s; rerun with -run 'TestSimulation/%d-voters' -sim.seed=%d -v",
		s.seed, s.size, s.now, fmt.Sprintf(format, args...), s.size, s.seed)
	return false
}

func (s *simulation) boot(id int64) {
	s.c.start(id)
	s.roles[id] = &simRole{since: s.now}
}

// route loses, delays and duplicates messages between servers.
func (s *simulation) route(m envelope) []envelope {
	if m.from == m.to {
		return []envelope{m}
	}
	if s.rng.Float64() < s.loss {
		return nil
	}
	m.due = s.now + s.rng.IntN(s.delay+1)
	out := []envelope{m}
	if s.rng.Float64() < s.dup {
		m.due = s.now + s.rng.IntN(s.delay+1)
		out = append(out, m)
	}
	return out
}

func (s *simulation) run() bool {
	for ; s.now < simChaos+simSettle; s.now++ {
		if s.now == simChaos {
			s.loss, s.dup, s.delay = 0, 0, 5
			for _, id := range s.c.ids() {
				if !s.c.nodes[id].up {
					s.boot(id)
				}
			}
			s.c.logf("--- healed at %d", s.now)
		}
		if s.now < simChaos {
			s.chaos()
		}
		s.deliverDue()
		for _, id := range s.c.ids() {
			s.c.tick(id, s.now)
		}
		s.zab()
		if s.now > simChaos {
			if s.settled() {
				s.stable++
				if s.stable >= simStable {
					return s.check()
				}
			} else {
				s.stable = 0
			}
		}
	}
	return s.failf("the healed ensemble did not settle:\n%s", s.c.status())
}

func (s *simulation) chaos() {
	if s.rng.IntN(400) == 0 {
		ids := s.c.ids()
		id := ids[s.rng.IntN(len(ids))]
		if s.c.nodes[id].up {
			s.c.crash(id)
		} else {
			s.boot(id)
		}
	}
}

func (s *simulation) deliverDue() {
	var due, later []envelope
	for _, m := range s.c.net {
		if m.due <= s.now {
			due = append(due, m)
		} else {
			later = append(later, m)
		}
	}
	s.c.net = later
	s.rng.Shuffle(len(due), func(i, j int) { due[i], due[j] = due[j], due[i] })
	for _, m := range due {
		s.c.deliver(m, s.now)
	}
}

// zab is the stand-in for the roles: it sends servers whose role cannot work back to LOOKING.
func (s *simulation) zab() {
	for _, id := range s.c.ids() {
		n := s.c.nodes[id]
		if !n.up {
			continue
		}
		r := s.roles[id]
		if n.e.Looking() {
			r.since, r.healthy = s.now, false
			continue
		}
		healthy := false
		switch n.e.State() {
		case wire.Leading:
			followers := 1
			for _, o := range s.c.ids() {
				on := s.c.nodes[o]
				if o != id && on.up && on.e.State() == wire.Following && on.e.CurrentVote().Leader == id {
					followers++
				}
			}
			healthy = followers > s.size/2
		case wire.Following:
			l := s.c.nodes[n.e.CurrentVote().Leader]
			healthy = l != nil && l.up && l.e.State() == wire.Leading && l.e.CurrentVote().Leader == l.id
		}
		limit := simSyncLimit
		if n.e.State() == wire.Leading {
			limit = simInitLimit
		}
		if healthy {
			r.since, r.healthy = s.now, true
			continue
		}
		if s.now-r.since > limit {
			s.c.logf("%d gives up %s", id, n.e.State())
			s.c.look(id, s.now)
			r.since, r.healthy = s.now, false
		}
	}
}

func (s *simulation) settled() bool {
	for _, id := range s.c.ids() {
		n := s.c.nodes[id]
		if !n.up || n.e.Looking() || !s.roles[id].healthy {
			return false
		}
	}
	return true
}

func (s *simulation) check() bool {
	byRound := map[int64]int64{}
	var leader int64 = -1
	for _, id := range s.c.ids() {
		v := s.c.nodes[id].e.CurrentVote()
		if l, ok := byRound[v.ElectionEpoch]; ok && l != v.Leader {
			return s.failf("round %d has two leaders, %d and %d", v.ElectionEpoch, l, v.Leader)
		}
		byRound[v.ElectionEpoch] = v.Leader
		if leader != -1 && leader != v.Leader {
			return s.failf("servers follow different leaders:\n%s", s.c.status())
		}
		leader = v.Leader
	}
	lp := s.c.nodes[leader].prop
	atMost := 0
	for _, id := range s.c.voters {
		p := s.c.nodes[id].prop
		// Written out again rather than calling the core's comparison, so that a bug there
		// cannot hide here.
		if p.CurrentEpoch < lp.CurrentEpoch ||
			p.CurrentEpoch == lp.CurrentEpoch && (p.LastZxid < lp.LastZxid || p.LastZxid == lp.LastZxid && id <= leader) {
			atMost++
		}
	}
	if atMost <= s.size/2 {
		return s.failf("leader %d (%s) is better than only %d of %d voters", leader,
			Vote{Leader: leader, Zxid: lp.LastZxid, PeerEpoch: lp.CurrentEpoch}, atMost, s.size)
	}
	return true
}
