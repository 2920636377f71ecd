package datatree

import (
	"github.com/zkgo/zkgo/jute"
	"github.com/zkgo/zkgo/jute/records"
	"github.com/zkgo/zkgo/wire"
)

// Result is the outcome of applying one txn (ZooKeeper's ProcessTxnResult).
type Result struct {
	Type     wire.Op
	Err      wire.Code
	Path     string
	Stat     records.Stat // create2/createContainer/createTTL, setData, setACL: the node's new Stat
	Multi    []Result
	Triggers []Trigger
	// Deleted lists the ephemerals a closeSession removed.
	Deleted []string
}

// ApplyTxn applies a committed txn. txn is the decoded body for hdr.Type (nil for types
// without a body). A txn that fails here (NONODE on a replayed delete, ...) leaves the tree
// unchanged and reports the code; ApplyTxn never panics on a well-typed txn.
func (t *Tree) ApplyTxn(hdr *records.TxnHeader, txn jute.Record) Result {
	r := t.apply(hdr, wire.Op(hdr.Type), txn)
	if hdr.Zxid > t.LastZxid {
		t.LastZxid = hdr.Zxid
	}
	return r
}

func (t *Tree) apply(hdr *records.TxnHeader, op wire.Op, txn jute.Record) Result {
	r := Result{Type: op}
	switch tx := txn.(type) {
	case *records.CreateTxn:
		owner := int64(0)
		if tx.Ephemeral {
			owner = hdr.ClientID
		}
		r.Path = tx.Path
		r.Err = t.create(&r, tx.Path, tx.Data, tx.ACL, owner, tx.ParentCVersion, hdr.Zxid, hdr.Time)
		if r.Err == wire.ErrNodeExists {
			// A create replayed over a fuzzy snapshot: bring the parent's cversion/pzxid up to
			// what the txn says, as ZooKeeper does.
			t.setCversionPzxid(parentOf(tx.Path), tx.ParentCVersion, hdr.Zxid)
		}
	case *records.CreateContainerTxn:
		r.Path = tx.Path
		r.Err = t.create(&r, tx.Path, tx.Data, tx.ACL, ContainerOwner, tx.ParentCVersion, hdr.Zxid, hdr.Time)
	case *records.CreateTTLTxn:
		r.Path = tx.Path
		r.Err = t.create(&r, tx.Path, tx.Data, tx.ACL, TTLOwner(tx.Ttl), tx.ParentCVersion, hdr.Zxid, hdr.Time)
	case *records.DeleteTxn:
		r.Path = tx.Path
		r.Err = t.delete(&r, tx.Path, hdr.Zxid)
	case *records.SetDataTxn:
		r.Path = tx.Path
		r.Err = t.setData(&r, tx.Path, tx.Data, tx.Version, hdr.Zxid, hdr.Time)
	case *records.SetACLTxn:
		r.Path = tx.Path
		r.Err = t.setACL(&r, tx.Path, tx.ACL, tx.Version)
	case *records.CheckVersionTxn:
		r.Path = tx.Path
		if n := t.Get(tx.Path); n != nil {
			r.Stat = n.ClientStat()
		} else {
			r.Err = wire.ErrNoNode
		}
	case *records.ErrorTxn:
		r.Err = wire.Code(tx.Err)
	case *records.CloseSessionTxn:
		t.killSession(&r, hdr.ClientID, tx.Paths2Delete, hdr.Zxid)
	case *records.MultiTxn:
		t.multi(&r, hdr, tx)
	case *records.CreateSessionTxn:
	case nil:
		if op == wire.OpCloseSession {
			t.killSession(&r, hdr.ClientID, nil, hdr.Zxid)
		}
	default:
		r.Err = wire.ErrUnimplemented
	}
	return r
}

// multi applies the sub-txns of a MultiTxn. When any sub-txn is an error, the whole multi
// failed: sub-txns before the failure report OK and those after RUNTIMEINCONSISTENCY, and
// nothing changes (DataTree.processTxn, multi case).
func (t *Tree) multi(r *Result, hdr *records.TxnHeader, tx *records.MultiTxn) {
	failed := false
	for _, s := range tx.Txns {
		if wire.Op(s.Type) == wire.OpError {
			failed = true
			break
		}
	}
	postFailed := false
	for _, s := range tx.Txns {
		op := wire.Op(s.Type)
		var rec jute.Record
		if op == wire.OpError {
			postFailed = true
		}
		if failed && op != wire.OpError {
			code := wire.OK
			if postFailed {
				code = wire.ErrRuntimeInconsistency
			}
			op = wire.OpError
			rec = &records.ErrorTxn{Err: int32(code)}
		} else {
			rec = wire.NewTxnRecord(op)
			if rec == nil {
				r.Multi = append(r.Multi, Result{Type: op, Err: wire.ErrUnimplemented})
				continue
			}
			// Buffers copied: a node's data would otherwise keep the whole multi alive
			// (135 B per 100-byte znode created 100 per multi, against 112 for a copy).
			d := jute.NewDecoder(s.Data)
			d.CopyBuffers = true
			if err := rec.Decode(d); err != nil {
				r.Multi = append(r.Multi, Result{Type: op, Err: wire.ErrMarshallingError})
				continue
			}
		}
		sub := t.apply(hdr, op, rec)
		r.Triggers = append(r.Triggers, sub.Triggers...)
		sub.Triggers = nil
		if sub.Err != 0 && r.Err == 0 {
			r.Err = sub.Err
		}
		r.Multi = append(r.Multi, sub)
	}
}

func (t *Tree) create(r *Result, path string, data []byte, acl []records.ACL, owner int64, parentCVersion int32, zxid, time int64) wire.Code {
	pp := parentOf(path)
	parent := t.Get(pp)
	if parent == nil {
		return wire.ErrNoNode
	}
	name := baseOf(path)
	if parent.children.get(name) != nil {
		return wire.ErrNodeExists
	}
	if parentCVersion == -1 {
		parentCVersion = parent.cversion + 1
	}
	before := t.changing(pp, parent)
	if parentCVersion > parent.cversion {
		parent.cversion = parentCVersion
		parent.pzxid = zxid
	}
	n := &Node{
		Data: data, acl: int32(t.acls.intern(acl)),
		czxid: zxid, mzxid: zxid, pzxid: zxid, ctime: time, mtime: time, owner: owner,
	}
	t.link(parent, name, n)
	t.changed(pp, parent, before)
	t.changed(path, n, 0)
	t.track(path, owner)
	t.noteQuota(path)
	t.updateQuota(path, 1, int64(len(data)))
	t.initQuotaStats(path)
	r.Stat = n.ClientStat()
	r.Triggers = append(r.Triggers, Trigger{path, wire.EventNodeCreated, t.acls.get(int64(n.acl))}, Trigger{pp, wire.EventNodeChildrenChanged, t.acls.get(int64(parent.acl))})
	return wire.OK
}

func (t *Tree) delete(r *Result, path string, zxid int64) wire.Code {
	n := t.Get(path)
	if n == nil || n == t.root {
		return wire.ErrNoNode
	}
	pp := parentOf(path)
	parent := t.Get(pp)
	parent.children.remove(baseOf(path))
	t.count--
	before := t.changing(pp, parent)
	if zxid > parent.pzxid {
		parent.pzxid = zxid
	}
	t.changed(pp, parent, before)
	if t.DigestEnabled {
		t.digest -= nodeDigest(path, n)
	}
	acl := t.acls.get(int64(n.acl))
	t.acls.release(int64(n.acl))
	t.untrack(path, n.owner)
	t.updateQuota(path, -1, -int64(len(n.Data)))
	if baseOf(path) == limitsNode {
		delete(t.quotas, quotaTarget(pp))
	}
	r.Triggers = append(r.Triggers, Trigger{path, wire.EventNodeDeleted, acl}, Trigger{pp, wire.EventNodeChildrenChanged, t.acls.get(int64(parent.acl))})
	return wire.OK
}

func (t *Tree) setData(r *Result, path string, data []byte, version int32, zxid, time int64) wire.Code {
	n := t.Get(path)
	if n == nil {
		return wire.ErrNoNode
	}
	old := len(n.Data)
	before := t.changing(path, n)
	n.Data = data
	n.version = version
	n.mzxid = zxid
	n.mtime = time
	t.changed(path, n, before)
	t.updateQuota(path, 0, int64(len(data)-old))
	r.Stat = n.ClientStat()
	r.Triggers = append(r.Triggers, Trigger{path, wire.EventNodeDataChanged, t.acls.get(int64(n.acl))})
	return wire.OK
}

func (t *Tree) setACL(r *Result, path string, acl []records.ACL, version int32) wire.Code {
	n := t.Get(path)
	if n == nil {
		return wire.ErrNoNode
	}
	before := t.changing(path, n)
	t.acls.release(int64(n.acl))
	n.acl = int32(t.acls.intern(acl))
	n.aversion = version
	t.changed(path, n, before)
	r.Stat = n.ClientStat()
	return wire.OK
}

func (t *Tree) setCversionPzxid(path string, cversion int32, zxid int64) {
	n := t.Get(path)
	if n == nil {
		return
	}
	if cversion == -1 {
		cversion = n.cversion + 1
	}
	if cversion > n.cversion {
		before := t.changing(path, n)
		n.cversion = cversion
		n.pzxid = zxid
		t.changed(path, n, before)
	}
}

// killSession deletes a session's ephemerals: the listed ones when the CloseSessionTxn named
// them (3.6+), otherwise all of them.
func (t *Tree) killSession(r *Result, session int64, paths []string, zxid int64) {
	if paths == nil {
		paths = t.Ephemerals(session)
	}
	for _, p := range paths {
		n := t.Get(p)
		if n == nil || n.owner != session {
			continue
		}
		var sub Result
		if t.delete(&sub, p, zxid) == wire.OK {
			r.Deleted = append(r.Deleted, p)
			r.Triggers = append(r.Triggers, sub.Triggers...)
		}
	}
}
