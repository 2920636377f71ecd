package compat

import (
	"time"

	"github.com/zkgo/zkgo/compat/zkwire"
	"github.com/zkgo/zkgo/jute/records"
	"github.com/zkgo/zkgo/wire"
)

// Session scenarios: the handshake in all its forms, timeout negotiation, reconnecting with id
// and password, wrong passwords, closeSession, pings; expiry on the fast server.

func init() {
	register(
		&Scenario{Name: "session/timeout-negotiation", Needs: NeedsDefaultTimeouts, Doc: "requested timeouts are clamped to [2, 20] ticks (4000..40000 ms with tickTime 2000)", Run: func(s *S) {
			for i, t := range []int32{1, 1000, 3999, 4000, 4001, 30000, 40000, 40001, 1000000, 0, -1} {
				s.ConnectWith("t"+string(rune('a'+i)), zkwire.ConnectOptions{TimeoutMs: t}).End()
			}
		}},
		&Scenario{Name: "session/resume", Doc: "reconnect with id and password: same session, ephemerals kept, the old connection is closed", Run: func(s *S) {
			a := s.Connect("a")
			a.Create(s.P(""), "", 0)
			a.Create(s.P("/e"), "", wire.ModeEphemeral)
			a2 := s.Resume("a2", a)
			a.Sync()
			a2.Exists(s.P("/e"), false)
			a2.GetEphemerals(s.P(""))
			a2.Create(s.P("/f"), "", wire.ModeEphemeral)
			a2.Drop()
			a3 := s.Resume("a3", a)
			a3.GetEphemerals(s.P(""))
			a3.WhoAmI()
			a.GetData(s.P(""), false)
		}},
		&Scenario{Name: "session/wrong-password", Doc: "reconnect with a wrong or short password, or an unknown session id: zeroed ConnectResponse, then close", Run: func(s *S) {
			a := s.Connect("a")
			a.Create(s.P(""), "", 0)
			a.Create(s.P("/e"), "", wire.ModeEphemeral)
			bad := append([]byte(nil), a.Passwd()...)
			bad[0] ^= 0xff
			w := s.ConnectWith("wrong", zkwire.ConnectOptions{TimeoutMs: DefaultSessionTimeout, SessionID: a.SessionID(), Passwd: bad})
			w.Events(1, ReplyTimeout)
			s.ConnectWith("short", zkwire.ConnectOptions{TimeoutMs: DefaultSessionTimeout, SessionID: a.SessionID(), Passwd: a.Passwd()[:8]}).Events(1, ReplyTimeout)
			s.ConnectWith("empty", zkwire.ConnectOptions{TimeoutMs: DefaultSessionTimeout, SessionID: a.SessionID(), Passwd: []byte{}}).Events(1, ReplyTimeout)
			s.ConnectWith("unknown", zkwire.ConnectOptions{TimeoutMs: DefaultSessionTimeout, SessionID: a.SessionID() + 1000, Passwd: JavaPassword(a.SessionID() + 1000)}).Events(1, ReplyTimeout)
			a.Exists(s.P("/e"), false)
		}},
		&Scenario{Name: "session/close", Doc: "closeSession (-11): reply, the server closes the connection, ephemerals go, resuming the closed session fails", Run: func(s *S) {
			a := s.Connect("a")
			w := s.Connect("w")
			a.Create(s.P(""), "", 0)
			a.Create(s.P("/e"), "", wire.ModeEphemeral)
			w.Exists(s.P("/e"), true)
			a.CloseSession()
			w.Sync()
			r := s.Resume("again", a)
			r.Events(1, ReplyTimeout)
		}},
		// Requests pipelined after the closeSession race with the close of the connection in
		// Java (SESSIONEXPIRED replies for some, none for others), so the scenario stops there.
		// Java deletes a closing session's ephemerals in the iteration order of a HashSet of
		// their paths, so the NodeDeleted events of the closeSession txn come in that order.
		&Scenario{Name: "session/close-ephemerals-order", Doc: "the order of the NodeDeleted events when a session with many ephemerals closes", Run: func(s *S) {
			w := s.Connect("w")
			w.Create(s.P(""), "", 0)
			w.Create(s.P("/sub"), "", 0)
			w.AddWatch(s.P(""), wire.AddWatchPersistentRecursive)
			o := s.Connect("owner")
			s.Quiet(true)
			for _, n := range []string{"/lock-a", "/lock-b", "/lock-c", "/zz", "/sub/x", "/m1", "/m2", "/lock-d"} {
				o.Create(s.P(n), "", wire.ModeEphemeral)
			}
			for range 4 {
				o.Create(s.P("/seq-"), "", wire.ModeEphemeralSequential)
			}
			s.Quiet(false)
			o.Delete(s.P("/m1"), -1)
			o.CloseSession()
			w.Sync()
		}},
		&Scenario{Name: "session/close-pipelined", Doc: "a write and closeSession in one write: both answered, then the close", Run: func(s *S) {
			a := s.Connect("a")
			a.Create(s.P(""), "", 0)
			a.Pipeline(
				zkwire.Request{Xid: 10, Op: wire.OpCreate, Record: createReq(s.P("/x"), wire.ModeEphemeral)},
				zkwire.Request{Xid: 11, Op: wire.OpCloseSession},
			)
			a.Events(0, 300*time.Millisecond)
			b := s.Connect("b")
			b.GetChildren(s.P(""), false)
		}},
		&Scenario{Name: "session/old-client", Doc: "a ConnectRequest without the readOnly byte (pre-3.4 client): 36-byte ConnectResponse without it; the session works", Run: func(s *S) {
			a := s.ConnectWith("old", zkwire.ConnectOptions{TimeoutMs: DefaultSessionTimeout, OmitReadOnly: true})
			a.Create(s.P(""), "", 0)
			a.GetData(s.P(""), false)
			r := s.ConnectWith("old-resume", zkwire.ConnectOptions{TimeoutMs: DefaultSessionTimeout, SessionID: a.SessionID(), Passwd: a.Passwd(), OmitReadOnly: true})
			r.Exists(s.P(""), false)
			w := s.ConnectWith("old-wrong", zkwire.ConnectOptions{TimeoutMs: DefaultSessionTimeout, SessionID: a.SessionID(), Passwd: make([]byte, 16), OmitReadOnly: true})
			w.Events(1, ReplyTimeout)
		}},
		&Scenario{Name: "session/readonly-client", Doc: "a client that accepts read-only servers, on a read-write server", Run: func(s *S) {
			a := s.ConnectWith("ro", zkwire.ConnectOptions{TimeoutMs: DefaultSessionTimeout, ReadOnly: true})
			a.Create(s.P(""), "", 0)
			a.Exists(s.P(""), false)
		}},
		&Scenario{Name: "session/lastZxidSeen", Doc: "lastZxidSeen ahead of the server: closed without a response; equal to the server's: accepted", Run: func(s *S) {
			a := s.Connect("a")
			a.Create(s.P(""), "", 0)
			cur := a.LastZxid
			s.ConnectWith("equal", zkwire.ConnectOptions{TimeoutMs: DefaultSessionTimeout, LastZxidSeen: cur}).Exists(s.P(""), false)
			s.ConnectWith("ahead", zkwire.ConnectOptions{TimeoutMs: DefaultSessionTimeout, LastZxidSeen: cur + 1000})
			s.ConnectWith("resume-ahead", zkwire.ConnectOptions{TimeoutMs: DefaultSessionTimeout, SessionID: a.SessionID(), Passwd: a.Passwd(), LastZxidSeen: cur + 1000})
			s.ConnectWith("negative", zkwire.ConnectOptions{TimeoutMs: DefaultSessionTimeout, LastZxidSeen: -5}).Exists(s.P(""), false)
			a.Exists(s.P(""), false)
		}},
		&Scenario{Name: "session/connect-fields", Doc: "odd ConnectRequest fields: protocol version 1, a new session with a non-zero or short password", Run: func(s *S) {
			s.ConnectWith("proto1", zkwire.ConnectOptions{TimeoutMs: DefaultSessionTimeout, ProtocolVersion: 1}).WhoAmI()
			s.ConnectWith("proto-neg", zkwire.ConnectOptions{TimeoutMs: DefaultSessionTimeout, ProtocolVersion: -7}).WhoAmI()
			s.ConnectWith("pw-ones", zkwire.ConnectOptions{TimeoutMs: DefaultSessionTimeout, Passwd: []byte("0123456789abcdef")}).WhoAmI()
			s.ConnectWith("pw-empty", zkwire.ConnectOptions{TimeoutMs: DefaultSessionTimeout, Passwd: []byte{}}).WhoAmI()
			s.ConnectWith("pw-long", zkwire.ConnectOptions{TimeoutMs: DefaultSessionTimeout, Passwd: make([]byte, 40)}).WhoAmI()
		}},
		&Scenario{Name: "session/ping", Doc: "ping (11): the reply has xid -2 whatever the request's xid, and the last zxid", Run: func(s *S) {
			a := s.Connect("a")
			a.Ping()
			a.Create(s.P(""), "", 0)
			a.Ping()
			a.Do(77, wire.OpPing, nil)
			a.Pipeline(
				zkwire.Request{Xid: 1, Op: wire.OpGetData, Record: getDataReq(s.P(""))},
				zkwire.Request{Xid: wire.XidPing, Op: wire.OpPing},
				zkwire.Request{Xid: 2, Op: wire.OpGetData, Record: getDataReq(s.P(""))},
			)
		}},
		// In the expiry scenarios the watcher holds a persistent recursive watch set before the
		// expiring session exists, so its transcript does not depend on when (on a loaded
		// machine) the session expires relative to the watcher's requests.
		&Scenario{Name: "session/expiry", Needs: NeedsFastServer, Doc: "a session that stops talking expires: its ephemerals go, other sessions' watches fire, resuming it fails", Run: func(s *S) {
			w := s.Connect("w")
			w.Create(s.P(""), "", 0)
			w.AddWatch(s.P(""), wire.AddWatchPersistentRecursive)
			e := s.ConnectWith("e", zkwire.ConnectOptions{TimeoutMs: 1000})
			e.Pipeline(
				zkwire.Request{Xid: 1, Op: wire.OpCreate, Record: createReq(s.P("/eph"), wire.ModeEphemeral)},
				zkwire.Request{Xid: 2, Op: wire.OpCreate, Record: createReq(s.P("/seq-"), wire.ModeEphemeralSequential)},
			)
			e.Drop()
			w.Events(4, 10*time.Second)
			w.GetChildren(s.P(""), false)
			r := s.Resume("e-again", e)
			r.Events(1, ReplyTimeout)
		}},
		&Scenario{Name: "session/expiry-connected", Needs: NeedsFastServer, Doc: "a connected session that sends nothing expires and the server closes its connection", Run: func(s *S) {
			w := s.Connect("w")
			w.Create(s.P(""), "", 0)
			w.AddWatch(s.P(""), wire.AddWatchPersistentRecursive)
			e := s.ConnectWith("e", zkwire.ConnectOptions{TimeoutMs: 1000})
			e.Create(s.P("/eph"), "", wire.ModeEphemeral)
			e.Events(1, 10*time.Second)
			w.Events(2, 10*time.Second)
			e.GetData(s.P(""), false)
		}},
		&Scenario{Name: "session/keepalive", Needs: NeedsFastServer, Doc: "pings keep a short session alive well past its timeout", Run: func(s *S) {
			e := s.ConnectWith("e", zkwire.ConnectOptions{TimeoutMs: 1000})
			e.Create(s.P(""), "", 0)
			e.Create(s.P("/eph"), "", wire.ModeEphemeral)
			for range 15 {
				time.Sleep(100 * time.Millisecond)
				e.Ping()
			}
			e.Exists(s.P("/eph"), false)
		}},
		&Scenario{Name: "session/fast-negotiation", Needs: NeedsFastServer, Doc: "explicit minSessionTimeout/maxSessionTimeout bounds (200..60000)", Run: func(s *S) {
			for i, t := range []int32{1, 199, 200, 250, 60000, 60001} {
				s.ConnectWith("t"+string(rune('a'+i)), zkwire.ConnectOptions{TimeoutMs: t}).End()
			}
		}},
		&Scenario{Name: "container/auto-delete", Needs: NeedsFastServer, Doc: "the container manager deletes an emptied container (deleteContainer), never one that never had children", Run: func(s *S) {
			a := s.Connect("a")
			a.Create(s.P(""), "", 0)
			a.CreateContainer(s.P("/c"), "")
			a.CreateContainer(s.P("/unused"), "")
			a.Create(s.P("/c/kid"), "", 0)
			a.Exists(s.P("/c"), true)
			a.Delete(s.P("/c/kid"), -1)
			a.Events(1, 10*time.Second)
			s.HideReplyZxids(true)
			a.Exists(s.P("/c"), false)
			time.Sleep(1500 * time.Millisecond)
			a.Exists(s.P("/unused"), false)
		}},
		// TTL nodes are created pipelined with what must follow at once (a watch, a child), so a
		// slow machine cannot let the ttl pass in between. Container and TTL scenarios hide reply
		// zxids once the manager has deleted a node: on a loaded machine Java's ContainerManager
		// sometimes queues a node twice, and the second deleteContainer fails but takes a zxid.
		&Scenario{Name: "ttl/expiry", Needs: NeedsFastServer | NeedsExtendedTypes, Doc: "a TTL node without children is deleted once its ttl has passed since its last change; one with children only once they are gone", Run: func(s *S) {
			a := s.Connect("a")
			a.Create(s.P(""), "", 0)
			a.Pipeline(
				zkwire.Request{Xid: 1, Op: wire.OpCreateTTL, Record: &records.CreateTTLRequest{Path: s.P("/t"), ACL: OpenACL, Flags: wire.ModePersistentWithTTL, Ttl: 500}},
				zkwire.Request{Xid: 2, Op: wire.OpExists, Record: &records.ExistsRequest{Path: s.P("/t"), Watch: true}},
				zkwire.Request{Xid: 3, Op: wire.OpCreateTTL, Record: &records.CreateTTLRequest{Path: s.P("/parent"), ACL: OpenACL, Flags: wire.ModePersistentWithTTL, Ttl: 500}},
				zkwire.Request{Xid: 4, Op: wire.OpCreate, Record: createReq(s.P("/parent/kid"), 0)},
				zkwire.Request{Xid: 5, Op: wire.OpExists, Record: &records.ExistsRequest{Path: s.P("/parent"), Watch: true}},
			)
			a.Events(1, 10*time.Second)
			s.HideReplyZxids(true)
			a.Exists(s.P("/t"), false)
			time.Sleep(300 * time.Millisecond)
			a.Exists(s.P("/parent"), false)
			a.Delete(s.P("/parent/kid"), -1)
			a.Events(1, 10*time.Second)
		}},
	)
}
