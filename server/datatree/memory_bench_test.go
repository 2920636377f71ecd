package datatree_test

import (
	"io"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/zkgo/zkgo/jute"
	"github.com/zkgo/zkgo/jute/records"
	"github.com/zkgo/zkgo/server/datatree"
	"github.com/zkgo/zkgo/wire"
)

// buildMemTree creates n znodes of valueSize bytes the way bench's -memory-znodes figure
// does (/zkbench-mem/b<i/perParent>/n<i>), each with its own data buffer and path string as
// a server's decoded txns give them. perParent 0 puts them all under /zkbench-mem. perMulti > 0
// creates the leaves perMulti to a MultiTxn decoded from one buffer (as the server's log and
// the bench's loader give them).
func buildMemTree(n, valueSize, perParent, perMulti int) *datatree.Tree {
	t := datatree.New()
	zxid := int64(1)
	var batch []records.Txn
	apply := func(typ int32, txn jute.Record) {
		zxid++
		t.ApplyTxn(&records.TxnHeader{Zxid: zxid, Type: typ, Time: zxid}, txn)
	}
	flush := func() {
		if len(batch) > 0 {
			var m records.MultiTxn
			if err := jute.Unmarshal(jute.Marshal(&records.MultiTxn{Txns: batch}), &m); err != nil {
				panic(err)
			}
			apply(int32(wire.OpMulti), &m)
			batch = batch[:0]
		}
	}
	create := func(path string, data []byte, leaf bool) {
		c := &records.CreateTxn{Path: path, Data: data, ACL: datatree.OpenACL, ParentCVersion: -1}
		if !leaf || perMulti == 0 {
			apply(int32(wire.OpCreate), c)
			return
		}
		batch = append(batch, records.Txn{Type: int32(wire.OpCreate), Data: jute.Marshal(c)})
		if len(batch) == perMulti {
			flush()
		}
	}
	root := "/zkbench-mem"
	create(root, []byte{}, false)
	for i := 0; i < n; i++ {
		parent := root
		if perParent > 0 {
			parent = root + "/b" + strconv.Itoa(i/perParent)
			if i%perParent == 0 {
				flush()
				create(parent, []byte{}, false)
			}
		}
		data := make([]byte, valueSize)
		for j := range data {
			data[j] = byte('a' + j%26)
		}
		create(parent+"/n"+strconv.Itoa(i), data, true)
	}
	flush()
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
// bench's RSS figure builds it, 1000 per parent, 100 per multi; and all under one parent,
// and 1000 per parent with single creates), and the time of
// SnapshotFunc's copy (the node loop's stall) and of writing the copy:
//
//	go test -run NONE -bench TreeMemory -benchtime 1x ./server/datatree
func BenchmarkTreeMemory(b *testing.B) {
	const n, size = 1_000_000, 100
	for _, c := range []struct{ per, multi int }{{1000, 0}, {0, 0}, {1000, 100}} {
		b.Run("per="+strconv.Itoa(c.per)+",multi="+strconv.Itoa(c.multi), func(b *testing.B) {
			for b.Loop() {
				before := liveHeap()
				t := buildMemTree(n, size, c.per, c.multi)
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

var sink []byte

// BenchmarkSetDataLargeTree is the write path's GC cost with 1M znodes live: a setData of
// 100 B plus 1.3 KB of other garbage per op (what a set costs the server, BenchmarkRequests in
// server/conn). Compare GOGC settings:
//
//	GOGC=100 go test -run NONE -bench SetDataLargeTree ./server/datatree
func BenchmarkSetDataLargeTree(b *testing.B) {
	const n = 1_000_000
	t := buildMemTree(n, 100, 1000, 0)
	paths := make([]string, 4096)
	for i := range paths {
		k := (i * 7919) % n
		paths[i] = "/zkbench-mem/b" + strconv.Itoa(k/1000) + "/n" + strconv.Itoa(k)
	}
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	cpu0 := cpuTime()
	zxid := t.LastZxid
	i := 0
	for b.Loop() {
		zxid++
		data := make([]byte, 100)
		sink = make([]byte, 1300)
		t.ApplyTxn(&records.TxnHeader{Zxid: zxid, Type: int32(wire.OpSetData), Time: zxid}, &records.SetDataTxn{Path: paths[i%len(paths)], Data: data, Version: 1})
		i++
	}
	cpu := cpuTime() - cpu0
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(after.NumGC-before.NumGC), "GCs")
	b.ReportMetric(float64(after.PauseTotalNs-before.PauseTotalNs)/float64(b.N), "pause-ns/op")
}

// cpuTime is the process' user+system CPU time in ns (the GC's background workers included).
func cpuTime() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}
