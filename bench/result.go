package bench

import (
	"errors"
	"sort"
	"sync"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/go-zookeeper/zk"
)

// Latencies are recorded in microseconds, from 1 µs to 100 s, with 3 significant digits
// (1-second timeline buckets with 2).
const (
	histMin = 1
	histMax = 100_000_000
)

// Percentiles of a latency distribution, in milliseconds.
type Percentiles struct {
	P50  float64 `json:"p50_ms"`
	P90  float64 `json:"p90_ms"`
	P99  float64 `json:"p99_ms"`
	P999 float64 `json:"p999_ms"`
	Max  float64 `json:"max_ms"`
	Mean float64 `json:"mean_ms"`
}

func percentiles(h *hdr.Histogram) Percentiles {
	if h.TotalCount() == 0 {
		return Percentiles{}
	}
	ms := func(v int64) float64 { return float64(v) / 1000 }
	return Percentiles{
		P50: ms(h.ValueAtQuantile(50)), P90: ms(h.ValueAtQuantile(90)), P99: ms(h.ValueAtQuantile(99)),
		P999: ms(h.ValueAtQuantile(99.9)), Max: ms(h.Max()), Mean: h.Mean() / 1000,
	}
}

// OpResult is one operation's share of a run.
type OpResult struct {
	Op         string           `json:"op"`
	Count      int64            `json:"count"`
	Errors     int64            `json:"errors"`
	Rate       float64          `json:"ops_per_s"`
	Latency    Percentiles      `json:"latency"`
	ErrorKinds map[string]int64 `json:"error_kinds,omitempty"`
}

// Second is one second of the measured window.
type Second struct {
	T      int     `json:"t"` // seconds since the window opened (bucket end)
	Ops    int64   `json:"ops"`
	Errors int64   `json:"errors"`
	P50    float64 `json:"p50_ms"`
	P99    float64 `json:"p99_ms"`
	Max    float64 `json:"max_ms"`
}

// Result is one run of a workload against one target.
type Result struct {
	Target     string      `json:"target"`
	Group      string      `json:"group"` // "standalone" or "3-node" or ""
	Round      int         `json:"round"`
	Workload   Workload    `json:"workload"`
	Start      time.Time   `json:"start"`
	Elapsed    float64     `json:"elapsed_s"`
	Ops        int64       `json:"ops"`
	Errors     int64       `json:"errors"`
	Throughput float64     `json:"ops_per_s"`
	Latency    Percentiles `json:"latency"`
	PerOp      []OpResult  `json:"per_op"`
	Timeline   []Second    `json:"timeline"`
	Procs      []ProcUsage `json:"procs,omitempty"`
	Sync       []SyncStats `json:"sync,omitempty"`
	ClientCPU  float64     `json:"client_cpu_pct"` // the load generator itself, % of one core
	LoadAvg    [2]float64  `json:"loadavg"`        // 1-minute load average at the start and end of the window
	Err        string      `json:"error,omitempty"`
}

// Op returns the result of one operation kind, or nil.
func (r *Result) Op(name string) *OpResult {
	for i := range r.PerOp {
		if r.PerOp[i].Op == name {
			return &r.PerOp[i]
		}
	}
	return nil
}

type secBucket struct {
	ops, errs int64
	hist      *hdr.Histogram
}

type recorder struct {
	start time.Time

	mu       sync.Mutex
	all      *hdr.Histogram
	hist     [numKinds]*hdr.Histogram
	count    [numKinds]int64
	errs     [numKinds]int64
	errKinds [numKinds]map[string]int64
	secs     []*secBucket
}

func newRecorder() *recorder {
	return &recorder{all: hdr.New(histMin, histMax, 3)}
}

func us(d time.Duration) int64 {
	v := d.Microseconds()
	if v < histMin {
		v = histMin
	}
	if v > histMax {
		v = histMax
	}
	return v
}

func (r *recorder) add(ss []sample) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range ss {
		sec := int(s.at / time.Second)
		for len(r.secs) <= sec {
			r.secs = append(r.secs, &secBucket{hist: hdr.New(histMin, histMax, 2)})
		}
		b := r.secs[sec]
		if s.err != nil {
			r.errs[s.kind]++
			if r.errKinds[s.kind] == nil {
				r.errKinds[s.kind] = map[string]int64{}
			}
			r.errKinds[s.kind][errName(s.err)]++
			b.errs++
			continue
		}
		v := us(s.lat)
		if r.hist[s.kind] == nil {
			r.hist[s.kind] = hdr.New(histMin, histMax, 3)
		}
		r.hist[s.kind].RecordValue(v)
		r.count[s.kind]++
		// watch-fire is the tail of a watch operation, not an operation of its own.
		if int(s.kind) != kindWatchFire {
			r.all.RecordValue(v)
			b.ops++
			b.hist.RecordValue(v)
		}
	}
}

func errName(err error) string {
	switch {
	case errors.Is(err, zk.ErrConnectionClosed):
		return "connection closed"
	case errors.Is(err, zk.ErrSessionExpired):
		return "session expired"
	case errors.Is(err, zk.ErrNoNode):
		return "no node"
	case errors.Is(err, zk.ErrNodeExists):
		return "node exists"
	}
	return err.Error()
}

func (r *recorder) result(elapsed time.Duration) *Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	secs := elapsed.Seconds()
	if secs <= 0 {
		secs = 1e-9
	}
	res := &Result{Elapsed: elapsed.Seconds(), Latency: percentiles(r.all)}
	for k := 0; k < numKinds; k++ {
		if r.count[k] == 0 && r.errs[k] == 0 {
			continue
		}
		o := OpResult{Op: kindNames[k], Count: r.count[k], Errors: r.errs[k], Rate: float64(r.count[k]) / secs, ErrorKinds: r.errKinds[k]}
		if r.hist[k] != nil {
			o.Latency = percentiles(r.hist[k])
		}
		res.PerOp = append(res.PerOp, o)
		res.Errors += r.errs[k]
		if k != kindWatchFire {
			res.Ops += r.count[k]
		}
	}
	res.Throughput = float64(res.Ops) / secs
	// Only whole seconds inside the window go on the timeline.
	full := int(elapsed / time.Second)
	for i, b := range r.secs {
		if i >= full {
			break
		}
		p := percentiles(b.hist)
		res.Timeline = append(res.Timeline, Second{T: i + 1, Ops: b.ops, Errors: b.errs, P50: p.P50, P99: p.P99, Max: p.Max})
	}
	sort.SliceStable(res.PerOp, func(i, j int) bool { return res.PerOp[i].Count > res.PerOp[j].Count })
	return res
}
