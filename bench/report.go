package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
)

// Summary is the mean over rounds of one workload on one target.
type Summary struct {
	Group, Workload, Target string
	Rounds                  int
	Throughput              float64
	Latency                 Percentiles
	Errors                  int64
	CPUPct                  float64 // server processes, summed, mean over rounds
	ClientCPUPct            float64 // the load generator, mean over rounds
	RSSMax                  int64   // largest server RSS seen
	Rate                    float64 // paced runs: the offered rate
}

// Summaries groups the results by (group, workload, target), in the order they first ran.
func (r *Report) Summaries() []Summary {
	var out []Summary
	idx := map[string]int{}
	for _, res := range r.Results {
		if res.Err != "" && res.Ops == 0 {
			continue
		}
		k := res.Group + "\x00" + res.Workload.Name + "\x00" + res.Target
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, Summary{Group: res.Group, Workload: res.Workload.Name, Target: res.Target, Rate: res.Workload.Rate})
		}
		s := &out[i]
		s.Rounds++
		s.Throughput += res.Throughput
		s.Latency.P50 += res.Latency.P50
		s.Latency.P90 += res.Latency.P90
		s.Latency.P99 += res.Latency.P99
		s.Latency.P999 += res.Latency.P999
		s.Latency.Mean += res.Latency.Mean
		s.Latency.Max = max(s.Latency.Max, res.Latency.Max)
		s.Errors += res.Errors
		cpu := 0.0
		for _, p := range res.Procs {
			cpu += p.CPUPct
			s.RSSMax = max(s.RSSMax, p.RSSMax)
		}
		s.CPUPct += cpu
		s.ClientCPUPct += res.ClientCPU
	}
	for i := range out {
		n := float64(out[i].Rounds)
		s := &out[i]
		s.Throughput /= n
		s.Latency.P50 /= n
		s.Latency.P90 /= n
		s.Latency.P99 /= n
		s.Latency.P999 /= n
		s.Latency.Mean /= n
		s.CPUPct /= n
		s.ClientCPUPct /= n
	}
	return out
}

// CPUPerOp is the servers' CPU time per operation in microseconds (0 when not sampled).
func (s Summary) CPUPerOp() float64 {
	if s.Throughput <= 0 || s.CPUPct <= 0 {
		return 0
	}
	return s.CPUPct / 100 * 1e6 / s.Throughput
}

// Comparison is one target against the group's baseline (the Java target) on one workload.
type Comparison struct {
	Group, Workload  string
	Target, Baseline string
	Throughput       [2]float64 // target, baseline
	P99              [2]float64
	ThroughputRatio  float64 // target / baseline
	P99Ratio         float64 // target / baseline (lower is better)
	CPUPerOp         [2]float64
	CPUPerOpRatio    float64 // baseline / target: how many times less server CPU an op costs
}

func isJava(name string) bool { return strings.HasPrefix(name, "java") }

// Comparisons pairs every non-Java target with the Java target of its group.
func (r *Report) Comparisons() []Comparison {
	sums := r.Summaries()
	var out []Comparison
	for _, s := range sums {
		if isJava(s.Target) {
			continue
		}
		for _, b := range sums {
			if b.Group == s.Group && b.Workload == s.Workload && isJava(b.Target) {
				c := Comparison{Group: s.Group, Workload: s.Workload, Target: s.Target, Baseline: b.Target,
					Throughput: [2]float64{s.Throughput, b.Throughput}, P99: [2]float64{s.Latency.P99, b.Latency.P99}}
				if b.Throughput > 0 {
					c.ThroughputRatio = s.Throughput / b.Throughput
				}
				if b.Latency.P99 > 0 {
					c.P99Ratio = s.Latency.P99 / b.Latency.P99
				}
				c.CPUPerOp = [2]float64{s.CPUPerOp(), b.CPUPerOp()}
				if c.CPUPerOp[0] > 0 {
					c.CPUPerOpRatio = c.CPUPerOp[1] / c.CPUPerOp[0]
				}
				out = append(out, c)
			}
		}
	}
	return out
}

// Goal is one of the Benchmarks issue's targets, checked against the figures.
type Goal struct {
	Name   string
	Want   string
	Got    string
	Met    bool
	Known  bool // false: not measured in this run
	Detail string
}

// Goals evaluates the targets set for zkgo against Java on this machine.
func (r *Report) Goals() []Goal {
	comps := r.Comparisons()
	find := func(group, workload string) *Comparison {
		for i := range comps {
			c := &comps[i]
			if c.Group == group && strings.HasPrefix(c.Target, "zkgo") && (c.Workload == workload || strings.HasPrefix(c.Workload, workload+"@") && workload == "") {
				return c
			}
		}
		return nil
	}
	ratioGoal := func(name, want string, c *Comparison, min float64) Goal {
		g := Goal{Name: name, Want: want}
		if c == nil {
			return g
		}
		g.Known = true
		g.Got = fmt.Sprintf("%.2fx (%.0f vs %.0f ops/s)", c.ThroughputRatio, c.Throughput[0], c.Throughput[1])
		g.Met = c.ThroughputRatio >= min
		return g
	}
	var gs []Goal
	gs = append(gs, ratioGoal("reads/s vs Java standalone", ">= 2x", find("standalone", "read"), 2))
	gs = append(gs, ratioGoal("writes/s vs Java standalone", ">= 1.5x", find("standalone", "write"), 1.5))
	gs = append(gs, ratioGoal("writes/s vs Java 3-node", ">= 1.5x", find("3-node", "write"), 1.5))
	// The same with pipelining clients (the ZooKeeper paper's asynchronous clients), when run.
	for _, c := range comps {
		if c.Group != "standalone" && c.Group != "3-node" || !strings.HasPrefix(c.Target, "zkgo") {
			continue
		}
		base, d, ok := strings.Cut(c.Workload, "/d")
		if !ok || base != "read" && base != "write" || base == "read" && c.Group != "standalone" {
			continue
		}
		want, min := ">= 1.5x", 1.5
		if base == "read" {
			want, min = ">= 2x", 2
		}
		gs = append(gs, ratioGoal(fmt.Sprintf("%ss/s vs Java %s, %s outstanding per session", base, c.Group, d), want, find(c.Group, c.Workload), min))
	}
	// p99 at equal load: every paced workload of the standalone group.
	for _, c := range comps {
		if c.Group == "standalone" && strings.Contains(c.Workload, "@") && strings.HasPrefix(c.Target, "zkgo") {
			g := Goal{Name: "p99 at equal load (" + c.Workload + ")", Want: "<= 0.5x", Known: true}
			g.Got = fmt.Sprintf("%.2fx (%.2f vs %.2f ms)", c.P99Ratio, c.P99[0], c.P99[1])
			g.Met = c.P99Ratio > 0 && c.P99Ratio <= 0.5
			gs = append(gs, g)
		}
	}
	mem := Goal{Name: "RSS with 1M znodes of 100 B vs Java", Want: "<= 0.25x"}
	var zm, jm *MemoryFigure
	for i := range r.Memory {
		m := &r.Memory[i]
		if m.Err != "" || m.RSS == 0 {
			continue
		}
		if isJava(m.Target) {
			jm = m
		} else {
			zm = m
		}
	}
	if zm != nil && jm != nil {
		ratio := float64(zm.RSS) / float64(jm.RSS)
		mem.Known, mem.Met = true, ratio <= 0.25
		mem.Got = fmt.Sprintf("%.2fx (%.0f vs %.0f MB)", ratio, mb(zm.RSS), mb(jm.RSS))
	}
	gs = append(gs, mem)
	st := Goal{Name: "start to serving (zkgo standalone)", Want: "<= 50 ms"}
	for _, s := range r.Startup {
		if s.Target == "zkgo" {
			st.Known = true
			st.Got = fmt.Sprintf("%.1f ms (median of %d; best %.1f)", s.Median(), len(s.Samples), s.Best())
			st.Met = s.Median() <= 50
		}
	}
	gs = append(gs, st)
	return gs
}

// ChartNames lists the PNG files bench/chartgen draws for this report, in the order the
// markdown report shows them.
func (r *Report) ChartNames() []string {
	var out []string
	if len(r.Summaries()) > 0 {
		out = append(out, "compare-throughput.png", "compare-p99.png")
	}
	seen := map[string]bool{}
	for _, res := range r.Results {
		if !seen[res.Group] {
			seen[res.Group] = true
			out = append(out, "timeline-"+strings.ReplaceAll(res.Group, ":", "_")+".png")
		}
	}
	if len(r.Latencies) > 0 {
		out = append(out, "zk-latencies.png")
	}
	return out
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// ReadReport reads a JSON report.
func ReadReport(path string) (*Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("bench: %s: %w", path, err)
	}
	return &r, nil
}

// WriteText prints the results as tables.
func (r *Report) WriteText(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "\n== runs")
	fmt.Fprintln(tw, "group\tworkload\ttarget\tround\tops/s\terrors\tp50 ms\tp90 ms\tp99 ms\tp99.9 ms\tmax ms\tsrv CPU%\tsrv RSS MB\tclient CPU%\tload\t")
	for _, res := range r.Results {
		cpu, rss := procTotals(res.Procs)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%.0f\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t%.1f\t%.0f\t%.0f\t%.0f\t%.1f\t\n", res.Group, res.Workload.Name, res.Target, res.Round,
			res.Throughput, res.Errors, res.Latency.P50, res.Latency.P90, res.Latency.P99, res.Latency.P999, res.Latency.Max, cpu, mb(rss), res.ClientCPU, res.LoadAvg[1])
		for _, o := range res.PerOp {
			if len(res.PerOp) == 1 {
				break
			}
			fmt.Fprintf(tw, "\t\t  %s\t\t%.0f\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t%.1f\t\t\t\t\t\n", o.Op, o.Rate, o.Errors, o.Latency.P50, o.Latency.P90, o.Latency.P99, o.Latency.P999, o.Latency.Max)
		}
	}
	tw.Flush()
	if cs := r.Comparisons(); len(cs) > 0 {
		fmt.Fprintln(w, "\n== ratios (mean over rounds)")
		fmt.Fprintln(tw, "group\tworkload\ttarget/baseline\tops/s\tbaseline ops/s\tratio\tp99 ms\tbaseline p99 ms\tp99 ratio\tCPU µs/op\tbaseline CPU µs/op\tCPU ratio\t")
		for _, c := range cs {
			fmt.Fprintf(tw, "%s\t%s\t%s/%s\t%.0f\t%.0f\t%.2fx\t%.2f\t%.2f\t%.2fx\t%.1f\t%.1f\t%.2fx\t\n", c.Group, c.Workload, c.Target, c.Baseline,
				c.Throughput[0], c.Throughput[1], c.ThroughputRatio, c.P99[0], c.P99[1], c.P99Ratio, c.CPUPerOp[0], c.CPUPerOp[1], c.CPUPerOpRatio)
		}
		tw.Flush()
	}
	if len(r.Latencies) > 0 {
		fmt.Fprintln(w, "\n== zk-latencies")
		for _, l := range r.Latencies {
			fmt.Fprintf(w, "%s (%d znodes of %d B, %d outstanding):\n", l.Target, l.Config.N, l.Config.ValueSize, l.Config.Depth)
			for _, p := range l.Phases {
				fmt.Fprintf(w, "  %-18s %7d znodes in %6.0f ms (%.4f ms/op %.1f/sec) p99 %.2f ms\n", p.Name, p.N, p.TotalMs, p.MsPerOp, p.OpsPerSec, p.Latency.P99)
			}
		}
	}
	if len(r.Startup) > 0 {
		fmt.Fprintln(w, "\n== start to first served request")
		for _, s := range r.Startup {
			fmt.Fprintf(w, "  %-14s median %.1f ms, best %.1f ms (%d starts)\n", s.Target, s.Median(), s.Best(), len(s.Samples))
		}
	}
	if len(r.Memory) > 0 {
		fmt.Fprintln(w, "\n== RSS holding many znodes")
		for _, m := range r.Memory {
			fmt.Fprintf(w, "  %-14s %d znodes of %d B: RSS %.0f MB (empty %.0f MB, peak %.0f MB), loaded in %.1f s %s\n", m.Target, m.Znodes, m.ValueSize, mb(m.RSS), mb(m.RSSEmpty), mb(m.HWM), m.LoadS, m.Err)
		}
	}
	if len(r.Reelection) > 0 {
		fmt.Fprintln(w, "\n== leader re-election after SIGKILL")
		for _, e := range r.Reelection {
			fmt.Fprintf(w, "  %-14s killed %s: new leader after %.0f ms, first write after %.0f ms %s\n", e.Target, e.Killed, e.ElectedMs, e.WriteMs, e.Err)
		}
	}
	r.writeStorageText(w)
	if gs := r.Goals(); len(gs) > 0 {
		fmt.Fprintln(w, "\n== goals")
		for _, g := range gs {
			fmt.Fprintf(w, "  %-44s want %-9s got %s\n", g.Name, g.Want, goalState(g))
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintln(w, "note:", n)
	}
}

func goalState(g Goal) string {
	switch {
	case !g.Known:
		return "not measured"
	case g.Met:
		return g.Got + "  MET"
	}
	return g.Got + "  NOT MET"
}

func procTotals(ps []ProcUsage) (cpu float64, rss int64) {
	for _, p := range ps {
		cpu += p.CPUPct
		rss = max(rss, p.RSSMax)
	}
	return
}

// WriteMarkdown writes RESULTS.md: the figures, how they were taken, and the charts (paths
// relative to the markdown file).
func (r *Report) WriteMarkdown(w io.Writer, charts []string, extra string) {
	m := r.Machine
	fmt.Fprintf(w, "# zkgo benchmark results\n\n")
	fmt.Fprintf(w, "Generated by `make bench` on %s (took %.0f s). Regenerate with `make bench`; the raw figures are in `results.json`.\n\n", r.Started.UTC().Format("2006-01-02 15:04 MST"), r.TookS)
	fmt.Fprintf(w, "Command:\n\n```\n%s\n```\n\n", r.Command)
	fmt.Fprintf(w, "## Machine and versions\n\n")
	fmt.Fprintf(w, "| | |\n|---|---|\n")
	fmt.Fprintf(w, "| CPU | %s, %d cores (client and servers share them) |\n| memory | %d MB |\n| kernel | %s |\n| disk | %s |\n| Go | %s |\n| Java | %s |\n",
		m.CPU, m.Cores, m.MemoryMB, m.Kernel, m.Disk, m.Go, m.Java)
	keys := make([]string, 0, len(r.Versions))
	for k := range r.Versions {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "| %s | %s |\n", k, r.Versions[k])
	}
	fmt.Fprintln(w)
	if extra != "" {
		fmt.Fprintf(w, "How the figures were taken, what the profiles show and what stands in the way of each goal: see the notes after the tables.\n\n")
	}
	if gs := r.Goals(); len(gs) > 0 {
		fmt.Fprintf(w, "## Goals (ratios measured in this run)\n\n| goal | want | got | |\n|---|---|---|---|\n")
		for _, g := range gs {
			state := "not measured"
			if g.Known {
				state = "**not met**"
				if g.Met {
					state = "met"
				}
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s |\n", g.Name, g.Want, g.Got, state)
		}
		fmt.Fprintln(w)
	}
	if cs := r.Comparisons(); len(cs) > 0 {
		fmt.Fprintf(w, "## Side by side (mean over rounds)\n\n| group | workload | target | ops/s | Java ops/s | ratio | p99 ms | Java p99 ms | p99 ratio | server CPU µs/op | Java CPU µs/op | CPU ratio |\n|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, c := range cs {
			fmt.Fprintf(w, "| %s | %s | %s | %.0f | %.0f | **%.2fx** | %.2f | %.2f | %.2fx | %.1f | %.1f | %.2fx |\n", c.Group, c.Workload, c.Target, c.Throughput[0], c.Throughput[1], c.ThroughputRatio,
				c.P99[0], c.P99[1], c.P99Ratio, c.CPUPerOp[0], c.CPUPerOp[1], c.CPUPerOpRatio)
		}
		fmt.Fprintf(w, "\nCPU µs/op is the server processes' user+system CPU during the window divided by the operations served (CPU ratio: Java's over zkgo's, higher is better for zkgo).\n\n")
		fmt.Fprintln(w)
	}
	for _, c := range charts {
		fmt.Fprintf(w, "![%s](%s)\n\n", strings.TrimSuffix(c[strings.LastIndexByte(c, '/')+1:], ".png"), c)
	}
	if sums := r.Summaries(); len(sums) > 0 {
		fmt.Fprintf(w, "## All workloads (mean over rounds)\n\n| group | workload | target | rounds | ops/s | errors | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | server CPU %% | server CPU µs/op | server RSS MB | client CPU %% |\n|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, s := range sums {
			fmt.Fprintf(w, "| %s | %s | %s | %d | %.0f | %d | %.2f | %.2f | %.2f | %.2f | %.1f | %.0f | %.1f | %.0f | %.0f |\n", s.Group, s.Workload, s.Target, s.Rounds, s.Throughput, s.Errors,
				s.Latency.P50, s.Latency.P90, s.Latency.P99, s.Latency.P999, s.Latency.Max, s.CPUPct, s.CPUPerOp(), mb(s.RSSMax), s.ClientCPUPct)
		}
		fmt.Fprintf(w, "\nServer CPU is the sum over the target's processes, in %% of one core; RSS the largest sample (every 250 ms) during the measured window.\n\n")
	}
	var multiOp []*Result
	for _, res := range r.Results {
		if len(res.PerOp) > 1 && res.Round == 1 {
			multiOp = append(multiOp, res)
		}
	}
	if len(multiOp) > 0 {
		fmt.Fprintf(w, "### Per operation (round 1)\n\n| group | workload | target | op | ops/s | errors | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms |\n|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, res := range multiOp {
			for _, o := range res.PerOp {
				fmt.Fprintf(w, "| %s | %s | %s | %s | %.0f | %d | %.2f | %.2f | %.2f | %.2f | %.1f |\n", res.Group, res.Workload.Name, res.Target, o.Op, o.Rate, o.Errors,
					o.Latency.P50, o.Latency.P90, o.Latency.P99, o.Latency.P999, o.Latency.Max)
			}
		}
		fmt.Fprintln(w)
	}
	if len(r.Latencies) > 0 {
		fmt.Fprintf(w, "## zk-latencies workload\n\nzk-smoketest's `zk-latencies.py` sequence on one session (asynchronous calls: %d outstanding), %d znodes of %d bytes. ops/s per phase (p99 ms in brackets):\n\n",
			r.Latencies[0].Config.Depth, r.Latencies[0].Config.N, r.Latencies[0].Config.ValueSize)
		fmt.Fprintf(w, "| phase |")
		for _, l := range r.Latencies {
			fmt.Fprintf(w, " %s |", l.Target)
		}
		fmt.Fprintf(w, "\n|---|%s\n", strings.Repeat("---:|", len(r.Latencies)))
		for i, p := range r.Latencies[0].Phases {
			fmt.Fprintf(w, "| %s |", p.Name)
			for _, l := range r.Latencies {
				if i < len(l.Phases) {
					q := l.Phases[i]
					fmt.Fprintf(w, " %.0f (%.2f) |", q.OpsPerSec, q.Latency.P99)
				} else {
					fmt.Fprintf(w, " |")
				}
			}
			fmt.Fprintln(w)
		}
		fmt.Fprintln(w)
	}
	r.writeStorageMarkdown(w)
	if len(r.Startup) > 0 || len(r.Memory) > 0 || len(r.Reelection) > 0 {
		fmt.Fprintf(w, "## Resources\n\n")
	}
	if len(r.Startup) > 0 {
		fmt.Fprintf(w, "Start-up, from the exec of the server process to the first request it served (a probe connects and sends exists / every millisecond):\n\n| target | median ms | best ms | starts |\n|---|---:|---:|---:|\n")
		for _, s := range r.Startup {
			fmt.Fprintf(w, "| %s | %.1f | %.1f | %d |\n", s.Target, s.Median(), s.Best(), len(s.Samples))
		}
		fmt.Fprintln(w)
	}
	if len(r.Memory) > 0 {
		fmt.Fprintf(w, "Memory: a fresh standalone server, then znodes created 1000 per multi; RSS read from /proc 2 s after the last create:\n\n| target | znodes | value B | RSS MB | empty RSS MB | peak RSS MB | load s |\n|---|---:|---:|---:|---:|---:|---:|\n")
		for _, m := range r.Memory {
			fmt.Fprintf(w, "| %s | %d | %d | %.0f | %.0f | %.0f | %.1f |\n", m.Target, m.Znodes, m.ValueSize, mb(m.RSS), mb(m.RSSEmpty), mb(m.HWM), m.LoadS)
		}
		fmt.Fprintln(w)
	}
	if len(r.Reelection) > 0 {
		fmt.Fprintf(w, "Leader re-election, 3 nodes, after SIGKILL of the leader: until a survivor's `srvr` says leader, and until a create through a survivor succeeds:\n\n| target | killed | new leader ms | first write ms |\n|---|---|---:|---:|\n")
		for _, e := range r.Reelection {
			fmt.Fprintf(w, "| %s | %s | %.0f | %.0f |\n", e.Target, e.Killed, e.ElectedMs, e.WriteMs)
		}
		fmt.Fprintln(w)
	}
	if extra != "" {
		fmt.Fprintln(w, extra)
		fmt.Fprintln(w)
	}
	if len(r.Notes) > 0 {
		fmt.Fprintf(w, "## Notes from the run\n\n")
		for _, n := range r.Notes {
			fmt.Fprintf(w, "- %s\n", strings.ReplaceAll(n, "\n", " "))
		}
		fmt.Fprintln(w)
	}
}
