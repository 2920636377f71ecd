package datatree

import (
	"encoding/binary"
	"hash/crc32"
	"sort"
	"strings"
	"unicode/utf16"
	"unsafe"

	"github.com/zkgo/zkgo/jute/records"
	"github.com/zkgo/zkgo/wire"
)

// Special ephemeralOwner values (EphemeralType).
const (
	ContainerOwner int64 = -0x8000000000000000 // 0x8000000000000000
	ttlMask        int64 = -0x100000000000000  // 0xff00000000000000
	// MaxTTL is the largest TTL a TTL node may have (2^40-1 ms).
	MaxTTL int64 = 1<<40 - 1
)

// IsContainer reports whether an ephemeralOwner marks a container.
func IsContainer(owner int64) bool { return owner == ContainerOwner }

// IsTTL reports whether an ephemeralOwner marks a TTL node (top byte 0xff, extended type 0).
func IsTTL(owner int64) bool {
	return owner&ttlMask == ttlMask && (owner>>40)&0xffff == 0
}

// TTLOwner encodes a TTL as an ephemeralOwner.
func TTLOwner(ttl int64) int64 { return ttlMask | ttl }

// TTLOf returns the TTL of a TTL node's ephemeralOwner.
func TTLOf(owner int64) int64 { return owner & MaxTTL }

// SessionOwner reports whether an ephemeralOwner is a session id (an ordinary ephemeral).
func SessionOwner(owner int64) bool {
	return owner != 0 && !IsContainer(owner) && owner&ttlMask != ttlMask
}

// ClientOwner is the ephemeralOwner clients see: 0 for containers and TTL nodes.
func ClientOwner(owner int64) int64 {
	if SessionOwner(owner) {
		return owner
	}
	return 0
}

// Node is one znode: 96 bytes, the stat's fields inline without padding. Its digest is not
// kept: a change computes the old one before and the new one after.
type Node struct {
	Data     []byte
	children *kids // nil for a leaf; the names there are the only copy of the path

	czxid, mzxid, ctime, mtime, owner, pzxid int64
	version, cversion, aversion              int32
	acl                                      int32 // index into the tree's ACL cache; OpenACLIndex = world:anyone:cdrwa
}

func newNode(data []byte, acl int64, st *records.StatPersisted) *Node {
	n := &Node{Data: data, acl: int32(acl)}
	n.setStat(st)
	return n
}

func (n *Node) setStat(st *records.StatPersisted) {
	n.czxid, n.mzxid, n.ctime, n.mtime, n.owner, n.pzxid = st.Czxid, st.Mzxid, st.Ctime, st.Mtime, st.EphemeralOwner, st.Pzxid
	n.version, n.cversion, n.aversion = st.Version, st.Cversion, st.Aversion
}

// Stat is the persisted stat (the cversion counts child creations; see ClientStat).
func (n *Node) Stat() records.StatPersisted {
	return records.StatPersisted{
		Czxid: n.czxid, Mzxid: n.mzxid, Ctime: n.ctime, Mtime: n.mtime,
		Version: n.version, Cversion: n.cversion, Aversion: n.aversion,
		EphemeralOwner: n.owner, Pzxid: n.pzxid,
	}
}

// ACLIndex is the node's index in the ACL cache (OpenACLIndex for world:anyone:cdrwa).
func (n *Node) ACLIndex() int64 { return int64(n.acl) }

// NumChildren is the number of children.
func (n *Node) NumChildren() int { return n.children.len() }

// Children returns the child names (sorted; ZooKeeper's order is unspecified).
func (n *Node) Children() []string {
	out := make([]string, 0, n.children.len())
	n.children.each(func(name string, _ *Node) { out = append(out, name) })
	return out
}

// ClientStat is the Stat clients see for n.
func (n *Node) ClientStat() records.Stat {
	nc := int32(n.children.len())
	return records.Stat{
		Czxid: n.czxid, Mzxid: n.mzxid, Ctime: n.ctime, Mtime: n.mtime,
		Version: n.version, Cversion: n.cversion*2 - nc, Aversion: n.aversion,
		EphemeralOwner: ClientOwner(n.owner), DataLength: int32(len(n.Data)),
		NumChildren: nc, Pzxid: n.pzxid,
	}
}

// Trigger is a watch event a txn fires: the event type on a path. For NodeDeleted the data
// and child watches of the path fire together (each watcher once).
type Trigger struct {
	Path  string
	Event wire.EventType
	ACL   []records.ACL // the ACL of the node the event is about (watchers need READ, 3.9)
}

// Tree is the data tree. Nodes hang from the root by their children lists; there is no map
// by path (Get walks the path's components), so a node costs its struct, its data, its name
// and its slot in its parent's map.
type Tree struct {
	root       *Node
	count      int // nodes reachable from root
	acls       *aclCache
	ephemerals map[int64]map[string]struct{}
	containers map[string]struct{}
	ttls       map[string]struct{}
	quotas     map[string]struct{} // quota roots (paths with a zookeeper_limits node)
	digest     uint64
	// LastZxid is the zxid of the last applied txn.
	LastZxid int64
	// DigestEnabled turns digest maintenance on (zookeeper.digest.enabled, default true).
	DigestEnabled bool

	loaded, loadedParent loadedNode // AddNode's parent cache
}

// Well-known paths.
const (
	ZookeeperPath = "/zookeeper"
	QuotaPath     = "/zookeeper/quota"
	ConfigPath    = "/zookeeper/config"
	limitsNode    = "zookeeper_limits"
	statsNode     = "zookeeper_stats"
)

// New returns a tree holding the standard nodes: /, /zookeeper, /zookeeper/quota and
// /zookeeper/config (world:anyone:r, ZOOKEEPER-2014).
func New() *Tree {
	t := &Tree{
		acls:          newACLCache(),
		ephemerals:    map[int64]map[string]struct{}{},
		containers:    map[string]struct{}{},
		ttls:          map[string]struct{}{},
		quotas:        map[string]struct{}{},
		DigestEnabled: true,
	}
	t.root, t.count = &Node{Data: []byte{}, acl: int32(OpenACLIndex)}, 1
	t.addRaw(ZookeeperPath, &Node{Data: []byte{}, acl: int32(OpenACLIndex)})
	t.addRaw(QuotaPath, &Node{Data: []byte{}, acl: int32(OpenACLIndex)})
	// /zookeeper/config: world:anyone:r, and aversion -1 (Java sets its ACL with version -1).
	t.addRaw(ConfigPath, t.configNode())
	t.recomputeDigest()
	return t
}

// NewEmpty returns a tree with no nodes at all, to be filled from a snapshot with AddNode.
func NewEmpty() *Tree {
	return &Tree{
		acls: newACLCache(), ephemerals: map[int64]map[string]struct{}{},
		containers: map[string]struct{}{}, ttls: map[string]struct{}{}, quotas: map[string]struct{}{},
		DigestEnabled: true,
	}
}

// addRaw links a node under its parent without stat changes (tree construction).
func (t *Tree) addRaw(path string, n *Node) {
	t.link(t.Get(parentOf(path)), baseOf(path), n)
}

// link adds n as parent's child name. The name is copied: a slice of the txn's path would
// keep the whole path alive.
func (t *Tree) link(parent *Node, name string, n *Node) {
	if parent.children == nil {
		parent.children = &kids{}
	}
	parent.children.put(strings.Clone(name), n)
	t.count++
}

func parentOf(path string) string {
	i := strings.LastIndexByte(path, '/')
	if i <= 0 {
		return "/"
	}
	return path[:i]
}

func baseOf(path string) string { return path[strings.LastIndexByte(path, '/')+1:] }

// ParentOf returns the parent path ("/" for top-level nodes).
func ParentOf(path string) string { return parentOf(path) }

// Get returns the node at path, or nil. "" is the root too, as in Java's node map.
func (t *Tree) Get(path string) *Node {
	if path == "" || path == "/" {
		return t.root
	}
	if path[0] != '/' {
		return nil
	}
	n := t.root
	for p := path[1:]; n != nil; {
		i := strings.IndexByte(p, '/')
		if i < 0 {
			return n.children.get(p)
		}
		n, p = n.children.get(p[:i]), p[i+1:]
	}
	return nil
}

// ACL returns the ACL list of a node.
func (t *Tree) ACL(n *Node) []records.ACL { return t.acls.get(int64(n.acl)) }

// NodeCount is the number of nodes, including the root and /zookeeper nodes.
func (t *Tree) NodeCount() int { return t.count }

// Digest is the tree digest (sum of node digests, /zookeeper/ subtree excluded).
func (t *Tree) Digest() uint64 { return t.digest }

// Ephemerals returns the ephemeral paths of a session in the order Java's HashSet copy of
// them iterates (it decides the order of deletions, and so of watch events, at session close).
func (t *Tree) Ephemerals(session int64) []string {
	out := make([]string, 0, len(t.ephemerals[session]))
	for p := range t.ephemerals[session] {
		out = append(out, p)
	}
	return JavaHashSetOrder(out)
}

// JavaHashSetOrder orders strings as java.util.HashSet(Collection) iterates them: by bucket
// of (h ^ h>>>16) in a table sized for the collection, String.hashCode over UTF-16.
func JavaHashSetOrder(s []string) []string {
	n := 16
	for want := int(float32(len(s))/0.75) + 1; n < want; {
		n *= 2
	}
	bucket := func(x string) int {
		var h int32
		for _, u := range utf16.Encode([]rune(x)) {
			h = 31*h + int32(u)
		}
		return int(h^int32(uint32(h)>>16)) & (n - 1)
	}
	out := append([]string(nil), s...)
	sort.Strings(out)
	sort.SliceStable(out, func(i, j int) bool { return bucket(out[i]) < bucket(out[j]) })
	return out
}

// EphemeralSessions lists the sessions that own ephemerals.
func (t *Tree) EphemeralSessions() []int64 {
	out := make([]int64, 0, len(t.ephemerals))
	for s, m := range t.ephemerals {
		if len(m) > 0 {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Containers returns the container paths.
func (t *Tree) Containers() []string { return keys(t.containers) }

// TTLNodes returns the TTL node paths.
func (t *Tree) TTLNodes() []string { return keys(t.ttls) }

func keys(m map[string]struct{}) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// CountDescendants counts every node below path (getAllChildrenNumber).
func (t *Tree) CountDescendants(path string) int {
	n := t.Get(path)
	if n == nil {
		return 0
	}
	return n.descendants()
}

func (n *Node) descendants() int {
	total := n.children.len()
	n.children.each(func(_ string, c *Node) { total += c.descendants() })
	return total
}

func join(parent, child string) string {
	if parent == "/" {
		return "/" + child
	}
	return parent + "/" + child
}

// Join builds a child path.
func Join(parent, child string) string { return join(parent, child) }

// Walk visits every node in pre-order (a node before its children), starting at the root.
// Children are visited in sorted order so walks are deterministic.
func (t *Tree) Walk(fn func(path string, n *Node) error) error {
	if t.root == nil {
		return nil
	}
	return walk("/", t.root, fn)
}

func walk(path string, n *Node, fn func(string, *Node) error) error {
	if err := fn(path, n); err != nil {
		return err
	}
	if n.children == nil {
		return nil
	}
	for _, c := range n.children.chunks {
		for _, e := range c {
			if err := walk(join(path, e.name), e.node, fn); err != nil {
				return err
			}
		}
	}
	return nil
}

// each calls fn for n and every node below it, in no particular order.
func (n *Node) each(fn func(*Node)) {
	fn(n)
	n.children.each(func(_ string, c *Node) { c.each(fn) })
}

// ACLEntries lists the ACL cache in index order (for snapshots).
func (t *Tree) ACLEntries() []ACLEntry { return t.acls.entries() }

// LoadACL installs an ACL cache entry read from a snapshot.
func (t *Tree) LoadACL(idx int64, acl []records.ACL) { t.acls.load(idx, acl) }

// AddNode inserts a node read from a snapshot; parents must come first. path "" or "/" is the
// root.
func (t *Tree) AddNode(path string, data []byte, aclIdx int64, st records.StatPersisted) error {
	if path == "" {
		path = "/"
	}
	if int64(int32(aclIdx)) != aclIdx {
		return &PathError{Path: path, Msg: "ACL index beyond 32 bits"}
	}
	n := newNode(data, aclIdx, &st)
	// The digest now, while path, data and stat are in the cache.
	if t.DigestEnabled {
		t.digest += nodeDigest(path, n)
	}
	if path == "/" {
		if old := t.root; old != nil {
			if t.DigestEnabled {
				t.digest -= nodeDigest(path, old)
			}
			n.children = old.children
		} else {
			t.count++
		}
		t.root = n
	} else {
		parent := t.loadParent(parentOf(path))
		if parent == nil {
			return &PathError{Path: path, Msg: "parent missing in snapshot"}
		}
		t.link(parent, baseOf(path), n)
	}
	t.loaded = loadedNode{path, n}
	if aclIdx != OpenACLIndex {
		t.acls.refs[aclIdx]++
	}
	t.track(path, st.EphemeralOwner)
	t.noteQuota(path)
	return nil
}

// FinishLoad recomputes derived state after a snapshot was loaded: unused ACLs go. (The
// tree's digest is the sum of the node digests AddNode added.)
func (t *Tree) FinishLoad() {
	for idx := range t.acls.byIndex {
		if t.acls.refs[idx] == 0 {
			t.acls.release(idx)
		}
	}
	t.loaded, t.loadedParent = loadedNode{}, loadedNode{}
}

// loadedNode is a node AddNode added, by path: a snapshot lists siblings one after the
// other, each right after its parent's subtree began, so the parent is nearly always the last
// node added or the last parent looked up.
type loadedNode struct {
	path string
	node *Node
}

func (t *Tree) loadParent(path string) *Node {
	switch path {
	case t.loadedParent.path:
	case t.loaded.path:
		t.loadedParent = t.loaded
	default:
		t.loadedParent = loadedNode{path, t.Get(path)}
	}
	return t.loadedParent.node
}

// PathError is a tree consistency error.
type PathError struct{ Path, Msg string }

func (e *PathError) Error() string { return "datatree: " + e.Path + ": " + e.Msg }

func (t *Tree) track(path string, owner int64) {
	switch {
	case owner == 0:
	case IsContainer(owner):
		t.containers[path] = struct{}{}
	case IsTTL(owner):
		t.ttls[path] = struct{}{}
	default:
		m := t.ephemerals[owner]
		if m == nil {
			m = map[string]struct{}{}
			t.ephemerals[owner] = m
		}
		m[path] = struct{}{}
	}
}

func (t *Tree) untrack(path string, owner int64) {
	switch {
	case owner == 0:
	case IsContainer(owner):
		delete(t.containers, path)
	case IsTTL(owner):
		delete(t.ttls, path)
	default:
		if m := t.ephemerals[owner]; m != nil {
			delete(m, path)
			if len(m) == 0 {
				delete(t.ephemerals, owner)
			}
		}
	}
}

// nodeDigest is ZooKeeper's DigestCalculator (version 2): CRC-32 of the path ("" for the
// root), the data, and czxid mzxid pzxid ctime mtime version cversion aversion ephemeralOwner.
func nodeDigest(path string, n *Node) uint64 {
	if strings.HasPrefix(path, "/zookeeper/") {
		return 0
	}
	if path == "/" {
		path = ""
	}
	// crc32.Update on the table directly: no hash object and no copy of the path.
	crc := crc32.Update(0, crc32.IEEETable, unsafe.Slice(unsafe.StringData(path), len(path)))
	crc = crc32.Update(crc, crc32.IEEETable, n.Data)
	var b [60]byte
	binary.BigEndian.PutUint64(b[0:], uint64(n.czxid))
	binary.BigEndian.PutUint64(b[8:], uint64(n.mzxid))
	binary.BigEndian.PutUint64(b[16:], uint64(n.pzxid))
	binary.BigEndian.PutUint64(b[24:], uint64(n.ctime))
	binary.BigEndian.PutUint64(b[32:], uint64(n.mtime))
	binary.BigEndian.PutUint32(b[40:], uint32(n.version))
	binary.BigEndian.PutUint32(b[44:], uint32(n.cversion))
	binary.BigEndian.PutUint32(b[48:], uint32(n.aversion))
	binary.BigEndian.PutUint64(b[52:], uint64(n.owner))
	return uint64(crc32.Update(crc, crc32.IEEETable, b[:]))
}

// NodeDigest is a node's digest (DigestCalculator version 2).
func NodeDigest(path string, n *Node) uint64 { return nodeDigest(path, n) }

// DigestOf is the digest a node with this path, data and stat has.
func DigestOf(path string, data []byte, st records.StatPersisted) uint64 {
	return nodeDigest(path, newNode(data, OpenACLIndex, &st))
}

func (t *Tree) recomputeDigest() {
	t.digest = 0
	t.Walk(func(p string, n *Node) error {
		t.digest += nodeDigest(p, n)
		return nil
	})
}

// changing is a node's digest before a change; changed replaces it with the digest after.
func (t *Tree) changing(path string, n *Node) uint64 {
	if !t.DigestEnabled {
		return 0
	}
	return nodeDigest(path, n)
}

// changed replaces a node's digest contribution, before, with its digest now.
func (t *Tree) changed(path string, n *Node, before uint64) {
	if !t.DigestEnabled {
		return
	}
	t.digest += nodeDigest(path, n) - before
}

// configNode is a new /zookeeper/config: world:anyone:r, aversion -1.
func (t *Tree) configNode() *Node {
	return &Node{Data: []byte{}, acl: int32(t.acls.intern(ReadACL)), aversion: -1}
}

// SetConfigNode writes the ensemble's config text into /zookeeper/config outside any txn, as
// Java's ZKDatabase.initConfigInZKDatabase does when a config becomes active: version -1,
// mzxid the config's version, mtime now. It fires the node's data watches.
func (t *Tree) SetConfigNode(data []byte, version, mtime int64) []Trigger {
	if t.Get(ConfigPath) == nil {
		if t.Get(ZookeeperPath) == nil {
			return nil
		}
		t.addRaw(ConfigPath, t.configNode())
	}
	var r Result
	t.setData(&r, ConfigPath, data, -1, version, mtime)
	return r.Triggers
}
