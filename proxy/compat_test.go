package proxy

import (
	"strings"
	"sync"
	"testing"

	"github.com/zkgo/zkgo/compat"
	"github.com/zkgo/zkgo/oracle"
)

// TestCompatThroughProxy runs the compat suite with the proxy in front of Java 3.9.3 as the
// target and Java 3.9.3 directly as the oracle, for every profile. The proxy must be
// invisible: no scenario may diverge.
func TestCompatThroughProxy(t *testing.T) {
	type pair struct{ target, oracle string }
	servers := make([]pair, len(compat.Profiles))
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []string
	for i, prof := range compat.Profiles {
		for _, side := range []bool{true, false} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s, err := oracle.StartStandalone(t, "3.9.3", oracle.Options{
					TickTime: prof.TickTime, Extra: prof.ConfigLines(), JVMFlags: prof.JVMFlags(),
				})
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err.Error())
					return
				}
				if side {
					servers[i].target = s.ClientAddr()
				} else {
					servers[i].oracle = s.ClientAddr()
				}
			}()
		}
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("starting Java: %s", strings.Join(errs, "; "))
	}
	var pairs []compat.Pair
	var proxies []*Proxy
	for i, prof := range compat.Profiles {
		p := startProxy(t, Config{Upstreams: []string{servers[i].target}, MetricsAddr: "127.0.0.1:0"})
		proxies = append(proxies, p)
		pairs = append(pairs, compat.Pair{Target: p.Addr().String(), Oracle: servers[i].oracle, Profile: prof})
	}
	results := compat.RunPairs(pairs, nil, "")
	var out strings.Builder
	passed, diverged := compat.Report(&out, results, false)
	t.Logf("compat through the proxy:\n%s", out.String())
	if passed == 0 {
		t.Fatal("no scenario ran")
	}
	// Some scenarios race real time (300 ms sessions, TTLs): on a loaded machine they can
	// diverge between two plain Java servers too. A diverging scenario gets two more runs;
	// one that diverges every time is a proxy bug.
	for attempt := 0; diverged > 0 && attempt < 2; attempt++ {
		again := map[string]bool{}
		for _, r := range results {
			if r.Skipped == "" && r.Diff != "" {
				again[r.Scenario.Name] = true
			}
		}
		results = compat.RunPairs(pairs, func(name string) bool { return again[name] }, "")
		out.Reset()
		_, diverged = compat.Report(&out, results, false)
		t.Logf("re-run of %d diverging scenarios:\n%s", len(again), out.String())
	}
	if diverged != 0 {
		t.Errorf("%d scenarios diverge through the proxy in three runs", diverged)
	}
	// The proxy saw the suite's traffic and matched every reply.
	for _, p := range proxies {
		m := scrape(t, p)
		if m.value("zkproxy_requests_total", "") == 0 {
			t.Errorf("proxy %s forwarded no request", p.Addr())
		}
		if v := m.value("zkproxy_unmatched_replies_total", ""); v != 0 {
			t.Errorf("proxy %s: %v unmatched replies", p.Addr(), v)
		}
	}
}
