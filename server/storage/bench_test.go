package storage

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/zkgo/zkgo/jute"
	"github.com/zkgo/zkgo/jute/records"
	"github.com/zkgo/zkgo/wire"
)

// benchEntry is a setData txn with a digest: 100 bytes of payload in all (32 header, 56
// record, 12 digest).
func benchEntry(zxid int64) []byte {
	hdr := records.TxnHeader{ClientID: 0x100000001, Cxid: int32(zxid), Zxid: zxid, Time: 1700000000000, Type: int32(wire.OpSetData)}
	return wire.MarshalTxn(&hdr, &records.SetDataTxn{Path: "/bench/node00000001", Data: make([]byte, 25), Version: 1}, &records.TxnDigest{Version: 2, TreeDigest: zxid})
}

// BenchmarkAppend measures pipelined appends (the node loop never waits): group commit packs
// them into batches, one fsync each. MB/s counts entry payloads.
func BenchmarkAppend(b *testing.B) {
	for _, sync := range []bool{true, false} {
		b.Run(fmt.Sprintf("fsync=%v", sync), func(b *testing.B) {
			s := open(b, Options{DataDir: b.TempDir(), NoForceSync: !sync, PreAllocSize: 64 << 20})
			if _, err := s.Restore(newMemDB()); err != nil {
				b.Fatal(err)
			}
			e := benchEntry(1)
			b.SetBytes(int64(len(e)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				s.Append(int64(i+1), e)
			}
			if err := s.Sync(); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			st := s.Stats()
			b.ReportMetric(st.AvgBatch(), "entries/batch")
			if st.Fsyncs > 0 {
				b.ReportMetric(float64(st.AvgFsync().Microseconds()), "µs/fsync")
			}
		})
	}
}

// BenchmarkAppendDurable waits for each entry to be durable before the next: the latency of
// one write + fsync, what a single synchronous client sees.
func BenchmarkAppendDurable(b *testing.B) {
	s := open(b, Options{DataDir: b.TempDir(), PreAllocSize: 64 << 20})
	if _, err := s.Restore(newMemDB()); err != nil {
		b.Fatal(err)
	}
	e := benchEntry(1)
	b.SetBytes(int64(len(e)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		s.Append(int64(i+1), e)
		for z := range s.Durable() {
			if z == int64(i+1) {
				break
			}
		}
	}
}

// benchTree is a tree of n znodes, 100 directories of n/100 nodes with 64 bytes of data.
func benchTree(n int) []wire.SnapNode {
	nodes := []wire.SnapNode{{Path: "", ACL: -1, Data: []byte{}}, {Path: "/zookeeper", ACL: -1, Data: []byte{}}, {Path: "/zookeeper/quota", ACL: -1, Data: []byte{}}}
	data := make([]byte, 64)
	per := max(n/100, 1)
	for d := 0; len(nodes) < n; d++ {
		dir := fmt.Sprintf("/app/dir%03d", d)
		if d == 0 {
			nodes = append(nodes, wire.SnapNode{Path: "/app", ACL: 1, Data: data})
		}
		nodes = append(nodes, wire.SnapNode{Path: dir, ACL: 1, Data: data})
		for i := 0; i < per && len(nodes) < n; i++ {
			z := int64(len(nodes))
			nodes = append(nodes, wire.SnapNode{Path: fmt.Sprintf("%s/node%07d", dir, i), ACL: 1, Data: data,
				Stat: records.StatPersisted{Czxid: z, Mzxid: z, Pzxid: z, Ctime: 1700000000000, Mtime: 1700000000000}})
		}
	}
	return nodes
}

func writeTree(nodes []wire.SnapNode) func(*wire.SnapshotWriter) error {
	acls := []wire.ACLEntry{{Index: 1, ACL: openACL}}
	z := int64(len(nodes))
	t := wire.SnapshotTrailer{Digest: &wire.ZxidDigest{Zxid: z, Version: 2, Digest: 1}, LastZxid: &z}
	return func(w *wire.SnapshotWriter) error {
		return wire.WriteSnapshot(w, []wire.SnapSession{{ID: 1, Timeout: 30000}}, acls, nodes, t)
	}
}

// benchSizes is 100k znodes, and 1M unless -short.
func benchSizes() []int {
	if testing.Short() {
		return []int{100_000}
	}
	return []int{100_000, 1_000_000}
}

// BenchmarkSnapshotWrite writes a snapshot file (temp file, fsync, rename) of n znodes.
func BenchmarkSnapshotWrite(b *testing.B) {
	for _, n := range benchSizes() {
		b.Run(fmt.Sprintf("znodes=%d", n), func(b *testing.B) {
			nodes := benchTree(n)
			s := open(b, Options{DataDir: b.TempDir()})
			b.ReportAllocs()
			b.ResetTimer()
			var size int64
			for i := range b.N {
				if err := s.SaveSnapshot(int64(i+1), writeTree(nodes)); err != nil {
					b.Fatal(err)
				}
				size = s.Stats().SnapshotSize
			}
			b.SetBytes(size)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/znode")
		})
	}
}

// treeLoader keeps every node, as a data tree would.
type treeLoader struct{ nodes map[string]*wire.SnapNode }

func (l *treeLoader) LoadSnapshot(r *wire.SnapshotReader, _ int64) error {
	l.nodes = make(map[string]*wire.SnapNode)
	if _, err := r.Sessions(); err != nil {
		return err
	}
	if _, err := r.ACLs(); err != nil {
		return err
	}
	for {
		n, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		l.nodes[n.Path] = &n
	}
}

func (l *treeLoader) ApplyTxn(*records.TxnHeader, jute.Record, *records.TxnDigest, []byte) error {
	return nil
}

// BenchmarkSnapshotLoad restores a data directory holding one snapshot of n znodes into a
// map of nodes (Restore: validity check, read, seal checks).
func BenchmarkSnapshotLoad(b *testing.B) {
	for _, n := range benchSizes() {
		b.Run(fmt.Sprintf("znodes=%d", n), func(b *testing.B) {
			dir := b.TempDir()
			s := open(b, Options{DataDir: dir})
			if err := s.SaveSnapshot(int64(n), writeTree(benchTree(n))); err != nil {
				b.Fatal(err)
			}
			s.Close()
			fi, err := os.Stat(filepath.Join(dir, "version-2", snapName(int64(n))))
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(fi.Size())
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				s := open(b, Options{DataDir: dir})
				l := &treeLoader{}
				if _, err := s.Restore(l); err != nil {
					b.Fatal(err)
				}
				if len(l.nodes) != n {
					b.Fatalf("%d nodes", len(l.nodes))
				}
				s.Close()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/znode")
		})
	}
}
