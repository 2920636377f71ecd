package bench

import (
	"bufio"
	"context"
	_ "embed"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/zkgo/zkgo/jute"
	"github.com/zkgo/zkgo/jute/records"
	"github.com/zkgo/zkgo/oracle"
	"github.com/zkgo/zkgo/server/datatree"
	"github.com/zkgo/zkgo/server/storage"
	"github.com/zkgo/zkgo/wire"
)

//go:embed java/SnapBench.java
var snapBenchJava []byte

// SnapshotConfig is the snapshot benchmark: both servers' own snapshot code writes and loads
// the same tree (Znodes znodes of ValueSize bytes, 1000 children per parent), Repeats times.
type SnapshotConfig struct {
	Znodes    []int
	ValueSize int
	Repeats   int
}

// SnapshotFigure is one server's snapshot write and load times on one tree.
type SnapshotFigure struct {
	Target string `json:"target"`
	Znodes int    `json:"znodes"`
	Bytes  int64  `json:"bytes"` // snapshot file size
	// WriteMs: the tree to a durable snapshot file (zkgo: storage.SaveSnapshot of
	// datatree.SnapshotFunc, i.e. the copy of the tree, the temp file, fsync, rename and the
	// directory fsync; Java: FileSnap.serialize(..., fsync=true), its AtomicFileOutputStream).
	WriteMs []float64 `json:"write_ms"`
	// WriteNoSyncMs: Java only, FileSnap.serialize without fsync (what its background
	// snapshots from SyncRequestProcessor do).
	WriteNoSyncMs []float64 `json:"write_nosync_ms,omitempty"`
	// LoadMs: the newest snapshot into a fresh tree (zkgo: storage.Restore with the server's
	// loader steps; Java: FileSnap.deserialize into a new DataTree).
	LoadMs []float64 `json:"load_ms"`
	Err    string    `json:"error,omitempty"`
}

// Best is the smallest of the samples (0 when none).
func Best(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[0]
}

// RunSnapshots measures zkgo and then Java (the order alternates between sizes) on each tree
// size.
func RunSnapshots(ctx context.Context, cfg SnapshotConfig, spec TargetSpec, logf func(string, ...any)) []SnapshotFigure {
	if cfg.Repeats <= 0 {
		cfg.Repeats = 3
	}
	if cfg.ValueSize <= 0 {
		cfg.ValueSize = 100
	}
	if spec.JavaVersion == "" {
		spec.JavaVersion = oracle.V3_9_3
	}
	var out []SnapshotFigure
	for i, n := range cfg.Znodes {
		runs := []func() SnapshotFigure{
			func() SnapshotFigure { return zkgoSnapshots(n, cfg, spec) },
			func() SnapshotFigure { return javaSnapshots(ctx, n, cfg, spec) },
		}
		if i%2 == 1 {
			runs[0], runs[1] = runs[1], runs[0]
		}
		for _, run := range runs {
			if ctx.Err() != nil {
				return out
			}
			f := run()
			logf("snapshot of %d znodes, %s: write %v ms, load %v ms %s", n, f.Target, f.WriteMs, f.LoadMs, f.Err)
			out = append(out, f)
		}
	}
	return out
}

func msSince(t0 time.Time) float64 { return float64(time.Since(t0)) / float64(time.Millisecond) }

// BuildTree is the benchmark tree: n znodes of valueSize bytes under /p0000, /p0001, ...
// (1000 children each), created one zxid each, as bench/java/SnapBench.java builds it.
func BuildTree(n, valueSize int) *datatree.Tree {
	t := datatree.New()
	data := make([]byte, valueSize)
	zxid := int64(1)
	for i := 0; i < n; i++ {
		parent := fmt.Sprintf("/p%04d", i/1000)
		if i%1000 == 0 {
			zxid++
			t.ApplyTxn(&records.TxnHeader{Zxid: zxid, Type: 1, Time: 1}, &records.CreateTxn{Path: parent, Data: []byte{}, ACL: datatree.OpenACL, ParentCVersion: -1})
		}
		zxid++
		t.ApplyTxn(&records.TxnHeader{Zxid: zxid, Type: 1, Time: 1}, &records.CreateTxn{Path: fmt.Sprintf("%s/n%07d", parent, i), Data: data, ACL: datatree.OpenACL, ParentCVersion: -1})
	}
	return t
}

func zkgoSnapshots(n int, cfg SnapshotConfig, spec TargetSpec) SnapshotFigure {
	f := SnapshotFigure{Target: "zkgo", Znodes: n}
	dir, _, err := workDir(TargetSpec{Dir: spec.Dir}, "snap-zkgo")
	if err != nil {
		f.Err = err.Error()
		return f
	}
	defer os.RemoveAll(dir)
	t := BuildTree(n, cfg.ValueSize)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	for r := 0; r < cfg.Repeats; r++ {
		os.RemoveAll(filepath.Join(dir, "version-2"))
		st, err := storage.Open(storage.Options{DataDir: dir, Logger: quiet})
		if err != nil {
			f.Err = err.Error()
			return f
		}
		t0 := time.Now()
		err = st.SaveSnapshot(t.LastZxid, datatree.SnapshotFunc(t, nil))
		f.WriteMs = append(f.WriteMs, msSince(t0))
		f.Bytes = st.Stats().SnapshotSize
		st.Close()
		if err != nil {
			f.Err = err.Error()
			return f
		}
	}
	t = nil
	for r := 0; r < cfg.Repeats; r++ {
		st, err := storage.Open(storage.Options{DataDir: dir, Logger: quiet})
		if err != nil {
			f.Err = err.Error()
			return f
		}
		l := &treeLoader{}
		t0 := time.Now()
		_, err = st.Restore(l)
		f.LoadMs = append(f.LoadMs, msSince(t0))
		st.Close()
		if err == nil && (l.tree == nil || l.tree.NodeCount() < n) {
			err = fmt.Errorf("restored %d nodes, want more than %d", l.tree.NodeCount(), n)
		}
		if err != nil {
			f.Err = err.Error()
			return f
		}
	}
	return f
}

// treeLoader is the snapshot half of the server's loader (server/zkserver): sessions, then
// the tree.
type treeLoader struct{ tree *datatree.Tree }

func (l *treeLoader) LoadSnapshot(r *wire.SnapshotReader, zxid int64) error {
	t, _, err := datatree.LoadSnapshot(r, zxid)
	l.tree = t
	return err
}

func (l *treeLoader) ApplyTxn(*records.TxnHeader, jute.Record, *records.TxnDigest, []byte) error {
	return fmt.Errorf("bench: unexpected txn log in a snapshot-only directory")
}

func javaSnapshots(ctx context.Context, n int, cfg SnapshotConfig, spec TargetSpec) SnapshotFigure {
	f := SnapshotFigure{Target: "java-" + spec.JavaVersion, Znodes: n}
	if err := runSnapBench(ctx, &f, n, cfg, spec); err != nil {
		f.Err = err.Error()
	}
	return f
}

// runSnapBench compiles bench/java/SnapBench.java against the version's jars and runs it.
func runSnapBench(ctx context.Context, f *SnapshotFigure, n int, cfg SnapshotConfig, spec TargetSpec) error {
	d, err := oracle.Ensure(spec.JavaVersion)
	if err != nil {
		return err
	}
	javac, err := exec.LookPath("javac")
	if err != nil {
		return fmt.Errorf("javac not found (install a JDK, e.g. openjdk-17-jdk-headless): %w", err)
	}
	dir, _, err := workDir(TargetSpec{Dir: spec.Dir}, "snap-java")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	src, classes := filepath.Join(dir, "SnapBench.java"), filepath.Join(dir, "classes")
	if err := os.WriteFile(src, snapBenchJava, 0o644); err != nil {
		return err
	}
	if out, err := exec.CommandContext(ctx, javac, "-nowarn", "--release", "8", "-cp", d.Classpath, "-d", classes, src).CombinedOutput(); err != nil {
		return fmt.Errorf("javac SnapBench.java: %v\n%s", err, out)
	}
	heap := "-Xmx2g"
	cmd := exec.CommandContext(ctx, d.Java, heap, "-XX:+UseSerialGC", "-cp", classes+":"+d.Classpath, "SnapBench",
		strconv.Itoa(n), strconv.Itoa(cfg.ValueSize), filepath.Join(dir, "data", "version-2"), strconv.Itoa(cfg.Repeats))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("SnapBench: %v\n%s", err, tail(stderr.String(), 15))
	}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		kv := map[string]string{}
		fields := strings.Fields(sc.Text())
		for _, p := range fields[1:] {
			if k, v, ok := strings.Cut(p, "="); ok {
				kv[k] = v
			}
		}
		ms, _ := strconv.ParseFloat(kv["ms"], 64)
		switch {
		case fields[0] == "write" && kv["fsync"] == "true":
			f.WriteMs = append(f.WriteMs, ms)
			f.Bytes, _ = strconv.ParseInt(kv["bytes"], 10, 64)
		case fields[0] == "write":
			f.WriteNoSyncMs = append(f.WriteNoSyncMs, ms)
		case fields[0] == "load":
			f.LoadMs = append(f.LoadMs, ms)
		}
	}
	if len(f.WriteMs) == 0 || len(f.LoadMs) == 0 {
		return fmt.Errorf("SnapBench printed no figures: %q", tail(string(out), 5))
	}
	return nil
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// StorageRow is the write workload of one forceSync setting, zkgo beside Java.
type StorageRow struct {
	ForceSync        string
	Zkgo, Java       Summary
	ZkgoSync         SyncStats // summed over rounds: fsyncs, mean fsync, mean txns per fsync
	JavaSync         SyncStats
	Ratio            float64
	HasZkgo, HasJava bool
}

// StorageRows pairs the standalone write workload with fsync on (group standalone) and off
// (group standalone-nosync).
func (r *Report) StorageRows() []StorageRow {
	sums := r.Summaries()
	var out []StorageRow
	for _, g := range []struct{ group, label string }{{"standalone", "yes"}, {"standalone" + NoSyncSuffix, "no"}} {
		row := StorageRow{ForceSync: g.label}
		for _, s := range sums {
			if s.Group != g.group || s.Workload != "write" {
				continue
			}
			if isJava(s.Target) {
				row.Java, row.HasJava = s, true
			} else {
				row.Zkgo, row.HasZkgo = s, true
			}
		}
		if !row.HasZkgo && !row.HasJava {
			continue
		}
		row.ZkgoSync, row.JavaSync = r.syncOf(row.Zkgo.Target), r.syncOf(row.Java.Target)
		if row.HasZkgo && row.HasJava && row.Java.Throughput > 0 {
			row.Ratio = row.Zkgo.Throughput / row.Java.Throughput
		}
		out = append(out, row)
	}
	return out
}

func (r *Report) syncOf(target string) SyncStats {
	var s SyncStats
	var fsum, bsum float64
	for _, res := range r.Results {
		if res.Target != target || res.Workload.Name != "write" {
			continue
		}
		for _, st := range res.Sync {
			s.Fsyncs += st.Fsyncs
			s.Batches += st.Batches
			fsum += st.FsyncAvgMs * float64(st.Fsyncs)
			bsum += st.BatchAvg * float64(st.Batches)
		}
	}
	if s.Fsyncs > 0 {
		s.FsyncAvgMs = fsum / float64(s.Fsyncs)
	}
	if s.Batches > 0 {
		s.BatchAvg = bsum / float64(s.Batches)
	}
	return s
}

// snapshotPairs pairs each zkgo snapshot figure with Java's on the same tree size.
func (r *Report) snapshotPairs() [][2]*SnapshotFigure {
	var out [][2]*SnapshotFigure
	for i := range r.Snapshots {
		z := &r.Snapshots[i]
		if isJava(z.Target) {
			continue
		}
		p := [2]*SnapshotFigure{z, nil}
		for j := range r.Snapshots {
			if j := &r.Snapshots[j]; isJava(j.Target) && j.Znodes == z.Znodes {
				p[1] = j
			}
		}
		out = append(out, p)
	}
	return out
}

// fsyncText is a mean fsync time, "-" when the window had no fsync (forceSync=no).
func fsyncText(s SyncStats) string {
	if s.Fsyncs == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", s.FsyncAvgMs)
}

func ratioText(a, b float64) string {
	if a <= 0 || b <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fx", a/b)
}

func (r *Report) writeStorageText(w io.Writer) {
	rows, pairs := r.StorageRows(), r.snapshotPairs()
	if len(pairs) == 0 && (len(rows) < 2) {
		return
	}
	fmt.Fprintln(w, "\n== storage")
	for _, row := range rows {
		fmt.Fprintf(w, "  write, forceSync=%-3s zkgo %6.0f ops/s  java %6.0f ops/s  ratio %s  (fsync avg zkgo %s ms / java %s ms; txns per group commit %.1f / %.1f)\n",
			row.ForceSync, row.Zkgo.Throughput, row.Java.Throughput, ratioText(row.Zkgo.Throughput, row.Java.Throughput),
			fsyncText(row.ZkgoSync), fsyncText(row.JavaSync), row.ZkgoSync.BatchAvg, row.JavaSync.BatchAvg)
	}
	for _, p := range pairs {
		z, j := p[0], p[1]
		if j == nil {
			j = &SnapshotFigure{}
		}
		fmt.Fprintf(w, "  snapshot %8d znodes: write zkgo %.0f ms, java %.0f ms (%.0f ms without fsync), zkgo/java %s; load zkgo %.0f ms, java %.0f ms, zkgo/java %s\n",
			z.Znodes, Best(z.WriteMs), Best(j.WriteMs), Best(j.WriteNoSyncMs), ratioText(Best(z.WriteMs), Best(j.WriteMs)),
			Best(z.LoadMs), Best(j.LoadMs), ratioText(Best(z.LoadMs), Best(j.LoadMs)))
	}
}

func (r *Report) writeStorageMarkdown(w io.Writer) {
	rows, pairs := r.StorageRows(), r.snapshotPairs()
	if len(pairs) == 0 && len(rows) < 2 {
		return
	}
	fmt.Fprintf(w, "## Storage\n\n")
	if len(rows) > 0 {
		fmt.Fprintf(w, "Write throughput (the write workload above, standalone) with the txn log fsynced and not (`forceSync=no` in both servers' zoo.cfg; Java reads it as `zookeeper.forceSync`). Mean fsync time and txns per group commit from mntr (`fsynctime`, `sync_processor_batch_size`) over the measured windows; zkgo/Java above 1 is better for zkgo:\n\n")
		fmt.Fprintf(w, "| forceSync | zkgo ops/s | Java ops/s | zkgo/Java | zkgo p99 ms | Java p99 ms | zkgo fsync ms | Java fsync ms | zkgo txns/commit | Java txns/commit |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, row := range rows {
			fmt.Fprintf(w, "| %s | %.0f | %.0f | **%s** | %.2f | %.2f | %s | %s | %.1f | %.1f |\n", row.ForceSync,
				row.Zkgo.Throughput, row.Java.Throughput, ratioText(row.Zkgo.Throughput, row.Java.Throughput),
				row.Zkgo.Latency.P99, row.Java.Latency.P99, fsyncText(row.ZkgoSync), fsyncText(row.JavaSync), row.ZkgoSync.BatchAvg, row.JavaSync.BatchAvg)
		}
		fmt.Fprintln(w)
	}
	if len(pairs) > 0 {
		reps := len(pairs[0][0].WriteMs)
		fmt.Fprintf(w, "Snapshots of the same tree (znodes of 100 B, 1000 children per parent, no sessions) by each server's own code, in one process each, best of %d (ms). "+
			"Write: zkgo's `storage.SaveSnapshot` of `datatree.SnapshotFunc` (copy of the tree, temp file, fsync, rename, directory fsync) against Java's `FileSnap.serialize(..., fsync=true)` "+
			"(bench/java/SnapBench.java, compiled against the Debian jars at run time); Java's background snapshots skip the fsync, shown apart. "+
			"Load: zkgo's `storage.Restore` into a `datatree.Tree` against `FileSnap.deserialize` into a new `DataTree` (the file read, CRC and digest checks, the tree built). zkgo/Java is a ratio of times: below 1 is better for zkgo:\n\n", reps)
		fmt.Fprintf(w, "| znodes | file MB | zkgo write | Java write | zkgo/Java | Java write, no fsync | zkgo load | Java load | zkgo/Java |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, p := range pairs {
			z, j := p[0], p[1]
			if j == nil {
				j = &SnapshotFigure{}
			}
			fmt.Fprintf(w, "| %d | %.1f | %.0f | %.0f | **%s** | %.0f | %.0f | %.0f | **%s** |\n", z.Znodes, mb(z.Bytes),
				Best(z.WriteMs), Best(j.WriteMs), ratioText(Best(z.WriteMs), Best(j.WriteMs)), Best(j.WriteNoSyncMs),
				Best(z.LoadMs), Best(j.LoadMs), ratioText(Best(z.LoadMs), Best(j.LoadMs)))
		}
		fmt.Fprintln(w)
	}
}
