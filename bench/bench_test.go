package bench

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/zkgo/zkgo/zkgotest"
)

func TestParseMix(t *testing.T) {
	m, err := ParseMix("get=70, set=20,watch=10")
	if err != nil {
		t.Fatal(err)
	}
	if m[OpGet] != 70 || m[OpSet] != 20 || m[OpWatch] != 10 || m[OpCreate] != 0 {
		t.Errorf("mix %v", m)
	}
	if got := m.String(); got != "get=70,set=20,watch=10" {
		t.Errorf("String = %q", got)
	}
	for _, bad := range []string{"", "get", "get=x", "nope=1", "get=0", "get=-1"} {
		if _, err := ParseMix(bad); err == nil {
			t.Errorf("ParseMix(%q) accepted", bad)
		}
	}
	for _, name := range NamedWorkloads() {
		if _, err := NamedMix(name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestRecorderResult(t *testing.T) {
	r := newRecorder()
	var ss []sample
	for i := 1; i <= 100; i++ {
		ss = append(ss, sample{kind: uint8(OpGet), lat: time.Duration(i) * time.Millisecond, at: time.Duration(i) * 15 * time.Millisecond})
	}
	ss = append(ss, sample{kind: uint8(OpSet), err: context.DeadlineExceeded, at: time.Second})
	ss = append(ss, sample{kind: uint8(kindWatchFire), lat: time.Millisecond, at: time.Second})
	r.add(ss)
	res := r.result(2 * time.Second)
	if res.Ops != 100 || res.Errors != 1 {
		t.Errorf("ops %d errors %d", res.Ops, res.Errors)
	}
	if res.Throughput != 50 {
		t.Errorf("throughput %v", res.Throughput)
	}
	g := res.Op("get")
	if g == nil || g.Latency.P50 < 49.9 || g.Latency.P50 > 50.1 || g.Latency.Max < 99.9 {
		t.Errorf("get %+v", g)
	}
	if s := res.Op("set"); s == nil || s.Errors != 1 || s.Count != 0 || s.ErrorKinds["context deadline exceeded"] != 1 {
		t.Errorf("set %+v", s)
	}
	if len(res.Timeline) != 2 || res.Timeline[0].Ops+res.Timeline[1].Ops != 100 {
		t.Errorf("timeline %+v", res.Timeline)
	}
}

// TestRunAgainstZkgo drives every operation against an in-process server and checks that
// the run did what it says (counts, no errors, the key space exists); no timing is asserted.
func TestRunAgainstZkgo(t *testing.T) {
	srv := zkgotest.Start(t)
	m, err := NamedMix("all")
	if err != nil {
		t.Fatal(err)
	}
	w := Workload{Name: "all", Mix: m, Sessions: 3, Depth: 2, ValueSize: 10, Keys: 100, Ops: 600, Seed: 7}
	res, err := Run(context.Background(), []string{srv.Addr()}, w, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Ops < 600 || res.Errors != 0 {
		t.Fatalf("ops %d errors %d: %+v", res.Ops, res.Errors, res.PerOp)
	}
	for _, op := range []string{"get", "set", "exists", "children", "create", "multi", "watch", "watch-fire"} {
		if o := res.Op(op); o == nil || o.Count == 0 {
			t.Errorf("no %s in %+v", op, res.PerOp)
		}
	}
	c, err := Connect(context.Background(), srv.Addr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if kids, _, err := c.Children(bucketPath(1)); err != nil || len(kids) != 36 {
		t.Errorf("bucket 1: %d children, %v", len(kids), err)
	}
	// The workers clean up after themselves.
	if kids, _, err := c.Children(rootPath + "/c"); err != nil || len(kids) != 0 {
		t.Errorf("left behind: %v %v", kids, err)
	}
}

func TestLatenciesAgainstZkgo(t *testing.T) {
	srv := zkgotest.Start(t)
	lr, err := RunLatencies(context.Background(), srv.Addr(), LatencyConfig{N: 200, ValueSize: 25, Depth: 8})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range lr.Phases {
		names = append(names, p.Name)
		if p.Errors != 0 || p.N != 200 {
			t.Errorf("%s: %+v", p.Name, p)
		}
	}
	want := "created permanent,set,get,deleted permanent,created ephemeral,watched,deleted ephemeral,notif"
	if got := strings.Join(names, ","); got != want {
		t.Errorf("phases %s", got)
	}
}

func TestProbeAndStartup(t *testing.T) {
	srv := zkgotest.Start(t)
	if err := probe(srv.Addr(), 2*time.Second, false); err != nil {
		t.Fatal(err)
	}
	if err := probe(srv.Addr(), 2*time.Second, true); err != nil {
		t.Fatal(err)
	}
}

func TestReadProc(t *testing.T) {
	ps, err := ReadProc(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if ps.RSS <= 0 || ps.Threads <= 0 {
		t.Errorf("%+v", ps)
	}
}

func syntheticReport() *Report {
	mk := func(group, w, target string, round int, tp, p99 float64) *Result {
		r := &Result{Group: group, Target: target, Round: round, Throughput: tp, Latency: Percentiles{P50: p99 / 4, P99: p99},
			Workload: Workload{Name: w}, Ops: int64(tp)}
		for i := 1; i <= 5; i++ {
			r.Timeline = append(r.Timeline, Second{T: i, Ops: int64(tp) + int64(i*10), P50: p99 / 4, P99: p99})
		}
		r.PerOp = []OpResult{{Op: "get", Count: 1, Rate: tp}}
		return r
	}
	rep := &Report{Versions: map[string]string{"zkgo": "x"}}
	rep.Results = []*Result{
		mk("standalone", "read", "zkgo", 1, 30000, 2), mk("standalone", "read", "java-3.9.3", 1, 10000, 8),
		mk("standalone", "read", "java-3.9.3", 2, 12000, 6), mk("standalone", "read", "zkgo", 2, 32000, 2),
		mk("standalone", "write", "zkgo", 1, 9000, 10), mk("standalone", "write", "java-3.9.3", 1, 7000, 12),
		mk("3-node", "write", "zkgo-3", 1, 6000, 10), mk("3-node", "write", "java-3.9.3-3", 1, 3000, 20),
	}
	rep.Results = append(rep.Results, mk("standalone", "write@4900/s", "zkgo", 1, 4900, 3), mk("standalone", "write@4900/s", "java-3.9.3", 1, 4900, 9))
	rep.Results[len(rep.Results)-1].Workload.Rate = 4900
	rep.Results[len(rep.Results)-2].Workload.Rate = 4900
	rep.Memory = []MemoryFigure{{Target: "zkgo", RSS: 200 << 20}, {Target: "java-3.9.3", RSS: 1000 << 20}}
	rep.Startup = []StartupFigure{{Target: "zkgo", Samples: []float64{20, 30, 25}}}
	rep.Latencies = []*LatencyResult{{Target: "zkgo", Group: "standalone", Phases: []LatencyPhase{{Name: "get", OpsPerSec: 100}}}}
	return rep
}

func TestReportGoalsAndRatios(t *testing.T) {
	rep := syntheticReport()
	cs := rep.Comparisons()
	if len(cs) != 4 {
		t.Fatalf("%d comparisons: %+v", len(cs), cs)
	}
	if c := cs[0]; c.Workload != "read" || c.ThroughputRatio != 31000.0/11000 || c.P99Ratio != 2.0/7 {
		t.Errorf("read: %+v", c)
	}
	met := map[string]bool{}
	for _, g := range rep.Goals() {
		if !g.Known {
			t.Errorf("goal %s not measured", g.Name)
		}
		met[g.Name] = g.Met
	}
	want := map[string]bool{
		"reads/s vs Java standalone": true, "writes/s vs Java standalone": false, "writes/s vs Java 3-node": true,
		"p99 at equal load (write@4900/s)": true, "RSS with 1M znodes of 100 B vs Java": true, "start to serving (zkgo standalone)": true,
	}
	for k, v := range want {
		if met[k] != v {
			t.Errorf("goal %q met=%v, want %v", k, met[k], v)
		}
	}
	var text, md bytes.Buffer
	rep.WriteText(&text)
	rep.WriteMarkdown(&md, []string{"charts/compare-throughput.png"}, "")
	for _, s := range []string{"2.82x", "NOT MET"} {
		if !strings.Contains(text.String(), s) {
			t.Errorf("text report lacks %q:\n%s", s, text.String())
		}
	}
	for _, s := range []string{"| standalone | read | zkgo | 31000 | 11000 | **2.82x**", "![compare-throughput](charts/compare-throughput.png)"} {
		if !strings.Contains(md.String(), s) {
			t.Errorf("markdown lacks %q:\n%s", s, md.String())
		}
	}
}

func TestChartNames(t *testing.T) {
	got := strings.Join(syntheticReport().ChartNames(), ",")
	want := "compare-throughput.png,compare-p99.png,timeline-standalone.png,timeline-3-node.png,zk-latencies.png"
	if got != want {
		t.Errorf("charts %s, want %s", got, want)
	}
}

// TestZkgoBinaryHasNoPlotting keeps gonum/plot (bench/chartgen) out of cmd/zkgo: its package
// initialisation and size slowed the server's start-up.
func TestZkgoBinaryHasNoPlotting(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/zkgo/zkgo/cmd/zkgo").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, p := range strings.Fields(string(out)) {
		if strings.HasPrefix(p, "gonum.org/") || strings.Contains(p, "go-latex") || strings.Contains(p, "go-fonts") {
			t.Errorf("cmd/zkgo depends on %s", p)
		}
	}
}
