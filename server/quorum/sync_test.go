package quorum_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zkgo/zkgo/server/config"
	"github.com/zkgo/zkgo/server/zkserver"
)

// pickElector elects whatever leader the test sets (0 = keep looking).
type pickElector struct{ leader *atomic.Int64 }

func (p pickElector) LookForLeader(ctx context.Context, _, _ int64) (int64, error) {
	for {
		if l := p.leader.Load(); l != 0 {
			return l, nil
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
func (pickElector) Settle(int64, int64, int64, bool) {}

// syncLog captures "sync with leader" lines per node to see which mode was used.
type syncLog struct {
	mu    sync.Mutex
	modes []string
}

func (s *syncLog) Write(b []byte) (int, error) {
	line := string(b)
	if i := strings.Index(line, "sync with leader: "); i >= 0 {
		s.mu.Lock()
		s.modes = append(s.modes, strings.Trim(strings.Fields(line[i+len("sync with leader: "):])[0], "\""))
		s.mu.Unlock()
	}
	if os.Getenv("ZKGO_TEST_LOG") != "" {
		os.Stderr.Write(b)
	}
	return len(b), nil
}

func (s *syncLog) last() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.modes) == 0 {
		return ""
	}
	return s.modes[len(s.modes)-1]
}

type cluster struct {
	t       *testing.T
	realFLE bool // elect over the election port instead of the test's pick
	cfgText []string
	dirs    []string
	servers []*zkserver.Server
	logs    []*syncLog
	leader  atomic.Int64
}

func newCluster(t *testing.T, n int) *cluster {
	ports := freePorts(t, 3*n)
	c := &cluster{t: t}
	var lines []string
	for i := 0; i < n; i++ {
		lines = append(lines, fmt.Sprintf("server.%d=127.0.0.1:%d:%d;127.0.0.1:%d", i+1, ports[3*i+1], ports[3*i+2], ports[3*i]))
	}
	for i := 0; i < n; i++ {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "myid"), []byte(fmt.Sprint(i+1)), 0o644)
		c.dirs = append(c.dirs, dir)
		c.cfgText = append(c.cfgText, fmt.Sprintf("tickTime=100\ninitLimit=20\nsyncLimit=5\ndataDir=%s\nadmin.enableServer=false\n%s\n", dir, strings.Join(lines, "\n")))
		c.servers = append(c.servers, nil)
		c.logs = append(c.logs, &syncLog{})
	}
	t.Cleanup(func() {
		for _, s := range c.servers {
			if s != nil {
				s.Close()
			}
		}
	})
	return c
}

func (c *cluster) start(i int) {
	cfg, err := config.Parse(strings.NewReader(c.cfgText[i]))
	if err != nil {
		c.t.Fatal(err)
	}
	var w io.Writer = c.logs[i]
	opts := zkserver.Options{Logger: slog.New(slog.NewTextHandler(w, nil)).With("sid", i+1), Elector: pickElector{&c.leader}}
	if c.realFLE {
		opts.Elector = nil
	}
	s, err := zkserver.Start(cfg, opts)
	if err != nil {
		c.t.Fatal(err)
	}
	c.servers[i] = s
}

func (c *cluster) stop(i int) {
	c.servers[i].Close()
	c.servers[i] = nil
}

func (c *cluster) addr(i int) string {
	cfg, _ := config.Parse(strings.NewReader(c.cfgText[i]))
	s := cfg.Servers[i]
	return fmt.Sprintf("127.0.0.1:%d", s.ClientPort)
}

func writeN(t *testing.T, conn *zk.Conn, prefix string, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		if _, err := conn.Create(fmt.Sprintf("%s%d", prefix, i), []byte("d"), 0, zk.WorldACL(zk.PermAll)); err != nil {
			t.Fatalf("create %s%d: %v", prefix, i, err)
		}
	}
}

func countChildren(t *testing.T, conn *zk.Conn) int {
	t.Helper()
	if _, err := conn.Sync("/"); err != nil {
		t.Fatal(err)
	}
	kids, _, err := conn.Children("/")
	if err != nil {
		t.Fatal(err)
	}
	return len(kids)
}

// TestSyncModes makes a restarted follower come back by DIFF, by SNAP and by TRUNC.
func TestSyncModes(t *testing.T) {
	c := newCluster(t, 3)
	c.leader.Store(3)
	for i := 0; i < 3; i++ {
		c.start(i)
	}
	lc := connectTo(t, c.addr(2))
	writeN(t, lc, "/a", 10)

	// DIFF: follower 1 misses a few txns.
	c.stop(0)
	writeN(t, lc, "/b", 20)
	c.start(0)
	f := connectTo(t, c.addr(0))
	if got := countChildren(t, f); got != 31 {
		t.Fatalf("after DIFF: %d children, want 31", got)
	}
	if m := c.logs[0].last(); m != "DIFF" {
		t.Fatalf("follower 1 synced by %q, want DIFF", m)
	}
	f.Close()

	// SNAP: follower 1 misses more than the committed-log window (500 txns).
	c.stop(0)
	writeN(t, lc, "/c", 520)
	c.start(0)
	f = connectTo(t, c.addr(0))
	if got := countChildren(t, f); got != 551 {
		t.Fatalf("after SNAP: %d children, want 551", got)
	}
	if m := c.logs[0].last(); m != "SNAP" {
		t.Fatalf("follower 1 synced by %q, want SNAP", m)
	}
	f.Close()
	lc.Close()

	// TRUNC: the leader (3) logs a txn no one else gets, then 1 and 2 carry on without it;
	// 3 comes back before the new leader commits anything, so its txn is past the leader's
	// committed log. Had the new epoch committed a txn first (even a client's session), Java's
	// syncFollower would not TRUNC across the epoch boundary and would send a SNAP.
	lc = connectTo(t, c.addr(2)) // before the followers go: a leader without them stops serving
	c.stop(0)
	c.stop(1)
	var before int64
	c.servers[2].Node.Do(func() { before = c.servers[2].Node.LastProposed() })
	done := make(chan error, 1)
	go func() {
		_, err := lc.Create("/lost", nil, 0, zk.WorldACL(zk.PermAll))
		done <- err
	}()
	// The proposal is appended to 3's log (never acked); stopping 3 flushes its log.
	for proposed := before; proposed == before; time.Sleep(10 * time.Millisecond) {
		c.servers[2].Node.Do(func() { proposed = c.servers[2].Node.LastProposed() })
	}
	c.stop(2)
	<-done
	lc.Close()
	c.leader.Store(2)
	c.start(0)
	c.start(1)
	c.start(2)
	g := connectTo(t, c.addr(2)) // its session is the new epoch's first txn
	if m := c.logs[2].last(); m != "TRUNC" {
		t.Fatalf("node 3 synced by %q, want TRUNC", m)
	}
	f = connectTo(t, c.addr(0))
	writeN(t, f, "/d", 5)
	if got := countChildren(t, g); got != 556 {
		t.Fatalf("after TRUNC: %d children on node 3, want 556", got)
	}
	if ok, _, _ := g.Exists("/lost"); ok {
		t.Fatal("the truncated txn survived on node 3")
	}
	if m := c.logs[2].last(); m != "TRUNC" {
		t.Fatalf("node 3 synced by %q, want TRUNC", m)
	}
}
