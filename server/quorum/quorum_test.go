package quorum_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zkgo/zkgo/server/config"
	"github.com/zkgo/zkgo/server/zkserver"
)

// staticElector always elects the same leader (for tests of ZAB alone).
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

func freePorts(t *testing.T, n int) []int {
	var ls []net.Listener
	var ports []int
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

type ensemble struct {
	servers []*zkserver.Server
	addrs   []string
}

func startZkgoEnsemble(t *testing.T, n int, leader int64) *ensemble {
	ports := freePorts(t, 3*n)
	var lines []string
	for i := 0; i < n; i++ {
		lines = append(lines, fmt.Sprintf("server.%d=127.0.0.1:%d:%d;127.0.0.1:%d", i+1, ports[3*i+1], ports[3*i+2], ports[3*i]))
	}
	e := &ensemble{}
	var out io.Writer = io.Discard
	if os.Getenv("ZKGO_TEST_LOG") != "" {
		out = os.Stderr
	}
	for i := 0; i < n; i++ {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "myid"), []byte(fmt.Sprint(i+1)), 0o644)
		text := fmt.Sprintf("tickTime=200\ninitLimit=10\nsyncLimit=5\ndataDir=%s\n4lw.commands.whitelist=*\nadmin.enableServer=false\n%s\n", dir, strings.Join(lines, "\n"))
		cfg, err := config.Parse(strings.NewReader(text))
		if err != nil {
			t.Fatal(err)
		}
		lg := slog.New(slog.NewTextHandler(out, nil)).With("sid", i+1)
		s, err := zkserver.Start(cfg, zkserver.Options{Logger: lg, Elector: staticElector{leader}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Close)
		e.servers = append(e.servers, s)
		e.addrs = append(e.addrs, s.Addr())
	}
	return e
}

func connectTo(t *testing.T, addr string) *zk.Conn {
	t.Helper()
	c, ev, err := zk.Connect([]string{addr}, 4*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	deadline := time.After(20 * time.Second)
	for {
		select {
		case e := <-ev:
			if e.State == zk.StateHasSession {
				return c
			}
		case <-deadline:
			t.Fatalf("no session on %s", addr)
		}
	}
}

func TestZkgoEnsembleReplicates(t *testing.T) {
	e := startZkgoEnsemble(t, 3, 3)
	var conns []*zk.Conn
	for _, a := range e.addrs {
		conns = append(conns, connectTo(t, a))
	}
	acl := zk.WorldACL(zk.PermAll)
	for i, c := range conns {
		if _, err := c.Create(fmt.Sprintf("/n%d", i), []byte{byte(i)}, 0, acl); err != nil {
			t.Fatalf("create via node %d: %v", i+1, err)
		}
	}
	for i, c := range conns {
		if _, err := c.Sync("/"); err != nil {
			t.Fatal(err)
		}
		for j := range conns {
			d, _, err := c.Get(fmt.Sprintf("/n%d", j))
			if err != nil || len(d) != 1 || d[0] != byte(j) {
				t.Fatalf("node %d reading /n%d: %v %v", i+1, j, d, err)
			}
		}
	}
	// A watch set on one node fires for a write through another.
	_, _, ch, err := conns[0].GetW("/n2")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conns[2].Set("/n2", []byte("x"), -1); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-ch:
		if ev.Type != zk.EventNodeDataChanged {
			t.Fatalf("event %+v", ev)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("watch did not fire across nodes")
	}
	// Ephemerals vanish everywhere when the session closes.
	if _, err := conns[1].Create("/eph", nil, zk.FlagEphemeral, acl); err != nil {
		t.Fatal(err)
	}
	conns[0].Sync("/")
	if ok, _, _ := conns[0].Exists("/eph"); !ok {
		t.Fatal("ephemeral not replicated")
	}
	conns[1].Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		conns[2].Sync("/")
		ok, _, _ := conns[2].Exists("/eph")
		if !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("ephemeral survived its session")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
