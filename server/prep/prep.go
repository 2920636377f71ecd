package prep

import (
	"fmt"
	"strings"

	"github.com/zkgo/zkgo/jute"
	"github.com/zkgo/zkgo/jute/records"
	"github.com/zkgo/zkgo/server/datatree"
	"github.com/zkgo/zkgo/wire"
)

// change is the state a path will have once outstanding txns apply (ZooKeeper's ChangeRecord).
type change struct {
	zxid       int64
	path       string
	exists     bool
	stat       records.StatPersisted
	childCount int
	acl        []records.ACL
	data       []byte
	digest     uint64
}

// Request is a write to prepare.
type Request struct {
	SessionID int64
	Cxid      int32
	Op        wire.Op
	Record    jute.Record    // the decoded request body (nil for closeSession)
	Multi     []wire.MultiOp // for multi
	Auth      []records.ID   // the requester's auth ids
	Timeout   int32          // createSession: the negotiated timeout
	DecodeErr bool           // the body did not decode: the txn is ErrorTxn(MARSHALLINGERROR)
}

// Txn is a prepared txn.
type Txn struct {
	Header records.TxnHeader
	Record jute.Record // nil when the type has no body
	Digest int64       // tree digest after this txn
	// Err is the code of a failed request (the txn is then an ErrorTxn), or of the first
	// failing op of a multi (whose txn is still a MultiTxn).
	Err wire.Code
}

// Marshal encodes the txn as a log entry / PROPOSAL payload: TxnHeader + record + TxnDigest.
func (t *Txn) Marshal(digest bool) []byte {
	n := t.Header.Size()
	if t.Record != nil {
		n += t.Record.Size()
	}
	if digest {
		n += 12
	}
	b := make([]byte, 0, n)
	b = t.Header.Append(b)
	if t.Record != nil {
		b = t.Record.Append(b)
	}
	if digest {
		d := records.TxnDigest{Version: 2, TreeDigest: t.Digest}
		b = d.Append(b)
	}
	return b
}

// Sessions answers session checks for prep (the session tracker).
type Sessions interface {
	// Valid reports whether a session exists and is not closing.
	Valid(id int64) bool
}

// Prep prepares txns against a tree plus outstanding changes.
type Prep struct {
	Tree           *datatree.Tree
	Auth           *Auth
	Sessions       Sessions
	ExtendedTypes  bool // zookeeper.extendedTypesEnabled: TTL nodes
	ReconfigEnable bool // reconfigEnabled
	// StandaloneEnabled is standaloneEnabled: a reconfig must then leave at least 2 voters.
	StandaloneEnabled bool
	// Ensemble is the leader's view for reconfig requests; nil on a standalone server.
	Ensemble Ensemble

	pending  map[string]*change
	order    []*change
	digest   uint64 // tree digest with every outstanding change applied
	haveDiff bool
}

// New returns a Prep over tree.
func New(tree *datatree.Tree, auth *Auth, sessions Sessions) *Prep {
	return &Prep{Tree: tree, Auth: auth, Sessions: sessions, pending: map[string]*change{}}
}

// Outstanding reports whether any prepared txn is not yet applied.
func (p *Prep) Outstanding() bool { return len(p.order) > 0 }

// Applied drops outstanding changes of txns up to zxid (they are in the tree now).
func (p *Prep) Applied(zxid int64) {
	i := 0
	for ; i < len(p.order) && p.order[i].zxid <= zxid; i++ {
		c := p.order[i]
		if p.pending[c.path] == c {
			delete(p.pending, c.path)
		}
	}
	p.order = p.order[i:]
	if len(p.order) == 0 {
		p.order = nil
		p.haveDiff = false
	}
}

func (p *Prep) treeDigest() uint64 {
	if p.haveDiff {
		return p.digest
	}
	return p.Tree.Digest()
}

func (p *Prep) record(path string) *change {
	if c, ok := p.pending[path]; ok {
		return c
	}
	n := p.Tree.Get(path)
	if n == nil {
		return nil
	}
	return &change{zxid: -1, path: path, exists: true, stat: n.Stat(), childCount: n.NumChildren(), acl: p.Tree.ACL(n), data: n.Data, digest: datatree.NodeDigest(path, n)}
}

// get returns the live record of path or NONODE.
func (p *Prep) get(path string) (*change, error) {
	c := p.record(path)
	if c == nil || !c.exists {
		return nil, wire.ErrNoNode
	}
	return c, nil
}

// undo remembers what a multi replaced, to roll back on failure.
type undo struct {
	path string
	prev *change
	had  bool
}

type txnCtx struct {
	zxid, time int64
	undo       []undo
}

func (p *Prep) add(ctx *txnCtx, c *change) {
	prev, had := p.pending[c.path]
	ctx.undo = append(ctx.undo, undo{c.path, prev, had})
	var old uint64
	if had {
		old = prev.digest
	} else if n := p.Tree.Get(c.path); n != nil {
		old = datatree.NodeDigest(c.path, n)
	}
	if c.exists {
		c.digest = datatree.DigestOf(c.path, c.data, c.stat)
	} else {
		c.digest = 0
	}
	if !p.haveDiff {
		p.digest = p.Tree.Digest()
		p.haveDiff = true
	}
	p.digest += c.digest - old
	p.pending[c.path] = c
	p.order = append(p.order, c)
}

func (p *Prep) rollback(ctx *txnCtx, from int) {
	for i := len(ctx.undo) - 1; i >= from; i-- {
		u := ctx.undo[i]
		cur := p.pending[u.path]
		var old uint64
		if u.had {
			old = u.prev.digest
			p.pending[u.path] = u.prev
		} else {
			if n := p.Tree.Get(u.path); n != nil {
				old = datatree.NodeDigest(u.path, n)
			}
			delete(p.pending, u.path)
		}
		p.digest += old - cur.digest
		// drop the record from the order list (it is the last with this zxid and path)
		for j := len(p.order) - 1; j >= 0; j-- {
			if p.order[j] == cur {
				p.order = append(p.order[:j], p.order[j+1:]...)
				break
			}
		}
	}
	ctx.undo = ctx.undo[:from]
}

func (c *change) dup(zxid int64) *change {
	d := *c
	d.zxid = zxid
	return &d
}

func errCode(err error) wire.Code {
	if c, ok := err.(wire.Code); ok {
		return c
	}
	return wire.ErrMarshallingError
}

// Prepare turns a write request into a txn with the given zxid and time.
func (p *Prep) Prepare(r *Request, zxid, time int64) *Txn {
	t := &Txn{Header: records.TxnHeader{ClientID: r.SessionID, Cxid: r.Cxid, Zxid: zxid, Time: time, Type: int32(r.Op)}}
	ctx := &txnCtx{zxid: zxid, time: time}
	if r.DecodeErr {
		t.Header.Type = int32(wire.OpError)
		t.Err = wire.ErrMarshallingError
		t.Record = &records.ErrorTxn{Err: int32(t.Err)}
		t.Digest = int64(p.treeDigest())
		return t
	}
	if r.Op == wire.OpMulti {
		p.prepareMulti(t, r, ctx)
		t.Digest = int64(p.treeDigest())
		return t
	}
	rec, err := p.prepareOne(r.Op, r.Record, r, ctx)
	if err != nil {
		p.rollback(ctx, 0)
		t.Header.Type = int32(wire.OpError)
		t.Err = errCode(err)
		t.Record = &records.ErrorTxn{Err: int32(t.Err)}
	} else {
		t.Record = rec
	}
	t.Digest = int64(p.treeDigest())
	return t
}

func (p *Prep) prepareMulti(t *Txn, r *Request, ctx *txnCtx) {
	mt := &records.MultiTxn{Txns: []records.Txn{}}
	var failed error
	for _, op := range r.Multi {
		var typ wire.Op
		var rec jute.Record
		if failed != nil {
			typ, rec = wire.OpError, &records.ErrorTxn{Err: int32(wire.ErrRuntimeInconsistency)}
		} else {
			var err error
			rec, err = p.prepareOne(op.Op, op.Record, r, ctx)
			typ = op.Op
			if err != nil {
				failed = err
				t.Err = errCode(err)
				typ, rec = wire.OpError, &records.ErrorTxn{Err: int32(t.Err)}
				p.rollback(ctx, 0)
			}
		}
		mt.Txns = append(mt.Txns, records.Txn{Type: int32(typ), Data: jute.Marshal(rec)})
	}
	t.Record = mt
}

func (p *Prep) checkSession(r *Request) error {
	if p.Sessions != nil && !p.Sessions.Valid(r.SessionID) {
		return wire.ErrSessionExpired
	}
	return nil
}

func parentPath(path string) (string, error) {
	i := strings.LastIndexByte(path, '/')
	if i < 0 || strings.IndexByte(path, 0) >= 0 {
		return "", wire.ErrBadArguments
	}
	if i == 0 {
		return "/", nil
	}
	return path[:i], nil
}

func special(path string) bool {
	switch path {
	case "/", datatree.ZookeeperPath, datatree.QuotaPath, datatree.ConfigPath:
		return true
	}
	return false
}

func checkVersion(cur, expected int32) (int32, error) {
	if expected != -1 && expected != cur {
		return 0, wire.ErrBadVersion
	}
	return cur + 1, nil
}

func (p *Prep) prepareOne(op wire.Op, body jute.Record, r *Request, ctx *txnCtx) (jute.Record, error) {
	switch op {
	case wire.OpCreate, wire.OpCreate2, wire.OpCreateContainer, wire.OpCreateTTL:
		return p.create(op, body, r, ctx)
	case wire.OpDelete:
		if err := p.checkSession(r); err != nil {
			return nil, err
		}
		req := body.(*records.DeleteRequest)
		pp, err := parentPath(req.Path)
		if err == nil && special(req.Path) {
			err = wire.ErrBadArguments
		}
		if err != nil {
			return nil, err
		}
		parent, err := p.get(pp)
		if err != nil {
			return nil, err
		}
		if err := p.Auth.Check(parent.acl, wire.PermDelete, r.Auth); err != nil {
			return nil, err
		}
		node, err := p.get(req.Path)
		if err != nil {
			return nil, err
		}
		if _, err := checkVersion(node.stat.Version, req.Version); err != nil {
			return nil, err
		}
		if node.childCount > 0 {
			return nil, wire.ErrNotEmpty
		}
		p.removeNode(ctx, pp, parent, req.Path)
		return &records.DeleteTxn{Path: req.Path}, nil
	case wire.OpDeleteContainer:
		req := body.(*records.DeleteContainerRequest)
		pp, err := parentPath(req.Path)
		if err == nil && special(req.Path) {
			err = wire.ErrBadArguments
		}
		if err != nil {
			return nil, err
		}
		node, err := p.get(req.Path)
		if err != nil {
			return nil, err
		}
		if node.childCount > 0 {
			return nil, wire.ErrNotEmpty
		}
		if datatree.SessionOwner(node.stat.EphemeralOwner) {
			return nil, wire.ErrBadVersion
		}
		parent, err := p.get(pp)
		if err != nil {
			return nil, err
		}
		p.removeNode(ctx, pp, parent, req.Path)
		return &records.DeleteTxn{Path: req.Path}, nil
	case wire.OpSetData:
		if err := p.checkSession(r); err != nil {
			return nil, err
		}
		req := body.(*records.SetDataRequest)
		if err := ValidatePath(req.Path); err != nil {
			return nil, err
		}
		node, err := p.get(req.Path)
		if err != nil {
			return nil, err
		}
		if err := p.Auth.Check(node.acl, wire.PermWrite, r.Auth); err != nil {
			return nil, err
		}
		v, err := checkVersion(node.stat.Version, req.Version)
		if err != nil {
			return nil, err
		}
		n := node.dup(ctx.zxid)
		n.stat.Version, n.stat.Mtime, n.stat.Mzxid, n.data = v, ctx.time, ctx.zxid, req.Data
		p.add(ctx, n)
		return &records.SetDataTxn{Path: req.Path, Data: req.Data, Version: v}, nil
	case wire.OpSetACL:
		if err := p.checkSession(r); err != nil {
			return nil, err
		}
		req := body.(*records.SetACLRequest)
		if err := ValidatePath(req.Path); err != nil {
			return nil, err
		}
		acl, err := FixupACL(req.ACL, r.Auth)
		if err != nil {
			return nil, err
		}
		node, err := p.get(req.Path)
		if err != nil {
			return nil, err
		}
		if err := p.Auth.Check(node.acl, wire.PermAdmin, r.Auth); err != nil {
			return nil, err
		}
		v, err := checkVersion(node.stat.Aversion, req.Version)
		if err != nil {
			return nil, err
		}
		n := node.dup(ctx.zxid)
		n.stat.Aversion, n.acl = v, acl
		p.add(ctx, n)
		return &records.SetACLTxn{Path: req.Path, ACL: acl, Version: v}, nil
	case wire.OpCheck:
		if err := p.checkSession(r); err != nil {
			return nil, err
		}
		req := body.(*records.CheckVersionRequest)
		if err := ValidatePath(req.Path); err != nil {
			return nil, err
		}
		node, err := p.get(req.Path)
		if err != nil {
			return nil, err
		}
		if err := p.Auth.Check(node.acl, wire.PermRead, r.Auth); err != nil {
			return nil, err
		}
		v, err := checkVersion(node.stat.Version, req.Version)
		if err != nil {
			return nil, err
		}
		return &records.CheckVersionTxn{Path: req.Path, Version: v}, nil
	case wire.OpReconfig:
		return p.reconfig(body, r, ctx)
	case wire.OpCreateSession:
		return &records.CreateSessionTxn{TimeOut: r.Timeout}, nil
	case wire.OpCloseSession:
		return p.closeSession(r, ctx), nil
	}
	return nil, fmt.Errorf("prep: %s is not a write", op)
}

func (p *Prep) removeNode(ctx *txnCtx, pp string, parent *change, path string) {
	pr := parent.dup(ctx.zxid)
	pr.childCount--
	pr.stat.Pzxid = ctx.zxid
	p.add(ctx, pr)
	p.add(ctx, &change{zxid: ctx.zxid, path: path})
}

func (p *Prep) create(op wire.Op, body jute.Record, r *Request, ctx *txnCtx) (jute.Record, error) {
	var (
		path  string
		data  []byte
		acl   []records.ACL
		flags int32
		ttl   int64 = -1
	)
	switch req := body.(type) {
	case *records.CreateTTLRequest:
		path, data, acl, flags, ttl = req.Path, req.Data, req.ACL, req.Flags, req.Ttl
	case *records.CreateRequest:
		path, data, acl, flags = req.Path, req.Data, req.ACL, req.Flags
	}
	if flags < 0 || flags > wire.ModePersistentSequentialWithTTL {
		return nil, wire.ErrBadArguments // CreateMode.fromFlag
	}
	isTTL := flags == wire.ModePersistentWithTTL || flags == wire.ModePersistentSequentialWithTTL
	ephemeral := flags == wire.ModeEphemeral || flags == wire.ModeEphemeralSequential
	sequential := flags == wire.ModePersistentSequential || flags == wire.ModeEphemeralSequential || flags == wire.ModePersistentSequentialWithTTL
	container := flags == wire.ModeContainer
	if isTTL && !p.ExtendedTypes {
		return nil, wire.ErrUnimplemented
	}
	if isTTL {
		if ttl <= 0 || ttl > datatree.MaxTTL {
			return nil, wire.ErrBadArguments
		}
	} else if ttl >= 0 {
		return nil, wire.ErrBadArguments
	}
	if err := p.checkSession(r); err != nil {
		return nil, err
	}
	pp, err := parentPath(path)
	if err != nil {
		return nil, err
	}
	acl, err = FixupACL(acl, r.Auth)
	if err != nil {
		return nil, err
	}
	parent, err := p.get(pp)
	if err != nil {
		return nil, err
	}
	if err := p.Auth.Check(parent.acl, wire.PermCreate, r.Auth); err != nil {
		return nil, err
	}
	if sequential {
		path += fmt.Sprintf("%010d", parent.stat.Cversion)
	}
	if err := ValidatePath(path); err != nil {
		return nil, err
	}
	if c := p.record(path); c != nil && c.exists {
		return nil, wire.ErrNodeExists
	}
	if datatree.SessionOwner(parent.stat.EphemeralOwner) {
		return nil, wire.ErrNoChildrenForEphemerals
	}
	newCversion := parent.stat.Cversion + 1
	var rec jute.Record
	owner := int64(0)
	switch {
	case op == wire.OpCreateContainer:
		rec = &records.CreateContainerTxn{Path: path, Data: data, ACL: acl, ParentCVersion: newCversion}
	case op == wire.OpCreateTTL:
		rec = &records.CreateTTLTxn{Path: path, Data: data, ACL: acl, ParentCVersion: newCversion, Ttl: ttl}
	default:
		rec = &records.CreateTxn{Path: path, Data: data, ACL: acl, Ephemeral: ephemeral, ParentCVersion: newCversion}
	}
	switch {
	case container:
		owner = datatree.ContainerOwner
	case isTTL:
		owner = datatree.TTLOwner(ttl)
	case ephemeral:
		owner = r.SessionID
	}
	pr := parent.dup(ctx.zxid)
	pr.childCount++
	pr.stat.Cversion = newCversion
	pr.stat.Pzxid = ctx.zxid
	p.add(ctx, pr)
	p.add(ctx, &change{
		zxid: ctx.zxid, path: path, exists: true, acl: acl, data: data,
		stat: records.StatPersisted{Czxid: ctx.zxid, Mzxid: ctx.zxid, Pzxid: ctx.zxid, Ctime: ctx.time, Mtime: ctx.time, EphemeralOwner: owner},
	})
	return rec, nil
}

// closeSession lists the session's ephemerals as they will be once outstanding txns apply.
func (p *Prep) closeSession(r *Request, ctx *txnCtx) jute.Record {
	es := map[string]bool{}
	for _, path := range p.Tree.Ephemerals(r.SessionID) {
		es[path] = true
	}
	for _, c := range p.order {
		if !c.exists {
			delete(es, c.path)
		} else if c.stat.EphemeralOwner == r.SessionID {
			es[c.path] = true
		}
	}
	paths := make([]string, 0, len(es))
	for path := range es {
		paths = append(paths, path)
	}
	paths = datatree.JavaHashSetOrder(paths)
	for _, path := range paths {
		pp, _ := parentPath(path)
		if parent, err := p.get(pp); err == nil {
			pr := parent.dup(ctx.zxid)
			pr.stat.Pzxid = ctx.zxid
			pr.childCount--
			p.add(ctx, pr)
		}
		p.add(ctx, &change{zxid: ctx.zxid, path: path})
	}
	return &records.CloseSessionTxn{Paths2Delete: paths}
}
