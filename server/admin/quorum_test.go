package admin_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zkgo/zkgo/oracle"
	"github.com/zkgo/zkgo/server/config"
	"github.com/zkgo/zkgo/server/zkserver"
)

// staticElector elects the same leader every time (the election is not what is tested here).
type staticElector struct{ leader int64 }

func (s staticElector) LookForLeader(ctx context.Context, _, _ int64) (int64, error) {
	select {
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-time.After(50 * time.Millisecond):
	}
	return s.leader, nil
}

func (staticElector) Settle(int64, int64, int64, bool) {}

// startZkgoEnsemble starts three zkgo servers in one process, server 3 leading (as Java's
// election picks the highest sid of equal zxids), each with an AdminServer.
func startZkgoEnsemble(t *testing.T) map[string]*target {
	ports, err := oracle.FreePorts(12)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for i := 0; i < 3; i++ {
		lines = append(lines, fmt.Sprintf("server.%d=127.0.0.1:%d:%d;127.0.0.1:%d", i+1, ports[4*i+1], ports[4*i+2], ports[4*i]))
	}
	var servers []*zkserver.Server
	targets := map[int]*target{}
	for i := 0; i < 3; i++ {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "myid"), []byte(fmt.Sprint(i+1)), 0o644)
		text := fmt.Sprintf("tickTime=2000\ninitLimit=10\nsyncLimit=5\ndataDir=%s\n4lw.commands.whitelist=*\nadmin.serverAddress=127.0.0.1\nadmin.serverPort=%d\n%s\n",
			dir, ports[4*i+3], strings.Join(lines, "\n"))
		cfg, err := config.Parse(strings.NewReader(text))
		if err != nil {
			t.Fatal(err)
		}
		var out io.Writer = io.Discard
		if os.Getenv("ZKGO_TEST_LOG") != "" {
			out = os.Stderr
		}
		s, err := zkserver.Start(cfg, zkserver.Options{Logger: slog.New(slog.NewTextHandler(out, nil)).With("sid", i+1), Elector: staticElector{3}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Close)
		servers = append(servers, s)
		targets[i+1] = &target{name: fmt.Sprintf("zkgo %d", i+1), client: s.Addr(), admin: fmt.Sprintf("127.0.0.1:%d", ports[4*i+3]), dataDir: dir}
	}
	byMode := map[string]*target{}
	deadline := time.Now().Add(30 * time.Second)
	for len(byMode) < 2 && time.Now().Before(deadline) {
		for id, tg := range targets {
			if m, _ := oracle.FourLetter(tg.client, "srvr", 2*time.Second); oracle.SrvrMode(m) != "" {
				byMode[oracle.SrvrMode(m)] = targets[id]
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	if byMode["leader"] == nil || byMode["follower"] == nil {
		t.Fatalf("zkgo ensemble has no leader and follower serving: %v", byMode)
	}
	return byMode
}

// TestJavaQuorum compares a leader's and a follower's quorum-specific output (srvr's proposal
// sizes, conf's membership, mntr's peer_state and leader gauges, and the leader, zabstate,
// voting_view, observers, server_stats and monitor commands) with a Java 3.9.3 ensemble's.
func TestJavaQuorum(t *testing.T) {
	e, err := oracle.StartEnsemble(t, oracle.V3_9_3, 3, oracle.Options{AdminServer: true})
	if err != nil {
		t.Fatal(err)
	}
	java := map[string]*target{}
	for _, s := range e.Servers {
		m, err := s.Mode()
		if err != nil {
			t.Fatal(err)
		}
		java[m] = &target{name: "java " + m, client: s.ClientAddr(), admin: fmt.Sprintf("127.0.0.1:%d", s.AdminPort), dataDir: s.DataDir}
	}
	zkgo := startZkgoEnsemble(t)
	for _, role := range []string{"leader", "follower"} {
		j, z := java[role], zkgo[role]
		if j == nil {
			t.Fatalf("java ensemble has no %s", role)
		}
		for _, w := range []string{"srvr", "conf", "mntr"} {
			a, b := quorumLines(j.normalize(j.four(t, w))), quorumLines(z.normalize(z.four(t, w)))
			if !slices.Equal(a, b) {
				t.Errorf("%s %s differs (- java, + zkgo):\n%s", role, w, diff(a, b))
			}
		}
		for _, c := range []string{"leader", "zabstate", "voting_view", "observers", "server_stats", "monitor", "configuration"} {
			jr, zr := j.get(t, "GET", "/commands/"+c, nil), z.get(t, "GET", "/commands/"+c, nil)
			sj, err := shape(jr.body, j)
			if err != nil {
				t.Fatal(err)
			}
			sz, err := shape(zr.body, z)
			if err != nil {
				t.Fatal(err)
			}
			if jr.status != zr.status || sj != sz {
				t.Errorf("%s /commands/%s differs (- java, + zkgo):\n%s\n--- java:\n%s\n--- zkgo:\n%s", role, c, diff(strings.Split(sj, ","), strings.Split(sz, ",")), clip(string(jr.body)), clip(string(zr.body)))
			}
		}
	}
}

// quorumLines splits a normalized reply into lines, collapsing the runs the per-learner summary
// sets repeat once per learner, and leaving out learner_handler_qp_time_ms: Java creates a
// learner's entry only once a queued packet has been sent to it (timing).
func quorumLines(s string) []string {
	var out []string
	for _, l := range lines(s) {
		if strings.Contains(l, "learner_handler_qp_time_ms") || len(out) > 0 && out[len(out)-1] == l {
			continue
		}
		out = append(out, l)
	}
	return out
}
