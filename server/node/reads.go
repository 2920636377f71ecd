package node

import (
	"errors"
	"strings"

	"github.com/zkgo/zkgo/jute"
	"github.com/zkgo/zkgo/jute/records"
	"github.com/zkgo/zkgo/server/datatree"
	"github.com/zkgo/zkgo/server/prep"
	"github.com/zkgo/zkgo/wire"
)

// writeResponse builds the success body of a write (FinalRequestProcessor).
func writeResponse(op wire.Op, res *datatree.Result) jute.Record {
	if res.Err != wire.OK {
		return nil
	}
	switch op {
	case wire.OpCreate:
		return &records.CreateResponse{Path: res.Path}
	case wire.OpCreate2, wire.OpCreateTTL, wire.OpCreateContainer:
		return &records.Create2Response{Path: res.Path, Stat: res.Stat}
	case wire.OpSetData:
		return &records.SetDataResponse{Stat: res.Stat}
	case wire.OpSetACL:
		return &records.SetACLResponse{Stat: res.Stat}
	}
	return nil
}

// multiResponse builds a MultiResponse from the sub-results.
func multiResponse(res *datatree.Result) jute.Record {
	out := make([]wire.MultiResult, 0, len(res.Multi))
	for i := range res.Multi {
		s := &res.Multi[i]
		r := wire.MultiResult{Op: s.Type}
		switch s.Type {
		case wire.OpCreate:
			r.Record = &records.CreateResponse{Path: s.Path}
		case wire.OpCreate2, wire.OpCreateTTL, wire.OpCreateContainer:
			// OpResult.CreateResult with a stat is typed create2 whatever the op was.
			r.Op = wire.OpCreate2
			r.Record = &records.Create2Response{Path: s.Path, Stat: s.Stat}
		case wire.OpSetData:
			r.Record = &records.SetDataResponse{Stat: s.Stat}
		case wire.OpDeleteContainer:
			r.Op = wire.OpDelete
		case wire.OpError:
			r.Err = s.Err
		}
		out = append(out, r)
	}
	return &multiRecord{res: out}
}

// multiRecord adapts a MultiResponse to jute.Record for framing.
type multiRecord struct{ res []wire.MultiResult }

func (m *multiRecord) Size() int                    { return wire.MultiResponseSize(m.res) }
func (m *multiRecord) Append(b []byte) []byte       { return wire.AppendMultiResponse(b, m.res) }
func (m *multiRecord) Decode(d *jute.Decoder) error { return errEncodeOnly }

var errEncodeOnly = errors.New("node: multiRecord is encode-only")

func (n *Node) checkRead(c *Client, nd *datatree.Node, path string, perm int32) error {
	return n.auth.Check(n.tree.ACL(nd), perm, c.auth)
}

// read answers a read request from the applied tree.
func (n *Node) read(r *request) {
	c := r.client
	n.noteLatency(c, r)
	zxid := n.tree.LastZxid
	c.LastZxid = zxid
	if r.op == wire.OpPing {
		n.observe(r, false, false, nil)
		c.reply(wire.XidPing, zxid, wire.OK, nil)
		return
	}
	if s := n.sessions.Get(c.session); s == nil || s.Closing {
		c.reply(r.xid, zxid, wire.ErrSessionExpired, nil)
		return
	}
	body, err := n.readOp(c, r.op, r.body, r.multi)
	code := wire.OK
	if err != nil {
		body = nil
		code = errCode(err)
	}
	n.observe(r, false, err == nil, body)
	c.reply(r.xid, zxid, code, body)
}

func errCode(err error) wire.Code {
	if c, ok := err.(wire.Code); ok {
		return c
	}
	return wire.ErrMarshallingError
}

func (n *Node) readOp(c *Client, op wire.Op, body jute.Record, multi []wire.MultiOp) (jute.Record, error) {
	t := n.tree
	switch op {
	case wire.OpSync:
		return &records.SyncResponse{Path: body.(*records.SyncRequest).Path}, nil
	case wire.OpExists:
		req := body.(*records.ExistsRequest)
		if strings.IndexByte(req.Path, 0) >= 0 {
			return nil, wire.ErrBadArguments
		}
		nd := t.Get(req.Path)
		if nd != nil {
			if err := n.checkRead(c, nd, req.Path, wire.PermRead); err != nil {
				return nil, err
			}
		}
		if req.Watch {
			n.watches.AddData(req.Path, c.watcher)
		}
		if nd == nil {
			return nil, wire.ErrNoNode
		}
		return &records.ExistsResponse{Stat: nd.ClientStat()}, nil
	case wire.OpGetData:
		return n.getData(c, body.(*records.GetDataRequest))
	case wire.OpGetChildren:
		return n.getChildren(c, body.(*records.GetChildrenRequest))
	case wire.OpGetChildren2:
		req := body.(*records.GetChildren2Request)
		nd := t.Get(req.Path)
		if nd == nil {
			return nil, wire.ErrNoNode
		}
		if err := n.checkRead(c, nd, req.Path, wire.PermRead); err != nil {
			return nil, err
		}
		if req.Watch {
			n.watches.AddChild(req.Path, c.watcher)
		}
		return &records.GetChildren2Response{Children: nd.Children(), Stat: nd.ClientStat()}, nil
	case wire.OpGetACL:
		req := body.(*records.GetACLRequest)
		nd := t.Get(req.Path)
		if nd == nil {
			return nil, wire.ErrNoNode
		}
		acl := t.ACL(nd)
		if err := n.auth.Check(acl, wire.PermRead|wire.PermAdmin, c.auth); err != nil {
			return nil, err
		}
		out := make([]records.ACL, len(acl))
		copy(out, acl)
		if n.auth.Check(acl, wire.PermAdmin, c.auth) != nil {
			for i := range out {
				if out[i].ID.Scheme == "digest" {
					if j := strings.IndexByte(out[i].ID.ID, ':'); j >= 0 {
						out[i].ID.ID = out[i].ID.ID[:j] + ":x"
					}
				}
			}
		}
		return &records.GetACLResponse{ACL: out, Stat: nd.ClientStat()}, nil
	case wire.OpGetAllChildrenNumber:
		req := body.(*records.GetAllChildrenNumberRequest)
		nd := t.Get(req.Path)
		if nd == nil {
			return nil, wire.ErrNoNode
		}
		if err := n.checkRead(c, nd, req.Path, wire.PermRead); err != nil {
			return nil, err
		}
		return &records.GetAllChildrenNumberResponse{TotalNumber: int32(t.CountDescendants(req.Path))}, nil
	case wire.OpGetEphemerals:
		req := body.(*records.GetEphemeralsRequest)
		all := t.Ephemerals(c.session)
		out := []string{}
		pre := trimSpace(req.PrefixPath)
		for _, p := range all {
			if pre == "" || pre == "/" || strings.HasPrefix(p, req.PrefixPath) {
				out = append(out, p)
			}
		}
		return &records.GetEphemeralsResponse{Ephemerals: out}, nil
	case wire.OpSetWatches:
		req := body.(*records.SetWatches)
		if req.DataWatches == nil || req.ExistWatches == nil || req.ChildWatches == nil {
			return nil, wire.ErrMarshallingError // Java dereferences the lists
		}
		n.setWatches(c, req.RelativeZxid, req.DataWatches, req.ExistWatches, req.ChildWatches, nil, nil)
		return nil, nil
	case wire.OpSetWatches2:
		req := body.(*records.SetWatches2)
		if req.DataWatches == nil || req.ExistWatches == nil || req.ChildWatches == nil || req.PersistentWatches == nil || req.PersistentRecursiveWatches == nil {
			return nil, wire.ErrMarshallingError
		}
		n.setWatches(c, req.RelativeZxid, req.DataWatches, req.ExistWatches, req.ChildWatches, req.PersistentWatches, req.PersistentRecursiveWatches)
		return nil, nil
	case wire.OpAddWatch:
		req := body.(*records.AddWatchRequest)
		if req.Mode != wire.AddWatchPersistent && req.Mode != wire.AddWatchPersistentRecursive {
			return nil, wire.ErrMarshallingError // WatcherMode.fromZooDef throws
		}
		n.watches.AddPersistent(req.Path, c.watcher, req.Mode == wire.AddWatchPersistentRecursive)
		return &records.ErrorResponse{Err: 0}, nil
	case wire.OpCheckWatches:
		req := body.(*records.CheckWatchesRequest)
		if req.Type < wire.WatcherChildren || req.Type > wire.WatcherPersistentRecursive {
			return nil, wire.ErrMarshallingError // WatcherType.fromInt throws
		}
		if !n.watches.Has(req.Path, c.watcher, req.Type) {
			return nil, wire.ErrNoWatcher
		}
		return nil, nil
	case wire.OpRemoveWatches:
		req := body.(*records.RemoveWatchesRequest)
		if req.Type < wire.WatcherChildren || req.Type > wire.WatcherPersistentRecursive {
			return nil, wire.ErrMarshallingError
		}
		if !n.watches.Remove(req.Path, c.watcher, req.Type) {
			return nil, wire.ErrNoWatcher
		}
		return nil, nil
	case wire.OpWhoAmI:
		infos := make([]records.ClientInfo, 0, len(c.auth))
		for _, id := range prep.JavaSetOrder(c.auth) {
			infos = append(infos, records.ClientInfo{AuthScheme: id.Scheme, User: prep.UserName(id)})
		}
		return &records.WhoAmIResponse{ClientInfo: infos}, nil
	case wire.OpMultiRead:
		res := make([]wire.MultiResult, 0, len(multi))
		for _, o := range multi {
			var rec jute.Record
			var err error
			switch o.Op {
			// MultiOperationRecord keeps only the path of read ops: no watches are set.
			case wire.OpGetChildren:
				rec, err = n.getChildren(c, &records.GetChildrenRequest{Path: o.Record.(*records.GetChildrenRequest).Path})
			case wire.OpGetData:
				rec, err = n.getData(c, &records.GetDataRequest{Path: o.Record.(*records.GetDataRequest).Path})
			default:
				return nil, wire.ErrMarshallingError
			}
			if err != nil {
				res = append(res, wire.MultiResult{Op: wire.OpError, Err: errCode(err)})
			} else {
				res = append(res, wire.MultiResult{Op: o.Op, Record: rec})
			}
		}
		return &multiRecord{res: res}, nil
	}
	return nil, wire.ErrUnimplemented
}

func (n *Node) getData(c *Client, req *records.GetDataRequest) (jute.Record, error) {
	nd := n.tree.Get(req.Path)
	if nd == nil {
		return nil, wire.ErrNoNode
	}
	if err := n.checkRead(c, nd, req.Path, wire.PermRead); err != nil {
		return nil, err
	}
	if req.Watch {
		n.watches.AddData(req.Path, c.watcher)
	}
	return &records.GetDataResponse{Data: nd.Data, Stat: nd.ClientStat()}, nil
}

func (n *Node) getChildren(c *Client, req *records.GetChildrenRequest) (jute.Record, error) {
	nd := n.tree.Get(req.Path)
	if nd == nil {
		return nil, wire.ErrNoNode
	}
	if err := n.checkRead(c, nd, req.Path, wire.PermRead); err != nil {
		return nil, err
	}
	if req.Watch {
		n.watches.AddChild(req.Path, c.watcher)
	}
	return &records.GetChildrenResponse{Children: nd.Children()}, nil
}

// setWatches re-arms a reconnected client's watches (DataTree.setWatches): events that
// happened after relativeZxid fire at once (with zxid -1), the rest are re-added.
func (n *Node) setWatches(c *Client, rel int64, data, exist, child, persistent, recursive []string) {
	t := n.tree
	for _, p := range data {
		nd := t.Get(p)
		switch {
		case nd == nil:
			c.notify(wire.EventNodeDeleted, p, -1)
		case nd.Stat().Mzxid > rel:
			c.notify(wire.EventNodeDataChanged, p, -1)
		default:
			n.watches.AddData(p, c.watcher)
		}
	}
	for _, p := range exist {
		if t.Get(p) != nil {
			c.notify(wire.EventNodeCreated, p, -1)
		} else {
			n.watches.AddData(p, c.watcher)
		}
	}
	for _, p := range child {
		nd := t.Get(p)
		switch {
		case nd == nil:
			c.notify(wire.EventNodeDeleted, p, -1)
		case nd.Stat().Pzxid > rel:
			c.notify(wire.EventNodeChildrenChanged, p, -1)
		default:
			n.watches.AddChild(p, c.watcher)
		}
	}
	for _, p := range persistent {
		n.watches.AddPersistent(p, c.watcher, false)
	}
	for _, p := range recursive {
		n.watches.AddPersistent(p, c.watcher, true)
	}
}
