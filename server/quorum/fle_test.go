package quorum_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zkgo/zkgo/compat/zkwire"
	"github.com/zkgo/zkgo/jute/records"
	"github.com/zkgo/zkgo/oracle"
	"github.com/zkgo/zkgo/server/node"
	"github.com/zkgo/zkgo/server/zkserver"
	"github.com/zkgo/zkgo/wire"
)

// role of an in-process zkgo member.
func role(s *zkserver.Server) (node.Role, bool) {
	var r node.Role
	var serving bool
	s.Node.Do(func() { r, serving = s.Node.Role(), s.Node.Serving() })
	return r, serving
}

// mixed is an ensemble of Java and zkgo members with real elections.
type mixed struct {
	t       *testing.T
	members []oracle.Member
	java    *oracle.Ensemble
	zkgo    map[int]*zkserver.Server
	mu      sync.Mutex
}

// startMixed starts the members: versions[i] is a Java version, or "zkgo".
func startMixed(t *testing.T, versions []string, observers ...int) *mixed {
	ms, err := oracle.AllocateMembers(len(versions), false)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range observers {
		ms[o-1].Observer = true
	}
	for i, v := range versions {
		if v != "zkgo" {
			ms[i].Version = v
		}
	}
	m := &mixed{t: t, members: ms, zkgo: map[int]*zkserver.Server{}}
	m.java, err = oracle.StartMembers(t, ms, oracle.Options{TickTime: 200, InitLimit: 10, SyncLimit: 5, NoWait: true})
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range versions {
		if v == "zkgo" {
			m.zkgo[i+1] = startZkgoMember(t, ms[i], ms, nil)
		}
	}
	m.awaitLeader(60 * time.Second)
	return m
}

func (m *mixed) mode(id int) string {
	if z := m.zkgo[id]; z != nil {
		r, serving := role(z)
		if !serving {
			return ""
		}
		return r.String()
	}
	s := m.java.Server(id)
	if s == nil || !s.Running() {
		return ""
	}
	mode, _ := s.Mode()
	return mode
}

// awaitLeader waits until every live member serves and exactly one leads; it returns the
// leader's id.
func (m *mixed) awaitLeader(timeout time.Duration) int {
	m.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		leaders, serving, live := 0, 0, 0
		leader := 0
		for _, mb := range m.members {
			if !m.alive(mb.ID) {
				continue
			}
			live++
			switch md := m.mode(mb.ID); md {
			case "leader":
				leaders++
				leader = mb.ID
				serving++
			case "":
			default:
				serving++
			}
		}
		if leaders == 1 && serving == live {
			return leader
		}
		if time.Now().After(deadline) {
			modes := map[int]string{}
			for _, mb := range m.members {
				modes[mb.ID] = m.mode(mb.ID)
			}
			m.t.Fatalf("no single leader with every member serving: %v", modes)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (m *mixed) alive(id int) bool {
	if _, ok := m.zkgo[id]; ok {
		return m.zkgo[id] != nil
	}
	s := m.java.Server(id)
	return s != nil && s.Running()
}

func (m *mixed) kill(id int) {
	if z, ok := m.zkgo[id]; ok {
		z.Close()
		m.zkgo[id] = nil
		return
	}
	m.java.Server(id).Kill()
}

// checkReplication writes through every member and reads everything back through every other
// after a sync, and checks that a watch set on one member fires for a write on another.
func (m *mixed) checkReplication(tag string) {
	t := m.t
	t.Helper()
	var conns []*zk.Conn
	for _, mb := range m.members {
		if m.alive(mb.ID) {
			conns = append(conns, connectTo(t, mb.ClientAddr()))
		}
	}
	acl := zk.WorldACL(zk.PermAll)
	for i, c := range conns {
		if _, err := c.Create(fmt.Sprintf("/%s-%d", tag, i), []byte{byte(i)}, 0, acl); err != nil {
			t.Fatalf("create through member %d: %v", i, err)
		}
	}
	for i, c := range conns {
		if _, err := c.Sync("/"); err != nil {
			t.Fatal(err)
		}
		for j := range conns {
			if d, _, err := c.Get(fmt.Sprintf("/%s-%d", tag, j)); err != nil || len(d) != 1 || d[0] != byte(j) {
				t.Fatalf("member %d reading /%s-%d: %v %v", i, tag, j, d, err)
			}
		}
	}
	_, _, ch, err := conns[0].GetW(fmt.Sprintf("/%s-0", tag))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conns[len(conns)-1].Set(fmt.Sprintf("/%s-0", tag), []byte("w"), -1); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatal("watch did not fire across members")
	}
	for _, c := range conns {
		c.Close()
	}
}

// checkExpiry: a session that dies without closing (its connection just drops) expires on
// the leader, and its ephemeral vanishes on every member.
func (m *mixed) checkExpiry() {
	t := m.t
	t.Helper()
	var live []oracle.Member
	for _, mb := range m.members {
		if m.alive(mb.ID) {
			live = append(live, mb)
		}
	}
	raw, hs, err := zkwire.Connect(live[len(live)-1].ClientAddr(), zkwire.ConnectOptions{TimeoutMs: 400}, 10*time.Second)
	if err != nil || !hs.Valid() {
		t.Fatalf("raw session: %v", err)
	}
	raw.Start()
	if _, err := raw.Call(wire.OpCreate, &records.CreateRequest{Path: "/doomed", Data: []byte{}, ACL: []records.ACL{{Perms: 31, ID: records.ID{Scheme: "world", ID: "anyone"}}}, Flags: wire.ModeEphemeral}); err != nil {
		t.Fatal(err)
	}
	if ev, err := raw.Next(10 * time.Second); err != nil || ev.Err != wire.OK {
		t.Fatalf("ephemeral create: %+v %v", ev, err)
	}
	raw.Close() // no closeSession: the session must expire
	for _, mb := range live {
		c := connectTo(t, mb.ClientAddr())
		deadline := time.Now().Add(20 * time.Second)
		for {
			c.Sync("/")
			ok, _, err := c.Exists("/doomed")
			if err == nil && !ok {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("member %d still has the expired session's ephemeral", mb.ID)
			}
			time.Sleep(50 * time.Millisecond)
		}
		c.Close()
	}
}

// checkDigests: no member saw a txn whose tree digest differs from the one its author
// computed (Java followers check zkgo leaders' TxnDigests and the other way round).
func (m *mixed) checkDigests() {
	t := m.t
	t.Helper()
	for _, mb := range m.members {
		if !m.alive(mb.ID) {
			continue
		}
		if z := m.zkgo[mb.ID]; z != nil {
			if n := z.Node.Stats.DigestMismatches.Load(); n != 0 {
				t.Errorf("zkgo member %d: %d digest mismatches", mb.ID, n)
			}
			continue
		}
		out, err := oracle.FourLetter(mb.ClientAddr(), "mntr", 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, "zk_digest_mismatches_count\t") {
				found = true
				if !strings.HasSuffix(line, "\t0") {
					t.Errorf("java member %d: %s", mb.ID, line)
				}
			}
		}
		if !found && mb.Version != "3.4.13" { // 3.4 has no digests
			t.Errorf("java member %d: mntr has no zk_digest_mismatches_count", mb.ID)
		}
	}
}

func TestMixedEnsembles(t *testing.T) {
	cases := []struct {
		name      string
		versions  []string
		observers []int
	}{
		{"3-java-baseline", []string{"3.9.3", "3.9.3", "3.9.3"}, nil},
		{"3-zkgo", []string{"zkgo", "zkgo", "zkgo"}, nil},
		{"zkgo-follows-java", []string{"zkgo", "3.9.3", "3.9.3"}, nil},
		{"zkgo-observer-behind-java", []string{"3.9.3", "3.9.3", "3.9.3", "zkgo"}, []int{4}},
		{"2-java-1-zkgo", []string{"3.9.3", "3.9.3", "zkgo"}, nil},
		{"1-java-2-zkgo", []string{"3.9.3", "zkgo", "zkgo"}, nil},
		{"java-3.8-3.9-zkgo", []string{"3.8.0", "3.9.3", "zkgo"}, nil},
		{"java-observer-behind-zkgo", []string{"zkgo", "zkgo", "zkgo", "3.9.3"}, []int{4}},
		{"5-zkgo", []string{"zkgo", "zkgo", "zkgo", "zkgo", "zkgo"}, nil},
		{"java-3.4.13-2-zkgo", []string{"3.4.13", "zkgo", "zkgo"}, nil},
		{"zkgo-follows-java-3.4.13", []string{"zkgo", "zkgo", "3.4.13"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := startMixed(t, tc.versions, tc.observers...)
			leader := m.awaitLeader(30 * time.Second)
			t.Logf("leader %d (%s)", leader, tc.versions[leader-1])
			m.checkReplication("before")
			start := time.Now()
			m.kill(leader)
			newLeader := m.awaitLeader(60 * time.Second)
			t.Logf("killed leader %d (%s); new leader %d (%s) serving after %v", leader, tc.versions[leader-1], newLeader, tc.versions[newLeader-1], time.Since(start))
			m.checkReplication("after")
			m.checkExpiry()
			m.checkDigests()
		})
	}
}
