package compat

import (
	"strings"
	"time"

	"github.com/zkgo/zkgo/compat/zkwire"
	"github.com/zkgo/zkgo/jute"
	"github.com/zkgo/zkgo/jute/records"
	"github.com/zkgo/zkgo/wire"
)

// Bad-input scenarios: what the server answers (and whether it closes) for opcodes it does
// not serve, frames it cannot take, bodies that do not decode, and bytes before the handshake.

// settle gives the server 300 ms to close connections it is going to close, then records
// every connection's events (a request for each follows in the scenario, or the close).
func settle(s *S) {
	time.Sleep(300 * time.Millisecond)
	for _, c := range s.conns {
		c.Events(0, time.Millisecond)
	}
}

func all(string) bool { return true }

// frame prefixes payload with its length.
func frame(payload []byte) []byte {
	return append(jute.AppendInt(nil, int32(len(payload))), payload...)
}

// header is a RequestHeader's bytes.
func header(xid int32, op wire.Op) []byte {
	return (&records.RequestHeader{Xid: xid, Type: int32(op)}).Append(nil)
}

func init() {
	register(
		&Scenario{Name: "bad/opcodes", Doc: "opcodes a client may not send: unknown, 0, 10, standalone check (13), internal ones; each on its own connection", Run: func(s *S) {
			root := s.Connect("root")
			root.Create(s.P(""), "", 0)
			for _, tc := range []struct {
				name string
				op   wire.Op
				rec  jute.Record
			}{
				{"unknown-999", 999, nil},
				{"notification-0", wire.OpNotification, nil},
				{"unused-10", 10, nil},
				{"check-13", wire.OpCheck, &records.CheckVersionRequest{Path: s.P(""), Version: -1}},
				{"deleteContainer-20", wire.OpDeleteContainer, &records.DeleteContainerRequest{Path: s.P("")}},
				// The txn's timeout replaces the session's: keep it long, or the session expires mid-suite.
				{"createSession-minus10", wire.OpCreateSession, &records.CreateSessionTxn{TimeOut: DefaultSessionTimeout}},
				{"error-minus1", wire.OpError, nil},
				{"unknown-108", 108, nil},
				{"negative-minus99", -99, nil},
			} {
				c := s.Connect(tc.name)
				c.Call(tc.op, tc.rec)
				c.Sync()
			}
			settle(s)
			root.Exists(s.P(""), false)
		}},
		&Scenario{Name: "bad/frame-lengths", Doc: "frames over jute.maxbuffer, of negative length, of length 0 and shorter than a RequestHeader", Run: func(s *S) {
			big := s.Connect("over-maxbuffer")
			big.WriteRaw(jute.AppendInt(nil, jute.DefaultMaxBuffer+1), "length 0xfffff+1")
			big.Events(1, ReplyTimeout)
			huge := s.Connect("huge")
			huge.WriteRaw(jute.AppendInt(nil, 0x7fffffff), "length 0x7fffffff")
			huge.Events(1, ReplyTimeout)
			neg := s.Connect("negative")
			neg.WriteRaw(jute.AppendInt(nil, -1), "length -1")
			neg.Events(1, ReplyTimeout)
			zero := s.Connect("zero")
			zero.WriteRaw(jute.AppendInt(nil, 0), "length 0")
			zero.Sync()
			zero.Events(1, 500*time.Millisecond)
			short := s.Connect("short-header")
			short.WriteRaw(frame([]byte{0, 0, 0, 1}), "header with only an xid")
			short.Sync()
			short.Events(1, 500*time.Millisecond)
			at := s.Connect("at-maxbuffer")
			at.Create(s.P(""), "", 0)
			// header 8 + path (4+n) + data (4+m) + version 4 = exactly jute.maxbuffer, then one more
			pad := strings.Repeat("m", jute.DefaultMaxBuffer-8-(4+len(s.P("")))-4-4)
			at.Call(wire.OpSetData, &records.SetDataRequest{Path: s.P(""), Data: []byte(pad), Version: -1})
			at.Call(wire.OpSetData, &records.SetDataRequest{Path: s.P(""), Data: []byte(pad + "+"), Version: -1})
			at.Events(1, ReplyTimeout)
		}},
		&Scenario{Name: "bad/bodies", Doc: "request bodies that do not decode (truncated, negative string length) or carry trailing bytes, for reads and writes", Run: func(s *S) {
			root := s.Connect("root")
			root.Create(s.P(""), "x", 0)
			path := (&records.GetDataRequest{Path: s.P("")}).Append(nil)
			for _, tc := range []struct {
				name string
				op   wire.Op
				body []byte
			}{
				{"getData-truncated", wire.OpGetData, path[:len(path)-3]},
				{"getData-empty", wire.OpGetData, nil},
				{"getData-trailing", wire.OpGetData, append(append([]byte(nil), path...), 1, 2, 3)},
				{"getData-negative-len", wire.OpGetData, append(jute.AppendInt(nil, -5), 0)},
				{"exists-huge-len", wire.OpExists, append(jute.AppendInt(nil, 0x7ffffff0), 0)},
				{"create-truncated", wire.OpCreate, createReq(s.P("/t"), 0).Append(nil)[:10]},
				{"create-acl-count", wire.OpCreate, append(jute.AppendBuffer(jute.AppendString(nil, s.P("/u")), nil), 0x7f, 0xff, 0xff, 0xff)},
				{"setData-empty", wire.OpSetData, nil},
				{"delete-trailing", wire.OpDelete, append((&records.DeleteRequest{Path: s.P("/none"), Version: -1}).Append(nil), 9)},
				{"auth-truncated", wire.OpAuth, []byte{0, 0, 0, 0, 0, 0}},
				{"setWatches-truncated", wire.OpSetWatches, []byte{0, 0, 0, 0}},
				{"whoAmI-with-body", wire.OpWhoAmI, []byte{1, 2, 3, 4}},
			} {
				c := s.Connect(tc.name)
				xid := c.NextXid()
				if tc.op == wire.OpAuth {
					xid = wire.XidAuth
				}
				c.Send(xid, tc.op, RawBody(tc.body))
				c.Sync()
			}
			settle(s)
			root.GetChildren(s.P(""), false)
		}},
		&Scenario{Name: "bad/before-handshake", Doc: "bytes other than a ConnectRequest on a fresh connection", Run: func(s *S) {
			for _, tc := range []struct {
				name string
				b    []byte
			}{
				{"garbage-frame", frame([]byte("hello"))},
				{"empty-frame", frame(nil)},
				{"short-connect", zkwire.ConnectRequestFrame(zkwire.ConnectOptions{TimeoutMs: 30000})[:4+20]},
				{"connect-trailing", frame(append(zkwire.ConnectRequestFrame(zkwire.ConnectOptions{TimeoutMs: 30000})[4:], 1, 2, 3))},
				{"negative-length", jute.AppendInt(nil, -2)},
				{"over-maxbuffer", jute.AppendInt(nil, 0x100000)},
				{"request-first", frame(append(header(1, wire.OpGetData), getDataReq("/").Append(nil)...))},
			} {
				s.Dial(tc.name).Write(tc.b, tc.name)
			}
			deadline := time.Now().Add(time.Second)
			for _, r := range s.raws {
				r.Read(time.Until(deadline), time.Second)
			}
		}},
		&Scenario{Name: "bad/four-letter-words", Needs: NeedsAllFourLetterWords, Doc: "four-letter words on a fresh connection: ruok, isro, gtmk, srst, crst, stmk exactly; srvr, conf, envi, dirs, mntr by key", Run: func(s *S) {
			for _, w := range []string{"ruok", "isro", "gtmk"} {
				r := s.Dial(w)
				r.Write([]byte(w), w)
				r.ReadText(2*time.Second, all, nil)
			}
			r := s.Dial("srvr")
			r.Write([]byte("srvr"), "srvr")
			r.ReadText(2*time.Second, func(l string) bool { return strings.HasPrefix(l, "Mode:") }, nil)
			// mntr's per-namespace metrics are named after the top-level znodes (here, earlier
			// scenarios' prefixes): they depend on the server's history, so they are left out.
			perNamespace := func(l string) bool { return strings.Contains(l, "_per_namespace\t") }
			for _, w := range []string{"conf", "envi", "dirs", "mntr"} {
				c := s.Dial(w)
				c.Write([]byte(w), w)
				c.ReadText(2*time.Second, nil, perNamespace)
			}
			for _, w := range []string{"srst", "crst"} {
				c := s.Dial(w)
				c.Write([]byte(w), w)
				c.ReadText(2*time.Second, all, nil)
			}
			st := s.Dial("stmk")
			st.Write(append([]byte("stmk"), 0, 0, 0, 0, 0, 0, 1, 50), "stmk 306")
			st.ReadText(2*time.Second, all, nil)
			a := s.Connect("after-connect")
			a.WriteRaw([]byte("ruok"), "ruok after the handshake")
			a.Events(1, ReplyTimeout)
		}},
	)
}
