package proxy

import (
	"encoding/binary"
	"math/rand"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zkgo/zkgo/jute/records"
	"github.com/zkgo/zkgo/oracle"
	"github.com/zkgo/zkgo/wire"
)

func lengthPrefix(n int32) []byte {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], uint32(n))
	return b[:]
}

// TestProxyMalformedFrames sends oversize, negative and garbage frames, before and after
// the handshake, and checks that each closes only its own connection while a well-behaved
// go-zookeeper client keeps working on its session throughout.
func TestProxyMalformedFrames(t *testing.T) {
	srv := startJava(t, "3.9.3", oracle.Options{})
	const maxBuf = 4096 // a configured jute.maxbuffer, smaller than the server's
	p := startProxy(t, Config{Upstreams: []string{srv.ClientAddr()}, MetricsAddr: "127.0.0.1:0", MaxBuffer: maxBuf})
	addr := p.Addr().String()

	good, _ := connectZK(t, addr, 15*time.Second)
	sid := good.SessionID()
	must[string](t, "create /good")(good.Create("/good", []byte("0"), 0, zk.WorldACL(zk.PermAll)))

	// The good client writes continuously while the bad ones misbehave.
	var stop atomic.Bool
	var wg sync.WaitGroup
	var writes atomic.Int64
	errc := make(chan error, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; !stop.Load(); i++ {
			if _, err := good.Set("/good", []byte(strings.Repeat("x", i%100)), -1); err != nil {
				errc <- err
				return
			}
			writes.Add(1)
		}
	}()

	rng := rand.New(rand.NewSource(1))
	garbage := make([]byte, 64)
	rng.Read(garbage)
	garbage[0] |= 0x80 // as a frame length: negative
	random := make([]byte, 64)
	rng.Read(random)
	copy(random, lengthPrefix(60)) // a well-formed frame of random bytes: an unknown opcode
	cases := []struct {
		name   string
		reason string
		send   func(r *rawConn)
	}{
		{"oversize connect length", "oversize", func(r *rawConn) { r.write(lengthPrefix(maxBuf + 1)) }},
		{"huge connect length", "oversize", func(r *rawConn) { r.write(lengthPrefix(0x7fffffff)) }},
		{"negative connect length", "negative_length", func(r *rawConn) { r.write(lengthPrefix(-5)) }},
		{"garbage connect request", "bad_connect", func(r *rawConn) {
			r.write(append(lengthPrefix(10), garbage[:10]...))
		}},
		{"random bytes", "negative_length", func(r *rawConn) { r.write(garbage) }},
		{"oversize request after handshake", "oversize", func(r *rawConn) {
			r.handshake(true)
			_, f := r.request(wire.OpSetData, &records.SetDataRequest{Path: "/good", Data: make([]byte, maxBuf), Version: -1})
			r.write(f)
		}},
		{"negative request length after handshake", "negative_length", func(r *rawConn) {
			r.handshake(false)
			r.write(lengthPrefix(-1))
		}},
		{"request shorter than its header", "short_header", func(r *rawConn) {
			r.handshake(true)
			r.write(append(lengthPrefix(3), 0, 0, 1))
		}},
		{"garbage after handshake", "", func(r *rawConn) {
			// Forwarded: the server rejects the unknown opcode and closes the connection.
			r.handshake(true)
			r.write(random)
		}},
	}
	for _, tc := range cases {
		before := scrape(t, p).value("zkproxy_client_protocol_errors_total", "reason="+tc.reason)
		r := dialRaw(t, addr)
		tc.send(r)
		r.expectClosed(tc.name)
		if tc.reason != "" {
			eventually(t, tc.name+" counted", func() bool {
				return scrape(t, p).value("zkproxy_client_protocol_errors_total", "reason="+tc.reason) == before+1
			})
		}
		// The good client is unaffected: same session, still answering.
		n := writes.Load()
		eventually(t, "good client progress after "+tc.name, func() bool { return writes.Load() > n })
		if good.SessionID() != sid || good.State() != zk.StateHasSession {
			t.Fatalf("after %s: good client state %v session %x (was %x)", tc.name, good.State(), good.SessionID(), sid)
		}
	}
	stop.Store(true)
	wg.Wait()
	select {
	case err := <-errc:
		t.Fatalf("good client failed: %v", err)
	default:
	}
	// A request body that does not decode is forwarded, not judged: the server answers.
	r := dialRaw(t, addr)
	r.handshake(true)
	_, f := r.request(wire.OpGetData, &records.SyncResponse{Path: "/good"}) // no watch byte
	r.write(f)
	r.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	reply, err := readFrame(r.c, 1<<20, nil)
	check(t, "reply to a getData with a truncated body", err)
	if code := wire.Code(int32(binary.BigEndian.Uint32(reply[16:]))); code != wire.ErrMarshallingError {
		t.Errorf("getData with a truncated body: server answered %v, want MARSHALLINGERROR", code)
	}
	if got := scrape(t, p).value("zkproxy_decode_errors_total", "direction=request"); got != 1 {
		t.Errorf("decode_errors_total{direction=request} = %v, want 1", got)
	}
	data, _, err := good.Get("/good")
	check(t, "final get", err)
	t.Logf("good client: %d writes during the bad clients, last value %d bytes", writes.Load(), len(data))
}

// TestProxyUpstreamKill runs a session through the proxy in front of a 3-node Java 3.9.3
// ensemble, kills the node the session is on, and checks that the client reconnects through
// the proxy to another node with its session and ephemeral intact.
func TestProxyUpstreamKill(t *testing.T) {
	ens, err := oracle.StartEnsemble(t, "3.9.3", 3, oracle.Options{TickTime: 500})
	if err != nil {
		t.Fatalf("start ensemble: %v", err)
	}
	p := startProxy(t, Config{Upstreams: ens.Addrs(), MetricsAddr: "127.0.0.1:0", HealthInterval: 200 * time.Millisecond})
	addr := p.Addr().String()

	// Sessions are spread across the upstreams.
	seen := map[string]bool{}
	for i := 0; i < 3; i++ {
		c, _ := connectZK(t, addr, 10*time.Second)
		seen[p.Sessions()[c.SessionID()]] = true
	}
	if len(seen) != 3 {
		t.Errorf("3 sessions landed on %d upstreams: %v", len(seen), seen)
	}

	c, events := connectZK(t, addr, 10*time.Second)
	sid := c.SessionID()
	acl := zk.WorldACL(zk.PermAll)
	must[string](t, "create /eph")(c.Create("/eph", []byte("mine"), zk.FlagEphemeral, acl))
	must[string](t, "create /data")(c.Create("/data", []byte("kept"), 0, acl))
	_, _, watch, err := c.GetW("/data")
	check(t, "getW /data", err)
	up := p.Sessions()[sid]
	var victim *oracle.Server
	for id := 1; id <= 3; id++ {
		if s := ens.Server(id); s.ClientAddr() == up {
			victim = s
		}
	}
	if victim == nil {
		t.Fatalf("session %x is on %q, not an ensemble member", sid, up)
	}
	t.Logf("session %x is on %s; killing it", sid, victim)
	check(t, "kill", victim.Kill())

	// The client sees the connection drop, then gets its session back through the proxy.
	sawDisconnect := false
	deadline := time.After(30 * time.Second)
	for !(sawDisconnect && c.State() == zk.StateHasSession) {
		select {
		case e := <-events:
			if e.State == zk.StateDisconnected {
				sawDisconnect = true
			}
			if e.State == zk.StateExpired {
				t.Fatal("session expired after the upstream kill")
			}
		case <-deadline:
			t.Fatalf("no reconnect after the kill (state %v, disconnect seen %v)", c.State(), sawDisconnect)
		}
	}
	if c.SessionID() != sid {
		t.Fatalf("session changed from %x to %x", sid, c.SessionID())
	}
	eventually(t, "session moved to a live upstream", func() bool {
		u := p.Sessions()[sid]
		return u != "" && u != up
	})
	data, st, err := c.Get("/eph")
	check(t, "get /eph after failover", err)
	if string(data) != "mine" || st.EphemeralOwner != sid {
		t.Fatalf("/eph after failover: %q owner %x", data, st.EphemeralOwner)
	}
	// The watch the client re-registered (setWatches) still fires.
	must[*zk.Stat](t, "set /data")(c.Set("/data", []byte("changed"), -1))
	if e := waitEvent(t, watch, "/data watch after failover"); e.Type != zk.EventNodeDataChanged {
		t.Fatalf("watch after failover: %+v", e)
	}
	// Another session, straight to a surviving node, sees the ephemeral owned by sid.
	var other string
	for _, a := range ens.Addrs() {
		if a != up {
			other = a
		}
	}
	d, _ := connectZK(t, other, 10*time.Second)
	_, st, err = d.Get("/eph")
	check(t, "direct get /eph", err)
	if st.EphemeralOwner != sid {
		t.Fatalf("/eph owner seen directly: %x, want %x", st.EphemeralOwner, sid)
	}

	m := scrape(t, p)
	if v := m.value("zkproxy_upstream_disconnects_total", "upstream="+up); v < 1 {
		t.Errorf("upstream_disconnects_total{%s} = %v, want >= 1", up, v)
	}
	if v := m.value("zkproxy_handshakes_total", "result=reconnect"); v < 1 {
		t.Errorf("handshakes_total{reconnect} = %v, want >= 1", v)
	}
	eventually(t, "killed upstream reported down", func() bool {
		return scrape(t, p).value("zkproxy_upstream_up", "upstream="+up) == 0
	})
	for _, a := range ens.Addrs() {
		if a != up {
			if v := scrape(t, p).value("zkproxy_upstream_up", "upstream="+a); v != 1 {
				t.Errorf("upstream_up{%s} = %v, want 1", a, v)
			}
		}
	}
	// Closing the session removes the ephemeral: the session was the real one all along.
	c.Close()
	eventually(t, "ephemeral removed when the session closes", func() bool {
		ok, _, err := d.Exists("/eph")
		return err == nil && !ok
	})
}
