package conn_test

import (
	"net"
	"testing"
	"time"

	"github.com/zkgo/zkgo/jute/records"
	"github.com/zkgo/zkgo/server/conn"
	"github.com/zkgo/zkgo/server/datatree"
	"github.com/zkgo/zkgo/server/node"
	"github.com/zkgo/zkgo/wire"
)

// TestCloseWithUnansweredHandshake: a connection whose session the node never answers (here
// the node has stopped; in a quorum, a session pending at a leader that went away) waits
// for its handshake to resume, not on its socket. Closing the server must still end it: this
// hung a node's shutdown in the crash campaign.
func TestCloseWithUnansweredHandshake(t *testing.T) {
	n := node.New(node.Options{}, datatree.New(), nil)
	go n.Run()
	n.Stop()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &conn.Server{Node: n}
	go srv.Serve(ln)
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if _, err := nc.Write(wire.AppendFrame(nil, &records.ConnectRequest{TimeOut: 30000, Passwd: make([]byte, 16)})); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); srv.Connections() == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the connection was not accepted")
		}
	}
	time.Sleep(50 * time.Millisecond) // the reader is waiting for the handshake to resume
	closed := make(chan struct{})
	go func() { srv.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Server.Close hangs on a connection waiting for its handshake")
	}
}
