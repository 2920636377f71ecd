package compat

import (
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Needs is the server configuration a scenario depends on beyond a default server.
type Needs uint

const (
	// NeedsExtendedTypes: the JVM property zookeeper.extendedTypesEnabled=true (TTL nodes).
	NeedsExtendedTypes Needs = 1 << iota
	// NeedsSuperDigest: zookeeper.DigestAuthenticationProvider.superDigest set for SuperAuth.
	NeedsSuperDigest
	// NeedsAllFourLetterWords: 4lw.commands.whitelist=*.
	NeedsAllFourLetterWords
	// NeedsDefaultTimeouts: tickTime=2000 with the default session timeout bounds (4 s, 40 s).
	NeedsDefaultTimeouts
	// NeedsFastServer: a server of its own with FastProfile's settings (short ticks and
	// container checks), for scenarios that wait for expiry; they run nowhere else.
	NeedsFastServer
)

var needNames = []string{"extended-types", "super-digest", "all-4lw", "default-timeouts", "fast-server"}

func (n Needs) String() string {
	var s []string
	for i, name := range needNames {
		if n&(1<<i) != 0 {
			s = append(s, name)
		}
	}
	if len(s) == 0 {
		return "-"
	}
	return strings.Join(s, ",")
}

// SuperAuth is the digest auth ("user:password") that the profiles' superDigest grants super.
const SuperAuth = "super:compat-super-secret"

// Digest is the digest-scheme id of "user:password": user:base64(sha1(user:password)).
func Digest(userPassword string) string {
	user, _, _ := strings.Cut(userPassword, ":")
	sum := sha1.Sum([]byte(userPassword))
	return user + ":" + base64.StdEncoding.EncodeToString(sum[:])
}

// Profile is a server configuration the suite knows how to use. Start the oracle and the
// target with the same profile.
type Profile struct {
	Name     string
	Provides Needs
	// TickTime and the session timeout bounds (0: ZooKeeper's defaults of 2 and 20 ticks).
	TickTime          int
	MinSessionTimeout int
	MaxSessionTimeout int
	// SystemProperties are JVM -D properties (zkgo must honour the same names).
	SystemProperties [][2]string
}

// JVMFlags returns the -D flags of the profile.
func (p *Profile) JVMFlags() []string {
	var f []string
	for _, kv := range p.SystemProperties {
		f = append(f, "-D"+kv[0]+"="+kv[1])
	}
	return f
}

// ConfigLines returns the zoo.cfg lines of the profile (besides dataDir and ports).
func (p *Profile) ConfigLines() []string {
	l := []string{"tickTime=" + strconv.Itoa(p.TickTime), "4lw.commands.whitelist=*"}
	if p.MinSessionTimeout > 0 {
		l = append(l, "minSessionTimeout="+strconv.Itoa(p.MinSessionTimeout))
	}
	if p.MaxSessionTimeout > 0 {
		l = append(l, "maxSessionTimeout="+strconv.Itoa(p.MaxSessionTimeout))
	}
	return l
}

var commonProperties = [][2]string{
	{"zookeeper.extendedTypesEnabled", "true"},
	{"zookeeper.DigestAuthenticationProvider.superDigest", Digest(SuperAuth)},
}

// MainProfile runs every scenario except the fast-server ones.
var MainProfile = &Profile{
	Name:             "main",
	Provides:         NeedsExtendedTypes | NeedsSuperDigest | NeedsAllFourLetterWords | NeedsDefaultTimeouts,
	TickTime:         2000,
	SystemProperties: commonProperties,
}

// FastProfile is for expiry: 100 ms ticks (sessions down to 200 ms), a container and TTL check
// every 500 ms.
var FastProfile = &Profile{
	Name:              "fast",
	Provides:          NeedsExtendedTypes | NeedsSuperDigest | NeedsAllFourLetterWords | NeedsFastServer,
	TickTime:          100,
	MinSessionTimeout: 200,
	MaxSessionTimeout: 60000,
	SystemProperties: append(slices.Clip(commonProperties),
		[2]string{"znode.container.checkIntervalMs", "500"}),
}

// Profiles lists every profile, in the order suites run them.
var Profiles = []*Profile{MainProfile, FastProfile}

// Scenario is one differential test: it drives sessions against a server and its transcript
// is compared with the oracle's.
type Scenario struct {
	Name  string
	Doc   string
	Needs Needs
	Run   func(s *S)
}

var registry []*Scenario

func register(sc ...*Scenario) { registry = append(registry, sc...) }

// Scenarios returns all scenarios, in suite order.
func Scenarios() []*Scenario { return slices.Clone(registry) }

var slugRE = regexp.MustCompile(`[^a-zA-Z0-9]+`)

// RunScenario runs sc against the server at addr (configured as p) and returns its transcript.
// run is a token that keeps paths unique across runs on the same server.
func RunScenario(sc *Scenario, addr string, p *Profile, run string) []string {
	s := &S{addr: addr, profile: p, deadline: time.Now().Add(scenarioBudget)}
	s.n = norm{
		prefix:   "/compat-" + run + "-" + strings.Trim(slugRE.ReplaceAllString(sc.Name, "-"), "-"),
		sessions: map[int64]string{},
		start:    time.Now(),
	}
	sc.Run(s)
	s.finish()
	cleanup(addr, s.n.prefix, p)
	out := s.transcript()
	if s.failed != nil {
		out = append(out, "!! harness: "+s.failed.Error())
	}
	return out
}

// RunToken returns a fresh token for RunScenario.
func RunToken() string {
	var b [4]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// filteredOut is Result.Skipped for scenarios the filter left out; Report does not list them.
const filteredOut = "filtered out"

// Result is the outcome of one scenario.
type Result struct {
	Scenario *Scenario
	Skipped  string // why it did not run ("" = it ran)
	Oracle   []string
	Target   []string
	Diff     string // "" = the transcripts are equal
	// OracleTime and TargetTime are how long the scenario took on each server.
	OracleTime, TargetTime time.Duration
}

// Pair is a target and an oracle server started with the same profile.
type Pair struct {
	Target, Oracle string
	Profile        *Profile
}

// pairFor chooses the pair a scenario runs on: fast-server scenarios on a pair whose profile
// is a fast server, all others on a pair whose profile is not. why says why none fits.
func pairFor(sc *Scenario, pairs []Pair) (p *Pair, why string) {
	fast := sc.Needs&NeedsFastServer != 0
	for i := range pairs {
		pp := &pairs[i]
		if (pp.Profile.Provides&NeedsFastServer != 0) != fast {
			continue
		}
		if missing := sc.Needs &^ pp.Profile.Provides; missing != 0 {
			return nil, "needs " + missing.String()
		}
		return pp, ""
	}
	if fast {
		return nil, "needs a server of its own (fast-server profile)"
	}
	return nil, "no server for it"
}

// RunPairs runs every scenario on the pair that fits it (others are skipped with the reason),
// oracle and target side by side, each server taking its scenarios one at a time in suite
// order. filter (nil = all) selects scenarios by name. token goes into every path prefix
// ("" = a random one): a fixed token makes paths, and so anything that hashes them (Java
// iterates some path sets in hash order), the same from run to run.
func RunPairs(pairs []Pair, filter func(name string) bool, token string) []Result {
	if token == "" {
		token = RunToken()
	}
	results := make([]Result, len(registry))
	byServer := map[string][]int{}
	profileOf := map[string]*Profile{}
	var order []string
	for i, sc := range registry {
		results[i].Scenario = sc
		if filter != nil && !filter(sc.Name) {
			results[i].Skipped = filteredOut
			continue
		}
		pair, why := pairFor(sc, pairs)
		if pair == nil {
			results[i].Skipped = why
			continue
		}
		for _, addr := range []string{pair.Oracle, pair.Target} {
			if _, seen := byServer[addr]; !seen {
				order = append(order, addr)
				profileOf[addr] = pair.Profile
			}
			byServer[addr] = append(byServer[addr], i)
		}
	}
	type key struct {
		i    int
		addr string
	}
	type run struct {
		script []string
		took   time.Duration
	}
	var mu sync.Mutex
	got := map[key]run{}
	var wg sync.WaitGroup
	for _, addr := range order {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, i := range byServer[addr] {
				start := time.Now()
				tr := RunScenario(registry[i], addr, profileOf[addr], token)
				mu.Lock()
				got[key{i, addr}] = run{tr, time.Since(start)}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for i := range results {
		r := &results[i]
		if r.Skipped != "" {
			continue
		}
		pair, _ := pairFor(r.Scenario, pairs)
		o, t := got[key{i, pair.Oracle}], got[key{i, pair.Target}]
		r.Oracle, r.OracleTime = o.script, o.took
		r.Target, r.TargetTime = t.script, t.took
		r.Diff = Diff(r.Oracle, r.Target)
	}
	return results
}

// Options for RunWith.
type Options struct {
	// Target and Oracle are host:port of two running servers with the same configuration.
	Target, Oracle string
	// Profile declares their configuration (nil: unknown, so only scenarios without Needs run).
	Profile *Profile
	// FastTarget and FastOracle, when both set, are a pair started with FastProfile.
	FastTarget, FastOracle string
	// Filter selects scenarios by name (nil = all).
	Filter func(name string) bool
	// Verbose prints the transcripts of passing scenarios too.
	Verbose bool
}

// Run runs every scenario that needs no special configuration against two running servers,
// prints a table of results (and the diff of every divergence) to out, and returns the counts.
// Scenarios that need a configured server are listed as skipped, with what they need.
func Run(target, oracle string, out io.Writer) (passed, diverged int, err error) {
	return RunWith(Options{Target: target, Oracle: oracle}, out)
}

// RunWith is Run with options.
func RunWith(o Options, out io.Writer) (passed, diverged int, err error) {
	if o.Target == "" || o.Oracle == "" {
		return 0, 0, fmt.Errorf("compat: need a target and an oracle address")
	}
	if o.Target == o.Oracle || (o.FastTarget != "" && o.FastTarget == o.FastOracle) {
		// Scenarios run on both at once; on one server their zxids would interleave.
		return 0, 0, fmt.Errorf("compat: the target and the oracle must be different servers")
	}
	p := o.Profile
	if p == nil {
		p = &Profile{Name: "unknown"}
	}
	if p.Provides&NeedsFastServer != 0 {
		return 0, 0, fmt.Errorf("compat: profile %s is for FastTarget/FastOracle", p.Name)
	}
	pairs := []Pair{{Target: o.Target, Oracle: o.Oracle, Profile: p}}
	if o.FastTarget != "" && o.FastOracle != "" {
		pairs = append(pairs, Pair{Target: o.FastTarget, Oracle: o.FastOracle, Profile: FastProfile})
	}
	results := RunPairs(pairs, o.Filter, "")
	passed, diverged = Report(out, results, o.Verbose)
	return passed, diverged, nil
}

// Report prints the table and the diffs; it returns the pass and divergence counts.
func Report(out io.Writer, results []Result, verbose bool) (passed, diverged int) {
	passed, diverged = Table(out, results)
	for _, r := range results {
		if r.Skipped != "" || (r.Diff == "" && !verbose) {
			continue
		}
		fmt.Fprintf(out, "\n=== %s: %s\n", r.Scenario.Name, r.Scenario.Doc)
		if r.Diff != "" {
			fmt.Fprintf(out, "--- oracle\n+++ target\n%s", r.Diff)
		} else {
			fmt.Fprintf(out, "%s\n", strings.Join(r.Oracle, "\n"))
		}
	}
	return passed, diverged
}

// Table prints one line per scenario (result, time on target and oracle) and the counts.
func Table(out io.Writer, results []Result) (passed, diverged int) {
	w := 0
	for _, r := range results {
		if r.Skipped != filteredOut {
			w = max(w, len(r.Scenario.Name))
		}
	}
	fmt.Fprintf(out, "%-*s  %-8s  %6s  %6s\n", w, "scenario", "result", "target", "oracle")
	skipped := 0
	for _, r := range results {
		if r.Skipped == filteredOut {
			continue
		}
		status := "pass"
		switch {
		case r.Skipped != "":
			status = "skipped: " + r.Skipped
			skipped++
		case r.Diff != "":
			status = "DIVERGED"
			diverged++
		default:
			passed++
		}
		if r.Skipped == "" {
			status = fmt.Sprintf("%-8s  %5.2fs  %5.2fs", status, r.TargetTime.Seconds(), r.OracleTime.Seconds())
		}
		fmt.Fprintf(out, "%-*s  %s\n", w, r.Scenario.Name, status)
	}
	fmt.Fprintf(out, "\n%d passed, %d diverged, %d skipped\n", passed, diverged, skipped)
	return passed, diverged
}
