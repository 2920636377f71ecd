package proxy

import (
	"bufio"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zkgo/zkgo/jute"
	"github.com/zkgo/zkgo/jute/records"
	"github.com/zkgo/zkgo/oracle"
	"github.com/zkgo/zkgo/wire"
	"github.com/zkgo/zkgo/zkgotest"
)

var crossJVM = oracle.Options{JVMFlags: []string{"-Dzookeeper.extendedTypesEnabled=true"}}

// crossProxy starts oracle and candidate Java servers and a cross-check proxy in front.
func crossProxy(t *testing.T, oracleVersion, candidateVersion string) (*Proxy, *syncBuffer) {
	t.Helper()
	o := startJava(t, oracleVersion, crossJVM)
	c := startJava(t, candidateVersion, crossJVM)
	var report syncBuffer
	p := startProxy(t, Config{Oracle: o.ClientAddr(), Candidate: c.ClientAddr(), Report: &report, MetricsAddr: "127.0.0.1:0"})
	return p, &report
}

// crossWorkload is the scripted workload both cross-check tests run: two go-zookeeper
// sessions exercising every classic operation, watches fired across sessions, multi
// (successful and failing), ACLs, auth, sequential and ephemeral nodes.
func crossWorkload(t *testing.T, addr string) {
	a, _ := connectZK(t, addr, 10*time.Second)
	b, _ := connectZK(t, addr, 10*time.Second)
	acl := zk.WorldACL(zk.PermAll)
	mk := func(c *zk.Conn, path, data string, flags int32) string {
		t.Helper()
		return must[string](t, "create "+path)(c.Create(path, []byte(data), flags, acl))
	}
	mk(a, "/cc", "", 0)
	mk(a, "/cc/a", "1", 0)
	for i := 0; i < 3; i++ {
		mk(a, "/cc/seq-", "s", zk.FlagSequence)
	}
	eph := mk(a, "/cc/eph", "e", zk.FlagEphemeral)
	a.Get("/cc/a")
	a.Exists("/cc/missing")
	a.Children("/cc")
	a.Children("/")
	a.Children("/zookeeper")
	a.Set("/cc/a", []byte("2"), 0)
	a.Set("/cc/a", []byte("x"), 0) // BADVERSION
	a.Create("/cc/a", nil, 0, acl) // NODEEXISTS
	a.Delete("/cc", -1)            // NOTEMPTY
	a.Delete("/cc/missing", -1)    // NONODE

	// The ephemeral's owner, read by the other session, maps through the session table.
	if _, st, err := b.Get(eph); err != nil || st.EphemeralOwner != a.SessionID() {
		t.Fatalf("get %s from b: owner %x err %v", eph, st.EphemeralOwner, err)
	}

	// Watches fired by the other session.
	_, _, w, err := a.GetW("/cc/a")
	check(t, "getW", err)
	b.Set("/cc/a", []byte("3"), -1)
	waitEvent(t, w, "data watch")
	_, _, w, err = a.ChildrenW("/cc")
	check(t, "childrenW", err)
	mk(b, "/cc/b", "", 0)
	waitEvent(t, w, "child watch")
	_, _, w, err = a.ExistsW("/cc/new")
	check(t, "existsW", err)
	mk(b, "/cc/new", "n", 0)
	waitEvent(t, w, "exists watch")
	_, _, w, err = a.GetW("/cc/new")
	check(t, "getW /cc/new", err)
	b.Delete("/cc/new", -1)
	waitEvent(t, w, "delete watch")
	// A watch fired by the watching session's own write.
	_, _, w, err = a.GetW("/cc/b")
	check(t, "getW /cc/b", err)
	a.Set("/cc/b", []byte("self"), -1)
	waitEvent(t, w, "own write watch")

	// multi, successful and failing.
	if _, err := a.Multi(
		&zk.CreateRequest{Path: "/cc/m", Data: []byte("m"), Acl: acl},
		&zk.SetDataRequest{Path: "/cc/m", Data: []byte("m2"), Version: 0},
		&zk.CheckVersionRequest{Path: "/cc/a", Version: 2},
		&zk.DeleteRequest{Path: "/cc/b", Version: -1},
	); err != nil {
		t.Fatalf("multi: %v", err)
	}
	a.Multi(&zk.CreateRequest{Path: "/cc/m2", Acl: acl}, &zk.CheckVersionRequest{Path: "/cc/a", Version: 99})

	// ACLs and auth.
	a.GetACL("/cc/a")
	a.SetACL("/cc/a", zk.WorldACL(zk.PermRead|zk.PermWrite|zk.PermAdmin), -1)
	a.GetACL("/cc/a")
	check(t, "addAuth", a.AddAuth("digest", []byte("user:secret")))
	mk(a, "/cc/private", "p", 0)
	a.SetACL("/cc/private", zk.DigestACL(zk.PermAll, "user", "secret"), -1)
	a.GetACL("/cc/private")
	b.Get("/cc/private") // NOAUTH
	a.Sync("/cc")
	a.Get("/cc/private")
	b.Close()
	a.Close()
}

// rawOp is one request on its own raw session (so a server that closes the connection
// after it affects nothing else).
type rawOp struct {
	name string
	op   wire.Op
	rec  jute.Record
}

// newerOps are the opcodes added after 3.4 plus a standalone check (closed by 3.9.3).
func newerOps() []rawOp {
	acl := openACL()
	return []rawOp{
		{"create2", wire.OpCreate2, &records.CreateRequest{Path: "/raw-c2", Data: []byte("c2"), ACL: acl}},
		{"createContainer", wire.OpCreateContainer, &records.CreateRequest{Path: "/raw-cont", ACL: acl, Flags: wire.ModeContainer}},
		{"createTTL", wire.OpCreateTTL, &records.CreateTTLRequest{Path: "/raw-ttl", ACL: acl, Flags: wire.ModePersistentWithTTL, Ttl: 60000}},
		{"multiRead", wire.OpMultiRead, multiRec{
			{Op: wire.OpGetData, Record: &records.GetDataRequest{Path: "/cc/a"}},
			{Op: wire.OpGetChildren, Record: &records.GetChildrenRequest{Path: "/cc"}},
			{Op: wire.OpGetData, Record: &records.GetDataRequest{Path: "/nope"}},
		}},
		{"getEphemerals", wire.OpGetEphemerals, &records.GetEphemeralsRequest{PrefixPath: "/"}},
		{"getAllChildrenNumber", wire.OpGetAllChildrenNumber, &records.GetAllChildrenNumberRequest{Path: "/cc"}},
		{"whoAmI", wire.OpWhoAmI, nil},
		{"addWatch", wire.OpAddWatch, &records.AddWatchRequest{Path: "/cc", Mode: wire.AddWatchPersistentRecursive}},
		{"checkWatches", wire.OpCheckWatches, &records.CheckWatchesRequest{Path: "/cc", Type: wire.WatcherAny}},
		{"removeWatches", wire.OpRemoveWatches, &records.RemoveWatchesRequest{Path: "/cc", Type: wire.WatcherAny}},
		{"check", wire.OpCheck, &records.CheckVersionRequest{Path: "/cc/a", Version: 2}},
	}
}

// runRawOps runs each op on a fresh session through addr and closes the session with
// closeSession (when the connection is still open).
func runRawOps(t *testing.T, addr string, ops []rawOp) {
	for _, o := range ops {
		r := dialRaw(t, addr)
		r.handshake(true)
		_, f := r.request(o.op, o.rec)
		r.write(f)
		r.c.SetReadDeadline(time.Now().Add(10 * time.Second))
		reply, err := readFrame(r.c, 1<<20, nil)
		if err != nil {
			t.Logf("%s: connection closed without a reply (%v)", o.name, err)
			continue
		}
		var h records.ReplyHeader
		jute.Unmarshal(reply[4:], &h)
		t.Logf("%s: %v", o.name, wire.Code(h.Err).String())
		_, f = r.request(wire.OpCloseSession, nil)
		r.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
		if _, err := r.c.Write(f); err == nil {
			r.c.SetReadDeadline(time.Now().Add(5 * time.Second))
			readFrame(r.c, 1<<20, nil)
		}
		r.c.Close()
	}
}

func parseReport(t *testing.T, report string) []Divergence {
	t.Helper()
	var out []Divergence
	sc := bufio.NewScanner(strings.NewReader(report))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var d Divergence
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			t.Fatalf("report line %q: %v", sc.Text(), err)
		}
		out = append(out, d)
	}
	return out
}

// runCross runs the scripted workload through a cross-check proxy and returns the closed
// proxy, its summary and the parsed report.
func runCross(t *testing.T, oracleVersion, candidateVersion string) (*Proxy, Summary, []Divergence) {
	p, report := crossProxy(t, oracleVersion, candidateVersion)
	addr := p.Addr().String()
	crossWorkload(t, addr)
	runRawOps(t, addr, newerOps())
	p.Close()
	sum := p.Summary()
	t.Logf("\n%s", sum)
	return p, sum, parseReport(t, report.String())
}

// TestCrossCheckSameVersion cross-checks Java 3.9.3 against Java 3.9.3: the workload must
// produce no divergence at all.
func TestCrossCheckSameVersion(t *testing.T) {
	_, sum, divs := runCross(t, "3.9.3", "3.9.3")
	for _, d := range divs {
		t.Errorf("divergence: %s", d.Description)
	}
	if sum.Divergences != 0 || len(divs) != 0 {
		t.Fatalf("%d divergences (%d report lines), want 0", sum.Divergences, len(divs))
	}
	if sum.Compared < 60 || sum.EventsCompared < 5 {
		t.Fatalf("compared %d replies and %d events; the workload has more", sum.Compared, sum.EventsCompared)
	}
	for _, op := range []string{"create", "getData", "setData", "multi", "multiRead", "getACL", "setACL", "auth", "sync", "create2", "whoAmI", "check"} {
		if sum.ComparedByOp[op] == 0 {
			t.Errorf("no %s compared", op)
		}
	}
}

// TestCrossCheck34 cross-checks Java 3.9.3 (oracle) against Java 3.4.13 (candidate) and
// checks that each real difference is reported, described, and that nothing else is.
func TestCrossCheck34(t *testing.T) {
	p, sum, divs := runCross(t, "3.9.3", "3.4.13")

	type exp struct {
		kind, op, path string
		desc           string // regexp for the description
	}
	zx := `\S+` // the oracle zxid, rendered by ordinal or as unpaired
	var want []exp
	// 3.9 notifications carry the zxid of the txn that fired them (ZOOKEEPER-4655); 3.4
	// sends -1.
	for _, e := range [][2]string{{"NodeDataChanged", "/cc/a"}, {"NodeChildrenChanged", "/cc"}, {"NodeCreated", "/cc/new"}, {"NodeDeleted", "/cc/new"}, {"NodeDataChanged", "/cc/b"}} {
		want = append(want, exp{"event", "notification", e[1], `^notification ` + e[0] + ` ` + e[1] + `: zxid oracle=` + zx + ` candidate=-1$`})
	}
	// 3.5+ keeps the ensemble config in /zookeeper/config.
	// Its extra child also shows in the stat: client-visible cversion is 2*cversion-numChildren.
	want = append(want, exp{"reply", "getChildren2", "/zookeeper", `^getChildren2 /zookeeper: children oracle=\["config","quota"\] candidate=\["quota"\]; ` +
		`stat.cversion oracle=-2 candidate=-1; stat.numChildren oracle=2 candidate=1$`})
	// Opcodes 3.4 does not know: UNIMPLEMENTED with zxid -1, then 3.4 closes the connection.
	for _, o := range newerOps() {
		if o.op == wire.OpCheck {
			continue
		}
		path := recordPath(o.rec)
		if o.op == wire.OpMultiRead {
			path = "/cc/a"
		}
		code := "OK"
		if o.op == wire.OpCheckWatches || o.op == wire.OpRemoveWatches {
			code = "NOWATCHER"
		}
		d := strings.TrimSpace(o.name + " " + path)
		want = append(want,
			exp{"reply", o.name, path, `^` + d + `: err oracle=` + code + ` candidate=UNIMPLEMENTED; zxid oracle=` + zx + ` candidate=-1$`},
			exp{"connection", o.name, path, `^` + d + `: the candidate closed the connection after answering it, the oracle kept it open \(it answered closeSession later\)` +
				// The client may send closeSession before the proxy sees the candidate close.
				`(; 1 requests unanswered by the candidate \(closeSession\))?$`})
	}
	// A standalone check: 3.9.3 rejects it with UNIMPLEMENTED and closes (ZOOKEEPER-2623);
	// 3.4.13 commits it as a txn, then fails to serialize the null reply body (a
	// NullPointerException in its log) and never answers.
	want = append(want,
		exp{"reply", "check", "/cc/a", `^check /cc/a: the candidate never answered \(the oracle answered UNIMPLEMENTED\)$`},
		exp{"connection", "check", "/cc/a", `^check /cc/a: the oracle closed the connection after answering it, the candidate kept it open$`})

	used := make([]bool, len(divs))
	for _, w := range want {
		re := regexp.MustCompile(w.desc)
		found := false
		for i, d := range divs {
			if !used[i] && d.Kind == w.kind && d.Op == w.op && d.Path == w.path && re.MatchString(d.Description) {
				used[i], found = true, true
				break
			}
		}
		if !found {
			t.Errorf("missing divergence %s %s %s matching %s", w.kind, w.op, w.path, w.desc)
		}
	}
	for i, d := range divs {
		if !used[i] {
			t.Errorf("unexpected divergence (%s): %s", d.Kind, d.Description)
		}
	}
	if sum.Divergences != int64(len(want)) {
		t.Errorf("summary counts %d divergences, want %d", sum.Divergences, len(want))
	}
	// Every classic operation agreed: create, getData, setData, delete, exists, multi,
	// ACLs, auth, sync, closeSession.
	for _, op := range []string{"create", "getData", "setData", "delete", "exists", "multi", "getACL", "setACL", "auth", "sync", "closeSession"} {
		if sum.ComparedByOp[op] == 0 || sum.DivergencesByOp[op] != 0 {
			t.Errorf("%s: %d compared, %d divergences; want some and none", op, sum.ComparedByOp[op], sum.DivergencesByOp[op])
		}
	}
	// The report lines carry both replies decoded.
	for _, d := range divs {
		if d.Kind == "reply" && d.Op == "create2" {
			o, _ := json.Marshal(d.Oracle)
			c, _ := json.Marshal(d.Candidate)
			if !strings.Contains(string(o), `"path":"/raw-c2"`) || !strings.Contains(string(c), `"err":"UNIMPLEMENTED"`) {
				t.Errorf("create2 report: oracle %s candidate %s", o, c)
			}
		}
	}
	m := gathered(t, p)
	if got := m.value("zkproxy_crosscheck_divergences_total", "op=notification,kind=event"); got != 5 {
		t.Errorf("crosscheck_divergences_total{notification,event} = %v, want 5", got)
	}
}

// TestCrossCheckZkgo is the use the mode is for: Java 3.9.3 as the oracle, the in-process
// zkgo server as the candidate, the same workload; zkgo must agree with Java on all of it.
func TestCrossCheckZkgo(t *testing.T) {
	o := startJava(t, "3.9.3", crossJVM)
	z := zkgotest.Start(t, zkgotest.WithConfig("zookeeper.extendedTypesEnabled", "true"))
	var report syncBuffer
	p := startProxy(t, Config{Oracle: o.ClientAddr(), Candidate: z.Addr(), Report: &report})
	addr := p.Addr().String()
	crossWorkload(t, addr)
	runRawOps(t, addr, newerOps())
	p.Close()
	sum := p.Summary()
	t.Logf("\n%s", sum)
	for _, d := range parseReport(t, report.String()) {
		t.Errorf("zkgo diverges from Java 3.9.3 (%s): %s", d.Kind, d.Description)
	}
	if sum.Compared < 60 || sum.Uncompared != 0 {
		t.Errorf("compared %d, uncompared %d", sum.Compared, sum.Uncompared)
	}
}

// TestCrossCheckReconnect resumes a session through the cross-check proxy: the candidate
// gets its own session id, password and last zxid in the ConnectRequest and its own zxid in
// setWatches, so the resumed session, its ephemeral and its re-armed watch agree on both.
func TestCrossCheckReconnect(t *testing.T) {
	o := startJava(t, "3.9.3", crossJVM)
	c := startJava(t, "3.9.3", crossJVM)
	// Put the oracle's zxids ahead of the candidate's: a resume that sent the client's
	// (oracle) lastZxidSeen to the candidate would be refused as "client zxid ahead".
	direct := dialRaw(t, o.ClientAddr())
	direct.handshake(true)
	for i := 0; i < 5; i++ {
		direct.call(wire.OpCreate, &records.CreateRequest{Path: fmt.Sprintf("/ahead-%d", i), ACL: openACL()})
	}
	var report syncBuffer
	p := startProxy(t, Config{Oracle: o.ClientAddr(), Candidate: c.ClientAddr(), Report: &report})
	addr := p.Addr().String()

	r1 := dialRaw(t, addr)
	_, cr := r1.handshake(true)
	h, _ := r1.call(wire.OpCreate, &records.CreateRequest{Path: "/rc", ACL: openACL(), Flags: wire.ModeEphemeral})
	if h.Err != 0 {
		t.Fatalf("create /rc: %v", wire.Code(h.Err).String())
	}
	h, _ = r1.call(wire.OpGetData, &records.GetDataRequest{Path: "/rc"})
	last := h.Zxid
	r1.c.Close() // no closeSession: the session lives on

	r2 := dialRaw(t, addr)
	r2.write(connectFrame(cr.SessionID, cr.Passwd, last, true))
	resp, _, err := wire.DecodeConnectResponse(r2.readFrame()[4:])
	if err != nil || resp.SessionID != cr.SessionID || resp.TimeOut <= 0 {
		t.Fatalf("resume: %+v %v", resp, err)
	}
	// setWatches goes with xid -8, as clients send it.
	r2.write(wire.AppendFrame(nil, &records.RequestHeader{Xid: wire.XidSetWatches, Type: int32(wire.OpSetWatches)},
		&records.SetWatches{RelativeZxid: last, DataWatches: []string{"/rc"}, ExistWatches: []string{}, ChildWatches: []string{}}))
	jute.Unmarshal(r2.readFrame()[4:], &h)
	if h.Err != 0 || h.Xid != wire.XidSetWatches {
		t.Fatalf("setWatches reply %+v", h)
	}
	other, _ := connectZK(t, addr, 10*time.Second)
	must[*zk.Stat](t, "set /rc")(other.Set("/rc", []byte("x"), -1))
	ev := r2.readFrame()
	var eh records.ReplyHeader
	jute.Unmarshal(ev[4:], &eh)
	if eh.Xid != wire.XidNotification {
		t.Fatalf("expected the re-armed watch to fire, got xid %d", eh.Xid)
	}
	_, st, err := other.Get("/rc")
	check(t, "get /rc", err)
	if st.EphemeralOwner != cr.SessionID {
		t.Fatalf("/rc owner %x, want %x", st.EphemeralOwner, cr.SessionID)
	}
	r2.call(wire.OpCloseSession, nil)
	other.Close()
	p.Close()
	sum := p.Summary()
	t.Logf("\n%s", sum)
	for _, d := range parseReport(t, report.String()) {
		t.Errorf("divergence (%s): %s", d.Kind, d.Description)
	}
	if sum.Sessions != 3 || sum.ComparedByOp["setWatches"] != 1 || sum.EventsCompared != 1 {
		t.Errorf("setWatches compared %d, events compared %d; want 1 and 1", sum.ComparedByOp["setWatches"], sum.EventsCompared)
	}
}
