package bench

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/zkgo/zkgo/jute"
	"github.com/zkgo/zkgo/jute/records"
	"github.com/zkgo/zkgo/wire"
)

// probe speaks just enough of the client protocol to tell when a server serves: a
// ConnectRequest, then one request, each bounded by the deadline. It keeps no state, so it
// can be tried every millisecond while a server starts.
func probe(addr string, timeout time.Duration, write bool) error {
	deadline := time.Now().Add(timeout)
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(deadline)
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	r := bufio.NewReader(c)
	creq := records.ConnectRequest{TimeOut: 4000, Passwd: make([]byte, 16)}
	if _, err := c.Write(wire.AppendFrame(nil, &creq)); err != nil {
		return err
	}
	frame, err := wire.ReadFrame(r, jute.DefaultMaxBuffer, nil)
	if err != nil {
		return fmt.Errorf("connect response: %w", err)
	}
	resp, _, err := wire.DecodeConnectResponse(frame)
	if err != nil {
		return err
	}
	if resp.SessionID == 0 {
		return errors.New("no session (the server is not serving)")
	}
	var req []byte
	if write {
		req = wire.AppendFrame(nil, &records.RequestHeader{Xid: 1, Type: int32(wire.OpCreate)},
			&records.CreateRequest{Path: "/zkbench-probe-" + strconv.FormatInt(probeSeq.Add(1), 10) + "-" + strconv.FormatInt(resp.SessionID, 16),
				ACL: []records.ACL{{Perms: 31, ID: records.ID{Scheme: "world", ID: "anyone"}}}, Flags: 1})
	} else {
		req = wire.AppendFrame(nil, &records.RequestHeader{Xid: 1, Type: int32(wire.OpExists)}, &records.ExistsRequest{Path: "/"})
	}
	if _, err := c.Write(req); err != nil {
		return err
	}
	for {
		frame, err = wire.ReadFrame(r, jute.DefaultMaxBuffer, nil)
		if err != nil {
			return fmt.Errorf("reply: %w", err)
		}
		var h records.ReplyHeader
		if err := h.Decode(jute.NewDecoder(frame)); err != nil {
			return err
		}
		if h.Xid != 1 {
			continue // a ping or an event
		}
		if h.Err != 0 {
			return fmt.Errorf("reply error %d", h.Err)
		}
		// Close the session so the ephemeral goes at once.
		c.Write(wire.AppendFrame(nil, &records.RequestHeader{Xid: 2, Type: int32(wire.OpCloseSession)}))
		return nil
	}
}

var probeSeq atomic.Int64

// waitServing probes addr every millisecond until a request is served, and returns the time
// of that success. It gives up at the deadline or when dead is closed (the process exited).
func waitServing(addr string, deadline time.Time, dead <-chan struct{}, write bool) (time.Time, error) {
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-dead:
			return time.Time{}, fmt.Errorf("bench: the server at %s exited before serving (last probe: %v)", addr, last)
		default:
		}
		if last = probe(addr, 2*time.Second, write); last == nil {
			return time.Now(), nil
		}
		time.Sleep(time.Millisecond)
	}
	return time.Time{}, fmt.Errorf("bench: %s not serving by the deadline (last probe: %v)", addr, last)
}
