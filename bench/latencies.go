package bench

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/go-zookeeper/zk"
)

// LatencyConfig is the zk-latencies workload (zk-smoketest's zk-latencies.py): on one
// session, N znodes are created, set, read, deleted; then N ephemerals are created, watched
// (exists with a watch) and deleted, which fires the N watches. Requests are pipelined
// Depth deep (zk-latencies' default is asynchronous calls; Depth 1 is its --synchronous).
type LatencyConfig struct {
	N         int
	ValueSize int // zk-latencies' --znode_size defaults to 25
	Depth     int
}

// LatencyPhase is one line of zk-latencies' output.
type LatencyPhase struct {
	Name      string      `json:"name"`
	N         int         `json:"n"`
	TotalMs   float64     `json:"total_ms"`
	MsPerOp   float64     `json:"ms_per_op"`
	OpsPerSec float64     `json:"ops_per_s"`
	Latency   Percentiles `json:"latency"`
	Errors    int64       `json:"errors"`
}

// LatencyResult is the zk-latencies run against one target.
type LatencyResult struct {
	Target string         `json:"target"`
	Group  string         `json:"group"`
	Config LatencyConfig  `json:"config"`
	Phases []LatencyPhase `json:"phases"`
	Err    string         `json:"error,omitempty"`
}

// Phase returns the named phase or nil.
func (l *LatencyResult) Phase(name string) *LatencyPhase {
	for i := range l.Phases {
		if l.Phases[i].Name == name {
			return &l.Phases[i]
		}
	}
	return nil
}

const latRoot = "/zk-latencies"

// RunLatencies runs the zk-latencies workload on one session to addr.
func RunLatencies(ctx context.Context, addr string, cfg LatencyConfig) (*LatencyResult, error) {
	if cfg.N <= 0 {
		cfg.N = 10000
	}
	if cfg.Depth <= 0 {
		cfg.Depth = 1
	}
	res := &LatencyResult{Config: cfg}
	c, err := Connect(ctx, addr, 10*time.Second)
	if err != nil {
		return res, err
	}
	defer c.Close()
	value := make([]byte, cfg.ValueSize)
	for i := range value {
		value[i] = 'x'
	}
	if _, err := c.Create(latRoot, nil, 0, openACL); err != nil && !errors.Is(err, zk.ErrNodeExists) {
		return res, fmt.Errorf("bench: create %s: %w", latRoot, err)
	}
	path := func(i int) string { return latRoot + "/n" + strconv.Itoa(i) }
	phase := func(name string, op func(i int) error) {
		res.Phases = append(res.Phases, pipelined(name, cfg, op))
	}
	phase("created permanent", func(i int) error { _, err := c.Create(path(i), value, 0, openACL); return err })
	phase("set", func(i int) error { _, err := c.Set(path(i), value, -1); return err })
	phase("get", func(i int) error { _, _, err := c.Get(path(i)); return err })
	phase("deleted permanent", func(i int) error { return c.Delete(path(i), -1) })
	phase("created ephemeral", func(i int) error { _, err := c.Create(path(i), value, zk.FlagEphemeral, openACL); return err })
	watches := make([]<-chan zk.Event, cfg.N)
	phase("watched", func(i int) error {
		_, _, ch, err := c.ExistsW(path(i))
		watches[i] = ch
		return err
	})
	// Deleting the ephemerals fires the watches; "notif" is the time from the first delete to
	// the last event, as zk-latencies reports it.
	notified := make(chan LatencyPhase, 1)
	start := time.Now()
	go func() {
		h := hdr.New(histMin, histMax, 3)
		var missing int64
		deadline := time.After(2 * time.Minute)
		for _, ch := range watches {
			if ch == nil {
				missing++
				continue
			}
			select {
			case ev := <-ch:
				if ev.Type != zk.EventNodeDeleted {
					missing++
					continue
				}
				h.RecordValue(us(time.Since(start)))
			case <-deadline:
				missing++
			}
		}
		total := time.Since(start)
		notified <- phaseOf("notif", cfg.N, total, h, missing)
	}()
	phase("deleted ephemeral", func(i int) error { return c.Delete(path(i), -1) })
	res.Phases = append(res.Phases, <-notified)
	c.Delete(latRoot, -1)
	return res, nil
}

func phaseOf(name string, n int, total time.Duration, h *hdr.Histogram, errs int64) LatencyPhase {
	ms := float64(total) / float64(time.Millisecond)
	return LatencyPhase{Name: name, N: n, TotalMs: ms, MsPerOp: ms / float64(n), OpsPerSec: float64(n) / total.Seconds(), Latency: percentiles(h), Errors: errs}
}

// pipelined runs op for i in [0,N) from Depth goroutines and times the whole phase.
func pipelined(name string, cfg LatencyConfig, op func(i int) error) LatencyPhase {
	var next, errs atomic.Int64
	var mu sync.Mutex
	h := hdr.New(histMin, histMax, 3)
	var wg sync.WaitGroup
	start := time.Now()
	for g := 0; g < cfg.Depth; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]int64, 0, 256)
			for {
				i := int(next.Add(1) - 1)
				if i >= cfg.N {
					break
				}
				t := time.Now()
				if err := op(i); err != nil {
					errs.Add(1)
					continue
				}
				local = append(local, us(time.Since(t)))
			}
			mu.Lock()
			for _, v := range local {
				h.RecordValue(v)
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	return phaseOf(name, cfg.N, time.Since(start), h, errs.Load())
}
