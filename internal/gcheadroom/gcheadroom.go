// Package gcheadroom bounds the Go GC's heap headroom for a process whose live heap is large
// (a server holding a big data tree).
//
// With GOGC=100 the heap may grow to twice the live heap before a collection, so a server
// holding 300 MB of znodes runs at about 600 MB RSS. Start adjusts the GC percent after every
// collection so the headroom is max(min, live/divisor) instead: 100 while the live heap is
// under min (64 MB by default: small servers see no change), then 100*min/live, down to
// 100/divisor (25 by default, from 256 MB live). Headroom proportional to the live heap keeps the GC's CPU per allocated byte bounded
// (a collection's marking work grows with the live heap, and collections come once per
// headroom of allocation): measured with 1M znodes (BenchmarkSetDataLargeTree in
// server/datatree), a setData costs 2.0 µs CPU at GOGC=100, 3.6 µs at 21, 6.0 µs at 12.
package gcheadroom

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
)

// Defaults: headroom max(64 MB, live/4).
const (
	DefaultMin     = 64 << 20
	DefaultDivisor = 4
)

// Pacer adjusts the GC percent after each collection.
type Pacer struct {
	min, divisor uint64
	stopped      atomic.Bool
	percent      atomic.Int64 // the percent last set
	sample       []metrics.Sample
}

// Start begins pacing with headroom max(floor, live/divisor); Stop ends it (the GC percent
// stays where it was).
func Start(floor uint64, divisor int) *Pacer {
	p := &Pacer{min: floor, divisor: uint64(max(divisor, 1)), sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
	p.percent.Store(100)
	p.adjust()
	p.arm()
	return p
}

// Stop ends the pacing.
func (p *Pacer) Stop() { p.stopped.Store(true) }

// Percent is the GC percent the pacer set last.
func (p *Pacer) Percent() int { return int(p.percent.Load()) }

// sentinel is garbage whose finalizer runs after the collection that freed it (large enough
// not to come from the tiny allocator, whose objects may never be finalized).
type sentinel struct{ _ [64]byte }

func (p *Pacer) arm() {
	runtime.SetFinalizer(&sentinel{}, func(*sentinel) {
		if p.stopped.Load() {
			return
		}
		p.adjust()
		p.arm()
	})
}

// adjust sets the percent for the live heap the last collection marked. It only calls
// debug.SetGCPercent (a short stop of the world) when the percent moves by an eighth or more.
func (p *Pacer) adjust() {
	metrics.Read(p.sample)
	if p.sample[0].Value.Kind() != metrics.KindUint64 {
		return
	}
	want := Percent(p.sample[0].Value.Uint64(), p.min, p.divisor)
	if cur := int(p.percent.Load()); want != cur && (want == 100 || 8*abs(want-cur) >= cur) {
		debug.SetGCPercent(want)
		p.percent.Store(int64(want))
	}
}

// Percent is the GC percent that gives a live heap headroom max(floor, live/divisor), at most
// 100.
func Percent(live, floor, divisor uint64) int {
	if live == 0 {
		return 100
	}
	h := max(floor, live/max(divisor, 1))
	return int(min(100, max(1, h*100/live)))
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
