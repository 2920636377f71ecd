package datatree_test

import (
	"bytes"
	"testing"

	"github.com/zkgo/zkgo/bench"
	"github.com/zkgo/zkgo/server/datatree"
	"github.com/zkgo/zkgo/wire"
)

// BenchmarkReadSnapshot decodes an in-memory snapshot of 200k znodes of 100 B into a tree (the
// CPU part of a restore): go test -run NONE -bench ReadSnapshot -benchmem ./server/datatree
func BenchmarkReadSnapshot(b *testing.B) {
	t := bench.BuildTree(200_000, 100)
	var buf bytes.Buffer
	w, err := wire.NewSnapshotWriter(&buf, wire.CompressNone)
	if err != nil {
		b.Fatal(err)
	}
	if err := datatree.SnapshotFunc(t, nil)(w); err != nil {
		b.Fatal(err)
	}
	snap := buf.Bytes()
	b.ReportAllocs()
	b.SetBytes(int64(len(snap)))
	for b.Loop() {
		r, err := wire.NewSnapshotReader(bytes.NewReader(snap), "snapshot.1")
		if err != nil {
			b.Fatal(err)
		}
		got, _, err := datatree.LoadSnapshot(r, t.LastZxid)
		if err != nil {
			b.Fatal(err)
		}
		if got.NodeCount() != t.NodeCount() || got.Digest() != t.Digest() {
			b.Fatalf("loaded %d nodes, digest %x; want %d, %x", got.NodeCount(), got.Digest(), t.NodeCount(), t.Digest())
		}
	}
}

// BenchmarkSnapshotFunc is the copy of a 200k-znode tree the node loop makes before each
// snapshot: go test -run NONE -bench SnapshotFunc -benchmem ./server/datatree
func BenchmarkSnapshotFunc(b *testing.B) {
	t := bench.BuildTree(200_000, 100)
	b.ReportAllocs()
	for b.Loop() {
		datatree.SnapshotFunc(t, nil)
	}
}
