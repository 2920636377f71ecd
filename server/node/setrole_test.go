package node

import (
	"sync"
	"testing"

	"github.com/zkgo/zkgo/jute/records"
	"github.com/zkgo/zkgo/server/datatree"
	"github.com/zkgo/zkgo/server/session"
)

type fakeConn struct {
	mu      sync.Mutex
	frames  int
	closed  bool
	resumed []bool
}

func (c *fakeConn) Send([]byte) { c.mu.Lock(); c.frames++; c.mu.Unlock() }
func (c *fakeConn) Close()      { c.mu.Lock(); c.closed = true; c.mu.Unlock() }
func (c *fakeConn) RemoteIP() string {
	return "127.0.0.1"
}
func (c *fakeConn) Resume(ok bool) { c.mu.Lock(); c.resumed = append(c.resumed, ok); c.mu.Unlock() }

type dropLink struct{ sent int }

func (l *dropLink) Send(*records.QuorumPacket) { l.sent++ }

// A follower forwards a reconnecting session to its leader (REVALIDATE); when it leaves the
// role before the answer comes, the client connection must be closed (the client then tries
// another server), not left waiting for an answer no leader will give.
func TestSetRoleClosesRevalidatingConnections(t *testing.T) {
	n := New(Options{}, datatree.New(), nil)
	go n.Run()
	defer n.Stop()
	link := &dropLink{}
	n.Do(func() {
		n.SetRole(RoleFollower, link)
		n.SetServing(true)
	})
	const id = int64(0x100000000000001)
	c := &fakeConn{}
	n.Connect(c, records.ConnectRequest{SessionID: id, TimeOut: 10000, Passwd: session.Password(id)}, false)
	n.Do(func() {
		if link.sent != 1 || len(n.revalidating) != 1 {
			t.Fatalf("follower: REVALIDATE packets sent %d, waiting reconnects %d; want 1 and 1", link.sent, len(n.revalidating))
		}
		n.SetRole(RoleLooking, nil)
	})
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed || c.frames != 0 || len(c.resumed) != 1 || c.resumed[0] {
		t.Fatalf("after leaving the follower role: closed %v, frames sent %d, resumed %v; want closed, no frame, [false]", c.closed, c.frames, c.resumed)
	}
	n.Do(func() {
		if len(n.revalidating) != 0 {
			t.Fatalf("%d reconnects still waiting for REVALIDATE", len(n.revalidating))
		}
	})
}

// A follower that leaves its role applies what it logged (it is part of its history), but
// must not tell any client about those txns: none is known to be committed. (The Docker
// interop campaign caught an acknowledged write that a later leader did not have.)
func TestLeavingRoleNeverAcknowledgesUncommittedWrites(t *testing.T) {
	n := New(Options{}, datatree.New(), nil)
	go n.Run()
	defer n.Stop()
	link := &dropLink{}
	n.Do(func() {
		n.SetRole(RoleFollower, link)
		n.SetServing(true)
	})
	const id = int64(0x100000000000002)
	c := &fakeConn{}
	var client *Client
	n.Do(func() {
		client = &Client{conn: c, session: id, timeout: 10000, watcher: 99}
		n.sessions.Add(id, 10000, nowMs())
		n.clients[id] = client
		n.byConn[c] = client
		n.watchers[client.watcher] = client
	})
	// The client's create is forwarded to the leader...
	n.Request(c, records.RequestHeader{Xid: 1, Type: 1}, &records.CreateRequest{Path: "/x", ACL: datatree.OpenACL}, nil, nil)
	// ...which proposes it; the follower logs it; then the leader is gone before COMMIT.
	txn := records.CreateTxn{Path: "/x", ACL: datatree.OpenACL, ParentCVersion: 1}
	hdr := records.TxnHeader{ClientID: id, Cxid: 1, Zxid: 0x100000001, Time: 1, Type: 1}
	payload := append(hdr.Append(nil), txn.Append(nil)...)
	n.Do(func() {
		if err := n.LearnerProposal(payload, false); err != nil {
			t.Fatal(err)
		}
	})
	c.mu.Lock()
	before := c.frames
	c.mu.Unlock()
	n.Do(func() {
		n.ApplyAllPending()
		n.SetRole(RoleLooking, nil)
		if n.tree.Get("/x") == nil {
			t.Fatal("the logged txn was not applied")
		}
	})
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.frames != before || !c.closed {
		t.Fatalf("client got %d frames after the leader was lost (closed %v); want none and closed", c.frames-before, c.closed)
	}
}
