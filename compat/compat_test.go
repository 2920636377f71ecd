package compat

import (
	"flag"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/zkgo/zkgo/oracle"
	"github.com/zkgo/zkgo/zkgotest"
)

// OracleVersion is the Java ZooKeeper every target is compared with.
const OracleVersion = "3.9.3"

var (
	runFlag     = flag.String("compat.run", "", "run only scenarios whose name matches this regexp")
	verboseFlag = flag.Bool("compat.v", false, "log every transcript, not only diverging ones")
	targetFlag  = flag.String("compat.targets", "", "comma-separated target names to run (default: those not marked OptIn)")
)

// target is one implementation under test. Start returns the client address of a server
// configured as p; it is called once per profile (concurrently, so it reports failures with
// tb.Errorf and returns ""), and the server lives until the test ends. An OptIn target runs
// only when named in -compat.targets.
type target struct {
	Name  string
	Start func(tb testing.TB, p *Profile) string
	OptIn bool
}

// targets lists the implementations compared with Java 3.9.3. Java 3.9.3 itself is listed to
// prove the harness deterministic: it must show zero divergences.
//
// zkgo is held to Java 3.9.3 in every `go test` run.
var targets = []target{
	{Name: "java-" + OracleVersion, Start: startJava},
	{Name: "zkgo", Start: startZkgo},
}

// startZkgo starts an in-process zkgo server; profile settings become zoo.cfg keys (zkgo, like
// QuorumPeerConfig, reads unknown keys as zookeeper.* system properties).
func startZkgo(tb testing.TB, p *Profile) string {
	var opts []zkgotest.Option
	for _, l := range p.ConfigLines() {
		k, v, _ := strings.Cut(l, "=")
		opts = append(opts, zkgotest.WithConfig(k, v))
	}
	for _, kv := range p.SystemProperties {
		opts = append(opts, zkgotest.WithConfig(kv[0], kv[1]))
	}
	srv, err := zkgotest.StartServer(tb.TempDir(), opts...)
	if err != nil {
		tb.Errorf("starting zkgo (%s profile): %v", p.Name, err)
		return ""
	}
	tb.Cleanup(srv.Stop)
	return srv.Addr()
}

func selected(tg target) bool {
	if *targetFlag == "" {
		return !tg.OptIn
	}
	return slices.Contains(strings.Split(*targetFlag, ","), tg.Name)
}

func startJava(tb testing.TB, p *Profile) string {
	tb.Helper()
	srv, err := oracle.StartStandalone(tb, OracleVersion, oracle.Options{
		TickTime: p.TickTime,
		Extra:    p.ConfigLines(),
		JVMFlags: p.JVMFlags(),
	})
	if err != nil {
		tb.Errorf("starting Java %s (%s profile): %v", OracleVersion, p.Name, err)
		return ""
	}
	return srv.ClientAddr()
}

// startAll starts one server per profile, in parallel.
func startAll(t *testing.T, start func(testing.TB, *Profile) string) map[*Profile]string {
	t.Helper()
	addrs := make([]string, len(Profiles))
	var wg sync.WaitGroup
	for i, p := range Profiles {
		wg.Add(1)
		go func() {
			defer wg.Done()
			addrs[i] = start(t, p)
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	m := map[*Profile]string{}
	for i, p := range Profiles {
		m[p] = addrs[i]
	}
	return m
}

func TestCompat(t *testing.T) {
	var filter func(string) bool
	if *runFlag != "" {
		re, err := regexp.Compile(*runFlag)
		if err != nil {
			t.Fatalf("-compat.run: %v", err)
		}
		filter = re.MatchString
	}
	oracles := startAll(t, startJava)
	for _, tg := range targets {
		if !selected(tg) {
			continue
		}
		t.Run(tg.Name, func(t *testing.T) {
			servers := startAll(t, tg.Start)
			var pairs []Pair
			for _, p := range Profiles {
				pairs = append(pairs, Pair{Target: servers[p], Oracle: oracles[p], Profile: p})
			}
			// A fixed token per target: paths repeat from run to run, so a target that orders
			// something differently from Java's hash order diverges every time, not by chance.
			results := RunPairs(pairs, filter, slugRE.ReplaceAllString(tg.Name, ""))
			var table strings.Builder
			Table(&table, results)
			t.Logf("%s against Java %s:\n%s", tg.Name, OracleVersion, table.String())
			for _, r := range results {
				if r.Skipped != "" {
					continue
				}
				t.Run(r.Scenario.Name, func(t *testing.T) {
					if r.Diff != "" {
						t.Errorf("%s diverges from Java %s (%s)\n--- Java %s\n+++ %s\n%s",
							tg.Name, OracleVersion, r.Scenario.Doc, OracleVersion, tg.Name, r.Diff)
						return
					}
					if *verboseFlag {
						t.Logf("%s\n%s", r.Scenario.Doc, strings.Join(r.Oracle, "\n"))
					}
				})
			}
		})
	}
}

// TestRunTable checks the command-line form: Run against two running servers of unknown
// configuration runs the scenarios that need none, lists the others as skipped with what
// they need, and counts passes.
func TestRunTable(t *testing.T) {
	oracle := startJava(t, MainProfile)
	target := startJava(t, MainProfile)
	if t.Failed() {
		t.FailNow()
	}
	names := []string{"create/persistent", "acl/super", "session/expiry", "session/timeout-negotiation", "watch/child"}
	var out strings.Builder
	passed, diverged, err := RunWith(Options{
		Target: target, Oracle: oracle,
		Filter: func(n string) bool { return slices.Contains(names, n) },
	}, &out)
	if err != nil {
		t.Fatal(err)
	}
	table := regexp.MustCompile(` +`).ReplaceAllString(out.String(), " ")
	if passed != 2 || diverged != 0 {
		t.Errorf("passed %d, diverged %d; want 2, 0\n%s", passed, diverged, table)
	}
	for _, want := range []string{
		"create/persistent pass",
		"acl/super skipped: needs super-digest",
		"session/expiry skipped: needs a server of its own (fast-server profile)",
		"session/timeout-negotiation skipped: needs default-timeouts",
		"2 passed, 0 diverged, 3 skipped",
	} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	if _, _, err := Run(target, target, &out); err == nil {
		t.Errorf("Run with the same server as target and oracle: no error")
	}
}
