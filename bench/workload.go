package bench

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Op is one kind of client operation the load generator issues.
type Op int

// The operations of a mix. OpCreate and OpDelete work on each worker's own znodes (a delete
// with nothing left to delete creates instead); OpWatch sets a data watch (getData with
// watch) on the worker's own znode, sets that znode and waits for the event.
const (
	OpGet Op = iota
	OpSet
	OpCreate
	OpDelete
	OpExists
	OpChildren
	OpMulti
	OpWatch
	numOps
)

// Sample kinds: one per Op (OpWatch records the watch-setting getData) plus the time from
// sending the set to receiving the watch event.
const (
	kindWatchFire = int(numOps)
	numKinds      = int(numOps) + 1
)

var kindNames = [numKinds]string{"get", "set", "create", "delete", "exists", "children", "multi", "watch", "watch-fire"}

func (o Op) String() string {
	if o >= 0 && o < numOps {
		return kindNames[o]
	}
	return "op(" + strconv.Itoa(int(o)) + ")"
}

// ParseOp reads an operation name as printed by String.
func ParseOp(s string) (Op, error) {
	for i := Op(0); i < numOps; i++ {
		if kindNames[i] == s {
			return i, nil
		}
	}
	return 0, fmt.Errorf("bench: unknown operation %q (known: get, set, create, delete, exists, children, multi, watch)", s)
}

// Mix is the relative weight of each operation.
type Mix [numOps]int

// ParseMix reads "get=80,set=15,watch=5".
func ParseMix(s string) (Mix, error) {
	var m Mix
	total := 0
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, w, ok := strings.Cut(part, "=")
		if !ok {
			return m, fmt.Errorf("bench: mix entry %q is not op=weight", part)
		}
		op, err := ParseOp(strings.TrimSpace(name))
		if err != nil {
			return m, err
		}
		n, err := strconv.Atoi(strings.TrimSpace(w))
		if err != nil || n < 0 {
			return m, fmt.Errorf("bench: mix entry %q: weight is not a non-negative integer", part)
		}
		m[op] += n
		total += n
	}
	if total == 0 {
		return m, fmt.Errorf("bench: mix %q has no operation with a positive weight", s)
	}
	return m, nil
}

func (m Mix) String() string {
	var parts []string
	for op, w := range m {
		if w > 0 {
			parts = append(parts, fmt.Sprintf("%s=%d", Op(op), w))
		}
	}
	return strings.Join(parts, ",")
}

// MarshalText makes a Mix readable in JSON.
func (m Mix) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText parses the String form.
func (m *Mix) UnmarshalText(b []byte) error {
	x, err := ParseMix(string(b))
	if err != nil {
		return err
	}
	*m = x
	return nil
}

func (m Mix) has(op Op) bool { return m[op] > 0 }

// writes reports whether the mix modifies the tree.
func (m Mix) writes() bool {
	return m[OpSet]+m[OpCreate]+m[OpDelete]+m[OpMulti]+m[OpWatch] > 0
}

// Workload describes one load run.
type Workload struct {
	Name      string
	Mix       Mix
	Sessions  int           // client sessions, spread round-robin over the target's servers
	Depth     int           // requests outstanding per session (goroutines sharing a session)
	ValueSize int           // bytes per set/create
	Keys      int           // znodes in the key space read and set
	Duration  time.Duration // measured time (when Ops is 0)
	Ops       int64         // measured operations (instead of Duration) when > 0
	Warmup    time.Duration // load before measuring
	Rate      float64       // total ops/s the workers are paced at; 0: as fast as replies come
	Timeout   time.Duration // session timeout
	Seed      int64
}

// Named workloads; -mix gives any other.
var namedMixes = map[string]string{
	"read":     "get=100",
	"write":    "set=100",
	"mixed":    "get=70,set=20,exists=5,children=5",
	"create":   "create=50,delete=50",
	"exists":   "exists=100",
	"children": "children=100",
	"multi":    "multi=100",
	"watch":    "watch=100",
	"all":      "get=40,set=15,exists=10,children=10,create=8,delete=8,multi=4,watch=5",
}

// NamedWorkloads lists the names NamedMix knows, sorted.
func NamedWorkloads() []string {
	var out []string
	for k := range namedMixes {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// NamedWorkload returns the mix of a named workload and its pipelining depth: a name may end in
// "/d<N>" (e.g. read/d8) for N requests outstanding per session instead of the -depth flag's
// (0: not given).
func NamedWorkload(name string) (Mix, int, error) {
	depth := 0
	if i := strings.LastIndex(name, "/d"); i > 0 {
		d, err := strconv.Atoi(name[i+2:])
		if err != nil || d <= 0 {
			return Mix{}, 0, fmt.Errorf("bench: workload %q: the depth after /d must be a positive number", name)
		}
		name, depth = name[:i], d
	}
	m, err := NamedMix(name)
	return m, depth, err
}

// NamedMix returns the mix of a named workload.
func NamedMix(name string) (Mix, error) {
	s, ok := namedMixes[name]
	if !ok {
		return Mix{}, fmt.Errorf("bench: unknown workload %q (known: %s; or give -mix)", name, strings.Join(NamedWorkloads(), ", "))
	}
	return ParseMix(s)
}

func (w *Workload) defaults() {
	if w.Sessions <= 0 {
		w.Sessions = 1
	}
	if w.Depth <= 0 {
		w.Depth = 1
	}
	if w.ValueSize < 0 {
		w.ValueSize = 0
	}
	if w.Keys <= 0 {
		w.Keys = 1
	}
	if w.Duration <= 0 && w.Ops <= 0 {
		w.Duration = 10 * time.Second
	}
	if w.Timeout <= 0 {
		w.Timeout = 10 * time.Second
	}
	if w.Name == "" {
		w.Name = w.Mix.String()
	}
}

// Describe is a one-line summary of the workload.
func (w Workload) Describe() string {
	s := fmt.Sprintf("%s [%s] sessions=%d depth=%d value=%dB keys=%d", w.Name, w.Mix, w.Sessions, w.Depth, w.ValueSize, w.Keys)
	if w.Ops > 0 {
		s += fmt.Sprintf(" ops=%d", w.Ops)
	} else {
		s += " duration=" + w.Duration.String()
	}
	s += " warmup=" + w.Warmup.String()
	if w.Rate > 0 {
		s += fmt.Sprintf(" rate=%.0f/s", w.Rate)
	}
	return s
}

// Key space layout: /zkbench/b<k/64>/k<k> holds the keys (buckets of 64 children, read by
// getChildren); /zkbench/c holds the workers' created znodes; /zkbench/w their watched ones.
const (
	rootPath   = "/zkbench"
	bucketSize = 64
)

func keyPath(k int) string {
	return rootPath + "/b" + strconv.Itoa(k/bucketSize) + "/k" + strconv.Itoa(k)
}
func bucketPath(b int) string { return rootPath + "/b" + strconv.Itoa(b) }
