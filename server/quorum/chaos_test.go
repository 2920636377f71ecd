package quorum_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zkgo/zkgo/server/node"
)

// TestCrashRestartCampaign runs a 3-node zkgo ensemble with real elections under a write
// load while a seeded schedule crashes and restarts members (leaders included). Invariants:
// at most one leader per epoch at any observation, every acknowledged write survives on every
// member, and at the end all members hold the same zxid and tree digest.
func TestCrashRestartCampaign(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("ZKGO_CHAOS_SEED"); s != "" {
		fmt.Sscan(s, &seed)
	}
	t.Logf("seed %d (ZKGO_CHAOS_SEED to replay the schedule)", seed)
	// A hang here must fail fast with every goroutine's stack, not eat the CI budget.
	watchdog := time.AfterFunc(3*time.Minute, func() {
		buf := make([]byte, 1<<22)
		n := runtime.Stack(buf, true)
		fmt.Fprintf(os.Stderr, "TestCrashRestartCampaign (seed %d) hung; goroutines:\n%s\n", seed, buf[:n])
		panic("TestCrashRestartCampaign hung")
	})
	defer watchdog.Stop()
	rng := rand.New(rand.NewPCG(seed, 1))
	c := newCluster(t, 3)
	c.realFLE = true
	for i := 0; i < 3; i++ {
		c.start(i)
	}
	var mu sync.Mutex          // guards c.servers against the observer
	leaders := map[int64]int{} // epoch -> leader sid seen
	observe := func() {
		mu.Lock()
		defer mu.Unlock()
		for i, s := range c.servers {
			if s == nil || s.Peer == nil {
				continue
			}
			var r node.Role
			var serving bool
			var zxid int64
			s.Node.Do(func() { r, serving, zxid = s.Node.Role(), s.Node.Serving(), s.Node.LastProposed() })
			if r != node.RoleLeader || !serving {
				continue
			}
			epoch := zxid >> 32
			if prev, ok := leaders[epoch]; ok && prev != i+1 {
				t.Errorf("seed %d: two leaders in epoch %d: %d and %d", seed, epoch, prev, i+1)
			}
			leaders[epoch] = i + 1
		}
	}
	stop := make(chan struct{})
	var acked sync.Map
	var nacked atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // writer: one session per attempt, through a random member
		defer wg.Done()
		wrng := rand.New(rand.NewPCG(seed, 2))
		for k := 0; ; k++ {
			select {
			case <-stop:
				return
			default:
			}
			addr := c.addr(wrng.IntN(3))
			conn, ev, err := zk.Connect([]string{addr}, 2*time.Second, zk.WithLogInfo(false), zk.WithLogger(quiet{}))
			if err != nil {
				continue
			}
			ok := false
			timeout := time.After(2 * time.Second)
		wait:
			for {
				select {
				case e := <-ev:
					if e.State == zk.StateHasSession {
						ok = true
						break wait
					}
				case <-timeout:
					break wait
				}
			}
			for j := 0; ok && j < 20; j++ {
				path := fmt.Sprintf("/w%05d-%02d", k, j)
				if _, err := conn.Create(path, nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
					break
				}
				acked.Store(path, true)
				nacked.Add(1)
			}
			conn.Close()
		}
	}()
	const rounds = 6
	for r := 0; r < rounds; r++ {
		time.Sleep(time.Duration(200+rng.IntN(400)) * time.Millisecond)
		observe()
		victim := rng.IntN(3)
		mu.Lock()
		c.stop(victim)
		mu.Unlock()
		time.Sleep(time.Duration(100+rng.IntN(600)) * time.Millisecond)
		observe()
		mu.Lock()
		c.start(victim)
		mu.Unlock()
	}
	close(stop)
	wg.Wait()
	// Settle: every member serving, one leader.
	deadline := time.Now().Add(30 * time.Second)
	for {
		observe()
		n := 0
		for _, s := range c.servers {
			var serving bool
			s.Node.Do(func() { serving = s.Node.Serving() })
			if serving {
				n++
			}
		}
		if n == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("seed %d: ensemble did not settle", seed)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for i := 0; i < 3; i++ {
		conn := connectTo(t, c.addr(i))
		conn.Sync("/")
		kids, _, err := conn.Children("/")
		if err != nil {
			t.Fatal(err)
		}
		have := map[string]bool{}
		for _, k := range kids {
			have["/"+k] = true
		}
		acked.Range(func(k, _ any) bool {
			if !have[k.(string)] {
				t.Errorf("seed %d: member %d lost acknowledged write %s", seed, i+1, k)
			}
			return true
		})
		conn.Close()
	}
	// Same zxid and digest everywhere once the last txn is applied.
	deadline = time.Now().Add(10 * time.Second)
	for {
		var zx [3]int64
		var dg [3]uint64
		for i, s := range c.servers {
			s.Node.Do(func() { zx[i], dg[i] = s.Node.Tree().LastZxid, s.Node.Tree().Digest() })
		}
		if zx[0] == zx[1] && zx[1] == zx[2] && dg[0] == dg[1] && dg[1] == dg[2] {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("seed %d: members differ: zxids %x digests %v", seed, zx, dg)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("%d acknowledged writes, epochs with leaders %v", nacked.Load(), leaders)
}

type quiet struct{}

func (quiet) Printf(string, ...any) {}
