package quorum_test

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zkgo/zkgo/compat/zkwire"
	"github.com/zkgo/zkgo/jute"
	"github.com/zkgo/zkgo/jute/records"
	"github.com/zkgo/zkgo/oracle"
	"github.com/zkgo/zkgo/server/config"
	"github.com/zkgo/zkgo/server/zkserver"
	"github.com/zkgo/zkgo/wire"
)

// superDigest is super:test (go-zookeeper's test clusters use the same).
const superDigest = "super:D/InIHSb7yEEbrWz8b9l71RjZJU="

// reconfigNode is one ensemble member as the reconfig tests see it, Java or zkgo.
type reconfigNode struct {
	id         int
	clientAddr string
	cfgPath    string // its zoo.cfg
	leader     func() bool
	srv        *zkserver.Server // zkgo nodes
}

// startZkgoReconfig runs a zkgo ensemble on ms with reconfigEnabled=true, each node with its
// zoo.cfg on disk (so activated configs are written next to it) and FastLeaderElection.
func startZkgoReconfig(t *testing.T, ms []oracle.Member) []reconfigNode {
	return startZkgoReconfigMembers(t, ms, ms)
}

// startZkgoReconfigMembers runs zkgo nodes for run, members of the ensemble ms.
func startZkgoReconfigMembers(t *testing.T, ms, run []oracle.Member) []reconfigNode {
	var nodes []reconfigNode
	for _, m := range run {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "myid"), []byte(fmt.Sprint(m.ID)), 0o644)
		text := fmt.Sprintf("tickTime=200\ninitLimit=10\nsyncLimit=5\ndataDir=%s\nclientPort=%d\nclientPortAddress=127.0.0.1\n"+
			"4lw.commands.whitelist=*\nadmin.enableServer=false\nreconfigEnabled=true\n"+
			"DigestAuthenticationProvider.superDigest=%s\n%s\n", dir, m.ClientPort, superDigest, strings.Join(oracle.ServerLines(ms, ""), "\n"))
		path := filepath.Join(dir, "zoo.cfg")
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		addr := m.ClientAddr()
		nodes = append(nodes, reconfigNode{id: m.ID, clientAddr: addr, cfgPath: path, srv: startFromFile(t, m.ID, path),
			leader: func() bool { return oracle.SrvrMode(fourLetter(t, addr, "srvr")) == "leader" }})
	}
	return nodes
}

// startFromFile starts a zkgo server from the zoo.cfg at path (and what it names).
func startFromFile(t *testing.T, id int, path string) *zkserver.Server {
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	var out io.Writer = io.Discard
	if os.Getenv("ZKGO_TEST_LOG") != "" {
		out = os.Stderr
	}
	s, err := zkserver.Start(cfg, zkserver.Options{Logger: slog.New(slog.NewTextHandler(out, nil)).With("sid", id)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func startJavaReconfig(t *testing.T, ms []oracle.Member) []reconfigNode {
	for i := range ms {
		ms[i].Version = "3.9.3"
	}
	ens, err := oracle.StartMembers(t, ms, oracle.Options{TickTime: 200, InitLimit: 10, SyncLimit: 5,
		Extra: []string{"reconfigEnabled=true"}, JVMFlags: []string{"-Dzookeeper.DigestAuthenticationProvider.superDigest=" + superDigest}})
	if err != nil {
		t.Fatal(err)
	}
	var nodes []reconfigNode
	for _, s := range ens.Servers {
		s := s
		nodes = append(nodes, reconfigNode{id: s.Myid, clientAddr: s.ClientAddr(), cfgPath: s.ConfigPath,
			leader: func() bool { m, _ := s.Mode(); return m == "leader" }})
	}
	return nodes
}

// awaitLeader waits until one node reports leading and every node serves (a reconfig needs
// a synced quorum of the new config, else NEWCONFIGNOQUORUM).
func awaitLeader(t *testing.T, nodes []reconfigNode) reconfigNode {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		serving := 0
		for _, n := range nodes {
			if oracle.SrvrMode(fourLetter(t, n.clientAddr, "srvr")) != "" {
				serving++
			}
		}
		for _, n := range nodes {
			if serving == len(nodes) && n.leader() {
				return n
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("no leader")
	return reconfigNode{}
}

// reconfigTranscript runs the reconfig scenario on an ensemble and returns what it saw, with
// ports named after their member (C1 client, Q1 quorum, E1 election of server 1) and config
// versions and zxids shown relative to the first reply's zxid (Z+n).
func reconfigTranscript(t *testing.T, ms []oracle.Member, nodes []reconfigNode) []string {
	leader := awaitLeader(t, nodes)
	var followers []reconfigNode
	for _, n := range nodes {
		if n.id != leader.id {
			followers = append(followers, n)
		}
	}
	var out []string
	base := int64(-1)
	repl := []string{}
	for _, m := range ms {
		repl = append(repl, fmt.Sprint(m.ClientPort), fmt.Sprintf("C%d", m.ID), fmt.Sprint(m.QuorumPort), fmt.Sprintf("Q%d", m.ID),
			fmt.Sprint(m.ElectionPort), fmt.Sprintf("E%d", m.ID))
	}
	ports := strings.NewReplacer(repl...)
	rel := func(z int64) string {
		if z <= 0 {
			return fmt.Sprint(z)
		}
		return fmt.Sprintf("Z%+d", z-base)
	}
	norm := func(data string) string {
		data = ports.Replace(data)
		if i := strings.LastIndex(data, "version="); i >= 0 {
			var v int64
			fmt.Sscanf(data[i:], "version=%x", &v)
			data = data[:i] + "version=" + rel(v)
		}
		return data
	}
	conn := func(addr string) *zkwire.Conn {
		c, _, err := zkwire.Connect(addr, zkwire.ConnectOptions{TimeoutMs: 10000}, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	var lastVersion int64
	do := func(what string, c *zkwire.Conn, op wire.Op, rec jute.Record) {
		xid, err := c.Call(op, rec)
		if err != nil {
			t.Fatal(err)
		}
		for {
			ev, err := c.Next(20 * time.Second)
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			if ev.Kind == zkwire.KindClosed {
				out = append(out, what+": closed")
				return
			}
			if ev.Xid != xid {
				continue
			}
			if base < 0 {
				base = ev.Zxid
			}
			line := fmt.Sprintf("%s: zxid=%s %s", what, rel(ev.Zxid), ev.Err)
			if r, ok := ev.Body.(*records.GetDataResponse); ok {
				s := r.Stat
				line += fmt.Sprintf(" czxid=%d mzxid=%s version=%d aversion=%d len=%d data=%q", s.Czxid, rel(s.Mzxid), s.Version, s.Aversion, s.DataLength, norm(string(r.Data)))
				if s.Mtime <= 0 {
					line += " mtime=0"
				}
				lastVersion = s.Mzxid
			}
			out = append(out, line)
			return
		}
	}
	inc := func(joining, leaving string, cur int64) *wire.ReconfigRequest {
		r := &wire.ReconfigRequest{NullNewMembers: true, NullJoining: joining == "", NullLeaving: leaving == ""}
		r.JoiningServers, r.LeavingServers, r.CurConfigID = joining, leaving, cur
		return r
	}
	full := func(members string) *wire.ReconfigRequest {
		r := &wire.ReconfigRequest{NullJoining: true, NullLeaving: true}
		r.NewMembers, r.CurConfigID = members, -1
		return r
	}
	f := followers[0]
	fs := fmt.Sprint(f.id)
	var fLine string
	var lines []string
	for _, m := range ms {
		l := oracle.ServerLine(m, "")
		lines = append(lines, l)
		if m.ID == f.id {
			fLine = l
		}
	}
	get := &records.GetDataRequest{Path: "/zookeeper/config"}
	c := conn(leader.clientAddr)
	do("get", c, wire.OpGetData, get)
	do("leave, no auth", c, wire.OpReconfig, inc("", fs, -1))
	do("bad version, no auth", c, wire.OpReconfig, inc("", fs, 5))
	do("auth", c, wire.OpAuth, &records.AuthPacket{Scheme: "digest", Auth: []byte("super:test")})
	do("bad version", c, wire.OpReconfig, inc("", fs, 5))
	do("join without '='", c, wire.OpReconfig, inc("server.9", "", -1))
	do("join bad spec", c, wire.OpReconfig, inc("server.9=bad", "", -1))
	do("join without client port", c, wire.OpReconfig, inc("server.9=127.0.0.1:1:2", "", -1))
	do("join duplicate address", c, wire.OpReconfig, inc(fmt.Sprintf("server.9=127.0.0.1:%d:3;127.0.0.1:4", ms[0].QuorumPort), "", -1))
	do("leave a non-number", c, wire.OpReconfig, inc("", "x", -1))
	do("join id not a number", c, wire.OpReconfig, inc("server.x=127.0.0.1:1:2;3", "", -1))
	do("leave all followers", c, wire.OpReconfig, inc("", fmt.Sprintf("%d,%d", followers[0].id, followers[1].id), -1))
	do("new members not running", c, wire.OpReconfig, full("server.7=127.0.0.1:1001:1002;127.0.0.1:1003,server.8=127.0.0.1:1004:1005;127.0.0.1:1006"))
	do("new members bad", c, wire.OpReconfig, full("server.7=foo"))
	do("new members unknown key", c, wire.OpReconfig, full(strings.Join(lines, "\n")+"\nfoo=bar"))
	do("new members empty", c, wire.OpReconfig, full(""))
	do("no change", c, wire.OpReconfig, inc("", "", -1))
	do("leave a follower", c, wire.OpReconfig, inc("", fs, -1))
	do("get", c, wire.OpGetData, get)
	do("rejoin it, stale version", c, wire.OpReconfig, inc(fLine, "", 1))
	do("rejoin it", c, wire.OpReconfig, inc(fLine, "", lastVersion))
	do("all, comma separated", c, wire.OpReconfig, full(strings.Join(lines, ",")))
	// Through a follower: the request is forwarded with its null strings intact.
	c2 := conn(followers[1].clientAddr)
	do("follower: auth", c2, wire.OpAuth, &records.AuthPacket{Scheme: "digest", Auth: []byte("super:test")})
	do("follower: no change", c2, wire.OpReconfig, inc("", "", -1))
	do("follower: get", c2, wire.OpGetData, get)

	// What the leader wrote next to its zoo.cfg.
	time.Sleep(200 * time.Millisecond)
	dir := filepath.Dir(leader.cfgPath)
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "zoo.cfg.dynamic.") {
			var v int64
			fmt.Sscanf(strings.TrimPrefix(e.Name(), "zoo.cfg.dynamic."), "%x", &v)
			b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
			names = append(names, fmt.Sprintf("file zoo.cfg.dynamic.%s: %q", rel(v), ports.Replace(string(b))))
		}
	}
	sort.Strings(names)
	out = append(out, names...)
	b, _ := os.ReadFile(leader.cfgPath)
	var keys []string
	for _, l := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(l, "=")
		switch {
		case k == "dynamicConfigFile":
			var ver int64
			fmt.Sscanf(v[strings.LastIndexByte(v, '.')+1:], "%x", &ver)
			keys = append(keys, fmt.Sprintf("dynamicConfigFile=%s/zoo.cfg.dynamic.%s", map[bool]string{true: "<dir>", false: "?"}[filepath.Dir(v) == dir], rel(ver)))
		case strings.HasPrefix(k, "server.") || strings.HasPrefix(k, "clientPort"):
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	out = append(out, "zoo.cfg: "+strings.Join(keys, " "))
	_, err := os.Stat(leader.cfgPath + ".bak")
	out = append(out, fmt.Sprintf("zoo.cfg.bak exists: %v", err == nil))
	return out
}

// TestReconfigMatchesJava runs one reconfig scenario on a Java 3.9.3 ensemble and on a zkgo
// ensemble (both with reconfigEnabled) and compares the transcripts: /zookeeper/config's
// content and stat, every reconfig error in Java's check order, the replies of successful
// incremental and non-incremental reconfigs (the new config text and stat), a reconfig
// forwarded by a follower, and the zoo.cfg.dynamic.<version> files and rewritten zoo.cfg.
func TestReconfigMatchesJava(t *testing.T) {
	run := func(start func(*testing.T, []oracle.Member) []reconfigNode) []string {
		ms, err := oracle.AllocateMembers(3, false)
		if err != nil {
			t.Fatal(err)
		}
		return reconfigTranscript(t, ms, start(t, ms))
	}
	sameTranscript(t, run(startJavaReconfig), run(startZkgoReconfig))
}

// sameTranscript fails unless zkgo's transcript is Java's, showing them side by side.
func sameTranscript(t *testing.T, java, got []string) {
	t.Helper()
	if strings.Join(java, "\n") != strings.Join(got, "\n") {
		for i := 0; i < max(len(java), len(got)); i++ {
			j, g := "", ""
			if i < len(java) {
				j = java[i]
			}
			if i < len(got) {
				g = got[i]
			}
			mark := "  "
			if j != g {
				mark = "!="
			}
			t.Logf("%s java: %s", mark, j)
			if j != g {
				t.Logf("   zkgo: %s", g)
			}
		}
		t.Fatal("transcripts differ")
	}
	t.Logf("transcript:\n%s", strings.Join(got, "\n"))
}

// TestReconfigMovesClientPort gives a follower another client port by an incremental
// reconfig, on Java 3.9.3 and on zkgo: the new port serves (four-letter words, new
// sessions), the old one stops accepting, and a session opened on the old port before the
// move keeps working (NIOServerCnxnFactory.reconfigure keeps the connections it has).
func TestReconfigMovesClientPort(t *testing.T) {
	run := func(start func(*testing.T, []oracle.Member) []reconfigNode) []string {
		ms, err := oracle.AllocateMembers(3, false)
		if err != nil {
			t.Fatal(err)
		}
		nodes := start(t, ms)
		leader := awaitLeader(t, nodes)
		var moved oracle.Member
		for _, m := range ms {
			if m.ID != leader.id {
				moved = m
				break
			}
		}
		oldAddr := moved.ClientAddr()
		before := connectTo(t, oldAddr)
		if _, err := before.Create("/before", []byte("x"), 0, zk.WorldACL(zk.PermAll)); err != nil {
			t.Fatal(err)
		}
		ports, err := oracle.FreePorts(1)
		if err != nil {
			t.Fatal(err)
		}
		moved.ClientPort = ports[0]
		newAddr := moved.ClientAddr()
		c := connectTo(t, leader.clientAddr)
		if err := c.AddAuth("digest", []byte("super:test")); err != nil {
			t.Fatal(err)
		}
		var out []string
		if _, err := c.IncrementalReconfig([]string{oracle.ServerLine(moved, "")}, nil, -1); err != nil {
			t.Fatalf("reconfig: %v", err)
		}
		// The follower activates the config at COMMITANDACTIVATE, a moment after the reply.
		deadline := time.Now().Add(20 * time.Second)
		for oracle.SrvrMode(fourLetter(t, newAddr, "srvr")) == "" && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		out = append(out, "new port srvr: "+oracle.SrvrMode(fourLetter(t, newAddr, "srvr")))
		refused := false
		for !refused && time.Now().Before(deadline) {
			if nc, err := net.DialTimeout("tcp", oldAddr, time.Second); err != nil {
				refused = true
			} else {
				nc.Close()
				time.Sleep(50 * time.Millisecond)
			}
		}
		out = append(out, fmt.Sprintf("old port refuses connections: %v", refused))
		after := connectTo(t, newAddr)
		after.Sync("/")
		_, _, err = after.Get("/before")
		out = append(out, fmt.Sprintf("new session on the new port reads /before: %v", err))
		_, err = before.Create("/from-old-session", nil, 0, zk.WorldACL(zk.PermAll))
		out = append(out, fmt.Sprintf("session opened on the old port writes: %v", err))
		if ok, _, err := after.Exists("/from-old-session"); err != nil || !ok {
			t.Fatalf("/from-old-session not seen on the new port: %v %v", ok, err)
		}
		data, _, _ := after.Get("/zookeeper/config")
		out = append(out, fmt.Sprintf("config names the new port: %v", strings.Contains(string(data), fmt.Sprintf(";127.0.0.1:%d", moved.ClientPort))))
		return out
	}
	java := run(startJavaReconfig)
	want := []string{"new port srvr: follower", "old port refuses connections: true",
		"new session on the new port reads /before: <nil>", "session opened on the old port writes: <nil>",
		"config names the new port: true"}
	if strings.Join(java, "\n") != strings.Join(want, "\n") {
		t.Fatalf("Java 3.9.3 did not do what this test expects:\n%s", strings.Join(java, "\n"))
	}
	sameTranscript(t, java, run(startZkgoReconfig))
}

// TestReconfigRemoveAdd removes a follower from a 3-node zkgo ensemble (plus an observer) and
// adds it back (incremental reconfigs through go-zookeeper's client); writes keep committing
// in the 2-voter config, the removed server keeps following as a non-voter and serves the new
// data, and every node, the observer (INFORMANDACTIVATE) included, ends with the same config.
func TestReconfigRemoveAdd(t *testing.T) {
	ms, err := oracle.AllocateMembers(4, false)
	if err != nil {
		t.Fatal(err)
	}
	ms[3].Observer = true
	nodes := startZkgoReconfig(t, ms)
	leader := awaitLeader(t, nodes)
	var removed oracle.Member
	for _, m := range ms {
		if m.ID != leader.id && !m.Observer {
			removed = m
			break
		}
	}
	c := connectTo(t, leader.clientAddr)
	if err := c.AddAuth("digest", []byte("super:test")); err != nil {
		t.Fatal(err)
	}
	data, _, err := c.Get("/zookeeper/config")
	if err != nil || !strings.HasSuffix(string(data), "version=100000000") {
		t.Fatalf("initial config %q %v", data, err)
	}
	if _, err := c.IncrementalReconfig(nil, []string{fmt.Sprint(removed.ID)}, -1); err != nil {
		t.Fatalf("remove %d: %v", removed.ID, err)
	}
	data, _, _ = c.Get("/zookeeper/config")
	if strings.Contains(string(data), fmt.Sprintf("server.%d=", removed.ID)) {
		t.Fatalf("server %d still in %q", removed.ID, data)
	}
	if _, err := c.Create("/after-remove", []byte("x"), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	// The removed server still follows and serves (a non-voting participant).
	rc := connectTo(t, removed.ClientAddr())
	if _, err := rc.Sync("/"); err != nil {
		t.Fatal(err)
	}
	if ok, _, err := rc.Exists("/after-remove"); !ok || err != nil {
		t.Fatalf("removed server does not see /after-remove: %v %v", ok, err)
	}
	if _, err := c.IncrementalReconfig([]string{oracle.ServerLine(removed, "")}, nil, -1); err != nil {
		t.Fatalf("add %d back: %v", removed.ID, err)
	}
	want, _, err := c.Get("/zookeeper/config")
	if err != nil || !strings.Contains(string(want), fmt.Sprintf("server.%d=", removed.ID)) {
		t.Fatalf("config after add %q %v", want, err)
	}
	sameConfig(t, nodes, want)
	// A restarted server reads the activated config from zoo.cfg's dynamicConfigFile and
	// rejoins with it.
	for i, n := range nodes {
		if n.id == removed.ID {
			n.srv.Close()
			nodes[i].srv = startFromFile(t, n.id, n.cfgPath)
		}
	}
	sameConfig(t, nodes, want)
}

// sameConfig checks that every node's /zookeeper/config is want, and that the config its
// zoo.cfg names (zoo.cfg.dynamic.<version>) has want's members and version.
func sameConfig(t *testing.T, nodes []reconfigNode, want []byte) {
	wantV, err := config.ParseVerifier(string(want))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		cn := connectTo(t, n.clientAddr)
		cn.Sync("/")
		got, _, err := cn.Get("/zookeeper/config")
		if err != nil || string(got) != string(want) {
			t.Fatalf("server %d: config %q, want %q (%v)", n.id, got, want, err)
		}
		cfg, err := config.Load(n.cfgPath)
		if err != nil {
			t.Fatal(err)
		}
		if v := cfg.Verifier(); !v.Equal(wantV) || v.Version != wantV.Version {
			t.Fatalf("server %d: zoo.cfg gives %q, want %q", n.id, v.Text(), want)
		}
	}
}

// startMixedReconfig runs ms with reconfigEnabled: members whose Version is set are Java
// processes, the others zkgo nodes (started first).
func startMixedReconfig(t *testing.T, ms []oracle.Member) map[int]reconfigNode {
	nodes := map[int]reconfigNode{}
	var zk []oracle.Member
	for _, m := range ms {
		if m.Version == "" {
			zk = append(zk, m)
		}
	}
	for _, n := range startZkgoReconfigMembers(t, ms, zk) {
		nodes[n.id] = n
	}
	ens, err := oracle.StartMembers(t, ms, oracle.Options{TickTime: 200, InitLimit: 10, SyncLimit: 5,
		Extra: []string{"reconfigEnabled=true"}, JVMFlags: []string{"-Dzookeeper.DigestAuthenticationProvider.superDigest=" + superDigest}})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range ens.Servers {
		s := s
		nodes[s.Myid] = reconfigNode{id: s.Myid, clientAddr: s.ClientAddr(), cfgPath: s.ConfigPath,
			leader: func() bool { m, _ := s.Mode(); return m == "leader" }}
	}
	return nodes
}

// TestReconfigMixedEnsemble: in an ensemble of Java 3.9.3 and zkgo nodes, a reconfig through
// a zkgo leader activates on Java followers, and one through a Java leader on a zkgo
// follower: every node ends with the same /zookeeper/config, and each activated config was
// written next to its zoo.cfg.
func TestReconfigMixedEnsemble(t *testing.T) {
	for _, tc := range []struct {
		name     string
		versions []string // per id; "" is zkgo
		zkgoLead bool
	}{
		{"zkgo leader", []string{"3.9.3", "3.9.3", ""}, true},  // zkgo starts first, with the highest id
		{"java leader", []string{"", "3.9.3", "3.9.3"}, false}, // zkgo (id 1) never wins
	} {
		t.Run(tc.name, func(t *testing.T) {
			ms, err := oracle.AllocateMembers(3, false)
			if err != nil {
				t.Fatal(err)
			}
			for i := range ms {
				ms[i].Version = tc.versions[i]
			}
			nodes := startMixedReconfig(t, ms)
			var list []reconfigNode
			for _, n := range nodes {
				list = append(list, n)
			}
			l := awaitLeader(t, list)
			if (tc.versions[l.id-1] == "") != tc.zkgoLead {
				t.Fatalf("leader %d (%q)", l.id, tc.versions[l.id-1])
			}
			c := connectTo(t, l.clientAddr)
			if err := c.AddAuth("digest", []byte("super:test")); err != nil {
				t.Fatal(err)
			}
			if _, err := c.IncrementalReconfig(nil, []string{"1"}, -1); err != nil {
				t.Fatalf("remove 1: %v", err)
			}
			if _, err := c.IncrementalReconfig([]string{oracle.ServerLine(ms[0], "")}, nil, -1); err != nil {
				t.Fatalf("add 1 back: %v", err)
			}
			want, _, err := c.Get("/zookeeper/config")
			if err != nil {
				t.Fatal(err)
			}
			sameConfig(t, list, want)
		})
	}
}
