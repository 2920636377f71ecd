package storage

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/zkgo/zkgo/jute"
	"github.com/zkgo/zkgo/jute/records"
	"github.com/zkgo/zkgo/server/datatree"
	"github.com/zkgo/zkgo/wire"
)

// model is a small reference data tree for the interop tests: it applies txns as Java's
// DataTree does (createNode, deleteNode, setData, setACL, killSession, multi), keeps the
// ACL cache by index and computes the tree digest (DigestCalculator v2 summed over nodes). It
// is a Loader, and writes snapshots. Paths use "" for the root, as snapshots do.
type model struct {
	nodes    map[string]*mnode
	acls     map[int64][]records.ACL
	aclIdx   map[string]int64
	nextACL  int64
	sessions map[int64]int32
	snapZxid int64
	lastZxid int64
	applied  int

	// digest checking on replay, as DataTree.compareDigest: skipped until the snapshot's
	// digest zxid is reached (a fuzzy snapshot), then every txn's digest must match.
	target     *wire.ZxidDigest
	digestSeen int
	mismatches []string
}

type mnode struct {
	data []byte
	acl  int64
	stat records.StatPersisted
}

func newModel() *model {
	m := &model{nodes: map[string]*mnode{}, acls: map[int64][]records.ACL{}, aclIdx: map[string]int64{}, sessions: map[int64]int32{}}
	for _, p := range []string{"", "/zookeeper", "/zookeeper/quota"} {
		m.nodes[p] = &mnode{data: []byte{}, acl: -1}
	}
	m.nodes["/zookeeper/config"] = &mnode{data: []byte{}, acl: m.intern([]records.ACL{{Perms: 1, ID: records.ID{Scheme: "world", ID: "anyone"}}})}
	return m
}

func key(p string) string {
	if p == "/" {
		return ""
	}
	return p
}

func parent(p string) string { return p[:strings.LastIndexByte(p, '/')] }

func (m *model) intern(acl []records.ACL) int64 {
	if acl == nil {
		return -1
	}
	k := fmt.Sprint(acl)
	if i, ok := m.aclIdx[k]; ok {
		return i
	}
	m.nextACL++
	m.acls[m.nextACL], m.aclIdx[k] = acl, m.nextACL
	return m.nextACL
}

// nodeDigest is the data tree's DigestCalculator; the Java interop tests check it against the
// digests Java logs.
func nodeDigest(path string, n *mnode) uint64 {
	return datatree.DigestOf(path, n.data, n.stat)
}

func (m *model) digest() int64 {
	var d uint64
	for p, n := range m.nodes {
		d += nodeDigest(p, n)
	}
	return int64(d)
}

// userNodes maps every node outside /zookeeper to its data.
func (m *model) userNodes() map[string]string {
	out := map[string]string{}
	for p, n := range m.nodes {
		if p != "" && p != "/zookeeper" && !strings.HasPrefix(p, "/zookeeper/") {
			out[p] = string(n.data)
		}
	}
	return out
}

// LoadSnapshot implements Loader.
func (m *model) LoadSnapshot(r *wire.SnapshotReader, zxid int64) error {
	*m = model{nodes: map[string]*mnode{}, acls: map[int64][]records.ACL{}, aclIdx: map[string]int64{}, sessions: map[int64]int32{}, snapZxid: zxid, lastZxid: zxid}
	ss, err := r.Sessions()
	if err != nil {
		return err
	}
	for _, s := range ss {
		m.sessions[s.ID] = s.Timeout
	}
	acls, err := r.ACLs()
	if err != nil {
		return err
	}
	for _, e := range acls {
		m.acls[e.Index], m.aclIdx[fmt.Sprint(e.ACL)] = e.ACL, e.Index
		m.nextACL = max(m.nextACL, e.Index)
	}
	for {
		n, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if n.Path != "" {
			if _, ok := m.nodes[parent(n.Path)]; !ok {
				return fmt.Errorf("node %s before its parent", n.Path)
			}
		}
		if _, ok := m.acls[n.ACL]; !ok && n.ACL != -1 {
			return fmt.Errorf("node %s: ACL index %d not in the cache", n.Path, n.ACL)
		}
		m.nodes[n.Path] = &mnode{data: n.Data, acl: n.ACL, stat: n.Stat}
	}
	t, err := r.Finish()
	if err != nil {
		return err
	}
	if t.Digest != nil && t.Digest.Zxid >= zxid {
		m.target = t.Digest
		if t.Digest.Zxid == zxid {
			m.checkTarget()
		}
	}
	return nil
}

func (m *model) checkTarget() {
	if d := m.digest(); d != m.target.Digest {
		m.mismatches = append(m.mismatches, fmt.Sprintf("snapshot digest at 0x%x: %d, tree %d", m.target.Zxid, m.target.Digest, d))
	}
	m.digestSeen++
	m.target = nil
}

// ApplyTxn implements Loader.
func (m *model) ApplyTxn(hdr *records.TxnHeader, txn jute.Record, digest *records.TxnDigest, _ []byte) error {
	if err := m.apply(hdr, wire.Op(hdr.Type), txn); err != nil {
		return err
	}
	m.lastZxid = hdr.Zxid
	m.applied++
	switch {
	case m.target != nil:
		if hdr.Zxid == m.target.Zxid {
			m.checkTarget()
		}
	case digest != nil:
		if d := m.digest(); d != digest.TreeDigest {
			m.mismatches = append(m.mismatches, fmt.Sprintf("txn 0x%x (%s): log %d, tree %d", hdr.Zxid, wire.Op(hdr.Type), digest.TreeDigest, d))
		}
		m.digestSeen++
	}
	return nil
}

// apply changes the tree; like Java, a create of an existing node and a delete of a missing
// one (re-applied over a fuzzy snapshot) change nothing.
func (m *model) apply(hdr *records.TxnHeader, op wire.Op, txn jute.Record) error {
	z, t := hdr.Zxid, hdr.Time
	switch x := txn.(type) {
	case *records.CreateSessionTxn:
		m.sessions[hdr.ClientID] = x.TimeOut
	case *records.CloseSessionTxn:
		m.killSession(hdr.ClientID, x.Paths2Delete, z)
	case nil:
		if op == wire.OpCloseSession {
			m.killSession(hdr.ClientID, nil, z)
		}
	case *records.CreateTxn:
		owner := int64(0)
		if x.Ephemeral {
			owner = hdr.ClientID
		}
		if m.nodes[x.Path] != nil && op == wire.OpCreate {
			// re-applied over a fuzzy snapshot: DataTree.processTxn fixes the parent's
			// cversion and pzxid (for type create only)
			if p := m.nodes[parent(x.Path)]; p != nil {
				cv := x.ParentCVersion
				if cv == -1 {
					cv = p.stat.Cversion + 1
				}
				if cv > p.stat.Cversion {
					p.stat.Cversion, p.stat.Pzxid = cv, z
				}
			}
			return nil
		}
		m.create(x.Path, x.Data, x.ACL, owner, x.ParentCVersion, z, t)
	case *records.CreateContainerTxn:
		m.create(x.Path, x.Data, x.ACL, -1<<63, x.ParentCVersion, z, t)
	case *records.CreateTTLTxn:
		m.create(x.Path, x.Data, x.ACL, int64(-0x100000000000000)|x.Ttl, x.ParentCVersion, z, t)
	case *records.DeleteTxn:
		m.delete(x.Path, z)
	case *records.SetDataTxn:
		if n := m.nodes[key(x.Path)]; n != nil {
			n.data, n.stat.Version, n.stat.Mzxid, n.stat.Mtime = x.Data, x.Version, z, t
		}
	case *records.SetACLTxn:
		if n := m.nodes[key(x.Path)]; n != nil {
			n.acl, n.stat.Aversion = m.intern(x.ACL), x.Version
		}
	case *records.ErrorTxn, *records.CheckVersionTxn:
	case *records.MultiTxn:
		for i := range x.Txns {
			sub, err := wire.DecodeSubTxn(&x.Txns[i])
			if err != nil {
				return err
			}
			if err := m.apply(hdr, wire.Op(x.Txns[i].Type), sub); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("model: unexpected txn %T", txn)
	}
	return nil
}

func (m *model) create(path string, data []byte, acl []records.ACL, owner int64, parentCVersion int32, z, t int64) {
	p := m.nodes[parent(path)]
	if p == nil || m.nodes[path] != nil {
		return
	}
	if parentCVersion == -1 {
		parentCVersion = p.stat.Cversion + 1
	}
	if parentCVersion > p.stat.Cversion {
		p.stat.Cversion, p.stat.Pzxid = parentCVersion, z
	}
	m.nodes[path] = &mnode{data: data, acl: m.intern(acl), stat: records.StatPersisted{
		Czxid: z, Mzxid: z, Pzxid: z, Ctime: t, Mtime: t, EphemeralOwner: owner}}
}

func (m *model) delete(path string, z int64) {
	if p := m.nodes[parent(path)]; p != nil && z > p.stat.Pzxid {
		p.stat.Pzxid = z
	}
	delete(m.nodes, path)
}

func (m *model) killSession(id int64, paths []string, z int64) {
	delete(m.sessions, id)
	if paths == nil {
		for p, n := range m.nodes {
			if n.stat.EphemeralOwner == id {
				paths = append(paths, p)
			}
		}
	}
	for _, p := range paths {
		m.delete(p, z)
	}
}

// write returns a snapshot writer function for the current tree (a copy is taken now).
func (m *model) write(trailer wire.SnapshotTrailer) func(*wire.SnapshotWriter) error {
	paths := make([]string, 0, len(m.nodes))
	nodes := make([]wire.SnapNode, 0, len(m.nodes))
	for p := range m.nodes {
		paths = append(paths, p)
	}
	sort.Strings(paths) // a parent sorts before its children
	for _, p := range paths {
		n := m.nodes[p]
		nodes = append(nodes, wire.SnapNode{Path: p, Data: n.data, ACL: n.acl, Stat: n.stat})
	}
	var acls []wire.ACLEntry
	for i := int64(1); i <= m.nextACL; i++ {
		if a, ok := m.acls[i]; ok {
			acls = append(acls, wire.ACLEntry{Index: i, ACL: a})
		}
	}
	var sessions []wire.SnapSession
	for id, to := range m.sessions {
		sessions = append(sessions, wire.SnapSession{ID: id, Timeout: to})
	}
	sort.Slice(sessions, func(i, j int) bool { return sessions[i].ID < sessions[j].ID })
	return func(w *wire.SnapshotWriter) error { return wire.WriteSnapshot(w, sessions, acls, nodes, trailer) }
}
