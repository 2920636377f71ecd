// Package watch is ZooKeeper's watch bookkeeping: a pure core with no I/O.
//
// Two tables, as in ZooKeeper's DataTree: data watches (getData, exists, persistent and
// persistent-recursive addWatch) and child watches (getChildren and persistent addWatch). Each
// (watcher, path) pair has one mode: standard (one-shot), persistent, or persistent recursive.
// Trigger returns the watchers an event reaches; one-shot watches are removed as they fire.
// A Watcher is an opaque id (the server uses one per client connection).
package watch

import (
	"sort"
	"strings"

	"github.com/zkgo/zkgo/wire"
)

// Watcher identifies who gets events (a client connection).
type Watcher uint64

// Mode of a watch. A (watcher, path) pair may hold several modes at once (ZooKeeper's
// WatchStats): a one-shot watch set beside a persistent one fires and goes, the persistent
// one stays.
type Mode uint8

// Watch modes (bits).
const (
	Standard            Mode = 1
	Persistent          Mode = 2
	PersistentRecursive Mode = 4
	anyMode             Mode = 7
)

// table is one of the two watch tables.
type table struct {
	byPath    map[string]map[Watcher]Mode
	byWatcher map[Watcher]map[string]struct{}
	recursive int // pairs holding PersistentRecursive (skip the parent walk when none)
}

func newTable() *table {
	return &table{byPath: map[string]map[Watcher]Mode{}, byWatcher: map[Watcher]map[string]struct{}{}}
}

func (t *table) add(path string, w Watcher, m Mode) {
	ws := t.byPath[path]
	if ws == nil {
		ws = map[Watcher]Mode{}
		t.byPath[path] = ws
	}
	old := ws[w]
	if m == PersistentRecursive && old&PersistentRecursive == 0 {
		t.recursive++
	}
	ws[w] = old | m
	ps := t.byWatcher[w]
	if ps == nil {
		ps = map[string]struct{}{}
		t.byWatcher[w] = ps
	}
	ps[path] = struct{}{}
}

// clear removes the given mode bits of (path, w) and reports whether any was set.
func (t *table) clear(path string, w Watcher, m Mode) bool {
	ws := t.byPath[path]
	old, ok := ws[w]
	if !ok || old&m == 0 {
		return false
	}
	if old&m&PersistentRecursive != 0 {
		t.recursive--
	}
	if rest := old &^ m; rest != 0 {
		ws[w] = rest
		return true
	}
	delete(ws, w)
	if len(ws) == 0 {
		delete(t.byPath, path)
	}
	if ps := t.byWatcher[w]; ps != nil {
		delete(ps, path)
		if len(ps) == 0 {
			delete(t.byWatcher, w)
		}
	}
	return true
}

func (t *table) has(path string, w Watcher, m Mode) bool {
	return t.byPath[path][w]&m != 0
}

// trigger collects the watchers an event on path reaches: every watcher of the path itself
// (one-shot modes are cleared), and recursive watchers of its ancestors.
func (t *table) trigger(path string, out map[Watcher]struct{}) {
	for w := range t.byPath[path] {
		out[w] = struct{}{}
		t.clear(path, w, Standard)
	}
	if t.recursive == 0 {
		return
	}
	for p := path; p != "/"; {
		p = parent(p)
		for w, m := range t.byPath[p] {
			if m&PersistentRecursive != 0 {
				out[w] = struct{}{}
			}
		}
	}
}

func parent(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "/"
	}
	return p[:i]
}

// Manager holds both tables.
type Manager struct {
	data, child *table
}

// New returns an empty manager.
func New() *Manager { return &Manager{data: newTable(), child: newTable()} }

// AddData sets a data watch (getData, exists).
func (m *Manager) AddData(path string, w Watcher) { m.data.add(path, w, Standard) }

// AddChild sets a child watch (getChildren).
func (m *Manager) AddChild(path string, w Watcher) { m.child.add(path, w, Standard) }

// AddPersistent sets an addWatch watch: persistent goes in both tables, recursive in the data
// table only.
func (m *Manager) AddPersistent(path string, w Watcher, recursive bool) {
	if recursive {
		m.data.add(path, w, PersistentRecursive)
		return
	}
	m.data.add(path, w, Persistent)
	m.child.add(path, w, Persistent)
}

// Event is one delivery: a watcher gets (type, path).
type Event struct {
	Watcher Watcher
	Type    wire.EventType
	Path    string
}

// Trigger fires an event the way ZooKeeper's DataTree does: NodeCreated and NodeDataChanged
// hit data watches; NodeChildrenChanged hits child watches; NodeDeleted hits data watches and
// then child watches of the path, each watcher once. Events come out sorted by watcher so that
// delivery order is deterministic.
func (m *Manager) Trigger(path string, ev wire.EventType) []Event {
	got := map[Watcher]struct{}{}
	switch ev {
	case wire.EventNodeCreated, wire.EventNodeDataChanged:
		m.data.trigger(path, got)
	case wire.EventNodeChildrenChanged:
		m.child.trigger(path, got)
	case wire.EventNodeDeleted:
		m.data.trigger(path, got)
		m.child.trigger(path, got)
	}
	if len(got) == 0 {
		return nil
	}
	out := make([]Event, 0, len(got))
	for w := range got {
		out = append(out, Event{w, ev, path})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Watcher < out[j].Watcher })
	return out
}

// Remove removes watches of type wt (wire.Watcher*) on path for w and reports whether any was
// there (removeWatches).
func (m *Manager) Remove(path string, w Watcher, wt int32) bool {
	switch wt {
	case wire.WatcherChildren:
		return m.child.clear(path, w, Standard)
	case wire.WatcherData:
		return m.data.clear(path, w, Standard)
	case wire.WatcherAny:
		c := m.child.clear(path, w, anyMode)
		return m.data.clear(path, w, anyMode) || c
	case wire.WatcherPersistent:
		c := m.child.clear(path, w, Persistent)
		return m.data.clear(path, w, Persistent) || c
	case wire.WatcherPersistentRecursive:
		return m.data.clear(path, w, PersistentRecursive)
	}
	return false
}

// Has reports whether w has a watch of type wt on path (checkWatches).
func (m *Manager) Has(path string, w Watcher, wt int32) bool {
	switch wt {
	case wire.WatcherChildren:
		return m.child.has(path, w, Standard)
	case wire.WatcherData:
		return m.data.has(path, w, Standard)
	case wire.WatcherAny:
		return m.child.has(path, w, anyMode) || m.data.has(path, w, anyMode)
	case wire.WatcherPersistent:
		return m.child.has(path, w, Persistent) || m.data.has(path, w, Persistent)
	case wire.WatcherPersistentRecursive:
		return m.data.has(path, w, PersistentRecursive)
	}
	return false
}

// RemoveWatcher drops every watch of w (its connection closed).
func (m *Manager) RemoveWatcher(w Watcher) {
	for _, t := range []*table{m.data, m.child} {
		for p := range t.byWatcher[w] {
			t.clear(p, w, anyMode)
		}
	}
}

// Stats for wchs: connections watching, paths watched, total watches (data table, as Java).
func (m *Manager) Stats() (watchers, paths, total int) {
	for _, ws := range m.data.byPath {
		total += len(ws)
	}
	return len(m.data.byWatcher), len(m.data.byPath), total
}

// Total is the number of watches in both tables (DataTree.getWatchCount, mntr's watch_count).
func (m *Manager) Total() int {
	n := 0
	for _, t := range []*table{m.data, m.child} {
		for _, ws := range t.byPath {
			n += len(ws)
		}
	}
	return n
}

// ByWatcher lists each watcher's watched paths (data table; wchc), sorted.
func (m *Manager) ByWatcher() map[Watcher][]string {
	out := map[Watcher][]string{}
	for w, ps := range m.data.byWatcher {
		for p := range ps {
			out[w] = append(out[w], p)
		}
		sort.Strings(out[w])
	}
	return out
}

// ByPath lists each watched path's watchers (data table; wchp).
func (m *Manager) ByPath() map[string][]Watcher {
	out := map[string][]Watcher{}
	for p, ws := range m.data.byPath {
		for w := range ws {
			out[p] = append(out[p], w)
		}
		sort.Slice(out[p], func(i, j int) bool { return out[p][i] < out[p][j] })
	}
	return out
}
