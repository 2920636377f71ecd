package zkwire_test

import (
	"errors"
	"testing"
	"time"

	"github.com/zkgo/zkgo/compat/zkwire"
	"github.com/zkgo/zkgo/jute/records"
	"github.com/zkgo/zkgo/oracle"
	"github.com/zkgo/zkgo/wire"
)

var openACL = []records.ACL{{Perms: wire.PermAll, ID: records.ID{Scheme: "world", ID: "anyone"}}}

func next(t *testing.T, c *zkwire.Conn) zkwire.Event {
	t.Helper()
	ev, err := c.Next(5 * time.Second)
	if err != nil {
		t.Fatalf("Next: %v", err)
	}
	return ev
}

func connect(t *testing.T, addr string, o zkwire.ConnectOptions) (*zkwire.Conn, *zkwire.Handshake) {
	t.Helper()
	c, h, err := zkwire.Connect(addr, o, 5*time.Second)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c, h
}

// TestAgainstJava drives a Java 3.9.3 server through the raw client: handshake forms,
// pipelined requests decoded per opcode, a notification, a multi, and the close after an
// unknown opcode.
func TestAgainstJava(t *testing.T) {
	srv, err := oracle.StartStandalone(t, "3.9.3", oracle.Options{})
	if err != nil {
		t.Fatal(err)
	}
	addr := srv.ClientAddr()

	a, h := connect(t, addr, zkwire.ConnectOptions{TimeoutMs: 10000})
	if !h.Valid() || !h.HasReadOnly || len(h.Raw) != 37 || len(h.Response.Passwd) != 16 {
		t.Fatalf("handshake: %+v (raw %d bytes)", h, len(h.Raw))
	}
	_, old := connect(t, addr, zkwire.ConnectOptions{TimeoutMs: 10000, OmitReadOnly: true})
	if old.HasReadOnly || len(old.Raw) != 36 {
		t.Fatalf("old-client handshake: readOnly byte %v, %d bytes; want none, 36", old.HasReadOnly, len(old.Raw))
	}

	w, _ := connect(t, addr, zkwire.ConnectOptions{TimeoutMs: 10000})
	if err := w.Send(1, wire.OpExists, &records.ExistsRequest{Path: "/zkwire", Watch: true}); err != nil {
		t.Fatal(err)
	}
	if ev := next(t, w); ev.Xid != 1 || ev.Err != wire.ErrNoNode || ev.Op != wire.OpExists || !ev.Matched {
		t.Fatalf("exists reply: %+v", ev)
	}

	err = a.Pipeline(
		zkwire.Request{Xid: 1, Op: wire.OpCreate2, Record: &records.CreateRequest{Path: "/zkwire", Data: []byte("d"), ACL: openACL}},
		zkwire.Request{Xid: 2, Op: wire.OpGetData, Record: &records.GetDataRequest{Path: "/zkwire"}},
		zkwire.Request{Xid: 3, Op: wire.OpMulti, Record: zkwire.MultiRecord{
			{Op: wire.OpCheck, Record: &records.CheckVersionRequest{Path: "/zkwire", Version: 7}},
		}},
		zkwire.Request{Xid: wire.XidPing, Op: wire.OpPing},
	)
	if err != nil {
		t.Fatal(err)
	}
	created := next(t, a)
	cr, ok := created.Body.(*records.Create2Response)
	if !ok || cr.Path != "/zkwire" || cr.Stat.Czxid != created.Zxid {
		t.Fatalf("create2 reply: %+v", created)
	}
	if ev := next(t, a); ev.Xid != 2 || string(ev.Body.(*records.GetDataResponse).Data) != "d" {
		t.Fatalf("getData reply: %+v", ev)
	}
	if ev := next(t, a); ev.Xid != 3 || len(ev.Multi) != 1 || ev.Multi[0].Err != wire.ErrBadVersion {
		t.Fatalf("multi reply: %+v", ev)
	}
	if ev := next(t, a); ev.Xid != wire.XidPing || ev.Op != wire.OpPing || ev.Zxid < created.Zxid {
		t.Fatalf("ping reply: %+v", ev)
	}

	ev := next(t, w)
	if ev.Kind != zkwire.KindNotification || ev.Watch.Type != int32(wire.EventNodeCreated) || ev.Watch.Path != "/zkwire" || ev.Zxid != created.Zxid {
		t.Fatalf("notification: %+v", ev)
	}

	if err := a.Send(9, wire.Op(999), nil); err != nil {
		t.Fatal(err)
	}
	if ev := next(t, a); ev.Xid != 9 || ev.Err != wire.ErrUnimplemented {
		t.Fatalf("unknown opcode reply: %+v", ev)
	}
	if ev := next(t, a); ev.Kind != zkwire.KindClosed {
		t.Fatalf("after UNIMPLEMENTED: %+v, want the close", ev)
	}
	if _, err := a.Next(time.Second); !errors.Is(err, zkwire.ErrClosed) {
		t.Fatalf("Next after close: %v, want ErrClosed", err)
	}

	resumed, rh := connect(t, addr, zkwire.ConnectOptions{TimeoutMs: 10000, SessionID: h.Response.SessionID, Passwd: h.Response.Passwd})
	if rh.Response.SessionID != h.Response.SessionID {
		t.Fatalf("resumed session %#x, want %#x", rh.Response.SessionID, h.Response.SessionID)
	}
	resumed.Close()

	_, _, err = zkwire.Connect(addr, zkwire.ConnectOptions{TimeoutMs: 10000, LastZxidSeen: 1 << 40}, 5*time.Second)
	if !errors.Is(err, zkwire.ErrNoConnectResponse) {
		t.Fatalf("connect with lastZxidSeen ahead: %v, want ErrNoConnectResponse", err)
	}

	if out, err := zkwire.FourLetterWord(addr, "ruok", 5*time.Second); err != nil || out != "imok" {
		t.Fatalf("ruok: %q, %v", out, err)
	}
}
