package interop

import (
	"fmt"
	"testing"
	"time"
)

// window is the time (recorder clock) during which a node was being replaced.
type window struct {
	node       *Node
	addr       string
	from, to   int64
	impl, with Impl
}

// TestRollingReplacement replaces each node of a running Java 3.9.3 ensemble in turn by zkgo
// on the same dataDir (stop, new container on the same folders, address and client port, wait
// until it follows or leads), then each back to Java 3.9.3. Clients are pinned to one node
// each; no acknowledged write may be lost, and no session of a client pinned to a node other
// than the one being replaced may expire.
func TestRollingReplacement(t *testing.T) {
	out := runRolling(t, "rolling-java-3.9.3-zkgo", *seedFlag, nil)
	t.Logf("%d replacements; %d session expiries (all of clients pinned to the node being replaced); %d sessions used",
		len(out.Faults), len(out.Expiries), out.Sessions)
}

// runRolling runs the rolling replacement and checks session expiries. record, when set, gets
// the outcome at the end of the test, also when it stopped early.
func runRolling(t *testing.T, name string, seed int64, record func(*Outcome)) *Outcome {
	sc := &Scenario{
		Name:    name,
		Specs:   []Spec{{1, Java393, false}, {2, Java393, false}, {3, Java393, false}},
		Clients: 6,
		Pin:     true,
		Seed:    seed,
	}
	var wins []window
	t.Cleanup(func() {
		if sc.out == nil {
			return
		}
		for _, e := range sc.out.Expiries {
			if !expiryAllowed(e, wins, sc.W.SessionTimeout) {
				msg := fmt.Sprintf("session 0x%x of client %d (pinned to %s) expired at %.2fs, outside the replacement of its own node",
					e.Session, e.Client, e.Pinned, float64(e.Time)/1e9)
				sc.out.Notes = append(sc.out.Notes, msg)
				sc.out.Failed = true
				t.Error(msg)
			}
		}
		if record != nil {
			record(sc.out)
		}
	})
	sc.Run(t, func(s *Scenario) {
		for _, impl := range []Impl{Zkgo, Java393} {
			for _, n := range s.C.Nodes() {
				w, err := s.replace(n, impl)
				wins = append(wins, w)
				if err != nil {
					s.C.Fatalf("replacing %s by %s: %v", n, impl, err)
				}
				time.Sleep(s.Settle)
			}
		}
	})
	return sc.out
}

// expiryAllowed: the client was pinned to a node while (or shortly after, by at most a session
// timeout) that node was being replaced.
func expiryAllowed(e Expiry, wins []window, sessionTimeout time.Duration) bool {
	for _, w := range wins {
		if w.addr == e.Pinned && e.Time >= w.from && e.Time <= w.to+int64(sessionTimeout) {
			return true
		}
	}
	return false
}

// replace swaps the node's implementation in place and waits for a healthy ensemble.
func (s *Scenario) replace(n *Node, impl Impl) (window, error) {
	w := window{node: n, addr: n.Addr(), impl: n.Impl, with: impl, from: s.W.Rec.Now()}
	s.note("replace %s by %s", n, impl)
	err := s.C.Replace(n, impl)
	if err == nil {
		err = s.C.WaitHealthy(healTimeout)
	}
	w.to = s.W.Rec.Now()
	if err == nil {
		s.note("%s rejoined in %.1fs", n, float64(w.to-w.from)/1e9)
	}
	if s.out != nil {
		rec := FaultRecord{Name: fmt.Sprintf("replace-by-%s", impl), Target: fmt.Sprintf("n%d", n.ID), Duration: time.Duration(w.to - w.from)}
		if err != nil {
			rec.Err = err.Error()
		}
		s.out.Faults = append(s.out.Faults, rec)
	}
	return w, err
}
