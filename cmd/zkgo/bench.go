package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/zkgo/zkgo/bench"
	"github.com/zkgo/zkgo/internal/gcheadroom"
	"github.com/zkgo/zkgo/server/zkserver"
)

func init() {
	register("bench", "load-test zkgo and Java ZooKeeper side by side: zkgo bench -h", runBench)
}

func runBench(args []string) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `usage: zkgo bench [flags]

Starts each target (or uses the given addresses), runs the workloads on them in turn and
prints throughput, latency percentiles per operation, server CPU and RSS, and zkgo/Java
ratios. Targets of one group run side by side: all are up at once and the workloads alternate
between them (the order flips every round).

Targets: zkgo (bin/zkgo server as a separate process), java (Java ZooKeeper through the
oracle harness), zkgo3 / java3 (3-node ensembles on loopback), inproc (zkgo inside this
process, for -cpuprofile), or host:port[/host:port...] for a running server or ensemble.

Workloads: %s, or custom with -mix.

Flags:
`, strings.Join(bench.NamedWorkloads(), ", "))
		fs.PrintDefaults()
	}
	targets := fs.String("targets", "zkgo,java", "comma-separated targets")
	workloads := fs.String("workloads", "read,write,mixed", "comma-separated named workloads")
	mix := fs.String("mix", "", "a custom operation mix, e.g. get=70,set=20,watch=10 (adds a workload named custom)")
	sessions := fs.Int("sessions", 32, "client sessions, spread over the target's servers")
	depth := fs.Int("depth", 1, "requests outstanding per session (pipelining)")
	value := fs.Int("value", 100, "value size in bytes")
	keys := fs.Int("keys", 10000, "znodes in the key space")
	duration := fs.Duration("duration", 10*time.Second, "measured time per run")
	ops := fs.Int64("ops", 0, "measured operations per run (instead of -duration)")
	warmup := fs.Duration("warmup", 3*time.Second, "load before measuring")
	rate := fs.Float64("rate", 0, "pace the load at this many ops/s in total (0: as fast as replies come)")
	rounds := fs.Int("rounds", 1, "rounds of every workload on every target")
	equal := fs.Float64("equal-load", 0, "also run every workload at this fraction of the slowest target's throughput on all targets (p99 at equal load)")
	equalW := fs.String("equal-load-workloads", "", "only these workloads at equal load (default: all)")
	latencies := fs.Bool("latencies", false, "also run the zk-latencies workload")
	latN := fs.Int("latencies-n", 10000, "zk-latencies: znodes")
	latDepth := fs.Int("latencies-depth", 100, "zk-latencies: outstanding asynchronous calls (1: --synchronous)")
	latSize := fs.Int("latencies-size", 25, "zk-latencies: znode size (its default is 25)")
	memZnodes := fs.Int("memory-znodes", 0, "measure RSS of fresh zkgo/java standalone servers holding this many znodes (e.g. 1000000)")
	memValue := fs.Int("memory-value", 100, "value size for -memory-znodes")
	targetWarmup := fs.Duration("target-warmup", 0, "unrecorded load on every target after it starts, before round 1 (JIT warm-up)")
	startups := fs.Int("startups", 0, "extra fresh starts of each standalone target for the start-up figure")
	reelect := fs.Bool("reelection", false, "kill the leader of each ensemble target and time the recovery")
	nosyncW := fs.String("nosync-workloads", "write", "workloads run on the forceSync=no targets (zkgo-nosync, java-nosync)")
	snapZnodes := fs.String("snapshot-znodes", "", "time zkgo's and Java's snapshot write and load on trees of these sizes, e.g. 100000,1000000")
	snapRepeats := fs.Int("snapshot-repeats", 3, "writes and loads per tree for -snapshot-znodes")
	javaVersion := fs.String("java-version", "3.9.3", "Java ZooKeeper version")
	javaHeap := fs.String("java-heap", "1000m", "Java -Xmx (zkEnv.sh's default ZK_SERVER_HEAP is 1000 MB; empty keeps the oracle's 256m)")
	tick := fs.Int("tick", 2000, "tickTime (ms) for every server")
	zkgoBin := fs.String("zkgo-bin", "", "zkgo binary for the zkgo targets (default: this one)")
	dir := fs.String("dir", "", "folder for server data (default: a temp folder per target)")
	jsonOut := fs.String("json", "", "write all figures as JSON to this file")
	report := fs.String("report", "", "write a markdown report (RESULTS.md) to this file; it links the charts that go run ./bench/chartgen draws into charts/ beside it")
	fromJSON := fs.String("from-json", "", "do not run: rewrite the text and markdown reports from this JSON")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of this process (use with -targets inproc)")
	memprofile := fs.String("memprofile", "", "write a heap profile of this process at the end")
	seed := fs.Int64("seed", 1, "random seed")
	quiet := fs.Bool("q", false, "no progress lines")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	logf := func(format string, a ...any) {
		if !*quiet {
			fmt.Fprintf(os.Stderr, time.Now().Format("15:04:05 ")+format+"\n", a...)
		}
	}

	var rep *bench.Report
	if *fromJSON != "" {
		r, err := bench.ReadReport(*fromJSON)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		rep = r
	} else {
		base := bench.Workload{Sessions: *sessions, Depth: *depth, ValueSize: *value, Keys: *keys, Duration: *duration,
			Ops: *ops, Warmup: *warmup, Rate: *rate, Seed: *seed}
		var ws []bench.Workload
		for _, name := range splitList(*workloads) {
			m, depth, err := bench.NamedWorkload(name)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 2
			}
			w := base
			w.Name, w.Mix = name, m
			if depth > 0 {
				w.Depth = depth
			}
			ws = append(ws, w)
		}
		if *mix != "" {
			m, err := bench.ParseMix(*mix)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 2
			}
			w := base
			w.Name, w.Mix = "custom", m
			ws = append(ws, w)
		}
		cfg := bench.SuiteConfig{
			Targets: splitList(*targets), Workloads: ws, Rounds: *rounds, EqualLoad: *equal, EqualLoadWorkloads: splitList(*equalW),
			MemoryZnodes: *memZnodes, MemoryValue: *memValue, Reelection: *reelect, Startups: *startups, TargetWarmup: *targetWarmup, Logf: logf,
			Spec: bench.TargetSpec{ZkgoBin: *zkgoBin, JavaVersion: *javaVersion, JavaHeap: *javaHeap, TickTime: *tick, Dir: *dir},
		}
		cfg.NoSyncWorkloads = splitList(*nosyncW)
		if *snapZnodes != "" {
			sc := &bench.SnapshotConfig{ValueSize: *memValue, Repeats: *snapRepeats}
			for _, v := range splitList(*snapZnodes) {
				n, err := strconv.Atoi(v)
				if err != nil || n <= 0 {
					fmt.Fprintf(os.Stderr, "-snapshot-znodes: bad size %q\n", v)
					return 2
				}
				sc.Znodes = append(sc.Znodes, n)
			}
			cfg.Snapshots = sc
		}
		if *latencies {
			cfg.Latencies = &bench.LatencyConfig{N: *latN, Depth: *latDepth, ValueSize: *latSize}
		}
		if *cpuprofile != "" {
			f, err := os.Create(*cpuprofile)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			pprof.StartCPUProfile(f)
			defer func() { pprof.StopCPUProfile(); f.Close() }()
		}
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
		defer stop()
		rep = bench.RunSuite(ctx, cfg)
		rep.Command = "zkgo bench " + strings.Join(args, " ")
		const syncNote = "forceSync=yes; forceSync=no for the -nosync targets"
		rep.Versions["zkgo"] = zkserver.Version + gitState() + fmt.Sprintf(", `zkgo server` with its defaults (GOMAXPROCS half the CPUs, GC headroom max(%d MB, live/%d)), %s",
			gcheadroom.DefaultMin>>20, gcheadroom.DefaultDivisor, syncNote)
		if strings.Contains(*targets, "java") {
			rep.Versions["Java ZooKeeper"] = *javaVersion + " (Debian package, oracle harness: -XX:+UseSerialGC -Xmx" + strings.TrimPrefix(*javaHeap, "-Xmx") + ", " + syncNote + ")"
		}
		rep.Versions["client"] = "github.com/go-zookeeper/zk v1.0.4 in the bench process (its socket read through a 64 KiB buffer)"
		if *memprofile != "" {
			if f, err := os.Create(*memprofile); err == nil {
				pprof.WriteHeapProfile(f)
				f.Close()
			}
		}
	}
	rep.WriteText(os.Stdout)
	if *jsonOut != "" && *fromJSON == "" {
		if err := rep.WriteJSON(*jsonOut); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	if *report != "" {
		var rel []string
		for _, f := range rep.ChartNames() {
			rel = append(rel, "charts/"+f)
		}
		extra := ""
		if b, err := os.ReadFile(filepath.Join(filepath.Dir(*report), "NOTES.md")); err == nil {
			extra = string(bytes.TrimSpace(b)) + "\n"
		}
		var buf bytes.Buffer
		rep.WriteMarkdown(&buf, rel, extra)
		if err := os.WriteFile(*report, buf.Bytes(), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	return 0
}

// gitState names the commit the binary was most likely built from, when run in the repository:
// " (build of <commit>, plus N uncommitted files)".
func gitState() string {
	head, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return ""
	}
	s := " (built from " + strings.TrimSpace(string(head))
	if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil {
		if n := len(strings.Split(strings.TrimSpace(string(st)), "\n")); strings.TrimSpace(string(st)) != "" {
			s += fmt.Sprintf(" with %d modified files in the working tree", n)
		}
	}
	return s + ")"
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
