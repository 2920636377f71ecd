package quorum_test

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zkgo/zkgo/oracle"
	"github.com/zkgo/zkgo/server/config"
	"github.com/zkgo/zkgo/server/quorum"
	"github.com/zkgo/zkgo/server/zkserver"
)

// startZkgoMember runs a zkgo node for an oracle member slot.
func startZkgoMember(t *testing.T, m oracle.Member, all []oracle.Member, el quorum.Elector) *zkserver.Server {
	t.Helper()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "myid"), []byte(fmt.Sprint(m.ID)), 0o644)
	text := fmt.Sprintf("tickTime=200\ninitLimit=10\nsyncLimit=5\ndataDir=%s\n4lw.commands.whitelist=*\nadmin.enableServer=false\n%s\n",
		dir, strings.Join(oracle.ServerLines(all, ""), "\n"))
	cfg, err := config.Parse(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	var out io.Writer = io.Discard
	if os.Getenv("ZKGO_TEST_LOG") != "" {
		out = os.Stderr
	}
	s, err := zkserver.Start(cfg, zkserver.Options{Logger: slog.New(slog.NewTextHandler(out, nil)).With("sid", m.ID), Elector: el})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// TestZkgoFollowsJavaLeader: two Java 3.9.3 nodes form the quorum and elect one of them;
// a zkgo node (told who leads) joins as follower, syncs, and serves reads and writes.
func TestZkgoFollowsJavaLeader(t *testing.T) {
	ms, err := oracle.AllocateMembers(3, false)
	if err != nil {
		t.Fatal(err)
	}
	ms[0].Version, ms[1].Version = "3.9.3", "3.9.3"
	ens, err := oracle.StartMembers(t, ms, oracle.Options{TickTime: 200, InitLimit: 10, SyncLimit: 5})
	if err != nil {
		t.Fatal(err)
	}
	leader, err := ens.AwaitLeader(30 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	// Some history before zkgo joins, so it syncs real data.
	jc := connectTo(t, ms[0].ClientAddr())
	acl := zk.WorldACL(zk.PermAll)
	for i := 0; i < 20; i++ {
		if _, err := jc.Create(fmt.Sprintf("/pre%d", i), []byte("v"), 0, acl); err != nil {
			t.Fatal(err)
		}
	}
	z := startZkgoMember(t, ms[2], ms, staticElector{int64(leader.Myid)})
	gc := connectTo(t, z.Addr())
	if _, err := gc.Sync("/"); err != nil {
		t.Fatal(err)
	}
	kids, _, err := gc.Children("/")
	if err != nil || len(kids) < 21 {
		t.Fatalf("zkgo follower sees %d children after sync: %v", len(kids), err)
	}
	// Writes through zkgo are read through Java and the other way round.
	if _, err := gc.Create("/fromzkgo", []byte("g"), 0, acl); err != nil {
		t.Fatal(err)
	}
	jc.Sync("/")
	if d, _, err := jc.Get("/fromzkgo"); err != nil || string(d) != "g" {
		t.Fatalf("java reads zkgo's write: %q %v", d, err)
	}
	_, _, ch, err := gc.GetW("/pre1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jc.Set("/pre1", []byte("changed"), -1); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-ch:
		if ev.Type != zk.EventNodeDataChanged {
			t.Fatalf("event %+v", ev)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("java write did not fire the watch on zkgo")
	}
	// An ephemeral made through zkgo disappears everywhere when its session closes.
	if _, err := gc.Create("/eph", nil, zk.FlagEphemeral, acl); err != nil {
		t.Fatal(err)
	}
	jc.Sync("/")
	if ok, _, _ := jc.Exists("/eph"); !ok {
		t.Fatal("ephemeral from zkgo not on java")
	}
	gc.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		jc.Sync("/")
		if ok, _, _ := jc.Exists("/eph"); !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("ephemeral survived its closed session")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestZkgoObservesJavaEnsemble: a zkgo observer behind a 3-node Java 3.9.3 ensemble gets
// INFORMs, serves reads, and forwards writes.
func TestZkgoObservesJavaEnsemble(t *testing.T) {
	ms, err := oracle.AllocateMembers(4, false)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		ms[i].Version = "3.9.3"
	}
	ms[3].Observer = true
	ens, err := oracle.StartMembers(t, ms, oracle.Options{TickTime: 200, InitLimit: 10, SyncLimit: 5})
	if err != nil {
		t.Fatal(err)
	}
	leader, err := ens.AwaitLeader(30 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	z := startZkgoMember(t, ms[3], ms, staticElector{int64(leader.Myid)})
	jc := connectTo(t, ms[0].ClientAddr())
	acl := zk.WorldACL(zk.PermAll)
	if _, err := jc.Create("/obs", []byte("1"), 0, acl); err != nil {
		t.Fatal(err)
	}
	oc := connectTo(t, z.Addr())
	if _, err := oc.Sync("/obs"); err != nil {
		t.Fatal(err)
	}
	if d, _, err := oc.Get("/obs"); err != nil || string(d) != "1" {
		t.Fatalf("observer read: %q %v", d, err)
	}
	if _, err := oc.Create("/fromobserver", nil, 0, acl); err != nil {
		t.Fatalf("write through the observer: %v", err)
	}
	jc.Sync("/")
	if ok, _, err := jc.Exists("/fromobserver"); err != nil || !ok {
		t.Fatalf("java does not see the observer's write: %v %v", ok, err)
	}
	if mode := oracle.SrvrMode(fourLetter(t, z.Addr(), "srvr")); mode != "observer" {
		t.Logf("observer srvr mode %q", mode)
	}
}

func fourLetter(t *testing.T, addr, w string) string {
	s, _ := oracle.FourLetter(addr, w, 5*time.Second)
	return s
}
