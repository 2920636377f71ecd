package proxy

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// zxidMap compares the two backends' zxids by order: each backend's zxids get ordinals in
// the order they are first seen, and a pair of zxids met together for the first time (the
// same field of corresponding replies) gets the same ordinal. A zxid one backend has
// already shown paired with a fresh one on the other side is a divergence; the fresh one
// then gets an ordinal of its own, so one extra txn on one side is reported once instead of
// shifting every later comparison. Values <= 0 (-1 in 3.5-3.8 notifications, 0 for
// "none") are compared literally and never take an ordinal.
type zxidMap struct {
	mu    sync.Mutex
	exact bool
	o, c  map[int64]int
	o2c   map[int64]int64
	next  int
}

func newZxidMap(exact bool) *zxidMap {
	return &zxidMap{exact: exact, o: map[int64]int{}, c: map[int64]int{}, o2c: map[int64]int64{}}
}

func (z *zxidMap) compare(a, b int64) (eq bool, ra, rb string) {
	if z.exact {
		return a == b, fmt.Sprintf("0x%x", a), fmt.Sprintf("0x%x", b)
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	if a <= 0 || b <= 0 {
		return a == b, z.renderLocked(z.o, a), z.renderLocked(z.c, b)
	}
	oa, aok := z.o[a]
	ob, bok := z.c[b]
	switch {
	case aok && bok:
		eq = oa == ob
	case !aok && !bok:
		z.next++
		z.o[a], z.c[b] = z.next, z.next
		z.o2c[a] = b
		eq = true
	case aok:
		z.next++
		z.c[b] = z.next
	default:
		z.next++
		z.o[a] = z.next
	}
	return eq, z.renderLocked(z.o, a), z.renderLocked(z.c, b)
}

func (z *zxidMap) renderLocked(m map[int64]int, v int64) string {
	if v <= 0 {
		return fmt.Sprintf("%d", v)
	}
	if n, ok := m[v]; ok {
		return fmt.Sprintf("zxid#%d(0x%x)", n, v)
	}
	return fmt.Sprintf("0x%x(unpaired)", v)
}

// differ walks two views side by side and describes every difference that matters.
type differ struct {
	zx    *zxidMap
	owner func(oracle, candidate int64) (eq bool, rc string)
	out   []string
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

func (d *differ) add(path string, a, b string) {
	d.out = append(d.out, fmt.Sprintf("%s oracle=%s candidate=%s", path, a, b))
}

func (d *differ) diff(path string, a, b any) {
	switch x := a.(type) {
	case obj:
		y, ok := b.(obj)
		if !ok {
			d.add(path, render(a), render(b))
			return
		}
		for _, f := range x {
			yv, present := lookup(y, f.K)
			if !present {
				d.add(join(path, f.K), render(f.V), "(absent)")
				continue
			}
			d.diff(join(path, f.K), f.V, yv)
		}
		for _, f := range y {
			if _, present := lookup(x, f.K); !present {
				d.add(join(path, f.K), "(absent)", render(f.V))
			}
		}
	case setV:
		y, ok := b.(setV)
		if !ok || (x == nil) != (y == nil) {
			d.add(path, render(a), render(b))
			return
		}
		sa, sb := sortedRender(x), sortedRender(y)
		if strings.Join(sa, "\x00") != strings.Join(sb, "\x00") {
			d.add(path, "["+strings.Join(sa, ",")+"]", "["+strings.Join(sb, ",")+"]")
		}
	case []any:
		y, ok := b.([]any)
		if !ok {
			d.add(path, render(a), render(b))
			return
		}
		if len(x) != len(y) {
			d.add(path+".length", fmt.Sprint(len(x)), fmt.Sprint(len(y)))
		}
		for i := 0; i < len(x) && i < len(y); i++ {
			d.diff(fmt.Sprintf("%s[%d]", path, i), x[i], y[i])
		}
	case zxidV:
		y, ok := b.(zxidV)
		if !ok {
			d.add(path, render(a), render(b))
			return
		}
		if eq, ra, rb := d.zx.compare(int64(x), int64(y)); !eq {
			d.add(path, ra, rb)
		}
	case timeV, sessV, passwdV:
		// Legitimately different on every server.
	case ownerV:
		y, ok := b.(ownerV)
		if !ok {
			d.add(path, render(a), render(b))
			return
		}
		if eq, rc := d.owner(int64(x), int64(y)); !eq {
			d.add(path, hexID(int64(x)), rc)
		}
	case bytesV:
		y, ok := b.(bytesV)
		if !ok || !bytes.Equal(x, y) || (x == nil) != (y == nil) {
			d.add(path, render(a), render(b))
		}
	default:
		if a != b {
			d.add(path, render(a), render(b))
		}
	}
}

func lookup(o obj, k string) (any, bool) {
	for _, f := range o {
		if f.K == k {
			return f.V, true
		}
	}
	return nil, false
}

func sortedRender(s setV) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = render(v)
	}
	sort.Strings(out)
	return out
}
