package node

import (
	"time"

	"github.com/zkgo/zkgo/jute"
	"github.com/zkgo/zkgo/jute/records"
	"github.com/zkgo/zkgo/server/watch"
	"github.com/zkgo/zkgo/wire"
)

// Accessors for the operations surface (four-letter words, AdminServer, metrics). Unless
// noted, call them only from inside Do.

// Watcher is the client's watcher id in the watch manager.
func (c *Client) Watcher() watch.Watcher { return c.watcher }

// noteResponse updates the per-connection reply stats (ServerCnxn.updateStatsForResponse):
// special (negative) xids do not overwrite the last cxid.
func (c *Client) noteResponse(xid int32, ms int64) {
	if xid >= 0 {
		c.LastCxid = int64(xid)
	}
	c.LastResponse = time.Now().UnixMilli()
	if c.Count == 0 || ms < c.MinLatency {
		c.MinLatency = ms
	}
	if ms > c.MaxLatency {
		c.MaxLatency = ms
	}
	c.Count++
	c.TotalLatency += ms
}

// ResetStats is crst for one connection (ServerCnxn.resetStats).
func (c *Client) ResetStats() {
	c.Received, c.Sent = 0, 0
	c.MinLatency, c.MaxLatency, c.TotalLatency, c.Count = 0, 0, 0, 0
	c.LastOp = "NA"
	c.LastCxid, c.LastZxid = -1, -1
	c.LastResponse, c.LastLatency = 0, 0
}

// ClientOf returns the attached client of a transport connection, or nil.
func (n *Node) ClientOf(conn Conn) *Client { return n.byConn[conn] }

// Queued is the number of a session's requests not yet answered.
func (n *Node) Queued(session int64) int {
	if q := n.queues[session]; q != nil {
		return len(q.items)
	}
	return 0
}

// ZxidDigest is one entry of the digest log.
type ZxidDigest struct {
	Zxid   int64
	Digest uint64
}

// Java's DataTree.DIGEST_LOG_INTERVAL and DIGEST_LOG_LIMIT.
const (
	digestLogInterval = 128
	digestLogLimit    = 1024
)

// logDigest keeps the tree digest of every 128th zxid (DataTree.logZxidDigest), for hash.
func (n *Node) logDigest(zxid int64) {
	if !n.tree.DigestEnabled || zxid%digestLogInterval != 0 {
		return
	}
	n.digestLog = append(n.digestLog, ZxidDigest{zxid, n.tree.Digest()})
	if len(n.digestLog) > digestLogLimit {
		n.digestLog = n.digestLog[1:]
	}
}

// DigestLog lists the logged digests, oldest first.
func (n *Node) DigestLog() []ZxidDigest { return append([]ZxidDigest(nil), n.digestLog...) }

// Observed is one answered request, for Options.ObserveRequest.
type Observed struct {
	Op      wire.Op
	Write   bool // a txn: Java's updatelatency (else readlatency)
	Path    string
	Bytes   int64 // read: data or child-name bytes returned; write: data bytes written
	Counted bool  // the request succeeded on a node: counts toward the per-namespace stats
	Latency time.Duration
}

// observe reports an answered request to Options.ObserveRequest.
func (n *Node) observe(r *request, write, ok bool, resp jute.Record) {
	f := n.opts.ObserveRequest
	if f == nil {
		return
	}
	o := Observed{Op: r.op, Write: write, Latency: time.Since(r.start)}
	if ok {
		o.Path, o.Bytes, o.Counted = pathBytes(r.body, resp)
	}
	f(o)
}

// pathBytes is what DataTree's updateReadStat/updateWriteStat see for a request.
func pathBytes(req, resp jute.Record) (string, int64, bool) {
	switch q := req.(type) {
	case *records.GetDataRequest:
		if d, ok := resp.(*records.GetDataResponse); ok {
			return q.Path, int64(len(d.Data)), true
		}
	case *records.ExistsRequest:
		if _, ok := resp.(*records.ExistsResponse); ok {
			return q.Path, 0, true
		}
	case *records.GetChildrenRequest:
		if c, ok := resp.(*records.GetChildrenResponse); ok {
			return q.Path, nameBytes(c.Children), true
		}
	case *records.GetChildren2Request:
		if c, ok := resp.(*records.GetChildren2Response); ok {
			return q.Path, nameBytes(c.Children), true
		}
	case *records.CreateRequest:
		return q.Path, int64(len(q.Data)), true
	case *records.CreateTTLRequest:
		return q.Path, int64(len(q.Data)), true
	case *records.SetDataRequest:
		return q.Path, int64(len(q.Data)), true
	case *records.DeleteRequest:
		return q.Path, 0, true
	}
	return "", 0, false
}

func nameBytes(names []string) int64 {
	var n int64
	for _, s := range names {
		n += int64(len(s))
	}
	return n
}

// LeaderView is what a leader knows of its learners (mntr's leader gauges).
type LeaderView struct {
	Followers, Observers []int64 // synced learners the leader broadcasts to, sorted
	PendingSyncs         int
}

// Leader describes the learners while this node leads; ok is false otherwise.
func (n *Node) Leader() (v LeaderView, ok bool) {
	if n.role != RoleLeader || n.lead == nil {
		return v, false
	}
	v.Followers, v.Observers = n.lead.core.Forwarding()
	v.PendingSyncs = len(n.lead.syncs)
	return v, true
}
