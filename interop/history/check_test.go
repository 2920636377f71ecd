package history

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anishathalye/porcupine"
)

// h builds histories by hand: times in milliseconds.
type h struct{ ops []Op }

func (b *h) add(o Op, call, ret int64) *Op {
	o.ID = len(b.ops)
	o.Call, o.Return = call*1e6, ret*1e6
	if o.Status == "" {
		o.Status = OK
	}
	b.ops = append(b.ops, o)
	return &b.ops[len(b.ops)-1]
}

func finals(regs map[string]Register, set []int, nodes ...string) []Final {
	var out []Final
	for _, n := range nodes {
		out = append(out, Final{Node: n, Registers: regs, Sets: map[string][]int{"/s": set}})
	}
	return out
}

func anomalies(r *Result, check string) []Anomaly {
	var out []Anomaly
	for _, a := range r.Anomalies {
		if a.Check == check {
			out = append(out, a)
		}
	}
	return out
}

func TestCheckLinearizableHistory(t *testing.T) {
	var b h
	b.add(Op{Process: 0, Session: 1, Kind: Write, Key: "/r/k0", Value: "a", Version: 1, Zxid: 10}, 0, 10)
	b.add(Op{Process: 1, Session: 2, Kind: SyncRead, Key: "/r/k0", Out: "", Version: 0, Zxid: 0}, 1, 5) // concurrent: old value is fine
	b.add(Op{Process: 1, Session: 2, Kind: SyncRead, Key: "/r/k0", Out: "a", Version: 1, Zxid: 10}, 11, 12)
	b.add(Op{Process: 0, Session: 1, Kind: CAS, Key: "/r/k0", Value: "b", ExpVersion: 1, Version: 2, Zxid: 11}, 13, 14)
	b.add(Op{Process: 1, Session: 2, Kind: CAS, Key: "/r/k0", Value: "c", ExpVersion: 1, Status: Fail, BadVer: true}, 15, 16)
	b.add(Op{Process: 2, Session: 3, Kind: Write, Key: "/r/k0", Value: "u", Status: Unknown}, 17, 18) // never applied
	b.add(Op{Process: 3, Session: 3, Kind: Add, Key: "/s", Elem: 1, Seq: 0, Path: "/s/e-1-0000000000"}, 0, 3)
	b.add(Op{Process: 4, Session: 4, Kind: Add, Key: "/s", Elem: 2, Status: Unknown}, 2, 4) // shows up later
	b.add(Op{Process: 5, Session: 4, Kind: Add, Key: "/s", Elem: 3, Status: Unknown}, 2, 4) // never shows up
	b.add(Op{Process: 1, Session: 2, Kind: SetRead, Key: "/s", Elems: []int{1}, Zxid: 5}, 5, 6)
	b.add(Op{Process: 1, Session: 2, Kind: SetRead, Key: "/s", Elems: []int{1, 2}, Zxid: 6}, 7, 8)
	r := Check(b.ops, nil, finals(map[string]Register{"/r/k0": {Value: "b", Version: 2}}, []int{1, 2}, "n1", "n2"), Options{})
	if !r.OK() {
		t.Fatalf("want no anomaly: %s", r.Summary())
	}
	if r.ResolvedAdds != 1 || r.DroppedAdds != 1 {
		t.Errorf("resolved %d / dropped %d unknown adds, want 1 / 1", r.ResolvedAdds, r.DroppedAdds)
	}
}

func TestCheckUnknownWriteMayApply(t *testing.T) {
	var b h
	b.add(Op{Process: 0, Session: 1, Kind: Write, Key: "/r/k0", Value: "u", Status: Unknown}, 0, 1)
	b.add(Op{Process: 1, Session: 2, Kind: SyncRead, Key: "/r/k0", Out: "u", Version: 1, Zxid: 3}, 50, 51)
	r := Check(b.ops, nil, finals(map[string]Register{"/r/k0": {Value: "u", Version: 1}}, nil, "n1"), Options{})
	if !r.OK() {
		t.Fatalf("an unknown write that took effect is fine: %s", r.Summary())
	}
}

func TestCheckStaleReadAfterSync(t *testing.T) {
	var b h
	b.add(Op{Process: 0, Session: 1, Kind: Write, Key: "/r/k0", Value: "a", Version: 1, Zxid: 10}, 0, 10)
	b.add(Op{Process: 1, Session: 2, Kind: SyncRead, Key: "/r/k0", Out: "", Version: 0}, 80, 81) // well after the write completed
	dir := t.TempDir()
	r := Check(b.ops, []Event{{Time: 15e6, What: "fault partition-leader"}}, finals(map[string]Register{"/r/k0": {Value: "a", Version: 1}}, nil, "n1"), Options{VisualizeDir: dir})
	if r.Linearizable != porcupine.Illegal {
		t.Fatalf("porcupine %s, want Illegal", r.Linearizable)
	}
	lin := anomalies(r, "linearizability")
	if len(lin) != 1 || !strings.Contains(lin[0].Detail, "key /r/k0") || !strings.Contains(lin[0].Detail, "sync-read") {
		t.Fatalf("want one linearizability anomaly naming the key and the stale read: %s", r.Summary())
	}
	for _, f := range []string{"linearizability.html", "history.jsonl"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s not written: %v", f, err)
		}
	}
	if r.Visualization == "" {
		t.Error("Result.Visualization empty")
	}
}

// A sync-read a few milliseconds after a write was acknowledged elsewhere may miss it (the
// leader answers a sync before its own apply; seen with Java leaders), but not one that
// starts more than syncLag later, nor one that follows, in its own session, an op that saw
// the write.
func TestCheckSyncReadLeaderLag(t *testing.T) {
	var b h
	b.add(Op{Process: 0, Session: 1, Kind: Add, Key: "/s", Elem: 1, Path: "/s/e-1-0000000000"}, 0, 10)
	b.add(Op{Process: 1, Session: 2, Kind: SetRead, Key: "/s", Elems: nil}, 12, 14)
	if r := Check(b.ops, nil, finals(nil, []int{1}, "n1"), Options{}); !r.OK() {
		t.Fatalf("a set-read 2 ms after the add may miss it: %s", r.Summary())
	}
	b.add(Op{Process: 2, Session: 3, Kind: SetRead, Key: "/s", Elems: nil}, 70, 71)
	if r := Check(b.ops, nil, finals(nil, []int{1}, "n1"), Options{}); r.OK() {
		t.Fatal("a set-read 60 ms after the add missed it: want an anomaly")
	}
	b.ops = b.ops[:2]
	b.add(Op{Process: 1, Session: 2, Kind: SetRead, Key: "/s", Elems: []int{1}}, 15, 16)
	b.add(Op{Process: 1, Session: 2, Kind: SetRead, Key: "/s", Elems: nil}, 17, 18)
	if r := Check(b.ops, nil, finals(nil, []int{1}, "n1"), Options{}); r.OK() {
		t.Fatal("a session read the element and then missed it: want an anomaly")
	}
}

func TestCheckLostAcknowledgedWrite(t *testing.T) {
	var b h
	b.add(Op{Process: 0, Session: 1, Kind: Write, Key: "/r/k0", Value: "a", Version: 1, Zxid: 10}, 0, 10)
	b.add(Op{Process: 0, Session: 1, Kind: Write, Key: "/r/k0", Value: "b", Version: 2, Zxid: 11}, 11, 12)
	b.add(Op{Process: 0, Session: 1, Kind: Add, Key: "/s", Elem: 7, Seq: 0, Path: "/s/e-7-0000000000"}, 13, 14)
	// n2 lost both the last write and the add.
	fin := []Final{
		{Node: "n1", Registers: map[string]Register{"/r/k0": {Value: "b", Version: 2}}, Sets: map[string][]int{"/s": {7}}},
		{Node: "n2", Registers: map[string]Register{"/r/k0": {Value: "a", Version: 1}}, Sets: map[string][]int{"/s": {}}},
	}
	r := Check(b.ops, nil, fin, Options{})
	d := anomalies(r, "durability")
	if len(d) != 2 {
		t.Fatalf("want 2 durability anomalies (register, add) on n2: %s", r.Summary())
	}
	for _, a := range d {
		if !strings.Contains(a.Detail, "node n2") {
			t.Errorf("anomaly should name n2: %s", a)
		}
	}
	if len(anomalies(r, "convergence")) != 2 {
		t.Errorf("want 2 convergence anomalies: %s", r.Summary())
	}
}

func TestCheckSetIntegrity(t *testing.T) {
	var b h
	b.add(Op{Process: 0, Session: 1, Kind: Add, Key: "/s", Elem: 1, Seq: 5, Path: "/s/e-1-0000000005"}, 0, 1)
	b.add(Op{Process: 1, Session: 2, Kind: Add, Key: "/s", Elem: 2, Seq: 5, Path: "/s/e-2-0000000005"}, 2, 3)
	b.add(Op{Process: 1, Session: 2, Kind: SetRead, Key: "/s", Elems: []int{1, 2, 99}}, 4, 5)
	r := Check(b.ops, nil, finals(nil, []int{1, 2, 99}, "n1"), Options{})
	s := anomalies(r, "set-integrity")
	var dupSeq, phantom bool
	for _, a := range s {
		dupSeq = dupSeq || strings.Contains(a.Detail, "sequence number 5 given to two creates")
		phantom = phantom || strings.Contains(a.Detail, "e99 was never added")
	}
	if !dupSeq || !phantom {
		t.Fatalf("want a reused sequence number and a phantom element: %s", r.Summary())
	}
}

func TestCheckSessionOrder(t *testing.T) {
	var b h
	// Session 1 writes k0 at zxid 20, then reads k1 at a state older than a k1 write (zxid
	// 15) that precedes what it saw; and reads k0 older than its own write.
	b.add(Op{Process: 2, Session: 2, Kind: Write, Key: "/r/k1", Value: "x", Version: 1, Zxid: 15}, 0, 1)
	b.add(Op{Process: 0, Session: 1, Kind: Write, Key: "/r/k0", Value: "a", Version: 1, Zxid: 20}, 2, 3)
	b.add(Op{Process: 0, Session: 1, Kind: Read, Key: "/r/k1", Out: "", Version: 0, Zxid: 0}, 4, 5)
	b.add(Op{Process: 0, Session: 1, Kind: Read, Key: "/r/k0", Out: "", Version: 0, Zxid: 0}, 6, 7)
	// Set: session 3 adds e1, then reads the set without it; then e2 seen, then gone.
	b.add(Op{Process: 3, Session: 3, Kind: Add, Key: "/s", Elem: 1, Seq: 0, Path: "/s/e-1-0000000000"}, 0, 1)
	b.add(Op{Process: 4, Session: 4, Kind: Add, Key: "/s", Elem: 2, Seq: 1, Path: "/s/e-2-0000000001"}, 0, 1)
	b.add(Op{Process: 3, Session: 3, Kind: Read, Key: "/r/k0", Out: "a", Version: 1, Zxid: 20}, 1, 2)
	b.add(Op{Process: 3, Session: 3, Kind: SetRead, Key: "/s", Elems: []int{2}, Zxid: 9}, 2, 3)
	b.add(Op{Process: 3, Session: 3, Kind: SetRead, Key: "/s", Elems: []int{1}, Zxid: 8}, 4, 5)
	// Session 5: FIFO broken (second create got a lower sequence number).
	b.add(Op{Process: 5, Session: 5, Kind: Add, Key: "/s", Elem: 3, Seq: 9, Path: "/s/e-3-0000000009"}, 10, 11)
	b.add(Op{Process: 5, Session: 5, Kind: Add, Key: "/s", Elem: 4, Seq: 8, Path: "/s/e-4-0000000008"}, 12, 13)
	r := Check(b.ops, nil, nil, Options{})
	want := []string{
		"read /r/k1 at mzxid 0x0", "read /r/k0 at mzxid 0x0", "without its own acknowledged adds [1]",
		"without elements [2] it saw in its previous read", "at pzxid 0x8 after pzxid 0x9", "per-session FIFO broken",
	}
	var got []string
	for _, a := range anomalies(r, "session-order") {
		got = append(got, a.Detail)
	}
	all := strings.Join(got, "\n")
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Errorf("missing session-order anomaly %q in:\n%s", w, all)
		}
	}
	if len(anomalies(r, "durability")) != 1 {
		t.Errorf("no final state must be an anomaly: %s", r.Summary())
	}
}

func TestJSONLRoundTrip(t *testing.T) {
	rec := NewRecorder()
	o := rec.Invoke(Op{Process: 1, Kind: SetRead, Key: "/s"})
	o.Elems = []int{1, 2}
	rec.Complete(o, OK)
	rec.Invoke(Op{Process: 2, Kind: Write, Key: "/r/k0", Value: "v"}) // left pending
	rec.Note("fault %s", "kill9-leader")
	p := filepath.Join(t.TempDir(), "h.jsonl")
	if err := SaveJSONL(p, rec.Ops(), rec.Events()); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ops, evs, err := ReadJSONL(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(ops) != 2 || len(evs) != 1 || len(ops[0].Elems) != 2 || ops[1].Status != Unknown || evs[0].What != "fault kill9-leader" {
		t.Fatalf("round trip: %+v %+v", ops, evs)
	}
}
