package sim

import (
	"fmt"
	"testing"

	"github.com/zkgo/zkgo/internal/simtest"
)

// TestSimulation runs 3- and 5-voter ensembles of the election and ZAB cores under message
// loss, delay, reordering and duplication (election), connection breaks, partitions, crashes
// that lose what was not fsynced, and restarts, with client writes at the leaders; every
// invariant is checked after every event, and after healing every acknowledged write must be
// on every node. A failure names its seed and the command that replays it.
func TestSimulation(t *testing.T) {
	for _, e := range []struct{ size, observers int }{{3, 0}, {5, 0}, {3, 1}} {
		size := e.size
		name := fmt.Sprintf("%d-voters", size)
		if e.observers > 0 {
			name += fmt.Sprintf("+%d-observer", e.observers)
		}
		t.Run(name, func(t *testing.T) {
			seeds := simtest.Seeds(30)
			acked, faults := 0, map[string]int{}
			for _, seed := range seeds {
				r := Run(Options{Size: size, Observers: e.observers, Seed: seed, Trace: simtest.Trace()})
				if r.Trace != "" {
					t.Logf("seed %d trace:\n%s", seed, r.Trace)
				}
				if r.Err != nil {
					t.Fatalf("seed %d: %v\nreplay: go test ./server/sim -run 'TestSimulation/%s$' -sim.seed=%d -v", seed, r.Err, name, seed)
				}
				acked += r.Acked
				for k, v := range r.Faults {
					faults[k] += v
				}
			}
			t.Logf("%d seeds: %d acknowledged writes; faults %v", len(seeds), acked, faults)
			if acked < postHealWrites*len(seeds) || faults["crash"] == 0 || faults["partition"]+faults["partition-in"]+faults["partition-out"] == 0 {
				t.Fatalf("the runs wrote nothing or injected no crash/partition: %d writes, %v", acked, faults)
			}
		})
	}
}

// TestReplayIsDeterministic: a seed's run is the same every time (so a failing seed replays).
func TestReplayIsDeterministic(t *testing.T) {
	a := Run(Options{Size: 5, Seed: 7, Trace: true})
	b := Run(Options{Size: 5, Seed: 7, Trace: true})
	if a.Trace == "" || a.Trace != b.Trace {
		t.Fatalf("two runs of seed 7 differ (or traced nothing): %d vs %d bytes", len(a.Trace), len(b.Trace))
	}
}

// TestChecksCatchBrokenModels: the invariants fail when the model is broken on purpose.
func TestChecksCatchBrokenModels(t *testing.T) {
	if r := Run(Options{Size: 3, Seed: 1, Mutation: "corrupt-apply"}); r.Err == nil {
		t.Fatal("a node applying a corrupted txn went unnoticed")
	} else {
		t.Logf("corrupt-apply: %v", r.Err)
	}
	if r := Run(Options{Size: 3, Seed: 1, Mutation: "forget-epochs"}); r.Err == nil {
		t.Fatal("epoch files lost in a crash went unnoticed")
	} else {
		t.Logf("forget-epochs: %v", r.Err)
	}
	for seed := uint64(1); seed <= 200; seed++ {
		// Slow fsyncs and frequent crashes widen the window the mutation opens; the same
		// seed without the mutation must pass.
		o := Options{Size: 3, Seed: seed, FsyncTicks: 60, CrashPerMille: 20}
		if r := Run(o); r.Err != nil {
			t.Fatalf("seed %d fails without the mutation: %v", seed, r.Err)
		}
		o.Mutation = "ack-before-fsync"
		if r := Run(o); r.Err != nil {
			t.Logf("ack-before-fsync caught at seed %d: %v", seed, r.Err)
			return
		}
	}
	t.Fatal("ACKs sent before the fsync never lost an acknowledged write in 200 seeds")
}
