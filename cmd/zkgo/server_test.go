package main

import "testing"

func TestServerProcs(t *testing.T) {
	for _, c := range []struct {
		def  int
		env  string
		want int
		ok   bool
	}{
		{1, "", 1, true},
		{2, "", 1, true},
		{3, "", 1, true},
		{8, "", 4, true},
		{2, "2", 0, false}, // GOMAXPROCS set: left to the runtime
	} {
		if n, ok := serverProcs(c.def, c.env); n != c.want || ok != c.ok {
			t.Errorf("serverProcs(%d, %q) = %d, %v; want %d, %v", c.def, c.env, n, ok, c.want, c.ok)
		}
	}
}
