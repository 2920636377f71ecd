package zkserver_test

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/zkgo/zkgo/bench"
	"github.com/zkgo/zkgo/oracle"
	"github.com/zkgo/zkgo/server/datatree"
	"github.com/zkgo/zkgo/wire"
)

// writeDataset writes a dataDir holding one snapshot of n znodes of 100 bytes (1000 children
// per parent), as both servers read it.
func writeDataset(b *testing.B, n int) (string, time.Duration) {
	dir := b.TempDir()
	v2 := filepath.Join(dir, "version-2")
	os.MkdirAll(v2, 0o755)
	t := bench.BuildTree(n, 100)
	start := time.Now()
	f, err := os.Create(filepath.Join(v2, fmt.Sprintf("snapshot.%x", t.LastZxid)))
	if err != nil {
		b.Fatal(err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	w, err := wire.NewSnapshotWriter(bw, wire.CompressNone)
	if err != nil {
		b.Fatal(err)
	}
	if err := datatree.SnapshotFunc(t, nil)(w); err != nil {
		b.Fatal(err)
	}
	bw.Flush()
	f.Sync()
	f.Close()
	return dir, time.Since(start)
}

// BenchmarkRestore compares the time from start to serving on the same snapshot: zkgo
// (restore in-process, through the real start-up path) and Java 3.9.3 (process start through
// its srvr readiness). go test -run '^$' -bench Restore ./server/zkserver
func BenchmarkRestore(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		dir, wrote := writeDataset(b, n)
		b.Run(fmt.Sprintf("zkgo/%d", n), func(b *testing.B) {
			b.ReportMetric(float64(wrote.Milliseconds()), "snapshot-write-ms")
			for i := 0; i < b.N; i++ {
				s := startZkgo(b, dir)
				s.Close()
			}
		})
		b.Run(fmt.Sprintf("java-3.9.3/%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				j, err := oracle.StartStandalone(b, "3.9.3", oracle.Options{DataDir: dir, JVMFlags: []string{"-Xmx2g"}, StartTimeout: 5 * time.Minute})
				if err != nil {
					b.Fatal(err)
				}
				j.Stop()
			}
		})
	}
}
