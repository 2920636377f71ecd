package datatree_test

import (
	"fmt"
	"testing"

	"github.com/zkgo/zkgo/bench"
)

// BenchmarkGet is a read's lookup: Get of a znode in a 200k tree (/pNNNN/nNNNNNNN, 1000 per
// parent): go test -run NONE -bench 'Get$' ./server/datatree
func BenchmarkGet(b *testing.B) {
	const n = 200_000
	t := bench.BuildTree(n, 100)
	paths := make([]string, 4096)
	for i := range paths {
		k := (i * 7919) % n
		paths[i] = fmt.Sprintf("/p%04d/n%07d", k/1000, k)
	}
	i := 0
	for b.Loop() {
		if t.Get(paths[i%len(paths)]) == nil {
			b.Fatal("missing")
		}
		i++
	}
}
