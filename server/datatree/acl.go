package datatree

import (
	"sort"
	"strconv"
	"strings"

	"github.com/zkgo/zkgo/jute/records"
	"github.com/zkgo/zkgo/wire"
)

// OpenACLIndex is the ACL index that stands for world:anyone:cdrwa (never stored).
const OpenACLIndex int64 = -1

// OpenACL is world:anyone with every permission.
var OpenACL = []records.ACL{{Perms: wire.PermAll, ID: records.ID{Scheme: "world", ID: "anyone"}}}

// ReadACL is world:anyone:r (used for /zookeeper/config).
var ReadACL = []records.ACL{{Perms: wire.PermRead, ID: records.ID{Scheme: "world", ID: "anyone"}}}

// aclCache interns ACL lists as reference-counted indexes, the form snapshots store.
type aclCache struct {
	byIndex map[int64][]records.ACL
	byKey   map[string]int64
	refs    map[int64]int
	next    int64
}

func newACLCache() *aclCache {
	return &aclCache{byIndex: map[int64][]records.ACL{}, byKey: map[string]int64{}, refs: map[int64]int{}, next: 1}
}

func aclKey(acl []records.ACL) string {
	var sb strings.Builder
	for _, a := range acl {
		sb.WriteString(strconv.Itoa(int(a.Perms)))
		sb.WriteByte(0)
		sb.WriteString(a.ID.Scheme)
		sb.WriteByte(0)
		sb.WriteString(a.ID.ID)
		sb.WriteByte(1)
	}
	return sb.String()
}

func isOpen(acl []records.ACL) bool {
	return len(acl) == 1 && acl[0] == OpenACL[0]
}

// intern returns the index for acl and takes a reference on it.
func (c *aclCache) intern(acl []records.ACL) int64 {
	if acl == nil || isOpen(acl) {
		return OpenACLIndex
	}
	k := aclKey(acl)
	idx, ok := c.byKey[k]
	if !ok {
		idx = c.next
		c.next++
		c.byKey[k] = idx
		c.byIndex[idx] = append([]records.ACL(nil), acl...)
	}
	c.refs[idx]++
	return idx
}

// get returns the ACL list of an index.
func (c *aclCache) get(idx int64) []records.ACL {
	if idx == OpenACLIndex {
		return OpenACL
	}
	return c.byIndex[idx]
}

func (c *aclCache) release(idx int64) {
	if idx == OpenACLIndex {
		return
	}
	c.refs[idx]--
	if c.refs[idx] <= 0 {
		delete(c.byKey, aclKey(c.byIndex[idx]))
		delete(c.byIndex, idx)
		delete(c.refs, idx)
	}
}

// load installs an index from a snapshot.
func (c *aclCache) load(idx int64, acl []records.ACL) {
	c.byIndex[idx] = acl
	c.byKey[aclKey(acl)] = idx
	if idx >= c.next {
		c.next = idx + 1
	}
}

// ACLEntry is one interned ACL list.
type ACLEntry struct {
	Index int64
	ACL   []records.ACL
}

// entries lists the interned ACLs in index order.
func (c *aclCache) entries() []ACLEntry {
	out := make([]ACLEntry, 0, len(c.byIndex))
	for i, a := range c.byIndex {
		out = append(out, ACLEntry{i, a})
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Index < out[b].Index })
	return out
}
