package proxy

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/zkgo/zkgo/jute"
	"github.com/zkgo/zkgo/jute/records"
	"github.com/zkgo/zkgo/wire"
)

func TestParseFlags(t *testing.T) {
	c, err := ParseFlags(strings.Fields("--listen 127.0.0.1:2999 --upstream 127.0.0.1:1,127.0.0.1:2 --metrics 127.0.0.1:9 --log /tmp/x.jsonl "+
		"--max-buffer 4096 --latency-threshold 50ms --latency-thresholds create=150ms,multi=200ms,4=1s --prefix-depth 2 --max-prefixes 10"), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:2999" || len(c.Upstreams) != 2 || c.Upstreams[1] != "127.0.0.1:2" || c.MetricsAddr != "127.0.0.1:9" ||
		c.LogFile != "/tmp/x.jsonl" || c.MaxBuffer != 4096 || c.DefaultLatencyThreshold != 50*time.Millisecond ||
		c.PrefixDepth != 2 || c.MaxPrefixes != 10 {
		t.Fatalf("parsed %+v", c)
	}
	want := map[wire.Op]time.Duration{wire.OpCreate: 150 * time.Millisecond, wire.OpMulti: 200 * time.Millisecond, wire.OpGetData: time.Second}
	for op, d := range want {
		if c.LatencyThresholds[op] != d {
			t.Errorf("threshold %s = %v, want %v", op, c.LatencyThresholds[op], d)
		}
	}
	c, err = ParseFlags(strings.Fields("--oracle 127.0.0.1:1 --candidate 127.0.0.1:2 --report r.jsonl --exact-zxid"), io.Discard)
	if err != nil || c.Oracle != "127.0.0.1:1" || c.Candidate != "127.0.0.1:2" || c.ReportFile != "r.jsonl" || !c.ExactZxid {
		t.Fatalf("cross-check flags: %+v %v", c, err)
	}
	for _, bad := range []string{"--latency-thresholds nosuchop=1s", "--latency-thresholds create", "--latency-thresholds create=fast", "stray"} {
		if _, err := ParseFlags(strings.Fields(bad), io.Discard); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	for _, cfg := range []Config{{}, {Oracle: "a:1"}, {Upstreams: []string{"a:1"}, Oracle: "b:1", Candidate: "c:1"}} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v): no error", cfg)
		}
	}
}

// TestRun runs the command entry point: it serves until its context ends, rejects bad
// flags with exit code 2, and prints the cross-check summary at exit.
func TestRun(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	var stdout, stderr syncBuffer
	if code := Run(context.Background(), []string{"--bogus"}, &stdout, &stderr); code != 2 {
		t.Fatalf("bad flag: exit %d", code)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	go func() {
		done <- Run(ctx, []string{"--listen", addr, "--oracle", "127.0.0.1:1", "--candidate", "127.0.0.1:2"}, &stdout, &stderr)
	}()
	eventually(t, "proxy listening", func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "cross-check: 0 sessions, 0 requests compared") {
		t.Fatalf("summary missing from stdout: %q", stdout.String())
	}
}

func quietProxy(t *testing.T, cfg Config) *Proxy {
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPrefixLabels(t *testing.T) {
	p := quietProxy(t, Config{Upstreams: []string{"127.0.0.1:1"}, PrefixDepth: 2, MaxPrefixes: 3})
	m := p.m
	for path, want := range map[string]string{
		"": "", "/": "/", "/a": "/a", "/a/b": "/a/b", "/a/b/c/d": "/a/b", "/a/": "/a",
	} {
		if got := m.prefix(path); got != want {
			t.Errorf("prefix(%q) = %q, want %q", path, got, want)
		}
	}
	// "/", "/a", "/a/b" fill the 3 slots; anything new is "_other", known ones stay.
	if got := m.prefix("/z/y"); got != "_other" {
		t.Errorf("4th distinct prefix = %q, want _other", got)
	}
	if got := m.prefix("/a/b/x"); got != "/a/b" {
		t.Errorf("known prefix after the bound = %q", got)
	}
	if opLabel(wire.Op(55)) != "unknown" || opLabel(wire.OpGetData) != "getData" {
		t.Error("op labels")
	}
}

// TestDiffDescriptions checks what the comparison reports and what it normalises away.
func TestDiffDescriptions(t *testing.T) {
	p := quietProxy(t, Config{Oracle: "127.0.0.1:1", Candidate: "127.0.0.1:2"})
	x := p.cross
	x.rev[0x200] = 0x100 // candidate session 0x200 is oracle session 0x100
	stat := func(version int32, zx, ctime, owner int64) records.Stat {
		return records.Stat{Czxid: zx, Mzxid: zx, Pzxid: zx, Ctime: ctime, Mtime: ctime, Version: version, EphemeralOwner: owner}
	}
	diff := func(o, c jute.Record) []string {
		d := differ{zx: x.zx, owner: x.ownerEq}
		d.diff("", recordView(o), recordView(c))
		return d.out
	}
	// Different zxid values and times, same order, mapped owners: equal.
	if got := diff(&records.GetDataResponse{Data: []byte("v"), Stat: stat(2, 0x100000005, 1, 0x100)},
		&records.GetDataResponse{Data: []byte("v"), Stat: stat(2, 0x200000009, 99, 0x200)}); len(got) != 0 {
		t.Errorf("normalised equal replies differ: %v", got)
	}
	got := diff(&records.GetDataResponse{Data: []byte("v"), Stat: stat(2, 0x100000005, 1, 0x100)},
		&records.GetDataResponse{Data: []byte("w"), Stat: stat(1, 0x200000009, 1, 0x300)})
	want := []string{
		`data oracle="v" candidate="w"`,
		`stat.version oracle=2 candidate=1`,
		`stat.ephemeralOwner oracle=0x100 candidate=0x300(unmapped)`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("differences:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// A zxid already paired with another one is reported; a fresh pair is not.
	got = diff(&records.ExistsResponse{Stat: stat(0, 0x100000005, 1, 0)}, &records.ExistsResponse{Stat: stat(0, 0x20000000a, 1, 0)})
	if len(got) != 3 || !strings.HasPrefix(got[0], "stat.czxid oracle=zxid#1(0x100000005) candidate=zxid#") {
		t.Errorf("re-paired zxid: %v", got)
	}
	// Children are compared as sets.
	if got := diff(&records.GetChildrenResponse{Children: []string{"a", "b"}}, &records.GetChildrenResponse{Children: []string{"b", "a"}}); len(got) != 0 {
		t.Errorf("children in another order: %v", got)
	}
	if got := diff(&records.GetChildrenResponse{Children: []string{"a", "b"}}, &records.GetChildrenResponse{Children: []string{"a"}}); len(got) != 1 ||
		got[0] != `children oracle=["a","b"] candidate=["a"]` {
		t.Errorf("children differ: %v", got)
	}
	// --exact-zxid compares values.
	z := newZxidMap(true)
	if eq, _, _ := z.compare(5, 5); !eq {
		t.Error("exact: equal values differ")
	}
	if eq, a, b := z.compare(5, 6); eq || a != "0x5" || b != "0x6" {
		t.Errorf("exact: %v %s %s", eq, a, b)
	}
}

// TestEventOrder checks that a watch event delivered after a different reply on each side
// is reported with both positions.
func TestEventOrder(t *testing.T) {
	var report bytes.Buffer
	p := quietProxy(t, Config{Oracle: "127.0.0.1:1", Candidate: "127.0.0.1:2", Report: &report})
	cn := &ccConn{x: p.cross, pairs: map[int64]*pair{}, desc: map[int64]string{3: "setData /a", 4: "getData /b"}, oSess: 1, cSess: 2}
	ev := func(zxid int64) *reply {
		return &reply{Hdr: records.ReplyHeader{Xid: -1, Zxid: zxid}, Event: &records.WatcherEvent{Type: int32(wire.EventNodeDataChanged), State: 3, Path: "/a"}}
	}
	cn.oLast, cn.cLast = 3, 4
	cn.addEvent(true, ev(7))
	cn.addEvent(false, ev(-1))
	divs := p.Divergences()
	if len(divs) != 1 {
		t.Fatalf("%d divergences, want 1", len(divs))
	}
	want := "notification NodeDataChanged /a: zxid oracle=0x7(unpaired) candidate=-1; " +
		"order oracle=after request #3 (setData /a) candidate=after request #4 (getData /b)"
	if divs[0].Description != want || divs[0].Kind != "event" {
		t.Errorf("got  %s\nwant %s", divs[0].Description, want)
	}
	p.Close()
	if !strings.Contains(report.String(), `"kind":"event"`) {
		t.Errorf("report: %s", report.String())
	}
}
