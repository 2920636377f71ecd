package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"
)

// SuiteConfig is a side-by-side benchmark: every target of a group is up at once and the
// workloads run on them in turn (the order alternates between rounds), so they see the same
// machine state.
type SuiteConfig struct {
	Targets   []string // target kinds, see StartTarget
	Workloads []Workload
	Rounds    int
	// EqualLoad > 0 re-runs the EqualLoadWorkloads on every target at this fraction of the
	// slowest target's throughput (mean over rounds), to compare latency at equal load.
	EqualLoad          float64
	EqualLoadWorkloads []string
	Latencies          *LatencyConfig // the zk-latencies workload, nil: not run
	MemoryZnodes       int            // znodes for the RSS figure (fresh standalone servers); 0: not run
	MemoryValue        int
	Reelection         bool // kill the leader of each ensemble and time the recovery
	Startups           int  // extra fresh starts of each standalone kind, for the start-up figure
	// TargetWarmup is an unrecorded load (the "all" mix) run on every target after it
	// starts, before round 1: the JVM's JIT compiles the request path, and the first
	// workload does not pay for it.
	TargetWarmup time.Duration
	// NoSyncWorkloads are the workloads run on the forceSync=no group (kinds zkgo-nosync,
	// java-nosync); empty: write.
	NoSyncWorkloads []string
	// Snapshots, when set, times both servers' snapshot write and load (RunSnapshots).
	Snapshots *SnapshotConfig
	Spec      TargetSpec
	Logf      func(string, ...any)
}

// StartupFigure is the time from exec to the first served request.
type StartupFigure struct {
	Target  string    `json:"target"`
	Group   string    `json:"group"`
	Samples []float64 `json:"samples_ms"`
}

// Best is the smallest sample.
func (s StartupFigure) Best() float64 {
	if len(s.Samples) == 0 {
		return 0
	}
	b := s.Samples[0]
	for _, v := range s.Samples {
		b = min(b, v)
	}
	return b
}

// Median of the samples.
func (s StartupFigure) Median() float64 {
	if len(s.Samples) == 0 {
		return 0
	}
	v := append([]float64(nil), s.Samples...)
	sort.Float64s(v)
	return v[len(v)/2]
}

// MemoryFigure is a server's RSS holding Znodes znodes of ValueSize bytes.
type MemoryFigure struct {
	Target    string  `json:"target"`
	Znodes    int     `json:"znodes"`
	ValueSize int     `json:"value_bytes"`
	LoadS     float64 `json:"load_s"`
	RSSEmpty  int64   `json:"rss_empty_bytes"`
	RSS       int64   `json:"rss_bytes"`
	HWM       int64   `json:"rss_hwm_bytes"`
	Err       string  `json:"error,omitempty"`
}

// ReelectionFigure is the recovery of an ensemble after SIGKILL of its leader.
type ReelectionFigure struct {
	Target    string  `json:"target"`
	Killed    string  `json:"killed"`
	ElectedMs float64 `json:"elected_ms"` // until a survivor's srvr says leader
	WriteMs   float64 `json:"write_ms"`   // until a create through a survivor succeeds
	Err       string  `json:"error,omitempty"`
}

// Machine describes where the figures were taken.
type Machine struct {
	CPU      string `json:"cpu"`
	Cores    int    `json:"cores"`
	MemoryMB int64  `json:"memory_mb"`
	Kernel   string `json:"kernel"`
	Go       string `json:"go"`
	Java     string `json:"java"`
	Disk     string `json:"disk"`
}

// Report is everything a suite measured.
type Report struct {
	Command    string             `json:"command"`
	Started    time.Time          `json:"started"`
	TookS      float64            `json:"took_s"`
	Machine    Machine            `json:"machine"`
	Versions   map[string]string  `json:"versions"`
	Results    []*Result          `json:"results"`
	Latencies  []*LatencyResult   `json:"latencies,omitempty"`
	Startup    []StartupFigure    `json:"startup,omitempty"`
	Memory     []MemoryFigure     `json:"memory,omitempty"`
	Reelection []ReelectionFigure `json:"reelection,omitempty"`
	Snapshots  []SnapshotFigure   `json:"snapshots,omitempty"`
	Notes      []string           `json:"notes,omitempty"`
}

func (r *Report) note(format string, args ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}

func (r *Report) addStartup(t Target, d time.Duration) {
	ms := float64(d) / float64(time.Millisecond)
	for i := range r.Startup {
		if r.Startup[i].Target == t.Name() {
			r.Startup[i].Samples = append(r.Startup[i].Samples, ms)
			return
		}
	}
	r.Startup = append(r.Startup, StartupFigure{Target: t.Name(), Group: t.Group(), Samples: []float64{ms}})
}

func groupOfKind(kind string) string {
	switch kind {
	case "zkgo", "java", "inproc":
		return "standalone"
	case "zkgo3", "java3":
		return "3-node"
	case "zkgo" + NoSyncSuffix, "java" + NoSyncSuffix:
		return "standalone" + NoSyncSuffix
	}
	return "external:" + kind
}

// RunSuite runs the whole suite and returns what it measured; failures of one target become
// notes and the rest goes on.
func RunSuite(ctx context.Context, cfg SuiteConfig) *Report {
	logf := cfg.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	cfg.Spec.Logf = logf
	if cfg.Rounds <= 0 {
		cfg.Rounds = 1
	}
	rep := &Report{Started: time.Now(), Machine: machine(cfg.Spec), Versions: map[string]string{}}
	var groups []string
	byGroup := map[string][]string{}
	for _, k := range cfg.Targets {
		g := groupOfKind(k)
		if _, ok := byGroup[g]; !ok {
			groups = append(groups, g)
		}
		byGroup[g] = append(byGroup[g], k)
	}
	for _, g := range groups {
		if ctx.Err() != nil {
			break
		}
		runGroup(ctx, cfg, rep, g, byGroup[g], logf)
	}
	for _, k := range cfg.Targets {
		if k != "zkgo" && k != "java" {
			continue
		}
		for i := 0; i < cfg.Startups && ctx.Err() == nil; i++ {
			spec := cfg.Spec
			spec.Kind = k
			t, info, err := StartTarget(spec)
			if err != nil {
				rep.note("%s: start %d: %v", k, i+1, err)
				break
			}
			rep.addStartup(t, info.ToServe)
			logf("start-up of %s: serving %v after exec", t.Name(), info.ToServe.Round(time.Millisecond))
			t.Close()
		}
	}
	if cfg.Snapshots != nil && ctx.Err() == nil {
		rep.Snapshots = RunSnapshots(ctx, *cfg.Snapshots, cfg.Spec, logf)
		for _, f := range rep.Snapshots {
			if f.Err != "" {
				rep.note("snapshot benchmark, %s, %d znodes: %s", f.Target, f.Znodes, f.Err)
			}
		}
	}
	if cfg.MemoryZnodes > 0 {
		for _, k := range cfg.Targets {
			if (k == "zkgo" || k == "java" || k == "inproc") && ctx.Err() == nil {
				rep.Memory = append(rep.Memory, memoryFigure(ctx, cfg, rep, k, logf))
			}
		}
	}
	rep.TookS = time.Since(rep.Started).Seconds()
	return rep
}

func runGroup(ctx context.Context, cfg SuiteConfig, rep *Report, group string, kinds []string, logf func(string, ...any)) {
	var targets []Target
	defer func() {
		for _, t := range targets {
			t.Close()
		}
	}()
	for _, k := range kinds {
		spec := cfg.Spec
		spec.Kind = k
		logf("starting %s", k)
		t, info, err := StartTarget(spec)
		if err != nil {
			rep.note("%s: not started: %v", k, err)
			logf("  %s: not started: %v", k, err)
			continue
		}
		logf("  %s serving %v after exec", t.Name(), info.ToServe.Round(time.Millisecond))
		if info.ToServe > 0 {
			rep.addStartup(t, info.ToServe)
		}
		targets = append(targets, t)
	}
	if len(targets) == 0 {
		return
	}
	if group == "standalone"+NoSyncSuffix {
		// Only the write path differs: run the chosen workloads, nothing else.
		only := cfg.NoSyncWorkloads
		if len(only) == 0 {
			only = []string{"write"}
		}
		var ws []Workload
		for _, w := range cfg.Workloads {
			if contains(only, w.Name) {
				ws = append(ws, w)
			}
		}
		cfg.Workloads, cfg.EqualLoad, cfg.Latencies, cfg.Reelection = ws, 0, nil, false
	}
	if cfg.TargetWarmup > 0 && len(cfg.Workloads) > 0 {
		m, _ := NamedMix("all")
		w := cfg.Workloads[0]
		w.Name, w.Mix, w.Duration, w.Ops, w.Warmup, w.Rate = "warm-up", m, cfg.TargetWarmup, 0, 0, 0
		for _, t := range targets {
			logf("warming %s up for %v (not recorded)", t.Name(), cfg.TargetWarmup)
			if _, err := Run(ctx, t.Addrs(), w, Hooks{}); err != nil {
				rep.note("%s: warm-up: %v", t.Name(), err)
			}
		}
	}
	for round := 1; round <= cfg.Rounds; round++ {
		for _, w := range cfg.Workloads {
			order := append([]Target(nil), targets...)
			if round%2 == 0 {
				for i, j := 0, len(order)-1; i < j; i, j = i+1, j-1 {
					order[i], order[j] = order[j], order[i]
				}
			}
			for _, t := range order {
				if ctx.Err() != nil {
					return
				}
				rep.Results = append(rep.Results, runOne(ctx, t, w, round, logf))
			}
		}
	}
	if cfg.EqualLoad > 0 && len(targets) > 1 {
		for _, w := range cfg.Workloads {
			if len(cfg.EqualLoadWorkloads) > 0 && !contains(cfg.EqualLoadWorkloads, w.Name) {
				continue
			}
			slowest := 0.0
			for _, t := range targets {
				tp := meanThroughput(rep.Results, t.Name(), w.Name)
				if tp > 0 && (slowest == 0 || tp < slowest) {
					slowest = tp
				}
			}
			if slowest == 0 {
				continue
			}
			ew := w
			ew.Rate = slowest * cfg.EqualLoad
			ew.Name = fmt.Sprintf("%s@%.0f/s", w.Name, ew.Rate)
			for _, t := range targets {
				if ctx.Err() != nil {
					return
				}
				r := runOne(ctx, t, ew, 1, logf)
				rep.Results = append(rep.Results, r)
			}
		}
	}
	if cfg.Latencies != nil {
		for _, t := range targets {
			if ctx.Err() != nil {
				return
			}
			logf("zk-latencies on %s", t.Name())
			lr, err := RunLatencies(ctx, t.Addrs()[0], *cfg.Latencies)
			lr.Target, lr.Group = t.Name(), t.Group()
			if err != nil {
				lr.Err = err.Error()
				rep.note("%s: zk-latencies: %v", t.Name(), err)
			}
			rep.Latencies = append(rep.Latencies, lr)
		}
	}
	if cfg.Reelection {
		for _, t := range targets {
			if e, ok := t.(Ensemble); ok && e.Size() > 1 && ctx.Err() == nil {
				logf("leader re-election on %s", t.Name())
				f := measureReelection(e)
				if f.Err != "" {
					rep.note("%s: re-election: %s", t.Name(), f.Err)
				}
				logf("  elected after %.0f ms, first write after %.0f ms", f.ElectedMs, f.WriteMs)
				rep.Reelection = append(rep.Reelection, f)
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func meanThroughput(rs []*Result, target, workload string) float64 {
	sum, n := 0.0, 0
	for _, r := range rs {
		if r.Target == target && r.Workload.Name == workload && r.Err == "" {
			sum += r.Throughput
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}

func runOne(ctx context.Context, t Target, w Workload, round int, logf func(string, ...any)) *Result {
	var procs []int
	var names []string
	for _, p := range t.Procs() {
		procs = append(procs, p.Pid)
		names = append(names, p.Name)
	}
	self := os.Getpid()
	if !contains(names, "zkgo-inproc+bench") {
		procs = append(procs, self)
		names = append(names, "bench client")
	}
	s := NewSampler(procs, names)
	logf("%s on %s (round %d)", w.Describe(), t.Name(), round)
	var usage []ProcUsage
	var load [2]float64
	addrs := t.Addrs()
	before, after := make([]map[string]float64, len(addrs)), make([]map[string]float64, len(addrs))
	res, err := Run(ctx, addrs, w, Hooks{
		MeasureStart: func() {
			if w.Mix.writes() {
				for i, a := range addrs {
					before[i] = mntr(a)
				}
			}
			load[0] = loadAvg()
			s.Start()
		},
		MeasureEnd: func() {
			usage = s.Stop()
			load[1] = loadAvg()
			if w.Mix.writes() {
				for i, a := range addrs {
					after[i] = mntr(a)
				}
			}
		},
	})
	if res == nil {
		res = &Result{Workload: w}
	}
	res.Target, res.Group, res.Round, res.LoadAvg = t.Name(), t.Group(), round, load
	for _, u := range usage {
		if u.Name == "bench client" {
			res.ClientCPU = u.CPUPct
		} else {
			res.Procs = append(res.Procs, u)
		}
	}
	if err != nil {
		res.Err = err.Error()
		logf("  error: %v", err)
	}
	for i, a := range addrs {
		if st, ok := syncStats(a, before[i], after[i]); ok {
			res.Sync = append(res.Sync, st)
			logf("  %s: %d fsyncs, avg %.2f ms, %.1f txns per batch", a, st.Fsyncs, st.FsyncAvgMs, st.BatchAvg)
		}
	}
	cpu, _ := procTotals(res.Procs)
	logf("  %.0f ops/s, p50 %.2f ms, p99 %.2f ms, errors %d; server CPU %.0f%%, client CPU %.0f%%, load %.1f", res.Throughput, res.Latency.P50, res.Latency.P99, res.Errors, cpu, res.ClientCPU, load[1])
	return res
}

// measureReelection kills the leader and times until a survivor leads and a write succeeds.
func measureReelection(e Ensemble) ReelectionFigure {
	f := ReelectionFigure{Target: e.Name()}
	leader := -1
	deadline := time.Now().Add(30 * time.Second)
	for leader < 0 && time.Now().Before(deadline) {
		for i := 0; i < e.Size(); i++ {
			if m, _ := e.Mode(i); m == "leader" {
				leader = i
			}
		}
		if leader < 0 {
			time.Sleep(50 * time.Millisecond)
		}
	}
	if leader < 0 {
		f.Err = "no member reports leader"
		return f
	}
	f.Killed = fmt.Sprintf("member %d (%s)", leader+1, e.Addrs()[leader])
	var survivors []string
	var idx []int
	for i, a := range e.Addrs() {
		if i != leader {
			survivors = append(survivors, a)
			idx = append(idx, i)
		}
	}
	start := time.Now()
	if err := e.Kill(leader); err != nil {
		f.Err = err.Error()
		return f
	}
	elected := make(chan time.Time, 1)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			for _, i := range idx {
				if m, _ := e.Mode(i); m == "leader" {
					elected <- time.Now()
					return
				}
			}
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	deadline = start.Add(60 * time.Second)
	var last error
	for i := 0; time.Now().Before(deadline); i++ {
		if last = probe(survivors[i%len(survivors)], time.Second, true); last == nil {
			f.WriteMs = float64(time.Since(start)) / float64(time.Millisecond)
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	if f.WriteMs == 0 {
		f.Err = fmt.Sprintf("no write served within 60 s (last: %v)", last)
		return f
	}
	select {
	case at := <-elected:
		f.ElectedMs = float64(at.Sub(start)) / float64(time.Millisecond)
	case <-time.After(10 * time.Second):
		f.Err = "writes served but no survivor reported leader"
	}
	return f
}

// memoryFigure starts a fresh standalone server, loads cfg.MemoryZnodes znodes and reads RSS.
func memoryFigure(ctx context.Context, cfg SuiteConfig, rep *Report, kind string, logf func(string, ...any)) MemoryFigure {
	spec := cfg.Spec
	spec.Kind = kind
	f := MemoryFigure{Target: kind, Znodes: cfg.MemoryZnodes, ValueSize: cfg.MemoryValue}
	logf("RSS with %d znodes of %d bytes: starting a fresh %s", f.Znodes, f.ValueSize, kind)
	t, info, err := StartTarget(spec)
	if err != nil {
		f.Err = err.Error()
		rep.note("%s: memory figure: %v", kind, err)
		return f
	}
	defer t.Close()
	f.Target = t.Name()
	rep.addStartup(t, info.ToServe)
	pid := t.Procs()[0].Pid
	time.Sleep(time.Second)
	if ps, err := ReadProc(pid); err == nil {
		f.RSSEmpty = ps.RSS
	}
	start := time.Now()
	if err := loadZnodes(ctx, t.Addrs()[0], f.Znodes, f.ValueSize); err != nil {
		f.Err = err.Error()
		rep.note("%s: loading %d znodes: %v", t.Name(), f.Znodes, err)
		return f
	}
	f.LoadS = time.Since(start).Seconds()
	time.Sleep(2 * time.Second)
	ps, err := ReadProc(pid)
	if err != nil {
		f.Err = err.Error()
		return f
	}
	f.RSS, f.HWM = ps.RSS, ps.HWM
	logf("  %s: %.0f MB RSS (empty %.0f MB, peak %.0f MB), loaded in %.1f s", t.Name(), mb(f.RSS), mb(f.RSSEmpty), mb(f.HWM), f.LoadS)
	return f
}

// loadAvg is the 1-minute load average (other work on the machine shows here).
func loadAvg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }

// loadZnodes creates n znodes of valueSize bytes under /zkbench-mem/b<i/1000>/n<i> (1000
// children per parent), 100 per multi, from 4 sessions 2 deep. (Small multis: both servers
// keep the last 500 txns for follower sync, which should not dominate the figure.)
func loadZnodes(ctx context.Context, addr string, n, valueSize int) error {
	const per, perMulti = 1000, 100
	conns, err := connectAll(ctx, []string{addr}, 4, 30*time.Second)
	if err != nil {
		return err
	}
	defer closeAll(conns)
	value := make([]byte, valueSize)
	for i := range value {
		value[i] = byte('a' + i%26)
	}
	root := "/zkbench-mem"
	if _, err := conns[0].Create(root, nil, 0, openACL); err != nil {
		return err
	}
	nb := (n + per - 1) / per
	var ops []any
	for b := 0; b < nb; b++ {
		ops = append(ops, &zk.CreateRequest{Path: root + "/b" + strconv.Itoa(b), Acl: openACL})
		if len(ops) == perMulti || b == nb-1 {
			if _, err := conns[0].Multi(ops...); err != nil {
				return err
			}
			ops = nil
		}
	}
	nm := (n + perMulti - 1) / perMulti
	work := make(chan int, nm)
	for m := 0; m < nm; m++ {
		work <- m
	}
	close(work)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for g := 0; g < 8; g++ {
		c := conns[g%len(conns)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			ops := make([]any, 0, perMulti)
			for m := range work {
				ops = ops[:0]
				for i := m * perMulti; i < min((m+1)*perMulti, n); i++ {
					ops = append(ops, &zk.CreateRequest{Path: root + "/b" + strconv.Itoa(i/per) + "/n" + strconv.Itoa(i), Data: value, Acl: openACL})
				}
				if _, err := c.Multi(ops...); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					return
				}
				if ctx.Err() != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}

func machine(spec TargetSpec) Machine {
	m := Machine{Cores: runtime.NumCPU(), Go: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if f := strings.Fields(l); len(f) >= 2 && f[0] == "MemTotal:" {
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				m.MemoryMB = kb >> 10
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if out, err := exec.Command("java", "-version").CombinedOutput(); err == nil {
		if l, _, _ := strings.Cut(string(out), "\n"); l != "" {
			m.Java = strings.TrimSpace(l)
		}
	}
	dir := spec.Dir
	if dir == "" {
		dir = os.TempDir()
	}
	if out, err := exec.Command("df", "-T", dir).Output(); err == nil {
		ls := strings.Split(strings.TrimSpace(string(out)), "\n")
		if f := strings.Fields(ls[len(ls)-1]); len(f) >= 2 {
			m.Disk = fmt.Sprintf("%s (%s) for %s", f[0], f[1], dir)
		}
	}
	return m
}
