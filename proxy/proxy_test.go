package proxy

import (
	"bufio"
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zkgo/zkgo/jute"
	"github.com/zkgo/zkgo/jute/records"
	"github.com/zkgo/zkgo/oracle"
	"github.com/zkgo/zkgo/wire"
)

// TestProxyGoZookeeper drives go-zookeeper through the proxy in front of Java 3.9.3 and then
// checks that the scraped metrics and the request log count exactly what was done.
func TestProxyGoZookeeper(t *testing.T) {
	srv := startJava(t, "3.9.3", oracle.Options{})
	var rlog syncBuffer
	p := startProxy(t, Config{
		Upstreams:               []string{srv.ClientAddr()},
		MetricsAddr:             "127.0.0.1:0",
		Log:                     &rlog,
		DefaultLatencyThreshold: time.Minute,                                                // every reply is "fast"...
		LatencyThresholds:       map[wire.Op]time.Duration{wire.OpSetData: time.Nanosecond}, // ...but setData is always "slow"
	})
	addr := p.Addr().String()
	a, _ := connectZK(t, addr, 15*time.Second)
	b, _ := connectZK(t, addr, 15*time.Second)
	acl := zk.WorldACL(zk.PermAll)

	// create x4 (/app, /app/a, /app/eph, /app/a duplicate), one under /other
	must[string](t, "create /app")(a.Create("/app", nil, 0, acl))
	must[string](t, "create /app/a")(a.Create("/app/a", []byte("one"), 0, acl))
	if _, err := a.Create("/app/a", nil, 0, acl); err != zk.ErrNodeExists {
		t.Fatalf("duplicate create: got %v, want ErrNodeExists", err)
	}
	must[string](t, "create /other")(a.Create("/other", nil, 0, acl))
	eph := must[string](t, "create ephemeral")(a.Create("/app/eph", []byte("e"), zk.FlagEphemeral, acl))

	// getData x2, setData x2
	data, st := must2[[]byte, *zk.Stat](t, "get /app/a")(a.Get("/app/a"))
	if string(data) != "one" || st.Version != 0 {
		t.Fatalf("get /app/a = %q v%d", data, st.Version)
	}
	must[*zk.Stat](t, "set /app/a")(a.Set("/app/a", []byte("two"), 0))
	if _, err := a.Set("/app/a", []byte("bad"), 0); err != zk.ErrBadVersion {
		t.Fatalf("set with stale version: got %v, want ErrBadVersion", err)
	}
	_, st = must2[[]byte, *zk.Stat](t, "get /app/eph")(a.Get(eph))
	if st.EphemeralOwner != a.SessionID() {
		t.Fatalf("ephemeralOwner = %x, want the session %x", st.EphemeralOwner, a.SessionID())
	}

	// Watches: a data watch and a child watch on a, fired by b.
	_, _, dataW, err := a.GetW("/app/a")
	check(t, "getW", err)
	_, _, childW, err := a.ChildrenW("/app")
	check(t, "childrenW", err)
	must[*zk.Stat](t, "b set /app/a")(b.Set("/app/a", []byte("three"), -1))
	if e := waitEvent(t, dataW, "data watch"); e.Type != zk.EventNodeDataChanged || e.Path != "/app/a" {
		t.Fatalf("data watch event = %+v", e)
	}
	must[string](t, "b create /app/b")(b.Create("/app/b", nil, 0, acl))
	if e := waitEvent(t, childW, "child watch"); e.Type != zk.EventNodeChildrenChanged || e.Path != "/app" {
		t.Fatalf("child watch event = %+v", e)
	}
	kids, _, err := a.Children("/app")
	check(t, "children", err)
	if strings.Join(sorted(kids), ",") != "a,b,eph" {
		t.Fatalf("children of /app = %v", kids)
	}

	// multi: create + setData + delete, then a failing multi.
	res, err := a.Multi(
		&zk.CreateRequest{Path: "/app/m", Data: []byte("m"), Acl: acl},
		&zk.SetDataRequest{Path: "/app/m", Data: []byte("m2"), Version: 0},
		&zk.DeleteRequest{Path: "/app/b", Version: -1},
	)
	check(t, "multi", err)
	if len(res) != 3 || res[0].String != "/app/m" {
		t.Fatalf("multi results %+v", res)
	}
	if _, err := a.Multi(&zk.CheckVersionRequest{Path: "/app/a", Version: 99}, &zk.DeleteRequest{Path: "/app/a", Version: -1}); err == nil {
		t.Fatal("multi with a failing check succeeded")
	}
	ok, _, err := a.Exists("/app/a")
	check(t, "exists", err)
	if !ok {
		t.Fatal("/app/a vanished after a failed multi")
	}
	// The ephemeral goes away with its session, seen through another session.
	sid := a.SessionID()
	a.Close()
	eventually(t, "ephemeral removed after close", func() bool {
		ok, _, err := b.Exists(eph)
		return err == nil && !ok
	})

	// A four-letter word from a fresh connection goes to the upstream and back.
	if out := fourLetter(t, addr, "srvr"); !strings.Contains(out, "Mode: standalone") {
		t.Fatalf("srvr through the proxy: %q", out)
	}

	// Metrics.
	m := scrape(t, p)
	want := []struct {
		name, labels string
		v            float64
	}{
		{"zkproxy_requests_total", "op=create,prefix=/app", 5 + 0}, // /app, /app/a, dup, /app/eph, b:/app/b
		{"zkproxy_requests_total", "op=create,prefix=/other", 1},
		{"zkproxy_requests_total", "op=getData", 3}, // 2 Get + GetW
		{"zkproxy_requests_total", "op=setData", 3},
		{"zkproxy_requests_total", "op=multi", 2},
		{"zkproxy_requests_total", "op=getChildren2", 2},
		{"zkproxy_requests_total", "op=closeSession", 1},
		{"zkproxy_replies_total", "op=create", 6},
		{"zkproxy_replies_total", "op=setData", 3},
		{"zkproxy_replies_total", "op=multi", 2},
		{"zkproxy_reply_errors_total", "op=create,code=NODEEXISTS", 1},
		{"zkproxy_reply_errors_total", "op=setData,code=BADVERSION", 1},
		{"zkproxy_multi_ops_total", "parent=multi,op=create", 1},
		{"zkproxy_multi_ops_total", "parent=multi,op=setData", 1},
		{"zkproxy_multi_ops_total", "parent=multi,op=delete", 2},
		{"zkproxy_multi_ops_total", "parent=multi,op=check", 1},
		// A failed multi reports every result as an error result: the failing check gets
		// BADVERSION, the delete after it RUNTIMEINCONSISTENCY. The successful one gives 3 OKs.
		{"zkproxy_multi_results_total", "parent=multi,code=OK", 3},
		{"zkproxy_multi_results_total", "parent=multi,code=BADVERSION", 1},
		{"zkproxy_multi_results_total", "parent=multi,code=RUNTIMEINCONSISTENCY", 1},
		{"zkproxy_watch_events_total", "type=NodeDataChanged,prefix=/app", 1},
		{"zkproxy_watch_events_total", "type=NodeChildrenChanged,prefix=/app", 1},
		{"zkproxy_request_duration_seconds", "op=getData", 3},
		{"zkproxy_replies_slow_total", "op=setData", 3},
		{"zkproxy_replies_fast_total", "op=setData", 0},
		{"zkproxy_replies_fast_total", "op=create", 6},
		{"zkproxy_replies_slow_total", "op=create", 0},
		{"zkproxy_four_letter_words_total", "word=srvr", 1},
		{"zkproxy_handshakes_total", "result=new", 2},
		{"zkproxy_connect_requests_total", "readonly=false,readonly_byte=false", 2},
		{"zkproxy_sessions_open", "", 1},
		{"zkproxy_upstream_up", "upstream=" + srv.ClientAddr(), 1},
		{"zkproxy_upstream_connections_open", "upstream=" + srv.ClientAddr(), 1},
		{"zkproxy_client_protocol_errors_total", "", 0},
		{"zkproxy_unmatched_replies_total", "", 0},
		{"zkproxy_upstream_disconnects_total", "", 0}, // a's closeSession is not an upstream loss
		{"zkproxy_latency_threshold_seconds", "op=setData", 1e-9},
		{"zkproxy_latency_threshold_seconds", "op=getData", 60},
	}
	for _, w := range want {
		if got := m.value(w.name, w.labels); got != w.v {
			t.Errorf("%s{%s} = %v, want %v", w.name, w.labels, got, w.v)
		}
	}
	for _, op := range []string{"create", "getData", "setData", "multi", "getChildren2", "exists"} {
		rq := m.value("zkproxy_requests_total", "op="+op)
		rp := m.value("zkproxy_replies_total", "op="+op)
		fs := m.value("zkproxy_replies_fast_total", "op="+op) + m.value("zkproxy_replies_slow_total", "op="+op)
		if rq != rp || rp != fs || rq == 0 {
			t.Errorf("%s: requests %v, replies %v, fast+slow %v: want equal and non-zero", op, rq, rp, fs)
		}
		if m.value("zkproxy_request_bytes_total", "op="+op) <= 0 || m.value("zkproxy_reply_bytes_total", "op="+op) <= 0 {
			t.Errorf("%s: no request or reply bytes counted", op)
		}
	}

	// The request log has one line per pair, with the session and the error name.
	p.Close()
	var sawSet, sawDup, sawEvent bool
	sc := bufio.NewScanner(strings.NewReader(rlog.String()))
	for sc.Scan() {
		var e LogEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("request log line %q: %v", sc.Text(), err)
		}
		switch {
		case e.Op == "setData" && e.Path == "/app/a" && e.Err == "OK" && e.Session == hex(sid):
			sawSet = e.LatencyMS >= 0 && e.ReqBytes > 0 && e.RespBytes > 0
		case e.Op == "create" && e.Path == "/app/a" && e.Err == "NODEEXISTS":
			sawDup = true
		case e.Op == "notification" && e.Event == "NodeDataChanged" && e.Path == "/app/a":
			sawEvent = true
		}
	}
	if !sawSet || !sawDup || !sawEvent {
		t.Errorf("request log misses lines (setData %v, duplicate create %v, event %v):\n%s", sawSet, sawDup, sawEvent, rlog.String())
	}
}

func must2[A, B any](t testing.TB, what string) func(A, B, error) (A, B) {
	return func(a A, b B, err error) (A, B) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return a, b
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// TestProxyByteTransparent checks that the proxy forwards exactly what each side sent:
// the ConnectRequest with and without the readOnly byte (and the server's matching
// response length), and replies identical to the ones the server gives directly.
func TestProxyByteTransparent(t *testing.T) {
	srv := startJava(t, "3.9.3", oracle.Options{})
	p := startProxy(t, Config{Upstreams: []string{srv.ClientAddr()}})
	for _, withRO := range []bool{true, false} {
		direct := dialRaw(t, srv.ClientAddr())
		dresp, _ := direct.handshake(withRO)
		via := dialRaw(t, p.Addr().String())
		vresp, _ := via.handshake(withRO)
		if len(dresp) != len(vresp) {
			t.Errorf("readOnly byte %v: ConnectResponse %d bytes direct, %d through the proxy", withRO, len(dresp), len(vresp))
		}
		wantLen := 36 + 4
		if withRO {
			wantLen = 37 + 4
		}
		if len(vresp) != wantLen {
			t.Errorf("readOnly byte %v: ConnectResponse frame is %d bytes, want %d", withRO, len(vresp), wantLen)
		}
		if withRO {
			h, _ := direct.call(wire.OpCreate, &records.CreateRequest{Path: "/t", Data: []byte("payload"), ACL: openACL()})
			if h.Err != 0 && wire.Code(h.Err) != wire.ErrNodeExists {
				t.Fatalf("create /t: %v", wire.Code(h.Err))
			}
		}
		// The same request on both paths, same xid: the reply frames must be identical
		// (nothing changes in between, so zxid and stat agree).
		for _, req := range []struct {
			op  wire.Op
			rec jute.Record
		}{
			{wire.OpGetData, &records.GetDataRequest{Path: "/t"}},
			{wire.OpGetChildren2, &records.GetChildren2Request{Path: "/"}},
			{wire.OpExists, &records.ExistsRequest{Path: "/missing"}},
			{wire.OpGetACL, &records.GetACLRequest{Path: "/t"}},
		} {
			via.xid = direct.xid
			_, df := direct.call(req.op, req.rec)
			_, vf := via.call(req.op, req.rec)
			if !bytes.Equal(df, vf) {
				t.Errorf("%s: reply differs through the proxy:\ndirect %x\nproxy  %x", req.op, df, vf)
			}
		}
	}
}

func openACL() []records.ACL {
	return []records.ACL{{Perms: wire.PermAll, ID: records.ID{Scheme: "world", ID: "anyone"}}}
}
