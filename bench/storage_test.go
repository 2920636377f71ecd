package bench

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
)

// TestSnapshots runs both sides of the snapshot benchmark on a small tree: zkgo's write and
// load through server/storage, and SnapBench.java compiled against Java 3.9.3's jars; both
// files hold the same nodes, so their sizes agree, and the report shows them side by side.
func TestSnapshots(t *testing.T) {
	cfg := SnapshotConfig{Znodes: []int{2000}, ValueSize: 100, Repeats: 2}
	figs := RunSnapshots(context.Background(), cfg, TargetSpec{Dir: t.TempDir()}, t.Logf)
	if len(figs) != 2 {
		t.Fatalf("%d figures, want 2: %+v", len(figs), figs)
	}
	var z, j *SnapshotFigure
	for i := range figs {
		f := &figs[i]
		if f.Err != "" {
			t.Fatalf("%s: %s", f.Target, f.Err)
		}
		if len(f.WriteMs) != 2 || len(f.LoadMs) != 2 || Best(f.WriteMs) <= 0 || Best(f.LoadMs) <= 0 {
			t.Errorf("%s: figures %+v", f.Target, f)
		}
		if isJava(f.Target) {
			j = f
		} else {
			z = f
		}
	}
	if z == nil || j == nil {
		t.Fatalf("figures %+v", figs)
	}
	if len(j.WriteNoSyncMs) != 2 {
		t.Errorf("java without fsync: %v", j.WriteNoSyncMs)
	}
	// Same nodes, same format: the sizes agree but for the few bytes each server's own
	// system nodes and ACL cache differ by.
	if d := z.Bytes - j.Bytes; z.Bytes <= 2000*100 || d < -100 || d > 100 {
		t.Errorf("snapshot sizes: zkgo %d, java %d bytes", z.Bytes, j.Bytes)
	}
	rep := &Report{Snapshots: figs}
	var buf bytes.Buffer
	rep.writeStorageMarkdown(&buf)
	want := fmt.Sprintf("| 2000 | %.1f |", mb(z.Bytes))
	if !strings.Contains(buf.String(), "## Storage") || !strings.Contains(buf.String(), want) {
		t.Errorf("markdown lacks the snapshot row %q:\n%s", want, buf.String())
	}
}

// BenchmarkSnapshot is zkgo's side of the snapshot figures (zkgo bench -snapshot-znodes runs
// both servers): go test -run NONE -bench Snapshot ./bench
func BenchmarkSnapshot(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			var f SnapshotFigure
			for i := 0; i < b.N; i++ {
				f = zkgoSnapshots(n, SnapshotConfig{ValueSize: 100, Repeats: 1}, TargetSpec{Dir: b.TempDir()})
				if f.Err != "" {
					b.Fatal(f.Err)
				}
			}
			b.ReportMetric(f.WriteMs[0], "write-ms")
			b.ReportMetric(f.LoadMs[0], "load-ms")
			b.ReportMetric(0, "ns/op")
		})
	}
}
