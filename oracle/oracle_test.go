package oracle

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

// quiet drops go-zookeeper's log lines (its goroutines may log after a test has ended).
type quiet struct{}

func (quiet) Printf(string, ...any) {}

// connect opens a go-zookeeper session to addrs and waits until it has a session.
func connect(t *testing.T, addrs ...string) *zk.Conn {
	t.Helper()
	c, events, err := zk.Connect(addrs, 10*time.Second, zk.WithLogger(quiet{}))
	if err != nil {
		t.Fatalf("connect %v: %v", addrs, err)
	}
	t.Cleanup(c.Close)
	deadline := time.After(30 * time.Second)
	for {
		select {
		case ev := <-events:
			if ev.State == zk.StateHasSession {
				return c
			}
		case <-deadline:
			t.Fatalf("connect %v: no session after 30 s (state %v)", addrs, c.State())
		}
	}
}

func createAndRead(t *testing.T, s *Server) {
	t.Helper()
	c := connect(t, s.ClientAddr())
	want := []byte("hello from " + s.Version)
	path, err := c.Create("/oracle", want, 0, zk.WorldACL(zk.PermAll))
	if err != nil {
		t.Fatalf("%s: create /oracle: %v", s, err)
	}
	if path != "/oracle" {
		t.Fatalf("%s: create returned %q", s, path)
	}
	got, stat, err := c.Get("/oracle")
	if err != nil {
		t.Fatalf("%s: get /oracle: %v", s, err)
	}
	if !bytes.Equal(got, want) || stat.DataLength != int32(len(want)) {
		t.Fatalf("%s: get /oracle = %q (stat %+v), want %q", s, got, stat, want)
	}
}

func TestStandalone(t *testing.T) {
	for _, v := range []string{V3_4_13, V3_8_0} {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			s, err := StartStandalone(t, v, Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s serving %v after start", s, time.Since(start).Round(time.Millisecond))
			if m, err := s.Mode(); err != nil || m != "standalone" {
				t.Fatalf("%s: mode %q, %v", s, m, err)
			}
			reply, err := s.FourLetter("srvr", 5*time.Second)
			if err != nil || !strings.Contains(reply, "Zookeeper version: "+v) {
				t.Fatalf("%s: srvr = %q, %v", s, reply, err)
			}
			createAndRead(t, s)
		})
	}
}

func TestEnsemble393(t *testing.T) {
	t.Parallel()
	start := time.Now()
	e, err := StartEnsemble(t, V3_9_3, 3, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("3-node ensemble serving %v after start", time.Since(start).Round(time.Millisecond))
	leader, err := e.Leader()
	if err != nil {
		t.Fatal(err)
	}
	modes := e.Modes()
	if len(modes) != 3 {
		t.Fatalf("modes %v", modes)
	}
	var followers []*Server
	for _, s := range e.Servers {
		if s != leader {
			if modes[s.Myid] != "follower" {
				t.Fatalf("server.%d mode %q, want follower (modes %v)", s.Myid, modes[s.Myid], modes)
			}
			followers = append(followers, s)
		}
	}

	// Write through one follower, read through the other after Sync.
	w := connect(t, followers[0].ClientAddr())
	r := connect(t, followers[1].ClientAddr())
	want := []byte("written via server." + fmt.Sprint(followers[0].Myid))
	if _, err := w.Create("/ens", want, 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatalf("create via %s: %v", followers[0], err)
	}
	if _, err := r.Sync("/ens"); err != nil {
		t.Fatalf("sync via %s: %v", followers[1], err)
	}
	got, _, err := r.Get("/ens")
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("get via %s = %q, %v; want %q", followers[1], got, err, want)
	}

	// Kill the leader: the other two elect a new one and keep the data.
	if err := leader.Kill(); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	nl, err := e.AwaitLeader(30 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("server.%d killed; server.%d leads %v later", leader.Myid, nl.Myid, time.Since(killed).Round(time.Millisecond))
	if nl == leader {
		t.Fatalf("killed leader still leads")
	}
	c := connect(t, nl.ClientAddr())
	if got, _, err := c.Get("/ens"); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("get via new leader %s = %q, %v", nl, got, err)
	}

	// The old leader comes back as a follower with the data.
	if err := leader.Start(); err != nil {
		t.Fatal(err)
	}
	if m, err := leader.Mode(); err != nil || m != "follower" {
		t.Fatalf("restarted %s: mode %q, %v", leader, m, err)
	}
}

// A standalone server started on a dataDir another version wrote: 3.4.13 writes, 3.9.3 reads.
// 3.4.13 takes no snapshot at start-up, and 3.5+ refuses a dataDir with transaction logs and
// no snapshot unless zookeeper.snapshot.trust.empty=true.
func TestStandaloneOnForeignDataDir(t *testing.T) {
	t.Parallel()
	old, err := StartStandalone(t, V3_4_13, Options{})
	if err != nil {
		t.Fatal(err)
	}
	createAndRead(t, old)
	if err := old.Stop(); err != nil {
		t.Fatal(err)
	}
	logs, _ := filepath.Glob(filepath.Join(old.DataDir, "version-2", "log.*"))
	snaps, _ := filepath.Glob(filepath.Join(old.DataDir, "version-2", "snapshot.*"))
	if len(logs) == 0 || len(snaps) != 0 {
		t.Fatalf("3.4.13 dataDir: logs %v, snapshots %v; want logs and no snapshot", logs, snaps)
	}

	s, err := StartStandalone(t, V3_9_3, Options{
		DataDir:  old.DataDir,
		JVMFlags: []string{"-Dzookeeper.snapshot.trust.empty=true"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.DataDir != old.DataDir {
		t.Fatalf("DataDir %q, want %q", s.DataDir, old.DataDir)
	}
	c := connect(t, s.ClientAddr())
	got, _, err := c.Get("/oracle")
	if err != nil || string(got) != "hello from 3.4.13" {
		t.Fatalf("%s: get /oracle = %q, %v", s, got, err)
	}

	// The classpath also runs the tools: 3.9.3's TxnLogToolkit dumps the log 3.4.13 wrote.
	d, err := Ensure(V3_9_3)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := d.Command(ctx, nil, "org.apache.zookeeper.server.persistence.TxnLogToolkit", "-d", logs[0]).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "create /oracle,hello from 3.4.13") {
		t.Fatalf("TxnLogToolkit %s: %v\n%s", logs[0], err, tail(string(out), 20))
	}
}

// StartMembers with a member the harness does not run (as a zkgo node will be): two Java
// nodes of three form a quorum on their own.
func TestStartMembersWithForeignMember(t *testing.T) {
	t.Parallel()
	ms, err := AllocateMembers(3, false)
	if err != nil {
		t.Fatal(err)
	}
	ms[0].Version = V3_8_0
	ms[1].Version = V3_8_0 // ms[2] is left to "someone else" and never started
	e, err := StartMembers(t, ms, Options{NoWait: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Servers) != 2 || e.Server(3) != nil {
		t.Fatalf("servers %v", e.Servers)
	}
	if err := e.WaitReady(60 * time.Second); err != nil {
		t.Fatal(err)
	}
	cfg, err := os.ReadFile(e.Server(1).ConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	if want := ServerLine(ms[2], V3_8_0); !strings.Contains(string(cfg), want+"\n") {
		t.Fatalf("zoo.cfg lacks %q:\n%s", want, cfg)
	}
	if got := strings.Count(e.ConnectString(), ","); got != 2 {
		t.Fatalf("ConnectString %q", e.ConnectString())
	}
	c := connect(t, e.Server(1).ClientAddr(), e.Server(2).ClientAddr())
	if _, err := c.Create("/two", nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
}

func TestServerLine(t *testing.T) {
	m := Member{ID: 3, ClientPort: 2181, QuorumPort: 2888, ElectionPort: 3888, Observer: true}
	for _, c := range []struct{ version, want string }{
		{V3_4_13, "server.3=127.0.0.1:2888:3888:observer"},
		{V3_9_3, "server.3=127.0.0.1:2888:3888:observer;127.0.0.1:2181"},
		{"", "server.3=127.0.0.1:2888:3888:observer;127.0.0.1:2181"},
	} {
		if got := ServerLine(m, c.version); got != c.want {
			t.Errorf("ServerLine(%+v, %q) = %q, want %q", m, c.version, got, c.want)
		}
	}
}

func TestFreePortsDistinct(t *testing.T) {
	a, err := FreePorts(20)
	if err != nil {
		t.Fatal(err)
	}
	b, err := FreePorts(20)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, p := range append(a, b...) {
		if seen[p] || p <= 0 {
			t.Fatalf("port %d repeated or invalid in %v %v", p, a, b)
		}
		seen[p] = true
	}
}
