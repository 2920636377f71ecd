package datatree

import (
	"io"
	"unsafe"

	"github.com/zkgo/zkgo/jute/records"
	"github.com/zkgo/zkgo/wire"
)

// WriteSnapshot writes the ACL cache and every node (pre-order, children by name, root as "")
// to w, after the caller wrote the header and sessions. The caller finishes w (seals,
// trailers or the SNAP signature).
func (t *Tree) WriteSnapshot(w *wire.SnapshotWriter) error {
	c := t.snapshotCopy()
	if err := w.ACLs(c.acls); err != nil {
		return err
	}
	return c.writeNodes(w)
}

// ReadSnapshot builds a tree from a snapshot reader positioned after the sessions: the ACL
// cache, then the nodes. The caller reads the seals/trailers afterwards (r.Finish).
func ReadSnapshot(r *wire.SnapshotReader) (*Tree, error) {
	t := NewEmpty()
	acls, err := r.ACLs()
	if err != nil {
		return nil, err
	}
	for _, a := range acls {
		t.LoadACL(a.Index, a.ACL)
	}
	for {
		n, err := r.Next()
		if err != nil {
			if err == io.EOF {
				break
			}
			return nil, err
		}
		if err := t.AddNode(n.Path, n.Data, n.ACL, n.Stat); err != nil {
			return nil, err
		}
	}
	if t.root == nil {
		return nil, &PathError{Path: "/", Msg: "snapshot has no root"}
	}
	t.FinishLoad()
	return t, nil
}

// LoadSnapshot reads a whole snapshot body from r (sessions, ACL cache, nodes) into a new tree
// whose LastZxid is zxid, the zxid in the file's name. The caller checks the seals (r.Finish).
func LoadSnapshot(r *wire.SnapshotReader, zxid int64) (*Tree, []wire.SnapSession, error) {
	ss, err := r.Sessions()
	if err != nil {
		return nil, nil, err
	}
	t, err := ReadSnapshot(r)
	if err != nil {
		return nil, nil, err
	}
	t.LastZxid = zxid
	return t, ss, nil
}

// SnapshotFunc copies the tree's state now (nodes share their immutable data slices) and
// returns a function that writes it as a snapshot file body with the given sessions, the
// digest trailer and the lastProcessedZxid trailer. The copy makes it safe to write in the
// background while the tree moves on; it is a walk over node pointers that builds no paths
// (the returned function does).
func SnapshotFunc(t *Tree, sessions []wire.SnapSession) func(*wire.SnapshotWriter) error {
	c := t.snapshotCopy()
	zxid, digest := t.LastZxid, int64(t.digest)
	trailer := wire.SnapshotTrailer{Digest: &wire.ZxidDigest{Zxid: zxid, Version: 2, Digest: digest}, LastZxid: &zxid}
	return func(w *wire.SnapshotWriter) error {
		if err := w.Sessions(sessions); err != nil {
			return err
		}
		if err := w.ACLs(c.acls); err != nil {
			return err
		}
		if err := c.writeNodes(w); err != nil {
			return err
		}
		return w.Finish(trailer)
	}
}

// snapCopy is the tree's nodes at one moment, breadth first: every node's children are a
// contiguous run of recs, by name.
type snapCopy struct {
	acls []wire.ACLEntry
	recs []snapRec
}

type snapRec struct {
	name        string
	data        []byte
	acl         int64
	stat        records.StatPersisted
	kids, nkids int32 // the run of children in recs
}

func (t *Tree) snapshotCopy() *snapCopy {
	entries := t.acls.entries()
	c := &snapCopy{acls: make([]wire.ACLEntry, len(entries))}
	for i, e := range entries {
		c.acls[i] = wire.ACLEntry{Index: e.Index, ACL: e.ACL}
	}
	if t.root == nil {
		return c
	}
	c.recs = make([]snapRec, 0, t.count)
	nodes := make([]*Node, 0, t.count) // nodes[i] is the node recs[i] copies
	add := func(name string, n *Node) {
		c.recs = append(c.recs, snapRec{name: name, data: n.Data, acl: int64(n.acl), stat: n.Stat()})
		nodes = append(nodes, n)
	}
	add("", t.root)
	for i := 0; i < len(nodes); i++ {
		n := nodes[i]
		c.recs[i].kids, c.recs[i].nkids = int32(len(c.recs)), int32(n.children.len())
		n.children.each(add)
	}
	return c
}

// writeNodes writes the copied nodes in pre-order, children by name.
func (c *snapCopy) writeNodes(w *wire.SnapshotWriter) error {
	if len(c.recs) == 0 {
		return nil
	}
	var path []byte
	var sn wire.SnapNode
	var write func(i int32) error
	write = func(i int32) error {
		r := &c.recs[i]
		if i > 0 {
			path = append(append(path, '/'), r.name...)
		}
		// w.Node copies the path before the buffer changes again.
		sn = wire.SnapNode{Path: unsafe.String(unsafe.SliceData(path), len(path)), Data: r.data, ACL: r.acl, Stat: r.stat}
		if err := w.Node(&sn); err != nil {
			return err
		}
		l := len(path)
		for k := r.kids; k < r.kids+r.nkids; k++ {
			if err := write(k); err != nil {
				return err
			}
			path = path[:l]
		}
		return nil
	}
	return write(0)
}
