package zkgotest

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

func connect(t *testing.T, addr string) (*zk.Conn, <-chan zk.Event) {
	t.Helper()
	c, ev, err := zk.Connect([]string{addr}, 4*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	for e := range ev {
		if e.State == zk.StateHasSession {
			break
		}
	}
	return c, ev
}

func TestBasicOperations(t *testing.T) {
	srv := Start(t)
	c, _ := connect(t, srv.Addr())
	acl := zk.WorldACL(zk.PermAll)
	if p, err := c.Create("/a", []byte("one"), 0, acl); err != nil || p != "/a" {
		t.Fatalf("create: %q %v", p, err)
	}
	data, st, err := c.Get("/a")
	if err != nil || string(data) != "one" || st.Version != 0 {
		t.Fatalf("get: %q %+v %v", data, st, err)
	}
	if _, err := c.Set("/a", []byte("two"), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Set("/a", []byte("x"), 0); err != zk.ErrBadVersion {
		t.Fatalf("want bad version, got %v", err)
	}
	seq, err := c.Create("/a/s-", nil, zk.FlagSequence, acl)
	if err != nil || seq != "/a/s-0000000000" {
		t.Fatalf("sequential: %q %v", seq, err)
	}
	kids, st, err := c.Children("/a")
	if err != nil || len(kids) != 1 || st.NumChildren != 1 || st.Cversion != 1 {
		t.Fatalf("children: %v %+v %v", kids, st, err)
	}
	_, _, wch, err := c.GetW("/a")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Set("/a", []byte("three"), -1); err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-wch:
		if e.Type != zk.EventNodeDataChanged || e.Path != "/a" {
			t.Fatalf("event %+v", e)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no watch event")
	}
	res, err := c.Multi(&zk.CreateRequest{Path: "/m", Data: []byte("x"), Acl: acl}, &zk.SetDataRequest{Path: "/m", Data: []byte("y"), Version: 0})
	if err != nil || len(res) != 2 {
		t.Fatalf("multi: %v %v", res, err)
	}
	_, err = c.Multi(&zk.CreateRequest{Path: "/m2", Acl: acl}, &zk.DeleteRequest{Path: "/nonexistent", Version: -1})
	if err == nil {
		t.Fatal("failed multi reported success")
	}
	if ok, _, _ := c.Exists("/m2"); ok {
		t.Fatal("failed multi left /m2 behind")
	}
	if err := c.Delete("/a", -1); err != zk.ErrNotEmpty {
		t.Fatalf("want not empty, got %v", err)
	}
}

func TestEphemeralsGoWithSession(t *testing.T) {
	srv := Start(t, WithConfig("tickTime", "100"))
	c1, _ := connect(t, srv.Addr())
	c2, _ := connect(t, srv.Addr())
	if _, err := c1.Create("/e", nil, zk.FlagEphemeral, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	ok, _, ch, err := c2.ExistsW("/e")
	if err != nil || !ok {
		t.Fatalf("exists: %v %v", ok, err)
	}
	c1.Close()
	select {
	case e := <-ch:
		if e.Type != zk.EventNodeDeleted {
			t.Fatalf("event %+v", e)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ephemeral not deleted after close")
	}
}

// TestConnectionFloodPastMaxClientCnxns: connections past maxClientCnxns from one address
// are closed at once; the ones inside the limit keep working.
func TestConnectionFloodPastMaxClientCnxns(t *testing.T) {
	srv := Start(t, WithConfig("maxClientCnxns", "5"))
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := 0; i < 5; i++ {
		c, err := net.Dial("tcp", srv.Addr())
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	time.Sleep(100 * time.Millisecond)
	for i := 0; i < 5; i++ {
		c, err := net.Dial("tcp", srv.Addr())
		if err != nil {
			continue
		}
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Read(make([]byte, 1)); err == nil {
			t.Fatal("connection past the limit was served")
		}
		c.Close()
	}
	// Free the slots; a real client still gets through.
	for _, c := range conns {
		c.Close()
	}
	conns = nil
	time.Sleep(100 * time.Millisecond)
	c, _ := connect(t, srv.Addr())
	if _, err := c.Create("/still-serving", nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
}

// TestBadFramesCloseOnlyThatConnection: an oversize length, a negative length and garbage
// close the offending connection; a concurrent session is unaffected.
func TestBadFramesCloseOnlyThatConnection(t *testing.T) {
	srv := Start(t)
	good, _ := connect(t, srv.Addr())
	for _, raw := range [][]byte{
		{0x7f, 0xff, 0xff, 0xff},                          // 2 GiB frame
		{0x00, 0x10, 0x00, 0x01, 1, 2, 3},                 // just over jute.maxbuffer
		{0xff, 0xff, 0xff, 0xf0},                          // negative length
		{0x00, 0x00, 0x00, 0x05, 'h', 'e', 'l', 'l', 'o'}, // not a ConnectRequest
	} {
		c, err := net.Dial("tcp", srv.Addr())
		if err != nil {
			t.Fatal(err)
		}
		c.Write(raw)
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.ReadAll(c); err != nil {
			t.Fatalf("%x: connection not closed cleanly: %v", raw, err)
		}
		c.Close()
		if _, err := good.Create("/ok", nil, zk.FlagSequence, zk.WorldACL(zk.PermAll)); err != nil {
			t.Fatalf("good session hurt after %x: %v", raw, err)
		}
	}
}
