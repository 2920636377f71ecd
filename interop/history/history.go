package history

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"sync"
	"time"
)

// Kind is what an operation did.
type Kind string

// The operations of the two workloads.
const (
	// Register workload: keys holding a value and a version.
	Write    Kind = "write"     // set(key, value, -1)
	CAS      Kind = "cas"       // set(key, value, ExpVersion)
	Read     Kind = "read"      // get(key), no sync: checked per session only
	SyncRead Kind = "sync-read" // sync(key) then get(key): checked for linearizability
	// Set workload: sequential children of one parent, each carrying a unique element id.
	Add     Kind = "add"      // create(parent/e-<elem>-, sequential)
	SetRead Kind = "set-read" // sync(parent) then getChildren(parent)
)

// Status is how an operation ended.
type Status string

// Statuses. Fail means certainly not applied (the server refused it, or the client never sent
// it); Unknown means it may or may not have been applied (connection lost after sending,
// session expired, timeout).
const (
	Pending Status = ""
	OK      Status = "ok"
	Fail    Status = "fail"
	Unknown Status = "unknown"
)

// Op is one operation of a history, from invocation to completion. Times are nanoseconds on
// the recorder's monotonic clock.
type Op struct {
	ID      int    `json:"id"`
	Process int    `json:"proc"`    // client process: one outstanding op at a time
	Session int64  `json:"session"` // ZooKeeper session id at invocation (0 when not connected)
	Server  string `json:"server,omitempty"`
	Kind    Kind   `json:"kind"`
	Key     string `json:"key,omitempty"` // register key, or set parent

	// Inputs.
	Value      string `json:"value,omitempty"`       // write/cas value
	ExpVersion int32  `json:"exp_version,omitempty"` // cas
	Elem       int    `json:"elem,omitempty"`        // add: the unique element id

	// Outputs.
	Status  Status `json:"status"`
	Err     string `json:"err,omitempty"`
	BadVer  bool   `json:"bad_version,omitempty"` // cas failed with ZBADVERSION (a definite no-op)
	Out     string `json:"out,omitempty"`         // read value
	Version int32  `json:"version,omitempty"`     // stat.version after write / of the read
	Zxid    int64  `json:"zxid,omitempty"`        // stat.mzxid (register), stat.pzxid (set read)
	Path    string `json:"path,omitempty"`        // add: created path
	Elems   []int  `json:"elems,omitempty"`       // set-read: element ids seen
	Seq     int64  `json:"seq,omitempty"`         // add: sequence number of the created path

	Call   int64 `json:"call"`
	Return int64 `json:"return"`
}

// Event is something the test did or saw that is not an operation (a fault, a heal, a
// session expiry); it goes into the report and the visualization.
type Event struct {
	Time int64  `json:"time"`
	What string `json:"what"`
}

// Recorder collects operations from concurrent clients. The zero value is not usable; use
// NewRecorder.
type Recorder struct {
	start time.Time

	mu     sync.Mutex
	ops    []*Op
	events []Event
}

// NewRecorder starts a history whose clock starts now.
func NewRecorder() *Recorder { return &Recorder{start: time.Now()} }

// Now is the recorder's clock (monotonic nanoseconds since NewRecorder).
func (r *Recorder) Now() int64 { return int64(time.Since(r.start)) }

// Invoke records the invocation of op (its Call time is set here) and returns it; the caller
// fills in the outputs and calls Complete.
func (r *Recorder) Invoke(op Op) *Op {
	o := op
	r.mu.Lock()
	o.ID = len(r.ops)
	o.Call = r.Now()
	r.ops = append(r.ops, &o)
	r.mu.Unlock()
	return &o
}

// Complete records how op ended.
func (r *Recorder) Complete(op *Op, st Status) {
	t := r.Now()
	r.mu.Lock()
	op.Status = st
	op.Return = t
	r.mu.Unlock()
}

// Note records an event.
func (r *Recorder) Note(format string, args ...any) {
	t := r.Now()
	r.mu.Lock()
	r.events = append(r.events, Event{Time: t, What: fmt.Sprintf(format, args...)})
	r.mu.Unlock()
}

// Ops returns a copy of the operations recorded so far; operations still pending are
// returned as Unknown with an infinite return time.
func (r *Recorder) Ops() []Op {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Op, len(r.ops))
	for i, o := range r.ops {
		out[i] = *o
		if out[i].Status == Pending {
			out[i].Status = Unknown
			out[i].Err = "still pending at the end of the run"
		}
	}
	return out
}

// Events returns the events recorded so far.
func (r *Recorder) Events() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events...)
}

// Counts summarises a history by kind and status.
type Counts struct {
	Total    int
	ByKind   map[Kind]int
	ByStatus map[Status]int
}

// Count summarises ops.
func Count(ops []Op) Counts {
	c := Counts{ByKind: map[Kind]int{}, ByStatus: map[Status]int{}}
	for _, o := range ops {
		c.Total++
		c.ByKind[o.Kind]++
		c.ByStatus[o.Status]++
	}
	return c
}

func (c Counts) String() string {
	kinds := make([]string, 0, len(c.ByKind))
	for k := range c.ByKind {
		kinds = append(kinds, string(k))
	}
	sort.Strings(kinds)
	s := fmt.Sprintf("%d ops (ok %d, fail %d, unknown %d):", c.Total, c.ByStatus[OK], c.ByStatus[Fail], c.ByStatus[Unknown])
	for _, k := range kinds {
		s += fmt.Sprintf(" %s %d", k, c.ByKind[Kind(k)])
	}
	return s
}

// WriteJSONL writes ops and events as JSON lines ({"op":...} / {"event":...}).
func WriteJSONL(w io.Writer, ops []Op, events []Event) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	for i := range ops {
		if err := enc.Encode(struct {
			Op *Op `json:"op"`
		}{&ops[i]}); err != nil {
			return err
		}
	}
	for i := range events {
		if err := enc.Encode(struct {
			Event *Event `json:"event"`
		}{&events[i]}); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// ReadJSONL reads what WriteJSONL wrote.
func ReadJSONL(r io.Reader) ([]Op, []Event, error) {
	var ops []Op
	var events []Event
	dec := json.NewDecoder(r)
	for {
		var line struct {
			Op    *Op    `json:"op"`
			Event *Event `json:"event"`
		}
		if err := dec.Decode(&line); err == io.EOF {
			return ops, events, nil
		} else if err != nil {
			return nil, nil, fmt.Errorf("history: line %d: %w", len(ops)+len(events)+1, err)
		}
		if line.Op != nil {
			ops = append(ops, *line.Op)
		}
		if line.Event != nil {
			events = append(events, *line.Event)
		}
	}
}

// SaveJSONL writes the history to path.
func SaveJSONL(path string, ops []Op, events []Event) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := WriteJSONL(f, ops, events); err != nil {
		f.Close()
		return fmt.Errorf("history: writing %s: %w", path, err)
	}
	return f.Close()
}
