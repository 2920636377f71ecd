package gcheadroom

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestPercent(t *testing.T) {
	for _, c := range []struct {
		live uint64
		want int
	}{
		{0, 100}, {10 << 20, 100}, {64 << 20, 100}, {128 << 20, 50}, {256 << 20, 25}, {300 << 20, 25}, {4 << 30, 25},
	} {
		if got := Percent(c.live, DefaultMin, DefaultDivisor); got != c.want {
			t.Errorf("Percent(%d MB) = %d, want %d", c.live>>20, got, c.want)
		}
	}
}

var keep [][]byte

func TestPacerFollowsLiveHeap(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	p := Start(8<<20, 4)
	defer p.Stop()
	for i := 0; i < 64; i++ {
		keep = append(keep, make([]byte, 1<<20)) // 64 MB live: headroom 16 MB, 25%
	}
	deadline := time.Now().Add(5 * time.Second)
	for p.Percent() != 25 && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if p.Percent() != 25 {
		t.Fatalf("percent %d with 64 MB live and headroom max(8 MB, live/4), want 25", p.Percent())
	}
	keep = nil
	for p.Percent() != 100 && time.Now().Before(deadline.Add(5*time.Second)) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if p.Percent() != 100 {
		t.Fatalf("percent %d after the live heap went, want 100", p.Percent())
	}
}
