package history

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/anishathalye/porcupine"
)

// Final is what one node holds at the end of a run, read after every fault was healed (sync
// then read, through that node's own client port).
type Final struct {
	Node      string
	Registers map[string]Register // key -> value
	Sets      map[string][]int    // parent -> element ids
}

// Register is a register key's value.
type Register struct {
	Value   string
	Version int32
	Mzxid   int64
}

// Anomaly is one violation found by Check.
type Anomaly struct {
	Check  string // linearizability, durability, convergence, set-integrity, session-order
	Detail string
	Ops    []int // op ids involved
}

func (a Anomaly) String() string {
	s := a.Check + ": " + a.Detail
	if len(a.Ops) > 0 {
		s += fmt.Sprintf(" (ops %v)", a.Ops)
	}
	return s
}

// Options tunes Check.
type Options struct {
	// Timeout bounds the porcupine search per run (0: 2 minutes). A search that times out is
	// reported as Unknown, not as an anomaly.
	Timeout time.Duration
	// VisualizeDir, when set, receives porcupine's HTML visualization (linearizability.html)
	// when a partition is not linearizable, and history.jsonl on any anomaly.
	VisualizeDir string
}

// Result is the outcome of Check.
type Result struct {
	Counts         Counts
	Anomalies      []Anomaly
	Linearizable   porcupine.CheckResult // Ok, Illegal or Unknown (timed out)
	CheckedOps     int                   // ops given to porcupine
	Partitions     int
	ResolvedAdds   int // unknown adds whose element showed up (so they happened)
	DroppedAdds    int // unknown adds whose element never showed up (so they did not happen)
	Visualization  string
	HistoryPath    string
	CheckDuration  time.Duration
	FinalNodes     int
	AckedWrites    int // register writes and cas acknowledged
	AckedAdds      int
	UnknownWrites  int
	SessionsTraced int
}

// OK reports whether the run is free of anomalies and porcupine did not time out.
func (r *Result) OK() bool { return len(r.Anomalies) == 0 && r.Linearizable == porcupine.Ok }

// Summary is a one-paragraph description for test logs and reports.
func (r *Result) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s; porcupine %s over %d ops in %d partitions (%s); acked: %d register writes, %d adds; "+
		"unknown writes %d; unknown adds resolved %d / dropped %d; %d sessions traced; final state from %d nodes; %d anomalies",
		r.Counts, r.Linearizable, r.CheckedOps, r.Partitions, r.CheckDuration.Round(time.Millisecond),
		r.AckedWrites, r.AckedAdds, r.UnknownWrites, r.ResolvedAdds, r.DroppedAdds, r.SessionsTraced, r.FinalNodes, len(r.Anomalies))
	for i, a := range r.Anomalies {
		if i == 20 {
			fmt.Fprintf(&b, "\n  ... and %d more", len(r.Anomalies)-20)
			break
		}
		fmt.Fprintf(&b, "\n  - %s", a)
	}
	if r.Visualization != "" {
		fmt.Fprintf(&b, "\n  porcupine visualization: %s", r.Visualization)
	}
	if r.HistoryPath != "" {
		fmt.Fprintf(&b, "\n  history: %s", r.HistoryPath)
	}
	return b.String()
}

// Check runs every check over a completed history:
//
//   - linearizability (porcupine): register writes, compare-and-set and sync+read per key;
//     set adds and sync+getChildren per parent. Unknown outcomes may take effect at any time
//     after their invocation, or never;
//   - durability: every acknowledged write and add is in every node's final state;
//   - convergence: all nodes hold the same final state;
//   - set integrity: no element seen that was never added, none added twice, no sequence
//     number given twice;
//   - session order (per-session FIFO and ZooKeeper's client guarantees): within a session,
//     a read never returns a state older than what the session already saw (its writes'
//     zxids and earlier reads), set reads only grow and include the session's own acked
//     adds, and the sequence numbers of its adds increase in issue order.
func Check(ops []Op, events []Event, finals []Final, o Options) *Result {
	start := time.Now()
	if o.Timeout == 0 {
		o.Timeout = 2 * time.Minute
	}
	r := &Result{Counts: Count(ops), FinalNodes: len(finals)}
	byID := map[int]*Op{}
	for i := range ops {
		byID[ops[i].ID] = &ops[i]
		switch ops[i].Kind {
		case Write, CAS:
			if ops[i].Status == OK {
				r.AckedWrites++
			} else if ops[i].Status == Unknown {
				r.UnknownWrites++
			}
		case Add:
			if ops[i].Status == OK {
				r.AckedAdds++
			}
		}
	}
	seen := seenElements(ops, finals)
	r.Anomalies = append(r.Anomalies, checkSetIntegrity(ops)...)
	r.Anomalies = append(r.Anomalies, checkDurability(ops, finals)...)
	r.Anomalies = append(r.Anomalies, checkConvergence(finals)...)
	sa, n := checkSessions(ops)
	r.Anomalies = append(r.Anomalies, sa...)
	r.SessionsTraced = n

	hist, resolved, dropped := porcupineHistory(ops, seen, len(finals) > 0)
	r.ResolvedAdds, r.DroppedAdds = resolved, dropped
	r.CheckedOps = len(hist)
	m := model()
	r.Partitions = len(m.Partition(hist))
	res, info := porcupine.CheckOperationsVerbose(m, hist, o.Timeout)
	r.Linearizable = res
	if res == porcupine.Illegal {
		r.Anomalies = append(r.Anomalies, illegalDetail(m, hist, info)...)
	}
	if o.VisualizeDir != "" && (res != porcupine.Ok || len(r.Anomalies) > 0) {
		if err := os.MkdirAll(o.VisualizeDir, 0o755); err == nil {
			if res != porcupine.Ok {
				info.AddAnnotations(annotations(events))
				p := filepath.Join(o.VisualizeDir, "linearizability.html")
				if err := porcupine.VisualizePath(m, info, p); err == nil {
					r.Visualization = p
				}
			}
			p := filepath.Join(o.VisualizeDir, "history.jsonl")
			if err := SaveJSONL(p, ops, events); err == nil {
				r.HistoryPath = p
			}
		}
	}
	r.CheckDuration = time.Since(start)
	return r
}

func annotations(events []Event) []porcupine.Annotation {
	out := make([]porcupine.Annotation, 0, len(events))
	for _, e := range events {
		out = append(out, porcupine.Annotation{Tag: "test", Start: e.Time, Description: e.What, BackgroundColor: "#fde2c8"})
	}
	return out
}

// illegalDetail names, per illegal partition, the longest linearizable prefix and the ops
// that could not be placed after it.
func illegalDetail(m porcupine.Model, hist []porcupine.Operation, info porcupine.LinearizationInfo) []Anomaly {
	var out []Anomaly
	parts := m.Partition(hist)
	partial := info.PartialLinearizationsOperations()
	for i, p := range parts {
		if porcupine.CheckOperations(m, p) {
			continue
		}
		key := p[0].Input.(*Op).Key
		longest := 0
		var last []porcupine.Operation
		if i < len(partial) {
			for _, l := range partial[i] {
				if len(l) > longest {
					longest = len(l)
					last = l
				}
			}
		}
		detail := fmt.Sprintf("key %s: no linearization of %d ops; longest linearizable prefix %d ops", key, len(p), longest)
		var ids []int
		if len(last) > 0 {
			tail := last[len(last)-1].Input.(*Op)
			detail += fmt.Sprintf(", ending with %s", describe(tail))
			ids = append(ids, tail.ID)
		}
		// The ops that must come next in real time but fit no state: those invoked before the
		// earliest return among the unplaced ones.
		placed := map[int]bool{}
		for _, op := range last {
			placed[op.Input.(*Op).ID] = true
		}
		var unplaced []*Op
		for _, op := range p {
			if x := op.Input.(*Op); !placed[x.ID] {
				unplaced = append(unplaced, x)
			}
		}
		sort.Slice(unplaced, func(a, b int) bool { return unplaced[a].Call < unplaced[b].Call })
		if len(unplaced) > 0 {
			minRet := unplaced[0].Return
			for _, x := range unplaced {
				if x.Status == OK && x.Return < minRet {
					minRet = x.Return
				}
			}
			var names []string
			for _, x := range unplaced {
				if x.Call > minRet || len(names) == 6 {
					break
				}
				names = append(names, describe(x))
				ids = append(ids, x.ID)
			}
			detail += "; none of these can come next: " + strings.Join(names, "; ")
		}
		out = append(out, Anomaly{Check: "linearizability", Detail: detail, Ops: ids})
	}
	return out
}

func describe(o *Op) string {
	at := fmt.Sprintf("[%s..%s]", ms(o.Call), ms(o.Return))
	switch o.Kind {
	case Write:
		return fmt.Sprintf("#%d p%d write(%s=%q)->%s v%d %s", o.ID, o.Process, o.Key, o.Value, o.Status, o.Version, at)
	case CAS:
		if o.BadVer {
			return fmt.Sprintf("#%d p%d cas(%s, v%d, %q)->badversion %s", o.ID, o.Process, o.Key, o.ExpVersion, o.Value, at)
		}
		return fmt.Sprintf("#%d p%d cas(%s, v%d, %q)->%s v%d %s", o.ID, o.Process, o.Key, o.ExpVersion, o.Value, o.Status, o.Version, at)
	case Read, SyncRead:
		return fmt.Sprintf("#%d p%d %s(%s)->%q v%d %s", o.ID, o.Process, o.Kind, o.Key, o.Out, o.Version, at)
	case Add:
		return fmt.Sprintf("#%d p%d add(%s, e%d)->%s %s %s", o.ID, o.Process, o.Key, o.Elem, o.Status, o.Path, at)
	case SetRead:
		return fmt.Sprintf("#%d p%d set-read(%s)->%d elems %s", o.ID, o.Process, o.Key, len(o.Elems), at)
	}
	return fmt.Sprintf("#%d %s", o.ID, o.Kind)
}

func ms(ns int64) string { return fmt.Sprintf("%.3fs", float64(ns)/1e9) }

// ---------------------------------------------------------------------------------------------
// Porcupine model: one partition per register key and per set parent.

type regState struct {
	value   string
	version int32
}

type setState struct {
	words []uint64 // bit i: element index i (per partition, see porcupineHistory)
}

func (s setState) has(i int) bool { return i/64 < len(s.words) && s.words[i/64]&(1<<(i%64)) != 0 }

func (s setState) with(i int) setState {
	n := len(s.words)
	if i/64 >= n {
		n = i/64 + 1
	}
	w := make([]uint64, n)
	copy(w, s.words)
	w[i/64] |= 1 << (i % 64)
	return setState{w}
}

func (s setState) count() int {
	c := 0
	for _, w := range s.words {
		for ; w != 0; w &= w - 1 {
			c++
		}
	}
	return c
}

func model() porcupine.Model {
	return porcupine.Model{
		Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
			by := map[string][]porcupine.Operation{}
			var keys []string
			for _, op := range h {
				k := partKey(op.Input.(*Op))
				if _, ok := by[k]; !ok {
					keys = append(keys, k)
				}
				by[k] = append(by[k], op)
			}
			sort.Strings(keys)
			out := make([][]porcupine.Operation, 0, len(keys))
			for _, k := range keys {
				out = append(out, by[k])
			}
			return out
		},
		Init: func() any { return nil },
		Step: func(state, input, _ any) (bool, any) {
			op := input.(*Op)
			switch op.Kind {
			case Write, CAS, SyncRead:
				s, _ := state.(regState) // nil: the key as the test created it ("", version 0)
				switch op.Kind {
				case SyncRead:
					return op.Out == s.value && op.Version == s.version, s
				case Write:
					if op.Status == OK && op.Version != s.version+1 {
						return false, s
					}
					return true, regState{op.Value, s.version + 1}
				default: // CAS
					if op.BadVer {
						return s.version != op.ExpVersion, s
					}
					if s.version != op.ExpVersion {
						// An unknown cas that did not apply: equivalent to never happening.
						return op.Status == Unknown, s
					}
					if op.Status == OK && op.Version != s.version+1 {
						return false, s
					}
					return true, regState{op.Value, s.version + 1}
				}
			case Add:
				s, _ := state.(setState)
				return true, s.with(int(op.Seq)) // Seq holds the partition-local index here
			case SetRead:
				s, _ := state.(setState)
				if s.count() != len(op.Elems) {
					return false, s
				}
				for _, i := range op.Elems {
					if !s.has(i) {
						return false, s
					}
				}
				return true, s
			}
			return false, state
		},
		Equal: func(a, b any) bool {
			switch x := a.(type) {
			case nil:
				switch y := b.(type) {
				case nil:
					return true
				case regState:
					return y == regState{}
				case setState:
					return y.count() == 0
				}
				return false
			case regState:
				y, ok := b.(regState)
				if !ok {
					return b == nil && x == regState{}
				}
				return x == y
			case setState:
				y, ok := b.(setState)
				if !ok {
					return b == nil && x.count() == 0
				}
				n := max(len(x.words), len(y.words))
				for i := 0; i < n; i++ {
					var wx, wy uint64
					if i < len(x.words) {
						wx = x.words[i]
					}
					if i < len(y.words) {
						wy = y.words[i]
					}
					if wx != wy {
						return false
					}
				}
				return true
			}
			return false
		},
		DescribeOperation: func(input, _ any) string {
			op := input.(*Op)
			if op.Kind == Add || op.Kind == SetRead {
				if op.Kind == Add {
					return fmt.Sprintf("add e%d -> %s %s", op.Elem, op.Status, op.Path)
				}
				return fmt.Sprintf("set-read -> %d elems (pzxid 0x%x)", len(op.Elems), op.Zxid)
			}
			return describe(op)
		},
		DescribeState: func(state any) string {
			switch s := state.(type) {
			case regState:
				return fmt.Sprintf("%q v%d", s.value, s.version)
			case setState:
				return fmt.Sprintf("%d elems", s.count())
			}
			return "initial"
		},
	}
}

func partKey(o *Op) string {
	if o.Kind == Add || o.Kind == SetRead {
		return "set:" + o.Key
	}
	return "reg:" + o.Key
}

// syncLag is how much earlier than its call a sync-read or set-read is checked (ns): the
// leader's apply lag behind its COMMITs (see porcupineHistory).
const syncLag = int64(50 * time.Millisecond)

// porcupineHistory converts ops to porcupine operations. Reads that failed, writes and adds
// that certainly failed are left out. Unknown outcomes get a return time after everything
// else (they may take effect at any point after their invocation, or never). Unknown adds
// are resolved with the elements seen in reads and final states: seen means it happened
// (kept, open-ended), never seen means it did not (dropped; the final reads prove it).
// Elements are renumbered per set partition (Add.Seq, SetRead.Elems hold the indices).
func porcupineHistory(ops []Op, seen map[string]map[int]bool, haveFinal bool) ([]porcupine.Operation, int, int) {
	var end int64
	for _, o := range ops {
		end = max(end, o.Return, o.Call)
	}
	end++
	index := map[string]map[int]int{} // parent -> elem -> index
	idx := func(parent string, e int) int {
		m := index[parent]
		if m == nil {
			m = map[int]int{}
			index[parent] = m
		}
		i, ok := m[e]
		if !ok {
			i = len(m)
			m[e] = i
		}
		return i
	}
	var out []porcupine.Operation
	resolved, dropped := 0, 0
	lastReturn := map[int]int64{} // process -> return of its previous op
	for i := range ops {
		o := ops[i] // copy: Seq/Elems are rewritten
		ret := o.Return
		call := o.Call
		prev := lastReturn[o.Process]
		lastReturn[o.Process] = max(prev, o.Return)
		if o.Kind == SyncRead || o.Kind == SetRead {
			// A sync answered by the leader itself does not wait for the leader's own apply:
			// Java's leader sends COMMIT to its followers before its CommitProcessor applies
			// the txn, so a follower can acknowledge a write a few milliseconds before a
			// sync+read on the leader sees it (seen in CI between two Java servers). Such a
			// read is checked as if it started syncLag earlier, never before the same
			// session's previous op ended (sessions stay FIFO).
			call = max(call-syncLag, min(prev, call))
		}
		switch o.Kind {
		case Read:
			continue // not linearizable in ZooKeeper; checked per session
		case SyncRead, SetRead:
			if o.Status != OK {
				continue
			}
		case Write:
			if o.Status == Fail {
				continue
			}
		case CAS:
			if o.Status == Fail && !o.BadVer {
				continue
			}
		case Add:
			if o.Status == Fail {
				continue
			}
			if o.Status == Unknown {
				if seen[o.Key][o.Elem] {
					resolved++
				} else if haveFinal {
					dropped++
					continue
				}
			}
		}
		if o.Status == Unknown {
			ret = end
		}
		if o.Kind == Add {
			o.Seq = int64(idx(o.Key, o.Elem))
		}
		if o.Kind == SetRead {
			els := make([]int, len(o.Elems))
			for j, e := range o.Elems {
				els[j] = idx(o.Key, e)
			}
			o.Elems = els
		}
		op := o
		out = append(out, porcupine.Operation{ClientId: o.Process, Input: &op, Output: &op, Call: call, Return: ret})
	}
	return out, resolved, dropped
}

// seenElements: per set parent, the elements that some successful read or final state holds.
func seenElements(ops []Op, finals []Final) map[string]map[int]bool {
	seen := map[string]map[int]bool{}
	mark := func(parent string, e int) {
		if seen[parent] == nil {
			seen[parent] = map[int]bool{}
		}
		seen[parent][e] = true
	}
	for _, o := range ops {
		if o.Kind == SetRead && o.Status == OK {
			for _, e := range o.Elems {
				mark(o.Key, e)
			}
		}
		if o.Kind == Add && o.Status == OK {
			mark(o.Key, o.Elem)
		}
	}
	for _, f := range finals {
		for p, els := range f.Sets {
			for _, e := range els {
				mark(p, e)
			}
		}
	}
	return seen
}

// ---------------------------------------------------------------------------------------------

func checkSetIntegrity(ops []Op) []Anomaly {
	var out []Anomaly
	added := map[string]map[int]int{} // parent -> elem -> add op id
	seqs := map[string]map[int64]int{}
	for _, o := range ops {
		if o.Kind != Add {
			continue
		}
		if added[o.Key] == nil {
			added[o.Key] = map[int]int{}
			seqs[o.Key] = map[int64]int{}
		}
		if prev, dup := added[o.Key][o.Elem]; dup {
			out = append(out, Anomaly{Check: "set-integrity", Detail: fmt.Sprintf("test bug: element e%d added twice", o.Elem), Ops: []int{prev, o.ID}})
		}
		added[o.Key][o.Elem] = o.ID
		if o.Status == OK {
			if prev, dup := seqs[o.Key][o.Seq]; dup {
				out = append(out, Anomaly{Check: "set-integrity", Detail: fmt.Sprintf("%s: sequence number %d given to two creates", o.Key, o.Seq), Ops: []int{prev, o.ID}})
			}
			seqs[o.Key][o.Seq] = o.ID
		}
	}
	phantom := map[string]bool{}
	for _, o := range ops {
		if o.Kind != SetRead || o.Status != OK {
			continue
		}
		dup := map[int]bool{}
		for _, e := range o.Elems {
			if dup[e] {
				out = append(out, Anomaly{Check: "set-integrity", Detail: fmt.Sprintf("%s: element e%d appears twice in one read (created twice)", o.Key, e), Ops: []int{o.ID}})
			}
			dup[e] = true
			if _, ok := added[o.Key][e]; !ok && !phantom[fmt.Sprint(o.Key, e)] {
				phantom[fmt.Sprint(o.Key, e)] = true
				out = append(out, Anomaly{Check: "set-integrity", Detail: fmt.Sprintf("%s: element e%d was never added (phantom)", o.Key, e), Ops: []int{o.ID}})
			}
		}
	}
	return out
}

func checkDurability(ops []Op, finals []Final) []Anomaly {
	if len(finals) == 0 {
		return []Anomaly{{Check: "durability", Detail: "no final state was read from any node"}}
	}
	var out []Anomaly
	// Registers: the final version of a key is at least that of every acked write.
	maxAck := map[string]*Op{}
	for i := range ops {
		o := &ops[i]
		if (o.Kind == Write || o.Kind == CAS) && o.Status == OK {
			if m := maxAck[o.Key]; m == nil || o.Version > m.Version {
				maxAck[o.Key] = o
			}
		}
	}
	keys := make([]string, 0, len(maxAck))
	for k := range maxAck {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, f := range finals {
		for _, k := range keys {
			w := maxAck[k]
			reg, ok := f.Registers[k]
			if !ok {
				out = append(out, Anomaly{Check: "durability", Detail: fmt.Sprintf("node %s: key %s missing at the end", f.Node, k), Ops: []int{w.ID}})
				continue
			}
			if reg.Version < w.Version {
				out = append(out, Anomaly{Check: "durability", Detail: fmt.Sprintf("node %s: key %s ends at version %d (%q) but a write acknowledged version %d (%q): acknowledged write lost",
					f.Node, k, reg.Version, reg.Value, w.Version, w.Value), Ops: []int{w.ID}})
			}
			if reg.Version == w.Version && reg.Value != w.Value {
				out = append(out, Anomaly{Check: "durability", Detail: fmt.Sprintf("node %s: key %s version %d holds %q, but the write acknowledged at that version was %q",
					f.Node, k, reg.Version, reg.Value, w.Value), Ops: []int{w.ID}})
			}
		}
		// Sets: every acked add is there.
		var lost []int
		var lostIDs []int
		have := map[string]map[int]bool{}
		for p, els := range f.Sets {
			have[p] = map[int]bool{}
			for _, e := range els {
				have[p][e] = true
			}
		}
		for _, o := range ops {
			if o.Kind == Add && o.Status == OK && !have[o.Key][o.Elem] {
				lost = append(lost, o.Elem)
				lostIDs = append(lostIDs, o.ID)
			}
		}
		if len(lost) > 0 {
			if len(lost) > 10 {
				lost, lostIDs = lost[:10], lostIDs[:10]
			}
			out = append(out, Anomaly{Check: "durability", Detail: fmt.Sprintf("node %s: acknowledged adds missing at the end: elements %v", f.Node, lost), Ops: lostIDs})
		}
	}
	return out
}

func checkConvergence(finals []Final) []Anomaly {
	var out []Anomaly
	for i := 1; i < len(finals); i++ {
		a, b := finals[0], finals[i]
		for k, ra := range a.Registers {
			if rb := b.Registers[k]; rb.Value != ra.Value || rb.Version != ra.Version {
				out = append(out, Anomaly{Check: "convergence", Detail: fmt.Sprintf("key %s: node %s has %q v%d, node %s has %q v%d", k, a.Node, ra.Value, ra.Version, b.Node, rb.Value, rb.Version)})
			}
		}
		for p, ea := range a.Sets {
			eb := b.Sets[p]
			if len(ea) != len(eb) || !sameSet(ea, eb) {
				out = append(out, Anomaly{Check: "convergence", Detail: fmt.Sprintf("set %s: node %s has %d elements, node %s has %d (differing: %v)", p, a.Node, len(ea), b.Node, len(eb), symDiff(ea, eb, 10))})
			}
		}
	}
	return out
}

func sameSet(a, b []int) bool {
	m := map[int]bool{}
	for _, x := range a {
		m[x] = true
	}
	for _, x := range b {
		if !m[x] {
			return false
		}
	}
	return true
}

func symDiff(a, b []int, limit int) []int {
	ma, mb := map[int]bool{}, map[int]bool{}
	for _, x := range a {
		ma[x] = true
	}
	for _, x := range b {
		mb[x] = true
	}
	var out []int
	for x := range ma {
		if !mb[x] {
			out = append(out, x)
		}
	}
	for x := range mb {
		if !ma[x] {
			out = append(out, x)
		}
	}
	sort.Ints(out)
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}

// checkSessions checks ZooKeeper's per-session guarantees. Ops of a session are taken in
// invocation order (a client process has one op outstanding at a time; a session can move
// between processes only through the test, which does not do that).
func checkSessions(ops []Op) ([]Anomaly, int) {
	// Acked register writes per key, by zxid.
	type wz struct {
		zxid int64
		op   *Op
	}
	writes := map[string][]wz{}
	for i := range ops {
		o := &ops[i]
		if (o.Kind == Write || o.Kind == CAS) && o.Status == OK && o.Zxid != 0 {
			writes[o.Key] = append(writes[o.Key], wz{o.Zxid, o})
		}
	}
	for k := range writes {
		sort.Slice(writes[k], func(a, b int) bool { return writes[k][a].zxid < writes[k][b].zxid })
	}
	// newest acked write to key with zxid <= h
	newestBefore := func(key string, h int64) *wz {
		ws := writes[key]
		i := sort.Search(len(ws), func(i int) bool { return ws[i].zxid > h })
		if i == 0 {
			return nil
		}
		return &ws[i-1]
	}

	bySession := map[int64][]*Op{}
	for i := range ops {
		if ops[i].Session != 0 {
			bySession[ops[i].Session] = append(bySession[ops[i].Session], &ops[i])
		}
	}
	var out []Anomaly
	sessions := make([]int64, 0, len(bySession))
	for s := range bySession {
		sessions = append(sessions, s)
	}
	sort.Slice(sessions, func(a, b int) bool { return sessions[a] < sessions[b] })
	for _, sid := range sessions {
		sops := bySession[sid]
		sort.Slice(sops, func(a, b int) bool { return sops[a].Call < sops[b].Call })
		var high int64 // highest zxid the session has observed
		var highOp *Op // where it observed it
		lastRead := map[string]*Op{}
		lastSet := map[string]*Op{}
		ownAdds := map[string][]*Op{}
		lastSeq := map[string]*Op{}
		for _, o := range sops {
			if o.Status != OK {
				// An unknown op may still apply later; it says nothing about the session's view.
				continue
			}
			switch o.Kind {
			case Read, SyncRead:
				if w := newestBefore(o.Key, high); w != nil && o.Zxid < w.zxid {
					out = append(out, Anomaly{Check: "session-order", Detail: fmt.Sprintf(
						"session 0x%x read %s at mzxid 0x%x (%q v%d), older than write %s at zxid 0x%x that the session had already seen (it had observed zxid 0x%x at op #%d)",
						sid, o.Key, o.Zxid, o.Out, o.Version, describe(w.op), w.zxid, high, highOp.ID), Ops: []int{highOp.ID, w.op.ID, o.ID}})
				}
				if p := lastRead[o.Key]; p != nil && o.Version < p.Version {
					out = append(out, Anomaly{Check: "session-order", Detail: fmt.Sprintf("session 0x%x read %s at version %d after reading version %d", sid, o.Key, o.Version, p.Version), Ops: []int{p.ID, o.ID}})
				}
				lastRead[o.Key] = o
				if o.Zxid > high {
					high, highOp = o.Zxid, o
				}
			case Write, CAS:
				if o.Zxid > high {
					high, highOp = o.Zxid, o
				}
			case Add:
				if p := lastSeq[o.Key]; p != nil && o.Seq <= p.Seq {
					out = append(out, Anomaly{Check: "session-order", Detail: fmt.Sprintf("session 0x%x: create %s got sequence %d after its earlier create %s got %d (per-session FIFO broken)", sid, o.Path, o.Seq, p.Path, p.Seq), Ops: []int{p.ID, o.ID}})
				}
				lastSeq[o.Key] = o
				ownAdds[o.Key] = append(ownAdds[o.Key], o)
			case SetRead:
				have := map[int]bool{}
				for _, e := range o.Elems {
					have[e] = true
				}
				var missing []int
				var ids []int
				for _, a := range ownAdds[o.Key] {
					if a.Return < o.Call && !have[a.Elem] {
						missing = append(missing, a.Elem)
						ids = append(ids, a.ID)
					}
				}
				if len(missing) > 0 {
					out = append(out, Anomaly{Check: "session-order", Detail: fmt.Sprintf("session 0x%x read %s without its own acknowledged adds %v (read-your-writes)", sid, o.Key, head(missing, 10)), Ops: append(head(ids, 10), o.ID)})
				}
				if p := lastSet[o.Key]; p != nil {
					var gone []int
					for _, e := range p.Elems {
						if !have[e] {
							gone = append(gone, e)
						}
					}
					if len(gone) > 0 {
						out = append(out, Anomaly{Check: "session-order", Detail: fmt.Sprintf("session 0x%x read %s without elements %v it saw in its previous read (monotonic reads)", sid, o.Key, head(gone, 10)), Ops: []int{p.ID, o.ID}})
					}
					if o.Zxid < p.Zxid {
						out = append(out, Anomaly{Check: "session-order", Detail: fmt.Sprintf("session 0x%x read %s at pzxid 0x%x after pzxid 0x%x", sid, o.Key, o.Zxid, p.Zxid), Ops: []int{p.ID, o.ID}})
					}
				}
				lastSet[o.Key] = o
			}
		}
	}
	return out, len(sessions)
}

func head(x []int, n int) []int {
	if len(x) > n {
		return x[:n]
	}
	return x
}
