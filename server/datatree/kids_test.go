package datatree

import (
	"math/rand"
	"slices"
	"strconv"
	"testing"
)

// TestKids checks the chunked child list against a map under random puts and removes, with
// names in order (appends), at random, and of mixed lengths sharing prefixes (8-byte keys that
// tie).
func TestKids(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	prefixes := []string{"", "a", "lock-", "item-000", "item-0000", "queue-item-", "n"}
	for _, mode := range []string{"in order", "random", "long"} {
		inOrder := mode == "in order"
		var k kids
		ref := map[string]*Node{}
		for step := 0; step < 20000; step++ {
			var name string
			if inOrder {
				name = "n" + strconv.Itoa(100000+step)
			} else if mode == "random" {
				name = "n" + strconv.Itoa(rng.Intn(3000))
			} else {
				name = prefixes[rng.Intn(len(prefixes))] + strconv.Itoa(rng.Intn(1000))
			}
			if !inOrder && rng.Intn(3) == 0 {
				_, had := ref[name]
				if got := k.remove(name); got != had {
					t.Fatalf("remove(%s) = %v, want %v", name, got, had)
				}
				delete(ref, name)
			} else {
				n := &Node{}
				k.put(name, n)
				ref[name] = n
			}
			if k.len() != len(ref) {
				t.Fatalf("step %d: len %d, want %d", step, k.len(), len(ref))
			}
		}
		var names []string
		k.each(func(name string, n *Node) {
			if ref[name] != n {
				t.Fatalf("%s: wrong node", name)
			}
			names = append(names, name)
		})
		if len(names) != len(ref) || !slices.IsSorted(names) {
			t.Fatalf("each gave %d names (sorted %v), want %d sorted", len(names), slices.IsSorted(names), len(ref))
		}
		for name, n := range ref {
			if k.get(name) != n {
				t.Fatalf("get(%s) wrong", name)
			}
		}
		if k.get("zz") != nil || k.get("") != nil {
			t.Fatal("get of a missing name")
		}
		for _, c := range k.chunks {
			if len(c) == 0 || len(c) > maxChunk {
				t.Fatalf("chunk of %d", len(c))
			}
		}
	}
}
