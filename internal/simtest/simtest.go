// Package simtest is what the tests of zkgo's seeded simulators (server/election's and
// server/sim's) share: the -sim.seed and -sim.seeds flags and the seeds they select.
package simtest

import (
	"flag"
	"testing"
)

var (
	seed  = flag.Uint64("sim.seed", 0, "run only this simulation seed (with -v: print its trace)")
	seeds = flag.Int("sim.seeds", 0, "simulation seeds per ensemble size (0: the test's default)")
)

// Seeds returns the seeds to run: -sim.seed alone, or 1..-sim.seeds (def when not given).
func Seeds(def int) []uint64 {
	if *seed != 0 {
		return []uint64{*seed}
	}
	n := def
	if *seeds > 0 {
		n = *seeds
	}
	out := make([]uint64, n)
	for i := range out {
		out[i] = uint64(i + 1)
	}
	return out
}

// Trace reports whether a run should print its trace: one seed replayed with -v.
func Trace() bool { return *seed != 0 && testing.Verbose() }
