package datatree

import (
	"io"

	"github.com/zkgo/zkgo/wire"
)

// WriteSnapshot writes the ACL cache and every node (pre-order, root as "") to w, after the
// caller wrote the header and sessions. The caller finishes w (seals, trailers or the SNAP
// signature).
func (t *Tree) WriteSnapshot(w *wire.SnapshotWriter) error {
	entries := t.acls.entries()
	acls := make([]wire.ACLEntry, len(entries))
	for i, e := range entries {
		acls[i] = wire.ACLEntry{Index: e.Index, ACL: e.ACL}
	}
	if err := w.ACLs(acls); err != nil {
		return err
	}
	var sn wire.SnapNode
	return t.Walk(func(path string, n *Node) error {
		if path == "/" {
			path = ""
		}
		sn = wire.SnapNode{Path: path, Data: n.Data, ACL: n.ACL, Stat: n.Stat}
		return w.Node(&sn)
	})
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
	if t.nodes["/"] == nil {
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
// background while the tree moves on.
func SnapshotFunc(t *Tree, sessions []wire.SnapSession) func(*wire.SnapshotWriter) error {
	entries := t.acls.entries()
	acls := make([]wire.ACLEntry, len(entries))
	for i, e := range entries {
		acls[i] = wire.ACLEntry{Index: e.Index, ACL: e.ACL}
	}
	nodes := make([]wire.SnapNode, 0, len(t.nodes))
	t.Walk(func(path string, n *Node) error {
		if path == "/" {
			path = ""
		}
		nodes = append(nodes, wire.SnapNode{Path: path, Data: n.Data, ACL: n.ACL, Stat: n.Stat})
		return nil
	})
	zxid, digest := t.LastZxid, int64(t.digest)
	trailer := wire.SnapshotTrailer{Digest: &wire.ZxidDigest{Zxid: zxid, Version: 2, Digest: digest}, LastZxid: &zxid}
	return func(w *wire.SnapshotWriter) error {
		return wire.WriteSnapshot(w, sessions, acls, nodes, trailer)
	}
}
