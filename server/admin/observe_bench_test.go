package admin

import (
	"testing"
	"time"
)

// BenchmarkObserveRequest is the metrics cost every answered request pays (node loop):
// go test -run NONE -bench ObserveRequest -benchmem ./server/admin
func BenchmarkObserveRequest(b *testing.B) {
	m := NewMetrics()
	reqs := []Request{
		{Op: "getData", Path: "/zkbench/b12/k777", Bytes: 100, Counted: true, Latency: 300 * time.Microsecond},
		{Op: "setData", Write: true, Path: "/zkbench/b3/k200", Bytes: 100, Counted: true, Latency: 2 * time.Millisecond},
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		m.ObserveRequest(reqs[i&1])
	}
}

func TestTopNamespace(t *testing.T) {
	// PathUtils.getTopNamespace: the component after the first slash.
	for p, want := range map[string]string{"/": "", "": "", "/a": "a", "/a/b/c": "a", "/zookeeper/quota": "zookeeper", "a/b": "b"} {
		if got := topNamespace(p); got != want {
			t.Errorf("topNamespace(%q) = %q, want %q", p, got, want)
		}
	}
}
