package datatree_test

import (
	"io"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/zkgo/zkgo/jute/records"
	"github.com/zkgo/zkgo/server/datatree"
	"github.com/zkgo/zkgo/wire"
)

// buildMemTree creates n znodes of valueSize bytes the way bench's -memory-znodes figure
// does (/zkbench-mem/b<i/perParent>/n<i>), each with its own data buffer and path string as
// a server's decoded txns give them. perParent 0 puts them all under /zkbench-mem.
func buildMemTree(n, valueSize, perParent int) *datatree.Tree {
	t := datatree.New()
	zxid := int64(1)
	create := func(path string, data []byte) {
		zxid++
		t.ApplyTxn(&records.TxnHeader{Zxid: zxid, Type: 1, Time: zxid}, &records.CreateTxn{Path: path, Data: data, ACL: datatree.OpenACL, ParentCVersion: -1})
	}
	root := "/zkbench-mem"
	create(root, []byte{})
	for i := 0; i < n; i++ {
		parent := root
		if perParent > 0 {
			parent = root + "/b" + strconv.Itoa(i/perParent)
			if i%perParent == 0 {
				create(parent, []byte{})
			}
		}
		data := make([]byte, valueSize)
		for j := range data {
			data[j] = byte('a' + j%26)
		}
		create(parent+"/n"+strconv.Itoa(i), data)
	}
	return t
}

func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// BenchmarkTreeMemory reports the live heap per znode of a tree of 1M znodes of 100 B (as
// bench's RSS figure builds it, 1000 per parent, and all under one parent), and the time of
// SnapshotFunc's copy (the node loop's stall) and of writing the copy:
//
//	go test -run NONE -bench TreeMemory -benchtime 1x ./server/datatree
func BenchmarkTreeMemory(b *testing.B) {
	const n, size = 1_000_000, 100
	for _, per := range []int{1000, 0} {
		b.Run("per="+strconv.Itoa(per), func(b *testing.B) {
			for b.Loop() {
				before := liveHeap()
				t := buildMemTree(n, size, per)
				after := liveHeap()
				b.ReportMetric(float64(after-before)/n, "B/znode")
				t0 := time.Now()
				write := datatree.SnapshotFunc(t, nil)
				b.ReportMetric(float64(time.Since(t0).Milliseconds()), "copy-ms")
				t1 := time.Now()
				w, err := wire.NewSnapshotWriter(io.Discard, wire.CompressNone)
				if err != nil {
					b.Fatal(err)
				}
				if err := write(w); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(time.Since(t1).Milliseconds()), "write-ms")
				runtime.KeepAlive(t)
			}
		})
	}
}
