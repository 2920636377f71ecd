package main

import (
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zkgo/zkgo/bench"
)

func TestCharts(t *testing.T) {
	mk := func(group, w, target string, tp, p99 float64) *bench.Result {
		r := &bench.Result{Group: group, Target: target, Round: 1, Throughput: tp, Latency: bench.Percentiles{P50: p99 / 4, P99: p99},
			Workload: bench.Workload{Name: w}, Ops: int64(tp)}
		for i := 1; i <= 5; i++ {
			r.Timeline = append(r.Timeline, bench.Second{T: i, Ops: int64(tp) + int64(i*10), P50: p99 / 4, P99: p99})
		}
		return r
	}
	rep := &bench.Report{Results: []*bench.Result{
		mk("standalone", "read", "zkgo", 30000, 2), mk("standalone", "read", "java-3.9.3", 10000, 8),
		mk("3-node", "write", "zkgo-3", 6000, 10), mk("3-node", "write", "java-3.9.3-3", 3000, 20),
	}, Latencies: []*bench.LatencyResult{{Target: "zkgo", Group: "standalone", Phases: []bench.LatencyPhase{{Name: "get", OpsPerSec: 100}}}}}
	dir := t.TempDir()
	files, err := writeCharts(rep, dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(files, ","), strings.Join(rep.ChartNames(), ","); got != want {
		t.Errorf("charts %s, want %s (ChartNames)", got, want)
	}
	for _, f := range files {
		fh, err := os.Open(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(fh)
		fh.Close()
		if err != nil {
			t.Errorf("%s: %v", f, err)
		} else if b := img.Bounds(); b.Dx() < 300 || b.Dy() < 200 {
			t.Errorf("%s: %v", f, b)
		}
	}
}
