package election

import (
	"testing"

	"github.com/zkgo/zkgo/wire"
)

func zxid(epoch, counter int64) int64 { return epoch<<32 | counter }

// The vote-counting cases of Java's FLEOutOfElectionTest, on a five-voter ensemble seen from
// server 3.
func TestVoteTracker(t *testing.T) {
	e := New(Config{ID: 3, Voters: []int64{0, 1, 2, 3, 4}})
	e.Start(Proposal{LastZxid: 0, CurrentEpoch: 0})
	e.Ready()
	F, L, K := wire.Following, wire.Leading, wire.Looking
	cases := []struct {
		name  string
		votes map[int64]Vote
		v     Vote
		want  bool
	}{
		{"ignoring zxid and election epoch", map[int64]Vote{
			0: {1, 4, zxid(1, 1), 1, 2, F}, 1: {1, 4, zxid(1, 2), 1, 2, F},
			3: {1, 4, zxid(2, 1), 2, 2, F}, 4: {1, 4, zxid(2, 1), 2, 2, L},
		}, Vote{0, 4, zxid(2, 1), 2, 2, F}, true},
		{"different versions", map[int64]Vote{
			0: {1, 4, zxid(1, 1), 1, 1, F}, 1: {1, 4, zxid(1, 1), 1, 1, F},
			3: {0, 4, zxid(2, 1), 2, 2, F}, 4: {0, 4, zxid(2, 1), 2, 2, L},
		}, Vote{0, 4, zxid(2, 1), 2, 2, F}, true},
		{"looking normal", map[int64]Vote{
			0: {0, 4, zxid(2, 1), 1, 1, K}, 1: {0, 4, zxid(2, 1), 1, 1, K},
			3: {0, 4, zxid(2, 1), 1, 1, K}, 4: {0, 4, zxid(2, 1), 1, 1, L},
		}, Vote{0, 4, zxid(2, 1), 1, 1, K}, true},
		{"looking, different rounds", map[int64]Vote{
			0: {0, 4, zxid(1, 1), 1, 1, K}, 1: {0, 4, zxid(2, 1), 2, 2, K},
			3: {0, 4, zxid(2, 1), 3, 2, K}, 4: {0, 4, zxid(2, 1), 3, 2, L},
		}, Vote{0, 4, zxid(2, 1), 2, 2, K}, false},
		{"non-voters are not counted", map[int64]Vote{
			0: {0, 4, 1, 1, 1, F}, 7: {0, 4, 1, 1, 1, F}, 8: {0, 4, 1, 1, 1, F},
		}, Vote{0, 4, 1, 1, 1, F}, false},
	}
	for _, c := range cases {
		if got := e.hasQuorum(c.votes, c.v); got != c.want {
			t.Errorf("%s: hasQuorum %v, want %v", c.name, got, c.want)
		}
	}

	// testOutofElection: a leader in another epoch is followed by a quorum of mixed versions.
	ooe := map[int64]Vote{
		1: {0, 5, zxid(15, 0), 0xa, 0x17, F}, 2: {0, 5, zxid(15, 0), 0xa, 0x17, F},
		4: {1, 5, zxid(15, 0), 0xa, 0x18, F}, 5: {1, 5, zxid(15, 0), 0xa, 0x18, L},
	}
	e6 := New(Config{ID: 3, Voters: []int64{1, 2, 3, 4, 5}})
	e6.Start(Proposal{})
	if !e6.hasQuorum(ooe, Vote{1, 5, zxid(15, 0), 0xa, 0x18, L}) {
		t.Error("out of election: no quorum")
	}
	if !e6.checkLeader(ooe, 5, 0xa) {
		t.Error("out of election: checkLeader refused")
	}
	if e6.checkLeader(map[int64]Vote{5: {0, 5, 0, 0xa, 0x18, F}}, 5, 0xa) {
		t.Error("checkLeader accepted a leader that is not LEADING")
	}
	if e6.checkLeader(map[int64]Vote{}, 3, 0xa) || !e6.checkLeader(map[int64]Vote{}, 3, 1) {
		t.Error("checkLeader for myself must compare the round")
	}
}

func TestVoteEqual(t *testing.T) {
	F, K := wire.Following, wire.Looking
	base := Vote{2, 1, 5, 3, 1, F}
	cases := []struct {
		a, b Vote
		want bool
	}{
		{base, base, true},
		{base, Vote{2, 1, 6, 4, 1, F}, true},  // zxid and round ignored when neither is LOOKING
		{base, Vote{2, 1, 5, 3, 2, F}, false}, // peerEpoch counts
		{base, Vote{0, 1, 5, 3, 2, F}, true},  // one without a version: leader only
		{base, Vote{0, 1, 5, 3, 1, K}, true},  // LOOKING: all four fields, version ignored
		{base, Vote{2, 1, 6, 3, 1, K}, false}, // LOOKING: zxid counts
		{base, Vote{2, 1, 5, 4, 1, K}, false}, // LOOKING: round counts
		{base, Vote{2, 2, 5, 3, 1, F}, false}, // another leader
	}
	for i, c := range cases {
		if got := c.a.Equal(c.b); got != c.want {
			t.Errorf("case %d: %v.Equal(%v) = %v, want %v", i, c.a, c.b, got, c.want)
		}
		if c.a.Equal(c.b) != c.b.Equal(c.a) {
			t.Errorf("case %d: not symmetric", i)
		}
	}
}

// totalOrderPredicate (FLEPredicateTest) and the weight-0 rule.
func TestTotalOrder(t *testing.T) {
	e := New(Config{ID: 1, Voters: []int64{1, 2, 3}})
	cases := []struct {
		newID, newZxid, newEpoch, curID, curZxid, curEpoch int64
		want                                               bool
	}{
		{2, 5, 1, 1, 5, 1, true},                   // same epoch and zxid: higher sid
		{1, 5, 1, 2, 5, 1, false},                  // lower sid
		{1, 6, 1, 2, 5, 1, true},                   // higher zxid
		{3, 9, 1, 1, 1, 2, false},                  // lower epoch loses whatever its zxid
		{1, 1, 2, 3, 9, 1, true},                   // higher epoch wins
		{2, 5, 1, 2, 5, 1, false},                  // equal is not better
		{2, 5, 1, minLong, minLong, minLong, true}, // anything beats an observer's MIN vote
	}
	for i, c := range cases {
		if got := e.beats(c.newID, c.newZxid, c.newEpoch, c.curID, c.curZxid, c.curEpoch); got != c.want {
			t.Errorf("case %d: %v, want %v", i, got, c.want)
		}
	}
	w := New(Config{ID: 1, Voters: []int64{1, 2, 3}, Weights: map[int64]int64{1: 1, 2: 0, 3: 1}})
	if w.beats(2, 100, 100, 1, 0, 0) {
		t.Error("a weight-0 server won")
	}
	if !w.beats(3, 0, 0, 1, 0, 0) {
		t.Error("weight 1 lost")
	}
}
