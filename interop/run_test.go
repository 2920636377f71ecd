package interop

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	dc "github.com/ory/dockertest/v3/docker"

	"github.com/zkgo/zkgo/interop/history"
)

// Scenario is one ensemble under a client workload, with faults injected one after another,
// then the history checked.
type Scenario struct {
	Name    string
	Specs   []Spec
	Faults  []Fault
	Clients int
	Keys    int
	Seed    int64
	Pin     bool
	Warmup  time.Duration // load before the first fault
	Settle  time.Duration // load after each fault healed
	Target  Impl          // faults on followers prefer nodes of this implementation
	Leader  int           // when set, make this node the leader before the load starts

	t    testing.TB
	C    *Cluster
	W    *Workload
	rot  int
	disk []DiskOutcome
	out  *Outcome
}

// DiskOutcome is what a node did at restart after a disk fault.
type DiskOutcome struct {
	Impl    Impl
	Kind    diskKind
	Outcome string
	Detail  string
}

// FaultRecord is one fault as run.
type FaultRecord struct {
	Name     string
	Target   string
	Duration time.Duration
	Err      string
}

// Outcome is a scenario's result, for the report.
type Outcome struct {
	Name      string
	Ensemble  string
	Faults    []FaultRecord
	Disk      []DiskOutcome
	Result    *history.Result
	Sessions  int
	Expiries  []Expiry
	Duration  time.Duration
	Artifacts string
	Failed    bool
	Err       string   // why the run stopped early
	Notes     []string // divergences and other findings that are not history anomalies
}

func (s *Scenario) note(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	s.W.Rec.Note("%s", msg)
	s.t.Logf("%7.2fs %s", float64(s.W.Rec.Now())/1e9, msg)
}

func ensembleDesc(specs []Spec) string {
	var parts []string
	for _, sp := range specs {
		p := fmt.Sprintf("n%d=%s", sp.ID, sp.Impl)
		if sp.Observer {
			p += "(observer)"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, " ")
}

// Run runs the scenario; extra, when set, runs after the faults (with the load still on).
// It fails t on any anomaly, keeping the artifacts (history, porcupine HTML, node logs,
// data folders) in a temporary folder whose path it logs.
func (s *Scenario) Run(t *testing.T, extra func(s *Scenario)) *Outcome {
	t.Helper()
	start := time.Now()
	s.t = t
	if s.Clients == 0 {
		s.Clients = 4
	}
	if s.Keys == 0 {
		s.Keys = 3
	}
	if s.Warmup == 0 {
		s.Warmup = 1500 * time.Millisecond
	}
	if s.Settle == 0 {
		s.Settle = 1500 * time.Millisecond
	}
	out := &Outcome{Name: s.Name, Ensemble: ensembleDesc(s.Specs)}
	s.out = out
	t.Logf("scenario %s: %s; faults %s; seed %d", s.Name, out.Ensemble, faultNames(s.Faults), s.Seed)

	t.Cleanup(func() {
		out.Duration = time.Since(start)
		if t.Failed() {
			out.Failed = true
		}
	})
	s.C = startClusterHook(t, s.Specs, func(msg string) { out.Err = msg; out.Failed = true })
	var addrs []string
	for _, n := range s.C.Nodes() {
		addrs = append(addrs, fmt.Sprintf("n%d=%s (peer %s)", n.ID, n.Addr(), n.IP))
	}
	t.Logf("ensemble up in %v: %s; %s", time.Since(start).Round(time.Millisecond),
		func() string { _, d := s.C.Health(); return d }(), strings.Join(addrs, " "))
	if s.Leader != 0 {
		s.makeLeader(s.Leader)
	}
	s.W = &Workload{
		Rec:            history.NewRecorder(),
		Servers:        s.C.Addrs(),
		Clients:        s.Clients,
		Pin:            s.Pin,
		Keys:           s.Keys,
		Pause:          10 * time.Millisecond,
		SessionTimeout: 8 * time.Second,
		Seed:           s.Seed,
	}
	artifacts := ""
	keep := func(why string) {
		if artifacts == "" {
			artifacts, _ = os.MkdirTemp("", "zkgo-interop-"+sanitize(s.Name)+"-")
			s.C.KeepArtifacts(filepath.Join(artifacts, "cluster"))
			ops, evs := s.W.Rec.Ops(), s.W.Rec.Events()
			history.SaveJSONL(filepath.Join(artifacts, "history.jsonl"), ops, evs)
			t.Logf("%s: artifacts kept in %s", why, artifacts)
		}
	}
	t.Cleanup(func() {
		if t.Failed() {
			keep("test failed")
			out.Artifacts = artifacts
		}
	})

	setupCtx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	if err := s.W.Setup(setupCtx); err != nil {
		cancel()
		s.C.Fatalf("%v", err)
	}
	cancel()
	ctx, stop := context.WithCancel(context.Background())
	s.W.Start(ctx)
	var stopOnce sync.Once
	stopLoad := func() { stopOnce.Do(func() { stop(); s.W.Wait() }) }
	defer stopLoad()

	time.Sleep(s.Warmup)
	for _, f := range s.Faults {
		t0 := time.Now()
		s.note("fault %s", f.Name)
		target, err := f.Run(s)
		rec := FaultRecord{Name: f.Name, Target: target, Duration: time.Since(t0)}
		if err != nil {
			rec.Err = err.Error()
			out.Faults = append(out.Faults, rec)
			s.C.Fatalf("fault %s (%s): %v", f.Name, target, err)
		}
		out.Faults = append(out.Faults, rec)
		s.note("fault %s done in %v: %s", f.Name, rec.Duration.Round(time.Millisecond), target)
		time.Sleep(s.Settle)
	}
	if extra != nil {
		extra(s)
	}
	stopLoad()
	s.note("load stopped")

	if err := s.C.WaitHealthy(healTimeout); err != nil {
		s.C.Fatalf("after the faults: %v", err)
	}
	fctx, fcancel := context.WithTimeout(context.Background(), 30*time.Second)
	finals, ferrs := s.W.ReadFinal(fctx, s.C)
	fcancel()
	for _, err := range ferrs {
		// A node that cannot serve sync+read is a failure of its own; the history is still
		// checked against the nodes that answered.
		out.Notes = append(out.Notes, "liveness: "+err.Error())
		out.Failed = true
		t.Errorf("%v", err)
	}
	ops, evs := s.W.Rec.Ops(), s.W.Rec.Events()
	vis, _ := os.MkdirTemp("", "zkgo-interop-check-"+sanitize(s.Name)+"-")
	res := history.Check(ops, evs, finals, history.Options{VisualizeDir: vis})
	if res.Visualization == "" && res.HistoryPath == "" {
		os.RemoveAll(vis)
	}
	out.Result = res
	out.Disk = s.disk
	out.Sessions = s.W.Sessions()
	out.Expiries = s.W.Expiries()
	out.Duration = time.Since(start)
	t.Logf("%s: %s", s.Name, res.Summary())
	if !res.OK() || len(ferrs) > 0 {
		keep("anomalies")
		out.Failed = true
		out.Artifacts = artifacts
	}
	if !res.OK() {
		t.Errorf("%s: history check failed: %s", s.Name, res.Summary())
	}
	return out
}

// makeLeader restarts leaders until node id leads (in a fresh ensemble the election picks
// the highest server id among those with the newest zxid, so id must be the highest of the
// nodes still up when the current leader goes).
func (s *Scenario) makeLeader(id int) {
	for attempt := 0; attempt < 4; attempt++ {
		if err := s.C.WaitHealthy(healTimeout); err != nil {
			s.C.Fatalf("%v", err)
		}
		l := s.C.Leader()
		if l != nil && l.ID == id {
			s.t.Logf("n%d leads", id)
			return
		}
		s.t.Logf("n%d leads, wanted n%d: restarting n%d", l.ID, id, l.ID)
		if err := s.C.Kill(l, dc.SIGKILL); err != nil {
			s.C.Fatalf("%v", err)
		}
		time.Sleep(time.Second)
		if err := s.C.Start(l); err != nil {
			s.C.Fatalf("%v", err)
		}
	}
	s.C.Fatalf("could not make n%d the leader", id)
}

func faultNames(fs []Fault) string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Name)
	}
	return strings.Join(out, ",")
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' {
			return r
		}
		return '_'
	}, s)
}
