package datatree

import (
	"encoding/binary"
	"slices"
	"strings"
)

// kids is a node's children sorted by name, in chunks of at most maxChunk: 32 bytes per child
// (a Go map of name to *Node costs about 55 at 1000 children), lookups by binary search, an
// insert or delete moves at most one chunk, and walks come out sorted with nothing to sort.
type kids struct {
	n      int
	chunks [][]child
}

type child struct {
	key  uint64 // the name's first 8 bytes, big-endian, zero-padded: most comparisons end here
	name string
	node *Node
}

func keyOf(name string) uint64 {
	var b [8]byte
	copy(b[:], name)
	return binary.BigEndian.Uint64(b[:])
}

// cmp orders c against a name with key k as strings.Compare(c.name, name) does (names hold no
// NUL bytes, so the zero padding does not tie a name with a longer one).
func (c *child) cmp(k uint64, name string) int {
	switch {
	case c.key < k:
		return -1
	case c.key > k:
		return 1
	}
	if len(name) <= 8 || len(c.name) <= 8 {
		// The key holds all of the shorter name: the shorter sorts first.
		return len(c.name) - len(name)
	}
	return strings.Compare(c.name, name)
}

const maxChunk = 128

// find returns the chunk that holds or would take name, the position in it, and whether name
// is there.
func (k *kids) find(name string) (ci, i int, found bool) {
	key := keyOf(name)
	// The first chunk whose last child is not before name.
	lo, hi := 0, len(k.chunks)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if c := k.chunks[m]; c[len(c)-1].cmp(key, name) < 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == len(k.chunks) {
		return lo - 1, len(k.chunks[lo-1]), false
	}
	c := k.chunks[lo]
	i, hi = 0, len(c)
	for i < hi {
		m := int(uint(i+hi) >> 1)
		if c[m].cmp(key, name) < 0 {
			i = m + 1
		} else {
			hi = m
		}
	}
	return lo, i, i < len(c) && c[i].cmp(key, name) == 0
}

func (k *kids) get(name string) *Node {
	if k == nil || k.n == 0 {
		return nil
	}
	ci, i, found := k.find(name)
	if !found {
		return nil
	}
	return k.chunks[ci][i].node
}

// put adds or replaces a child.
func (k *kids) put(name string, n *Node) {
	if k.n == 0 {
		k.chunks = append(k.chunks[:0], []child{{keyOf(name), name, n}})
		k.n = 1
		return
	}
	ci, i, found := k.find(name)
	c := k.chunks[ci]
	switch {
	case found:
		c[i].node = n
		return
	case len(c) < maxChunk:
		k.chunks[ci] = insertAt(c, i, child{keyOf(name), name, n})
	case i == len(c) && ci == len(k.chunks)-1:
		// Appending past the last full chunk (names created in order): a new chunk, so
		// such children fill their chunks.
		k.chunks = append(k.chunks, []child{{keyOf(name), name, n}})
	default:
		// Split the full chunk in two halves, each with a little room to grow.
		h := len(c) / 2
		lo := append(make([]child, 0, h+h/4), c[:h]...)
		hi := append(make([]child, 0, h+h/4), c[h:]...)
		if i <= h {
			lo = insertAt(lo, i, child{keyOf(name), name, n})
		} else {
			hi = insertAt(hi, i-h, child{keyOf(name), name, n})
		}
		k.chunks[ci] = lo
		k.chunks = slices.Insert(k.chunks, ci+1, hi)
	}
	k.n++
}

// insertAt inserts e at i, growing a full chunk by a quarter (append would double it: half
// the chunk empty).
func insertAt(c []child, i int, e child) []child {
	if len(c) == cap(c) {
		g := make([]child, len(c), min(maxChunk, len(c)+max(4, len(c)/4)))
		copy(g, c)
		c = g
	}
	return slices.Insert(c, i, e)
}

// remove deletes a child; it reports whether it was there.
func (k *kids) remove(name string) bool {
	if k == nil || k.n == 0 {
		return false
	}
	ci, i, found := k.find(name)
	if !found {
		return false
	}
	if c := slices.Delete(k.chunks[ci], i, i+1); len(c) > 0 {
		k.chunks[ci] = c
	} else {
		k.chunks = slices.Delete(k.chunks, ci, ci+1)
	}
	k.n--
	return true
}

func (k *kids) len() int {
	if k == nil {
		return 0
	}
	return k.n
}

// each calls fn for every child, by name.
func (k *kids) each(fn func(name string, n *Node)) {
	if k == nil {
		return
	}
	for _, c := range k.chunks {
		for _, e := range c {
			fn(e.name, e.node)
		}
	}
}
