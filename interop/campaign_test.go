//go:build interoplong

package interop

// Long seeded campaigns (make interop-long): every ensemble kind under a seeded random
// sequence of faults, for each seed, plus the rolling replacement; the results go to a
// Markdown report (interop/REPORT.md).

import (
	"flag"
	"fmt"
	"math/rand"
	"os"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

var (
	seedsFlag  = flag.String("seeds", "1,2", "comma-separated campaign seeds")
	faultsFlag = flag.Int("faults", 10, "faults per scenario")
	reportFlag = flag.String("report", "REPORT.md", "where the campaign report goes")
	onlyFlag   = flag.String("only", "", "run only the scenarios whose name matches this regexp")
)

type ensembleKind struct {
	name   string
	specs  []Spec
	target Impl
	leader int
}

var campaignEnsembles = []ensembleKind{
	{name: "java-3.9.3-x3", specs: []Spec{{1, Java393, false}, {2, Java393, false}, {3, Java393, false}}},
	{name: "java-3.9.3-x5", specs: []Spec{{1, Java393, false}, {2, Java393, false}, {3, Java393, false}, {4, Java393, false}, {5, Java393, false}}},
	{name: "zkgo-x3", specs: []Spec{{1, Zkgo, false}, {2, Zkgo, false}, {3, Zkgo, false}}},
	{name: "zkgo-x5", specs: []Spec{{1, Zkgo, false}, {2, Zkgo, false}, {3, Zkgo, false}, {4, Zkgo, false}, {5, Zkgo, false}}},
	{name: "mixed-zkgo-leader", specs: []Spec{{1, Java393, false}, {2, Java393, false}, {3, Zkgo, false}}, leader: 3},
	{name: "mixed-java-leader", specs: []Spec{{1, Zkgo, false}, {2, Java393, false}, {3, Java393, false}}, leader: 3, target: Zkgo},
	{name: "mixed-versions", specs: []Spec{{1, Java380, false}, {2, Java393, false}, {3, Zkgo, false}}, target: Zkgo},
	{name: "mixed-5", specs: []Spec{{1, Java393, false}, {2, Zkgo, false}, {3, Java380, false}, {4, Zkgo, false}, {5, Java393, false}}, target: Zkgo},
	{name: "mixed-3.4", specs: []Spec{{1, Java3413, false}, {2, Java393, false}, {3, Zkgo, false}}, target: Zkgo},
	{name: "java-zkgo-observer", specs: []Spec{{1, Java393, false}, {2, Java393, false}, {3, Java393, false}, {4, Zkgo, true}}},
	{name: "zkgo-java-observer", specs: []Spec{{1, Zkgo, false}, {2, Zkgo, false}, {3, Zkgo, false}, {4, Java393, true}}},
}

func parseSeeds(s string) []int64 {
	var out []int64
	for _, f := range strings.Split(s, ",") {
		if v, err := strconv.ParseInt(strings.TrimSpace(f), 10, 64); err == nil {
			out = append(out, v)
		}
	}
	return out
}

// TestCampaign runs the campaigns and writes the report, whatever the outcome.
func TestCampaign(t *testing.T) {
	start := time.Now()
	var outs []*Outcome
	defer func() {
		if err := writeReport(*reportFlag, outs, time.Since(start)); err != nil {
			t.Errorf("report: %v", err)
		} else {
			t.Logf("report written to %s", *reportFlag)
		}
	}()
	names := allFaultNames()
	only := regexp.MustCompile(*onlyFlag)
	for _, seed := range parseSeeds(*seedsFlag) {
		r := rand.New(rand.NewSource(seed))
		for _, ek := range campaignEnsembles {
			var fs []Fault
			for i := 0; i < *faultsFlag; i++ {
				fs = append(fs, faults[names[r.Intn(len(names))]])
			}
			sc := &Scenario{Name: fmt.Sprintf("%s/seed%d", ek.name, seed), Specs: ek.specs, Faults: fs,
				Seed: seed, Target: ek.target, Leader: ek.leader}
			if !only.MatchString(sc.Name) {
				continue
			}
			t.Run(sc.Name, func(t *testing.T) { sc.Run(t, nil) })
			if sc.out != nil {
				outs = append(outs, sc.out)
			}
		}
		name := fmt.Sprintf("rolling/seed%d", seed)
		if !only.MatchString(name) {
			continue
		}
		t.Run(name, func(t *testing.T) { runRolling(t, name, seed, func(o *Outcome) { outs = append(outs, o) }) })
	}
}

func writeReport(path string, outs []*Outcome, total time.Duration) error {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("# Interop campaign report\n\n")
	p("Written by `make interop-long` (interop/campaign_test.go) on %s; seeds %s, %d faults per scenario; %d CPUs; %s in all.\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), *seedsFlag, *faultsFlag, runtime.NumCPU(), total.Round(time.Second))
	p("Each scenario: an ensemble in Docker (private networks, clients on 127.0.0.1 ports), 4 clients (6 pinned ones in the rolling replacement) running the register and set workloads, the faults one after another (each healed and the ensemble healthy again before the next), then the final state read from every node and the history checked (porcupine linearizability of writes and sync+reads, durability of acknowledged writes, convergence, set integrity, per-session order). See interop/doc.go and interop/history/doc.go.\n\n")

	var totalOps, totalAnom, failed int
	faultCount := map[string]int{}
	for _, o := range outs {
		if o.Result != nil {
			totalOps += o.Result.Counts.Total
			totalAnom += len(o.Result.Anomalies)
		}
		if o.Failed {
			failed++
		}
		for _, f := range o.Faults {
			faultCount[f.Name]++
		}
	}
	p("## Summary\n\n%d scenarios, %d failed; %d operations checked; %d anomalies.\n\n", len(outs), failed, totalOps, totalAnom)
	p("| scenario | ensemble | faults | ops (ok/fail/unknown) | acked writes / adds | porcupine | anomalies | sessions / expiries | time | result |\n")
	p("|---|---|---|---|---|---|---|---|---|---|\n")
	for _, o := range outs {
		ops, acked, lin, anom := "-", "-", "-", "-"
		if r := o.Result; r != nil {
			ops = fmt.Sprintf("%d (%d/%d/%d)", r.Counts.Total, r.Counts.ByStatus["ok"], r.Counts.ByStatus["fail"], r.Counts.ByStatus["unknown"])
			acked = fmt.Sprintf("%d / %d", r.AckedWrites, r.AckedAdds)
			lin = string(r.Linearizable)
			anom = strconv.Itoa(len(r.Anomalies))
		}
		res := "pass"
		if o.Failed {
			res = "**FAIL**"
		}
		p("| %s | %s | %d | %s | %s | %s | %s | %d / %d | %s | %s |\n", o.Name, o.Ensemble, len(o.Faults), ops, acked, lin, anom,
			o.Sessions, len(o.Expiries), o.Duration.Round(time.Second), res)
	}
	p("\n## Faults injected\n\n| fault | count |\n|---|---|\n")
	var fnames []string
	for n := range faultCount {
		fnames = append(fnames, n)
	}
	sort.Strings(fnames)
	for _, n := range fnames {
		p("| %s | %d |\n", n, faultCount[n])
	}
	p("\n## Disk faults: what the restarted node did\n\n| scenario | node | fault | outcome | detail |\n|---|---|---|---|---|\n")
	for _, o := range outs {
		for _, d := range o.Disk {
			p("| %s | %s | %s | %s | %s |\n", o.Name, d.Impl, d.Kind, d.Outcome, strings.ReplaceAll(d.Detail, "|", "\\|"))
		}
	}
	p("\nJava ZooKeeper 3.9.3's outcomes (javaDiskOutcome): truncate -> %s, flip -> %s.\n", javaDiskOutcome[truncateTail], javaDiskOutcome[flipByte])
	p("\n## Failures and anomalies\n\n")
	listed := false
	for _, o := range outs {
		if !o.Failed && len(o.Notes) == 0 {
			continue
		}
		listed = true
		p("### %s\n\n", o.Name)
		if o.Err != "" {
			p("Stopped early: `%s`\n\n", firstLine(o.Err))
		}
		for _, f := range o.Faults {
			if f.Err != "" {
				p("- fault %s (%s) failed: `%s`\n", f.Name, f.Target, firstLine(f.Err))
			}
		}
		for _, n := range o.Notes {
			p("- %s\n", n)
		}
		if r := o.Result; r != nil {
			for i, a := range r.Anomalies {
				if i == 15 {
					p("- ... and %d more\n", len(r.Anomalies)-15)
					break
				}
				p("- %s\n", a)
			}
		}
		if o.Artifacts != "" {
			p("\nArtifacts (history, porcupine visualization, logs, data): `%s`\n", o.Artifacts)
		}
		p("\n")
	}
	if !listed {
		p("None.\n")
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return strings.ReplaceAll(s, "`", "'")
}
